//! The organisation rules, each a case citing the AWS page and the sentence
//! that decides it.

use serde_json::{json, Value};

use super::*;

mod analysis;
mod rcp;
use crate::eval::{Context, Decision};
use crate::snapshot::org::OrgSnapshot;

const MGMT: &str = "111111111111";
const PROD: &str = "222222222222";
const DEV: &str = "333333333333";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow_all() -> Value {
    doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))
}

/// An account's IAM: user `alice` allowed `s3:*`, `kms:*`, `sqs:*`, `sns:*`
/// and `sts:AssumeRole`; role `deployer` trusting dev's alice;
/// user `nobody` with nothing; service-linked role `AWSServiceRoleForX`
/// allowed the same as alice.
fn iam(id: &str) -> Value {
    let grant = doc(json!([{"Effect": "Allow",
        "Action": ["s3:*", "kms:*", "sqs:*", "sns:*", "sts:AssumeRole"], "Resource": "*"}]));
    json!({
        "UserDetailList": [
            {"UserName": "alice", "Path": "/", "Arn": format!("arn:aws:iam::{id}:user/alice"),
             "UserPolicyList": [{"PolicyName": "work", "PolicyDocument": grant}]},
            {"UserName": "nobody", "Path": "/", "Arn": format!("arn:aws:iam::{id}:user/nobody")}
        ],
        "RoleDetailList": [
            {"RoleName": "AWSServiceRoleForX", "Path": "/aws-service-role/x.amazonaws.com/",
             "Arn": format!("arn:aws:iam::{id}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"),
             "RolePolicyList": [{"PolicyName": "work", "PolicyDocument": grant}]},
            {"RoleName": "deployer", "Path": "/", "Arn": format!("arn:aws:iam::{id}:role/deployer"),
             "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{DEV}:user/alice")}, "Action": "sts:AssumeRole"}]}}
        ]
    })
}

/// Root `r-1`, OUs `/workloads` and `/workloads/prod`; the management
/// account at the root, `prod` in `/workloads/prod`, `dev` in `/workloads`;
/// `FullAWSAccess` everywhere, plus `extra` organisation policies and
/// resource policies per account.
fn org(extra: Value, resources: &[(&str, Value)]) -> Organization {
    let mut policies = vec![json!({
        "Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY",
        "Document": allow_all(),
        "Targets": ["r-1", "ou-w", "ou-p", MGMT, PROD, DEV]})];
    policies.extend(extra.as_array().cloned().unwrap_or_default());
    let account = |id: &str, name: &str, parent: &str| {
        let rps: Vec<Value> = resources
            .iter()
            .filter(|(owner, _)| *owner == id)
            .map(|(_, r)| r.clone())
            .collect();
        json!({"Id": id, "Name": name, "ParentId": parent, "Iam": iam(id), "ResourcePolicies": rps})
    };
    let snap = json!({
        "FormatVersion": 1, "Kind": "organization", "OrganizationId": "o-test",
        "ManagementAccountId": MGMT, "RootId": "r-1",
        "OrganizationalUnits": [
            {"Id": "ou-w", "Name": "workloads", "ParentId": "r-1"},
            {"Id": "ou-p", "Name": "prod", "ParentId": "ou-w"}],
        "Accounts": [account(MGMT, "management", "r-1"), account(PROD, "prod", "ou-p"),
                     account(DEV, "dev", "ou-w")],
        "OrganizationPolicies": policies,
    });
    Organization::from_snapshot(&OrgSnapshot::from_json(&snap.to_string()).unwrap())
}

fn ask(o: &Organization, who: &str, account: &str, action: &str, resource: &str) -> OrgEvaluation {
    let (m, p) = o.principal(who, Some(account)).unwrap();
    o.evaluate(m, p, action, Some(resource), &Context::new())
}

fn scp(id: &str, name: &str, statements: Value, targets: &[&str]) -> Value {
    json!({"Id": id, "Name": name, "Type": "SERVICE_CONTROL_POLICY",
           "Document": doc(statements), "Targets": targets})
}

fn rcp(id: &str, name: &str, statements: Value, targets: &[&str]) -> Value {
    json!({"Id": id, "Name": name, "Type": "RESOURCE_CONTROL_POLICY",
           "Document": doc(statements), "Targets": targets})
}

fn deny_delete() -> Value {
    scp(
        "p-dd",
        "deny-delete",
        json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]),
        &["ou-p"],
    )
}

const BUCKET: &str = "arn:aws:s3:::prod-data";

/// orgs_manage_policies_scps_evaluation.html: "For a permission to be
/// allowed for a specific account, there must be an explicit Allow
/// statement at every level from the root through each OU in the direct
/// path to the account (including the target account itself)."
#[test]
fn every_scp_level_on_the_path_must_allow() {
    // FullAWSAccess detached from /workloads/prod, replaced by EC2 only.
    let mut o = org(
        json!([scp(
            "p-ec2",
            "ec2-only",
            json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]),
            &["ou-p"]
        )]),
        &[],
    );
    let full = o
        .policies
        .iter()
        .position(|p| p.id == "p-FullAWSAccess")
        .unwrap();
    let prod = o.member(PROD).unwrap();
    o.members[prod].levels[2].scps.retain(|&i| i != full);
    let e = ask(&o, "alice", "prod", "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(
        e.notes.last().unwrap().to_string(),
        "no service control policy at OU `/workloads/prod` allows the action"
    );
    // The sibling account under /workloads is not below that OU.
    assert_eq!(
        ask(&o, "alice", "dev", "s3:GetObject", "arn:aws:s3:::b/k").decision,
        Decision::Allowed
    );
}

/// reference_policies_evaluation-logic_policy-eval-denyallow.html: "An
/// explicit deny in any of these policies overrides the allow." — an SCP's
/// deny at any level wins over the identity policy, and the answer names
/// the SCP and its place.
#[test]
fn an_scp_deny_anywhere_wins_and_is_named_with_its_place() {
    let o = org(json!([deny_delete()]), &[]);
    let e = ask(&o, "alice", "prod", "s3:DeleteBucket", BUCKET);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(
        e.reasons[0].to_string(),
        "SCP `deny-delete` (statement 0) at OU `/workloads/prod`"
    );
    assert!(matches!(&e.reasons[0].origin, Origin::Scp { policy_id, .. } if policy_id == "p-dd"));
    // Not below that OU: allowed, with every SCP level named.
    let e = ask(&o, "alice", "dev", "s3:DeleteBucket", BUCKET);
    assert_eq!(e.decision, Decision::Allowed);
    let scp_levels = e
        .reasons
        .iter()
        .filter(|r| matches!(r.origin, Origin::Scp { .. }))
        .count();
    assert_eq!(
        scp_levels, 3,
        "root, /workloads, the account: {:?}",
        e.reasons
    );
}

/// orgs_manage_policies_scps.html: "SCPs don't affect users or roles in the
/// management account. They affect only the member accounts in your
/// organization."
#[test]
fn the_management_account_is_not_affected_by_scps() {
    let deny_root = scp(
        "p-dr",
        "deny-delete-root",
        json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]),
        &["r-1"],
    );
    let o = org(json!([deny_root]), &[]);
    let e = ask(
        &o,
        "alice",
        "management",
        "s3:DeleteBucket",
        "arn:aws:s3:::mgmt-logs",
    );
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e
        .notes
        .contains(&OrgNote::ScpsNotApplied(Exemption::ManagementAccount)));
    assert_eq!(
        ask(&o, "alice", "dev", "s3:DeleteBucket", BUCKET).decision,
        Decision::ExplicitDeny
    );
}

/// orgs_manage_policies_scps.html: "SCPs do not affect any service-linked
/// role. Service-linked roles enable other AWS services to integrate with
/// AWS Organizations and can't be restricted by SCPs."
#[test]
fn service_linked_roles_are_not_affected_by_scps() {
    let o = org(json!([deny_delete()]), &[]);
    let e = ask(&o, "AWSServiceRoleForX", "prod", "s3:DeleteBucket", BUCKET);
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e
        .notes
        .contains(&OrgNote::ScpsNotApplied(Exemption::ServiceLinkedRole)));
}

fn bucket(arn: &str, statements: Value) -> Value {
    json!({"Arn": arn, "Service": "s3", "Document": doc(statements)})
}

/// reference_policies_evaluation-logic-cross-account.html: "The
/// resource-based policy in the trusting account must specify the principal
/// of the trusted account that will have access to the resource." and "The
/// principal's identity-based policy must allow the requested access to the
/// resource in the trusting service."
#[test]
fn cross_account_needs_the_identity_and_the_resource_policy() {
    let dev_alice = format!("arn:aws:iam::{DEV}:user/alice");
    let dev_nobody = format!("arn:aws:iam::{DEV}:user/nobody");
    let shared = bucket(
        BUCKET,
        json!([{"Effect": "Allow", "Principal": {"AWS": [dev_alice, dev_nobody]}, "Action": "s3:GetObject",
                "Resource": format!("{BUCKET}/*")}]),
    );
    let o = org(json!([]), &[(PROD, shared)]);
    let key = format!("{BUCKET}/report.csv");
    let e = ask(&o, "alice", "dev", "s3:GetObject", &key);
    assert_eq!(e.decision, Decision::Allowed);
    assert_eq!(e.resource_account, PROD);
    assert!(e
        .reasons
        .iter()
        .any(|r| matches!(r.origin, Origin::Resource { .. })));
    // No identity policy: the bucket policy alone is not enough across accounts.
    assert_eq!(
        ask(&o, "nobody", "dev", "s3:GetObject", &key).decision,
        Decision::ImplicitDeny
    );
    // An identity policy alone is not enough either.
    assert_eq!(
        ask(&o, "alice", "dev", "s3:PutObject", &key).decision,
        Decision::ImplicitDeny
    );
    // In the bucket's own account, the identity policy suffices.
    assert_eq!(
        ask(&o, "alice", "prod", "s3:PutObject", &key).decision,
        Decision::Allowed
    );
}

/// orgs_manage_policies_scps.html: "SCPs affect only IAM users and roles
/// that are managed by accounts that are part of the organization. SCPs
/// don't affect resource-based policies directly." — an SCP of the
/// resource's account does not restrict a principal of another account.
#[test]
fn scps_follow_the_principal_not_the_resource() {
    let open = bucket(
        BUCKET,
        json!([{"Effect": "Allow", "Principal": {"AWS": DEV}, "Action": "s3:DeleteBucket", "Resource": BUCKET}]),
    );
    let o = org(json!([deny_delete()]), &[(PROD, open)]);
    assert_eq!(
        ask(&o, "alice", "dev", "s3:DeleteBucket", BUCKET).decision,
        Decision::Allowed
    );
    assert_eq!(
        ask(&o, "alice", "prod", "s3:DeleteBucket", BUCKET).decision,
        Decision::ExplicitDeny
    );
}

/// reference_policies_evaluation-logic_policy-eval-denyallow.html: "IAM role
/// trust policies and KMS key policies are exceptions to this logic,
/// because they must explicitly allow access for principals."
#[test]
fn a_kms_key_policy_must_allow() {
    let key = format!("arn:aws:kms:us-east-1:{PROD}:key/k1");
    let other = format!("arn:aws:kms:us-east-1:{PROD}:key/k2");
    let admin_only = json!({"Arn": key, "Service": "kms", "KeyManager": "CUSTOMER",
        "Document": doc(json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{PROD}:user/admin")},
                                "Action": "kms:*", "Resource": "*"}]))});
    let enables_iam = json!({"Arn": other, "Service": "kms", "KeyManager": "CUSTOMER",
        "Document": doc(json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{PROD}:root")},
                                "Action": "kms:*", "Resource": "*"}]))});
    let o = org(json!([]), &[(PROD, admin_only), (PROD, enables_iam)]);
    let e = ask(&o, "alice", "prod", "kms:Decrypt", &key);
    assert_eq!(
        e.decision,
        Decision::ImplicitDeny,
        "identity policy alone is not enough"
    );
    assert_eq!(
        ask(&o, "alice", "prod", "kms:Decrypt", &other).decision,
        Decision::Allowed
    );
    // A key the snapshot lacks: the answer says what it assumed.
    let missing = format!("arn:aws:kms:us-east-1:{PROD}:key/unknown");
    let e = ask(&o, "alice", "prod", "kms:Decrypt", &missing);
    assert!(e
        .notes
        .contains(&OrgNote::KeyPolicyAssumed(missing.clone())));
}

/// access-control-block-public-access.html (Amazon S3 user guide),
/// `RestrictPublicBuckets`: "Setting this option to TRUE restricts access to
/// an access point or bucket with a public policy to only AWS service
/// principals and authorized users within the bucket owner's account and
/// access point owner's account. This setting blocks all cross-account
/// access to the access point or bucket (except by AWS service principals)".
#[test]
fn s3_block_public_access_overrides_public_grants() {
    let public = bucket(
        BUCKET,
        json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("{BUCKET}/*")}]),
    );
    let key = format!("{BUCKET}/index.html");
    let o = org(json!([]), &[(PROD, public.clone())]);
    assert_eq!(
        ask(&o, "alice", "dev", "s3:GetObject", &key).decision,
        Decision::Allowed
    );
    let mut o = org(json!([]), &[(PROD, public)]);
    let prod = o.member(PROD).unwrap();
    o.members[prod].public_access_block = Some(crate::snapshot::org::PublicAccessBlock {
        restrict_public_buckets: true,
        ..Default::default()
    });
    let e = ask(&o, "alice", "dev", "s3:GetObject", &key);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert!(e.notes.iter().any(|n| matches!(
        n,
        OrgNote::BlockPublicAccess {
            account_level: true,
            ..
        }
    )));
    // Within the bucket owner's account, authorized users keep access.
    assert_eq!(
        ask(&o, "alice", "prod", "s3:GetObject", &key).decision,
        Decision::Allowed
    );
}

#[test]
fn principals_are_found_across_accounts_or_named_ambiguous() {
    let o = org(json!([]), &[]);
    let e = o.principal("alice", None).unwrap_err();
    assert!(matches!(e, OrgAnalysisError::AmbiguousPrincipal { .. }));
    assert!(e.to_string().contains("management, prod, dev"), "{e}");
    let (m, _) = o
        .principal(&format!("arn:aws:iam::{DEV}:user/alice"), None)
        .unwrap();
    assert_eq!(o.members[m].name, "dev");
    assert!(o.principal("alice", Some("nowhere")).is_err());
}

/// reference_policies_evaluation-logic-cross-account.html: "In IAM, you can
/// attach a resource-based policy to an IAM role to allow principals in
/// other accounts to assume that role." — the trust policy of the role in
/// the other account and the caller's identity policy must both allow.
#[test]
fn assuming_a_role_in_another_account_needs_its_trust_policy() {
    let o = org(json!([]), &[]);
    let role =
        format!("arn:aws:iam::{PROD}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX");
    // The service-linked role has no trust for dev.
    let e = ask(&o, "alice", "dev", "sts:AssumeRole", &role);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.resource_account, PROD);
    // `deployer` trusts dev's alice: her identity policy and the trust
    // policy allow.
    let deployer = format!("arn:aws:iam::{PROD}:role/deployer");
    let e = ask(&o, "alice", "dev", "sts:AssumeRole", &deployer);
    assert_eq!(e.decision, Decision::Allowed, "{e:?}");
    assert!(e
        .reasons
        .iter()
        .any(|r| matches!(r.origin, Origin::Resource { .. })));
    // prod's own alice is not named: a trust policy must allow, also
    // within the account.
    let e = ask(&o, "alice", "prod", "sts:AssumeRole", &deployer);
    assert_eq!(e.decision, Decision::ImplicitDeny);
}
