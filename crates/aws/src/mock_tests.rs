//! Error paths moto cannot produce (access denied, throttling, limits, conflicts),
//! through SDK stubs: each becomes one clear `AwsError`.

use crate::{Aws, ErrorKind};
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::create_access_key::CreateAccessKeyError;
use aws_sdk_iam::operation::create_user::CreateUserError;
use aws_sdk_iam::operation::delete_user::DeleteUserError;
use aws_sdk_iam::operation::get_user::GetUserError;
use aws_sdk_iam::operation::list_users::{ListUsersError, ListUsersOutput};
use aws_sdk_iam::types::error::{
    DeleteConflictException, LimitExceededException, NoSuchEntityException,
};
use aws_sdk_iam::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

fn aws_with(rules: &[&Rule]) -> Aws {
    aws_with_conf(rules, |c| c)
}

fn aws_with_conf(
    rules: &[&Rule],
    conf: impl Fn(aws_sdk_iam::config::Builder) -> aws_sdk_iam::config::Builder,
) -> Aws {
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, rules, conf);
    let sdk_config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    Aws {
        iam,
        sts: aws_sdk_sts::Client::new(&sdk_config),
        s3: aws_sdk_s3::Client::new(&sdk_config),
        retries: crate::retry::RetryCounter::default(),
        sdk_config,
    }
}

/// What the SDK's deserializer attaches to a modeled error: its code (and, with
/// [`generic`], its message).
fn code(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).build()
}

fn generic(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

#[tokio::test]
async fn no_such_entity_names_the_user() {
    let r = mock!(Client::get_user).then_error(|| {
        GetUserError::NoSuchEntityException(
            NoSuchEntityException::builder()
                .message("x")
                .meta(code("NoSuchEntity"))
                .build(),
        )
    });
    let err = aws_with(&[&r]).get_user("bob").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.to_string(), "user `bob` does not exist");
}

#[tokio::test]
async fn access_denied_names_the_action() {
    let r = mock!(Client::create_user).then_error(|| {
        CreateUserError::generic(generic(
            "AccessDenied",
            "User: arn:aws:iam::1:user/x is not authorized to perform: iam:CreateUser",
        ))
    });
    let err = aws_with(&[&r])
        .create_user(&crate::NewUser {
            name: "bob",
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert_eq!(
        err.to_string(),
        "access denied: the caller may not call `iam:CreateUser` on user `bob`"
    );
}

#[tokio::test]
async fn limit_exceeded_is_its_own_kind() {
    let r = mock!(Client::create_user).then_error(|| {
        CreateUserError::LimitExceededException(
            LimitExceededException::builder()
                .message("Cannot exceed quota for UsersPerAccount: 5000")
                .meta(generic(
                    "LimitExceeded",
                    "Cannot exceed quota for UsersPerAccount: 5000",
                ))
                .build(),
        )
    });
    let err = aws_with(&[&r])
        .create_user(&crate::NewUser {
            name: "bob",
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(err.to_string().contains("UsersPerAccount: 5000"), "{err}");
}

#[tokio::test]
async fn delete_conflict_says_what_is_attached() {
    let r = mock!(Client::delete_user).then_error(|| {
        DeleteUserError::DeleteConflictException(
            DeleteConflictException::builder()
                .message("Cannot delete entity, must delete login profile first.")
                .meta(generic(
                    "DeleteConflict",
                    "Cannot delete entity, must delete login profile first.",
                ))
                .build(),
        )
    });
    let err = aws_with(&[&r]).delete_user("bob").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeleteConflict);
    assert_eq!(
        err.to_string(),
        "cannot delete user `bob`: Cannot delete entity, must delete login profile first."
    );
}

#[tokio::test]
async fn throttling_that_outlasts_retries_says_it_was_retried() {
    let r = mock!(Client::list_users)
        .then_error(|| ListUsersError::generic(generic("Throttling", "Rate exceeded")));
    let err = aws_with(&[&r]).list_users(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(err.to_string().contains("after 8 attempts"), "{err}");
}

#[tokio::test]
async fn throttling_is_retried_until_it_passes() {
    let throttled = mock!(Client::list_users)
        .sequence()
        .error(|| ListUsersError::generic(generic("Throttling", "Rate exceeded")))
        .times(2)
        .output(|| {
            ListUsersOutput::builder()
                .set_users(Some(vec![]))
                .build()
                .unwrap()
        })
        .build();
    let counter = crate::retry::RetryCounter::default();
    let c2 = counter.clone();
    let mut aws = aws_with_conf(&[&throttled], move |c| {
        c.retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(4)
                .with_initial_backoff(std::time::Duration::from_millis(1)),
        )
        .interceptor(c2.clone())
    });
    aws.retries = counter;
    let users = aws.list_users(None).await.expect("third attempt succeeds");
    assert!(users.is_empty());
    assert_eq!(throttled.num_calls(), 3);
    assert_eq!(aws.retried_attempts(), 2, "both retries are counted");
}

#[tokio::test]
async fn unknown_service_errors_keep_code_and_message() {
    let r = mock!(Client::create_access_key)
        .then_error(|| CreateAccessKeyError::generic(generic("ServiceFailure", "internal error")));
    let err = aws_with(&[&r]).create_access_key("bob").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert_eq!(
        err.to_string(),
        "`iam:CreateAccessKey` on user `bob` failed: internal error (ServiceFailure)"
    );
}

#[tokio::test]
async fn a_bucket_in_another_region_gets_a_client_for_that_region() {
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    let moved = mock!(aws_sdk_s3::Client::head_bucket).then_http_response(|| {
        let mut r = Response::new(StatusCode::try_from(301).unwrap(), SdkBody::empty());
        r.headers_mut().insert("x-amz-bucket-region", "eu-west-1");
        r
    });
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[&moved], |c| c
        .region(aws_sdk_s3::config::Region::new("us-east-1")));
    let mut aws = aws_with(&[]);
    aws.s3 = s3;
    let b = aws
        .open_bucket("far-away")
        .await
        .expect("a 301 names the region");
    assert_eq!(b.region.as_deref(), Some("eu-west-1"));
    assert_eq!(b.client_region().as_deref(), Some("eu-west-1"));
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    let missing = mock!(aws_sdk_s3::Client::head_bucket)
        .then_http_response(|| Response::new(StatusCode::try_from(404).unwrap(), SdkBody::empty()));
    let mut aws = aws_with(&[]);
    aws.s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[&missing]);
    let err = aws.open_bucket("nope").await.unwrap_err();
    assert_eq!(err.to_string(), "bucket `nope` does not exist");
}
