//! Plans, without AWS: a plan applied (by apply, on a memory account seeded
//! from a snapshot) must leave nothing to plan, drift is planned back, removals are planned,
//! and what is not ours is left alone.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::access::access_changes;
use crate::memory::{after_changes, MemoryBackend};
use crate::plan::{cleanup_plan, plan, ActualAccount, Change, PlanOptions};
use iamctl_config::*;

fn now() -> jiff::Timestamp {
    "2026-03-21T11:36:28Z".parse().expect("timestamp")
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iac")
        .join(name)
}

fn empty() -> Value {
    json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []})
}

/// `changes` carried out by apply on a memory account holding `snapshot`
/// (its policies tagged `tags`): the account after, and its policies' tags
/// as `ListPolicyTags` answers them.
fn applied(
    snapshot: &Value,
    tags: &HashMap<String, Tags>,
    changes: &[Change],
    account: &str,
) -> (Value, HashMap<String, Tags>) {
    let b = MemoryBackend::from_snapshot_with(Some(account), &typed(snapshot), tags);
    let refused = b.make_changes(changes);
    assert!(refused.is_empty(), "IAM refuses: {refused:?}");
    (b.snapshot().to_value(), b.policy_tags_by_arn())
}

fn seed001() -> DesiredAccount {
    let (config, diags) = check(&example("seed001"), now());
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    desired_state(&config, "sandbox", now()).expect("sandbox")
}

/// Applies `desired` to `snapshot` and returns the state after.
fn converge(
    desired: &DesiredAccount,
    snapshot: &Value,
    tags: HashMap<String, Tags>,
) -> (Value, HashMap<String, Tags>) {
    let actual = ActualAccount::from_snapshot(&typed(snapshot), &tags);
    let p = plan(desired, &actual, &HashMap::new(), &PlanOptions::default());
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    applied(snapshot, &tags, &p.changes, &desired.account_id)
}

#[test]
fn a_plan_applied_leaves_nothing_to_plan() {
    let d = seed001();
    let actual = ActualAccount::from_snapshot(&typed(&empty()), &HashMap::new());
    let p = plan(&d, &actual, &HashMap::new(), &PlanOptions::default());
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        [
            "create policy platform-deny-iam-user-creation",
            "create policy platform-s3-read-ec2-full",
            "create user alice",
            "create user bob",
            "create user carol",
            "create role operator",
            "attach platform-deny-iam-user-creation to role operator",
            "attach platform-s3-read-ec2-full to role operator",
        ]
    );
    // Phases never go backwards.
    assert!(p.changes.windows(2).all(|w| w[0].phase() <= w[1].phase()));
    let (after, tags) = converge(&d, &empty(), HashMap::new());
    let again = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&after), &tags),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    assert!(again.is_empty(), "{:?}", again.changes);
    // The access the plan gives, as the engine sees it.
    let access = access_changes(&typed(&empty()), &typed(&after), now(), &HashMap::new());
    let lines: Vec<String> = access.iter().map(|a| a.sentence()).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let role = &access[0];
    assert_eq!(role.principal, "role operator");
    assert_eq!(role.change, "gains");
    // ec2:* and S3 reading, over the whole catalog.
    let ec2 = &role.actions["ec2"];
    let catalog = iamctl_policy::catalog::catalog();
    let ec2_total = catalog.expand("ec2:*").len();
    assert_eq!(ec2.values().map(Vec::len).sum::<usize>(), ec2_total);
    assert!(role.actions["s3"]["Read"].contains(&"GetObject".to_string()));
    assert!(
        !role.actions["s3"].contains_key("Write"),
        "{:?}",
        role.actions["s3"]
    );
    assert!(role.risky.iter().any(|r| r.action == "ec2:RunInstances"));
    assert!(lines[0].starts_with("role operator gains "), "{}", lines[0]);
    assert!(lines[0].contains("write access to ec2 ("), "{}", lines[0]);
}

fn find_mut<'a>(v: &'a mut Value, list: &str, key: &str, name: &str) -> &'a mut Value {
    v[list]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e[key] == name)
        .unwrap()
}

#[test]
fn drift_is_planned_back() {
    let d = seed001();
    let (mut after, tags) = converge(&d, &empty(), HashMap::new());
    // Outside changes: a policy's document, a detachment, the trust, a user.
    let p = find_mut(
        &mut after,
        "Policies",
        "PolicyName",
        "platform-s3-read-ec2-full",
    );
    p["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] = json!(["s3:*"]);
    let r = find_mut(&mut after, "RoleDetailList", "RoleName", "operator");
    r["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .retain(|a| a["PolicyName"] != "platform-deny-iam-user-creation");
    r["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] = json!({});
    after["UserDetailList"]
        .as_array_mut()
        .unwrap()
        .retain(|u| u["UserName"] != "bob");
    let actual = ActualAccount::from_snapshot(&typed(&after), &tags);
    let p = plan(&d, &actual, &HashMap::new(), &PlanOptions::default());
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        [
            "update policy platform-s3-read-ec2-full (new default version)",
            "create user bob",
            "update trust policy of role operator",
            "attach platform-deny-iam-user-creation to role operator",
        ]
    );
    let access = access_changes(
        &typed(&after),
        &after_changes(&typed(&after), &p.changes, &d.account_id),
        now(),
        &HashMap::new(),
    );
    // s3:* drifted in; the plan takes S3 writes away again.
    assert!(
        access
            .iter()
            .any(|a| a.change == "loses" && a.actions["s3"].contains_key("Write")),
        "{access:?}"
    );
}

#[test]
fn removals_delete_only_what_is_ours() {
    let d = seed001();
    let (mut after, tags) = converge(&d, &empty(), HashMap::new());
    // Someone else's user and policy, untagged.
    after["UserDetailList"].as_array_mut().unwrap().push(json!({
        "UserName": "dave", "Arn": "arn:aws:iam::111122223333:user/dave", "Path": "/",
        "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": []}));
    let mut d2 = d.clone();
    d2.users.remove("carol");
    d2.policies.remove("platform-deny-iam-user-creation");
    d2.roles
        .get_mut("operator")
        .unwrap()
        .attached
        .retain(|a| !a.ends_with("deny-iam-user-creation"));
    let p = plan(
        &d2,
        &ActualAccount::from_snapshot(&typed(&after), &tags),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        [
            "detach platform-deny-iam-user-creation from role operator",
            "delete user carol (and its keys, password, MFA devices, memberships, policies)",
            "delete policy platform-deny-iam-user-creation",
        ]
    );
    assert!(!summaries.iter().any(|s| s.contains("dave")));
}

#[test]
fn an_untagged_resource_of_a_desired_name_is_a_conflict_unless_adopted() {
    let d = seed001();
    let mut snap = empty();
    snap["UserDetailList"] = json!([{"UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice",
        "Path": "/", "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": []}]);
    let actual = ActualAccount::from_snapshot(&typed(&snap), &HashMap::new());
    let p = plan(&d, &actual, &HashMap::new(), &PlanOptions::default());
    assert_eq!(p.conflicts.len(), 1, "{:?}", p.conflicts);
    assert!(p.conflicts[0].contains("user `alice` exists and is not managed by iamctl"));
    let p = plan(
        &d,
        &actual,
        &HashMap::new(),
        &PlanOptions {
            adopt: true,
            ..PlanOptions::default()
        },
    );
    assert!(p.conflicts.is_empty());
    assert!(p
        .changes
        .iter()
        .any(|c| c.summary().starts_with("tag user alice")
            && c.summary().contains("managed-by=iamctl")));
}

#[test]
fn temporary_grants_expire_in_aws_and_cleanup_finds_them_by_tags() {
    let (config, _) = check(&example("seed004"), now());
    let before: jiff::Timestamp = "2025-11-28T09:00:00Z".parse().unwrap();
    let d = desired_state(&config, "prod", before).expect("prod");
    let mut snap = empty();
    for name in ["developer", "user1", "user2"] {
        snap["UserDetailList"].as_array_mut().unwrap().push(json!({
            "UserName": name, "Arn": format!("arn:aws:iam::{}:user/{name}", d.account_id), "Path": "/",
            "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": []}));
    }
    snap["RoleDetailList"] = json!([{"RoleName": "github-actions-deployer", "Path": "/",
        "Arn": format!("arn:aws:iam::{}:role/github-actions-deployer", d.account_id),
        "AttachedManagedPolicies": [], "RolePolicyList": [], "Tags": []}]);
    let source = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]});
    let sources: HashMap<String, Value> =
        [("arn:aws:iam::aws:policy/PowerUserAccess".to_owned(), source)].into();
    let actual = ActualAccount::from_snapshot(&typed(&snap), &HashMap::new());
    let p = plan(&d, &actual, &sources, &PlanOptions::default());
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let create = p
        .changes
        .iter()
        .find_map(|c| match c {
            Change::CreatePolicy { document, tags, .. } => Some((document, tags)),
            _ => None,
        })
        .expect("a temporary policy");
    assert_eq!(create.1["iamctl:expires"], "2025-11-30T23:59:59Z");
    assert_eq!(
        create.0["Statement"][0]["Condition"]["DateLessThan"]["aws:CurrentTime"],
        "2025-11-30T23:59:59Z"
    );
    let (after, tags) = applied(&snap, &HashMap::new(), &p.changes, &d.account_id);
    let actual = ActualAccount::from_snapshot(&typed(&after), &tags);
    // Before the expiry there is nothing to clean up; after it, detach and delete.
    assert!(cleanup_plan("prod", &d.account_id, &actual, before).is_empty());
    let later: jiff::Timestamp = "2025-12-01T00:00:00Z".parse().unwrap();
    let c = cleanup_plan("prod", &d.account_id, &actual, later);
    let summaries: Vec<String> = c.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        [
            "detach example-team-dev-break-glass-developer-PowerUserAccess-temporary from user developer",
            "delete policy example-team-dev-break-glass-developer-PowerUserAccess-temporary",
        ]
    );
}

#[test]
fn plans_round_trip_through_json() {
    let d = seed001();
    let p = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&empty()), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    let text = serde_json::to_string(&p).unwrap();
    let back: crate::plan::Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, p);
}

#[test]
fn the_fingerprint_does_not_depend_on_the_order_documents_arrived_in() {
    // Issue 12.2: AWS-managed documents read after GetAccountAuthorizationDetails
    // are appended as their requests complete.
    let managed = |name: &str| {
        json!({"PolicyName": name, "Arn": format!("arn:aws:iam::aws:policy/{name}"),
               "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": []},
                                      "VersionId": "v1", "IsDefaultVersion": true}]})
    };
    let mut a = empty();
    a["Policies"] = json!([managed("ReadOnlyAccess"), managed("PowerUserAccess")]);
    let mut b = empty();
    b["Policies"] = json!([managed("PowerUserAccess"), managed("ReadOnlyAccess")]);
    let fa = ActualAccount::from_snapshot(&typed(&a), &HashMap::new()).fingerprint;
    let fb = ActualAccount::from_snapshot(&typed(&b), &HashMap::new()).fingerprint;
    assert_eq!(fa, fb);
    // A real change still changes it.
    b["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"] =
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]);
    let fc = ActualAccount::from_snapshot(&typed(&b), &HashMap::new()).fingerprint;
    assert_ne!(fa, fc);
}

#[test]
fn sha256_matches_the_fips_180_examples() {
    use crate::plan::sha256::hex;
    // FIPS 180-4 examples (csrc.nist.gov, "SHA256.pdf"): "abc", the empty string
    // and the two-block message.
    assert_eq!(
        hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
}

#[test]
fn a_saved_plan_must_equal_a_fresh_one() {
    use crate::plan::{config_digest, first_difference, PlanFile, PLAN_FORMAT_VERSION};
    let d = seed001();
    let fresh = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&empty()), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    assert_eq!(first_difference(&fresh, &fresh), None);
    let mut tampered = fresh.clone();
    tampered.changes.push(Change::DeleteUser {
        name: "victim".into(),
    });
    assert_eq!(
        first_difference(&tampered, &fresh).as_deref(),
        Some("change 9 of the saved plan, `delete user victim (and its keys, password, MFA devices, memberships, policies)`, is not in a fresh plan (which has 8 change(s))")
    );
    let mut swapped = fresh.clone();
    swapped.changes[0] = Change::Attach {
        kind: crate::plan::Kind::User,
        name: "alice".into(),
        arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
    };
    assert!(first_difference(&swapped, &fresh)
        .unwrap()
        .starts_with("change 1 of the saved plan is `attach AdministratorAccess to user alice`"));
    let mut shorter = fresh.clone();
    shorter.changes.pop();
    assert!(first_difference(&shorter, &fresh)
        .unwrap()
        .starts_with("a fresh plan also has"));

    // The file: versioned, bound to the configuration's digest.
    let a = config_digest(&[
        ("a.yaml".into(), b"x".to_vec()),
        ("b.yaml".into(), b"y".to_vec()),
    ]);
    let b = config_digest(&[
        ("b.yaml".into(), b"y".to_vec()),
        ("a.yaml".into(), b"x".to_vec()),
    ]);
    let c = config_digest(&[
        ("a.yaml".into(), b"xb.yaml".to_vec()),
        ("".into(), b"y".to_vec()),
    ]);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let file = PlanFile::new(a, "2026-03-21T11:36:28Z".into(), vec![fresh]);
    let text = serde_json::to_string(&file).unwrap();
    assert_eq!(PlanFile::parse(&text).unwrap(), file);
    assert!(PlanFile::parse("[]")
        .unwrap_err()
        .contains("no `format: iamctl-plan`"));
    let old = text.replace(
        &format!("\"version\":{PLAN_FORMAT_VERSION}"),
        "\"version\":1",
    );
    assert_eq!(
        PlanFile::parse(&old).unwrap_err(),
        format!("plan format version 1, this iamctl reads version {PLAN_FORMAT_VERSION}")
    );
}

#[test]
fn a_version_already_holding_the_document_is_made_the_default() {
    // Issue 12.9: a lost reply's CreatePolicyVersion (or an earlier default)
    // left a non-default version with the wanted document.
    let d = seed001();
    let (mut after, tags) = converge(&d, &empty(), HashMap::new());
    let p = find_mut(
        &mut after,
        "Policies",
        "PolicyName",
        "platform-s3-read-ec2-full",
    );
    let wanted = p["PolicyVersionList"][0]["Document"].clone();
    let mut drifted = wanted.clone();
    drifted["Statement"][0]["Action"] = json!(["s3:*"]);
    p["PolicyVersionList"] = json!([
        {"VersionId": "v1", "IsDefaultVersion": false, "Document": wanted},
        {"VersionId": "v2", "IsDefaultVersion": true, "Document": drifted},
    ]);
    let actual = ActualAccount::from_snapshot(&typed(&after), &tags);
    let p = plan(&d, &actual, &HashMap::new(), &PlanOptions::default());
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        ["update policy platform-s3-read-ec2-full (make v1, which holds this document, the default version)"]
    );
    assert!(matches!(
        &p.changes[0],
        Change::UpdatePolicy { reuse: Some(v), prune: None, .. } if v == "v1"
    ));
}

/// A configuration directory written from (path, text) pairs.
fn config_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn desired_of(files: &[(&str, &str)], env: &str) -> DesiredAccount {
    let dir = config_dir(files);
    let (config, diags) = check(dir.path(), now());
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    desired_state(&config, env, now()).expect("environment")
}

#[test]
fn removing_a_grant_detaches_exactly_what_iamctl_attached() {
    // Issue 8: seed 004's existing users. user2 holds ReadOnlyAccess by hand
    // before iamctl; user1 gets it from iamctl. Taking both out of the grant
    // detaches user1's (AWS-managed) attachment and leaves user2's.
    const RO: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let accounts = (
        "aws-accounts/t.yaml",
        "aws-accounts:\n  nonprod: \"123456789012\"\n",
    );
    let policies = (
        "aws-policies/t.yaml",
        "aws-policies:\n  ro:\n    description: read\n    managed_policies: [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n",
    );
    let grant = |users: &str| {
        format!("permanent-access:\n  - description: read\n    users: [{users}]\n    environments: [nonprod]\n    grants: [ro]\n")
    };
    let user = |name: &str, attached: &[&str]| {
        json!({"UserName": name, "Arn": format!("arn:aws:iam::123456789012:user/{name}"), "Path": "/",
               "GroupList": [], "UserPolicyList": [], "Tags": [],
               "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a, "PolicyName": "ReadOnlyAccess"})).collect::<Vec<_>>()})
    };
    let mut snapshot = empty();
    snapshot["UserDetailList"] =
        json!([user("user1", &[]), user("user2", &[RO]), user("user3", &[])]);
    // AWS-managed documents are read with the snapshot.
    snapshot["Policies"] = json!([{"PolicyName": "ReadOnlyAccess", "Arn": RO, "Path": "/",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
            "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}}]}]);
    let before = snapshot.clone();

    let g = grant("user1@example.com, user2@example.com");
    let d = desired_of(
        &[accounts, policies, ("permanent-access/t.yaml", &g)],
        "nonprod",
    );
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &HashMap::new());
    let p = plan(&d, &actual, &HashMap::new(), &PlanOptions::default());
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        [
            "tag user user1 iamctl:attached:aws/ReadOnlyAccess=arn:aws:iam::aws:policy/ReadOnlyAccess",
            "attach ReadOnlyAccess to user user1",
        ]
    );
    let (after, _) = applied(&snapshot, &HashMap::new(), &p.changes, &d.account_id);
    let again = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&after), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    assert!(again.is_empty(), "{:?}", again.changes);

    // The grant goes to user3 instead.
    let g = grant("user3@example.com");
    let d = desired_of(
        &[accounts, policies, ("permanent-access/t.yaml", &g)],
        "nonprod",
    );
    let p = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&after), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(
        summaries,
        [
            "tag user user3 iamctl:attached:aws/ReadOnlyAccess=arn:aws:iam::aws:policy/ReadOnlyAccess",
            "attach ReadOnlyAccess to user user3",
            "detach ReadOnlyAccess from user user1",
            "untag user user1 iamctl:attached:aws/ReadOnlyAccess",
        ]
    );
    let (last, _) = applied(&after, &HashMap::new(), &p.changes, &d.account_id);
    // user1 and user2 hold exactly what they held before iamctl.
    // (Compared as the planner reads them: the memory account writes IDs
    // and dates the hand-written snapshot lacks.)
    let (last, before) = (
        ActualAccount::from_snapshot(&typed(&last), &HashMap::new()),
        ActualAccount::from_snapshot(&typed(&before), &HashMap::new()),
    );
    for name in ["user1", "user2"] {
        assert_eq!(last.users[name], before.users[name], "{name}");
    }
}

#[test]
fn a_team_without_files_keeps_its_resources_unless_pruned() {
    // Issue 12.3: a directory holding only team `platform` (seed 001) for
    // an account where team `alpha` owns a user and a policy.
    let d = seed001();
    let (mut after, mut tags) = converge(&d, &empty(), HashMap::new());
    let alpha = |key: &str| json!([{"Key": "managed-by", "Value": "iamctl"}, {"Key": "iamctl:team", "Value": "alpha"}, {"Key": "iamctl:key", "Value": key}]);
    after["UserDetailList"].as_array_mut().unwrap().push(json!({
        "UserName": "zed", "Arn": "arn:aws:iam::111111111111:user/zed", "Path": "/",
        "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": alpha("zed")}));
    let arn = "arn:aws:iam::111111111111:policy/alpha-x";
    after["Policies"].as_array_mut().unwrap().push(json!({
        "PolicyName": "alpha-x", "Arn": arn, "Path": "/",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
            "Document": {"Version": "2012-10-17", "Statement": []}}]}));
    tags.insert(
        arn.to_owned(),
        [
            ("managed-by", "iamctl"),
            ("iamctl:team", "alpha"),
            ("iamctl:key", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    let actual = ActualAccount::from_snapshot(&typed(&after), &tags);
    let teams: std::collections::BTreeSet<String> = ["platform".to_string()].into();
    let p = plan(
        &d,
        &actual,
        &HashMap::new(),
        &PlanOptions {
            teams: Some(teams.clone()),
            ..PlanOptions::default()
        },
    );
    assert!(p.is_empty(), "{:?}", p.changes);
    assert_eq!(
        p.warnings,
        ["team `alpha` owns 2 resource(s) and has no files; they are left alone (pass `--prune-teams` to remove them)"]
    );
    let p = plan(
        &d,
        &actual,
        &HashMap::new(),
        &PlanOptions {
            teams: Some(teams),
            prune_teams: true,
            ..PlanOptions::default()
        },
    );
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert!(
        summaries.iter().any(|s| s.starts_with("delete user zed")),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"delete policy alpha-x".to_string()),
        "{summaries:?}"
    );
    // Without the list of teams (a plan of the whole configuration as
    // before), another team's resources are the configuration's.
    let p = plan(&d, &actual, &HashMap::new(), &PlanOptions::default());
    assert!(!p.is_empty());
}

#[test]
fn a_missing_existing_principal_blocks_only_what_needs_it() {
    // Issues 8.1 and 12.7: `developer` is granted and absent from the
    // account: a conflict naming the account and the grant's place, and only
    // the changes that need the user wait.
    let accounts = (
        "aws-accounts/t.yaml",
        "aws-accounts:\n  nonprod: \"123456789012\"\n",
    );
    let policies = (
        "aws-policies/t.yaml",
        "aws-policies:\n  ro:\n    description: read\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n",
    );
    let grants = (
        "permanent-access/t.yaml",
        "permanent-access:\n  - description: read\n    users: [user1@example.com, developer@example.com]\n    environments: [nonprod]\n    grants: [ro]\n",
    );
    let d = desired_of(&[accounts, policies, grants], "nonprod");
    let mut snapshot = empty();
    snapshot["UserDetailList"] = json!([{"UserName": "user1", "Arn": "arn:aws:iam::123456789012:user/user1",
        "Path": "/", "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []}]);
    let p = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&snapshot), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    assert_eq!(p.conflicts.len(), 1, "{:?}", p.conflicts);
    let c = &p.conflicts[0];
    assert!(
        c.starts_with("user `developer` does not exist in account `123456789012` (nonprod); needed by permanent-access/t.yaml:"),
        "{c}"
    );
    let summaries: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert!(
        summaries.contains(&"create policy t-ro".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"attach t-ro to user user1".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.iter().all(|s| !s.contains("developer")),
        "{summaries:?}"
    );

    // A policy of a wanted name that is not iamctl's: its attachments wait,
    // the rest goes ahead.
    let policies = (
        "aws-policies/t.yaml",
        "aws-policies:\n  ro:\n    description: read\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n  rw:\n    description: write\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:PutObject\"]\n        resources: [\"*\"]\n",
    );
    let grants = (
        "permanent-access/t.yaml",
        "permanent-access:\n  - description: read\n    users: [user1@example.com]\n    environments: [nonprod]\n    grants: [ro, rw]\n",
    );
    let d = desired_of(&[accounts, policies, grants], "nonprod");
    snapshot["Policies"] = json!([{"PolicyName": "t-ro", "Arn": "arn:aws:iam::123456789012:policy/t-ro", "Path": "/",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": []}}]}]);
    let p = plan(
        &d,
        &ActualAccount::from_snapshot(&typed(&snapshot), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    assert_eq!(p.conflicts.len(), 1, "{:?}", p.conflicts);
    let go: Vec<String> = p.changes.iter().map(Change::summary).collect();
    let wait: Vec<String> = p.blocked.iter().map(Change::summary).collect();
    assert_eq!(
        go,
        [
            "create policy t-rw",
            "tag user user1 iamctl:attached:local/iamctl/t/t-rw=arn:aws:iam::123456789012:policy/iamctl/t/t-rw",
            "attach t-rw to user user1"
        ]
    );
    assert_eq!(wait, ["attach t-ro to user user1"]);
}

/// A policy key declared `existing` (as `import` writes them) is attach-only:
/// granted by its own name and path, never created, updated or deleted, and a
/// document that differs from its `custom_statements` is only a warning.
#[test]
fn existing_policy_keys_are_attach_only() {
    let policies = "\
aws-policies:
  legacy:
    name: legacy-reader
    path: /old/
    existing: true
    custom_statements:
      - effect: Allow
        actions: [\"s3:GetObject\"]
        resources: [\"arn:aws:s3:::b/*\"]
";
    let grants =
        "permanent-access:\n  - users: [bo]\n    environments: [dev]\n    grants: [legacy]\n";
    let dir = config_dir(&[
        (
            "aws-accounts/t.yaml",
            "aws-accounts:\n  dev: \"111111111111\"\n",
        ),
        ("aws-policies/t.yaml", policies),
        ("permanent-access/t.yaml", grants),
        ("users/t.yaml", "users:\n  bo:\n    existing: true\n"),
    ]);
    let (config, ds) = check(dir.path(), now());
    assert_eq!(ds, vec![]);
    let d = desired_state(&config, "dev", now()).expect("dev");
    let arn = "arn:aws:iam::111111111111:policy/old/legacy-reader";
    let p = &d.policies["legacy-reader"];
    assert!(!p.managed);
    assert_eq!(p.arn, arn);
    assert!(p.tags.is_empty());
    assert!(d.users["bo"].attached.contains(arn));

    let user = |attached: &[&str]| {
        json!({"UserName": "bo", "Arn": "arn:aws:iam::111111111111:user/bo", "Path": "/",
               "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a})).collect::<Vec<_>>()})
    };
    let snapshot = |doc: serde_json::Value, attached: &[&str]| {
        json!({"UserDetailList": [user(attached)], "Policies": [{
            "PolicyName": "legacy-reader", "Arn": arn, "Path": "/old/",
            "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}]}]})
    };
    let same = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
    let other = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let none: std::collections::HashMap<String, Tags> = std::collections::HashMap::new();
    let no_sources: std::collections::HashMap<String, serde_json::Value> =
        std::collections::HashMap::new();
    let opts = PlanOptions::default();
    // Present and attached: nothing to do, not even tags.
    let a = ActualAccount::from_snapshot(&typed(&snapshot(same.clone(), &[arn])), &none);
    let p = plan(&d, &a, &no_sources, &opts);
    assert_eq!(p.changes, vec![]);
    assert_eq!((p.warnings.len(), p.conflicts.len()), (0, 0));
    // Another document: a warning, never an update.
    let a = ActualAccount::from_snapshot(&typed(&snapshot(other, &[arn])), &none);
    let p = plan(&d, &a, &no_sources, &opts);
    assert_eq!(p.changes, vec![]);
    assert!(
        p.warnings[0].contains("declared `existing`"),
        "{:?}",
        p.warnings
    );
    // Not attached: attached. Missing from the account: a conflict, no create.
    let a = ActualAccount::from_snapshot(&typed(&snapshot(same, &[])), &none);
    let p = plan(&d, &a, &no_sources, &opts);
    let summaries: Vec<String> = p.changes.iter().map(|c| c.summary()).collect();
    assert!(
        summaries.contains(&"attach legacy-reader to user bo".to_string()),
        "{summaries:?}"
    );
    // Beside the attachment only its record on the user, which iamctl does not own.
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("tag user bo iamctl:attached:")),
        "{summaries:?}"
    );
    let a = ActualAccount::from_snapshot(&typed(&json!({"UserDetailList": [user(&[])]})), &none);
    let p = plan(&d, &a, &no_sources, &opts);
    assert!(p
        .changes
        .iter()
        .all(|c| !matches!(c, Change::CreatePolicy { .. })));
    assert!(
        p.conflicts[0].contains("no such policy"),
        "{:?}",
        p.conflicts
    );
}

/// The snapshot as iamctl reads it.
fn typed(v: &serde_json::Value) -> iamctl_policy::snapshot::Snapshot {
    iamctl_policy::snapshot::Snapshot::from_value(v).expect("a snapshot")
}
