//! The Identity Center calls plan, apply and cleanup make, as one narrow
//! trait beside [`crate::IamBackend`]: implemented over the AWS SDK
//! (`iamctl_aws::identity_center`) and in memory ([`super::memory`], feature
//! `test-utils`). Errors are [`crate::BackendError`]s with their
//! [`crate::ErrorKind`].
//!
//! Provisioning and assignment changes are asynchronous in AWS: the call
//! returns a request id whose status is polled
//! (<https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html>:
//! "As part of a successful CreateAccountAssignment call, the specified
//! permission set will automatically be provisioned to the account in the
//! form of an IAM policy. [...] Use the DescribeAccountAssignmentCreationStatus
//! API to track the status").

use async_trait::async_trait;

use super::state::{Boundary, CustomerManagedRef, IdentityCenterState, PrincipalType, Tags};
use crate::BackendResult;

/// The state of an asynchronous request (`StatusValues`: `IN_PROGRESS`,
/// `FAILED`, `SUCCEEDED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestStatus {
    InProgress,
    Succeeded,
    /// `FailureReason`, as AWS gives it.
    Failed(String),
}

/// What an asynchronous request was for, to ask for its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `ProvisionPermissionSet`.
    Provision,
    /// `CreateAccountAssignment`.
    CreateAssignment,
    /// `DeleteAccountAssignment`.
    DeleteAssignment,
}

/// A user to create in the identity store.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    pub user_name: &'a str,
    pub display_name: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: Option<&'a str>,
    /// `UserType`: the ownership mark.
    pub user_type: &'a str,
}

/// A permission set's own attributes (`CreatePermissionSet`,
/// `UpdatePermissionSet`).
#[derive(Debug, Clone, Copy)]
pub struct SetAttributes<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    /// ISO 8601.
    pub session_duration: &'a str,
}

/// An account assignment, by ids.
#[derive(Debug, Clone, Copy)]
pub struct AssignmentRef<'a> {
    pub account_id: &'a str,
    pub permission_set_arn: &'a str,
    pub principal_type: PrincipalType,
    pub principal_id: &'a str,
}

/// The calls of Identity Center as code.
#[async_trait]
pub trait IdentityCenterBackend: Send + Sync {
    // --- reading ---

    /// The whole instance: `ListInstances`, then the identity store's users,
    /// groups and memberships, every permission set with its policies,
    /// tags and accounts, and every assignment (many calls, in a bounded
    /// number of rounds; see [`IdentityCenterBackend::calls`]).
    async fn read_state(&self) -> BackendResult<IdentityCenterState>;
    /// API calls made so far (for `-v`).
    fn calls(&self) -> usize;

    // --- identity store ---

    /// `CreateUser`: the new user's id.
    async fn create_user(&self, u: &NewUser<'_>) -> BackendResult<String>;
    /// `DeleteUser`.
    async fn delete_user(&self, user_id: &str) -> BackendResult<()>;
    /// `CreateGroup`: the new group's id.
    async fn create_group(&self, name: &str, description: &str) -> BackendResult<String>;
    /// `UpdateGroup` of the description.
    async fn update_group(&self, group_id: &str, description: &str) -> BackendResult<()>;
    /// `DeleteGroup`.
    async fn delete_group(&self, group_id: &str) -> BackendResult<()>;
    /// `CreateGroupMembership`: the membership's id.
    async fn create_membership(&self, group_id: &str, user_id: &str) -> BackendResult<String>;
    /// `DeleteGroupMembership`.
    async fn delete_membership(&self, membership_id: &str) -> BackendResult<()>;

    // --- permission sets ---

    /// `CreatePermissionSet` with its tags: the new set's ARN.
    async fn create_permission_set(
        &self,
        s: &SetAttributes<'_>,
        tags: &Tags,
    ) -> BackendResult<String>;
    /// `UpdatePermissionSet` (description, session duration).
    async fn update_permission_set(&self, arn: &str, s: &SetAttributes<'_>) -> BackendResult<()>;
    /// `DeletePermissionSet`.
    async fn delete_permission_set(&self, arn: &str) -> BackendResult<()>;
    /// `PutInlinePolicyToPermissionSet` (JSON text).
    async fn put_inline_policy(&self, arn: &str, document: &str) -> BackendResult<()>;
    /// `DeleteInlinePolicyFromPermissionSet`.
    async fn delete_inline_policy(&self, arn: &str) -> BackendResult<()>;
    /// `AttachManagedPolicyToPermissionSet`.
    async fn attach_managed(&self, arn: &str, policy_arn: &str) -> BackendResult<()>;
    /// `DetachManagedPolicyFromPermissionSet`.
    async fn detach_managed(&self, arn: &str, policy_arn: &str) -> BackendResult<()>;
    /// `AttachCustomerManagedPolicyReferenceToPermissionSet`.
    async fn attach_customer_managed(&self, arn: &str, r: &CustomerManagedRef)
        -> BackendResult<()>;
    /// `DetachCustomerManagedPolicyReferenceFromPermissionSet`.
    async fn detach_customer_managed(&self, arn: &str, r: &CustomerManagedRef)
        -> BackendResult<()>;
    /// `PutPermissionsBoundaryToPermissionSet`.
    async fn put_boundary(&self, arn: &str, b: &Boundary) -> BackendResult<()>;
    /// `DeletePermissionsBoundaryFromPermissionSet`.
    async fn delete_boundary(&self, arn: &str) -> BackendResult<()>;
    /// `TagResource`.
    async fn tag(&self, arn: &str, tags: &Tags) -> BackendResult<()>;
    /// `UntagResource`.
    async fn untag(&self, arn: &str, keys: &[String]) -> BackendResult<()>;

    // --- asynchronous requests ---

    /// `ProvisionPermissionSet` to one account: the request id.
    async fn provision(&self, arn: &str, account_id: &str) -> BackendResult<String>;
    /// `CreateAccountAssignment`: the request id.
    async fn create_assignment(&self, a: &AssignmentRef<'_>) -> BackendResult<String>;
    /// `DeleteAccountAssignment`: the request id.
    async fn delete_assignment(&self, a: &AssignmentRef<'_>) -> BackendResult<String>;
    /// `DescribePermissionSetProvisioningStatus`,
    /// `DescribeAccountAssignmentCreationStatus` or
    /// `DescribeAccountAssignmentDeletionStatus`.
    async fn request_status(
        &self,
        kind: RequestKind,
        request_id: &str,
    ) -> BackendResult<RequestStatus>;

    // --- the environment ---

    /// Waits before a poll or a retry. The SDK backend sleeps; the memory
    /// backend returns at once.
    async fn pause(&self, d: std::time::Duration);
}
