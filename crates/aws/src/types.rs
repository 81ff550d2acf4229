//! iamctl's own view of IAM entities. `Serialize` gives the JSON shapes of
//! `--output json`, in AWS's own field names (PascalCase) so they read like
//! `aws iam` output.

use serde::Serialize;

/// A secret value (secret access key, session token). Its `Debug` never shows the
/// value, so it cannot reach a log or an error by accident; only [`Secret::expose`]
/// gives it out.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One tag: the snapshot's type, the one tag type of the workspace.
pub use iamctl_policy::snapshot::Tag;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub user_name: String,
    pub user_id: String,
    pub arn: String,
    pub path: String,
    pub create_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_last_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

/// What users, groups and roles have in common, for listings.
pub trait Named {
    fn name(&self) -> &str;
    fn path(&self) -> &str;
    fn create_date(&self) -> &str;
    fn arn(&self) -> &str;
}

macro_rules! named {
    ($t:ty, $name:ident) => {
        impl Named for $t {
            fn name(&self) -> &str {
                &self.$name
            }
            fn path(&self) -> &str {
                &self.path
            }
            fn create_date(&self) -> &str {
                &self.create_date
            }
            fn arn(&self) -> &str {
                &self.arn
            }
        }
    };
}

named!(User, user_name);
named!(Group, group_name);
named!(Role, role_name);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    pub group_name: String,
    pub group_id: String,
    pub arn: String,
    pub path: String,
    pub create_date: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    pub path: String,
    pub create_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assume_role_policy_document: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    pub policy_name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub default_version_id: String,
    pub attachment_count: i32,
    pub is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub create_date: String,
    pub update_date: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    pub version_id: String,
    pub is_default_version: bool,
    pub create_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

/// Who a managed policy is attached to.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyEntities {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
}

impl PolicyEntities {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty() && self.roles.is_empty()
    }
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (kind, names) in [
            ("user", &self.users),
            ("group", &self.groups),
            ("role", &self.roles),
        ] {
            for n in names {
                parts.push(format!("{kind} `{n}`"));
            }
        }
        parts.join(", ")
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyLastUsed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<String>,
    pub service_name: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyInfo {
    pub user_name: String,
    pub access_key_id: String,
    pub status: String,
    pub create_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<AccessKeyLastUsed>,
}

/// A key just created: the only place a secret access key exists.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    pub user_name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub create_date: String,
}

#[derive(Debug, Clone)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: String,
    pub assumed_role_arn: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// Everything that has to go before a user can be deleted.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDependents {
    pub access_keys: Vec<String>,
    pub login_profile: bool,
    pub mfa_devices: Vec<String>,
    pub ssh_public_keys: Vec<String>,
    pub signing_certificates: Vec<String>,
    pub service_specific_credentials: Vec<String>,
    pub groups: Vec<String>,
    pub inline_policies: Vec<String>,
    pub attached_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    /// Customer-managed policies.
    Local,
    /// AWS-managed policies.
    Aws,
    All,
}

/// Principal kinds that take managed and inline policies: the workspace's
/// one principal kind.
pub use iamctl_policy::account::EntityKind as PrincipalKind;

/// An S3 object or object version to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub key: String,
    pub version_id: Option<String>,
}
