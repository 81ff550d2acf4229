//! Properties of the evaluation engine, through its public API only:
//! matching, decision monotonicity, condition operators against reference
//! implementations, and "no input makes the engine panic".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use iamctl_policy::eval::{
    evaluate, Context, Decision, Policy, PolicySet, Principal, PrincipalKind, Request,
};
use iamctl_policy::simulate::BatchRequest;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const ACCOUNT: &str = "111122223333";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

fn allow_doc(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn cond_doc(op: &str, key: &str, values: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {op: {key: values}}}]})
}

/// The decision for alice with one identity policy.
fn decide(doc: &Value, action: &str, resource: &str, ctx: Context) -> Decision {
    let policy = Policy::from_json("p", doc)
        .unwrap_or_else(|e| panic!("the policy should compile: {e}\n{doc}"));
    let req = Request::new(Principal::parse(ALICE), action, resource, None, ctx);
    let set = PolicySet {
        identity: vec![&policy],
        ..PolicySet::default()
    };
    evaluate(&req, &set).decision
}

fn allowed(doc: &Value, action: &str, resource: &str, ctx: Context) -> bool {
    decide(doc, action, resource, ctx) == Decision::Allowed
}

fn ctx1(key: &str, value: &str) -> Context {
    let mut c = Context::new();
    c.set(key, value);
    c
}

fn flip_case(text: &str, flips: &[bool]) -> String {
    text.chars()
        .zip(flips.iter().chain(std::iter::repeat(&false)))
        .map(|(c, &f)| {
            if f && c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else if f && c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

/// A reference glob: `*` any run, `?` one character, case-insensitive ASCII.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => {
            text.first().is_some_and(|t| t.eq_ignore_ascii_case(c)) && glob(rest, &text[1..])
        }
    }
}

fn in_cidr_reference(ip: IpAddr, net: IpAddr, prefix: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let bits = |a: Ipv4Addr| u64::from(u32::from(a)) >> (32 - prefix);
            prefix == 0 || bits(ip) == bits(net)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let shift = 128 - prefix;
            prefix == 0 || u128::from(ip) >> shift == u128::from(net) >> shift
        }
        _ => false,
    }
}

// ---- random policies and requests -------------------------------------

fn arb_action() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!("s3:*")),
        Just(json!("s3:GetObject")),
        Just(json!("s3:Get*")),
        Just(json!("S3:getobject")),
        Just(json!("s3:?utObject")),
        Just(json!("ec2:RunInstances")),
        Just(json!("iam:PassRole")),
        Just(json!(["s3:PutObject", "iam:*"])),
    ]
}

fn arb_resource() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!("arn:aws:s3:::b/*")),
        Just(json!("arn:aws:s3:::b/k")),
        Just(json!("arn:aws:s3:::b/${aws:username}/*")),
        Just(json!("arn:aws:s3:::other*")),
        Just(json!("arn:aws:iam::111122223333:role/*")),
        Just(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
    ]
}

fn arb_condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:username": "alice"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:PrincipalTag/team": ["a", "b"]}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}))),
        1 => Just(Some(json!({"DateLessThan": {"aws:CurrentTime": "2026-04-01T00:00:00Z"}}))),
        1 => Just(Some(json!({"NumericLessThanIfExists": {"s3:max-keys": "10"}}))),
        1 => Just(Some(json!({"Bool": {"aws:SecureTransport": "true"}}))),
        1 => Just(Some(json!({"ForAnyValue:StringLike": {"aws:TagKeys": ["env*"]}}))),
        1 => Just(Some(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}))),
        1 => Just(Some(json!({"Null": {"aws:PrincipalTag/team": "true"}}))),
        1 => Just(Some(json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}))),
    ]
}

fn arb_principal_element() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        Just(("Principal".to_owned(), json!("*"))),
        Just(("Principal".to_owned(), json!({"AWS": ACCOUNT}))),
        Just(("Principal".to_owned(), json!({"AWS": ALICE}))),
        Just((
            "Principal".to_owned(),
            json!({"AWS": "arn:aws:iam::111122223333:role/Dev"})
        )),
        Just((
            "Principal".to_owned(),
            json!({"AWS": "arn:aws:sts::111122223333:assumed-role/Dev/s"})
        )),
        Just((
            "Principal".to_owned(),
            json!({"AWS": "arn:aws:iam::444455556666:root"})
        )),
        Just(("NotPrincipal".to_owned(), json!({"AWS": ALICE}))),
    ]
}

/// A statement; with a `Principal` when it is for a resource-based policy.
fn arb_statement(with_principal: bool) -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("Allow"), Just("Deny")],
        any::<bool>(),
        arb_action(),
        any::<bool>(),
        arb_resource(),
        arb_condition(),
        arb_principal_element(),
    )
        .prop_map(
            move |(effect, not_action, action, not_resource, resource, condition, principal)| {
                statement(
                    effect,
                    (not_action, action),
                    (not_resource, resource),
                    condition,
                    with_principal.then_some(principal),
                )
            },
        )
}

fn statement(
    effect: &str,
    (not_action, action): (bool, Value),
    (not_resource, resource): (bool, Value),
    condition: Option<Value>,
    principal: Option<(String, Value)>,
) -> Value {
    let mut st = Map::new();
    st.insert("Effect".into(), json!(effect));
    st.insert(
        if not_action { "NotAction" } else { "Action" }.into(),
        action,
    );
    st.insert(
        if not_resource {
            "NotResource"
        } else {
            "Resource"
        }
        .into(),
        resource,
    );
    if let Some(c) = condition {
        st.insert("Condition".into(), c);
    }
    if let Some((k, v)) = principal {
        st.insert(k, v);
    }
    Value::Object(st)
}

fn arb_doc(with_principal: bool) -> impl Strategy<Value = Value> {
    vec(arb_statement(with_principal), 1..4)
        .prop_map(|sts| json!({"Version": "2012-10-17", "Statement": sts}))
}

/// The documents of a policy set: identity (at least one), boundary,
/// session, resource, SCP levels, RCP levels.
#[derive(Debug, Clone)]
struct Docs {
    identity: Vec<Value>,
    boundary: Option<Value>,
    session: Option<Value>,
    resource: Option<Value>,
    scps: Vec<Vec<Value>>,
    rcps: Vec<Vec<Value>>,
}

fn arb_docs() -> impl Strategy<Value = Docs> {
    (
        vec(arb_doc(false), 1..3),
        proptest::option::of(arb_doc(false)),
        proptest::option::weighted(0.2, arb_doc(false)),
        proptest::option::of(arb_doc(true)),
        vec(vec(arb_doc(false), 1..3), 0..3),
        vec(vec(arb_doc(true), 1..2), 0..2),
    )
        .prop_map(|(identity, boundary, session, resource, scps, rcps)| Docs {
            identity,
            boundary,
            session,
            resource,
            scps,
            rcps,
        })
}

struct Compiled {
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    session: Option<Policy>,
    resource: Option<Policy>,
    scps: Vec<Vec<Policy>>,
    rcps: Vec<Vec<Policy>>,
}

impl Docs {
    fn compile(&self) -> Compiled {
        let c = |name: &str, d: &Value| {
            Policy::from_json(name, d).unwrap_or_else(|e| panic!("{e}: {d}"))
        };
        Compiled {
            identity: self.identity.iter().map(|d| c("identity", d)).collect(),
            boundary: self.boundary.as_ref().map(|d| c("boundary", d)),
            session: self.session.as_ref().map(|d| c("session", d)),
            resource: self.resource.as_ref().map(|d| c("resource", d)),
            scps: self
                .scps
                .iter()
                .map(|l| l.iter().map(|d| c("scp", d)).collect())
                .collect(),
            rcps: self
                .rcps
                .iter()
                .map(|l| l.iter().map(|d| c("rcp", d)).collect())
                .collect(),
        }
    }

    /// Every document, mutably, with whether it takes a `Principal`.
    fn slots(&mut self) -> Vec<(&mut Value, bool)> {
        let mut out: Vec<(&mut Value, bool)> = Vec::new();
        out.extend(self.identity.iter_mut().map(|d| (d, false)));
        out.extend(self.boundary.iter_mut().map(|d| (d, false)));
        out.extend(self.session.iter_mut().map(|d| (d, false)));
        out.extend(self.resource.iter_mut().map(|d| (d, true)));
        out.extend(self.scps.iter_mut().flatten().map(|d| (d, false)));
        out.extend(self.rcps.iter_mut().flatten().map(|d| (d, true)));
        out
    }
}

impl Compiled {
    fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().collect(),
            boundary: self.boundary.as_ref(),
            session: self.session.as_ref(),
            resource: self.resource.as_ref(),
            scps: self.scps.iter().map(|l| l.iter().collect()).collect(),
            rcps: self.rcps.iter().map(|l| l.iter().collect()).collect(),
        }
    }
}

fn arb_request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            Just(ALICE),
            Just("arn:aws:sts::111122223333:assumed-role/Dev/s"),
            Just("arn:aws:iam::444455556666:user/mallory"),
            Just("arn:aws:iam::111122223333:root"),
            Just("ec2.amazonaws.com"),
        ],
        prop_oneof![
            Just("s3:GetObject"),
            Just("s3:PutObject"),
            Just("ec2:RunInstances"),
            Just("iam:PassRole"),
            Just("sqs:SendMessage"),
        ],
        prop_oneof![
            Just("arn:aws:s3:::b/k"),
            Just("arn:aws:s3:::b/alice/k"),
            Just("arn:aws:s3:::other-bucket"),
            Just("arn:aws:iam::111122223333:role/Dev"),
            Just("*"),
        ],
        proptest::option::of(prop_oneof![Just(ACCOUNT), Just("444455556666")]),
        vec(
            prop_oneof![
                Just(("aws:username", json!("alice"))),
                Just(("aws:SourceIp", json!("10.1.2.3"))),
                Just(("aws:SourceIp", json!("2001:db8::7"))),
                Just(("aws:CurrentTime", json!("2026-03-21T11:36:28Z"))),
                Just(("aws:SecureTransport", json!("false"))),
                Just(("s3:max-keys", json!("20"))),
                Just(("aws:PrincipalTag/team", json!("a"))),
                Just(("aws:TagKeys", json!(["env", "owner"]))),
                Just(("aws:TagKeys", json!([]))),
                Just(("aws:PrincipalArn", json!(ALICE))),
            ],
            0..5,
        ),
    )
        .prop_map(|(principal, action, resource, account, ctx)| {
            let mut context = Context::new();
            for (k, v) in ctx {
                match v {
                    Value::Array(items) => context.set_multi(
                        k,
                        items
                            .iter()
                            .map(|i| i.as_str().unwrap_or_default().to_owned())
                            .collect(),
                    ),
                    v => context.set(k, v.as_str().unwrap_or_default()),
                }
            }
            let mut p = Principal::parse(principal);
            if principal.contains(":assumed-role/") {
                p.role_arn = Some("arn:aws:iam::111122223333:role/Dev".to_owned());
            }
            Request::new(p, action, resource, account, context)
        })
}

// ---- arbitrary JSON -----------------------------------------------------

const WORDS: &[&str] = &[
    "Version",
    "Statement",
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "Allow",
    "Deny",
    "2012-10-17",
    "2008-10-17",
    "*",
    "?",
    "",
    "s3:*",
    "s3:Get*",
    "*:*",
    ":",
    "::",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:*:*:*:*:*",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::111122223333:assumed-role/Dev/s",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:role/a/b/c",
    "111122223333",
    "ec2.amazonaws.com",
    "${",
    "${}",
    "${*}",
    "${?}",
    "${$}",
    "${aws:username",
    "${aws:PrincipalTag/team, 'x'}",
    "${aws:PrincipalTag/team, '}",
    "$${aws:username}}",
    "StringEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "ForAllValues:StringLike",
    "ForAnyValue:ArnLike",
    "ForAllValues:Null",
    "NumericLessThan",
    "NumericEquals",
    "DateLessThan",
    "DateEqualsIfExists",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnLike",
    "Null",
    "aws:username",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:TagKeys",
    "aws:PrincipalTag/team",
    "10.0.0.0/8",
    "10.0.0.0/99",
    "::/0",
    "1.2.3.4/-1",
    "2026-03-21T11:36:28Z",
    "2026-13-45",
    "-99999999999999999999",
    "1e308",
    "NaN",
    "-0",
    "true",
    "false",
    "id",
    "principal",
    "action",
    "resource",
    "resourceAccount",
    "context",
    "identityPolicies",
    "permissionBoundary",
    "resourcePolicy",
    "sessionPolicy",
    "serviceControlPolicies",
    "resourceControlPolicies",
    "é",
    "\u{0}",
    "🦀*",
];

const BATCH_FIELDS: &[&str] = &[
    "id",
    "resource",
    "resourceAccount",
    "context",
    "identityPolicies",
    "permissionBoundary",
    "resourcePolicy",
    "sessionPolicy",
    "serviceControlPolicies",
    "resourceControlPolicies",
    "unknown",
];

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        1 => vec(proptest::sample::select(WORDS), 1..4).prop_map(|w| w.concat()),
        1 => any::<String>(),
        1 => "[a-z0-9:*?$/{}., '-]{0,16}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        arb_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(8, 128, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(arb_text(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A document shaped like a policy whose parts are arbitrary.
fn arb_policyish() -> impl Strategy<Value = Value> {
    let element = prop_oneof![
        arb_json(),
        arb_text().prop_map(Value::String),
        vec(arb_text(), 0..4).prop_map(|v| json!(v)),
    ];
    let statement = btree_map(
        proptest::sample::select(&WORDS[..15]).prop_map(str::to_owned),
        element,
        0..8,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    let condition = btree_map(
        arb_text(),
        btree_map(arb_text(), arb_json(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        0..3,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()));
    (
        proptest::option::of(arb_text()),
        vec((statement, proptest::option::of(condition)), 0..4),
    )
        .prop_map(|(version, sts)| {
            let sts: Vec<Value> = sts
                .into_iter()
                .map(|(mut s, c)| {
                    if let (Some(obj), Some(c)) = (s.as_object_mut(), c) {
                        obj.insert("Condition".into(), c);
                    }
                    s
                })
                .collect();
            let mut doc = json!({"Statement": sts});
            if let Some(v) = version {
                doc["Version"] = json!(v);
            }
            doc
        })
}

fn evaluate_everywhere(policy: &Policy, requests: &[Request]) {
    for req in requests {
        for set in [
            PolicySet {
                identity: vec![policy],
                ..PolicySet::default()
            },
            PolicySet {
                identity: vec![policy],
                boundary: Some(policy),
                session: Some(policy),
                resource: Some(policy),
                scps: vec![vec![policy]],
                rcps: vec![vec![policy]],
            },
        ] {
            let _ = evaluate(req, &set);
            let any = req
                .clone()
                .on_any_resource(Arc::new(|p: &str| p.starts_with("arn:aws:s3")));
            let _ = evaluate(&any, &set);
        }
    }
}

fn some_requests() -> Vec<Request> {
    let mut ctx = Context::new();
    ctx.set("aws:username", "alice");
    ctx.set("aws:SourceIp", "10.1.2.3");
    ctx.set("aws:CurrentTime", "2026-03-21T11:36:28Z");
    ctx.set("aws:PrincipalTag/team", "${aws:username}");
    ctx.set_multi("aws:TagKeys", vec!["env".into(), "*".into()]);
    ctx.set_multi("aws:PrincipalTag/empty", Vec::new());
    [
        (ALICE, "s3:GetObject", "arn:aws:s3:::b/alice/k"),
        (
            "arn:aws:sts::111122223333:assumed-role/Dev/s",
            "iam:PassRole",
            "arn:aws:iam::111122223333:role/a/b/c",
        ),
        ("arn:aws:iam::444455556666:user/m", "s3:PutObject", "*"),
        ("ec2.amazonaws.com", "sts:AssumeRole", "not an arn"),
        ("", ":", ""),
    ]
    .into_iter()
    .flat_map(|(p, a, r)| {
        [
            Request::new(Principal::parse(p), a, r, None, ctx.clone()),
            Request::new(Principal::parse(p), a, r, Some("999"), Context::new()),
        ]
    })
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn action_matching_ignores_case(
        action in "[a-cA-C]{1,3}:[a-cA-C]{0,5}",
        pattern in "[a-cA-C:*?]{0,8}",
        flips_a in vec(any::<bool>(), 8),
        flips_p in vec(any::<bool>(), 8),
    ) {
        let doc = allow_doc(&pattern, "*");
        let plain = allowed(&doc, &action, "*", Context::new());
        let flipped = allowed(
            &allow_doc(&flip_case(&pattern, &flips_p), "*"),
            &flip_case(&action, &flips_a),
            "*",
            Context::new(),
        );
        prop_assert_eq!(plain, flipped);
        prop_assert_eq!(plain, glob(pattern.as_bytes(), action.as_bytes()), "{} vs {}", pattern, action);
        // The action itself, case flipped, always matches.
        prop_assert!(allowed(&allow_doc(&flip_case(&action, &flips_p), "*"), &action, "*", Context::new()));
    }

    #[test]
    fn star_matches_every_action(action in "[ -~]{0,30}:[ -~]{0,30}") {
        prop_assert!(allowed(&allow_doc("*", "*"), &action, "*", Context::new()));
    }

    #[test]
    fn literal_action_matches_only_itself(
        action in "[a-z0-9]{1,6}:[A-Za-z0-9]{1,12}",
        other in prop_oneof![Just(None), "[a-z0-9]{1,6}:[A-Za-z0-9]{1,12}".prop_map(Some)],
        flips in vec(any::<bool>(), 20),
    ) {
        let pattern = other.unwrap_or_else(|| flip_case(&action, &flips));
        prop_assert_eq!(
            allowed(&allow_doc(&pattern, "*"), &action, "*", Context::new()),
            pattern.eq_ignore_ascii_case(&action)
        );
    }

    #[test]
    fn resource_equal_to_its_pattern_matches(
        service in "[a-z0-9-]{1,10}",
        region in prop_oneof![Just(String::new()), "[a-z]{2}-[a-z]{4,7}-[1-9]".prop_map(String::from)],
        // The principal's account (or none): another account would make it a
        // cross-account request, which needs a resource-based policy too.
        account in prop_oneof![Just(""), Just(ACCOUNT)],
        resource in "[a-zA-Z0-9/._:+=@,-]{1,40}",
    ) {
        let arn = format!("arn:aws:{service}:{region}:{account}:{resource}");
        prop_assert!(allowed(&allow_doc("*", &arn), "svc:Act", &arn, Context::new()), "{}", arn);
    }

    #[test]
    fn bucket_wildcard_matches_every_key(key in "\\PC{0,40}") {
        let resource = format!("arn:aws:s3:::b/{key}");
        prop_assert!(allowed(&allow_doc("s3:GetObject", "arn:aws:s3:::b/*"), "s3:GetObject", &resource, Context::new()));
        let elsewhere = format!("arn:aws:s3:::bb/{key}");
        prop_assert!(!allowed(&allow_doc("s3:GetObject", "arn:aws:s3:::b/*"), "s3:GetObject", &elsewhere, Context::new()));
    }

    #[test]
    fn explicit_deny_stays_and_allowed_stays(
        docs in arb_docs(),
        req in arb_request(),
        extra in arb_statement(false),
        extra_resource in arb_statement(true),
        allow_extra in arb_statement(false).prop_map(|mut s| { s["Effect"] = json!("Allow"); s }),
        allow_extra_resource in arb_statement(true).prop_map(|mut s| { s["Effect"] = json!("Allow"); s }),
        slot in any::<prop::sample::Index>(),
    ) {
        let before = evaluate(&req, &docs.compile().set()).decision;
        let add = |st: &Value, st_with_principal: &Value| {
            let mut docs = docs.clone();
            let mut slots = docs.slots();
            let i = slot.index(slots.len());
            let (doc, principal) = &mut slots[i];
            let st = if *principal { st_with_principal } else { st };
            doc["Statement"].as_array_mut().unwrap().push(st.clone());
            docs
        };
        // Any statement added to an explicit deny leaves it an explicit deny.
        let after = evaluate(&req, &add(&extra, &extra_resource).compile().set()).decision;
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
        // An Allow never takes an allowed request away.
        let after = evaluate(&req, &add(&allow_extra, &allow_extra_resource).compile().set()).decision;
        if before == Decision::Allowed {
            prop_assert_eq!(after, Decision::Allowed);
        }
        // A Deny that matches the request denies it, wherever it is.
        let deny = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        let deny_resource = json!({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"});
        let after = evaluate(&req, &add(&deny, &deny_resource).compile().set()).decision;
        // Except an SCP's Deny for a service principal: "SCPs apply to
        // principals of the account where the SCPs are attached"
        // (reference_policies_evaluation-logic_policy-eval-denyallow).
        let mut probe = docs.clone();
        let n = probe.slots().len();
        let first_scp = n - probe.rcps.iter().flatten().count() - probe.scps.iter().flatten().count();
        let in_scp = (first_scp..first_scp + docs.scps.iter().flatten().count()).contains(&slot.index(n));
        if !(in_scp && req.principal.kind == PrincipalKind::Service) {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn string_operators_and_their_negations_are_complementary(
        value in "[aAbB*]{0,3}",
        wanted in vec("[aAbB*?]{0,3}", 1..4),
        pair in prop_oneof![
            Just(("StringEquals", "StringNotEquals")),
            Just(("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")),
            Just(("StringLike", "StringNotLike")),
        ],
    ) {
        let key = "aws:PrincipalTag/team";
        let yes = allowed(&cond_doc(pair.0, key, json!(wanted)), "s3:GetObject", "*", ctx1(key, &value));
        let no = allowed(&cond_doc(pair.1, key, json!(wanted)), "s3:GetObject", "*", ctx1(key, &value));
        prop_assert!(yes != no, "{} and {} agree on {:?} vs {:?}", pair.0, pair.1, value, wanted);
        if pair.0 == "StringEquals" {
            prop_assert_eq!(yes, wanted.contains(&value));
        }
    }

    #[test]
    fn set_operators_on_a_missing_or_empty_key(
        op in prop_oneof![
            Just("StringEquals"), Just("StringNotEquals"), Just("StringLike"),
            Just("StringNotLike"), Just("StringEqualsIgnoreCase"), Just("ArnLike"),
            Just("NumericLessThan"), Just("IpAddress"),
        ],
        values in vec("[a-z0-9]{1,5}", 1..3),
        empty in any::<bool>(),
    ) {
        let ctx = if empty {
            let mut c = Context::new();
            c.set_multi("aws:TagKeys", Vec::new());
            c
        } else {
            Context::new()
        };
        let all = cond_doc(&format!("ForAllValues:{op}"), "aws:TagKeys", json!(values));
        let any = cond_doc(&format!("ForAnyValue:{op}"), "aws:TagKeys", json!(values));
        prop_assert!(allowed(&all, "s3:GetObject", "*", ctx.clone()), "ForAllValues:{} (empty: {})", op, empty);
        prop_assert!(!allowed(&any, "s3:GetObject", "*", ctx), "ForAnyValue:{} (empty: {})", op, empty);
    }

    #[test]
    fn if_exists_on_a_missing_key_is_true(
        op in proptest::sample::select(
            iamctl_policy::eval::OPERATORS
                .iter()
                .map(|(name, _)| *name)
                .filter(|n| *n != "Null")
                .collect::<Vec<_>>(),
        ),
        present in "[a-z]{1,4}",
    ) {
        let value = match op {
            o if o.starts_with("Numeric") => "5",
            o if o.starts_with("Date") => "2026-01-01T00:00:00Z",
            "Bool" => "true",
            "BinaryEquals" => "QUJD",
            o if o.contains("IpAddress") => "10.0.0.0/8",
            o if o.starts_with("Arn") => "arn:aws:s3:::b",
            _ => "x",
        };
        let doc = cond_doc(&format!("{op}IfExists"), "aws:PrincipalTag/missing", json!(value));
        // Some other key is present; the one tested is not.
        prop_assert!(allowed(&doc, "s3:GetObject", "*", ctx1("aws:PrincipalTag/other", &present)), "{}IfExists", op);
    }

    #[test]
    fn numeric_operators_agree_with_f64(
        a in prop_oneof![(-1000i64..1000).prop_map(|n| n.to_string()), (-1e6f64..1e6).prop_map(|f| format!("{f:.3}")), any::<i32>().prop_map(|n| n.to_string())],
        b in prop_oneof![(-1000i64..1000).prop_map(|n| n.to_string()), (-1e6f64..1e6).prop_map(|f| format!("{f:.3}")), any::<i32>().prop_map(|n| n.to_string())],
        same in any::<bool>(),
    ) {
        let b = if same { a.clone() } else { b };
        let (x, y): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
        for (op, expected) in [
            ("NumericEquals", x == y),
            ("NumericNotEquals", x != y),
            ("NumericLessThan", x < y),
            ("NumericLessThanEquals", x <= y),
            ("NumericGreaterThan", x > y),
            ("NumericGreaterThanEquals", x >= y),
        ] {
            let got = allowed(&cond_doc(op, "s3:max-keys", json!(b)), "s3:ListBucket", "*", ctx1("s3:max-keys", &a));
            prop_assert_eq!(got, expected, "{} {} {}", a, op, b);
        }
    }

    #[test]
    fn date_operators_agree_across_iso_and_epoch(
        t in 0i64..4_000_000_000,
        u in 0i64..4_000_000_000,
        same in any::<bool>(),
        context_epoch in any::<bool>(),
    ) {
        let u = if same { t } else { u };
        let iso = |s: i64| jiff::Timestamp::from_second(s).unwrap().to_string();
        let (key, now) = if context_epoch {
            ("aws:EpochTime", t.to_string())
        } else {
            ("aws:CurrentTime", iso(t))
        };
        for (op, expected) in [
            ("DateEquals", t == u),
            ("DateNotEquals", t != u),
            ("DateLessThan", t < u),
            ("DateLessThanEquals", t <= u),
            ("DateGreaterThan", t > u),
            ("DateGreaterThanEquals", t >= u),
        ] {
            let by_iso = allowed(&cond_doc(op, key, json!(iso(u))), "s3:GetObject", "*", ctx1(key, &now));
            let by_epoch = allowed(&cond_doc(op, key, json!(u.to_string())), "s3:GetObject", "*", ctx1(key, &now));
            prop_assert_eq!(by_iso, expected, "{} {} {}", now, op, iso(u));
            prop_assert_eq!(by_epoch, expected, "{} {} {}", now, op, u);
        }
    }

    #[test]
    fn ip_address_agrees_with_a_reference_cidr_check(
        v4 in any::<bool>(),
        ip4 in any::<u32>(),
        net4 in any::<u32>(),
        ip6 in any::<u128>(),
        net6 in any::<u128>(),
        share in 0u32..=128,
        prefix in 0u32..=128,
        mixed in proptest::bool::weighted(0.1),
    ) {
        // Often the address shares a prefix with the network.
        let (ip, net, prefix): (IpAddr, IpAddr, u32) = if v4 {
            let share = share.min(32);
            let keep = if share == 0 { 0 } else { u32::MAX << (32 - share) };
            let ip = (net4 & keep) | (ip4 & !keep);
            (Ipv4Addr::from(ip).into(), Ipv4Addr::from(net4).into(), prefix.min(32))
        } else {
            let keep = if share == 0 { 0 } else { u128::MAX << (128 - share) };
            let ip = (net6 & keep) | (ip6 & !keep);
            (Ipv6Addr::from(ip).into(), Ipv6Addr::from(net6).into(), prefix)
        };
        let ip = if mixed {
            match ip {
                IpAddr::V4(a) => IpAddr::V6(a.to_ipv6_mapped()),
                IpAddr::V6(_) => IpAddr::V4(Ipv4Addr::from(ip4)),
            }
        } else {
            ip
        };
        let cidr = format!("{net}/{prefix}");
        let expected = in_cidr_reference(ip, net, prefix);
        let ctx = || ctx1("aws:SourceIp", &ip.to_string());
        let got = allowed(&cond_doc("IpAddress", "aws:SourceIp", json!(cidr)), "s3:GetObject", "*", ctx());
        prop_assert_eq!(got, expected, "{} in {}", ip, cidr);
        if !mixed {
            let not = allowed(&cond_doc("NotIpAddress", "aws:SourceIp", json!(cidr)), "s3:GetObject", "*", ctx());
            prop_assert_eq!(not, !expected, "{} not in {}", ip, cidr);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(doc in arb_json(), policyish in arb_policyish()) {
        let requests = some_requests();
        for d in [&doc, &policyish] {
            if let Ok(p) = Policy::from_json("fuzz", d) {
                evaluate_everywhere(&p, &requests);
            }
            if let Ok(req) = BatchRequest::from_json(d) {
                let _ = req.evaluate();
            }
            let _ = BatchRequest::parse(&d.to_string());
        }
    }

    #[test]
    fn arbitrary_batch_lines_never_panic(
        fields in btree_map(
            proptest::sample::select(BATCH_FIELDS).prop_map(str::to_owned),
            prop_oneof![arb_json(), arb_policyish(), vec(arb_policyish(), 0..3).prop_map(Value::Array),
                        vec(vec(arb_policyish(), 0..2), 0..3).prop_map(|v| json!(v))],
            0..10,
        ),
        principal in arb_text(),
        action in arb_text(),
    ) {
        let mut line: Map<String, Value> = fields.into_iter().collect();
        line.insert("principal".into(), json!(principal));
        line.insert("action".into(), json!(action));
        let line = Value::Object(line);
        if let Ok(req) = BatchRequest::from_json(&line) {
            let _ = req.evaluate();
        }
    }

    #[test]
    fn compiled_random_policies_never_panic(doc in arb_doc(true), req in arb_request()) {
        let p = Policy::from_json("p", &doc).unwrap();
        evaluate_everywhere(&p, &[req]);
    }
}

/// Deeper than `serde_json` parses text (128), but not so deep that
/// dropping a `Value` (recursive) overflows a debug test thread's stack.
#[test]
fn deeply_nested_values_do_not_panic() {
    let mut deep = json!("s3:GetObject");
    for i in 0..500 {
        deep = if i % 2 == 0 {
            json!([deep])
        } else {
            json!({ "Action": deep })
        };
    }
    let requests = some_requests();
    for doc in [
        json!({"Version": "2012-10-17", "Statement": deep.clone()}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": deep.clone(), "Resource": "*"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
               "Condition": {"StringEquals": {"aws:username": deep.clone()}}}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
               "Principal": {"AWS": deep.clone()}}]}),
        deep.clone(),
    ] {
        if let Ok(p) = Policy::from_json("deep", &doc) {
            evaluate_everywhere(&p, &requests);
        }
        let line = json!({"id": deep.clone(), "principal": ALICE, "action": "s3:GetObject",
                          "identityPolicies": [doc.clone()], "context": {"k": deep.clone()}});
        let _ = BatchRequest::from_json(&line);
    }
    // Text nested beyond serde_json's recursion limit is an error, not a crash.
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(BatchRequest::parse(&text).is_err());
    assert!(Policy::from_text("deep", &text).is_err());
}
