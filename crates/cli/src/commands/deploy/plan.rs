//! `iamctl plan`: what would change, rendered by the engine
//! ([`iamctl_iac::render`]), coloured here for a terminal; `--check` runs
//! the policy checks over the documents a plan would write.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use iamctl_iac::checks::{check_plans, checks_text, Checked};
use iamctl_iac::plan::{Plan, PlanFile};
use iamctl_iac::render::{self, Format};

use super::ic::{plan_errors, plan_ic, read_ic};
use super::plan_file::config_sha256;
use super::target::{
    load_config, make_plan, now_of, plan_options, read_all, tag_scope, targets, TargetArgs,
};
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

impl From<PlanCheck> for iamctl_iac::checks::PlanCheck {
    fn from(c: PlanCheck) -> iamctl_iac::checks::PlanCheck {
        match c {
            PlanCheck::NoNewAccess => iamctl_iac::checks::PlanCheck::NoNewAccess,
            PlanCheck::NoPublicAccess => iamctl_iac::checks::PlanCheck::NoPublicAccess,
        }
    }
}

/// The text plan for a colour terminal: `+` lines green, `-` red, `~`
/// yellow, warnings and conflicts bold.
pub(super) fn colored(plan: &str) -> String {
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
    let ic = match read_ic(ctx, &config, &targets, now).await? {
        Some(run) => Some(plan_ic(&run, &targets, now).await),
        None => None,
    };
    let mut file = PlanFile::new(
        config_sha256(&a.target.dir)?,
        iamctl_config::rfc3339(now),
        plans,
    );
    file.identity_center = ic;
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
    let mut out = render::render(&file, format.into());
    if let (Some(ic), false) = (&file.identity_center, format == PlanFormat::Json) {
        out.push('\n');
        out.push_str(&iamctl_iac::identity_center::render::render(
            ic,
            format.into(),
        ));
    }
    crate::ctx::mark_stdout_used();
    if format == PlanFormat::Text && crate::ctx::color() {
        print!("{}", colored(&out));
    } else {
        print!("{out}");
    }
    if !a.checks.is_empty() {
        let checks: Vec<_> = a.checks.iter().map(|&c| c.into()).collect();
        let checked = check_plans(plans, &checks).map_err(|e| CommandError {
            kind: crate::error::Kind::InvalidInput,
            report: miette::Report::new(e),
        })?;
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
    if let Some(ic) = &file.identity_center {
        plan_errors(ic)?;
    }
    let conflicts: usize = plans.iter().map(|p| p.conflicts.len()).sum();
    if conflicts > 0 {
        return Err(CommandError::failure_help(
            format!("{conflicts} conflict(s) would stop `apply`"),
            "resolve them in the configuration, or pass `--adopt` for resources iamctl should take over",
        ));
    }
    let ic_changes = file.identity_center.as_ref().is_some_and(|p| !p.is_empty());
    if a.detailed_exitcode && (ic_changes || plans.iter().any(|p| !p.is_empty())) {
        return Err(CommandError::silent(2));
    }
    Ok(())
}
