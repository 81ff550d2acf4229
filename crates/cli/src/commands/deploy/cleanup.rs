//! `iamctl cleanup`: removes the temporary grants that have expired.

use clap::Args;
use iamctl_config::DesiredAccount;
use iamctl_iac::plan::{self as planning, Plan};
use iamctl_iac::read::TagScope;
use iamctl_iac::render::{self};
use jiff::Timestamp;

use super::run::{apply_plans, failed_changes, outcome_json, with_clients};
use super::target::{load_config, now_of, read_all, targets, TargetArgs};
use crate::ctx::Ctx;
use crate::error::CmdResult;

#[derive(Args, Debug)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// How long to wait for another apply or cleanup of the same account to
    /// finish (`30s`, `5m`; default: do not wait). Needs `master_copy`.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = crate::commands::iac::parse_wait)]
    pub lock_timeout: crate::commands::iac::Wait,
    /// Changes in flight at once, per account.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

pub async fn cleanup(ctx: &Ctx, a: CleanupArgs) -> CmdResult {
    let now = now_of(ctx, &a.target)?;
    let config = load_config(&a.target.dir, now)?;
    let desired = targets(&config, &a.target, now)?;
    let locks = match &config.settings.master_copy {
        Some(m) => {
            crate::commands::iac::lock_accounts(
                ctx,
                &m.value,
                &desired,
                a.lock_timeout.0,
                "cleanup",
            )
            .await?
        }
        None => Vec::new(),
    };
    let result = cleanup_locked(ctx, &a, desired, now).await;
    crate::commands::iac::unlock(ctx, locks).await;
    result
}

/// `cleanup` once the accounts are locked.
pub(super) async fn cleanup_locked(
    ctx: &Ctx,
    a: &CleanupArgs,
    desired: Vec<DesiredAccount>,
    now: Timestamp,
) -> CmdResult {
    // Expired grants are found by their tags, whichever team made them.
    let targets = read_all(ctx, desired, a.target.team.as_deref(), &TagScope::All).await?;
    let plans: Vec<Plan> = targets
        .iter()
        .map(|t| {
            planning::cleanup_plan(
                &t.desired.environment,
                &t.desired.account_id,
                &t.actual,
                now,
            )
        })
        .collect();
    let mut outcomes = Vec::new();
    if plans.iter().all(Plan::is_empty) {
        ctx.status(format!(
            "nothing expired as of {}",
            iamctl_config::rfc3339(now)
        ));
    } else {
        eprint!("{}", render::text(&plans));
        ctx.confirm("remove these expired grants?")?;
        outcomes = apply_plans(
            ctx,
            with_clients(plans.clone(), &targets),
            usize::from(a.concurrency),
        )
        .await;
    }
    let result = failed_changes(&outcomes, "cleanup");
    if ctx.json() {
        ctx.changed(outcome_json("cleanup", &plans, &outcomes, &result, None))?;
    }
    result
}
