//! Why an organisation snapshot cannot be read or merged.

use miette::Diagnostic;
use thiserror::Error;

use crate::snapshot::SnapshotError;

/// An organisation snapshot that is not well formed, or two that cannot be
/// merged.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
#[non_exhaustive]
pub enum OrgError {
    /// Not JSON, a field of the wrong type, or a newer format.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Snapshot(#[from] SnapshotError),

    #[error(
        "the snapshot's `Kind` is `{0}`; this iamctl reads `organization` or an account snapshot"
    )]
    #[diagnostic(code(iamctl::snapshot::kind))]
    Kind(String),

    #[error("account `{0}` is listed twice")]
    #[diagnostic(code(iamctl::snapshot::duplicate_account))]
    DuplicateAccount(String),

    #[error("`{child}` names parent `{parent}`, which is neither the root nor an organizational unit of the snapshot")]
    #[diagnostic(code(iamctl::snapshot::unknown_parent))]
    UnknownParent { child: String, parent: String },

    #[error("organizational unit `{0}` is its own ancestor")]
    #[diagnostic(code(iamctl::snapshot::cycle))]
    Cycle(String),

    #[error("policy `{policy}` targets `{target}`, which is not in the organisation")]
    #[diagnostic(code(iamctl::snapshot::unknown_target))]
    UnknownTarget { policy: String, target: String },

    #[error("the snapshots are of different organisations: `{0}` and `{1}`")]
    #[diagnostic(
        code(iamctl::snapshot::merge_org),
        help("merge only snapshots collected from the same organisation")
    )]
    DifferentOrganizations(String, String),

    #[error("account `{id}` (`{name}`) differs between the snapshots: {what}")]
    #[diagnostic(
        code(iamctl::snapshot::merge_conflict),
        help("collect that account once, or keep only the newer snapshot of it")
    )]
    AccountConflict {
        id: String,
        name: String,
        what: String,
    },

    #[error("`{0}` differs between the snapshots")]
    #[diagnostic(
        code(iamctl::snapshot::merge_tree),
        help("the snapshots were collected while the organisation changed: collect again")
    )]
    TreeConflict(String),
}
