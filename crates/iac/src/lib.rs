//! IAM as code, the engine (`iamctl-iac`): no terminal, no clap.
//!
//! - [`backend`]: the narrow trait of the IAM calls reading and applying
//!   make, implemented over the AWS SDK (in `iamctl-aws`) and in memory.

pub mod backend;

pub use backend::{BackendError, BackendResult, ErrorKind, IamBackend, PrincipalKind};
