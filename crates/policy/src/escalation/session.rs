//! Sessions the attacker can obtain, and the requests made with them.
//!
//! A request is tried as the state makes it (a user's long-term keys, a
//! role's session), then — only when the policies involved test a session
//! key — with each session the attacker can obtain:
//!
//! - a user's session from `sts:GetSessionToken`: "No permissions are
//!   required for users to perform this operation" (STS API reference,
//!   GetSessionToken); it carries `aws:TokenIssueTime`, but "You cannot call
//!   any IAM API operations unless MFA authentication information is
//!   included in the request. You cannot call any STS API except AssumeRole
//!   or GetCallerIdentity.";
//! - the same with MFA, when the user may enable a virtual MFA device for
//!   itself (`iam:CreateVirtualMFADevice`, `iam:EnableMFADevice`): the
//!   attacker holds the device; a role assumed with it has MFA too;
//! - a role session with the source identity the attacker chose, when it
//!   assumed the role with `sts:SetSourceIdentity` allowed: each value the
//!   role's policies compare `aws:SourceIdentity` with is tried.

use crate::eval::{decision, evaluate, Decision, Layer, Matched, Policy, PolicySet, Request};

/// Session condition keys a policy tests (a bit set).
pub(super) type Keys = u8;
const TIME: Keys = 1;
const MFA: Keys = 2;
pub(super) const SOURCE: Keys = 4;

/// The session keys a policy's conditions test.
pub(super) fn keys_of(p: &Policy) -> Keys {
    let mut k = 0;
    for st in &p.statements {
        for c in st.conditions() {
            k |= match c.key_lower.as_str() {
                "aws:tokenissuetime" => TIME,
                "aws:multifactorauthpresent" | "aws:multifactorauthage" => MFA,
                "aws:sourceidentity" | "sts:sourceidentity" => SOURCE,
                _ => 0,
            };
        }
    }
    k
}

/// How the attacker makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Session {
    /// As the state is: a user's long-term keys, a role's session.
    AsIs,
    /// A user's session from `sts:GetSessionToken`, without MFA.
    GetSessionToken,
    /// With MFA from a device the attacker enabled.
    Mfa,
    /// A role session with this source identity.
    SourceIdentity(String),
}

impl Session {
    /// How a step names it; `None` for [`Session::AsIs`].
    pub fn describe(&self) -> Option<String> {
        match self {
            Session::AsIs => None,
            Session::GetSessionToken => Some(
                "a session from `sts:GetSessionToken` (no policy controls it), issued now".into(),
            ),
            Session::Mfa => Some(
                "a session with MFA from a virtual MFA device it enables, issued now".to_owned(),
            ),
            Session::SourceIdentity(v) => Some(format!(
                "a role session with source identity `{v}`, set when assuming the role"
            )),
        }
    }
}

/// What the attacker holds while acting as a principal.
pub(super) struct View<'s, 'a> {
    pub set: &'s PolicySet<'a>,
    pub user: bool,
    /// Session keys its policies (and joined groups') test.
    pub keys: Keys,
    /// It can sign in with MFA (a device it enabled, or a role assumed with
    /// one).
    pub mfa: bool,
    /// Source identities it may carry (a role assumed with
    /// `sts:SetSourceIdentity`): the values its policies test.
    pub sources: &'s [String],
    pub now: Option<&'s str>,
}

/// The deciding statement(s) of an allowed request.
pub(super) struct Allowed {
    pub session: Session,
    pub statement: String,
    pub statements: Vec<String>,
}

fn named(m: &Matched<'_>) -> String {
    match m.sid {
        Some(sid) => format!("{} (Sid `{sid}`)", m.policy),
        None => format!("{} (statement {})", m.policy, m.index),
    }
}

impl View<'_, '_> {
    /// The sessions worth trying for a request, in order.
    fn sessions(&self, extra_keys: Keys, action_lower: &str) -> Vec<Session> {
        let mut out = vec![Session::AsIs];
        let keys = self.keys | extra_keys;
        if keys == 0 {
            return out;
        }
        let iam_or_sts = action_lower.starts_with("iam:")
            || (action_lower.starts_with("sts:") && action_lower != "sts:assumerole");
        if self.user && keys & TIME != 0 && self.now.is_some() && !iam_or_sts {
            out.push(Session::GetSessionToken);
        }
        if self.mfa && keys & (MFA | TIME) != 0 {
            out.push(Session::Mfa);
        }
        if keys & SOURCE != 0 {
            out.extend(self.sources.iter().cloned().map(Session::SourceIdentity));
        }
        out
    }

    /// The request made with `session`.
    pub fn request(&self, session: &Session, req: &Request) -> Request {
        let mut r = req.clone();
        match session {
            Session::AsIs => {}
            Session::GetSessionToken | Session::Mfa => {
                if let Some(now) = self.now {
                    r.context.set("aws:TokenIssueTime", now);
                }
                if *session == Session::Mfa {
                    r.context.set("aws:MultiFactorAuthPresent", "true");
                    r.context.set("aws:MultiFactorAuthAge", "0");
                }
            }
            Session::SourceIdentity(v) => {
                r.context.set("aws:SourceIdentity", v.as_str());
                r.context.set("sts:SourceIdentity", v.as_str());
            }
        }
        r
    }

    /// The first session with which `req` is allowed under `set` (the
    /// view's policies, with a resource policy perhaps).
    pub fn session_for(
        &self,
        req: &Request,
        set: &PolicySet<'_>,
        extra_keys: Keys,
    ) -> Option<Session> {
        if decision(req, set) == Decision::Allowed {
            return Some(Session::AsIs);
        }
        self.sessions(extra_keys, &req.action_lower)
            .into_iter()
            .skip(1)
            .find(|s| decision(&self.request(s, req), set) == Decision::Allowed)
    }

    /// Whether `req` is allowed, with which session and statements.
    pub fn allows(&self, req: &Request, resource: Option<&Policy>) -> Option<Allowed> {
        let mut set = self.set.clone();
        set.resource = resource;
        let extra = resource.map_or(0, keys_of);
        let session = self.session_for(req, &set, extra)?;
        Some(self.explain(session, req, &set))
    }

    /// The statements that allow `req` made with `session`.
    pub fn explain(&self, session: Session, req: &Request, set: &PolicySet<'_>) -> Allowed {
        let r = self.request(&session, req);
        let e = evaluate(&r, set);
        let mut statements: Vec<String> = Vec::new();
        let order = [Layer::Identity, Layer::Resource, Layer::PermissionsBoundary];
        for layer in order {
            for m in e.matched.iter().filter(|m| m.layer == layer) {
                let n = named(m);
                if !statements.contains(&n) {
                    statements.push(n);
                }
            }
        }
        Allowed {
            session,
            statement: statements.first().cloned().unwrap_or_default(),
            statements,
        }
    }
}
