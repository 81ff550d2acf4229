//! iamctl's AWS backend: IAM, STS and S3 through the official AWS SDK for Rust,
//! exposed in iamctl's own types ([`types`]) and errors ([`AwsError`]).
//!
//! Credentials, region and endpoint come from aws-config's default chain (env,
//! profiles, SSO, web identity, IMDS); `--endpoint-url` / `AWS_ENDPOINT_URL` apply to
//! IAM, STS and S3 alike, and S3 switches to path-style addressing with a custom
//! endpoint. A named profile (and the `default` profile when the environment has
//! no keys) signs in through [`signin`], as the AWS CLI does: MFA role profiles,
//! role chains, SSO sessions, `credential_process`, with the AWS CLI's caches.

mod backend;
pub mod error;
mod iam;
pub mod identity_center;
mod retry;
mod s3;
pub mod signin;
pub mod snapshot;
mod sts;
pub mod types;

#[cfg(test)]
mod mock_tests;

pub use error::{AwsError, Entity, ErrorKind};
pub use iam::{NewRole, NewUser};
pub use s3::Bucket;
pub use sts::AssumeRole;
pub use types::*;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;

/// How to reach AWS; every field falls back to the SDK's default chain.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--profile`; else `AWS_PROFILE`. A profile given either way supplies the
    /// credentials even when `AWS_ACCESS_KEY_ID` is set, and one that is not
    /// defined is an error naming it, never a fall-back to other credentials.
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// How long to wait for a TCP (and TLS) connection; default
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Option<std::time::Duration>,
    /// MFA codes for role profiles with `mfa_serial` (the CLI prompts, or reads
    /// `--mfa-code`); without one such a profile fails naming what is missing.
    pub mfa: Option<std::sync::Arc<dyn signin::MfaCodeSource>>,
    /// The injected clock's instant at start, for cached sessions and SSO
    /// tokens; default the system clock.
    pub now: Option<std::time::SystemTime>,
}

/// Connect timeout when none is given: long enough for a slow network, short
/// enough that an unreachable endpoint is reported while the person still waits.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A profile that the AWS config and credentials files do not define.
#[derive(Debug)]
pub struct ProfileMissing {
    pub profile: String,
}

impl std::fmt::Display for ProfileMissing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the AWS profile `{}` is not defined in the AWS config or credentials file (`~/.aws/config`, `~/.aws/credentials`, or `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`)",
            self.profile
        )
    }
}

impl std::error::Error for ProfileMissing {}

/// The profile to use: `--profile`, else a non-empty `AWS_PROFILE`.
pub fn selected_profile(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string).or_else(|| {
        std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.trim().is_empty())
    })
}

/// Region used when none is configured: IAM is global and STS's global endpoint
/// lives there.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Clients for one account.
#[derive(Clone, Debug)]
pub struct Aws {
    sdk_config: aws_config::SdkConfig,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    retries: retry::RetryCounter,
}

impl Aws {
    /// Load configuration. Nothing is sent to AWS yet.
    pub async fn connect(opts: &ConnectOptions) -> Aws {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(opts.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::adaptive().with_max_attempts(error::MAX_ATTEMPTS))
            .timeout_config(timeouts);
        let selected = selected_profile(opts.profile.as_deref());
        if let Some(p) = &selected {
            loader = loader.profile_name(p);
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        let mut sdk_config = loader.load().await;
        if sdk_config.region().is_none() {
            sdk_config = sdk_config
                .into_builder()
                .region(aws_config::Region::new(DEFAULT_REGION))
                .build();
        }
        // A profile asked for by name supplies the credentials even when the
        // environment has keys (the default chain reads those first), as in the
        // AWS CLI; without one, the `default` profile when it has credentials
        // and the environment has none. Either way through `signin`, which
        // knows MFA, the AWS CLI's caches and the endpoint override.
        let profile = match selected {
            Some(p) => Some(p),
            None if signin::default_profile_in_use().await => Some("default".to_string()),
            None => None,
        };
        if let Some(p) = profile {
            let clock =
                signin::Clock::starting_at(opts.now.unwrap_or_else(std::time::SystemTime::now));
            let provider = signin::ProfileProvider::new(p, &sdk_config, opts.mfa.clone(), clock);
            sdk_config = sdk_config
                .into_builder()
                .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                    provider,
                ))
                .build();
        }
        Self::from_sdk_config(sdk_config)
    }

    /// Clients from an existing configuration (tests, assumed-role sessions).
    pub fn from_sdk_config(sdk_config: aws_config::SdkConfig) -> Aws {
        let custom_endpoint = sdk_config.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let retries = retry::RetryCounter::default();
        let s3_conf = aws_sdk_s3::config::Builder::from(&sdk_config)
            .force_path_style(custom_endpoint)
            .interceptor(retries.clone())
            .build();
        let iam_conf = aws_sdk_iam::config::Builder::from(&sdk_config)
            .interceptor(retries.clone())
            .build();
        let sts_conf = aws_sdk_sts::config::Builder::from(&sdk_config)
            .interceptor(retries.clone())
            .build();
        Aws {
            sdk_config,
            iam: aws_sdk_iam::Client::from_conf(iam_conf),
            sts: aws_sdk_sts::Client::from_conf(sts_conf),
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            retries,
        }
    }

    /// Clients acting as `role_arn`, assumed with these clients' credentials
    /// (and refreshed before they expire). Checks the new identity with
    /// GetCallerIdentity, so a role that cannot be assumed fails here, and a
    /// session in another account than `account` is refused: nothing ever
    /// falls back to the caller's own account.
    pub async fn assume(
        &self,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
        account: &str,
    ) -> Result<Aws, AwsError> {
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session_name)
            .configure(&self.sdk_config);
        if let Some(id) = external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        let config = self
            .sdk_config
            .clone()
            .into_builder()
            .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                provider,
            ))
            .build();
        let aws = Aws::from_sdk_config(config);
        // The credentials provider assumes the role on the first request; its
        // failure (denied, no such role, STS unreachable) surfaces here as a
        // credentials error, which names the wrong cause: say what we tried.
        let me = aws
            .caller_identity()
            .await
            .map_err(|err| match err {
                // An unreachable endpoint already names the cause and the endpoint.
                e @ AwsError::Connection { .. } if e.to_string().contains("connect") => e,
                err => AwsError::AccessDenied {
                    entity: Entity::new("role", role_arn),
                    action: "sts:AssumeRole",
                    message: format!(
                        "cannot assume `{role_arn}` (AssumeRole was denied, the role does not exist, or STS could not be reached): {err}"
                    ),
                },
            })?;
        if me.account != account {
            return Err(AwsError::Other {
                entity: Entity::new("role", role_arn),
                action: "sts:AssumeRole",
                message: format!(
                    "assuming `{role_arn}` gave a session in account `{}`, not `{account}`",
                    me.account
                ),
            });
        }
        Ok(aws)
    }

    /// How many request attempts were retries (throttling or transient
    /// failures) since these clients were made.
    pub fn retried_attempts(&self) -> u32 {
        self.retries.count()
    }
}

/// AWS date-times as RFC 3339 text.
pub(crate) fn date(d: &aws_smithy_types::DateTime) -> String {
    d.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| d.secs().to_string())
}

pub(crate) fn opt_date(d: Option<&aws_smithy_types::DateTime>) -> String {
    d.map(date).unwrap_or_default()
}

/// IAM returns policy documents URL-encoded (RFC 3986); decode and parse them.
pub fn decode_document(raw: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| raw.to_string());
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(raw))
        .unwrap_or(serde_json::Value::String(decoded))
}
