//! `iamctl connector ...`: seed 000's flow — a bundle of policies for a platform,
//! and a platform user with its own policy and access key.

use crate::common::{read_document, tags_with_managed};
use crate::credfile::{KeyFile, KeyFormat};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{PrincipalKind, Tag};
use iamctl_policy::{DocumentKind, EntityKind, PolicyDocument};
use std::io::Read;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum ConnectorCommand {
    /// Deploy the platform's policy bundle: every `*.json` in DIR (as `policy deploy`).
    Init {
        dir: PathBuf,
        #[arg(long)]
        skip_existing: bool,
    },
    /// Create the connector user, its policy, the attachment and an access key.
    Deploy(DeployArgs),
}

#[derive(clap::Args, Debug)]
pub struct DeployArgs {
    /// User name (default: `<prefix>-<yy-mm-dd-hh-mm-ss>`, UTC).
    #[arg(long)]
    pub name: Option<String>,
    /// Policy name (default: the user name).
    #[arg(long)]
    pub policy_name: Option<String>,
    /// The connector's policy document (on a terminal it can be pasted instead).
    #[arg(long, value_name = "F")]
    pub policy_file: Option<String>,
    /// Prefix of the default name.
    #[arg(long, default_value = "iSaas-connector")]
    pub prefix: String,
    /// Where the access key goes: created new, mode 0600.
    #[arg(long, value_name = "FILE")]
    pub credentials_file: PathBuf,
    #[arg(long, value_enum)]
    pub format: Option<KeyFormat>,
}

pub async fn run(ctx: &Ctx, cmd: ConnectorCommand) -> CmdResult {
    match cmd {
        ConnectorCommand::Init { dir, skip_existing } => {
            let out = super::policy::deploy_bundle(ctx, &dir, skip_existing, None).await?;
            super::policy::emit_deployed(ctx, &out)
        }
        ConnectorCommand::Deploy(a) => deploy(ctx, a).await,
    }
}

/// `iSaas-connector-24-03-21-11-36-28`
pub fn default_name(prefix: &str, now: jiff::Timestamp) -> String {
    format!("{prefix}-{}", now.strftime("%y-%m-%d-%H-%M-%S"))
}

/// Ask for a name until the answer is a valid name that is still free; the
/// error for each bad answer is shown before asking again.
async fn ask_free_name(
    ctx: &Ctx,
    question: &str,
    default: &str,
    kind: EntityKind,
) -> CmdResult<String> {
    loop {
        let answer = dialoguer::Input::<String>::new()
            .with_prompt(question)
            .default(default.to_string())
            .validate_with(|s: &String| {
                iamctl_policy::validate_name(kind, s).map_err(|e| e.to_string())
            })
            .interact_text()
            .map_err(|e| CommandError::failure(format!("prompt failed: {e}")))?;
        match check_free(ctx, kind, &answer).await {
            Ok(()) => return Ok(answer),
            Err(e) => eprint!("{}", crate::error::render(&e.report)),
        }
    }
}

/// The user or (root-path) policy `name` must not exist yet.
async fn check_free(ctx: &Ctx, kind: EntityKind, name: &str) -> CmdResult {
    let aws = ctx.aws().await;
    let (what, found) = match kind {
        EntityKind::User => ("user", aws.get_user(name).await.map(|_| ())),
        _ => {
            let id = ctx.identity().await?;
            let arn = format!(
                "arn:{}:iam::{}:policy/{name}",
                ctx.partition().await?,
                id.account
            );
            ("policy", aws.get_policy(&arn).await.map(|_| ()))
        }
    };
    match found {
        Ok(()) => Err(CommandError::failure_help(
            format!("{what} `{name}` already exists"),
            "choose another name",
        )),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Read a pasted policy until it parses; each error is shown, then paste again.
fn ask_policy() -> CmdResult<PolicyDocument> {
    loop {
        eprintln!("Paste the policy JSON below (press Ctrl+D to finish):");
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        if text.trim().is_empty() {
            return Err(CommandError::usage("no policy pasted; nothing was changed"));
        }
        match PolicyDocument::parse("<pasted policy>", &text, DocumentKind::Managed) {
            Ok(d) => return Ok(d),
            Err(e) => {
                let e: CommandError = e.into();
                eprint!("{}", crate::error::render(&e.report));
            }
        }
    }
}

async fn deploy(ctx: &Ctx, a: DeployArgs) -> CmdResult {
    let default = default_name(&a.prefix, ctx.now);
    let asking = ctx.interactive && !ctx.yes;
    let name = match &a.name {
        Some(n) => n.clone(),
        None if asking => ask_free_name(ctx, "Enter username", &default, EntityKind::User).await?,
        None => default,
    };
    iamctl_policy::validate_name(EntityKind::User, &name)?;
    let policy_name = match &a.policy_name {
        Some(n) => n.clone(),
        None if asking => {
            ask_free_name(ctx, "Enter policy name", &name, EntityKind::Policy).await?
        }
        None => name.clone(),
    };
    iamctl_policy::validate_name(EntityKind::Policy, &policy_name)?;
    let doc: PolicyDocument = match &a.policy_file {
        Some(f) => read_document(f, DocumentKind::Managed)?,
        None if ctx.interactive => ask_policy()?,
        None => {
            return Err(CommandError::usage(
                "no policy: give --policy-file (there is no terminal to paste it on)",
            ))
        }
    };
    // Names given as flags (or defaults) are checked too, before anything is made.
    check_free(ctx, EntityKind::User, &name).await?;
    check_free(ctx, EntityKind::Policy, &policy_name).await?;
    let file = KeyFile::reserve(&a.credentials_file, a.format)?;
    ctx.status(format!(
        "user:        {name}\npolicy:      {policy_name}\ndocument:    {}\nkey file:    {}",
        doc.to_compact(),
        a.credentials_file.display()
    ));
    if ctx.dry_run(format!(
        "create user `{name}` and policy `{policy_name}`, attach it, and write a new access key to `{}`",
        a.credentials_file.display()
    )) {
        return Ok(());
    }
    ctx.confirm("Does the above information look correct?")?;

    let aws = ctx.aws().await;
    let mut tags = tags_with_managed(&[])?;
    tags.push(Tag {
        key: "iamctl:kind".into(),
        value: "connector".into(),
    });
    let user = aws
        .create_user(&iamctl_aws::NewUser {
            name: &name,
            path: None,
            tags: &tags,
            boundary: None,
        })
        .await?;
    ctx.status(format!("IAM user {name} created successfully."));
    let path = file.path().display().to_string();
    // From here on, undo what was made if a later step fails.
    let mut created = Vec::new();
    let result: CmdResult<(String, iamctl_aws::NewAccessKey)> = async {
        let policy = aws
            .create_policy(
                &policy_name,
                None,
                &doc.to_compact(),
                Some("iamctl connector policy"),
                &tags,
            )
            .await?;
        created.push(policy.arn.clone());
        ctx.status(format!("IAM policy {policy_name} created successfully."));
        aws.attach_policy(PrincipalKind::User, &name, &policy.arn)
            .await?;
        ctx.status(format!("Policy attached to user {name} successfully."));
        let key = super::key::issue(ctx, aws, &name, Some(file), None).await?;
        Ok((policy.arn, key))
    }
    .await;
    let (policy_arn, key) = match result {
        Ok(r) => r,
        Err(e) => {
            super::user::undo_user(ctx, aws, &name, &created).await;
            return Err(e);
        }
    };
    if ctx.json() {
        ctx.emit(
            &serde_json::json!({
                "UserName": name, "UserArn": user.arn, "PolicyArn": policy_arn,
                "AccessKeyId": key.access_key_id, "CredentialsFile": path,
            }),
            |_| String::new(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_name_is_seed_000s() {
        let t: jiff::Timestamp = "2024-03-21T11:36:28Z".parse().unwrap();
        assert_eq!(
            super::default_name("iSaas-connector", t),
            "iSaas-connector-24-03-21-11-36-28"
        );
    }
}
