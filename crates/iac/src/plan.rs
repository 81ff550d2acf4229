//! Plans: what must change in an account so that it holds the desired state.
//!
//! Pure: the account's state comes in as the JSON of
//! `GetAccountAuthorizationDetails` (as `iamctl account snapshot` writes it)
//! plus the tags of its customer-managed policies, which that call does not
//! return. Nothing here talks to AWS.
//!
//! Ownership: a resource belongs to IaC when it carries `managed-by=iamctl`
//! and an `iamctl:team` tag. Only those are updated or deleted; an untagged
//! resource with a desired name is a conflict unless `adopt` is set. Users and
//! roles declared `existing` are never created, tagged or deleted: iamctl
//! only adds the attachments and inline policies the configuration grants
//! them, and removes attachments of its own policies. IAM groups cannot be
//! tagged, so a group is never deleted by a plan (a warning says so).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_policy::PolicyDocument;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use iamctl_config::{
    expiring_copy, DesiredAccount, PolicyBody, Tags, MANAGED_BY, TAG_EXPIRES, TAG_TEAM,
};

/// User, role or group: the workspace's one principal kind.
pub use iamctl_policy::account::EntityKind as Kind;

/// A user, role or group as the account holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActualPrincipal {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Tags,
    pub boundary: Option<String>,
    pub attached: BTreeSet<String>,
    pub inline: BTreeMap<String, Value>,
    /// Users: their groups. Groups: their members.
    pub groups: BTreeSet<String>,
    /// Roles: the trust policy.
    pub trust: Option<Value>,
}

/// A customer-managed policy as the account holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualPolicy {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Tags,
    pub document: Value,
    /// Version ids, the default first, then oldest first.
    pub versions: Vec<String>,
    /// The documents of the non-default versions, by id.
    pub older: BTreeMap<String, Value>,
}

/// The state of one account.
#[derive(Debug, Clone, Default)]
pub struct ActualAccount {
    pub users: BTreeMap<String, ActualPrincipal>,
    pub roles: BTreeMap<String, ActualPrincipal>,
    pub groups: BTreeMap<String, ActualPrincipal>,
    /// Customer-managed policies by name.
    pub policies: BTreeMap<String, ActualPolicy>,
    /// Default documents of every managed policy the snapshot holds, by ARN.
    pub documents: HashMap<String, Value>,
    /// Changes whenever the IAM state does; `apply --plan` compares it.
    pub fingerprint: String,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn tags_of(v: &Value) -> Tags {
    list(v, "Tags")
        .iter()
        .map(|t| (s(t, "Key").to_owned(), s(t, "Value").to_owned()))
        .collect()
}

/// A document as snapshots hold it: decoded JSON, or JSON text.
fn doc(v: Option<&Value>) -> Value {
    v.and_then(iamctl_policy::account::snapshot_document)
        .unwrap_or(Value::Null)
}

/// FNV-1a, 64 bits, as hex: a fingerprint, not a security measure.
fn fnv(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

impl ActualAccount {
    /// Reads a snapshot; `policy_tags` maps customer-managed policy ARNs to
    /// their tags.
    pub fn from_snapshot(snapshot: &Value, policy_tags: &HashMap<String, Tags>) -> ActualAccount {
        let mut a = ActualAccount::default();
        let principal = |v: &Value, name_key: &str, inline_key: &str| ActualPrincipal {
            name: s(v, name_key).to_owned(),
            arn: s(v, "Arn").to_owned(),
            path: s(v, "Path").to_owned(),
            tags: tags_of(v),
            boundary: v
                .get("PermissionsBoundary")
                .map(|b| s(b, "PermissionsBoundaryArn").to_owned())
                .filter(|b| !b.is_empty()),
            attached: list(v, "AttachedManagedPolicies")
                .iter()
                .map(|p| s(p, "PolicyArn").to_owned())
                .collect(),
            inline: list(v, inline_key)
                .iter()
                .map(|p| (s(p, "PolicyName").to_owned(), doc(p.get("PolicyDocument"))))
                .collect(),
            groups: BTreeSet::new(),
            trust: None,
        };
        for u in list(snapshot, "UserDetailList") {
            let mut p = principal(u, "UserName", "UserPolicyList");
            p.groups = list(u, "GroupList")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            a.users.insert(p.name.clone(), p);
        }
        for g in list(snapshot, "GroupDetailList") {
            let p = principal(g, "GroupName", "GroupPolicyList");
            a.groups.insert(p.name.clone(), p);
        }
        let memberships: Vec<(String, String)> = a
            .users
            .values()
            .flat_map(|u| u.groups.iter().map(|g| (g.clone(), u.name.clone())))
            .collect();
        for (g, u) in memberships {
            if let Some(group) = a.groups.get_mut(&g) {
                group.groups.insert(u);
            }
        }
        for r in list(snapshot, "RoleDetailList") {
            let mut p = principal(r, "RoleName", "RolePolicyList");
            p.trust = Some(doc(r.get("AssumeRolePolicyDocument")));
            a.roles.insert(p.name.clone(), p);
        }
        for p in list(snapshot, "Policies") {
            let arn = s(p, "Arn").to_owned();
            let versions = list(p, "PolicyVersionList");
            let default = versions
                .iter()
                .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true));
            let document = doc(default.and_then(|v| v.get("Document")));
            a.documents.insert(arn.clone(), document.clone());
            if arn.contains(":aws:policy/") {
                continue;
            }
            let mut ids: Vec<&Value> = versions.iter().collect();
            ids.sort_by_key(|v| {
                (
                    v.get("IsDefaultVersion").and_then(Value::as_bool) != Some(true),
                    s(v, "CreateDate").to_owned(),
                    version_number(s(v, "VersionId")),
                )
            });
            let name = s(p, "PolicyName").to_owned();
            a.policies.insert(
                name.clone(),
                ActualPolicy {
                    name,
                    path: s(p, "Path").to_owned(),
                    tags: policy_tags.get(&arn).cloned().unwrap_or_default(),
                    document,
                    versions: ids.iter().map(|v| s(v, "VersionId").to_owned()).collect(),
                    older: versions
                        .iter()
                        .filter(|v| {
                            v.get("IsDefaultVersion").and_then(Value::as_bool) != Some(true)
                        })
                        .map(|v| (s(v, "VersionId").to_owned(), doc(v.get("Document"))))
                        .collect(),
                    arn,
                },
            );
        }
        let mut fingerprint = fingerprint_source(snapshot);
        let mut tags: Vec<_> = policy_tags.iter().collect();
        tags.sort();
        fingerprint.push_str(&format!("{tags:?}"));
        a.fingerprint = fnv(&fingerprint);
        a
    }

    fn principals(&self, kind: Kind) -> &BTreeMap<String, ActualPrincipal> {
        match kind {
            Kind::User => &self.users,
            Kind::Role => &self.roles,
            Kind::Group => &self.groups,
        }
    }
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

/// The snapshot without what changes on its own (last use, dates), its
/// lists in a fixed order: the documents read after
/// GetAccountAuthorizationDetails arrive in whatever order they complete.
fn fingerprint_source(snapshot: &Value) -> String {
    fn sort_key(v: &Value) -> String {
        ["Arn", "UserName", "RoleName", "GroupName", "PolicyName"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .map_or_else(|| v.to_string(), str::to_owned)
    }
    let mut snapshot = snapshot.clone();
    for list in [
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ] {
        if let Some(items) = snapshot.get_mut(list).and_then(Value::as_array_mut) {
            items.sort_by_cached_key(sort_key);
        }
    }
    let snapshot = &snapshot;
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            "RoleLastUsed" | "CreateDate" | "UpdateDate" | "AttachmentCount"
                        )
                    })
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(snapshot).to_string()
}

/// Tags recording an attachment iamctl made to a principal it does not own
/// start with this; the value is the policy's ARN.
pub const TAG_ATTACHED: &str = "iamctl:attached:";

/// The tag recording an attachment of `arn`: `iamctl:attached:aws/ReadOnlyAccess`
/// for an AWS-managed policy, `iamctl:attached:local/<path><name>` for a
/// customer-managed one (a digest when that would exceed IAM's 128
/// characters), the ARN as value.
pub fn attachment_tag(arn: &str) -> (String, String) {
    let short = match arn.split_once(":policy/") {
        Some((head, rest)) if head.ends_with(":aws") => format!("aws/{rest}"),
        Some((_, rest)) => format!("local/{rest}"),
        None => arn.to_owned(),
    };
    let key = format!("{TAG_ATTACHED}{short}");
    let key = if key.len() <= 128 && arn.len() <= 256 {
        key
    } else {
        format!("{TAG_ATTACHED}#{}", fnv(arn))
    };
    (key, arn.chars().take(256).collect())
}

/// The attachments a principal's tags record: policy ARN → tag key.
pub fn recorded(tags: &Tags) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| k.starts_with(TAG_ATTACHED))
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect()
}

/// Whether tags mark a resource as IaC's.
pub fn owned(tags: &Tags) -> bool {
    tags.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1) && tags.contains_key(TAG_TEAM)
}

/// One change, in the order of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Change {
    CreatePolicy {
        name: String,
        path: String,
        arn: String,
        description: Option<String>,
        document: Value,
        tags: Tags,
    },
    /// A new default version; `prune` is the oldest version to delete first
    /// when the policy already has five. With `reuse`, that existing version
    /// already holds `new` and becomes the default instead.
    UpdatePolicy {
        name: String,
        arn: String,
        old: Value,
        new: Value,
        prune: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reuse: Option<String>,
    },
    TagPolicy {
        arn: String,
        tags: Tags,
    },
    UntagPolicy {
        arn: String,
        keys: Vec<String>,
    },
    /// A policy of ours at another path than the configuration's: detached
    /// from every holder and deleted, then made at `path` (IAM moves no
    /// policy, and its name is unique in the account).
    MovePolicy {
        name: String,
        old_arn: String,
        path: String,
        arn: String,
        description: Option<String>,
        document: Value,
        tags: Tags,
    },
    /// A user's or group's path.
    UpdatePath {
        kind: Kind,
        name: String,
        path: String,
    },
    /// A role's description and maximum session duration.
    UpdateRole {
        name: String,
        description: Option<String>,
        max_session_duration: Option<u32>,
    },
    DeletePolicy {
        name: String,
        arn: String,
    },
    CreateUser {
        name: String,
        path: String,
        tags: Tags,
    },
    CreateRole {
        name: String,
        path: String,
        trust: Value,
        description: Option<String>,
        max_session_duration: Option<u32>,
        tags: Tags,
    },
    CreateGroup {
        name: String,
        path: String,
    },
    Tag {
        kind: Kind,
        name: String,
        tags: Tags,
    },
    /// Removes tags: records of attachments iamctl no longer holds, tags
    /// the configuration no longer gives.
    Untag {
        kind: Kind,
        name: String,
        keys: Vec<String>,
    },
    UpdateTrust {
        name: String,
        old: Value,
        new: Value,
    },
    SetBoundary {
        kind: Kind,
        name: String,
        arn: Option<String>,
    },
    AddMember {
        group: String,
        user: String,
    },
    Attach {
        kind: Kind,
        name: String,
        arn: String,
    },
    PutInline {
        kind: Kind,
        name: String,
        policy: String,
        old: Option<Value>,
        document: Value,
    },
    Detach {
        kind: Kind,
        name: String,
        arn: String,
    },
    DeleteInline {
        kind: Kind,
        name: String,
        policy: String,
    },
    RemoveMember {
        group: String,
        user: String,
    },
    /// With its access keys, login profile, MFA devices, group memberships,
    /// attachments and inline policies.
    DeleteUser {
        name: String,
    },
    /// With its instance profiles, attachments and inline policies.
    DeleteRole {
        name: String,
    },
}

impl Change {
    /// Changes of one phase are independent and run concurrently; phases run
    /// in order: policies, users and groups; roles (whose trust may name
    /// those users); grants; revocations; deletions of principals, then of
    /// policies.
    pub fn phase(&self) -> u8 {
        use Change::*;
        match self {
            CreatePolicy { .. } | UpdatePolicy { .. } | TagPolicy { .. } | UntagPolicy { .. } => 0,
            MovePolicy { .. } | UpdatePath { .. } => 0,
            UpdateRole { .. } => 1,
            CreateUser { .. } | CreateGroup { .. } => 0,
            // After the users: IAM refuses a trust policy naming a user that
            // does not exist yet.
            CreateRole { .. } | Tag { .. } | UpdateTrust { .. } => 1,
            SetBoundary { arn: Some(_), .. } => 2,
            AddMember { .. } | Attach { .. } | PutInline { .. } => 2,
            Detach { .. } | DeleteInline { .. } | RemoveMember { .. } => 3,
            SetBoundary { arn: None, .. } => 3,
            // After the detachments: a record must never go before what
            // it records.
            DeleteUser { .. } | DeleteRole { .. } | Untag { .. } => 4,
            DeletePolicy { .. } => 5,
        }
    }

    /// The managed policy the change writes, attaches or detaches.
    pub fn policy_arn(&self) -> Option<&str> {
        use Change::*;
        match self {
            CreatePolicy { arn, .. }
            | UpdatePolicy { arn, .. }
            | TagPolicy { arn, .. }
            | UntagPolicy { arn, .. }
            | MovePolicy { arn, .. }
            | DeletePolicy { arn, .. }
            | Attach { arn, .. }
            | Detach { arn, .. } => Some(arn),
            SetBoundary { arn: Some(arn), .. } => Some(arn),
            _ => None,
        }
    }

    /// The user, role or group the change acts on.
    pub fn principal(&self) -> Option<(Kind, &str)> {
        use Change::*;
        match self {
            CreateUser { name, .. } | DeleteUser { name } => Some((Kind::User, name)),
            CreateRole { name, .. }
            | DeleteRole { name }
            | UpdateTrust { name, .. }
            | UpdateRole { name, .. } => Some((Kind::Role, name)),
            CreateGroup { name, .. } => Some((Kind::Group, name)),
            AddMember { group, .. } | RemoveMember { group, .. } => Some((Kind::Group, group)),
            Tag { kind, name, .. }
            | Untag { kind, name, .. }
            | UpdatePath { kind, name, .. }
            | SetBoundary { kind, name, .. }
            | Attach { kind, name, .. }
            | Detach { kind, name, .. }
            | PutInline { kind, name, .. }
            | DeleteInline { kind, name, .. } => Some((*kind, name)),
            _ => None,
        }
    }

    /// `+` create, `~` update, `-` delete.
    pub fn sign(&self) -> char {
        use Change::*;
        match self {
            CreatePolicy { .. } | CreateUser { .. } | CreateRole { .. } | CreateGroup { .. } => '+',
            AddMember { .. } | Attach { .. } => '+',
            PutInline { old: None, .. } => '+',
            DeletePolicy { .. } | DeleteUser { .. } | DeleteRole { .. } => '-',
            Detach { .. } | DeleteInline { .. } | RemoveMember { .. } => '-',
            SetBoundary { arn: None, .. } => '-',
            _ => '~',
        }
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        use Change::*;
        match self {
            CreatePolicy { name, .. } => format!("create policy {name}"),
            UpdatePolicy {
                name,
                reuse: Some(v),
                ..
            } => format!(
                "update policy {name} (make {v}, which holds this document, the default version)"
            ),
            UpdatePolicy { name, prune, .. } => match prune {
                Some(v) => format!(
                    "update policy {name} (new default version; delete {v}, the oldest of five)"
                ),
                None => format!("update policy {name} (new default version)"),
            },
            TagPolicy { arn, tags } => format!("tag policy {} {}", last(arn), tag_text(tags)),
            UntagPolicy { arn, keys } => format!("untag policy {} {}", last(arn), keys.join(",")),
            MovePolicy {
                name, old_arn, arn, ..
            } => format!("move policy {name} from {old_arn} to {arn} (deleted and made anew)"),
            UpdatePath { kind, name, path } => {
                format!("move {} {name} to path {path}", kind.as_str())
            }
            UpdateRole {
                name,
                description,
                max_session_duration,
            } => format!(
                "update role {name} (description {}, maximum session {})",
                description
                    .as_deref()
                    .map_or_else(|| "none".to_owned(), |d| format!("{d:?}")),
                max_session_duration.map_or_else(|| "default".to_owned(), |d| format!("{d} s"))
            ),
            DeletePolicy { name, .. } => format!("delete policy {name}"),
            CreateUser { name, .. } => format!("create user {name}"),
            CreateRole { name, .. } => format!("create role {name}"),
            CreateGroup { name, .. } => format!("create group {name}"),
            Tag { kind, name, tags } => format!("tag {} {name} {}", kind.as_str(), tag_text(tags)),
            Untag { kind, name, keys } => {
                format!("untag {} {name} {}", kind.as_str(), keys.join(","))
            }
            UpdateTrust { name, .. } => format!("update trust policy of role {name}"),
            SetBoundary {
                kind,
                name,
                arn: Some(arn),
            } => {
                format!(
                    "set permissions boundary of {} {name} to {}",
                    kind.as_str(),
                    last(arn)
                )
            }
            SetBoundary {
                kind,
                name,
                arn: None,
            } => {
                format!("remove permissions boundary of {} {name}", kind.as_str())
            }
            AddMember { group, user } => format!("add user {user} to group {group}"),
            RemoveMember { group, user } => format!("remove user {user} from group {group}"),
            Attach { kind, name, arn } => {
                format!("attach {} to {} {name}", last(arn), kind.as_str())
            }
            Detach { kind, name, arn } => {
                format!("detach {} from {} {name}", last(arn), kind.as_str())
            }
            PutInline {
                kind,
                name,
                policy,
                old: None,
                ..
            } => {
                format!("put inline policy {policy} on {} {name}", kind.as_str())
            }
            PutInline {
                kind, name, policy, ..
            } => {
                format!("update inline policy {policy} of {} {name}", kind.as_str())
            }
            DeleteInline { kind, name, policy } => {
                format!("delete inline policy {policy} of {} {name}", kind.as_str())
            }
            DeleteUser { name } => format!(
                "delete user {name} (and its keys, password, MFA devices, memberships, policies)"
            ),
            DeleteRole { name } => {
                format!("delete role {name} (and its instance profiles and policies)")
            }
        }
    }

    /// The documents before and after, for the changes that have them.
    pub fn documents(&self) -> Option<(Option<&Value>, &Value)> {
        use Change::*;
        match self {
            CreatePolicy { document, .. } | MovePolicy { document, .. } => Some((None, document)),
            UpdatePolicy { old, new, .. } => Some((Some(old), new)),
            CreateRole { trust, .. } => Some((None, trust)),
            UpdateTrust { old, new, .. } => Some((Some(old), new)),
            PutInline { old, document, .. } => Some((old.as_ref(), document)),
            _ => None,
        }
    }
}

fn last(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn tag_text(tags: &Tags) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// What one account needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub environment: String,
    pub account_id: String,
    /// Of the state the plan was made from.
    pub fingerprint: String,
    pub changes: Vec<Change>,
    /// Who gains or loses what.
    #[serde(default)]
    pub access: Vec<AccessChange>,
    /// Things the plan leaves alone and why.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Things that stop what depends on them (e.g. a resource of a desired
    /// name that is not iamctl's, without `--adopt`).
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Changes that wait for a conflict to be resolved; `apply` leaves them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<Change>,
    /// Principals the changes let become administrator that could not
    /// before, each with its path (`user alice can become admin: ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<String>,
}

/// What one principal gains, loses or keeps on other terms, over every
/// action AWS documents, as the evaluation engine decides it before and
/// after the plan. One entry per principal, change and terms (until, the
/// condition keys the grant depends on).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccessChange {
    /// `user alice`, `role deployer`.
    pub principal: String,
    /// `gains`, `loses`, or `keeps` (allowed before and after, on other
    /// terms: now until an instant, or now depending on conditions).
    pub change: String,
    /// For temporary access: when AWS stops allowing it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub until: Option<String>,
    /// Condition keys the grant depends on (beyond the expiry): allowed only
    /// when the request carries them with the right values.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub conditions: Vec<String>,
    /// Service prefix → access level (AWS's words) → action names.
    pub actions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// When the principal holds few actions: each one's `Resource` patterns.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub resources: BTreeMap<String, Vec<String>>,
    /// The risky actions among them: privilege escalation, `iam:PassRole`,
    /// credential and policy writes.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub risky: Vec<RiskyAction>,
}

/// An action that lets a principal raise its privileges or reach others'.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RiskyAction {
    pub action: String,
    pub why: String,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The version of the plan file format `plan --out` writes.
pub const PLAN_FORMAT_VERSION: u32 = 2;

/// What `plan --out` saves and `apply --plan` reads: the plans, bound to the
/// configuration tree they were made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Always `iamctl-plan`.
    pub format: String,
    /// [`PLAN_FORMAT_VERSION`].
    pub version: u32,
    /// [`config_digest`] of the configuration directory.
    pub config_sha256: String,
    /// The instant the plan was made as of (RFC 3339).
    pub at: String,
    pub plans: Vec<Plan>,
}

impl PlanFile {
    pub fn new(config_sha256: String, at: String, plans: Vec<Plan>) -> PlanFile {
        PlanFile {
            format: "iamctl-plan".to_owned(),
            version: PLAN_FORMAT_VERSION,
            config_sha256,
            at,
            plans,
        }
    }

    /// Reads a saved plan, refusing other formats and versions.
    pub fn parse(text: &str) -> Result<PlanFile, String> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| format!("{}:{}: not JSON: {e}", e.line(), e.column()))?;
        if v.get("format").and_then(Value::as_str) != Some("iamctl-plan") {
            return Err(
                "not a plan saved by this version of `iamctl plan --out` (no `format: iamctl-plan`)"
                    .to_owned(),
            );
        }
        match v.get("version").and_then(Value::as_u64) {
            Some(n) if n == u64::from(PLAN_FORMAT_VERSION) => {}
            other => {
                return Err(format!(
                    "plan format version {}, this iamctl reads version {PLAN_FORMAT_VERSION}",
                    other.map_or_else(|| "missing".to_owned(), |n| n.to_string())
                ))
            }
        }
        serde_json::from_value(v).map_err(|e| format!("not a valid plan: {e}"))
    }
}

/// SHA-256 of a configuration tree: each file's path (relative, `/`
/// separated) and contents, in path order, each length-prefixed.
pub fn config_digest(files: &[(String, Vec<u8>)]) -> String {
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = Vec::new();
    for (path, body) in files {
        data.extend_from_slice(&(path.len() as u64).to_be_bytes());
        data.extend_from_slice(path.as_bytes());
        data.extend_from_slice(&(body.len() as u64).to_be_bytes());
        data.extend_from_slice(body);
    }
    sha256::hex(&data)
}

/// FIPS 180-4 SHA-256, for [`config_digest`] (no dependency for 40 lines).
pub(crate) mod sha256 {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub(crate) fn hex(data: &[u8]) -> String {
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut msg = data.to_vec();
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
        for block in msg.chunks_exact(64) {
            let mut w = [0u32; 64];
            for (i, word) in block.chunks_exact(4).enumerate() {
                w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
            for i in 0..64 {
                let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
                let ch = (e & f) ^ (!e & g);
                let t1 = hh
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
                let maj = (a & b) ^ (a & c) ^ (b & c);
                let t2 = s0.wrapping_add(maj);
                hh = g;
                g = f;
                f = e;
                e = d.wrapping_add(t1);
                d = c;
                c = b;
                b = a;
                a = t1.wrapping_add(t2);
            }
            for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
                *x = x.wrapping_add(y);
            }
        }
        h.iter().map(|x| format!("{x:08x}")).collect()
    }
}

/// Why a saved plan is not what a fresh plan of the same configuration
/// would do: the first difference, or `None` when they are the same.
pub fn first_difference(saved: &Plan, fresh: &Plan) -> Option<String> {
    if saved.account_id != fresh.account_id {
        return Some(format!(
            "the saved plan names account `{}`, the configuration `{}`",
            saved.account_id, fresh.account_id
        ));
    }
    for (i, pair) in saved.changes.iter().zip(&fresh.changes).enumerate() {
        if pair.0 != pair.1 {
            return Some(format!(
                "change {} of the saved plan is `{}`, a fresh plan has `{}` there",
                i + 1,
                pair.0.summary(),
                pair.1.summary()
            ));
        }
    }
    let n = fresh.changes.len();
    if let Some(extra) = saved.changes.get(n) {
        return Some(format!(
            "change {} of the saved plan, `{}`, is not in a fresh plan (which has {n} change(s))",
            n + 1,
            extra.summary()
        ));
    }
    if let Some(missing) = fresh.changes.get(saved.changes.len()) {
        return Some(format!(
            "a fresh plan also has `{}`, which the saved plan lacks",
            missing.summary()
        ));
    }
    if saved.conflicts != fresh.conflicts {
        return Some("the saved plan's conflicts differ from a fresh plan's".to_owned());
    }
    None
}

/// Options of [`plan`].
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Take over untagged resources whose names the configuration wants.
    pub adopt: bool,
    /// The teams that have files in the configuration directory. Resources
    /// of another team are left alone and reported (its files may simply
    /// not be in this directory), unless `prune_teams`. `None`: every team's
    /// resources are the configuration's.
    pub teams: Option<BTreeSet<String>>,
    /// Remove what teams without files own.
    pub prune_teams: bool,
}

impl ActualAccount {
    /// The resources tagged for a team outside `teams`, counted per team.
    pub fn other_teams(&self, teams: &BTreeSet<String>) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        let tags = self
            .users
            .values()
            .chain(self.roles.values())
            .map(|p| &p.tags)
            .chain(self.policies.values().map(|p| &p.tags));
        for t in tags {
            if let Some(team) = t
                .get(TAG_TEAM)
                .filter(|team| owned(t) && !teams.contains(*team))
            {
                *out.entry(team.clone()).or_insert(0) += 1;
            }
        }
        out
    }

    /// This account without what teams outside `teams` own.
    pub fn without_other_teams(&self, teams: &BTreeSet<String>) -> ActualAccount {
        let mut a = self.clone();
        let other =
            |t: &Tags| owned(t) && t.get(TAG_TEAM).is_some_and(|team| !teams.contains(team));
        a.users.retain(|_, u| !other(&u.tags));
        a.roles.retain(|_, r| !other(&r.tags));
        a.policies.retain(|_, p| !other(&p.tags));
        a
    }
}

fn same_doc(a: &Value, b: &Value) -> bool {
    PolicyDocument::from_value(a.clone()).same_as(&PolicyDocument::from_value(b.clone()))
}

/// The changes that make `actual` hold `desired`. `sources` holds the
/// default documents of managed policies that temporary grants copy and the
/// snapshot lacks (AWS-managed policies attached to nothing).
pub fn plan(
    desired: &DesiredAccount,
    actual: &ActualAccount,
    sources: &HashMap<String, Value>,
    opts: &PlanOptions,
) -> Plan {
    let mut p = Plan {
        environment: desired.environment.clone(),
        account_id: desired.account_id.clone(),
        fingerprint: actual.fingerprint.clone(),
        changes: Vec::new(),
        access: Vec::new(),
        warnings: Vec::new(),
        conflicts: Vec::new(),
        blocked: Vec::new(),
        escalations: Vec::new(),
    };
    // Teams without files: their resources are reported, and left alone
    // unless pruning was asked for.
    let kept;
    let actual = match &opts.teams {
        Some(teams) => {
            for (team, n) in actual.other_teams(teams) {
                p.warnings.push(if opts.prune_teams {
                    format!("team `{team}` owns {n} resource(s) and has no files: `--prune-teams` removes them")
                } else {
                    format!("team `{team}` owns {n} resource(s) and has no files; they are left alone (pass `--prune-teams` to remove them)")
                });
            }
            if opts.prune_teams {
                actual
            } else {
                kept = actual.without_other_teams(teams);
                &kept
            }
        }
        None => actual,
    };
    let ch = &mut p.changes;
    // What conflicts block: changes touching these policies or principals
    // wait; every other change goes ahead (issue 12.7).
    let mut blocked_arns: BTreeSet<String> = BTreeSet::new();
    let mut blocked_principals: BTreeSet<(Kind, String)> = BTreeSet::new();
    // Policies moved to another path: their old ARNs.
    let mut moved: BTreeSet<String> = BTreeSet::new();

    // Policies.
    for (name, want) in &desired.policies {
        if !want.managed {
            // Declared `existing`: attach-only, never created, updated or deleted.
            match actual.policies.get(name) {
                None => {
                    blocked_arns.insert(want.arn.clone());
                    p.conflicts.push(format!(
                        "policy `{name}` is declared `existing` but account `{}` ({}) has no such policy",
                        desired.account_id, desired.environment
                    ))
                }
                Some(have) if have.arn != want.arn => {
                    blocked_arns.insert(want.arn.clone());
                    p.conflicts.push(format!(
                        "policy `{name}` is `{}`, not `{}`: set its `path` in the configuration",
                        have.arn, want.arn
                    ))
                }
                Some(have) => {
                    if let PolicyBody::Document(d) = &want.body {
                        if !d.is_null() && !same_doc(&have.document, d) {
                            p.warnings.push(format!(
                                "policy `{name}` holds another document than the configuration describes; it is declared `existing`, so iamctl leaves it as it is"
                            ));
                        }
                    }
                }
            }
            continue;
        }
        let document = match &want.body {
            PolicyBody::Document(d) => d.clone(),
            PolicyBody::ExpiringCopyOf {
                source_arn,
                expires_at,
            } => match actual.documents.get(source_arn).or(sources.get(source_arn)) {
                Some(src) => expiring_copy(src, *expires_at),
                None => {
                    blocked_arns.insert(want.arn.clone());
                    p.conflicts.push(format!(
                        "policy `{source_arn}`, which `{name}` copies, could not be read"
                    ));
                    continue;
                }
            },
        };
        let size = PolicyDocument::from_value(document.clone()).size();
        if size > 6144 {
            blocked_arns.insert(want.arn.clone());
            p.conflicts.push(format!(
                "policy `{name}` would be {size} characters, above IAM's 6144 for a managed policy"
            ));
            continue;
        }
        match actual.policies.get(name) {
            None => ch.push(Change::CreatePolicy {
                name: name.clone(),
                path: want.path.clone(),
                arn: want.arn.clone(),
                description: want.description.clone(),
                document,
                tags: want.tags.clone(),
            }),
            Some(have) if have.arn != want.arn && owned(&have.tags) => {
                // IAM cannot move a policy to another path, and its name is
                // unique in the account: the old one goes (detached from
                // every holder) and the new one is made, in one change.
                ch.push(Change::MovePolicy {
                    name: name.clone(),
                    old_arn: have.arn.clone(),
                    path: want.path.clone(),
                    arn: want.arn.clone(),
                    description: want.description.clone(),
                    document,
                    tags: want.tags.clone(),
                });
                moved.insert(have.arn.clone());
            }
            Some(have) => {
                if !owned(&have.tags) && !opts.adopt {
                    blocked_arns.insert(want.arn.clone());
                    p.conflicts.push(format!(
                        "policy `{name}` exists and is not managed by iamctl: pass `--adopt` to take it over"
                    ));
                    continue;
                }
                let missing = missing_tags(&have.tags, &want.tags);
                if !missing.is_empty() {
                    ch.push(Change::TagPolicy {
                        arn: have.arn.clone(),
                        tags: missing,
                    });
                }
                let extra = extra_tags(&have.tags, &want.tags);
                if !extra.is_empty() {
                    ch.push(Change::UntagPolicy {
                        arn: have.arn.clone(),
                        keys: extra,
                    });
                }
                if !same_doc(&have.document, &document) {
                    // A version already holding the document (a lost reply's
                    // create, or an earlier default): made the default, no
                    // duplicate pushed.
                    let reuse = have
                        .older
                        .iter()
                        .find(|(_, d)| same_doc(d, &document))
                        .map(|(v, _)| v.clone());
                    ch.push(Change::UpdatePolicy {
                        name: name.clone(),
                        arn: have.arn.clone(),
                        old: have.document.clone(),
                        new: document,
                        prune: (reuse.is_none() && have.versions.len() >= 5)
                            .then(|| have.versions.get(1).cloned())
                            .flatten(),
                        reuse,
                    });
                }
            }
        }
    }
    let desired_arns: BTreeSet<&str> = desired.policies.values().map(|d| d.arn.as_str()).collect();
    // Policies iamctl owns and wants: attachments of these that the
    // configuration does not grant are removed even from `existing` principals.
    let managed_arns: BTreeSet<&str> = desired
        .policies
        .values()
        .filter(|d| d.managed)
        .map(|d| d.arn.as_str())
        .collect();
    let ours_gone: Vec<&ActualPolicy> = actual
        .policies
        .values()
        .filter(|a| owned(&a.tags) && !desired_arns.contains(a.arn.as_str()))
        .filter(|a| !moved.contains(&a.arn))
        .collect();

    // Principals.
    struct Want<'a> {
        kind: Kind,
        name: &'a str,
        path: &'a str,
        managed: bool,
        tags: &'a Tags,
        boundary: &'a Option<String>,
        attached: &'a BTreeSet<String>,
        inline: &'a BTreeMap<String, Value>,
    }
    let mut wants: Vec<Want<'_>> = Vec::new();
    for u in desired.users.values() {
        wants.push(Want {
            kind: Kind::User,
            name: &u.name,
            path: &u.path,
            managed: u.managed,
            tags: &u.tags,
            boundary: &u.permissions_boundary,
            attached: &u.attached,
            inline: &u.inline,
        });
    }
    let no_boundary = None;
    for r in desired.roles.values() {
        wants.push(Want {
            kind: Kind::Role,
            name: &r.name,
            path: &r.path,
            managed: r.managed,
            tags: &r.tags,
            boundary: &r.permissions_boundary,
            attached: &r.attached,
            inline: &r.inline,
        });
    }
    let no_tags = Tags::new();
    for g in desired.groups.values() {
        wants.push(Want {
            kind: Kind::Group,
            name: &g.name,
            path: &g.path,
            managed: g.managed,
            tags: &no_tags,
            boundary: &no_boundary,
            attached: &g.attached,
            inline: &g.inline,
        });
    }
    for w in &wants {
        let have = actual.principals(w.kind).get(w.name);
        let kind = w.kind.as_str();
        match have {
            None if !w.managed => {
                blocked_principals.insert((w.kind, w.name.to_owned()));
                let (needed, declared) = match w.kind {
                    Kind::User => desired
                        .users
                        .get(w.name)
                        .map(|u| (u.required_by.clone(), u.declared_at.clone())),
                    Kind::Role => desired
                        .roles
                        .get(w.name)
                        .map(|r| (r.required_by.clone(), r.declared_at.clone())),
                    Kind::Group => None,
                }
                .unwrap_or_default();
                let mut msg = format!(
                    "{kind} `{}` does not exist in account `{}` ({})",
                    w.name, desired.account_id, desired.environment
                );
                if let Some(at) = declared {
                    msg.push_str(&format!("; declared `existing` at {at}"));
                }
                if !needed.is_empty() {
                    msg.push_str(&format!("; needed by {}", needed.join(", ")));
                }
                msg.push_str(&format!(
                    ": create it, or take it out of what grants to it in `{}`",
                    desired.environment
                ));
                p.conflicts.push(msg);
                continue;
            }
            None => match w.kind {
                Kind::User => ch.push(Change::CreateUser {
                    name: w.name.to_owned(),
                    path: w.path.to_owned(),
                    tags: w.tags.clone(),
                }),
                Kind::Role => {
                    let r = &desired.roles[w.name];
                    ch.push(Change::CreateRole {
                        name: w.name.to_owned(),
                        path: w.path.to_owned(),
                        trust: r.trust.clone().unwrap_or_else(|| json!({
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", desired.account_id)}, "Action": "sts:AssumeRole"}]
                        })),
                        description: r.description.clone(),
                        max_session_duration: r.max_session_duration,
                        tags: {
                            let mut t = w.tags.clone();
                            t.insert(
                                TAG_ROLE_SETTINGS.to_owned(),
                                role_settings(r.description.as_deref(), r.max_session_duration),
                            );
                            t
                        },
                    });
                }
                Kind::Group => ch.push(Change::CreateGroup {
                    name: w.name.to_owned(),
                    path: w.path.to_owned(),
                }),
            },
            Some(h) if w.managed && w.kind != Kind::Group && !owned(&h.tags) && !opts.adopt => {
                blocked_principals.insert((w.kind, w.name.to_owned()));
                p.conflicts.push(format!(
                    "{kind} `{}` exists and is not managed by iamctl: pass `--adopt` to take it over, or declare it `existing: true`",
                    w.name
                ));
                continue;
            }
            Some(h) => {
                if w.managed && w.kind != Kind::Group {
                    let mut want_tags = w.tags.clone();
                    if w.kind == Kind::Role {
                        let r = &desired.roles[w.name];
                        let digest =
                            role_settings(r.description.as_deref(), r.max_session_duration);
                        if h.tags.get(TAG_ROLE_SETTINGS) != Some(&digest) {
                            ch.push(Change::UpdateRole {
                                name: w.name.to_owned(),
                                description: r.description.clone(),
                                max_session_duration: r.max_session_duration,
                            });
                        }
                        want_tags.insert(TAG_ROLE_SETTINGS.to_owned(), digest);
                    }
                    let missing = missing_tags(&h.tags, &want_tags);
                    if !missing.is_empty() {
                        ch.push(Change::Tag {
                            kind: w.kind,
                            name: w.name.to_owned(),
                            tags: missing,
                        });
                    }
                    let extra = extra_tags(&h.tags, &want_tags);
                    if !extra.is_empty() {
                        ch.push(Change::Untag {
                            kind: w.kind,
                            name: w.name.to_owned(),
                            keys: extra,
                        });
                    }
                }
                if w.managed && !h.path.is_empty() && h.path != w.path {
                    if w.kind == Kind::Role {
                        p.warnings.push(format!(
                            "role `{}` is at path `{}`, the configuration says `{}`: IAM cannot move a role; rename it to have it made anew",
                            w.name, h.path, w.path
                        ));
                    } else {
                        ch.push(Change::UpdatePath {
                            kind: w.kind,
                            name: w.name.to_owned(),
                            path: w.path.to_owned(),
                        });
                    }
                }
                if w.kind == Kind::Role && w.managed {
                    if let (Some(want), Some(have)) = (&desired.roles[w.name].trust, &h.trust) {
                        if !same_doc(want, have) {
                            ch.push(Change::UpdateTrust {
                                name: w.name.to_owned(),
                                old: have.clone(),
                                new: want.clone(),
                            });
                        }
                    }
                }
            }
        }
        let empty = ActualPrincipal::default();
        let h = have.unwrap_or(&empty);
        if w.kind != Kind::Group && (w.managed || w.boundary.is_some()) && h.boundary != *w.boundary
        {
            ch.push(Change::SetBoundary {
                kind: w.kind,
                name: w.name.to_owned(),
                arn: w.boundary.clone(),
            });
        }
        // On a principal iamctl does not own, each attachment iamctl makes is
        // recorded in a tag first, so that removing the grant detaches
        // exactly that, and never a hand-made attachment of the same policy.
        let records = w.kind != Kind::Group && !w.managed;
        let rec = recorded(&h.tags);
        let mut record = Tags::new();
        let mut forget = Vec::new();
        for arn in w.attached.difference(&h.attached) {
            if arn.contains(":aws:policy/")
                && !actual.documents.contains_key(arn)
                && !sources.contains_key(arn)
            {
                p.conflicts.push(format!(
                    "AWS-managed policy `{arn}`, granted to {} `{}`, does not exist (or the deployer role cannot read it)",
                    w.kind.as_str(),
                    w.name
                ));
                continue;
            }
            if records && !rec.contains_key(arn) && !blocked_arns.contains(arn) {
                let (k, v) = attachment_tag(arn);
                record.insert(k, v);
            }
            ch.push(Change::Attach {
                kind: w.kind,
                name: w.name.to_owned(),
                arn: arn.clone(),
            });
        }
        for arn in h.attached.difference(w.attached) {
            let ours =
                ours_gone.iter().any(|a| a.arn == *arn) || managed_arns.contains(arn.as_str());
            if w.managed || ours || rec.contains_key(arn) {
                ch.push(Change::Detach {
                    kind: w.kind,
                    name: w.name.to_owned(),
                    arn: arn.clone(),
                });
            }
        }
        if records {
            // Records of what is no longer attached and no longer wanted.
            forget.extend(
                rec.iter()
                    .filter(|(arn, _)| !w.attached.contains(*arn))
                    .map(|(_, key)| key.clone()),
            );
            if !record.is_empty() {
                ch.push(Change::Tag {
                    kind: w.kind,
                    name: w.name.to_owned(),
                    tags: record,
                });
            }
            if !forget.is_empty() {
                ch.push(Change::Untag {
                    kind: w.kind,
                    name: w.name.to_owned(),
                    keys: forget,
                });
            }
        }
        for (policy, document) in w.inline {
            let old = h.inline.get(policy);
            if old.is_none_or(|o| !same_doc(o, document)) {
                ch.push(Change::PutInline {
                    kind: w.kind,
                    name: w.name.to_owned(),
                    policy: policy.clone(),
                    old: old.cloned(),
                    document: document.clone(),
                });
            }
        }
        if w.managed {
            for policy in h.inline.keys().filter(|k| !w.inline.contains_key(*k)) {
                ch.push(Change::DeleteInline {
                    kind: w.kind,
                    name: w.name.to_owned(),
                    policy: policy.clone(),
                });
            }
        }
        if w.kind == Kind::Group {
            let members = &desired.groups[w.name].members;
            for user in members.difference(&h.groups) {
                ch.push(Change::AddMember {
                    group: w.name.to_owned(),
                    user: user.clone(),
                });
            }
            if w.managed {
                for user in h.groups.difference(members) {
                    ch.push(Change::RemoveMember {
                        group: w.name.to_owned(),
                        user: user.clone(),
                    });
                }
            }
        }
    }

    // Our principals the configuration no longer wants.
    // One declared `existing` is never deleted, whatever its tags say.
    for (name, u) in &actual.users {
        if owned(&u.tags)
            && !desired.users.contains_key(name)
            && !desired.existing.contains(&format!("user/{name}"))
        {
            ch.push(Change::DeleteUser { name: name.clone() });
        }
    }
    for (name, r) in &actual.roles {
        if owned(&r.tags)
            && !desired.roles.contains_key(name)
            && !desired.existing.contains(&format!("role/{name}"))
        {
            ch.push(Change::DeleteRole { name: name.clone() });
        }
    }
    // Our policies the configuration no longer wants: detach from whoever
    // still has them (principals being deleted lose them with the deletion).
    for gone in &ours_gone {
        for kind in [Kind::User, Kind::Role, Kind::Group] {
            for (name, h) in actual.principals(kind) {
                let deleted = match kind {
                    Kind::User => owned(&h.tags) && !desired.users.contains_key(name),
                    Kind::Role => owned(&h.tags) && !desired.roles.contains_key(name),
                    Kind::Group => false,
                };
                let wanted = match kind {
                    Kind::User => desired.users.contains_key(name),
                    Kind::Role => desired.roles.contains_key(name),
                    Kind::Group => desired.groups.contains_key(name),
                };
                // Desired principals had their detach planned above.
                if h.attached.contains(&gone.arn) && !deleted && !wanted {
                    ch.push(Change::Detach {
                        kind,
                        name: name.clone(),
                        arn: gone.arn.clone(),
                    });
                }
                if kind != Kind::Group
                    && h.boundary.as_deref() == Some(gone.arn.as_str())
                    && !deleted
                    && !wanted
                {
                    ch.push(Change::SetBoundary {
                        kind,
                        name: name.clone(),
                        arn: None,
                    });
                }
            }
        }
        ch.push(Change::DeletePolicy {
            name: gone.name.clone(),
            arn: gone.arn.clone(),
        });
    }
    // Our policies the configuration keeps, attached to a principal it no
    // longer names (an `existing` user or a group taken out of the YAML, or
    // attached by hand): no grant says so, so the attachment goes.
    let ours_kept: BTreeSet<&str> = actual
        .policies
        .values()
        .filter(|a| owned(&a.tags) && managed_arns.contains(a.arn.as_str()))
        .map(|a| a.arn.as_str())
        .collect();
    for kind in [Kind::User, Kind::Role, Kind::Group] {
        for (name, h) in actual.principals(kind) {
            let named = match kind {
                Kind::User => desired.users.contains_key(name),
                Kind::Role => desired.roles.contains_key(name),
                Kind::Group => desired.groups.contains_key(name),
            };
            // Our own users and roles that are not named are deleted whole.
            if named || (kind != Kind::Group && owned(&h.tags)) {
                continue;
            }
            let rec = recorded(&h.tags);
            for arn in h.attached.iter().filter(|a| {
                ours_kept.contains(a.as_str())
                    || (rec.contains_key(*a) && !ours_gone.iter().any(|o| o.arn == **a))
            }) {
                ch.push(Change::Detach {
                    kind,
                    name: name.clone(),
                    arn: arn.clone(),
                });
            }
            if kind != Kind::Group && !rec.is_empty() {
                ch.push(Change::Untag {
                    kind,
                    name: name.clone(),
                    keys: rec.into_values().collect(),
                });
            }
        }
    }
    for (name, g) in &actual.groups {
        if !desired.groups.contains_key(name)
            && g.attached
                .iter()
                .any(|a| ours_kept.contains(a.as_str()) || ours_gone.iter().any(|o| o.arn == *a))
        {
            p.warnings.push(format!(
                "group `{name}` is not in the configuration; IAM groups carry no tags, so iamctl never deletes one"
            ));
        }
    }
    // Changes that depend on a conflict wait for it; the rest go ahead.
    let account_prefix = format!("arn:aws:iam::{}:user", desired.account_id);
    let missing_users: Vec<String> = blocked_principals
        .iter()
        .filter(|(k, _)| *k == Kind::User)
        .map(|(_, n)| n.clone())
        .collect();
    let depends = |c: &Change| -> bool {
        if let Some(arn) = c.policy_arn() {
            if blocked_arns.contains(arn) {
                return true;
            }
        }
        if let Some((kind, name)) = c.principal() {
            if blocked_principals.contains(&(kind, name.to_owned())) {
                return true;
            }
        }
        match c {
            Change::AddMember { user, .. } | Change::RemoveMember { user, .. } => {
                blocked_principals.contains(&(Kind::User, user.clone()))
            }
            // A trust naming a user that does not exist: IAM refuses it.
            Change::CreateRole { trust, .. } | Change::UpdateTrust { new: trust, .. } => {
                let text = trust.to_string();
                missing_users.iter().any(|u| {
                    text.contains(&format!("{account_prefix}/{u}\""))
                        || (text.contains(&account_prefix) && text.contains(&format!("/{u}\"")))
                })
            }
            _ => false,
        }
    };
    let (waiting, go): (Vec<Change>, Vec<Change>) = std::mem::take(&mut p.changes)
        .into_iter()
        .partition(depends);
    p.changes = go;
    p.blocked = waiting;
    p.changes.sort_by_key(Change::phase);
    p.blocked.sort_by_key(Change::phase);
    p
}

/// The tag on roles iamctl owns holding a digest of their description and
/// maximum session duration, which GetAccountAuthorizationDetails does not
/// return: a change in the configuration shows against it.
pub const TAG_ROLE_SETTINGS: &str = "iamctl:role-settings";

/// The digest [`TAG_ROLE_SETTINGS`] holds.
pub fn role_settings(description: Option<&str>, max_session_duration: Option<u32>) -> String {
    fnv(&format!(
        "{}\u{0}{}",
        description.unwrap_or(""),
        max_session_duration.map_or_else(String::new, |d| d.to_string())
    ))
}

/// Keys `have` holds that `want` does not give (AWS's own `aws:` keys
/// aside): tags removed from the configuration.
fn extra_tags(have: &Tags, want: &Tags) -> Vec<String> {
    have.keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect()
}

/// Tags in `want` that `have` lacks or holds with another value.
fn missing_tags(have: &Tags, want: &Tags) -> Tags {
    want.iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The policies of an account whose temporary grant has expired at `now`:
/// tagged IaC's with `iamctl:expires` at or before it, whether or not the
/// configuration still mentions them.
pub fn expired(actual: &ActualAccount, now: Timestamp) -> Vec<&ActualPolicy> {
    actual
        .policies
        .values()
        .filter(|p| owned(&p.tags))
        .filter(|p| {
            p.tags
                .get(TAG_EXPIRES)
                .and_then(|t| t.parse::<Timestamp>().ok())
                .is_some_and(|t| t <= now)
        })
        .collect()
}

/// The cleanup of expired grants: detach each expired policy from whoever
/// has it, then delete it.
pub fn cleanup_plan(
    environment: &str,
    account_id: &str,
    actual: &ActualAccount,
    now: Timestamp,
) -> Plan {
    let mut changes = Vec::new();
    for gone in expired(actual, now) {
        for kind in [Kind::User, Kind::Role, Kind::Group] {
            for (name, h) in actual.principals(kind) {
                if h.attached.contains(&gone.arn) {
                    changes.push(Change::Detach {
                        kind,
                        name: name.clone(),
                        arn: gone.arn.clone(),
                    });
                }
            }
        }
        changes.push(Change::DeletePolicy {
            name: gone.name.clone(),
            arn: gone.arn.clone(),
        });
    }
    changes.sort_by_key(Change::phase);
    Plan {
        environment: environment.to_owned(),
        account_id: account_id.to_owned(),
        fingerprint: actual.fingerprint.clone(),
        changes,
        access: Vec::new(),
        warnings: Vec::new(),
        conflicts: Vec::new(),
        blocked: Vec::new(),
        escalations: Vec::new(),
    }
}
