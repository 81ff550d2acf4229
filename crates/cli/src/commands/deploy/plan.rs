//! `iamctl plan`: what would change, rendered by the engine
//! ([`iamctl_iac::render`]), coloured here for a terminal; `--check` runs
//! the policy checks over the documents a plan would write.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use iamctl_iac::plan::{Change, Plan, PlanFile};
use iamctl_iac::render::{self, Format};
use serde_json::Value;

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

/// One document a plan would write, checked: where, which check, the report.
pub(super) struct Checked {
    what: String,
    check: &'static str,
    report: iamctl_policy::check::Report,
}

/// Runs `checks` on every policy document the plans would write.
pub(super) fn check_plans(plans: &[Plan], checks: &[PlanCheck]) -> CmdResult<Vec<Checked>> {
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
pub(super) fn checks_text(checked: &[Checked]) -> String {
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
