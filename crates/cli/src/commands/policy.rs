//! `iamctl policy ...`: customer-managed policies, their versions, and bundles.

use crate::aws_args::AwsArgs;
use crate::common::{
    is_managed, local_policy, read_document, read_linted_document, short_date, tags_with_managed,
};
use crate::ctx::{fields, table, Ctx};
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{Aws, Policy, PolicyScope, PolicyVersion};
use iamctl_policy::{DocumentKind, EntityKind, PolicyDocument};
use std::path::PathBuf;

/// IAM keeps at most five versions of a managed policy.
pub const MAX_VERSIONS: usize = 5;

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
        } => set_default(ctx, &policy, &version_id).await,
        PolicyCommand::Rollback { policy, to, .. } => rollback(ctx, &policy, to.as_deref()).await,
        PolicyCommand::Delete { policy, force, .. } => delete(ctx, &policy, force).await,
        PolicyCommand::Deploy(a) => deploy(ctx, a).await,
        PolicyCommand::Lint(a) => lint(ctx, a),
    }
}

fn check_version_id(v: &str) -> CmdResult<u32> {
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
    check_version_id(&v.version_id).unwrap_or(0)
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

/// Make `doc` the default version of `policy`: nothing when the default already
/// says the same (one GetPolicyVersion); otherwise, at the 5-version limit the
/// oldest non-default version goes first, never the default.
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
    let versions = aws.list_policy_versions(arn).await?;
    if versions.len() >= MAX_VERSIONS {
        let oldest = versions
            .iter()
            .filter(|v| !v.is_default_version)
            .min_by(|a, b| {
                a.create_date
                    .cmp(&b.create_date)
                    .then(version_number(a).cmp(&version_number(b)))
            })
            .ok_or_else(|| {
                CommandError::failure(format!("policy `{arn}` has no version to prune"))
            })?;
        aws.delete_policy_version(arn, &oldest.version_id).await?;
        ctx.status(format!(
            "deleted version {} of `{arn}` (IAM keeps {MAX_VERSIONS})",
            oldest.version_id
        ));
    }
    let v = aws
        .create_policy_version(arn, &doc.to_compact(), true)
        .await?;
    push_default_history(ctx, aws, arn, &policy.default_version_id).await;
    Ok((Outcome::Updated, Some(v.version_id)))
}

/// The tag holding the defaults a policy had before its current one, oldest first,
/// space-separated (`v3 v5 v6`). IAM keeps no such history; `rollback` needs it.
pub const HISTORY_TAG: &str = "iamctl:default-history";

/// A tag value holds at most 256 characters: the oldest entries go first.
const HISTORY_MAX_CHARS: usize = 256;

async fn read_default_history(aws: &Aws, arn: &str) -> CmdResult<Vec<String>> {
    let tags = aws.list_policy_tags(arn).await?;
    Ok(tags
        .iter()
        .find(|t| t.key == HISTORY_TAG)
        .map(|t| t.value.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default())
}

async fn write_default_history(aws: &Aws, arn: &str, history: &[String]) -> CmdResult {
    let mut h: Vec<&str> = history.iter().map(String::as_str).collect();
    while h.join(" ").len() > HISTORY_MAX_CHARS {
        h.remove(0);
    }
    let tag = iamctl_aws::Tag {
        key: HISTORY_TAG.to_string(),
        value: h.join(" "),
    };
    aws.tag_policy(arn, &[tag]).await?;
    Ok(())
}

/// Record that `old_default` stopped being the default. A failure (no
/// `iam:TagPolicy`) is a warning: the change itself was made.
async fn push_default_history(ctx: &Ctx, aws: &Aws, arn: &str, old_default: &str) {
    let result = async {
        let mut h = read_default_history(aws, arn).await?;
        h.push(old_default.to_string());
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

async fn set_default(ctx: &Ctx, policy: &str, version: &str) -> CmdResult {
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

/// `rollback`: the default before the current one, taken from the history of
/// defaults (`iamctl:default-history`), skipping versions that no longer exist;
/// the history loses that entry and every later one, so rolling back again goes
/// further back and never returns to a version rolled back from. Without a
/// history (a policy iamctl never changed), the newest version older than the
/// default. `--to vN` makes exactly vN the default and cuts the history at vN's
/// last entry when it has one.
async fn rollback(ctx: &Ctx, policy: &str, to: Option<&str>) -> CmdResult {
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
    let exists = |id: &str| vs.iter().any(|v| v.version_id == id);
    let mut history = read_default_history(aws, &arn).await?;
    let (target, how) = match to {
        Some(v) => {
            if !exists(v) {
                return Err(CommandError::failure(format!(
                    "policy `{arn}` has no version {v} (it has {})",
                    vs.iter()
                        .map(|v| v.version_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if let Some(i) = history.iter().rposition(|h| h == v) {
                history.truncate(i);
            }
            (v.to_string(), "as asked")
        }
        None => {
            let mut found = None;
            while let Some(h) = history.pop() {
                if h != default && exists(&h) {
                    found = Some(h);
                    break;
                }
            }
            match found {
                Some(h) => (h, "the previous default, from the history of defaults"),
                None => {
                    let dn = check_version_id(&default).unwrap_or(0);
                    let older = vs
                        .iter()
                        .filter(|v| version_number(v) < dn)
                        .max_by_key(|v| version_number(v))
                        .map(|v| v.version_id.clone())
                        .ok_or_else(|| {
                            CommandError::failure(format!(
                                "policy `{arn}` has no earlier default to go back to (no history in tag `{HISTORY_TAG}`, and no version older than {default})"
                            ))
                        })?;
                    (
                        older,
                        "no history of defaults: the newest version older than the default",
                    )
                }
            }
        }
    };
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

async fn delete(ctx: &Ctx, policy: &str, force: bool) -> CmdResult {
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

/// One `*.json` of a bundle, validated.
pub struct BundleItem {
    pub name: String,
    pub doc: PolicyDocument,
}

/// Read and validate every `*.json` in `dir` (sorted); any error stops before AWS.
pub fn read_bundle(dir: &std::path::Path) -> CmdResult<Vec<BundleItem>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CommandError::invalid(format!("cannot read directory `{}`: {e}", dir.display()))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("json") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(CommandError::invalid(format!(
            "no `*.json` policy documents in `{}`",
            dir.display()
        )));
    }
    let mut items = Vec::new();
    for p in paths {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        iamctl_policy::validate_name(EntityKind::Policy, &name)?;
        let doc = read_document(&p.display().to_string(), DocumentKind::Managed)?;
        items.push(BundleItem { name, doc });
    }
    Ok(items)
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deployed {
    pub policy_name: String,
    pub arn: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_version_id: Option<String>,
}

pub async fn deploy_bundle(
    ctx: &Ctx,
    dir: &std::path::Path,
    skip_existing: bool,
    path: Option<&str>,
) -> CmdResult<Vec<Deployed>> {
    if let Some(p) = path {
        iamctl_policy::validate_path(p)?;
    }
    let items = read_bundle(dir)?;
    let aws = ctx.aws().await;
    let id = ctx.identity().await?;
    let partition = ctx.partition().await?;
    let tags = tags_with_managed(&[])?;
    let mut out = Vec::new();
    for it in items {
        let arn = format!(
            "arn:{partition}:iam::{}:policy{}{}",
            id.account,
            path.unwrap_or("/"),
            it.name
        );
        let existing = match aws.get_policy(&arn).await {
            Ok(p) => Some(p),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.into()),
        };
        let (outcome, version) = match existing {
            None if ctx.dry_run => {
                ctx.status(format!("would create policy {}", it.name));
                (Outcome::Created, None)
            }
            Some(_) if skip_existing => {
                ctx.status(format!(
                    "Policy {} already exists. Skipping deployment.",
                    it.name
                ));
                (Outcome::Skipped, None)
            }
            Some(existing) if ctx.dry_run => {
                let current = aws
                    .get_policy_version(&existing.arn, &existing.default_version_id)
                    .await?;
                let same = current
                    .document
                    .is_some_and(|d| PolicyDocument::from_value(d).same_as(&it.doc));
                if same {
                    ctx.status(format!("Policy {} is up to date.", it.name));
                    (Outcome::Unchanged, Some(existing.default_version_id))
                } else {
                    ctx.status(format!(
                        "would update policy {} (a new default version)",
                        it.name
                    ));
                    (Outcome::Updated, None)
                }
            }
            None => {
                let p = aws
                    .create_policy(&it.name, path, &it.doc.to_compact(), None, &tags)
                    .await?;
                ctx.status(format!("Policy {} created.", it.name));
                (Outcome::Created, Some(p.default_version_id))
            }
            Some(existing) => {
                let (o, v) = set_document(ctx, aws, &existing, &it.doc).await?;
                match o {
                    Outcome::Unchanged => ctx.status(format!("Policy {} is up to date.", it.name)),
                    _ => ctx.status(format!(
                        "Policy {} updated: default version {}.",
                        it.name,
                        v.as_deref().unwrap_or("?")
                    )),
                }
                (o, v)
            }
        };
        out.push(Deployed {
            policy_name: it.name,
            arn,
            outcome,
            default_version_id: version,
        });
    }
    if ctx.dry_run {
        ctx.status("dry run: nothing was changed");
    }
    Ok(out)
}

/// What `policy deploy` and `connector init` print with `--output json`: the list of
/// outcomes, or under `--dry-run` `{"DryRun": true, "Would": [..]}`.
pub fn emit_deployed(ctx: &Ctx, out: &[Deployed]) -> CmdResult {
    if !ctx.json() {
        return Ok(());
    }
    if ctx.dry_run {
        return ctx.emit(&serde_json::json!({"DryRun": true, "Would": out}), |_| {
            String::new()
        });
    }
    ctx.emit(&out, |_| String::new())
}

async fn deploy(ctx: &Ctx, a: DeployArgs) -> CmdResult {
    let out = deploy_bundle(ctx, &a.dir, a.skip_existing, a.path.as_deref()).await?;
    emit_deployed(ctx, &out)
}

/// One finding as `policy lint --output json` prints it.
#[derive(serde::Serialize)]
struct LintRow {
    file: String,
    line: usize,
    column: usize,
    severity: &'static str,
    code: &'static str,
    message: String,
}

fn lint(ctx: &Ctx, a: LintArgs) -> CmdResult {
    use iamctl_policy::lint::{lint, PolicyType};
    use std::io::Read;
    let policy_type = match a.policy_type {
        LintType::Identity => PolicyType::Identity,
        LintType::Resource => PolicyType::Resource,
        LintType::Trust => PolicyType::Trust,
        LintType::Scp => PolicyType::Scp,
        LintType::Rcp => PolicyType::Rcp,
    };
    let mut rows = Vec::new();
    let mut with_errors = 0;
    for f in &a.files {
        let (origin, text) = if f == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            ("<stdin>".to_owned(), s)
        } else {
            let text = std::fs::read_to_string(f)
                .map_err(|e| CommandError::invalid(format!("cannot read `{f}`: {e}")))?;
            (f.clone(), text)
        };
        let report = lint(&origin, &text, policy_type);
        if report.has_errors() {
            with_errors += 1;
        }
        if report.findings.is_empty() {
            ctx.status(format!("{origin}: no findings"));
        }
        rows.extend(report.findings.into_iter().map(|finding| LintRow {
            file: origin.clone(),
            line: finding.line,
            column: finding.column,
            severity: finding.severity.as_str(),
            code: finding.code.as_str(),
            message: finding.message,
        }));
    }
    if ctx.output == crate::ctx::OutputFormat::Sarif {
        lint_sarif(&rows)?;
    } else {
        ctx.emit(&rows, |rows| {
            rows.iter()
                .map(|r| {
                    format!(
                        "{}:{}:{}: {} {}: {}\n",
                        r.file, r.line, r.column, r.severity, r.code, r.message
                    )
                })
                .collect()
        })?;
    }
    if with_errors == 0 {
        Ok(())
    } else {
        Err(CommandError::invalid(format!(
            "{with_errors} of {} policy documents have errors",
            a.files.len()
        )))
    }
}

/// Lint findings as SARIF: every lint code is a rule.
fn lint_sarif(rows: &[LintRow]) -> CmdResult {
    use crate::sarif::{Finding, Level, Rule};
    use iamctl_policy::lint::{Code, Severity};
    let rules: Vec<Rule> = Code::ALL
        .iter()
        .map(|c| Rule {
            id: c.as_str().to_owned(),
            description: c.meaning().to_owned(),
        })
        .collect();
    let findings: Vec<Finding> = rows
        .iter()
        .map(|r| Finding {
            rule: r.code.to_owned(),
            level: match r.severity {
                s if s == Severity::Error.as_str() => Level::Error,
                s if s == Severity::Suggestion.as_str() => Level::Note,
                _ => Level::Warning,
            },
            message: r.message.clone(),
            file: r.file.clone(),
            line: r.line,
            column: r.column,
        })
        .collect();
    crate::sarif::print(&rules, &findings)
}
