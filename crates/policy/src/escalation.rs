//! Privilege escalation: which principals of an account can gain more than
//! they have, and the shortest way, each step named with its action, its
//! resource and the statement that allows it.
//!
//! The methods come from DataDog's pathfinding.cloud (Apache-2.0), converted
//! by `scripts/gen-escalation-data` into `data/escalation-methods.tsv`, which
//! ships in the binary. Every step is decided by the evaluation engine, so
//! conditions, explicit denies, permissions boundaries and resource
//! constraints count: a user allowed `iam:AttachUserPolicy` only for one
//! harmless policy cannot escalate with it.
//!
//! The graph: a principal *becomes* another (credentials or a login profile
//! for a user, `sts:AssumeRole` allowed by both its identity policy and the
//! role's trust policy, a rewritten trust policy, a role passed to a service
//! that can assume it) and *writes* a principal's permissions (inline or
//! attached policies, a new version of a policy attached to it, its group's
//! policies, joining a group). A principal escalates when it can become an
//! administrator, or write a principal it is or can become into one. Methods
//! that need a resource the snapshot cannot show (an EC2 instance, a Lambda
//! function running as a role) count "if such a resource exists", and a
//! path using one is marked so.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde_json::Value;

use crate::account::{Account, EntityKind};
use crate::analysis::{principal_request, resource_predicate};
use crate::catalog::catalog;
use crate::eval::{
    decision, evaluate, Context, Decision, Layer, Policy, PolicySet, Principal, Request,
};
use crate::snapshot::{Snapshot, SnapshotError};

const DATA: &str = include_str!("../data/escalation-methods.tsv");

/// How iamctl checks a method (the catalogue's `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    WriteUserInline,
    AttachUser,
    WriteRoleInline,
    AttachRole,
    WriteGroupInline,
    AttachGroup,
    PolicyVersion,
    JoinGroup,
    UserCredentials,
    AssumeRole,
    TrustRewrite,
    /// Two of the above on one target: found by composing them.
    Combo,
    NewPassrole,
    ExistingResource,
    Unsupported,
}

impl Kind {
    fn parse(s: &str) -> Kind {
        match s {
            "write-user-inline" => Kind::WriteUserInline,
            "attach-user" => Kind::AttachUser,
            "write-role-inline" => Kind::WriteRoleInline,
            "attach-role" => Kind::AttachRole,
            "write-group-inline" => Kind::WriteGroupInline,
            "attach-group" => Kind::AttachGroup,
            "policy-version" => Kind::PolicyVersion,
            "join-group" => Kind::JoinGroup,
            "user-credentials" => Kind::UserCredentials,
            "assume-role" => Kind::AssumeRole,
            "trust-rewrite" => Kind::TrustRewrite,
            "combo" => Kind::Combo,
            "new-passrole" => Kind::NewPassrole,
            "existing-resource" => Kind::ExistingResource,
            _ => Kind::Unsupported,
        }
    }
}

/// One escalation method of the catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// pathfinding.cloud's id, e.g. `iam-001`.
    pub id: String,
    pub kind: Kind,
    /// pathfinding.cloud's category, e.g. `self-escalation`.
    pub category: String,
    /// The actions it needs.
    pub actions: Vec<String>,
    /// For service methods: the service principal the role must trust.
    pub service: Option<String>,
    pub name: String,
}

/// The catalogue, decoded on first use.
pub fn methods() -> &'static [Method] {
    static METHODS: OnceLock<Vec<Method>> = OnceLock::new();
    METHODS.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 6).then(|| Method {
                    id: f[0].to_owned(),
                    kind: Kind::parse(f[1]),
                    category: f[2].to_owned(),
                    actions: f[3].split(',').map(str::to_owned).collect(),
                    service: (f[4] != "-").then(|| f[4].to_owned()),
                    name: f[5].to_owned(),
                })
            })
            .collect()
    })
}

/// Where the catalogue came from (its `# source` line).
pub fn source() -> &'static str {
    DATA.lines()
        .find_map(|l| l.strip_prefix("# source\t"))
        .unwrap_or("pathfinding.cloud")
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The principal acting (user or role ARN).
    pub principal: String,
    /// The catalogue method.
    pub method: String,
    pub action: String,
    pub resource: String,
    /// The allowing statement: `policy (Sid or index)`.
    pub statement: String,
    /// What the step achieves.
    pub effect: String,
    /// Needs a resource the snapshot cannot show.
    pub if_resource_exists: bool,
}

/// The shortest way one principal reaches its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationPath {
    pub principal: String,
    /// `admin`, or the target principal's ARN.
    pub target: String,
    pub steps: Vec<Step>,
    /// Some step needs a resource the snapshot cannot show.
    pub if_resource_exists: bool,
}

/// What to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every permission.
    Admin,
    /// A given user or role (ARN or name).
    Principal(String),
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub paths: Vec<EscalationPath>,
    /// Principals that are administrators already.
    pub admins: Vec<String>,
    /// Principals examined.
    pub principals: usize,
    pub warnings: Vec<String>,
}

/// An edge of the graph.
#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    step: Step,
}

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

const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn allow_all() -> &'static Policy {
    static ALL: OnceLock<Policy> = OnceLock::new();
    ALL.get_or_init(|| {
        Policy::from_text(
            "an administrator policy",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .expect("compiles")
    })
}

struct Graph<'a> {
    account: &'a Account,
    /// Base request of each principal (its context keys set).
    base: Vec<Request>,
    sets: Vec<PolicySet<'a>>,
    admin: Vec<bool>,
    groups: HashMap<String, (String, Vec<usize>)>,
    /// Each group's policies, by group name.
    group_policies: HashMap<String, Vec<usize>>,
    trusts_named: Vec<HashSet<String>>,
    predicates: HashMap<String, Option<crate::eval::ResourcePredicate>>,
}

fn named(because: &crate::eval::Matched<'_>) -> String {
    match because.sid {
        Some(sid) => format!("{} (Sid `{sid}`)", because.policy),
        None => format!("{} (statement {})", because.policy, because.index),
    }
}

impl<'a> Graph<'a> {
    fn predicate(&mut self, action: &str) -> Option<crate::eval::ResourcePredicate> {
        self.predicates
            .entry(action.to_ascii_lowercase())
            .or_insert_with(|| {
                catalog()
                    .lookup(action)
                    .map(|(s, a)| resource_predicate(s, a))
            })
            .clone()
    }

    fn names(&self, i: usize, action: &str) -> bool {
        let lower = action.to_ascii_lowercase();
        self.sets[i].identity.iter().any(|p| {
            p.statements
                .iter()
                .any(|s| s.effect == crate::eval::Effect::Allow && s.matches_action(&lower))
        })
    }

    /// The statement that allows principal `i` the request, if allowed.
    fn allows(
        &self,
        i: usize,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
        resource_policy: Option<&Policy>,
        any: Option<crate::eval::ResourcePredicate>,
    ) -> Option<String> {
        let mut req = self.base[i].clone();
        req.set_action(action);
        if any.is_none() {
            req.resource = resource.to_owned();
            req.resource_account = crate::eval::Request::new(
                req.principal.clone(),
                action,
                resource,
                None,
                Context::new(),
            )
            .resource_account;
        }
        req.set_any_resource(any);
        for (k, v) in extra {
            req.context.set(k, *v);
        }
        let mut set = self.sets[i].clone();
        set.resource = resource_policy;
        if decision(&req, &set) != Decision::Allowed {
            return None;
        }
        let e = evaluate(&req, &set);
        let m = e
            .matched
            .iter()
            .find(|m| m.layer == Layer::Identity)
            .or_else(|| e.matched.first())?;
        Some(named(m))
    }

    /// Whether principal `i` with `extra` identity policies is an administrator.
    fn admin_with(&self, i: usize, extra: &[&'a Policy]) -> bool {
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
            let pred = catalog().lookup(a).map(|(s, x)| resource_predicate(s, x));
            req.set_any_resource(pred);
            decision(&req, &set) == Decision::Allowed
                || (!set.scps.is_empty() && decision(&req, &ceiling) != Decision::Allowed)
        })
    }

    fn arn(&self, i: usize) -> &str {
        &self.account.principals[i].arn
    }
}

#[allow(clippy::too_many_arguments)]
fn step(
    g: &Graph<'_>,
    from: usize,
    method_id: &str,
    action: &str,
    resource: &str,
    statement: String,
    effect: String,
    conditional: bool,
) -> Step {
    Step {
        principal: g.arn(from).to_owned(),
        method: method_id.to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        statement,
        effect,
        if_resource_exists: conditional,
    }
}

/// Principal ARNs a trust policy names under `AWS`.
fn trust_names(doc: &Value) -> HashSet<String> {
    let mut out = HashSet::new();
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for st in statements {
        if let Some(Value::Object(p)) = st.get("Principal") {
            if let Some(aws) = p.get("AWS") {
                match aws {
                    Value::String(s) => {
                        out.insert(s.clone());
                    }
                    Value::Array(items) => {
                        out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Finds the escalation paths of an account snapshot (the JSON of `iamctl
/// account snapshot` or `aws iam get-account-authorization-details`).
/// `only` restricts the starting principals to one (ARN or name).
pub fn analyse(
    snapshot: &Snapshot,
    target: &Target,
    only: Option<&str>,
) -> Result<Report, SnapshotError> {
    analyse_with_scps(snapshot, target, only, &[])
}

/// [`analyse`] under service control policies (levels from the
/// organization root down to the account), which every step must pass.
pub fn analyse_with_scps(
    snapshot: &Snapshot,
    target: &Target,
    only: Option<&str>,
    scps: &[Vec<Policy>],
) -> Result<Report, SnapshotError> {
    let account = Account::from_snapshot(snapshot);
    let n = account.principals.len();
    let base: Vec<Request> = account
        .principals
        .iter()
        .map(|e| principal_request(&account, e, &Context::new(), "*"))
        .collect();
    let sets: Vec<PolicySet<'_>> = account
        .principals
        .iter()
        .map(|e| {
            let mut set = account.policy_set(e);
            set.scps = scps.iter().map(|level| level.iter().collect()).collect();
            set
        })
        .collect();
    // Groups: ARN and members; trust policies: the ARNs they name.
    let mut groups: HashMap<String, (String, Vec<usize>)> = HashMap::new();
    let by_name: HashMap<&str, usize> = account
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut group_policies: HashMap<String, Vec<usize>> = HashMap::new();
    for g in &snapshot.group_detail_list {
        let (name, arn) = (g.group_name.as_str(), g.arn.as_str());
        groups.insert(name.to_owned(), (arn.to_owned(), Vec::new()));
        let mut ids: Vec<usize> = g
            .group_policy_list
            .iter()
            .filter_map(|p| {
                by_name
                    .get(format!("{arn}#{}", p.policy_name).as_str())
                    .copied()
            })
            .collect();
        ids.extend(
            g.attached_managed_policies
                .iter()
                .filter_map(|p| by_name.get(p.policy_arn.as_str()).copied()),
        );
        group_policies.insert(name.to_owned(), ids);
    }
    for (i, e) in account.principals.iter().enumerate() {
        for gname in &e.groups {
            if let Some(g) = groups.get_mut(gname) {
                g.1.push(i);
            }
        }
    }
    let trust_docs: HashMap<&str, &Value> = snapshot
        .role_detail_list
        .iter()
        .filter_map(|r| {
            let doc = r.assume_role_policy_document.as_ref()?.json()?;
            Some((r.arn.as_str(), doc))
        })
        .collect();
    let trusts_named = account
        .principals
        .iter()
        .map(|e| {
            trust_docs
                .get(e.arn.as_str())
                .map(|d| trust_names(d))
                .unwrap_or_default()
        })
        .collect();
    let mut g = Graph {
        account: &account,
        base,
        sets,
        admin: Vec::new(),
        groups,
        group_policies,
        trusts_named,
        predicates: HashMap::new(),
    };
    g.admin = (0..n).map(|i| g.admin_with(i, &[])).collect();

    let starts: Vec<usize> = match only {
        Some(key) => {
            let e = account
                .principal(key)
                .ok_or_else(|| SnapshotError::NoPrincipal(key.to_string()))?;
            vec![account
                .principals
                .iter()
                .position(|p| p.arn == e.arn)
                .unwrap_or(0)]
        }
        None => (0..n).collect(),
    };
    let target_index = match target {
        Target::Admin => None,
        Target::Principal(key) => {
            let e = account
                .principal(key)
                .ok_or_else(|| SnapshotError::NoPrincipal(key.to_string()))?;
            account.principals.iter().position(|p| p.arn == e.arn)
        }
    };

    let (become_edges, writes) = build(&mut g);
    let mut paths = Vec::new();
    for &s in &starts {
        if target_index.is_none() && g.admin[s] {
            continue;
        }
        if target_index == Some(s) {
            continue;
        }
        let found = search(&g, &become_edges, &writes, s, target_index, false)
            .or_else(|| search(&g, &become_edges, &writes, s, target_index, true));
        if let Some(mut steps) = found {
            for st in &mut steps {
                if st.statement.is_empty() {
                    st.statement = name_assume(&g, st);
                }
            }
            let conditional = steps.iter().any(|x| x.if_resource_exists);
            paths.push(EscalationPath {
                principal: g.arn(s).to_owned(),
                target: match target_index {
                    Some(t) => g.arn(t).to_owned(),
                    None => "admin".to_owned(),
                },
                steps,
                if_resource_exists: conditional,
            });
        }
    }
    let admins = (0..n)
        .filter(|i| g.admin[*i])
        .map(|i| g.arn(i).to_owned())
        .collect();
    Ok(Report {
        paths,
        admins,
        principals: n,
        warnings: account.warnings.clone(),
    })
}

/// The statement that allows an `sts:AssumeRole` step (named only for the
/// steps a path uses).
fn name_assume(g: &Graph<'_>, st: &Step) -> String {
    let find = |arn: &str| g.account.principals.iter().position(|p| p.arn == arn);
    let (Some(w), Some(r)) = (find(&st.principal), find(&st.resource)) else {
        return String::new();
    };
    let trust = g.account.principals[r]
        .trust
        .map(|t| &g.account.policies[t]);
    g.allows(w, &st.action, &st.resource, &[], trust, None)
        .unwrap_or_default()
}

type Writes = Vec<Vec<(usize, Step)>>;

/// Every become-edge and write of the account.
fn build(g: &mut Graph<'_>) -> (Vec<Vec<Edge>>, Writes) {
    let account = g.account;
    let n = account.principals.len();
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); n];
    // writes[y]: (writer, step) pairs that make y an administrator.
    let mut writes: Writes = vec![Vec::new(); n];
    let users: Vec<usize> = (0..n)
        .filter(|i| account.principals[*i].kind == EntityKind::User)
        .collect();
    let roles: Vec<usize> = (0..n)
        .filter(|i| account.principals[*i].kind == EntityKind::Role)
        .collect();
    // Managed policies that make their holder an administrator, to attach.
    let mut attachable: Vec<String> = vec![ADMIN_POLICY.to_owned()];
    for p in &account.policies {
        if p.name.starts_with("arn:") && !p.name.contains('#') {
            let set = PolicySet {
                identity: vec![p],
                ..PolicySet::default()
            };
            let mut req = Request::new(
                Principal::parse("arn:aws:iam::000000000000:user/probe"),
                "iam:CreateUser",
                "*",
                None,
                Context::new(),
            );
            let all = ADMIN_PROBES.iter().all(|a| {
                req.set_action(a);
                req.set_any_resource(catalog().lookup(a).map(|(s, x)| resource_predicate(s, x)));
                decision(&req, &set) == Decision::Allowed
            });
            if all && !attachable.contains(&p.name) {
                attachable.push(p.name.clone());
            }
        }
    }
    let gained: Vec<bool> = (0..n).map(|y| g.admin_with(y, &[allow_all()])).collect();
    // Roles each service principal can assume.
    let mut trusting: HashMap<String, Vec<usize>> = HashMap::new();
    for m in methods() {
        let Some(service) = &m.service else { continue };
        if trusting.contains_key(service) {
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
        trusting.insert(service.clone(), list);
    }
    for w in 0..n {
        if g.admin[w] {
            continue;
        }
        let me = account.principals[w].arn.clone();
        // Becoming users: credentials or a login profile.
        for (id, action) in [
            ("iam-002", "iam:CreateAccessKey"),
            ("iam-004", "iam:CreateLoginProfile"),
            ("iam-006", "iam:UpdateLoginProfile"),
        ] {
            if !g.names(w, action) {
                continue;
            }
            for &u in &users {
                if u == w || edges[w].iter().any(|e| e.to == u) {
                    continue;
                }
                let arn = account.principals[u].arn.clone();
                if let Some(st) = g.allows(w, action, &arn, &[], None, None) {
                    edges[w].push(Edge {
                        to: u,
                        step: step(
                            g,
                            w,
                            id,
                            action,
                            &arn,
                            st,
                            format!("acts as `{arn}`"),
                            false,
                        ),
                    });
                }
            }
        }
        // Assuming roles: identity policy and trust policy. One decision
        // each, the request and policies reused; the allowing statement is
        // named later, for the steps a path uses.
        let assume = g.names(w, "sts:AssumeRole");
        let mut req = g.base[w].clone();
        req.set_action("sts:AssumeRole");
        let mut set = g.sets[w].clone();
        for &r in &roles {
            if r == w {
                continue;
            }
            let Some(t) = account.principals[r].trust else {
                continue;
            };
            if !assume && !g.trusts_named[r].contains(&me) {
                continue;
            }
            let arn = &account.principals[r].arn;
            req.resource.clear();
            req.resource.push_str(arn);
            req.resource_account.clear();
            req.resource_account
                .push_str(arn.split(':').nth(4).unwrap_or_default());
            set.resource = Some(&account.policies[t]);
            if decision(&req, &set) == Decision::Allowed {
                edges[w].push(Edge {
                    to: r,
                    step: step(
                        g,
                        w,
                        "sts-001",
                        "sts:AssumeRole",
                        arn,
                        String::new(),
                        format!("becomes `{arn}`"),
                        false,
                    ),
                });
            }
        }
        // Rewriting a role's trust policy to name itself.
        if g.names(w, "iam:UpdateAssumeRolePolicy") {
            for &r in &roles {
                if r == w || edges[w].iter().any(|e| e.to == r) {
                    continue;
                }
                let arn = account.principals[r].arn.clone();
                if let Some(st) = g.allows(w, "iam:UpdateAssumeRolePolicy", &arn, &[], None, None) {
                    edges[w].push(Edge {
                        to: r,
                        step: step(
                            g,
                            w,
                            "iam-012",
                            "iam:UpdateAssumeRolePolicy",
                            &arn,
                            st,
                            format!("makes `{arn}` trust it, then assumes it"),
                            false,
                        ),
                    });
                }
            }
        }
        // Service methods: pass a role to a service that can assume it, or
        // use an existing resource that runs as one.
        for m in methods() {
            if !matches!(m.kind, Kind::NewPassrole | Kind::ExistingResource) {
                continue;
            }
            let Some(service) = &m.service else { continue };
            let passes = m
                .actions
                .iter()
                .any(|a| a.eq_ignore_ascii_case("iam:PassRole"));
            let others: Vec<&String> = m
                .actions
                .iter()
                .filter(|a| !a.eq_ignore_ascii_case("iam:PassRole"))
                .collect();
            if !others.iter().all(|a| g.names(w, a)) || (passes && !g.names(w, "iam:PassRole")) {
                continue;
            }
            let mut proofs = Vec::new();
            let mut ok = true;
            for a in &others {
                let pred = g.predicate(a);
                let resource = "*";
                match g.allows(
                    w,
                    a,
                    resource,
                    &[],
                    None,
                    pred.or_else(|| Some(Arc::new(|_: &str| true))),
                ) {
                    Some(st) => proofs.push((a.to_string(), st)),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            let conditional = !passes;
            for &r in trusting.get(service).map_or(&[][..], Vec::as_slice) {
                if r == w
                    || edges[w]
                        .iter()
                        .any(|e| e.to == r && !e.step.if_resource_exists)
                {
                    continue;
                }
                let arn = account.principals[r].arn.clone();
                let (action, st) = if passes {
                    match g.allows(
                        w,
                        "iam:PassRole",
                        &arn,
                        &[("iam:PassedToService", service)],
                        None,
                        None,
                    ) {
                        Some(st) => ("iam:PassRole".to_owned(), st),
                        None => continue,
                    }
                } else {
                    proofs[0].clone()
                };
                let effect = if conditional {
                    format!(
                        "runs as `{arn}` through {} ({}), if such a resource exists",
                        m.name, service
                    )
                } else {
                    format!("runs as `{arn}` through {} ({})", m.name, service)
                };
                let mut s = step(g, w, &m.id, &action, &arn, st, effect, conditional);
                if passes {
                    let also: Vec<String> = proofs
                        .iter()
                        .map(|(a, st)| format!("{a} by {st}"))
                        .collect();
                    s.effect.push_str(&format!("; with {}", also.join(", ")));
                }
                edges[w].push(Edge { to: r, step: s });
            }
        }
        // Writes: permissions of users, roles and groups, policy versions.
        let writers: [(&str, &str, EntityKind); 4] = [
            ("iam-007", "iam:PutUserPolicy", EntityKind::User),
            ("iam-005", "iam:PutRolePolicy", EntityKind::Role),
            ("iam-008", "iam:AttachUserPolicy", EntityKind::User),
            ("iam-009", "iam:AttachRolePolicy", EntityKind::Role),
        ];
        for (id, action, kind) in writers {
            if !g.names(w, action) {
                continue;
            }
            let attach = action.contains("Attach");
            for y in 0..n {
                if account.principals[y].kind != kind || g.admin[y] || !gained[y] {
                    continue;
                }
                let arn = account.principals[y].arn.clone();
                let found = if attach {
                    attachable.iter().find_map(|p| {
                        g.allows(w, action, &arn, &[("iam:PolicyARN", p)], None, None)
                            .map(|st| (st, format!("attaches `{p}` to `{arn}`")))
                    })
                } else {
                    g.allows(w, action, &arn, &[], None, None)
                        .map(|st| (st, format!("writes an administrator policy into `{arn}`")))
                };
                if let Some((st, effect)) = found {
                    writes[y].push((w, step(g, w, id, action, &arn, st, effect, false)));
                }
            }
        }
        // Group policies and membership.
        for (id, action) in [
            ("iam-011", "iam:PutGroupPolicy"),
            ("iam-010", "iam:AttachGroupPolicy"),
            ("iam-013", "iam:AddUserToGroup"),
        ] {
            if !g.names(w, action) {
                continue;
            }
            let groups: Vec<(String, String, Vec<usize>)> = g
                .groups
                .iter()
                .map(|(k, (a, m))| (k.clone(), a.clone(), m.clone()))
                .collect();
            for (gname, garn, members) in groups {
                if action == "iam:AddUserToGroup" {
                    if account.principals[w].kind != EntityKind::User
                        || account.principals[w].groups.contains(&gname)
                    {
                        continue;
                    }
                    // Joining gains the group's policies.
                    let gpolicies: Vec<&Policy> = g
                        .group_policies
                        .get(&gname)
                        .map(|ids| ids.iter().map(|i| &account.policies[*i]).collect())
                        .unwrap_or_default();
                    if gpolicies.is_empty() || !g.admin_with(w, &gpolicies) {
                        continue;
                    }
                    if let Some(st) = g.allows(w, action, &garn, &[], None, None) {
                        writes[w].push((
                            w,
                            step(
                                g,
                                w,
                                id,
                                action,
                                &garn,
                                st,
                                format!("joins `{gname}`, whose policies make it an administrator"),
                                false,
                            ),
                        ));
                    }
                    continue;
                }
                let found = if action == "iam:AttachGroupPolicy" {
                    attachable.iter().find_map(|p| {
                        g.allows(w, action, &garn, &[("iam:PolicyARN", p)], None, None)
                            .map(|st| (st, format!("attaches `{p}` to group `{gname}`")))
                    })
                } else {
                    g.allows(w, action, &garn, &[], None, None).map(|st| {
                        (
                            st,
                            format!("writes an administrator policy into group `{gname}`"),
                        )
                    })
                };
                if let Some((st, effect)) = found {
                    for &y in &members {
                        if gained[y] && !g.admin[y] {
                            writes[y].push((
                                w,
                                step(g, w, id, action, &garn, st.clone(), effect.clone(), false),
                            ));
                        }
                    }
                }
            }
        }
        // A new default version of a customer-managed policy someone holds.
        if g.names(w, "iam:CreatePolicyVersion") {
            for y in 0..n {
                if g.admin[y] || !gained[y] {
                    continue;
                }
                for a in &account.principals[y].identity {
                    let name = &account.policies[a.policy].name;
                    if !name.starts_with("arn:")
                        || name.contains('#')
                        || name.contains(":aws:policy/")
                    {
                        continue;
                    }
                    if let Some(st) = g.allows(w, "iam:CreatePolicyVersion", name, &[], None, None)
                    {
                        let holder = match &a.source {
                            crate::account::Source::Group(gn) => format!(
                                ", attached to `{}` through group `{gn}`",
                                account.principals[y].name
                            ),
                            crate::account::Source::Direct => {
                                format!(", attached to `{}`", account.principals[y].name)
                            }
                        };
                        writes[y].push((
                            w,
                            step(
                                g,
                                w,
                                "iam-001",
                                "iam:CreatePolicyVersion",
                                name,
                                st,
                                format!("makes an administrator version of `{name}` the default{holder}"),
                                false,
                            ),
                        ));
                        break;
                    }
                }
            }
        }
    }
    (edges, writes)
}

/// Breadth-first from `s`: the fewest steps to the target. Conditional
/// edges only when `conditional`.
fn search(
    g: &Graph<'_>,
    edges: &[Vec<Edge>],
    writes: &Writes,
    s: usize,
    target: Option<usize>,
    conditional: bool,
) -> Option<Vec<Step>> {
    let n = edges.len();
    let mut parent: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut seen = vec![false; n];
    seen[s] = true;
    let mut queue = VecDeque::from([s]);
    let path_to = |z: usize, parent: &[Option<(usize, usize)>]| -> Vec<(usize, &Step)> {
        // (node reached, step that reached it), from s.
        let mut out = Vec::new();
        let mut cur = z;
        while let Some((from, e)) = parent[cur] {
            out.push((cur, &edges[from][e].step));
            cur = from;
        }
        out.reverse();
        out
    };
    while let Some(z) = queue.pop_front() {
        let hops = path_to(z, &parent);
        let on_path: Vec<usize> = std::iter::once(s)
            .chain(hops.iter().map(|(n, _)| *n))
            .collect();
        let done = match target {
            Some(t) => (z == t).then(Vec::new),
            None if z != s && g.admin[z] => Some(Vec::new()),
            None => writes[z]
                .iter()
                .find(|(w, _)| on_path.contains(w))
                .map(|(w, st)| vec![(*w, st.clone())]),
        };
        if let Some(extra) = done {
            let mut steps: Vec<Step> = hops.iter().map(|(_, st)| (*st).clone()).collect();
            for (w, st) in extra {
                // The write happens once its writer is reached.
                let at = if w == s {
                    0
                } else {
                    hops.iter()
                        .position(|(n, _)| *n == w)
                        .map_or(steps.len(), |p| p + 1)
                };
                steps.insert(at, st);
            }
            return Some(steps);
        }
        for (ei, e) in edges[z].iter().enumerate() {
            if seen[e.to] || (e.step.if_resource_exists && !conditional) {
                continue;
            }
            seen[e.to] = true;
            parent[e.to] = Some((z, ei));
            queue.push_back(e.to);
        }
    }
    None
}

/// The escalation paths an account change opens: the paths to
/// administrator in `after` whose principal had none in `before` (both
/// snapshots as [`analyse`] reads them). For a plan to warn before anyone
/// applies it.
pub fn new_paths(
    before: &Snapshot,
    after: &Snapshot,
) -> Result<Vec<EscalationPath>, SnapshotError> {
    let old = analyse(before, &Target::Admin, None)?;
    let had: HashSet<&str> = old
        .paths
        .iter()
        .map(|p| p.principal.as_str())
        .chain(old.admins.iter().map(String::as_str))
        .collect();
    Ok(analyse(after, &Target::Admin, None)?
        .paths
        .into_iter()
        .filter(|p| !had.contains(p.principal.as_str()))
        .collect())
}
