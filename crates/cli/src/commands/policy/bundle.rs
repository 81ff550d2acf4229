//! `policy deploy` (and `connector init`): every `*.json` of a folder as a
//! managed policy named after its file.

use super::{set_document, DeployArgs, Outcome};
use crate::common::{read_document, tags_with_managed};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};
use iamctl_policy::{DocumentKind, EntityKind, PolicyDocument};
use std::path::PathBuf;

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

pub(super) async fn deploy(ctx: &Ctx, a: DeployArgs) -> CmdResult {
    let out = deploy_bundle(ctx, &a.dir, a.skip_existing, a.path.as_deref()).await?;
    emit_deployed(ctx, &out)
}
