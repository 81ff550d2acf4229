//! The effective access a plan changes: who gains or loses which actions,
//! over the whole action catalog, computed with the evaluation engine on the
//! account as it is and as it will be once the plan is applied (so
//! `NotAction`, wildcards, denies and boundaries count), summarised per
//! service and access level for a reviewer.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_policy::account::{Account, Entity};
use iamctl_policy::analysis::{principal_request, resource_predicate, RISKY};
use iamctl_policy::catalog::{catalog, AccessLevel};
use iamctl_policy::eval::{
    decision, evaluate, missing_context_keys, Context, Decision, Effect, Layer, Policy, PolicySet,
    Statement,
};
use iamctl_policy::snapshot::Snapshot;
use jiff::Timestamp;

use iamctl_config::{rfc3339, DesiredAccount};

use crate::plan::{AccessChange, Plan, RiskyAction, Warning};

/// What `p`'s changes do, added to it: each principal's effective-access
/// change and the new privilege-escalation paths (`snapshot` is the account
/// as read; the account after is its projection through the plan's changes,
/// [`crate::project::after`]).
pub fn add_effects(p: &mut Plan, desired: &DesiredAccount, snapshot: &Snapshot, now: Timestamp) {
    if p.changes.is_empty() {
        return;
    }
    let expiries: HashMap<String, Timestamp> = desired
        .policies
        .values()
        .filter_map(|p| p.expires.map(|e| (p.arn.clone(), e)))
        .collect();
    let after = crate::project::after(snapshot, &p.changes, &desired.account_id);
    p.access = access_changes(snapshot, &after, now, &expiries);
    match iamctl_policy::escalation::new_paths(snapshot, &after) {
        Ok(paths) => p.escalations = paths.iter().map(escalation_sentence).collect(),
        Err(e) => p.warnings.push(Warning::EscalationsNotLookedFor {
            error: e.to_string(),
        }),
    }
}

/// `user alice`, `role deployer` from an ARN.
fn who(arn: &str) -> String {
    let resource = arn.rsplit(':').next().unwrap_or(arn);
    match resource.split_once('/') {
        Some((kind, rest)) => format!("{kind} {}", rest.rsplit('/').next().unwrap_or(rest)),
        None => arn.to_owned(),
    }
}

/// One new escalation path in a line: `user alice can become admin:
/// iam:CreatePolicyVersion on policy/team-dev (makes an administrator
/// version of ... the default, attached to `alice`; allowed by ...)`.
pub fn escalation_sentence(p: &iamctl_policy::escalation::EscalationPath) -> String {
    let goal = if p.target == "admin" {
        "admin".to_owned()
    } else {
        format!("`{}`", p.target)
    };
    let steps: Vec<String> = p
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let actor = if i == 0 {
                String::new()
            } else {
                format!("then as {}, ", who(&st.principal))
            };
            // `policy/team-dev` rather than the whole ARN.
            let resource = match st.resource.strip_prefix("arn:") {
                Some(rest) => rest.splitn(5, ':').nth(4).unwrap_or(&st.resource),
                None => &st.resource,
            };
            format!(
                "{actor}{} on {resource} ({}; allowed by {})",
                st.action, st.effect, st.statement
            )
        })
        .collect();
    format!(
        "{} can become {goal}{}: {}",
        who(&p.principal),
        if p.if_resource_exists {
            " (if such a resource exists)"
        } else {
            ""
        },
        steps.join("; ")
    )
}

/// How one action reaches a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    /// Every allowing policy is temporary: the latest expiry.
    until: Option<Timestamp>,
    /// Condition keys every allowing statement depends on (empty when one
    /// allows unconditionally).
    conditions: Vec<String>,
    /// The `Resource` patterns of the allowing statements, when the
    /// principal holds few actions (else empty).
    resources: Vec<String>,
}

/// Keys the expiry of a temporary grant uses: said with `until`.
fn time_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("aws:CurrentTime") || key.eq_ignore_ascii_case("aws:EpochTime")
}

/// Whether an action is risky, and why: the analysis module's list
/// (privilege escalation, `iam:PassRole`, `sts:AssumeRole`), and every
/// permissions-management action of IAM, STS and Organizations (credential
/// and policy writes).
pub fn risky(service: &str, action: &str, level: AccessLevel) -> Option<String> {
    let name = format!("{service}:{action}");
    if let Some((_, why)) = RISKY.iter().find(|(a, _)| a.eq_ignore_ascii_case(&name)) {
        return Some((*why).to_owned());
    }
    let credential = [
        "CreateAccessKey",
        "CreateServiceSpecificCredential",
        "UploadSSHPublicKey",
        "UploadSigningCertificate",
        "CreateVirtualMFADevice",
        "ResetServiceSpecificCredential",
        "UpdateAccessKey",
    ];
    if service == "iam" && credential.iter().any(|c| c.eq_ignore_ascii_case(action)) {
        return Some("writes credentials".to_owned());
    }
    (level == AccessLevel::PermissionsManagement
        && matches!(service, "iam" | "sts" | "organizations"))
    .then(|| "writes permissions".to_owned())
}

/// Every action of the catalog the principal may perform on some resource,
/// as the engine decides with `ctx`; and the actions an Allow statement
/// would grant if the request carried condition keys `ctx` lacks.
fn effective(
    account: &Account,
    entity: &Entity,
    ctx: &Context,
    expiries: &HashMap<String, Timestamp>,
) -> HashMap<String, Held> {
    let mut req = principal_request(account, entity, ctx, "*");
    let set = account.policy_set(entity);
    let allows: Vec<&Statement> = set
        .identity
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.effect == Effect::Allow)
        .collect();
    // Which allowing statements, only when it can matter.
    let explain = allows.iter().any(|s| !s.conditions().is_empty())
        || set.identity.iter().any(|p| expiries.contains_key(&p.name));
    let unsatisfied = allows.iter().any(|s| {
        s.conditions()
            .iter()
            .any(|c| req.context.get(&c.key_lower).is_none())
    });
    let by_name: HashMap<&str, &Policy> =
        set.identity.iter().map(|p| (p.name.as_str(), *p)).collect();
    let nothing = PolicySet::default();
    let mut out = HashMap::new();
    let mut lower = String::new();
    for service in catalog().services() {
        for action in service.actions() {
            let name = format!("{}:{}", service.prefix, action.name);
            lower.clear();
            lower.push_str(&name.to_ascii_lowercase());
            let named: Vec<&&Statement> =
                allows.iter().filter(|s| s.matches_action(&lower)).collect();
            if named.is_empty() {
                continue;
            }
            req.set_action(&name);
            req.set_any_resource(Some(resource_predicate(service, action)));
            if decision(&req, &nothing) == Decision::Allowed {
                // Needs no permission (sts:GetCallerIdentity): no one gains it.
                continue;
            }
            if decision(&req, &set) == Decision::Allowed {
                if !explain {
                    out.insert(
                        name,
                        Held {
                            until: None,
                            conditions: Vec::new(),
                            resources: Vec::new(),
                        },
                    );
                    continue;
                }
                let e = evaluate(&req, &set);
                let mut until: Option<Timestamp> = None;
                let mut permanent = false;
                let mut unconditional = false;
                let mut keys: BTreeSet<String> = BTreeSet::new();
                for m in e
                    .matched
                    .iter()
                    .filter(|m| m.layer == Layer::Identity && m.effect == Effect::Allow)
                {
                    match expiries.get(m.policy) {
                        Some(t) => until = until.max(Some(*t)),
                        None => permanent = true,
                    }
                    let st = by_name
                        .get(m.policy)
                        .and_then(|p| p.statements.iter().find(|s| s.index == m.index));
                    let own: Vec<&str> = st
                        .map(|s| {
                            s.conditions()
                                .iter()
                                .map(|c| c.key.as_str())
                                .filter(|k| !time_key(k))
                                .collect()
                        })
                        .unwrap_or_default();
                    if own.is_empty() {
                        unconditional = true;
                    }
                    keys.extend(own.into_iter().map(str::to_owned));
                }
                out.insert(
                    name,
                    Held {
                        until: if permanent { None } else { until },
                        conditions: if unconditional {
                            Vec::new()
                        } else {
                            keys.into_iter().collect()
                        },
                        resources: Vec::new(),
                    },
                );
            } else if unsatisfied {
                // Allowed only with keys the request lacks: a conditional grant.
                let missing = missing_context_keys(&req, &set);
                let keys: BTreeSet<String> = named
                    .iter()
                    .flat_map(|s| s.conditions().iter())
                    .filter(|c| missing.iter().any(|k| k.eq_ignore_ascii_case(&c.key)))
                    .map(|c| c.key.clone())
                    .collect();
                if !keys.is_empty() {
                    out.insert(
                        name,
                        Held {
                            until: None,
                            conditions: keys.into_iter().collect(),
                            resources: Vec::new(),
                        },
                    );
                }
            }
        }
    }
    // Few actions: each is named, so say on which resources.
    if out.len() <= RESOURCES_UP_TO {
        for (name, held) in out.iter_mut() {
            let Some((service, action)) = catalog().lookup(name) else {
                continue;
            };
            req.set_action(name);
            req.set_any_resource(Some(resource_predicate(service, action)));
            let e = evaluate(&req, &set);
            let mut patterns = BTreeSet::new();
            for m in e
                .matched
                .iter()
                .filter(|m| m.layer == Layer::Identity && m.effect == Effect::Allow)
            {
                let st = by_name
                    .get(m.policy)
                    .and_then(|p| p.statements.iter().find(|s| s.index == m.index));
                match st.map(|s| s.resource_patterns()) {
                    Some(Some(rs)) => patterns.extend(rs),
                    Some(None) => {
                        patterns.insert("(NotResource)".to_owned());
                    }
                    None => {}
                }
            }
            held.resources = patterns.into_iter().collect();
        }
    }
    out
}

/// The policies that decide for `entity`, as a cache key; `None` when a
/// statement depends on the principal (policy variables, principal keys).
fn policy_key(account: &Account, entity: &Entity) -> Option<String> {
    let set = account.policy_set(entity);
    let mut key = format!("{}|", entity.kind.as_str());
    for (i, p) in set.identity.iter().chain(set.boundary.iter()).enumerate() {
        let text = format!("{:?}", p.statements).to_ascii_lowercase();
        if [
            "${",
            "aws:principal",
            "aws:username",
            "aws:userid",
            "aws:sourceidentity",
        ]
        .iter()
        .any(|k| text.contains(k))
        {
            return None;
        }
        if set.boundary.is_some() && i == set.identity.len() {
            key.push_str("boundary:");
        }
        key.push_str(&p.name);
        key.push('|');
    }
    Some(key)
}

/// `compute(entity)`, shared between principals with the same policies.
fn cached(
    cache: &mut HashMap<String, HashMap<String, Held>>,
    account: &Account,
    entity: &Entity,
    compute: impl Fn(&Entity) -> HashMap<String, Held>,
) -> HashMap<String, Held> {
    match policy_key(account, entity) {
        Some(key) => cache.entry(key).or_insert_with(|| compute(entity)).clone(),
        None => compute(entity),
    }
}

/// Up to how many allowed actions a principal's resources are listed.
const RESOURCES_UP_TO: usize = 40;

/// Who gains or loses what between two snapshots of one account, over every
/// action AWS documents. `expiries` maps temporary policies' ARNs to their
/// expiry.
pub fn access_changes(
    before: &Snapshot,
    after: &Snapshot,
    now: Timestamp,
    expiries: &HashMap<String, Timestamp>,
) -> Vec<AccessChange> {
    let (before, after) = (
        Account::from_snapshot(before),
        Account::from_snapshot(after),
    );
    let mut ctx = Context::new();
    ctx.set("aws:CurrentTime", rfc3339(now));
    ctx.set("aws:EpochTime", now.as_second().to_string());
    ctx.set("aws:MultiFactorAuthPresent", "true");
    ctx.set("aws:SecureTransport", "true");
    let mut out = Vec::new();
    // Principals with the same policies (seed 004's users of one grant) are
    // decided once, when nothing in them depends on who asks.
    let mut was_cache: HashMap<String, HashMap<String, Held>> = HashMap::new();
    let mut will_cache: HashMap<String, HashMap<String, Held>> = HashMap::new();
    // By kind and name: a path change moves the ARN, not the principal.
    let names: BTreeSet<(&str, &str)> = before
        .principals
        .iter()
        .chain(after.principals.iter())
        .map(|e| (e.kind.as_str(), e.name.as_str()))
        .collect();
    for (kind, name) in names {
        let b = before
            .principals
            .iter()
            .find(|e| e.kind.as_str() == kind && e.name == name);
        let a = after
            .principals
            .iter()
            .find(|e| e.kind.as_str() == kind && e.name == name);
        let identity = |acc: &Account, e: &Entity| -> Vec<String> {
            e.identity
                .iter()
                .map(|x| acc.policies[x.policy].name.clone())
                .collect()
        };
        let same = match (b, a) {
            (Some(b), Some(a)) => {
                identity(&before, b) == identity(&after, a)
                    && b.boundary.map(|i| &before.policies[i].name)
                        == a.boundary.map(|i| &after.policies[i].name)
                    && b.identity.iter().all(|x| {
                        let name = &before.policies[x.policy].name;
                        after.policies.iter().any(|p| &p.name == name)
                            && !changed_policy(&before, &after, name)
                    })
            }
            _ => false,
        };
        if same {
            continue;
        }
        let was = b.map_or_else(HashMap::new, |b| {
            cached(&mut was_cache, &before, b, |e| {
                effective(&before, e, &ctx, expiries)
            })
        });
        let will = a.map_or_else(HashMap::new, |a| {
            cached(&mut will_cache, &after, a, |e| {
                effective(&after, e, &ctx, expiries)
            })
        });
        let who = b
            .or(a)
            .map_or_else(String::new, |e| format!("{} {}", e.kind.as_str(), e.name));
        // (change, until, conditions) → the actions.
        type Terms = (&'static str, Option<Timestamp>, Vec<String>);
        let mut groups: BTreeMap<Terms, Vec<(&str, &Held)>> = BTreeMap::new();
        for (name, held) in &will {
            match was.get(name) {
                None => groups
                    .entry(("gains", held.until, held.conditions.clone()))
                    .or_default()
                    .push((name, held)),
                Some(old) if old != held => groups
                    .entry(("keeps", held.until, held.conditions.clone()))
                    .or_default()
                    .push((name, held)),
                Some(_) => {}
            }
        }
        for (name, held) in &was {
            if !will.contains_key(name) {
                groups
                    .entry(("loses", held.until, held.conditions.clone()))
                    .or_default()
                    .push((name, held));
            }
        }
        for ((change, until, conditions), names) in groups {
            let mut actions: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
            let mut risks = Vec::new();
            let mut resources = BTreeMap::new();
            for (name, held) in names {
                if !held.resources.is_empty() {
                    resources.insert(name.to_owned(), held.resources.clone());
                }
                let Some((service, action)) = catalog().lookup(name) else {
                    continue;
                };
                actions
                    .entry(service.prefix.clone())
                    .or_default()
                    .entry(action.access_level.as_str().to_owned())
                    .or_default()
                    .push(action.name.clone());
                if let Some(why) = risky(&service.prefix, &action.name, action.access_level) {
                    risks.push(RiskyAction {
                        action: name.to_owned(),
                        why,
                    });
                }
            }
            for levels in actions.values_mut() {
                for list in levels.values_mut() {
                    list.sort();
                }
            }
            risks.sort();
            out.push(AccessChange {
                principal: who.clone(),
                change: change.to_owned(),
                until: until.map(rfc3339),
                conditions,
                actions,
                resources,
                risky: risks,
            });
        }
    }
    out.sort_by(|x, y| {
        (&x.principal, order(&x.change), &x.until, &x.conditions).cmp(&(
            &y.principal,
            order(&y.change),
            &y.until,
            &y.conditions,
        ))
    });
    out
}

fn order(change: &str) -> u8 {
    match change {
        "gains" => 0,
        "keeps" => 1,
        _ => 2,
    }
}

/// Services named first when a summary gives examples: the ones reviewers
/// look for.
const NOTABLE: &[&str] = &[
    "iam",
    "sts",
    "organizations",
    "ec2",
    "s3",
    "lambda",
    "rds",
    "dynamodb",
    "kms",
    "secretsmanager",
    "ssm",
    "cloudformation",
    "ecs",
    "eks",
    "sqs",
    "sns",
    "cloudtrail",
    "logs",
];

/// Access levels, the most powerful first.
const LEVELS: &[&str] = &["Permissions management", "Write", "Tagging", "Read", "List"];

/// The number of actions at or below which a summary names each of them.
const FEW: usize = 6;

/// How many actions a service has at an access level (AWS's words).
fn level_total(service: &str, level: &str) -> usize {
    catalog().service(service).map_or(0, |s| {
        s.actions()
            .filter(|a| a.access_level.as_str() == level)
            .count()
    })
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

impl AccessChange {
    /// How many actions.
    pub fn count(&self) -> usize {
        self.actions
            .values()
            .flat_map(|l| l.values())
            .map(Vec::len)
            .sum()
    }

    /// One sentence for a reviewer: `role ci gains Write on 380 services
    /// (including ec2, s3, lambda); Read on 410 services ...`, each action
    /// named only when few change.
    pub fn sentence(&self) -> String {
        let mut out = format!("{} {}", self.principal, self.change);
        if let Some(u) = &self.until {
            out.push_str(&format!(" until {u}"));
        }
        if !self.conditions.is_empty() {
            out.push_str(&format!(
                " (only when the request meets conditions on {})",
                self.conditions.join(", ")
            ));
        }
        out.push_str(if self.until.is_some() || !self.conditions.is_empty() {
            ": "
        } else {
            " "
        });
        let n = self.count();
        if n <= FEW {
            let all: Vec<String> = self
                .actions
                .iter()
                .flat_map(|(s, l)| l.values().flatten().map(move |a| format!("{s}:{a}")))
                .map(|a| match self.resources.get(&a) {
                    Some(r) if r.iter().any(|r| r != "*") => format!("{a} on {}", r.join(", ")),
                    _ => a,
                })
                .collect();
            out.push_str(&all.join(", "));
        } else {
            let mut parts = Vec::new();
            for level in LEVELS {
                let mut services: Vec<(&str, usize)> = self
                    .actions
                    .iter()
                    .filter_map(|(s, l)| l.get(*level).map(|v| (s.as_str(), v.len())))
                    .collect();
                if services.is_empty() {
                    continue;
                }
                let actions: usize = services.iter().map(|(_, k)| k).sum();
                let word = level.to_ascii_lowercase();
                if actions <= 3 {
                    let names: Vec<String> = self
                        .actions
                        .iter()
                        .filter_map(|(s, l)| l.get(*level).map(|v| (s, v)))
                        .flat_map(|(s, v)| v.iter().map(move |a| format!("{s}:{a}")))
                        .collect();
                    parts.push((false, format!("{word} {}", names.join(", "))));
                } else if services.len() <= 3 {
                    let names: Vec<String> = services
                        .iter()
                        .map(|(s, k)| format!("{s} ({})", plural(*k, "action")))
                        .collect();
                    parts.push((false, format!("{word} access to {}", names.join(", "))));
                } else {
                    // Well-known services where most of the level is held
                    // first, then the most actions.
                    services.sort_by_key(|(s, k)| {
                        let total = level_total(s, level);
                        let notable = NOTABLE.iter().position(|x| x == s).unwrap_or(NOTABLE.len());
                        if 2 * k >= total {
                            (0, notable, usize::MAX - k, *s)
                        } else {
                            (1, NOTABLE.len(), usize::MAX - k, *s)
                        }
                    });
                    let examples: Vec<&str> = services.iter().take(4).map(|(s, _)| *s).collect();
                    parts.push((
                        true,
                        format!(
                            "{word} access to {} ({}), including {}",
                            plural(services.len(), "service"),
                            plural(actions, "action"),
                            examples.join(", ")
                        ),
                    ));
                }
            }
            // What spans many services first (most powerful level first),
            // then the few single actions.
            parts.sort_by_key(|(big, _)| !big);
            let parts: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
            out.push_str(&parts.join("; "));
        }
        out
    }

    /// The risky actions, named (at most `max`, then how many more).
    pub fn risky_sentence(&self, max: usize) -> Option<String> {
        if self.risky.is_empty() {
            return None;
        }
        let mut names: Vec<String> = self
            .risky
            .iter()
            .take(max)
            .map(|r| format!("{} ({})", r.action, r.why))
            .collect();
        if self.risky.len() > max {
            names.push(format!("and {} more", self.risky.len() - max));
        }
        Some(format!("risky: {}", names.join(", ")))
    }
}

/// Whether the policy named `name` has other statements after the change.
fn changed_policy(before: &Account, after: &Account, name: &str) -> bool {
    let b = before.policies.iter().find(|p| p.name == name);
    let a = after.policies.iter().find(|p| p.name == name);
    match (b, a) {
        (Some(b), Some(a)) => format!("{:?}", b.statements) != format!("{:?}", a.statements),
        _ => true,
    }
}
