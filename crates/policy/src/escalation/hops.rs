//! What the attacker can do from one state: become another principal, join
//! a group, or write permissions. Each kind of hop is its own function;
//! every one is decided by the engine, through [`View`].

use std::sync::Arc;

use super::graph::Graph;
use super::methods;
use super::session::{Allowed, Session, View, SOURCE};
use super::{Kind, Step};
use crate::account::{EntityKind, Source};
use crate::eval::{Effect, PolicySet, Request};

/// Who the attacker acts as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct State {
    pub principal: usize,
    /// Groups it joined on the way (indices, sorted).
    pub joined: Vec<usize>,
    /// It signs in with MFA.
    pub mfa: bool,
    /// A role session whose source identity the attacker chose.
    pub source: bool,
}

/// A hop to another state.
pub(super) struct Hop {
    pub to: State,
    pub step: Step,
    /// For a hop whose statements are named only if a path uses it
    /// (`sts:AssumeRole`): the session and the trust policy.
    pub deferred: Option<(Session, usize)>,
}

/// What a write changes: a principal's own policies, a group's, or a
/// managed policy's default version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Principal(usize),
    Group(usize),
    Policy(usize),
}

pub(super) struct Write {
    pub target: Written,
    pub step: Step,
}

/// Everything a state can do.
pub(super) struct Out {
    pub admin: bool,
    pub hops: Vec<Hop>,
    pub writes: Vec<Write>,
}

/// The policies and session abilities of a state.
pub(super) struct Acting<'a> {
    pub state: State,
    pub set: PolicySet<'a>,
    pub keys: u8,
    pub sources: Vec<String>,
}

impl<'a> Acting<'a> {
    pub fn new(g: &Graph<'a>, state: &State) -> Acting<'a> {
        let mut set = g.sets[state.principal].clone();
        let mut keys = g.principal_keys[state.principal];
        for &gi in &state.joined {
            for &p in &g.groups[gi].policies {
                set.identity.push(&g.account.policies[p]);
                keys |= g.keys[p];
            }
        }
        let sources = if state.source {
            source_values(&set)
        } else {
            Vec::new()
        };
        Acting {
            state: state.clone(),
            set,
            keys,
            sources,
        }
    }

    pub fn view<'s>(&'s self, g: &'s Graph<'a>) -> View<'s, 'a> {
        View {
            set: &self.set,
            user: g.account.principals[self.state.principal].kind == EntityKind::User,
            keys: self.keys,
            mfa: self.state.mfa,
            sources: &self.sources,
            now: g.now.as_deref(),
        }
    }

    /// Whether an identity policy of the state can allow `action` at all.
    fn names(&self, action: &str) -> bool {
        let lower = action.to_ascii_lowercase();
        self.set.identity.iter().any(|p| {
            p.statements
                .iter()
                .any(|s| s.effect == Effect::Allow && s.matches_action(&lower))
        })
    }

    /// The request for `action` on `resource` (or, with `any`, on some
    /// resource it acts on), with extra context keys.
    fn request(
        &self,
        g: &Graph<'_>,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
        any: bool,
    ) -> Request {
        let mut req = g.base[self.state.principal].clone();
        req.set_action(action);
        if any {
            req.set_any_resource(
                g.predicate(action)
                    .or_else(|| Some(Arc::new(|_: &str| true))),
            );
        } else {
            req.resource = resource.to_owned();
            req.resource_account = resource.split(':').nth(4).unwrap_or_default().to_owned();
        }
        for (k, v) in extra {
            req.context.set(k, *v);
        }
        req
    }

    fn allows(
        &self,
        g: &Graph<'a>,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
    ) -> Option<Allowed> {
        let req = self.request(g, action, resource, extra, false);
        self.view(g).allows(&req, None)
    }
}

/// Values the policies compare `aws:SourceIdentity` with.
fn source_values(set: &PolicySet<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in set.identity.iter().chain(set.boundary.iter()) {
        for st in &p.statements {
            for c in st.conditions() {
                if c.key_lower == "aws:sourceidentity" {
                    for v in c.sample_values() {
                        if !out.contains(&v) {
                            out.push(v);
                        }
                    }
                }
            }
        }
    }
    out
}

/// A step of `state`'s principal.
fn step(g: &Graph<'_>, from: &State, method: &str, action: &str, resource: &str) -> Step {
    Step {
        principal: g.arn(from.principal).to_owned(),
        method: method.to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        statement: String::new(),
        statements: Vec::new(),
        session: None,
        effect: String::new(),
        if_resource_exists: false,
    }
}

fn decided(mut s: Step, a: Allowed, effect: String) -> Step {
    s.statement = a.statement;
    s.statements = a.statements;
    s.session = a.session.describe();
    s.effect = effect;
    s
}

/// Whether a user state can sign in with MFA: it may create and enable a
/// virtual MFA device for itself.
pub(super) fn can_enable_mfa(g: &Graph<'_>, principal: usize, joined: &[usize]) -> bool {
    let e = &g.account.principals[principal];
    if e.kind != EntityKind::User {
        return false;
    }
    let a = Acting::new(
        g,
        &State {
            principal,
            joined: joined.to_vec(),
            mfa: false,
            source: false,
        },
    );
    let device = format!(
        "arn:{}:iam::{}:mfa/{}",
        g.account.partition, g.account.account_id, e.name
    );
    a.names("iam:EnableMFADevice")
        && a.allows(g, "iam:CreateVirtualMFADevice", &device, &[])
            .is_some()
        && a.allows(g, "iam:EnableMFADevice", &e.arn, &[]).is_some()
}

/// Everything `state` can do.
pub(super) fn out(g: &Graph<'_>, state: &State) -> Out {
    let a = Acting::new(g, state);
    let admin = if state.joined.is_empty() {
        g.admin[state.principal]
    } else {
        g.admin_with(
            state.principal,
            &a.set.identity[g.sets[state.principal].identity.len()..],
        )
    };
    if admin {
        return Out {
            admin,
            hops: Vec::new(),
            writes: Vec::new(),
        };
    }
    let mut hops = Vec::new();
    credentials(g, &a, &mut hops);
    assume(g, &a, &mut hops);
    rewrite_trust(g, &a, &mut hops);
    services(g, &a, &mut hops);
    join(g, &a, &mut hops);
    let mut writes = Vec::new();
    write_principals(g, &a, &mut writes);
    write_groups(g, &a, &mut writes);
    policy_versions(g, &a, &mut writes);
    Out {
        admin,
        hops,
        writes,
    }
}

fn user_state(g: &Graph<'_>, u: usize) -> State {
    State {
        principal: u,
        joined: Vec::new(),
        mfa: can_enable_mfa(g, u, &[]),
        source: false,
    }
}

/// Becoming another user: access keys or a login profile.
fn credentials(g: &Graph<'_>, a: &Acting<'_>, hops: &mut Vec<Hop>) {
    let me = a.state.principal;
    for (id, action) in [
        ("iam-002", "iam:CreateAccessKey"),
        ("iam-004", "iam:CreateLoginProfile"),
        ("iam-006", "iam:UpdateLoginProfile"),
    ] {
        if !a.names(action) {
            continue;
        }
        for &u in &g.users {
            if u == me || hops.iter().any(|h| h.to.principal == u) {
                continue;
            }
            let arn = g.arn(u);
            if let Some(ok) = a.allows(g, action, arn, &[]) {
                let s = step(g, &a.state, id, action, arn);
                hops.push(Hop {
                    to: user_state(g, u),
                    step: decided(s, ok, format!("acts as `{arn}`")),
                    deferred: None,
                });
            }
        }
    }
}

/// Assuming roles: identity policy and trust policy. One decision each;
/// the statements are named later, for the hops a path uses.
fn assume(g: &Graph<'_>, a: &Acting<'_>, hops: &mut Vec<Hop>) {
    let me = a.state.principal;
    let my_arn = g.arn(me);
    let names = a.names("sts:AssumeRole");
    let view = a.view(g);
    let mut req = g.base[me].clone();
    req.set_action("sts:AssumeRole");
    let mut set = a.set.clone();
    for &r in &g.roles {
        let Some(t) = g.account.principals[r].trust else {
            continue;
        };
        if r == me || (!names && !g.trusts_named[r].contains(my_arn)) {
            continue;
        }
        let arn = g.arn(r);
        req.resource.clear();
        req.resource.push_str(arn);
        req.resource_account.clear();
        req.resource_account
            .push_str(arn.split(':').nth(4).unwrap_or_default());
        set.resource = Some(&g.account.policies[t]);
        let Some(session) = view.session_for(&req, &set, g.keys[t]) else {
            continue;
        };
        // A source identity of its choice, when the role's policies test
        // one and it may set it (both sides, like the assume itself).
        let source = g.principal_keys[r] & SOURCE != 0 && session == Session::AsIs && {
            let mut s = req.clone();
            s.set_action("sts:SetSourceIdentity");
            view.session_for(&s, &set, g.keys[t]) == Some(Session::AsIs)
        };
        // Named (and its texts made) only if a path uses it.
        let s = Step {
            principal: String::new(),
            method: String::new(),
            action: String::new(),
            resource: String::new(),
            statement: String::new(),
            statements: Vec::new(),
            session: None,
            effect: String::new(),
            if_resource_exists: false,
        };
        hops.push(Hop {
            to: State {
                principal: r,
                joined: Vec::new(),
                mfa: a.state.mfa,
                source,
            },
            step: s,
            deferred: Some((session, t)),
        });
    }
}

/// Rewriting a role's trust policy to name itself, then assuming it.
fn rewrite_trust(g: &Graph<'_>, a: &Acting<'_>, hops: &mut Vec<Hop>) {
    if !a.names("iam:UpdateAssumeRolePolicy") {
        return;
    }
    let me = a.state.principal;
    for &r in &g.roles {
        if r == me || hops.iter().any(|h| h.to.principal == r) {
            continue;
        }
        let arn = g.arn(r);
        if let Some(ok) = a.allows(g, "iam:UpdateAssumeRolePolicy", arn, &[]) {
            let s = step(g, &a.state, "iam-012", "iam:UpdateAssumeRolePolicy", arn);
            hops.push(Hop {
                to: State {
                    principal: r,
                    joined: Vec::new(),
                    mfa: false,
                    source: false,
                },
                step: decided(s, ok, format!("makes `{arn}` trust it, then assumes it")),
                deferred: None,
            });
        }
    }
}

/// Passing a role to a service that can assume it, or using an existing
/// resource that runs as one.
fn services(g: &Graph<'_>, a: &Acting<'_>, hops: &mut Vec<Hop>) {
    let view = a.view(g);
    for m in methods() {
        if !matches!(m.kind, Kind::NewPassrole | Kind::ExistingResource) {
            continue;
        }
        let Some(service) = &m.service else { continue };
        let passes = m
            .actions
            .iter()
            .any(|x| x.eq_ignore_ascii_case("iam:PassRole"));
        let others: Vec<&String> = m
            .actions
            .iter()
            .filter(|x| !x.eq_ignore_ascii_case("iam:PassRole"))
            .collect();
        if !others.iter().all(|x| a.names(x)) || (passes && !a.names("iam:PassRole")) {
            continue;
        }
        let mut proofs: Vec<(String, Allowed)> = Vec::new();
        for x in &others {
            let req = a.request(g, x, "*", &[], true);
            match view.allows(&req, None) {
                Some(ok) => proofs.push((x.to_string(), ok)),
                None => break,
            }
        }
        if proofs.len() != others.len() || proofs.is_empty() {
            continue;
        }
        for &r in g.trusting.get(service).map_or(&[][..], Vec::as_slice) {
            let taken = |h: &Hop| h.to.principal == r && !h.step.if_resource_exists;
            if r == a.state.principal || hops.iter().any(taken) {
                continue;
            }
            let arn = g.arn(r);
            let (action, ok) = if passes {
                match a.allows(g, "iam:PassRole", arn, &[("iam:PassedToService", service)]) {
                    Some(ok) => ("iam:PassRole", ok),
                    None => continue,
                }
            } else {
                let (x, ok) = &proofs[0];
                (
                    x.as_str(),
                    Allowed {
                        session: ok.session.clone(),
                        statement: ok.statement.clone(),
                        statements: ok.statements.clone(),
                    },
                )
            };
            let mut effect = format!("runs as `{arn}` through {} ({service})", m.name);
            if !passes {
                effect.push_str(", if such a resource exists");
            } else {
                let also: Vec<String> = proofs
                    .iter()
                    .map(|(x, ok)| format!("{x} by {}", ok.statement))
                    .collect();
                effect.push_str(&format!("; with {}", also.join(", ")));
            }
            let mut s = decided(step(g, &a.state, &m.id, action, arn), ok, effect);
            s.if_resource_exists = !passes;
            hops.push(Hop {
                to: State {
                    principal: r,
                    joined: Vec::new(),
                    mfa: false,
                    source: false,
                },
                step: s,
                deferred: None,
            });
        }
    }
}

/// A user adding itself to a group: it then acts with the group's
/// policies too.
fn join(g: &Graph<'_>, a: &Acting<'_>, hops: &mut Vec<Hop>) {
    let me = a.state.principal;
    let e = &g.account.principals[me];
    if e.kind != EntityKind::User || !a.names("iam:AddUserToGroup") {
        return;
    }
    for (gi, group) in g.groups.iter().enumerate() {
        if group.policies.is_empty()
            || e.groups.contains(&group.name)
            || a.state.joined.contains(&gi)
        {
            continue;
        }
        if let Some(ok) = a.allows(g, "iam:AddUserToGroup", &group.arn, &[]) {
            let mut joined = a.state.joined.clone();
            joined.push(gi);
            joined.sort_unstable();
            let s = step(g, &a.state, "iam-013", "iam:AddUserToGroup", &group.arn);
            hops.push(Hop {
                to: State {
                    principal: me,
                    mfa: can_enable_mfa(g, me, &joined),
                    joined,
                    source: false,
                },
                step: decided(
                    s,
                    ok,
                    format!("joins group `{}`, gaining its policies", group.name),
                ),
                deferred: None,
            });
        }
    }
}

/// Writing an administrator policy into a user or role (inline or
/// attached).
fn write_principals(g: &Graph<'_>, a: &Acting<'_>, writes: &mut Vec<Write>) {
    for (id, action, kind) in [
        ("iam-007", "iam:PutUserPolicy", EntityKind::User),
        ("iam-005", "iam:PutRolePolicy", EntityKind::Role),
        ("iam-008", "iam:AttachUserPolicy", EntityKind::User),
        ("iam-009", "iam:AttachRolePolicy", EntityKind::Role),
    ] {
        if !a.names(action) {
            continue;
        }
        let targets = if kind == EntityKind::User {
            &g.users
        } else {
            &g.roles
        };
        for &y in targets {
            if g.admin[y] || !g.gained[y] {
                continue;
            }
            let arn = g.arn(y);
            let found = if action.contains("Attach") {
                g.attachable.iter().find_map(|p| {
                    a.allows(g, action, arn, &[("iam:PolicyARN", p)])
                        .map(|ok| (ok, format!("attaches `{p}` to `{arn}`")))
                })
            } else {
                a.allows(g, action, arn, &[])
                    .map(|ok| (ok, format!("writes an administrator policy into `{arn}`")))
            };
            if let Some((ok, effect)) = found {
                writes.push(Write {
                    target: Written::Principal(y),
                    step: decided(step(g, &a.state, id, action, arn), ok, effect),
                });
            }
        }
    }
}

/// Writing an administrator policy into a group (inline or attached).
fn write_groups(g: &Graph<'_>, a: &Acting<'_>, writes: &mut Vec<Write>) {
    for (id, action) in [
        ("iam-011", "iam:PutGroupPolicy"),
        ("iam-010", "iam:AttachGroupPolicy"),
    ] {
        if !a.names(action) {
            continue;
        }
        for (gi, group) in g.groups.iter().enumerate() {
            let name = &group.name;
            let found = if action == "iam:AttachGroupPolicy" {
                g.attachable.iter().find_map(|p| {
                    a.allows(g, action, &group.arn, &[("iam:PolicyARN", p)])
                        .map(|ok| (ok, format!("attaches `{p}` to group `{name}`")))
                })
            } else {
                a.allows(g, action, &group.arn, &[]).map(|ok| {
                    (
                        ok,
                        format!("writes an administrator policy into group `{name}`"),
                    )
                })
            };
            if let Some((ok, effect)) = found {
                writes.push(Write {
                    target: Written::Group(gi),
                    step: decided(step(g, &a.state, id, action, &group.arn), ok, effect),
                });
            }
        }
    }
}

/// A new default version of a customer-managed policy that someone holds.
fn policy_versions(g: &Graph<'_>, a: &Acting<'_>, writes: &mut Vec<Write>) {
    let action = "iam:CreatePolicyVersion";
    if !a.names(action) {
        return;
    }
    let mut seen: Vec<usize> = Vec::new();
    let held = g
        .account
        .principals
        .iter()
        .flat_map(|e| e.identity.iter().map(|x| x.policy))
        .chain(g.groups.iter().flat_map(|x| x.policies.iter().copied()));
    for p in held {
        let name = &g.account.policies[p].name;
        if seen.contains(&p)
            || !name.starts_with("arn:")
            || name.contains('#')
            || name.contains(":aws:policy/")
        {
            continue;
        }
        seen.push(p);
        if let Some(ok) = a.allows(g, action, name, &[]) {
            let effect = format!("makes an administrator version of `{name}` the default");
            writes.push(Write {
                target: Written::Policy(p),
                step: decided(step(g, &a.state, "iam-001", action, name), ok, effect),
            });
        }
    }
}

/// Whether a write reaches `state`'s principal (its own policies, a group
/// it is in or joined, a managed policy it holds).
pub(super) fn touches(g: &Graph<'_>, state: &State, w: Written) -> bool {
    let e = &g.account.principals[state.principal];
    match w {
        Written::Principal(y) => y == state.principal,
        Written::Group(gi) => {
            state.joined.contains(&gi) || g.groups[gi].members.contains(&state.principal)
        }
        Written::Policy(p) => {
            e.identity.iter().any(|x| x.policy == p)
                || state
                    .joined
                    .iter()
                    .any(|&gi| g.groups[gi].policies.contains(&p))
        }
    }
}

/// How a policy version write reaches a principal, for the step's effect.
pub(super) fn holder(g: &Graph<'_>, state: &State, w: Written) -> String {
    let e = &g.account.principals[state.principal];
    match w {
        Written::Policy(p) => match e.identity.iter().find(|x| x.policy == p).map(|x| &x.source) {
            Some(Source::Group(gn)) => format!(", attached to `{}` through group `{gn}`", e.name),
            Some(Source::Direct) => format!(", attached to `{}`", e.name),
            None => format!(", held by `{}` through a group it joined", e.name),
        },
        _ => String::new(),
    }
}

/// Names the statements of a deferred hop (`sts:AssumeRole`).
pub(super) fn name_deferred(g: &Graph<'_>, from: &State, hop: &Hop) -> Step {
    let Some((session, trust)) = &hop.deferred else {
        return hop.step.clone();
    };
    let arn = g.arn(hop.to.principal);
    let mut s = step(g, from, "sts-001", "sts:AssumeRole", arn);
    s.effect = format!("becomes `{arn}`");
    s.session = session.describe();
    let a = Acting::new(g, from);
    let req = a.request(g, &s.action, &s.resource, &[], false);
    let mut set = a.set.clone();
    set.resource = Some(&g.account.policies[*trust]);
    let ok = a.view(g).explain(session.clone(), &req, &set);
    s.statement = ok.statement;
    s.statements = ok.statements;
    s
}
