//! An IAM account in memory, behind [`IamBackend`]: what apply is tested
//! against, without a network, with scripted faults ([`FaultSchedule`]).
//!
//! It keeps IAM's documented rules, so that apply's mistakes show as they
//! would in AWS:
//! - names are unique per kind, without regard to case; a missing entity is
//!   `NotFound`;
//! - `DeletePolicy` fails with `DeleteConflict` while the policy is attached
//!   (or used as a permissions boundary) or has versions besides the
//!   default; a policy holds at most five versions (`LimitExceeded`);
//! - `DeleteUser`, `DeleteRole`, `DeleteGroup` fail with `DeleteConflict`
//!   while the principal has attached or inline policies, group memberships
//!   or credentials (users), members (groups), instance profiles (roles);
//! - a role's path cannot change; groups take no tags;
//! - quotas: 10 managed policies per principal, 10 groups per user, 50 tags,
//!   6,144 characters per managed policy, 2,048/10,240/5,120 characters of
//!   inline policies per user/role/group, 2,048 per trust policy.
//!
//! `authorization_details()` answers with the typed
//! [`iamctl_policy::snapshot::Snapshot`] (GetAccountAuthorizationDetails'
//! shape, as `iamctl account snapshot` writes it), which
//! [`crate::plan::ActualAccount::from_snapshot`] and `iamctl_policy::Account`
//! read.
//!
//! A test utility (feature `test-utils`): no production path uses it; the
//! plan's "after" is [`crate::project::after`], which a property test checks
//! against [`after_changes`].
//!
//! Every call is counted by IAM API name ([`MemoryBackend::calls`]). Futures
//! complete at once: `futures::executor::block_on` drives them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use iamctl_policy::snapshot::Snapshot;
use serde_json::Value;

use crate::backend::{
    AuthorizationDetails, BackendError, BackendResult, ErrorKind, IamBackend, NewPolicy, NewRole,
    PolicyVersion, PrincipalKind, Tags,
};
use crate::plan::Change;

mod faults;
mod gaad;
#[cfg(test)]
mod tests;

pub use faults::{Fault, FaultSchedule, Injected, Meanwhile};

/// The account ID a backend gets when none is given.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// IAM's quotas the memory account enforces (defaults of the IAM and AWS STS
/// quotas page, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
pub mod quota {
    /// "Managed policies attached to an IAM user/role/group: 10".
    pub const ATTACHED: usize = 10;
    /// "Groups an IAM user can be a member of: 10".
    pub const GROUPS_PER_USER: usize = 10;
    /// "Versions of a managed policy that can be stored: 5".
    pub const VERSIONS: usize = 5;
    /// "Tags per IAM resource: 50".
    pub const TAGS: usize = 50;
    /// "Managed policy length: 6,144 characters" (white space not counted).
    pub const MANAGED_POLICY: usize = 6144;
    /// Aggregate inline policy size per user, role, group.
    pub const INLINE_USER: usize = 2048;
    pub const INLINE_ROLE: usize = 10240;
    pub const INLINE_GROUP: usize = 5120;
    /// "Role trust policy length: 2,048 characters".
    pub const TRUST: usize = 2048;
    /// The most the two quotas above can be raised to: 20 managed policies,
    /// 4,096 characters of trust policy.
    pub const ATTACHED_RAISED: usize = 20;
    pub const TRUST_RAISED: usize = 4096;
}

/// A user, role or group as the memory account holds it. Fields a kind does
/// not have stay empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Principal {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: String,
    /// Users and roles (groups take none).
    pub tags: Tags,
    /// Users and roles: the permissions boundary's ARN.
    pub boundary: Option<String>,
    /// Attached managed policies' ARNs.
    pub attached: BTreeSet<String>,
    /// Inline policies by name.
    pub inline: BTreeMap<String, Value>,
    /// Users: the groups they belong to.
    pub groups: BTreeSet<String>,
    /// Users: access keys, login profile, MFA devices, certificates, SSH
    /// keys, service credentials (whatever names them): they keep a user
    /// from being deleted until removed.
    pub credentials: BTreeSet<String>,
    /// Roles: the trust policy.
    pub trust: Option<Value>,
    /// Roles.
    pub description: Option<String>,
    /// Roles: seconds (AWS's default is 3,600).
    pub max_session_duration: Option<u32>,
    /// Roles: the instance profiles holding them.
    pub instance_profiles: BTreeSet<String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub id: String,
    pub document: Value,
    pub created: String,
}

/// A managed policy: customer-managed, or AWS-managed (`aws_managed`).
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub id: String,
    pub created: String,
    pub updated: String,
    pub description: Option<String>,
    /// Customer-managed only.
    pub tags: Tags,
    /// Oldest first. Empty for an AWS-managed policy whose document is not
    /// known (attached in a seed snapshot that left it out): it is then left
    /// out of `authorization_details`, as it was.
    pub versions: Vec<Version>,
    pub default_version: String,
    /// The number of the next version (IAM never reuses one).
    pub next_version: u32,
    pub aws_managed: bool,
    /// AWS-managed: listed by `authorization_details` even when nothing
    /// holds it (it was in the snapshot the account was seeded from).
    pub listed: bool,
}

impl ManagedPolicy {
    /// The default version's document.
    pub fn document(&self) -> Option<&Value> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| &v.document)
    }
}

/// The state of the memory account. Public, so that tests seed and inspect
/// it (see [`MemoryBackend::edit`]); the rules live in the backend's calls.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryAccount {
    pub account_id: String,
    pub users: BTreeMap<String, Principal>,
    pub roles: BTreeMap<String, Principal>,
    pub groups: BTreeMap<String, Principal>,
    /// Managed policies by ARN, customer- and AWS-managed.
    pub policies: BTreeMap<String, ManagedPolicy>,
    /// The adjustable quotas raised to their maximum (an account may have
    /// asked for it): 20 managed policies per principal, 4,096 characters
    /// of trust policy.
    pub raised_quotas: bool,
    /// Logical clock: the seconds since 2024-01-01 of the last change.
    clock: i64,
    /// The last unique ID given.
    ids: u64,
}

fn err(kind: ErrorKind, message: impl Into<String>) -> BackendError {
    BackendError::new(kind, message)
}

fn kind_str(kind: PrincipalKind) -> &'static str {
    kind.as_str()
}

fn not_found(kind: PrincipalKind, name: &str) -> BackendError {
    err(
        ErrorKind::NotFound,
        format!("{} `{name}` does not exist", kind_str(kind)),
    )
}

fn policy_not_found(arn: &str) -> BackendError {
    err(
        ErrorKind::NotFound,
        format!("policy `{arn}` does not exist"),
    )
}

/// Names of users, roles, groups and policies: `[\w+=,.@-]`, 1 to `max`.
fn check_name(what: &str, name: &str, max: usize) -> BackendResult<()> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(err(
            ErrorKind::InvalidInput,
            format!("{what} name `{name}` is not valid (1 to {max} of letters, digits, _+=,.@-)"),
        ))
    }
}

/// A path: `/`, or `/` ... `/`, at most 512 characters.
fn check_path(path: &str) -> BackendResult<()> {
    let ok = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && !path.contains("//")
        && path.chars().all(|c| ('!'..='~').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(err(
            ErrorKind::InvalidInput,
            format!("path `{path}` is not valid (it starts and ends with `/`)"),
        ))
    }
}

fn check_tags(tags: &Tags) -> BackendResult<()> {
    if tags.len() > quota::TAGS {
        return Err(err(
            ErrorKind::LimitExceeded,
            format!("{} tags, more than IAM's {}", tags.len(), quota::TAGS),
        ));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(err(
                ErrorKind::InvalidInput,
                format!("tag `{k}` is not valid (key 1 to 128 characters, value up to 256)"),
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(err(
                ErrorKind::InvalidInput,
                format!("tag `{k}`: the prefix `aws:` is reserved for AWS"),
            ));
        }
    }
    Ok(())
}

/// A document's size as IAM counts it: characters, white space excluded.
fn size(document: &Value) -> usize {
    let text = document.to_string();
    // White space inside strings counts in IAM too, but JSON text from
    // `to_string` has none outside them, so counting all of it is close.
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// A policy document: a JSON object whose statements' `Sid`s are unique
/// (IAM: `MalformedPolicyDocument`). "In IAM, the Sid value must be unique
/// within a JSON policy."
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)
fn parse_document(what: &str, text: &str) -> BackendResult<Value> {
    let v = match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(err(
                ErrorKind::InvalidInput,
                format!("{what} is not a JSON policy document"),
            ))
        }
    };
    let mut sids = BTreeSet::new();
    let statements = v.get("Statement").and_then(Value::as_array);
    for sid in statements
        .into_iter()
        .flatten()
        .filter_map(|st| st.get("Sid").and_then(Value::as_str))
    {
        if !sids.insert(sid) {
            return Err(err(
                ErrorKind::InvalidInput,
                format!("{what}: `Sid` `{sid}` is used twice (IAM wants them unique)"),
            ));
        }
    }
    Ok(v)
}

fn check_session(seconds: Option<u32>) -> BackendResult<()> {
    match seconds {
        Some(s) if !(3600..=43200).contains(&s) => Err(err(
            ErrorKind::InvalidInput,
            format!("maximum session duration {s} s is not between 3,600 and 43,200"),
        )),
        _ => Ok(()),
    }
}

fn check_description(d: Option<&str>) -> BackendResult<()> {
    match d {
        Some(d) if d.chars().count() > 1000 => Err(err(
            ErrorKind::InvalidInput,
            "a description holds at most 1,000 characters",
        )),
        _ => Ok(()),
    }
}

impl MemoryAccount {
    /// An empty account.
    pub fn new(account_id: &str) -> MemoryAccount {
        MemoryAccount {
            account_id: account_id.to_owned(),
            users: BTreeMap::new(),
            roles: BTreeMap::new(),
            groups: BTreeMap::new(),
            policies: BTreeMap::new(),
            raised_quotas: false,
            clock: 0,
            ids: 0,
        }
    }

    fn trust_quota(&self) -> usize {
        if self.raised_quotas {
            quota::TRUST_RAISED
        } else {
            quota::TRUST
        }
    }

    /// The next instant of the logical clock, as RFC 3339.
    fn tick(&mut self) -> String {
        self.clock += 1;
        jiff::Timestamp::from_second(1_704_067_200 + self.clock)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// A unique ID with IAM's prefix for the kind (`AIDA`, `AROA`, ...).
    fn id(&mut self, prefix: &str) -> String {
        self.ids += 1;
        format!("{prefix}{:017X}", self.ids)
    }

    /// The ARN of a user, role or group.
    pub fn principal_arn(&self, kind: PrincipalKind, path: &str, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:{}{path}{name}",
            self.account_id,
            kind_str(kind)
        )
    }

    /// The ARN of a customer-managed policy.
    pub fn policy_arn(&self, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:policy{path}{name}", self.account_id)
    }

    pub fn principals(&self, kind: PrincipalKind) -> &BTreeMap<String, Principal> {
        match kind {
            PrincipalKind::User => &self.users,
            PrincipalKind::Role => &self.roles,
            PrincipalKind::Group => &self.groups,
        }
    }

    pub fn principals_mut(&mut self, kind: PrincipalKind) -> &mut BTreeMap<String, Principal> {
        match kind {
            PrincipalKind::User => &mut self.users,
            PrincipalKind::Role => &mut self.roles,
            PrincipalKind::Group => &mut self.groups,
        }
    }

    fn principal(&self, kind: PrincipalKind, name: &str) -> BackendResult<&Principal> {
        self.principals(kind)
            .get(name)
            .ok_or_else(|| not_found(kind, name))
    }

    fn principal_mut(&mut self, kind: PrincipalKind, name: &str) -> BackendResult<&mut Principal> {
        self.principals_mut(kind)
            .get_mut(name)
            .ok_or_else(|| not_found(kind, name))
    }

    fn policy(&self, arn: &str) -> BackendResult<&ManagedPolicy> {
        self.policies.get(arn).ok_or_else(|| policy_not_found(arn))
    }

    fn customer_policy_mut(&mut self, arn: &str) -> BackendResult<&mut ManagedPolicy> {
        match self.policies.get_mut(arn) {
            Some(p) if p.aws_managed => Err(err(
                ErrorKind::InvalidInput,
                format!("policy `{arn}` is AWS-managed and cannot be changed"),
            )),
            Some(p) => Ok(p),
            None => Err(policy_not_found(arn)),
        }
    }

    /// Who has `arn` attached.
    pub fn holders(&self, arn: &str) -> Vec<(PrincipalKind, String)> {
        let mut out = Vec::new();
        for kind in [
            PrincipalKind::User,
            PrincipalKind::Group,
            PrincipalKind::Role,
        ] {
            for (name, p) in self.principals(kind) {
                if p.attached.contains(arn) {
                    out.push((kind, name.clone()));
                }
            }
        }
        out
    }

    /// Users and roles with `arn` as permissions boundary.
    pub fn boundary_users(&self, arn: &str) -> usize {
        self.users
            .values()
            .chain(self.roles.values())
            .filter(|p| p.boundary.as_deref() == Some(arn))
            .count()
    }

    /// The members of a group.
    pub fn members(&self, group: &str) -> Vec<String> {
        self.users
            .values()
            .filter(|u| u.groups.contains(group))
            .map(|u| u.name.clone())
            .collect()
    }

    fn name_taken(&self, kind: PrincipalKind, name: &str) -> bool {
        self.principals(kind)
            .keys()
            .any(|k| k.eq_ignore_ascii_case(name))
    }

    // --- seeding (no checks beyond uniqueness) ---

    /// Adds an AWS-managed policy (`arn:aws:iam::aws:policy/<name>`) with
    /// its document, as a seed.
    pub fn add_aws_policy(&mut self, name: &str, document: Value) -> String {
        self.add_aws_policy_at("/", name, Some(document))
    }

    pub(crate) fn add_aws_policy_at(
        &mut self,
        path: &str,
        name: &str,
        document: Option<Value>,
    ) -> String {
        let arn = format!("arn:aws:iam::aws:policy{path}{name}");
        let created = self.tick();
        let id = self.id("ANPA");
        let versions = document
            .map(|document| Version {
                id: "v1".to_owned(),
                document,
                created: created.clone(),
            })
            .into_iter()
            .collect();
        self.policies.insert(
            arn.clone(),
            ManagedPolicy {
                name: name.to_owned(),
                path: path.to_owned(),
                arn: arn.clone(),
                id,
                created: created.clone(),
                updated: created,
                description: None,
                tags: Tags::new(),
                versions,
                default_version: "v1".to_owned(),
                next_version: 2,
                aws_managed: true,
                listed: false,
            },
        );
        arn
    }

    // --- the calls ---

    pub fn create_policy(&mut self, p: &NewPolicy<'_>) -> BackendResult<()> {
        check_name("policy", p.name, 128)?;
        check_path(p.path)?;
        check_tags(p.tags)?;
        check_description(p.description)?;
        let document = parse_document("the policy", p.document)?;
        if size(&document) > quota::MANAGED_POLICY {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "policy `{}` has {} characters, more than IAM's {}",
                    p.name,
                    size(&document),
                    quota::MANAGED_POLICY
                ),
            ));
        }
        if self
            .policies
            .values()
            .any(|q| !q.aws_managed && q.name.eq_ignore_ascii_case(p.name))
        {
            return Err(err(
                ErrorKind::AlreadyExists,
                format!("policy `{}` already exists", p.name),
            ));
        }
        let arn = self.policy_arn(p.path, p.name);
        let created = self.tick();
        let id = self.id("ANPA");
        self.policies.insert(
            arn.clone(),
            ManagedPolicy {
                name: p.name.to_owned(),
                path: p.path.to_owned(),
                arn,
                id,
                created: created.clone(),
                updated: created.clone(),
                description: p.description.map(str::to_owned),
                tags: p.tags.clone(),
                versions: vec![Version {
                    id: "v1".to_owned(),
                    document,
                    created,
                }],
                default_version: "v1".to_owned(),
                next_version: 2,
                aws_managed: false,
                listed: false,
            },
        );
        Ok(())
    }

    pub fn list_policy_versions(&self, arn: &str) -> BackendResult<Vec<PolicyVersion>> {
        let p = self.policy(arn)?;
        // ListPolicyVersions: newest first.
        Ok(p.versions
            .iter()
            .rev()
            .map(|v| PolicyVersion {
                version_id: v.id.clone(),
                is_default_version: v.id == p.default_version,
            })
            .collect())
    }

    pub fn policy_version_document(&self, arn: &str, version: &str) -> BackendResult<Value> {
        self.policy(arn)?
            .versions
            .iter()
            .find(|v| v.id == version)
            .map(|v| v.document.clone())
            .ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    format!("policy `{arn}` has no version `{version}`"),
                )
            })
    }

    pub fn create_policy_version(&mut self, arn: &str, document: &str) -> BackendResult<()> {
        let document = parse_document("the policy", document)?;
        let p = self.customer_policy_mut(arn)?;
        if p.versions.len() >= quota::VERSIONS {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "policy `{arn}` already has {} versions (IAM's limit); delete one first",
                    quota::VERSIONS
                ),
            ));
        }
        if size(&document) > quota::MANAGED_POLICY {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "the document has {} characters, more than IAM's {}",
                    size(&document),
                    quota::MANAGED_POLICY
                ),
            ));
        }
        let created = self.tick();
        let p = self.customer_policy_mut(arn)?;
        let id = format!("v{}", p.next_version);
        p.next_version += 1;
        p.versions.push(Version {
            id: id.clone(),
            document,
            created: created.clone(),
        });
        p.default_version = id;
        p.updated = created;
        Ok(())
    }

    pub fn set_default_policy_version(&mut self, arn: &str, version: &str) -> BackendResult<()> {
        let created = self.tick();
        let p = self.customer_policy_mut(arn)?;
        if !p.versions.iter().any(|v| v.id == version) {
            return Err(err(
                ErrorKind::NotFound,
                format!("policy `{arn}` has no version `{version}`"),
            ));
        }
        p.default_version = version.to_owned();
        p.updated = created;
        Ok(())
    }

    pub fn delete_policy_version(&mut self, arn: &str, version: &str) -> BackendResult<()> {
        let p = self.customer_policy_mut(arn)?;
        if !p.versions.iter().any(|v| v.id == version) {
            return Err(err(
                ErrorKind::NotFound,
                format!("policy `{arn}` has no version `{version}`"),
            ));
        }
        if p.default_version == version {
            return Err(err(
                ErrorKind::DeleteConflict,
                format!(
                    "version `{version}` is the default of policy `{arn}`: it cannot be deleted"
                ),
            ));
        }
        p.versions.retain(|v| v.id != version);
        Ok(())
    }

    pub fn delete_policy(&mut self, arn: &str) -> BackendResult<()> {
        let p = self.policy(arn)?;
        if p.aws_managed {
            return Err(err(
                ErrorKind::InvalidInput,
                format!("policy `{arn}` is AWS-managed and cannot be deleted"),
            ));
        }
        let holders = self.holders(arn).len() + self.boundary_users(arn);
        if holders > 0 {
            return Err(err(
                ErrorKind::DeleteConflict,
                format!("policy `{arn}` is attached to {holders} entities: detach it first"),
            ));
        }
        if p.versions.len() > 1 {
            return Err(err(
                ErrorKind::DeleteConflict,
                format!(
                    "policy `{arn}` has {} versions besides the default: delete them first",
                    p.versions.len() - 1
                ),
            ));
        }
        self.policies.remove(arn);
        Ok(())
    }

    pub fn tag_policy(&mut self, arn: &str, tags: &Tags) -> BackendResult<()> {
        check_tags(tags)?;
        let p = self.customer_policy_mut(arn)?;
        let mut all = p.tags.clone();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        check_tags(&all)?;
        p.tags = all;
        Ok(())
    }

    pub fn untag_policy(&mut self, arn: &str, keys: &[String]) -> BackendResult<()> {
        let p = self.customer_policy_mut(arn)?;
        for k in keys {
            p.tags.remove(k);
        }
        Ok(())
    }

    pub fn policy_tags(&self, arn: &str) -> BackendResult<Tags> {
        Ok(self.policy(arn)?.tags.clone())
    }

    pub fn policy_document(&self, arn: &str) -> BackendResult<Value> {
        let p = self.policy(arn)?;
        p.document().cloned().ok_or_else(|| {
            err(
                ErrorKind::NotFound,
                format!("policy `{arn}`: its document is not known to the memory account"),
            )
        })
    }

    pub fn create_user(&mut self, name: &str, path: &str, tags: &Tags) -> BackendResult<()> {
        check_name("user", name, 64)?;
        check_path(path)?;
        check_tags(tags)?;
        if self.name_taken(PrincipalKind::User, name) {
            return Err(err(
                ErrorKind::AlreadyExists,
                format!("user `{name}` already exists"),
            ));
        }
        let created = self.tick();
        let id = self.id("AIDA");
        self.users.insert(
            name.to_owned(),
            Principal {
                name: name.to_owned(),
                path: path.to_owned(),
                id,
                created,
                tags: tags.clone(),
                ..Principal::default()
            },
        );
        Ok(())
    }

    pub fn create_role(&mut self, r: &NewRole<'_>) -> BackendResult<()> {
        check_name("role", r.name, 64)?;
        check_path(r.path)?;
        check_tags(r.tags)?;
        check_session(r.max_session_duration)?;
        check_description(r.description)?;
        let trust = parse_document("the trust policy", r.trust)?;
        if size(&trust) > self.trust_quota() {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "the trust policy has more than {} characters",
                    self.trust_quota()
                ),
            ));
        }
        if self.name_taken(PrincipalKind::Role, r.name) {
            return Err(err(
                ErrorKind::AlreadyExists,
                format!("role `{}` already exists", r.name),
            ));
        }
        let created = self.tick();
        let id = self.id("AROA");
        self.roles.insert(
            r.name.to_owned(),
            Principal {
                name: r.name.to_owned(),
                path: r.path.to_owned(),
                id,
                created,
                tags: r.tags.clone(),
                trust: Some(trust),
                description: r.description.map(str::to_owned),
                max_session_duration: r.max_session_duration,
                ..Principal::default()
            },
        );
        Ok(())
    }

    pub fn create_group(&mut self, name: &str, path: &str) -> BackendResult<()> {
        check_name("group", name, 128)?;
        check_path(path)?;
        if self.name_taken(PrincipalKind::Group, name) {
            return Err(err(
                ErrorKind::AlreadyExists,
                format!("group `{name}` already exists"),
            ));
        }
        let created = self.tick();
        let id = self.id("AGPA");
        self.groups.insert(
            name.to_owned(),
            Principal {
                name: name.to_owned(),
                path: path.to_owned(),
                id,
                created,
                ..Principal::default()
            },
        );
        Ok(())
    }

    pub fn update_path(
        &mut self,
        kind: PrincipalKind,
        name: &str,
        path: &str,
    ) -> BackendResult<()> {
        if kind == PrincipalKind::Role {
            return Err(err(
                ErrorKind::InvalidInput,
                format!("role `{name}`: IAM cannot change a role's path"),
            ));
        }
        check_path(path)?;
        self.principal_mut(kind, name)?.path = path.to_owned();
        Ok(())
    }

    pub fn update_role(
        &mut self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> BackendResult<()> {
        check_session(max_session_duration)?;
        check_description(description)?;
        let r = self.principal_mut(PrincipalKind::Role, name)?;
        // UpdateRole leaves what it is not given as it is.
        if let Some(d) = description {
            r.description = Some(d.to_owned());
        }
        if let Some(s) = max_session_duration {
            r.max_session_duration = Some(s);
        }
        Ok(())
    }

    pub fn update_trust(&mut self, name: &str, trust: &str) -> BackendResult<()> {
        let trust = parse_document("the trust policy", trust)?;
        if size(&trust) > self.trust_quota() {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "the trust policy has more than {} characters",
                    self.trust_quota()
                ),
            ));
        }
        self.principal_mut(PrincipalKind::Role, name)?.trust = Some(trust);
        Ok(())
    }

    fn no_group(kind: PrincipalKind, name: &str, what: &str) -> BackendResult<()> {
        if kind == PrincipalKind::Group {
            Err(err(
                ErrorKind::InvalidInput,
                format!("group `{name}`: IAM groups take no {what}"),
            ))
        } else {
            Ok(())
        }
    }

    pub fn principal_tags(&self, kind: PrincipalKind, name: &str) -> BackendResult<Tags> {
        Ok(self.principal(kind, name)?.tags.clone())
    }

    pub fn tag(&mut self, kind: PrincipalKind, name: &str, tags: &Tags) -> BackendResult<()> {
        Self::no_group(kind, name, "tags")?;
        check_tags(tags)?;
        let p = self.principal_mut(kind, name)?;
        let mut all = p.tags.clone();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        check_tags(&all)?;
        p.tags = all;
        Ok(())
    }

    pub fn untag(&mut self, kind: PrincipalKind, name: &str, keys: &[String]) -> BackendResult<()> {
        Self::no_group(kind, name, "tags")?;
        let p = self.principal_mut(kind, name)?;
        for k in keys {
            p.tags.remove(k);
        }
        Ok(())
    }

    pub fn put_boundary(
        &mut self,
        kind: PrincipalKind,
        name: &str,
        arn: &str,
    ) -> BackendResult<()> {
        Self::no_group(kind, name, "permissions boundary")?;
        self.principal(kind, name)?;
        self.policy(arn)?;
        self.principal_mut(kind, name)?.boundary = Some(arn.to_owned());
        Ok(())
    }

    pub fn delete_boundary(&mut self, kind: PrincipalKind, name: &str) -> BackendResult<()> {
        Self::no_group(kind, name, "permissions boundary")?;
        self.principal_mut(kind, name)?.boundary = None;
        Ok(())
    }

    pub fn add_member(&mut self, group: &str, user: &str) -> BackendResult<()> {
        self.principal(PrincipalKind::Group, group)?;
        let u = self.principal_mut(PrincipalKind::User, user)?;
        if !u.groups.contains(group) && u.groups.len() >= quota::GROUPS_PER_USER {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "user `{user}` is in {} groups already, IAM's limit",
                    quota::GROUPS_PER_USER
                ),
            ));
        }
        u.groups.insert(group.to_owned());
        Ok(())
    }

    pub fn remove_member(&mut self, group: &str, user: &str) -> BackendResult<()> {
        self.principal(PrincipalKind::Group, group)?;
        let u = self.principal_mut(PrincipalKind::User, user)?;
        if !u.groups.remove(group) {
            return Err(err(
                ErrorKind::NotFound,
                format!("user `{user}` is not in group `{group}`"),
            ));
        }
        Ok(())
    }

    pub fn group_members(&self, group: &str) -> BackendResult<Vec<String>> {
        self.principal(PrincipalKind::Group, group)?;
        Ok(self.members(group))
    }

    pub fn attach(&mut self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        self.principal(kind, name)?;
        self.policy(arn)?;
        let limit = if self.raised_quotas {
            quota::ATTACHED_RAISED
        } else {
            quota::ATTACHED
        };
        let p = self.principal_mut(kind, name)?;
        if !p.attached.contains(arn) && p.attached.len() >= limit {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "{} `{name}` has {limit} managed policies attached already, IAM's limit",
                    kind_str(kind),
                ),
            ));
        }
        p.attached.insert(arn.to_owned());
        Ok(())
    }

    pub fn detach(&mut self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        let p = self.principal_mut(kind, name)?;
        if !p.attached.remove(arn) {
            return Err(err(
                ErrorKind::NotFound,
                format!(
                    "policy `{arn}` is not attached to {} `{name}`",
                    kind_str(kind)
                ),
            ));
        }
        Ok(())
    }

    pub fn list_attached(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        Ok(self
            .principal(kind, name)?
            .attached
            .iter()
            .cloned()
            .collect())
    }

    pub fn put_inline(
        &mut self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
        document: &str,
    ) -> BackendResult<()> {
        check_name("inline policy", policy, 128)?;
        let document = parse_document("the inline policy", document)?;
        let limit = match kind {
            PrincipalKind::User => quota::INLINE_USER,
            PrincipalKind::Role => quota::INLINE_ROLE,
            PrincipalKind::Group => quota::INLINE_GROUP,
        };
        let p = self.principal_mut(kind, name)?;
        let total: usize = p
            .inline
            .iter()
            .filter(|(n, _)| n.as_str() != policy)
            .map(|(_, d)| size(d))
            .sum::<usize>()
            + size(&document);
        if total > limit {
            return Err(err(
                ErrorKind::LimitExceeded,
                format!(
                    "{} `{name}`: inline policies of {total} characters in all, more than IAM's {limit}",
                    kind_str(kind)
                ),
            ));
        }
        p.inline.insert(policy.to_owned(), document);
        Ok(())
    }

    pub fn delete_inline(
        &mut self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> BackendResult<()> {
        let p = self.principal_mut(kind, name)?;
        if p.inline.remove(policy).is_none() {
            return Err(err(
                ErrorKind::NotFound,
                format!(
                    "{} `{name}` has no inline policy `{policy}`",
                    kind_str(kind)
                ),
            ));
        }
        Ok(())
    }

    pub fn list_inline(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        Ok(self.principal(kind, name)?.inline.keys().cloned().collect())
    }

    pub fn remove_user_dependents(&mut self, name: &str) -> BackendResult<()> {
        let u = self.principal_mut(PrincipalKind::User, name)?;
        u.credentials.clear();
        u.groups.clear();
        u.attached.clear();
        u.inline.clear();
        Ok(())
    }

    pub fn delete_user(&mut self, name: &str) -> BackendResult<()> {
        let u = self.principal(PrincipalKind::User, name)?;
        let mut held = Vec::new();
        if !u.credentials.is_empty() {
            held.push("credentials");
        }
        if !u.groups.is_empty() {
            held.push("group memberships");
        }
        if !u.attached.is_empty() {
            held.push("attached policies");
        }
        if !u.inline.is_empty() {
            held.push("inline policies");
        }
        if !held.is_empty() {
            return Err(err(
                ErrorKind::DeleteConflict,
                format!("user `{name}` still has {}", held.join(", ")),
            ));
        }
        self.users.remove(name);
        Ok(())
    }

    pub fn instance_profiles_for_role(&self, role: &str) -> BackendResult<Vec<String>> {
        Ok(self
            .principal(PrincipalKind::Role, role)?
            .instance_profiles
            .iter()
            .cloned()
            .collect())
    }

    pub fn remove_from_instance_profile(&mut self, role: &str, profile: &str) -> BackendResult<()> {
        let r = self.principal_mut(PrincipalKind::Role, role)?;
        if !r.instance_profiles.remove(profile) {
            return Err(err(
                ErrorKind::NotFound,
                format!("role `{role}` is not in instance profile `{profile}`"),
            ));
        }
        Ok(())
    }

    pub fn delete_role(&mut self, name: &str) -> BackendResult<()> {
        let r = self.principal(PrincipalKind::Role, name)?;
        let mut held = Vec::new();
        if !r.instance_profiles.is_empty() {
            held.push("instance profiles");
        }
        if !r.attached.is_empty() {
            held.push("attached policies");
        }
        if !r.inline.is_empty() {
            held.push("inline policies");
        }
        if !held.is_empty() {
            return Err(err(
                ErrorKind::DeleteConflict,
                format!("role `{name}` still has {}", held.join(", ")),
            ));
        }
        self.roles.remove(name);
        Ok(())
    }

    pub fn delete_group(&mut self, name: &str) -> BackendResult<()> {
        let g = self.principal(PrincipalKind::Group, name)?;
        let mut held = Vec::new();
        if !self.members(name).is_empty() {
            held.push("members");
        }
        if !g.attached.is_empty() {
            held.push("attached policies");
        }
        if !g.inline.is_empty() {
            held.push("inline policies");
        }
        if !held.is_empty() {
            return Err(err(
                ErrorKind::DeleteConflict,
                format!("group `{name}` still has {}", held.join(", ")),
            ));
        }
        self.groups.remove(name);
        Ok(())
    }

    // --- concurrent removals (faults) ---

    /// Removes a principal whatever it holds, as someone else would
    /// (memberships of a group's users go with it).
    pub fn force_delete(&mut self, kind: PrincipalKind, name: &str) {
        self.principals_mut(kind).remove(name);
        if kind == PrincipalKind::Group {
            for u in self.users.values_mut() {
                u.groups.remove(name);
            }
        }
    }

    /// Removes a customer-managed policy whoever holds it, as someone else
    /// would (detached, boundaries removed, versions deleted).
    pub fn force_delete_policy(&mut self, arn: &str) {
        if self.policies.get(arn).is_some_and(|p| p.aws_managed) {
            return;
        }
        for kind in [
            PrincipalKind::User,
            PrincipalKind::Role,
            PrincipalKind::Group,
        ] {
            for p in self.principals_mut(kind).values_mut() {
                p.attached.remove(arn);
                if p.boundary.as_deref() == Some(arn) {
                    p.boundary = None;
                }
            }
        }
        self.policies.remove(arn);
    }
}

/// The account `snapshot` describes as it will be once `changes` are made (see
/// [`MemoryBackend::make_changes`]), in the same shape; the adjustable
/// quotas at their maximum.
pub fn after_changes(snapshot: &Snapshot, changes: &[Change], account_id: &str) -> Snapshot {
    let b = MemoryBackend::from_snapshot_with(Some(account_id), snapshot, &HashMap::new());
    // The account may have raised its quotas: the plan's intent counts.
    b.edit(|a| a.raised_quotas = true);
    b.make_changes(changes);
    b.snapshot()
}

/// What a call is about: what a concurrent removal (a `NotFound` fault)
/// removes before it runs.
#[derive(Debug, Clone)]
enum Target<'a> {
    None,
    Principal(PrincipalKind, &'a str),
    Policy(&'a str),
    Version(&'a str, &'a str),
    PolicyTags(&'a str, &'a [String]),
    Tags(PrincipalKind, &'a str, &'a [String]),
    Boundary(PrincipalKind, &'a str),
    Attachment(PrincipalKind, &'a str, &'a str),
    Inline(PrincipalKind, &'a str, &'a str),
    Member(&'a str, &'a str),
    Profile(&'a str, &'a str),
}

/// One backend call: its method, the IAM API it counts as, what it is about
/// and whether it removes that.
struct Call<'a> {
    method: &'static str,
    api: &'static str,
    target: Target<'a>,
    removal: bool,
}

impl<'a> Call<'a> {
    fn new(method: &'static str, api: &'static str, target: Target<'a>) -> Call<'a> {
        Call {
            method,
            api,
            target,
            removal: false,
        }
    }

    fn removal(mut self) -> Call<'a> {
        self.removal = true;
        self
    }
}

impl MemoryAccount {
    /// Someone else removes what `target` names.
    fn vanish(&mut self, target: &Target<'_>) {
        match *target {
            Target::None => {}
            Target::Principal(kind, name) => self.force_delete(kind, name),
            Target::Policy(arn) => self.force_delete_policy(arn),
            Target::Version(arn, v) => {
                if let Some(p) = self.policies.get_mut(arn) {
                    if p.default_version != v {
                        p.versions.retain(|x| x.id != v);
                    }
                }
            }
            Target::PolicyTags(arn, keys) => {
                if let Some(p) = self.policies.get_mut(arn) {
                    for k in keys {
                        p.tags.remove(k);
                    }
                }
            }
            Target::Tags(kind, name, keys) => {
                if let Some(p) = self.principals_mut(kind).get_mut(name) {
                    for k in keys {
                        p.tags.remove(k);
                    }
                }
            }
            Target::Boundary(kind, name) => {
                if let Some(p) = self.principals_mut(kind).get_mut(name) {
                    p.boundary = None;
                }
            }
            Target::Attachment(kind, name, arn) => {
                if let Some(p) = self.principals_mut(kind).get_mut(name) {
                    p.attached.remove(arn);
                }
            }
            Target::Inline(kind, name, policy) => {
                if let Some(p) = self.principals_mut(kind).get_mut(name) {
                    p.inline.remove(policy);
                }
            }
            Target::Member(group, user) => {
                if let Some(u) = self.users.get_mut(user) {
                    u.groups.remove(group);
                }
            }
            Target::Profile(role, profile) => {
                if let Some(r) = self.roles.get_mut(role) {
                    r.instance_profiles.remove(profile);
                }
            }
        }
    }
}

struct Inner {
    account: MemoryAccount,
    faults: FaultSchedule,
    /// Calls made, by IAM API name.
    calls: BTreeMap<&'static str, usize>,
    /// Backend calls made, by API or method: for "the n-th call of".
    per_name: BTreeMap<&'static str, usize>,
    /// Backend calls made (the index of the next).
    index: usize,
    injected: Vec<Injected>,
    paused: Duration,
}

/// An IAM account in memory behind [`IamBackend`].
pub struct MemoryBackend {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryBackend")
            .field("account", &inner.account)
            .field("index", &inner.index)
            .finish()
    }
}

fn api_for(
    kind: PrincipalKind,
    user: &'static str,
    role: &'static str,
    group: &'static str,
) -> &'static str {
    match kind {
        PrincipalKind::User => user,
        PrincipalKind::Role => role,
        PrincipalKind::Group => group,
    }
}

impl MemoryBackend {
    /// An empty account.
    pub fn new(account_id: &str) -> MemoryBackend {
        MemoryBackend::with_account(MemoryAccount::new(account_id))
    }

    /// An account holding `account`.
    pub fn with_account(account: MemoryAccount) -> MemoryBackend {
        MemoryBackend {
            inner: Mutex::new(Inner {
                account,
                faults: FaultSchedule::none(),
                calls: BTreeMap::new(),
                per_name: BTreeMap::new(),
                index: 0,
                injected: Vec::new(),
                paused: Duration::ZERO,
            }),
        }
    }

    /// An account holding what a GetAccountAuthorizationDetails document
    /// describes (as `iamctl account snapshot` writes it, documents decoded
    /// or as text); its ID read from the ARNs ([`DEFAULT_ACCOUNT`] when none
    /// says). AWS-managed policies the snapshot lists stay listed; those it
    /// only names in attachments are attachable, without a document.
    pub fn from_snapshot(snapshot: &Snapshot) -> MemoryBackend {
        MemoryBackend::with_account(gaad::read(snapshot, None, &HashMap::new()))
    }

    /// [`MemoryBackend::from_snapshot`] with the account ID given and the
    /// tags of customer-managed policies (by ARN), which
    /// GetAccountAuthorizationDetails does not hold.
    pub fn from_snapshot_with(
        account_id: Option<&str>,
        snapshot: &Snapshot,
        policy_tags: &HashMap<String, Tags>,
    ) -> MemoryBackend {
        MemoryBackend::with_account(gaad::read(snapshot, account_id, policy_tags))
    }

    /// Adds AWS-managed policies (name, document), e.g. `ReadOnlyAccess`.
    pub fn with_aws_policies<'a>(
        self,
        policies: impl IntoIterator<Item = (&'a str, Value)>,
    ) -> Self {
        self.edit(|a| {
            for (name, doc) in policies {
                a.add_aws_policy(name, doc);
            }
        });
        self
    }

    /// Faults from now on (replacing those before); call indexes count from
    /// the first call ever made.
    pub fn set_faults(&self, faults: FaultSchedule) {
        self.lock().faults = faults;
    }

    /// Faults, with call indexes counted from the next call.
    pub fn set_faults_from_now(&self, faults: FaultSchedule) {
        let mut inner = self.lock();
        let start = inner.index;
        inner.faults = faults.shifted(start);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the account's state.
    pub fn state(&self) -> MemoryAccount {
        self.lock().account.clone()
    }

    /// Changes the account directly (seeding, or someone else's change): no
    /// call counted, no fault.
    pub fn edit<R>(&self, f: impl FnOnce(&mut MemoryAccount) -> R) -> R {
        f(&mut self.lock().account)
    }

    /// Calls made so far, by IAM API name.
    pub fn calls(&self) -> BTreeMap<String, usize> {
        self.lock()
            .calls
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect()
    }

    /// IAM API calls made so far, in all.
    pub fn total_calls(&self) -> usize {
        self.lock().calls.values().sum()
    }

    /// Backend calls made so far (the index the next call gets; a call
    /// composed of several IAM calls counts once).
    pub fn calls_made(&self) -> usize {
        self.lock().index
    }

    /// Forgets the calls counted (not the call index faults refer to).
    pub fn reset_calls(&self) {
        self.lock().calls.clear();
    }

    /// Faults injected so far.
    pub fn injected(&self) -> Vec<Injected> {
        self.lock().injected.clone()
    }

    /// The time `pause` was asked to wait, in all.
    pub fn paused(&self) -> Duration {
        self.lock().paused
    }

    /// The account as GetAccountAuthorizationDetails describes it, without
    /// counting a call.
    pub fn snapshot(&self) -> Snapshot {
        gaad::write(&self.lock().account)
    }

    /// Makes `changes` as apply does ([`crate::apply::execute`]), in phase
    /// order; the ones IAM refuses (a quota, something missing) are left out
    /// and the others still made: what a plan leads to, as far as IAM lets
    /// it. AWS-managed policies the changes name that the account lacks
    /// become attachable first, without a document (as a `--local-only`
    /// snapshot has them). Returns the refused changes with their errors.
    pub fn make_changes(&self, changes: &[Change]) -> Vec<(String, BackendError)> {
        self.edit(|a| {
            for arn in changes.iter().filter_map(Change::policy_arn) {
                if arn.split(':').nth(4) == Some("aws") && !a.policies.contains_key(arn) {
                    let rest = arn.split_once(":policy").map_or("/", |(_, r)| r);
                    let (path, name) = rest.rsplit_once('/').unwrap_or(("", rest));
                    a.add_aws_policy_at(&format!("{path}/"), name, None);
                }
            }
        });
        let mut ordered: Vec<&Change> = changes.iter().collect();
        ordered.sort_by_key(|c| c.phase());
        ordered
            .into_iter()
            .filter_map(|c| {
                futures::executor::block_on(crate::apply::execute(self, c))
                    .err()
                    .map(|e| (c.summary(), e))
            })
            .collect()
    }

    /// The tags of every customer-managed policy, by ARN (what ListPolicyTags
    /// answers), without counting calls.
    pub fn policy_tags_by_arn(&self) -> HashMap<String, Tags> {
        self.lock()
            .account
            .policies
            .values()
            .filter(|p| !p.aws_managed)
            .map(|p| (p.arn.clone(), p.tags.clone()))
            .collect()
    }

    /// Runs one call: counts it, applies its fault, runs `effect`.
    fn run<T>(
        &self,
        call: Call<'_>,
        apis: &[&'static str],
        effect: impl FnOnce(&mut MemoryAccount) -> BackendResult<T>,
    ) -> BackendResult<T> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let index = inner.index;
        inner.index += 1;
        for api in std::iter::once(&call.api).chain(apis) {
            *inner.calls.entry(api).or_default() += 1;
        }
        let nth_api = *inner.per_name.get(call.api).unwrap_or(&0);
        let nth_method = *inner.per_name.get(call.method).unwrap_or(&0);
        *inner.per_name.entry(call.api).or_default() += 1;
        if call.method != call.api {
            *inner.per_name.entry(call.method).or_default() += 1;
        }
        for change in inner.faults.take_meanwhile(index) {
            change(&mut inner.account);
        }
        // The n-th call of an API and of a method may differ (kinds share a
        // method): a rule names one; each is asked with its own count.
        let fault = inner.faults.decide(
            index,
            (call.api, nth_api),
            (call.method, nth_method),
            call.removal,
        );
        if let Some(fault) = fault {
            inner.injected.push(Injected {
                index,
                api: call.api,
                fault,
            });
        }
        let what = || format!("{} (memory account, call {index})", call.api);
        match fault {
            None => effect(&mut inner.account),
            Some(Fault::Throttled) => Err(err(
                ErrorKind::Throttled,
                format!("{}: rate exceeded", what()),
            )),
            Some(Fault::LostReply) => {
                let _ = effect(&mut inner.account);
                Err(err(
                    ErrorKind::Other,
                    format!("{}: the connection closed before the reply", what()),
                ))
            }
            // A call about nothing that can vanish (a create, a read of
            // the whole account): answered NotFound, no effect.
            Some(Fault::NotFound) if matches!(call.target, Target::None) => {
                Err(err(ErrorKind::NotFound, format!("{}: not found", what())))
            }
            Some(Fault::NotFound) => {
                inner.account.vanish(&call.target);
                effect(&mut inner.account)
            }
        }
    }
}

#[async_trait]
impl IamBackend for MemoryBackend {
    async fn authorization_details(&self) -> BackendResult<AuthorizationDetails> {
        // As the SDK backend reads: the local entities (GetAccountAuthorizationDetails
        // filtered so), one call per page of 100 (its default MaxItems), the
        // first counted with the call itself; then each AWS-managed policy
        // attached with GetPolicy and GetPolicyVersion.
        let call = Call::new(
            "authorization_details",
            "GetAccountAuthorizationDetails",
            Target::None,
        );
        let mut aws_managed = 0;
        let r = self.run(call, &[], |a| {
            let document = gaad::write(a);
            aws_managed = document
                .policies
                .iter()
                .filter(|p| p.arn.contains(":aws:policy/"))
                .count();
            let items = document.user_detail_list.len()
                + document.group_detail_list.len()
                + document.role_detail_list.len()
                + document.policies.len()
                - aws_managed;
            Ok(AuthorizationDetails {
                document,
                pages: items.div_ceil(100).max(1),
            })
        })?;
        if aws_managed > 0 {
            let mut inner = self.lock();
            *inner.calls.entry("GetPolicy").or_default() += aws_managed;
            *inner.calls.entry("GetPolicyVersion").or_default() += aws_managed;
        }
        if r.pages > 1 {
            *self
                .lock()
                .calls
                .entry("GetAccountAuthorizationDetails")
                .or_default() += r.pages - 1;
        }
        Ok(r)
    }

    async fn policy_tags(&self, arn: &str) -> BackendResult<Tags> {
        let call = Call::new("policy_tags", "ListPolicyTags", Target::Policy(arn));
        self.run(call, &[], |a| a.policy_tags(arn))
    }

    async fn policy_document(&self, arn: &str) -> BackendResult<Value> {
        let call = Call::new("policy_document", "GetPolicy", Target::Policy(arn));
        self.run(call, &["GetPolicyVersion"], |a| a.policy_document(arn))
    }

    async fn principal_tags(&self, kind: PrincipalKind, name: &str) -> BackendResult<Tags> {
        let api = api_for(kind, "GetUser", "GetRole", "GetGroup");
        let call = Call::new("principal_tags", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.principal_tags(kind, name))
    }

    async fn create_policy(&self, p: &NewPolicy<'_>) -> BackendResult<()> {
        let call = Call::new("create_policy", "CreatePolicy", Target::None);
        self.run(call, &[], |a| a.create_policy(p))
    }

    async fn list_policy_versions(&self, arn: &str) -> BackendResult<Vec<PolicyVersion>> {
        let call = Call::new(
            "list_policy_versions",
            "ListPolicyVersions",
            Target::Policy(arn),
        );
        self.run(call, &[], |a| a.list_policy_versions(arn))
    }

    async fn policy_version_document(&self, arn: &str, version: &str) -> BackendResult<Value> {
        let call = Call::new(
            "policy_version_document",
            "GetPolicyVersion",
            Target::Version(arn, version),
        );
        self.run(call, &[], |a| a.policy_version_document(arn, version))
    }

    async fn create_policy_version(&self, arn: &str, document: &str) -> BackendResult<()> {
        let call = Call::new(
            "create_policy_version",
            "CreatePolicyVersion",
            Target::Policy(arn),
        );
        self.run(call, &[], |a| a.create_policy_version(arn, document))
    }

    async fn set_default_policy_version(&self, arn: &str, version: &str) -> BackendResult<()> {
        let call = Call::new(
            "set_default_policy_version",
            "SetDefaultPolicyVersion",
            Target::Version(arn, version),
        );
        self.run(call, &[], |a| a.set_default_policy_version(arn, version))
    }

    async fn delete_policy_version(&self, arn: &str, version: &str) -> BackendResult<()> {
        let call = Call::new(
            "delete_policy_version",
            "DeletePolicyVersion",
            Target::Version(arn, version),
        )
        .removal();
        self.run(call, &[], |a| a.delete_policy_version(arn, version))
    }

    async fn delete_policy(&self, arn: &str) -> BackendResult<()> {
        let call = Call::new("delete_policy", "DeletePolicy", Target::Policy(arn)).removal();
        self.run(call, &[], |a| a.delete_policy(arn))
    }

    async fn tag_policy(&self, arn: &str, tags: &Tags) -> BackendResult<()> {
        let call = Call::new("tag_policy", "TagPolicy", Target::Policy(arn));
        self.run(call, &[], |a| a.tag_policy(arn, tags))
    }

    async fn untag_policy(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        let call =
            Call::new("untag_policy", "UntagPolicy", Target::PolicyTags(arn, keys)).removal();
        self.run(call, &[], |a| a.untag_policy(arn, keys))
    }

    async fn policy_holders(&self, arn: &str) -> BackendResult<Vec<(PrincipalKind, String)>> {
        let call = Call::new(
            "policy_holders",
            "ListEntitiesForPolicy",
            Target::Policy(arn),
        );
        self.run(call, &[], |a| {
            a.policy(arn)?;
            Ok(a.holders(arn))
        })
    }

    async fn create_user(&self, name: &str, path: &str, tags: &Tags) -> BackendResult<()> {
        let call = Call::new("create_user", "CreateUser", Target::None);
        self.run(call, &[], |a| a.create_user(name, path, tags))
    }

    async fn create_role(&self, r: &NewRole<'_>) -> BackendResult<()> {
        let call = Call::new("create_role", "CreateRole", Target::None);
        self.run(call, &[], |a| a.create_role(r))
    }

    async fn create_group(&self, name: &str, path: &str) -> BackendResult<()> {
        let call = Call::new("create_group", "CreateGroup", Target::None);
        self.run(call, &[], |a| a.create_group(name, path))
    }

    async fn update_path(&self, kind: PrincipalKind, name: &str, path: &str) -> BackendResult<()> {
        let api = api_for(kind, "UpdateUser", "UpdateRole", "UpdateGroup");
        let call = Call::new("update_path", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.update_path(kind, name, path))
    }

    async fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> BackendResult<()> {
        let call = Call::new(
            "update_role",
            "UpdateRole",
            Target::Principal(PrincipalKind::Role, name),
        );
        self.run(call, &[], |a| {
            a.update_role(name, description, max_session_duration)
        })
    }

    async fn update_trust(&self, name: &str, trust: &str) -> BackendResult<()> {
        let call = Call::new(
            "update_trust",
            "UpdateAssumeRolePolicy",
            Target::Principal(PrincipalKind::Role, name),
        );
        self.run(call, &[], |a| a.update_trust(name, trust))
    }

    async fn tag(&self, kind: PrincipalKind, name: &str, tags: &Tags) -> BackendResult<()> {
        let api = api_for(kind, "TagUser", "TagRole", "TagGroup");
        let call = Call::new("tag", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.tag(kind, name, tags))
    }

    async fn untag(&self, kind: PrincipalKind, name: &str, keys: &[String]) -> BackendResult<()> {
        let api = api_for(kind, "UntagUser", "UntagRole", "UntagGroup");
        let call = Call::new("untag", api, Target::Tags(kind, name, keys)).removal();
        self.run(call, &[], |a| a.untag(kind, name, keys))
    }

    async fn put_boundary(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        let api = api_for(
            kind,
            "PutUserPermissionsBoundary",
            "PutRolePermissionsBoundary",
            "PutGroupPermissionsBoundary",
        );
        let call = Call::new("put_boundary", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.put_boundary(kind, name, arn))
    }

    async fn delete_boundary(&self, kind: PrincipalKind, name: &str) -> BackendResult<()> {
        let api = api_for(
            kind,
            "DeleteUserPermissionsBoundary",
            "DeleteRolePermissionsBoundary",
            "DeleteGroupPermissionsBoundary",
        );
        let call = Call::new("delete_boundary", api, Target::Boundary(kind, name)).removal();
        self.run(call, &[], |a| a.delete_boundary(kind, name))
    }

    async fn add_member(&self, group: &str, user: &str) -> BackendResult<()> {
        let call = Call::new(
            "add_member",
            "AddUserToGroup",
            Target::Principal(PrincipalKind::Group, group),
        );
        self.run(call, &[], |a| a.add_member(group, user))
    }

    async fn remove_member(&self, group: &str, user: &str) -> BackendResult<()> {
        let call = Call::new(
            "remove_member",
            "RemoveUserFromGroup",
            Target::Member(group, user),
        )
        .removal();
        self.run(call, &[], |a| a.remove_member(group, user))
    }

    async fn group_members(&self, group: &str) -> BackendResult<Vec<String>> {
        let call = Call::new(
            "group_members",
            "GetGroup",
            Target::Principal(PrincipalKind::Group, group),
        );
        self.run(call, &[], |a| a.group_members(group))
    }

    async fn attach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        let api = api_for(
            kind,
            "AttachUserPolicy",
            "AttachRolePolicy",
            "AttachGroupPolicy",
        );
        let call = Call::new("attach", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.attach(kind, name, arn))
    }

    async fn detach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        let api = api_for(
            kind,
            "DetachUserPolicy",
            "DetachRolePolicy",
            "DetachGroupPolicy",
        );
        let call = Call::new("detach", api, Target::Attachment(kind, name, arn)).removal();
        self.run(call, &[], |a| a.detach(kind, name, arn))
    }

    async fn list_attached(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        let api = api_for(
            kind,
            "ListAttachedUserPolicies",
            "ListAttachedRolePolicies",
            "ListAttachedGroupPolicies",
        );
        let call = Call::new("list_attached", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.list_attached(kind, name))
    }

    async fn put_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
        document: &str,
    ) -> BackendResult<()> {
        let api = api_for(kind, "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy");
        let call = Call::new("put_inline", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.put_inline(kind, name, policy, document))
    }

    async fn delete_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> BackendResult<()> {
        let api = api_for(
            kind,
            "DeleteUserPolicy",
            "DeleteRolePolicy",
            "DeleteGroupPolicy",
        );
        let call = Call::new("delete_inline", api, Target::Inline(kind, name, policy)).removal();
        self.run(call, &[], |a| a.delete_inline(kind, name, policy))
    }

    async fn list_inline(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        let api = api_for(
            kind,
            "ListUserPolicies",
            "ListRolePolicies",
            "ListGroupPolicies",
        );
        let call = Call::new("list_inline", api, Target::Principal(kind, name));
        self.run(call, &[], |a| a.list_inline(kind, name))
    }

    async fn remove_user_dependents(&self, name: &str) -> BackendResult<()> {
        // The reads and removals the SDK backend makes, counted by API
        // (the removals once per thing removed).
        let (groups, attached, inline, credentials) = self.edit(|a| {
            a.users.get(name).map_or((0, 0, 0, 0), |u| {
                (
                    u.groups.len(),
                    u.attached.len(),
                    u.inline.len(),
                    u.credentials.len(),
                )
            })
        });
        let mut apis = vec![
            "ListAccessKeys",
            "GetLoginProfile",
            "ListMFADevices",
            "ListSigningCertificates",
            "ListSSHPublicKeys",
            "ListServiceSpecificCredentials",
            "ListGroupsForUser",
            "ListAttachedUserPolicies",
            "ListUserPolicies",
        ];
        apis.extend(std::iter::repeat_n("RemoveUserFromGroup", groups));
        apis.extend(std::iter::repeat_n("DetachUserPolicy", attached));
        apis.extend(std::iter::repeat_n("DeleteUserPolicy", inline));
        apis.extend(std::iter::repeat_n("DeleteAccessKey", credentials));
        let call = Call::new(
            "remove_user_dependents",
            "ListAccessKeys",
            Target::Principal(PrincipalKind::User, name),
        )
        .removal();
        self.run(call, &apis[1..], |a| a.remove_user_dependents(name))
    }

    async fn delete_user(&self, name: &str) -> BackendResult<()> {
        let call = Call::new(
            "delete_user",
            "DeleteUser",
            Target::Principal(PrincipalKind::User, name),
        )
        .removal();
        self.run(call, &[], |a| a.delete_user(name))
    }

    async fn instance_profiles_for_role(&self, role: &str) -> BackendResult<Vec<String>> {
        let call = Call::new(
            "instance_profiles_for_role",
            "ListInstanceProfilesForRole",
            Target::Principal(PrincipalKind::Role, role),
        );
        self.run(call, &[], |a| a.instance_profiles_for_role(role))
    }

    async fn remove_from_instance_profile(&self, role: &str, profile: &str) -> BackendResult<()> {
        let call = Call::new(
            "remove_from_instance_profile",
            "RemoveRoleFromInstanceProfile",
            Target::Profile(role, profile),
        )
        .removal();
        self.run(call, &[], |a| a.remove_from_instance_profile(role, profile))
    }

    async fn delete_role(&self, name: &str) -> BackendResult<()> {
        let call = Call::new(
            "delete_role",
            "DeleteRole",
            Target::Principal(PrincipalKind::Role, name),
        )
        .removal();
        self.run(call, &[], |a| a.delete_role(name))
    }

    async fn delete_group(&self, name: &str) -> BackendResult<()> {
        let call = Call::new(
            "delete_group",
            "DeleteGroup",
            Target::Principal(PrincipalKind::Group, name),
        )
        .removal();
        self.run(call, &[], |a| a.delete_group(name))
    }

    async fn pause(&self, d: Duration) {
        self.lock().paused += d;
    }
}
