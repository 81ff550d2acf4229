//! Counting retries, so a command can say that AWS throttled it and that the SDK's
//! adaptive retry absorbed it.

use aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// An interceptor that counts every attempt after an operation's first.
#[derive(Debug, Clone, Default)]
pub(crate) struct RetryCounter(Arc<AtomicU32>);

impl RetryCounter {
    pub(crate) fn count(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for RetryCounter {
    fn name(&self) -> &'static str {
        "iamctl::RetryCounter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}
