//! Analysis over an organisation snapshot: `who-can`, `simulate`, `access`
//! and `escalation` with SCPs, RCPs and cross-account rules, and `snapshot
//! merge`. Offline: the snapshot is written by the test.

use serde_json::{json, Value};

use crate::harness::Env;

const MGMT: &str = "111111111111";
const PROD: &str = "222222222222";
const DEV: &str = "333333333333";
const BUCKET: &str = "arn:aws:s3:::prod-data";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// User `alice` (s3 and kms) and role `ci` (everything, trusting the
/// account) in each account.
fn iam(id: &str) -> Value {
    json!({
        "UserDetailList": [{"UserName": "alice", "Path": "/", "Arn": format!("arn:aws:iam::{id}:user/alice"),
            "UserPolicyList": [{"PolicyName": "work", "PolicyDocument":
                doc(json!([{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}]))}]}],
        "RoleDetailList": [{"RoleName": "ci", "Path": "/", "Arn": format!("arn:aws:iam::{id}:role/ci"),
            "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{id}:root")}, "Action": "sts:AssumeRole"}])),
            "RolePolicyList": [{"PolicyName": "ci", "PolicyDocument":
                doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}]}]
    })
}

/// The management account at the root, `prod` in `/workloads/prod`, `dev`
/// in `/workloads`; `FullAWSAccess` everywhere and `deny-delete` on
/// `/workloads/prod`; prod's bucket lets dev's alice read.
fn organisation() -> Value {
    let bucket_policy = doc(json!([{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{DEV}:user/alice")},
        "Action": "s3:GetObject", "Resource": format!("{BUCKET}/*")}]));
    json!({
        "FormatVersion": 1, "Kind": "organization", "OrganizationId": "o-test",
        "ManagementAccountId": MGMT, "RootId": "r-1",
        "OrganizationalUnits": [
            {"Id": "ou-w", "Name": "workloads", "ParentId": "r-1"},
            {"Id": "ou-p", "Name": "prod", "ParentId": "ou-w"}],
        "Accounts": [
            {"Id": MGMT, "Name": "management", "ParentId": "r-1", "Iam": iam(MGMT)},
            {"Id": PROD, "Name": "prod", "ParentId": "ou-p", "Iam": iam(PROD),
             "ResourcePolicies": [{"Arn": BUCKET, "Service": "s3", "Document": bucket_policy}]},
            {"Id": DEV, "Name": "dev", "ParentId": "ou-w", "Iam": iam(DEV)}],
        "OrganizationPolicies": [
            {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY",
             "Document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
             "Targets": ["r-1", "ou-w", "ou-p", MGMT, PROD, DEV]},
            {"Id": "p-dd", "Name": "deny-delete", "Type": "SERVICE_CONTROL_POLICY",
             "Document": doc(json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}])),
             "Targets": ["ou-p"]}]
    })
}

fn write_org(env: &Env) -> String {
    env.file(
        "org.json",
        &serde_json::to_string_pretty(&organisation()).unwrap(),
    )
}

#[tokio::test]
async fn who_can_answers_over_every_account_with_scps_and_cross_account() {
    let env = Env::new().await;
    let org = write_org(&env);
    let o = env.ok(&[
        "who-can",
        "s3:GetObject",
        &format!("{BUCKET}/report.csv"),
        "--snapshot",
        &org,
        "--output",
        "json",
    ]);
    let rows = o.json();
    let who: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["accountName"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect();
    // prod's own principals, and dev's alice through the bucket policy;
    // management's alice has no grant in the bucket policy.
    assert_eq!(who, ["prod:alice", "prod:ci", "dev:alice"], "{rows:#}");
    let dev = &rows[2]["actions"][0]["statements"];
    assert!(
        dev.as_array()
            .unwrap()
            .iter()
            .any(|s| s["origin"]["layer"] == "resource" && s["origin"]["arn"] == BUCKET),
        "{dev:#}"
    );
    // An SCP denies s3:DeleteBucket below /workloads/prod: prod's principals
    // are gone, though their IAM allows it.
    let o = env.ok(&["who-can", "s3:DeleteBucket", "--snapshot", &org]);
    assert!(!o.stdout.contains("prod (222222222222)"), "{}", o.stdout);
    assert!(o.stdout.contains("dev (333333333333)"), "{}", o.stdout);
    assert!(
        o.stdout.contains("management (111111111111)"),
        "{}",
        o.stdout
    );
}

#[tokio::test]
async fn simulate_names_the_scp_and_its_place_in_the_tree() {
    let env = Env::new().await;
    let org = write_org(&env);
    let args = [
        "simulate",
        "--snapshot",
        &org,
        "--principal",
        "alice",
        "--account",
        "prod",
        "--action",
        "s3:DeleteBucket",
        "--resource",
        BUCKET,
    ];
    let o = env.ok(&args);
    assert!(
        o.stdout
            .contains("explicitDeny  s3:DeleteBucket on arn:aws:s3:::prod-data\n  SCP `deny-delete` (statement 0) at OU `/workloads/prod`"),
        "{}",
        o.stdout
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--output", "json"]);
    let v = env.ok(&json_args).json();
    assert_eq!(v["decision"], "explicitDeny");
    assert_eq!(v["reasons"][0]["origin"]["layer"], "scp");
    assert_eq!(v["reasons"][0]["origin"]["policyId"], "p-dd");
    assert_eq!(
        v["reasons"][0]["origin"]["place"]["path"],
        "/workloads/prod"
    );
    // The management account is not affected by SCPs.
    let o = env.ok(&[
        "simulate",
        "--snapshot",
        &org,
        "--principal",
        &format!("arn:aws:iam::{MGMT}:user/alice"),
        "--action",
        "s3:DeleteBucket",
        "--resource",
        "arn:aws:s3:::mgmt-logs",
        "--output",
        "json",
    ]);
    assert_eq!(o.json()["decision"], "allowed");
    assert_eq!(o.json()["notes"][0]["code"], "scpsNotApplied");
}

#[tokio::test]
async fn access_picks_the_account_and_lists_other_accounts_resources() {
    let env = Env::new().await;
    let org = write_org(&env);
    let o = env.fails(&["access", "alice", "--snapshot", &org], 2);
    assert!(o.stderr.contains("management, prod, dev"), "{}", o.stderr);
    assert!(o.stderr.contains("--account"), "{}", o.stderr);
    let v = env
        .ok(&[
            "access",
            "alice",
            "--account",
            "dev",
            "--snapshot",
            &org,
            "--output",
            "json",
        ])
        .json();
    assert_eq!(v["account"], DEV);
    assert_eq!(
        v["crossAccount"],
        json!([{"resource": BUCKET, "actions": ["s3:GetObject"]}])
    );
    let v = env
        .ok(&[
            "access",
            "alice",
            "--account",
            "prod",
            "--snapshot",
            &org,
            "--output",
            "json",
        ])
        .json();
    let s3: Vec<&str> = v["services"]["s3"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|l| l.as_array().unwrap().iter().map(|a| a.as_str().unwrap()))
        .collect();
    assert!(!s3.contains(&"DeleteBucket"), "the SCP denies it");
    assert!(s3.contains(&"GetObject"));
    let o = env.ok(&["access", "alice", "--account", "dev", "--snapshot", &org]);
    assert!(
        o.stdout.contains("in other accounts, through their resource policies:\n  arn:aws:s3:::prod-data: s3:GetObject"),
        "{}",
        o.stdout
    );
}

#[tokio::test]
async fn escalation_reports_every_account_under_its_scps() {
    let env = Env::new().await;
    let org = write_org(&env);
    let v = env
        .ok(&["escalation", "--snapshot", &org, "--format", "json"])
        .json();
    let accounts: Vec<(&str, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["accountName"].as_str().unwrap(),
                r["scpsApplied"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [("management", false), ("prod", true), ("dev", true)]
    );
    let o = env.ok(&["escalation", "--snapshot", &org, "--account", "dev"]);
    assert!(
        o.stdout.starts_with("account dev (333333333333):"),
        "{}",
        o.stdout
    );
}

#[tokio::test]
async fn snapshot_merge_unions_accounts_and_names_a_conflict() {
    let env = Env::new().await;
    let mut a = organisation();
    a["Accounts"][1].as_object_mut().unwrap().remove("Iam");
    let mut b = organisation();
    b["Accounts"][0].as_object_mut().unwrap().remove("Iam");
    let fa = env.file("a.json", &a.to_string());
    let fb = env.file("b.json", &b.to_string());
    let out = env.path("merged.json");
    let out = out.to_str().unwrap();
    let o = env.ok(&[
        "snapshot", "merge", &fa, &fb, "--out", out, "--output", "json",
    ]);
    assert_eq!(o.json()["collected"], 3);
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert!(merged["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x.get("Iam").is_some()));
    // The merged snapshot is read by the analysis commands.
    env.ok(&["who-can", "s3:GetObject", "--snapshot", out]);

    let mut c = organisation();
    c["Accounts"][2]["Iam"]["UserDetailList"] = json!([]);
    let fc = env.file("c.json", &c.to_string());
    let fo = env.file("o.json", &organisation().to_string());
    let o = env.fails(&["snapshot", "merge", &fo, &fc, "--out", out], 3);
    assert!(
        o.stderr.contains("account `333333333333` (`dev`)"),
        "{}",
        o.stderr
    );
}

#[tokio::test]
async fn a_broken_organisation_snapshot_is_named_with_line_and_column() {
    let env = Env::new().await;
    let bad = env.file(
        "bad.json",
        "{\"Kind\": \"organization\",\n \"Accounts\": [{\"Id\": 12}]}",
    );
    let o = env.fails(&["who-can", "s3:GetObject", "--snapshot", &bad], 3);
    assert!(o.stderr.contains("bad.json`:2:"), "{}", o.stderr);
    let mut broken = organisation();
    broken["Accounts"][1]["ParentId"] = json!("ou-gone");
    let f = env.file("tree.json", &broken.to_string());
    let o = env.fails(&["access", "alice", "--snapshot", &f], 3);
    assert!(o.stderr.contains("ou-gone"), "{}", o.stderr);
}
