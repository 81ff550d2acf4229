//! Signing in with a named profile as the AWS CLI does: static keys,
//! `credential_process`, IAM Identity Center (`sso_session`, from the AWS CLI's
//! token cache), web identity, and roles assumed from a `source_profile` or a
//! `credential_source`, in chains, with `mfa_serial`, `external_id`,
//! `role_session_name` and `duration_seconds`. Assumed-role sessions are kept in
//! the AWS CLI's cache (`~/.aws/cli/cache`), so one MFA code serves a working
//! session in both tools.
//!
//! The SDK's profile provider does not take MFA (awslabs/aws-sdk-rust#527) and
//! sends its STS calls past an endpoint override (awslabs/aws-sdk-rust#1193);
//! here the files are parsed by `aws_config::profile`, the chain is worked out
//! by [`chain`] (pure), and [`fetch`] makes the calls with the configured
//! endpoint. The library never touches the terminal: MFA codes come from an
//! [`MfaCodeSource`] that the caller provides.

mod cache;
mod chain;
pub mod err;
mod fetch;

pub use err::{Cause, ConfigError, SigninError};

use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_types::os_shim_internal::{Env, Fs};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Where MFA codes come from: a prompt, a flag, an environment variable. The
/// CLI implements it; the library only asks.
pub trait MfaCodeSource: Send + Sync + std::fmt::Debug {
    /// The current code of MFA device `serial` (an ARN or a hardware serial
    /// number), to assume the role of profile `profile`; `Err(reason)` when it
    /// cannot be had (the reason says how to give one).
    fn code(&self, profile: &str, serial: &str) -> Result<String, String>;
}

/// The injected clock: the instant given at start (`IAMCTL_NOW` or the system
/// clock, read by the caller), advanced by the time elapsed since.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: SystemTime,
    at: Instant,
}

impl Clock {
    pub fn starting_at(start: SystemTime) -> Clock {
        Clock {
            start,
            at: Instant::now(),
        }
    }

    pub fn now(&self) -> SystemTime {
        self.start + self.at.elapsed()
    }
}

async fn load_files(
) -> Result<aws_config::profile::ProfileSet, aws_config::profile::ProfileFileLoadError> {
    aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None).await
}

/// Whether the `default` profile supplies credentials when no profile is
/// named: only when the environment has no access key (which the AWS CLI reads
/// first) and the profile has a key that stands for credentials.
pub(crate) async fn default_profile_in_use() -> bool {
    if std::env::var("AWS_ACCESS_KEY_ID").is_ok_and(|v| !v.is_empty()) {
        return false;
    }
    let Ok(set) = load_files().await else {
        return false;
    };
    set.get_profile("default").is_some_and(|p| {
        [
            "role_arn",
            "sso_session",
            "sso_start_url",
            "credential_process",
            "aws_access_key_id",
        ]
        .iter()
        .any(|k| p.get(k).is_some())
    })
}

/// The credentials of one named profile, and only of it (the environment's
/// keys are not consulted; a profile that does not exist is an error). Fetched
/// once per process and reused while they last: one MFA prompt at most.
#[derive(Debug)]
pub(crate) struct ProfileProvider {
    name: String,
    fetcher: fetch::Fetcher,
    memo: tokio::sync::Mutex<Option<Credentials>>,
}

impl ProfileProvider {
    /// `sdk`: endpoint, region, HTTP client; its credentials are not used.
    pub(crate) fn new(
        name: String,
        sdk: &aws_config::SdkConfig,
        mfa: Option<Arc<dyn MfaCodeSource>>,
        clock: Clock,
    ) -> ProfileProvider {
        let mut b = sdk.to_builder();
        b.set_credentials_provider(None);
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(std::path::PathBuf::from);
        ProfileProvider {
            name,
            fetcher: fetch::Fetcher {
                sdk: b.build(),
                mfa,
                clock,
                home,
            },
            memo: tokio::sync::Mutex::new(None),
        }
    }

    async fn load(&self) -> provider::Result {
        let mut memo = self.memo.lock().await;
        let now = self.fetcher.clock.now();
        if let Some(c) = memo.as_ref() {
            if c.expiry().is_none_or(|e| e > now + Duration::from_secs(60)) {
                return Ok(c.clone());
            }
        }
        let fail = |cause: Cause| {
            CredentialsError::provider_error(SigninError {
                profile: self.name.clone(),
                cause,
            })
        };
        let set = load_files()
            .await
            .map_err(|e| fail(Cause::Files(e.to_string())))?;
        if set.get_profile(&self.name).is_none() {
            return Err(CredentialsError::not_loaded(crate::ProfileMissing {
                profile: self.name.clone(),
            }));
        }
        let chain = chain::resolve(&set, &self.name).map_err(|e| fail(e.into()))?;
        let creds = self.fetcher.run(&chain).await.map_err(fail)?;
        *memo = Some(creds.clone());
        Ok(creds)
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}
