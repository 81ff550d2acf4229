//! IAM as code: the configuration directory of seed 004 (read unchanged) and
//! our extensions, its validation, and the desired IAM state per account.
//!
//! - [`load`] reads a directory into a [`Config`] whose every value knows its
//!   file, line and column, collecting every problem instead of stopping.
//! - [`validate`] checks schema, references, expiry, names and the lint of
//!   every policy the configuration would create, as of an instant.
//! - [`desired_state`] says what one environment's account should hold.
//!
//! No AWS call and no clock here: the instant is always passed in.

mod desired;
mod diag;
pub mod identity_center;
pub mod limits;
mod load;
mod model;
pub mod org_policies;
mod validate;
mod write;
mod yaml;

pub use desired::{
    desired_state, environments, expiring_copy, missing_principal, parse_expiry, policy_document,
    rfc3339, statement_json, DesiredAccount, DesiredGroup, DesiredPolicy, DesiredRole, DesiredUser,
    PolicyBody, Tags, MANAGED_BY, TAG_EXPIRES, TAG_GRANTEE, TAG_KEY, TAG_TEAM,
};
pub use diag::{sort as sort_diagnostics, Diagnostic, Severity, Source, Span, Spanned};
pub use load::{keys, load, TEAM_DIRS};
pub use model::*;
pub use validate::validate;
pub use write::{statements_from_document, unplaced, write, write_with, Comments};
pub use yaml::{MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, MAX_TOTAL_BYTES};

/// [`load`] and [`validate`] in one: the model and every problem, sorted.
pub fn check(dir: &std::path::Path, now: jiff::Timestamp) -> (Config, Vec<Diagnostic>) {
    let (config, _) = load(dir);
    let diags = validate(&config, now);
    (config, diags)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hostile_tests;

#[cfg(test)]
mod limits_tests;

#[cfg(test)]
mod write_tests;
