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

/// What `user create` and `role create` share.
#[derive(clap::Args, Debug)]
pub struct NewPrincipalArgs {
    /// IAM path, such as `/teams/data/`.
    #[arg(long, value_name = "P")]
    pub path: Option<String>,
    /// A tag `KEY=VALUE`; repeat for more (`managed-by=iamctl` is always added).
    #[arg(long = "tag", value_name = "K=V")]
    pub tags: Vec<String>,
    /// Permissions boundary: a managed policy, by ARN or name.
    #[arg(long, value_name = "POLICY")]
    pub boundary: Option<String>,
    /// Attach a managed policy (ARN or name); repeat for more.
    #[arg(long = "attach", value_name = "POLICY")]
    pub attach: Vec<String>,
}

/// [`NewPrincipalArgs`] checked offline ([`NewPrincipalArgs::check`]), then
/// resolved against the account ([`Checked::resolve`]), all before any change.
pub struct Checked<'a> {
    args: &'a NewPrincipalArgs,
    pub tags: Vec<iamctl_aws::Tag>,
}

pub struct Resolved {
    pub tags: Vec<iamctl_aws::Tag>,
    pub boundary: Option<String>,
    pub attach: Vec<String>,
}

impl NewPrincipalArgs {
    /// Syntax and limits; no AWS call.
    pub fn check(&self, kind: PrincipalKind) -> CmdResult<Checked<'_>> {
        if let Some(p) = &self.path {
            iamctl_policy::validate_path(p)?;
        }
        let tags = crate::common::tags_with_managed(&self.tags)?;
        for p in self.boundary.iter().chain(&self.attach) {
            crate::common::check_policy_ref(p)?;
        }
        if self.attach.len() > 20 {
            return Err(crate::error::CommandError::invalid(format!(
                "{} policies to attach; IAM allows at most 20 managed policies per {}",
                self.attach.len(),
                kind.as_str()
            )));
        }
        Ok(Checked { args: self, tags })
    }
}

impl Checked<'_> {
    /// Every policy named must exist.
    pub async fn resolve(self, ctx: &Ctx) -> CmdResult<Resolved> {
        let boundary = match &self.args.boundary {
            Some(b) => Some(resolve_policy(ctx, b).await?),
            None => None,
        };
        let mut attach = Vec::with_capacity(self.args.attach.len());
        for p in &self.args.attach {
            attach.push(resolve_policy(ctx, p).await?);
        }
        Ok(Resolved {
            tags: self.tags,
            boundary,
            attach,
        })
    }
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

/// `UserName`, `RoleName` or `GroupName`: the JSON key naming a principal.
fn name_key(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "UserName",
        PrincipalKind::Group => "GroupName",
        PrincipalKind::Role => "RoleName",
    }
}

fn change(kind: PrincipalKind, name: &str, fields: serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    out.insert(name_key(kind).into(), serde_json::json!(name));
    if let serde_json::Value::Object(m) = fields {
        out.extend(m);
    }
    serde_json::Value::Object(out)
}

pub async fn attach(ctx: &Ctx, kind: PrincipalKind, a: AttachArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    let arn = resolve_policy(ctx, &a.policy).await?;
    if ctx.dry_run(format!("attach `{arn}` to {} `{}`", kind.as_str(), a.name)) {
        return Ok(());
    }
    ctx.aws().await.attach_policy(kind, &a.name, &arn).await?;
    ctx.status(format!(
        "attached `{arn}` to {} `{}`",
        kind.as_str(),
        a.name
    ));
    ctx.changed(change(
        kind,
        &a.name,
        serde_json::json!({"PolicyArn": arn, "Attached": true}),
    ))
}

pub async fn detach(ctx: &Ctx, kind: PrincipalKind, a: AttachArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    let arn = resolve_policy(ctx, &a.policy).await?;
    if ctx.dry_run(format!(
        "detach `{arn}` from {} `{}`",
        kind.as_str(),
        a.name
    )) {
        return Ok(());
    }
    ctx.aws().await.detach_policy(kind, &a.name, &arn).await?;
    ctx.status(format!(
        "detached `{arn}` from {} `{}`",
        kind.as_str(),
        a.name
    ));
    ctx.changed(change(
        kind,
        &a.name,
        serde_json::json!({"PolicyArn": arn, "Attached": false}),
    ))
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
    if ctx.dry_run(format!(
        "put inline policy `{}` on {} `{}`",
        a.policy_name,
        kind.as_str(),
        a.name
    )) {
        return Ok(());
    }
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
    ctx.changed(change(
        kind,
        &a.name,
        serde_json::json!({"PolicyName": a.policy_name, "PolicyDocument": serde_json::from_str::<serde_json::Value>(&doc.to_compact()).unwrap_or_default()}),
    ))
}

pub async fn delete_policy(ctx: &Ctx, kind: PrincipalKind, a: DeletePolicyArgs) -> CmdResult {
    check_name(kind, &a.name)?;
    iamctl_policy::validate_name(EntityKind::Policy, &a.policy_name)?;
    if ctx.dry_run(format!(
        "delete inline policy `{}` of {} `{}`",
        a.policy_name,
        kind.as_str(),
        a.name
    )) {
        return Ok(());
    }
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
    ctx.changed(change(
        kind,
        &a.name,
        serde_json::json!({"PolicyName": a.policy_name, "Deleted": true}),
    ))
}
