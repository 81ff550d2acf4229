//! Identity Center beside IAM in `plan`, `apply` and `cleanup`: when
//! `settings.identity_center` names an account, its instance is read through
//! that account's deployer session, planned with the engine
//! ([`iamctl_iac::identity_center`]), shown after the IAM plans, and applied
//! after them (a permission set may reference a policy the IAM plan creates).

use std::collections::{BTreeMap, BTreeSet};

use iamctl_aws::identity_center::AwsIdentityCenter;
use iamctl_config::identity_center::{desired_identity_center, Boundary, DesiredIdentityCenter};
use iamctl_config::Config;
use iamctl_iac::identity_center::access::{add_person_access, PolicyDocs};
use iamctl_iac::identity_center::apply::apply;
use iamctl_iac::identity_center::backend::IdentityCenterBackend;
use iamctl_iac::identity_center::change::IcPlan;
use iamctl_iac::identity_center::plan::{cleanup_plan, plan};
use iamctl_iac::identity_center::state::IdentityCenterState;
use iamctl_iac::IamBackend;
use iamctl_policy::snapshot::Document;
use jiff::Timestamp;

use super::target::Target;
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// The instance, read, and what the configuration wants of it.
pub(super) struct IcRun {
    backend: AwsIdentityCenter,
    state: IdentityCenterState,
    desired: DesiredIdentityCenter,
    /// Account id → environment name.
    environments: BTreeMap<String, String>,
    /// The deployer session in the instance's account, to read managed
    /// policy documents.
    target_index: usize,
}

/// Reads the instance when the configuration has `settings.identity_center`;
/// the instance's account must be among the accounts read.
pub(super) async fn read_ic(
    ctx: &Ctx,
    config: &Config,
    targets: &[Target],
    now: Timestamp,
) -> CmdResult<Option<IcRun>> {
    let Some(s) = &config.settings.identity_center else {
        return Ok(None);
    };
    let env = s
        .account
        .as_ref()
        .map(|a| a.value.clone())
        .unwrap_or_default();
    let region = s.region.as_ref().map_or("us-east-1", |r| r.value.as_str());
    let Some(target_index) = targets.iter().position(|t| t.desired.environment == env) else {
        return Err(CommandError::invalid_help(
            format!("the Identity Center account `{env}` is not among the environments selected"),
            "select it too (`--env`), or run without `--env`",
        ));
    };
    let backend = AwsIdentityCenter::connect(&targets[target_index].aws, region).await?;
    let state = backend.read_state().await.map_err(|e| {
        CommandError::failure(format!("cannot read Identity Center in `{env}`: {e}"))
    })?;
    ctx.status(format!(
        "read Identity Center {} in {} request(s): {} users, {} groups, {} permission sets, {} assignments",
        state.instance_arn,
        backend.calls(),
        state.users.len(),
        state.groups.len(),
        state.permission_sets.len(),
        state.assignments.len()
    ));
    let environments = config
        .teams
        .values()
        .flat_map(|t| t.accounts.iter())
        .map(|(env, a)| (a.account_id.value.clone(), env.clone()))
        .collect();
    Ok(Some(IcRun {
        backend,
        state,
        desired: desired_identity_center(config, now),
        environments,
        target_index,
    }))
}

/// The AWS-managed policies the sets attach or take as boundary, read
/// from IAM in the instance's account (one that cannot be read is left out,
/// and the plan says it was not counted).
async fn managed_docs(run: &IcRun, targets: &[Target]) -> PolicyDocs {
    let mut arns = BTreeSet::new();
    for s in &run.desired.permission_sets {
        arns.extend(s.managed_policies.iter().cloned());
        if let Some(Boundary::AwsManaged(a)) = &s.permissions_boundary {
            arns.insert(a.clone());
        }
    }
    for s in &run.state.permission_sets {
        arns.extend(s.managed_policies.iter().cloned());
        if let Some(Boundary::AwsManaged(a)) = &s.boundary {
            arns.insert(a.clone());
        }
    }
    let target = &targets[run.target_index];
    let mut docs = PolicyDocs::new();
    // The account's read holds the documents of the policies attached
    // there; only the others cost a call, made concurrently.
    for p in &target.snapshot.policies {
        if arns.remove(&p.arn) {
            if let Some(v) = p.default_document() {
                docs.insert(p.arn.clone(), Document::new(v.clone()));
            }
        }
    }
    let fetched = futures::future::join_all(arns.into_iter().map(|arn| async move {
        let v = IamBackend::policy_document(&target.aws, &arn).await.ok();
        (arn, v)
    }))
    .await;
    for (arn, v) in fetched {
        if let Some(v) = v {
            docs.insert(arn, Document::new(v));
        }
    }
    docs
}

/// The plan of the instance, with what each person gains or loses.
pub(super) async fn plan_ic(run: &IcRun, targets: &[Target], now: Timestamp) -> IcPlan {
    let mut p = plan(&run.desired, &run.state);
    let docs = managed_docs(run, targets).await;
    add_person_access(
        &mut p,
        &run.desired,
        &run.state,
        &docs,
        &run.environments,
        now,
    );
    p
}

/// `cleanup`'s plan: the expired temporary permission sets, by their tag.
pub(super) fn cleanup_ic(run: &IcRun, now: Timestamp) -> IcPlan {
    cleanup_plan(&run.state, now)
}

/// An error for the plan's errors (exit 1), naming each.
pub(super) fn plan_errors(p: &IcPlan) -> CmdResult {
    if p.errors.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
    Err(CommandError::failure_help(
        format!(
            "Identity Center cannot be planned: {}; nothing was changed in Identity Center",
            list.join("; ")
        ),
        "fix the configuration or the instance, and plan again",
    ))
}

/// Applies `p`; an error names each change that failed (with its account
/// and AWS's reason). The JSON of what was done, for `--output json`.
pub(super) async fn apply_ic(ctx: &Ctx, run: &IcRun, p: &IcPlan) -> (CmdResult, serde_json::Value) {
    let report = apply(&run.backend, &run.state, &p.changes).await;
    if !p.changes.is_empty() {
        ctx.status(format!(
            "Identity Center: {} change(s) made, {} failed",
            report.done.len(),
            report.failed.len()
        ));
    }
    let failed: Vec<String> = report
        .failed
        .iter()
        .map(|(c, e)| format!("{}: {e}", c.describe()))
        .collect();
    let json = serde_json::json!({
        "instance_arn": p.instance_arn,
        "done": report.done,
        "failed": failed,
    });
    if failed.is_empty() {
        return (Ok(()), json);
    }
    let err = CommandError::failure_help(
        format!(
            "{} Identity Center change(s) failed: {}",
            failed.len(),
            failed.join("; ")
        ),
        "run the command again: it converges on what was done",
    );
    (Err(err), json)
}
