//! `who-can`: every principal of the account allowed an action.

use std::collections::BTreeMap;

use iamctl_policy::account::{Entity, Source};
use iamctl_policy::analysis::{self, Because};
use iamctl_policy::catalog::catalog;
use serde_json::{json, Value};

use super::{base_context, load_account, load_resource_policy, WhoCanArgs};
use crate::ctx::{table, Ctx};
use crate::error::{CmdResult, CommandError};

fn kind_word(e: &Entity) -> &'static str {
    e.kind.as_str()
}

fn via_text(b: &Because) -> String {
    match &b.via {
        Some(Source::Group(g)) => format!("group {g}"),
        Some(Source::Direct) => "direct".into(),
        None => "resource policy".into(),
    }
}

pub async fn who_can(ctx: &Ctx, a: WhoCanArgs) -> CmdResult {
    if !a.action.contains(':') && a.action != "*" {
        return Err(CommandError::invalid(format!(
            "`{}` is not an action: write `service:Action`, e.g. `s3:GetObject` or `iam:*`",
            a.action
        )));
    }
    let actions = catalog().expand(&a.action);
    if actions.is_empty() {
        return Err(CommandError::invalid_help(
            format!("`{}` matches no action AWS documents", a.action),
            "check the service prefix and action name, e.g. `s3:GetObject`, `iam:Create*`",
        ));
    }
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| load_resource_policy(p, "resourcePolicy"))
        .transpose()?;
    let base = base_context(ctx, &a.source, true)?;
    let account = load_account(ctx, &a.source).await?;
    let grants = analysis::who_can(
        &account,
        &actions,
        a.resource.as_deref(),
        &base,
        resource_policy.as_ref(),
    );
    // Group by principal, keeping account order.
    let mut by_principal: BTreeMap<usize, Vec<&analysis::Grant>> = BTreeMap::new();
    for g in &grants {
        by_principal.entry(g.principal).or_default().push(g);
    }
    let data: Vec<Value> = by_principal
        .iter()
        .map(|(i, gs)| {
            let e = &account.principals[*i];
            json!({
                "principal": e.arn,
                "kind": kind_word(e),
                "name": e.name,
                "actions": gs.iter().map(|g| json!({
                    "action": g.action,
                    "statements": g.because.iter().map(|b| json!({
                        "policy": b.policy,
                        "sid": b.sid,
                        "statement": b.statement,
                        "via": via_text(b),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    ctx.status(format!(
        "{} principal(s) of {} allowed {} of {} action(s)",
        by_principal.len(),
        account.principals.len(),
        grants
            .iter()
            .map(|g| g.action.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        actions.len()
    ));
    ctx.emit(&data, |_| {
        let rows = by_principal
            .iter()
            .map(|(i, gs)| {
                let e = &account.principals[*i];
                let actions = if gs.len() <= 3 {
                    gs.iter()
                        .map(|g| g.action.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    format!("{} actions", gs.len())
                };
                let mut via: Vec<String> = gs
                    .iter()
                    .flat_map(|g| g.because.iter())
                    .map(|b| {
                        let sid = b
                            .sid
                            .as_deref()
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default();
                        format!("{}{} [{}]", short_policy(&b.policy), sid, via_text(b))
                    })
                    .collect();
                via.sort();
                via.dedup();
                vec![
                    e.name.clone(),
                    kind_word(e).to_owned(),
                    actions,
                    via.join("\n"),
                ]
            })
            .collect();
        table(&["PRINCIPAL", "KIND", "ACTIONS", "ALLOWED BY"], rows)
    })
}

/// A policy name for a table: a managed policy's name, an inline policy as
/// `name (inline)`.
fn short_policy(name: &str) -> String {
    match name.split_once('#') {
        Some((_, inline)) => format!("{inline} (inline)"),
        None => name.rsplit('/').next().unwrap_or(name).to_owned(),
    }
}
