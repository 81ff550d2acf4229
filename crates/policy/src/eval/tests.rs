use serde_json::{json, Value};

use super::*;

const ALICE: &str = "arn:aws:iam::111111111111:user/alice";
const SESSION: &str = "arn:aws:sts::111111111111:assumed-role/dev/s1";

fn policy(name: &str, doc: Value) -> Policy {
    Policy::from_json(name, &doc).unwrap()
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn req(principal: &str, action: &str, resource: &str) -> Request {
    Request::new(
        Principal::parse(principal),
        action,
        resource,
        None,
        Context::new(),
    )
}

fn decide(req: &Request, identity: &[Value]) -> Decision {
    let policies: Vec<Policy> = identity
        .iter()
        .enumerate()
        .map(|(i, d)| policy(&format!("p{i}"), d.clone()))
        .collect();
    let set = PolicySet {
        identity: policies.iter().collect(),
        ..PolicySet::default()
    };
    let full = evaluate(req, &set).decision;
    assert_eq!(
        decision(req, &set),
        full,
        "decision() and evaluate() disagree"
    );
    full
}

#[test]
fn actions_match_case_insensitively_with_wildcards() {
    let r = req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
    for pattern in [
        "s3:GetObject",
        "S3:getobject",
        "s3:Get*",
        "s3:*",
        "*",
        "s3:G?tObject",
        "s3:*Object",
    ] {
        assert_eq!(
            decide(&r, &[allow(pattern, "*")]),
            Decision::Allowed,
            "{pattern}"
        );
    }
    for pattern in ["s3:Put*", "s3:GetObjectAcl", "s3:G?Object", "ec2:*"] {
        assert_eq!(
            decide(&r, &[allow(pattern, "*")]),
            Decision::ImplicitDeny,
            "{pattern}"
        );
    }
}

#[test]
fn resources_match_case_sensitively_part_by_part() {
    let r = req(ALICE, "s3:GetObject", "arn:aws:s3:::bucket/a/b.txt");
    for pattern in [
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:s3:::bucket/a/b.txt",
        "arn:aws:s3:::buck*",
        "arn:*:s3:::bucket/*",
        "arn:aws:s3:*:*:bucket/a/?.txt",
    ] {
        assert_eq!(
            decide(&r, &[allow("s3:*", pattern)]),
            Decision::Allowed,
            "{pattern}"
        );
    }
    for pattern in [
        "arn:aws:s3:::Bucket/*",
        "arn:aws:s3:::bucket",
        "arn:aws:s3:::bucket/a/??.txt",
        "arn:aws:s3:us-east-1::bucket/*",
    ] {
        assert_eq!(
            decide(&r, &[allow("s3:*", pattern)]),
            Decision::ImplicitDeny,
            "{pattern}"
        );
    }
}

#[test]
fn a_wildcard_does_not_span_arn_parts() {
    let r = req(ALICE, "iam:GetUser", "arn:aws:iam::111111111111:user/bob");
    assert_eq!(
        decide(&r, &[allow("iam:*", "arn:aws:iam::*:user/*")]),
        Decision::Allowed
    );
    // `*` in the service part cannot swallow the empty region and the account.
    assert_eq!(
        decide(&r, &[allow("iam:*", "arn:aws:*:user/bob")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn explicit_deny_wins_and_is_reported() {
    let r = req(ALICE, "s3:DeleteObject", "arn:aws:s3:::b/k");
    let deny = json!({"Statement": {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}});
    let p0 = policy("allow", allow("s3:*", "*"));
    let p1 = policy("deny", deny);
    let set = PolicySet {
        identity: vec![&p0, &p1],
        ..PolicySet::default()
    };
    let e = evaluate(&r, &set);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.matched.len(), 1);
    assert_eq!(e.matched[0].policy, "deny");
    assert_eq!(e.matched[0].sid, Some("NoDelete"));
}

#[test]
fn not_action_and_not_resource() {
    let doc = json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}]});
    assert_eq!(
        decide(
            &req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k"),
            std::slice::from_ref(&doc)
        ),
        Decision::Allowed
    );
    assert_eq!(
        decide(&req(ALICE, "iam:GetUser", "*"), std::slice::from_ref(&doc)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&req(ALICE, "s3:GetObject", "arn:aws:s3:::secret/k"), &[doc]),
        Decision::ImplicitDeny
    );
}

fn cond_decision(condition: Value, ctx: &[(&str, Value)]) -> Decision {
    let mut context = Context::new();
    for (k, v) in ctx {
        match v {
            Value::Array(items) => context.set_multi(
                k,
                items
                    .iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect(),
            ),
            Value::String(s) => context.set(k, s.clone()),
            other => context.set(k, other.to_string()),
        }
    }
    let r = Request::new(
        Principal::parse(ALICE),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        None,
        context,
    );
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]});
    decide(&r, &[doc])
}

fn holds(condition: Value, ctx: &[(&str, Value)]) -> bool {
    cond_decision(condition, ctx) == Decision::Allowed
}

#[test]
fn string_operators() {
    let c = |op: &str, v: Value| json!({op: {"aws:username": v}});
    let alice = [("aws:username", json!("alice"))];
    assert!(holds(c("StringEquals", json!("alice")), &alice));
    assert!(holds(c("StringEquals", json!(["bob", "alice"])), &alice));
    assert!(!holds(c("StringEquals", json!("Alice")), &alice));
    assert!(holds(c("StringEqualsIgnoreCase", json!("ALICE")), &alice));
    assert!(holds(c("StringNotEquals", json!("bob")), &alice));
    assert!(!holds(
        c("StringNotEquals", json!(["bob", "alice"])),
        &alice
    ));
    assert!(holds(c("StringLike", json!("a*e")), &alice));
    assert!(holds(c("StringLike", json!("al?ce")), &alice));
    assert!(!holds(c("StringEquals", json!("a*")), &alice));
    assert!(holds(c("StringNotLike", json!("b*")), &alice));
    // Missing key: positive false, negated true, IfExists true.
    assert!(!holds(c("StringEquals", json!("alice")), &[]));
    assert!(holds(c("StringNotEquals", json!("alice")), &[]));
    assert!(holds(c("StringEqualsIfExists", json!("bob")), &[]));
    assert!(!holds(c("StringEqualsIfExists", json!("bob")), &alice));
}

#[test]
fn numeric_date_bool_ip_binary_arn() {
    let n = [("s3:max-keys", json!("10"))];
    assert!(holds(
        json!({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        &n
    ));
    assert!(holds(json!({"NumericLessThan": {"s3:max-keys": 10.5}}), &n));
    assert!(!holds(
        json!({"NumericGreaterThan": {"s3:max-keys": "10"}}),
        &n
    ));
    assert!(holds(
        json!({"NumericNotEquals": {"s3:max-keys": "11"}}),
        &n
    ));
    assert!(!holds(json!({"NumericEquals": {"s3:max-keys": "ten"}}), &n));

    let t = [("aws:CurrentTime", json!("2026-03-21T11:36:28Z"))];
    assert!(holds(
        json!({"DateLessThan": {"aws:CurrentTime": "2026-11-30T23:59:59Z"}}),
        &t
    ));
    assert!(holds(
        json!({"DateGreaterThan": {"aws:CurrentTime": "2026-03-21"}}),
        &t
    ));
    assert!(holds(
        json!({"DateLessThan": {"aws:CurrentTime": "1800000000"}}),
        &t
    ));
    assert!(!holds(
        json!({"DateLessThan": {"aws:CurrentTime": 1700000000}}),
        &t
    ));
    let epoch = [("aws:EpochTime", json!("1774092988"))];
    assert!(holds(
        json!({"DateEquals": {"aws:EpochTime": "2026-03-21T11:36:28Z"}}),
        &epoch
    ));

    let mfa = [("aws:MultiFactorAuthPresent", json!("true"))];
    assert!(holds(
        json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        &mfa
    ));
    assert!(holds(
        json!({"Bool": {"aws:MultiFactorAuthPresent": true}}),
        &mfa
    ));
    assert!(!holds(
        json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
        &mfa
    ));
    assert!(holds(
        json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
        &[]
    ));

    let ip4 = [("aws:SourceIp", json!("203.0.113.7"))];
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        &ip4
    ));
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}),
        &ip4
    ));
    assert!(!holds(
        json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
        &ip4
    ));
    assert!(holds(
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        &ip4
    ));
    let ip6 = [("aws:SourceIp", json!("2001:db8::1"))];
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
        &ip6
    ));
    assert!(holds(
        json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
        &ip4
    ));

    assert!(holds(
        json!({"BinaryEquals": {"x:Bin": "QmluYXJ5"}}),
        &[("x:Bin", json!("QmluYXJ5"))]
    ));

    let arn = [(
        "aws:SourceArn",
        json!("arn:aws:sns:us-east-1:111111111111:topic"),
    )];
    assert!(holds(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111111111111:*"}}),
        &arn
    ));
    assert!(holds(
        json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:111111111111:topic"}}),
        &arn
    ));
    assert!(!holds(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:*:*"}}),
        &arn
    ));
    assert!(holds(
        json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sqs:*:*:*"}}),
        &arn
    ));
}

#[test]
fn null_and_set_operators() {
    let tags = [("aws:TagKeys", json!(["team", "env"]))];
    assert!(holds(json!({"Null": {"aws:TagKeys": "false"}}), &tags));
    assert!(holds(json!({"Null": {"aws:TagKeys": "true"}}), &[]));
    assert!(!holds(json!({"Null": {"aws:TagKeys": "true"}}), &tags));
    // A key given as an empty list is present.
    assert!(!holds(
        json!({"Null": {"aws:TagKeys": "true"}}),
        &[("aws:TagKeys", json!([]))]
    ));

    let all = |v: Value| json!({"ForAllValues:StringEquals": {"aws:TagKeys": v}});
    assert!(holds(all(json!(["team", "env", "owner"])), &tags));
    assert!(!holds(all(json!(["team"])), &tags));
    assert!(holds(all(json!(["team"])), &[]));
    assert!(holds(all(json!(["team"])), &[("aws:TagKeys", json!([]))]));

    let any = |v: Value| json!({"ForAnyValue:StringEquals": {"aws:TagKeys": v}});
    assert!(holds(any(json!(["team"])), &tags));
    assert!(!holds(any(json!(["owner"])), &tags));
    assert!(!holds(any(json!(["team"])), &[]));
    // As the oracle does: IfExists does not make ForAnyValue true on a missing key.
    assert!(!holds(
        json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "x"}}),
        &[]
    ));

    // Negated set operators.
    assert!(holds(
        json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
        &tags
    ));
    assert!(!holds(
        json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["env"]}}),
        &tags
    ));
    assert!(holds(
        json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}),
        &tags
    ));
    assert!(holds(
        json!({"ForAllValues:StringLike": {"aws:TagKeys": ["t*", "e*"]}}),
        &tags
    ));
}

#[test]
fn several_keys_and_operators_are_anded() {
    let ctx = [
        ("aws:username", json!("alice")),
        ("aws:SourceIp", json!("10.1.2.3")),
    ];
    let both = json!({"StringEquals": {"aws:username": "alice"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
    assert!(holds(both, &ctx));
    let one_fails =
        json!({"StringEquals": {"aws:username": "alice", "aws:PrincipalTag/team": "x"}});
    assert!(!holds(one_fails, &ctx));
}

#[test]
fn policy_variables() {
    let mut ctx = Context::new();
    ctx.set("aws:username", "alice");
    ctx.set("aws:PrincipalTag/team", "data");
    let r = |resource: &str| {
        Request::new(
            Principal::parse(ALICE),
            "s3:GetObject",
            resource,
            None,
            ctx.clone(),
        )
    };
    let home = allow("s3:*", "arn:aws:s3:::home/${aws:username}/*");
    assert_eq!(
        decide(&r("arn:aws:s3:::home/alice/x"), std::slice::from_ref(&home)),
        Decision::Allowed
    );
    assert_eq!(
        decide(&r("arn:aws:s3:::home/bob/x"), &[home]),
        Decision::ImplicitDeny
    );
    // Variables are literal in version 2008-10-17 and without a version.
    let old = json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]});
    assert_eq!(
        decide(&r("arn:aws:s3:::home/alice/x"), &[old]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &r("arn:aws:s3:::home/${aws:username}/x"),
            &[
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]})
            ]
        ),
        Decision::Allowed
    );
    // Defaults, and the special characters.
    let dflt = allow(
        "s3:*",
        "arn:aws:s3:::t/${aws:PrincipalTag/missing, 'none'}/*",
    );
    assert_eq!(
        decide(&r("arn:aws:s3:::t/none/x"), &[dflt]),
        Decision::Allowed
    );
    let missing = allow("s3:*", "arn:aws:s3:::t/${aws:PrincipalTag/missing}/*");
    assert_eq!(
        decide(&r("arn:aws:s3:::t//x"), &[missing]),
        Decision::ImplicitDeny
    );
    let star = allow("s3:*", "arn:aws:s3:::t/${*}");
    assert_eq!(
        decide(&r("arn:aws:s3:::t/*"), std::slice::from_ref(&star)),
        Decision::Allowed
    );
    assert_eq!(
        decide(&r("arn:aws:s3:::t/x"), &[star]),
        Decision::ImplicitDeny
    );
    // In conditions.
    let team = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}/"}}}]});
    let mut c2 = ctx.clone();
    c2.set("s3:prefix", "data/");
    let rq = Request::new(
        Principal::parse(ALICE),
        "s3:ListBucket",
        "arn:aws:s3:::b",
        None,
        c2,
    );
    assert_eq!(decide(&rq, &[team]), Decision::Allowed);
}

fn resource_case(
    principal: &str,
    resource_account: &str,
    identity: Option<Value>,
    boundary: Option<Value>,
    resource_principal: Value,
) -> Decision {
    let id = identity.map(|d| policy("id", d));
    let b = boundary.map(|d| policy("boundary", d));
    let rp = policy(
        "bucket",
        json!({"Statement": [{"Effect": "Allow", "Principal": resource_principal, "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    let set = PolicySet {
        identity: id.iter().collect(),
        boundary: b.as_ref(),
        resource: Some(&rp),
        ..PolicySet::default()
    };
    let r = Request::new(
        Principal::parse(principal),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        Some(resource_account),
        Context::new(),
    );
    evaluate(&r, &set).decision
}

#[test]
fn same_account_resource_policy_rules() {
    let acct = "111111111111";
    let deny_all_boundary =
        json!({"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]});
    // Naming the user: enough on its own, even with a boundary that does not allow.
    assert_eq!(
        resource_case(ALICE, acct, None, None, json!({"AWS": ALICE})),
        Decision::Allowed
    );
    assert_eq!(
        resource_case(
            ALICE,
            acct,
            None,
            Some(deny_all_boundary.clone()),
            json!({"AWS": ALICE})
        ),
        Decision::Allowed
    );
    // Naming the account: the identity side must allow.
    assert_eq!(
        resource_case(ALICE, acct, None, None, json!({"AWS": acct})),
        Decision::ImplicitDeny
    );
    assert_eq!(
        resource_case(
            ALICE,
            acct,
            Some(allow("s3:*", "*")),
            None,
            json!({"AWS": format!("arn:aws:iam::{acct}:root")})
        ),
        Decision::Allowed
    );
    // Naming the role of a session: still bounded by the boundary.
    let role = "arn:aws:iam::111111111111:role/dev";
    assert_eq!(
        resource_case(SESSION, acct, None, None, json!({"AWS": role})),
        Decision::Allowed
    );
    assert_eq!(
        resource_case(
            SESSION,
            acct,
            None,
            Some(deny_all_boundary.clone()),
            json!({"AWS": role})
        ),
        Decision::ImplicitDeny
    );
    // Naming the session itself: not bounded.
    assert_eq!(
        resource_case(
            SESSION,
            acct,
            None,
            Some(deny_all_boundary),
            json!({"AWS": SESSION})
        ),
        Decision::Allowed
    );
}

#[test]
fn cross_account_needs_both_sides() {
    let other = "222222222222";
    assert_eq!(
        resource_case(ALICE, other, None, None, json!({"AWS": ALICE})),
        Decision::ImplicitDeny
    );
    assert_eq!(
        resource_case(
            ALICE,
            other,
            Some(allow("s3:*", "*")),
            None,
            json!({"AWS": "111111111111"})
        ),
        Decision::Allowed
    );
    assert_eq!(
        resource_case(
            ALICE,
            other,
            Some(allow("s3:*", "*")),
            None,
            json!({"AWS": "333333333333"})
        ),
        Decision::ImplicitDeny
    );
    let r = Request::new(
        Principal::parse(ALICE),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        Some(other),
        Context::new(),
    );
    let id = policy("id", allow("s3:*", "*"));
    let set = PolicySet {
        identity: vec![&id],
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(&r, &set).notes,
        vec![Note::CrossAccountNoResourceAllow]
    );
}

#[test]
fn not_principal_applies_unless_every_identity_is_listed() {
    let deny = |listed: Value| {
        let rp = policy(
            "bucket",
            json!({"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "s3:*", "Resource": "*"}]}),
        );
        let set = PolicySet {
            resource: Some(&rp),
            ..PolicySet::default()
        };
        evaluate(&req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k"), &set).decision
    };
    assert_eq!(
        deny(json!([ALICE, "arn:aws:iam::111111111111:root"])),
        Decision::Allowed
    );
    assert_eq!(deny(json!([ALICE])), Decision::ExplicitDeny);
    assert_eq!(
        deny(json!([
            "arn:aws:iam::111111111111:user/bob",
            "111111111111"
        ])),
        Decision::ExplicitDeny
    );
}

#[test]
fn scp_levels_each_must_allow_and_rcps_only_deny() {
    let id = policy("id", allow("s3:*", "*"));
    let full = policy("FullAWSAccess", allow("*", "*"));
    let ec2 = policy("ec2only", allow("ec2:*", "*"));
    let r = req(ALICE, "s3:GetObject", "arn:aws:s3:::b/k");
    let set = PolicySet {
        identity: vec![&id],
        scps: vec![vec![&full], vec![&full]],
        ..PolicySet::default()
    };
    assert_eq!(evaluate(&r, &set).decision, Decision::Allowed);
    let set = PolicySet {
        identity: vec![&id],
        scps: vec![vec![&full], vec![&ec2]],
        ..PolicySet::default()
    };
    let e = evaluate(&r, &set);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.notes, vec![Note::ScpLevelDoesNotAllow(1)]);
    let rcp = policy(
        "rcp",
        json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]}),
    );
    let set = PolicySet {
        identity: vec![&id],
        rcps: vec![vec![&rcp]],
        ..PolicySet::default()
    };
    assert_eq!(evaluate(&r, &set).decision, Decision::ExplicitDeny);
}

#[test]
fn session_policies_and_boundaries_intersect() {
    let id = policy("id", allow("s3:*", "*"));
    let b = policy("b", allow("s3:Get*", "*"));
    let s = policy("s", allow("s3:GetObject", "arn:aws:s3:::b/*"));
    let set = PolicySet {
        identity: vec![&id],
        boundary: Some(&b),
        session: Some(&s),
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(&req(SESSION, "s3:GetObject", "arn:aws:s3:::b/k"), &set).decision,
        Decision::Allowed
    );
    let e = evaluate(&req(SESSION, "s3:PutObject", "arn:aws:s3:::b/k"), &set);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.notes, vec![Note::BoundaryDoesNotAllow]);
    let e = evaluate(&req(SESSION, "s3:GetObjectAcl", "arn:aws:s3:::b/k"), &set);
    assert_eq!(e.notes, vec![Note::SessionPolicyDoesNotAllow]);
}

#[test]
fn unknown_operator_is_a_model_error() {
    let err = Policy::from_json(
        "p",
        &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqual": {"a:b": "c"}}}]}),
    )
    .unwrap_err();
    assert!(matches!(err, ModelError::UnknownOperator { .. }), "{err}");
    assert!(Operator::parse("NullIfExists").is_none());
    assert!(Operator::parse("ForAnyValue:StringLikeIfExists").is_some());
}

#[test]
fn digits_alone_are_epoch_seconds_not_basic_iso_dates() {
    // 41040601 seconds after the epoch, not the year 4104.
    assert_eq!(
        parse_date("41040601").map(|t| t.to_string()),
        Some("1971-04-21T00:10:01Z".to_owned())
    );
    assert_eq!(
        parse_date("2026-03-21").map(|t| t.to_string()),
        Some("2026-03-21T00:00:00Z".to_owned())
    );
}
