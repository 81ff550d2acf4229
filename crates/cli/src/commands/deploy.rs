//! IAM as code against accounts: `plan`, `apply` and `cleanup`.
//!
//! Every account is read the same way, all of them at once: assume the
//! deployer role (never falling back to the caller's own account), read
//! `GetAccountAuthorizationDetails` pages, then only what that call cannot
//! give: the tags of customer-managed policies, and the documents of
//! AWS-managed policies the plan needs (temporary copies, access diffs).

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use futures::stream::{self, StreamExt, TryStreamExt};
use iamctl_aws::Aws;
use iamctl_config::{Config, DesiredAccount};
use iamctl_iac::apply::{run_changes, Outcome};
use iamctl_iac::plan::{self as planning, ActualAccount, Change, Plan, PlanFile, PlanOptions};
use iamctl_iac::read::{read_account, TagScope};
use iamctl_iac::render::{self, Format};
use jiff::Timestamp;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// How `plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

impl From<PlanFormat> for Format {
    fn from(f: PlanFormat) -> Format {
        match f {
            PlanFormat::Text => Format::Text,
            PlanFormat::Json => Format::Json,
            PlanFormat::Markdown => Format::Markdown,
        }
    }
}

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
fn tag_scope(config: &Config, t: &TargetArgs) -> TagScope {
    if t.prune_teams {
        TagScope::All
    } else {
        TagScope::Teams(config.teams.keys().cloned().collect())
    }
}

/// The planner's options: only the teams with files in the directory are
/// managed.
fn plan_options(config: &Config, t: &TargetArgs) -> PlanOptions {
    PlanOptions {
        adopt: t.adopt,
        teams: Some(config.teams.keys().cloned().collect()),
        prune_teams: t.prune_teams,
    }
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Exit 0 when there is nothing to change, 2 when there is, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// `text` for people, `markdown` for a pull-request comment, `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Also save the plan (JSON) for `apply --plan FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Check every policy document the plan would write (repeatable):
    /// `no-new-access` (customer and inline policies against what the account
    /// holds now; a new policy against none), `no-public-access` (role trust
    /// policies). A FAIL exits 4 after the plan.
    #[arg(long = "check", value_enum, value_name = "CHECK")]
    pub checks: Vec<PlanCheck>,
}

/// The checks `plan --check` runs.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanCheck {
    NoNewAccess,
    NoPublicAccess,
}

/// One document a plan would write, checked: where, which check, the report.
struct Checked {
    what: String,
    check: &'static str,
    report: iamctl_policy::check::Report,
}

/// Runs `checks` on every policy document the plans would write.
fn check_plans(plans: &[Plan], checks: &[PlanCheck]) -> CmdResult<Vec<Checked>> {
    use iamctl_policy::check::{self, CheckType, Doc};
    const EMPTY: &str = r#"{"Version": "2012-10-17", "Statement": []}"#;
    let parse = |what: &str, v: &Value| {
        Doc::parse(what, &render::pretty(v)).map_err(|e| CommandError {
            kind: crate::error::Kind::InvalidInput,
            report: miette::Report::new(e),
        })
    };
    let mut out = Vec::new();
    for p in plans {
        for c in &p.changes {
            let Some((old, new)) = c.documents() else {
                continue;
            };
            let (what, trust) = match c {
                Change::CreatePolicy { name, .. }
                | Change::UpdatePolicy { name, .. }
                | Change::MovePolicy { name, .. } => (format!("policy {name}"), false),
                Change::PutInline {
                    kind, name, policy, ..
                } => (
                    format!("inline policy {policy} of {} {name}", kind.as_str()),
                    false,
                ),
                Change::CreateRole { name, .. } | Change::UpdateTrust { name, .. } => {
                    (format!("trust policy of role {name}"), true)
                }
                _ => continue,
            };
            let what = format!("{} ({}): {what}", p.environment, p.account_id);
            let new_doc = parse(&what, new)?;
            if checks.contains(&PlanCheck::NoNewAccess) && !trust {
                let base = match old {
                    Some(v) => parse(&format!("{what} (now)"), v)?,
                    None => Doc::parse(&format!("{what} (none now)"), EMPTY).map_err(|e| {
                        CommandError::failure(format!("cannot read the empty policy: {e}"))
                    })?,
                };
                out.push(Checked {
                    what: what.clone(),
                    check: "no-new-access",
                    report: check::no_new_access(&base, &new_doc, CheckType::Identity),
                });
            }
            if checks.contains(&PlanCheck::NoPublicAccess) && trust {
                let report =
                    check::no_public_access(&new_doc, "AWS::IAM::AssumeRolePolicyDocument")
                        .map_err(|e| CommandError {
                            kind: crate::error::Kind::InvalidInput,
                            report: miette::Report::new(e),
                        })?;
                out.push(Checked {
                    what,
                    check: "no-public-access",
                    report,
                });
            }
        }
    }
    Ok(out)
}

/// The checks' results for people: one line per document, then each reason
/// and the request that proves it.
fn checks_text(checked: &[Checked]) -> String {
    let mut out = String::new();
    if checked.is_empty() {
        out.push_str("checks: no policy document to check\n");
    }
    for c in checked {
        out.push_str(&format!(
            "check {}: {}: {}\n",
            c.check, c.what, c.report.verdict
        ));
        for r in &c.report.reasons {
            match &r.statement {
                Some(st) => out.push_str(&format!(
                    "  {st} (line {}, column {}): {}\n",
                    st.line, st.column, r.message
                )),
                None => out.push_str(&format!("  {}\n", r.message)),
            }
            if let Some(w) = &r.request {
                out.push_str(&format!("    request: {} on {}\n", w.action, w.resource));
            }
        }
        if let Some(n) = c.report.actions_with_new_access {
            if n > c.report.reasons.len() {
                out.push_str(&format!(
                    "  ... and {} more action(s) with new access\n",
                    n - c.report.reasons.len()
                ));
            }
        }
    }
    out
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Changes in flight at once, per account.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// How long to wait for another apply or cleanup of the same account to
    /// finish (`30s`, `5m`; default: do not wait). Needs `master_copy`.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = super::iac::parse_wait)]
    pub lock_timeout: super::iac::Wait,
    /// Apply this saved plan: refused unless it was made from this
    /// configuration, the accounts are unchanged, and its changes are those a
    /// fresh plan makes.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// How long to wait for another apply or cleanup of the same account to
    /// finish (`30s`, `5m`; default: do not wait). Needs `master_copy`.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = super::iac::parse_wait)]
    pub lock_timeout: super::iac::Wait,
    /// Changes in flight at once, per account.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

fn now_of(ctx: &Ctx, t: &TargetArgs) -> CmdResult<Timestamp> {
    match &t.at {
        Some(text) => super::analyze::parse_at(text),
        None => Ok(ctx.now),
    }
}

/// Loads and validates; any error stops before a single AWS call.
fn load_config(dir: &Path, now: Timestamp) -> CmdResult<Config> {
    let (config, diags) = iamctl_config::check(dir, now);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        for d in &errors {
            eprint!("{}", super::iac::render(d));
        }
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
fn targets(config: &Config, t: &TargetArgs, now: Timestamp) -> CmdResult<Vec<DesiredAccount>> {
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

/// One account, read.
pub(crate) struct Target {
    pub(crate) desired: DesiredAccount,
    pub(crate) aws: Aws,
    /// GetAccountAuthorizationDetails, plus the AWS-managed documents read.
    pub(crate) snapshot: Value,
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
async fn read_target_scoped(
    ctx: &Ctx,
    desired: DesiredAccount,
    team: Option<&str>,
    scope: &TagScope,
) -> CmdResult<Target> {
    let base = ctx.aws().await;
    let acct = desired.account_id.clone();
    let role_arn = format!("arn:aws:iam::{acct}:role/{}", desired.deployer_role);
    let aws = base
        .assume(
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
        })?;
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

fn make_plan(t: &Target, opts: &PlanOptions, now: Timestamp) -> Plan {
    let mut p = planning::plan(&t.desired, &t.actual, &t.sources, opts);
    iamctl_iac::access::add_effects(&mut p, &t.desired, &t.snapshot, now);
    p
}

/// Reads every target concurrently.
async fn read_all(
    ctx: &Ctx,
    desired: Vec<DesiredAccount>,
    team: Option<&str>,
    scope: &TagScope,
) -> CmdResult<Vec<Target>> {
    let n = desired.len();
    let targets: Vec<Target> = stream::iter(desired)
        .map(|d| read_target_scoped(ctx, d, team, scope))
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let pages: usize = targets.iter().map(|t| t.pages).sum();
    let calls: usize = targets.iter().map(|t| t.calls).sum();
    ctx.status(format!(
        "read {n} account(s): {pages} page(s) of GetAccountAuthorizationDetails, {calls} request(s) in all"
    ));
    let mut targets = targets;
    targets.sort_by(|a, b| a.desired.environment.cmp(&b.desired.environment));
    Ok(targets)
}

/// The text plan for a colour terminal: `+` lines green, `-` red, `~`
/// yellow, warnings and conflicts bold.
fn colored(plan: &str) -> String {
    const GREEN: &str = "\x1b[32m";
    const RED: &str = "\x1b[31m";
    const YELLOW: &str = "\x1b[33m";
    const BOLD: &str = "\x1b[1m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(plan.len() + plan.len() / 8);
    for line in plan.lines() {
        let body = line.trim_start();
        let style = if body.starts_with("+ ") || body == "+" {
            Some(GREEN)
        } else if body.starts_with("- ") || body == "-" {
            Some(RED)
        } else if body.starts_with("~ ") {
            Some(YELLOW)
        } else if body.starts_with("warning:") || body.starts_with("conflict:") {
            Some(BOLD)
        } else {
            None
        };
        match style {
            Some(s) => out.push_str(&format!("{s}{line}{RESET}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

pub async fn plan(ctx: &Ctx, a: PlanArgs) -> CmdResult {
    let now = now_of(ctx, &a.target)?;
    let config = load_config(&a.target.dir, now)?;
    let desired = targets(&config, &a.target, now)?;
    let targets = read_all(
        ctx,
        desired,
        a.target.team.as_deref(),
        &tag_scope(&config, &a.target),
    )
    .await?;
    let plans: Vec<Plan> = targets
        .iter()
        .map(|t| make_plan(t, &plan_options(&config, &a.target), now))
        .collect();
    let file = PlanFile::new(
        config_sha256(&a.target.dir)?,
        iamctl_config::rfc3339(now),
        plans,
    );
    let plans = &file.plans;
    if let Some(path) = &a.out {
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| CommandError::failure(format!("cannot encode the plan: {e}")))?;
        std::fs::write(path, text + "\n").map_err(|e| {
            CommandError::failure(format!("cannot write `{}`: {e}", path.display()))
        })?;
        ctx.status(format!("saved the plan to `{}`", path.display()));
    }
    let format = if ctx.json() {
        PlanFormat::Json
    } else {
        a.format
    };
    let out = render::render(&file, format.into());
    if format == PlanFormat::Text && crate::ctx::color() {
        print!("{}", colored(&out));
    } else {
        print!("{out}");
    }
    if !a.checks.is_empty() {
        let checked = check_plans(plans, &a.checks)?;
        let text = checks_text(&checked);
        if format == PlanFormat::Json {
            eprint!("{text}");
        } else {
            print!("\n{text}");
        }
        let failed: Vec<&Checked> = checked
            .iter()
            .filter(|c| c.report.verdict == iamctl_policy::check::Verdict::Fail)
            .collect();
        if !failed.is_empty() {
            return Err(CommandError::check_failed(format!(
                "plan --check: {} policy document(s) FAIL: {}",
                failed.len(),
                failed
                    .iter()
                    .map(|c| format!("{} ({})", c.what, c.check))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let conflicts: usize = plans.iter().map(|p| p.conflicts.len()).sum();
    if conflicts > 0 {
        return Err(CommandError::failure_help(
            format!("{conflicts} conflict(s) would stop `apply`"),
            "resolve them in the configuration, or pass `--adopt` for resources iamctl should take over",
        ));
    }
    if a.detailed_exitcode && plans.iter().any(|p| !p.is_empty()) {
        return Err(CommandError::silent(2));
    }
    Ok(())
}

/// Each non-empty plan with the clients of its account.
fn with_clients(plans: Vec<Plan>, targets: &[Target]) -> Vec<(Arc<Aws>, Plan)> {
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
async fn apply_plans(ctx: &Ctx, work: Vec<(Arc<Aws>, Plan)>, concurrency: usize) -> Vec<Outcome> {
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
fn failed_changes(outcomes: &[Outcome], command: &str) -> CmdResult {
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
fn outcome_json(
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

pub async fn apply(ctx: &Ctx, a: ApplyArgs) -> CmdResult {
    let now = now_of(ctx, &a.target)?;
    let config = load_config(&a.target.dir, now)?;
    let desired = targets(&config, &a.target, now)?;
    let saved: Option<PlanFile> = match &a.plan {
        Some(path) => Some(read_plan_file(path, &a.target.dir)?),
        None => None,
    };
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
    // One apply per account at a time: a lock in the master-copy bucket.
    let locks = match &config.settings.master_copy {
        Some(m) => {
            super::iac::lock_accounts(ctx, &m.value, &desired, a.lock_timeout.0, "apply").await?
        }
        None => Vec::new(),
    };
    let result = apply_locked(ctx, &a, &config, desired, saved, now).await;
    super::iac::unlock(ctx, locks).await;
    result
}

/// `apply` once the accounts are locked.
async fn apply_locked(
    ctx: &Ctx,
    a: &ApplyArgs,
    config: &Config,
    desired: Vec<DesiredAccount>,
    saved: Option<Vec<Plan>>,
    now: Timestamp,
) -> CmdResult {
    let targets = read_all(
        ctx,
        desired,
        a.target.team.as_deref(),
        &tag_scope(config, &a.target),
    )
    .await?;
    let plans: Vec<Plan> = targets
        .iter()
        .map(|t| make_plan(t, &plan_options(config, &a.target), now))
        .collect();
    if let Some(saved) = &saved {
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
    let mut outcomes = Vec::new();
    if changed.is_empty() {
        if conflicts > 0 {
            eprint!("{}", render::text(&plans));
        } else {
            ctx.status("no changes: every account matches the configuration");
        }
    } else {
        eprint!("{}", render::text(&plans));
        ctx.confirm("apply these changes?")?;
        outcomes = apply_plans(
            ctx,
            with_clients(plans.clone(), &targets),
            usize::from(a.concurrency),
        )
        .await;
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
    if ctx.json() {
        ctx.changed(outcome_json(
            "apply",
            &plans,
            &outcomes,
            &result,
            master_written,
        ))?;
    }
    result
}

/// The error for conflicts left unresolved, saying what was applied.
fn unresolved(conflicts: usize, blocked: usize, changed: &BTreeSet<String>) -> CmdResult {
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

/// Writes the master copy, only after a successful apply; the IAM changes
/// stand either way.
async fn finish_master_copy(
    ctx: &Ctx,
    master: &iamctl_config::Spanned<String>,
    a: &ApplyArgs,
    targets: &[Target],
    changed: &BTreeSet<String>,
    now: Timestamp,
) -> CmdResult {
    if let Err(e) = master_copy(ctx, &master.value, &a.target.dir, targets, changed, now).await {
        eprintln!("{:?}", e.report);
        ctx.status(format!(
            "the master copy was not written to `{}`; the IAM changes were applied and stand (exit {MASTER_COPY_FAILED})",
            master.value
        ));
        return Err(CommandError::silent(MASTER_COPY_FAILED));
    }
    Ok(())
}

/// The SHA-256 of the configuration tree (every `*.yaml` under `dir`).
fn config_sha256(dir: &Path) -> CmdResult<String> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    let mut bodies = Vec::new();
    for (rel, path) in files {
        let body = std::fs::read(&path)
            .map_err(|e| CommandError::failure(format!("cannot read `{}`: {e}", path.display())))?;
        bodies.push((rel, body));
    }
    Ok(planning::config_digest(&bodies))
}

/// Reads a saved plan and checks it was made from this configuration tree.
fn read_plan_file(path: &Path, dir: &Path) -> CmdResult<PlanFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    let file = PlanFile::parse(&text).map_err(|e| {
        CommandError::invalid_help(
            format!("`{}`: {e}", path.display()),
            "save a plan with `iamctl plan --out FILE`",
        )
    })?;
    let digest = config_sha256(dir)?;
    if file.config_sha256 != digest {
        return Err(CommandError::failure_help(
            format!(
                "the plan `{}` was made from another configuration than `{}` (sha256 `{}`, now `{digest}`); nothing was applied",
                path.display(),
                dir.display(),
                file.config_sha256
            ),
            "run `iamctl plan --out FILE` on this configuration and review it",
        ));
    }
    Ok(file)
}

/// A saved plan applies only when the accounts are as it saw them and its
/// changes are exactly those a fresh plan of the same configuration makes:
/// an edited plan file can never do more than the reviewed configuration.
fn check_saved(saved: &[Plan], fresh: &[Plan], targets: &[Target]) -> CmdResult {
    for p in saved {
        let (Some(t), Some(f)) = (
            targets
                .iter()
                .find(|t| t.desired.environment == p.environment),
            fresh.iter().find(|f| f.environment == p.environment),
        ) else {
            return Err(CommandError::failure(format!(
                "the plan names environment `{}`, which the configuration does not have; nothing was applied",
                p.environment
            )));
        };
        if t.actual.fingerprint != p.fingerprint {
            return Err(CommandError::failure_help(
                format!(
                    "account `{}` ({}) changed since the plan was made; nothing was applied",
                    p.account_id, p.environment
                ),
                "run `iamctl plan --out FILE` again and review it",
            ));
        }
        if let Some(diff) = planning::first_difference(p, f) {
            return Err(CommandError::failure_help(
                format!(
                    "the saved plan for `{}` is not what the configuration plans: {diff}; nothing was applied",
                    p.environment
                ),
                "a saved plan only ever applies the changes a fresh plan of the same configuration makes; run `iamctl plan --out FILE` again",
            ));
        }
    }
    Ok(())
}

/// `apply`'s exit status when every change was applied but the master copy
/// could not be written.
pub const MASTER_COPY_FAILED: u8 = crate::error::exit::MASTER_COPY_FAILED;

/// Seed 001's master copy: the configuration tree and each account's
/// snapshot, under a timestamp. Only the accounts apply changed are read
/// again; the others are as plan read them.
async fn master_copy(
    ctx: &Ctx,
    location: &str,
    dir: &Path,
    targets: &[Target],
    changed: &BTreeSet<String>,
    now: Timestamp,
) -> CmdResult {
    let rest = location.strip_prefix("s3://").ok_or_else(|| {
        CommandError::invalid(format!(
            "`master_copy` `{location}` must be `s3://bucket/prefix`"
        ))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_end_matches('/');
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = if prefix.is_empty() {
        stamp
    } else {
        format!("{prefix}/{stamp}")
    };
    let tags = [(
        iamctl_config::MANAGED_BY.0.to_owned(),
        iamctl_config::MANAGED_BY.1.to_owned(),
    )];
    let (b, created) = ctx.aws().await.create_private_bucket(bucket, &tags).await?;
    if created {
        ctx.status(format!(
            "master copy: created bucket `{bucket}` (Block Public Access, default encryption, versioning, tagged {}={})",
            tags[0].0, tags[0].1
        ));
    }
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    for (rel, path) in &files {
        let body = std::fs::read(path)?;
        b.put_object(&format!("{base}/config/{rel}"), body, "application/yaml")
            .await?;
    }
    for t in targets {
        let document = if changed.contains(&t.desired.environment) {
            t.aws.authorization_details(true).await?.document
        } else {
            t.snapshot.clone()
        };
        let body = serde_json::to_vec_pretty(&document)
            .map_err(|e| CommandError::failure(format!("cannot encode snapshot: {e}")))?;
        b.put_object(
            &format!("{base}/snapshots/{}.json", t.desired.environment),
            body,
            "application/json",
        )
        .await?;
    }
    ctx.status(format!(
        "master copy: {} file(s) and {} snapshot(s) in s3://{bucket}/{base}/",
        files.len(),
        targets.len()
    ));
    Ok(())
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> CmdResult {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
    Ok(())
}

pub async fn cleanup(ctx: &Ctx, a: CleanupArgs) -> CmdResult {
    let now = now_of(ctx, &a.target)?;
    let config = load_config(&a.target.dir, now)?;
    let desired = targets(&config, &a.target, now)?;
    let locks = match &config.settings.master_copy {
        Some(m) => {
            super::iac::lock_accounts(ctx, &m.value, &desired, a.lock_timeout.0, "cleanup").await?
        }
        None => Vec::new(),
    };
    let result = cleanup_locked(ctx, &a, desired, now).await;
    super::iac::unlock(ctx, locks).await;
    result
}

/// `cleanup` once the accounts are locked.
async fn cleanup_locked(
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
