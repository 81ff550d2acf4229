//! One change to an account, as plans list it and apply makes it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use iamctl_config::Tags;

use super::Kind;

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
    /// A group of ours (under the IAM path of ours) the configuration no
    /// longer names: its members removed, its attached policies detached and
    /// inline policies deleted, then the group.
    DeleteGroup {
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
            DeleteUser { .. } | DeleteRole { .. } | DeleteGroup { .. } | Untag { .. } => 4,
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
            CreateGroup { name, .. } | DeleteGroup { name } => Some((Kind::Group, name)),
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
            DeletePolicy { .. } | DeleteUser { .. } | DeleteRole { .. } | DeleteGroup { .. } => '-',
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
            DeleteGroup { name } => {
                format!("delete group {name} (and its memberships and policies)")
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
