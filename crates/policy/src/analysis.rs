//! Questions over a whole account: who can perform an action, and what one
//! principal can do. Both run the evaluation engine over every principal of
//! an [`Account`] and every action the catalog expands a pattern to.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::account::{Account, Entity, Source};
use crate::catalog::{catalog, AccessLevel, Action, Service};
use crate::eval::{evaluate, Context, Decision, Policy, Request, ResourcePredicate};

/// A statement that allowed something, and how it reached the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Because {
    pub policy: String,
    pub sid: Option<String>,
    pub statement: usize,
    /// `None` for a resource-based policy.
    pub via: Option<Source>,
}

/// One principal allowed one action.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Index into [`Account::principals`].
    pub principal: usize,
    /// `service:Action`, canonical spelling.
    pub action: String,
    pub because: Vec<Because>,
}

/// The predicate for "some resource this action acts on": a pattern that
/// can name one of its resource types; `*` alone for actions without
/// resource-level permissions.
pub fn resource_predicate(service: &'static Service, action: &'static Action) -> ResourcePredicate {
    if action.resource_types.is_empty() {
        return Arc::new(|pattern: &str| pattern.bytes().all(|b| b == b'*'));
    }
    let types: Vec<_> = action
        .resource_types
        .iter()
        .filter_map(|r| service.resource_type(&r.name))
        .collect();
    Arc::new(move |pattern: &str| pattern == "*" || types.iter().any(|t| t.could_match(pattern)))
}

fn because(
    account: &Account,
    entity: &Entity,
    policy: &str,
    sid: Option<&str>,
    index: usize,
) -> Because {
    let via = entity
        .identity
        .iter()
        .find(|a| account.policies[a.policy].name == policy)
        .map(|a| a.source.clone());
    Because {
        policy: policy.to_owned(),
        sid: sid.map(str::to_owned),
        statement: index,
        via,
    }
}

/// The base request of a principal: its own context keys on top of `base`.
pub fn principal_request(
    account: &Account,
    entity: &Entity,
    base: &Context,
    resource: &str,
) -> Request {
    let mut ctx = base.clone();
    account.principal_context(entity, &mut ctx);
    Request::new(
        account.request_principal(entity),
        "iam:none",
        resource,
        None,
        ctx,
    )
}

/// Every principal allowed each action, on `resource` or, without one, on
/// some resource the action takes. `resource_policy` is the resource's own
/// policy, if any.
pub fn who_can(
    account: &Account,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    base: &Context,
    resource_policy: Option<&Policy>,
) -> Vec<Grant> {
    let mut requests: Vec<Request> = account
        .principals
        .iter()
        .map(|e| principal_request(account, e, base, resource.unwrap_or("*")))
        .collect();
    let sets: Vec<_> = account
        .principals
        .iter()
        .map(|e| {
            let mut set = account.policy_set(e);
            set.resource = resource_policy;
            set
        })
        .collect();
    let mut grants = Vec::new();
    for (service, action) in actions {
        let name = format!("{}:{}", service.prefix, action.name);
        let predicate = resource
            .is_none()
            .then(|| resource_predicate(service, action));
        for (i, req) in requests.iter_mut().enumerate() {
            req.set_action(&name);
            req.set_any_resource(predicate.clone());
            let evaluation = evaluate(req, &sets[i]);
            if evaluation.decision == Decision::Allowed {
                let entity = &account.principals[i];
                grants.push(Grant {
                    principal: i,
                    action: name.clone(),
                    because: evaluation
                        .matched
                        .iter()
                        .filter(|m| m.layer != crate::eval::Layer::PermissionsBoundary)
                        .map(|m| because(account, entity, m.policy, m.sid, m.index))
                        .collect(),
                });
            }
        }
    }
    grants
}

/// Permissions that let a principal raise its own privileges or reach
/// others' (after Rhino Security Labs' and AWS's lists).
pub const RISKY: &[(&str, &str)] = &[
    (
        "iam:CreatePolicyVersion",
        "can rewrite a managed policy, including its own",
    ),
    (
        "iam:SetDefaultPolicyVersion",
        "can switch a managed policy to a more permissive version",
    ),
    (
        "iam:AttachUserPolicy",
        "can attach any managed policy to a user",
    ),
    (
        "iam:AttachGroupPolicy",
        "can attach any managed policy to a group",
    ),
    (
        "iam:AttachRolePolicy",
        "can attach any managed policy to a role",
    ),
    ("iam:PutUserPolicy", "can write inline policies on users"),
    ("iam:PutGroupPolicy", "can write inline policies on groups"),
    ("iam:PutRolePolicy", "can write inline policies on roles"),
    (
        "iam:AddUserToGroup",
        "can join groups with more permissions",
    ),
    ("iam:CreateAccessKey", "can create keys for other users"),
    (
        "iam:CreateLoginProfile",
        "can set console passwords for other users",
    ),
    (
        "iam:UpdateLoginProfile",
        "can change other users' console passwords",
    ),
    (
        "iam:UpdateAssumeRolePolicy",
        "can let itself assume any role",
    ),
    ("iam:PassRole", "can hand roles to services it launches"),
    (
        "iam:DeleteUserPermissionsBoundary",
        "can lift a user's permissions boundary",
    ),
    (
        "iam:DeleteRolePermissionsBoundary",
        "can lift a role's permissions boundary",
    ),
    (
        "iam:PutUserPermissionsBoundary",
        "can replace a user's permissions boundary",
    ),
    (
        "iam:PutRolePermissionsBoundary",
        "can replace a role's permissions boundary",
    ),
    ("sts:AssumeRole", "can assume roles that trust it"),
    (
        "lambda:UpdateFunctionCode",
        "can run code as a function's role",
    ),
    (
        "ec2:RunInstances",
        "can run instances with a role (with iam:PassRole)",
    ),
    (
        "glue:UpdateDevEndpoint",
        "can run code as a Glue endpoint's role",
    ),
    (
        "cloudformation:CreateStack",
        "can create anything a passed role may",
    ),
];

/// What one principal can do: per service, the allowed actions by access
/// level, and the risky permissions among them.
#[derive(Debug, Clone, Default)]
pub struct AccessSummary {
    /// Service prefix → access level → allowed actions (canonical names).
    pub services: BTreeMap<String, BTreeMap<AccessLevel, Vec<String>>>,
    /// Service prefix → number of actions the service has per level.
    pub totals: BTreeMap<String, BTreeMap<AccessLevel, usize>>,
    /// Risky permissions held: (action, why).
    pub risky: Vec<(String, &'static str)>,
    /// Number of actions evaluated.
    pub evaluated: usize,
}

/// Summarises the access of one principal over every action AWS documents.
pub fn access(account: &Account, entity: &Entity, base: &Context) -> AccessSummary {
    let mut req = principal_request(account, entity, base, "*");
    let set = account.policy_set(entity);
    let mut summary = AccessSummary::default();
    let mut name = String::new();
    for service in catalog().services() {
        for action in service.actions() {
            name.clear();
            name.push_str(&service.prefix);
            name.push(':');
            name.push_str(&action.name);
            // Cheap pre-check: skip actions no identity statement names.
            req.set_action(&name);
            summary.evaluated += 1;
            *summary
                .totals
                .entry(service.prefix.clone())
                .or_default()
                .entry(action.access_level)
                .or_default() += 1;
            if !set.identity.iter().any(|p| {
                p.statements
                    .iter()
                    .any(|s| s.matches_action(&name.to_ascii_lowercase()))
            }) {
                continue;
            }
            req.set_any_resource(Some(resource_predicate(service, action)));
            if evaluate(&req, &set).decision == Decision::Allowed {
                summary
                    .services
                    .entry(service.prefix.clone())
                    .or_default()
                    .entry(action.access_level)
                    .or_default()
                    .push(action.name.clone());
                if let Some((_, why)) = RISKY.iter().find(|(a, _)| a.eq_ignore_ascii_case(&name)) {
                    summary.risky.push((name.clone(), why));
                }
            }
        }
    }
    summary
        .totals
        .retain(|k, _| summary.services.contains_key(k));
    summary
}
