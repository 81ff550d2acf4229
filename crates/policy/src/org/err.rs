//! Why a question about an organisation cannot be answered.

use miette::Diagnostic;
use thiserror::Error;

/// A principal or account the question names that the organisation does
/// not have, or names ambiguously.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
#[non_exhaustive]
pub enum OrgAnalysisError {
    #[error("no account `{0}` in the organisation")]
    #[diagnostic(
        code(iamctl::org::no_account),
        help("give an account ID or name from the snapshot")
    )]
    NoAccount(String),

    #[error("several accounts are named `{0}`")]
    #[diagnostic(code(iamctl::org::ambiguous_account), help("give the account ID"))]
    AmbiguousAccount(String),

    #[error("no user or role `{key}` in account `{account}`")]
    #[diagnostic(code(iamctl::org::no_principal))]
    NoPrincipal { key: String, account: String },

    #[error("no user or role `{0}` in any account of the organisation")]
    #[diagnostic(code(iamctl::org::no_principal))]
    NoPrincipalAnywhere(String),

    #[error("`{key}` is in several accounts: {}", accounts.join(", "))]
    #[diagnostic(
        code(iamctl::org::ambiguous_principal),
        help("pick one with `--account NAME|ID`, or give the ARN")
    )]
    AmbiguousPrincipal { key: String, accounts: Vec<String> },
}
