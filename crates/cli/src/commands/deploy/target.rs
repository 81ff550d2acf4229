//! Which accounts, as whom, and reading them: the deployer role assumed
//! here (never falling back to the caller's own account), then the account
//! read through the engine ([`iamctl_iac::read`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Args;
use futures::stream::{self, StreamExt, TryStreamExt};
use iamctl_aws::Aws;
use iamctl_config::{Config, DesiredAccount};
use iamctl_iac::plan::{self as planning, ActualAccount, Plan, PlanOptions};
use iamctl_iac::read::{read_account, TagScope};
use iamctl_policy::snapshot::Snapshot;
use jiff::Timestamp;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// Which accounts and as whom.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// The configuration directory.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Only these environments (repeatable; default: every one).
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<String>,
    /// Only this team's resources.
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// The role to assume in each account (default: the configuration's, else
    /// `IAMAsCodeDeployer`).
    #[arg(long, value_name = "NAME")]
    pub deployer_role: Option<String>,
    /// Act as of this instant (RFC 3339, UTC) instead of now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Take over untagged resources whose names the configuration wants.
    #[arg(long)]
    pub adopt: bool,
    /// Also remove what teams without files in DIR own (else they are
    /// reported and left alone).
    #[arg(long)]
    pub prune_teams: bool,
}

/// Whose policy tags plan and apply read: the configuration's teams', or
/// every policy's with `--prune-teams`.
pub(super) fn tag_scope(config: &Config, t: &TargetArgs) -> TagScope {
    if t.prune_teams {
        TagScope::All
    } else {
        TagScope::Teams(config.teams.keys().cloned().collect())
    }
}

/// The planner's options: only the teams with files in the directory are
/// managed.
pub(super) fn plan_options(config: &Config, t: &TargetArgs) -> PlanOptions {
    PlanOptions {
        adopt: t.adopt,
        teams: Some(config.teams.keys().cloned().collect()),
        prune_teams: t.prune_teams,
    }
}

pub(super) fn now_of(ctx: &Ctx, t: &TargetArgs) -> CmdResult<Timestamp> {
    match &t.at {
        Some(text) => crate::commands::analyze::parse_at(text),
        None => Ok(ctx.now),
    }
}

/// Loads and validates; any error stops before a single AWS call.
pub(super) fn load_config(dir: &Path, now: Timestamp) -> CmdResult<Config> {
    let (config, diags) = iamctl_config::check(dir, now);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        crate::commands::iac::print_diagnostics(&errors);
        return Err(CommandError::invalid_help(
            format!(
                "the configuration in `{}` has {} error(s); no account was read or changed",
                dir.display(),
                errors.len()
            ),
            "run `iamctl validate` to see every problem",
        ));
    }
    Ok(config)
}

/// The desired state of each selected environment.
pub(super) fn targets(
    config: &Config,
    t: &TargetArgs,
    now: Timestamp,
) -> CmdResult<Vec<DesiredAccount>> {
    let all = iamctl_config::environments(config);
    for e in &t.envs {
        if !all.contains(e) {
            return Err(CommandError::invalid(format!(
                "no account for environment `{e}` in the configuration (known: {})",
                all.join(", ")
            )));
        }
    }
    let mut config = config.clone();
    if let Some(team) = &t.team {
        if !config.teams.contains_key(team) {
            return Err(CommandError::invalid(format!(
                "no team `{team}` in the configuration"
            )));
        }
        config.teams.retain(|name, _| name == team);
    }
    refuse_identity_center(&config)?;
    let mut out = Vec::new();
    for env in all {
        if !t.envs.is_empty() && !t.envs.contains(&env) {
            continue;
        }
        if let Some(mut d) = iamctl_config::desired_state(&config, &env, now) {
            if let Some(role) = &t.deployer_role {
                d.deployer_role = role.clone();
            }
            out.push(d);
        }
    }
    Ok(out)
}

/// Organization policies, and Identity Center entries without
/// `settings.identity_center` (no instance to plan them against), are read
/// and validated but not planned: rather than leave an SCP unattached or a
/// person's access silently ungranted, plan, apply and cleanup stop.
fn refuse_identity_center(config: &Config) -> CmdResult<()> {
    let found = config.teams.values().find_map(|t| {
        if t.has_identity_center() && config.settings.identity_center.is_none() {
            Some((
                t,
                "Identity Center entries but no `settings.identity_center`",
            ))
        } else if !t.org_policies.is_empty() {
            Some((t, "organization policies (`org-policies/`)"))
        } else {
            None
        }
    });
    let Some((team, what)) = found else {
        return Ok(());
    };
    Err(CommandError::failure_help(
        format!(
            "team `{}` has {what}, which this version validates but cannot plan or apply yet; no account was read or changed",
            team.name
        ),
        "`iamctl validate` checks them; plan the other teams with `--team NAME`",
    ))
}

/// One account, read.
pub(crate) struct Target {
    pub(crate) desired: DesiredAccount,
    pub(crate) aws: Aws,
    /// GetAccountAuthorizationDetails, plus the AWS-managed documents read.
    pub(crate) snapshot: Snapshot,
    pub(crate) actual: ActualAccount,
    pub(crate) sources: HashMap<String, Value>,
    pub(crate) pages: usize,
    pub(crate) calls: usize,
}

/// Reads one account as `desired` says (account, deployer role, external id):
/// used by plan, apply, cleanup and import.
pub(crate) async fn read_target(
    ctx: &Ctx,
    desired: DesiredAccount,
    team: Option<&str>,
) -> CmdResult<Target> {
    read_target_scoped(ctx, desired, team, &TagScope::All).await
}

/// [`read_target`], reading the tags of the policies `scope` names: the
/// deployer role assumed here, the account read through the engine.
pub(super) async fn read_target_scoped(
    ctx: &Ctx,
    desired: DesiredAccount,
    team: Option<&str>,
    scope: &TagScope,
) -> CmdResult<Target> {
    let aws = assume(ctx, &desired).await?;
    read_assumed(aws, desired, team, scope).await
}

/// The deployer role of `desired`'s account, assumed (never falling back
/// to the caller's own account).
pub(super) async fn assume(ctx: &Ctx, desired: &DesiredAccount) -> CmdResult<Aws> {
    let base = ctx.aws().await;
    let acct = desired.account_id.clone();
    let role_arn = deployer_role_arn(desired);
    base.assume(
        &role_arn,
        "iamctl",
        desired.external_id.as_deref(),
        &acct,
    )
    .await
    .map_err(|e| {
        CommandError::failure_help(
            format!("environment `{}` (account `{acct}`): {e}", desired.environment),
            "iamctl never falls back to the caller's own account: check that the deployer role exists and trusts you (`--deployer-role`, `external_id`)",
        )
    })
}

/// One account read through the clients of its assumed deployer role.
pub(super) async fn read_assumed(
    aws: Aws,
    desired: DesiredAccount,
    team: Option<&str>,
    scope: &TagScope,
) -> CmdResult<Target> {
    let read = read_account(&aws, &desired, team, scope).await?;
    Ok(Target {
        desired,
        aws,
        snapshot: read.snapshot,
        actual: read.actual,
        sources: read.sources,
        pages: read.pages,
        // AssumeRole and GetCallerIdentity.
        calls: read.calls + 2,
    })
}

pub(super) fn make_plan(t: &Target, opts: &PlanOptions, now: Timestamp) -> Plan {
    let mut p = planning::plan(&t.desired, &t.actual, &t.sources, opts);
    iamctl_iac::access::add_effects(&mut p, &t.desired, &t.snapshot, now);
    p
}

/// The role assumed in the account of `desired`.
fn deployer_role_arn(desired: &DesiredAccount) -> String {
    format!(
        "arn:aws:iam::{}:role/{}",
        desired.account_id, desired.deployer_role
    )
}

/// Reads every target concurrently, and says which accounts and through
/// which role (the changes are made there, not in the caller's account).
pub(super) async fn read_all(
    ctx: &Ctx,
    desired: Vec<DesiredAccount>,
    team: Option<&str>,
    scope: &TagScope,
) -> CmdResult<Vec<Target>> {
    let targets: Vec<Target> = stream::iter(desired)
        .map(|d| read_target_scoped(ctx, d, team, scope))
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(read_done(ctx, targets))
}

/// Reads every account whose deployer role is assumed already (`apply` and
/// `cleanup` lock each account before reading it), concurrently.
pub(super) async fn read_all_assumed(
    ctx: &Ctx,
    assumed: Vec<(DesiredAccount, Aws)>,
    team: Option<&str>,
    scope: &TagScope,
) -> CmdResult<Vec<Target>> {
    let targets: Vec<Target> = stream::iter(assumed)
        .map(|(d, aws)| read_assumed(aws, d, team, scope))
        .buffer_unordered(16)
        .try_collect()
        .await?;
    Ok(read_done(ctx, targets))
}

/// Says what reading cost; the targets in environment order.
fn read_done(ctx: &Ctx, mut targets: Vec<Target>) -> Vec<Target> {
    let n = targets.len();
    let pages: usize = targets.iter().map(|t| t.pages).sum();
    let calls: usize = targets.iter().map(|t| t.calls).sum();
    ctx.status(format!(
        "read {n} account(s): {pages} page(s) of GetAccountAuthorizationDetails, {calls} request(s) in all"
    ));
    targets.sort_by(|a, b| a.desired.environment.cmp(&b.desired.environment));
    for t in &targets {
        ctx.status(format!(
            "  {}: account {} through the role {}",
            t.desired.environment,
            t.desired.account_id,
            deployer_role_arn(&t.desired)
        ));
    }
    targets
}
