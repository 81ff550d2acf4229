//! The account as the search sees it, set up in named phases: each
//! principal's base request and policies, who is an administrator already
//! (and who would be one given an allow-all policy), the groups, the
//! managed policies worth attaching, the roles each service can assume and
//! the condition keys each policy tests that a session could satisfy.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::Value;

use super::methods;
use super::session::{self, Keys};
use crate::account::{Account, EntityKind};
use crate::analysis::{principal_request, resource_predicate};
use crate::catalog::catalog;
use crate::eval::{
    decision, Context, Decision, Policy, PolicySet, Principal, Request, ResourcePredicate,
};
use crate::snapshot::Snapshot;

/// Actions an administrator can do on any resource.
const ADMIN_PROBES: &[&str] = &[
    "iam:CreateUser",
    "iam:PutRolePolicy",
    "iam:AttachUserPolicy",
    "ec2:RunInstances",
    "s3:GetObject",
    "s3:PutBucketPolicy",
    "kms:Decrypt",
    "lambda:CreateFunction",
    "organizations:DescribeOrganization",
];

pub(super) const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

pub(super) fn allow_all() -> &'static Policy {
    static ALL: OnceLock<Policy> = OnceLock::new();
    ALL.get_or_init(|| {
        Policy::from_text(
            "an administrator policy",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .expect("compiles")
    })
}

/// A group of the account.
pub(super) struct Group {
    pub name: String,
    pub arn: String,
    /// Principals (indices) that belong to it.
    pub members: Vec<usize>,
    /// Its inline and attached policies (indices into the account's).
    pub policies: Vec<usize>,
}

pub(super) struct Graph<'a> {
    pub account: &'a Account,
    /// Base request of each principal: its context keys, and for a role
    /// session `aws:TokenIssueTime`.
    pub base: Vec<Request>,
    pub sets: Vec<PolicySet<'a>>,
    pub admin: Vec<bool>,
    /// Would be an administrator with an allow-all policy (no boundary or
    /// SCP in the way): writing permissions into it is worth it.
    pub gained: Vec<bool>,
    pub groups: Vec<Group>,
    pub users: Vec<usize>,
    pub roles: Vec<usize>,
    /// Principal ARNs each role's trust policy names under `AWS`.
    pub trusts_named: Vec<HashSet<String>>,
    /// Managed policies that make their holder an administrator.
    pub attachable: Vec<String>,
    /// Roles each service principal can assume.
    pub trusting: HashMap<String, Vec<usize>>,
    /// Session condition keys each policy of the account tests.
    pub keys: Vec<Keys>,
    /// Session condition keys each principal's policies test.
    pub principal_keys: Vec<Keys>,
    /// The current instant, for sessions obtained now.
    pub now: Option<String>,
    predicates: RefCell<HashMap<String, Option<ResourcePredicate>>>,
}

impl<'a> Graph<'a> {
    pub fn new(
        account: &'a Account,
        snapshot: &Snapshot,
        scps: &'a [Vec<Policy>],
        now: Option<&str>,
    ) -> Graph<'a> {
        let n = account.principals.len();
        let mut g = Graph {
            account,
            base: base_requests(account, now),
            sets: policy_sets(account, scps),
            admin: Vec::new(),
            gained: Vec::new(),
            groups: groups(account, snapshot),
            users: (0..n)
                .filter(|i| account.principals[*i].kind == EntityKind::User)
                .collect(),
            roles: (0..n)
                .filter(|i| account.principals[*i].kind == EntityKind::Role)
                .collect(),
            trusts_named: trusts_named(account, snapshot),
            attachable: attachable(account),
            trusting: HashMap::new(),
            keys: account.policies.iter().map(session::keys_of).collect(),
            principal_keys: Vec::new(),
            now: now.map(str::to_owned),
            predicates: RefCell::new(HashMap::new()),
        };
        g.admin = (0..n).map(|i| g.admin_with(i, &[])).collect();
        g.gained = (0..n).map(|i| g.admin_with(i, &[allow_all()])).collect();
        g.trusting = trusting(account, &g.roles);
        g.principal_keys = account
            .principals
            .iter()
            .map(|e| {
                e.identity
                    .iter()
                    .map(|a| a.policy)
                    .chain(e.boundary)
                    .fold(0, |k, p| k | g.keys[p])
            })
            .collect();
        g
    }

    pub fn arn(&self, i: usize) -> &str {
        &self.account.principals[i].arn
    }

    /// The resource predicate of an action ("some resource it acts on").
    pub fn predicate(&self, action: &str) -> Option<ResourcePredicate> {
        self.predicates
            .borrow_mut()
            .entry(action.to_ascii_lowercase())
            .or_insert_with(|| {
                catalog()
                    .lookup(action)
                    .map(|(s, a)| resource_predicate(s, a))
            })
            .clone()
    }

    /// Whether principal `i` with `extra` identity policies is an
    /// administrator.
    pub fn admin_with(&self, i: usize, extra: &[&'a Policy]) -> bool {
        let mut set = self.sets[i].clone();
        set.identity.extend(extra.iter().copied());
        // Under SCPs, an administrator may do what the SCPs let anyone do.
        let ceiling = PolicySet {
            identity: vec![allow_all()],
            scps: set.scps.clone(),
            ..PolicySet::default()
        };
        ADMIN_PROBES.iter().all(|a| {
            let mut req = self.base[i].clone();
            req.set_action(a);
            req.set_any_resource(self.predicate(a));
            decision(&req, &set) == Decision::Allowed
                || (!set.scps.is_empty() && decision(&req, &ceiling) != Decision::Allowed)
        })
    }
}

/// Phase 1: each principal's base request. Every request carries
/// `aws:CurrentTime`; a role is acted as through a session, which carries
/// `aws:TokenIssueTime` (a fresh one: issued now).
fn base_requests(account: &Account, now: Option<&str>) -> Vec<Request> {
    account
        .principals
        .iter()
        .map(|e| {
            let mut ctx = Context::new();
            if let Some(now) = now {
                ctx.set("aws:CurrentTime", now);
                if e.kind == EntityKind::Role {
                    ctx.set("aws:TokenIssueTime", now);
                }
            }
            principal_request(account, e, &ctx, "*")
        })
        .collect()
}

/// Phase 2: each principal's policies, under the SCPs.
fn policy_sets<'a>(account: &'a Account, scps: &'a [Vec<Policy>]) -> Vec<PolicySet<'a>> {
    account
        .principals
        .iter()
        .map(|e| {
            let mut set = account.policy_set(e);
            set.scps = scps.iter().map(|level| level.iter().collect()).collect();
            set
        })
        .collect()
}

/// Phase 3: the groups, their members and policies.
fn groups(account: &Account, snapshot: &Snapshot) -> Vec<Group> {
    let by_name: HashMap<&str, usize> = account
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut out: Vec<Group> = Vec::new();
    for g in &snapshot.group_detail_list {
        let (name, arn) = (g.group_name.as_str(), g.arn.as_str());
        let mut policies: Vec<usize> = g
            .group_policy_list
            .iter()
            .filter_map(|p| {
                by_name
                    .get(format!("{arn}#{}", p.policy_name).as_str())
                    .copied()
            })
            .collect();
        policies.extend(
            g.attached_managed_policies
                .iter()
                .filter_map(|p| by_name.get(p.policy_arn.as_str()).copied()),
        );
        let members = (0..account.principals.len())
            .filter(|&i| account.principals[i].groups.iter().any(|x| x == name))
            .collect();
        out.push(Group {
            name: name.to_owned(),
            arn: arn.to_owned(),
            members,
            policies,
        });
    }
    out
}

/// Phase 4: the ARNs each role's trust policy names under `AWS` (a cheap
/// filter before the engine decides an `sts:AssumeRole`).
fn trusts_named(account: &Account, snapshot: &Snapshot) -> Vec<HashSet<String>> {
    let docs: HashMap<&str, &Value> = snapshot
        .role_detail_list
        .iter()
        .filter_map(|r| {
            let doc = r.assume_role_policy_document.as_ref()?.json()?;
            Some((r.arn.as_str(), doc))
        })
        .collect();
    account
        .principals
        .iter()
        .map(|e| {
            docs.get(e.arn.as_str())
                .map(|d| trust_names(d))
                .unwrap_or_default()
        })
        .collect()
}

fn trust_names(doc: &Value) -> HashSet<String> {
    let mut out = HashSet::new();
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for st in statements {
        match st.get("Principal").and_then(|p| p.get("AWS")) {
            Some(Value::String(s)) => {
                out.insert(s.clone());
            }
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            _ => {}
        }
    }
    out
}

/// Phase 5: the managed policies that make their holder an administrator,
/// to attach.
fn attachable(account: &Account) -> Vec<String> {
    let mut out: Vec<String> = vec![ADMIN_POLICY.to_owned()];
    let mut req = Request::new(
        Principal::parse("arn:aws:iam::000000000000:user/probe"),
        "iam:CreateUser",
        "*",
        None,
        Context::new(),
    );
    for p in &account.policies {
        if !p.name.starts_with("arn:") || p.name.contains('#') || out.contains(&p.name) {
            continue;
        }
        let set = PolicySet {
            identity: vec![p],
            ..PolicySet::default()
        };
        let all = ADMIN_PROBES.iter().all(|a| {
            req.set_action(a);
            req.set_any_resource(catalog().lookup(a).map(|(s, x)| resource_predicate(s, x)));
            decision(&req, &set) == Decision::Allowed
        });
        if all {
            out.push(p.name.clone());
        }
    }
    out
}

/// Phase 6: the roles each service principal of the catalogue can assume.
fn trusting(account: &Account, roles: &[usize]) -> HashMap<String, Vec<usize>> {
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for m in methods() {
        let Some(service) = &m.service else { continue };
        if out.contains_key(service) {
            continue;
        }
        let sp = Principal::parse(service);
        let list = roles
            .iter()
            .copied()
            .filter(|r| {
                let Some(t) = account.principals[*r].trust else {
                    return false;
                };
                let req = Request::new(
                    sp.clone(),
                    "sts:AssumeRole",
                    &account.principals[*r].arn,
                    None,
                    Context::new(),
                );
                let set = PolicySet {
                    resource: Some(&account.policies[t]),
                    ..PolicySet::default()
                };
                decision(&req, &set) == Decision::Allowed
            })
            .collect();
        out.insert(service.clone(), list);
    }
    out
}
