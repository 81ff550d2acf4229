//! Offline analysis against a real account: `simulate`, `who-can` and
//! `access`, over the live account and over a snapshot of it.

use serde_json::{json, Value};

use crate::harness::*;

const TEAM_READ: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "TeamRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
   "Resource": ["arn:aws:s3:::team-data", "arn:aws:s3:::team-data/*"]}]}"#;

const GUARD_RAIL: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::team-data/secret/*"},
  {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}"#;

const HOME: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "OwnHome", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
   "Resource": "arn:aws:s3:::homes/${aws:username}/*"}]}"#;

const TEMPORARY: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "UntilApril", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*",
   "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-04-01T00:00:00Z"}}},
  {"Sid": "OfficeOnly", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::office/*",
   "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}"#;

const OPS: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "HandRoles", "Effect": "Allow", "Action": ["iam:PassRole", "iam:CreateAccessKey", "iam:GetUser"], "Resource": "*"}]}"#;

const DEPLOY_ALL: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "AllOfS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;

const DEPLOY_BOUNDARY: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "ReadWriteOnly", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}"#;

/// The account the tests share: users alice and bob in group `devs` (managed
/// `team-read` and the `guard-rail` deny), alice with an inline `home` policy
/// using `${aws:username}` and a managed `temporary` one (expiry, source IP),
/// bob with an inline `ops` policy (iam:PassRole, iam:CreateAccessKey on *),
/// carol with nothing, and role `deployer` (trust: the account; `s3:*`
/// bounded by `deploy-boundary`).
fn build_account(env: &Env) {
    for (name, doc) in [
        ("team-read", TEAM_READ),
        ("guard-rail", GUARD_RAIL),
        ("temporary", TEMPORARY),
        ("deploy-all", DEPLOY_ALL),
        ("deploy-boundary", DEPLOY_BOUNDARY),
    ] {
        let f = env.file(&format!("{name}.json"), doc);
        env.ok(&["policy", "create", name, "--document", &f]);
    }
    env.ok(&["group", "create", "devs"]);
    env.ok(&["group", "attach", "devs", "team-read"]);
    env.ok(&["group", "attach", "devs", "guard-rail"]);
    env.ok(&[
        "user",
        "create",
        "alice",
        "--group",
        "devs",
        "--attach",
        "temporary",
    ]);
    env.ok(&["user", "create", "bob", "--group", "devs"]);
    env.ok(&["user", "create", "carol"]);
    let f = env.file("home.json", HOME);
    env.ok(&["user", "put-policy", "alice", "home", "--document", &f]);
    let f = env.file("ops.json", OPS);
    env.ok(&["user", "put-policy", "bob", "ops", "--document", &f]);
    env.ok(&[
        "role",
        "create",
        "deployer",
        "--trust-principal",
        &env.account,
        "--boundary",
        "deploy-boundary",
        "--attach",
        "deploy-all",
    ]);
}

fn user(env: &Env, name: &str) -> String {
    format!("arn:aws:iam::{}:user/{name}", env.account)
}

fn role(env: &Env, name: &str) -> String {
    format!("arn:aws:iam::{}:role/{name}", env.account)
}

/// `simulate --output json` for one action, plus `extra` flags; exit 0.
fn simulate(env: &Env, principal: &str, action: &str, resource: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "simulate",
        "--principal",
        principal,
        "--action",
        action,
        "--resource",
        resource,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    env.ok(&args).json()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn statements(v: &Value) -> Vec<Value> {
    v["matchedStatements"]
        .as_array()
        .unwrap_or_else(|| panic!("no matchedStatements: {v}"))
        .clone()
}

/// The same questions, over the live account or a snapshot (`extra` flags).
fn check_simulate(env: &Env, extra: &[&str]) {
    let alice = user(env, "alice");
    let with = |more: &[&str]| -> Vec<String> {
        extra
            .iter()
            .chain(more)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };

    // Allowed through the group's managed policy: policy ARN, layer, Sid.
    let out = simulate(
        env,
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::team-data/report.csv",
        extra,
    );
    assert_eq!(out["decision"], "allowed", "{out}");
    assert_eq!(out["principal"], alice.as_str());
    assert_eq!(out["action"], "s3:GetObject");
    assert_eq!(out["resource"], "arn:aws:s3:::team-data/report.csv");
    assert_eq!(
        statements(&out),
        vec![
            json!({"policy": env.policy_arn("team-read"), "layer": "identity",
                    "sid": "TeamRead", "statement": 0, "effect": "Allow"})
        ],
        "{out}"
    );
    assert_eq!(out["notes"], json!([]));

    // The guard rail denies explicitly, and names only the denying statement.
    let out = simulate(
        env,
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::team-data/secret/plans",
        extra,
    );
    assert_eq!(out["decision"], "explicitDeny", "{out}");
    assert_eq!(
        statements(&out),
        vec![
            json!({"policy": env.policy_arn("guard-rail"), "layer": "identity",
                    "sid": "NoSecrets", "statement": 0, "effect": "Deny"})
        ],
        "{out}"
    );
    let out = simulate(
        env,
        &alice,
        "s3:DeleteBucket",
        "arn:aws:s3:::team-data",
        extra,
    );
    assert_eq!(out["decision"], "explicitDeny", "{out}");
    assert_eq!(statements(&out)[0]["sid"], "NoDeletes");
    assert_eq!(statements(&out)[0]["statement"], 1);

    // Implicit deny: carol has no policy at all.
    let out = simulate(
        env,
        &user(env, "carol"),
        "s3:GetObject",
        "arn:aws:s3:::team-data/report.csv",
        extra,
    );
    assert_eq!(out["decision"], "implicitDeny", "{out}");
    assert_eq!(out["matchedStatements"], json!([]));
    assert_eq!(
        out["notes"],
        json!(["no identity-based policy allows the action"])
    );

    // `${aws:username}` in alice's inline policy: her own prefix only.
    let out = simulate(
        env,
        &alice,
        "s3:PutObject",
        "arn:aws:s3:::homes/alice/cv.pdf",
        extra,
    );
    assert_eq!(out["decision"], "allowed", "{out}");
    assert_eq!(
        statements(&out),
        vec![
            json!({"policy": format!("{alice}#home"), "layer": "identity",
                    "sid": "OwnHome", "statement": 0, "effect": "Allow"})
        ]
    );
    let out = simulate(
        env,
        &alice,
        "s3:PutObject",
        "arn:aws:s3:::homes/bob/cv.pdf",
        extra,
    );
    assert_eq!(out["decision"], "implicitDeny", "{out}");
    let out = simulate(
        env,
        &user(env, "bob"),
        "s3:PutObject",
        "arn:aws:s3:::homes/bob/cv.pdf",
        extra,
    );
    assert_eq!(
        out["decision"], "implicitDeny",
        "bob has no home policy: {out}"
    );

    // aws:SourceIp from --context.
    let office = "arn:aws:s3:::office/plan.txt";
    let out = simulate(env, &alice, "s3:GetObject", office, extra);
    assert_eq!(out["decision"], "implicitDeny", "no source IP: {out}");
    assert_eq!(
        out["notes"],
        json!([
            "no identity-based policy allows the action",
            "condition key `aws:SourceIp` is not in the request context"
        ])
    );
    let inside = with(&["--context", "aws:SourceIp=203.0.113.7"]);
    let out = simulate(env, &alice, "s3:GetObject", office, &refs(&inside));
    assert_eq!(out["decision"], "allowed", "{out}");
    assert_eq!(statements(&out)[0]["sid"], "OfficeOnly");
    assert_eq!(statements(&out)[0]["statement"], 1);
    assert_eq!(statements(&out)[0]["policy"], env.policy_arn("temporary"));
    let outside = with(&["--context", "aws:SourceIp=198.51.100.7"]);
    let out = simulate(env, &alice, "s3:GetObject", office, &refs(&outside));
    assert_eq!(out["decision"], "implicitDeny", "{out}");

    // --at moves aws:CurrentTime across the DateLessThan expiry; the default
    // is the clock (IAMCTL_NOW, 2026-03-21).
    let reports = "arn:aws:s3:::reports/q1.csv";
    let out = simulate(env, &alice, "s3:GetObject", reports, extra);
    assert_eq!(out["decision"], "allowed", "now: {out}");
    assert_eq!(statements(&out)[0]["sid"], "UntilApril");
    let before = with(&["--at", "2026-03-31T23:59:59Z"]);
    let out = simulate(env, &alice, "s3:GetObject", reports, &refs(&before));
    assert_eq!(out["decision"], "allowed", "before expiry: {out}");
    let after = with(&["--at", "2026-04-01T00:00:00Z"]);
    let out = simulate(env, &alice, "s3:GetObject", reports, &refs(&after));
    assert_eq!(out["decision"], "implicitDeny", "at expiry: {out}");
    assert_eq!(
        out["notes"],
        json!(["no identity-based policy allows the action"])
    );
    // --context aws:CurrentTime wins over --at.
    let both = with(&[
        "--at",
        "2026-05-01T00:00:00Z",
        "--context",
        "aws:CurrentTime=2026-03-01T00:00:00Z",
    ]);
    let out = simulate(env, &alice, "s3:GetObject", reports, &refs(&both));
    assert_eq!(out["decision"], "allowed", "{out}");

    // The role, by name: the boundary limits `s3:*`.
    let out = simulate(
        env,
        "deployer",
        "s3:PutObject",
        "arn:aws:s3:::team-data/x",
        extra,
    );
    assert_eq!(out["decision"], "allowed", "{out}");
    assert_eq!(
        out["principal"],
        format!("arn:aws:sts::{}:assumed-role/deployer/iamctl", env.account)
    );
    let layers: Vec<(String, String)> = statements(&out)
        .iter()
        .map(|m| {
            (
                m["layer"].as_str().unwrap().to_owned(),
                m["sid"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        [
            ("identity".into(), "AllOfS3".into()),
            ("permissionsBoundary".into(), "ReadWriteOnly".into())
        ]
    );
    let out = simulate(
        env,
        &role(env, "deployer"),
        "s3:DeleteObject",
        "arn:aws:s3:::team-data/x",
        extra,
    );
    assert_eq!(out["decision"], "implicitDeny", "{out}");
    assert_eq!(
        out["notes"],
        json!(["the permissions boundary does not allow the action"])
    );

    // Several actions: an array, in the order given.
    let mut args = vec![
        "simulate",
        "--principal",
        "bob",
        "--action",
        "iam:PassRole",
        "--action",
        "iam:DeleteUser",
        "--resource",
        "*",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = env.ok(&args).json();
    let decisions: Vec<&str> = out
        .as_array()
        .expect("an array for several actions")
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allowed", "implicitDeny"], "{out}");
}

#[tokio::test]
async fn simulate_against_the_live_account() {
    let env = Env::new().await;
    build_account(&env);
    check_simulate(&env, &[]);
    // The live account is read with GetAccountAuthorizationDetails.
    let o = env.ok(&[
        "simulate",
        "--principal",
        "carol",
        "--action",
        "s3:GetObject",
    ]);
    assert!(
        o.stderr
            .contains("page(s) of GetAccountAuthorizationDetails"),
        "{}",
        o.stderr
    );
}

/// A bogus endpoint and no credentials: anything that called AWS would fail.
const OFFLINE: &[&str] = &["--endpoint-url", "http://127.0.0.1:9"];

#[tokio::test]
async fn simulate_against_a_snapshot_needs_no_aws() {
    let env = Env::new().await;
    build_account(&env);
    env.ok(&["account", "snapshot", "-o", "snap.json"]);
    let snap = env.path("snap.json").display().to_string();
    let mut extra = vec!["--snapshot", snap.as_str()];
    extra.extend_from_slice(OFFLINE);
    check_simulate(&env, &extra);
    // Nor does it need credentials.
    let o = env.run_env(
        &[
            "simulate",
            "--principal",
            "alice",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::team-data/k",
            "--snapshot",
            &snap,
            "--output",
            "json",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_ENDPOINT_URL", Some("http://127.0.0.1:9")),
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert_eq!(o.json()["decision"], "allowed");
    assert!(
        !o.stderr.contains("GetAccountAuthorizationDetails"),
        "{}",
        o.stderr
    );
}

fn line(id: Value, action: &str, resource: &str, more: Value) -> String {
    let mut v = json!({
        "id": id,
        "principal": "arn:aws:iam::111122223333:user/alice",
        "action": action,
        "resource": resource,
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), more) {
        obj.extend(more);
    }
    v.to_string()
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

#[tokio::test]
async fn simulate_batch_from_stdin_answers_every_line() {
    let env = Env::new().await;
    let expiring = json!({"Version": "2012-10-17", "Statement": [{"Sid": "UntilApril",
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-04-01T00:00:00Z"}}}]});
    let input = [
        line(
            json!("read"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            json!({"identityPolicies": [{"Version": "2012-10-17", "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]}]}),
        ),
        line(
            json!(2),
            "s3:DeleteObject",
            "arn:aws:s3:::b/k",
            json!({"identityPolicies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Sid": "Guard", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}]}),
        ),
        r#"{"id": "broken", "principal": "#.to_string(),
        line(json!("typo"), "s3:GetObject", "*", json!({"identityPolicy": []})),
        String::new(),
        line(
            json!("scp"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            json!({"identityPolicies": [allow("*", "*")],
                   "serviceControlPolicies": [[allow("*", "*")], [allow("ec2:*", "*")]]}),
        ),
        line(
            json!("boundary"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            json!({"identityPolicies": [allow("s3:*", "*")],
                   "permissionBoundary": allow("ec2:*", "*")}),
        ),
        line(
            json!("xacct"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            json!({"resourceAccount": "444455556666", "identityPolicies": [allow("s3:*", "*")]}),
        ),
        line(
            json!("clock"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            json!({"identityPolicies": [expiring]}),
        ),
    ]
    .join("\n");
    let o = env.run_with_stdin(&["simulate", "--batch", "-"], Some(&input));
    // Two lines failed: every answer is still written, then exit 1.
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("2 of 8 request line(s) could not be evaluated"),
        "{}",
        o.stderr
    );
    let answers: Vec<Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(
        answers.len(),
        8,
        "one answer per non-blank line:\n{}",
        o.stdout
    );
    assert_eq!(
        answers[0],
        json!({"id": "read", "decision": "allowed", "matchedStatements": [
            {"policy": "identity[0]", "layer": "identity", "sid": "Read", "statement": 0, "effect": "Allow"}],
            "notes": []})
    );
    assert_eq!(answers[1]["id"], 2, "ids keep their JSON type");
    assert_eq!(answers[1]["decision"], "explicitDeny");
    assert_eq!(
        answers[1]["matchedStatements"],
        json!([{"policy": "identity[0]", "layer": "identity", "sid": "Guard", "statement": 1, "effect": "Deny"}])
    );
    // The malformed line: no id to give back, but its line number.
    assert_eq!(answers[2]["id"], Value::Null);
    assert_eq!(answers[2]["line"], 3);
    let error = answers[2]["error"].as_str().expect("an error");
    assert!(error.starts_with("not JSON: EOF while parsing"), "{error}");
    assert!(answers[2].get("decision").is_none());
    assert_eq!(
        answers[3],
        json!({"id": "typo", "error": "unknown field `identityPolicy`", "line": 4})
    );
    // The blank line 5 is skipped, line numbers still count it.
    assert_eq!(answers[4]["id"], "scp");
    assert_eq!(answers[4]["decision"], "implicitDeny");
    assert_eq!(
        answers[4]["notes"],
        json!(["no service control policy at level 1 allows the action"])
    );
    assert_eq!(
        answers[5]["notes"],
        json!(["the permissions boundary does not allow the action"])
    );
    assert_eq!(
        answers[6]["notes"],
        json!(["cross-account request: the resource-based policy of the resource's account does not allow it"])
    );
    // Without --at, a batch line carries no aws:CurrentTime.
    assert_eq!(answers[7]["decision"], "implicitDeny", "{}", answers[7]);
    assert_eq!(
        answers[7]["notes"][1],
        "condition key `aws:CurrentTime` is not in the request context"
    );
    assert!(
        o.stderr.contains("8 request(s), 2 error(s)"),
        "{}",
        o.stderr
    );

    // --at sets aws:CurrentTime for every line, on either side of the expiry.
    let clock = |at: &str| {
        let o = env.run_with_stdin(&["simulate", "--batch", "-", "--at", at], Some(&input));
        assert_eq!(o.code, 1, "{}", o.stderr);
        let last: Value = serde_json::from_str(o.stdout.lines().last().unwrap()).unwrap();
        assert_eq!(last["id"], "clock");
        last["decision"].as_str().unwrap().to_owned()
    };
    assert_eq!(clock("2026-03-31T23:59:59Z"), "allowed");
    assert_eq!(clock("2026-04-01T00:00:00Z"), "implicitDeny");

    // From a file, the same answers.
    let f = env.file("requests.jsonl", &input);
    let from_file = env.run(&["simulate", "--batch", &f]);
    assert_eq!(from_file.code, 1, "{}", from_file.stderr);
    assert_eq!(from_file.stdout, o.stdout);

    // Every line evaluated: exit 0.
    let good: String = input
        .lines()
        .filter(|l| !l.is_empty() && !l.contains("broken") && !l.contains("typo"))
        .collect::<Vec<_>>()
        .join("\n");
    let o = env.run_with_stdin(&["simulate", "--batch", "-"], Some(&good));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert_eq!(o.stdout.lines().count(), 6, "{}", o.stdout);
    assert!(
        o.stderr.contains("6 request(s), 0 error(s)"),
        "{}",
        o.stderr
    );
}

/// Who-can rows: (principal name, [(action, [via])]).
type Rows = Vec<(String, Vec<(String, Vec<String>)>)>;

/// `who-can ... --output json` as rows.
fn who_can(env: &Env, args: &[&str]) -> Rows {
    let mut all = vec!["who-can"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    all.extend_from_slice(OFFLINE);
    let out = env.ok(&all).json();
    out.as_array()
        .unwrap_or_else(|| panic!("an array: {out}"))
        .iter()
        .map(|p| {
            let actions = p["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let via = a["statements"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["via"].as_str().unwrap().to_owned())
                        .collect();
                    (a["action"].as_str().unwrap().to_owned(), via)
                })
                .collect();
            (p["name"].as_str().unwrap().to_owned(), actions)
        })
        .collect()
}

fn names(rows: &Rows) -> Vec<&str> {
    rows.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn who_can_and_access_over_a_snapshot() {
    let env = Env::new().await;
    build_account(&env);
    env.ok(&["account", "snapshot", "-o", "snap.json"]);

    let object = "arn:aws:s3:::team-data/key";
    let out = env
        .ok(&[
            "who-can",
            "s3:GetObject",
            object,
            "--snapshot",
            "snap.json",
            "--output",
            "json",
        ])
        .json();
    let alice = &out[0];
    assert_eq!(alice["principal"], user(&env, "alice"));
    assert_eq!(alice["kind"], "user");
    assert_eq!(
        alice["actions"],
        json!([{"action": "s3:GetObject", "statements": [{
            "policy": env.policy_arn("team-read"), "sid": "TeamRead", "statement": 0,
            "via": "group devs"}]}])
    );
    let rows = who_can(&env, &["s3:GetObject", object, "--snapshot", "snap.json"]);
    assert_eq!(
        rows,
        vec![
            (
                "alice".into(),
                vec![("s3:GetObject".into(), vec!["group devs".into()])]
            ),
            (
                "bob".into(),
                vec![("s3:GetObject".into(), vec!["group devs".into()])]
            ),
            (
                "deployer".into(),
                vec![("s3:GetObject".into(), vec!["direct".into()])]
            ),
        ]
    );
    assert_eq!(out[2]["kind"], "role");
    assert_eq!(out[2]["principal"], role(&env, "deployer"));

    // The guard rail takes the group's members out; the role is not in it.
    let rows = who_can(
        &env,
        &[
            "s3:GetObject",
            "arn:aws:s3:::team-data/secret/x",
            "--snapshot",
            "snap.json",
        ],
    );
    assert_eq!(names(&rows), ["deployer"]);
    // `${aws:username}`: only alice, through her own inline policy.
    let rows = who_can(
        &env,
        &[
            "s3:PutObject",
            "arn:aws:s3:::homes/alice/x",
            "--snapshot",
            "snap.json",
        ],
    );
    assert_eq!(names(&rows), ["alice", "deployer"]);
    assert_eq!(rows[0].1[0].1, ["direct"]);
    // The boundary: nobody may delete objects, though the role's policy says s3:*.
    let rows = who_can(
        &env,
        &["s3:DeleteObject", object, "--snapshot", "snap.json"],
    );
    assert!(rows.is_empty(), "{rows:?}");
    // Without a resource: on some resource the action takes.
    let rows = who_can(&env, &["s3:PutObject", "--snapshot", "snap.json"]);
    assert_eq!(names(&rows), ["alice", "deployer"]);
    // The expiry and --at.
    let rows = who_can(
        &env,
        &[
            "s3:GetObject",
            "arn:aws:s3:::reports/q",
            "--snapshot",
            "snap.json",
        ],
    );
    assert_eq!(names(&rows), ["alice", "deployer"]);
    let rows = who_can(
        &env,
        &[
            "s3:GetObject",
            "arn:aws:s3:::reports/q",
            "--snapshot",
            "snap.json",
            "--at",
            "2026-04-02T00:00:00Z",
        ],
    );
    assert_eq!(names(&rows), ["deployer"]);
    // --context reaches the conditions.
    let rows = who_can(
        &env,
        &[
            "s3:GetObject",
            "arn:aws:s3:::office/x",
            "--snapshot",
            "snap.json",
            "--context",
            "aws:SourceIp=203.0.113.9",
        ],
    );
    assert_eq!(names(&rows), ["alice", "deployer"]);

    // Wildcards expand with AWS's action list.
    let rows = who_can(&env, &["iam:*", "--snapshot", "snap.json"]);
    assert_eq!(
        rows,
        vec![(
            "bob".into(),
            vec![
                ("iam:CreateAccessKey".into(), vec!["direct".into()]),
                ("iam:GetUser".into(), vec!["direct".into()]),
                ("iam:PassRole".into(), vec!["direct".into()]),
            ]
        )]
    );
    let rows = who_can(
        &env,
        &[
            "s3:put*object",
            "arn:aws:s3:::homes/alice/x",
            "--snapshot",
            "snap.json",
        ],
    );
    let alice_actions: Vec<&str> = rows[0].1.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(alice_actions, ["s3:PutObject"], "{rows:?}");
    let o = env.ok(&["who-can", "iam:*", "--snapshot", "snap.json"]);
    assert!(
        o.stderr.contains("1 principal(s) of 4 allowed 3 of "),
        "{}",
        o.stderr
    );

    // Unknown actions are refused with a hint.
    let o = env.fails(&["who-can", "s3:GetObjekt", "--snapshot", "snap.json"], 3);
    assert!(
        o.stderr
            .contains("`s3:GetObjekt` matches no action AWS documents"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("check the service prefix and action name"),
        "{}",
        o.stderr
    );
    let o = env.fails(&["who-can", "frobnicate", "--snapshot", "snap.json"], 3);
    assert!(
        o.stderr
            .contains("`frobnicate` is not an action: write `service:Action`"),
        "{}",
        o.stderr
    );
    assert_eq!(o.stdout, "");

    // access: services by level, and the risky permissions.
    let mut args = vec![
        "access",
        "bob",
        "--snapshot",
        "snap.json",
        "--output",
        "json",
    ];
    args.extend_from_slice(OFFLINE);
    let out = env.ok(&args).json();
    assert_eq!(out["principal"], user(&env, "bob"));
    assert_eq!(out["kind"], "user");
    assert_eq!(
        out["services"],
        json!({
            "iam": {"Read": ["GetUser"], "Write": ["CreateAccessKey", "PassRole"]},
            "s3": {"List": ["ListBucket"], "Read": ["GetObject"]},
        })
    );
    assert_eq!(
        out["risky"],
        json!([
            {"action": "iam:CreateAccessKey", "why": "can create keys for other users"},
            {"action": "iam:PassRole", "why": "can hand roles to services it launches"},
        ])
    );
    assert!(
        out["actionsEvaluated"].as_u64().unwrap() > 10_000,
        "{}",
        out["actionsEvaluated"]
    );
    let o = env.ok(&["access", "bob", "--snapshot", "snap.json"]);
    assert!(o.stdout.contains("risky permissions:\n  iam:CreateAccessKey: can create keys for other users\n  iam:PassRole: can hand roles to services it launches\n"), "{}", o.stdout);
    // The role, bounded: only what both its policy and its boundary allow.
    let out = env
        .ok(&[
            "access",
            &role(&env, "deployer"),
            "--snapshot",
            "snap.json",
            "--output",
            "json",
        ])
        .json();
    assert_eq!(
        out["services"],
        json!({"s3": {"Read": ["GetObject"], "Write": ["PutObject"]}})
    );
    assert_eq!(out["risky"], json!([]));
    let o = env.ok(&["access", "carol", "--snapshot", "snap.json"]);
    assert_eq!(o.stdout, "carol can do nothing\n");
}

/// A snapshot as `aws iam get-account-authorization-details` prints it
/// (documents URL-encoded), for tests that need no account.
const SMALL_SNAPSHOT: &str = r#"{
  "UserDetailList": [
    {"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE1", "Arn": "arn:aws:iam::123456789012:user/alice",
     "GroupList": ["devs"], "AttachedManagedPolicies": [], "Tags": [],
     "UserPolicyList": [{"PolicyName": "home", "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22OwnHome%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3APutObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ahomes%2F%24%7Baws%3Ausername%7D%2F%2A%22%7D%5D%7D"}]}
  ],
  "GroupDetailList": [
    {"Path": "/", "GroupName": "devs", "GroupId": "AGPAEXAMPLE1", "Arn": "arn:aws:iam::123456789012:group/devs",
     "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "team-read", "PolicyArn": "arn:aws:iam::123456789012:policy/team-read"}]}
  ],
  "RoleDetailList": [],
  "Policies": [
    {"PolicyName": "team-read", "Arn": "arn:aws:iam::123456789012:policy/team-read", "DefaultVersionId": "v1",
     "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
       "Document": {"Version": "2012-10-17", "Statement": [{"Sid": "TeamRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team-data/*"}]}}]}
  ]
}"#;

#[tokio::test]
async fn aws_cli_snapshot_with_encoded_documents() {
    let env = Env::new().await;
    env.file("small.json", SMALL_SNAPSHOT);
    let mut args = vec![
        "simulate",
        "--principal",
        "alice",
        "--action",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::homes/alice/a",
        "--snapshot",
        "small.json",
        "--output",
        "json",
    ];
    args.extend_from_slice(OFFLINE);
    let out = env.ok(&args).json();
    assert_eq!(out["decision"], "allowed", "{out}");
    assert_eq!(
        out["matchedStatements"][0]["policy"],
        "arn:aws:iam::123456789012:user/alice#home"
    );
    let rows = who_can(
        &env,
        &[
            "s3:GetObject",
            "arn:aws:s3:::team-data/x",
            "--snapshot",
            "small.json",
        ],
    );
    assert_eq!(
        rows,
        vec![(
            "alice".into(),
            vec![("s3:GetObject".into(), vec!["group devs".into()])]
        )]
    );
}

/// Thousands of lines go to worker threads in chunks; the answers still come
/// back one per line, in input order, and a broken line anywhere gives its
/// own line number.
#[tokio::test]
async fn simulate_batch_answers_in_input_order_across_workers() {
    let env = Env::new().await;
    let mut input = String::new();
    for i in 0..5000 {
        if i % 1999 == 7 {
            input.push_str("{\"id\": \"broken\"\n");
            continue;
        }
        let action = if i % 3 == 0 {
            "s3:PutObject"
        } else {
            "s3:GetObject"
        };
        input.push_str(&line(
            json!(i),
            action,
            &format!("arn:aws:s3:::b/k{i}"),
            json!({"identityPolicies": [allow("s3:Get*", "arn:aws:s3:::b/*")]}),
        ));
        input.push('\n');
    }
    let f = env.file("many.jsonl", &input);
    let o = env.run(&["simulate", "--batch", &f]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let answers: Vec<Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 5000);
    for (i, a) in answers.iter().enumerate() {
        if i % 1999 == 7 {
            assert_eq!(a["line"], i + 1, "{a}");
            continue;
        }
        assert_eq!(a["id"], i, "answer {i} out of order: {a}");
        let want = if i % 3 == 0 {
            "implicitDeny"
        } else {
            "allowed"
        };
        assert_eq!(a["decision"], want, "{a}");
    }
    assert!(
        o.stderr.contains("5000 request(s), 3 error(s)"),
        "{}",
        o.stderr
    );
}

/// A snapshot whose role `ops` trusts only bob; alice may call
/// `sts:AssumeRole` on any role by her identity policy.
const TRUST_SNAPSHOT: &str = r#"{
  "UserDetailList": [
    {"Path": "/", "UserName": "alice", "Arn": "arn:aws:iam::123456789012:user/alice", "GroupList": [],
     "AttachedManagedPolicies": [], "Tags": [],
     "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument": {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}]},
    {"Path": "/", "UserName": "bob", "Arn": "arn:aws:iam::123456789012:user/bob", "GroupList": [],
     "AttachedManagedPolicies": [], "Tags": [], "UserPolicyList": []}
  ],
  "GroupDetailList": [],
  "RoleDetailList": [
    {"Path": "/", "RoleName": "ops", "Arn": "arn:aws:iam::123456789012:role/ops", "Tags": [],
     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
       "Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "sts:AssumeRole"}]},
     "RolePolicyList": [], "AttachedManagedPolicies": []}
  ],
  "Policies": []
}"#;

/// Issue 9, rule 1: "IAM role trust policies and KMS key policies are
/// exceptions to this logic, because they must explicitly allow access for
/// principals" (reference_policies_evaluation-logic_policy-eval-denyallow).
/// Over a snapshot, `sts:AssumeRole` on a role of the snapshot is decided
/// with its trust policy without being told.
#[tokio::test]
async fn trust_policy_of_a_snapshot_role_decides_assume_role() {
    let env = Env::new().await;
    env.file("trust.json", TRUST_SNAPSHOT);
    let ops = "arn:aws:iam::123456789012:role/ops";
    let ask = |who: &str| {
        let mut args = vec![
            "simulate",
            "--principal",
            who,
            "--action",
            "sts:AssumeRole",
            "--resource",
            ops,
            "--snapshot",
            "trust.json",
            "--output",
            "json",
        ];
        args.extend_from_slice(OFFLINE);
        env.ok(&args).json()
    };
    let alice = ask("alice");
    assert_eq!(alice["decision"], "implicitDeny", "{alice}");
    assert!(
        alice["notes"][0]
            .as_str()
            .unwrap_or("")
            .contains("trust policy does not allow"),
        "{alice}"
    );
    let bob = ask("bob");
    assert_eq!(bob["decision"], "allowed", "{bob}");
    assert_eq!(
        bob["matchedStatements"][0]["policy"],
        format!("{ops}#trust")
    );
    // The same over --batch with the snapshot.
    let input = format!(
        "{}\n{}",
        json!({"id": 1, "principal": "arn:aws:iam::123456789012:user/alice", "action": "sts:AssumeRole", "resource": ops}),
        json!({"id": 2, "principal": "arn:aws:iam::123456789012:user/bob", "action": "sts:AssumeRole", "resource": ops}),
    );
    let mut args = vec!["simulate", "--batch", "-", "--snapshot", "trust.json"];
    args.extend_from_slice(OFFLINE);
    let o = env.run_with_stdin(&args, Some(&input));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let decisions: Vec<String> = o
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(decisions, ["implicitDeny", "allowed"]);
    // And who-can: only bob.
    let rows = who_can(&env, &["sts:AssumeRole", ops, "--snapshot", "trust.json"]);
    assert_eq!(names(&rows), ["bob"]);
}

/// Bad input: one clear message, the right exit code, nothing on stdout, and
/// no AWS call (the endpoint is bogus).
#[tokio::test]
async fn analysis_bad_input() {
    let env = Env::new().await;
    env.file("small.json", SMALL_SNAPSHOT);
    env.file(
        "broken.json",
        "{\n  \"UserDetailList\": [\n    {\"UserName\": \"a\",}\n  ]\n}\n",
    );
    env.file("array.json", "[]\n");
    env.file("other.json", "{\"Users\": []}\n");
    let check = |args: &[&str], code: i32, message: &str| {
        let mut all = args.to_vec();
        all.extend_from_slice(OFFLINE);
        let o = env.fails(&all, code);
        assert!(
            o.stderr.contains(message),
            "iamctl {args:?}: expected {message:?} in:\n{}",
            o.stderr
        );
        assert_eq!(o.stdout, "", "iamctl {args:?}");
    };
    let alice = [
        "simulate",
        "--principal",
        "alice",
        "--action",
        "s3:GetObject",
    ];
    let with = |more: &[&'static str]| -> Vec<&'static str> {
        alice.iter().chain(more).copied().collect()
    };

    check(
        &["who-can", "s3:GetObject", "--snapshot", "missing.json"],
        3,
        "error: cannot read `missing.json`: No such file or directory",
    );
    check(
        &with(&["--snapshot", "missing.json"]),
        3,
        "cannot read `missing.json`",
    );
    check(
        &["access", "alice", "--snapshot", "broken.json"],
        3,
        "error: `broken.json`:3:22: trailing comma",
    );
    check(
        &["who-can", "s3:GetObject", "--snapshot", "array.json"],
        3,
        "`array.json`: the snapshot is not a JSON object",
    );
    check(
        &["who-can", "s3:GetObject", "--snapshot", "other.json"],
        3,
        "the snapshot has none of `UserDetailList`, `RoleDetailList`, `GroupDetailList`, `Policies`",
    );
    check(
        &[
            "simulate",
            "--principal",
            "nobody",
            "--action",
            "s3:GetObject",
            "--snapshot",
            "small.json",
        ],
        1,
        "error: no user or role `nobody` in the account",
    );
    check(
        &[
            "access",
            "arn:aws:iam::123456789012:user/nobody",
            "--snapshot",
            "small.json",
        ],
        1,
        "no user or role `arn:aws:iam::123456789012:user/nobody` in the account",
    );
    check(
        &with(&["--snapshot", "small.json", "--context", "aws:SourceIp"]),
        2,
        "error: `--context aws:SourceIp`: expected KEY=VALUE",
    );
    check(
        &[
            "who-can",
            "s3:GetObject",
            "--snapshot",
            "small.json",
            "--context",
            "novalue",
        ],
        2,
        "`--context novalue`: expected KEY=VALUE",
    );
    check(
        &with(&["--snapshot", "small.json", "--at", "yesterday"]),
        2,
        "error: `--at yesterday` is not a time: use RFC 3339, e.g. 2026-11-30T23:59:59Z",
    );
    check(
        &[
            "access",
            "alice",
            "--snapshot",
            "small.json",
            "--at",
            "2026-13-01T00:00:00Z",
        ],
        2,
        "`--at 2026-13-01T00:00:00Z` is not a time",
    );
    check(
        &[
            "simulate",
            "--principal",
            "alice",
            "--action",
            "GetObject",
            "--snapshot",
            "small.json",
        ],
        3,
        "`GetObject` is not an action: write `service:Action`",
    );
    check(
        &[
            "simulate",
            "--action",
            "s3:GetObject",
            "--snapshot",
            "small.json",
        ],
        2,
        "`simulate` needs `--principal` and `--action` (or `--batch`)",
    );
    check(
        &["simulate", "--batch", "missing.jsonl"],
        3,
        "cannot read `missing.jsonl`",
    );
    // A policy file that is not JSON: file, line and column.
    env.file("bad-policy.json", "{\n  \"Statement\": [\n");
    check(
        &[
            "simulate",
            "--principal",
            "arn:aws:iam::123456789012:user/x",
            "--action",
            "s3:GetObject",
            "--policy",
            "bad-policy.json",
        ],
        3,
        "`bad-policy.json`:3:0: EOF while parsing a list",
    );
}

/// The account id of a test account, shown as a fixed one so table
/// snapshots do not depend on it.
fn fixed_account(env: &Env, text: &str) -> String {
    text.replace(&env.account, "123456789012")
}

#[tokio::test]
async fn simulate_and_who_can_tables() {
    let env = Env::new().await;
    build_account(&env);
    env.ok(&["account", "snapshot", "-o", "snap.json"]);
    let alice = user(&env, "alice");
    let mut transcript = String::new();
    for args in [
        vec![
            "simulate",
            "--principal",
            alice.as_str(),
            "--action",
            "s3:GetObject",
            "--action",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::team-data/secret/plans",
            "--snapshot",
            "snap.json",
        ],
        vec![
            "simulate",
            "--principal",
            "deployer",
            "--action",
            "s3:PutObject",
            "--action",
            "s3:DeleteObject",
            "--resource",
            "arn:aws:s3:::team-data/x",
            "--snapshot",
            "snap.json",
        ],
        vec![
            "simulate",
            "--principal",
            "alice",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::office/plan.txt",
            "--snapshot",
            "snap.json",
        ],
    ] {
        let o = env.ok(&args);
        transcript.push_str(&format!("$ iamctl {}\n{}", args.join(" "), o.stdout));
    }
    insta::assert_snapshot!("simulate_table", fixed_account(&env, &transcript));

    let o = env.ok(&[
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::team-data/key",
        "--snapshot",
        "snap.json",
    ]);
    let iam = env.ok(&["who-can", "iam:*", "--snapshot", "snap.json"]);
    insta::assert_snapshot!(
        "who_can_table",
        format!(
            "stdout:\n{}stderr:\n{}\niam:*:\n{}stderr:\n{}",
            o.stdout, o.stderr, iam.stdout, iam.stderr
        )
    );
}

/// `simulate --help` says the policies come "from --policy/--boundary/...
/// files (no AWS call)", but a request with only `--resource-policy` (or only
/// `--scp`/`--rcp`) files still reads the live account.
#[tokio::test]
async fn simulate_with_only_a_resource_policy_file_needs_no_account() {
    let env = Env::new().await;
    env.file(
        "bucket.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Alice", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#,
    );
    let mut args = vec![
        "simulate",
        "--principal",
        "arn:aws:iam::123456789012:user/alice",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--resource-account",
        "123456789012",
        "--resource-policy",
        "bucket.json",
        "--output",
        "json",
    ];
    args.extend_from_slice(OFFLINE);
    let out = env.ok(&args).json();
    assert_eq!(out["decision"], "allowed", "{out}");
    assert_eq!(out["matchedStatements"][0]["sid"], "Alice");
}

/// `who-can` and `access` on a KMS key whose policy the snapshot does not
/// hold: the answer says it assumed the default key policy ("The default key
/// policy enables IAM policies.", KMS developer guide, key-policies).
#[tokio::test]
async fn a_key_policy_not_in_the_snapshot_is_an_assumption_said_aloud() {
    let env = Env::new().await;
    let snap = json!({
        "UserDetailList": [{"Path": "/", "UserName": "kim", "Arn": "arn:aws:iam::123456789012:user/kim",
            "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
            "UserPolicyList": [{"PolicyName": "k", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": []
    });
    env.file("kms.json", &snap.to_string());
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut args = vec![
        "who-can",
        "kms:Decrypt",
        key,
        "--snapshot",
        "kms.json",
        "--output",
        "json",
    ];
    args.extend_from_slice(OFFLINE);
    let out = env.ok(&args).json();
    let assumed = out[0]["actions"][0]["assumed"].as_str().unwrap_or_default();
    assert!(
        assumed.contains(key) && assumed.contains("default key policy"),
        "{out:#}"
    );
    args.retain(|a| *a != "--output" && *a != "json");
    let text = env.ok(&args).stdout;
    assert!(text.contains("assumed: the policy of KMS key"), "{text}");
    // Given the key policy, nothing is assumed (and it decides: it names
    // nobody, so kim's IAM policy has no effect).
    env.file(
        "key-policy.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/other"}, "Action": "kms:*", "Resource": "*"}]})
        .to_string(),
    );
    let mut given = vec![
        "who-can",
        "kms:Decrypt",
        key,
        "--snapshot",
        "kms.json",
        "--resource-policy",
        "key-policy.json",
        "--output",
        "json",
    ];
    given.extend_from_slice(OFFLINE);
    assert_eq!(env.ok(&given).json(), json!([]));
    // S3 needs no assumption.
    let mut s3 = vec![
        "who-can",
        "s3:GetObject",
        "--snapshot",
        "kms.json",
        "--output",
        "json",
    ];
    s3.extend_from_slice(OFFLINE);
    assert_eq!(env.ok(&s3).json(), json!([]));
    let mut access = vec![
        "access",
        "kim",
        "--snapshot",
        "kms.json",
        "--output",
        "json",
    ];
    access.extend_from_slice(OFFLINE);
    let out = env.ok(&access).json();
    assert!(
        out["assumptions"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("KMS key policies: not in the snapshot"),
        "{out:#}"
    );
}
