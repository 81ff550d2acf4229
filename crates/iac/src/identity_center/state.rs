//! The state of one IAM Identity Center instance, typed: what [`super::plan`]
//! compares the desired state with, what a backend's read returns.
//!
//! Users, groups and memberships live in the instance's identity store
//! (identified by its id); permission sets, their provisioning and account
//! assignments in the instance (identified by its ARN). Ids are AWS's:
//! `UserId`, `GroupId`, `MembershipId`, `PermissionSetArn`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use iamctl_config::identity_center::Boundary;
pub use iamctl_config::Tags;

/// One Identity Center instance as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCenterState {
    /// `arn:aws:sso:::instance/ssoins-...`.
    pub instance_arn: String,
    /// `d-...`: the identity store of the instance.
    pub identity_store_id: String,
    pub users: Vec<IcUser>,
    pub groups: Vec<IcGroup>,
    pub memberships: Vec<IcMembership>,
    pub permission_sets: Vec<IcPermissionSet>,
    pub assignments: Vec<IcAssignment>,
}

/// An identity store user (`DescribeUser` / `ListUsers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcUser {
    pub user_id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The primary email address.
    pub email: Option<String>,
    /// `UserType`: iamctl writes [`super::OWNER_MARK`] in it on the users it
    /// creates (the identity store has no tags).
    pub user_type: Option<String>,
}

/// An identity store group (`ListGroups`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcGroup {
    pub group_id: String,
    pub display_name: String,
    /// As stored: for the groups iamctl creates, the configured description
    /// followed by [`super::OWNER_MARK`] (see [`super::owned_group`]).
    pub description: Option<String>,
}

/// A group membership (`ListGroupMemberships`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcMembership {
    pub membership_id: String,
    pub group_id: String,
    pub user_id: String,
}

/// A customer-managed policy reference of a permission set: a policy of
/// that name and path must exist in every account it is provisioned to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CustomerManagedRef {
    pub name: String,
    /// `/` unless the policy has a path.
    pub path: String,
}

/// A permission set with everything attached to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcPermissionSet {
    /// `arn:aws:sso:::permissionSet/ssoins-.../ps-...`.
    pub arn: String,
    pub name: String,
    pub description: Option<String>,
    /// ISO 8601 (`PT1H`); AWS's default, one hour, when unset.
    pub session_duration: Option<String>,
    /// The inline policy, as JSON text (`GetInlinePolicyForPermissionSet`).
    pub inline_policy: Option<String>,
    /// AWS-managed policy ARNs (`ListManagedPoliciesInPermissionSet`).
    pub managed_policies: BTreeSet<String>,
    /// `ListCustomerManagedPolicyReferencesInPermissionSet`.
    pub customer_managed: BTreeSet<CustomerManagedRef>,
    /// `GetPermissionsBoundaryForPermissionSet`.
    pub boundary: Option<Boundary>,
    /// `ListTagsForResource`: iamctl's permission sets carry
    /// `managed-by=iamctl`, and temporary copies their expiry.
    pub tags: Tags,
    /// Accounts it is provisioned to (`ListAccountsForProvisionedPermissionSet`).
    pub provisioned_to: BTreeSet<String>,
}

/// `USER` or `GROUP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PrincipalType {
    User,
    Group,
}

impl PrincipalType {
    /// As the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "USER",
            PrincipalType::Group => "GROUP",
        }
    }
}

/// An account assignment: a principal may use a permission set in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IcAssignment {
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

impl IdentityCenterState {
    pub fn user_by_name(&self, name: &str) -> Option<&IcUser> {
        self.users.iter().find(|u| u.user_name == name)
    }

    pub fn user_by_id(&self, id: &str) -> Option<&IcUser> {
        self.users.iter().find(|u| u.user_id == id)
    }

    pub fn group_by_name(&self, name: &str) -> Option<&IcGroup> {
        self.groups.iter().find(|g| g.display_name == name)
    }

    pub fn group_by_id(&self, id: &str) -> Option<&IcGroup> {
        self.groups.iter().find(|g| g.group_id == id)
    }

    pub fn set_by_name(&self, name: &str) -> Option<&IcPermissionSet> {
        self.permission_sets.iter().find(|p| p.name == name)
    }

    pub fn set_by_arn(&self, arn: &str) -> Option<&IcPermissionSet> {
        self.permission_sets.iter().find(|p| p.arn == arn)
    }

    /// The user names of a group's members (ids without a user are left out).
    pub fn members_of(&self, group_id: &str) -> BTreeSet<String> {
        self.memberships
            .iter()
            .filter(|m| m.group_id == group_id)
            .filter_map(|m| self.user_by_id(&m.user_id))
            .map(|u| u.user_name.clone())
            .collect()
    }

    /// A principal's name (user name or group display name), by type and id.
    pub fn principal_name(&self, t: PrincipalType, id: &str) -> Option<&str> {
        match t {
            PrincipalType::User => self.user_by_id(id).map(|u| u.user_name.as_str()),
            PrincipalType::Group => self.group_by_id(id).map(|g| g.display_name.as_str()),
        }
    }

    /// Assignments by permission set ARN.
    pub fn assignments_by_set(&self) -> BTreeMap<&str, Vec<&IcAssignment>> {
        let mut out: BTreeMap<&str, Vec<&IcAssignment>> = BTreeMap::new();
        for a in &self.assignments {
            out.entry(a.permission_set_arn.as_str())
                .or_default()
                .push(a);
        }
        out
    }
}
