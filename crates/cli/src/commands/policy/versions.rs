//! Policy versions against the account: `update`'s pruning, the history of
//! defaults in a tag, `rollback`, and deleting every version.

use super::{check_version_id, Outcome};
use crate::common::{is_managed, local_policy};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{Aws, Policy, PolicyVersion};
use iamctl_iac::versions::{to_prune, History, Rollback, Version, HISTORY_TAG, MAX_VERSIONS};
use iamctl_policy::PolicyDocument;

/// Make `doc` the default version of `policy`: nothing when the default already
/// says the same (one GetPolicyVersion); otherwise, at the 5-version limit the
/// oldest non-default version goes first, never the default
/// ([`iamctl_iac::versions::to_prune`]).
pub async fn set_document(
    ctx: &Ctx,
    aws: &Aws,
    policy: &Policy,
    doc: &PolicyDocument,
) -> CmdResult<(Outcome, Option<String>)> {
    let arn = policy.arn.as_str();
    let current = aws
        .get_policy_version(arn, &policy.default_version_id)
        .await?;
    if let Some(d) = current.document {
        if PolicyDocument::from_value(d).same_as(doc) {
            return Ok((Outcome::Unchanged, Some(current.version_id)));
        }
    }
    let listed = aws.list_policy_versions(arn).await?;
    let prune = to_prune(&as_versions(&listed))
        .map_err(|e| CommandError::failure(format!("policy `{arn}`: {e}")))?
        .map(str::to_owned);
    if let Some(oldest) = prune {
        aws.delete_policy_version(arn, &oldest).await?;
        ctx.status(format!(
            "deleted version {oldest} of `{arn}` (IAM keeps {MAX_VERSIONS})"
        ));
    }
    let v = aws
        .create_policy_version(arn, &doc.to_compact(), true)
        .await?;
    push_default_history(ctx, aws, arn, &policy.default_version_id).await;
    Ok((Outcome::Updated, Some(v.version_id)))
}

/// The versions as the library reads them.
fn as_versions(listed: &[PolicyVersion]) -> Vec<Version<'_>> {
    listed
        .iter()
        .map(|v| Version {
            id: &v.version_id,
            is_default: v.is_default_version,
            created: &v.create_date,
        })
        .collect()
}

async fn read_default_history(aws: &Aws, arn: &str) -> CmdResult<History> {
    let tags = aws.list_policy_tags(arn).await?;
    Ok(History::decode(
        tags.iter()
            .find(|t| t.key == HISTORY_TAG)
            .map(|t| t.value.as_str()),
    ))
}

async fn write_default_history(aws: &Aws, arn: &str, history: &History) -> CmdResult {
    let tag = iamctl_aws::Tag {
        key: HISTORY_TAG.to_string(),
        value: history.encode(),
    };
    aws.tag_policy(arn, &[tag]).await?;
    Ok(())
}

/// Record that `old_default` stopped being the default. A failure (no
/// `iam:TagPolicy`) is a warning: the change itself was made.
pub(super) async fn push_default_history(ctx: &Ctx, aws: &Aws, arn: &str, old_default: &str) {
    let result = async {
        let mut h = read_default_history(aws, arn).await?;
        h.push(old_default);
        write_default_history(aws, arn, &h).await
    }
    .await;
    if let Err(e) = result {
        ctx.status(format!(
            "warning: could not record the previous default {old_default} in tag `{HISTORY_TAG}` of `{arn}` ({}); `rollback` falls back to version numbers",
            e.report
        ));
    }
}

/// `rollback`: the target is [`iamctl_iac::versions::rollback`]'s; this asks
/// (`--dry-run`), sets the default and writes the history back.
pub(super) async fn rollback(ctx: &Ctx, policy: &str, to: Option<&str>) -> CmdResult {
    if let Some(v) = to {
        check_version_id(v)?;
    }
    let p = local_policy(ctx, policy).await?;
    let arn = p.arn.clone();
    let aws = ctx.aws().await;
    let vs = aws.list_policy_versions(&arn).await?;
    let default = vs
        .iter()
        .find(|v| v.is_default_version)
        .map(|v| v.version_id.clone())
        .unwrap_or_else(|| p.default_version_id.clone());
    let history = read_default_history(aws, &arn).await?;
    let Rollback {
        target,
        how,
        history,
    } = iamctl_iac::versions::rollback(&as_versions(&vs), &default, history, to)
        .map_err(|e| CommandError::failure(format!("policy `{arn}`: {e}")))?;
    if target == default {
        ctx.status(format!("`{arn}`: {target} is already the default"));
        return Ok(());
    }
    if ctx.dry_run(format!(
        "make {target} the default version of `{arn}` (now {default}; {how})"
    )) {
        return Ok(());
    }
    aws.set_default_policy_version(&arn, &target).await?;
    if let Err(e) = write_default_history(aws, &arn, &history).await {
        ctx.status(format!(
            "warning: could not update tag `{HISTORY_TAG}` of `{arn}`: {}",
            e.report
        ));
    }
    ctx.status(format!(
        "rolled back `{arn}`: default is now {target} (was {default}; {how})"
    ));
    if ctx.json() {
        ctx.emit(
            &serde_json::json!({"Arn": arn, "DefaultVersionId": target, "PreviousDefaultVersionId": default}),
            |_| String::new(),
        )?;
    }
    Ok(())
}

/// Delete the non-default versions, then the policy.
pub async fn delete_all_versions(aws: &Aws, arn: &str) -> CmdResult {
    for v in aws.list_policy_versions(arn).await? {
        if !v.is_default_version {
            aws.delete_policy_version(arn, &v.version_id).await?;
        }
    }
    aws.delete_policy(arn).await?;
    Ok(())
}

pub(super) async fn set_default(ctx: &Ctx, policy: &str, version: &str) -> CmdResult {
    check_version_id(version)?;
    let p = local_policy(ctx, policy).await?;
    let arn = p.arn;
    if p.default_version_id == version {
        ctx.status(format!("default version of `{arn}` is already {version}"));
        return Ok(());
    }
    if ctx.dry_run(format!(
        "make {version} the default version of `{arn}` (now {})",
        p.default_version_id
    )) {
        return Ok(());
    }
    let aws = ctx.aws().await;
    aws.set_default_policy_version(&arn, version).await?;
    push_default_history(ctx, aws, &arn, &p.default_version_id).await;
    ctx.status(format!("default version of `{arn}` is now {version}"));
    ctx.changed(serde_json::json!({
        "Arn": arn,
        "DefaultVersionId": version,
        "PreviousDefaultVersionId": p.default_version_id,
    }))
}

pub(super) async fn delete(ctx: &Ctx, policy: &str, force: bool) -> CmdResult {
    if policy.contains(":aws:policy/") {
        return Err(CommandError::invalid(format!(
            "`{policy}` is an AWS-managed policy; only customer-managed policies can be deleted"
        )));
    }
    let p = local_policy(ctx, policy).await?;
    let arn = p.arn.clone();
    let aws = ctx.aws().await;
    if !force && !is_managed(&p.tags) {
        return Err(CommandError::failure_help(
            format!("policy `{arn}` is not managed by iamctl (no tag `managed-by=iamctl`)"),
            "pass --force to delete it anyway",
        ));
    }
    let entities = aws.list_entities_for_policy(&arn).await?;
    if !entities.is_empty() && !force {
        return Err(CommandError::failure_help(
            format!(
                "cannot delete policy `{arn}`: it is attached to {}",
                entities.describe()
            ),
            "pass --force to detach it from all of them first",
        ));
    }
    let what = if entities.is_empty() {
        String::new()
    } else {
        format!(" and detach it from {}", entities.describe())
    };
    if ctx.dry_run(format!("delete policy `{arn}` and its versions{what}")) {
        return Ok(());
    }
    ctx.confirm(&format!("delete policy `{arn}`{what}?"))?;
    for u in &entities.users {
        aws.detach_policy(iamctl_aws::PrincipalKind::User, u, &arn)
            .await?;
    }
    for g in &entities.groups {
        aws.detach_policy(iamctl_aws::PrincipalKind::Group, g, &arn)
            .await?;
    }
    for r in &entities.roles {
        aws.detach_policy(iamctl_aws::PrincipalKind::Role, r, &arn)
            .await?;
    }
    delete_all_versions(aws, &arn).await?;
    ctx.status(format!("deleted policy `{arn}`"));
    ctx.changed(serde_json::json!({
        "Arn": arn,
        "Deleted": true,
        "DetachedFrom": {"Users": entities.users, "Groups": entities.groups, "Roles": entities.roles},
    }))
}
