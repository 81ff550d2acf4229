//! Carrying out plans for `apply` and `cleanup`: the engine applies
//! ([`iamctl_iac::apply`]); here are the progress bar, the summary and the
//! JSON document.

use std::io::IsTerminal;
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use iamctl_aws::Aws;
use iamctl_iac::apply::{run_changes_with, Cancel, Outcome, RunOptions};
use iamctl_iac::plan::{Change, Plan};
use serde_json::Value;

use super::session::{cancelled, INTERRUPTED, IN_FLIGHT_GRACE};
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

/// A wait before each change, for tests of interrupts: `IAMCTL_TEST_PACE_MS`
/// (milliseconds; unset: none). See docs/locking.md.
fn pace() -> std::time::Duration {
    std::env::var("IAMCTL_TEST_PACE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(std::time::Duration::ZERO, std::time::Duration::from_millis)
}

/// Applies every account's changes and says how it went on stderr; the
/// failures are in the outcomes (see [`failed_changes`]). Once `cancel` is
/// set no change or call starts; the calls in flight get
/// [`IN_FLIGHT_GRACE`] to end, then are abandoned.
pub(super) async fn apply_plans(
    ctx: &Ctx,
    work: Vec<(Arc<Aws>, Plan)>,
    concurrency: usize,
    cancel: &Cancel,
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
    let opts = RunOptions {
        concurrency,
        cancel,
        pace: pace(),
    };
    let run = stream::iter(work.iter())
        .map(|(aws, p)| run_changes_with(aws.as_ref(), p, &opts, &tick))
        .buffer_unordered(16)
        .collect::<Vec<Outcome>>();
    let grace = async {
        cancelled(cancel).await;
        tokio::time::sleep(IN_FLIGHT_GRACE).await;
    };
    let outcomes: Vec<Outcome> = tokio::select! {
        o = run => o,
        () = grace => {
            ctx.status(format!(
                "the calls in flight did not end within {}s of the interrupt and were abandoned: whether their changes were made is not known (`iamctl plan` shows it)",
                IN_FLIGHT_GRACE.as_secs()
            ));
            abandoned(&work)
        }
    };
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
    if outcomes.iter().any(|o| o.interrupted) {
        ctx.status(interrupted_summary(&outcomes, done, total));
    }
    outcomes
}

/// The outcomes of a run whose calls in flight were abandoned: nothing
/// known done.
fn abandoned(work: &[(Arc<Aws>, Plan)]) -> Vec<Outcome> {
    work.iter()
        .map(|(_, p)| Outcome {
            environment: p.environment.clone(),
            cut: p.changes.iter().map(Change::summary).collect(),
            interrupted: true,
            ..Outcome::default()
        })
        .collect()
}

/// `interrupted: N of M change(s) done; not done: …` (the first 20).
fn interrupted_summary(outcomes: &[Outcome], done: usize, total: usize) -> String {
    let not_done: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.cut
                .iter()
                .map(move |c| format!("{}: {c} (stopped midway)", o.environment))
                .chain(
                    o.not_attempted
                        .iter()
                        .map(move |c| format!("{}: {c}", o.environment)),
                )
        })
        .collect();
    let mut text = format!("interrupted: {done} of {total} change(s) done");
    if !not_done.is_empty() {
        let shown: Vec<&str> = not_done.iter().take(20).map(String::as_str).collect();
        text.push_str(&format!("; not done: {}", shown.join("; ")));
        if not_done.len() > 20 {
            text.push_str(&format!("; and {} more", not_done.len() - 20));
        }
    }
    text.push_str("; run the command again to finish");
    text
}

/// The error for the changes that failed, if any; an interrupted run's
/// (exit 130, its summary said already) first.
pub(super) fn failed_changes(outcomes: &[Outcome], command: &str) -> CmdResult {
    if outcomes.iter().any(|o| o.interrupted) {
        return Err(CommandError::silent(INTERRUPTED));
    }
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
                "stopped_midway": o.map(|o| o.cut.clone()).unwrap_or_default(),
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
        "result": if outcomes.iter().any(|o| o.interrupted) {
            "interrupted"
        } else if result.is_ok() {
            "ok"
        } else {
            "failed"
        },
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
