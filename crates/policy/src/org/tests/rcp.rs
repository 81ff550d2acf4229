//! Resource control policies, each rule citing the AWS page and sentence.

use serde_json::{json, Value};

use super::*;

fn deny_outside_org() -> Value {
    rcp(
        "p-perimeter",
        "perimeter",
        json!([{"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*", "sns:*"], "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-test"},
                              "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]),
        &["r-1"],
    )
}

fn deny_everyone_rcp() -> Value {
    rcp(
        "p-nodel",
        "no-object-deletes",
        json!([{"Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "sns:Publish"], "Resource": "*"}]),
        &["r-1"],
    )
}

/// orgs_manage_policies_rcps.html: "RCPs offer central control over the
/// maximum available permissions for resources in your organization." A
/// deny in an RCP on the resource's path wins, and is named with its place;
/// the data-perimeter example lets the organisation's own principals in.
#[test]
fn rcps_restrict_resources_in_member_accounts() {
    let o = org(json!([deny_everyone_rcp(), deny_outside_org()]), &[]);
    let e = ask(&o, "alice", "prod", "s3:DeleteObject", "arn:aws:s3:::b/k");
    // The bucket is unknown, so in the principal's account (prod).
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(
        e.reasons[0].to_string(),
        "RCP `no-object-deletes` (statement 0) at the root"
    );
    // aws:PrincipalOrgID is the organisation's: the perimeter lets it in.
    assert_eq!(
        ask(&o, "alice", "prod", "s3:GetObject", "arn:aws:s3:::b/k").decision,
        Decision::Allowed
    );
}

/// orgs_manage_policies_rcps.html: "RCPs don't affect resources in the
/// management account. They only affect resources in member accounts within
/// your organization."
#[test]
fn rcps_do_not_affect_resources_of_the_management_account() {
    let o = org(json!([deny_everyone_rcp()]), &[]);
    let e = ask(
        &o,
        "alice",
        "management",
        "s3:DeleteObject",
        "arn:aws:s3:::b/k",
    );
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e
        .notes
        .contains(&OrgNote::RcpsNotApplied(Exemption::ManagementAccount)));
}

/// orgs_manage_policies_rcps.html, "List of AWS services that support
/// RCPs": RCPs apply to the listed services only (Amazon SNS is not one of
/// them); "Resources and entities not restricted by RCPs": "Any action by
/// service-linked roles".
#[test]
fn rcps_apply_to_their_services_and_not_to_service_linked_roles() {
    let o = org(json!([deny_everyone_rcp()]), &[]);
    let topic = format!("arn:aws:sns:us-east-1:{PROD}:alerts");
    let e = ask(&o, "alice", "prod", "sns:Publish", &topic);
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e
        .notes
        .contains(&OrgNote::RcpsNotApplied(Exemption::ServiceNotCovered)));
    let e = ask(
        &o,
        "AWSServiceRoleForX",
        "prod",
        "s3:DeleteObject",
        "arn:aws:s3:::b/k",
    );
    assert_eq!(e.decision, Decision::Allowed);
}

/// orgs_manage_policies_rcps.html: RCPs do not apply to AWS managed KMS
/// keys, "which are managed and used by AWS services on your behalf".
#[test]
fn rcps_do_not_apply_to_aws_managed_keys() {
    let deny_kms = rcp(
        "p-kms",
        "no-decrypt",
        json!([{"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]),
        &["r-1"],
    );
    let key = format!("arn:aws:kms:us-east-1:{PROD}:key/aws-s3");
    let managed = json!({"Arn": key, "Service": "kms", "KeyManager": "AWS",
        "Document": doc(json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{PROD}:root")},
                                "Action": "kms:*", "Resource": "*"}]))});
    let o = org(json!([deny_kms]), &[(PROD, managed)]);
    let e = ask(&o, "alice", "prod", "kms:Decrypt", &key);
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e
        .notes
        .contains(&OrgNote::RcpsNotApplied(Exemption::AwsManagedKey)));
}
