//! The contract files, shared by the Identity Center tests.
#![allow(dead_code)]

use std::path::Path;

use iamctl_config::identity_center::{desired_identity_center, DesiredIdentityCenter};
use jiff::Timestamp;

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

pub const NOW: &str = "2026-12-05T00:00:00Z";

// The contract, as printed.
pub const SETTINGS: &str = "settings:
  identity_center:
    account: management
    region: us-east-1
    identity_source: directory
";
pub const IDENTITY_CENTER: &str = "identity-center:
  users:
    bert@example.com: {given_name: Bert, family_name: Example, display_name: Bert Example}
  groups:
    data-engineers:
      description: Data team
      members: [bert@example.com]
  permission-sets:
    boto3:
      description: Seed 001's boto3 permission set
      session_duration: 1h
      grants: [platform.boto3]
      permissions_boundary: arn:aws:iam::aws:policy/PowerUserAccess
";
pub const PERMANENT: &str = "permanent-access:
  - description: Data team reads prod
    sso_groups: [data-engineers]
    sso_users: [carol@example.com]
    environments: [prod]
    permission_set: boto3
";
pub const TEMPORARY: &str = "temporary-access:
  - description: Bert debugs prod
    expiration_date: 2026-12-10T18:00:00Z
    sso_user: bert@example.com
    environment: prod
    permission_set: boto3
";
pub const ACCOUNTS: &str = "aws-accounts:
  management: \"111111111111\"
  prod: \"345678901234\"
";
pub const POLICIES: &str = "aws-policies:
  platform.boto3:
    custom_statements:
      - effect: Allow
        actions: [\"iam:CreateRole\", \"iam:CreateUser\", \"iam:CreatePolicy\", \"iam:AttachRolePolicy\"]
        resources: [\"*\"]
      - effect: Allow
        actions: [\"s3:CreateBucket\", \"s3:PutObject\"]
        resources: [\"*\"]
";

pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

pub fn desired_of(files: &[(&str, &str)], now: &str) -> DesiredIdentityCenter {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), files);
    let (config, ds) = iamctl_config::check(d.path(), ts(now));
    assert!(ds.iter().all(|x| !x.is_error()), "{ds:#?}");
    desired_identity_center(&config, ts(now))
}

pub fn contract() -> Vec<(&'static str, &'static str)> {
    vec![
        ("settings.yaml", SETTINGS),
        ("identity-center/data.yaml", IDENTITY_CENTER),
        ("permanent-access/data.yaml", PERMANENT),
        ("temporary-access/data.yaml", TEMPORARY),
        ("aws-accounts/data.yaml", ACCOUNTS),
        ("aws-policies/data.yaml", POLICIES),
    ]
}
