//! The rules of issue 9, each decided by a line of AWS's documentation
//! (quoted above its test).

use serde_json::{json, Value};

use super::*;

const ACCOUNT: &str = "111111111111";
const ALICE: &str = "arn:aws:iam::111111111111:user/alice";
const BOB: &str = "arn:aws:iam::111111111111:user/bob";
const ROLE: &str = "arn:aws:iam::111111111111:role/dev";
const SESSION: &str = "arn:aws:sts::111111111111:assumed-role/dev/s1";
const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn policy(name: &str, doc: Value) -> Policy {
    Policy::from_json(name, &doc).unwrap()
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn resource_allow(principal: Value, action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}]})
}

struct Case {
    principal: &'static str,
    action: &'static str,
    resource: &'static str,
    identity: Vec<Value>,
    boundary: Option<Value>,
    resource_policy: Option<Value>,
    scps: Vec<Vec<Value>>,
    context: Vec<(&'static str, &'static str)>,
}

impl Case {
    fn new(principal: &'static str, action: &'static str, resource: &'static str) -> Case {
        Case {
            principal,
            action,
            resource,
            identity: Vec::new(),
            boundary: None,
            resource_policy: None,
            scps: Vec::new(),
            context: Vec::new(),
        }
    }

    /// The decision, checked to be the same from `evaluate` and `decision`.
    fn decide(&self) -> (Decision, Vec<Note>) {
        let identity: Vec<Policy> = self
            .identity
            .iter()
            .enumerate()
            .map(|(i, d)| policy(&format!("id{i}"), d.clone()))
            .collect();
        let boundary = self.boundary.clone().map(|d| policy("boundary", d));
        let resource = self.resource_policy.clone().map(|d| policy("resource", d));
        let scps: Vec<Vec<Policy>> = self
            .scps
            .iter()
            .map(|l| l.iter().map(|d| policy("scp", d.clone())).collect())
            .collect();
        let set = PolicySet {
            identity: identity.iter().collect(),
            boundary: boundary.as_ref(),
            resource: resource.as_ref(),
            scps: scps.iter().map(|l| l.iter().collect()).collect(),
            ..PolicySet::default()
        };
        let mut ctx = Context::new();
        for (k, v) in &self.context {
            ctx.set(k, *v);
        }
        let req = Request::new(
            Principal::parse(self.principal),
            self.action,
            self.resource,
            None,
            ctx,
        );
        let e = evaluate(&req, &set);
        assert_eq!(
            decision(&req, &set),
            e.decision,
            "decision() and evaluate() disagree"
        );
        (e.decision, e.notes)
    }
}

// Rule 1. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// "For most resources, you only need an explicit Allow for the principal in
// either an identity-based policy or a resource-based policy to grant access.
// IAM role trust policies and KMS key policies are exceptions to this logic,
// because they must explicitly allow access for principals."
#[test]
fn trust_policy_must_allow_even_in_the_same_account() {
    let mut c = Case::new(ALICE, "sts:AssumeRole", ROLE);
    c.identity = vec![allow("sts:AssumeRole", "*")];
    c.resource_policy = Some(resource_allow(json!({"AWS": BOB}), "sts:AssumeRole"));
    let (d, notes) = c.decide();
    assert_eq!(d, Decision::ImplicitDeny);
    assert_eq!(
        notes,
        vec![Note::ResourcePolicyMustAllow(Required::TrustPolicy)]
    );
    // The trust policy names the account: the identity policy then decides.
    c.resource_policy = Some(resource_allow(json!({"AWS": ACCOUNT}), "sts:AssumeRole"));
    assert_eq!(c.decide().0, Decision::Allowed);
    c.identity.clear();
    assert_eq!(c.decide().0, Decision::ImplicitDeny);
    // The trust policy names the user: enough on its own.
    c.resource_policy = Some(resource_allow(json!({"AWS": ALICE}), "sts:AssumeRole"));
    assert_eq!(c.decide().0, Decision::Allowed);
    // Other resources keep the usual rule: an identity allow is enough.
    let mut s3 = Case::new(ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
    s3.identity = vec![allow("s3:GetObject", "*")];
    s3.resource_policy = Some(resource_allow(json!({"AWS": BOB}), "s3:GetObject"));
    assert_eq!(s3.decide().0, Decision::Allowed);
}

// Rule 1, KMS. https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
// "Unless the key policy explicitly allows it, you cannot use IAM policies to
// allow access to a KMS key."
#[test]
fn key_policy_must_allow_even_in_the_same_account() {
    let mut c = Case::new(ALICE, "kms:Decrypt", KEY);
    c.identity = vec![allow("kms:*", "*")];
    c.resource_policy = Some(resource_allow(json!({"AWS": ROLE}), "kms:*"));
    let (d, notes) = c.decide();
    assert_eq!(d, Decision::ImplicitDeny);
    assert_eq!(
        notes,
        vec![Note::ResourcePolicyMustAllow(Required::KeyPolicy)]
    );
    // The default key policy enables IAM policies by naming the account.
    c.resource_policy = Some(resource_allow(
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
        "kms:*",
    ));
    assert_eq!(c.decide().0, Decision::Allowed);
    assert_eq!(
        Required::of("kms:decrypt", "arn:aws:kms:us-east-1:1:alias/x"),
        None
    );
    assert_eq!(
        Required::of("sts:assumerolewithsaml", ROLE),
        Some(Required::TrustPolicy)
    );
}

// Rule 2. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// "AWS service principals": "You can specify AWS services in the Principal
// element of a resource-based policy or in condition keys that support
// principals." SCPs do not apply: "SCPs apply to principals of the account
// where the SCPs are attached" (reference_policies_evaluation-logic_policy-eval-denyallow).
#[test]
fn service_principals_are_granted_by_resource_policies() {
    let mut c = Case::new(
        "cloudtrail.amazonaws.com",
        "s3:PutObject",
        "arn:aws:s3:::logs/AWSLogs/1",
    );
    c.resource_policy = Some(resource_allow(
        json!({"Service": "cloudtrail.amazonaws.com"}),
        "s3:PutObject",
    ));
    assert_eq!(c.decide().0, Decision::Allowed);
    c.scps = vec![vec![allow("ec2:*", "*")]];
    assert_eq!(
        c.decide().0,
        Decision::Allowed,
        "an SCP does not limit a service"
    );
    c.resource_policy = Some(resource_allow(
        json!({"Service": "config.amazonaws.com"}),
        "s3:PutObject",
    ));
    let (d, notes) = c.decide();
    assert_eq!(d, Decision::ImplicitDeny);
    assert_eq!(notes, vec![Note::ServiceNeedsResourcePolicy]);
    // A Deny in the resource policy still wins.
    c.resource_policy = Some(json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]}));
    assert_eq!(c.decide().0, Decision::ExplicitDeny);
}

// Rule 3. https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
// "No permissions are required to perform this operation. If an administrator
// attaches a policy to your identity that explicitly denies access to the
// sts:GetCallerIdentity action, you can still perform this operation."
#[test]
fn get_caller_identity_needs_no_permission_and_cannot_be_denied() {
    let mut c = Case::new(ALICE, "sts:GetCallerIdentity", "*");
    assert_eq!(c.decide().0, Decision::Allowed);
    c.identity =
        vec![json!({"Statement": [{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]})];
    let (d, notes) = c.decide();
    assert_eq!(d, Decision::Allowed);
    assert_eq!(notes, vec![Note::CallerIdentityAlwaysAllowed]);
    // Not its neighbours.
    let mut other = Case::new(ALICE, "sts:GetSessionToken", "*");
    other.identity = c.identity.clone();
    assert_eq!(other.decide().0, Decision::ExplicitDeny);
}

// Rule 4. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
// "NotPrincipal must be used with "Effect":"Deny". Using it with
// "Effect":"Allow" is not supported." Read narrowly: naming any one of the
// principal's identities excludes it from the Allow.
#[test]
fn not_principal_in_allow_excludes_as_soon_as_one_identity_is_listed() {
    let not_principal_allow = |listed: Value| json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": listed}, "Action": "s3:*", "Resource": "*"}]});
    let mut c = Case::new(SESSION, "s3:GetObject", "arn:aws:s3:::b/k");
    // Only the account is listed: the session is excluded (the Deny reading
    // would need the role and the session too).
    c.resource_policy = Some(not_principal_allow(json!(ACCOUNT)));
    assert_eq!(c.decide().0, Decision::ImplicitDeny);
    c.resource_policy = Some(not_principal_allow(json!(ROLE)));
    assert_eq!(c.decide().0, Decision::ImplicitDeny);
    c.resource_policy = Some(not_principal_allow(json!(BOB)));
    assert_eq!(c.decide().0, Decision::Allowed);
    // Deny keeps "every identity must be listed": only the account listed
    // still denies the session.
    c.resource_policy = Some(json!({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "s3:*", "Resource": "*"}]}));
    assert_eq!(c.decide().0, Decision::ExplicitDeny);
}

// Rule 5. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// "IAM role – Resource-based policies that grant permissions to an IAM role
// ARN are limited by an implicit deny in a permissions boundary or session
// policy."
#[test]
fn resource_policy_naming_a_role_is_limited_by_its_boundary() {
    for principal in [SESSION, ROLE] {
        let mut c = Case::new(principal, "s3:GetObject", "arn:aws:s3:::b/k");
        c.resource_policy = Some(resource_allow(json!({"AWS": ROLE}), "s3:GetObject"));
        assert_eq!(c.decide().0, Decision::Allowed, "{principal}");
        c.boundary = Some(allow("ec2:*", "*"));
        assert_eq!(c.decide().0, Decision::ImplicitDeny, "{principal}");
    }
    // The session ARN itself is not limited.
    let mut c = Case::new(SESSION, "s3:GetObject", "arn:aws:s3:::b/k");
    c.resource_policy = Some(resource_allow(json!({"AWS": SESSION}), "s3:GetObject"));
    c.boundary = Some(allow("ec2:*", "*"));
    assert_eq!(c.decide().0, Decision::Allowed);
}

// Rule 6. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
// "Inverted condition operators like StringNotEquals or StringNotLike do match
// against a null value, as the value of the condition key they are testing
// against is not equal to or like the effectively null value."
#[test]
fn inverted_operators_match_a_variable_with_no_value() {
    let deny = |op: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
             "Condition": {op: {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}}]})
    };
    for op in [
        "StringNotEquals",
        "StringNotLike",
        "StringNotEqualsIgnoreCase",
        "ArnNotEquals",
    ] {
        let mut c = Case::new(ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
        c.identity = vec![deny(op)];
        c.context = vec![("s3:ExistingObjectTag/Team", "red")];
        assert_eq!(
            c.decide().0,
            Decision::ExplicitDeny,
            "{op}, no principal tag"
        );
        c.context.push(("aws:PrincipalTag/Team", "red"));
        if op != "ArnNotEquals" {
            assert_eq!(c.decide().0, Decision::Allowed, "{op}, same tag");
        }
    }
    // "condition operators like StringEquals or StringLike do not match"
    let mut c = Case::new(ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
    c.identity = vec![
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}}]}),
    ];
    c.context = vec![("s3:ExistingObjectTag/Team", "red")];
    assert_eq!(c.decide().0, Decision::ImplicitDeny);
}

// Rule 7. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// "Boolean condition operators ... Policy variables – Supported"; numeric,
// date, binary and IP operators: "Policy variables – Not supported".
#[test]
fn bool_substitutes_policy_variables() {
    let mut c = Case::new(ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
    c.identity = vec![
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/tls}"}}}]}),
    ];
    c.context = vec![
        ("aws:SecureTransport", "true"),
        ("aws:PrincipalTag/tls", "TRUE"),
    ];
    assert_eq!(c.decide().0, Decision::Allowed);
    c.context = vec![
        ("aws:SecureTransport", "true"),
        ("aws:PrincipalTag/tls", "false"),
    ];
    assert_eq!(c.decide().0, Decision::ImplicitDeny);
    // Numeric operators take `${...}` literally: never a number.
    let mut n = Case::new(ALICE, "s3:ListBucket", "arn:aws:s3:::b");
    n.identity = vec![
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"NumericLessThanEquals": {"s3:max-keys": "${aws:PrincipalTag/max}"}}}]}),
    ];
    n.context = vec![("s3:max-keys", "5"), ("aws:PrincipalTag/max", "10")];
    assert_eq!(n.decide().0, Decision::ImplicitDeny);
}

// Rule 8. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// "You must use the Principal element in resource-based policies."
#[test]
fn resource_based_statement_without_principal_is_refused() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let err = Policy::resource_based_from_json("bucket", &doc).unwrap_err();
    assert!(
        matches!(&err, ModelError::Statement { index: 1, problem, .. } if problem.contains("`Principal`")),
        "{err}"
    );
    // The same document is a valid identity-based policy... minus the Principal.
    assert!(Policy::from_json("bucket", &doc).is_ok());
    let ok = json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": ALICE}, "Action": "s3:*", "Resource": "*"}]});
    assert!(Policy::resource_based_from_json("bucket", &ok).is_ok());
}
