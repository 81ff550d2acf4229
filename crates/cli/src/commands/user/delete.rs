//! Deleting a user and what blocks it (`user delete`, and the removal steps
//! of `s3-user delete` and a failed `connector deploy`).

use super::DeleteArgs;
use crate::common::is_managed;
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};
use iamctl_aws::UserDependents;
use iamctl_policy::EntityKind;

/// Undo a user that a failed command half made: remove what blocks its deletion,
/// delete it, and delete the policies `created_policies` that this same command
/// created (never a policy that existed before). Best effort: reports what it could
/// not undo.
pub async fn undo_user(ctx: &Ctx, aws: &iamctl_aws::Aws, name: &str, created_policies: &[String]) {
    ctx.status(format!(
        "failed; removing user `{name}` and what was made for it"
    ));
    let undone = async {
        let deps = aws.user_dependents(name).await?;
        aws.remove_user_dependents(name, &deps).await?;
        aws.delete_user(name).await?;
        for arn in created_policies {
            crate::commands::policy::delete_all_versions(aws, arn).await?;
        }
        Ok::<(), CommandError>(())
    }
    .await;
    if let Err(e) = undone {
        ctx.status(format!(
            "could not undo everything for user `{name}`: {:?}",
            e.report
        ));
    }
}

/// What [`delete_user`] removed.
#[derive(Debug, Default, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deleted {
    pub user: String,
    pub removed: UserDependents,
    pub deleted_policies: Vec<String>,
}

fn describe(d: &UserDependents) -> Vec<String> {
    let mut v = Vec::new();
    let mut add = |what: &str, items: &[String]| {
        if !items.is_empty() {
            v.push(format!("{what}: {}", items.join(", ")));
        }
    };
    add("access keys", &d.access_keys);
    add("MFA devices", &d.mfa_devices);
    add("SSH public keys", &d.ssh_public_keys);
    add("signing certificates", &d.signing_certificates);
    add(
        "service-specific credentials",
        &d.service_specific_credentials,
    );
    add("groups", &d.groups);
    add("inline policies", &d.inline_policies);
    let attached: Vec<String> = d
        .attached_policies
        .iter()
        .map(|p| p.policy_arn.clone())
        .collect();
    add("attached policies", &attached);
    if d.login_profile {
        v.push("console password (login profile)".into());
    }
    v
}

/// Delete a user and what blocks it; refuses the caller's own identity, and users
/// that are not ours unless `force`. Asks first (or needs `--yes`).
pub async fn delete_user(
    ctx: &Ctx,
    name: &str,
    delete_policies: bool,
    force: bool,
    also: Option<&str>,
) -> CmdResult<Deleted> {
    iamctl_policy::validate_name(EntityKind::User, name)?;
    let aws = ctx.aws().await;
    let user = aws.get_user(name).await?;
    let me = ctx.identity().await?;
    if me.arn == user.arn {
        return Err(CommandError::failure_help(
            format!("refusing to delete user `{name}`: it is the identity iamctl runs as"),
            "run the command with other credentials",
        ));
    }
    if !force && !is_managed(&user.tags) {
        return Err(CommandError::failure_help(
            format!("user `{name}` is not managed by iamctl (no tag `managed-by=iamctl`)"),
            "pass --force to delete it anyway",
        ));
    }
    let deps = aws.user_dependents(name).await?;
    let mut summary = describe(&deps);
    if summary.is_empty() {
        summary.push("nothing attached".into());
    }
    ctx.status(format!("user `{name}` has:\n  {}", summary.join("\n  ")));
    let also = also.map(|a| format!(" {a}")).unwrap_or_default();
    if ctx.dry_run(format!(
        "delete user `{name}` and remove all of the above{also}{}",
        if delete_policies {
            " (and the iamctl policies only it used)"
        } else {
            ""
        }
    )) {
        return Ok(Deleted {
            user: name.to_string(),
            removed: deps,
            deleted_policies: Vec::new(),
        });
    }
    ctx.confirm(&format!(
        "delete user `{name}` and remove all of the above{also}?"
    ))?;
    aws.remove_user_dependents(name, &deps).await?;
    aws.delete_user(name).await?;
    ctx.status(format!("deleted user `{name}`"));
    let mut deleted_policies = Vec::new();
    if delete_policies {
        for p in &deps.attached_policies {
            if p.policy_arn.contains(":aws:policy/") {
                continue;
            }
            let policy = match aws.get_policy(&p.policy_arn).await {
                Ok(pol) => pol,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            if !is_managed(&policy.tags) {
                ctx.status(format!(
                    "kept policy `{}`: not managed by iamctl",
                    p.policy_arn
                ));
                continue;
            }
            let users_of = aws.list_entities_for_policy(&p.policy_arn).await?;
            if !users_of.is_empty() {
                ctx.status(format!(
                    "kept policy `{}`: still attached to {}",
                    p.policy_arn,
                    users_of.describe()
                ));
                continue;
            }
            crate::commands::policy::delete_all_versions(aws, &p.policy_arn).await?;
            ctx.status(format!("deleted policy `{}`", p.policy_arn));
            deleted_policies.push(p.policy_arn.clone());
        }
    }
    Ok(Deleted {
        user: name.to_string(),
        removed: deps,
        deleted_policies,
    })
}

pub(super) async fn delete(ctx: &Ctx, a: DeleteArgs) -> CmdResult {
    let d = delete_user(ctx, &a.name, a.delete_policies, a.force, None).await?;
    if ctx.json() && !ctx.dry_run {
        ctx.emit(&d, |_| String::new())?;
    }
    Ok(())
}
