//! `iamctl account ...`

use crate::ctx::{table, Ctx};
use crate::error::{CmdResult, CommandError};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum AccountCommand {
    /// IAM usage and quotas (GetAccountSummary).
    Summary,
    /// Show, set or delete the account alias.
    Alias {
        #[command(subcommand)]
        action: Option<AliasAction>,
    },
    /// Generate the credential report, wait for it, and print its rows.
    CredentialReport {
        /// Give up waiting after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// The whole account (GetAccountAuthorizationDetails, every page) as one JSON
    /// document in the shape `aws iam get-account-authorization-details` prints.
    Snapshot {
        /// Write to FILE instead of stdout.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        /// Leave out the AWS-managed policies nothing in the account uses (those
        /// attached or used as a boundary are kept, so analysis stays complete).
        #[arg(long)]
        local_only: bool,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum AliasAction {
    Show,
    Set { name: String },
    Delete { name: String },
}

pub async fn run(ctx: &Ctx, cmd: AccountCommand) -> CmdResult {
    match cmd {
        AccountCommand::Summary => summary(ctx).await,
        AccountCommand::Alias { action } => alias(ctx, action.unwrap_or(AliasAction::Show)).await,
        AccountCommand::CredentialReport { timeout } => credential_report(ctx, timeout).await,
        AccountCommand::Snapshot { out, local_only } => snapshot(ctx, out, local_only).await,
    }
}

async fn summary(ctx: &Ctx) -> CmdResult {
    let m = ctx.aws().await.account_summary().await?;
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        summary_map: BTreeMap<String, i32>,
    }
    ctx.emit(&Out { summary_map: m }, |o| {
        table(
            &["KEY", "VALUE"],
            o.summary_map
                .iter()
                .map(|(k, v)| vec![k.clone(), v.to_string()])
                .collect(),
        )
    })
}

async fn alias(ctx: &Ctx, action: AliasAction) -> CmdResult {
    let aws = ctx.aws().await;
    match action {
        AliasAction::Show => {
            let aliases = aws.account_aliases().await?;
            #[derive(serde::Serialize)]
            #[serde(rename_all = "PascalCase")]
            struct Out {
                account_aliases: Vec<String>,
            }
            if aliases.is_empty() && !ctx.json() {
                ctx.status(
                    "the account has no alias (set one with `iamctl account alias set NAME`)",
                );
                return Ok(());
            }
            ctx.emit(
                &Out {
                    account_aliases: aliases,
                },
                |o| o.account_aliases.join("\n"),
            )
        }
        AliasAction::Set { name } => {
            iamctl_policy::validate_account_alias(&name)?;
            if ctx.dry_run(format!("set the account alias to `{name}`")) {
                return Ok(());
            }
            aws.create_account_alias(&name).await?;
            ctx.status(format!("account alias is now `{name}`"));
            ctx.changed(serde_json::json!({"AccountAliases": [name]}))
        }
        AliasAction::Delete { name } => {
            iamctl_policy::validate_account_alias(&name)?;
            if ctx.dry_run(format!("delete the account alias `{name}`")) {
                return Ok(());
            }
            ctx.confirm(&format!("delete account alias `{name}`?"))?;
            aws.delete_account_alias(&name).await?;
            ctx.status(format!("deleted account alias `{name}`"));
            ctx.changed(serde_json::json!({"AccountAliases": [], "DeletedAlias": name}))
        }
    }
}

/// Parse the credential report CSV into rows keyed by its header.
pub fn parse_report(csv_text: &str) -> CmdResult<Vec<BTreeMap<String, String>>> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r
        .headers()
        .map_err(|e| CommandError::failure(format!("credential report is not CSV: {e}")))?
        .clone();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec =
            rec.map_err(|e| CommandError::failure(format!("credential report is not CSV: {e}")))?;
        rows.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(rows)
}

async fn credential_report(ctx: &Ctx, timeout: u64) -> CmdResult {
    let aws = ctx.aws().await;
    let start = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(200);
    loop {
        if aws.generate_credential_report().await? {
            break;
        }
        if start.elapsed().as_secs() >= timeout {
            return Err(CommandError::failure(format!(
                "the credential report was not ready after {timeout}s; run the command again later"
            )));
        }
        ctx.status("waiting for the credential report...");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(5));
    }
    let rows = parse_report(&aws.get_credential_report().await?)?;
    ctx.emit(&rows, |rows| {
        let cols = [
            "user",
            "password_enabled",
            "mfa_active",
            "access_key_1_active",
            "access_key_1_last_used_date",
            "access_key_2_active",
            "access_key_2_last_used_date",
        ];
        table(
            &cols,
            rows.iter()
                .map(|r| {
                    cols.iter()
                        .map(|c| r.get(*c).cloned().unwrap_or_default())
                        .collect()
                })
                .collect(),
        )
    })
}

async fn snapshot(ctx: &Ctx, out: Option<PathBuf>, local_only: bool) -> CmdResult {
    let snap = ctx.aws().await.authorization_details(local_only).await?;
    let missing = snap.document.missing_policies();
    if !missing.is_empty() {
        // IAM changed between pages, or a policy could not be read: say so.
        ctx.status(format!(
            "warning: the snapshot lacks {} attached polic{}: {}",
            missing.len(),
            if missing.len() == 1 { "y" } else { "ies" },
            missing.join(", ")
        ));
    }
    let text = serde_json::to_string_pretty(&snap.document)
        .map_err(|e| CommandError::failure(format!("cannot encode snapshot: {e}")))?;
    match out {
        Some(path) => {
            std::fs::write(&path, text + "\n").map_err(|e| {
                CommandError::failure(format!("cannot write `{}`: {e}", path.display()))
            })?;
            ctx.status(format!(
                "wrote snapshot to `{}` ({} page(s) of GetAccountAuthorizationDetails)",
                path.display(),
                snap.pages
            ));
            ctx.changed(serde_json::json!({"File": path, "Pages": snap.pages}))?;
        }
        None => crate::ctx::print_out(&format!("{text}\n"))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rows_are_keyed_by_header() {
        let rows = parse_report("user,arn,mfa_active\n<root_account>,arn:aws:iam::1:root,true\nbob,arn:aws:iam::1:user/bob,false\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["user"], "bob");
        assert_eq!(rows[1]["mfa_active"], "false");
    }
}
