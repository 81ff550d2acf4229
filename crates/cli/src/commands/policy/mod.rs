//! `iamctl policy ...`: customer-managed policies, their versions, and bundles.
//! The decisions about versions (what to prune, where `rollback` goes) are
//! `iamctl_iac::versions`; this module asks, calls IAM and prints.

mod bundle;
mod lint;
mod versions;

pub use bundle::{deploy_bundle, emit_deployed};
pub use versions::{delete_all_versions, set_document};

use crate::aws_args::AwsArgs;
use crate::common::{local_policy, read_linted_document, short_date, tags_with_managed};
use crate::ctx::{fields, table, Ctx};
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{Policy, PolicyScope, PolicyVersion};
use iamctl_policy::{DocumentKind, EntityKind, PolicyDocument};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum PolicyCommand {
    /// Create a customer-managed policy (tagged `managed-by=iamctl`).
    Create(CreateArgs),
    /// List policies (customer-managed by default).
    List(ListArgs),
    /// A policy and the document of its default (or another) version.
    Show {
        policy: String,
        /// Show this version instead of the default, e.g. `v2`.
        #[arg(long, value_name = "vN")]
        version_id: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// New default version from a document; prunes the oldest at the 5-version limit.
    Update {
        policy: String,
        #[arg(long, value_name = "FILE")]
        document: String,
        /// Skip the lint (by default an `ERROR` finding refuses the update).
        #[arg(long)]
        no_lint: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// The versions of a policy.
    Versions {
        policy: String,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Make a version the default.
    SetDefault {
        policy: String,
        #[arg(value_name = "VERSION")]
        version_id: String,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Go back to the previous default, by the history of defaults iamctl keeps in
    /// the policy's `iamctl:default-history` tag (`--to vN`: exactly that version).
    Rollback {
        policy: String,
        #[arg(long, value_name = "vN")]
        to: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Delete a policy, its versions, and (with --force) its attachments.
    Delete {
        policy: String,
        /// Detach from every user, group and role first; delete even if not ours.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Deploy every `*.json` in DIR as a managed policy named after its file stem.
    Deploy(DeployArgs),
    /// Check policy documents offline.
    Lint(LintArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    pub name: String,
    /// Policy document: a file, or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub document: String,
    #[arg(long, value_name = "P")]
    pub path: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long = "tag", value_name = "K=V")]
    pub tags: Vec<String>,
    /// Skip the lint (by default an `ERROR` finding refuses to create the policy).
    #[arg(long)]
    pub no_lint: bool,
    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// `local` (customer-managed), `aws` (AWS-managed) or `all`.
    #[arg(long, value_enum, default_value = "local")]
    pub scope: Scope,
    /// Only policies attached to something.
    #[arg(long)]
    pub only_attached: bool,
    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Scope {
    Local,
    Aws,
    All,
}

#[derive(clap::Args, Debug)]
pub struct DeployArgs {
    pub dir: PathBuf,
    /// Leave existing policies alone even when their document differs.
    #[arg(long)]
    pub skip_existing: bool,
    #[arg(long, value_name = "P")]
    pub path: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Policy documents; `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<String>,
    /// What the documents are: identity (managed or inline), resource, trust, scp, rcp.
    #[arg(long = "type", value_enum, default_value = "identity")]
    pub policy_type: LintType,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LintType {
    Identity,
    Resource,
    Trust,
    Scp,
    Rcp,
}

impl PolicyCommand {
    /// The AWS options given after the command; `lint` takes none.
    pub fn aws(&self) -> Option<&AwsArgs> {
        use PolicyCommand::*;
        match self {
            Create(CreateArgs { aws, .. })
            | List(ListArgs { aws, .. })
            | Deploy(DeployArgs { aws, .. }) => Some(aws),
            Show { aws, .. } | Update { aws, .. } | Versions { aws, .. } => Some(aws),
            SetDefault { aws, .. } | Rollback { aws, .. } | Delete { aws, .. } => Some(aws),
            Lint(_) => None,
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: PolicyCommand) -> CmdResult {
    match cmd {
        PolicyCommand::Create(a) => create(ctx, a).await,
        PolicyCommand::List(a) => list(ctx, a).await,
        PolicyCommand::Show {
            policy, version_id, ..
        } => show(ctx, &policy, version_id.as_deref()).await,
        PolicyCommand::Update {
            policy,
            document,
            no_lint,
            ..
        } => update(ctx, &policy, &document, no_lint).await,
        PolicyCommand::Versions { policy, .. } => versions(ctx, &policy).await,
        PolicyCommand::SetDefault {
            policy, version_id, ..
        } => versions::set_default(ctx, &policy, &version_id).await,
        PolicyCommand::Rollback { policy, to, .. } => {
            versions::rollback(ctx, &policy, to.as_deref()).await
        }
        PolicyCommand::Delete { policy, force, .. } => versions::delete(ctx, &policy, force).await,
        PolicyCommand::Deploy(a) => bundle::deploy(ctx, a).await,
        PolicyCommand::Lint(a) => lint::lint(ctx, a),
    }
}

pub(super) fn check_version_id(v: &str) -> CmdResult<u32> {
    v.strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| {
            CommandError::invalid_help(
                format!("`{v}` is not a policy version"),
                "versions are written `v1`, `v2`, ...",
            )
        })
}

fn version_number(v: &PolicyVersion) -> u32 {
    iamctl_iac::versions::version_number(&v.version_id).unwrap_or(0)
}

async fn create(ctx: &Ctx, a: CreateArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Policy, &a.name)?;
    if let Some(p) = &a.path {
        iamctl_policy::validate_path(p)?;
    }
    let tags = tags_with_managed(&a.tags)?;
    let doc = read_linted_document(ctx, &a.document, DocumentKind::Managed, a.no_lint)?;
    if ctx.dry_run(format!(
        "create policy `{}`{}",
        a.name,
        a.path
            .as_deref()
            .map(|p| format!(" under `{p}`"))
            .unwrap_or_default()
    )) {
        return Ok(());
    }
    let p = ctx
        .aws()
        .await
        .create_policy(
            &a.name,
            a.path.as_deref(),
            &doc.to_compact(),
            a.description.as_deref(),
            &tags,
        )
        .await?;
    ctx.status(format!("created policy `{}` ({})", p.policy_name, p.arn));
    if ctx.json() {
        ctx.emit(&p, |_| String::new())?;
    }
    Ok(())
}

async fn list(ctx: &Ctx, a: ListArgs) -> CmdResult {
    let scope = match a.scope {
        Scope::Local => PolicyScope::Local,
        Scope::Aws => PolicyScope::Aws,
        Scope::All => PolicyScope::All,
    };
    let policies = ctx
        .aws()
        .await
        .list_policies(scope, a.only_attached)
        .await?;
    if ctx.json() {
        // ListPolicies does not return tags.
        let doc = crate::ctx::listing("Policies", &policies, &["Tags"])?;
        return ctx.emit(&doc, |_| String::new());
    }
    ctx.emit(&policies, |policies: &Vec<Policy>| {
        table(
            &["NAME", "DEFAULT", "ATTACHED", "UPDATED", "ARN"],
            policies
                .iter()
                .map(|p| {
                    vec![
                        p.policy_name.clone(),
                        p.default_version_id.clone(),
                        p.attachment_count.to_string(),
                        short_date(&p.update_date),
                        p.arn.clone(),
                    ]
                })
                .collect(),
        )
    })
}

async fn show(ctx: &Ctx, policy: &str, version: Option<&str>) -> CmdResult {
    if let Some(v) = version {
        check_version_id(v)?;
    }
    let arn = crate::common::resolve_policy(ctx, policy).await?;
    let aws = ctx.aws().await;
    let p = aws.get_policy(&arn).await?;
    let v = aws
        .get_policy_version(&arn, version.unwrap_or(&p.default_version_id))
        .await?;
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        policy: Policy,
        version: PolicyVersion,
    }
    ctx.emit(
        &Out {
            policy: p,
            version: v,
        },
        |o| {
            let mut s = fields(&[
                ("name", o.policy.policy_name.clone()),
                ("arn", o.policy.arn.clone()),
                ("default", o.policy.default_version_id.clone()),
                ("attached", o.policy.attachment_count.to_string()),
                (
                    "description",
                    o.policy.description.clone().unwrap_or_default(),
                ),
                ("version", o.version.version_id.clone()),
            ]);
            if let Some(d) = &o.version.document {
                s.push_str(&serde_json::to_string_pretty(d).unwrap_or_default());
            }
            s
        },
    )
}

/// What happened to one policy in an update or a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Skipped,
}

async fn update(ctx: &Ctx, policy: &str, document: &str, no_lint: bool) -> CmdResult {
    let doc = read_linted_document(ctx, document, DocumentKind::Managed, no_lint)?;
    let p = local_policy(ctx, policy).await?;
    let arn = p.arn.clone();
    let aws = ctx.aws().await;
    if ctx.dry_run {
        let current = aws.get_policy_version(&arn, &p.default_version_id).await?;
        let same = current
            .document
            .is_some_and(|d| PolicyDocument::from_value(d).same_as(&doc));
        ctx.dry_run(if same {
            format!(
                "leave `{arn}` unchanged (default {} is identical)",
                p.default_version_id
            )
        } else {
            format!(
                "make the document a new default version of `{arn}` (now {})",
                p.default_version_id
            )
        });
        return Ok(());
    }
    let (outcome, version) = set_document(ctx, aws, &p, &doc).await?;
    let version = version.unwrap_or_default();
    match outcome {
        Outcome::Unchanged => ctx.status(format!(
            "policy `{arn}` unchanged (default {version} is identical)"
        )),
        _ => ctx.status(format!("policy `{arn}` updated: default is now {version}")),
    }
    if ctx.json() {
        ctx.emit(
            &serde_json::json!({"Arn": arn, "Outcome": outcome, "DefaultVersionId": version}),
            |_| String::new(),
        )?;
    }
    Ok(())
}

async fn versions(ctx: &Ctx, policy: &str) -> CmdResult {
    let arn = crate::common::resolve_policy(ctx, policy).await?;
    let mut vs = ctx.aws().await.list_policy_versions(&arn).await?;
    vs.sort_by_key(version_number);
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        versions: Vec<PolicyVersion>,
    }
    ctx.emit(&Out { versions: vs }, |o| {
        table(
            &["VERSION", "DEFAULT", "CREATED"],
            o.versions
                .iter()
                .map(|v| {
                    vec![
                        v.version_id.clone(),
                        if v.is_default_version { "yes" } else { "" }.to_string(),
                        short_date(&v.create_date),
                    ]
                })
                .collect(),
        )
    })
}
