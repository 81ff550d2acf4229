//! An account's IAM state as a [`Snapshot`] holds it, compiled for
//! evaluation: every principal with the policies that apply to it.

use std::collections::HashMap;

use serde_json::Value;

use crate::eval::{Context, Policy, PolicySet, Principal};

/// User, role or group: the one principal kind of the workspace (the IaC
/// engine, the AWS wrapper and the configuration re-export it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    User,
    Role,
    Group,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Role => "role",
            EntityKind::Group => "group",
        }
    }
}

/// Where an identity policy reaches a principal from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Attached to or embedded in the principal itself.
    Direct,
    /// Through membership of this group.
    Group(String),
}

/// An identity policy of a principal.
#[derive(Debug, Clone)]
pub struct Attached {
    /// Index into [`Account::policies`].
    pub policy: usize,
    pub source: Source,
}

/// A user or role of the account.
#[derive(Debug, Clone)]
pub struct Entity {
    pub kind: EntityKind,
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Vec<(String, String)>,
    /// Users: the groups they belong to.
    pub groups: Vec<String>,
    pub identity: Vec<Attached>,
    pub boundary: Option<usize>,
    /// Roles: the trust policy.
    pub trust: Option<usize>,
}

/// The account, compiled.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub account_id: String,
    pub partition: String,
    /// Users first, then roles, each sorted by name.
    pub principals: Vec<Entity>,
    /// Every compiled policy: managed ones named by ARN, inline ones
    /// `<principal ARN>#<policy name>`, trust ones `<role ARN>#trust`.
    pub policies: Vec<Policy>,
    /// Managed policies by ARN.
    managed: HashMap<String, usize>,
    /// Principals by ARN, and by name (several when a user and a role share
    /// it), for lookups by hash rather than by scanning.
    by_arn: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    /// Managed policies referred to but absent from the snapshot (AWS managed
    /// policies in a `--local-only` snapshot), and documents that could not be
    /// compiled.
    pub warnings: Vec<String>,
}

pub use crate::snapshot::SnapshotError;
use crate::snapshot::{AttachedPolicy, Document, InlinePolicy, Principal as _, Snapshot, Tag};

impl Account {
    /// Compiles a snapshot. Documents that cannot be compiled are left out
    /// with a warning rather than refusing the whole account.
    pub fn from_snapshot(snapshot: &Snapshot) -> Account {
        let mut account = Account::default();
        for p in &snapshot.policies {
            match p.default_document() {
                Some(doc) => {
                    if let Some(i) = account.add(p.arn.clone(), doc) {
                        account.managed.insert(p.arn.clone(), i);
                    }
                }
                None => account.warnings.push(format!(
                    "managed policy `{}` has no default version document",
                    p.arn
                )),
            }
        }
        // Groups: their policies, by name.
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for g in &snapshot.group_detail_list {
            let mut ids = account.inline(&g.arn, &g.group_policy_list);
            ids.extend(account.attached(&g.attached_managed_policies));
            groups.insert(&g.group_name, ids);
        }
        let mut users = Vec::with_capacity(snapshot.user_detail_list.len());
        for u in &snapshot.user_detail_list {
            let mut identity: Vec<Attached> = account
                .inline(&u.arn, &u.user_policy_list)
                .into_iter()
                .chain(account.attached(&u.attached_managed_policies))
                .map(|policy| Attached {
                    policy,
                    source: Source::Direct,
                })
                .collect();
            for g in &u.group_list {
                for &policy in groups.get(g.as_str()).map_or(&[][..], Vec::as_slice) {
                    identity.push(Attached {
                        policy,
                        source: Source::Group(g.clone()),
                    });
                }
            }
            users.push(Entity {
                kind: EntityKind::User,
                name: u.user_name.clone(),
                path: u.path.clone(),
                tags: tags(&u.tags),
                groups: u.group_list.clone(),
                identity,
                boundary: account.boundary(u.boundary_arn()),
                trust: None,
                arn: u.arn.clone(),
            });
        }
        let mut roles = Vec::with_capacity(snapshot.role_detail_list.len());
        for r in &snapshot.role_detail_list {
            let identity = account
                .inline(&r.arn, &r.role_policy_list)
                .into_iter()
                .chain(account.attached(&r.attached_managed_policies))
                .map(|policy| Attached {
                    policy,
                    source: Source::Direct,
                })
                .collect();
            let trust = r
                .assume_role_policy_document
                .as_ref()
                .and_then(Document::json)
                .and_then(|doc| account.add_trust(format!("{}#trust", r.arn), doc));
            roles.push(Entity {
                kind: EntityKind::Role,
                name: r.role_name.clone(),
                path: r.path.clone(),
                tags: tags(&r.tags),
                groups: Vec::new(),
                identity,
                boundary: account.boundary(r.boundary_arn()),
                trust,
                arn: r.arn.clone(),
            });
        }
        users.sort_by(|a, b| a.name.cmp(&b.name));
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        account.principals = users.into_iter().chain(roles).collect();
        for (i, p) in account.principals.iter().enumerate() {
            account.by_arn.entry(p.arn.clone()).or_insert(i);
            account.by_name.entry(p.name.clone()).or_default().push(i);
        }
        if let Some(first) = account.principals.first() {
            let parts: Vec<&str> = first.arn.splitn(6, ':').collect();
            if parts.len() == 6 {
                account.partition = parts[1].to_owned();
                account.account_id = parts[4].to_owned();
            }
        }
        account
    }

    fn add(&mut self, name: String, doc: &Value) -> Option<usize> {
        match Policy::from_json(&name, doc) {
            Ok(p) => {
                self.policies.push(p);
                Some(self.policies.len() - 1)
            }
            Err(e) => {
                self.warnings.push(e.to_string());
                None
            }
        }
    }

    /// A role's trust policy: a resource-based policy, so every statement
    /// must name its principal.
    fn add_trust(&mut self, name: String, doc: &Value) -> Option<usize> {
        match Policy::resource_based_from_json(&name, doc) {
            Ok(p) => {
                self.policies.push(p);
                Some(self.policies.len() - 1)
            }
            Err(e) => {
                self.warnings.push(e.to_string());
                None
            }
        }
    }

    /// The resource-based policy AWS consults for a request on a resource of
    /// this account without being told: for an `sts:` action on a role of
    /// the snapshot (`sts:AssumeRole*`, `sts:TagSession`), the role's trust
    /// policy.
    pub fn implied_resource_policy(&self, action: &str, resource: &str) -> Option<&Policy> {
        if !action.to_ascii_lowercase().starts_with("sts:") {
            return None;
        }
        let role = self
            .by_arn
            .get(resource)
            .map(|&i| &self.principals[i])
            .filter(|p| p.kind == EntityKind::Role)?;
        role.trust.map(|i| &self.policies[i])
    }

    fn inline(&mut self, owner: &str, items: &[InlinePolicy]) -> Vec<usize> {
        items
            .iter()
            .filter_map(|p| {
                let doc = p.policy_document.as_ref().and_then(Document::json)?;
                self.add(format!("{owner}#{}", p.policy_name), doc)
            })
            .collect()
    }

    fn attached(&mut self, items: &[AttachedPolicy]) -> Vec<usize> {
        items
            .iter()
            .filter_map(|p| self.managed_or_warn(&p.policy_arn))
            .collect()
    }

    fn boundary(&mut self, arn: Option<&str>) -> Option<usize> {
        self.managed_or_warn(arn?)
    }

    fn managed_or_warn(&mut self, arn: &str) -> Option<usize> {
        let found = self.managed.get(arn).copied();
        if found.is_none() {
            let warning = format!("policy `{arn}` is attached but not in the snapshot");
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
        found
    }

    /// Finds a principal by ARN, by name, or by the role of a role-session ARN.
    pub fn principal(&self, key: &str) -> Option<&Entity> {
        self.principal_index(key).map(|i| &self.principals[i])
    }

    /// [`Account::principal`], as an index into [`Account::principals`].
    pub fn principal_index(&self, key: &str) -> Option<usize> {
        if let Some(&i) = self.by_arn.get(key) {
            return Some(i);
        }
        let named = |name: &str| self.by_name.get(name).map_or(&[][..], Vec::as_slice);
        if let Some(rest) = key.split_once(":assumed-role/").map(|(_, r)| r) {
            let role = rest.split('/').next().unwrap_or("");
            return named(role)
                .iter()
                .copied()
                .find(|&i| self.principals[i].kind == EntityKind::Role);
        }
        match named(key) {
            [i] => Some(*i),
            _ => None,
        }
    }

    /// The identity side of a principal's policies.
    pub fn policy_set(&self, entity: &Entity) -> PolicySet<'_> {
        PolicySet {
            identity: entity
                .identity
                .iter()
                .map(|a| &self.policies[a.policy])
                .collect(),
            boundary: entity.boundary.map(|i| &self.policies[i]),
            ..PolicySet::default()
        }
    }

    /// The principal as requests see it: a user's ARN, or a session of the
    /// role (`arn:aws:sts::ACCOUNT:assumed-role/NAME/iamctl`).
    pub fn request_principal(&self, entity: &Entity) -> Principal {
        match entity.kind {
            EntityKind::Role => {
                let account = entity.arn.split(':').nth(4).unwrap_or("");
                let partition = entity.arn.split(':').nth(1).unwrap_or("aws");
                let mut p = Principal::parse(&format!(
                    "arn:{partition}:sts::{account}:assumed-role/{}/iamctl",
                    entity.name
                ));
                p.role_arn = Some(entity.arn.clone());
                p
            }
            _ => Principal::parse(&entity.arn),
        }
    }

    /// The context keys AWS sets from the principal: `aws:username` (users),
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
    /// `aws:PrincipalTag/*`, and `aws:userid`-free basics. Existing keys are
    /// kept.
    pub fn principal_context(&self, entity: &Entity, ctx: &mut Context) {
        let account = entity.arn.split(':').nth(4).unwrap_or("").to_owned();
        match entity.kind {
            EntityKind::User => {
                ctx.set_default("aws:username", entity.name.clone());
                ctx.set_default("aws:PrincipalType", "User");
            }
            _ => ctx.set_default("aws:PrincipalType", "AssumedRole"),
        }
        ctx.set_default("aws:PrincipalArn", entity.arn.clone());
        ctx.set_default("aws:PrincipalAccount", account);
        for (k, v) in &entity.tags {
            ctx.set_default(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
    }
}

fn tags(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}
