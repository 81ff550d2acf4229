//! `iamctl user ...`

mod delete;

pub use delete::{delete_user, undo_user};

use super::principal::{self, AttachArgs, DeletePolicyArgs, PutPolicyArgs};
use crate::common::{check_policy_ref, resolve_policy};
use crate::credfile::{KeyFile, KeyFormat};
use crate::ctx::{arn_list, entity_table, fields, listing, tag_list, Ctx};
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{PrincipalKind, User};
use iamctl_policy::EntityKind;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (tagged `managed-by=iamctl`), with policies, groups and a key.
    Create(CreateArgs),
    /// List users.
    List(ListArgs),
    /// A user with its tags, groups, policies and access keys.
    Show { name: String },
    /// Rename, move, tag or set the permissions boundary of a user.
    Update(UpdateArgs),
    /// Delete a user and everything that blocks deletion.
    Delete(DeleteArgs),
    /// Attach a managed policy.
    Attach(AttachArgs),
    /// Detach a managed policy.
    Detach(AttachArgs),
    /// Put an inline policy.
    PutPolicy(PutPolicyArgs),
    /// Delete an inline policy.
    DeletePolicy(DeletePolicyArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    pub name: String,
    #[command(flatten)]
    pub new: principal::NewPrincipalArgs,
    /// Add to a group; repeat for more.
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// Also create an access key: to `--credentials-file`, else to stdout.
    #[arg(long)]
    pub access_key: bool,
    /// Where the new key goes: created new, mode 0600, never overwritten
    /// (implies --access-key).
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
    /// Format of the credentials file (default: from its extension, else csv).
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only users under this path.
    #[arg(long, value_name = "P")]
    pub path_prefix: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    pub name: String,
    #[arg(long, value_name = "NAME")]
    pub new_name: Option<String>,
    #[arg(long, value_name = "P")]
    pub new_path: Option<String>,
    #[arg(long = "tag", value_name = "K=V")]
    pub tags: Vec<String>,
    #[arg(long, value_name = "ARN")]
    pub boundary: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct DeleteArgs {
    pub name: String,
    /// Also delete customer-managed policies that are ours (tagged) and attached
    /// nowhere else.
    #[arg(long)]
    pub delete_policies: bool,
    /// Delete even if the user is not tagged `managed-by=iamctl`.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(ctx: &Ctx, cmd: UserCommand) -> CmdResult {
    match cmd {
        UserCommand::Create(a) => create(ctx, a).await,
        UserCommand::List(a) => list(ctx, a).await,
        UserCommand::Show { name } => show(ctx, &name).await,
        UserCommand::Update(a) => update(ctx, a).await,
        UserCommand::Delete(a) => delete::delete(ctx, a).await,
        UserCommand::Attach(a) => principal::attach(ctx, PrincipalKind::User, a).await,
        UserCommand::Detach(a) => principal::detach(ctx, PrincipalKind::User, a).await,
        UserCommand::PutPolicy(a) => principal::put_policy(ctx, PrincipalKind::User, a).await,
        UserCommand::DeletePolicy(a) => principal::delete_policy(ctx, PrincipalKind::User, a).await,
    }
}

async fn create(ctx: &Ctx, a: CreateArgs) -> CmdResult {
    // Everything is checked before the first change.
    iamctl_policy::validate_name(EntityKind::User, &a.name)?;
    let checked = a.new.check(PrincipalKind::User)?;
    for g in &a.groups {
        iamctl_policy::validate_name(EntityKind::Group, g)?;
    }
    if a.groups.len() > 10 {
        return Err(CommandError::invalid(format!(
            "{} groups given; IAM allows a user in 10 groups",
            a.groups.len()
        )));
    }
    let key_file = match &a.credentials_file {
        Some(p) => Some(KeyFile::reserve(p, a.format)?),
        None => None,
    };
    let aws = ctx.aws().await;
    let new = checked.resolve(ctx).await?;
    for g in &a.groups {
        aws.check_group(g).await?;
    }
    if ctx.dry_run(format!(
        "create user `{}`{}{}{}",
        a.name,
        if a.groups.is_empty() {
            String::new()
        } else {
            format!(", add it to {}", a.groups.join(", "))
        },
        if a.access_key {
            ", create an access key"
        } else {
            ""
        },
        ", tagged managed-by=iamctl"
    )) {
        return Ok(());
    }
    let user = aws
        .create_user(&iamctl_aws::NewUser {
            name: &a.name,
            path: a.new.path.as_deref(),
            tags: &new.tags,
            boundary: new.boundary.as_deref(),
        })
        .await?;
    ctx.status(format!("created user `{}` ({})", user.user_name, user.arn));
    let rest: CmdResult = async {
        for arn in &new.attach {
            aws.attach_policy(PrincipalKind::User, &a.name, arn).await?;
            ctx.status(format!("attached `{arn}`"));
        }
        for g in &a.groups {
            aws.add_user_to_group(g, &a.name).await?;
            ctx.status(format!("added to group `{g}`"));
        }
        if a.access_key || key_file.is_some() {
            super::key::issue(ctx, aws, &a.name, key_file, a.format).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = rest {
        undo_user(ctx, aws, &a.name, &[]).await;
        return Err(e);
    }
    // One JSON document on stdout: a key printed there (it names the user) is it.
    let key_on_stdout = a.access_key && a.credentials_file.is_none();
    if ctx.json() && !key_on_stdout {
        ctx.emit(&user, |_| String::new())?;
    }
    Ok(())
}

async fn list(ctx: &Ctx, a: ListArgs) -> CmdResult {
    if let Some(p) = &a.path_prefix {
        iamctl_policy::validate_path(p)?;
    }
    let users = ctx.aws().await.list_users(a.path_prefix.as_deref()).await?;
    if ctx.json() {
        // ListUsers returns neither tags nor permissions boundaries.
        let doc = listing("Users", &users, &["Tags", "PermissionsBoundary"])?;
        return ctx.emit(&doc, |_| String::new());
    }
    ctx.emit(&users, |u| entity_table(u))
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct ShowUser {
    user: User,
    groups: Vec<String>,
    attached_policies: Vec<iamctl_aws::AttachedPolicy>,
    inline_policies: Vec<String>,
    access_keys: Vec<iamctl_aws::AccessKeyInfo>,
}

async fn show(ctx: &Ctx, name: &str) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::User, name)?;
    let aws = ctx.aws().await;
    let user = aws.get_user(name).await?;
    let (groups, attached, inline, keys) = tokio::try_join!(
        aws.list_groups_for_user(name),
        aws.list_attached(PrincipalKind::User, name),
        aws.list_inline_policies(PrincipalKind::User, name),
        aws.list_access_keys(name, false),
    )?;
    let out = ShowUser {
        user,
        groups: groups.into_iter().map(|g| g.group_name).collect(),
        attached_policies: attached,
        inline_policies: inline,
        access_keys: keys,
    };
    ctx.emit(&out, |o| {
        fields(&[
            ("name", o.user.user_name.clone()),
            ("arn", o.user.arn.clone()),
            ("path", o.user.path.clone()),
            ("created", o.user.create_date.clone()),
            (
                "boundary",
                o.user.permissions_boundary.clone().unwrap_or_default(),
            ),
            ("tags", tag_list(&o.user.tags)),
            ("groups", o.groups.join(", ")),
            ("policies", arn_list(&o.attached_policies)),
            ("inline", o.inline_policies.join(", ")),
            (
                "access keys",
                o.access_keys
                    .iter()
                    .map(|k| format!("{} ({})", k.access_key_id, k.status))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ])
    })
}

async fn update(ctx: &Ctx, a: UpdateArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::User, &a.name)?;
    if let Some(n) = &a.new_name {
        iamctl_policy::validate_name(EntityKind::User, n)?;
    }
    if let Some(p) = &a.new_path {
        iamctl_policy::validate_path(p)?;
    }
    let mut tags = Vec::new();
    for t in &a.tags {
        let (key, value) = iamctl_policy::parse_tag(t)?;
        tags.push(iamctl_aws::Tag { key, value });
    }
    if let Some(b) = &a.boundary {
        check_policy_ref(b)?;
    }
    if a.new_name.is_none() && a.new_path.is_none() && tags.is_empty() && a.boundary.is_none() {
        return Err(CommandError::usage(
            "nothing to update: give --new-name, --new-path, --tag or --boundary",
        ));
    }
    let aws = ctx.aws().await;
    aws.get_user(&a.name).await?;
    let boundary = match &a.boundary {
        Some(b) => Some(resolve_policy(ctx, b).await?),
        None => None,
    };
    let mut changes = Vec::new();
    if let Some(n) = &a.new_name {
        changes.push(format!("rename it to `{n}`"));
    }
    if let Some(p) = &a.new_path {
        changes.push(format!("move it to path `{p}`"));
    }
    if !tags.is_empty() {
        changes.push(format!("tag it {}", tag_list(&tags)));
    }
    if let Some(b) = &boundary {
        changes.push(format!("set its permissions boundary to `{b}`"));
    }
    if ctx.dry_run(format!("update user `{}`: {}", a.name, changes.join(", "))) {
        return Ok(());
    }
    if !tags.is_empty() {
        aws.tag_user(&a.name, &tags).await?;
    }
    if let Some(b) = &boundary {
        aws.put_user_permissions_boundary(&a.name, b).await?;
    }
    if a.new_name.is_some() || a.new_path.is_some() {
        aws.update_user(&a.name, a.new_name.as_deref(), a.new_path.as_deref())
            .await?;
    }
    let now = a.new_name.as_deref().unwrap_or(&a.name);
    if now == a.name {
        ctx.status(format!("updated user `{}`: {}", a.name, changes.join(", ")));
    } else {
        ctx.status(format!(
            "updated user `{}`, now `{now}`: {}",
            a.name,
            changes.join(", ")
        ));
    }
    let user = aws.get_user(now).await?;
    ctx.changed(serde_json::json!({
        "User": user,
        "PreviousUserName": a.name,
    }))
}
