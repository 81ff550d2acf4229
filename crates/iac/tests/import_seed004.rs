//! Seed 004's example as an import fixture (issue 8.1): its grants applied
//! (with `apply_to_snapshot`) to accounts holding the users and role the seed
//! requires, then imported, written, read back and planned again: nothing
//! to change, in the permanent grants' account and in the temporary one's.

use std::collections::HashMap;
use std::path::PathBuf;

use iamctl_config::*;
use iamctl_iac::import::{import, Options};
use iamctl_iac::memory::after_changes;
use iamctl_iac::plan::{plan, ActualAccount, Change, PlanOptions};
use serde_json::{json, Value};

/// Before the seed's temporary grant ends (2025-11-30).
fn now() -> jiff::Timestamp {
    "2025-11-28T09:00:00Z".parse().expect("timestamp")
}

fn seed004() -> Config {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac/seed004");
    let (c, ds) = check(&dir, now());
    assert!(ds.iter().all(|d| !d.is_error()), "{ds:?}");
    c
}

/// The AWS-managed policies the seed grants, as their default versions
/// (shortened: what matters is that plan and import see the same).
fn sources() -> HashMap<String, Value> {
    HashMap::from([
        (
            "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"}]}),
        ),
        (
            "arn:aws:iam::aws:policy/PowerUserAccess".to_owned(),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Resource": "*"}]}),
        ),
    ])
}

/// An account with the seed's principals, made by hand (not iamctl's).
fn account(id: &str) -> Value {
    let user = |name: &str| {
        json!({"UserName": name, "Path": "/", "Arn": format!("arn:aws:iam::{id}:user/{name}"),
               "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": []})
    };
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{id}:oidc-provider/token.actions.githubusercontent.com")},
        "Action": "sts:AssumeRoleWithWebIdentity"}]});
    json!({
        "UserDetailList": [user("user1"), user("user2"), user("developer")],
        "GroupDetailList": [],
        "RoleDetailList": [{"RoleName": "github-actions-deployer", "Path": "/",
            "Arn": format!("arn:aws:iam::{id}:role/github-actions-deployer"),
            "AssumeRolePolicyDocument": trust, "RolePolicyList": [], "AttachedManagedPolicies": []}],
        "Policies": [],
    })
}

/// The tags `CreatePolicy`/`TagPolicy` give, as `ListPolicyTags` would; and
/// descriptions, as GetAccountAuthorizationDetails shows them.
fn policy_tags(changes: &[Change], snapshot: &mut Value, tags: &mut HashMap<String, Tags>) {
    for c in changes {
        match c {
            Change::CreatePolicy {
                arn,
                tags: t,
                description,
                ..
            } => {
                tags.insert(arn.clone(), t.clone());
                let policies = snapshot["Policies"].as_array_mut().expect("policies");
                if let (Some(d), Some(p)) =
                    (description, policies.iter_mut().find(|p| p["Arn"] == *arn))
                {
                    p["Description"] = json!(d);
                }
            }
            Change::TagPolicy { arn, tags: t } => {
                tags.entry(arn.clone()).or_default().extend(t.clone());
            }
            _ => {}
        }
    }
}

/// Applies `config`'s environment to its account; the state after, with the
/// AWS-managed policies attached listed as GetAccountAuthorizationDetails
/// lists them.
fn applied(config: &Config, env: &str) -> (DesiredAccount, Value, HashMap<String, Tags>) {
    let desired = desired_state(config, env, now()).expect("environment");
    let before = account(&desired.account_id);
    let actual = ActualAccount::from_snapshot(&typed(&before), &HashMap::new());
    let p = plan(&desired, &actual, &sources(), &PlanOptions::default());
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    assert!(!p.changes.is_empty());
    let mut after = apply_to_snapshot(&before, &p.changes, &desired.account_id);
    let mut tags = HashMap::new();
    policy_tags(&p.changes, &mut after, &mut tags);
    let text = after.to_string();
    for (arn, doc) in sources() {
        if text.contains(&format!("\"{arn}\"")) {
            after["Policies"].as_array_mut().expect("policies").push(json!({
                "PolicyName": arn.rsplit('/').next(), "Path": "/", "Arn": arn,
                "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}]}));
        }
    }
    (desired, after, tags)
}

fn materialise(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Imports the account of `env` after the seed was applied, and plans the
/// import against it.
fn import_plans_nothing(env: &str) -> Config {
    let (desired, snapshot, tags) = applied(&seed004(), env);
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let o = Options {
        env: env.into(),
        team: "imported".into(),
        account_id: desired.account_id.clone(),
        deployer_role: None,
        now: now(),
        role_settings: Default::default(),
    };
    let imported = import(&actual, &typed(&snapshot), &o);
    assert_eq!(imported.warnings, vec![]);
    let files = imported.files();
    let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    let dir = materialise(&files);
    let (back, ds) = check(dir.path(), now());
    assert!(ds.iter().all(|d| !d.is_error()), "{ds:?}\n{shown}");
    let again = desired_state(&back, env, now()).expect("environment");
    // AWS-managed policies attached to nothing are read as plan reads them
    // (GetPolicy, GetPolicyVersion): the sources.
    let p = plan(&again, &actual, &sources(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(changes, Vec::<String>::new(), "{shown}");
    assert_eq!(p.conflicts, Vec::<String>::new(), "{shown}");
    assert_eq!(p.warnings, Vec::<String>::new(), "{shown}");
    back
}

#[test]
fn seed004_nonprod_imports_and_plans_no_changes() {
    let back = import_plans_nothing("nonprod");
    let team = &back.teams["example-team"];
    // The seed's own policy comes back to its team, under its key.
    let key = &team.policies["developers.read-only"];
    assert!(!key.existing);
    assert_eq!(key.custom_statements.len(), 1);
    assert_eq!(
        key.description.as_ref().map(|d| d.value.as_str()),
        Some("Read Only access for developers")
    );
    let grants: Vec<&str> = team
        .permanent
        .iter()
        .flat_map(|g| g.grants.iter().map(|k| k.value.as_str()))
        .collect();
    assert_eq!(grants, ["developers.read-only"]);
    // The principals the seed requires are the import team's `existing` ones.
    let imported = &back.teams["imported"];
    for u in ["user1", "user2", "developer"] {
        assert!(imported.users[u].existing, "{u}");
    }
    assert!(imported.roles["github-actions-deployer"].existing);
    assert!(imported.policies.contains_key("aws.PowerUserAccess"));
}

#[test]
fn seed004_prod_temporary_grant_comes_back() {
    let back = import_plans_nothing("prod");
    let team = &back.teams["example-team"];
    assert_eq!(team.temporary.len(), 1, "{:?}", team.temporary);
    let g = &team.temporary[0];
    assert_eq!(g.user.as_ref().expect("user").value, "developer");
    assert_eq!(g.grant.as_ref().expect("grant").value, "dev.break-glass");
    assert_eq!(
        g.expiration_date.as_ref().expect("until").value,
        "2025-11-30"
    );
    let key = &team.policies["dev.break-glass"];
    assert_eq!(
        key.managed_policies[0].value,
        "arn:aws:iam::aws:policy/PowerUserAccess"
    );
}

/// The snapshot as iamctl reads it.
fn typed(v: &serde_json::Value) -> iamctl_policy::snapshot::Snapshot {
    iamctl_policy::snapshot::Snapshot::from_value(v).expect("a snapshot")
}

/// The account `before` describes once `changes` are made, as the memory
/// backend makes them.
fn apply_to_snapshot(
    before: &serde_json::Value,
    changes: &[iamctl_iac::plan::Change],
    account: &str,
) -> serde_json::Value {
    after_changes(&typed(before), changes, account).to_value()
}
