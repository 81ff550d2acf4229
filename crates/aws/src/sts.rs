//! STS: who we are, and assuming roles.

use crate::error::{classify, AwsError, Entity};
use crate::types::{CallerIdentity, Secret, SessionCredentials};
use crate::{date, Aws};

/// Options of `AssumeRole`.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub duration_seconds: Option<i32>,
    pub mfa_serial: Option<&'a str>,
    pub token_code: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

impl Aws {
    pub async fn caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        let out = self.sts.get_caller_identity().send().await.map_err(|err| {
            classify(
                "sts:GetCallerIdentity",
                Entity::new("caller", "identity"),
                err,
            )
        })?;
        Ok(CallerIdentity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
            user_id: out.user_id().unwrap_or_default().to_string(),
        })
    }

    pub async fn assume_role(&self, a: &AssumeRole<'_>) -> Result<SessionCredentials, AwsError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(a.role_arn)
            .role_session_name(a.session_name)
            .set_duration_seconds(a.duration_seconds)
            .set_serial_number(a.mfa_serial.map(str::to_string))
            .set_token_code(a.token_code.map(str::to_string))
            .set_external_id(a.external_id.map(str::to_string))
            .send()
            .await
            .map_err(|err| classify("sts:AssumeRole", Entity::new("role", a.role_arn), err))?;
        let c = out.credentials().ok_or_else(|| AwsError::Other {
            entity: Entity::new("role", a.role_arn),
            action: "sts:AssumeRole",
            message: "AWS answered without credentials".into(),
        })?;
        Ok(SessionCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: Secret::new(c.session_token()),
            expiration: date(c.expiration()),
            assumed_role_arn: out
                .assumed_role_user()
                .map(|u| u.arn().to_string())
                .unwrap_or_default(),
        })
    }
}
