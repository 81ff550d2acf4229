//! IAM Identity Center as code: the contract files as printed, the
//! desired state they ask for, seed 001's example, and each class of bad input
//! with its file, line and column. Each limit cites the AWS page that sets it
//! (see `crates/config/src/identity_center.rs` for the sentences).

use std::path::Path;

use iamctl_config::identity_center::{
    desired_identity_center, expiry_deny_statement, temporary_set_name, Boundary, SsoPrincipal,
};
use iamctl_config::{check, Diagnostic, Severity};
use jiff::Timestamp;
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

/// Writes `files` into a new directory.
fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let p = d.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    d
}

fn errors(ds: &[Diagnostic]) -> Vec<&Diagnostic> {
    ds.iter().filter(|d| d.is_error()).collect()
}

/// The one error, at `file:line:col`, whose message contains `needle`.
fn assert_error_at(ds: &[Diagnostic], file: &str, line: usize, col: usize, needle: &str) {
    let es = errors(ds);
    assert!(
        es.iter().any(|d| d.file() == file
            && d.line() == line
            && d.column() == col
            && d.message.contains(needle)),
        "no error `{needle}` at {file}:{line}:{col} in {es:#?}"
    );
}

// The configuration contract, as printed (comments included).
const SETTINGS: &str = "# settings.yaml
settings:
  identity_center:
    account: management          # a name from aws-accounts: the account holding the instance
    region: us-east-1
    identity_source: directory   # or `external`: users/groups come from an IdP and are only referenced
";
const IDENTITY_CENTER: &str = "# identity-center/<team>.yaml
identity-center:
  users:                         # `directory` only; the key is the user name
    bert@example.com: {given_name: Bert, family_name: Example, display_name: Bert Example}
  groups:
    data-engineers:
      description: Data team
      members: [bert@example.com]
  permission-sets:
    boto3:
      description: Seed 001's boto3 permission set
      session_duration: 1h
      grants: [platform.boto3]   # aws-policies entries: managed_policies attached, custom_statements inline
      permissions_boundary: arn:aws:iam::aws:policy/PowerUserAccess   # optional
";
const PERMANENT: &str =
    "# permanent-access/<team>.yaml: entries may name Identity Center principals
permanent-access:
  - description: Data team reads prod
    sso_groups: [data-engineers]
    sso_users: [carol@example.com]
    environments: [prod]
    permission_set: boto3
";
const TEMPORARY: &str = "# temporary-access/<team>.yaml
temporary-access:
  - description: Bert debugs prod
    expiration_date: 2026-12-10T18:00:00Z
    sso_user: bert@example.com
    environment: prod
    permission_set: boto3
";
const ACCOUNTS: &str = "aws-accounts:
  management: \"111111111111\"
  prod: \"345678901234\"
";
const POLICIES: &str = "aws-policies:
  platform.boto3:
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    custom_statements:
      - effect: Allow
        actions: [\"iam:CreateRole\", \"iam:CreateUser\", \"iam:CreatePolicy\", \"iam:AttachRolePolicy\"]
        resources: [\"*\"]
      - effect: Allow
        actions: [\"s3:CreateBucket\", \"s3:PutObject\"]
        resources: [\"*\"]
";

fn contract() -> Vec<(&'static str, &'static str)> {
    vec![
        ("settings.yaml", SETTINGS),
        ("identity-center/data.yaml", IDENTITY_CENTER),
        ("permanent-access/data.yaml", PERMANENT),
        ("temporary-access/data.yaml", TEMPORARY),
        ("aws-accounts/data.yaml", ACCOUNTS),
        ("aws-policies/data.yaml", POLICIES),
    ]
}

const NOW: &str = "2026-12-05T00:00:00Z";

#[test]
fn the_contract_validates_as_written() {
    let d = dir(&contract());
    let (config, ds) = check(d.path(), ts(NOW));
    assert_eq!(errors(&ds), Vec::<&Diagnostic>::new());
    // carol is named and declared nowhere: an existing directory user (a note).
    assert!(
        ds.iter().any(|x| x.severity == Severity::Note
            && x.message.contains("carol@example.com")
            && x.file() == "permanent-access/data.yaml"),
        "{ds:#?}"
    );
    let t = &config.teams["data"];
    assert_eq!(t.identity_center.users.len(), 1);
    assert_eq!(t.sso_permanent.len(), 1);
    assert_eq!(t.sso_temporary.len(), 1);
    // The IAM lists stay empty: nothing of this reaches the IAM planner.
    assert!(t.permanent.is_empty() && t.temporary.is_empty());
}

#[test]
fn the_contract_asks_for_sets_people_and_assignments() {
    let d = dir(&contract());
    let (config, _) = check(d.path(), ts(NOW));
    let want = desired_identity_center(&config, ts(NOW));
    assert_eq!(want.users.len(), 1);
    assert_eq!(want.users[0].display_name, "Bert Example");
    assert_eq!(want.users[0].email.as_deref(), Some("bert@example.com"));
    assert_eq!(want.groups[0].members.len(), 1);
    let names: Vec<&str> = want
        .permission_sets
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let expires = ts("2026-12-10T18:00:00Z");
    let temp = temporary_set_name("boto3", expires);
    assert_eq!(temp, "boto3-2612101800");
    assert_eq!(names, vec!["boto3", temp.as_str()]);
    let base = &want.permission_sets[0];
    assert_eq!(base.session_duration, "PT1H");
    assert_eq!(
        base.managed_policies,
        vec!["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    );
    assert_eq!(
        base.permissions_boundary,
        Some(Boundary::AwsManaged(
            "arn:aws:iam::aws:policy/PowerUserAccess".into()
        ))
    );
    let inline = base.inline_policy.as_ref().expect("inline policy");
    assert_eq!(inline["Statement"].as_array().map(Vec::len), Some(2));
    // The temporary copy: the same policies and one deny from the expiry on.
    let copy = &want.permission_sets[1];
    assert_eq!(copy.base.as_deref(), Some("boto3"));
    assert_eq!(copy.expires, Some(expires));
    assert_eq!(copy.managed_policies, base.managed_policies);
    let sts = copy.inline_policy.as_ref().expect("inline")["Statement"]
        .as_array()
        .cloned()
        .expect("statements");
    assert_eq!(sts.len(), 3);
    assert_eq!(sts[2], expiry_deny_statement(expires));
    assert_eq!(
        sts[2],
        json!({"Sid": "IamctlExpired", "Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-12-10T18:00:00Z"}}})
    );
    // Three assignments in prod: the group and carol permanently, bert until the expiry.
    let got: Vec<(SsoPrincipal, &str, &str, Option<Timestamp>)> = want
        .assignments
        .iter()
        .map(|a| {
            (
                a.principal.clone(),
                a.account_id.as_str(),
                a.permission_set.as_str(),
                a.expires,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                SsoPrincipal::User("carol@example.com".into()),
                "345678901234",
                "boto3",
                None
            ),
            (
                SsoPrincipal::Group("data-engineers".into()),
                "345678901234",
                "boto3",
                None
            ),
            (
                SsoPrincipal::User("bert@example.com".into()),
                "345678901234",
                "boto3-2612101800",
                Some(expires)
            ),
        ]
    );
    // After the expiry the temporary assignment and its set are no longer wanted.
    let later = desired_identity_center(&config, ts("2026-12-10T18:00:01Z"));
    assert_eq!(later.assignments.len(), 2);
    assert_eq!(later.permission_sets.len(), 1);
}

#[test]
fn seed001_identity_center_example_validates_with_the_seeds_policy() {
    let ex =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac/seed001-identity-center");
    let (config, ds) = check(&ex, ts(NOW));
    assert_eq!(errors(&ds), Vec::<&Diagnostic>::new());
    let want = desired_identity_center(&config, ts(NOW));
    let set = &want.permission_sets[0];
    assert_eq!(set.name, "boto3");
    assert!(set.managed_policies.is_empty());
    // Seed 001: "iam: CreateRole, CreateUser, CreatePolicy, AttachRolePolicy;
    // s3: CreateBucket, PutObject", on all resources, with Version 2012-10-17.
    let inline = set.inline_policy.as_ref().expect("inline");
    assert_eq!(inline["Version"], "2012-10-17");
    let mut actions: Vec<String> = inline["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| {
            assert_eq!(s["Effect"], "Allow");
            assert_eq!(s["Resource"], json!(["*"]));
            s["Action"].as_array().cloned().unwrap_or_default()
        })
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "iam:AttachRolePolicy",
            "iam:CreatePolicy",
            "iam:CreateRole",
            "iam:CreateUser",
            "s3:CreateBucket",
            "s3:PutObject"
        ]
    );
    assert_eq!(want.users[0].user_name, "boto3");
    assert_eq!(want.assignments.len(), 1);
    assert_eq!(
        want.assignments[0].principal,
        SsoPrincipal::User("boto3".into())
    );
}

/// The contract with one file replaced.
fn with(path: &'static str, text: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut files = contract();
    files.retain(|(p, _)| *p != path);
    files.push((path, text));
    files
}

fn check_files(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let d = dir(files);
    check(d.path(), ts(NOW)).1
}

#[test]
fn an_unknown_grant_is_an_error_at_its_place() {
    let ic = "identity-center:\n  permission-sets:\n    boto3:\n      grants: [platform.boto]\n";
    let ds = check_files(&with("identity-center/data.yaml", ic));
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        4,
        16,
        "unknown grant `platform.boto`",
    );
}

#[test]
fn permission_set_names_follow_create_permission_set() {
    // https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreatePermissionSet.html:
    // Name "Minimum length of 1. Maximum length of 32. Pattern: [\w+=,.@-]+".
    let ic = "identity-center:\n  permission-sets:\n    a-name-of-thirty-three-characters:\n      grants: [platform.boto3]\n    has space:\n      grants: [platform.boto3]\n    exactly-thirty-two-characters-ok:\n      grants: [platform.boto3]\n";
    let files = vec![
        ("settings.yaml", SETTINGS),
        ("identity-center/data.yaml", ic),
        ("aws-accounts/data.yaml", ACCOUNTS),
        ("aws-policies/data.yaml", POLICIES),
    ];
    let ds = check_files(&files);
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        3,
        5,
        "is not a permission set name",
    );
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        5,
        5,
        "is not a permission set name",
    );
    assert_eq!(errors(&ds).len(), 2, "{ds:#?}");
}

#[test]
fn session_duration_is_one_to_twelve_hours() {
    // https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsets.html:
    // "By default, the value for Session duration is one hour. You can specify
    // a maximum value of 12 hours."
    for (value, ok) in [
        ("1h", true),
        ("12h", true),
        ("PT12H", true),
        ("90m", true),
        ("13h", false),
        ("30m", false),
        ("PT12H1M", false),
        ("soon", false),
    ] {
        let ic = format!(
            "identity-center:\n  permission-sets:\n    boto3:\n      session_duration: {value}\n      grants: [platform.boto3]\n"
        );
        let ic: &'static str = Box::leak(ic.into_boxed_str());
        let ds = check_files(&with("identity-center/data.yaml", ic));
        if ok {
            assert_eq!(errors(&ds), Vec::<&Diagnostic>::new(), "{value}");
        } else {
            assert_error_at(&ds, "identity-center/data.yaml", 4, 25, "");
        }
    }
}

#[test]
fn an_inline_policy_over_the_limit_is_an_error() {
    // https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html:
    // "Maximum size of non-whitespace characters in the inline policy per
    // permission set is 10,240 bytes."
    let mut policies = String::from("aws-policies:\n  platform.boto3:\n    custom_statements:\n");
    for i in 0..300 {
        policies.push_str(&format!(
            "      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"arn:aws:s3:::bucket-number-{i}/*\"]\n"
        ));
    }
    let policies: &'static str = Box::leak(policies.into_boxed_str());
    let ds = check_files(&with("aws-policies/data.yaml", policies));
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        10,
        5,
        "IAM Identity Center allows 10240",
    );
}

#[test]
fn more_managed_policies_than_the_quota_is_an_error() {
    // https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html:
    // "Number of AWS managed and customer managed policies per permission set: 20".
    let arns: Vec<String> = (0..21)
        .map(|i| format!("arn:aws:iam::aws:policy/Policy{i}"))
        .collect();
    let policies = format!(
        "aws-policies:\n  platform.boto3:\n    managed_policies: [{}]\n",
        arns.join(", ")
    );
    let policies: &'static str = Box::leak(policies.into_boxed_str());
    let ds = check_files(&with("aws-policies/data.yaml", policies));
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        10,
        5,
        "attaches 21 managed policies",
    );
    // 11 to 20: a warning (each account's role quota of 10 must be raised).
    let policies = format!(
        "aws-policies:\n  platform.boto3:\n    managed_policies: [{}]\n",
        arns[..11].join(", ")
    );
    let policies: &'static str = Box::leak(policies.into_boxed_str());
    let ds = check_files(&with("aws-policies/data.yaml", policies));
    assert!(errors(&ds).is_empty(), "{ds:#?}");
    assert!(ds
        .iter()
        .any(|d| d.severity == Severity::Warning && d.message.contains("attaches 11")));
}

#[test]
fn an_expiry_past_the_maximum_is_an_error() {
    let t = "temporary-access:\n  - expiration_date: 2026-12-30T00:00:00Z\n    sso_user: bert@example.com\n    environment: prod\n    permission_set: boto3\n";
    let ds = check_files(&with("temporary-access/data.yaml", t));
    assert_error_at(&ds, "temporary-access/data.yaml", 2, 22, "more than 6 days");
}

#[test]
fn a_typo_in_a_person_or_group_is_an_error() {
    let p = "permanent-access:\n  - sso_groups: [data-engineer]\n    sso_users: [bert@exmple.com]\n    environments: [prod]\n    permission_set: boto3\n";
    let ds = check_files(&with("permanent-access/data.yaml", p));
    assert_error_at(
        &ds,
        "permanent-access/data.yaml",
        2,
        18,
        "unknown Identity Center group `data-engineer`",
    );
    assert_error_at(
        &ds,
        "permanent-access/data.yaml",
        3,
        17,
        "unknown Identity Center user `bert@exmple.com`",
    );
}

#[test]
fn an_undeclared_permission_set_is_an_error() {
    let p = "permanent-access:\n  - sso_users: [bert@example.com]\n    environments: [prod]\n    permission_set: AdministratorAccess\n";
    let ds = check_files(&with("permanent-access/data.yaml", p));
    assert_error_at(
        &ds,
        "permanent-access/data.yaml",
        4,
        21,
        "unknown permission set `AdministratorAccess`",
    );
}

#[test]
fn iam_and_identity_center_keys_do_not_mix_in_one_entry() {
    let p = "permanent-access:\n  - sso_users: [bert@example.com]\n    users: [alice]\n    grants: [platform.boto3]\n    environments: [prod]\n    permission_set: boto3\n";
    let ds = check_files(&with("permanent-access/data.yaml", p));
    assert_error_at(
        &ds,
        "permanent-access/data.yaml",
        3,
        5,
        "`users` in permanent grant 1",
    );
    assert_error_at(
        &ds,
        "permanent-access/data.yaml",
        4,
        5,
        "`grants` in permanent grant 1",
    );
}

#[test]
fn a_temporary_entry_names_one_person_or_group() {
    let t = "temporary-access:\n  - expiration_date: 2026-12-06T00:00:00Z\n    sso_user: bert@example.com\n    sso_group: data-engineers\n    environment: prod\n    permission_set: boto3\n";
    let ds = check_files(&with("temporary-access/data.yaml", t));
    assert_error_at(
        &ds,
        "temporary-access/data.yaml",
        2,
        5,
        "exactly one of `sso_user` and `sso_group`",
    );
}

#[test]
fn entries_need_the_identity_center_setting() {
    let mut files = contract();
    files.retain(|(p, _)| *p != "settings.yaml");
    let ds = check_files(&files);
    assert!(
        errors(&ds).iter().any(|d| d
            .message
            .contains("need `identity_center` in `settings.yaml`")),
        "{ds:#?}"
    );
}

#[test]
fn settings_name_a_known_account_and_source() {
    let s = "settings:\n  identity_center:\n    account: managment\n    region: us-east-one\n    identity_source: okta\n";
    let ds = check_files(&with("settings.yaml", s));
    assert_error_at(
        &ds,
        "settings.yaml",
        3,
        14,
        "unknown environment `managment`",
    );
    assert_error_at(&ds, "settings.yaml", 4, 13, "is not an AWS region");
    assert_error_at(
        &ds,
        "settings.yaml",
        5,
        22,
        "neither `directory` nor `external`",
    );
}

#[test]
fn with_an_external_source_people_are_referenced_not_declared() {
    let s =
        "settings:\n  identity_center:\n    account: management\n    identity_source: external\n";
    let ds = check_files(&with("settings.yaml", s));
    // The contract declares bert and a group: errors with `external`.
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        4,
        5,
        "come from your identity provider",
    );
    assert_error_at(
        &ds,
        "identity-center/data.yaml",
        6,
        5,
        "come from your identity provider",
    );
    // Without the declarations, any name is a reference (plan checks the store).
    let ic = "identity-center:\n  permission-sets:\n    boto3:\n      grants: [platform.boto3]\n";
    let mut files = with("settings.yaml", s);
    files.retain(|(p, _)| *p != "identity-center/data.yaml");
    files.push(("identity-center/data.yaml", ic));
    let ds = check_files(&files);
    assert_eq!(errors(&ds), Vec::<&Diagnostic>::new());
}

#[test]
fn a_name_is_declared_once_across_teams() {
    let mut files = contract();
    files.push((
        "identity-center/other.yaml",
        "identity-center:\n  groups:\n    data-engineers: {}\n",
    ));
    let ds = check_files(&files);
    assert_error_at(&ds, "identity-center/other.yaml", 3, 5, "declared twice");
}

#[test]
fn temporary_sets_do_not_collide() {
    // Two expiries in the same minute would share `boto3-2612061200`.
    let t = "temporary-access:\n  - expiration_date: 2026-12-06T12:00:00Z\n    sso_user: bert@example.com\n    environment: prod\n    permission_set: boto3\n  - expiration_date: 2026-12-06T12:00:30Z\n    sso_user: carol@example.com\n    environment: prod\n    permission_set: boto3\n";
    let ds = check_files(&with("temporary-access/data.yaml", t));
    assert_error_at(
        &ds,
        "temporary-access/data.yaml",
        6,
        22,
        "would be `boto3-2612061200`",
    );
}
