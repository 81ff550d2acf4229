//! Why a check could not run.

use miette::Diagnostic;
use thiserror::Error;

use crate::eval::ModelError;
use crate::DocumentError;

/// A check that cannot be run on its input. A check that runs and fails is
/// not an error: it is a [`super::Report`] with [`super::Verdict::Fail`].
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum CheckError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Document(#[from] DocumentError),

    #[error("`{origin}`: {source}")]
    #[diagnostic(code(iamctl::check::policy))]
    Model { origin: String, source: ModelError },

    #[error("unknown resource type `{0}`")]
    #[diagnostic(
        code(iamctl::check::resource_type),
        help("use Access Analyzer's names, e.g. `AWS::S3::Bucket`, `AWS::SQS::Queue`, `AWS::KMS::Key`, `AWS::IAM::AssumeRolePolicyDocument`")
    )]
    UnknownResourceType(String),

    #[error("`{0}` names no action AWS documents")]
    #[diagnostic(
        code(iamctl::check::action),
        help(
            "write `service:Action`, e.g. `s3:GetObject`; wildcards expand over AWS's action list"
        )
    )]
    UnknownAction(String),
}
