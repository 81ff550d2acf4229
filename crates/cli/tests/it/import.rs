//! `iamctl import`: an account built by hand (iamctl commands and the SDK)
//! and by `apply` is written back as a configuration that validates and that
//! `plan` finds nothing to change in; offline from a snapshot; no overwrite.

use crate::harness::{Env, POLICY};

/// A document with what `custom_statements` must keep: Sids, conditions,
/// NotAction, NotResource, lists of one.
const RICH: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadTeamData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::team-data", "arn:aws:s3:::team-data/*"],
     "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]},
                   "Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "NoIam", "Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::team-data/*"}
  ]
}"#;

/// An IaC team applied first: what iamctl owns must come back as iamctl's.
fn owned_config(env: &Env) -> String {
    let acct = &env.account;
    env.file(
        "cfg/aws-accounts/platform.yaml",
        &format!("aws-accounts:\n  test: \"{acct}\"\n"),
    );
    env.file(
        "cfg/aws-policies/platform.yaml",
        "aws-policies:
  s3-read:
    description: read the data bucket
    custom_statements:
      - sid: Read
        effect: Allow
        actions: [\"s3:GetObject\"]
        resources: [\"arn:aws:s3:::data/*\"]
        conditions:
          StringLike:
            s3:prefix: [\"home/\", \"shared/\"]
  view:
    managed_policies: [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]
",
    );
    env.file(
        "cfg/users/platform.yaml",
        "users:\n  dana@example.com:\n    tags: {cost-centre: \"42\"}\n  erin@example.com: {}\n",
    );
    env.file(
        "cfg/roles/platform.yaml",
        "roles:
  operator:
    description: \"operates: the platform\"
    max_session_duration: 7200
    trust:
      users: [dana@example.com]
      require_mfa: true
",
    );
    env.file(
        "cfg/permanent-access/platform.yaml",
        "permanent-access:
  - users: [dana@example.com]
    roles: [operator]
    environments: [test]
    grants: [s3-read, view]
",
    );
    env.file(
        "cfg/temporary-access/platform.yaml",
        "temporary-access:
  - expiration_date: 2026-03-24
    user: erin@example.com
    environment: test
    grant: s3-read
",
    );
    env.path("cfg").display().to_string()
}

#[tokio::test]
async fn import_round_trip_plans_no_changes() {
    let env = Env::new().await;
    let acct = env.account.clone();
    // By hand with iamctl: nothing of this carries `iamctl:team`.
    let reader = env.file("reader.json", POLICY);
    env.ok(&["policy", "create", "reader", "--document", &reader]);
    env.ok(&["group", "create", "devs"]);
    env.ok(&[
        "user",
        "create",
        "alice",
        "--tag",
        "team=data",
        "--attach",
        "reader",
        "--group",
        "devs",
    ]);
    env.ok(&[
        "user", "create", "bob", "--path", "/team/", "--group", "devs",
    ]);
    env.ok(&["group", "attach", "devs", "ReadOnlyAccess"]);
    env.ok(&[
        "role",
        "create",
        "app",
        "--trust-principal",
        &format!("arn:aws:iam::{acct}:root"),
        "--require-mfa",
        "--attach",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]);
    // Through the SDK: a policy with a path and a rich document, an inline
    // policy, a role trusting a service.
    env.iam
        .create_policy()
        .policy_name("rich")
        .path("/legacy/")
        .policy_document(RICH)
        .send()
        .await
        .expect("CreatePolicy");
    let rich_arn = format!("arn:aws:iam::{acct}:policy/legacy/rich");
    env.iam
        .create_role()
        .role_name("lambda-runner")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("CreateRole");
    env.iam
        .attach_role_policy()
        .role_name("lambda-runner")
        .policy_arn(&rich_arn)
        .send()
        .await
        .expect("AttachRolePolicy");
    env.iam
        .put_user_policy()
        .user_name("bob")
        .policy_name("extra")
        .policy_document(POLICY)
        .send()
        .await
        .expect("PutUserPolicy");
    // And an IaC team of its own.
    let cfg = owned_config(&env);
    env.ok(&["apply", &cfg, "--yes"]);
    env.ok(&["plan", &cfg, "--detailed-exitcode"]);

    let out = env.path("imported").display().to_string();
    let o = env.ok(&["import", "--env", "test", "-o", &out]);
    assert!(o.stderr.contains("imported account"), "{}", o.stderr);
    let read = |rel: &str| {
        std::fs::read_to_string(env.path("imported").join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    // The files are the configuration model, written by the config crate.
    let (model, diags) = iamctl_config::load(&env.path("imported"));
    assert!(diags.is_empty(), "{diags:?}");
    let team = |t: &str| model.teams.get(t).unwrap_or_else(|| panic!("team {t}"));
    // Ownership: hand-made things are `existing`, the team's are its own.
    let imported = team("imported");
    assert!(imported.users["alice"].existing);
    assert_eq!(
        imported.users["bob"].path.as_ref().map(|p| p.as_str()),
        Some("/team/")
    );
    let users = read("users/imported.yaml");
    assert!(users.contains("  alice:\n    existing: true"), "{users}");
    let dana = &team("platform").users["dana"];
    assert_eq!(dana.key.as_str(), "dana@example.com");
    assert!(!dana.existing);
    let tags: Vec<(&str, &str)> = dana
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(tags, [("cost-centre", "42")]);
    let rich = &imported.policies["rich"];
    assert!(rich.existing);
    assert_eq!(rich.name.as_ref().map(|n| n.as_str()), Some("rich"));
    assert_eq!(rich.path.as_ref().map(|n| n.as_str()), Some("/legacy/"));
    let sts = &rich.custom_statements;
    assert_eq!(sts.len(), 2);
    assert_eq!(sts[1].sid.as_ref().map(|s| s.as_str()), Some("NoIam"));
    assert_eq!(sts[1].not_actions[0].as_str(), "s3:*");
    assert_eq!(
        sts[0]
            .conditions
            .as_ref()
            .map(|c| c.value["StringEquals"]["aws:RequestedRegion"].clone()),
        Some(serde_json::json!(["eu-west-1", "us-east-1"]))
    );
    let platform = team("platform");
    assert!(platform.policies.contains_key("s3-read"));
    assert!(platform.policies.values().all(|p| !p.existing));
    let operator = &platform.roles["operator"];
    assert!(operator.trust.as_ref().is_some_and(|t| t.require_mfa));
    // Not in GetAccountAuthorizationDetails: read with GetRole.
    assert_eq!(
        operator.description.as_ref().map(|d| d.as_str()),
        Some("operates: the platform")
    );
    assert_eq!(
        operator.max_session_duration.as_ref().map(|m| m.value),
        Some(7200)
    );
    let temporary = &platform.temporary;
    assert_eq!(temporary.len(), 1, "{temporary:?}");
    assert_eq!(temporary[0].user.as_ref().map(|u| u.as_str()), Some("erin"));
    let members: Vec<&str> = imported.groups["devs"]
        .members
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert_eq!(members, ["alice", "bob"]);
    let accounts = read("aws-accounts/imported.yaml");
    assert_eq!(
        accounts.lines().last(),
        Some(format!("  test: \"{acct}\"").as_str()),
        "{accounts}"
    );

    env.ok(&["validate", &out]);
    let plan = env.run(&["plan", &out, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("no changes"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("warning"), "{}", plan.stdout);

    // The imported configuration is a working one: move a grant and the
    // plan attaches it; a policy that is not iamctl's is never detached from
    // a user that is not iamctl's either, and nothing is created.
    let access = read("permanent-access/imported.yaml");
    let without = access.replace("    users:\n      - alice\n", "    users:\n      - bob\n");
    assert_ne!(access, without, "{access}");
    std::fs::write(env.path("imported/permanent-access/imported.yaml"), without).expect("write");
    let plan = env.run(&["plan", &out, "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(!plan.stdout.contains("detach"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("attach reader to user bob"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("create"), "{}", plan.stdout);
}

#[tokio::test]
async fn import_from_a_snapshot_is_offline() {
    let env = Env::new().await;
    let acct = env.account.clone();
    let reader = env.file("reader.json", POLICY);
    env.ok(&["policy", "create", "reader", "--document", &reader]);
    env.ok(&["user", "create", "alice", "--attach", "reader"]);
    env.ok(&[
        "role",
        "create",
        "ops",
        "--trust-principal",
        &acct,
        "--attach",
        "ReadOnlyAccess",
    ]);
    let snap = env.path("account.json").display().to_string();
    env.ok(&["account", "snapshot", "-o", &snap]);
    let out = env.path("offline").display().to_string();
    // No credentials and no endpoint: any AWS call would fail.
    let o = env.run_env(
        &[
            "import",
            "--env",
            "dev",
            "-o",
            &out,
            "--snapshot",
            &snap,
            "--team",
            "ops",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_ENDPOINT_URL", Some("http://127.0.0.1:9")),
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let accounts =
        std::fs::read_to_string(env.path("offline/aws-accounts/ops.yaml")).expect("accounts");
    assert!(accounts.contains(&format!("dev: \"{acct}\"")), "{accounts}");
    let policies =
        std::fs::read_to_string(env.path("offline/aws-policies/ops.yaml")).expect("policies");
    assert!(
        policies.contains("  reader:\n    name: reader\n    existing: true"),
        "{policies}"
    );
    assert!(policies.contains("\n  aws.ReadOnlyAccess:\n"), "{policies}");
    env.ok(&["validate", &out]);
    // The same account, read live: nothing to change.
    let plan = env.run(&["plan", &out, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[tokio::test]
async fn import_refuses_a_directory_that_is_not_empty() {
    let env = Env::new().await;
    env.file("full/notes.txt", "mine\n");
    let out = env.path("full").display().to_string();
    let before = env.state().await;
    let o = env.fails(&["import", "--env", "test", "-o", &out], 3);
    assert!(o.stderr.contains("is not empty"), "{}", o.stderr);
    assert!(!env.path("full/aws-accounts").exists());
    assert_eq!(
        std::fs::read_to_string(env.path("full/notes.txt")).expect("kept"),
        "mine\n"
    );
    // With --force it writes, and leaves other files alone.
    env.ok(&["import", "--env", "test", "-o", &out, "--force"]);
    assert!(env.path("full/aws-accounts/imported.yaml").exists());
    assert!(env.path("full/notes.txt").exists());
    assert_eq!(env.state().await, before);
    // A bad account id is refused before anything is read.
    env.fails(
        &[
            "import",
            "--env",
            "test",
            "-o",
            &env.path("x").display().to_string(),
            "--account",
            "12",
        ],
        3,
    );
}
