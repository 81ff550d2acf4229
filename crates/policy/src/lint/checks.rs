//! The checks that need to know AWS: actions, resources and condition keys
//! against the catalog, risky grants, version and size.

use std::collections::HashSet;

use serde_json::Value;

use super::grammar::{Element, Policy, Statement};
use super::{At, Code, Ctx, PolicyType};
use crate::catalog::glob::wildcard_match;
use crate::catalog::{catalog, AccessLevel, Action, Service};
use crate::document::locate::pointer_push;
use crate::PolicyDocument;

pub(super) fn check(
    ctx: &mut Ctx<'_>,
    value: &Value,
    policy: &Policy<'_>,
    policy_type: PolicyType,
) {
    version(ctx, value, policy);
    size(ctx, value, policy_type);
    for statement in &policy.statements {
        check_statement(ctx, statement, policy_type);
    }
    if policy_type == PolicyType::Identity {
        escalation(ctx, &policy.statements);
    }
}

// ---------------------------------------------------------------------------
// Version and size

fn version(ctx: &mut Ctx<'_>, value: &Value, policy: &Policy<'_>) {
    let has_version = value.get("Version").is_some();
    if has_version && policy.version.is_none() {
        return; // INVALID_VERSION already.
    }
    let current = policy.version == Some("2012-10-17");
    if current {
        return;
    }
    let variable = policy.statements.iter().find_map(first_variable);
    let (pointer, at) = if has_version {
        ("/Version", At::Value)
    } else {
        ("", At::Open)
    };
    match variable {
        Some(variable) => {
            let why = if has_version {
                "`Version` is `2008-10-17`"
            } else {
                "the policy has no `Version`"
            };
            ctx.report(
                Code::PolicyVariablesNeedVersion,
                pointer,
                at,
                format!("policy variables such as `{variable}` are literal text because {why}; use `\"Version\": \"2012-10-17\"`"),
            );
        }
        None if has_version => ctx.report(
            Code::OutdatedVersion,
            pointer,
            at,
            "`Version` `2008-10-17` is outdated; use `2012-10-17`",
        ),
        None => ctx.report(
            Code::MissingVersion,
            pointer,
            at,
            "policy has no `Version`; add `\"Version\": \"2012-10-17\"`",
        ),
    }
}

/// The first `${...}` policy variable in a statement's resources or condition
/// values, where IAM would substitute it.
fn first_variable(statement: &Statement<'_>) -> Option<String> {
    let find = |s: &str| -> Option<String> {
        let start = s.find("${")?;
        let end = s[start..].find('}')? + start + 1;
        Some(s[start..end].to_owned())
    };
    if let Some(resources) = &statement.resources {
        if let Some(v) = resources.items.iter().find_map(|(_, r)| find(r)) {
            return Some(v);
        }
    }
    for keys in statement.condition?.values().filter_map(Value::as_object) {
        for value in keys.values() {
            let found = match value {
                Value::String(s) => find(s),
                Value::Array(items) => items.iter().filter_map(Value::as_str).find_map(find),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

fn size(ctx: &mut Ctx<'_>, value: &Value, policy_type: PolicyType) {
    let Some((max, whitespace_counts)) = policy_type.size_limit() else {
        return;
    };
    let chars = if whitespace_counts {
        ctx.text.chars().count()
    } else {
        PolicyDocument::from_value(value.clone()).size()
    };
    if chars > max {
        let counted = if whitespace_counts {
            "characters, whitespace included,"
        } else {
            "characters (not counting whitespace),"
        };
        ctx.report(
            Code::PolicyTooLarge,
            "",
            At::Open,
            format!(
                "policy is {chars} {counted} above the {max} that AWS allows in one {policy_type}"
            ),
        );
    }
}

// ---------------------------------------------------------------------------
// Statements

/// The actions a statement's `Action` names, resolved against the catalog.
struct Resolved<'c> {
    /// Every action matched, sorted by service and name, no repeats.
    actions: Vec<(&'c Service, &'c Action)>,
    /// `Action` includes `*`, or the statement uses `NotAction`: any service.
    any: bool,
}

impl<'c> Resolved<'c> {
    fn services(&self) -> Vec<&'c Service> {
        let mut out: Vec<&Service> = Vec::new();
        for (service, _) in &self.actions {
            if !out.last().is_some_and(|last| std::ptr::eq(*last, *service)) {
                out.push(service);
            }
        }
        out
    }
}

fn check_statement(ctx: &mut Ctx<'_>, statement: &Statement<'_>, policy_type: PolicyType) {
    let resolved = statement
        .actions
        .as_ref()
        .map(|actions| resolve_actions(ctx, actions));
    let allow = statement.is_allow();

    if let Some(actions) = &statement.actions {
        if allow && actions.negated() {
            ctx.report(
                Code::AllowWithNotAction,
                &actions.pointer,
                At::Key,
                "`Allow` with `NotAction` allows every action not listed, in every service, including actions AWS adds later; list the actions to allow instead",
            );
        }
    }
    if let Some(resources) = &statement.resources {
        if allow && resources.negated() {
            ctx.report(
                Code::AllowWithNotResource,
                &resources.pointer,
                At::Key,
                "`Allow` with `NotResource` allows every resource not listed, including resources created later; list the resources to allow instead",
            );
        }
        check_resources(ctx, resources, resolved.as_ref());
        if allow && policy_type == PolicyType::Identity {
            if let Some(resolved) = &resolved {
                resource_star(ctx, resources, resolved);
            }
        }
    }
    if let Some(condition) = statement.condition {
        check_condition_keys(ctx, statement, condition, resolved.as_ref());
        mfa(ctx, statement, condition);
    }
}

fn resolve_actions<'c>(ctx: &mut Ctx<'_>, element: &Element<'_>) -> Resolved<'c> {
    let catalog = catalog();
    let negated = element.negated();
    let mut any = negated;
    let mut actions: Vec<(&'c Service, &'c Action)> = Vec::new();
    let lower: Vec<String> = element
        .items
        .iter()
        .map(|(_, a)| a.to_ascii_lowercase())
        .collect();
    for (i, (pointer, action)) in element.items.iter().enumerate() {
        if *action == "*" {
            any = true;
            if !negated {
                actions.extend(catalog.expand("*"));
            }
            continue;
        }
        let Some((service, name)) = action.split_once(':') else {
            continue;
        };
        let wild = |s: &str| s.contains(['*', '?']);
        if !wild(service) && catalog.service(service).is_none() {
            ctx.report(
                Code::UnknownService,
                pointer,
                At::Value,
                format!("`{service}` is not the prefix of an AWS service (in `{action}`)"),
            );
            continue;
        }
        let matched = catalog.expand(action);
        if matched.is_empty() {
            let message = if wild(action) {
                format!("`{action}` matches no action")
            } else {
                format!("service `{service}` has no action `{name}`")
            };
            ctx.report(Code::UnknownAction, pointer, At::Value, message);
            continue;
        }
        if !wild(action) {
            if let Some(cover) = lower
                .iter()
                .enumerate()
                .find(|(j, other)| *j != i && wild(other) && wildcard_match(other, &lower[i]))
                .map(|(j, _)| element.items[j].1)
            {
                ctx.report(
                    Code::RedundantAction,
                    pointer,
                    At::Value,
                    format!("`{action}` is already covered by `{cover}` in the same statement"),
                );
            }
        }
        if !negated {
            actions.extend(matched);
        }
    }
    actions.sort_by(|a, b| {
        (a.0.prefix.as_str(), a.1.name.as_str()).cmp(&(b.0.prefix.as_str(), b.1.name.as_str()))
    });
    actions.dedup_by(|a, b| std::ptr::eq(a.1, b.1));
    Resolved { actions, any }
}

/// `arn:partition:service:region:account:resource`, wildcards allowed.
fn is_arn(resource: &str) -> bool {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.first() != Some(&"arn") {
        return false;
    }
    if parts.len() < 6 {
        // A wildcard may stand for the missing parts: `arn:aws:s3:*`.
        return parts.len() >= 2 && parts.last().is_some_and(|p| p.contains('*'));
    }
    let variable_or_wild = |p: &str| p.contains(['*', '?']) || p.contains("${");
    let partition_ok = variable_or_wild(parts[1]) || parts[1].starts_with("aws");
    let service_ok = !parts[2].is_empty();
    let account = parts[4];
    let account_ok = account.is_empty()
        || variable_or_wild(account)
        || account == "aws"
        || crate::names::is_account_id(account);
    // The resource part may be empty: AWS's own managed policies write
    // `arn:aws:organizations::*:` and IAM accepts it.
    partition_ok && service_ok && account_ok
}

fn check_resources(ctx: &mut Ctx<'_>, resources: &Element<'_>, resolved: Option<&Resolved<'_>>) {
    for (pointer, resource) in &resources.items {
        if *resource == "*" {
            continue;
        }
        if !is_arn(resource) {
            ctx.report(
                Code::InvalidArn,
                pointer,
                At::Value,
                format!("`{resource}` is not an ARN; a resource is `*` or `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`"),
            );
            continue;
        }
        let Some(resolved) = resolved else { continue };
        if resources.negated() || resolved.any || resolved.actions.is_empty() {
            continue;
        }
        let mut tried = HashSet::new();
        let supported = resolved.actions.iter().any(|(service, action)| {
            action.resource_types.iter().any(|r| {
                tried.insert((service.prefix.as_str(), r.name.as_str()))
                    && service
                        .resource_type(&r.name)
                        .is_some_and(|t| t.could_match(resource))
            })
        });
        if supported {
            continue;
        }
        let message = match resolved.actions.as_slice() {
            [(service, action)] if action.resource_types.is_empty() => format!(
                "`{}:{}` supports no resource-level permissions, so `{resource}` never matches; use `\"Resource\": \"*\"`",
                service.prefix, action.name
            ),
            [(service, action)] => {
                let types: Vec<String> = action
                    .resource_types
                    .iter()
                    .filter_map(|r| service.resource_type(&r.name))
                    .map(|t| format!("`{}`", t.arn_pattern))
                    .collect();
                format!(
                    "`{resource}` is not a resource that `{}:{}` acts on ({})",
                    service.prefix,
                    action.name,
                    types.join(", ")
                )
            }
            _ => format!("`{resource}` is not a resource that any action of the statement acts on"),
        };
        ctx.report(Code::UnsupportedResource, pointer, At::Value, message);
    }
}

/// `Resource: "*"` with write or permissions-management actions that could
/// have been limited to named resources.
fn resource_star(ctx: &mut Ctx<'_>, resources: &Element<'_>, resolved: &Resolved<'_>) {
    if resources.negated() {
        return;
    }
    let Some((pointer, _)) = resources.items.iter().find(|(_, r)| *r == "*") else {
        return;
    };
    for (level, code, words) in [
        (
            AccessLevel::PermissionsManagement,
            Code::PermissionsManagementOnAllResources,
            "permissions-management",
        ),
        (AccessLevel::Write, Code::WriteOnAllResources, "write"),
    ] {
        let names: Vec<String> = resolved
            .actions
            .iter()
            .filter(|(_, a)| a.access_level == level && !a.resource_types.is_empty())
            .map(|(s, a)| format!("`{}:{}`", s.prefix, a.name))
            .collect();
        if names.is_empty() {
            continue;
        }
        ctx.report(
            code,
            pointer,
            At::Value,
            format!(
                "`Resource` `*` allows {} on every resource, though {} can be limited to named resources",
                some_actions(&names, &format!("{words} action")),
                if names.len() == 1 { "it" } else { "they" }
            ),
        );
    }
}

/// `` write actions `a`, `b`, `c` and 3 more ``: at most three items, which
/// the caller has quoted.
fn some_actions(items: &[String], noun: &str) -> String {
    match items {
        [] => format!("no {noun}s"),
        [one] => format!("{noun} {one}"),
        [init @ .., last] if items.len() <= 3 => {
            format!("{noun}s {} and {last}", init.join(", "))
        }
        _ => format!(
            "{noun}s {} and {} more",
            items[..3].join(", "),
            items.len() - 3
        ),
    }
}

fn check_condition_keys(
    ctx: &mut Ctx<'_>,
    statement: &Statement<'_>,
    condition: &serde_json::Map<String, Value>,
    resolved: Option<&Resolved<'_>>,
) {
    let catalog = catalog();
    let services = resolved
        .filter(|r| !r.any && !r.actions.is_empty())
        .map(Resolved::services);
    for (operator, keys) in condition {
        let Some(keys) = keys.as_object() else {
            continue;
        };
        let operator_pointer = pointer_push(&statement.condition_pointer, operator);
        for key in keys.keys() {
            let pointer = pointer_push(&operator_pointer, key);
            let is_aws = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"));
            // Web identity keys are named after the provider's URL
            // (`token.actions.githubusercontent.com:sub`), with claims the
            // provider defines: only some are in the catalog.
            if key
                .split_once(':')
                .is_some_and(|(prefix, _)| prefix.contains(['.', '/']))
            {
                continue;
            }
            let Some(info) = catalog.condition_key(key) else {
                if is_aws {
                    ctx.report(
                        Code::InvalidGlobalConditionKey,
                        &pointer,
                        At::Key,
                        format!("`{key}` is not a global condition key"),
                    );
                } else {
                    ctx.report(
                        Code::UnknownConditionKey,
                        &pointer,
                        At::Key,
                        format!("`{key}` is not a condition key of any AWS service"),
                    );
                }
                continue;
            };
            operator_type(ctx, &pointer, operator, key, &info);
            if info.global {
                continue;
            }
            let Some(services) = &services else { continue };
            if services.iter().any(|s| s.condition_key(key).is_some()) {
                continue;
            }
            let names: Vec<String> = services
                .iter()
                .take(3)
                .map(|s| format!("`{}`", s.prefix))
                .collect();
            let more = if services.len() > 3 {
                " and others"
            } else {
                ""
            };
            ctx.report(
                Code::UnsupportedConditionKey,
                &pointer,
                At::Key,
                format!(
                    "condition key `{key}` is not supported by the statement's services ({}{more}), so requests never carry it",
                    names.join(", ")
                ),
            );
        }
    }
}

/// A condition operator whose type cannot compare the key's values, e.g.
/// `NumericEquals` on the string key `s3:prefix`: "The condition operator
/// that you can use in a policy depends on the condition key you choose"
/// (reference_policies_elements_condition_operators). String operators, ARN
/// operators on string keys, `Null` and `BinaryEquals` are never flagged.
fn operator_type(
    ctx: &mut Ctx<'_>,
    pointer: &str,
    operator: &str,
    key: &str,
    info: &crate::catalog::ConditionKeyInfo,
) {
    use crate::catalog::ConditionValueType as T;
    use crate::eval::OperatorKind as K;
    let Some(op) = crate::eval::Operator::parse(operator) else {
        return;
    };
    let key_type = info.value_type.element();
    let fits = match op.kind {
        K::NumericEquals
        | K::NumericNotEquals
        | K::NumericLessThan
        | K::NumericLessThanEquals
        | K::NumericGreaterThan
        | K::NumericGreaterThanEquals => matches!(key_type, T::Numeric | T::Date),
        K::DateEquals
        | K::DateNotEquals
        | K::DateLessThan
        | K::DateLessThanEquals
        | K::DateGreaterThan
        | K::DateGreaterThanEquals => matches!(key_type, T::Date | T::Numeric),
        K::Bool => matches!(key_type, T::Bool | T::String),
        K::IpAddress | K::NotIpAddress => matches!(key_type, T::IPAddress),
        K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike => {
            matches!(key_type, T::Arn | T::String)
        }
        _ => true,
    };
    if fits {
        return;
    }
    let family = match op.kind.name() {
        n if n.starts_with("Numeric") => "numeric",
        n if n.starts_with("Date") => "date",
        n if n.starts_with("Arn") => "ARN",
        "Bool" => "boolean",
        _ => "IP address",
    };
    ctx.report(
        Code::ConditionTypeMismatch,
        pointer,
        At::Key,
        format!(
            "`{operator}` is a {family} operator, but `{key}` is of type `{}`, so the condition never matches as meant; use an operator of the key's type",
            info.value_type.as_str()
        ),
    );
}

/// `aws:MultiFactorAuthPresent` written so that it misses requests made
/// with long-term access keys, which do not carry the key at all.
fn mfa(ctx: &mut Ctx<'_>, statement: &Statement<'_>, condition: &serde_json::Map<String, Value>) {
    for (operator, keys) in condition {
        let Some(keys) = keys.as_object() else {
            continue;
        };
        for (key, value) in keys {
            if !key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent") {
                continue;
            }
            let values: Vec<String> = match value {
                Value::Array(items) => items.iter().map(scalar_text).collect(),
                other => vec![scalar_text(other)],
            };
            let has = |v: &str| values.iter().any(|x| x.eq_ignore_ascii_case(v));
            let pointer = pointer_push(&pointer_push(&statement.condition_pointer, operator), key);
            let (code, message) = match (statement.effect, operator.as_str()) {
                (Some("Deny"), "Bool") if has("false") => (
                    Code::MfaDenyBoolFalse,
                    "requests signed with long-term access keys carry no `aws:MultiFactorAuthPresent`, so `Bool` is false for them and this `Deny` lets them through; use `BoolIfExists`",
                ),
                (Some("Allow"), "Bool") if has("false") => (
                    Code::MfaAllowBoolFalse,
                    "`aws:MultiFactorAuthPresent` is absent from requests signed with long-term access keys, so this `Allow` never applies to them",
                ),
                (Some("Allow"), "BoolIfExists") if has("true") => (
                    Code::MfaAllowIfExistsTrue,
                    "`BoolIfExists` is true when `aws:MultiFactorAuthPresent` is absent, so this `Allow` also admits long-term access keys without MFA; use `Bool`",
                ),
                _ => continue,
            };
            ctx.report(code, &pointer, At::Key, message);
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Privilege escalation

/// Actions with which a principal can raise its own permissions.
const SELF_ESCALATION: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
];

/// Actions that give credentials of a user: an escalation unless limited to
/// the caller's own user with `${aws:username}`.
const OTHER_USERS_CREDENTIALS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
];

/// Actions that start something that runs with a role passed to it.
const LAUNCH: &[&str] = &[
    "ec2:RunInstances",
    "ec2:RequestSpotInstances",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionConfiguration",
    "glue:CreateDevEndpoint",
    "glue:CreateJob",
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "datapipeline:CreatePipeline",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "ecs:RunTask",
    "ecs:StartTask",
    "ecs:CreateService",
    "codebuild:CreateProject",
    "states:CreateStateMachine",
    "autoscaling:CreateLaunchConfiguration",
    "apprunner:CreateService",
];

/// Whether an `Allow` statement's actions include `action`.
fn allows(statement: &Statement<'_>, action: &str) -> bool {
    let Some(actions) = &statement.actions else {
        return false;
    };
    let action = action.to_ascii_lowercase();
    let listed = actions
        .items
        .iter()
        .any(|(_, pattern)| wildcard_match(&pattern.to_ascii_lowercase(), &action));
    listed != actions.negated()
}

/// Whether a statement's resources include every resource (or every role).
fn all_resources(statement: &Statement<'_>, roles: bool) -> bool {
    let Some(resources) = &statement.resources else {
        return true;
    };
    if resources.negated() {
        return true;
    }
    resources.items.iter().any(|(_, r)| {
        *r == "*"
            || (roles && {
                let lower = r.to_ascii_lowercase();
                lower.contains(":iam::")
                    && (lower.ends_with(":*")
                        || lower.ends_with(":role/*")
                        || lower.ends_with(":role*"))
            })
    })
}

/// Whether the hand-made lists above already speak of `action`.
fn listed_above(action: &str) -> bool {
    SELF_ESCALATION
        .iter()
        .chain(OTHER_USERS_CREDENTIALS)
        .chain(LAUNCH)
        .chain(&["sts:AssumeRole", "iam:PassRole"])
        .any(|a| a.eq_ignore_ascii_case(action))
}

/// The methods of the escalation catalogue (pathfinding.cloud, see
/// `crate::escalation`) whose every action the policy allows on every
/// resource, beyond those the lists above name: one finding per statement
/// that allows a method's first action other than `iam:PassRole`.
fn catalogue_escalation(ctx: &mut Ctx<'_>, allowing: &[&Statement<'_>]) {
    let on_all = |action: &str| {
        let roles = action.eq_ignore_ascii_case("iam:PassRole");
        allowing
            .iter()
            .position(|s| allows(s, action) && all_resources(s, roles))
    };
    let mut found: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for method in crate::escalation::methods() {
        if method.actions.iter().all(|a| listed_above(a)) {
            continue;
        }
        let places: Option<Vec<usize>> = method.actions.iter().map(|a| on_all(a)).collect();
        let Some(places) = places else {
            continue;
        };
        let anchor = method
            .actions
            .iter()
            .zip(&places)
            .find(|(a, _)| !a.eq_ignore_ascii_case("iam:PassRole"))
            .map_or(places[0], |(_, i)| *i);
        found
            .entry(anchor)
            .or_default()
            .push(format!("`{}` ({})", method.id, method.name));
    }
    for (i, methods) in found {
        let Some(actions) = &allowing[i].actions else {
            continue;
        };
        ctx.report(
            Code::PrivilegeEscalation,
            &actions.pointer,
            At::Key,
            format!(
                "statement allows every action of escalation {} (pathfinding.cloud's catalogue) on every resource",
                some_actions(&methods, "method")
            ),
        );
    }
}

fn escalation(ctx: &mut Ctx<'_>, statements: &[Statement<'_>]) {
    let allowing: Vec<&Statement<'_>> = statements.iter().filter(|s| s.is_allow()).collect();
    catalogue_escalation(ctx, &allowing);
    let launches: Vec<&str> = LAUNCH
        .iter()
        .copied()
        .filter(|a| allowing.iter().any(|s| allows(s, a)))
        .collect();
    for statement in &allowing {
        let Some(actions) = &statement.actions else {
            continue;
        };
        let mut found: Vec<String> = SELF_ESCALATION
            .iter()
            .filter(|a| allows(statement, a))
            .map(|a| format!("`{a}`"))
            .collect();
        let own_user_only = statement.resources.as_ref().is_some_and(|r| {
            !r.negated()
                && r.items
                    .iter()
                    .all(|(_, r)| r.to_ascii_lowercase().contains("${aws:username}"))
        });
        if !own_user_only {
            found.extend(
                OTHER_USERS_CREDENTIALS
                    .iter()
                    .filter(|a| allows(statement, a))
                    .map(|a| format!("`{a}` for other users")),
            );
        }
        if allows(statement, "sts:AssumeRole") && all_resources(statement, false) {
            found.push("`sts:AssumeRole` on every role".to_owned());
        }
        if !found.is_empty() {
            ctx.report(
                Code::PrivilegeEscalation,
                &actions.pointer,
                At::Key,
                format!(
                    "statement allows {}, with which a principal can give itself more permissions",
                    some_actions(&found, "action")
                ),
            );
        }
        if allows(statement, "iam:PassRole")
            && all_resources(statement, true)
            && !launches.is_empty()
        {
            let launched: Vec<String> = launches.iter().map(|a| format!("`{a}`")).collect();
            ctx.report(
                Code::PassRoleEscalation,
                &actions.pointer,
                At::Key,
                format!(
                    "`iam:PassRole` on every role together with {} lets a principal start something that runs with any role's permissions; limit `iam:PassRole` to named roles",
                    some_actions(&launched, "action")
                ),
            );
        }
    }
}
