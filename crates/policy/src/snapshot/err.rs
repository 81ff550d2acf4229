//! Why a snapshot cannot be read.

use miette::Diagnostic;
use thiserror::Error;

/// A snapshot file (or document) that is not an account snapshot, or one
/// written by a newer iamctl.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Not JSON, or a field of the wrong type: where, and what.
    #[error("{line}:{column}: {message}")]
    #[diagnostic(
        code(iamctl::snapshot::json),
        help("a snapshot is the JSON of `iamctl account snapshot` or `aws iam get-account-authorization-details`")
    )]
    Json {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("the snapshot is not a JSON object")]
    #[diagnostic(
        code(iamctl::snapshot::not_object),
        help("a snapshot is the JSON of `iamctl account snapshot` or `aws iam get-account-authorization-details`")
    )]
    NotObject,

    #[error("the snapshot has none of `UserDetailList`, `RoleDetailList`, `GroupDetailList`, `Policies`")]
    #[diagnostic(
        code(iamctl::snapshot::no_lists),
        help("a snapshot is the JSON of `iamctl account snapshot` or `aws iam get-account-authorization-details`")
    )]
    NoLists,

    #[error("the snapshot's `FormatVersion` is {found}; this iamctl reads up to {supported}")]
    #[diagnostic(
        code(iamctl::snapshot::version),
        help("read it with a newer iamctl, or take a new snapshot with `iamctl account snapshot`")
    )]
    Version { found: u64, supported: u32 },

    /// A principal the analysis was asked about is not in the snapshot.
    #[error("no user or role `{0}` in the snapshot")]
    #[diagnostic(code(iamctl::snapshot::no_principal))]
    NoPrincipal(String),
}
