//! Errors of signing in with a profile. Each reads as one line with its whole
//! cause chain: `failed to load credentials for profile `x`: assume role `arn`
//! (profile `x`) failed: ...`. Secrets (keys, session and SSO tokens, MFA codes)
//! are never part of them.

/// The credentials of a profile could not be had.
#[derive(Debug, thiserror::Error)]
#[error("failed to load credentials for profile `{profile}`: {cause}")]
pub struct SigninError {
    /// The profile asked for (`--profile`, `AWS_PROFILE`, or `default`).
    pub profile: String,
    pub cause: Cause,
}

/// Why, in the AWS CLI's terms.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error("cannot read the AWS config or credentials file: {0}")]
    Files(String),

    #[error("{0}")]
    Config(#[from] ConfigError),

    #[error("assume role `{role_arn}` (profile `{profile}`) failed: {reason}")]
    AssumeRole {
        profile: String,
        role_arn: String,
        reason: String,
    },

    #[error("assume role `{role_arn}` (profile `{profile}`) needs the code of MFA device `{serial}`: {reason}")]
    MfaCode {
        profile: String,
        role_arn: String,
        serial: String,
        reason: String,
    },

    #[error("there is no SSO token for {what} in the AWS CLI's cache (`{path}`): run `aws sso login --profile {login_profile}`")]
    SsoTokenMissing {
        what: String,
        path: String,
        login_profile: String,
    },

    #[error("the SSO token for {what} expired at {expired}: run `aws sso login --profile {login_profile}`")]
    SsoTokenExpired {
        what: String,
        expired: String,
        login_profile: String,
    },

    #[error("the SSO portal refused the token for {what}: {reason}: run `aws sso login --profile {login_profile}`")]
    SsoTokenRefused {
        what: String,
        reason: String,
        login_profile: String,
    },

    #[error("the SSO portal gave no credentials for role `{role_name}` in account `{account_id}` (profile `{profile}`): {reason}")]
    Sso {
        profile: String,
        account_id: String,
        role_name: String,
        reason: String,
    },

    #[error("credential_process of profile `{profile}` failed: {reason}")]
    Process { profile: String, reason: String },

    #[error(
        "credential_source `{source_name}` of profile `{profile}` gave no credentials: {reason}"
    )]
    Source {
        profile: String,
        source_name: &'static str,
        reason: String,
    },

    #[error("assume role `{role_arn}` with the web identity token `{token_file}` (profile `{profile}`) failed: {reason}")]
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        reason: String,
    },
}

/// A profile that does not say, in a way the AWS CLI accepts, where its
/// credentials come from. Found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("profile `{0}` is not defined")]
    ProfileMissing(String),

    #[error("the source_profile `{source_profile}` of profile `{profile}` is not defined")]
    SourceMissing {
        profile: String,
        source_profile: String,
    },

    #[error("profile `{0}` has both source_profile and credential_source; give one")]
    BothSources(String),

    #[error("profile `{0}` has role_arn but neither source_profile nor credential_source")]
    NoSource(String),

    #[error("credential_source `{value}` of profile `{profile}` is not `Environment`, `Ec2InstanceMetadata` or `EcsContainer`")]
    BadCredentialSource { profile: String, value: String },

    #[error("source_profile loops: {0}")]
    Loop(String),

    #[error("duration_seconds `{value}` of profile `{profile}` is not a number of seconds")]
    BadDuration { profile: String, value: String },

    #[error("profile `{profile}` has {present} but no {missing}")]
    Partial {
        profile: String,
        present: &'static str,
        missing: &'static str,
    },

    #[error("profile `{profile}` names sso_session `{session}`, but there is no `[sso-session {session}]` section")]
    SsoSessionMissing { profile: String, session: String },

    #[error("the `[sso-session {session}]` section has no {missing}")]
    SsoSessionPartial {
        session: String,
        missing: &'static str,
    },

    #[error("profile `{0}` has no credentials (none of aws_access_key_id, role_arn, sso_session, sso_start_url, credential_process, web_identity_token_file)")]
    NoCredentials(String),
}
