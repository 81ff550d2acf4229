//! `who-can`: every principal of an account allowed an action, and the
//! statements that allow it.

use smallvec::SmallVec;

use super::{principal_request, resource_predicate};
use crate::account::{Account, Entity, Source};
use crate::catalog::{Action, Service};
use crate::eval::{
    decision, evaluate, Context, Decision, Effect, Layer, Policy, PolicySet, Request,
};

/// A statement that allowed something, and how it reached the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Because<'a> {
    pub policy: &'a str,
    pub sid: Option<&'a str>,
    pub statement: usize,
    /// `None` for a resource-based policy.
    pub via: Option<&'a Source>,
}

/// One principal allowed one action.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// Index into [`Account::principals`].
    pub principal: usize,
    /// Index into the actions asked about.
    pub action: usize,
    pub because: SmallVec<[Because<'a>; 1]>,
}

fn because<'a>(
    account: &'a Account,
    entity: &'a Entity,
    policy: &'a str,
    sid: Option<&'a str>,
    index: usize,
) -> Because<'a> {
    // The first identity policy of that name: found by address (the
    // statement's policy itself), then only the ones before it compared by
    // text.
    let named = |a: &&crate::account::Attached| {
        let name = &account.policies[a.policy].name;
        name.len() == policy.len() && name == policy
    };
    let same = entity
        .identity
        .iter()
        .position(|a| std::ptr::eq(account.policies[a.policy].name.as_str(), policy))
        .unwrap_or(entity.identity.len());
    let via = entity.identity[..same]
        .iter()
        .find(named)
        .or_else(|| entity.identity[same..].iter().find(named))
        .map(|a| &a.source);
    Because {
        policy,
        sid,
        statement: index,
        via,
    }
}

/// Every principal allowed each action, on `resource` or, without one, on
/// some resource the action takes. `resource_policy` is the resource's own
/// policy, if any.
pub fn who_can<'a>(
    account: &'a Account,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    base: &Context,
    resource_policy: Option<&'a Policy>,
) -> Vec<Grant<'a>> {
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
            // `who-can sts:AssumeRole ROLE`: the role's trust policy decides
            // too, unless the caller gave a resource policy.
            set.resource = resource_policy.or_else(|| {
                let resource = resource?;
                actions.iter().find_map(|(service, action)| {
                    account.implied_resource_policy(
                        &format!("{}:{}", service.prefix, action.name),
                        resource,
                    )
                })
            });
            set
        })
        .collect();
    // Both cores: each thread takes a contiguous share of the principals.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(requests.len().max(1));
    let share = requests.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<Grant<'a>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .chunks_mut(share)
            .enumerate()
            .map(|(part, requests)| {
                let sets = &sets;
                scope.spawn(move || {
                    who_can_part(account, actions, resource, requests, part * share, sets)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("who-can worker"))
            .collect()
    });
    // In action order, then principal order, as one thread would give them.
    let mut grants: Vec<Grant<'a>> = parts.drain(..).flatten().collect();
    grants.sort_by_key(|g| (g.action, g.principal));
    grants
}

/// The service parts of a policy's `Allow` actions, lower-cased, each once
/// (`None`: some statement can allow any service), read once per policy.
/// When no `Allow` statement can name an action of a service, no action of
/// the service is allowed by the policy and its evaluation can be skipped.
struct AllowedServices(Option<Vec<String>>);

impl AllowedServices {
    fn of(policy: &Policy) -> AllowedServices {
        let mut services: Vec<String> = Vec::new();
        for st in &policy.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            if st.actions.not {
                return AllowedServices(None);
            }
            for t in &st.actions.text {
                let t = t.to_ascii_lowercase();
                match t.split_once(':') {
                    Some((service, _)) if !services.iter().any(|s| s == service) => {
                        services.push(service.to_owned());
                    }
                    Some(_) => {}
                    None if t == "*" => return AllowedServices(None),
                    None => {}
                }
            }
        }
        AllowedServices(Some(services))
    }

    /// Whether an `Allow` statement can name some action of the service
    /// `prefix` (lowercase).
    fn may_allow(&self, prefix: &str) -> bool {
        match &self.0 {
            None => true,
            Some(services) => services
                .iter()
                .any(|service| crate::catalog::glob::wildcard_match(service, prefix)),
        }
    }
}

/// [`who_can`] for the principals `first..first + requests.len()`.
///
/// Only pairs that can be allowed are evaluated: a principal is allowed an
/// action only if one of its identity policies or the resource policy has
/// an `Allow` statement whose `Action` covers it (it is neither the root
/// user nor a service). That is read once per distinct policy: per service
/// (can an `Allow` name an action of it), then per action.
fn who_can_part<'a>(
    account: &'a Account,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    requests: &mut [Request],
    first: usize,
    sets: &[PolicySet<'a>],
) -> Vec<Grant<'a>> {
    // The distinct policies (by address) that can allow, and each
    // principal's among them.
    let mut slot_of: std::collections::HashMap<*const Policy, u32> = Default::default();
    let mut policies: Vec<&Policy> = Vec::new();
    let slots: Vec<SmallVec<[u32; 8]>> = (0..requests.len())
        .map(|k| {
            let set = &sets[first + k];
            set.identity
                .iter()
                .copied()
                .chain(set.resource)
                .map(|p| {
                    *slot_of.entry(p as *const Policy).or_insert_with(|| {
                        policies.push(p);
                        (policies.len() - 1) as u32
                    })
                })
                .collect()
        })
        .collect();
    let allowed: Vec<AllowedServices> = policies.iter().map(|p| AllowedServices::of(p)).collect();
    // Per slot: may allow the current service, then the current action.
    let mut service_may = vec![false; policies.len()];
    let mut action_may = vec![false; policies.len()];
    let mut grants = Vec::new();
    let mut service_seen: Option<&str> = None;
    let mut name = String::new();
    let mut lower = String::new();
    for (a, (service, action)) in actions.iter().enumerate() {
        if service_seen != Some(service.prefix.as_str()) {
            service_seen = Some(service.prefix.as_str());
            for (m, allowed) in service_may.iter_mut().zip(&allowed) {
                *m = allowed.may_allow(&service.prefix);
            }
        }
        name.clear();
        name.push_str(&service.prefix);
        name.push(':');
        name.push_str(&action.name);
        lower.clear();
        lower.push_str(&name);
        lower.make_ascii_lowercase();
        // Allowed without any policy.
        let always = crate::eval::caller_identity(&lower);
        let bit = crate::eval::service_bit(&lower);
        let mut any = false;
        for ((m, &s), p) in action_may.iter_mut().zip(&service_may).zip(&policies) {
            *m = s
                && p.statements
                    .iter()
                    .any(|st| st.effect == Effect::Allow && st.matches_action_bit(&lower, bit));
            any |= *m;
        }
        if !any && !always {
            continue;
        }
        let predicate = resource
            .is_none()
            .then(|| resource_predicate(service, action));
        for (k, req) in requests.iter_mut().enumerate() {
            if !always && !slots[k].iter().any(|&s| action_may[s as usize]) {
                continue;
            }
            let i = first + k;
            req.set_action(&name);
            req.set_any_resource(predicate.clone());
            // The cheap decision first; the statements only for grants.
            if decision(req, &sets[i]) != Decision::Allowed {
                continue;
            }
            let evaluation = evaluate(req, &sets[i]);
            if evaluation.decision == Decision::Allowed {
                let entity = &account.principals[i];
                grants.push(Grant {
                    principal: i,
                    action: a,
                    because: evaluation
                        .matched
                        .iter()
                        .filter(|m| m.layer != Layer::PermissionsBoundary)
                        .map(|m| because(account, entity, m.policy, m.sid, m.index))
                        .collect(),
                });
            }
        }
    }
    grants
}
