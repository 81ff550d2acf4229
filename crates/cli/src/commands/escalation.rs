//! `iamctl escalation`: every principal that can gain more than it has, with
//! the shortest path, from a snapshot or the live account.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use iamctl_policy::escalation::{analyse_with, render, Options, Target};
use iamctl_policy::eval::Policy;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Args, Debug)]
pub struct EscalationArgs {
    /// The account as `iamctl account snapshot` wrote it (else the live account).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// `admin` (every permission) or a user or role (ARN or name) to reach.
    #[arg(long, value_name = "admin|ARN", default_value = "admin")]
    pub to: String,
    /// Only paths starting from this user or role (ARN or name).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// One SCP level, root first (repeat per level; comma-separate several files of a level).
    #[arg(long = "scp", value_name = "FILE[,FILE]")]
    pub scps: Vec<String>,
    /// With an organisation snapshot: only this account (name or ID); else
    /// every account, each under the SCPs on its path.
    #[arg(long, value_name = "NAME|ID")]
    pub account: Option<String>,
    /// `text` for people, `markdown` (each path a mermaid graph) for a
    /// pull-request comment, `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: EscalationFormat,
}

/// How `escalation` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EscalationFormat {
    Text,
    Json,
    Markdown,
}

fn read_json(path: &std::path::Path) -> CmdResult<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CommandError::invalid(format!(
            "`{}`:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

fn load_scps(specs: &[String]) -> CmdResult<Vec<Vec<Policy>>> {
    specs
        .iter()
        .map(|spec| {
            spec.split(',')
                .map(|f| {
                    let doc = read_json(std::path::Path::new(f))?;
                    Policy::from_json(f, &doc)
                        .map_err(|e| CommandError::invalid(format!("`{f}`: {e}")))
                })
                .collect()
        })
        .collect()
}

pub async fn run(ctx: &Ctx, a: EscalationArgs) -> CmdResult {
    let scps = load_scps(&a.scps)?;
    let snapshot = match &a.snapshot {
        Some(path) => match crate::common::read_any_snapshot(path)? {
            iamctl_policy::snapshot::org::Loaded::Account(s) => s,
            iamctl_policy::snapshot::org::Loaded::Organization(org) => {
                if !scps.is_empty() {
                    return Err(CommandError::usage(
                        "`--scp` is for account snapshots: an organisation snapshot holds its SCPs",
                    ));
                }
                return super::escalation_org::run(ctx, &a, &org);
            }
        },
        None => {
            let snap = ctx.aws().await.authorization_details(false).await?;
            ctx.status(format!(
                "read the account with {} page(s) of GetAccountAuthorizationDetails",
                snap.pages
            ));
            snap.document
        }
    };
    let target = if a.to.eq_ignore_ascii_case("admin") {
        Target::Admin
    } else {
        Target::Principal(a.to.clone())
    };
    let started = std::time::Instant::now();
    let now = ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let options = Options {
        only: a.principal.as_deref(),
        scps: &scps,
        now: Some(&now),
    };
    let report = analyse_with(&snapshot, &target, &options).map_err(|e| {
        let origin = a
            .snapshot
            .as_ref()
            .map_or("the account".to_owned(), |p| format!("`{}`", p.display()));
        CommandError::invalid(format!("{origin}: {e}"))
    })?;
    for w in &report.warnings {
        ctx.status(format!("warning: {w}"));
    }
    match a.format {
        EscalationFormat::Markdown if !ctx.json() => {
            crate::ctx::print_out(&render::markdown(&report))?
        }
        EscalationFormat::Json => {
            let s = serde_json::to_string_pretty(&report)
                .map_err(|e| CommandError::failure(format!("cannot encode output: {e}")))?;
            crate::ctx::print_out(&format!("{s}\n"))?
        }
        _ => ctx.emit(&report, render::text)?,
    }
    ctx.status(format!(
        "{} principal(s), {} path(s), {} administrator(s) already; {} ms (methods: {})",
        report.principals,
        report.paths.len(),
        report.admins.len(),
        started.elapsed().as_millis(),
        iamctl_policy::escalation::source()
    ));
    Ok(())
}
