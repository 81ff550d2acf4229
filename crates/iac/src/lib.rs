//! IAM as code, the engine (`iamctl-iac`): no terminal, no clap.
//!
//! - [`backend`]: the narrow trait of the IAM calls reading and applying
//!   make, implemented over the AWS SDK (in `iamctl-aws`) and in memory
//!   (`memory`, for tests: feature `test-utils`).
//! - [`project`]: the account as a plan leaves it, projected from the
//!   snapshot it was planned from.
//! - [`plan`]: the account's state, typed, and what must change in it so
//!   that it holds the desired state; [`access`]: what those changes do to
//!   each principal's effective access.
//! - [`import`]: an account's state as a configuration.
//! - [`read`]: one account read through a backend; [`apply`]: a plan
//!   carried out through one, phase by phase.
//! - [`identity_center`]: IAM Identity Center as code, its own state,
//!   backend trait, planner and apply.
//! - [`render`]: plans as text, markdown or JSON; [`checks`]: `plan
//!   --check`, the policy checks over the documents a plan would write.

pub mod access;
pub mod apply;
pub mod backend;
pub mod cancel;
pub mod checks;
pub mod identity_center;
pub mod import;
pub mod lock;
#[cfg(any(test, feature = "test-utils"))]
pub mod memory;
pub mod plan;
pub mod project;
pub mod read;
pub mod render;
pub mod versions;

pub use backend::{BackendError, BackendResult, ErrorKind, IamBackend, PrincipalKind};

#[cfg(test)]
mod plan_tests;
