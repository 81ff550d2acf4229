//! The S3 lock of `apply` and `cleanup` when `master_copy` is set: one
//! object per account in the master-copy bucket, written only when absent
//! (taken before the IAM lock of `iamctl_iac::lock`, see docs/locking.md).

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// How long a lock holds when its holder dies without releasing it.
const LOCK_TTL_SECONDS: i64 = 3600;

/// What a lock object says.
#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct LockInfo {
    holder: String,
    command: String,
    environment: String,
    account_id: String,
    started: String,
    expires: String,
}

/// A lock taken: the object to delete when done.
pub struct Lock {
    bucket: iamctl_aws::Bucket,
    key: String,
}

/// Who is running: user, host, process, and the CI run when there is one.
pub(crate) fn holder() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("GITHUB_ACTOR"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown host".into());
    let mut h = format!("{user} on {host}, pid {}", std::process::id());
    if let (Ok(repo), Ok(run)) = (
        std::env::var("GITHUB_REPOSITORY"),
        std::env::var("GITHUB_RUN_ID"),
    ) {
        h.push_str(&format!(", GitHub run {repo}#{run}"));
    }
    h
}

/// Locks every account of `desired` for the length of an apply or cleanup:
/// `<prefix>/locks/<account id>.json` in the master-copy bucket, written
/// only when absent (S3 conditional write, `If-None-Match: *`), with holder,
/// start and expiry. A lock past its expiry (a holder that died) is taken
/// over; a live one is waited for up to `timeout`, then refused naming its
/// holder, nothing done.
pub async fn lock_accounts(
    ctx: &Ctx,
    location: &str,
    desired: &[iamctl_config::DesiredAccount],
    timeout: std::time::Duration,
    command: &str,
) -> CmdResult<Vec<Lock>> {
    let rest = location.strip_prefix("s3://").ok_or_else(|| {
        CommandError::invalid(format!(
            "`master_copy` `{location}` must be `s3://bucket/prefix`"
        ))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_end_matches('/');
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
    let deadline = std::time::Instant::now() + timeout;
    let me = holder();
    let mut locks: Vec<Lock> = Vec::new();
    let mut accounts: Vec<&iamctl_config::DesiredAccount> = desired.iter().collect();
    // Always in the same order, so two runs never hold one lock each.
    accounts.sort_by(|x, y| x.account_id.cmp(&y.account_id));
    accounts.dedup_by(|x, y| x.account_id == y.account_id);
    for d in accounts {
        let key = if prefix.is_empty() {
            format!("locks/{}.json", d.account_id)
        } else {
            format!("{prefix}/locks/{}.json", d.account_id)
        };
        let mut said = false;
        loop {
            let started = jiff::Timestamp::now();
            let info = LockInfo {
                holder: me.clone(),
                command: command.to_owned(),
                environment: d.environment.clone(),
                account_id: d.account_id.clone(),
                started: iamctl_config::rfc3339(started),
                expires: iamctl_config::rfc3339(
                    started
                        .checked_add(jiff::SignedDuration::from_secs(LOCK_TTL_SECONDS))
                        .unwrap_or(started),
                ),
            };
            let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
            if b.put_if_absent(&key, body, "application/json").await? {
                locks.push(Lock {
                    bucket: b.clone(),
                    key: key.clone(),
                });
                break;
            }
            let held: Option<LockInfo> = b
                .get_text(&key)
                .await?
                .and_then(|t| serde_json::from_str(&t).ok());
            let expired = held.as_ref().is_some_and(|h| {
                h.expires
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|e| e <= jiff::Timestamp::now())
            });
            if expired {
                let h = held.as_ref().map(|h| h.holder.as_str()).unwrap_or("?");
                ctx.status(format!(
                    "account `{}` ({}): the lock of {h} expired; taking it over",
                    d.account_id, d.environment
                ));
                b.delete_key(&key).await?;
                continue;
            }
            let who = held.as_ref().map_or_else(
                || "another run".to_owned(),
                |h| {
                    format!(
                        "{} ({} since {}, until {})",
                        h.holder, h.command, h.started, h.expires
                    )
                },
            );
            let now = std::time::Instant::now();
            if now >= deadline {
                unlock(ctx, locks).await;
                return Err(CommandError::failure_help(
                    format!(
                        "account `{}` ({}) is locked by {who}; nothing was done",
                        d.account_id, d.environment
                    ),
                    format!("wait for it to finish, or pass `--lock-timeout 10m`; a lock left by a run that died expires on its own (s3://{bucket}/{key})"),
                ));
            }
            if !said {
                ctx.status(format!(
                    "account `{}` ({}) is locked by {who}; waiting",
                    d.account_id, d.environment
                ));
                said = true;
            }
            tokio::time::sleep((deadline - now).min(std::time::Duration::from_secs(1))).await;
        }
    }
    Ok(locks)
}

/// Releases locks; a failure to release is said (the lock expires anyway).
pub async fn unlock(ctx: &Ctx, locks: Vec<Lock>) {
    for l in locks {
        if let Err(e) = l.bucket.delete_key(&l.key).await {
            ctx.status(format!(
                "could not release the lock s3://{}/{}: {e} (it expires on its own)",
                l.bucket.name, l.key
            ));
        }
    }
}
