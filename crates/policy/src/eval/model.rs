//! Policies compiled for evaluation.

use serde_json::Value;

use super::condition::{Condition, Operator};
use super::err::ModelError;
use super::pattern::{ArnParts, ArnPattern, Glob, Syntax};
use super::request::{Principal, PrincipalKind, Request};

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement, compiled.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the policy's `Statement` list (0-based).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` in identity policies.
    pub(crate) principal: Option<PrincipalSpec>,
    pub(crate) actions: Matcher<Glob>,
    /// The [`service_bit`]s of the services the `Action` / `NotAction`
    /// patterns can name (every bit when one can name any service): an
    /// action whose bit is not set matches none of the patterns.
    pub(crate) service_mask: u64,
    pub(crate) resources: Matcher<ArnPattern>,
    pub(crate) conditions: Vec<Condition>,
}

/// One bit of 64 for the service part of a lower-cased action (the text
/// before its first `:`, or all of it).
pub(crate) fn service_bit(action_lower: &str) -> u64 {
    let bytes = action_lower.as_bytes();
    let end = bytes.iter().position(|&b| b == b':').unwrap_or(bytes.len());
    let hash = bytes[..end]
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    1 << (hash & 63)
}

/// The [`Statement::service_mask`] of action patterns. A pattern whose
/// service part has no wildcard matches only actions of that service (its
/// literal `service:` starts every action it matches).
fn service_mask(texts: &[String]) -> u64 {
    let mut mask = 0;
    for t in texts {
        let t = t.to_lowercase();
        match t.split_once(':') {
            Some((service, _)) if !service.contains(['*', '?']) => mask |= service_bit(service),
            _ => return u64::MAX,
        }
    }
    mask
}

/// `Action` / `NotAction`, `Resource` / `NotResource`.
#[derive(Debug, Clone)]
pub(crate) struct Matcher<T> {
    pub not: bool,
    /// Inline for the usual one or two, so matching reads the statement's
    /// own memory instead of following a pointer.
    pub patterns: smallvec::SmallVec<[T; 2]>,
    /// The patterns as written.
    pub text: Vec<String>,
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalSpec {
    pub not: bool,
    pub entries: Vec<PrincipalEntry>,
}

/// One principal named in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Everyone,
    /// An account: `123456789012` or `arn:aws:iam::123456789012:root`.
    Account(String),
    /// A user, role, session or other ARN.
    Arn(String),
    /// `{"Service": "..."}`
    Service(String),
    /// `{"Federated": "..."}`
    Federated(String),
    /// `{"CanonicalUser": "..."}`
    Canonical(String),
}

/// How a resource-based policy named the principal that it matched; it
/// decides which other policies still apply in the same account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// The account (root ARN or account ID): the identity side must allow.
    Account,
    /// The role of a role session: boundary and session policy still apply.
    Role,
    /// The principal itself (user, role session, federated user), `*`, a
    /// service or `NotPrincipal`.
    Direct,
}

/// A policy ready for evaluation.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The name used in results (e.g. `identity[0]`, a policy ARN).
    pub name: String,
    pub statements: Vec<Statement>,
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn scalar_strings(value: &Value) -> Option<Vec<String>> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        v => one(v).map(|s| vec![s]),
    }
}

impl Policy {
    /// Compiles a policy document. `name` identifies it in results.
    pub fn from_json(name: &str, doc: &Value) -> Result<Policy, ModelError> {
        let obj = doc.as_object().ok_or_else(|| ModelError::NotObject {
            policy: name.to_owned(),
        })?;
        let variables = obj.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        let statements = match obj.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => {
                return Err(ModelError::NoStatement {
                    policy: name.to_owned(),
                })
            }
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, s)| compile_statement(name, index, s, variables))
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            name: name.to_owned(),
            statements,
        })
    }

    /// Checks that the policy can be a resource-based policy (or a role's
    /// trust policy): every statement names whom it applies to with
    /// `Principal` or `NotPrincipal`, as AWS requires when the policy is
    /// saved.
    pub fn check_resource_based(&self) -> Result<(), ModelError> {
        match self.statements.iter().find(|s| s.principal.is_none()) {
            Some(st) => Err(ModelError::Statement {
                policy: self.name.clone(),
                index: st.index,
                problem:
                    "a statement of a resource-based policy needs `Principal` or `NotPrincipal`"
                        .to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Compiles a resource-based policy (or trust policy):
    /// [`Policy::from_json`] then [`Policy::check_resource_based`].
    pub fn resource_based_from_json(name: &str, doc: &Value) -> Result<Policy, ModelError> {
        let policy = Policy::from_json(name, doc)?;
        policy.check_resource_based()?;
        Ok(policy)
    }

    /// Parses JSON text and compiles it.
    pub fn from_text(name: &str, text: &str) -> Result<Policy, ModelError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ModelError::Statement {
            policy: name.to_owned(),
            index: 0,
            problem: format!("not JSON: {e}"),
        })?;
        Policy::from_json(name, &value)
    }
}

fn compile_statement(
    policy: &str,
    index: usize,
    value: &Value,
    variables: bool,
) -> Result<Statement, ModelError> {
    let bad = |problem: &str| ModelError::Statement {
        policy: policy.to_owned(),
        index,
        problem: problem.to_owned(),
    };
    let obj = value
        .as_object()
        .ok_or_else(|| bad("a statement must be a JSON object"))?;
    let sid = obj.get("Sid").and_then(Value::as_str).map(str::to_owned);
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(bad("`Effect` must be `Allow` or `Deny`")),
    };
    let action_syntax = Syntax {
        wildcards: true,
        variables: false,
    };
    let actions = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(v), None) | (None, Some(v)) => {
            let text =
                strings(v).ok_or_else(|| bad("`Action` must be a string or a list of strings"))?;
            Matcher {
                not: obj.contains_key("NotAction"),
                patterns: text
                    .iter()
                    .map(|a| Glob::parse_lowercase(a, action_syntax))
                    .collect(),
                text,
            }
        }
        _ => {
            return Err(bad(
                "a statement needs exactly one of `Action` and `NotAction`",
            ))
        }
    };
    let resources = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(v), None) | (None, Some(v)) => {
            let text = strings(v)
                .ok_or_else(|| bad("`Resource` must be a string or a list of strings"))?;
            Matcher {
                not: obj.contains_key("NotResource"),
                patterns: text
                    .iter()
                    .map(|r| ArnPattern::parse(r, variables))
                    .collect(),
                text,
            }
        }
        // Trust policies have no resource: the statement covers the role.
        (None, None) => Matcher {
            not: false,
            patterns: smallvec::smallvec![ArnPattern::Any],
            text: vec!["*".to_owned()],
        },
        _ => {
            return Err(bad(
                "a statement cannot have both `Resource` and `NotResource`",
            ))
        }
    };
    let principal = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (None, None) => None,
        (Some(v), None) => Some(PrincipalSpec {
            not: false,
            entries: principal_entries(v).ok_or_else(|| bad("malformed `Principal`"))?,
        }),
        (None, Some(v)) => Some(PrincipalSpec {
            not: true,
            entries: principal_entries(v).ok_or_else(|| bad("malformed `NotPrincipal`"))?,
        }),
        _ => {
            return Err(bad(
                "a statement cannot have both `Principal` and `NotPrincipal`",
            ))
        }
    };
    let mut conditions = Vec::new();
    if let Some(cond) = obj.get("Condition") {
        let cond = cond
            .as_object()
            .ok_or_else(|| bad("`Condition` must be an object"))?;
        for (op_name, keys) in cond {
            let operator = Operator::parse(op_name).ok_or_else(|| ModelError::UnknownOperator {
                policy: policy.to_owned(),
                index,
                operator: op_name.clone(),
            })?;
            let keys = keys
                .as_object()
                .ok_or_else(|| bad("a condition operator must map keys to values"))?;
            for (key, values) in keys {
                let values = scalar_strings(values)
                    .ok_or_else(|| bad("condition values must be strings, numbers or booleans"))?;
                conditions.push(Condition::new(operator, key, &values, variables));
            }
        }
    }
    Ok(Statement {
        index,
        sid,
        effect,
        principal,
        service_mask: service_mask(&actions.text),
        actions,
        resources,
        conditions,
    })
}

fn principal_entries(value: &Value) -> Option<Vec<PrincipalEntry>> {
    match value {
        Value::String(s) if s == "*" => Some(vec![PrincipalEntry::Everyone]),
        Value::Object(map) => {
            let mut entries = Vec::new();
            for (kind, v) in map {
                for item in strings(v)? {
                    entries.push(match kind.as_str() {
                        "AWS" => aws_entry(&item),
                        "Service" => PrincipalEntry::Service(item),
                        "Federated" => PrincipalEntry::Federated(item),
                        "CanonicalUser" => PrincipalEntry::Canonical(item),
                        _ => return None,
                    });
                }
            }
            Some(entries)
        }
        _ => None,
    }
}

fn aws_entry(item: &str) -> PrincipalEntry {
    if item == "*" {
        return PrincipalEntry::Everyone;
    }
    if crate::names::is_account_id(item) {
        return PrincipalEntry::Account(item.to_owned());
    }
    if let Some(["arn", _, "iam", "", account, "root"]) = super::pattern::split_arn(item) {
        return PrincipalEntry::Account(account.to_owned());
    }
    PrincipalEntry::Arn(item.to_owned())
}

impl Statement {
    /// The `Action` patterns as written, or `None` for `NotAction`.
    pub fn action_patterns(&self) -> Option<Vec<String>> {
        (!self.actions.not).then(|| self.actions.text.clone())
    }

    /// The `Resource` patterns as written (`*` for a statement without
    /// one), or `None` for `NotResource`.
    pub fn resource_patterns(&self) -> Option<Vec<String>> {
        (!self.resources.not).then(|| self.resources.text.clone())
    }

    /// Whether the statement grants everyone: an `Allow` whose `Principal`
    /// is `*` (or `{"AWS": "*"}`) with no condition to narrow it — what S3
    /// Block Public Access calls a public policy.
    pub fn is_public(&self) -> bool {
        self.effect == Effect::Allow
            && self.conditions.is_empty()
            && self
                .principal
                .as_ref()
                .is_some_and(|p| !p.not && p.entries.contains(&PrincipalEntry::Everyone))
    }

    /// The statement's conditions, one per operator and key.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the statement's action, resource and conditions cover the
    /// request (the principal is checked separately).
    pub(crate) fn applies(&self, req: &Request, resource: &ArnParts<'_>) -> bool {
        self.covers_action(req)
            && self.matches_resource(req, resource)
            && self.conditions.iter().all(|c| c.holds(&req.context))
    }

    /// [`Statement::matches_action`] for the request's action.
    pub(crate) fn covers_action(&self, req: &Request) -> bool {
        if self.service_mask & req.service_bit == 0 {
            return self.actions.not;
        }
        self.matches_action_text(&req.action_lower)
    }

    /// Whether the (lower-cased) action is covered by `Action` / `NotAction`.
    pub fn matches_action(&self, action_lower: &str) -> bool {
        if self.service_mask & service_bit(action_lower) == 0 {
            return self.actions.not;
        }
        self.matches_action_text(action_lower)
    }

    /// [`Statement::matches_action`] with the action's [`service_bit`]
    /// known.
    pub(crate) fn matches_action_bit(&self, action_lower: &str, bit: u64) -> bool {
        if self.service_mask & bit == 0 {
            return self.actions.not;
        }
        self.matches_action_text(action_lower)
    }

    fn matches_action_text(&self, action_lower: &str) -> bool {
        let empty = super::request::Context::default();
        let any = self
            .actions
            .patterns
            .iter()
            .any(|g| g.matches(action_lower, &empty));
        any != self.actions.not
    }

    /// Whether `Resource` / `NotResource` covers the request's resource.
    pub(crate) fn matches_resource(&self, req: &Request, resource: &ArnParts<'_>) -> bool {
        if let Some(could_denote) = &req.any_resource {
            // "On some resource of the action's types": an Allow counts when
            // one of its patterns can name such a resource; a Deny only when
            // it covers every resource.
            return match (self.effect, self.resources.not) {
                (Effect::Allow, false) => self.resources.text.iter().any(|t| could_denote(t)),
                (Effect::Allow, true) => true,
                (Effect::Deny, false) => self
                    .resources
                    .patterns
                    .iter()
                    .any(|p| matches!(p, ArnPattern::Any)),
                (Effect::Deny, true) => false,
            };
        }
        let any = self
            .resources
            .patterns
            .iter()
            .any(|p| p.matches(resource, &req.context));
        any != self.resources.not
    }

    /// How (if at all) the statement's `Principal` covers `principal`.
    /// Statements without a principal element (identity policies) match
    /// directly.
    pub(crate) fn principal_match(
        &self,
        principal: &Principal,
        has_boundary: bool,
    ) -> Option<PrincipalMatch> {
        let Some(spec) = &self.principal else {
            return Some(PrincipalMatch::Direct);
        };
        if spec.not && has_boundary && self.effect == Effect::Deny {
            // "The NotPrincipal element with a Deny effect will always deny
            // any IAM principal that has a permissions boundary policy
            // attached, regardless of the values specified."
            return Some(PrincipalMatch::Direct);
        }
        if spec.not {
            let ids = identities(principal);
            let is_listed = |id: &Identity<'_>| spec.entries.iter().any(|e| entry_is(e, id));
            let excluded = match self.effect {
                // Deny + NotPrincipal: the statement applies unless every
                // identity the request is made as (the principal, its role,
                // its account) is listed ("AWS might verify the account
                // first, and then the user", reference_policies_elements_notprincipal).
                Effect::Deny => ids.iter().all(is_listed),
                // Allow + NotPrincipal, which AWS no longer supports: read it
                // narrowly, so that naming any one of the identities excludes
                // the principal and the statement never grants more than its
                // author listed.
                Effect::Allow => ids.iter().any(is_listed),
            };
            return (!excluded).then_some(PrincipalMatch::Direct);
        }
        spec.entries
            .iter()
            .filter_map(|e| entry_match(e, principal))
            .max()
    }
}

/// The identities a request is made as, for `NotPrincipal`.
enum Identity<'a> {
    Exact(&'a str),
    RoleOf(&'a Principal),
    Account(&'a str),
}

fn identities(p: &Principal) -> Vec<Identity<'_>> {
    let mut ids = vec![Identity::Exact(&p.arn)];
    if p.kind == PrincipalKind::RoleSession {
        ids.push(Identity::RoleOf(p));
    }
    if !p.account.is_empty() && p.kind != PrincipalKind::Root {
        ids.push(Identity::Account(&p.account));
    }
    ids
}

fn entry_is(entry: &PrincipalEntry, id: &Identity<'_>) -> bool {
    match (entry, id) {
        (PrincipalEntry::Everyone, _) => true,
        (PrincipalEntry::Account(a), Identity::Account(b)) => a == b,
        (PrincipalEntry::Account(a), Identity::Exact(arn)) => super::pattern::split_arn(arn)
            .is_some_and(|p| p[2] == "iam" && p[5] == "root" && p[4] == a),
        (PrincipalEntry::Arn(a), Identity::Exact(b)) => a == b,
        (PrincipalEntry::Service(a), Identity::Exact(b)) => a == b,
        (PrincipalEntry::Federated(a), Identity::Exact(b)) => a == b,
        (PrincipalEntry::Canonical(a), Identity::Exact(b)) => a == b,
        (PrincipalEntry::Arn(a), Identity::RoleOf(p)) => is_role_of(a, p),
        _ => false,
    }
}

fn entry_match(entry: &PrincipalEntry, p: &Principal) -> Option<PrincipalMatch> {
    match entry {
        PrincipalEntry::Everyone => Some(PrincipalMatch::Direct),
        PrincipalEntry::Account(a) => {
            (!p.account.is_empty() && *a == p.account && p.kind != PrincipalKind::Service)
                .then_some(PrincipalMatch::Account)
        }
        PrincipalEntry::Arn(a) => {
            if *a == p.arn && p.kind == PrincipalKind::Role {
                // "Resource-based policies that grant permissions to an IAM
                // role ARN are limited by an implicit deny in a permissions
                // boundary or session policy": the role ARN given as the
                // request's principal stands for a session of the role.
                Some(PrincipalMatch::Role)
            } else if *a == p.arn {
                Some(PrincipalMatch::Direct)
            } else if p.kind == PrincipalKind::RoleSession && is_role_of(a, p) {
                Some(PrincipalMatch::Role)
            } else {
                None
            }
        }
        PrincipalEntry::Service(s)
        | PrincipalEntry::Federated(s)
        | PrincipalEntry::Canonical(s) => (*s == p.arn).then_some(PrincipalMatch::Direct),
    }
}

/// Whether role ARN `arn` is the role of session `p` (by account and name:
/// the session ARN does not carry the role's path).
fn is_role_of(arn: &str, p: &Principal) -> bool {
    if let Some(role_arn) = &p.role_arn {
        return role_arn == arn;
    }
    match (super::pattern::split_arn(arn), &p.role_name) {
        (Some(["arn", _, "iam", "", account, res]), Some(name)) => {
            account == p.account
                && res.starts_with("role/")
                && res.rsplit('/').next() == Some(name.as_str())
        }
        _ => false,
    }
}
