//! `iamctl key ...`: access keys. A new secret goes only to `--credentials-file`, or
//! to stdout when no file is given.

use crate::common::short_date;
use crate::credfile::{render_key, KeyFile, KeyFormat};
use crate::ctx::{table, Ctx};
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{AccessKeyInfo, Aws, NewAccessKey};
use iamctl_policy::EntityKind;
use std::path::PathBuf;

/// AWS allows two access keys per user.
pub const MAX_KEYS: usize = 2;

#[derive(clap::Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an access key; the secret goes to the file, or to stdout without one.
    Create(CreateArgs),
    /// Keys with status, creation and last use (date, service, region).
    List {
        /// The user; without it, every user of the account (eight at a time).
        user: Option<String>,
    },
    /// Make a key usable again.
    Activate { user: String, key_id: String },
    /// Stop a key from working without deleting it.
    Deactivate { user: String, key_id: String },
    /// Delete a key.
    Delete { user: String, key_id: String },
    /// Create a new key, then deactivate (default) or delete the old one.
    Rotate(RotateArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    pub user: String,
    /// Created new with mode 0600; refused if it exists (and then no key is made).
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
    /// File or stdout format (default: from the extension, else csv).
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
}

#[derive(clap::Args, Debug)]
pub struct RotateArgs {
    pub user: String,
    #[arg(long, value_name = "FILE")]
    pub credentials_file: PathBuf,
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
    /// Delete the old key instead of deactivating it.
    #[arg(long, conflicts_with = "keep_old")]
    pub delete_old: bool,
    /// Leave the old key active (deactivate it yourself once clients moved).
    #[arg(long)]
    pub keep_old: bool,
}

pub async fn run(ctx: &Ctx, cmd: KeyCommand) -> CmdResult {
    match cmd {
        KeyCommand::Create(a) => create(ctx, a).await,
        KeyCommand::List { user } => list(ctx, user.as_deref()).await,
        KeyCommand::Activate { user, key_id } => set_status(ctx, &user, &key_id, true).await,
        KeyCommand::Deactivate { user, key_id } => set_status(ctx, &user, &key_id, false).await,
        KeyCommand::Delete { user, key_id } => delete(ctx, &user, &key_id).await,
        KeyCommand::Rotate(a) => rotate(ctx, a).await,
    }
}

fn check_key_id(id: &str) -> CmdResult {
    let ok = (16..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(CommandError::invalid_help(
            format!("`{id}` is not an access key id"),
            "access key ids are 16 to 128 letters and digits, such as `AKIAIOSFODNN7EXAMPLE`",
        ))
    }
}

/// Refuse a third key before asking AWS for it.
fn check_room(user: &str, keys: &[AccessKeyInfo]) -> CmdResult {
    if keys.len() >= MAX_KEYS {
        let ids: Vec<String> = keys
            .iter()
            .map(|k| format!("{} ({})", k.access_key_id, k.status))
            .collect();
        return Err(CommandError::invalid_help(
            format!(
                "user `{user}` already has {} access keys ({}); AWS allows {MAX_KEYS}",
                keys.len(),
                ids.join(", ")
            ),
            "delete one first (`iamctl key delete USER KEY_ID`); no key was created",
        ));
    }
    Ok(())
}

/// Where a new key goes: the reserved file, or stdout.
/// Create a key and hand its secret to `file`, or to stdout without one.
pub async fn issue(
    ctx: &Ctx,
    aws: &Aws,
    user: &str,
    file: Option<KeyFile>,
    format: Option<KeyFormat>,
) -> CmdResult<NewAccessKey> {
    let key = aws.create_access_key(user).await?;
    match file {
        Some(f) => {
            let path = f.path().display().to_string();
            let fmt = f.format;
            if let Err(e) = f.write(&render_key(&key, fmt)) {
                // A key whose secret reached no one is of no use: take it back.
                let undone = aws.delete_access_key(user, &key.access_key_id).await;
                return Err(CommandError::failure(format!(
                    "cannot write `{path}` ({}); access key `{}` {}",
                    e.report,
                    key.access_key_id,
                    if undone.is_ok() {
                        "was deleted again"
                    } else {
                        "could not be deleted: delete it by hand"
                    }
                )));
            }
            ctx.status(format!(
                "created access key `{}` for user `{user}`; secret written to `{path}` (mode 0600)",
                key.access_key_id
            ));
        }
        None => {
            let fmt = format.unwrap_or(if ctx.json() {
                KeyFormat::Json
            } else {
                KeyFormat::Env
            });
            if crate::ctx::print_out(&render_key(&key, fmt)).is_err() {
                // The secret reached no one (stdout closed): take the key back.
                let undone = aws.delete_access_key(user, &key.access_key_id).await;
                return Err(CommandError::failure(format!(
                    "stdout was closed before the secret of access key `{}` could be shown; the key {}",
                    key.access_key_id,
                    if undone.is_ok() {
                        "was deleted again"
                    } else {
                        "could not be deleted: delete it by hand"
                    }
                )));
            }
            ctx.status(format!(
                "created access key `{}` for user `{user}`; the secret above is shown once",
                key.access_key_id
            ));
        }
    }
    Ok(key)
}

async fn create(ctx: &Ctx, a: CreateArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::User, &a.user)?;
    let file = match &a.credentials_file {
        Some(p) => Some(KeyFile::reserve(p, a.format)?),
        None => None,
    };
    let aws = ctx.aws().await;
    let keys = aws.list_access_keys(&a.user, false).await?;
    check_room(&a.user, &keys)?;
    if ctx.dry_run(format!("create an access key for user `{}`", a.user)) {
        return Ok(());
    }
    let path = file.as_ref().map(|f| f.path().display().to_string());
    let key = issue(ctx, aws, &a.user, file, a.format).await?;
    // With a file, stdout is free for the one JSON document (no secret in it).
    if let Some(path) = path {
        ctx.changed(serde_json::json!({
            "UserName": key.user_name,
            "AccessKeyId": key.access_key_id,
            "CreateDate": key.create_date,
            "CredentialsFile": path,
        }))?;
    }
    Ok(())
}

async fn list(ctx: &Ctx, user: Option<&str>) -> CmdResult {
    let aws = ctx.aws().await;
    let keys = match user {
        Some(user) => {
            iamctl_policy::validate_name(EntityKind::User, user)?;
            aws.list_access_keys(user, true).await?
        }
        None => {
            use futures::{StreamExt, TryStreamExt};
            let users = aws.list_users(None).await?;
            let per_user: Vec<Vec<AccessKeyInfo>> = futures::stream::iter(&users)
                .map(|u| aws.list_access_keys(&u.user_name, true))
                .buffered(8)
                .try_collect()
                .await?;
            per_user.into_iter().flatten().collect()
        }
    };
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        access_keys: Vec<AccessKeyInfo>,
    }
    ctx.emit(&Out { access_keys: keys }, |o| {
        table(
            &[
                "USER",
                "KEY ID",
                "STATUS",
                "CREATED",
                "LAST USED",
                "SERVICE",
                "REGION",
            ],
            o.access_keys
                .iter()
                .map(|k| {
                    let lu = k.last_used.as_ref();
                    vec![
                        k.user_name.clone(),
                        k.access_key_id.clone(),
                        k.status.clone(),
                        short_date(&k.create_date),
                        lu.and_then(|l| l.last_used_date.as_deref())
                            .map(short_date)
                            .unwrap_or_else(|| "never".into()),
                        lu.map(|l| l.service_name.clone()).unwrap_or_default(),
                        lu.map(|l| l.region.clone()).unwrap_or_default(),
                    ]
                })
                .collect(),
        )
    })
}

async fn set_status(ctx: &Ctx, user: &str, key_id: &str, active: bool) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::User, user)?;
    check_key_id(key_id)?;
    let status = if active { "Active" } else { "Inactive" };
    if ctx.dry_run(format!(
        "make access key `{key_id}` of user `{user}` {status}"
    )) {
        return Ok(());
    }
    ctx.aws()
        .await
        .set_access_key_status(user, key_id, active)
        .await?;
    ctx.status(format!(
        "access key `{key_id}` of user `{user}` is now {status}"
    ));
    ctx.changed(serde_json::json!({"UserName": user, "AccessKeyId": key_id, "Status": status}))
}

async fn delete(ctx: &Ctx, user: &str, key_id: &str) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::User, user)?;
    check_key_id(key_id)?;
    if ctx.dry_run(format!("delete access key `{key_id}` of user `{user}`")) {
        return Ok(());
    }
    ctx.confirm(&format!("delete access key `{key_id}` of user `{user}`?"))?;
    ctx.aws().await.delete_access_key(user, key_id).await?;
    ctx.status(format!("deleted access key `{key_id}` of user `{user}`"));
    ctx.changed(serde_json::json!({"UserName": user, "AccessKeyId": key_id, "Deleted": true}))
}

async fn rotate(ctx: &Ctx, a: RotateArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::User, &a.user)?;
    let file = KeyFile::reserve(&a.credentials_file, a.format)?;
    let aws = ctx.aws().await;
    let mut old = aws.list_access_keys(&a.user, false).await?;
    // A full user (AWS allows two keys) can rotate only by freeing a slot first.
    // An inactive key is what an earlier rotation left behind: with --delete-old
    // it goes first; otherwise say, before anything changes, what to do.
    let inactive: Vec<AccessKeyInfo> = old
        .iter()
        .filter(|k| !k.status.eq_ignore_ascii_case("Active"))
        .cloned()
        .collect();
    let make_room = old.len() >= MAX_KEYS;
    if make_room {
        match (inactive.first(), a.delete_old) {
            (Some(k), true) => {
                if ctx.dry_run {
                    ctx.status(format!(
                        "would delete inactive key `{}` of user `{}` to make room",
                        k.access_key_id, a.user
                    ));
                }
            }
            (Some(k), false) => {
                return Err(CommandError::invalid_help(
                    format!(
                        "user `{}` already has {MAX_KEYS} access keys, and `{}` is inactive (left by an earlier rotation); no key was created",
                        a.user, k.access_key_id
                    ),
                    format!(
                        "rotate with `--delete-old`, which deletes the inactive key first, or delete it: `iamctl key delete {} {}`",
                        a.user, k.access_key_id
                    ),
                ));
            }
            (None, _) => check_room(&a.user, &old)?,
        }
    }
    if ctx.dry_run {
        ctx.dry_run(format!(
            "create a new access key for user `{}` (secret to `{}`), then {} {}",
            a.user,
            a.credentials_file.display(),
            if a.delete_old {
                "delete"
            } else if a.keep_old {
                "keep"
            } else {
                "deactivate"
            },
            old.iter()
                .map(|k| format!("`{}`", k.access_key_id))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Ok(());
    }
    if a.delete_old {
        ctx.confirm(&format!(
            "rotate the key of user `{}` and delete the old one?",
            a.user
        ))?;
    }
    if make_room && a.delete_old {
        if let Some(k) = inactive.first() {
            aws.delete_access_key(&a.user, &k.access_key_id).await?;
            ctx.status(format!("deleted inactive old key `{}`", k.access_key_id));
            old.retain(|o| o.access_key_id != k.access_key_id);
        }
    }
    let new = issue(ctx, aws, &a.user, Some(file), a.format).await?;
    let mut old_keys = Vec::new();
    if let Some(k) = inactive.first().filter(|_| make_room && a.delete_old) {
        old_keys.push(serde_json::json!({"AccessKeyId": k.access_key_id, "Outcome": "deleted"}));
    }
    for k in old.iter().filter(|k| k.access_key_id != new.access_key_id) {
        let outcome = if a.delete_old {
            aws.delete_access_key(&a.user, &k.access_key_id).await?;
            ctx.status(format!("deleted old key `{}`", k.access_key_id));
            "deleted"
        } else if !a.keep_old {
            aws.set_access_key_status(&a.user, &k.access_key_id, false)
                .await?;
            ctx.status(format!(
                "deactivated old key `{}` (delete it with `iamctl key delete {} {}`)",
                k.access_key_id, a.user, k.access_key_id
            ));
            "deactivated"
        } else {
            "kept"
        };
        old_keys.push(serde_json::json!({"AccessKeyId": k.access_key_id, "Outcome": outcome}));
    }
    ctx.changed(serde_json::json!({
        "UserName": a.user,
        "AccessKeyId": new.access_key_id,
        "CreateDate": new.create_date,
        "CredentialsFile": a.credentials_file,
        "OldKeys": old_keys,
    }))
}
