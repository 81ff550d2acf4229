//! The policy evaluation engine: given a request and the policies that
//! apply to it, decide as AWS does — `allowed`, `explicitDeny` or
//! `implicitDeny` — and say which statements decided and why.
//!
//! The engine follows AWS's documented policy evaluation logic:
//!
//! 1. An explicit `Deny` in any policy (identity, permissions boundary,
//!    session, resource-based, SCP, RCP) wins.
//! 2. Resource control policies only ever deny (`RCPFullAWSAccess` is always
//!    attached), so they take part in step 1 alone.
//! 3. Every SCP level, from the root to the account, must allow.
//! 4. Same account: a resource-based policy that names the principal itself
//!    (user, role session, federated user, or `*`) is enough; one that names
//!    the session's role still needs the permissions boundary and session
//!    policy to allow; one that names the account needs the identity side.
//!    Otherwise an identity-based policy must allow, and the permissions
//!    boundary and session policy, where present, must allow too.
//! 5. Cross account: the identity side (identity policies, boundary,
//!    session policy) and the resource owner's resource-based policy must
//!    both allow.
//!
//! The evaluator never fails: documents that cannot be compiled are refused
//! when the [`Policy`] is built, with a [`ModelError`].

mod condition;
mod err;
mod model;
mod pattern;
mod request;
#[cfg(test)]
mod tests;

use std::fmt;

pub use condition::{parse_date, Condition, Operator, OperatorKind, SetOperator, OPERATORS};
pub use err::ModelError;
pub use model::{Effect, Policy, PrincipalMatch, Statement};
pub use request::{Context, ContextEntry, Principal, PrincipalKind, Request, ResourcePredicate};

/// The simulator's words for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a policy sits in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Identity,
    PermissionsBoundary,
    Session,
    Resource,
    /// Service control policies of one level (0 = root).
    Scp(usize),
    /// Resource control policies of one level (0 = root).
    Rcp(usize),
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::PermissionsBoundary => "permissionsBoundary",
            Layer::Session => "session",
            Layer::Resource => "resource",
            Layer::Scp(_) => "scp",
            Layer::Rcp(_) => "rcp",
        }
    }
}

/// The policies that take part in one evaluation.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    /// The principal's identity-based policies: inline, managed and (for a
    /// user) those of its groups.
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    pub session: Option<&'a Policy>,
    /// The resource-based policy of the resource (or a role's trust policy).
    pub resource: Option<&'a Policy>,
    /// SCP levels from the organization root down to the account.
    pub scps: Vec<Vec<&'a Policy>>,
    /// RCP levels from the organization root down to the account.
    pub rcps: Vec<Vec<&'a Policy>>,
}

/// A statement that took part in the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched<'a> {
    pub policy: &'a str,
    pub layer: Layer,
    pub sid: Option<&'a str>,
    /// 0-based position in the policy's statements.
    pub index: usize,
    pub effect: Effect,
}

/// Why a request was denied implicitly, or how it was allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    NoIdentityAllow,
    BoundaryDoesNotAllow,
    SessionPolicyDoesNotAllow,
    ScpLevelDoesNotAllow(usize),
    CrossAccountNoResourceAllow,
    /// Same account: the resource-based policy allowed on its own.
    AllowedByResourcePolicy,
    /// A condition key the policies test is absent from the request.
    MissingContextKey(String),
    /// A condition key that requests for the action never carry (by AWS's
    /// service reference), so the condition can never match as written.
    KeyNeverSent {
        key: String,
        action: String,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::NoIdentityAllow => f.write_str("no identity-based policy allows the action"),
            Note::BoundaryDoesNotAllow => f.write_str("the permissions boundary does not allow the action"),
            Note::SessionPolicyDoesNotAllow => f.write_str("the session policy does not allow the action"),
            Note::ScpLevelDoesNotAllow(level) => {
                write!(f, "no service control policy at level {level} allows the action")
            }
            Note::CrossAccountNoResourceAllow => f.write_str(
                "cross-account request: the resource-based policy of the resource's account does not allow it",
            ),
            Note::AllowedByResourcePolicy => f.write_str(
                "allowed by the resource-based policy alone (same account, principal named directly)",
            ),
            Note::MissingContextKey(key) => {
                write!(f, "condition key `{key}` is not in the request context")
            }
            Note::KeyNeverSent { key, action } => write!(
                f,
                "requests for `{action}` never carry condition key `{key}`, so conditions on it see it missing"
            ),
        }
    }
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation<'a> {
    pub decision: Decision,
    /// For `explicitDeny`, the denying statements; for `allowed`, the
    /// allowing ones of every layer that had to allow.
    pub matched: Vec<Matched<'a>>,
    pub notes: Vec<Note>,
}

/// The condition keys tested by statements that cover the request's action
/// and resource but that the request context lacks, in policy order, each
/// once. For explaining decisions; [`evaluate`] does not compute them.
pub fn missing_context_keys(req: &Request, set: &PolicySet<'_>) -> Vec<String> {
    let resource = req.resource_parts();
    let mut out: Vec<String> = Vec::new();
    let policies = set
        .identity
        .iter()
        .copied()
        .chain(set.boundary)
        .chain(set.session)
        .chain(set.resource)
        .chain(set.scps.iter().flatten().copied())
        .chain(set.rcps.iter().flatten().copied());
    for policy in policies {
        for st in &policy.statements {
            if !st.matches_action(&req.action_lower) || !st.matches_resource(req, &resource) {
                continue;
            }
            for c in st.conditions() {
                if c.operator.kind != OperatorKind::Null
                    && req.context.get(&c.key_lower).is_none()
                    && !out.iter().any(|k| k.eq_ignore_ascii_case(&c.key))
                {
                    out.push(c.key.clone());
                }
            }
        }
    }
    out
}

struct Hit<'a> {
    matched: Matched<'a>,
    principal: PrincipalMatch,
}

/// Evaluates one request. Never fails.
pub fn evaluate<'a>(req: &Request, set: &PolicySet<'a>) -> Evaluation<'a> {
    let resource = req.resource_parts();
    let mut hits: Vec<Hit<'a>> = Vec::new();
    let mut scan = |policy: &'a Policy, layer: Layer| {
        for st in &policy.statements {
            if !st.applies(req, &resource) {
                continue;
            }
            if let Some(principal) = st.principal_match(&req.principal, set.boundary.is_some()) {
                hits.push(Hit {
                    matched: Matched {
                        policy: &policy.name,
                        layer,
                        sid: st.sid.as_deref(),
                        index: st.index,
                        effect: st.effect,
                    },
                    principal,
                });
            }
        }
    };
    for p in &set.identity {
        scan(p, Layer::Identity);
    }
    if let Some(p) = set.boundary {
        scan(p, Layer::PermissionsBoundary);
    }
    if let Some(p) = set.session {
        scan(p, Layer::Session);
    }
    if let Some(p) = set.resource {
        scan(p, Layer::Resource);
    }
    for (level, policies) in set.scps.iter().enumerate() {
        for p in policies {
            scan(p, Layer::Scp(level));
        }
    }
    for (level, policies) in set.rcps.iter().enumerate() {
        for p in policies {
            scan(p, Layer::Rcp(level));
        }
    }
    decide(req, set, hits)
}

/// The decision alone, exactly as [`evaluate`] gives it, without collecting
/// the statements that decided: it stops at the first matching `Deny` and
/// allocates nothing. For bulk questions —
/// `who-can`, the benchmark — where only the answer matters; [`evaluate`]
/// explains it.
pub fn decision(req: &Request, set: &PolicySet<'_>) -> Decision {
    let resource = req.resource_parts();
    let has_boundary = set.boundary.is_some();
    // Scans one policy: `None` on a matching Deny, else whether an Allow
    // matched and the best principal match among them.
    let scan = |policy: &Policy| -> Option<Option<PrincipalMatch>> {
        let mut best: Option<PrincipalMatch> = None;
        for st in &policy.statements {
            if !st.applies(req, &resource) {
                continue;
            }
            if let Some(m) = st.principal_match(&req.principal, has_boundary) {
                if st.effect == Effect::Deny {
                    return None;
                }
                best = best.max(Some(m));
            }
        }
        Some(best)
    };
    let mut identity = false;
    for p in &set.identity {
        match scan(p) {
            None => return Decision::ExplicitDeny,
            Some(m) => identity |= m.is_some(),
        }
    }
    let mut boundary = set.boundary.is_none();
    if let Some(p) = set.boundary {
        match scan(p) {
            None => return Decision::ExplicitDeny,
            Some(m) => boundary = m.is_some(),
        }
    }
    let mut session = set.session.is_none();
    if let Some(p) = set.session {
        match scan(p) {
            None => return Decision::ExplicitDeny,
            Some(m) => session = m.is_some(),
        }
    }
    let mut resource_match = None;
    if let Some(p) = set.resource {
        match scan(p) {
            None => return Decision::ExplicitDeny,
            Some(m) => resource_match = m,
        }
    }
    let mut scp_missing = false;
    for policies in &set.scps {
        let mut level = false;
        for p in policies {
            match scan(p) {
                None => return Decision::ExplicitDeny,
                Some(m) => level |= m.is_some(),
            }
        }
        scp_missing |= !level;
    }
    for policies in &set.rcps {
        for p in policies {
            if scan(p).is_none() {
                return Decision::ExplicitDeny;
            }
        }
    }
    if scp_missing {
        return Decision::ImplicitDeny;
    }
    let identity_side = identity && boundary && session;
    let allowed = if req.same_account() {
        match resource_match {
            Some(PrincipalMatch::Direct) => true,
            Some(PrincipalMatch::Role) if boundary && session => true,
            _ => identity_side,
        }
    } else {
        identity_side && resource_match.is_some()
    };
    if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

fn decide<'a>(req: &Request, set: &PolicySet<'a>, hits: Vec<Hit<'a>>) -> Evaluation<'a> {
    if hits.iter().any(|h| h.matched.effect == Effect::Deny) {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            matched: hits
                .into_iter()
                .filter(|h| h.matched.effect == Effect::Deny)
                .map(|h| h.matched)
                .collect(),
            notes: Vec::new(),
        };
    }
    // Every hit is now an Allow.
    let implicit = |note: Note| Evaluation {
        decision: Decision::ImplicitDeny,
        matched: Vec::new(),
        notes: vec![note],
    };
    let allows = |layer: Layer| hits.iter().any(|h| h.matched.layer == layer);
    for level in 0..set.scps.len() {
        if !allows(Layer::Scp(level)) {
            return implicit(Note::ScpLevelDoesNotAllow(level));
        }
    }
    let identity = allows(Layer::Identity);
    let boundary = set.boundary.is_none() || allows(Layer::PermissionsBoundary);
    let session = set.session.is_none() || allows(Layer::Session);
    let resource = hits
        .iter()
        .filter(|h| h.matched.layer == Layer::Resource)
        .map(|h| h.principal)
        .max();
    let identity_side = identity && boundary && session;
    let identity_note = || {
        if !identity {
            Note::NoIdentityAllow
        } else if !boundary {
            Note::BoundaryDoesNotAllow
        } else {
            Note::SessionPolicyDoesNotAllow
        }
    };
    let mut notes = Vec::new();
    let allowed = if req.same_account() {
        match resource {
            Some(PrincipalMatch::Direct) => {
                if !identity_side {
                    notes.push(Note::AllowedByResourcePolicy);
                }
                true
            }
            Some(PrincipalMatch::Role) if boundary && session => true,
            _ => identity_side,
        }
    } else {
        if identity_side && resource.is_none() {
            return implicit(Note::CrossAccountNoResourceAllow);
        }
        identity_side
    };
    if !allowed {
        return implicit(identity_note());
    }
    Evaluation {
        decision: Decision::Allowed,
        matched: hits.into_iter().map(|h| h.matched).collect(),
        notes,
    }
}
