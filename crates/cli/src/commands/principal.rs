//! What users, groups and roles share: attach / detach managed policies, and put /
//! delete inline policies.

use crate::common::{read_document, resolve_policy};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use iamctl_aws::PrincipalKind;
use iamctl_policy::{DocumentKind, EntityKind};

fn entity_kind(k: PrincipalKind) -> EntityKind {
    match k {
        PrincipalKind::User => EntityKind::User,
        PrincipalKind::Group => EntityKind::Group,
        PrincipalKind::Role => EntityKind::Role,
    }
}

pub fn check_name(kind: PrincipalKind, name: &str) -> CmdResult {
    iamctl_policy::validate_name(entity_kind(kind), name)?;
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct AttachArgs {
    /// The user, group or role.
    pub name: String,
    /// Policy ARN, or the name of a customer-managed or AWS-managed policy.
    pub policy: String,
}

#[derive(clap::Args, Debug)]
pub struct PutPolicyArgs {
    pub name: String,
    /// Name of the inline policy.
    pub policy_name: String,
    /// Policy document: a file, or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub document: String,
}

#[derive(clap::Args, Debug)]
pub struct DeletePolicyArgs {
    pub name: String,
    pub policy_name: String,
}

pub async fn attach(ctx: &Ctx, kind: PrincipalKind, a: AttachArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    crate::common::check_policy_ref(&a.policy)?;
    let arn = resolve_policy(ctx, &a.policy).await?;
    ctx.aws().await.attach_policy(kind, &a.name, &arn).await?;
    ctx.status(format!(
        "attached `{arn}` to {} `{}`",
        kind.as_str(),
        a.name
    ));
    Ok(())
}

pub async fn detach(ctx: &Ctx, kind: PrincipalKind, a: AttachArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    crate::common::check_policy_ref(&a.policy)?;
    let arn = resolve_policy(ctx, &a.policy).await?;
    ctx.aws().await.detach_policy(kind, &a.name, &arn).await?;
    ctx.status(format!(
        "detached `{arn}` from {} `{}`",
        kind.as_str(),
        a.name
    ));
    Ok(())
}

pub async fn put_policy(ctx: &Ctx, kind: PrincipalKind, a: PutPolicyArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    iamctl_policy::validate_name(EntityKind::Policy, &a.policy_name)?;
    let doc_kind = match kind {
        PrincipalKind::User => DocumentKind::UserInline,
        PrincipalKind::Group => DocumentKind::GroupInline,
        PrincipalKind::Role => DocumentKind::RoleInline,
    };
    let doc = read_document(&a.document, doc_kind)?;
    ctx.aws()
        .await
        .put_inline_policy(kind, &a.name, &a.policy_name, &doc.to_compact())
        .await?;
    ctx.status(format!(
        "put inline policy `{}` on {} `{}`",
        a.policy_name,
        kind.as_str(),
        a.name
    ));
    Ok(())
}

pub async fn delete_policy(ctx: &Ctx, kind: PrincipalKind, a: DeletePolicyArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    iamctl_policy::validate_name(EntityKind::Policy, &a.policy_name)?;
    ctx.confirm(&format!(
        "delete inline policy `{}` of {} `{}`?",
        a.policy_name,
        kind.as_str(),
        a.name
    ))?;
    ctx.aws()
        .await
        .delete_inline_policy(kind, &a.name, &a.policy_name)
        .await?;
    ctx.status(format!(
        "deleted inline policy `{}` of {} `{}`",
        a.policy_name,
        kind.as_str(),
        a.name
    ));
    Ok(())
}
