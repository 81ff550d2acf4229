//! `iamctl escalation` on an account built in moto, read back with `account
//! snapshot`: a case per method family, a two-hop path, and condition- and
//! resource-restricted non-cases.

use crate::harness::Env;
use serde_json::{json, Value};

fn doc(statements: Value) -> String {
    serde_json::to_string_pretty(&json!({"Version": "2012-10-17", "Statement": statements}))
        .unwrap()
}

fn build(env: &Env) {
    let a = &env.account;
    let arn = |kind: &str, name: &str| format!("arn:aws:iam::{a}:{kind}/{name}");
    let policy = |name: &str, statements: Value| {
        let f = env.file(&format!("{name}.json"), &doc(statements));
        env.ok(&["policy", "create", name, "--document", &f]);
    };
    let inline = |user: &str, statements: Value| {
        let f = env.file(&format!("{user}-inline.json"), &doc(statements));
        env.ok(&["user", "put-policy", user, "inline", "--document", &f]);
    };
    let role = |name: &str, trust: Value, attach: &str| {
        let f = env.file(&format!("{name}-trust.json"), &doc(trust));
        env.ok(&["role", "create", name, "--trust", &f, "--attach", attach]);
    };
    policy(
        "all",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    );
    policy(
        "nothing",
        json!([{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]),
    );
    env.ok(&["user", "create", "boss", "--attach", "all"]);
    // iam-001: a new version of its own policy.
    policy(
        "team-dev",
        json!([{"Sid": "OwnPolicy", "Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": arn("policy", "team-dev")}]),
    );
    env.ok(&["user", "create", "alice", "--attach", "team-dev"]);
    // iam-002: keys for the administrator.
    env.ok(&["user", "create", "bob"]);
    inline(
        "bob",
        json!([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": arn("user", "boss")}]),
    );
    // Two hops through sts:AssumeRole.
    env.ok(&["user", "create", "carol"]);
    inline(
        "carol",
        json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", "ci")}]),
    );
    role(
        "ci",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("user", "carol")}, "Action": "sts:AssumeRole"}]),
        "nothing",
    );
    let f = env.file(
        "ci-inline.json",
        &doc(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", "top")}])),
    );
    env.ok(&["role", "put-policy", "ci", "hop", "--document", &f]);
    role(
        "top",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("role", "ci")}, "Action": "sts:AssumeRole"}]),
        "all",
    );
    // ec2-001: PassRole to EC2.
    role(
        "ec2-admin",
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        "all",
    );
    env.ok(&["user", "create", "dave"]);
    inline(
        "dave",
        json!([{"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "ec2-admin")},
               {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]),
    );
    // lambda-003: an existing function, if one runs as the role.
    role(
        "fn-admin",
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        "all",
    );
    env.ok(&["user", "create", "erin"]);
    inline(
        "erin",
        json!([{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "*"}]),
    );
    // iam-011: its own group's inline policy.
    policy(
        "devs-self",
        json!([{"Effect": "Allow", "Action": "iam:PutGroupPolicy", "Resource": arn("group", "devs")}]),
    );
    env.ok(&["group", "create", "devs"]);
    env.ok(&["group", "attach", "devs", "devs-self"]);
    env.ok(&["user", "create", "frank", "--group", "devs"]);
    // iam-013 then act: pat joins `sre` (iam:*, not every permission), then
    // writes itself an administrator policy with the group's iam:*.
    policy(
        "sre-power",
        json!([{"Effect": "Allow", "Action": ["iam:*", "ec2:*", "s3:*"], "Resource": "*"}]),
    );
    env.ok(&["group", "create", "sre"]);
    env.ok(&["group", "attach", "sre", "sre-power"]);
    env.ok(&["user", "create", "pat"]);
    inline(
        "pat",
        json!([{"Effect": "Allow", "Action": "iam:AddUserToGroup", "Resource": arn("group", "sre")}]),
    );
    // Non-cases: a harmless policy only; own keys only; a role whose trust
    // does not name it.
    env.ok(&["user", "create", "gina"]);
    inline(
        "gina",
        json!([{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": arn("user", "gina"),
            "Condition": {"ArnEquals": {"iam:PolicyARN": arn("policy", "nothing")}}}]),
    );
    env.ok(&["user", "create", "hank"]);
    inline(
        "hank",
        json!([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": format!("arn:aws:iam::{a}:user/${{aws:username}}")}]),
    );
    env.ok(&["user", "create", "judy"]);
    inline(
        "judy",
        json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", "top")}]),
    );
}

#[tokio::test]
async fn escalation_on_a_snapshot_of_an_account_built_in_moto() {
    let env = Env::new().await;
    build(&env);
    env.ok(&["account", "snapshot", "-o", "snap.json", "--local-only"]);
    let snap = env.path("snap.json").display().to_string();
    let out = env.ok(&["escalation", "--snapshot", &snap, "--output", "json"]);
    let v = out.json();
    let a = &env.account;
    let path = |user: &str| -> Option<Value> {
        v["paths"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["principal"] == format!("arn:aws:iam::{a}:user/{user}"))
            .cloned()
    };
    let first = |user: &str| {
        path(user).unwrap_or_else(|| panic!("{user} escalates: {v:#}"))["steps"][0].clone()
    };
    assert_eq!(first("alice")["method"], "iam-001");
    assert!(first("alice")["statement"]
        .as_str()
        .unwrap()
        .contains("OwnPolicy"));
    assert_eq!(first("bob")["action"], "iam:CreateAccessKey");
    let carol = path("carol").expect("carol");
    let hops: Vec<&str> = carol["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        hops,
        [
            format!("arn:aws:iam::{a}:role/ci"),
            format!("arn:aws:iam::{a}:role/top")
        ]
    );
    assert_eq!(first("dave")["method"], "ec2-001");
    let erin = path("erin").expect("erin");
    assert_eq!(erin["ifResourceExists"], true);
    assert_eq!(first("frank")["method"], "iam-011");
    for user in ["gina", "hank", "judy", "boss"] {
        assert!(path(user).is_none(), "{user}: {v:#}");
    }
    let pat = path("pat").expect("pat joins sre, then acts");
    let actions: Vec<&str> = pat["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "iam:AddUserToGroup", "{pat:#}");
    assert_eq!(actions.len(), 2, "{pat:#}");
    assert!(pat["steps"][1]["statement"]
        .as_str()
        .unwrap()
        .contains("sre-power"));
    // Markdown for a pull-request comment: each path a mermaid graph.
    let out = env.ok(&[
        "escalation",
        "--snapshot",
        &snap,
        "--principal",
        "pat",
        "--format",
        "markdown",
    ]);
    assert!(
        out.stdout.contains("```mermaid\nflowchart LR\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("n1[\"user pat in group sre\"]"),
        "{}",
        out.stdout
    );
    // The table names each step; one principal and a target narrow it.
    let out = env.ok(&["escalation", "--snapshot", &snap, "--principal", "carol"]);
    assert!(
        out.stdout.contains("user carol can become admin"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("sts:AssumeRole on"), "{}", out.stdout);
    let out = env.ok(&[
        "escalation",
        "--snapshot",
        &snap,
        "--principal",
        "carol",
        "--to",
        "ci",
        "--output",
        "json",
    ]);
    assert_eq!(out.json()["paths"][0]["steps"].as_array().unwrap().len(), 1);
    // An SCP that denies CreatePolicyVersion closes alice's path.
    let scp = env.file(
        "scp.json",
        &doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"}])),
    );
    let out = env.ok(&[
        "escalation",
        "--snapshot",
        &snap,
        "--scp",
        &scp,
        "--output",
        "json",
    ]);
    let under_scp = out.json();
    assert!(
        !under_scp["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["principal"] == format!("arn:aws:iam::{a}:user/alice")),
        "{under_scp:#}"
    );
    // Unknown principal: invalid input.
    env.fails(
        &["escalation", "--snapshot", &snap, "--principal", "nobody"],
        3,
    );
}
