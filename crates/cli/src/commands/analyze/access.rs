//! `access`: what one principal can do, per service and access level.

use iamctl_policy::account::EntityKind;
use iamctl_policy::analysis::{self, AccessSummary};
use iamctl_policy::catalog::AccessLevel;
use serde_json::{json, Value};

use super::{base_context, find_principal, load_source, AccessArgs, Loaded};
use crate::ctx::{table, Ctx};
use crate::error::CmdResult;

pub async fn access(ctx: &Ctx, a: AccessArgs) -> CmdResult {
    let base = base_context(ctx, &a.source, true)?;
    let account = match load_source(ctx, &a.source, Some(&a.principal)).await? {
        Loaded::Account(account) => account,
        Loaded::Organization(org) => {
            let answered =
                super::org::access(ctx, &org, &a.principal, a.source.account.as_deref(), &base);
            // Left for the OS to free at exit (see `load_source`).
            std::mem::forget(org);
            return answered;
        }
    };
    let entity = find_principal(&account, &a.principal)?;
    let summary = analysis::access(&account, entity, &base);
    let data = json!({
        "principal": entity.arn,
        "kind": entity.kind.as_str(),
        "services": services_json(&summary),
        "risky": summary.risky.iter().map(|(a, why)| json!({"action": a, "why": why})).collect::<Vec<_>>(),
        "actionsEvaluated": summary.evaluated,
        "assumptions": summary.assumptions,
    });
    ctx.emit(&data, |_| summary_text(&entity.name, &summary))?;
    if entity.kind == EntityKind::Role {
        ctx.status("evaluated as a session of the role, without session policies");
    }
    Ok(())
}

/// Service → access level → allowed actions.
pub(super) fn services_json(summary: &AccessSummary) -> Value {
    summary
        .services
        .iter()
        .map(|(svc, by_level)| {
            let levels = by_level
                .iter()
                .map(|(l, actions)| (l.as_str().to_owned(), json!(actions)))
                .collect::<serde_json::Map<_, _>>();
            (svc.clone(), Value::Object(levels))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The table of allowed/total actions per service and level, then what was
/// assumed and the risky permissions.
pub(super) fn summary_text(name: &str, summary: &AccessSummary) -> String {
    let levels = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];
    let rows = summary
        .services
        .iter()
        .map(|(svc, by_level)| {
            let mut row = vec![svc.clone()];
            for l in levels {
                let n = by_level.get(&l).map_or(0, Vec::len);
                let total = summary
                    .totals
                    .get(svc)
                    .and_then(|t| t.get(&l))
                    .copied()
                    .unwrap_or(0);
                row.push(if total == 0 {
                    "-".into()
                } else {
                    format!("{n}/{total}")
                });
            }
            row
        })
        .collect();
    let mut out = table(
        &[
            "SERVICE",
            "LIST",
            "READ",
            "WRITE",
            "PERMISSIONS MGMT",
            "TAGGING",
        ],
        rows,
    );
    if summary.services.is_empty() {
        out = format!("{name} can do nothing\n");
    }
    for a in &summary.assumptions {
        out.push_str(&format!("\nassumed: {a}\n"));
    }
    if !summary.risky.is_empty() {
        out.push_str("\nrisky permissions:\n");
        for (action, why) in &summary.risky {
            out.push_str(&format!("  {action}: {why}\n"));
        }
    }
    out
}
