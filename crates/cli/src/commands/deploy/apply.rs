//! `iamctl apply`: plan again (or check a saved plan against a fresh one),
//! confirm, apply, then write the master copy.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;
use iamctl_config::Config;
use iamctl_iac::identity_center::change::IcPlan;
use iamctl_iac::identity_center::render as ic_render;
use iamctl_iac::plan::{Plan, PlanFile};
use iamctl_iac::render::{self};
use jiff::Timestamp;

use super::ic::{apply_ic, plan_errors, plan_ic, read_ic};
use super::master_copy::finish_master_copy;
use super::plan_file::{check_saved, read_plan_file};
use super::run::{apply_plans, failed_changes, outcome_json, with_clients};
use super::session::{interrupted_early, unless_cancelled, LockArgs, Session};
use super::target::{
    load_config, make_plan, now_of, plan_options, read_all_assumed, tag_scope, targets, TargetArgs,
};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Changes in flight at once, per account.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// How long to wait for another apply or cleanup of the same account to
    /// finish (`30s`, `5m`; default: do not wait, fail naming its holder).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = crate::commands::iac::parse_wait)]
    pub lock_timeout: crate::commands::iac::Wait,
    /// First remove the lock of this id, left by a run that died (the id is
    /// in the message naming the lock's holder); a lock of another id stays.
    #[arg(long, value_name = "ID")]
    pub force_unlock: Option<String>,
    /// Apply this saved plan: refused unless it was made from this
    /// configuration, the accounts are unchanged, and its changes are those a
    /// fresh plan makes.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
}

pub async fn apply(ctx: &Ctx, a: ApplyArgs) -> CmdResult {
    let now = now_of(ctx, &a.target)?;
    let config = load_config(&a.target.dir, now)?;
    let desired = targets(&config, &a.target, now)?;
    let saved: Option<PlanFile> = match &a.plan {
        Some(path) => Some(read_plan_file(path, &a.target.dir)?),
        None => None,
    };
    // The saved Identity Center part is checked against a fresh plan.
    let saved_ic = saved.as_ref().and_then(|f| f.identity_center.clone());
    // `--env` picks those environments' parts of a saved plan.
    let saved = saved.map(|mut file| {
        file.plans
            .retain(|p| a.target.envs.is_empty() || a.target.envs.contains(&p.environment));
        file.plans
    });
    let desired = match &saved {
        Some(plans) => desired
            .into_iter()
            .filter(|d| plans.iter().any(|p| p.environment == d.environment))
            .collect(),
        None => desired,
    };
    // One apply per account at a time: each account locked (and the
    // master-copy bucket's lock when configured), released at the end, also
    // after a failure or an interrupt.
    let how = LockArgs {
        command: "apply",
        timeout: a.lock_timeout.0,
        force_unlock: a.force_unlock.as_deref(),
    };
    let session = Session::open(ctx, &config, desired, &how).await?;
    let saved = saved.map(|plans| (plans, saved_ic));
    let result = apply_locked(ctx, &a, &config, &session, saved, now).await;
    let lost = session.lost_lock();
    session.close(ctx).await;
    lost.map_or(result, Err)
}

/// `apply` once the accounts are locked.
pub(super) async fn apply_locked(
    ctx: &Ctx,
    a: &ApplyArgs,
    config: &Config,
    session: &Session,
    saved: Option<(Vec<Plan>, Option<IcPlan>)>,
    now: Timestamp,
) -> CmdResult {
    let cancel = &session.cancel;
    let scope = tag_scope(config, &a.target);
    let read = read_all_assumed(
        ctx,
        session.assumed.clone(),
        a.target.team.as_deref(),
        &scope,
    );
    let Some(targets) = unless_cancelled(cancel, read).await else {
        return Err(interrupted_early(ctx, "apply"));
    };
    let targets = targets?;
    let plans: Vec<Plan> = targets
        .iter()
        .map(|t| make_plan(t, &plan_options(config, &a.target), now))
        .collect();
    if let Some((saved, _)) = &saved {
        check_saved(saved, &plans, &targets)?;
    }
    // A conflict blocks only the changes that depend on it (listed as
    // blocked); the others are applied, and the command fails at the end.
    let conflicts: usize = plans.iter().map(|p| p.conflicts.len()).sum();
    let blocked: usize = plans.iter().map(|p| p.blocked.len()).sum();
    let changed: BTreeSet<String> = plans
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.environment.clone())
        .collect();
    // Identity Center, when configured: planned before anything is
    // applied (an error there changes nothing anywhere), applied after IAM.
    let ic_run = read_ic(ctx, config, &targets, now).await?;
    let ic_plan = match &ic_run {
        Some(run) => Some(plan_ic(run, &targets, now).await),
        None => None,
    };
    if let Some(p) = &ic_plan {
        plan_errors(p)?;
    }
    if let Some((_, saved_ic)) = &saved {
        let fresh = ic_plan.as_ref().map(|p| &p.changes);
        if saved_ic.as_ref().map(|p| &p.changes) != fresh {
            return Err(CommandError::failure_help(
                "the saved plan's Identity Center changes are not those a fresh plan makes; nothing was applied",
                "the instance or the configuration changed since: plan again",
            ));
        }
    }
    let ic_changes = ic_plan.as_ref().is_some_and(|p| !p.is_empty());
    let mut outcomes = Vec::new();
    if changed.is_empty() && !ic_changes {
        if conflicts > 0 {
            eprint!("{}", render::text(&plans));
        } else {
            ctx.status("no changes: every account matches the configuration");
        }
    } else {
        eprint!("{}", render::text(&plans));
        if let Some(p) = ic_plan.as_ref().filter(|p| !p.is_empty()) {
            eprint!("\n{}", ic_render::text(p));
        }
        ctx.confirm("apply these changes?")?;
        if cancel.is_cancelled() {
            return Err(interrupted_early(ctx, "apply"));
        }
        if !changed.is_empty() {
            outcomes = apply_plans(
                ctx,
                with_clients(plans.clone(), &targets),
                usize::from(a.concurrency),
                cancel,
            )
            .await;
        }
    }
    let mut master_written = None;
    let result = match failed_changes(&outcomes, "apply") {
        Err(e) => Err(e),
        Ok(()) => {
            let r = unresolved(conflicts, blocked, &changed);
            if r.is_ok() {
                if let Some(master) = &config.settings.master_copy {
                    let written = finish_master_copy(ctx, master, a, &targets, &changed, now).await;
                    master_written = Some(written.is_ok());
                    written
                } else {
                    r
                }
            } else {
                r
            }
        }
    };
    let (result, ic_json) = match (result, &ic_run, &ic_plan) {
        (Ok(()), Some(run), Some(p)) => {
            let (r, j) = apply_ic(ctx, run, p).await;
            (r, Some(j))
        }
        (r, ..) => (r, None),
    };
    if ctx.json() {
        let mut out = outcome_json("apply", &plans, &outcomes, &result, master_written);
        if let (Some(j), Some(o)) = (ic_json, out.as_object_mut()) {
            o.insert("identity_center".to_owned(), j);
        }
        ctx.changed(out)?;
    }
    result
}

/// The error for conflicts left unresolved, saying what was applied.
pub(super) fn unresolved(
    conflicts: usize,
    blocked: usize,
    changed: &BTreeSet<String>,
) -> CmdResult {
    if conflicts > 0 {
        let what = match (blocked, changed.is_empty()) {
            (0, true) => "nothing was applied".to_owned(),
            (0, false) => "every other change was applied".to_owned(),
            (n, true) => format!("the {n} change(s) that depend on them were not applied"),
            (n, false) => format!(
                "the {n} change(s) that depend on them were not applied; every other change was"
            ),
        };
        return Err(CommandError::failure_help(
            format!("{conflicts} conflict(s) left unresolved; {what}"),
            "resolve them in the configuration, or pass `--adopt` for resources iamctl should take over, and run `iamctl apply` again",
        ));
    }
    Ok(())
}
