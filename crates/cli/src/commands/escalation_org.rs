//! `iamctl escalation --snapshot ORG`: the escalation paths of every account
//! of an organisation (or `--account`), each under the SCPs on its path.
//! Paths stay within one account: hops into other accounts' roles are not
//! followed.

use iamctl_policy::escalation::{analyse_with, render, Options, Report, Target};
use iamctl_policy::org::Organization;
use iamctl_policy::snapshot::org::OrgSnapshot;
use serde::Serialize;

use super::escalation::{EscalationArgs, EscalationFormat};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountReport {
    account: String,
    account_name: String,
    /// Whether SCPs were applied (not for the management account).
    scps_applied: bool,
    #[serde(flatten)]
    report: Report,
}

pub fn run(ctx: &Ctx, a: &EscalationArgs, snap: &OrgSnapshot) -> CmdResult {
    let org = Organization::from_snapshot(snap);
    let members: Vec<usize> = match &a.account {
        Some(key) => vec![org
            .member(key)
            .map_err(|e| CommandError::failure(e.to_string()))?],
        None => (0..org.members.len()).collect(),
    };
    let target = if a.to.eq_ignore_ascii_case("admin") {
        Target::Admin
    } else {
        Target::Principal(a.to.clone())
    };
    let now = ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let started = std::time::Instant::now();
    let mut reports = Vec::new();
    for m in members {
        let member = &org.members[m];
        let Some(iam) = snap
            .accounts
            .iter()
            .find(|x| x.id == member.id)
            .and_then(|x| x.iam.as_ref())
        else {
            continue;
        };
        // `--to` and `--principal` name a principal of one account: skip the
        // accounts that do not have it.
        let has = |key: &str| member.account.principal_index(key).is_some();
        if a.principal.as_deref().is_some_and(|k| !has(k))
            || matches!(&target, Target::Principal(k) if !has(k))
        {
            continue;
        }
        let scps = org.scp_levels(m);
        let options = Options {
            only: a.principal.as_deref(),
            scps: &scps,
            now: Some(&now),
        };
        let report = analyse_with(iam, &target, &options)
            .map_err(|e| CommandError::invalid(format!("account `{}`: {e}", member.name)))?;
        reports.push(AccountReport {
            account: member.id.clone(),
            account_name: member.name.clone(),
            scps_applied: !scps.is_empty(),
            report,
        });
    }
    let paths: usize = reports.iter().map(|r| r.report.paths.len()).sum();
    let out = match a.format {
        EscalationFormat::Json => serde_json::to_string_pretty(&reports)
            .map(|s| s + "\n")
            .map_err(|e| CommandError::failure(format!("cannot encode output: {e}")))?,
        _ if ctx.json() => serde_json::to_string_pretty(&reports)
            .map(|s| s + "\n")
            .map_err(|e| CommandError::failure(format!("cannot encode output: {e}")))?,
        EscalationFormat::Markdown => reports
            .iter()
            .map(|r| {
                format!(
                    "## {} ({})\n\n{}",
                    r.account_name,
                    r.account,
                    render::markdown(&r.report)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        EscalationFormat::Text => reports
            .iter()
            .map(|r| {
                format!(
                    "account {} ({}):\n{}",
                    r.account_name,
                    r.account,
                    render::text(&r.report)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    };
    crate::ctx::print_out(&out)?;
    ctx.status(format!(
        "{} account(s), {} path(s); {} ms; paths stay within an account (cross-account role hops are not followed)",
        reports.len(),
        paths,
        started.elapsed().as_millis()
    ));
    Ok(())
}
