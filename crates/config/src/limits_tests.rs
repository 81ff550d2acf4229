//! IAM's quotas and character limits, checked offline at the YAML line.
//! Source of every number: "IAM and AWS STS quotas, name requirements, and
//! character limits",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
//! (see `limits.rs` for the deciding sentences).

use serde_json::json;

use super::*;

const NOW: &str = "2026-03-21T11:36:28Z";

fn now() -> jiff::Timestamp {
    NOW.parse().expect("timestamp")
}

const ACCOUNTS: &str = "aws-accounts:\n  dev: \"111111111111\"\n";

/// Diagnostics of a directory of `files` plus `aws-accounts/t.yaml`.
fn diags(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = vec![("aws-accounts/t.yaml", ACCOUNTS)];
    all.extend_from_slice(files);
    for (name, text) in all {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    check(dir.path(), now()).1
}

/// The one diagnostic of `sev` whose message contains `text`, at file:line.
#[track_caller]
fn one(ds: &[Diagnostic], sev: Severity, text: &str) -> (String, usize) {
    let hits: Vec<_> = ds
        .iter()
        .filter(|d| d.severity == sev && d.message.contains(text))
        .collect();
    assert_eq!(hits.len(), 1, "{text:?} in {ds:#?}");
    (hits[0].file().to_owned(), hits[0].line())
}

fn policies(n: usize) -> String {
    let mut s = String::from("aws-policies:\n");
    for i in 0..n {
        s.push_str(&format!(
            "  p{i}:\n    managed_policies: [\"arn:aws:iam::aws:policy/P{i}\"]\n"
        ));
    }
    s
}

#[test]
fn descriptions_over_1000_characters_or_with_other_characters() {
    let long = "x".repeat(1001);
    let ds = diags(&[(
        "aws-policies/t.yaml",
        &format!("aws-policies:\n  p:\n    description: {long}\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"arn:aws:s3:::b/*\"]\n"),
    )]);
    assert_eq!(
        one(&ds, Severity::Error, "is 1001 characters, above IAM's 1000"),
        ("aws-policies/t.yaml".into(), 3)
    );
    let ds = diags(&[(
        "roles/t.yaml",
        "roles:\n  r:\n    description: \"deploys 🚀\"\n    trust:\n      principals: [\"ec2.amazonaws.com\"]\n",
    )]);
    assert_eq!(
        one(
            &ds,
            Severity::Error,
            "characters IAM does not accept: U+1F680"
        ),
        ("roles/t.yaml".into(), 3)
    );
    // 1,000 exactly is fine.
    let ok = "x".repeat(1000);
    let ds = diags(&[(
        "roles/t.yaml",
        &format!("roles:\n  r:\n    description: {ok}\n    trust:\n      principals: [\"ec2.amazonaws.com\"]\n"),
    )]);
    assert!(ds.iter().all(|d| !d.is_error()), "{ds:#?}");
}

#[test]
fn fifty_tags_count_iamctls_own() {
    let tags = |n: usize| {
        let mut s = String::from("users:\n  ann:\n    tags:\n");
        for i in 0..n {
            s.push_str(&format!("      k{i}: v\n"));
        }
        s
    };
    // 47 of the user's and iamctl's 3: 50, fine.
    let ds = diags(&[("users/t.yaml", &tags(47))]);
    assert!(ds.iter().all(|d| !d.is_error()), "{ds:#?}");
    // 48: the 48th tag is where it goes over.
    let ds = diags(&[("users/t.yaml", &tags(48))]);
    assert_eq!(
        one(
            &ds,
            Severity::Error,
            "would carry 51 tags (48 here and iamctl's 3), above IAM's 50"
        ),
        ("users/t.yaml".into(), 51)
    );
    // Keys differing only in case are one key to IAM.
    let ds = diags(&[(
        "users/t.yaml",
        "users:\n  ann:\n    tags:\n      CostCentre: a\n      costcentre: b\n",
    )]);
    assert_eq!(
        one(&ds, Severity::Error, "differs from tag `CostCentre`"),
        ("users/t.yaml".into(), 5)
    );
}

#[test]
fn temporary_policy_names_over_128_characters() {
    let key = "k".repeat(60);
    let user = "u".repeat(60);
    let files = [
        (
            "aws-policies/t.yaml",
            format!("aws-policies:\n  {key}:\n    managed_policies: [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n"),
        ),
        (
            "temporary-access/t.yaml",
            format!("temporary-access:\n  - expiration_date: 2026-03-22\n    user: {user}\n    environment: dev\n    grant: {key}\n"),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let ds = diags(&files);
    // `t-<key>-<user>-ReadOnlyAccess-temporary` is 2 + 60 + 1 + 60 + 25 characters.
    assert_eq!(
        one(&ds, Severity::Error, "would be the policy `t-kkk"),
        ("temporary-access/t.yaml".into(), 5)
    );
    // The permanent `<team>-<key>` name (62 characters) is fine.
    assert!(ds.iter().filter(|d| d.is_error()).count() == 1, "{ds:#?}");
}

/// The temporary copy of `custom_statements` adds a `DateLessThan` condition
/// to every statement: under 6,144 permanently can be over it temporarily.
#[test]
fn temporary_copy_of_custom_statements_over_6144() {
    let mut p = String::from("aws-policies:\n  big:\n    custom_statements:\n");
    for i in 0..45 {
        p.push_str(&format!(
            "      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"arn:aws:s3:::bucket-number-{i:03}-of-the-team/some/prefix/*\"]\n"
        ));
    }
    let temp = "temporary-access:\n  - expiration_date: 2026-03-22\n    user: ann\n    environment: dev\n    grant: big\n";
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [
        ("aws-accounts/t.yaml", ACCOUNTS),
        ("aws-policies/t.yaml", p.as_str()),
        ("temporary-access/t.yaml", temp),
        ("users/t.yaml", "users:\n  ann: {}\n"),
    ] {
        let f = dir.path().join(name);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, text).expect("write");
    }
    let (config, ds) = check(dir.path(), now());
    let policy = &config.teams["t"].policies["big"];
    let permanent = limits::size(&policy_document(policy, None));
    let temporary = limits::size(&policy_document(policy, Some(now())));
    assert!(
        permanent <= 6144 && temporary > 6144,
        "{permanent} {temporary}"
    );
    let (file, line) = one(
        &ds,
        Severity::Error,
        "policy `t-big-ann-temporary` would be",
    );
    assert_eq!((file.as_str(), line), ("temporary-access/t.yaml", 5));
    // The same check, for plan's copies of managed policies it reads.
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "x".repeat(6200)}]});
    assert!(limits::managed_policy_size("copy", &doc)
        .unwrap_err()
        .contains("above IAM's 6144 for a managed policy"));
    let small = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    assert_eq!(limits::managed_policy_size("copy", &small), Ok(()));
}

#[test]
fn attached_policies_per_principal_and_group() {
    let keys: Vec<String> = (0..11).map(|i| format!("p{i}")).collect();
    let grant = format!(
        "permanent-access:\n  - users: [ann]\n    groups: [devs]\n    environments: [dev]\n    grants: [{}]\n",
        keys.join(", ")
    );
    let ds = diags(&[
        ("aws-policies/t.yaml", &policies(11)),
        ("permanent-access/t.yaml", &grant),
        ("groups/t.yaml", "groups:\n  devs: {}\n"),
    ]);
    // A user's quota can be raised: a warning at the grant naming `ann`.
    assert_eq!(
        one(
            &ds,
            Severity::Warning,
            "user `ann` would have 11 managed policies attached"
        ),
        ("permanent-access/t.yaml".into(), 2)
    );
    // A group's is fixed: an error at the group's declaration.
    assert_eq!(
        one(
            &ds,
            Severity::Error,
            "group `devs` would have 11 managed policies attached"
        ),
        ("groups/t.yaml".into(), 2)
    );
    // Ten is fine.
    let grant = grant.replace(", p10", "");
    let ds = diags(&[
        ("aws-policies/t.yaml", &policies(11)),
        ("permanent-access/t.yaml", &grant),
        ("groups/t.yaml", "groups:\n  devs: {}\n"),
    ]);
    assert!(
        ds.iter().all(|d| !d.message.contains("attached")),
        "{ds:#?}"
    );
}

#[test]
fn groups_per_user() {
    let mut groups = String::from("groups:\n");
    for i in 0..11 {
        groups.push_str(&format!("  g{i}:\n    members: [ann]\n"));
    }
    let ds = diags(&[
        ("users/t.yaml", "users:\n  ann: {}\n"),
        ("groups/t.yaml", &groups),
    ]);
    assert_eq!(
        one(&ds, Severity::Error, "user `ann` would be in 11 groups"),
        ("users/t.yaml".into(), 2)
    );
}

#[test]
fn inline_policies_of_a_user_over_2048() {
    let mut s3 = String::from("s3-users:\n");
    for i in 0..5 {
        s3.push_str(&format!("  - bucket: team-bucket-{i}\n    user: alex\n"));
    }
    let ds = diags(&[("s3-users/t.yaml", &s3)]);
    assert_eq!(
        one(
            &ds,
            Severity::Error,
            "the inline policies of user `alex` would be"
        ),
        ("s3-users/t.yaml".into(), 3)
    );
    let one_bucket = "s3-users:\n  - bucket: team-bucket\n    user: alex\n";
    assert_eq!(diags(&[("s3-users/t.yaml", one_bucket)]), vec![]);
}

#[test]
fn trust_policy_over_2048() {
    let principals: Vec<String> = (0..60)
        .map(|i| format!("\"arn:aws:iam::{:012}:root\"", 100_000_000_000u64 + i))
        .collect();
    let roles = format!(
        "roles:\n  wide:\n    trust:\n      principals: [{}]\n",
        principals.join(", ")
    );
    let ds = diags(&[("roles/t.yaml", &roles)]);
    assert_eq!(
        one(
            &ds,
            Severity::Warning,
            "the trust policy of role `wide` would be"
        ),
        ("roles/t.yaml".into(), 2)
    );
}

#[test]
fn external_id_length() {
    let ds = diags(&[("settings.yaml", "settings:\n  external_id: x\n")]);
    assert_eq!(
        one(&ds, Severity::Error, "external id `x` is not 2 to 1,224"),
        ("settings.yaml".into(), 2)
    );
}

#[test]
fn policy_names_over_128_characters() {
    let key = "k".repeat(127);
    let ds = diags(&[(
        "aws-policies/t.yaml",
        &format!("aws-policies:\n  {key}:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n"),
    )]);
    let (file, line) = one(&ds, Severity::Error, "128");
    assert_eq!((file.as_str(), line), ("aws-policies/t.yaml", 2));
}
