//! `who-can` and `access` over an organisation snapshot: every account,
//! SCPs and RCPs with their place in the tree, resource policies and
//! cross-account rules (the evaluation is `iamctl_policy::org`).

use iamctl_policy::catalog::{Action, Service};
use iamctl_policy::eval::Context;
use iamctl_policy::org::{self, OrgGrant, Organization, Origin};
use serde_json::{json, Value};

use crate::ctx::{table, Ctx};
use crate::error::{CmdResult, CommandError};

fn org_error(e: org::OrgAnalysisError) -> CommandError {
    use org::OrgAnalysisError as E;
    match e {
        E::AmbiguousPrincipal { .. } | E::AmbiguousAccount(_) => CommandError::usage(format!(
            "{e}; pick one with `--account NAME|ID`, or give the ARN"
        )),
        e => CommandError::failure(e.to_string()),
    }
}

/// Whether a reason is worth a table cell: SCP and RCP allows are the
/// usual `FullAWSAccess` at every level, and stay in the JSON.
fn shown(r: &org::Reason) -> bool {
    !(matches!(r.origin, Origin::Scp { .. } | Origin::Rcp { .. }) && r.effect == "Allow")
}

pub fn who_can(
    ctx: &Ctx,
    org: &Organization,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    base: &Context,
) -> CmdResult {
    let grants = org::who_can(org, actions, resource, base);
    let action_name = |g: &OrgGrant| {
        let (s, a) = actions[g.action];
        format!("{}:{}", s.prefix, a.name)
    };
    // Grouped by principal, in account order.
    let mut by_principal: Vec<&OrgGrant> = grants.iter().collect();
    by_principal.sort_by_key(|g| (g.member, g.principal));
    let groups: Vec<&[&OrgGrant]> = by_principal
        .chunk_by(|x, y| (x.member, x.principal) == (y.member, y.principal))
        .collect();
    let accounts = {
        let mut ids: Vec<usize> = groups.iter().map(|g| g[0].member).collect();
        ids.dedup();
        ids.len()
    };
    ctx.status(format!(
        "{} principal(s) in {} account(s) of {} principal(s) in {} account(s) allowed",
        groups.len(),
        accounts,
        org.principal_count(),
        org.members.len()
    ));
    let rows: Vec<Value> = groups
        .iter()
        .map(|gs| {
            let m = &org.members[gs[0].member];
            let e = &m.account.principals[gs[0].principal];
            json!({
                "account": m.id,
                "accountName": m.name,
                "principal": e.arn,
                "kind": e.kind.as_str(),
                "name": e.name,
                "actions": gs.iter().map(|g| json!({
                    "action": action_name(g),
                    "statements": g.reasons,
                    "notes": g.notes,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    ctx.emit(&rows, |_| {
        let rows = groups
            .iter()
            .map(|gs| {
                let m = &org.members[gs[0].member];
                let e = &m.account.principals[gs[0].principal];
                let acts = if gs.len() <= 3 {
                    gs.iter()
                        .map(|g| action_name(g))
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    format!("{} actions", gs.len())
                };
                let mut via: Vec<String> = gs
                    .iter()
                    .flat_map(|g| g.reasons.iter().filter(|r| shown(r)))
                    .map(|r| r.to_string())
                    .collect();
                via.sort();
                via.dedup();
                let mut notes: Vec<String> = gs
                    .iter()
                    .flat_map(|g| g.notes.iter().map(|n| n.to_string()))
                    .collect();
                notes.sort();
                notes.dedup();
                via.extend(notes.into_iter().map(|n| format!("note: {n}")));
                vec![
                    format!("{} ({})", m.name, m.id),
                    e.name.clone(),
                    e.kind.as_str().to_owned(),
                    acts,
                    via.join("\n"),
                ]
            })
            .collect();
        table(
            &["ACCOUNT", "PRINCIPAL", "KIND", "ACTIONS", "ALLOWED BY"],
            rows,
        )
    })
}

pub fn access(
    ctx: &Ctx,
    org: &Organization,
    principal: &str,
    account: Option<&str>,
    base: &Context,
) -> CmdResult {
    let (m, p) = org.principal(principal, account).map_err(org_error)?;
    let member = &org.members[m];
    let entity = &member.account.principals[p];
    let answer = org::access(org, m, p, base);
    let data = json!({
        "principal": entity.arn,
        "kind": entity.kind.as_str(),
        "account": member.id,
        "accountName": member.name,
        "services": super::access::services_json(&answer.own),
        "risky": answer.own.risky.iter().map(|(a, why)| json!({"action": a, "why": why})).collect::<Vec<_>>(),
        "crossAccount": answer.cross_account.iter().map(|(arn, actions)| json!({
            "resource": arn, "actions": actions})).collect::<Vec<_>>(),
        "actionsEvaluated": answer.own.evaluated,
        "assumptions": answer.own.assumptions,
        "notes": answer.notes,
    });
    ctx.emit(&data, |_| {
        let mut out = format!(
            "{} in account {} ({}):\n\n",
            entity.name, member.name, member.id
        );
        out.push_str(&super::access::summary_text(&entity.name, &answer.own));
        if !answer.cross_account.is_empty() {
            out.push_str("\nin other accounts, through their resource policies:\n");
            for (arn, actions) in &answer.cross_account {
                out.push_str(&format!("  {arn}: {}\n", actions.join(", ")));
            }
        }
        for n in &answer.notes {
            out.push_str(&format!("\nnote: {n}\n"));
        }
        out
    })
}

/// `simulate` over an organisation snapshot: one principal (`--account`
/// where its name is in several accounts), each action on the resource,
/// with the deciding statements and where the SCPs and RCPs sit.
pub fn simulate(
    ctx: &Ctx,
    org: &Organization,
    principal: &str,
    a: &super::SimulateArgs,
    base: &Context,
) -> CmdResult {
    let (m, p) = org
        .principal(principal, a.source.account.as_deref())
        .map_err(org_error)?;
    let answers: Vec<Value> = a
        .actions
        .iter()
        .map(|action| {
            let e = org.evaluate(m, p, action, Some(&a.resource), base);
            let mut v = serde_json::to_value(&e).unwrap_or(Value::Null);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("action".into(), json!(action));
                obj.insert("resource".into(), json!(a.resource));
                obj.insert(
                    "explanation".into(),
                    json!(e.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>()),
                );
            }
            v
        })
        .collect();
    let data = match answers.as_slice() {
        [one] => one.clone(),
        _ => Value::Array(answers.clone()),
    };
    ctx.emit(&data, |_| {
        let mut out = String::new();
        for r in &answers {
            out.push_str(&format!(
                "{}  {} on {}\n",
                r["decision"].as_str().unwrap_or(""),
                r["action"].as_str().unwrap_or(""),
                r["resource"].as_str().unwrap_or("")
            ));
            for line in r["explanation"].as_array().into_iter().flatten() {
                out.push_str(&format!("  {}\n", line.as_str().unwrap_or("")));
            }
            for n in r["notes"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "  note: {}\n",
                    n["message"].as_str().unwrap_or("")
                ));
            }
        }
        out
    })
}
