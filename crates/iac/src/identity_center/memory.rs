//! An Identity Center instance in memory, for tests (feature `test-utils`):
//! every call of [`IdentityCenterBackend`] on a [`IdentityCenterState`],
//! with a fault schedule: a call that fails the next time(s) it is made, an
//! asynchronous request that fails for an account, and requests that stay
//! `IN_PROGRESS` for some polls.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::backend::{
    AssignmentRef, IdentityCenterBackend, NewUser, RequestKind, RequestStatus, SetAttributes,
};
use super::state::*;
use inner::{conflict, not_found, owned_assignment, Inner};

mod inner;
use crate::{BackendError, BackendResult, ErrorKind};

/// The memory backend.
#[derive(Debug, Default)]
pub struct MemoryIdentityCenter {
    inner: Mutex<Inner>,
    calls: AtomicUsize,
}

impl MemoryIdentityCenter {
    /// An empty instance (`ssoins-memory`, identity store `d-memory`).
    pub fn new() -> MemoryIdentityCenter {
        MemoryIdentityCenter::with_state(IdentityCenterState {
            instance_arn: "arn:aws:sso:::instance/ssoins-memory".into(),
            identity_store_id: "d-memory".into(),
            ..IdentityCenterState::default()
        })
    }

    pub fn with_state(state: IdentityCenterState) -> MemoryIdentityCenter {
        MemoryIdentityCenter {
            inner: Mutex::new(Inner {
                state,
                ..Inner::default()
            }),
            calls: AtomicUsize::new(0),
        }
    }

    /// The state now.
    pub fn state(&self) -> IdentityCenterState {
        self.lock().state.clone()
    }

    /// Changes the state directly (a hand-made change, outside iamctl).
    pub fn edit(&self, f: impl FnOnce(&mut IdentityCenterState)) {
        f(&mut self.lock().state)
    }

    /// The next call named `call` (the API's name, `CreateAccountAssignment`)
    /// fails with `kind`.
    pub fn fail_next(&self, call: &str, kind: ErrorKind) {
        self.lock()
            .faults
            .entry(call.to_owned())
            .or_default()
            .push_back(BackendError::new(
                kind,
                format!("{call}: injected {kind:?}"),
            ));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the call and returns its scheduled fault, if any.
    fn enter(&self, call: &str) -> BackendResult<std::sync::MutexGuard<'_, Inner>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut g = self.lock();
        if let Some(e) = g.faults.get_mut(call).and_then(VecDeque::pop_front) {
            return Err(e);
        }
        Ok(g)
    }
}

impl MemoryIdentityCenter {
    /// One call that changes a permission set.
    fn on_set(
        &self,
        call: &str,
        arn: &str,
        f: impl FnOnce(&mut IcPermissionSet) -> BackendResult<()>,
    ) -> BackendResult<()> {
        let mut g = self.enter(call)?;
        f(g.set(arn)?)
    }
}

#[async_trait]
impl IdentityCenterBackend for MemoryIdentityCenter {
    async fn read_state(&self) -> BackendResult<IdentityCenterState> {
        Ok(self.enter("ReadState")?.state.clone())
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    async fn create_user(&self, u: &NewUser<'_>) -> BackendResult<String> {
        let mut g = self.enter("CreateUser")?;
        if g.state.user_by_name(u.user_name).is_some() {
            return Err(conflict(&format!("user `{}`", u.user_name)));
        }
        let user_id = g.id("u-");
        g.state.users.push(IcUser {
            user_id: user_id.clone(),
            user_name: u.user_name.to_owned(),
            display_name: Some(u.display_name.to_owned()),
            given_name: Some(u.given_name.to_owned()),
            family_name: Some(u.family_name.to_owned()),
            email: u.email.map(str::to_owned),
            user_type: Some(u.user_type.to_owned()),
        });
        Ok(user_id)
    }

    async fn delete_user(&self, user_id: &str) -> BackendResult<()> {
        let mut g = self.enter("DeleteUser")?;
        let before = g.state.users.len();
        g.state.users.retain(|u| u.user_id != user_id);
        if g.state.users.len() == before {
            return Err(not_found(&format!("user `{user_id}`")));
        }
        g.state.memberships.retain(|m| m.user_id != user_id);
        Ok(())
    }

    async fn create_group(&self, name: &str, description: &str) -> BackendResult<String> {
        let mut g = self.enter("CreateGroup")?;
        if g.state.group_by_name(name).is_some() {
            return Err(conflict(&format!("group `{name}`")));
        }
        let group_id = g.id("g-");
        g.state.groups.push(IcGroup {
            group_id: group_id.clone(),
            display_name: name.to_owned(),
            description: Some(description.to_owned()),
        });
        Ok(group_id)
    }

    async fn update_group(&self, group_id: &str, description: &str) -> BackendResult<()> {
        let mut g = self.enter("UpdateGroup")?;
        let group = g.state.groups.iter_mut().find(|x| x.group_id == group_id);
        let group = group.ok_or_else(|| not_found(&format!("group `{group_id}`")))?;
        group.description = Some(description.to_owned());
        Ok(())
    }

    async fn delete_group(&self, group_id: &str) -> BackendResult<()> {
        let mut g = self.enter("DeleteGroup")?;
        let before = g.state.groups.len();
        g.state.groups.retain(|x| x.group_id != group_id);
        if g.state.groups.len() == before {
            return Err(not_found(&format!("group `{group_id}`")));
        }
        g.state.memberships.retain(|m| m.group_id != group_id);
        Ok(())
    }

    async fn create_membership(&self, group_id: &str, user_id: &str) -> BackendResult<String> {
        let mut g = self.enter("CreateGroupMembership")?;
        let s = &g.state;
        if s.memberships
            .iter()
            .any(|m| m.group_id == group_id && m.user_id == user_id)
        {
            return Err(conflict(&format!(
                "membership of `{user_id}` in `{group_id}`"
            )));
        }
        if s.group_by_id(group_id).is_none() || s.user_by_id(user_id).is_none() {
            return Err(not_found(&format!(
                "group `{group_id}` or user `{user_id}`"
            )));
        }
        let membership_id = g.id("m-");
        g.state.memberships.push(IcMembership {
            membership_id: membership_id.clone(),
            group_id: group_id.to_owned(),
            user_id: user_id.to_owned(),
        });
        Ok(membership_id)
    }

    async fn delete_membership(&self, membership_id: &str) -> BackendResult<()> {
        let mut g = self.enter("DeleteGroupMembership")?;
        let before = g.state.memberships.len();
        g.state
            .memberships
            .retain(|m| m.membership_id != membership_id);
        if g.state.memberships.len() == before {
            return Err(not_found(&format!("membership `{membership_id}`")));
        }
        Ok(())
    }

    async fn create_permission_set(
        &self,
        s: &SetAttributes<'_>,
        tags: &Tags,
    ) -> BackendResult<String> {
        let mut g = self.enter("CreatePermissionSet")?;
        if g.state.set_by_name(s.name).is_some() {
            return Err(conflict(&format!("permission set `{}`", s.name)));
        }
        let ps = g.id("ps-");
        let arn = format!("{}/{ps}", g.state.instance_arn).replace(":instance/", ":permissionSet/");
        g.state.permission_sets.push(IcPermissionSet {
            arn: arn.clone(),
            name: s.name.to_owned(),
            description: s.description.map(str::to_owned),
            session_duration: Some(s.session_duration.to_owned()),
            tags: tags.clone(),
            ..IcPermissionSet::default()
        });
        Ok(arn)
    }

    async fn update_permission_set(&self, arn: &str, s: &SetAttributes<'_>) -> BackendResult<()> {
        let mut g = self.enter("UpdatePermissionSet")?;
        let set = g.set(arn)?;
        set.description = s.description.map(str::to_owned);
        set.session_duration = Some(s.session_duration.to_owned());
        Ok(())
    }

    async fn delete_permission_set(&self, arn: &str) -> BackendResult<()> {
        let mut g = self.enter("DeletePermissionSet")?;
        g.set(arn)?;
        if g.state
            .assignments
            .iter()
            .any(|a| a.permission_set_arn == arn)
        {
            return Err(BackendError::new(
                ErrorKind::DeleteConflict,
                format!("permission set `{arn}` is still assigned"),
            ));
        }
        g.state.permission_sets.retain(|p| p.arn != arn);
        Ok(())
    }

    async fn put_inline_policy(&self, arn: &str, document: &str) -> BackendResult<()> {
        self.on_set("PutInlinePolicyToPermissionSet", arn, |s| {
            s.inline_policy = Some(document.to_owned());
            Ok(())
        })
    }

    async fn delete_inline_policy(&self, arn: &str) -> BackendResult<()> {
        self.on_set("DeleteInlinePolicyFromPermissionSet", arn, |s| {
            s.inline_policy = None;
            Ok(())
        })
    }

    async fn attach_managed(&self, arn: &str, policy_arn: &str) -> BackendResult<()> {
        let mut g = self.enter("AttachManagedPolicyToPermissionSet")?;
        if !g.set(arn)?.managed_policies.insert(policy_arn.to_owned()) {
            return Err(conflict(&format!("attachment of `{policy_arn}`")));
        }
        Ok(())
    }

    async fn detach_managed(&self, arn: &str, policy_arn: &str) -> BackendResult<()> {
        let mut g = self.enter("DetachManagedPolicyFromPermissionSet")?;
        if !g.set(arn)?.managed_policies.remove(policy_arn) {
            return Err(not_found(&format!("attachment of `{policy_arn}`")));
        }
        Ok(())
    }

    async fn attach_customer_managed(
        &self,
        arn: &str,
        r: &CustomerManagedRef,
    ) -> BackendResult<()> {
        let mut g = self.enter("AttachCustomerManagedPolicyReferenceToPermissionSet")?;
        if !g.set(arn)?.customer_managed.insert(r.clone()) {
            return Err(conflict(&format!("reference to `{}`", r.name)));
        }
        Ok(())
    }

    async fn detach_customer_managed(
        &self,
        arn: &str,
        r: &CustomerManagedRef,
    ) -> BackendResult<()> {
        let mut g = self.enter("DetachCustomerManagedPolicyReferenceFromPermissionSet")?;
        if !g.set(arn)?.customer_managed.remove(r) {
            return Err(not_found(&format!("reference to `{}`", r.name)));
        }
        Ok(())
    }

    async fn put_boundary(&self, arn: &str, b: &Boundary) -> BackendResult<()> {
        self.on_set("PutPermissionsBoundaryToPermissionSet", arn, |s| {
            s.boundary = Some(b.clone());
            Ok(())
        })
    }

    async fn delete_boundary(&self, arn: &str) -> BackendResult<()> {
        self.on_set("DeletePermissionsBoundaryFromPermissionSet", arn, |s| {
            s.boundary = None;
            Ok(())
        })
    }

    async fn tag(&self, arn: &str, tags: &Tags) -> BackendResult<()> {
        let mut g = self.enter("TagResource")?;
        g.set(arn)?.tags.extend(tags.clone());
        Ok(())
    }

    async fn untag(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        let mut g = self.enter("UntagResource")?;
        let set = g.set(arn)?;
        set.tags.retain(|k, _| !keys.contains(k));
        Ok(())
    }

    async fn provision(&self, arn: &str, account_id: &str) -> BackendResult<String> {
        let mut g = self.enter("ProvisionPermissionSet")?;
        g.set(arn)?;
        let (arn, account) = (arn.to_owned(), account_id.to_owned());
        Ok(g.request(account_id, move |i| {
            if let Ok(s) = i.set(&arn) {
                s.provisioned_to.insert(account);
            }
        }))
    }

    async fn create_assignment(&self, a: &AssignmentRef<'_>) -> BackendResult<String> {
        let mut g = self.enter("CreateAccountAssignment")?;
        g.set(a.permission_set_arn)?;
        let new = owned_assignment(a);
        Ok(g.request(a.account_id, move |i| {
            if let Ok(s) = i.set(&new.permission_set_arn) {
                s.provisioned_to.insert(new.account_id.clone());
            }
            if !i.state.assignments.contains(&new) {
                i.state.assignments.push(new);
            }
        }))
    }

    async fn delete_assignment(&self, a: &AssignmentRef<'_>) -> BackendResult<String> {
        let mut g = self.enter("DeleteAccountAssignment")?;
        let gone = owned_assignment(a);
        Ok(g.request(a.account_id, move |i| {
            i.state.assignments.retain(|x| *x != gone);
        }))
    }

    async fn request_status(
        &self,
        kind: RequestKind,
        request_id: &str,
    ) -> BackendResult<RequestStatus> {
        let call = match kind {
            RequestKind::Provision => "DescribePermissionSetProvisioningStatus",
            RequestKind::CreateAssignment => "DescribeAccountAssignmentCreationStatus",
            RequestKind::DeleteAssignment => "DescribeAccountAssignmentDeletionStatus",
        };
        let mut g = self.enter(call)?;
        let (polls, outcome) = g
            .requests
            .get_mut(request_id)
            .ok_or_else(|| not_found(&format!("request `{request_id}`")))?;
        if *polls > 0 {
            *polls -= 1;
            return Ok(RequestStatus::InProgress);
        }
        Ok(outcome.clone())
    }

    async fn pause(&self, _d: std::time::Duration) {}
}
