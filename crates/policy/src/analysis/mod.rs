//! Questions over a whole account: who can perform an action, and what one
//! principal can do. Both run the evaluation engine over every principal of
//! an [`Account`] and every action the catalog expands a pattern to.

mod who_can;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::account::{Account, Entity};
use crate::catalog::{catalog, AccessLevel, Action, Service};
use crate::eval::{decision, Context, Decision, Request, ResourcePredicate};

pub use who_can::{who_can, Because, Grant};

/// The predicate for "some resource this action acts on": a pattern that
/// can name one of its resource types; `*` alone for actions without
/// resource-level permissions.
///
/// Each pattern's answer is remembered: over an account the same few
/// patterns come back principal after principal.
pub fn resource_predicate(service: &'static Service, action: &'static Action) -> ResourcePredicate {
    if action.resource_types.is_empty() {
        return Arc::new(|pattern: &str| pattern.bytes().all(|b| b == b'*'));
    }
    let types: Vec<_> = action
        .resource_types
        .iter()
        .filter_map(|r| service.resource_type(&r.name))
        .collect();
    let known: std::sync::Mutex<std::collections::HashMap<Box<str>, bool>> = Default::default();
    Arc::new(move |pattern: &str| {
        if pattern == "*" {
            return true;
        }
        if let Some(&answer) = known.lock().ok().as_ref().and_then(|k| k.get(pattern)) {
            return answer;
        }
        let answer = types.iter().any(|t| t.could_match(pattern));
        if let Ok(mut k) = known.lock() {
            k.insert(pattern.into(), answer);
        }
        answer
    })
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

/// Notes that explain a decision: condition keys the policies test but the
/// request lacks, and among them those the action never carries at all (by
/// the service reference), which usually means a mistyped or misplaced key.
pub fn context_notes(req: &Request, set: &crate::eval::PolicySet<'_>) -> Vec<crate::eval::Note> {
    use crate::eval::Note;
    let action = catalog().lookup(&req.action);
    crate::eval::missing_context_keys(req, set)
        .into_iter()
        .map(|key| match action {
            Some((service, a)) if !key_sent(service, a, &key) => Note::KeyNeverSent {
                key,
                action: format!("{}:{}", service.prefix, a.name),
            },
            _ => Note::MissingContextKey(key),
        })
        .collect()
}

/// [`context_notes`] for keys already found missing, remembering per
/// action and key whether the action can carry the key (one worker of a
/// batch keeps one).
#[derive(Debug, Default)]
pub struct NoteCache {
    /// `action\0key`, the action lower-cased → its canonical name when the
    /// action never carries the key.
    never_sent: std::collections::HashMap<String, Option<String>>,
    /// `action\0key` → the note as a JSON string, quotes and escapes
    /// included, as a batch answer prints it.
    json: std::collections::HashMap<String, String>,
    key: String,
}

impl NoteCache {
    pub fn new() -> NoteCache {
        NoteCache::default()
    }

    /// [`NoteCache::note`] as a JSON string (quoted and escaped), made
    /// once per action and key.
    pub fn note_json(&mut self, action: &str, key: &str) -> &str {
        self.key.clear();
        self.key.push_str(action);
        self.key.make_ascii_lowercase();
        self.key.push('\0');
        self.key.push_str(key);
        if !self.json.contains_key(self.key.as_str()) {
            let lookup = self.key.clone();
            let text = self.note(action, key).to_string();
            let json = serde_json::to_string(&text).unwrap_or_default();
            self.json.insert(lookup, json);
        }
        &self.json[self.key.as_str()]
    }

    /// The note for condition key `key`, missing from a request for
    /// `action`, as [`context_notes`] words it.
    pub fn note(&mut self, action: &str, key: &str) -> crate::eval::Note {
        use crate::eval::Note;
        self.key.clear();
        self.key.push_str(action);
        self.key.make_ascii_lowercase();
        self.key.push('\0');
        self.key.push_str(key);
        if !self.never_sent.contains_key(self.key.as_str()) {
            let never = match catalog().lookup(action) {
                Some((service, a)) if !key_sent(service, a, key) => {
                    Some(format!("{}:{}", service.prefix, a.name))
                }
                _ => None,
            };
            self.never_sent.insert(self.key.clone(), never);
        }
        match &self.never_sent[self.key.as_str()] {
            Some(action) => Note::KeyNeverSent {
                key: key.to_owned(),
                action: action.clone(),
            },
            None => Note::MissingContextKey(key.to_owned()),
        }
    }
}

/// Whether requests for `action` can carry `key`: global keys always may;
/// service keys when the action, one of its resource types, or the service
/// lists them.
fn key_sent(service: &Service, action: &Action, key: &str) -> bool {
    let Some(info) = catalog().condition_key(key) else {
        // Unknown to the reference: do not claim anything.
        return true;
    };
    if info.global {
        return true;
    }
    let listed = |keys: &[String]| keys.iter().any(|k| k.eq_ignore_ascii_case(&info.key));
    listed(&action.condition_keys)
        || action.resource_types.iter().any(|r| {
            listed(&r.condition_keys)
                || service
                    .resource_type(&r.name)
                    .is_some_and(|t| listed(&t.condition_keys))
        })
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
    /// What the answer assumed about policies the snapshot does not hold
    /// (KMS key policies), each once.
    pub assumptions: Vec<String>,
}

/// The assumption behind an answer about a KMS action when the key's
/// policy is not known: the default key policy, which "enables IAM
/// policies" (KMS developer guide, key-policies), so identity-based
/// policies alone decide. `None` for other actions, or when the caller gave
/// the resource's policy.
pub fn key_policy_assumption(
    action: &str,
    resource: Option<&str>,
    resource_policy_given: bool,
) -> Option<String> {
    let kms = action
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("kms:"));
    if !kms || resource_policy_given {
        return None;
    }
    let key = match resource {
        Some(r) if r.contains(":key/") => format!("the policy of KMS key `{r}`"),
        Some(r) if r.contains(":alias/") => format!("the policy of the KMS key behind `{r}`"),
        Some(r) if r != "*" => return None,
        _ => "KMS key policies".to_owned(),
    };
    Some(format!(
        "{key}: not in the snapshot; assumed to be the default key policy, which lets IAM policies \
         grant access, so identity-based policies alone decide (a key policy that does not \
         enable IAM policies would deny)"
    ))
}

/// Summarises the access of one principal over every action AWS documents.
pub fn access(account: &Account, entity: &Entity, base: &Context) -> AccessSummary {
    let req = principal_request(account, entity, base, "*");
    let set = account.policy_set(entity);
    access_with(req, &set)
}

/// [`access`] for a request of the principal (any action; its resource is
/// replaced) and the policies that take part — SCPs included, for an
/// account of an organisation.
pub fn access_with(mut req: Request, set: &crate::eval::PolicySet<'_>) -> AccessSummary {
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
            if !set
                .identity
                .iter()
                .any(|p| p.statements.iter().any(|s| s.covers_action(&req)))
            {
                continue;
            }
            req.set_any_resource(Some(resource_predicate(service, action)));
            if decision(&req, set) == Decision::Allowed {
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
    if summary.services.contains_key("kms") {
        summary
            .assumptions
            .extend(key_policy_assumption("kms:*", None, false));
    }
    summary
}

#[cfg(test)]
mod tests;
