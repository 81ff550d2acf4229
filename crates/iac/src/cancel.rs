//! Interrupting a run: a [`Cancel`] flag set from outside (the CLI's
//! Ctrl-C and SIGTERM handler), and [`Guarded`], a backend that sends no
//! call once it is set. Apply runs its changes through a guarded backend,
//! so after an interrupt no new call starts, whatever a change was in the
//! middle of; the calls in flight finish.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::backend::{
    AuthorizationDetails, BackendError, BackendResult, ErrorKind, IamBackend, NewPolicy, NewRole,
    PolicyVersion, PrincipalKind, Tags,
};

/// A run's interrupt flag; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the run to stop: no call starts after this.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// `inner`, refusing every call once `cancel` is set
/// ([`ErrorKind::Interrupted`], nothing sent); its pauses end at once then.
pub struct Guarded<'a> {
    pub inner: &'a dyn IamBackend,
    pub cancel: &'a Cancel,
}

impl Guarded<'_> {
    fn check(&self) -> BackendResult<()> {
        if self.cancel.is_cancelled() {
            Err(BackendError::new(
                ErrorKind::Interrupted,
                "interrupted: the call was not sent",
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl IamBackend for Guarded<'_> {
    async fn authorization_details(&self) -> BackendResult<AuthorizationDetails> {
        self.check()?;
        self.inner.authorization_details().await
    }

    async fn policy_tags(&self, arn: &str) -> BackendResult<Tags> {
        self.check()?;
        self.inner.policy_tags(arn).await
    }

    async fn policy_document(&self, arn: &str) -> BackendResult<Value> {
        self.check()?;
        self.inner.policy_document(arn).await
    }

    async fn principal_tags(&self, kind: PrincipalKind, name: &str) -> BackendResult<Tags> {
        self.check()?;
        self.inner.principal_tags(kind, name).await
    }

    async fn create_policy(&self, p: &NewPolicy<'_>) -> BackendResult<()> {
        self.check()?;
        self.inner.create_policy(p).await
    }

    async fn list_policy_versions(&self, arn: &str) -> BackendResult<Vec<PolicyVersion>> {
        self.check()?;
        self.inner.list_policy_versions(arn).await
    }

    async fn policy_version_document(&self, arn: &str, version: &str) -> BackendResult<Value> {
        self.check()?;
        self.inner.policy_version_document(arn, version).await
    }

    async fn create_policy_version(&self, arn: &str, document: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.create_policy_version(arn, document).await
    }

    async fn set_default_policy_version(&self, arn: &str, version: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.set_default_policy_version(arn, version).await
    }

    async fn delete_policy_version(&self, arn: &str, version: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_policy_version(arn, version).await
    }

    async fn delete_policy(&self, arn: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_policy(arn).await
    }

    async fn tag_policy(&self, arn: &str, tags: &Tags) -> BackendResult<()> {
        self.check()?;
        self.inner.tag_policy(arn, tags).await
    }

    async fn untag_policy(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        self.check()?;
        self.inner.untag_policy(arn, keys).await
    }

    async fn policy_holders(&self, arn: &str) -> BackendResult<Vec<(PrincipalKind, String)>> {
        self.check()?;
        self.inner.policy_holders(arn).await
    }

    async fn create_user(&self, name: &str, path: &str, tags: &Tags) -> BackendResult<()> {
        self.check()?;
        self.inner.create_user(name, path, tags).await
    }

    async fn create_role(&self, r: &NewRole<'_>) -> BackendResult<()> {
        self.check()?;
        self.inner.create_role(r).await
    }

    async fn create_group(&self, name: &str, path: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.create_group(name, path).await
    }

    async fn update_path(&self, kind: PrincipalKind, name: &str, path: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.update_path(kind, name, path).await
    }

    async fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> BackendResult<()> {
        self.check()?;
        self.inner
            .update_role(name, description, max_session_duration)
            .await
    }

    async fn update_trust(&self, name: &str, trust: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.update_trust(name, trust).await
    }

    async fn tag(&self, kind: PrincipalKind, name: &str, tags: &Tags) -> BackendResult<()> {
        self.check()?;
        self.inner.tag(kind, name, tags).await
    }

    async fn untag(&self, kind: PrincipalKind, name: &str, keys: &[String]) -> BackendResult<()> {
        self.check()?;
        self.inner.untag(kind, name, keys).await
    }

    async fn put_boundary(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.put_boundary(kind, name, arn).await
    }

    async fn delete_boundary(&self, kind: PrincipalKind, name: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_boundary(kind, name).await
    }

    async fn add_member(&self, group: &str, user: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.add_member(group, user).await
    }

    async fn remove_member(&self, group: &str, user: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.remove_member(group, user).await
    }

    async fn group_members(&self, group: &str) -> BackendResult<Vec<String>> {
        self.check()?;
        self.inner.group_members(group).await
    }

    async fn attach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.attach(kind, name, arn).await
    }

    async fn detach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.detach(kind, name, arn).await
    }

    async fn list_attached(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        self.check()?;
        self.inner.list_attached(kind, name).await
    }

    async fn put_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
        document: &str,
    ) -> BackendResult<()> {
        self.check()?;
        self.inner.put_inline(kind, name, policy, document).await
    }

    async fn delete_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_inline(kind, name, policy).await
    }

    async fn list_inline(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        self.check()?;
        self.inner.list_inline(kind, name).await
    }

    async fn remove_user_dependents(&self, name: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.remove_user_dependents(name).await
    }

    async fn delete_user(&self, name: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_user(name).await
    }

    async fn instance_profiles_for_role(&self, role: &str) -> BackendResult<Vec<String>> {
        self.check()?;
        self.inner.instance_profiles_for_role(role).await
    }

    async fn remove_from_instance_profile(&self, role: &str, profile: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.remove_from_instance_profile(role, profile).await
    }

    async fn delete_role(&self, name: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_role(name).await
    }

    async fn delete_group(&self, name: &str) -> BackendResult<()> {
        self.check()?;
        self.inner.delete_group(name).await
    }

    async fn pause(&self, d: Duration) {
        if !self.cancel.is_cancelled() {
            self.inner.pause(d).await;
        }
    }

    fn retried_attempts(&self) -> u32 {
        self.inner.retried_attempts()
    }
}
