//! Getting the credentials a [`Chain`] stands for: the first credentials, then
//! each `AssumeRole` in turn, through clients that honour the endpoint override
//! (`--endpoint-url`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_STS`/`_SSO`), which
//! the SDK's own profile provider ignores (awslabs/aws-sdk-rust#1193).

use super::cache::{self, RoleCache};
use super::chain::{Base, Chain, CredentialSource, Hop, SsoSource};
use super::err::Cause;
use super::{Clock, MfaCodeSource};
use crate::error::chain_text;
// Fails fast, naming the endpoint, when STS or the portal cannot be reached.
use crate::retry::RetryCounter;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use std::path::PathBuf;
use std::sync::Arc;

/// What a sign-in needs besides the profile files.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    /// Endpoint, region, HTTP client and timeouts; no credentials.
    pub sdk: aws_config::SdkConfig,
    pub mfa: Option<Arc<dyn MfaCodeSource>>,
    pub clock: Clock,
    /// The home directory that holds `.aws/cli/cache` and `.aws/sso/cache`.
    pub home: Option<PathBuf>,
}

impl Fetcher {
    pub(crate) async fn run(&self, chain: &Chain) -> Result<Credentials, Cause> {
        let cache = self.home.as_deref().map(RoleCache::new);
        let now = self.clock.now();
        // The last role whose session is still cached saves every step before
        // it: no source credentials, no MFA code.
        let mut start = 0;
        let mut creds = None;
        if let Some(cache) = &cache {
            for (i, hop) in chain.hops.iter().enumerate().rev() {
                if let Some(c) = cache.get(hop, now) {
                    start = i + 1;
                    creds = Some(c);
                    break;
                }
            }
        }
        let mut creds = match creds {
            Some(c) => c,
            None => self.base(&chain.base).await?,
        };
        for hop in &chain.hops[start..] {
            creds = self.assume(hop, creds, cache.as_ref()).await?;
        }
        Ok(creds)
    }

    async fn base(&self, base: &Base) -> Result<Credentials, Cause> {
        match base {
            Base::Static {
                access_key_id,
                secret_access_key,
                session_token,
                ..
            } => Ok(Credentials::new(
                access_key_id,
                secret_access_key,
                session_token.clone(),
                None,
                "iamctl-profile",
            )),
            Base::Process { profile, command } => {
                aws_config::credential_process::CredentialProcessProvider::new(command.clone())
                    .provide_credentials()
                    .await
                    .map_err(|e| Cause::Process {
                        profile: profile.clone(),
                        reason: chain_text(&e),
                    })
            }
            Base::Source { profile, source } => self.source(profile, *source).await,
            Base::Sso(s) => self.sso(s).await,
            Base::WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name,
            } => {
                let fail = |reason: String| Cause::WebIdentity {
                    profile: profile.clone(),
                    role_arn: role_arn.clone(),
                    token_file: token_file.clone(),
                    reason,
                };
                let token = std::fs::read_to_string(token_file)
                    .map_err(|e| fail(format!("cannot read the token file: {e}")))?;
                let conf = aws_sdk_sts::config::Builder::from(&self.sdk)
                    .interceptor(RetryCounter::default())
                    .build();
                let out = aws_sdk_sts::Client::from_conf(conf)
                    .assume_role_with_web_identity()
                    .role_arn(role_arn)
                    .role_session_name(
                        session_name
                            .clone()
                            .unwrap_or_else(|| self.default_session_name()),
                    )
                    .web_identity_token(token.trim())
                    .send()
                    .await
                    .map_err(|e| fail(sdk_reason(&e)))?;
                let c = out
                    .credentials()
                    .ok_or_else(|| fail("STS answered without credentials".into()))?;
                Ok(sts_credentials(c))
            }
        }
    }

    async fn source(&self, profile: &str, source: CredentialSource) -> Result<Credentials, Cause> {
        let (name, result) = match source {
            CredentialSource::Environment => (
                "Environment",
                aws_config::environment::EnvironmentVariableCredentialsProvider::new()
                    .provide_credentials()
                    .await,
            ),
            CredentialSource::Ec2InstanceMetadata => (
                "Ec2InstanceMetadata",
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .build()
                    .provide_credentials()
                    .await,
            ),
            CredentialSource::EcsContainer => (
                "EcsContainer",
                aws_config::ecs::EcsCredentialsProvider::builder()
                    .build()
                    .provide_credentials()
                    .await,
            ),
        };
        result.map_err(|e| Cause::Source {
            profile: profile.to_string(),
            source_name: name,
            reason: chain_text(&e),
        })
    }

    /// botocore names a session it generates `botocore-session-<unix time>`.
    fn default_session_name(&self) -> String {
        let secs = self
            .clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        format!("iamctl-session-{secs}")
    }

    async fn assume(
        &self,
        hop: &Hop,
        source: Credentials,
        cache: Option<&RoleCache>,
    ) -> Result<Credentials, Cause> {
        let code = match &hop.mfa_serial {
            Some(serial) => Some(self.mfa_code(hop, serial).await?),
            None => None,
        };
        let conf = aws_sdk_sts::config::Builder::from(&self.sdk)
            .credentials_provider(source)
            .interceptor(RetryCounter::default())
            .build();
        let out = aws_sdk_sts::Client::from_conf(conf)
            .assume_role()
            .role_arn(&hop.role_arn)
            .role_session_name(
                hop.session_name
                    .clone()
                    .unwrap_or_else(|| self.default_session_name()),
            )
            .set_external_id(hop.external_id.clone())
            .set_serial_number(hop.mfa_serial.clone())
            .set_token_code(code)
            .set_duration_seconds(hop.duration_seconds)
            .send()
            .await
            .map_err(|e| Cause::AssumeRole {
                profile: hop.profile.clone(),
                role_arn: hop.role_arn.clone(),
                reason: sdk_reason(&e),
            })?;
        let c = out.credentials().ok_or_else(|| Cause::AssumeRole {
            profile: hop.profile.clone(),
            role_arn: hop.role_arn.clone(),
            reason: "STS answered without credentials".into(),
        })?;
        let creds = sts_credentials(c);
        if let Some(cache) = cache {
            let user = out.assumed_role_user();
            cache.put(
                hop,
                &creds,
                user.map(|u| u.arn()).unwrap_or_default(),
                user.map(|u| u.assumed_role_id()).unwrap_or_default(),
            );
        }
        Ok(creds)
    }

    /// Ask the [`MfaCodeSource`] (off the async threads: it may wait for a person).
    async fn mfa_code(&self, hop: &Hop, serial: &str) -> Result<String, Cause> {
        let fail = |reason: String| Cause::MfaCode {
            profile: hop.profile.clone(),
            role_arn: hop.role_arn.clone(),
            serial: serial.to_string(),
            reason,
        };
        let source = self
            .mfa
            .clone()
            .ok_or_else(|| fail("no way to ask for it was configured".into()))?;
        let (profile, s) = (hop.profile.clone(), serial.to_string());
        let code = tokio::task::spawn_blocking(move || source.code(&profile, &s))
            .await
            .map_err(|e| fail(format!("the prompt failed: {e}")))?
            .map_err(fail)?;
        let code = code.trim().to_string();
        if code.is_empty() {
            return Err(fail("the code is empty".into()));
        }
        Ok(code)
    }

    async fn sso(&self, s: &SsoSource) -> Result<Credentials, Cause> {
        let what = match &s.session {
            Some(name) => format!("sso-session `{name}`"),
            None => format!("start URL `{}`", s.start_url),
        };
        let home = self.home.clone().unwrap_or_default();
        let path = cache::sso_token_path(&home, s.session.as_deref().unwrap_or(&s.start_url));
        let token = cache::read_sso_token(&path).ok_or_else(|| Cause::SsoTokenMissing {
            what: what.clone(),
            path: path.display().to_string(),
            login_profile: s.profile.clone(),
        })?;
        if token.expires_at <= self.clock.now() {
            return Err(Cause::SsoTokenExpired {
                what,
                expired: cache::format_time(token.expires_at),
                login_profile: s.profile.clone(),
            });
        }
        let conf = aws_sdk_sso::config::Builder::from(&self.sdk)
            .region(aws_config::Region::new(s.region.clone()))
            .interceptor(RetryCounter::default())
            .build();
        let out = aws_sdk_sso::Client::from_conf(conf)
            .get_role_credentials()
            .role_name(&s.role_name)
            .account_id(&s.account_id)
            .access_token(&token.access_token)
            .send()
            .await
            .map_err(|e| {
                let code = e.as_service_error().and_then(|se| se.code());
                if code == Some("UnauthorizedException") {
                    Cause::SsoTokenRefused {
                        what: what.clone(),
                        reason: sdk_reason(&e),
                        login_profile: s.profile.clone(),
                    }
                } else {
                    Cause::Sso {
                        profile: s.profile.clone(),
                        account_id: s.account_id.clone(),
                        role_name: s.role_name.clone(),
                        reason: sdk_reason(&e),
                    }
                }
            })?;
        let rc = out.role_credentials().ok_or_else(|| Cause::Sso {
            profile: s.profile.clone(),
            account_id: s.account_id.clone(),
            role_name: s.role_name.clone(),
            reason: "the portal answered without credentials".into(),
        })?;
        let expiry = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(rc.expiration()).unwrap_or(0));
        Ok(Credentials::new(
            rc.access_key_id().unwrap_or_default(),
            rc.secret_access_key().unwrap_or_default(),
            rc.session_token().map(str::to_string),
            Some(expiry),
            "iamctl-sso",
        ))
    }
}

fn sts_credentials(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        std::time::SystemTime::try_from(*c.expiration()).ok(),
        "iamctl-assume-role",
    )
}

/// What went wrong with a call, in one line: AWS's message and code, or the
/// chain of causes of a request that got no answer.
fn sdk_reason<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(se) = e.as_service_error() {
        match (se.code(), se.message()) {
            (Some(code), Some(msg)) if !msg.is_empty() => return format!("{msg} ({code})"),
            (Some(code), _) => return code.to_string(),
            _ => {}
        }
    }
    // The SDK's wrappers ("dispatch failure: other: ...") add nothing a person needs.
    let text = chain_text(e);
    let mut rest = text.as_str();
    while let Some(r) = ["dispatch failure: ", "other: "]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
    {
        rest = r;
    }
    rest.to_string()
}
