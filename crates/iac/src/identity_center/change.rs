//! One change to an Identity Center instance, as plans list it and apply
//! makes it. Users, groups and permission sets are named, not identified:
//! what this plan creates has no id yet, and apply resolves names against
//! the state it read and what it created.

use serde::{Deserialize, Serialize};

use super::err::IcPlanError;
use super::state::{Boundary, CustomerManagedRef, PrincipalType, Tags};

/// One change, in the order of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum IcChange {
    CreateUser {
        user_name: String,
        display_name: String,
        given_name: String,
        family_name: String,
        email: Option<String>,
    },
    /// `description` as stored, with the ownership mark.
    CreateGroup {
        name: String,
        description: String,
    },
    UpdateGroup {
        name: String,
        description: String,
    },
    AddMember {
        group: String,
        user: String,
    },
    CreatePermissionSet {
        name: String,
        description: Option<String>,
        session_duration: String,
        tags: Tags,
    },
    UpdatePermissionSet {
        name: String,
        description: Option<String>,
        session_duration: String,
    },
    /// The inline policy, as JSON text.
    PutInlinePolicy {
        set: String,
        document: String,
    },
    DeleteInlinePolicy {
        set: String,
    },
    AttachManagedPolicy {
        set: String,
        arn: String,
    },
    DetachManagedPolicy {
        set: String,
        arn: String,
    },
    AttachCustomerManaged {
        set: String,
        reference: CustomerManagedRef,
    },
    DetachCustomerManaged {
        set: String,
        reference: CustomerManagedRef,
    },
    PutBoundary {
        set: String,
        boundary: Boundary,
    },
    DeleteBoundary {
        set: String,
    },
    TagPermissionSet {
        set: String,
        tags: Tags,
    },
    UntagPermissionSet {
        set: String,
        keys: Vec<String>,
    },
    /// A changed permission set, provisioned again to an account it is
    /// provisioned to (AWS updates the account's role only then).
    Provision {
        set: String,
        account_id: String,
    },
    CreateAssignment {
        set: String,
        account_id: String,
        environment: String,
        principal_type: PrincipalType,
        principal: String,
    },
    DeleteAssignment {
        set: String,
        account_id: String,
        principal_type: PrincipalType,
        principal: String,
        /// The principal's id as read (its name may be gone).
        principal_id: String,
    },
    RemoveMember {
        group: String,
        user: String,
        membership_id: String,
    },
    DeletePermissionSet {
        name: String,
    },
    DeleteGroup {
        name: String,
    },
    DeleteUser {
        user_name: String,
    },
}

impl IcChange {
    /// One line for a person: `create permission set boto3`.
    pub fn describe(&self) -> String {
        use IcChange::*;
        let who = |t: &PrincipalType, p: &str| match t {
            PrincipalType::User => format!("user {p}"),
            PrincipalType::Group => format!("group {p}"),
        };
        match self {
            CreateUser { user_name, .. } => format!("create user {user_name}"),
            CreateGroup { name, .. } => format!("create group {name}"),
            UpdateGroup { name, description } => {
                format!("update group {name}: description `{description}`")
            }
            AddMember { group, user } => format!("add {user} to group {group}"),
            CreatePermissionSet {
                name,
                session_duration,
                ..
            } => format!("create permission set {name} (session {session_duration})"),
            UpdatePermissionSet {
                name,
                session_duration,
                ..
            } => format!("update permission set {name} (session {session_duration})"),
            PutInlinePolicy { set, .. } => format!("put inline policy of permission set {set}"),
            DeleteInlinePolicy { set } => format!("delete inline policy of permission set {set}"),
            AttachManagedPolicy { set, arn } => format!("attach {arn} to permission set {set}"),
            DetachManagedPolicy { set, arn } => format!("detach {arn} from permission set {set}"),
            AttachCustomerManaged { set, reference } => format!(
                "attach customer-managed {}{} to permission set {set}",
                reference.path, reference.name
            ),
            DetachCustomerManaged { set, reference } => format!(
                "detach customer-managed {}{} from permission set {set}",
                reference.path, reference.name
            ),
            PutBoundary { set, boundary } => {
                let b = match boundary {
                    Boundary::AwsManaged(arn) => arn.clone(),
                    Boundary::CustomerManaged { name, path } => format!("{path}{name}"),
                };
                format!("set permissions boundary {b} on permission set {set}")
            }
            DeleteBoundary { set } => {
                format!("remove permissions boundary of permission set {set}")
            }
            TagPermissionSet { set, tags } => {
                let t: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("tag permission set {set}: {}", t.join(", "))
            }
            UntagPermissionSet { set, keys } => {
                format!("untag permission set {set}: {}", keys.join(", "))
            }
            Provision { set, account_id } => {
                format!("provision permission set {set} to {account_id} again")
            }
            CreateAssignment {
                set,
                account_id,
                environment,
                principal_type,
                principal,
            } => format!(
                "assign {set} to {} in {environment} ({account_id})",
                who(principal_type, principal)
            ),
            DeleteAssignment {
                set,
                account_id,
                principal_type,
                principal,
                ..
            } => format!(
                "remove assignment of {set} from {} in {account_id}",
                who(principal_type, principal)
            ),
            RemoveMember { group, user, .. } => format!("remove {user} from group {group}"),
            DeletePermissionSet { name } => format!("delete permission set {name}"),
            DeleteGroup { name } => format!("delete group {name}"),
            DeleteUser { user_name } => format!("delete user {user_name}"),
        }
    }

    /// When apply makes it: what a change needs is made in an earlier phase
    /// (a user before its membership, assignments gone before their set).
    pub fn phase(&self) -> u8 {
        use IcChange::*;
        match self {
            CreateUser { .. } => 0,
            CreateGroup { .. } | UpdateGroup { .. } => 1,
            AddMember { .. } => 2,
            CreatePermissionSet { .. } | UpdatePermissionSet { .. } => 3,
            PutInlinePolicy { .. }
            | DeleteInlinePolicy { .. }
            | AttachManagedPolicy { .. }
            | DetachManagedPolicy { .. }
            | AttachCustomerManaged { .. }
            | DetachCustomerManaged { .. }
            | PutBoundary { .. }
            | DeleteBoundary { .. }
            | TagPermissionSet { .. }
            | UntagPermissionSet { .. } => 4,
            Provision { .. } => 5,
            CreateAssignment { .. } => 6,
            DeleteAssignment { .. } => 7,
            RemoveMember { .. } => 8,
            DeletePermissionSet { .. } => 9,
            DeleteGroup { .. } => 10,
            DeleteUser { .. } => 11,
        }
    }

    /// `+`, `~` or `-`, as plans mark changes.
    pub fn sign(&self) -> char {
        use IcChange::*;
        match self {
            CreateUser { .. }
            | CreateGroup { .. }
            | AddMember { .. }
            | CreatePermissionSet { .. }
            | AttachManagedPolicy { .. }
            | AttachCustomerManaged { .. }
            | CreateAssignment { .. } => '+',
            DeleteAssignment { .. }
            | RemoveMember { .. }
            | DeletePermissionSet { .. }
            | DeleteGroup { .. }
            | DeleteUser { .. }
            | DetachManagedPolicy { .. }
            | DetachCustomerManaged { .. } => '-',
            _ => '~',
        }
    }
}

/// What one person gains or loses through one assignment change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonAccess {
    /// The user name.
    pub person: String,
    /// `gains` or `loses`.
    pub change: String,
    pub environment: String,
    pub account_id: String,
    pub permission_set: String,
    /// The group the access comes through, for a group assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_group: Option<String>,
    /// For a temporary assignment: when AWS starts denying (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Service → access level (AWS's words) → number of actions.
    pub actions: std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>,
    /// Risky actions among them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risky: Vec<String>,
    /// Policies whose documents were not available, so not counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<String>,
}

/// The plan of one Identity Center instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcPlan {
    pub instance_arn: String,
    pub changes: Vec<IcChange>,
    /// What each person gains or loses.
    #[serde(default)]
    pub access: Vec<PersonAccess>,
    /// Things the plan leaves alone, and why.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// What stops the plan: nothing is applied while there is one.
    #[serde(default, skip_deserializing)]
    pub errors: Vec<IcPlanError>,
}

impl IcPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}
