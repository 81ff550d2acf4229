//! `simulate`: one request, or `--batch` lines (in [`super::batch`]).

use iamctl_policy::analysis;
use iamctl_policy::eval::{evaluate, Policy, PolicySet, Principal, Request};
use iamctl_policy::simulate::evaluation_to_json;
use serde_json::{json, Value};

use super::{
    base_context, find_principal, load_levels, load_policy, load_resource_policy, load_source,
    Loaded, SimulateArgs,
};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

pub async fn simulate(ctx: &Ctx, a: SimulateArgs) -> CmdResult {
    if let Some(batch) = &a.batch {
        return super::batch::simulate_batch(ctx, &a, batch).await;
    }
    let principal = a.principal.as_deref().ok_or_else(|| {
        CommandError::usage("`simulate` needs `--principal` and `--action` (or `--batch`)")
    })?;
    if a.actions.is_empty() {
        return Err(CommandError::usage(
            "`simulate` needs at least one `--action`",
        ));
    }
    for action in &a.actions {
        if !action.contains(':') {
            return Err(CommandError::invalid(format!(
                "`{action}` is not an action: write `service:Action`, e.g. `s3:GetObject`"
            )));
        }
    }
    let mut context = base_context(ctx, &a.source, true)?;
    let files_only = a.source.snapshot.is_none()
        && (!a.policies.is_empty()
            || a.boundary.is_some()
            || a.session_policy.is_some()
            || a.resource_policy.is_some()
            || !a.scps.is_empty()
            || !a.rcps.is_empty());
    let file_identity: Vec<Policy> = a
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| load_policy(p, &format!("policy[{i}]:{}", p.display())))
        .collect::<CmdResult<_>>()?;
    let boundary = a
        .boundary
        .as_deref()
        .map(|p| load_policy(p, "permissionBoundary"))
        .transpose()?;
    let session = a
        .session_policy
        .as_deref()
        .map(|p| load_policy(p, "sessionPolicy"))
        .transpose()?;
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| load_resource_policy(p, "resourcePolicy"))
        .transpose()?;
    let scps = load_levels(&a.scps, "scp")?;
    let rcps = load_levels(&a.rcps, "rcp")?;
    let account = if files_only {
        None
    } else {
        match load_source(ctx, &a.source, Some(principal)).await? {
            Loaded::Account(account) => Some(account),
            Loaded::Organization(org) => {
                if !a.policies.is_empty()
                    || a.boundary.is_some()
                    || a.resource_policy.is_some()
                    || !a.scps.is_empty()
                    || !a.rcps.is_empty()
                {
                    return Err(CommandError::usage(
                        "policy files are for account snapshots: an organisation snapshot holds every policy",
                    ));
                }
                return super::org::simulate(ctx, &org, principal, &a, &context);
            }
        }
    };
    let (request_principal, mut set) = match &account {
        Some(account) => {
            let entity = find_principal(account, principal)?;
            account.principal_context(entity, &mut context);
            let mut p = account.request_principal(entity);
            if principal.contains(":assumed-role/") {
                p = Principal {
                    role_arn: p.role_arn,
                    ..Principal::parse(principal)
                };
            }
            (p, account.policy_set(entity))
        }
        None => (Principal::parse(principal), PolicySet::default()),
    };
    set.identity.extend(file_identity.iter());
    if boundary.is_some() {
        set.boundary = boundary.as_ref();
    }
    set.session = session.as_ref();
    set.resource = resource_policy.as_ref();
    set.scps = scps.iter().map(|l| l.iter().collect()).collect();
    set.rcps = rcps.iter().map(|l| l.iter().collect()).collect();

    let mut results = Vec::new();
    for action in &a.actions {
        let req = Request::new(
            request_principal.clone(),
            action,
            &a.resource,
            a.resource_account.as_deref(),
            context.clone(),
        );
        let mut set = set.clone();
        if set.resource.is_none() {
            // `sts:AssumeRole*` on a role of the snapshot: its trust policy.
            set.resource = account
                .as_ref()
                .and_then(|acc| acc.implied_resource_policy(action, &a.resource));
        }
        let mut evaluation = evaluate(&req, &set);
        evaluation.notes.extend(analysis::context_notes(&req, &set));
        let mut out = evaluation_to_json(&Value::Null, &evaluation);
        if let Some(obj) = out.as_object_mut() {
            obj.remove("id");
            obj.insert("principal".into(), json!(req.principal.arn));
            obj.insert("action".into(), json!(action));
            obj.insert("resource".into(), json!(a.resource));
        }
        results.push(out);
    }
    let data = if results.len() == 1 {
        results.remove(0)
    } else {
        Value::Array(results)
    };
    ctx.emit(&data, |d| {
        let rows = match d {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        let mut out = String::new();
        for r in rows {
            out.push_str(&format!(
                "{}  {} on {}\n",
                r["decision"].as_str().unwrap_or(""),
                r["action"].as_str().unwrap_or(""),
                r["resource"].as_str().unwrap_or("")
            ));
            for m in r["matchedStatements"].as_array().into_iter().flatten() {
                out.push_str(&format!("  {}\n", describe_statement(m)));
            }
            for n in r["notes"].as_array().into_iter().flatten() {
                out.push_str(&format!("  note: {}\n", n.as_str().unwrap_or("")));
            }
        }
        out
    })
}

fn describe_statement(m: &Value) -> String {
    let sid = match m["sid"].as_str() {
        Some(s) => format!(" (Sid `{s}`)"),
        None => String::new(),
    };
    format!(
        "{} {} statement {}{} in {}",
        m["effect"].as_str().unwrap_or(""),
        m["layer"].as_str().unwrap_or(""),
        m["statement"],
        sid,
        m["policy"].as_str().unwrap_or("")
    )
}
