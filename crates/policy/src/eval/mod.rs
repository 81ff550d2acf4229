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
//!    (user, role session, federated user, or `*`) is enough — except a
//!    role's trust policy, after which the principal's permissions boundary
//!    must still allow the `sts:` action; one that names the session's role still needs the permissions boundary and session
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
mod rules_tests;
#[cfg(test)]
mod tests;

use std::fmt;

pub use condition::{parse_date, Condition, Operator, OperatorKind, SetOperator, OPERATORS};
pub use err::ModelError;
pub(crate) use model::service_bit;
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
    /// `sts:GetCallerIdentity` needs no permission and cannot be denied.
    CallerIdentityAlwaysAllowed,
    /// Same account, a role's trust policy or a KMS key policy: it must
    /// allow the principal itself, an identity-based policy is not enough.
    ResourcePolicyMustAllow(Required),
    /// A service principal is granted access by a resource-based policy
    /// only.
    ServiceNeedsResourcePolicy,
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
            Note::CallerIdentityAlwaysAllowed => f.write_str(
                "`sts:GetCallerIdentity` needs no permission and cannot be denied",
            ),
            Note::ResourcePolicyMustAllow(Required::TrustPolicy) => f.write_str(
                "the role's trust policy does not allow the principal (a trust policy must allow explicitly, also within the account)",
            ),
            Note::ResourcePolicyMustAllow(Required::KeyPolicy) => f.write_str(
                "the KMS key policy does not allow the principal (a key policy must allow explicitly, also within the account)",
            ),
            Note::ServiceNeedsResourcePolicy => f.write_str(
                "a service principal is granted access only by the resource-based policy, which does not allow it",
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

/// A resource-based policy that must allow the principal explicitly, also
/// in the same account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// `sts:AssumeRole*` on a role: its trust policy.
    TrustPolicy,
    /// A `kms:` action on a key: its key policy.
    KeyPolicy,
}

impl Required {
    /// Which resource-based policy the request needs an explicit allow
    /// from, if any: "IAM role trust policies and KMS key policies are
    /// exceptions to this logic, because they must explicitly allow access
    /// for principals" (reference_policies_evaluation-logic_policy-eval-denyallow).
    pub fn of(action_lower: &str, resource: &str) -> Option<Required> {
        let parts = pattern::split_arn(resource)?;
        // `sts:AssumeRole*`, and `sts:TagSession` / `sts:SetSourceIdentity`
        // that come with it, are decided on the role by its trust policy.
        if action_lower.starts_with("sts:") && parts[2] == "iam" && parts[5].starts_with("role/") {
            return Some(Required::TrustPolicy);
        }
        if action_lower.starts_with("kms:") && parts[2] == "kms" && parts[5].starts_with("key/") {
            return Some(Required::KeyPolicy);
        }
        None
    }
}

/// Whether the action is `sts:GetCallerIdentity` (lower-cased), which "no
/// permissions are required to perform" and an explicit deny does not stop
/// (STS API reference, GetCallerIdentity).
pub(crate) fn caller_identity(action_lower: &str) -> bool {
    action_lower == "sts:getcalleridentity"
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
    let mut out: Vec<&str> = Vec::new();
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
        note_missing_keys(req, &resource, policy, &mut out);
    }
    out.into_iter().map(str::to_owned).collect()
}

/// [`missing_context_keys`] of one policy, added to `out`.
fn note_missing_keys<'a>(
    req: &Request,
    resource: &pattern::ArnParts<'_>,
    policy: &'a Policy,
    out: &mut Vec<&'a str>,
) {
    for st in &policy.statements {
        if st.covers_action(req) && st.matches_resource(req, resource) {
            missing_in_statement(req, st, out);
        }
    }
}

/// The condition keys of a statement (that covers the request) that the
/// request context lacks, added to `out` unless already there.
fn missing_in_statement<'a>(req: &Request, st: &'a Statement, out: &mut Vec<&'a str>) {
    for c in st.conditions() {
        if c.operator.kind != OperatorKind::Null
            && req.context.get(&c.key_lower).is_none()
            && !out.iter().any(|k| k.eq_ignore_ascii_case(&c.key))
        {
            out.push(&c.key);
        }
    }
}

struct Hit<'a> {
    matched: Matched<'a>,
    principal: PrincipalMatch,
}

/// Which layers a request is scanned against: SCPs "apply to principals of
/// the account where the SCPs are attached", so not to a service principal.
fn scps_apply(req: &Request) -> bool {
    req.principal.kind != PrincipalKind::Service
}

/// Evaluates one request. Never fails.
pub fn evaluate<'a>(req: &Request, set: &PolicySet<'a>) -> Evaluation<'a> {
    evaluate_inner(req, set, None)
}

/// [`evaluate`], adding to `missing` what [`missing_context_keys`] gives
/// (borrowed from the policies), in the same pass over the statements.
pub fn evaluate_noting<'a>(
    req: &Request,
    set: &PolicySet<'a>,
    missing: &mut Vec<&'a str>,
) -> Evaluation<'a> {
    evaluate_inner(req, set, Some(missing))
}

fn evaluate_inner<'a>(
    req: &Request,
    set: &PolicySet<'a>,
    mut missing: Option<&mut Vec<&'a str>>,
) -> Evaluation<'a> {
    let resource = req.resource_parts();
    if caller_identity(&req.action_lower) {
        if let Some(out) = missing {
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
                note_missing_keys(req, &resource, policy, out);
            }
        }
        return Evaluation {
            decision: Decision::Allowed,
            matched: Vec::new(),
            notes: vec![Note::CallerIdentityAlwaysAllowed],
        };
    }
    // Inline for the usual few: no allocation unless many statements match.
    let mut hits: smallvec::SmallVec<[Hit<'a>; 6]> = smallvec::SmallVec::new();
    let mut scan = |policy: &'a Policy, layer: Layer, missing: &mut Option<&mut Vec<&'a str>>| {
        for st in &policy.statements {
            if !st.covers_action(req) || !st.matches_resource(req, &resource) {
                continue;
            }
            if let Some(out) = missing.as_deref_mut() {
                missing_in_statement(req, st, out);
            }
            if !st.conditions.iter().all(|c| c.holds(&req.context)) {
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
        scan(p, Layer::Identity, &mut missing);
    }
    if let Some(p) = set.boundary {
        scan(p, Layer::PermissionsBoundary, &mut missing);
    }
    if let Some(p) = set.session {
        scan(p, Layer::Session, &mut missing);
    }
    if let Some(p) = set.resource {
        scan(p, Layer::Resource, &mut missing);
    }
    if scps_apply(req) {
        for (level, policies) in set.scps.iter().enumerate() {
            for p in policies {
                scan(p, Layer::Scp(level), &mut missing);
            }
        }
    } else if let Some(out) = missing.as_deref_mut() {
        // Not evaluated, but their keys are still worth a note.
        for p in set.scps.iter().flatten() {
            note_missing_keys(req, &resource, p, out);
        }
    }
    for (level, policies) in set.rcps.iter().enumerate() {
        for p in policies {
            scan(p, Layer::Rcp(level), &mut missing);
        }
    }
    decide(req, set, hits)
}

/// What the Allow statements of each layer amount to, once no Deny matched.
struct Sides {
    identity: bool,
    /// True when there is no boundary.
    boundary: bool,
    /// True when there is no session policy.
    session: bool,
    /// The best principal match among the resource policy's Allows.
    resource: Option<PrincipalMatch>,
    /// The first SCP level that allows nothing.
    scp_missing: Option<usize>,
}

/// The final step of the evaluation logic, shared by [`evaluate`] and
/// [`decision`]: `Ok` with an optional note when allowed, `Err` with the
/// reason for an implicit deny.
fn conclude(req: &Request, set: &PolicySet<'_>, s: &Sides) -> Result<Option<Note>, Note> {
    if let Some(level) = s.scp_missing {
        return Err(Note::ScpLevelDoesNotAllow(level));
    }
    if req.principal.kind == PrincipalKind::Service {
        // A service has no identity policies, boundary or session: the
        // resource-based policy alone grants it access.
        return match s.resource {
            Some(_) => Ok(None),
            None => Err(Note::ServiceNeedsResourcePolicy),
        };
    }
    // "By default, all requests are implicitly denied with the exception of
    // the AWS account root user, which has full access"
    // (reference_policies_evaluation-logic_policy-eval-denyallow): the root
    // user needs no identity-based policy; SCPs, RCPs, explicit denies and
    // the resource owner's policy still apply.
    let root = req.principal.kind == PrincipalKind::Root;
    let identity_side = (s.identity || root) && s.boundary && s.session;
    let identity_note = || {
        if !s.identity {
            Note::NoIdentityAllow
        } else if !s.boundary {
            Note::BoundaryDoesNotAllow
        } else {
            Note::SessionPolicyDoesNotAllow
        }
    };
    if req.same_account() {
        match s.resource {
            Some(PrincipalMatch::Direct) if identity_side => Ok(None),
            // A trust policy naming the principal itself still needs its
            // permissions boundary: "If a permissions boundary is set for
            // the user, then it must allow the sts:AssumeRole action"
            // (id_roles_update-role-trust-policy).
            Some(PrincipalMatch::Direct)
                if !s.boundary
                    && Required::of(&req.action_lower, &req.resource)
                        == Some(Required::TrustPolicy) =>
            {
                Err(Note::BoundaryDoesNotAllow)
            }
            Some(PrincipalMatch::Direct) => Ok(Some(Note::AllowedByResourcePolicy)),
            Some(PrincipalMatch::Role) if s.boundary && s.session => Ok(None),
            None if set.resource.is_some() => {
                match Required::of(&req.action_lower, &req.resource) {
                    Some(required) => Err(Note::ResourcePolicyMustAllow(required)),
                    None if identity_side => Ok(None),
                    None => Err(identity_note()),
                }
            }
            _ if identity_side => Ok(None),
            _ => Err(identity_note()),
        }
    } else if !identity_side {
        Err(identity_note())
    } else if s.resource.is_none() {
        Err(Note::CrossAccountNoResourceAllow)
    } else {
        Ok(None)
    }
}

/// The decision alone, exactly as [`evaluate`] gives it, without collecting
/// the statements that decided: it stops at the first matching `Deny` and
/// allocates nothing. For bulk questions —
/// `who-can`, the benchmark — where only the answer matters; [`evaluate`]
/// explains it.
pub fn decision(req: &Request, set: &PolicySet<'_>) -> Decision {
    if caller_identity(&req.action_lower) {
        return Decision::Allowed;
    }
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
    let mut scp_missing = None;
    if scps_apply(req) {
        for (i, policies) in set.scps.iter().enumerate() {
            let mut level = false;
            for p in policies {
                match scan(p) {
                    None => return Decision::ExplicitDeny,
                    Some(m) => level |= m.is_some(),
                }
            }
            if !level && scp_missing.is_none() {
                scp_missing = Some(i);
            }
        }
    }
    for policies in &set.rcps {
        for p in policies {
            if scan(p).is_none() {
                return Decision::ExplicitDeny;
            }
        }
    }
    let sides = Sides {
        identity,
        boundary,
        session,
        resource: resource_match,
        scp_missing,
    };
    match conclude(req, set, &sides) {
        Ok(_) => Decision::Allowed,
        Err(_) => Decision::ImplicitDeny,
    }
}

fn decide<'a>(
    req: &Request,
    set: &PolicySet<'a>,
    hits: smallvec::SmallVec<[Hit<'a>; 6]>,
) -> Evaluation<'a> {
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
    let allows = |layer: Layer| hits.iter().any(|h| h.matched.layer == layer);
    let scp_missing = if scps_apply(req) {
        (0..set.scps.len()).find(|&level| !allows(Layer::Scp(level)))
    } else {
        None
    };
    let sides = Sides {
        identity: allows(Layer::Identity),
        boundary: set.boundary.is_none() || allows(Layer::PermissionsBoundary),
        session: set.session.is_none() || allows(Layer::Session),
        resource: hits
            .iter()
            .filter(|h| h.matched.layer == Layer::Resource)
            .map(|h| h.principal)
            .max(),
        scp_missing,
    };
    match conclude(req, set, &sides) {
        Ok(note) => Evaluation {
            decision: Decision::Allowed,
            matched: hits.into_iter().map(|h| h.matched).collect(),
            notes: note.into_iter().collect(),
        },
        Err(note) => Evaluation {
            decision: Decision::ImplicitDeny,
            matched: Vec::new(),
            notes: vec![note],
        },
    }
}
