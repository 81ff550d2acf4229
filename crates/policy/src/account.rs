//! An account's IAM state as `GetAccountAuthorizationDetails` describes it
//! (the JSON of `iamctl account snapshot` and of
//! `aws iam get-account-authorization-details`), compiled for evaluation:
//! every principal with the policies that apply to it.

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

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

/// A policy document as a snapshot holds it: decoded JSON (as `iamctl
/// account snapshot` and the AWS CLI write it), or the URL-encoded or plain
/// JSON text the API returns.
pub fn snapshot_document(v: &Value) -> Option<Value> {
    match v {
        Value::Object(_) => Some(v.clone()),
        Value::String(text) => serde_json::from_str(text).ok().or_else(|| {
            let decoded = percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .ok()?;
            serde_json::from_str(&decoded).ok()
        }),
        _ => None,
    }
}

/// [`snapshot_document`], borrowing a decoded document rather than copying
/// it.
fn document(v: &Value) -> Option<std::borrow::Cow<'_, Value>> {
    match v {
        Value::Object(_) => Some(std::borrow::Cow::Borrowed(v)),
        _ => snapshot_document(v).map(std::borrow::Cow::Owned),
    }
}

/// Why a snapshot cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{0}")]
#[diagnostic(
    code(iamctl::snapshot),
    help("a snapshot is the JSON of `iamctl account snapshot` or `aws iam get-account-authorization-details`")
)]
pub struct SnapshotError(pub String);

impl Account {
    /// Reads a snapshot. Documents that cannot be compiled are left out with
    /// a warning rather than refusing the whole account.
    pub fn from_snapshot(snapshot: &Value) -> Result<Account, SnapshotError> {
        let obj = snapshot
            .as_object()
            .ok_or_else(|| SnapshotError("the snapshot is not a JSON object".into()))?;
        if ![
            "UserDetailList",
            "RoleDetailList",
            "GroupDetailList",
            "Policies",
        ]
        .iter()
        .any(|k| obj.contains_key(*k))
        {
            return Err(SnapshotError(
                "the snapshot has none of `UserDetailList`, `RoleDetailList`, `GroupDetailList`, `Policies`".into(),
            ));
        }
        let mut account = Account::default();
        for p in list(snapshot, "Policies") {
            let arn = s(p, "Arn");
            let default = list(p, "PolicyVersionList")
                .iter()
                .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true));
            match default.and_then(|v| v.get("Document")).and_then(document) {
                Some(doc) => {
                    if let Some(i) = account.add(arn.to_owned(), &doc) {
                        account.managed.insert(arn.to_owned(), i);
                    }
                }
                None => account.warnings.push(format!(
                    "managed policy `{arn}` has no default version document"
                )),
            }
        }
        // Groups: their policies, by name.
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for g in list(snapshot, "GroupDetailList") {
            let arn = s(g, "Arn").to_owned();
            let mut ids = account.inline(&arn, list(g, "GroupPolicyList"));
            ids.extend(account.attached(list(g, "AttachedManagedPolicies")));
            groups.insert(s(g, "GroupName").to_owned(), ids);
        }
        let mut users = Vec::new();
        for u in list(snapshot, "UserDetailList") {
            let arn = s(u, "Arn").to_owned();
            let mut identity: Vec<Attached> = account
                .inline(&arn, list(u, "UserPolicyList"))
                .into_iter()
                .chain(account.attached(list(u, "AttachedManagedPolicies")))
                .map(|policy| Attached {
                    policy,
                    source: Source::Direct,
                })
                .collect();
            let member_of: Vec<String> = list(u, "GroupList")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            for g in &member_of {
                for &policy in groups.get(g).map_or(&[][..], Vec::as_slice) {
                    identity.push(Attached {
                        policy,
                        source: Source::Group(g.clone()),
                    });
                }
            }
            users.push(Entity {
                kind: EntityKind::User,
                name: s(u, "UserName").to_owned(),
                path: s(u, "Path").to_owned(),
                tags: tags(u),
                groups: member_of,
                identity,
                boundary: account.boundary(u),
                trust: None,
                arn,
            });
        }
        let mut roles = Vec::new();
        for r in list(snapshot, "RoleDetailList") {
            let arn = s(r, "Arn").to_owned();
            let identity = account
                .inline(&arn, list(r, "RolePolicyList"))
                .into_iter()
                .chain(account.attached(list(r, "AttachedManagedPolicies")))
                .map(|policy| Attached {
                    policy,
                    source: Source::Direct,
                })
                .collect();
            let trust = r
                .get("AssumeRolePolicyDocument")
                .and_then(document)
                .and_then(|doc| account.add_trust(format!("{arn}#trust"), &doc));
            roles.push(Entity {
                kind: EntityKind::Role,
                name: s(r, "RoleName").to_owned(),
                path: s(r, "Path").to_owned(),
                tags: tags(r),
                groups: Vec::new(),
                identity,
                boundary: account.boundary(r),
                trust,
                arn,
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
        Ok(account)
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

    fn inline(&mut self, owner: &str, items: &[Value]) -> Vec<usize> {
        items
            .iter()
            .filter_map(|p| {
                let doc = p.get("PolicyDocument").and_then(document)?;
                self.add(format!("{owner}#{}", s(p, "PolicyName")), &doc)
            })
            .collect()
    }

    fn attached(&mut self, items: &[Value]) -> Vec<usize> {
        items
            .iter()
            .filter_map(|p| self.managed_or_warn(s(p, "PolicyArn")))
            .collect()
    }

    fn boundary(&mut self, entity: &Value) -> Option<usize> {
        let arn = entity
            .get("PermissionsBoundary")
            .map(|b| s(b, "PermissionsBoundaryArn"))
            .filter(|a| !a.is_empty())?;
        self.managed_or_warn(arn)
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

fn tags(v: &Value) -> Vec<(String, String)> {
    list(v, "Tags")
        .iter()
        .map(|t| (s(t, "Key").to_owned(), s(t, "Value").to_owned()))
        .collect()
}
