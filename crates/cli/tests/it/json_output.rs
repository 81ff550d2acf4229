//! Issue 11 item 9: every by-hand command prints exactly one JSON document on
//! stdout with `--output json` (mutating commands: what they changed), and list
//! output leaves out, and names, the fields IAM's list calls do not return.
//! Item 14: `--dry-run` changes nothing. (IaC `plan`, `apply`, `cleanup`, `import`
//! and the analysis commands are covered by their own tests.)

use crate::harness::*;

fn examples(dir: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
        .display()
        .to_string()
}

/// Run with `--output json --yes`, expect exit 0 and one JSON document.
fn json(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--output", "json", "--yes"]);
    let o = env.run(&all);
    assert_eq!(o.code, 0, "iamctl {all:?}:\n{}{}", o.stdout, o.stderr);
    let mut docs = serde_json::Deserializer::from_str(&o.stdout).into_iter::<serde_json::Value>();
    let first = docs
        .next()
        .unwrap_or_else(|| panic!("iamctl {all:?} printed no JSON:\n{}", o.stderr))
        .unwrap_or_else(|e| panic!("iamctl {all:?}: not JSON ({e}):\n{}", o.stdout));
    assert!(
        docs.next().is_none(),
        "iamctl {all:?}: more than one JSON document:\n{}",
        o.stdout
    );
    first
}

#[tokio::test]
async fn every_command_prints_one_json_document() {
    let env = Env::new().await;
    let acct = env.account.clone();
    let p = env.file("p.json", POLICY);
    let p2 = env.file(
        "p2.json",
        &POLICY.replace("s3:GetObject", "s3:GetObjectVersion"),
    );
    let bundle = env.path("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(bundle.join("bundled.json"), POLICY).unwrap();
    let bundle = bundle.display().to_string();
    let f = |n: &str| env.path(n).display().to_string();

    assert_eq!(json(&env, &["whoami"])["Account"], acct.as_str());
    json(&env, &["user", "create", "u1", "--tag", "team=a"]);
    let list = json(&env, &["user", "list"]);
    let u1 = &list["Users"][0];
    assert_eq!(u1["UserName"], "u1");
    assert!(
        u1.get("Tags").is_none(),
        "tags are not loaded by ListUsers: {list}"
    );
    assert_eq!(list["NotLoaded"][0], "Tags");
    assert_eq!(
        json(&env, &["user", "show", "u1"])["User"]["Tags"][0]["Key"],
        "managed-by"
    );
    let up = json(
        &env,
        &["user", "update", "u1", "--new-name", "u2", "--tag", "x=y"],
    );
    assert_eq!(up["User"]["UserName"], "u2");
    assert_eq!(up["PreviousUserName"], "u1");
    let a = json(&env, &["user", "attach", "u2", "ReadOnlyAccess"]);
    assert_eq!(a["Attached"], true);
    assert_eq!(a["UserName"], "u2");
    assert_eq!(
        json(&env, &["user", "detach", "u2", "ReadOnlyAccess"])["Attached"],
        false
    );
    json(&env, &["user", "put-policy", "u2", "inl", "--document", &p]);
    json(&env, &["user", "delete-policy", "u2", "inl"]);

    let k = json(&env, &["key", "create", "u2"]);
    let first_key = k["AccessKeyId"].as_str().unwrap().to_string();
    assert!(k["SecretAccessKey"].is_string());
    let k = json(
        &env,
        &["key", "create", "u2", "--credentials-file", &f("k.csv")],
    );
    assert!(k.get("SecretAccessKey").is_none(), "{k}");
    assert_eq!(k["CredentialsFile"], f("k.csv"));
    json(&env, &["key", "list", "u2"]);
    json(&env, &["key", "list"]);
    assert_eq!(
        json(&env, &["key", "deactivate", "u2", &first_key])["Status"],
        "Inactive"
    );
    assert_eq!(
        json(&env, &["key", "activate", "u2", &first_key])["Status"],
        "Active"
    );
    assert_eq!(
        json(&env, &["key", "delete", "u2", &first_key])["Deleted"],
        true
    );
    let r = json(
        &env,
        &["key", "rotate", "u2", "--credentials-file", &f("r.csv")],
    );
    assert_eq!(r["OldKeys"][0]["Outcome"], "deactivated");
    let r = json(
        &env,
        &[
            "key",
            "rotate",
            "u2",
            "--credentials-file",
            &f("r2.csv"),
            "--delete-old",
        ],
    );
    assert_eq!(r["OldKeys"].as_array().unwrap().len(), 2, "{r}");

    json(&env, &["policy", "create", "pol", "--document", &p]);
    let pl = json(&env, &["policy", "list"]);
    assert!(pl["Policies"][0].get("Tags").is_none(), "{pl}");
    json(&env, &["policy", "show", "pol"]);
    assert_eq!(
        json(&env, &["policy", "update", "pol", "--document", &p2])["DefaultVersionId"],
        "v2"
    );
    json(&env, &["policy", "versions", "pol"]);
    assert_eq!(
        json(&env, &["policy", "set-default", "pol", "v1"])["DefaultVersionId"],
        "v1"
    );
    assert_eq!(
        json(&env, &["policy", "rollback", "pol"])["DefaultVersionId"],
        "v2"
    );
    json(&env, &["policy", "deploy", &bundle]);
    json(&env, &["policy", "lint", &p]);

    let root = format!("arn:aws:iam::{acct}:root");
    json(&env, &["role", "create", "r", "--trust-principal", &root]);
    let rl = json(&env, &["role", "list"]);
    assert!(rl["Roles"][0].get("Tags").is_none(), "{rl}");
    json(&env, &["role", "show", "r"]);
    json(
        &env,
        &["role", "update-trust", "r", "--trust-principal", &root],
    );
    json(&env, &["role", "attach", "r", "pol"]);
    json(&env, &["role", "detach", "r", "pol"]);
    json(&env, &["role", "assume", "r"]);
    assert_eq!(json(&env, &["role", "delete", "r"])["Deleted"], true);

    json(&env, &["group", "create", "g"]);
    json(&env, &["group", "list"]);
    json(&env, &["group", "add-user", "g", "u2"]);
    json(&env, &["group", "show", "g"]);
    json(&env, &["group", "attach", "g", "pol"]);
    json(&env, &["group", "detach", "g", "pol"]);
    json(&env, &["group", "remove-user", "g", "u2"]);
    assert_eq!(json(&env, &["group", "delete", "g"])["Deleted"], true);

    json(&env, &["account", "summary"]);
    json(&env, &["account", "alias"]);
    json(&env, &["account", "alias", "set", "json-test"]);
    json(&env, &["account", "alias", "delete", "json-test"]);
    json(&env, &["account", "credential-report"]);
    json(&env, &["account", "snapshot", "--local-only"]);
    json(&env, &["account", "snapshot", "-o", &f("snap.json")]);
    json(&env, &["managed", "list"]);

    let bucket = format!("json-{acct}");
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let s = json(
        &env,
        &[
            "s3-user",
            "create",
            "--bucket",
            &bucket,
            "--user",
            "su",
            "--credentials-file",
            &f("s.csv"),
        ],
    );
    assert_eq!(s["UserName"], "su");
    json(
        &env,
        &[
            "s3-user",
            "delete",
            "--bucket",
            &bucket,
            "--user",
            "su",
            "--delete-objects",
        ],
    );
    json(
        &env,
        &[
            "connector",
            "init",
            &examples("policies"),
            "--skip-existing",
        ],
    );
    json(
        &env,
        &[
            "connector",
            "deploy",
            "--name",
            "conn",
            "--policy-file",
            &p,
            "--credentials-file",
            &f("c.csv"),
        ],
    );
    assert_eq!(
        json(&env, &["policy", "delete", "pol", "--force"])["Deleted"],
        true
    );
    // --force: moto drops a renamed user's tags (IAM keeps them).
    json(
        &env,
        &["user", "delete", "u2", "--delete-policies", "--force"],
    );
}

/// Item 14: `--dry-run` says what would happen and changes nothing.
#[tokio::test]
async fn dry_run_changes_nothing() {
    let env = Env::new().await;
    let p = env.file("p.json", POLICY);
    let p2 = env.file(
        "p2.json",
        &POLICY.replace("s3:GetObject", "s3:GetObjectVersion"),
    );
    env.ok(&["user", "create", "dry"]);
    env.ok(&["policy", "create", "dpol", "--document", &p]);
    env.ok(&["group", "create", "dg"]);
    let key = env.ok(&["key", "create", "dry", "--output", "json"]).json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let bucket = format!("dry-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    env.ok(&[
        "s3-user",
        "create",
        "--bucket",
        &bucket,
        "--user",
        "dsu",
        "--credentials-file",
        &env.path("s.csv").display().to_string(),
    ]);
    env.s3
        .put_object()
        .bucket(&bucket)
        .key("dsu/file")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let bundle = env.path("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(
        bundle.join("dpol.json"),
        POLICY.replace("s3:GetObject", "s3:GetObjectAcl"),
    )
    .unwrap();
    std::fs::write(bundle.join("brand-new.json"), POLICY).unwrap();
    let bundle = bundle.display().to_string();
    let before = env.state().await;
    let kf = env.path("never.csv").display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["user", "create", "nope"],
        vec!["user", "update", "dry", "--new-name", "dry2"],
        vec!["user", "attach", "dry", "dpol"],
        vec!["user", "delete", "dry"],
        vec!["key", "create", "dry", "--credentials-file", &kf],
        vec!["key", "deactivate", "dry", &key],
        vec!["key", "delete", "dry", &key],
        vec![
            "key",
            "rotate",
            "dry",
            "--credentials-file",
            &kf,
            "--delete-old",
        ],
        vec!["policy", "create", "nope", "--document", &p],
        vec!["policy", "update", "dpol", "--document", &p2],
        vec!["policy", "delete", "dpol", "--force"],
        vec!["group", "add-user", "dg", "dry"],
        vec!["group", "delete", "dg"],
        vec![
            "s3-user",
            "delete",
            "--bucket",
            &bucket,
            "--user",
            "dsu",
            "--delete-objects",
        ],
        vec!["account", "alias", "set", "dry-alias"],
        vec!["policy", "deploy", &bundle],
        vec!["connector", "init", &bundle],
    ];
    for args in runs {
        let mut all = args.clone();
        all.push("--dry-run");
        let o = env.run(&all);
        assert_eq!(o.code, 0, "iamctl {all:?}:\n{}", o.stderr);
        assert!(
            o.stderr.contains("would ") && o.stderr.contains("nothing was changed"),
            "iamctl {all:?}:\n{}",
            o.stderr
        );
        // JSON: one document saying it was a dry run.
        all.extend(["--output", "json"]);
        let o = env.run(&all);
        assert_eq!(o.json()["DryRun"], true, "iamctl {all:?}:\n{}", o.stdout);
    }
    assert_eq!(env.state().await, before);
    assert!(!env.path("never.csv").exists());
    let objs = env
        .s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(objs.key_count(), Some(1));
    let aliases = env.iam.list_account_aliases().send().await.unwrap();
    assert!(aliases.account_aliases().is_empty());
}
