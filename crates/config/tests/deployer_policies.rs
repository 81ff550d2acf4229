//! The deployer's policies shipped in `examples/iac/deployer/` pass `iamctl
//! policy lint` (no error), and the evaluation engine allows every call
//! iamctl makes for plan, apply, cleanup and import, and refuses what the
//! deployer must not do.
//!
//! The calls are the `IamBackend` methods `crates/iac/src/{read,apply}.rs`
//! use and the SDK operations `crates/aws/src/backend.rs` sends for each
//! (see `examples/iac/deployer/README.md`). A second check that cannot go
//! stale: `crates/iac/tests/converge.rs` asks the engine about every API
//! the memory backend saw apply call, over all its random cases.

use std::path::{Path, PathBuf};

use iamctl_policy::eval::{decision, Context, Decision, Policy, PolicySet, Principal, Request};
use iamctl_policy::lint::{lint, PolicyType, Severity};

const ACCOUNT: &str = "111122223333";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac/deployer")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).expect("policy file")
}

fn policy(name: &str) -> Policy {
    let doc: serde_json::Value = serde_json::from_str(&text(name)).expect("json");
    Policy::from_json(name, &doc).expect("policy")
}

/// An ARN of the kind `kind` in the account.
fn arn(kind: &str) -> String {
    match kind {
        "*" => "*".to_owned(),
        "aws-policy" => "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
        "policy" => format!("arn:aws:iam::{ACCOUNT}:policy/team/example-team-developers-read-only"),
        "user" => format!("arn:aws:iam::{ACCOUNT}:user/people/alice"),
        "role" => format!("arn:aws:iam::{ACCOUNT}:role/operator"),
        "group" => format!("arn:aws:iam::{ACCOUNT}:group/developers"),
        "mfa" => format!("arn:aws:iam::{ACCOUNT}:mfa/alice"),
        "instance-profile" => format!("arn:aws:iam::{ACCOUNT}:instance-profile/operator"),
        other => panic!("no ARN for {other}"),
    }
}

/// The deployer's request in its own account. IAM has no resource-based
/// policies and evaluates every request in the caller's account, also one
/// on an AWS-managed policy (`arn:aws:iam::aws:policy/...`), so the resource
/// account is the caller's.
fn decide(policies: &[&Policy], action: &str, resource: &str) -> Decision {
    let principal = Principal::parse(&format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/IAMAsCodeDeployer/iamctl"
    ));
    let account = if action.starts_with("iam:") {
        Some(ACCOUNT)
    } else {
        None
    };
    let req = Request::new(principal, action, resource, account, Context::new());
    let set = PolicySet {
        identity: policies.to_vec(),
        ..PolicySet::default()
    };
    decision(&req, &set)
}

/// What `plan` (and `import`) call: the account in one read, the tags of
/// customer-managed policies, and the AWS-managed documents temporary
/// grants copy.
const PLAN_CALLS: &[(&str, &str)] = &[
    ("iam:GetAccountAuthorizationDetails", "*"),
    ("iam:ListPolicyTags", "policy"),
    ("iam:GetPolicy", "aws-policy"),
    ("iam:GetPolicyVersion", "aws-policy"),
    ("iam:GetPolicy", "policy"),
    ("iam:GetPolicyVersion", "policy"),
    // import: a role's description and maximum session duration (GAAD has neither)
    ("iam:GetRole", "role"),
];

/// What `apply` and `cleanup` call beyond plan's reads.
const APPLY_CALLS: &[(&str, &str)] = &[
    ("iam:CreatePolicy", "policy"),
    ("iam:CreatePolicyVersion", "policy"),
    ("iam:ListPolicyVersions", "policy"),
    ("iam:DeletePolicyVersion", "policy"),
    ("iam:SetDefaultPolicyVersion", "policy"),
    ("iam:DeletePolicy", "policy"),
    ("iam:TagPolicy", "policy"),
    ("iam:UntagPolicy", "policy"),
    ("iam:ListEntitiesForPolicy", "policy"),
    ("iam:CreateUser", "user"),
    ("iam:GetUser", "user"),
    ("iam:TagUser", "user"),
    ("iam:UntagUser", "user"),
    ("iam:UpdateUser", "user"),
    ("iam:DeleteUser", "user"),
    ("iam:PutUserPermissionsBoundary", "user"),
    ("iam:DeleteUserPermissionsBoundary", "user"),
    ("iam:AttachUserPolicy", "user"),
    ("iam:DetachUserPolicy", "user"),
    ("iam:PutUserPolicy", "user"),
    ("iam:DeleteUserPolicy", "user"),
    ("iam:ListAttachedUserPolicies", "user"),
    ("iam:ListUserPolicies", "user"),
    ("iam:ListGroupsForUser", "user"),
    ("iam:GetLoginProfile", "user"),
    ("iam:DeleteLoginProfile", "user"),
    ("iam:ListAccessKeys", "user"),
    ("iam:DeleteAccessKey", "user"),
    ("iam:ListSigningCertificates", "user"),
    ("iam:DeleteSigningCertificate", "user"),
    ("iam:ListSSHPublicKeys", "user"),
    ("iam:DeleteSSHPublicKey", "user"),
    ("iam:ListServiceSpecificCredentials", "user"),
    ("iam:DeleteServiceSpecificCredential", "user"),
    ("iam:ListMFADevices", "user"),
    ("iam:DeactivateMFADevice", "user"),
    ("iam:DeleteVirtualMFADevice", "mfa"),
    ("iam:CreateRole", "role"),
    ("iam:TagRole", "role"),
    ("iam:DeleteRole", "role"),
    ("iam:UpdateAssumeRolePolicy", "role"),
    ("iam:PutRolePermissionsBoundary", "role"),
    ("iam:DeleteRolePermissionsBoundary", "role"),
    ("iam:AttachRolePolicy", "role"),
    ("iam:DetachRolePolicy", "role"),
    ("iam:PutRolePolicy", "role"),
    ("iam:DeleteRolePolicy", "role"),
    ("iam:UpdateRole", "role"),
    ("iam:UntagRole", "role"),
    ("iam:ListAttachedRolePolicies", "role"),
    ("iam:ListRolePolicies", "role"),
    ("iam:ListInstanceProfilesForRole", "role"),
    ("iam:RemoveRoleFromInstanceProfile", "instance-profile"),
    ("iam:DeleteInstanceProfile", "instance-profile"),
    ("iam:CreateGroup", "group"),
    ("iam:DeleteGroup", "group"),
    ("iam:AddUserToGroup", "group"),
    ("iam:RemoveUserFromGroup", "group"),
    ("iam:AttachGroupPolicy", "group"),
    ("iam:DetachGroupPolicy", "group"),
    ("iam:PutGroupPolicy", "group"),
    ("iam:DeleteGroupPolicy", "group"),
    ("iam:ListAttachedGroupPolicies", "group"),
    ("iam:ListGroupPolicies", "group"),
    ("iam:GetGroup", "group"),
    ("iam:UpdateGroup", "group"),
];

#[test]
fn the_policies_pass_lint() {
    for (file, kind) in [
        ("deployer-apply-policy.json", PolicyType::Identity),
        ("deployer-plan-policy.json", PolicyType::Identity),
        ("ci-caller-policy.json", PolicyType::Identity),
        ("deployer-trust-policy.json", PolicyType::Trust),
    ] {
        let report = lint(file, &text(file), kind);
        let shown: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{:?} {} {}", f.severity, f.code.as_str(), f.message))
            .collect();
        assert!(!report.has_errors(), "{file}: {shown:#?}");
        // Only what managing IAM means: the deployer can change what
        // principals may do (PRIVILEGE_ESCALATION, a security warning that
        // `policy lint` reports without failing); nothing else, not even a
        // `*` resource where IAM lets one be named.
        let allowed = if file == "deployer-apply-policy.json" {
            &["PRIVILEGE_ESCALATION"][..]
        } else {
            &[][..]
        };
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.severity == Severity::SecurityWarning
                    && allowed.contains(&f.code.as_str())),
            "{file}: {shown:#?}"
        );
    }
}

#[test]
fn every_call_is_allowed_and_nothing_more() {
    let apply = policy("deployer-apply-policy.json");
    let plan = policy("deployer-plan-policy.json");
    for (action, kind) in PLAN_CALLS {
        assert_eq!(
            decide(&[&plan], action, &arn(kind)),
            Decision::Allowed,
            "plan: {action} on {kind}"
        );
        assert_eq!(
            decide(&[&apply], action, &arn(kind)),
            Decision::Allowed,
            "apply: {action} on {kind}"
        );
    }
    for (action, kind) in APPLY_CALLS {
        assert_eq!(
            decide(&[&apply], action, &arn(kind)),
            Decision::Allowed,
            "apply: {action} on {kind}"
        );
        // The plan role changes nothing.
        assert_eq!(
            decide(&[&plan], action, &arn(kind)),
            Decision::ImplicitDeny,
            "plan: {action} on {kind}"
        );
    }
    // Not granted: passing roles, credentials, anything outside IAM.
    for (action, resource) in [
        ("iam:PassRole", arn("role")),
        ("iam:CreateAccessKey", arn("user")),
        ("iam:CreateLoginProfile", arn("user")),
        ("iam:UpdateLoginProfile", arn("user")),
        ("iam:CreateServiceLinkedRole", arn("role")),
        (
            "iam:CreateOpenIDConnectProvider",
            format!("arn:aws:iam::{ACCOUNT}:oidc-provider/x"),
        ),
        ("sts:AssumeRole", arn("role")),
        ("s3:GetObject", "arn:aws:s3:::any/x".to_owned()),
    ] {
        assert_eq!(
            decide(&[&apply], action, &resource),
            Decision::ImplicitDeny,
            "{action}"
        );
    }
    // The deployer and planner roles cannot be changed by the deployer.
    for role in ["IAMAsCodeDeployer", "IAMAsCodePlanner"] {
        let r = format!("arn:aws:iam::{ACCOUNT}:role/{role}");
        for action in [
            "iam:AttachRolePolicy",
            "iam:PutRolePolicy",
            "iam:UpdateAssumeRolePolicy",
            "iam:DeleteRole",
            "iam:DeleteRolePermissionsBoundary",
        ] {
            assert_eq!(
                decide(&[&apply], action, &r),
                Decision::ExplicitDeny,
                "{action} on {role}"
            );
        }
        // Reading it is fine (GetAccountAuthorizationDetails shows it anyway).
        assert_eq!(decide(&[&apply], "iam:GetRole", &r), Decision::Allowed);
    }
}

#[test]
fn the_ci_caller_assumes_the_deployers_and_writes_the_master_copy() {
    let caller = policy("ci-caller-policy.json");
    let trust = policy("deployer-trust-policy.json");
    // Cross-account: the caller's policy and the deployer's trust policy
    // must both allow, and the trust wants the external id.
    let assume = |role: &str, external_id: Option<&str>| {
        let principal = Principal::parse(&format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/GitHubActionsIamctl/ci"
        ));
        let mut ctx = Context::new();
        if let Some(id) = external_id {
            ctx.set("sts:ExternalId", id);
        }
        let role = format!("arn:aws:iam::444455556666:role/{role}");
        let req = Request::new(principal, "sts:AssumeRole", &role, None, ctx);
        let set = PolicySet {
            identity: vec![&caller],
            resource: Some(&trust),
            ..PolicySet::default()
        };
        decision(&req, &set)
    };
    for role in ["IAMAsCodeDeployer", "IAMAsCodePlanner"] {
        assert_eq!(
            assume(role, Some("my-external-id")),
            Decision::Allowed,
            "{role}"
        );
        assert_ne!(assume(role, Some("other")), Decision::Allowed, "{role}");
        assert_ne!(assume(role, None), Decision::Allowed, "{role}");
    }
    assert_ne!(assume("Admin", Some("my-external-id")), Decision::Allowed);
    assert_eq!(
        decide(
            &[&caller],
            "s3:PutObject",
            "arn:aws:s3:::iam-master-copy/prod/20261130T120000Z/config/x.yaml"
        ),
        Decision::Allowed
    );
    assert_eq!(
        decide(&[&caller], "s3:ListBucket", "arn:aws:s3:::iam-master-copy"),
        Decision::Allowed
    );
    assert_eq!(
        decide(
            &[&caller],
            "s3:DeleteObject",
            "arn:aws:s3:::iam-master-copy/x"
        ),
        Decision::ImplicitDeny
    );
}

/// The Identity Center calls of plan (reads) and apply (writes), each on a
/// resource of the kind the Service Authorization Reference names for it
/// ("Actions, resources, and condition keys for AWS IAM Identity Center",
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiamidentitycenter.html>).
const IC_INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1111222233334444";
const IC_SET: &str = "arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-1111222233334444";
const IC_STORE: &str = "arn:aws:identitystore::111122223333:identitystore/d-1111222233";

#[test]
fn identity_center_calls_are_allowed_reads_to_plan_and_writes_to_apply_only() {
    let apply = policy("deployer-apply-policy.json");
    let plan = policy("deployer-plan-policy.json");
    let reads = [
        ("sso:ListInstances", "*"),
        ("sso:ListPermissionSets", IC_INSTANCE),
        ("sso:DescribePermissionSet", IC_SET),
        ("sso:GetInlinePolicyForPermissionSet", IC_SET),
        ("sso:ListTagsForResource", IC_SET),
        ("sso:GetPermissionsBoundaryForPermissionSet", IC_SET),
        (
            "sso:ListAccountAssignments",
            "arn:aws:sso:::account/345678901234",
        ),
        ("identitystore:ListUsers", IC_STORE),
        (
            "identitystore:ListGroupMemberships",
            "arn:aws:identitystore:::group/g-1",
        ),
    ];
    for (action, resource) in reads {
        assert_eq!(
            decide(&[&plan], action, resource),
            Decision::Allowed,
            "plan: {action}"
        );
        assert_eq!(
            decide(&[&apply], action, resource),
            Decision::Allowed,
            "apply: {action}"
        );
    }
    let writes = [
        ("sso:CreatePermissionSet", IC_INSTANCE),
        ("sso:PutInlinePolicyToPermissionSet", IC_SET),
        ("sso:PutPermissionsBoundaryToPermissionSet", IC_SET),
        ("sso:TagResource", IC_SET),
        ("sso:ProvisionPermissionSet", IC_SET),
        (
            "sso:CreateAccountAssignment",
            "arn:aws:sso:::account/345678901234",
        ),
        ("sso:DeleteAccountAssignment", IC_SET),
        ("sso:DeletePermissionSet", IC_SET),
        ("identitystore:CreateUser", IC_STORE),
        (
            "identitystore:CreateGroupMembership",
            "arn:aws:identitystore:::user/u-1",
        ),
        (
            "identitystore:DeleteGroupMembership",
            "arn:aws:identitystore:::membership/m-1",
        ),
    ];
    for (action, resource) in writes {
        assert_eq!(
            decide(&[&apply], action, resource),
            Decision::Allowed,
            "apply: {action}"
        );
        assert_eq!(
            decide(&[&plan], action, resource),
            Decision::ImplicitDeny,
            "plan: {action}"
        );
    }
    // Nothing else of Identity Center: not its instance, not its applications.
    for action in [
        "sso:DeleteInstance",
        "sso:CreateApplication",
        "sso:UpdateInstance",
    ] {
        assert_eq!(
            decide(&[&apply], action, IC_INSTANCE),
            Decision::ImplicitDeny,
            "{action}"
        );
    }
}
