//! Errors of the AWS backend: every SDK error becomes one [`AwsError`] that names the
//! action and the entity it was about, in words an operator can act on.

use aws_sdk_iam::error::ProvideErrorMetadata;

/// What an AWS call was about, for messages: "user `bob`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// "user", "role", "policy", "group", "access key", "bucket", ...
    pub kind: &'static str,
    /// The name, ARN or id the caller gave.
    pub name: String,
}

impl Entity {
    pub fn new(kind: &'static str, name: impl Into<String>) -> Self {
        Entity {
            kind,
            name: name.into(),
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.kind, self.name)
    }
}

/// Broad classes of failure, one type for the whole workspace: the
/// backend's (apply decides retries by it; the CLI maps it to exit codes).
pub use iamctl_iac::backend::ErrorKind;

/// An AWS call that failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AwsError {
    #[error("{entity} does not exist")]
    #[diagnostic(code(iamctl::aws::not_found))]
    NotFound {
        entity: Entity,
        action: &'static str,
    },

    #[error("{entity} already exists")]
    #[diagnostic(
        code(iamctl::aws::already_exists),
        help("choose another name, or act on the existing one")
    )]
    AlreadyExists {
        entity: Entity,
        action: &'static str,
    },

    #[error("IAM limit reached for {entity} in `{action}`: {message}")]
    #[diagnostic(
        code(iamctl::aws::limit_exceeded),
        help("see `iamctl account summary` for the account's quotas and usage")
    )]
    LimitExceeded {
        entity: Entity,
        action: &'static str,
        message: String,
    },

    #[error("cannot delete {entity}: {detail}")]
    #[diagnostic(code(iamctl::aws::delete_conflict))]
    DeleteConflict { entity: Entity, detail: String },

    #[error("access denied: the caller may not call `{action}` on {entity}")]
    #[diagnostic(
        code(iamctl::aws::access_denied),
        help("AWS said: {message}\ngrant the identity shown by `iamctl whoami` permission for this action")
    )]
    AccessDenied {
        entity: Entity,
        action: &'static str,
        message: String,
    },

    #[error("AWS throttled `{action}` on {entity} and it still failed after {attempts} attempts with adaptive back-off")]
    #[diagnostic(
        code(iamctl::aws::throttled),
        help("wait a minute and run the command again; it picks up where it stopped")
    )]
    Throttled {
        entity: Entity,
        action: &'static str,
        attempts: u32,
    },

    #[error("AWS rejected `{action}` on {entity}: {message}")]
    #[diagnostic(code(iamctl::aws::invalid_input))]
    InvalidInput {
        entity: Entity,
        action: &'static str,
        message: String,
    },

    #[error("`{action}` was not sent: {message}")]
    #[diagnostic(
        code(iamctl::aws::connection),
        help("check credentials (`--profile`, `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`), `--region` and `--endpoint-url`")
    )]
    Connection {
        action: &'static str,
        message: String,
    },

    #[error("`{action}` on {entity} failed: {message}")]
    #[diagnostic(code(iamctl::aws::other))]
    Other {
        entity: Entity,
        action: &'static str,
        message: String,
    },
}

impl AwsError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AwsError::NotFound { .. } => ErrorKind::NotFound,
            AwsError::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            AwsError::LimitExceeded { .. } => ErrorKind::LimitExceeded,
            AwsError::DeleteConflict { .. } => ErrorKind::DeleteConflict,
            AwsError::AccessDenied { .. } => ErrorKind::AccessDenied,
            AwsError::Throttled { .. } => ErrorKind::Throttled,
            AwsError::InvalidInput { .. } => ErrorKind::InvalidInput,
            AwsError::Connection { .. } => ErrorKind::Connection,
            AwsError::Other { .. } => ErrorKind::Other,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }
}

/// Maximum attempts of the SDK's adaptive retry, named in throttling errors.
pub const MAX_ATTEMPTS: u32 = 8;

/// Turn an SDK error into an [`AwsError`] about `entity`.
pub fn classify<E, R>(
    action: &'static str,
    entity: Entity,
    err: aws_sdk_iam::error::SdkError<E, R>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_iam::error::SdkError;
    let service_err = match &err {
        SdkError::ServiceError(se) => Some(se.err()),
        _ => None,
    };
    let Some(se) = service_err else {
        if let Some(u) = find_source::<crate::retry::Unreachable>(&err) {
            return AwsError::Connection {
                action,
                message: u.to_string(),
            };
        }
        if let Some(s) = find_source::<crate::signin::SigninError>(&err) {
            return AwsError::Connection {
                action,
                message: s.to_string(),
            };
        }
        if let Some(p) = find_source::<crate::ProfileMissing>(&err) {
            return AwsError::Connection {
                action,
                message: p.to_string(),
            };
        }
        return AwsError::Connection {
            action,
            message: connection_message(&chain_text(&err)),
        };
    };
    let Some(code) = se.code().map(str::to_string) else {
        // No error code: the answer was not an AWS error (a proxy, a wrong endpoint).
        return AwsError::Other {
            entity,
            action,
            message: format!(
                "the answer was not an AWS error ({}); check `--endpoint-url` and any proxy",
                connection_message(&chain_text(&err))
            ),
        };
    };
    let message = se.message().unwrap_or("").to_string();
    from_code(action, entity, &code, message)
}

/// An error and its sources as `a: b: c`, without the Debug dump that the SDK's
/// `DisplayErrorContext` appends; repeated texts are given once.
pub(crate) fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let t = e.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The first error of type `T` in `err`'s chain of sources.
pub(crate) fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        next = e.source();
    }
    None
}

/// A short reason for a request that never got an answer from AWS.
fn connection_message(full: &str) -> String {
    // A connection that never came about (here: inside a credentials provider,
    // such as STS for an assumed role, which has no endpoint-naming interceptor).
    if [
        "client error (Connect)",
        "tcp connect error",
        "HTTP connect timeout",
        "dns error",
    ]
    .iter()
    .any(|m| full.contains(m))
    {
        let reason = full.rsplit(": ").next().unwrap_or(full);
        return format!("cannot connect to AWS (while getting credentials): {reason}");
    }
    if full.contains("loading credentials")
        || full.contains("no credentials found")
        || full.contains("credential provider was not enabled")
    {
        return "no usable AWS credentials (tried the environment, profiles, SSO, web identity and instance metadata)".into();
    }
    const MAX: usize = 300;
    if full.len() <= MAX {
        full.to_string()
    } else {
        let mut end = MAX;
        while !full.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &full[..end])
    }
}

/// Classification by AWS error code, shared by IAM, STS and S3.
pub fn from_code(action: &'static str, entity: Entity, code: &str, message: String) -> AwsError {
    match code {
        "NoSuchEntity" | "NoSuchBucket" | "NoSuchKey" | "NotFound" => {
            AwsError::NotFound { entity, action }
        }
        "EntityAlreadyExists" | "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => {
            AwsError::AlreadyExists { entity, action }
        }
        "LimitExceeded" | "LimitExceededException" | "PolicyTooLarge" => AwsError::LimitExceeded {
            entity,
            action,
            message,
        },
        "DeleteConflict" => AwsError::DeleteConflict {
            entity,
            detail: if message.is_empty() {
                "it is still in use".into()
            } else {
                message
            },
        },
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken" => AwsError::AccessDenied {
            entity,
            action,
            message: if message.is_empty() {
                code.to_string()
            } else {
                message
            },
        },
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "SlowDown"
        | "TooManyRequestsException"
        | "RequestThrottled" => AwsError::Throttled {
            entity,
            action,
            attempts: MAX_ATTEMPTS,
        },
        "MalformedPolicyDocument"
        | "ValidationError"
        | "InvalidInput"
        | "InvalidParameterValue"
        | "UnmodifiableEntity"
        | "PasswordPolicyViolation"
        | "InvalidAuthenticationCode" => AwsError::InvalidInput {
            entity,
            action,
            message: format!("{message} ({code})"),
        },
        _ => AwsError::Other {
            entity,
            action,
            message: if message.is_empty() {
                code.to_string()
            } else {
                format!("{message} ({code})")
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_such_entity_names_the_entity() {
        let e = from_code(
            "iam:GetUser",
            Entity::new("user", "bob"),
            "NoSuchEntity",
            "x".into(),
        );
        assert_eq!(e.to_string(), "user `bob` does not exist");
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn access_denied_names_the_action() {
        let e = from_code(
            "iam:CreateUser",
            Entity::new("user", "bob"),
            "AccessDenied",
            "not authorized".into(),
        );
        assert!(e.to_string().contains("`iam:CreateUser`"), "{e}");
    }

    #[test]
    fn a_connect_failure_inside_a_credentials_provider_is_not_called_missing_credentials() {
        let m = connection_message(
            "dispatch failure: other: an error occurred while loading credentials: dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)",
        );
        assert_eq!(
            m,
            "cannot connect to AWS (while getting credentials): Connection refused (os error 111)"
        );
        assert!(
            connection_message("an error occurred while loading credentials: no providers")
                .contains("no usable AWS credentials")
        );
    }

    #[test]
    fn throttling_says_it_was_retried() {
        let e = from_code(
            "iam:ListUsers",
            Entity::new("account", "-"),
            "Throttling",
            String::new(),
        );
        assert!(e.to_string().contains("8 attempts"), "{e}");
    }
}
