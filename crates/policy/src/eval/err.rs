//! Why a policy document cannot be loaded into the engine.

use miette::Diagnostic;
use thiserror::Error;

/// A document the engine cannot read. The engine is lenient (AWS already
/// validated what a snapshot holds); these are the shapes it cannot give any
/// meaning to.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
#[non_exhaustive]
pub enum ModelError {
    #[error("policy `{policy}` is not a JSON object")]
    #[diagnostic(code(iamctl::eval::not_object))]
    NotObject { policy: String },

    #[error("policy `{policy}` has no `Statement`")]
    #[diagnostic(code(iamctl::eval::no_statement))]
    NoStatement { policy: String },

    #[error("policy `{policy}`, statement {index}: {problem}")]
    #[diagnostic(code(iamctl::eval::bad_statement))]
    Statement {
        policy: String,
        index: usize,
        problem: String,
    },

    #[error("policy `{policy}`, statement {index}: unknown condition operator `{operator}`")]
    #[diagnostic(
        code(iamctl::eval::unknown_operator),
        help("operators are case-sensitive, e.g. `StringEquals`, `ForAnyValue:StringLike`, `DateLessThanIfExists`")
    )]
    UnknownOperator {
        policy: String,
        index: usize,
        operator: String,
    },
}
