//! The master copy: the configuration tree and each account's snapshot in
//! S3, written only after a successful apply.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::Timestamp;

use super::apply::ApplyArgs;
use super::plan_file::collect_files;
use super::target::Target;
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// Writes the master copy, only after a successful apply; the IAM changes
/// stand either way.
pub(super) async fn finish_master_copy(
    ctx: &Ctx,
    master: &iamctl_config::Spanned<String>,
    a: &ApplyArgs,
    targets: &[Target],
    changed: &BTreeSet<String>,
    now: Timestamp,
) -> CmdResult {
    if let Err(e) = master_copy(ctx, &master.value, &a.target.dir, targets, changed, now).await {
        eprintln!("{:?}", e.report);
        ctx.status(format!(
            "the master copy was not written to `{}`; the IAM changes were applied and stand (exit {MASTER_COPY_FAILED})",
            master.value
        ));
        return Err(CommandError::silent(MASTER_COPY_FAILED));
    }
    Ok(())
}

/// `apply`'s exit status when every change was applied but the master copy
/// could not be written.
pub const MASTER_COPY_FAILED: u8 = crate::error::exit::MASTER_COPY_FAILED;

/// Seed 001's master copy: the configuration tree and each account's
/// snapshot, under a timestamp. Only the accounts apply changed are read
/// again; the others are as plan read them.
pub(super) async fn master_copy(
    ctx: &Ctx,
    location: &str,
    dir: &Path,
    targets: &[Target],
    changed: &BTreeSet<String>,
    now: Timestamp,
) -> CmdResult {
    let rest = location.strip_prefix("s3://").ok_or_else(|| {
        CommandError::invalid(format!(
            "`master_copy` `{location}` must be `s3://bucket/prefix`"
        ))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_end_matches('/');
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = if prefix.is_empty() {
        stamp
    } else {
        format!("{prefix}/{stamp}")
    };
    let tags = [(
        iamctl_config::MANAGED_BY.0.to_owned(),
        iamctl_config::MANAGED_BY.1.to_owned(),
    )];
    let (b, created) = ctx.aws().await.create_private_bucket(bucket, &tags).await?;
    if created {
        ctx.status(format!(
            "master copy: created bucket `{bucket}` (Block Public Access, default encryption, versioning, tagged {}={})",
            tags[0].0, tags[0].1
        ));
    }
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    for (rel, path) in &files {
        let body = std::fs::read(path)?;
        b.put_object(&format!("{base}/config/{rel}"), body, "application/yaml")
            .await?;
    }
    for t in targets {
        let mut document = if changed.contains(&t.desired.environment) {
            t.aws.authorization_details(true).await?.document
        } else {
            t.snapshot.clone()
        };
        // The run's own lock (held while the copy is written) is no part of
        // the account's state.
        document
            .user_detail_list
            .retain(|u| u.user_name != iamctl_iac::lock::LOCK_USER);
        let body = serde_json::to_vec_pretty(&document)
            .map_err(|e| CommandError::failure(format!("cannot encode snapshot: {e}")))?;
        b.put_object(
            &format!("{base}/snapshots/{}.json", t.desired.environment),
            body,
            "application/json",
        )
        .await?;
    }
    ctx.status(format!(
        "master copy: {} file(s) and {} snapshot(s) in s3://{bucket}/{base}/",
        files.len(),
        targets.len()
    ));
    Ok(())
}
