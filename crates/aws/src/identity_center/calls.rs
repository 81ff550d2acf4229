//! The permission set and assignment calls of [`super::AwsIdentityCenter`].

use aws_sdk_ssoadmin::types::{
    CustomerManagedPolicyReference, PermissionsBoundary, StatusValues, Tag, TargetType,
};
use iamctl_iac::identity_center::backend::{
    AssignmentRef, RequestKind, RequestStatus, SetAttributes,
};
use iamctl_iac::identity_center::state::Tags;
use iamctl_iac::{BackendResult, ErrorKind as Kind};

use super::{invalid, AwsIdentityCenter};
use iamctl_iac::identity_center::state::PrincipalType;

impl AwsIdentityCenter {
    pub(super) async fn create_set(
        &self,
        s: &SetAttributes<'_>,
        tags: &Tags,
    ) -> BackendResult<String> {
        let out = self
            .admin
            .create_permission_set()
            .instance_arn(&self.instance_arn)
            .name(s.name)
            .set_description(s.description.map(str::to_owned))
            .session_duration(s.session_duration)
            .set_tags(Some(sdk_tags(tags)?))
            .send()
            .await
            .map_err(|e| self.error("CreatePermissionSet", Kind::AlreadyExists, e))?;
        let set = out.permission_set();
        Ok(set
            .and_then(|p| p.permission_set_arn())
            .unwrap_or_default()
            .to_owned())
    }

    pub(super) async fn update_set(&self, arn: &str, s: &SetAttributes<'_>) -> BackendResult<()> {
        self.admin
            .update_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .set_description(s.description.map(str::to_owned))
            .session_duration(s.session_duration)
            .send()
            .await
            .map_err(|e| self.error("UpdatePermissionSet", Kind::Other, e))?;
        Ok(())
    }

    pub(super) async fn delete_set(&self, arn: &str) -> BackendResult<()> {
        self.admin
            .delete_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .send()
            .await
            .map_err(|e| self.error("DeletePermissionSet", Kind::DeleteConflict, e))?;
        Ok(())
    }

    pub(super) async fn put_inline(&self, arn: &str, document: &str) -> BackendResult<()> {
        self.admin
            .put_inline_policy_to_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .inline_policy(document)
            .send()
            .await
            .map_err(|e| self.error("PutInlinePolicyToPermissionSet", Kind::Other, e))?;
        Ok(())
    }

    pub(super) async fn delete_inline(&self, arn: &str) -> BackendResult<()> {
        self.admin
            .delete_inline_policy_from_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .send()
            .await
            .map_err(|e| self.error("DeleteInlinePolicyFromPermissionSet", Kind::Other, e))?;
        Ok(())
    }

    pub(super) async fn attach(&self, arn: &str, policy: &str) -> BackendResult<()> {
        self.admin
            .attach_managed_policy_to_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .managed_policy_arn(policy)
            .send()
            .await
            .map_err(|e| {
                self.error("AttachManagedPolicyToPermissionSet", Kind::AlreadyExists, e)
            })?;
        Ok(())
    }

    pub(super) async fn detach(&self, arn: &str, policy: &str) -> BackendResult<()> {
        self.admin
            .detach_managed_policy_from_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .managed_policy_arn(policy)
            .send()
            .await
            .map_err(|e| self.error("DetachManagedPolicyFromPermissionSet", Kind::Other, e))?;
        Ok(())
    }

    pub(super) async fn attach_customer(
        &self,
        arn: &str,
        r: CustomerManagedPolicyReference,
    ) -> BackendResult<()> {
        self.admin
            .attach_customer_managed_policy_reference_to_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .customer_managed_policy_reference(r)
            .send()
            .await
            .map_err(|e| {
                self.error(
                    "AttachCustomerManagedPolicyReferenceToPermissionSet",
                    Kind::AlreadyExists,
                    e,
                )
            })?;
        Ok(())
    }

    pub(super) async fn detach_customer(
        &self,
        arn: &str,
        r: CustomerManagedPolicyReference,
    ) -> BackendResult<()> {
        self.admin
            .detach_customer_managed_policy_reference_from_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .customer_managed_policy_reference(r)
            .send()
            .await
            .map_err(|e| {
                self.error(
                    "DetachCustomerManagedPolicyReferenceFromPermissionSet",
                    Kind::Other,
                    e,
                )
            })?;
        Ok(())
    }

    /// `PutPermissionsBoundaryToPermissionSet`, or with `None`
    /// `DeletePermissionsBoundaryFromPermissionSet`.
    pub(super) async fn boundary(
        &self,
        arn: &str,
        b: Option<PermissionsBoundary>,
    ) -> BackendResult<()> {
        match b {
            Some(b) => {
                self.admin
                    .put_permissions_boundary_to_permission_set()
                    .instance_arn(&self.instance_arn)
                    .permission_set_arn(arn)
                    .permissions_boundary(b)
                    .send()
                    .await
                    .map_err(|e| {
                        self.error("PutPermissionsBoundaryToPermissionSet", Kind::Other, e)
                    })?;
            }
            None => {
                self.admin
                    .delete_permissions_boundary_from_permission_set()
                    .instance_arn(&self.instance_arn)
                    .permission_set_arn(arn)
                    .send()
                    .await
                    .map_err(|e| {
                        self.error("DeletePermissionsBoundaryFromPermissionSet", Kind::Other, e)
                    })?;
            }
        }
        Ok(())
    }

    pub(super) async fn tag_set(&self, arn: &str, tags: Vec<Tag>) -> BackendResult<()> {
        self.admin
            .tag_resource()
            .instance_arn(&self.instance_arn)
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| self.error("TagResource", Kind::Other, e))?;
        Ok(())
    }

    pub(super) async fn untag_set(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        self.admin
            .untag_resource()
            .instance_arn(&self.instance_arn)
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|e| self.error("UntagResource", Kind::Other, e))?;
        Ok(())
    }

    /// `CreateAccountAssignment` or `DeleteAccountAssignment`: the request id.
    pub(super) async fn assignment(
        &self,
        a: &AssignmentRef<'_>,
        create: bool,
    ) -> BackendResult<String> {
        let status = if create {
            let out = self
                .admin
                .create_account_assignment()
                .instance_arn(&self.instance_arn)
                .target_id(a.account_id)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(a.permission_set_arn)
                .principal_type(principal(a.principal_type))
                .principal_id(a.principal_id)
                .send()
                .await
                .map_err(|e| self.error("CreateAccountAssignment", Kind::Other, e))?;
            out.account_assignment_creation_status().cloned()
        } else {
            let out = self
                .admin
                .delete_account_assignment()
                .instance_arn(&self.instance_arn)
                .target_id(a.account_id)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(a.permission_set_arn)
                .principal_type(principal(a.principal_type))
                .principal_id(a.principal_id)
                .send()
                .await
                .map_err(|e| self.error("DeleteAccountAssignment", Kind::Other, e))?;
            out.account_assignment_deletion_status().cloned()
        };
        Ok(status
            .and_then(|s| s.request_id().map(str::to_owned))
            .unwrap_or_default())
    }

    pub(super) async fn status_of(
        &self,
        kind: RequestKind,
        id: &str,
    ) -> BackendResult<RequestStatus> {
        let i = &self.instance_arn;
        Ok(match kind {
            RequestKind::Provision => {
                let out = self
                    .admin
                    .describe_permission_set_provisioning_status()
                    .instance_arn(i)
                    .provision_permission_set_request_id(id)
                    .send()
                    .await
                    .map_err(|e| {
                        self.error("DescribePermissionSetProvisioningStatus", Kind::Other, e)
                    })?;
                let s = out.permission_set_provisioning_status();
                status(
                    s.and_then(|s| s.status()),
                    s.and_then(|s| s.failure_reason()),
                )
            }
            RequestKind::CreateAssignment => {
                let out = self
                    .admin
                    .describe_account_assignment_creation_status()
                    .instance_arn(i)
                    .account_assignment_creation_request_id(id)
                    .send()
                    .await
                    .map_err(|e| {
                        self.error("DescribeAccountAssignmentCreationStatus", Kind::Other, e)
                    })?;
                let s = out.account_assignment_creation_status();
                status(
                    s.and_then(|s| s.status()),
                    s.and_then(|s| s.failure_reason()),
                )
            }
            RequestKind::DeleteAssignment => {
                let out = self
                    .admin
                    .describe_account_assignment_deletion_status()
                    .instance_arn(i)
                    .account_assignment_deletion_request_id(id)
                    .send()
                    .await
                    .map_err(|e| {
                        self.error("DescribeAccountAssignmentDeletionStatus", Kind::Other, e)
                    })?;
                let s = out.account_assignment_deletion_status();
                status(
                    s.and_then(|s| s.status()),
                    s.and_then(|s| s.failure_reason()),
                )
            }
        })
    }
}

pub(super) fn sdk_tags(tags: &Tags) -> BackendResult<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(invalid))
        .collect()
}

pub(super) fn status(s: Option<&StatusValues>, reason: Option<&str>) -> RequestStatus {
    match s {
        Some(StatusValues::Succeeded) => RequestStatus::Succeeded,
        Some(StatusValues::Failed) => {
            RequestStatus::Failed(reason.unwrap_or("no reason given").to_owned())
        }
        _ => RequestStatus::InProgress,
    }
}

pub(super) fn principal(t: PrincipalType) -> aws_sdk_ssoadmin::types::PrincipalType {
    match t {
        PrincipalType::User => aws_sdk_ssoadmin::types::PrincipalType::User,
        PrincipalType::Group => aws_sdk_ssoadmin::types::PrincipalType::Group,
    }
}
