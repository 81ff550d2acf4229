//! IAM Identity Center over the SDK (`aws-sdk-ssoadmin`,
//! `aws-sdk-identitystore`): the [`IdentityCenterBackend`] of plan, apply and
//! cleanup. Each method is the API call its trait doc names, through the
//! SDK's adaptive retry; every operation sent is counted ([`CallCounter`]),
//! for `-v`. Reading is in [`read`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_identitystore::types::{Email, MemberId, Name};
use aws_sdk_ssoadmin::error::ProvideErrorMetadata;
use aws_sdk_ssoadmin::types::{
    CustomerManagedPolicyReference, PermissionsBoundary, ProvisionTargetType,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::config_bag::ConfigBag;
use iamctl_iac::identity_center::backend::*;
use iamctl_iac::identity_center::state::*;
use iamctl_iac::{BackendError, BackendResult, ErrorKind as Kind};

use crate::{Aws, AwsError, Entity};

mod calls;
use calls::sdk_tags;
mod read;

pub use read::CONCURRENCY;

/// Counts the operations sent (once each, retries aside).
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<AtomicUsize>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "iamctl::CallCounter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// One Identity Center instance, reached through the account's clients.
#[derive(Debug, Clone)]
pub struct AwsIdentityCenter {
    admin: aws_sdk_ssoadmin::Client,
    store: aws_sdk_identitystore::Client,
    instance_arn: String,
    identity_store_id: String,
    calls: CallCounter,
}

impl AwsIdentityCenter {
    /// The instance of the account `aws` reaches, in `region`
    /// (`ListInstances`: an account has at most one).
    pub async fn connect(aws: &Aws, region: &str) -> Result<AwsIdentityCenter, AwsError> {
        let calls = CallCounter::default();
        let region = aws_config::Region::new(region.to_owned());
        let admin = aws_sdk_ssoadmin::config::Builder::from(&aws.sdk_config)
            .region(region.clone())
            .interceptor(calls.clone())
            .interceptor(aws.retries.clone())
            .build();
        let store = aws_sdk_identitystore::config::Builder::from(&aws.sdk_config)
            .region(region)
            .interceptor(calls.clone())
            .interceptor(aws.retries.clone())
            .build();
        let admin = aws_sdk_ssoadmin::Client::from_conf(admin);
        let entity = || Entity::new("Identity Center instance", "");
        let out = admin
            .list_instances()
            .send()
            .await
            .map_err(|e| crate::error::classify("sso:ListInstances", entity(), e))?;
        let Some(i) = out.instances().first() else {
            return Err(AwsError::NotFound {
                entity: entity(),
                action: "sso:ListInstances",
            });
        };
        Ok(AwsIdentityCenter {
            admin,
            store: aws_sdk_identitystore::Client::from_conf(store),
            instance_arn: i.instance_arn().unwrap_or_default().to_owned(),
            identity_store_id: i.identity_store_id().unwrap_or_default().to_owned(),
            calls,
        })
    }

    pub fn instance_arn(&self) -> &str {
        &self.instance_arn
    }

    /// An SDK error as a [`BackendError`]: Identity Center's exception names
    /// mapped to kinds (`ConflictException` is `conflict`: a duplicate on
    /// create, a set still in use on delete); no answer at all as the IAM
    /// side classifies it.
    fn error<E, R>(&self, action: &'static str, conflict: Kind, e: SdkError<E, R>) -> BackendError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let code = match &e {
            SdkError::ServiceError(se) => se.err().code().map(str::to_owned),
            _ => None,
        };
        let message = match &e {
            SdkError::ServiceError(se) => se.err().message().unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        let kind = match code.as_deref() {
            None => {
                let entity = Entity::new("Identity Center", &self.instance_arn);
                return BackendError::from(crate::error::classify(action, entity, e));
            }
            Some("ResourceNotFoundException") => Kind::NotFound,
            Some("ConflictException") => conflict,
            Some("ThrottlingException") => Kind::Throttled,
            Some("ValidationException") => Kind::InvalidInput,
            Some("AccessDeniedException") => Kind::AccessDenied,
            Some("ServiceQuotaExceededException") => Kind::LimitExceeded,
            Some(_) => Kind::Other,
        };
        let code = code.unwrap_or_default();
        BackendError::new(kind, format!("{action}: {code}: {message}"))
    }
}

/// A permissions boundary as the API returns it.
fn boundary_of(b: &PermissionsBoundary) -> Option<Boundary> {
    if let Some(arn) = b.managed_policy_arn() {
        return Some(Boundary::AwsManaged(arn.to_owned()));
    }
    let r = b.customer_managed_policy_reference()?;
    Some(Boundary::CustomerManaged {
        name: r.name().to_owned(),
        path: r.path().unwrap_or("/").to_owned(),
    })
}

fn invalid(e: impl std::fmt::Display) -> BackendError {
    BackendError::new(Kind::InvalidInput, e.to_string())
}

fn customer_ref(r: &CustomerManagedRef) -> BackendResult<CustomerManagedPolicyReference> {
    CustomerManagedPolicyReference::builder()
        .name(&r.name)
        .path(&r.path)
        .build()
        .map_err(invalid)
}

#[async_trait]
impl IdentityCenterBackend for AwsIdentityCenter {
    async fn read_state(&self) -> BackendResult<IdentityCenterState> {
        self.read().await
    }

    fn calls(&self) -> usize {
        self.calls.0.load(Ordering::Relaxed)
    }

    async fn create_user(&self, u: &NewUser<'_>) -> BackendResult<String> {
        let mut req = self
            .store
            .create_user()
            .identity_store_id(&self.identity_store_id)
            .user_name(u.user_name)
            .display_name(u.display_name)
            .name(
                Name::builder()
                    .given_name(u.given_name)
                    .family_name(u.family_name)
                    .build(),
            )
            .user_type(u.user_type);
        if let Some(e) = u.email {
            req = req.emails(
                Email::builder()
                    .value(e)
                    .primary(true)
                    .r#type("work")
                    .build(),
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| self.error("CreateUser", Kind::AlreadyExists, e))?;
        Ok(out.user_id().to_owned())
    }

    async fn delete_user(&self, user_id: &str) -> BackendResult<()> {
        self.store
            .delete_user()
            .identity_store_id(&self.identity_store_id)
            .user_id(user_id)
            .send()
            .await
            .map_err(|e| self.error("DeleteUser", Kind::DeleteConflict, e))?;
        Ok(())
    }

    async fn create_group(&self, name: &str, description: &str) -> BackendResult<String> {
        let out = self
            .store
            .create_group()
            .identity_store_id(&self.identity_store_id)
            .display_name(name)
            .description(description)
            .send()
            .await
            .map_err(|e| self.error("CreateGroup", Kind::AlreadyExists, e))?;
        Ok(out.group_id().to_owned())
    }

    async fn update_group(&self, group_id: &str, description: &str) -> BackendResult<()> {
        let op = aws_sdk_identitystore::types::AttributeOperation::builder()
            .attribute_path("description")
            .attribute_value(aws_smithy_types::Document::String(description.to_owned()))
            .build()
            .map_err(invalid)?;
        self.store
            .update_group()
            .identity_store_id(&self.identity_store_id)
            .group_id(group_id)
            .operations(op)
            .send()
            .await
            .map_err(|e| self.error("UpdateGroup", Kind::Other, e))?;
        Ok(())
    }

    async fn delete_group(&self, group_id: &str) -> BackendResult<()> {
        self.store
            .delete_group()
            .identity_store_id(&self.identity_store_id)
            .group_id(group_id)
            .send()
            .await
            .map_err(|e| self.error("DeleteGroup", Kind::DeleteConflict, e))?;
        Ok(())
    }

    async fn create_membership(&self, group_id: &str, user_id: &str) -> BackendResult<String> {
        let out = self
            .store
            .create_group_membership()
            .identity_store_id(&self.identity_store_id)
            .group_id(group_id)
            .member_id(MemberId::UserId(user_id.to_owned()))
            .send()
            .await
            .map_err(|e| self.error("CreateGroupMembership", Kind::AlreadyExists, e))?;
        Ok(out.membership_id().to_owned())
    }

    async fn delete_membership(&self, membership_id: &str) -> BackendResult<()> {
        self.store
            .delete_group_membership()
            .identity_store_id(&self.identity_store_id)
            .membership_id(membership_id)
            .send()
            .await
            .map_err(|e| self.error("DeleteGroupMembership", Kind::Other, e))?;
        Ok(())
    }

    async fn create_permission_set(
        &self,
        s: &SetAttributes<'_>,
        tags: &Tags,
    ) -> BackendResult<String> {
        self.create_set(s, tags).await
    }

    async fn update_permission_set(&self, arn: &str, s: &SetAttributes<'_>) -> BackendResult<()> {
        self.update_set(arn, s).await
    }

    async fn delete_permission_set(&self, arn: &str) -> BackendResult<()> {
        self.delete_set(arn).await
    }

    async fn put_inline_policy(&self, arn: &str, document: &str) -> BackendResult<()> {
        self.put_inline(arn, document).await
    }

    async fn delete_inline_policy(&self, arn: &str) -> BackendResult<()> {
        self.delete_inline(arn).await
    }

    async fn attach_managed(&self, arn: &str, policy_arn: &str) -> BackendResult<()> {
        self.attach(arn, policy_arn).await
    }

    async fn detach_managed(&self, arn: &str, policy_arn: &str) -> BackendResult<()> {
        self.detach(arn, policy_arn).await
    }

    async fn attach_customer_managed(
        &self,
        arn: &str,
        r: &CustomerManagedRef,
    ) -> BackendResult<()> {
        self.attach_customer(arn, customer_ref(r)?).await
    }

    async fn detach_customer_managed(
        &self,
        arn: &str,
        r: &CustomerManagedRef,
    ) -> BackendResult<()> {
        self.detach_customer(arn, customer_ref(r)?).await
    }

    async fn put_boundary(&self, arn: &str, b: &Boundary) -> BackendResult<()> {
        let pb = match b {
            Boundary::AwsManaged(p) => PermissionsBoundary::builder().managed_policy_arn(p).build(),
            Boundary::CustomerManaged { name, path } => PermissionsBoundary::builder()
                .customer_managed_policy_reference(customer_ref(&CustomerManagedRef {
                    name: name.clone(),
                    path: path.clone(),
                })?)
                .build(),
        };
        self.boundary(arn, Some(pb)).await
    }

    async fn delete_boundary(&self, arn: &str) -> BackendResult<()> {
        self.boundary(arn, None).await
    }

    async fn tag(&self, arn: &str, tags: &Tags) -> BackendResult<()> {
        self.tag_set(arn, sdk_tags(tags)?).await
    }

    async fn untag(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        self.untag_set(arn, keys).await
    }

    async fn provision(&self, arn: &str, account_id: &str) -> BackendResult<String> {
        let out = self
            .admin
            .provision_permission_set()
            .instance_arn(&self.instance_arn)
            .permission_set_arn(arn)
            .target_id(account_id)
            .target_type(ProvisionTargetType::AwsAccount)
            .send()
            .await
            .map_err(|e| self.error("ProvisionPermissionSet", Kind::Other, e))?;
        let s = out.permission_set_provisioning_status();
        Ok(s.and_then(|s| s.request_id())
            .unwrap_or_default()
            .to_owned())
    }

    async fn create_assignment(&self, a: &AssignmentRef<'_>) -> BackendResult<String> {
        self.assignment(a, true).await
    }

    async fn delete_assignment(&self, a: &AssignmentRef<'_>) -> BackendResult<String> {
        self.assignment(a, false).await
    }

    async fn request_status(&self, kind: RequestKind, id: &str) -> BackendResult<RequestStatus> {
        self.status_of(kind, id).await
    }

    async fn pause(&self, d: std::time::Duration) {
        tokio::time::sleep(d).await;
    }
}
