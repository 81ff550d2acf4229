//! The policy grammar: every rule of `document.rs`'s structure check, but
//! reporting every problem instead of the first, and the pieces of each
//! statement that the semantic checks need.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{At, Code, Ctx, PolicyType};
use crate::document::locate::pointer_push;

/// A policy whose top level could be read.
pub(super) struct Policy<'a> {
    /// `Version`, when it is a string.
    pub version: Option<&'a str>,
    pub statements: Vec<Statement<'a>>,
}

/// What the semantic checks need of one statement. Elements with problems of
/// their own are left out.
pub(super) struct Statement<'a> {
    /// `Allow` or `Deny`.
    pub effect: Option<&'a str>,
    /// `Action` or `NotAction`, only syntactically valid actions.
    pub actions: Option<Element<'a>>,
    /// `Resource` or `NotResource`.
    pub resources: Option<Element<'a>>,
    pub condition: Option<&'a Map<String, Value>>,
    pub condition_pointer: String,
}

impl Statement<'_> {
    pub fn is_allow(&self) -> bool {
        self.effect == Some("Allow")
    }
}

/// A string-or-strings element with its items' pointers.
pub(super) struct Element<'a> {
    /// E.g. `Action` or `NotAction`.
    pub name: &'static str,
    pub pointer: String,
    pub items: Vec<(String, &'a str)>,
}

impl Element<'_> {
    /// `NotAction`, `NotResource`.
    pub fn negated(&self) -> bool {
        self.name.starts_with("Not")
    }
}

const TOP_LEVEL_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];
const PRINCIPAL_TYPES: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// The condition operators of IAM, without `IfExists` and set prefixes.
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// Whether IAM has this condition operator: one of [`OPERATORS`], optionally
/// after `ForAllValues:` or `ForAnyValue:` and before `IfExists` (except
/// `Null`, which has no `IfExists` form). Letter case is ignored, as IAM does.
pub(super) fn is_condition_operator(operator: &str) -> bool {
    let lower = operator.to_ascii_lowercase();
    let base = lower
        .strip_prefix("forallvalues:")
        .or_else(|| lower.strip_prefix("foranyvalue:"))
        .unwrap_or(&lower);
    let known = |name: &str| OPERATORS.iter().any(|op| op.eq_ignore_ascii_case(name));
    if known(base) {
        return true;
    }
    match base.strip_suffix("ifexists") {
        Some(base) => base != "null" && known(base),
        None => false,
    }
}

/// A value as it reads inside backticks: strings bare, anything else as JSON.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn check<'a>(
    ctx: &mut Ctx<'_>,
    value: &'a Value,
    policy_type: PolicyType,
) -> Option<Policy<'a>> {
    if let Some((pointer, span)) = ctx.index.as_ref().and_then(|i| i.duplicate.clone()) {
        let key = pointer.rsplit('/').next().unwrap_or_default();
        let key = key.replace("~1", "/").replace("~0", "~");
        ctx.report_span(
            Code::DuplicateKey,
            &pointer,
            span,
            format!(
                "key `{key}` appears twice in the same object; only the last value would count"
            ),
        );
    }
    let Value::Object(root) = value else {
        ctx.report(
            Code::PolicyNotObject,
            "",
            At::Value,
            "a policy document must be a JSON object",
        );
        return None;
    };
    for key in root.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            ctx.report(
                Code::UnknownElement,
                &pointer_push("", key),
                At::Key,
                format!("unknown policy element `{key}`"),
            );
        }
    }
    let mut version = None;
    if let Some(v) = root.get("Version") {
        match v.as_str() {
            Some(s @ ("2012-10-17" | "2008-10-17")) => version = Some(s),
            _ => ctx.report(
                Code::InvalidVersion,
                "/Version",
                At::Value,
                format!(
                    "`Version` must be `2012-10-17` or `2008-10-17`, not `{}`",
                    describe(v)
                ),
            ),
        }
    }
    if let Some(id) = root.get("Id") {
        if !id.is_string() {
            ctx.report(
                Code::InvalidValueType,
                "/Id",
                At::Value,
                "`Id` must be a string",
            );
        }
    }
    let mut statements = Vec::new();
    let mut sids = HashSet::new();
    match root.get("Statement") {
        None => ctx.report(
            Code::MissingStatement,
            "",
            At::Open,
            "policy has no `Statement`",
        ),
        Some(Value::Object(statement)) => {
            statements.push(check_statement(
                ctx,
                "/Statement",
                statement,
                policy_type,
                &mut sids,
            ));
        }
        Some(Value::Array(items)) => {
            if items.is_empty() {
                ctx.report(
                    Code::EmptyArray,
                    "/Statement",
                    At::Value,
                    "`Statement` is an empty array",
                );
            }
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("/Statement/{i}");
                match item {
                    Value::Object(statement) => statements.push(check_statement(
                        ctx,
                        &pointer,
                        statement,
                        policy_type,
                        &mut sids,
                    )),
                    _ => ctx.report(
                        Code::InvalidStatement,
                        &pointer,
                        At::Value,
                        "a statement must be a JSON object",
                    ),
                }
            }
        }
        Some(_) => ctx.report(
            Code::InvalidStatement,
            "/Statement",
            At::Value,
            "`Statement` must be an object or an array of objects",
        ),
    }
    Some(Policy {
        version,
        statements,
    })
}

fn check_statement<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &'a Map<String, Value>,
    policy_type: PolicyType,
    sids: &mut HashSet<String>,
) -> Statement<'a> {
    let at = |key: &str| pointer_push(pointer, key);
    for key in statement.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            ctx.report(
                Code::UnknownElement,
                &at(key),
                At::Key,
                format!("unknown statement element `{key}`"),
            );
        }
    }

    check_sid(ctx, pointer, statement, policy_type, sids);
    let effect = check_effect(ctx, pointer, statement);
    check_principal_element(ctx, pointer, statement, policy_type, effect);
    let actions = check_actions(ctx, pointer, statement);
    let resources = check_resources(ctx, pointer, statement, policy_type);

    // Condition
    let condition_pointer = at("Condition");
    let condition = statement
        .get("Condition")
        .and_then(|condition| check_condition(ctx, &condition_pointer, condition));

    Statement {
        effect,
        actions,
        resources,
        condition,
        condition_pointer,
    }
}

/// `Sid`: a string; in IAM policies of ASCII letters and digits; unique.
fn check_sid(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &Map<String, Value>,
    policy_type: PolicyType,
    sids: &mut HashSet<String>,
) {
    let at = |key: &str| pointer_push(pointer, key);
    if let Some(sid) = statement.get("Sid") {
        match sid.as_str() {
            None => ctx.report(
                Code::InvalidValueType,
                &at("Sid"),
                At::Value,
                "`Sid` must be a string",
            ),
            Some(sid) => {
                // Resource-based policies (S3, SNS, ...) accept any `Sid`.
                let iam = !matches!(policy_type, PolicyType::Resource | PolicyType::Rcp);
                if iam && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                    ctx.report(
                        Code::InvalidSid,
                        &at("Sid"),
                        At::Value,
                        format!(
                            "`Sid` `{sid}` contains characters other than ASCII letters and digits"
                        ),
                    );
                }
                if !sid.is_empty() && !sids.insert(sid.to_owned()) {
                    ctx.report(
                        Code::DuplicateSid,
                        &at("Sid"),
                        At::Value,
                        format!("`Sid` `{sid}` is already used by an earlier statement"),
                    );
                }
            }
        }
    }
}

/// `Effect`: `Allow` or `Deny`.
fn check_effect<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &'a Map<String, Value>,
) -> Option<&'a str> {
    let at = |key: &str| pointer_push(pointer, key);
    match statement.get("Effect") {
        None => {
            ctx.report(
                Code::MissingEffect,
                pointer,
                At::Open,
                "statement has no `Effect`",
            );
            None
        }
        Some(Value::String(effect)) if effect == "Allow" || effect == "Deny" => {
            Some(effect.as_str())
        }
        Some(other) => {
            ctx.report(
                Code::InvalidEffect,
                &at("Effect"),
                At::Value,
                format!(
                    "`Effect` must be `Allow` or `Deny`, not `{}`",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// `Principal` / `NotPrincipal`: required where the policy type has one,
/// refused where it has none.
fn check_principal_element(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &Map<String, Value>,
    policy_type: PolicyType,
    effect: Option<&str>,
) {
    let at = |key: &str| pointer_push(pointer, key);
    let principal = pick_one(ctx, pointer, statement, "Principal", "NotPrincipal");
    match (policy_type.has_principal(), principal) {
        (true, None) => ctx.report(
            Code::MissingPrincipal,
            pointer,
            At::Open,
            format!(
                "statement has neither `Principal` nor `NotPrincipal`, which a {policy_type} needs"
            ),
        ),
        (true, Some((element, value))) => {
            if element == "NotPrincipal" && effect == Some("Allow") {
                // "NotPrincipal must be used with "Effect":"Deny". Using it
                // with "Effect":"Allow" is not supported."
                // (reference_policies_elements_notprincipal)
                ctx.report(
                    Code::AllowWithNotPrincipal,
                    &at(element),
                    At::Key,
                    "`NotPrincipal` with `Allow` is not supported by AWS: it would allow everyone not listed, anonymous users included; name the principals in `Principal`, or use `Deny` with `NotPrincipal`",
                );
            }
            check_principal(ctx, &at(element), element, value)
        }
        (false, Some((element, _))) => ctx.report(
            Code::UnsupportedElement,
            &at(element),
            At::Key,
            format!("a {policy_type} cannot name a `{element}`; it applies to whoever it is attached to"),
        ),
        (false, None) => {}
    }
}

/// `Action` / `NotAction`: present, each item `*` or `service:Action`.
fn check_actions<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &'a Map<String, Value>,
) -> Option<Element<'a>> {
    let at = |key: &str| pointer_push(pointer, key);
    match pick_one(ctx, pointer, statement, "Action", "NotAction") {
        None => {
            ctx.report(
                Code::MissingAction,
                pointer,
                At::Open,
                "statement has neither `Action` nor `NotAction`",
            );
            None
        }
        Some((element, value)) => strings(ctx, &at(element), element, value).map(|items| {
            let items = items
                .into_iter()
                .filter(|(pointer, action)| {
                    let ok = is_action(action);
                    if !ok {
                        ctx.report(
                            Code::InvalidAction,
                            pointer,
                            At::Value,
                            format!("`{action}` is not an action; write `*` or `service:Action`, like `s3:GetObject`"),
                        );
                    }
                    ok
                })
                .collect();
            Element {
                name: element,
                pointer: at(element),
                items,
            }
        }),
    }
}

/// `Resource` / `NotResource`: required, except in trust policies, which
/// refuse them.
fn check_resources<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &'a Map<String, Value>,
    policy_type: PolicyType,
) -> Option<Element<'a>> {
    let at = |key: &str| pointer_push(pointer, key);
    let resource = pick_one(ctx, pointer, statement, "Resource", "NotResource");
    match (policy_type, resource) {
        (PolicyType::Trust, Some((element, _))) => {
            ctx.report(
                Code::UnsupportedElement,
                &at(element),
                At::Key,
                format!("trust policies cannot name a `{element}`; the resource is always the role itself"),
            );
            None
        }
        (PolicyType::Trust, None) => None,
        (_, None) => {
            ctx.report(
                Code::MissingResource,
                pointer,
                At::Open,
                "statement has neither `Resource` nor `NotResource`",
            );
            None
        }
        (_, Some((element, value))) => {
            strings(ctx, &at(element), element, value).map(|items| Element {
                name: element,
                pointer: at(element),
                items,
            })
        }
    }
}

/// The one of two mutually exclusive elements that the statement has; both
/// is a finding (and the first is used).
fn pick_one<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    statement: &'a Map<String, Value>,
    first: &'static str,
    second: &'static str,
) -> Option<(&'static str, &'a Value)> {
    match (statement.get(first), statement.get(second)) {
        (Some(value), Some(_)) => {
            ctx.report(
                Code::ConflictingElements,
                &pointer_push(pointer, second),
                At::Key,
                format!("statement has both `{first}` and `{second}`; keep one"),
            );
            Some((first, value))
        }
        (Some(value), None) => Some((first, value)),
        (None, Some(value)) => Some((second, value)),
        (None, None) => None,
    }
}

/// The strings of a string-or-array-of-strings element, with their pointers;
/// `None` if it is neither (reported).
fn strings<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    element: &'static str,
    value: &'a Value,
) -> Option<Vec<(String, &'a str)>> {
    match value {
        Value::String(s) => Some(vec![(pointer.to_owned(), s.as_str())]),
        Value::Array(items) if items.is_empty() => {
            ctx.report(
                Code::EmptyArray,
                pointer,
                At::Value,
                format!("`{element}` is an empty array"),
            );
            None
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("{pointer}/{i}");
                match item.as_str() {
                    Some(s) => out.push((pointer, s)),
                    None => ctx.report(
                        Code::InvalidValueType,
                        &pointer,
                        At::Value,
                        format!("`{element}` must be a string or an array of strings"),
                    ),
                }
            }
            Some(out)
        }
        _ => {
            ctx.report(
                Code::InvalidValueType,
                pointer,
                At::Value,
                format!("`{element}` must be a string or an array of strings"),
            );
            None
        }
    }
}

/// `*`, or `service:Action` with a `[a-z0-9-]+` service prefix (case is
/// ignored, as IAM does) and an `[A-Za-z0-9*?-]+` action.
pub(super) fn is_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '?'))
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-'))
}

fn check_principal(ctx: &mut Ctx<'_>, pointer: &str, element: &'static str, value: &Value) {
    match value {
        Value::String(s) if s == "*" => {}
        Value::Object(types) if !types.is_empty() => {
            for (principal_type, principals) in types {
                let pointer = pointer_push(pointer, principal_type);
                if !PRINCIPAL_TYPES.contains(&principal_type.as_str()) {
                    ctx.report(
                        Code::UnknownPrincipalType,
                        &pointer,
                        At::Key,
                        format!("unknown principal type `{principal_type}`; use `AWS`, `Service`, `Federated` or `CanonicalUser`"),
                    );
                    continue;
                }
                strings(ctx, &pointer, element, principals);
            }
        }
        _ => ctx.report(
            Code::InvalidPrincipal,
            pointer,
            At::Value,
            format!("`{element}` must be `\"*\"` or an object of principal types"),
        ),
    }
}

fn check_condition<'a>(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    condition: &'a Value,
) -> Option<&'a Map<String, Value>> {
    let Value::Object(operators) = condition else {
        ctx.report(
            Code::InvalidCondition,
            pointer,
            At::Value,
            "`Condition` must be an object of condition operators",
        );
        return None;
    };
    for (operator, keys) in operators {
        let pointer = pointer_push(pointer, operator);
        if !is_condition_operator(operator) {
            let hint = if operator.eq_ignore_ascii_case("NullIfExists") {
                "; `Null` has no `IfExists` form"
            } else {
                ""
            };
            ctx.report(
                Code::UnknownConditionOperator,
                &pointer,
                At::Key,
                format!("unknown condition operator `{operator}`{hint}"),
            );
        }
        let Value::Object(keys) = keys else {
            ctx.report(
                Code::InvalidCondition,
                &pointer,
                At::Value,
                format!("condition operator `{operator}` must map condition keys to values"),
            );
            continue;
        };
        for (key, value) in keys {
            let scalar = |v: &Value| v.is_string() || v.is_number() || v.is_boolean();
            let good = match value {
                Value::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if !good {
                ctx.report(
                    Code::InvalidCondition,
                    &pointer_push(&pointer, key),
                    At::Value,
                    format!("condition key `{key}` must have a string, number or boolean value, or an array of them"),
                );
            }
        }
    }
    Some(operators)
}
