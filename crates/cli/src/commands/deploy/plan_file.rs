//! Saved plans (`plan --out`, `apply --plan`): made from this configuration
//! tree, and applied only when a fresh plan makes exactly their changes.

use std::path::{Path, PathBuf};

use iamctl_iac::plan::{self as planning, Plan, PlanFile};

use super::target::Target;
use crate::error::{CmdResult, CommandError};

/// The SHA-256 of the configuration tree (every `*.yaml` under `dir`).
pub(super) fn config_sha256(dir: &Path) -> CmdResult<String> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    let mut bodies = Vec::new();
    for (rel, path) in files {
        let body = std::fs::read(&path)
            .map_err(|e| CommandError::failure(format!("cannot read `{}`: {e}", path.display())))?;
        bodies.push((rel, body));
    }
    Ok(planning::config_digest(&bodies))
}

/// Reads a saved plan and checks it was made from this configuration tree.
pub(super) fn read_plan_file(path: &Path, dir: &Path) -> CmdResult<PlanFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    let file = PlanFile::parse(&text).map_err(|e| {
        CommandError::invalid_help(
            format!("`{}`: {e}", path.display()),
            "save a plan with `iamctl plan --out FILE`",
        )
    })?;
    let digest = config_sha256(dir)?;
    if file.config_sha256 != digest {
        return Err(CommandError::failure_help(
            format!(
                "the plan `{}` was made from another configuration than `{}` (sha256 `{}`, now `{digest}`); nothing was applied",
                path.display(),
                dir.display(),
                file.config_sha256
            ),
            "run `iamctl plan --out FILE` on this configuration and review it",
        ));
    }
    Ok(file)
}

/// A saved plan applies only when the accounts are as it saw them and its
/// changes are exactly those a fresh plan of the same configuration makes:
/// an edited plan file can never do more than the reviewed configuration.
pub(super) fn check_saved(saved: &[Plan], fresh: &[Plan], targets: &[Target]) -> CmdResult {
    for p in saved {
        let (Some(t), Some(f)) = (
            targets
                .iter()
                .find(|t| t.desired.environment == p.environment),
            fresh.iter().find(|f| f.environment == p.environment),
        ) else {
            return Err(CommandError::failure(format!(
                "the plan names environment `{}`, which the configuration does not have; nothing was applied",
                p.environment
            )));
        };
        if t.actual.fingerprint != p.fingerprint {
            return Err(CommandError::failure_help(
                format!(
                    "account `{}` ({}) changed since the plan was made; nothing was applied",
                    p.account_id, p.environment
                ),
                "run `iamctl plan --out FILE` again and review it",
            ));
        }
        if let Some(diff) = planning::first_difference(p, f) {
            return Err(CommandError::failure_help(
                format!(
                    "the saved plan for `{}` is not what the configuration plans: {diff}; nothing was applied",
                    p.environment
                ),
                "a saved plan only ever applies the changes a fresh plan of the same configuration makes; run `iamctl plan --out FILE` again",
            ));
        }
    }
    Ok(())
}

pub(super) fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> CmdResult {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
    Ok(())
}
