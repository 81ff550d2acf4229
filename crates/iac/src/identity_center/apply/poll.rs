//! Retries and polling of apply: a call sent again while it fails
//! transiently, and an asynchronous request polled with exponential backoff
//! until it ends.

use std::time::Duration;

use super::super::backend::{IdentityCenterBackend, RequestKind, RequestStatus};
use super::super::change::IcChange;
use super::super::err::IcApplyError;
use crate::{BackendError, BackendResult, ErrorKind};

/// How many times a status is polled before apply gives up on a request.
pub const MAX_POLLS: u32 = 12;
/// The first wait between polls; doubled each time, up to [`MAX_WAIT`].
pub const FIRST_WAIT: Duration = Duration::from_millis(250);
pub const MAX_WAIT: Duration = Duration::from_secs(8);
/// Attempts of a call that failed transiently (throttled, connection).
pub const MAX_ATTEMPTS: u32 = 5;

/// A call, sent again while it fails transiently; `AlreadyExists` and
/// `NotFound` are returned for the caller to decide.
pub(super) async fn retry<T, F, Fut>(
    backend: &dyn IdentityCenterBackend,
    mut f: F,
) -> BackendResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = BackendResult<T>>,
{
    let mut wait = FIRST_WAIT;
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if e.kind.transient() && attempt < MAX_ATTEMPTS => {
                backend.pause(wait).await;
                wait = (wait * 2).min(MAX_WAIT);
                attempt += 1;
            }
            r => return r,
        }
    }
}

/// `Ok` also when the call finds its work done already.
pub(super) fn converged(r: BackendResult<()>, done_when: ErrorKind) -> BackendResult<()> {
    match r {
        Err(e) if e.kind == done_when => Ok(()),
        r => r,
    }
}

pub(super) fn call_error(c: &IcChange, e: BackendError) -> IcApplyError {
    IcApplyError::Call {
        what: c.describe(),
        message: e.message,
    }
}

/// Polls a request until it ends.
pub(super) async fn wait_for(
    backend: &dyn IdentityCenterBackend,
    kind: RequestKind,
    id: &str,
    what: String,
    account_id: &str,
) -> Result<(), IcApplyError> {
    let mut wait = FIRST_WAIT;
    for _ in 0..MAX_POLLS {
        let status = retry(backend, || backend.request_status(kind, id))
            .await
            .map_err(|e| IcApplyError::Call {
                what: what.clone(),
                message: e.message,
            })?;
        match status {
            RequestStatus::Succeeded => return Ok(()),
            RequestStatus::Failed(reason) => {
                return Err(IcApplyError::RequestFailed {
                    what,
                    account_id: account_id.to_owned(),
                    reason,
                })
            }
            RequestStatus::InProgress => {
                backend.pause(wait).await;
                wait = (wait * 2).min(MAX_WAIT);
            }
        }
    }
    Err(IcApplyError::RequestTimedOut {
        what,
        account_id: account_id.to_owned(),
        polls: MAX_POLLS,
    })
}
