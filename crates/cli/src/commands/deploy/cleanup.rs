//! `iamctl cleanup`: removes the temporary grants that have expired.

use clap::Args;
use iamctl_iac::plan::{self as planning, Plan};
use iamctl_iac::read::TagScope;
use iamctl_iac::render::{self};
use jiff::Timestamp;

use super::ic::{apply_ic, cleanup_ic, read_ic};
use super::run::{apply_plans, failed_changes, outcome_json, with_clients};
use super::session::{interrupted_early, unless_cancelled, LockArgs, Session};
use super::target::{load_config, now_of, read_all_assumed, targets, TargetArgs};
use crate::ctx::Ctx;
use crate::error::CmdResult;

#[derive(Args, Debug)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// How long to wait for another apply or cleanup of the same account to
    /// finish (`30s`, `5m`; default: do not wait, fail naming its holder).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = crate::commands::iac::parse_wait)]
    pub lock_timeout: crate::commands::iac::Wait,
    /// First remove the lock of this id, left by a run that died.
    #[arg(long, value_name = "ID")]
    pub force_unlock: Option<String>,
    /// Changes in flight at once, per account.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

pub async fn cleanup(ctx: &Ctx, a: CleanupArgs) -> CmdResult {
    let now = now_of(ctx, &a.target)?;
    let config = load_config(&a.target.dir, now)?;
    let desired = targets(&config, &a.target, now)?;
    let how = LockArgs {
        command: "cleanup",
        timeout: a.lock_timeout.0,
        force_unlock: a.force_unlock.as_deref(),
    };
    let session = Session::open(ctx, &config, desired, &how).await?;
    let result = cleanup_locked(ctx, &a, &config, &session, now).await;
    let lost = session.lost_lock();
    session.close(ctx).await;
    lost.map_or(result, Err)
}

/// `cleanup` once the accounts are locked.
pub(super) async fn cleanup_locked(
    ctx: &Ctx,
    a: &CleanupArgs,
    config: &iamctl_config::Config,
    session: &Session,
    now: Timestamp,
) -> CmdResult {
    let cancel = &session.cancel;
    // Expired grants are found by their tags, whichever team made them.
    let read = read_all_assumed(
        ctx,
        session.assumed.clone(),
        a.target.team.as_deref(),
        &TagScope::All,
    );
    let Some(targets) = unless_cancelled(cancel, read).await else {
        return Err(interrupted_early(ctx, "cleanup"));
    };
    let targets = targets?;
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
    // Identity Center's expired temporary permission sets, by their tag.
    let ic_run = read_ic(ctx, config, &targets, now).await?;
    let ic_plan = ic_run.as_ref().map(|r| cleanup_ic(r, now));
    let ic_changes = ic_plan.as_ref().is_some_and(|p| !p.is_empty());
    let mut outcomes = Vec::new();
    if plans.iter().all(Plan::is_empty) && !ic_changes {
        ctx.status(format!(
            "nothing expired as of {}",
            iamctl_config::rfc3339(now)
        ));
    } else {
        eprint!("{}", render::text(&plans));
        if let Some(p) = ic_plan.as_ref().filter(|p| !p.is_empty()) {
            eprint!("\n{}", iamctl_iac::identity_center::render::text(p));
        }
        ctx.confirm("remove these expired grants?")?;
        if cancel.is_cancelled() {
            return Err(interrupted_early(ctx, "cleanup"));
        }
        outcomes = apply_plans(
            ctx,
            with_clients(plans.clone(), &targets),
            usize::from(a.concurrency),
            cancel,
        )
        .await;
    }
    let result = failed_changes(&outcomes, "cleanup");
    let (result, ic_json) = match (result, &ic_run, &ic_plan) {
        (Ok(()), Some(run), Some(p)) => {
            let (r, j) = apply_ic(ctx, run, p).await;
            (r, Some(j))
        }
        (r, ..) => (r, None),
    };
    if ctx.json() {
        let mut out = outcome_json("cleanup", &plans, &outcomes, &result, None);
        if let (Some(j), Some(o)) = (ic_json, out.as_object_mut()) {
            o.insert("identity_center".to_owned(), j);
        }
        ctx.changed(out)?;
    }
    result
}
