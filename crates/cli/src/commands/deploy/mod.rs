//! IAM as code against accounts: `plan`, `apply` and `cleanup`. The engine
//! (`iamctl-iac`) reads, plans, applies and renders; these modules keep the
//! arguments, prompts, progress and output.
//!
//! Every account is read the same way, all of them at once: assume the
//! deployer role (never falling back to the caller's own account), read
//! `GetAccountAuthorizationDetails` pages, then only what that call cannot
//! give: the tags of customer-managed policies, and the documents of
//! AWS-managed policies the plan needs (temporary copies, access diffs).

mod apply;
mod cleanup;
mod ic;
mod master_copy;
mod plan;
mod plan_file;
mod run;
mod s3_lock;
mod session;
mod target;

pub use apply::{apply, ApplyArgs};
pub use cleanup::{cleanup, CleanupArgs};
pub use plan::{plan, PlanArgs};
pub(crate) use target::read_target;
