//! `iamctl group ...`. IAM groups cannot carry tags, so `delete` refuses a group
//! with members that are not ours unless `--force`.

use super::principal::{self, AttachArgs, DeletePolicyArgs, PutPolicyArgs};
use crate::common::is_managed;
use crate::ctx::{arn_list, entity_table, fields, Ctx};
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{Group, PrincipalKind};
use iamctl_policy::EntityKind;

#[derive(clap::Subcommand, Debug)]
pub enum GroupCommand {
    /// Create a group.
    Create {
        name: String,
        #[arg(long, value_name = "P")]
        path: Option<String>,
    },
    /// List groups.
    List,
    /// A group with its members and policies.
    Show { name: String },
    /// Delete a group: remove members, inline and attached policies first.
    Delete {
        name: String,
        /// Delete even when members are not managed by iamctl.
        #[arg(long)]
        force: bool,
    },
    /// Add a user to a group.
    AddUser { group: String, user: String },
    /// Remove a user from a group.
    RemoveUser { group: String, user: String },
    /// Attach a managed policy.
    Attach(AttachArgs),
    /// Detach a managed policy.
    Detach(AttachArgs),
    /// Put an inline policy.
    PutPolicy(PutPolicyArgs),
    /// Delete an inline policy.
    DeletePolicy(DeletePolicyArgs),
}

pub async fn run(ctx: &Ctx, cmd: GroupCommand) -> CmdResult {
    match cmd {
        GroupCommand::Create { name, path } => create(ctx, &name, path.as_deref()).await,
        GroupCommand::List => list(ctx).await,
        GroupCommand::Show { name } => show(ctx, &name).await,
        GroupCommand::Delete { name, force } => delete(ctx, &name, force).await,
        GroupCommand::AddUser { group, user } => membership(ctx, &group, &user, true).await,
        GroupCommand::RemoveUser { group, user } => membership(ctx, &group, &user, false).await,
        GroupCommand::Attach(a) => principal::attach(ctx, PrincipalKind::Group, a).await,
        GroupCommand::Detach(a) => principal::detach(ctx, PrincipalKind::Group, a).await,
        GroupCommand::PutPolicy(a) => principal::put_policy(ctx, PrincipalKind::Group, a).await,
        GroupCommand::DeletePolicy(a) => {
            principal::delete_policy(ctx, PrincipalKind::Group, a).await
        }
    }
}

async fn create(ctx: &Ctx, name: &str, path: Option<&str>) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Group, name)?;
    if let Some(p) = path {
        iamctl_policy::validate_path(p)?;
    }
    if ctx.dry_run(format!("create group `{name}`")) {
        return Ok(());
    }
    let g = ctx.aws().await.create_group(name, path).await?;
    ctx.status(format!("created group `{}` ({})", g.group_name, g.arn));
    if ctx.json() {
        ctx.emit(&g, |_| String::new())?;
    }
    Ok(())
}

async fn list(ctx: &Ctx) -> CmdResult {
    let groups = ctx.aws().await.list_groups().await?;
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        groups: Vec<Group>,
    }
    ctx.emit(&Out { groups }, |o| entity_table(&o.groups))
}

async fn show(ctx: &Ctx, name: &str) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Group, name)?;
    let aws = ctx.aws().await;
    let (group, users) = aws.get_group(name).await?;
    let (attached, inline) = tokio::try_join!(
        aws.list_attached(PrincipalKind::Group, name),
        aws.list_inline_policies(PrincipalKind::Group, name),
    )?;
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        group: Group,
        users: Vec<String>,
        attached_policies: Vec<iamctl_aws::AttachedPolicy>,
        inline_policies: Vec<String>,
    }
    let out = Out {
        group,
        users: users.into_iter().map(|u| u.user_name).collect(),
        attached_policies: attached,
        inline_policies: inline,
    };
    ctx.emit(&out, |o| {
        fields(&[
            ("name", o.group.group_name.clone()),
            ("arn", o.group.arn.clone()),
            ("created", o.group.create_date.clone()),
            ("members", o.users.join(", ")),
            ("policies", arn_list(&o.attached_policies)),
            ("inline", o.inline_policies.join(", ")),
        ])
    })
}

async fn delete(ctx: &Ctx, name: &str, force: bool) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Group, name)?;
    let aws = ctx.aws().await;
    let (_, users) = aws.get_group(name).await?;
    if !force {
        use futures::{StreamExt, TryStreamExt};
        // One ListUserTags per member, eight at a time.
        let foreign: Vec<String> = futures::stream::iter(&users)
            .map(|u| async move {
                let tags = aws.list_user_tags(&u.user_name).await?;
                Ok::<_, iamctl_aws::AwsError>((!is_managed(&tags)).then(|| u.user_name.clone()))
            })
            .buffered(8)
            .try_filter_map(|x| async move { Ok(x) })
            .try_collect()
            .await?;
        if !foreign.is_empty() {
            return Err(CommandError::failure_help(
                format!(
                    "group `{name}` has members not managed by iamctl: {}",
                    foreign.join(", ")
                ),
                "pass --force to remove them from the group and delete it anyway",
            ));
        }
    }
    let (attached, inline) = tokio::try_join!(
        aws.list_attached(PrincipalKind::Group, name),
        aws.list_inline_policies(PrincipalKind::Group, name),
    )?;
    ctx.status(format!(
        "group `{name}` has: members [{}], attached policies [{}], inline policies [{}]",
        users
            .iter()
            .map(|u| u.user_name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        arn_list(&attached),
        inline.join(", ")
    ));
    if ctx.dry_run(format!("delete group `{name}` and remove all of the above")) {
        return Ok(());
    }
    ctx.confirm(&format!(
        "delete group `{name}` and remove all of the above?"
    ))?;
    for u in &users {
        aws.remove_user_from_group(name, &u.user_name).await?;
    }
    for p in &inline {
        aws.delete_inline_policy(PrincipalKind::Group, name, p)
            .await?;
    }
    for p in &attached {
        aws.detach_policy(PrincipalKind::Group, name, &p.policy_arn)
            .await?;
    }
    aws.delete_group(name).await?;
    ctx.status(format!("deleted group `{name}`"));
    ctx.changed(serde_json::json!({
        "GroupName": name,
        "Deleted": true,
        "Removed": {
            "Users": users.iter().map(|u| u.user_name.clone()).collect::<Vec<_>>(),
            "InlinePolicies": inline,
            "AttachedPolicies": attached.iter().map(|p| p.policy_arn.clone()).collect::<Vec<_>>(),
        },
    }))
}

async fn membership(ctx: &Ctx, group: &str, user: &str, add: bool) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Group, group)?;
    iamctl_policy::validate_name(EntityKind::User, user)?;
    if ctx.dry_run(if add {
        format!("add user `{user}` to group `{group}`")
    } else {
        format!("remove user `{user}` from group `{group}`")
    }) {
        return Ok(());
    }
    let aws = ctx.aws().await;
    if add {
        aws.add_user_to_group(group, user).await?;
        ctx.status(format!("added user `{user}` to group `{group}`"));
    } else {
        aws.remove_user_from_group(group, user).await?;
        ctx.status(format!("removed user `{user}` from group `{group}`"));
    }
    ctx.changed(serde_json::json!({"GroupName": group, "UserName": user, "Member": add}))
}
