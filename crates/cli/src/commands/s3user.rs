//! `iamctl s3-user ...`: seed 002's users, each limited to its own prefix `U/` of a
//! shared bucket.

use crate::common::tags_with_managed;
use crate::credfile::{KeyFile, KeyFormat};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{PrincipalKind, Tag};
use iamctl_policy::templates::{s3_user_policy, S3Access};
use iamctl_policy::{EntityKind, MANAGED_BY};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum S3UserCommand {
    /// Create a user that may list and read (or write) only `BUCKET/USER/`.
    Create(CreateArgs),
    /// Delete the user, its key and policy; with --delete-objects also `BUCKET/USER/*`.
    Delete(DeleteArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    #[arg(long, short = 'b')]
    pub bucket: String,
    #[arg(long, short = 'u')]
    pub user: String,
    #[arg(long, value_enum, default_value = "read")]
    pub access: Access,
    /// Where the access key goes: created new, mode 0600 (CSV by default);
    /// without it the secret goes to stdout, as `key create` does.
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
    /// Create the bucket when it does not exist: private (Block Public Access),
    /// encrypted (SSE-S3), versioned, tagged `managed-by=iamctl`.
    #[arg(long)]
    pub create_bucket: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Access {
    Read,
    ReadWrite,
}

#[derive(clap::Args, Debug)]
pub struct DeleteArgs {
    #[arg(long, short = 'b')]
    pub bucket: String,
    #[arg(long, short = 'u')]
    pub user: String,
    /// Also delete every object (and version) under `BUCKET/USER/`.
    #[arg(long)]
    pub delete_objects: bool,
    /// Delete the user even if it is not tagged `managed-by=iamctl`.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(ctx: &Ctx, cmd: S3UserCommand) -> CmdResult {
    match cmd {
        S3UserCommand::Create(a) => create(ctx, a).await,
        S3UserCommand::Delete(a) => delete(ctx, a).await,
    }
}

/// S3's bucket naming rules (general purpose buckets).
pub fn check_bucket(b: &str) -> CmdResult {
    let ok_chars = b
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let edges = b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric());
    let ip_like = b.split('.').count() == 4 && b.split('.').all(|p| p.parse::<u8>().is_ok());
    if (3..=63).contains(&b.len()) && ok_chars && edges && !b.contains("..") && !ip_like {
        Ok(())
    } else {
        Err(CommandError::invalid_help(
            format!("`{b}` is not a valid S3 bucket name"),
            "bucket names are 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
        ))
    }
}

pub fn policy_name(bucket: &str, user: &str) -> String {
    format!("s3-user-{user}-{bucket}")
}

async fn create(ctx: &Ctx, a: CreateArgs) -> CmdResult {
    check_bucket(&a.bucket)?;
    iamctl_policy::validate_name(EntityKind::User, &a.user)?;
    let pname = policy_name(&a.bucket, &a.user);
    iamctl_policy::validate_name(EntityKind::Policy, &pname)?;
    let file = match &a.credentials_file {
        Some(p) => Some(KeyFile::reserve(p, a.format.or(Some(KeyFormat::Csv)))?),
        None => None,
    };
    let aws = ctx.aws().await;
    // The bucket must exist before anything is created.
    let mut bucket_missing = false;
    if let Err(e) = aws.open_bucket(&a.bucket).await {
        if e.is_not_found() && a.create_bucket {
            bucket_missing = true;
        } else if e.is_not_found() {
            return Err(CommandError::failure_help(
                format!(
                    "bucket `{}` does not exist; `s3-user create` gives a user its prefix of an existing bucket, and nothing was created",
                    a.bucket
                ),
                format!(
                    "pass `--create-bucket` to create it (private, encrypted, versioned), create it yourself (`aws s3api create-bucket --bucket {}`), or check the name and `--region`",
                    a.bucket
                ),
            ));
        } else {
            return Err(e.into());
        }
    }
    let partition = ctx.partition().await?;
    let access = match a.access {
        Access::Read => S3Access::Read,
        Access::ReadWrite => S3Access::ReadWrite,
    };
    let doc = s3_user_policy(&partition, &a.bucket, &a.user, access);
    if ctx.dry_run(format!(
        "{}create user `{}` and policy `{pname}` ({} on `s3://{}/{}/`), attach it, and create an access key",
        if bucket_missing {
            format!("create bucket `{}` (private, encrypted, versioned), ", a.bucket)
        } else {
            String::new()
        },
        a.user,
        match a.access {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
        },
        a.bucket,
        a.user
    )) {
        return Ok(());
    }
    let mut tags = tags_with_managed(&[])?;
    tags.push(Tag {
        key: "iamctl:s3-bucket".into(),
        value: a.bucket.clone(),
    });
    if bucket_missing {
        let tags = [
            (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
            ("iamctl:kind".to_string(), "s3-user-bucket".to_string()),
        ];
        aws.create_private_bucket(&a.bucket, &tags).await?;
        ctx.status(format!(
            "created bucket `{}` (private, encrypted, versioned)",
            a.bucket
        ));
    }
    aws.create_user(&iamctl_aws::NewUser {
        name: &a.user,
        path: None,
        tags: &tags,
        boundary: None,
    })
    .await?;
    ctx.status(format!("created user `{}`", a.user));
    let mut created = Vec::new();
    let path = file.as_ref().map(|f| f.path().display().to_string());
    let result: CmdResult<iamctl_aws::NewAccessKey> = async {
        let p = aws
            .create_policy(
                &pname,
                None,
                &doc.to_compact(),
                Some("iamctl s3-user prefix access"),
                &tags,
            )
            .await?;
        created.push(p.arn.clone());
        ctx.status(format!("created policy `{}`", p.arn));
        aws.attach_policy(PrincipalKind::User, &a.user, &p.arn)
            .await?;
        super::key::issue(ctx, aws, &a.user, file, a.format).await
    }
    .await;
    let key = match result {
        Ok(k) => k,
        Err(e) => {
            super::user::undo_user(ctx, aws, &a.user, &created).await;
            return Err(e);
        }
    };
    // Without a file the key (with its secret) was stdout's one document.
    if let Some(path) = path {
        ctx.changed(serde_json::json!({
            "UserName": a.user,
            "PolicyArn": created.first(),
            "Bucket": a.bucket,
            "Prefix": format!("{}/", a.user),
            "Access": match a.access {
                Access::Read => "read",
                Access::ReadWrite => "read-write",
            },
            "AccessKeyId": key.access_key_id,
            "CredentialsFile": path,
        }))?;
    }
    Ok(())
}

async fn delete(ctx: &Ctx, a: DeleteArgs) -> CmdResult {
    check_bucket(&a.bucket)?;
    iamctl_policy::validate_name(EntityKind::User, &a.user)?;
    let aws = ctx.aws().await;
    let prefix = format!("{}/", a.user);
    let objects = if a.delete_objects {
        let bucket = aws.open_bucket(&a.bucket).await?;
        let objs = bucket.list_objects_under(&prefix).await?;
        Some((bucket, objs))
    } else {
        None
    };
    let also = objects.as_ref().map(|(_, o)| {
        format!(
            "and {} object version(s) under `s3://{}/{prefix}`",
            o.len(),
            a.bucket
        )
    });
    let deleted = super::user::delete_user(ctx, &a.user, true, a.force, also.as_deref()).await?;
    if ctx.dry_run {
        return Ok(());
    }
    let mut objects_deleted = 0;
    if let Some((bucket, objs)) = objects {
        // Only keys under the user's own prefix were listed; check again anyway.
        let mine: Vec<_> = objs
            .into_iter()
            .filter(|o| o.key.starts_with(&prefix))
            .collect();
        let n = bucket.delete_objects(&mine).await?;
        ctx.status(format!(
            "deleted {n} object version(s) under `s3://{}/{prefix}`",
            a.bucket
        ));
        objects_deleted = n;
    }
    ctx.changed(serde_json::json!({
        "User": deleted,
        "Bucket": a.bucket,
        "DeletedObjectVersions": objects_deleted,
    }))
}
