//! SCPs and RCPs as code: issue 19's contract files as printed, and each class
//! of bad input at its file, line and column. The rules' sources are in
//! `crates/config/src/org_policies.rs`.

use iamctl_config::org_policies::{OrgPolicyKind, Target};
use iamctl_config::{check, Diagnostic, Severity};
use jiff::Timestamp;
use serde_json::json;

fn now() -> Timestamp {
    "2026-12-05T00:00:00Z".parse().expect("ts")
}

fn check_files(files: &[(&str, &str)]) -> (iamctl_config::Config, Vec<Diagnostic>) {
    let d = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let p = d.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    check(d.path(), now())
}

fn errors(ds: &[Diagnostic]) -> Vec<&Diagnostic> {
    ds.iter().filter(|d| d.is_error()).collect()
}

fn assert_at(ds: &[Diagnostic], sev: Severity, file: &str, line: usize, col: usize, needle: &str) {
    assert!(
        ds.iter().any(|d| d.severity == sev
            && d.file() == file
            && d.line() == line
            && d.column() == col
            && d.message.contains(needle)),
        "no {sev:?} `{needle}` at {file}:{line}:{col} in {ds:#?}"
    );
}

// Issue 19's contract, as printed.
const SETTINGS: &str = "# settings.yaml
settings:
  organization:
    account: management          # a name from aws-accounts: the management or delegated admin account
";
const ORG_POLICIES: &str = "# org-policies/<team>.yaml
org-policies:
  deny-leave-org:
    type: scp                    # or rcp
    description: Accounts cannot leave the organisation
    custom_statements:
      - {effect: Deny, actions: [\"organizations:LeaveOrganization\"], resources: [\"*\"]}
    targets: [ou:/workloads, account:prod]   # `root`, an OU path from the root, or an account name
";
const ACCOUNTS: &str = "aws-accounts:\n  management: \"111111111111\"\n  prod: \"345678901234\"\n";

fn contract() -> Vec<(&'static str, &'static str)> {
    vec![
        ("settings.yaml", SETTINGS),
        ("org-policies/security.yaml", ORG_POLICIES),
        ("aws-accounts/security.yaml", ACCOUNTS),
    ]
}

fn with(path: &'static str, text: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut files = contract();
    files.retain(|(p, _)| *p != path);
    files.push((path, text));
    files
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn the_contract_validates_as_written() {
    let (config, ds) = check_files(&contract());
    assert_eq!(errors(&ds), Vec::<&Diagnostic>::new());
    let p = &config.teams["security"].org_policies["deny-leave-org"];
    assert_eq!(p.kind(), Some(OrgPolicyKind::ServiceControlPolicy));
    assert_eq!(p.org_name("security"), "security-deny-leave-org");
    assert_eq!(
        p.document(),
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": ["organizations:LeaveOrganization"], "Resource": ["*"]}
        ]})
    );
    let targets: Vec<Target> = p
        .targets
        .iter()
        .map(|t| Target::parse(&t.value).expect("target"))
        .collect();
    assert_eq!(
        targets,
        vec![
            Target::Ou(vec!["workloads".into()]),
            Target::Account("prod".into())
        ]
    );
}

#[test]
fn an_rcp_names_every_principal() {
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
    let rcp = "org-policies:\n  tls-only:\n    type: rcp\n    custom_statements:\n      - effect: Deny\n        actions: [\"s3:*\"]\n        resources: [\"*\"]\n        conditions: {Bool: {aws:SecureTransport: \"false\"}}\n    targets: [root]\n";
    let (config, ds) = check_files(&with("org-policies/security.yaml", rcp));
    assert_eq!(errors(&ds), Vec::<&Diagnostic>::new());
    let doc = config.teams["security"].org_policies["tls-only"].document();
    assert_eq!(doc["Statement"][0]["Principal"], "*");
}

#[test]
fn an_scp_that_locks_out_the_deployer_is_refused() {
    let deny_iam = "org-policies:\n  no-iam:\n    type: scp\n    custom_statements:\n      - {effect: Deny, actions: [\"iam:*\"], resources: [\"*\"]}\n    targets: [root]\n";
    let (_, ds) = check_files(&with("org-policies/security.yaml", deny_iam));
    assert_at(
        &ds,
        Severity::Error,
        "org-policies/security.yaml",
        2,
        3,
        "denies the deployer role `arn:aws:iam::111111111111:role/IAMAsCodeDeployer`",
    );
    // The same deny with the deployer exempted passes.
    let exempt = "org-policies:\n  no-iam:\n    type: scp\n    custom_statements:\n      - effect: Deny\n        actions: [\"iam:*\"]\n        resources: [\"*\"]\n        conditions: {ArnNotLike: {aws:PrincipalArn: \"arn:aws:iam::*:role/IAMAsCodeDeployer\"}}\n    targets: [root]\n";
    let (_, ds) = check_files(&with("org-policies/security.yaml", exempt));
    assert_eq!(errors(&ds), Vec::<&Diagnostic>::new());
}

#[test]
fn targets_are_root_an_ou_path_or_an_account() {
    let bad = "org-policies:\n  p:\n    type: scp\n    custom_statements:\n      - {effect: Deny, actions: [\"s3:DeleteBucket\"], resources: [\"*\"]}\n    targets: [ou:workloads, acount:prod, account:staging, ou:/a//b]\n";
    let (_, ds) = check_files(&with("org-policies/security.yaml", bad));
    let f = "org-policies/security.yaml";
    assert_at(
        &ds,
        Severity::Error,
        f,
        6,
        15,
        "`ou:workloads` is not a target",
    );
    assert_at(
        &ds,
        Severity::Error,
        f,
        6,
        29,
        "`acount:prod` is not a target",
    );
    assert_at(
        &ds,
        Severity::Error,
        f,
        6,
        42,
        "unknown environment `staging`",
    );
    assert_at(&ds, Severity::Error, f, 6, 59, "`ou:/a//b` is not a target");
    assert_eq!(errors(&ds).len(), 4, "{ds:#?}");
}

#[test]
fn the_type_is_scp_or_rcp() {
    let (_, ds) = check_files(&with(
        "org-policies/security.yaml",
        "org-policies:\n  p:\n    type: tag\n    custom_statements:\n      - {effect: Deny, actions: [\"s3:DeleteBucket\"], resources: [\"*\"]}\n    targets: [root]\n",
    ));
    assert_at(
        &ds,
        Severity::Error,
        "org-policies/security.yaml",
        3,
        11,
        "neither `scp` nor `rcp`",
    );
    let (_, ds) = check_files(&with(
        "org-policies/security.yaml",
        "org-policies:\n  p:\n    custom_statements:\n      - {effect: Deny, actions: [\"s3:DeleteBucket\"], resources: [\"*\"]}\n",
    ));
    assert_at(
        &ds,
        Severity::Error,
        "org-policies/security.yaml",
        2,
        3,
        "has no `type`",
    );
}

#[test]
fn a_document_over_5120_characters_is_refused() {
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html:
    // "Service control policies: 5,120 characters".
    let mut big = String::from("org-policies:\n  big:\n    type: scp\n    custom_statements:\n      - effect: Deny\n        actions:\n");
    for i in 0..200 {
        big.push_str(&format!("          - \"s3:GetObjectVersionNumber{i}\"\n"));
    }
    big.push_str("        resources: [\"*\"]\n    targets: [root]\n");
    let (_, ds) = check_files(&with("org-policies/security.yaml", leak(big)));
    assert!(
        errors(&ds)
            .iter()
            .any(|d| d.file() == "org-policies/security.yaml" && d.message.contains("5120")),
        "{ds:#?}"
    );
}

#[test]
fn at_most_five_scps_on_one_target() {
    let mut many = String::from("org-policies:\n");
    for i in 0..6 {
        many.push_str(&format!(
            "  p{i}:\n    type: scp\n    custom_statements:\n      - {{effect: Deny, actions: [\"s3:DeleteBucket\"], resources: [\"*\"]}}\n    targets: [root]\n"
        ));
    }
    let (_, ds) = check_files(&with("org-policies/security.yaml", leak(many)));
    assert_at(
        &ds,
        Severity::Error,
        "org-policies/security.yaml",
        27,
        3,
        "6 SCPs target `root`",
    );
}

#[test]
fn the_management_account_is_not_affected() {
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html:
    // "SCPs don't affect users or roles in the management account."
    let p = "org-policies:\n  p:\n    type: scp\n    custom_statements:\n      - {effect: Deny, actions: [\"s3:DeleteBucket\"], resources: [\"*\"]}\n    targets: [account:management]\n";
    let (_, ds) = check_files(&with("org-policies/security.yaml", p));
    assert!(errors(&ds).is_empty(), "{ds:#?}");
    assert_at(
        &ds,
        Severity::Warning,
        "org-policies/security.yaml",
        6,
        15,
        "is the management account",
    );
}

#[test]
fn policies_need_the_organization_setting() {
    let mut files = contract();
    files.retain(|(p, _)| *p != "settings.yaml");
    let (_, ds) = check_files(&files);
    assert_at(
        &ds,
        Severity::Error,
        "org-policies/security.yaml",
        3,
        3,
        "need `organization` in `settings.yaml`",
    );
}
