//! Identity Center as code against moto (through the harness's shim, which
//! adds the calls moto lacks): the contract files applied, checked
//! through the SDK; a second plan has no changes; cleanup after the expiry
//! removes the temporary permission set and its assignment; what was made
//! by hand survives; bad input exits 3 at its file, line and column.

use aws_sdk_identitystore::types::MemberId;
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};

use crate::harness::*;

mod instance;
use instance::Instance;

fn contract(mgmt: &str, prod: &str) -> Vec<(&'static str, String)> {
    vec![
        ("settings.yaml", "settings:\n  identity_center:\n    account: management\n    region: us-east-1\n    identity_source: directory\n".into()),
        ("aws-accounts/data.yaml", format!("aws-accounts:\n  management: \"{mgmt}\"\n  prod: \"{prod}\"\n")),
        ("aws-policies/data.yaml", "aws-policies:\n  platform.boto3:\n    custom_statements:\n      - effect: Allow\n        actions: [\"iam:CreateRole\", \"iam:CreateUser\", \"iam:CreatePolicy\", \"iam:AttachRolePolicy\"]\n        resources: [\"*\"]\n      - effect: Allow\n        actions: [\"s3:CreateBucket\", \"s3:PutObject\"]\n        resources: [\"*\"]\n".into()),
        ("identity-center/data.yaml", "identity-center:\n  users:\n    bert@example.com: {given_name: Bert, family_name: Example, display_name: Bert Example}\n  groups:\n    data-engineers:\n      description: Data team\n      members: [bert@example.com]\n  permission-sets:\n    boto3:\n      description: Seed 001's boto3 permission set\n      session_duration: 1h\n      grants: [platform.boto3]\n      permissions_boundary: arn:aws:iam::aws:policy/PowerUserAccess\n".into()),
        ("permanent-access/data.yaml", "permanent-access:\n  - description: Data team reads prod\n    sso_groups: [data-engineers]\n    sso_users: [carol@example.com]\n    environments: [prod]\n    permission_set: boto3\n".into()),
        ("temporary-access/data.yaml", "temporary-access:\n  - description: Bert debugs prod\n    expiration_date: 2026-12-10T18:00:00Z\n    sso_user: bert@example.com\n    environment: prod\n    permission_set: boto3\n".into()),
    ]
}

const BEFORE: &str = "2026-12-08T00:00:00Z";
const AFTER: &str = "2026-12-10T18:00:01Z";

#[tokio::test(flavor = "multi_thread")]
async fn the_contract_applies_converges_and_cleans_up_after_expiry() {
    let env = Env::new().await;
    let (mgmt, prod) = (next_account(), next_account());
    for (rel, text) in contract(&mgmt, &prod) {
        env.file(&format!("cfg/{rel}"), &text);
    }
    let ic = Instance::new(&env.endpoint, &mgmt).await;
    // By hand: carol (the contract references her), and a permission set
    // of someone else's, assigned to her in prod.
    let carol = ic
        .store
        .create_user()
        .identity_store_id(&ic.store_id)
        .user_name("carol@example.com")
        .display_name("Carol")
        .name(
            aws_sdk_identitystore::types::Name::builder()
                .given_name("Carol")
                .family_name("Example")
                .build(),
        )
        .send()
        .await
        .expect("CreateUser")
        .user_id()
        .to_owned();
    let ops = ic
        .admin
        .create_permission_set()
        .instance_arn(&ic.arn)
        .name("ops")
        .send()
        .await
        .expect("CreatePermissionSet")
        .permission_set()
        .and_then(|p| p.permission_set_arn())
        .expect("arn")
        .to_owned();
    ic.admin
        .create_account_assignment()
        .instance_arn(&ic.arn)
        .target_id(&prod)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(&ops)
        .principal_type(PrincipalType::User)
        .principal_id(&carol)
        .send()
        .await
        .expect("CreateAccountAssignment");

    let o = env.ok(&[
        "plan",
        &env.path("cfg").display().to_string(),
        "--at",
        BEFORE,
    ]);
    let gains = format!("bert@example.com gains in prod ({prod}) via boto3-2612101800 (temporary, until 2026-12-10T18:00:00Z): ");
    assert!(o.stdout.contains(&gains), "{}", o.stdout);
    assert!(
        o.stdout.contains(&format!(
            "carol@example.com gains in prod ({prod}) via boto3: "
        )),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("through group data-engineers"),
        "{}",
        o.stdout
    );
    // ListInstances; ListUsers, ListGroups, ListPermissionSets; 7 for the
    // one set (ops); ListAccountAssignments for (ops, prod).
    assert!(
        o.stderr
            .contains("in 12 request(s): 1 users, 0 groups, 1 permission sets, 1 assignments"),
        "{}",
        o.stderr
    );

    // The saved plan is applied: its Identity Center part is a fresh plan's.
    let saved = env.path("plan.json").display().to_string();
    env.ok(&[
        "plan",
        &env.path("cfg").display().to_string(),
        "--at",
        BEFORE,
        "--out",
        &saved,
    ]);
    env.ok(&[
        "apply",
        &env.path("cfg").display().to_string(),
        "--yes",
        "--at",
        BEFORE,
        "--plan",
        &saved,
    ]);
    // Once applied, the same saved plan is refused (here by its IAM part: the
    // accounts' lock left them changed).
    let o = env.fails(
        &[
            "apply",
            &env.path("cfg").display().to_string(),
            "--yes",
            "--at",
            BEFORE,
            "--plan",
            &saved,
        ],
        1,
    );
    assert!(o.stderr.contains("nothing was applied"), "{}", o.stderr);
    let sets = ic.sets().await;
    let names: Vec<&str> = sets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, vec!["boto3", "boto3-2612101800", "ops"]);
    let tag = |i: usize, k: &str| {
        sets[i]
            .2
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(tag(0, "managed-by").as_deref(), Some("iamctl"));
    assert_eq!(
        tag(1, "iamctl:expires").as_deref(),
        Some("2026-12-10T18:00:00Z")
    );
    assert_eq!(tag(2, "managed-by"), None);
    let (bert, bert_type) = ic.user_id("bert@example.com").await;
    assert_eq!(bert_type.as_deref(), Some("managed-by=iamctl"));
    let groups = ic
        .store
        .list_groups()
        .identity_store_id(&ic.store_id)
        .send()
        .await
        .expect("ListGroups");
    let group = groups
        .groups()
        .iter()
        .find(|g| g.display_name() == Some("data-engineers"))
        .expect("group");
    let members = ic
        .store
        .list_group_memberships()
        .identity_store_id(&ic.store_id)
        .group_id(group.group_id())
        .send()
        .await
        .expect("ListGroupMemberships");
    assert_eq!(
        members
            .group_memberships()
            .iter()
            .filter_map(|m| m.member_id().cloned())
            .collect::<Vec<_>>(),
        vec![MemberId::UserId(bert.clone())]
    );
    let mut on_boto3 = ic.assignments(&prod, &sets[0].1).await;
    on_boto3.sort();
    assert_eq!(on_boto3.len(), 2, "{on_boto3:?}");
    assert!(on_boto3.contains(&(PrincipalType::User, carol.clone())));
    assert!(on_boto3.contains(&(PrincipalType::Group, group.group_id().to_owned())));
    assert_eq!(
        ic.assignments(&prod, &sets[1].1).await,
        vec![(PrincipalType::User, bert.clone())]
    );
    let inline = ic
        .admin
        .get_inline_policy_for_permission_set()
        .instance_arn(&ic.arn)
        .permission_set_arn(&sets[1].1)
        .send()
        .await
        .expect("GetInlinePolicyForPermissionSet");
    assert!(inline
        .inline_policy()
        .unwrap_or_default()
        .contains("IamctlExpired"));

    // A second plan: no changes.
    env.ok(&[
        "plan",
        &env.path("cfg").display().to_string(),
        "--at",
        BEFORE,
        "--detailed-exitcode",
    ]);

    // After the expiry: cleanup removes the copy and its assignment only.
    let o = env.ok(&[
        "--output",
        "json",
        "cleanup",
        &env.path("cfg").display().to_string(),
        "--yes",
        "--at",
        AFTER,
    ]);
    let done = o.json()["identity_center"]["done"].clone();
    assert_eq!(done.as_array().map(Vec::len), Some(2), "{done}");
    let names: Vec<String> = ic.sets().await.into_iter().map(|s| s.0).collect();
    assert_eq!(names, vec!["boto3", "ops"]);
    assert_eq!(
        ic.assignments(&prod, &ops).await,
        vec![(PrincipalType::User, carol)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_3_at_its_place_and_reads_nothing() {
    let env = Env::new().await;
    let (mgmt, prod) = (next_account(), next_account());
    for (rel, text) in contract(&mgmt, &prod) {
        env.file(
            &format!("cfg/{rel}"),
            &text.replace("session_duration: 1h", "session_duration: 13h"),
        );
    }
    let o = env.fails(
        &[
            "plan",
            &env.path("cfg").display().to_string(),
            "--at",
            BEFORE,
        ],
        3,
    );
    assert!(
        o.stderr.contains("identity-center/data.yaml:11:"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("read Identity Center"), "{}", o.stderr);
}

/// Seed 001 through Identity Center (`examples/iac/seed001-identity-center`):
/// the boto3 user, the permission set with exactly the seed's inline policy,
/// assigned to the account; a second plan has no changes.
#[tokio::test(flavor = "multi_thread")]
async fn seed001_example_applies_and_a_second_plan_has_no_changes() {
    let env = Env::new().await;
    let sandbox = next_account();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iac/seed001-identity-center");
    for rel in [
        "settings.yaml",
        "identity-center/seed001.yaml",
        "aws-policies/seed001.yaml",
        "permanent-access/seed001.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(rel)).expect("example");
        env.file(&format!("cfg/{rel}"), &text);
    }
    env.file(
        "cfg/aws-accounts/seed001.yaml",
        &format!("aws-accounts:\n  sandbox: \"{sandbox}\"\n"),
    );
    let cfg = env.path("cfg").display().to_string();
    env.ok(&["apply", &cfg, "--yes"]);
    let ic = Instance::new(&env.endpoint, &sandbox).await;
    let sets = ic.sets().await;
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].0, "boto3");
    let inline = ic
        .admin
        .get_inline_policy_for_permission_set()
        .instance_arn(&ic.arn)
        .permission_set_arn(&sets[0].1)
        .send()
        .await
        .expect("GetInlinePolicyForPermissionSet");
    let doc: serde_json::Value =
        serde_json::from_str(inline.inline_policy().expect("inline")).expect("json");
    assert_eq!(
        doc,
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:CreateUser", "iam:CreatePolicy", "iam:AttachRolePolicy"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:PutObject"], "Resource": ["*"]}
        ]})
    );
    let (boto3, _) = ic.user_id("boto3").await;
    assert_eq!(
        ic.assignments(&sandbox, &sets[0].1).await,
        vec![(PrincipalType::User, boto3)]
    );
    env.ok(&["plan", &cfg, "--detailed-exitcode"]);
}

/// With `identity_source: external`, a name missing from the identity store
/// fails plan (exit 1), naming it; nothing is changed.
#[tokio::test(flavor = "multi_thread")]
async fn an_external_name_missing_from_the_store_fails_plan_naming_it() {
    let env = Env::new().await;
    let (mgmt, prod) = (next_account(), next_account());
    for (rel, text) in contract(&mgmt, &prod) {
        let text = match rel {
            "settings.yaml" => text.replace("directory", "external"),
            "identity-center/data.yaml" => {
                "identity-center:\n  permission-sets:\n    boto3:\n      grants: [platform.boto3]\n"
                    .to_owned()
            }
            "permanent-access/data.yaml" => text.replace("    sso_groups: [data-engineers]\n", ""),
            "temporary-access/data.yaml" => continue,
            _ => text,
        };
        env.file(&format!("cfg/{rel}"), &text);
    }
    let cfg = env.path("cfg").display().to_string();
    let o = env.fails(&["plan", &cfg, "--at", BEFORE], 1);
    assert!(
        o.stderr
            .contains("user `carol@example.com` is not in the identity store"),
        "{}",
        o.stderr
    );
    env.fails(&["apply", &cfg, "--yes", "--at", BEFORE], 1);
    let ic = Instance::new(&env.endpoint, &mgmt).await;
    assert!(ic.sets().await.is_empty());
}
