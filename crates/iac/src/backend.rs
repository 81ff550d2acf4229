//! The calls reading and applying make, as one narrow trait: implemented over
//! the AWS SDK (`iamctl_aws`) and in memory ([`crate::memory`]), so the
//! planner and apply are tested without a network, with scripted faults.
//!
//! Every method is one IAM API call (named in its doc), except where a doc says
//! it composes several. Errors carry an [`ErrorKind`], which is all apply
//! decides on (a deletion of what is already gone succeeds, a throttled or
//! lost reply may be sent again, ...).

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

pub use iamctl_config::Tags;
pub use iamctl_policy::account::EntityKind as PrincipalKind;

/// What a failed call was, for the decisions apply makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AlreadyExists,
    LimitExceeded,
    DeleteConflict,
    AccessDenied,
    Throttled,
    /// AWS rejected the input (malformed policy, validation error).
    InvalidInput,
    /// The endpoint could not be reached.
    Connection,
    /// Anything else, including a reply that was lost (the call may or may
    /// not have taken effect).
    Other,
    /// Not sent: the run was interrupted ([`crate::cancel::Cancel`]).
    Interrupted,
}

impl ErrorKind {
    /// Whether the same request may be sent again.
    pub fn transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Connection | ErrorKind::Other
        )
    }
}

/// A call that failed: its kind and the message to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    pub kind: ErrorKind,
    pub message: String,
    /// What the user can do about it, when the backend knows (the SDK
    /// backend passes on its error's help).
    pub help: Option<String>,
}

impl BackendError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> BackendError {
        BackendError {
            kind,
            message: message.into(),
            help: None,
        }
    }

    /// The same error with `help`.
    pub fn with_help(mut self, help: Option<String>) -> BackendError {
        self.help = help;
        self
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

/// `GetAccountAuthorizationDetails`, every page, in AWS's JSON shape (what
/// `iamctl account snapshot` writes and `iamctl_policy::Account` reads).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationDetails {
    pub document: iamctl_policy::snapshot::Snapshot,
    /// Pages read (API calls made).
    pub pages: usize,
}

/// A managed policy version as `ListPolicyVersions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub version_id: String,
    pub is_default_version: bool,
}

/// `CreatePolicy`'s input.
#[derive(Debug, Clone, Copy)]
pub struct NewPolicy<'a> {
    pub name: &'a str,
    pub path: &'a str,
    /// The policy document, as JSON text.
    pub document: &'a str,
    pub description: Option<&'a str>,
    pub tags: &'a Tags,
}

/// `CreateRole`'s input.
#[derive(Debug, Clone, Copy)]
pub struct NewRole<'a> {
    pub name: &'a str,
    pub path: &'a str,
    /// The trust policy, as JSON text.
    pub trust: &'a str,
    pub description: Option<&'a str>,
    pub max_session_duration: Option<u32>,
    pub tags: &'a Tags,
}

/// The IAM calls of plan, apply, cleanup and import.
#[async_trait]
pub trait IamBackend: Send + Sync {
    // --- reading ---

    /// `GetAccountAuthorizationDetails`, all pages (user, role, group,
    /// local and AWS-managed policy details as attached).
    async fn authorization_details(&self) -> BackendResult<AuthorizationDetails>;
    /// `ListPolicyTags` (GetAccountAuthorizationDetails has no policy tags).
    async fn policy_tags(&self, arn: &str) -> BackendResult<Tags>;
    /// The default version's document of a managed policy: `GetPolicy`, then
    /// `GetPolicyVersion` (two calls).
    async fn policy_document(&self, arn: &str) -> BackendResult<Value>;
    /// `GetUser` or `GetRole`: the principal's tags (groups have none:
    /// an empty map).
    async fn principal_tags(&self, kind: PrincipalKind, name: &str) -> BackendResult<Tags>;

    // --- managed policies ---

    /// `CreatePolicy`.
    async fn create_policy(&self, p: &NewPolicy<'_>) -> BackendResult<()>;
    /// `ListPolicyVersions`.
    async fn list_policy_versions(&self, arn: &str) -> BackendResult<Vec<PolicyVersion>>;
    /// `GetPolicyVersion`: that version's document.
    async fn policy_version_document(&self, arn: &str, version: &str) -> BackendResult<Value>;
    /// `CreatePolicyVersion` with `SetAsDefault`, one attempt (no SDK
    /// retry: apply looks for a lost create before sending it again).
    async fn create_policy_version(&self, arn: &str, document: &str) -> BackendResult<()>;
    /// `SetDefaultPolicyVersion`.
    async fn set_default_policy_version(&self, arn: &str, version: &str) -> BackendResult<()>;
    /// `DeletePolicyVersion`.
    async fn delete_policy_version(&self, arn: &str, version: &str) -> BackendResult<()>;
    /// `DeletePolicy` (fails with `DeleteConflict` while attached or while it
    /// has non-default versions).
    async fn delete_policy(&self, arn: &str) -> BackendResult<()>;
    /// `TagPolicy`.
    async fn tag_policy(&self, arn: &str, tags: &Tags) -> BackendResult<()>;
    /// `UntagPolicy`.
    async fn untag_policy(&self, arn: &str, keys: &[String]) -> BackendResult<()>;
    /// `ListEntitiesForPolicy`: who has the policy attached.
    async fn policy_holders(&self, arn: &str) -> BackendResult<Vec<(PrincipalKind, String)>>;

    // --- principals ---

    /// `CreateUser`.
    async fn create_user(&self, name: &str, path: &str, tags: &Tags) -> BackendResult<()>;
    /// `CreateRole`.
    async fn create_role(&self, r: &NewRole<'_>) -> BackendResult<()>;
    /// `CreateGroup`.
    async fn create_group(&self, name: &str, path: &str) -> BackendResult<()>;
    /// `UpdateUser` or `UpdateGroup` with a new path (a role's path cannot
    /// change: `InvalidInput`).
    async fn update_path(&self, kind: PrincipalKind, name: &str, path: &str) -> BackendResult<()>;
    /// `UpdateRole`.
    async fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> BackendResult<()>;
    /// `UpdateAssumeRolePolicy`.
    async fn update_trust(&self, name: &str, trust: &str) -> BackendResult<()>;
    /// `TagUser` or `TagRole` (groups take no tags: `InvalidInput`).
    async fn tag(&self, kind: PrincipalKind, name: &str, tags: &Tags) -> BackendResult<()>;
    /// `UntagUser` or `UntagRole`.
    async fn untag(&self, kind: PrincipalKind, name: &str, keys: &[String]) -> BackendResult<()>;
    /// `PutUserPermissionsBoundary` or `PutRolePermissionsBoundary`.
    async fn put_boundary(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()>;
    /// `DeleteUserPermissionsBoundary` or `DeleteRolePermissionsBoundary`.
    async fn delete_boundary(&self, kind: PrincipalKind, name: &str) -> BackendResult<()>;
    /// `AddUserToGroup`.
    async fn add_member(&self, group: &str, user: &str) -> BackendResult<()>;
    /// `RemoveUserFromGroup`.
    async fn remove_member(&self, group: &str, user: &str) -> BackendResult<()>;
    /// `GetGroup`: the names of its members.
    async fn group_members(&self, group: &str) -> BackendResult<Vec<String>>;
    /// `Attach{User,Role,Group}Policy`.
    async fn attach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()>;
    /// `Detach{User,Role,Group}Policy`.
    async fn detach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()>;
    /// `ListAttached{User,Role,Group}Policies`: the ARNs.
    async fn list_attached(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>>;
    /// `Put{User,Role,Group}Policy`.
    async fn put_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
        document: &str,
    ) -> BackendResult<()>;
    /// `Delete{User,Role,Group}Policy`.
    async fn delete_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> BackendResult<()>;
    /// `List{User,Role,Group}Policies`: the inline policies' names.
    async fn list_inline(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>>;
    /// Everything that keeps a user from being deleted, removed: access
    /// keys, login profile, MFA devices, signing certificates, SSH keys,
    /// service-specific credentials, group memberships, attached and inline
    /// policies (several calls). `NotFound` when the user is gone.
    async fn remove_user_dependents(&self, name: &str) -> BackendResult<()>;
    /// `DeleteUser`.
    async fn delete_user(&self, name: &str) -> BackendResult<()>;
    /// `ListInstanceProfilesForRole`: the profiles' names.
    async fn instance_profiles_for_role(&self, role: &str) -> BackendResult<Vec<String>>;
    /// `RemoveRoleFromInstanceProfile`.
    async fn remove_from_instance_profile(&self, role: &str, profile: &str) -> BackendResult<()>;
    /// `DeleteRole`.
    async fn delete_role(&self, name: &str) -> BackendResult<()>;
    /// `DeleteGroup` (fails with `DeleteConflict` while it has members or
    /// policies).
    async fn delete_group(&self, name: &str) -> BackendResult<()>;

    // --- the environment ---

    /// Waits before a retry. The SDK backend sleeps; the memory backend
    /// returns at once (the clock is injected, never read here).
    async fn pause(&self, d: Duration);
    /// Attempts the backend's own retry layer made again (for apply's
    /// summary); 0 when it has none.
    fn retried_attempts(&self) -> u32 {
        0
    }
}
