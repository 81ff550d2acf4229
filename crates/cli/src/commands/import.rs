//! `iamctl import`: writes the configuration directory that describes what an
//! account holds, so that a following `plan` shows no changes. The account is
//! read here (or a snapshot file); [`iamctl_iac::import`] turns it into the
//! configuration model, which [`iamctl_config::write_with`] writes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use clap::Args;
use iamctl_aws::{Aws, ErrorKind};
use iamctl_config::{DesiredAccount, DEFAULT_DEPLOYER_ROLE};
use iamctl_iac::import::{
    account_in, import as import_account, is_account_id, needs_role_settings, Options, RoleSettings,
};
use iamctl_iac::plan::ActualAccount;
use iamctl_policy::snapshot::Snapshot;

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Args, Debug)]
#[command(after_help = "\
Reads the account like `plan` does (the deployer role, GetAccountAuthorizationDetails pages,
policy tags), or a snapshot file offline, and writes aws-accounts/, aws-policies/,
permanent-access/, temporary-access/, users/, roles/, groups/, s3-users/ so that `iamctl plan`
against the same account shows no changes. What iamctl owns (tagged managed-by=iamctl and
iamctl:team) goes to its team's files; everything else is declared `existing: true`.")]
pub struct ImportArgs {
    /// The environment name the account gets in `aws-accounts/<team>.yaml`.
    #[arg(long = "env", value_name = "ENV")]
    pub env: String,
    /// Where to write the configuration (refused if it is not empty, unless `--force`).
    #[arg(short = 'o', long = "out", default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
    /// The team whose files hold what iamctl does not own.
    #[arg(long, default_value = "imported", value_name = "TEAM")]
    pub team: String,
    /// The account to read (default: the caller's account; with `--snapshot`,
    /// the account in the snapshot's ARNs).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The role to assume in the account (default `IAMAsCodeDeployer`); also
    /// written to `settings.yaml`.
    #[arg(long, value_name = "NAME")]
    pub deployer_role: Option<String>,
    /// Read this snapshot (`iamctl account snapshot`) instead of the account:
    /// no AWS call. Policy tags are not in snapshots, so every customer-managed
    /// policy is imported as `existing`.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Write into a directory that is not empty (files of the same names are replaced).
    #[arg(long)]
    pub force: bool,
}

fn check_out_dir(out: &Path, force: bool) -> CmdResult {
    let non_empty = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(CommandError::invalid(format!(
                "cannot read `{}`: {e}",
                out.display()
            )))
        }
    };
    if non_empty && !force {
        return Err(CommandError::invalid_help(
            format!("`{}` is not empty; nothing was written", out.display()),
            "give an empty or new directory with `-o DIR`, or pass `--force` to write into it",
        ));
    }
    Ok(())
}

/// Names that become file names and YAML keys.
fn check_args(a: &ImportArgs) -> CmdResult {
    let valid_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if !valid_name(&a.team) {
        return Err(CommandError::invalid(format!(
            "team `{}` is not a valid file name: use letters, digits, `-`, `_` and `.`",
            a.team
        )));
    }
    if !valid_name(&a.env) {
        return Err(CommandError::invalid(format!(
            "environment `{}` is not a valid name: use letters, digits, `-`, `_` and `.`",
            a.env
        )));
    }
    if let Some(id) = a.account.as_ref().filter(|id| !is_account_id(id)) {
        return Err(CommandError::invalid(format!(
            "account id `{id}` is not 12 digits"
        )));
    }
    check_out_dir(&a.out, a.force)
}

/// What an import reads: the account id, the snapshot, the state, and what
/// GetRole says of iamctl's roles.
type Read = (
    String,
    Snapshot,
    ActualAccount,
    BTreeMap<String, RoleSettings>,
);

/// From a snapshot file: no role settings (GetAccountAuthorizationDetails has none).
fn read_snapshot(path: &Path, account: Option<&str>) -> CmdResult<Read> {
    let snapshot = crate::common::read_snapshot(path)?;
    let Some(account) = account.map(str::to_owned).or_else(|| account_in(&snapshot)) else {
        return Err(CommandError::invalid(format!(
            "`{}` names no account: pass `--account ID`",
            path.display()
        )));
    };
    let actual = ActualAccount::from_snapshot(&snapshot, &HashMap::new());
    Ok((account, snapshot, actual, BTreeMap::new()))
}

/// Read as `plan` reads the account, then GetRole for each role of iamctl's
/// with a description or maximum session duration (its settings tag says so).
async fn read_live(ctx: &Ctx, a: &ImportArgs) -> CmdResult<Read> {
    let account = match &a.account {
        Some(id) => id.clone(),
        None => ctx.identity().await?.account.clone(),
    };
    let desired = DesiredAccount {
        environment: a.env.clone(),
        account_id: account.clone(),
        deployer_role: a
            .deployer_role
            .clone()
            .unwrap_or_else(|| DEFAULT_DEPLOYER_ROLE.to_owned()),
        external_id: None,
        region: None,
        iam_path: iamctl_config::DEFAULT_IAM_PATH.to_owned(),
        policies: BTreeMap::new(),
        users: BTreeMap::new(),
        roles: BTreeMap::new(),
        groups: BTreeMap::new(),
        existing: Default::default(),
    };
    let t = super::deploy::read_target(ctx, desired, None).await?;
    let (settings, calls) = read_role_settings(ctx, &t.aws, &t.actual).await?;
    ctx.status(format!(
        "read account {account}: {} page(s) of GetAccountAuthorizationDetails, {} request(s) in all",
        t.pages,
        t.calls + calls
    ));
    Ok((account, t.snapshot, t.actual, settings))
}

/// GetRole for each role of iamctl's whose settings tag says it has a
/// description or maximum session duration. A role the caller may not read
/// (the read-only planner role) or that is gone is left unknown: import
/// declares it `existing`, with a warning.
async fn read_role_settings(
    ctx: &Ctx,
    aws: &Aws,
    actual: &ActualAccount,
) -> CmdResult<(BTreeMap<String, RoleSettings>, usize)> {
    let (mut settings, mut calls) = (BTreeMap::new(), 0);
    for r in actual
        .roles
        .values()
        .filter(|r| needs_role_settings(&r.tags))
    {
        calls += 1;
        let got = match aws.get_role(&r.name).await {
            Ok(got) => got,
            Err(e) if matches!(e.kind(), ErrorKind::AccessDenied | ErrorKind::NotFound) => {
                ctx.status(format!("warning: cannot read role `{}`: {e}", r.name));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let s = RoleSettings {
            description: got.description,
            max_session_duration: got.max_session_duration.and_then(|m| u32::try_from(m).ok()),
        };
        settings.insert(r.name.clone(), s);
    }
    Ok((settings, calls))
}

fn write_files(out: &Path, files: &[(String, String)]) -> CmdResult {
    for (rel, text) in files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).map_err(|e| {
            CommandError::failure(format!("cannot write `{}`: {e}", path.display()))
        })?;
    }
    Ok(())
}

pub async fn import(ctx: &Ctx, a: ImportArgs) -> CmdResult {
    check_args(&a)?;
    let (account, snapshot, actual, role_settings) = match &a.snapshot {
        Some(path) => read_snapshot(path, a.account.as_deref())?,
        None => read_live(ctx, &a).await?,
    };
    let options = Options {
        env: a.env.clone(),
        team: a.team.clone(),
        account_id: account.clone(),
        deployer_role: a.deployer_role.clone(),
        now: ctx.now,
        role_settings,
    };
    let imported = import_account(&actual, &snapshot, &options);
    let files = imported.files();
    write_files(&a.out, &files)?;
    for w in &imported.warnings {
        ctx.status(format!("warning: {w}"));
    }
    ctx.status(format!(
        "imported account {account} as environment `{}` into `{}`: {} user(s), {} role(s), {} group(s), {} policy key(s), {} temporary grant(s), {} file(s)",
        a.env,
        a.out.display(),
        imported.count(|t| t.users.len()),
        imported.count(|t| t.roles.len()),
        imported.count(|t| t.groups.len()),
        imported.count(|t| t.policies.len()),
        imported.count(|t| t.temporary.len()),
        files.len()
    ));
    Ok(())
}
