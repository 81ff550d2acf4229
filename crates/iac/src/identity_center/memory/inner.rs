//! The memory instance's insides: its state, requests and fault schedule.

use std::collections::{BTreeMap, VecDeque};

use super::super::backend::{AssignmentRef, RequestStatus};
use super::super::state::*;
use crate::{BackendError, BackendResult, ErrorKind};

/// What the memory instance holds besides its state.
#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) state: IdentityCenterState,
    pub(super) next_id: usize,
    /// Request id → (polls left in progress, outcome).
    pub(super) requests: BTreeMap<String, (usize, RequestStatus)>,
    /// Call name → errors its next calls return, in order.
    pub(super) faults: BTreeMap<String, VecDeque<BackendError>>,
    /// Account id → reason: the next request touching it fails.
    pub(super) failing_accounts: BTreeMap<String, VecDeque<String>>,
    /// How many polls a new request stays in progress.
    pub(super) pending_polls: usize,
}

pub(super) fn not_found(what: &str) -> BackendError {
    BackendError::new(ErrorKind::NotFound, format!("{what} not found"))
}

pub(super) fn conflict(what: &str) -> BackendError {
    BackendError::new(ErrorKind::AlreadyExists, format!("{what} already exists"))
}

impl Inner {
    pub(super) fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:08}", self.next_id)
    }

    pub(super) fn set(&mut self, arn: &str) -> BackendResult<&mut IcPermissionSet> {
        self.state
            .permission_sets
            .iter_mut()
            .find(|p| p.arn == arn)
            .ok_or_else(|| not_found(&format!("permission set `{arn}`")))
    }

    /// A request for `account`: applied now unless scheduled to fail.
    pub(super) fn request(&mut self, account: &str, effect: impl FnOnce(&mut Inner)) -> String {
        let id = self.id("req-");
        let failure = self
            .failing_accounts
            .get_mut(account)
            .and_then(VecDeque::pop_front);
        let outcome = match failure {
            Some(reason) => RequestStatus::Failed(reason),
            None => {
                effect(self);
                RequestStatus::Succeeded
            }
        };
        let polls = self.pending_polls;
        self.requests.insert(id.clone(), (polls, outcome));
        id
    }
}

pub(super) fn owned_assignment(a: &AssignmentRef<'_>) -> IcAssignment {
    IcAssignment {
        account_id: a.account_id.to_owned(),
        permission_set_arn: a.permission_set_arn.to_owned(),
        principal_type: a.principal_type,
        principal_id: a.principal_id.to_owned(),
    }
}

impl super::MemoryIdentityCenter {
    /// The next asynchronous request for `account_id` ends `FAILED` with `reason`.
    pub fn fail_request_for(&self, account_id: &str, reason: &str) {
        self.lock()
            .failing_accounts
            .entry(account_id.to_owned())
            .or_default()
            .push_back(reason.to_owned());
    }

    /// New requests report `IN_PROGRESS` for `polls` status calls.
    pub fn pending_polls(&self, polls: usize) {
        self.lock().pending_polls = polls;
    }
}
