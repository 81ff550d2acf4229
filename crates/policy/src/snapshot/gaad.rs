//! The entities of a snapshot, in `GetAccountAuthorizationDetails`' shape
//! (field names and order as the API and the AWS CLI give them). Fields the
//! API may leave out are `Option`s or empty; names, ARNs and paths read as
//! `""` when absent and are then not written.

use serde::{Deserialize, Serialize};

use super::Document;

fn is_empty(s: &str) -> bool {
    s.is_empty()
}

/// `{"Key": ..., "Value": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// An entity's tags as a map, key to value: the form plans compare.
pub type Tags = std::collections::BTreeMap<String, String>;

/// `tags` as a map (a key given twice: the last value).
pub fn tags_map(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// `tags` as the list IAM's calls take, in key order.
pub fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// A managed policy attached to a user, group or role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    #[serde(default)]
    pub policy_arn: String,
}

/// An inline policy of a user, group or role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    #[serde(default)]
    pub policy_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<Document>,
}

/// A user's or role's permissions boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Boundary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary_type: Option<String>,
    #[serde(default)]
    pub permissions_boundary_arn: String,
}

/// `UserDetailList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Boundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `GroupDetailList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

/// A role as an instance profile lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProfileRole {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub role_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role_policy_document: Option<Document>,
}

/// `RoleDetailList[].InstanceProfileList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub instance_profile_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(default)]
    pub roles: Vec<ProfileRole>,
}

/// `RoleDetailList[].RoleLastUsed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleLastUsed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `RoleDetailList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub role_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role_policy_document: Option<Document>,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Boundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_last_used: Option<RoleLastUsed>,
}

/// `Policies[].PolicyVersionList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub version_id: String,
    #[serde(default)]
    pub is_default_version: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

/// `Policies[]`: a managed policy, customer- or AWS-managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy {
    #[serde(default, skip_serializing_if = "is_empty")]
    pub policy_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub arn: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary_usage_count: Option<i64>,
    #[serde(default = "yes")]
    pub is_attachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

fn yes() -> bool {
    true
}

impl Default for ManagedPolicy {
    fn default() -> Self {
        ManagedPolicy {
            policy_name: String::new(),
            policy_id: None,
            arn: String::new(),
            path: String::new(),
            default_version_id: None,
            attachment_count: None,
            permissions_boundary_usage_count: None,
            is_attachable: true,
            description: None,
            create_date: None,
            update_date: None,
            policy_version_list: Vec::new(),
        }
    }
}

impl ManagedPolicy {
    /// The default version, if the snapshot holds it.
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
    }

    /// The default version's document, decoded.
    pub fn default_document(&self) -> Option<&serde_json::Value> {
        self.default_version()
            .and_then(|v| v.document.as_ref())
            .and_then(Document::json)
    }

    /// Whether AWS manages it (`arn:aws:iam::aws:policy/...`).
    pub fn aws_managed(&self) -> bool {
        self.arn.split(':').nth(4) == Some("aws")
    }
}

/// The parts users, groups and roles share, for readers that treat them
/// alike.
pub trait Principal {
    fn name(&self) -> &str;
    fn arn(&self) -> &str;
    fn path(&self) -> &str;
    fn inline(&self) -> &[InlinePolicy];
    fn attached(&self) -> &[AttachedPolicy];
    fn boundary_arn(&self) -> Option<&str> {
        None
    }
    fn tags(&self) -> &[Tag] {
        &[]
    }
}

fn boundary_arn(b: &Option<Boundary>) -> Option<&str> {
    b.as_ref()
        .map(|b| b.permissions_boundary_arn.as_str())
        .filter(|a| !a.is_empty())
}

impl Principal for User {
    fn name(&self) -> &str {
        &self.user_name
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn inline(&self) -> &[InlinePolicy] {
        &self.user_policy_list
    }
    fn attached(&self) -> &[AttachedPolicy] {
        &self.attached_managed_policies
    }
    fn boundary_arn(&self) -> Option<&str> {
        boundary_arn(&self.permissions_boundary)
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl Principal for Role {
    fn name(&self) -> &str {
        &self.role_name
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn inline(&self) -> &[InlinePolicy] {
        &self.role_policy_list
    }
    fn attached(&self) -> &[AttachedPolicy] {
        &self.attached_managed_policies
    }
    fn boundary_arn(&self) -> Option<&str> {
        boundary_arn(&self.permissions_boundary)
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl Principal for Group {
    fn name(&self) -> &str {
        &self.group_name
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn inline(&self) -> &[InlinePolicy] {
        &self.group_policy_list
    }
    fn attached(&self) -> &[AttachedPolicy] {
        &self.attached_managed_policies
    }
}
