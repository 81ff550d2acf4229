//! Issue 20.6: with `--output json`, every command that fails prints one
//! JSON document on stdout, `{"result": "failed", "error": {"kind",
//! "message", "hints", "exit_code", ...}}` (docs/output.md), and exits
//! with the code the document names. The commands are read from the binary's
//! own command tree (`--help`), so that a new command without a failure case
//! here fails this test.

use std::collections::BTreeSet;

use crate::harness::{Env, Out};

/// Every command that runs (a leaf of the tree), as `user create`.
fn leaf_commands(env: &Env) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![String::new()];
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.split_whitespace().collect();
        args.push("--help");
        let help = env.ok(&args).stdout;
        let subs: Vec<String> = help
            .lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            // `  name  what it does`; a wrapped description is indented further.
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|name| name != "help")
            .collect();
        if subs.is_empty() {
            out.insert(path);
        } else {
            todo.extend(
                subs.into_iter()
                    .map(|s| format!("{path} {s}").trim().to_owned()),
            );
        }
    }
    out
}

/// No credentials at all: what an AWS call then meets.
const NO_CREDENTIALS: &[(&str, Option<&str>)] = &[
    ("AWS_ACCESS_KEY_ID", None),
    ("AWS_SECRET_ACCESS_KEY", None),
    ("AWS_SESSION_TOKEN", None),
];

/// The failure each command is run into, and the exit code it documents.
/// `None` for the environment: the test account's credentials.
type Case = (
    &'static str,
    &'static [&'static str],
    Option<&'static [(&'static str, Option<&'static str>)]>,
    i32,
);

const CASES: &[Case] = &[
    ("whoami", &[], Some(NO_CREDENTIALS), 1),
    ("user create", &["bad name!"], None, 3),
    ("user list", &[], Some(NO_CREDENTIALS), 1),
    ("user show", &["nobody"], None, 1),
    ("user update", &["nobody", "--new-path", "/x/"], None, 1),
    ("user delete", &["nobody", "--yes"], None, 1),
    ("user attach", &["nobody", "ReadOnlyAccess"], None, 1),
    (
        "user detach",
        &["nobody", "ReadOnlyAccess", "--yes"],
        None,
        1,
    ),
    (
        "user put-policy",
        &["nobody", "p", "--document", "doc.json"],
        None,
        1,
    ),
    ("user delete-policy", &["nobody", "p", "--yes"], None, 1),
    ("key create", &["nobody"], None, 1),
    ("key list", &["nobody"], None, 1),
    ("key activate", &["nobody", "AKIAAAAAAAAAAAAAAAAA"], None, 1),
    (
        "key deactivate",
        &["nobody", "AKIAAAAAAAAAAAAAAAAA"],
        None,
        1,
    ),
    (
        "key delete",
        &["nobody", "AKIAAAAAAAAAAAAAAAAA", "--yes"],
        None,
        1,
    ),
    (
        "key rotate",
        &["nobody", "--credentials-file", "k.csv", "--yes"],
        None,
        1,
    ),
    (
        "policy create",
        &["bad name!", "--document", "doc.json"],
        None,
        3,
    ),
    ("policy list", &[], Some(NO_CREDENTIALS), 1),
    ("policy show", &["nobody"], None, 1),
    (
        "policy update",
        &["nobody", "--document", "doc.json"],
        None,
        1,
    ),
    ("policy versions", &["nobody"], None, 1),
    ("policy set-default", &["nobody", "v2"], None, 1),
    ("policy rollback", &["nobody"], None, 1),
    ("policy delete", &["nobody", "--yes"], None, 1),
    ("policy deploy", &["no-such-dir"], None, 3),
    ("policy lint", &["broken.json"], None, 3),
    ("role create", &["r"], None, 2),
    ("role list", &[], Some(NO_CREDENTIALS), 1),
    ("role show", &["nobody"], None, 1),
    (
        "role update-trust",
        &["nobody", "--trust-principal", "ec2.amazonaws.com"],
        None,
        1,
    ),
    ("role delete", &["nobody", "--yes"], None, 1),
    ("role attach", &["nobody", "ReadOnlyAccess"], None, 1),
    (
        "role detach",
        &["nobody", "ReadOnlyAccess", "--yes"],
        None,
        1,
    ),
    (
        "role put-policy",
        &["nobody", "p", "--document", "doc.json"],
        None,
        1,
    ),
    ("role delete-policy", &["nobody", "p", "--yes"], None, 1),
    ("role assume", &["bad name!"], None, 3),
    ("group create", &["bad name!"], None, 3),
    ("group list", &[], Some(NO_CREDENTIALS), 1),
    ("group show", &["nobody"], None, 1),
    ("group delete", &["nobody", "--yes"], None, 1),
    ("group add-user", &["nobody", "nobody"], None, 1),
    ("group remove-user", &["nobody", "nobody", "--yes"], None, 1),
    ("group attach", &["nobody", "ReadOnlyAccess"], None, 1),
    (
        "group detach",
        &["nobody", "ReadOnlyAccess", "--yes"],
        None,
        1,
    ),
    (
        "group put-policy",
        &["nobody", "p", "--document", "doc.json"],
        None,
        1,
    ),
    ("group delete-policy", &["nobody", "p", "--yes"], None, 1),
    ("account summary", &[], Some(NO_CREDENTIALS), 1),
    ("account alias show", &[], Some(NO_CREDENTIALS), 1),
    ("account alias set", &["Bad_Alias"], None, 3),
    (
        "account alias delete",
        &["nobody", "--yes"],
        Some(NO_CREDENTIALS),
        1,
    ),
    ("account credential-report", &[], Some(NO_CREDENTIALS), 1),
    ("account snapshot", &[], Some(NO_CREDENTIALS), 1),
    ("managed list", &[], Some(NO_CREDENTIALS), 1),
    (
        "s3-user create",
        &["--bucket", "b", "--user", "bad name!"],
        None,
        3,
    ),
    (
        "s3-user delete",
        &["--bucket", "no-such-bucket", "--user", "nobody", "--yes"],
        None,
        1,
    ),
    ("connector init", &["no-such-dir"], None, 3),
    (
        "connector deploy",
        &[
            "--credentials-file",
            "k.csv",
            "--policy-file",
            "missing.json",
        ],
        None,
        3,
    ),
    (
        "simulate",
        &[
            "--principal",
            "alice",
            "--action",
            "s3:GetObject",
            "--snapshot",
            "missing.json",
        ],
        None,
        3,
    ),
    (
        "who-can",
        &["s3:GetObject", "--snapshot", "missing.json"],
        None,
        3,
    ),
    ("access", &["alice", "--snapshot", "missing.json"], None, 3),
    (
        "check no-new-access",
        &["--base", "missing.json", "doc.json"],
        None,
        3,
    ),
    (
        "check access-not-granted",
        &["--action", "s3:GetObject", "missing.json"],
        None,
        3,
    ),
    (
        "check no-public-access",
        &["--resource-type", "AWS::S3::Bucket", "missing.json"],
        None,
        3,
    ),
    ("escalation", &["--snapshot", "missing.json"], None, 3),
    ("validate", &["no-such-dir"], None, 3),
    (
        "snapshot merge",
        &["missing.json", "--out", "merged.json"],
        None,
        3,
    ),
    ("plan", &["no-such-dir"], None, 3),
    ("apply", &["no-such-dir", "--yes"], None, 3),
    ("cleanup", &["no-such-dir", "--yes"], None, 3),
    (
        "import",
        &["--env", "prod", "--snapshot", "missing.json"],
        None,
        3,
    ),
    ("completions", &["no-such-shell"], None, 2),
    ("man", &["--out-dir", "doc.json/under-a-file"], None, 1),
];

/// Commands whose one document, failing or not, is their report (the
/// problems found): `validate`'s rows and `policy lint`'s findings.
const REPORTS: &[&str] = &["validate", "policy lint"];

fn check_one(name: &str, args: &[&str], code: i32, o: &Out) {
    let what = format!(
        "iamctl --output json {name} {}: exit {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        o.code,
        o.stdout,
        o.stderr
    );
    assert_eq!(o.code, code, "{what}");
    let mut docs = serde_json::Deserializer::from_str(&o.stdout).into_iter::<serde_json::Value>();
    let doc = docs
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout: {what}"))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {what}"));
    assert!(docs.next().is_none(), "more than one JSON document: {what}");
    if REPORTS.contains(&name) {
        assert!(
            doc.as_array().is_some_and(|rows| !rows.is_empty()),
            "{what}"
        );
        return;
    }
    assert_eq!(doc["result"], "failed", "{what}");
    let e = &doc["error"];
    assert_eq!(e["exit_code"], code, "{what}");
    let kind = match code {
        1 => "failure",
        2 => "usage",
        3 => "invalid_input",
        _ => "?",
    };
    assert_eq!(e["kind"], kind, "{what}");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{what}");
    // The same error people read on stderr (where it may be wrapped).
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat(&o.stderr).contains(&flat(message)), "{what}");
    assert!(e["hints"].is_array(), "{what}");
}

#[tokio::test]
async fn every_command_fails_as_one_json_document() {
    let env = Env::new().await;
    env.file("doc.json", r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#);
    env.file("broken.json", r#"{"Version": "2012-10-17", "Statement": ["#);
    let leaves = leaf_commands(&env);
    let cased: BTreeSet<String> = CASES.iter().map(|c| c.0.to_owned()).collect();
    assert_eq!(
        leaves.difference(&cased).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "commands without a failure case here"
    );
    assert_eq!(
        cased.difference(&leaves).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "cases for commands that do not exist"
    );
    let mut wrong = Vec::new();
    for (name, extra, vars, code) in CASES {
        let mut args = vec!["--output", "json"];
        args.extend(name.split_whitespace());
        args.extend_from_slice(extra);
        let o = env.run_env(&args, vars.unwrap_or(&[]));
        let checked = std::panic::catch_unwind(|| check_one(name, extra, *code, &o));
        if let Err(e) = checked {
            wrong.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{name}: {e:?}")),
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    // Nothing was made by any of them.
    assert!(env.user_names().await.is_empty());
}

/// The known cases of the issue, by what they say.
#[tokio::test]
async fn the_issues_cases_name_what_failed() {
    let env = Env::new().await;
    let o = env.run(&["--output", "json", "user", "show", "nobody"]);
    check_one("user show", &["nobody"], 1, &o);
    let e = &o.json()["error"];
    assert_eq!(e["code"], "iamctl::aws::not_found", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`nobody`"),
        "{e}"
    );

    let o = env.run_env(&["whoami", "--output", "json"], NO_CREDENTIALS);
    check_one("whoami", &[], 1, &o);
    assert!(
        o.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no usable AWS credentials"),
        "{}",
        o.stdout
    );

    // A usage error of the parser's own, with its tip as a hint.
    let o = env.run(&["--output", "json", "user", "lst"]);
    check_one("user lst", &[], 2, &o);
    assert_eq!(
        o.json()["error"]["message"],
        "unrecognized subcommand 'lst'"
    );
    assert_eq!(
        o.json()["error"]["hints"],
        serde_json::json!(["a similar subcommand exists: 'list'"])
    );

    // A missing trust names both ways of giving it.
    let o = env.run(&["--output", "json", "role", "create", "r"]);
    check_one("role create", &["r"], 2, &o);
    let message = o.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("--trust <FILE>") && message.contains("--trust-principal <ARN>"),
        "{message}"
    );

    // A policy document's error names its place.
    let bad = env.file(
        "bad.json",
        "{\"Version\": \"2012-10-17\",\n \"Statement\": [}\n",
    );
    let o = env.run(&[
        "--output",
        "json",
        "policy",
        "create",
        "p",
        "--document",
        &bad,
    ]);
    check_one("policy create", &[], 3, &o);
    let place = &o.json()["error"]["location"];
    assert_eq!(place["line"], 2, "{}", o.stdout);
    assert!(
        place["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("bad.json"),
        "{place}"
    );
}
