//! What stops an Identity Center plan or apply.

use miette::Diagnostic;
use thiserror::Error;

/// A reason the instance cannot be brought to the desired state: plan lists
/// every one and nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic, serde::Serialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
pub enum IcPlanError {
    /// A permission set of the configuration exists without our tag.
    #[error("permission set `{name}` exists in Identity Center and was not created by iamctl (no tag `managed-by=iamctl`)")]
    #[diagnostic(
        code(iamctl::identity_center::foreign_permission_set),
        help("iamctl assigns only the permission sets it manages: rename the set in the configuration, or delete the hand-made one")
    )]
    ForeignPermissionSet { name: String },
    /// A group of the configuration exists without our mark.
    #[error("group `{name}` exists in the identity store and was not created by iamctl")]
    #[diagnostic(
        code(iamctl::identity_center::foreign_group),
        help("iamctl manages the members of the groups it creates only: rename the group in the configuration, or drop its declaration to only reference it")
    )]
    ForeignGroup { name: String },
    /// A user an assignment or a group names is not in the identity store
    /// and not declared.
    #[error("user `{name}` is not in the identity store")]
    #[diagnostic(
        code(iamctl::identity_center::missing_user),
        help("with `identity_source: external`, the user must come from the identity provider first; with `directory`, declare it under `identity-center.users`")
    )]
    MissingUser { name: String },
    /// A group an assignment names is not in the identity store and not declared.
    #[error("group `{name}` is not in the identity store")]
    #[diagnostic(
        code(iamctl::identity_center::missing_group),
        help("declare it under `identity-center.groups`, or create it in the identity provider")
    )]
    MissingGroup { name: String },
}

/// A change apply could not make.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
pub enum IcApplyError {
    /// An asynchronous request ended `FAILED`.
    #[error("{what} in account `{account_id}` failed: {reason}")]
    #[diagnostic(code(iamctl::identity_center::request_failed))]
    RequestFailed {
        what: String,
        account_id: String,
        reason: String,
    },
    /// A request still in progress after every poll.
    #[error("{what} in account `{account_id}` still in progress after {polls} polls")]
    #[diagnostic(
        code(iamctl::identity_center::request_timeout),
        help("run apply again: it converges on what AWS finished")
    )]
    RequestTimedOut {
        what: String,
        account_id: String,
        polls: u32,
    },
    /// A call failed.
    #[error("{what}: {message}")]
    #[diagnostic(code(iamctl::identity_center::call_failed))]
    Call { what: String, message: String },
    /// A change names what is neither read nor created earlier in the plan.
    #[error("{what}: `{name}` is unknown")]
    #[diagnostic(code(iamctl::identity_center::unknown))]
    Unknown { what: String, name: String },
}
