#!/usr/bin/env python3
"""Writes cases.jsonl: the documentation corpus of the policy engine.

Each case is written from a page of AWS's documentation (its `url`) and the
sentence that decides it (its `quote`), never from an implementation or an
oracle. A case is one `simulate --batch` request line plus `url`, `quote` and
`expect` (allowed / explicitDeny / implicitDeny). `cargo test -p iamctl-policy
--test doc_corpus` evaluates every case and fails naming each disagreement.

Run: python3 crates/policy/tests/doc_corpus/gen.py  (rewrites cases.jsonl)
"""

import json
import os

U = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
EVAL = U + "reference_policies_evaluation-logic_policy-eval-denyallow.html"
BASICS = U + "reference_policies_evaluation-logic_policy-eval-basics.html"
CROSS = U + "reference_policies_evaluation-logic-cross-account.html"
INTERPLAY = U + "reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html"
BOUND = U + "access_policies_boundaries.html"
SESSIONP = U + "access_policies.html#policies_session"
ASSUME = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
COND = U + "reference_policies_elements_condition_operators.html"
CONDEL = U + "reference_policies_elements_condition.html"
MULTI = U + "reference_policies_condition-single-vs-multi-valued-context-keys.html"
VARS = U + "reference_policies_variables.html"
VERSION = U + "reference_policies_elements_version.html"
NOTP = U + "reference_policies_elements_notprincipal.html"
NOTA = U + "reference_policies_elements_notaction.html"
NOTR = U + "reference_policies_elements_notresource.html"
PRIN = U + "reference_policies_elements_principal.html"
ACTION = U + "reference_policies_elements_action.html"
RES = U + "reference_policies_elements_resource.html"
STS = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"
KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"
SCP = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"

A = "111122223333"
B = "444455556666"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{A}:user/bob"
MALLORY = f"arn:aws:iam::{B}:user/mallory"
ROLE = f"arn:aws:iam::{A}:role/dev"
SESSION = f"arn:aws:sts::{A}:assumed-role/dev/s1"
FEDERATED = f"arn:aws:sts::{A}:federated-user/carol"
OBJ = "arn:aws:s3:::amzn-s3-demo-bucket/key"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TARGET_ROLE = f"arn:aws:iam::{A}:role/admin"

cases = []


def pol(*statements, version="2012-10-17"):
    doc = {"Statement": list(statements)}
    if version:
        doc["Version"] = version
    return doc


def st(effect, action, resource="*", cond=None, principal=None, **extra):
    s = {"Effect": effect}
    if principal is not None:
        s["Principal"] = principal
    if action is not None:
        s["Action"] = action
    if resource is not None:
        s["Resource"] = resource
    if cond:
        s["Condition"] = cond
    s.update(extra)
    return s


def allow(action="*", resource="*", cond=None, **extra):
    return st("Allow", action, resource, cond, **extra)


def deny(action="*", resource="*", cond=None, **extra):
    return st("Deny", action, resource, cond, **extra)


def case(cid, url, quote, expect, principal=ALICE, action="s3:GetObject", resource=OBJ, **fields):
    assert expect in ("allowed", "explicitDeny", "implicitDeny"), expect
    line = {"id": cid, "url": url, "quote": quote, "expect": expect,
            "principal": principal, "action": action, "resource": resource}
    names = {"identity": "identityPolicies", "boundary": "permissionBoundary",
             "session": "sessionPolicy", "resource_policy": "resourcePolicy",
             "scps": "serviceControlPolicies", "rcps": "resourceControlPolicies",
             "context": "context", "resource_account": "resourceAccount"}
    for k, v in fields.items():
        line[names[k]] = v
    assert cid not in {c["id"] for c in cases}, cid
    cases.append(line)


# ---------------------------------------------------------------------------
# The evaluation flowchart (deny evaluation, then allow).
q_default = ("By default, all requests are implicitly denied with the exception of the AWS "
             "account root user, which has full access.")
q_deny = "An explicit deny overrides an explicit allow."
q_identity = ("If there are no identity-based policies or no statements in identity-based "
              "policies that allow the requested action, then the request is implicitly denied "
              "and the enforcement code returns a final decision of Deny.")
q_found_deny = ("If the enforcement code finds even one explicit deny that applies, the "
                "enforcement code returns a final decision of Deny.")
case("flow-no-policy", EVAL, q_default, "implicitDeny")
ROOT = f"arn:aws:iam::{A}:root"
case("flow-root-full-access", EVAL, q_default, "allowed", principal=ROOT)
case("flow-root-explicit-deny", EVAL, q_found_deny, "explicitDeny", principal=ROOT,
     resource_policy=pol(st("Deny", "s3:GetObject", "*", principal={"AWS": A})))
case("flow-root-scp", EVAL, q_scp_none_early := ("If the enforcement code does not find any "
     "applicable Allow statements in the SCPs, the enforcement code returns a final decision of "
     "Deny."), "implicitDeny", principal=ROOT, scps=[[pol(allow("ec2:*"))]])
case("flow-root-cross-account", CROSS, ("For requests made from one account to another, the "
     "requester in Account A must have an identity-based policy that allows them to make a request "
     "to the resource in Account B. Also, the resource-based policy in Account B must allow the "
     "requester in Account A to access the resource."), "implicitDeny",
     principal=f"arn:aws:iam::{B}:root", resource_account=A)
case("flow-root-trust-policy", EVAL, ("IAM role trust policies and KMS key policies are exceptions "
     "to this logic, because they must explicitly allow access for principals."), "implicitDeny",
     principal=ROOT, action="sts:AssumeRole", resource=TARGET_ROLE,
     resource_policy=pol(st("Allow", "sts:AssumeRole", None, principal={"Service": "ec2.amazonaws.com"})))
case("flow-identity-allow", EVAL, ("If any statement in any applicable identity-based policies "
     "allows the requested action, the code evaluation continues."), "allowed",
     identity=[pol(allow("s3:GetObject"))])
case("flow-identity-other-action", EVAL, q_identity, "implicitDeny",
     identity=[pol(allow("s3:PutObject"))])
case("flow-identity-empty-policies", EVAL, q_identity, "implicitDeny",
     identity=[pol(allow("ec2:*")), pol(allow("iam:Get*"))])
case("flow-deny-in-identity", EVAL, q_deny, "explicitDeny",
     identity=[pol(allow("s3:*"), deny("s3:GetObject"))])
case("flow-deny-other-policy", EVAL, q_found_deny, "explicitDeny",
     identity=[pol(allow("s3:*")), pol(deny("s3:Get*"))])
case("flow-deny-in-boundary", EVAL, q_found_deny, "explicitDeny",
     identity=[pol(allow("s3:*"))], boundary=pol(allow("*"), deny("s3:GetObject")))
case("flow-deny-in-session", EVAL, q_found_deny, "explicitDeny", principal=SESSION,
     identity=[pol(allow("s3:*"))], session=pol(allow("*"), deny("s3:GetObject")))
case("flow-deny-in-resource", EVAL, q_found_deny, "explicitDeny",
     identity=[pol(allow("s3:*"))],
     resource_policy=pol(st("Deny", "s3:GetObject", "*", principal={"AWS": ALICE})))
case("flow-deny-in-scp", EVAL, q_found_deny, "explicitDeny",
     identity=[pol(allow("s3:*"))], scps=[[pol(allow("*"), deny("s3:GetObject"))]])
case("flow-deny-in-rcp", EVAL, q_found_deny, "explicitDeny",
     identity=[pol(allow("s3:*"))],
     rcps=[[pol(allow("*", principal="*")), pol(st("Deny", "s3:GetObject", "*", principal="*"))]])
case("flow-deny-beats-resource-allow", EVAL, q_deny, "explicitDeny",
     identity=[pol(deny("s3:GetObject"))],
     resource_policy=pol(st("Allow", "s3:GetObject", "*", principal={"AWS": ALICE})))
case("flow-deny-condition-false", INTERPLAY, ("An implicit denial occurs when there is no "
     "applicable Deny statement but also no applicable Allow statement"), "allowed",
     identity=[pol(allow("s3:*"), deny("s3:*", cond={"Bool": {"aws:SecureTransport": "false"}}))],
     context={"aws:SecureTransport": "true"})
case("flow-deny-condition-true", EVAL, q_found_deny, "explicitDeny",
     identity=[pol(allow("s3:*"), deny("s3:*", cond={"Bool": {"aws:SecureTransport": "false"}}))],
     context={"aws:SecureTransport": "false"})

# ---------------------------------------------------------------------------
# Same account: identity or resource-based policy.
q_either = ("If either the identity-based policy or the resource-based policy within the same "
            "account allows the request and the other doesn't, the request is still allowed.")
q_user = ("Within the same account, resource-based policies that grant permissions to an IAM "
          "user ARN (that is not a federated user session) are not limited by an implicit deny "
          "in an identity-based policy or permissions boundary.")
q_role = ("Resource-based policies that grant permissions to an IAM role ARN are limited by an "
          "implicit deny in a permissions boundary or session policy.")
q_rsession = ("Within the same account, resource-based policies that grant permissions to an IAM "
              "role session ARN grant permissions directly to the assumed role session. "
              "Permissions granted directly to a session are not limited by an implicit deny in "
              "an identity-based policy, a permissions boundary, or session policy.")
q_fed = ("Within the same account, resource-based policies that grant permissions to a federated "
         "user ARN grant permissions directly to the session. Permissions granted directly to a "
         "session are not limited by an implicit deny in an identity-based policy, a permissions "
         "boundary, or session policy.")
q_account = ("The account ARN and the shortened account ID behave the same way. Both delegate "
             "permissions to the account.")


def rp(principal, action="s3:GetObject", effect="Allow", **kw):
    return pol(st(effect, action, "*", principal=principal, **kw))


case("same-identity-only", BASICS, q_either, "allowed", identity=[pol(allow("s3:GetObject"))],
     resource_policy=rp({"AWS": BOB}))
case("same-resource-only-user", BASICS, q_either, "allowed", resource_policy=rp({"AWS": ALICE}))
case("same-neither", BASICS, q_either, "implicitDeny", identity=[pol(allow("s3:PutObject"))],
     resource_policy=rp({"AWS": BOB}))
case("same-user-grant-beats-boundary", EVAL, q_user, "allowed",
     boundary=pol(allow("ec2:*")), resource_policy=rp({"AWS": ALICE}))
case("same-user-grant-no-identity", EVAL, q_user, "allowed",
     identity=[pol(allow("ec2:*"))], resource_policy=rp({"AWS": ALICE}))
case("same-role-grant-session", EVAL, q_role, "allowed", principal=SESSION,
     resource_policy=rp({"AWS": ROLE}))
case("same-role-grant-boundary-denies", EVAL, q_role, "implicitDeny", principal=SESSION,
     boundary=pol(allow("ec2:*")), resource_policy=rp({"AWS": ROLE}))
case("same-role-grant-session-policy-denies", EVAL, q_role, "implicitDeny", principal=SESSION,
     session=pol(allow("ec2:*")), resource_policy=rp({"AWS": ROLE}))
case("same-role-grant-boundary-allows", EVAL, q_role, "allowed", principal=SESSION,
     boundary=pol(allow("s3:*")), resource_policy=rp({"AWS": ROLE}))
case("same-role-arn-principal-boundary-denies", EVAL, q_role, "implicitDeny", principal=ROLE,
     boundary=pol(allow("ec2:*")), resource_policy=rp({"AWS": ROLE}))
case("same-role-arn-principal-no-boundary", EVAL, q_role, "allowed", principal=ROLE,
     resource_policy=rp({"AWS": ROLE}))
case("same-session-grant-beats-boundary", EVAL, q_rsession, "allowed", principal=SESSION,
     boundary=pol(allow("ec2:*")), resource_policy=rp({"AWS": SESSION}))
case("same-session-grant-beats-session-policy", EVAL, q_rsession, "allowed", principal=SESSION,
     session=pol(allow("ec2:*")), resource_policy=rp({"AWS": SESSION}))
case("same-federated-grant-beats-boundary", EVAL, q_fed, "allowed", principal=FEDERATED,
     boundary=pol(allow("ec2:*")), resource_policy=rp({"AWS": FEDERATED}))
case("same-account-grant-needs-identity", PRIN, q_account, "implicitDeny",
     resource_policy=rp({"AWS": A}))
case("same-account-root-grant-needs-identity", PRIN, q_account, "implicitDeny",
     resource_policy=rp({"AWS": f"arn:aws:iam::{A}:root"}))
case("same-account-grant-with-identity", PRIN, q_account, "allowed",
     identity=[pol(allow("s3:GetObject"))], resource_policy=rp({"AWS": A}))
case("same-account-grant-identity-boundary-denies", BOUND, ("An entity's permissions boundary "
     "allows it to perform only the actions that are allowed by both its identity-based policies "
     "and its permissions boundaries."), "implicitDeny",
     identity=[pol(allow("s3:GetObject"))], boundary=pol(allow("ec2:*")),
     resource_policy=rp({"AWS": A}))
case("same-wildcard-principal", PRIN, ("For resource-based policies, using a wildcard (*) with an "
     "Allow effect grants access to all users, including anonymous users (public access)"),
     "allowed", resource_policy=rp("*"))
case("same-wildcard-aws-principal", PRIN, ("For resource-based policies, using a wildcard (*) with "
     "an Allow effect grants access to all users, including anonymous users (public access)"),
     "allowed", principal=BOB, resource_policy=rp({"AWS": "*"}))
case("same-principal-list-is-or", PRIN, q_user, "allowed",
     resource_policy=rp({"AWS": [BOB, ALICE]}))
case("same-other-user-named", PRIN, q_either, "implicitDeny", resource_policy=rp({"AWS": BOB}))

# ---------------------------------------------------------------------------
# Cross account.
q_cross = ("For requests made from one account to another, the requester in Account A must have "
           "an identity-based policy that allows them to make a request to the resource in "
           "Account B. Also, the resource-based policy in Account B must allow the requester in "
           "Account A to access the resource.")
q_both = "The request is allowed only if both evaluations return a decision of Allow"
case("cross-both", CROSS, q_both, "allowed", principal=MALLORY, resource_account=A,
     identity=[pol(allow("s3:GetObject"))], resource_policy=rp({"AWS": B}))
case("cross-identity-only", CROSS, q_cross, "implicitDeny", principal=MALLORY, resource_account=A,
     identity=[pol(allow("s3:GetObject"))])
case("cross-resource-only", CROSS, q_cross, "implicitDeny", principal=MALLORY, resource_account=A,
     resource_policy=rp({"AWS": MALLORY}))
case("cross-resource-names-user", CROSS, q_both, "allowed", principal=MALLORY, resource_account=A,
     identity=[pol(allow("s3:*"))], resource_policy=rp({"AWS": MALLORY}))
case("cross-resource-names-other-account", CROSS, q_cross, "implicitDeny", principal=MALLORY,
     resource_account=A, identity=[pol(allow("s3:*"))], resource_policy=rp({"AWS": "999988887777"}))
case("cross-boundary-limits", CROSS, q_both, "implicitDeny", principal=MALLORY, resource_account=A,
     identity=[pol(allow("s3:*"))], boundary=pol(allow("ec2:*")),
     resource_policy=rp({"AWS": MALLORY}))
case("cross-deny-in-resource", CROSS, q_found_deny, "explicitDeny", principal=MALLORY,
     resource_account=A, identity=[pol(allow("s3:*"))],
     resource_policy=pol(st("Allow", "s3:*", "*", principal={"AWS": B}),
                         st("Deny", "s3:GetObject", "*", principal="*")))
case("cross-role-session", CROSS, q_both, "allowed",
     principal=f"arn:aws:sts::{B}:assumed-role/reader/s", resource_account=A,
     identity=[pol(allow("s3:GetObject"))],
     resource_policy=rp({"AWS": f"arn:aws:iam::{B}:role/reader"}))
case("cross-wildcard-principal", CROSS, q_both, "allowed", principal=MALLORY, resource_account=A,
     identity=[pol(allow("s3:GetObject"))], resource_policy=rp("*"))

# ---------------------------------------------------------------------------
# Rule 1: trust policies and key policies must allow explicitly.
q_trust = ("For most resources, you only need an explicit Allow for the principal in either an "
           "identity-based policy or a resource-based policy to grant access. IAM role trust "
           "policies and KMS key policies are exceptions to this logic, because they must "
           "explicitly allow access for principals.")
q_kms = ("Unless the key policy explicitly allows it, you cannot use IAM policies to allow access "
         "to a KMS key. Without permission from the key policy, IAM policies that allow "
         "permissions have no effect.")
q_kms_deny = ("(You can use an IAM policy to deny a permission to a KMS key without permission "
              "from a key policy.)")


def trust(principal, action="sts:AssumeRole"):
    return pol(st("Allow", action, None, principal=principal))


case("trust-identity-only", EVAL, q_trust, "implicitDeny", action="sts:AssumeRole",
     resource=TARGET_ROLE, identity=[pol(allow("sts:AssumeRole"))], resource_policy=trust({"AWS": BOB}))
case("trust-names-user", EVAL, q_trust, "allowed", action="sts:AssumeRole", resource=TARGET_ROLE,
     resource_policy=trust({"AWS": ALICE}))
case("trust-names-account-identity-allows", EVAL, q_trust, "allowed", action="sts:AssumeRole",
     resource=TARGET_ROLE, identity=[pol(allow("sts:AssumeRole", TARGET_ROLE))],
     resource_policy=trust({"AWS": f"arn:aws:iam::{A}:root"}))
case("trust-names-account-no-identity", EVAL, q_trust, "implicitDeny", action="sts:AssumeRole",
     resource=TARGET_ROLE, resource_policy=trust({"AWS": A}))
case("trust-session-identity-only", EVAL, q_trust, "implicitDeny", principal=SESSION,
     action="sts:AssumeRole", resource=TARGET_ROLE, identity=[pol(allow("sts:*"))],
     resource_policy=trust({"Service": "ec2.amazonaws.com"}))
case("trust-saml-identity-only", EVAL, q_trust, "implicitDeny", action="sts:AssumeRoleWithSAML",
     resource=TARGET_ROLE, identity=[pol(allow("sts:*"))],
     resource_policy=trust({"Federated": f"arn:aws:iam::{A}:saml-provider/idp"},
                           "sts:AssumeRoleWithSAML"))
case("trust-tagsession-identity-only", EVAL, q_trust, "implicitDeny", action="sts:TagSession",
     resource=TARGET_ROLE, identity=[pol(allow("sts:*"))],
     resource_policy=trust({"Service": "ec2.amazonaws.com"}, "sts:*"))
case("trust-tagsession-names-user", EVAL, q_trust, "allowed", action="sts:TagSession",
     resource=TARGET_ROLE, resource_policy=trust({"AWS": ALICE}, ["sts:AssumeRole", "sts:TagSession"]))
case("trust-deny", EVAL, q_found_deny, "explicitDeny", action="sts:AssumeRole", resource=TARGET_ROLE,
     resource_policy=pol(st("Allow", "sts:AssumeRole", None, principal={"AWS": ALICE}),
                         st("Deny", "sts:AssumeRole", None, principal={"AWS": ALICE})))
case("trust-cross-account", CROSS, q_cross, "allowed", principal=MALLORY, action="sts:AssumeRole",
     resource=TARGET_ROLE, identity=[pol(allow("sts:AssumeRole"))], resource_policy=trust({"AWS": B}))
# A trust policy naming a user of the same account is not enough when the user's
# permissions boundary does not allow the action (unlike other resource-based policies).
TRUSTUPD = U + "id_roles_update-role-trust-policy.html"
q_trust_boundary = ("If a user is listed as the principal in a role's trust policy but cannot assume "
                    "the role, check the user's permissions boundary. If a permissions boundary is "
                    "set for the user, then it must allow the sts:AssumeRole action.")
case("trust-names-user-boundary-denies", TRUSTUPD, q_trust_boundary, "implicitDeny",
     action="sts:AssumeRole", resource=TARGET_ROLE, boundary=pol(allow("s3:*")),
     resource_policy=trust({"AWS": ALICE}))
case("trust-names-user-boundary-allows", TRUSTUPD, q_trust_boundary, "allowed",
     action="sts:AssumeRole", resource=TARGET_ROLE, boundary=pol(allow("sts:AssumeRole")),
     resource_policy=trust({"AWS": ALICE}))
case("trust-names-user-boundary-other-role", TRUSTUPD, q_trust_boundary, "implicitDeny",
     action="sts:AssumeRole", resource=TARGET_ROLE,
     boundary=pol(allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/other")),
     resource_policy=trust({"AWS": ALICE}))
case("trust-names-user-boundary-identity-allows", TRUSTUPD, q_trust_boundary, "implicitDeny",
     action="sts:AssumeRole", resource=TARGET_ROLE, identity=[pol(allow("sts:AssumeRole"))],
     boundary=pol(allow("s3:*")), resource_policy=trust({"AWS": ALICE}))
# The rule stays the trust policy's: a bucket policy naming the user still beats its boundary.
case("same-user-grant-beats-boundary-bucket", EVAL, q_user, "allowed",
     boundary=pol(allow("sts:AssumeRole")), resource_policy=rp({"AWS": ALICE}))
case("kms-identity-only", KMS, q_kms, "implicitDeny", action="kms:Decrypt", resource=KEY,
     identity=[pol(allow("kms:*"))], resource_policy=rp({"AWS": BOB}, "kms:*"))
case("kms-default-key-policy", KMS, ("The default key policy enables IAM policies."), "allowed",
     action="kms:Decrypt", resource=KEY, identity=[pol(allow("kms:Decrypt"))],
     resource_policy=rp({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*"))
case("kms-default-key-policy-no-identity", KMS, q_kms, "implicitDeny", action="kms:Decrypt",
     resource=KEY, resource_policy=rp({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*"))
case("kms-key-policy-names-user", KMS, ("Key policies are the primary way to control access to KMS "
     "keys."), "allowed", action="kms:Encrypt", resource=KEY, resource_policy=rp({"AWS": ALICE}, "kms:*"))
case("kms-iam-deny-without-key-policy", KMS, q_kms_deny, "explicitDeny", action="kms:Decrypt",
     resource=KEY, identity=[pol(deny("kms:Decrypt"))], resource_policy=rp({"AWS": ALICE}, "kms:*"))

# ---------------------------------------------------------------------------
# Rule 2: service principals.
q_service = ("You can specify AWS services in the Principal element of a resource-based policy or "
             "in condition keys that support principals. A service principal is an identifier for "
             "a service.")
q_scp_principals = "SCPs apply to principals of the account where the SCPs are attached."
case("service-granted", PRIN, q_service, "allowed", principal="cloudtrail.amazonaws.com",
     action="s3:PutObject", resource="arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/x",
     resource_policy=rp({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject"))
case("service-other-service", PRIN, q_service, "implicitDeny", principal="config.amazonaws.com",
     action="s3:PutObject", resource="arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/x",
     resource_policy=rp({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject"))
case("service-no-resource-policy", PRIN, q_service, "implicitDeny", principal="sns.amazonaws.com",
     action="sqs:SendMessage", resource=f"arn:aws:sqs:us-east-1:{A}:queue")
case("service-sns-sourcearn", COND, ("It gives Amazon SNS permission to send messages to the queue "
     "(or queues) of your choice, but only if the service is sending the messages on behalf of a "
     "particular Amazon SNS topic (or topics)."), "allowed", principal="sns.amazonaws.com",
     action="SQS:SendMessage", resource=f"arn:aws:sqs:us-east-1:{A}:QUEUE-ID",
     context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:TOPIC-ID"},
     resource_policy=pol(st("Allow", "SQS:SendMessage", f"arn:aws:sqs:us-east-1:{A}:QUEUE-ID",
                            {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:TOPIC-ID"}},
                            principal={"Service": "sns.amazonaws.com"})))
case("service-sns-other-topic", COND, ("If an IAM user attempts to perform this operation directly, "
     "the condition returns false and the request is implicitly denied by this statement."),
     "implicitDeny", principal="sns.amazonaws.com", action="SQS:SendMessage",
     resource=f"arn:aws:sqs:us-east-1:{A}:QUEUE-ID",
     resource_policy=pol(st("Allow", "SQS:SendMessage", f"arn:aws:sqs:us-east-1:{A}:QUEUE-ID",
                            {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:TOPIC-ID"}},
                            principal={"Service": "sns.amazonaws.com"})))
case("service-not-limited-by-scp", EVAL, q_scp_principals, "allowed",
     principal="cloudtrail.amazonaws.com", action="s3:PutObject", resource=OBJ,
     scps=[[pol(allow("ec2:*"))]],
     resource_policy=rp({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject"))
case("service-resource-deny", EVAL, q_found_deny, "explicitDeny", principal="cloudtrail.amazonaws.com",
     action="s3:PutObject", resource=OBJ,
     resource_policy=pol(st("Allow", "s3:*", "*", principal={"Service": "cloudtrail.amazonaws.com"}),
                         st("Deny", "s3:PutObject", "*", principal="*")))
case("service-wildcard-principal", PRIN, ("For resource-based policies, using a wildcard (*) with an "
     "Allow effect grants access to all users, including anonymous users (public access)"),
     "allowed", principal="logs.amazonaws.com", action="s3:GetObject", resource=OBJ,
     resource_policy=rp("*"))

# ---------------------------------------------------------------------------
# Rule 3: sts:GetCallerIdentity.
q_gci = ("No permissions are required to perform this operation. If an administrator attaches a "
         "policy to your identity that explicitly denies access to the sts:GetCallerIdentity "
         "action, you can still perform this operation.")
case("gci-no-policy", STS, q_gci, "allowed", action="sts:GetCallerIdentity", resource="*")
case("gci-explicit-deny", STS, q_gci, "allowed", action="sts:GetCallerIdentity", resource="*",
     identity=[pol(deny("sts:GetCallerIdentity"))])
case("gci-deny-all", STS, q_gci, "allowed", principal=SESSION, action="sts:GetCallerIdentity",
     resource="*", identity=[pol(deny("*"))], session=pol(allow("s3:*")))
case("gci-scp-deny", STS, q_gci, "allowed", action="sts:GetCallerIdentity", resource="*",
     scps=[[pol(deny("sts:*"))]])
case("gci-other-sts-action-denied", STS, q_found_deny, "explicitDeny", action="sts:GetSessionToken",
     resource="*", identity=[pol(allow("*"), deny("sts:*"))])

# ---------------------------------------------------------------------------
# NotPrincipal (rule 4 and the Deny reading).
q_np_allow = 'NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is not supported.'
q_np_account = ("When you use NotPrincipal, you must also specify the account ARN of the not-denied "
                "principal. Otherwise, the policy might deny access to the entire account containing "
                "the principal.")
q_np_boundary = ("The NotPrincipal element with a Deny effect will always deny any IAM principal "
                 "that has a permissions boundary policy attached, regardless of the values "
                 "specified in the NotPrincipal element.")
open_bucket = st("Allow", "s3:*", "*", principal="*")


def np_deny(listed):
    return pol(open_bucket, st("Deny", "s3:*", "*", NotPrincipal={"AWS": listed}))


def np_allow(listed):
    return pol(st("Allow", "s3:*", "*", NotPrincipal={"AWS": listed}))


case("np-deny-user-and-account-listed", NOTP, q_np_account, "allowed",
     resource_policy=np_deny([ALICE, f"arn:aws:iam::{A}:root"]))
case("np-deny-user-only-listed", NOTP, q_np_account, "explicitDeny", resource_policy=np_deny([ALICE]))
case("np-deny-other-user", NOTP, ("The NotPrincipal element uses \"Effect\":\"Deny\" to deny access "
     "to all principals except the principal specified in the NotPrincipal element."),
     "explicitDeny", resource_policy=np_deny([BOB, A]))
case("np-deny-session-role-and-account", NOTP, q_np_account, "allowed", principal=SESSION,
     resource_policy=np_deny([SESSION, ROLE, A]))
case("np-deny-session-account-only", NOTP, q_np_account, "explicitDeny", principal=SESSION,
     resource_policy=np_deny([A]))
case("np-deny-boundary-always-denies", NOTP, q_np_boundary, "explicitDeny",
     boundary=pol(allow("*")), resource_policy=np_deny([ALICE, A]))
case("np-allow-user-listed", NOTP, q_np_allow, "implicitDeny", resource_policy=np_allow([ALICE]))
case("np-allow-account-listed", NOTP, q_np_allow, "implicitDeny", resource_policy=np_allow([A]))
case("np-allow-role-listed-session", NOTP, q_np_allow, "implicitDeny", principal=SESSION,
     resource_policy=np_allow([ROLE]))
case("np-allow-other-listed", NOTP, q_np_allow, "allowed", resource_policy=np_allow([BOB]))

# ---------------------------------------------------------------------------
# Boundaries and session policies.
q_bound = ("An entity's permissions boundary allows it to perform only the actions that are "
           "allowed by both its identity-based policies and its permissions boundaries.")
q_bound_eval = ("If the policy that is used to set the permissions boundary does not allow the "
                "requested action, then the request is implicitly denied.")
q_session = ("The resulting session's permissions are the intersection of the role's "
             "identity-based policy and the session policies.")
q_session_eval = ("If a session policy is present and does not allow the requested action, then "
                  "the request is implicitly denied.")
case("boundary-both-allow", BOUND, q_bound, "allowed", identity=[pol(allow("s3:*"))],
     boundary=pol(allow("s3:GetObject")))
case("boundary-does-not-allow", EVAL, q_bound_eval, "implicitDeny", identity=[pol(allow("s3:*"))],
     boundary=pol(allow("ec2:*")))
case("boundary-alone-grants-nothing", BOUND, q_bound, "implicitDeny", boundary=pol(allow("*")))
case("boundary-resource-scoped", BOUND, q_bound, "implicitDeny", identity=[pol(allow("s3:*"))],
     boundary=pol(allow("s3:*", "arn:aws:s3:::other/*")))
case("boundary-role-session", BOUND, q_bound, "allowed", principal=SESSION,
     identity=[pol(allow("s3:*"))], boundary=pol(allow("s3:Get*")))
case("session-both-allow", ASSUME, q_session, "allowed", principal=SESSION,
     identity=[pol(allow("s3:*"))], session=pol(allow("s3:GetObject")))
case("session-does-not-allow", EVAL, q_session_eval, "implicitDeny", principal=SESSION,
     identity=[pol(allow("s3:*"))], session=pol(allow("s3:PutObject")))
case("session-alone-grants-nothing", ASSUME, ("You cannot use session policies to grant more "
     "permissions than those allowed by the identity-based policy of the role that is being "
     "assumed."), "implicitDeny", principal=SESSION, identity=[pol(allow("ec2:*"))],
     session=pol(allow("*")))
case("session-and-boundary", EVAL, q_session_eval, "implicitDeny", principal=SESSION,
     identity=[pol(allow("s3:*"))], boundary=pol(allow("s3:*")), session=pol(allow("ec2:*")))
case("session-federated-user", EVAL, q_session_eval, "implicitDeny", principal=FEDERATED,
     identity=[pol(allow("s3:*"))], session=pol(allow("ec2:*")))

# ---------------------------------------------------------------------------
# SCPs and RCPs.
q_scp_levels = ("For a permission to be allowed for a specific account, there must be an explicit "
                "Allow statement at every level from the root through each OU in the direct path "
                "to the account (including the target account itself).")
q_scp_none = ("If the enforcement code does not find any applicable Allow statements in the SCPs, "
              "the enforcement code returns a final decision of Deny.")
q_rcp_full = ("Note that an AWS managed policy called RCPFullAWSAccess is automatically created and "
              "attached to every entity in your organization including the root, each OU, and AWS "
              "account when RCPs are enabled.")
full = pol(allow("*"))
rcp_full = pol(st("Allow", "*", "*", principal="*"))
case("scp-every-level-allows", SCP, q_scp_levels, "allowed", identity=[pol(allow("s3:*"))],
     scps=[[full], [full], [pol(allow("s3:*"))]])
case("scp-middle-level-missing", SCP, q_scp_levels, "implicitDeny", identity=[pol(allow("s3:*"))],
     scps=[[full], [pol(allow("ec2:*"))], [full]])
case("scp-account-level-missing", SCP, q_scp_levels, "implicitDeny", identity=[pol(allow("s3:*"))],
     scps=[[full], [pol(allow("iam:*"))]])
case("scp-no-allow", EVAL, q_scp_none, "implicitDeny", identity=[pol(allow("s3:*"))],
     scps=[[pol(allow("ec2:*"))]])
case("scp-grants-nothing", SCP, "No permissions are granted by an SCP.", "implicitDeny",
     scps=[[full]])
case("scp-resource-policy-still-limited", EVAL, q_scp_none, "implicitDeny",
     resource_policy=rp({"AWS": ALICE}), scps=[[pol(allow("ec2:*"))]])
case("scp-condition", SCP, q_scp_levels, "implicitDeny", identity=[pol(allow("s3:*"))],
     scps=[[pol(allow("*", cond={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))]],
     context={"aws:RequestedRegion": "us-east-1"})
case("scp-two-policies-one-level", SCP, q_scp_levels, "allowed", identity=[pol(allow("s3:*"))],
     scps=[[pol(allow("ec2:*")), pol(allow("s3:*"))]])
case("rcp-full-access", EVAL, q_rcp_full, "allowed", identity=[pol(allow("s3:*"))],
     rcps=[[rcp_full]])
case("rcp-deny", EVAL, q_found_deny, "explicitDeny", identity=[pol(allow("s3:*"))],
     rcps=[[rcp_full, pol(st("Deny", "s3:*", "*", {"Bool": {"aws:SecureTransport": "false"}},
                               principal="*"))]], context={"aws:SecureTransport": "false"})
case("rcp-deny-cross-account", EVAL, ("RCPs apply to resources of the account where the RCPs are "
     "attached."), "explicitDeny", principal=MALLORY, resource_account=A,
     identity=[pol(allow("s3:*"))], resource_policy=rp("*"),
     rcps=[[rcp_full, pol(st("Deny", "s3:*", "*",
                               {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
                               principal="*"))]])
case("rcp-deny-does-not-match", EVAL, q_rcp_full, "allowed", identity=[pol(allow("s3:*"))],
     rcps=[[rcp_full, pol(st("Deny", "s3:*", "*", {"Bool": {"aws:SecureTransport": "false"}},
                               principal="*"))]], context={"aws:SecureTransport": "true"})

# ---------------------------------------------------------------------------
# Actions, NotAction, resources, NotResource.
q_action_case = "The prefix and the action name are case insensitive."
q_action_wild = ("You can use multi-character match wildcards (*) and single-character match "
                 "wildcards (?)")
q_notaction = ("NotAction is an advanced policy element that explicitly matches everything except "
               "the specified list of actions.")
q_notres = ("NotResource is an advanced policy element that explicitly matches every resource "
            "except those specified.")
case("action-case", ACTION, q_action_case, "allowed", identity=[pol(allow("S3:getobject"))])
case("action-star", ACTION, q_action_wild, "allowed", identity=[pol(allow("s3:Get*"))])
case("action-question", ACTION, q_action_wild, "allowed", identity=[pol(allow("s3:G?tObject"))])
case("action-star-miss", ACTION, q_action_wild, "implicitDeny", identity=[pol(allow("s3:Put*"))])
case("action-list", ACTION, q_action_wild, "allowed",
     identity=[pol(allow(["ec2:*", "s3:GetObject"]))])
case("notaction-allow-other", NOTA, q_notaction, "allowed",
     identity=[pol(st("Allow", None, "*", NotAction="iam:*"))])
case("notaction-allow-listed", NOTA, q_notaction, "implicitDeny",
     identity=[pol(st("Allow", None, "*", NotAction=["s3:*"]))])
case("notaction-deny-other", NOTA, q_notaction, "explicitDeny",
     identity=[pol(allow("*"), st("Deny", None, "*", NotAction="iam:*"))])
case("notaction-deny-listed", NOTA, q_notaction, "allowed",
     identity=[pol(allow("*"), st("Deny", None, "*", NotAction=["s3:Get*", "iam:*"]))])
case("resource-exact", RES, "Statements must include either a Resource or a NotResource element.",
     "allowed", identity=[pol(allow("s3:GetObject", OBJ))])
case("resource-other-bucket", RES, "Statements must include either a Resource or a NotResource element.",
     "implicitDeny", identity=[pol(allow("s3:GetObject", "arn:aws:s3:::other/key"))])
case("resource-slash-span", RES, ("The asterisk (*) character can expand to replace everything "
     "within a segment, including characters like a forward slash (/)"), "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/1///test///object.jpg",
     identity=[pol(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"))])
case("resource-slash-span-2", RES, ("The asterisk (*) character can expand to replace everything "
     "within a segment, including characters like a forward slash (/)"), "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket//test/object.jpg",
     identity=[pol(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"))])
case("resource-slash-span-miss", RES, ("The asterisk (*) character can expand to replace everything "
     "within a segment, including characters like a forward slash (/)"), "implicitDeny",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg",
     identity=[pol(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"))])
case("resource-slash-span-miss-2", RES, ("The asterisk (*) character can expand to replace "
     "everything within a segment, including characters like a forward slash (/)"), "implicitDeny",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/1/2/test.jpg",
     identity=[pol(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"))])
case("resource-question", RES, ("You can use multiple * or ? characters in each segment."),
     "allowed", resource="arn:aws:s3:::amzn-s3-demo-bucket/ke1",
     identity=[pol(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/ke?"))])
case("notresource-allow-other", NOTR, q_notres, "allowed",
     identity=[pol(st("Allow", "s3:*", None, NotResource="arn:aws:s3:::secret/*"))])
case("notresource-allow-listed", NOTR, q_notres, "implicitDeny",
     identity=[pol(st("Allow", "s3:*", None, NotResource=["arn:aws:s3:::amzn-s3-demo-bucket/*"]))])
case("notresource-deny-other", NOTR, q_notres, "explicitDeny",
     identity=[pol(allow("s3:*"), st("Deny", "s3:*", None, NotResource="arn:aws:s3:::safe/*"))])
case("notresource-deny-listed", NOTR, q_notres, "allowed",
     identity=[pol(allow("s3:*"), st("Deny", "s3:*", None, NotResource=[OBJ]))])

# ---------------------------------------------------------------------------
# Condition operators, each family, from the tables of the operators page.
q_missing = ("If the key that you specify in a policy condition is not present in the request "
             "context, the values do not match and the condition is false.")
q_missing_neg = ("If the policy condition requires that the key is not matched, such as "
                 "StringNotLike or ArnNotLike, and the right key is not present, the condition is "
                 "true.")


def cond_case(cid, quote, operator, key, value, ctx, match, url=COND, action="s3:GetObject",
              resource=OBJ, principal=ALICE, version="2012-10-17"):
    """Allow guarded by one condition: allowed exactly when the condition matches."""
    context = {} if ctx is None else ctx
    case(cid, url, quote, "allowed" if match else "implicitDeny", principal=principal,
         action=action, resource=resource,
         identity=[pol(allow("*", "*", {operator: {key: value}}), version=version)],
         context=context)


q_se = "StringEquals Exact matching, case sensitive"
cond_case("str-eq-match", q_se, "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin",
          {"aws:PrincipalTag/job-category": "iamuser-admin"}, True)
cond_case("str-eq-other", q_se, "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin",
          {"aws:PrincipalTag/job-category": "dev-ops"}, False)
cond_case("str-eq-missing", q_missing, "StringEquals", "aws:PrincipalTag/job-category",
          "iamuser-admin", None, False)
cond_case("str-eq-case", q_se, "StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin",
          {"aws:PrincipalTag/job-category": "IAMUser-Admin"}, False)
cond_case("str-eq-list-or", ("If a single condition operator includes multiple values for a "
          "context key, those values are evaluated using a logical OR."), "StringEquals",
          "aws:RequestedRegion", ["eu-west-1", "us-east-1"], {"aws:RequestedRegion": "us-east-1"}, True)
cond_case("str-ne-match", "StringNotEquals Negated matching", "StringNotEquals",
          "aws:RequestedRegion", "eu-west-1", {"aws:RequestedRegion": "us-east-1"}, True)
cond_case("str-ne-equal", "StringNotEquals Negated matching", "StringNotEquals",
          "aws:RequestedRegion", "eu-west-1", {"aws:RequestedRegion": "eu-west-1"}, False)
cond_case("str-ne-missing", q_missing_neg, "StringNotEquals", "aws:RequestedRegion", "eu-west-1",
          None, True)
cond_case("str-eqic", "StringEqualsIgnoreCase Exact matching, ignoring case",
          "StringEqualsIgnoreCase", "aws:RequestTag/environment", ["preprod", "storage"],
          {"aws:RequestTag/environment": "PreProd"}, True)
cond_case("str-neic", "StringNotEqualsIgnoreCase Negated matching, ignoring case",
          "StringNotEqualsIgnoreCase", "aws:RequestTag/environment", "preprod",
          {"aws:RequestTag/environment": "PREPROD"}, False)
q_like = ("StringLike Case-sensitive matching. The values can include multi-character match "
          "wildcards (*) and single-character match wildcards (?) anywhere in the string.")
cond_case("str-like-star", q_like, "StringLike", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"],
          {"ec2:InstanceType": "t1.micro"}, True, action="ec2:RunInstances", resource="*")
cond_case("str-like-miss", q_like, "StringLike", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"],
          {"ec2:InstanceType": "m2.micro"}, False, action="ec2:RunInstances", resource="*")
cond_case("str-like-question", q_like, "StringLike", "s3:prefix", "home/?/",
          {"s3:prefix": "home/a/"}, True, action="s3:ListBucket", resource=BUCKET)
cond_case("str-like-case", q_like, "StringLike", "s3:prefix", "Home/*",
          {"s3:prefix": "home/a/"}, False, action="s3:ListBucket", resource=BUCKET)
cond_case("str-notlike-match", q_missing_neg, "StringNotLike", "s3:prefix", "private/*",
          {"s3:prefix": "public/a"}, True, action="s3:ListBucket", resource=BUCKET)
cond_case("str-notlike-missing", q_missing_neg, "StringNotLike", "s3:prefix", "private/*", None,
          True, action="s3:ListBucket", resource=BUCKET)
cond_case("str-notlike-hit", "StringNotLike Negated case-sensitive matching.", "StringNotLike",
          "s3:prefix", "private/*", {"s3:prefix": "private/a"}, False, action="s3:ListBucket",
          resource=BUCKET)
q_num = "Numeric condition operators let you construct Condition elements that restrict access based on comparing a key to an integer or decimal value."
for cid, op, val, ctx, m in [
    ("num-le-under", "NumericLessThanEquals", "10", "5", True),
    ("num-le-equal", "NumericLessThanEquals", "10", "10", True),
    ("num-le-over", "NumericLessThanEquals", "10", "20", False),
    ("num-lt-equal", "NumericLessThan", "10", "10", False),
    ("num-gt", "NumericGreaterThan", "10", "11", True),
    ("num-ge", "NumericGreaterThanEquals", "10", "10", True),
    ("num-eq-decimal", "NumericEquals", "10", "10.0", True),
    ("num-ne", "NumericNotEquals", "10", "11", True),
    ("num-ne-equal", "NumericNotEquals", "10", "10", False),
]:
    cond_case(cid, q_num, op, "s3:max-keys", val, {"s3:max-keys": ctx}, m, action="s3:ListBucket",
              resource=BUCKET)
cond_case("num-missing", q_missing, "NumericLessThanEquals", "s3:max-keys", "10", None, False,
          action="s3:ListBucket", resource=BUCKET)
q_date = ("You must specify date/time values with one of the W3C implementations of the ISO 8601 "
          "date formats or in epoch (UNIX) time.")
for cid, op, val, ctx, m in [
    ("date-gt-iso", "DateGreaterThan", "2020-01-01T00:00:01Z", "2020-06-01T00:00:00Z", True),
    ("date-gt-before", "DateGreaterThan", "2020-01-01T00:00:01Z", "2019-12-31T23:59:59Z", False),
    ("date-lt", "DateLessThan", "2020-01-01T00:00:00Z", "2019-06-01T00:00:00Z", True),
    ("date-le-equal", "DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("date-ge", "DateGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("date-eq", "DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("date-ne", "DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", True),
    ("date-epoch-policy", "DateGreaterThan", "1577836800", "2020-06-01T00:00:00Z", True),
    ("date-epoch-context", "DateLessThan", "2020-01-01T00:00:00Z", "1500000000", True),
    ("date-date-only", "DateLessThan", "2020-01-01", "2019-12-31T23:00:00Z", True),
]:
    cond_case(cid, q_date, op, "aws:CurrentTime", val, {"aws:CurrentTime": ctx}, m)
cond_case("date-missing", ("The aws:TokenIssueTime key is present in the request context only when "
          "the principal uses temporary credentials to make the request."), "DateGreaterThan",
          "aws:TokenIssueTime", "2020-01-01T00:00:01Z", None, False)
q_bool = "Boolean conditions let you construct Condition elements that restrict access based on comparing a key to true or false."
cond_case("bool-match", q_bool, "Bool", "aws:SecureTransport", "false",
          {"aws:SecureTransport": "false"}, True)
cond_case("bool-other", q_bool, "Bool", "aws:SecureTransport", "false",
          {"aws:SecureTransport": "true"}, False)
cond_case("bool-missing", q_missing, "Bool", "aws:SecureTransport", "false", None, False)
cond_case("bool-json-boolean", ("Quotation marks are optional for numeric and Boolean values."),
          "Bool", "aws:MultiFactorAuthPresent", True, {"aws:MultiFactorAuthPresent": "true"}, True,
          url=U + "reference_policies_grammar.html")
q_bin = ("It compares the value of the specified key byte for byte against a base-64 encoded "
         "representation of the binary value in the policy.")
cond_case("binary-match", q_bin, "BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
          {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True)
cond_case("binary-other", q_bin, "BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
          {"key": "ASIAIOSFODNN7EXAMPLE"}, False)
cond_case("binary-missing", q_bin, "BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", None, False)
q_ip = ("The value must be in the standard CIDR format (for example, 203.0.113.0/24 or "
        "2001:DB8:1234:5678::/64). If you specify an IP address without the associated routing "
        "prefix, IAM uses the default prefix value of /32.")
cond_case("ip-in-range", q_ip, "IpAddress", "aws:SourceIp", "203.0.113.0/24",
          {"aws:SourceIp": "203.0.113.1"}, True)
cond_case("ip-out-of-range", q_ip, "IpAddress", "aws:SourceIp", "203.0.113.0/24",
          {"aws:SourceIp": "198.51.100.1"}, False)
cond_case("ip-default-32", q_ip, "IpAddress", "aws:SourceIp", "203.0.113.5",
          {"aws:SourceIp": "203.0.113.6"}, False)
cond_case("ip-default-32-hit", q_ip, "IpAddress", "aws:SourceIp", "203.0.113.5",
          {"aws:SourceIp": "203.0.113.5"}, True)
cond_case("ip-v6", q_ip, "IpAddress", "aws:SourceIp", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"],
          {"aws:SourceIp": "2001:db8:1234:5678::1"}, True)
cond_case("ip-not", "NotIpAddress All IP addresses except the specified IP address or range",
          "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, True)
cond_case("ip-not-inside", "NotIpAddress All IP addresses except the specified IP address or range",
          "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.9"}, False)
cond_case("ip-missing", ("The aws:SourceIp key is always present in the request context, except "
          "when the requester uses a VPC endpoint to make the request. In this case, the condition "
          "returns false and the request is implicitly denied by this statement."), "IpAddress",
          "aws:SourceIp", "203.0.113.0/24", None, False)
q_arn = ("Case-sensitive matching of the ARN. Each of the six colon-delimited components of the "
         "ARN is checked separately and each can include multi-character match wildcards (*) or "
         "single-character match wildcards (?).")
TOPIC = "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"
cond_case("arn-eq", q_arn, "ArnEquals", "aws:SourceArn", TOPIC, {"aws:SourceArn": TOPIC}, True)
cond_case("arn-eq-other-account", q_arn, "ArnEquals", "aws:SourceArn", TOPIC,
          {"aws:SourceArn": "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"}, False)
cond_case("arn-eq-missing", q_missing, "ArnEquals", "aws:SourceArn", TOPIC, None, False)
cond_case("arn-like", q_arn, "ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*",
          {"aws:SourceArn": TOPIC}, True)
cond_case("arn-equals-wildcard", ("The ArnEquals and ArnLike condition operators behave "
          "identically."), "ArnEquals", "aws:SourceArn", "arn:aws:sns:*:123456789012:TOPIC-*",
          {"aws:SourceArn": TOPIC}, True)
cond_case("arn-like-case", q_arn, "ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:topic-id",
          {"aws:SourceArn": TOPIC}, False)
cond_case("arn-not-like", ("Negated matching for ARN. The ArnNotEquals and ArnNotLike condition "
          "operators behave identically."), "ArnNotLike", "aws:SourceArn",
          "arn:aws:sns:*:777788889999:*", {"aws:SourceArn": TOPIC}, True)
cond_case("arn-not-equals-missing", q_missing_neg, "ArnNotEquals", "aws:SourceArn", TOPIC, None, True)
q_ifexists = ('If the key is not present, evaluate the condition element as true.')
cond_case("ifexists-present-match", q_ifexists, "StringLikeIfExists", "ec2:InstanceType",
          ["t1.*", "t2.*", "m3.*"], {"ec2:InstanceType": "t1.micro"}, True,
          action="ec2:RunInstances", resource="*")
cond_case("ifexists-present-miss", q_ifexists, "StringLikeIfExists", "ec2:InstanceType",
          ["t1.*", "t2.*", "m3.*"], {"ec2:InstanceType": "m2.micro"}, False,
          action="ec2:RunInstances", resource="*")
cond_case("ifexists-missing", q_ifexists, "StringLikeIfExists", "ec2:InstanceType",
          ["t1.*", "t2.*", "m3.*"], None, True, action="ec2:RunInstances", resource="*")
cond_case("ifexists-numeric-missing", ("You can add IfExists to the end of any condition operator "
          "name except the Null condition"), "NumericLessThanEqualsIfExists", "s3:max-keys", "10",
          None, True, action="s3:ListBucket", resource=BUCKET)
case("ifexists-deny-negated", COND, ('If you are using an "Effect": "Deny" element with a negated '
     "condition operator like StringNotEqualsIfExists, the request is still denied even if the "
     "condition key is not present."), "explicitDeny",
     identity=[pol(allow("*"), deny("*", cond={"StringNotEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}))])
q_null = ("In the policy statement, use either true (the key doesn't exist — it is null) or false "
          "(the key exists and its value is not null).")
cond_case("null-false-present", q_null, "Null", "aws:TokenIssueTime", "false",
          {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, True, action="ec2:RunInstances", resource="*")
cond_case("null-false-absent", q_null, "Null", "aws:TokenIssueTime", "false", None, False,
          action="ec2:RunInstances", resource="*")
cond_case("null-true-absent", q_null, "Null", "aws:TokenIssueTime", "true", None, True,
          action="ec2:RunInstances", resource="*")
cond_case("null-true-present", q_null, "Null", "aws:TokenIssueTime", "true",
          {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, False, action="ec2:RunInstances",
          resource="*")
case("cond-and-across-operators", CONDEL, ("If your policy has multiple condition operators or "
     "multiple keys attached to a single condition operator, the conditions are evaluated using a "
     "logical AND."), "implicitDeny",
     identity=[pol(allow("*", cond={"StringEquals": {"aws:RequestedRegion": "us-east-1"},
                                    "Bool": {"aws:SecureTransport": "true"}}))],
     context={"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "false"})
case("cond-and-both-hold", CONDEL, ("If your policy has multiple condition operators or multiple "
     "keys attached to a single condition operator, the conditions are evaluated using a logical "
     "AND."), "allowed",
     identity=[pol(allow("*", cond={"StringEquals": {"aws:RequestedRegion": "us-east-1"},
                                    "Bool": {"aws:SecureTransport": "true"}}))],
     context={"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"})
case("cond-key-name-case", CONDEL, "Context key names are not case-sensitive.", "allowed",
     identity=[pol(allow("*", cond={"StringEquals": {"AWS:REQUESTEDREGION": "us-east-1"}}))],
     context={"aws:RequestedRegion": "us-east-1"})

# Multivalued keys and set operators.
q_forall = ("ForAllValues: true if every context key value in the request matches a context key "
            "value in the policy. It also returns true if there are no context keys in the request.")
q_forany = ("ForAnyValue: true if any one of the context key values in the request matches any one "
            "of the context key values in the policy. For no matching context key or if the key "
            "does not exist, the condition returns false.")
cond_case("forall-subset", q_forall, "ForAllValues:StringEquals", "aws:TagKeys",
          ["environment", "costcenter"], {"aws:TagKeys": ["environment"]}, True, url=MULTI)
cond_case("forall-extra", q_forall, "ForAllValues:StringEquals", "aws:TagKeys",
          ["environment", "costcenter"], {"aws:TagKeys": ["environment", "owner"]}, False, url=MULTI)
cond_case("forall-missing", q_forall, "ForAllValues:StringEquals", "aws:TagKeys",
          ["environment"], None, True, url=MULTI)
cond_case("forall-empty", ("The ForAllValues qualifier returns true if there are no context keys in "
          "the request or if the context key value resolves to a null dataset, such as an empty "
          "string."), "ForAllValues:StringEquals", "aws:TagKeys", ["environment"],
          {"aws:TagKeys": []}, True)
cond_case("forany-one", q_forany, "ForAnyValue:StringEquals", "aws:TagKeys", "environment",
          {"aws:TagKeys": ["environment", "costcenter"]}, True, url=MULTI)
cond_case("forany-none", q_forany, "ForAnyValue:StringEquals", "aws:TagKeys", "environment",
          {"aws:TagKeys": ["costcenter"]}, False, url=MULTI)
cond_case("forany-case", ("ForAnyValue comparison is case sensitive, which stops users from using "
          "the incorrect case for the tag key, such as using Environment instead of environment."),
          "ForAnyValue:StringEquals", "aws:TagKeys", "environment", {"aws:TagKeys": ["Environment"]},
          False)
cond_case("forany-missing", q_forany, "ForAnyValue:StringEquals", "aws:TagKeys", "environment",
          None, False, url=MULTI)
cond_case("forall-notlike-match", ("None of the values of the context key in the request can match "
          "any of the context key values in your policy."), "ForAllValues:StringNotLike",
          "aws:ResourceOrgPaths", ["o-acorg/r-acroot/ou-acroot-mediaou/",
                                   "o-acorg/r-acroot/ou-acroot-sportsou/*"],
          {"aws:ResourceOrgPaths": ["o-acorg/r-acroot/ou-acroot-sportsou/costcenter/"]}, False)
cond_case("forall-notlike-nomatch", ("None of the values of the context key in the request can "
          "match any of the context key values in your policy."), "ForAllValues:StringNotLike",
          "aws:ResourceOrgPaths", ["o-acorg/r-acroot/ou-acroot-mediaou/",
                                   "o-acorg/r-acroot/ou-acroot-sportsou/*"],
          {"aws:ResourceOrgPaths": ["o-acorg/r-acroot/ou-acroot-mediaou/costcenter/"]}, True)
LG = "arn:aws:cloudfront::123456789012:distribution/"
cond_case("forall-arnlike-one", ("All of the ARNs in the request context must match at least one of "
          "the ARN patterns in your policy."), "ForAllValues:ArnLike",
          "logs:LogGeneratingResourceArns", [LG + "*", LG + "support*"],
          {"logs:LogGeneratingResourceArns": [LG + "costcenter"]}, True)
cond_case("forall-arnlike-other-account", ("All of the ARNs in the request context must match at "
          "least one of the ARN patterns in your policy."), "ForAllValues:ArnLike",
          "logs:LogGeneratingResourceArns", [LG + "*"],
          {"logs:LogGeneratingResourceArns": ["arn:aws:cloudfront::777788889999:distribution/x"]},
          False)
cond_case("forall-arnlike-missing", ("The ForAllValues qualifier returns true if there are no "
          "context keys in the request"), "ForAllValues:ArnLike", "logs:LogGeneratingResourceArns",
          [LG + "*"], None, True)
cond_case("forany-bool", ("At least one of the booleans in the context key values must match the "
          "boolean values in your policy."), "ForAnyValue:Bool", "some:BoolArray", "true",
          {"some:BoolArray": ["false", "true"]}, True)
cond_case("forall-bool", ("All of the booleans in the context key values must match the boolean "
          "values in your policy."), "ForAllValues:Bool", "some:BoolArray", "true",
          {"some:BoolArray": ["false", "true"]}, False)
case("forany-ec2-example", COND, ("When you use StringEqualsIgnoreCase, you can attach tags only if "
     "the tag contains the environment key with the preprod or storage values."), "allowed",
     action="ec2:CreateTags", resource=f"arn:aws:ec2:us-east-1:{A}:instance/i-1",
     identity=[pol(allow("ec2:CreateTags", "arn:aws:ec2:*:*:instance/*", {
         "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
         "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"}}))],
     context={"aws:TagKeys": ["environment", "costcenter"], "aws:RequestTag/environment": "PreProd"})
case("forany-ec2-example-no-tagkeys", COND, ("When you use StringEqualsIgnoreCase, you can attach "
     "tags only if the tag contains the environment key with the preprod or storage values."),
     "implicitDeny", action="ec2:CreateTags", resource=f"arn:aws:ec2:us-east-1:{A}:instance/i-1",
     identity=[pol(allow("ec2:CreateTags", "arn:aws:ec2:*:*:instance/*", {
         "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
         "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"}}))],
     context={"aws:RequestTag/environment": "storage"})

# ---------------------------------------------------------------------------
# Policy variables (rules 6 and 7 among them).
q_var_res = ("If a variable that has no value in the authorization context is used as part of the "
             "Resource or NotResource element of a policy, the resource that includes a policy "
             "variable with no value will not match any resource.")
q_var_nomatch = ("When you use a variable with no value in the condition element of an IAM policy, "
                 "condition operators like StringEquals or StringLike do not match, and the policy "
                 "statement does not take effect.")
q_var_inverted = ("Inverted condition operators like StringNotEquals or StringNotLike do match "
                  "against a null value, as the value of the condition key they are testing against "
                  "is not equal to or like the effectively null value.")
q_version = ("variables such as ${aws:username} aren't recognized as variables and are instead "
             "treated as literal strings")
HOME = "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
case("var-resource", VARS, ("You can use policy variables in the Resource element and in string "
     "comparisons in the Condition element."), "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt",
     identity=[pol(allow("s3:*", HOME))], context={"aws:username": "alice"})
case("var-resource-other-user", VARS, ("You can use policy variables in the Resource element and in "
     "string comparisons in the Condition element."), "implicitDeny",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt",
     identity=[pol(allow("s3:*", HOME))], context={"aws:username": "alice"})
case("var-resource-no-value", VARS, q_var_res, "implicitDeny",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home//notes.txt", identity=[pol(allow("s3:*", HOME))])
# The pattern with no value matches no resource, so NotResource excludes nothing.
case("var-notresource-no-value", VARS, q_var_res, "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/x",
     identity=[pol(st("Allow", "s3:*", None, NotResource="arn:aws:s3:::other/${aws:username}"))])
case("var-version-2008", VERSION, q_version, "implicitDeny",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt",
     identity=[pol(allow("s3:*", HOME), version="2008-10-17")], context={"aws:username": "alice"})
case("var-version-2008-literal", VERSION, q_version, "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/notes.txt",
     identity=[pol(allow("s3:*", HOME), version="2008-10-17")], context={"aws:username": "alice"})
case("var-no-version", VERSION, q_version, "implicitDeny",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt",
     identity=[pol(allow("s3:*", HOME), version=None)], context={"aws:username": "alice"})
case("var-key-case", VARS, "Key names are case-insensitive.", "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt",
     identity=[pol(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/home/${AWS:USERNAME}/*"))],
     context={"aws:username": "alice"})
case("var-default", VARS, ("To add a default value to a variable, surround the default value with "
     "single quotes (' '), and separate the variable text and the default value with a comma and "
     "space (, )."), "allowed", resource="arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x",
     identity=[pol(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"))])
case("var-default-not-used", VARS, ("To add a default value to a variable, surround the default value "
     "with single quotes (' '), and separate the variable text and the default value with a comma "
     "and space (, )."), "implicitDeny", resource="arn:aws:s3:::amzn-s3-demo-bucket/company-wide/x",
     identity=[pol(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"))],
     context={"aws:PrincipalTag/team": "red"})
case("var-special-star", VARS, ("${*} - use where you need an * (asterisk) character."), "allowed",
     resource="arn:aws:s3:::amzn-s3-demo-bucket/a*b",
     identity=[pol(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/a${*}b"))])
case("var-special-star-literal", VARS, ("${*} - use where you need an * (asterisk) character."),
     "implicitDeny", resource="arn:aws:s3:::amzn-s3-demo-bucket/axxb",
     identity=[pol(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/a${*}b"))])
cond_case("var-cond-stringlike", ("The policy allows the specified actions on an S3 bucket as long as "
          "the s3:prefix matches any one of the specified patterns."), "StringLike", "s3:prefix",
          ["", "home/", "home/${aws:username}/"], {"s3:prefix": "home/martha_rivera/",
                                                  "aws:username": "martha_rivera"}, True,
          action="s3:ListBucket", resource=BUCKET)
cond_case("var-cond-stringlike-other", ("The policy allows the specified actions on an S3 bucket as "
          "long as the s3:prefix matches any one of the specified patterns."), "StringLike",
          "s3:prefix", ["home/", "home/${aws:username}/"], {"s3:prefix": "home/nikki_wolf/",
                                                           "aws:username": "martha_rivera"}, False,
          action="s3:ListBucket", resource=BUCKET)
cond_case("var-cond-no-value", q_var_nomatch, "StringEquals", "s3:ExistingObjectTag/Team",
          "${aws:PrincipalTag/Team}", {"s3:ExistingObjectTag/Team": "red"}, False, url=VARS)
cond_case("var-cond-stringlike-no-value", q_var_nomatch, "StringLike", "s3:prefix",
          "home/${aws:username}/", {"s3:prefix": "home//"}, False, url=VARS,
          action="s3:ListBucket", resource=BUCKET)
cond_case("var-cond-inverted-no-value", q_var_inverted, "StringNotEquals",
          "s3:ExistingObjectTag/Team", "${aws:PrincipalTag/Team}",
          {"s3:ExistingObjectTag/Team": "red"}, True, url=VARS)
cond_case("var-cond-notlike-no-value", q_var_inverted, "StringNotLike", "s3:prefix",
          "home/${aws:username}/*", {"s3:prefix": "home/x/"}, True, url=VARS,
          action="s3:ListBucket", resource=BUCKET)
DENY_TEAM = pol(allow("s3:*"), deny("s3:*", cond={
    "StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}))
case("var-deny-no-principal-tag", VARS, ("Access is explicitly denied when aws:principaltag/Team is "
     "not set."), "explicitDeny", identity=[DENY_TEAM], context={"s3:ExistingObjectTag/Team": "red"})
case("var-deny-same-tag", VARS, ("In the following example, aws:principaltag/Team must be equal to "
     "s3:ExistingObjectTag/Team to allow access."), "allowed", identity=[DENY_TEAM],
     context={"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "red"})
case("var-deny-other-tag", VARS, ("In the following example, aws:principaltag/Team must be equal to "
     "s3:ExistingObjectTag/Team to allow access."), "explicitDeny", identity=[DENY_TEAM],
     context={"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "blue"})
q_bool_vars = "Boolean condition operators: Policy variables – Supported"
cond_case("var-bool", q_bool_vars, "Bool", "aws:SecureTransport", "${aws:PrincipalTag/tls}",
          {"aws:SecureTransport": "true", "aws:PrincipalTag/tls": "true"}, True)
cond_case("var-bool-other", q_bool_vars, "Bool", "aws:SecureTransport", "${aws:PrincipalTag/tls}",
          {"aws:SecureTransport": "true", "aws:PrincipalTag/tls": "false"}, False)
cond_case("var-bool-no-value", q_var_nomatch, "Bool", "aws:SecureTransport",
          "${aws:PrincipalTag/tls}", {"aws:SecureTransport": "true"}, False)
cond_case("var-arn", "Amazon Resource Name (ARN) condition operators: Policy variables – Supported",
          "ArnEquals", "aws:SourceArn", f"arn:aws:sns:us-east-1:{A}:${{aws:username}}-topic",
          {"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:alice-topic", "aws:username": "alice"}, True)
cond_case("var-numeric-not-supported", "Numeric condition operators: Policy variables – Not supported",
          "NumericLessThanEquals", "s3:max-keys", "${aws:PrincipalTag/max}",
          {"s3:max-keys": "5", "aws:PrincipalTag/max": "10"}, False, action="s3:ListBucket",
          resource=BUCKET)
cond_case("var-ip-not-supported", "IP address condition operators: Policy variables – Not supported",
          "IpAddress", "aws:SourceIp", "${aws:PrincipalTag/net}",
          {"aws:SourceIp": "10.0.0.1", "aws:PrincipalTag/net": "10.0.0.0/8"}, False)

# ---------------------------------------------------------------------------
# Rule 8 is a refusal, not a decision: see `statement_without_principal_is_refused` in the runner.

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.jsonl")
with open(out, "w") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(f"{len(cases)} cases written to {out}")
