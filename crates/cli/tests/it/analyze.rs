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
