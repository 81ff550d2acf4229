//! `iamctl snapshot merge`: one organisation snapshot from several
//! collections of the same organisation.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use iamctl_policy::snapshot::org::{merge, Loaded, OrgSnapshot};
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Subcommand, Debug)]
pub enum SnapshotCommand {
    /// Merge organisation snapshots of one organisation (accounts unioned; an
    /// account read differently by two of them is an error naming it).
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Organisation snapshots, as `collect` writes them.
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where to write the merged snapshot.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(ctx: &Ctx, cmd: SnapshotCommand) -> CmdResult {
    match cmd {
        SnapshotCommand::Merge(a) => merge_files(ctx, a),
    }
}

fn merge_files(ctx: &Ctx, a: MergeArgs) -> CmdResult {
    let mut orgs: Vec<OrgSnapshot> = Vec::with_capacity(a.files.len());
    for path in &a.files {
        match crate::common::read_any_snapshot(path)? {
            Loaded::Organization(org) => orgs.push(org),
            Loaded::Account(_) => {
                return Err(CommandError::invalid_help(
                    format!("`{}` is an account snapshot", path.display()),
                    "merge organisation snapshots (`\"Kind\": \"organization\"`), as `collect` writes them",
                ))
            }
        }
    }
    let merged = merge(orgs)
        .map_err(|e| CommandError::invalid(e.to_string()))?
        .ok_or_else(|| CommandError::usage("no snapshot to merge"))?;
    let text = merged.to_json();
    let tmp = a.out.with_extension("json.tmp");
    std::fs::write(&tmp, format!("{text}\n"))
        .and_then(|()| std::fs::rename(&tmp, &a.out))
        .map_err(|e| CommandError::failure(format!("cannot write `{}`: {e}", a.out.display())))?;
    let collected = merged.accounts.iter().filter(|x| x.iam.is_some()).count();
    ctx.status(format!(
        "merged {} snapshot(s) of `{}`: {} account(s), {} collected, {} failure(s); wrote `{}`",
        a.files.len(),
        merged.organization_id,
        merged.accounts.len(),
        collected,
        merged.failures.len(),
        a.out.display()
    ));
    ctx.changed(json!({
        "out": a.out.display().to_string(),
        "organizationId": merged.organization_id,
        "accounts": merged.accounts.len(),
        "collected": collected,
        "failures": merged.failures,
    }))
}
