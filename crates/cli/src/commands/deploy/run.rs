//! Carrying out plans for `apply` and `cleanup`: the engine applies
//! ([`iamctl_iac::apply`]); here are the progress bar, the summary and the
//! JSON document.

use std::io::IsTerminal;
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use iamctl_aws::Aws;
use iamctl_iac::apply::{run_changes, Outcome};
use iamctl_iac::plan::{Change, Plan};
use serde_json::Value;

use super::target::Target;
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// Each non-empty plan with the clients of its account.
pub(super) fn with_clients(plans: Vec<Plan>, targets: &[Target]) -> Vec<(Arc<Aws>, Plan)> {
    plans
        .into_iter()
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let t = targets
                .iter()
                .find(|t| t.desired.environment == p.environment)?;
            Some((Arc::new(t.aws.clone()), p))
        })
        .collect()
}

/// Applies every account's changes and says how it went on stderr; the
/// failures are in the outcomes (see [`failed_changes`]).
pub(super) async fn apply_plans(
    ctx: &Ctx,
    work: Vec<(Arc<Aws>, Plan)>,
    concurrency: usize,
) -> Vec<Outcome> {
    let total: usize = work.iter().map(|(_, p)| p.changes.len()).sum();
    let bar = (std::io::stderr().is_terminal() && total > 0).then(|| {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} changes {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let outcomes: Vec<Outcome> = stream::iter(work.iter())
        .map(|(aws, p)| run_changes(aws.as_ref(), p, concurrency, &tick))
        .buffer_unordered(16)
        .collect()
        .await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let done: usize = outcomes.iter().map(|o| o.done.len()).sum();
    let retried: u32 = outcomes.iter().map(|o| o.retried).sum();
    let mut summary = format!(
        "applied {done} of {total} change(s) in {} account(s)",
        work.len()
    );
    if retried > 0 {
        summary.push_str(&format!(
            "; the SDK retried {retried} request attempt(s) (throttled, or a transient error or connection failure)"
        ));
    }
    ctx.status(summary);
    for o in &outcomes {
        for (what, e) in &o.failed {
            ctx.status(format!("failed: {}: {what}: {e}", o.environment));
        }
    }
    outcomes
}

/// The error for the changes that failed, if any.
pub(super) fn failed_changes(outcomes: &[Outcome], command: &str) -> CmdResult {
    let n: usize = outcomes.iter().map(|o| o.failed.len()).sum();
    if n == 0 {
        return Ok(());
    }
    Err(CommandError::failure_help(
        format!("{n} change(s) failed"),
        format!("run `iamctl {command}` again: it plans from what the accounts now hold and finishes the work"),
    ))
}

/// `apply` and `cleanup`'s one JSON document (`--output json`): per account
/// what was applied (`removed` for cleanup), failed, not attempted, blocked
/// by a conflict, and the conflicts.
pub(super) fn outcome_json(
    command: &str,
    plans: &[Plan],
    outcomes: &[Outcome],
    result: &CmdResult,
    master_copy: Option<bool>,
) -> Value {
    let done_key = if command == "cleanup" {
        "removed"
    } else {
        "applied"
    };
    let accounts: Vec<Value> = plans
        .iter()
        .map(|p| {
            let o = outcomes.iter().find(|o| o.environment == p.environment);
            let mut v = serde_json::json!({
                "environment": p.environment,
                "account_id": p.account_id,
                "planned": p.changes.len(),
                done_key: o.map(|o| o.done.clone()).unwrap_or_default(),
                "failed": o.map(|o| o.failed.iter().map(|(c, e)| serde_json::json!({"change": c, "error": e})).collect::<Vec<_>>()).unwrap_or_default(),
                "not_attempted": o.map(|o| o.not_attempted.clone()).unwrap_or_default(),
                "blocked": p.blocked.iter().map(Change::summary).collect::<Vec<_>>(),
                "conflicts": p.conflicts,
            });
            if o.is_none() && !p.changes.is_empty() {
                // Confirmed but not run (cannot happen today), or nothing to do.
                v["not_attempted"] = serde_json::json!(p.changes.iter().map(Change::summary).collect::<Vec<_>>());
            }
            v
        })
        .collect();
    let mut doc = serde_json::json!({
        "command": command,
        "result": if result.is_ok() { "ok" } else { "failed" },
        "accounts": accounts,
    });
    if let Err(e) = result {
        doc["error"] = serde_json::json!(format!("{}", e.report));
        doc["exit_code"] = serde_json::json!(e.exit_code());
    }
    if let Some(written) = master_copy {
        doc["master_copy_written"] = serde_json::json!(written);
    }
    doc
}
