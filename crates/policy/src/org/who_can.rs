//! `who-can` and `access` over an organisation: every account's principals,
//! SCPs on the principal's path, the resource's policy and RCPs on the
//! resource's path.

use std::collections::BTreeMap;

use super::{OrgNote, Organization, Reason};
use crate::analysis::{access_with, resource_predicate, AccessSummary};
use crate::catalog::{catalog, Action, Service};
use crate::eval::{decision, Context, Decision, Effect};

/// One principal of one account allowed one action.
#[derive(Debug, Clone)]
pub struct OrgGrant {
    /// Index into [`Organization::members`].
    pub member: usize,
    /// Index into that member's `account.principals`.
    pub principal: usize,
    /// Index into the actions asked about.
    pub action: usize,
    pub reasons: Vec<Reason>,
    pub notes: Vec<OrgNote>,
}

/// Whether an identity policy of the principal has an `Allow` whose
/// `Action` covers the (lower-cased) action: without one, only a resource
/// policy of the same account can allow it.
fn identity_may_allow(org: &Organization, m: usize, p: usize, lower: &str, bit: u64) -> bool {
    let account = &org.members[m].account;
    account.principals[p].identity.iter().any(|a| {
        account.policies[a.policy]
            .statements
            .iter()
            .any(|st| st.effect == Effect::Allow && st.matches_action_bit(lower, bit))
    })
}

/// Every principal of every account allowed each action, on `resource` or,
/// without one, on some resource of its own account the action takes. In
/// action order, then account and principal order.
pub fn who_can(
    org: &Organization,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    base: &Context,
) -> Vec<OrgGrant> {
    let members: Vec<usize> = (0..org.members.len()).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(members.len().max(1));
    let share = members.len().div_ceil(threads).max(1);
    let mut grants: Vec<OrgGrant> = std::thread::scope(|scope| {
        let handles: Vec<_> = members
            .chunks(share)
            .map(|part| scope.spawn(move || who_can_part(org, actions, resource, base, part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    grants.sort_by_key(|g| (g.action, g.member, g.principal));
    grants
}

fn who_can_part(
    org: &Organization,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    base: &Context,
    members: &[usize],
) -> Vec<OrgGrant> {
    let mut grants = Vec::new();
    let owner = resource.and_then(|r| org.resource(r)).map(|r| r.member);
    for (a, (service, action)) in actions.iter().enumerate() {
        let name = format!("{}:{}", service.prefix, action.name);
        let lower = name.to_ascii_lowercase();
        let bit = crate::eval::service_bit(&lower);
        let always = crate::eval::caller_identity(&lower);
        let predicate = resource
            .is_none()
            .then(|| resource_predicate(service, action));
        for &m in members {
            // A resource policy in the principal's own account may allow on
            // its own.
            let resource_here = owner == Some(m)
                || resource.is_some_and(|r| {
                    org.members[m]
                        .account
                        .implied_resource_policy(&name, r)
                        .is_some()
                });
            for p in 0..org.members[m].account.principals.len() {
                if !always && !resource_here && !identity_may_allow(org, m, p, &lower, bit) {
                    continue;
                }
                let mut prepared = org.prepare(m, p, &name, resource, base);
                prepared.request.set_any_resource(predicate.clone());
                if decision(&prepared.request, &prepared.set) != Decision::Allowed {
                    continue;
                }
                let e = org.explain(&prepared);
                if e.decision == Decision::Allowed {
                    grants.push(OrgGrant {
                        member: m,
                        principal: p,
                        action: a,
                        reasons: e.reasons,
                        notes: e.notes,
                    });
                }
            }
        }
    }
    grants
}

/// What one principal can do: in its own account (under the SCPs on its
/// path), and on resources of other accounts whose policies let it in.
#[derive(Debug, Clone, Default)]
pub struct OrgAccess {
    pub own: AccessSummary,
    /// Resource ARN → the actions allowed on it (other accounts'
    /// resources; their policies and RCPs decide with the identity side).
    pub cross_account: BTreeMap<String, Vec<String>>,
    pub notes: Vec<OrgNote>,
}

/// [`OrgAccess`] of principal `p` of member `m`.
pub fn access(org: &Organization, m: usize, p: usize, base: &Context) -> OrgAccess {
    let prepared = org.prepare(m, p, "iam:none", None, base);
    let own = access_with(prepared.request.clone(), &prepared.set);
    let principal = prepared.request.principal.clone();
    let has_boundary = prepared.set.boundary.is_some();
    let mut cross_account: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut expanded: std::collections::HashMap<String, Vec<String>> = Default::default();
    for r in &org.resources {
        if r.member == m {
            continue;
        }
        let Some(policy) = &r.policy else { continue };
        // (action, resource pattern) pairs of the statements that name the
        // principal: each pattern stands for the resources it covers.
        let mut pairs: Vec<(String, String)> = Vec::new();
        for st in &policy.statements {
            if st.effect != Effect::Allow || st.principal_match(&principal, has_boundary).is_none()
            {
                continue;
            }
            let resources = st
                .resource_patterns()
                .unwrap_or_else(|| vec![r.arn.clone()]);
            for pattern in st.action_patterns().unwrap_or_default() {
                let list = expanded.entry(pattern.clone()).or_insert_with(|| {
                    catalog()
                        .expand(&pattern)
                        .into_iter()
                        .map(|(s, a)| format!("{}:{}", s.prefix, a.name))
                        .collect()
                });
                for action in list.iter() {
                    for res in &resources {
                        let res = if res == "*" { &r.arn } else { res };
                        pairs.push((action.clone(), res.clone()));
                    }
                }
            }
        }
        pairs.sort();
        pairs.dedup();
        let mut allowed: Vec<String> = pairs
            .into_iter()
            .filter(|(action, res)| {
                let prepared = org.prepare(m, p, action, Some(res), base);
                decision(&prepared.request, &prepared.set) == Decision::Allowed
            })
            .map(|(action, _)| action)
            .collect();
        allowed.dedup();
        if !allowed.is_empty() {
            cross_account.insert(r.arn.clone(), allowed);
        }
    }
    OrgAccess {
        own,
        cross_account,
        notes: prepared.notes,
    }
}
