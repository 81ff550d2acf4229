//! The pure IAM model of `iamctl`: names, paths, tags, ARNs and policy
//! documents, validated the way IAM validates them, plus the policy documents
//! iamctl generates.
//!
//! Nothing here performs I/O, reads the clock or talks to AWS, so every rule
//! can be tested exhaustively and reused by any front end.

pub mod account;
pub mod analysis;
pub mod catalog;
pub mod check;
pub mod document;
pub mod escalation;
pub mod eval;
pub mod lint;
pub mod names;
pub mod org;
pub mod simulate;
pub mod snapshot;
pub mod templates;

pub use document::{DocumentError, DocumentKind, PolicyDocument};
pub use names::{
    is_account_id, is_managed_by_tag, parse_tag, validate_account_alias, validate_arn,
    validate_name, validate_path, validate_policy_arn_or_name, validate_tag, Arn, EntityKind,
    NameError, PolicyRef, MANAGED_BY,
};
