//! Counting retries, so a command can say that the SDK's adaptive retry absorbed
//! throttling or a transient failure; and failing fast, naming the endpoint, when
//! the endpoint cannot be connected to at all.

use aws_sdk_iam::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
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

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        // scheme://host[:port], without path or query.
        let endpoint = match uri.find("://") {
            Some(i) => match uri[i + 3..].find('/') {
                Some(j) => uri[..i + 3 + j].to_string(),
                None => uri.to_string(),
            },
            None => uri.to_string(),
        };
        cfg.interceptor_state().store_put(Endpoint(endpoint));
        Ok(())
    }

    /// A request that never connected (refused, no route, DNS, connect timeout) is
    /// not retried: retrying cannot help within the seconds a person waits, and
    /// the SDK's back-off would keep them waiting in silence. It becomes an
    /// [`Unreachable`] naming the endpoint. Failures after connecting (a dropped
    /// connection, a read timeout) stay retryable.
    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(err)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Some(conn) = err.as_connector_error() else {
            return Ok(());
        };
        // Credentials that could not be had say why themselves (the endpoint
        // named there is STS's or the SSO portal's, not this request's).
        if crate::error::find_source::<crate::signin::SigninError>(conn).is_some() {
            return Ok(());
        }
        let Some(reason) = connect_failure(conn) else {
            return Ok(());
        };
        let endpoint = cfg
            .load::<Endpoint>()
            .map(|e| e.0.clone())
            .unwrap_or_else(|| "the AWS endpoint".into());
        *err = OrchestratorError::connector(ConnectorError::other(
            Box::new(Unreachable { endpoint, reason }),
            None,
        ));
        Ok(())
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

/// The endpoint of the request being sent.
#[derive(Debug, Clone)]
struct Endpoint(String);

impl Storable for Endpoint {
    type Storer = StoreReplace<Self>;
}

/// An endpoint that could not be connected to.
#[derive(Debug)]
pub struct Unreachable {
    pub endpoint: String,
    pub reason: String,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot connect to `{}`: {}", self.endpoint, self.reason)
    }
}

impl std::error::Error for Unreachable {}

/// Why a connector error happened before a connection existed, or `None` when it
/// happened later (or is not understood): connect errors of the HTTP client say
/// `client error (Connect)`; the SDK's connect timeout says `HTTP connect timeout`.
fn connect_failure(err: &ConnectorError) -> Option<String> {
    let mut chain: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    let timeout = chain.iter().any(|m| m.contains("HTTP connect timeout"));
    let connect = chain
        .iter()
        .any(|m| m.contains("client error (Connect)") || m.contains("tcp connect error"));
    if timeout {
        let after = chain
            .iter()
            .find_map(|m| m.split("occurred after ").nth(1).map(str::to_string))
            .unwrap_or_default();
        return Some(if after.is_empty() {
            "no answer to the connection attempt (connect timeout; `--connect-timeout` sets it)"
                .into()
        } else {
            format!(
                "no answer to the connection attempt within {after} (`--connect-timeout` sets it)"
            )
        });
    }
    if !connect {
        return None;
    }
    // The innermost cause names it: "Connection refused (os error 111)", a DNS error.
    let inner = chain
        .last()
        .cloned()
        .unwrap_or_else(|| "connection failed".into());
    let mut reason = inner;
    if let Some(first) = reason.get(..1) {
        reason = first.to_lowercase() + &reason[1..];
    }
    if chain.iter().any(|m| m.contains("dns error")) && !reason.contains("dns") {
        reason = format!("dns error: {reason}");
    }
    Some(reason)
}
