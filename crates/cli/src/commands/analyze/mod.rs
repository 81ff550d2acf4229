//! Offline policy analysis: `simulate`, `who-can` and `access`, over a
//! snapshot file, policy files, or the live account read the same way.

mod access;
mod batch;
mod org;
mod simulate;
mod who_can;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use iamctl_policy::account::{Account, Entity};
use iamctl_policy::eval::{Context, Policy};
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

pub use access::access;
pub use simulate::simulate;
pub use who_can::who_can;

/// Options shared by the analysis commands: where the account comes from,
/// the request context and the clock.
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// Account snapshot: the JSON of `iamctl account snapshot` or `aws iam
    /// get-account-authorization-details`. Without it the live account is read.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// A request context key (repeat a key for a multivalued key such as
    /// `aws:TagKeys`).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Evaluate as of this instant (RFC 3339, UTC); sets `aws:CurrentTime`
    /// and `aws:EpochTime` unless given with `--context`.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// With an organisation snapshot: the account (name or ID) of the
    /// principal, where several accounts have one of that name.
    #[arg(long, value_name = "NAME|ID")]
    pub account: Option<String>,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Without --batch: one request. The principal's policies come from --snapshot, or from
--policy/--boundary/... files (no AWS call), or else from the live account.

With --batch FILE (or - for stdin): one JSON request per line, one JSON answer per line:
  {\"id\", \"principal\", \"action\", \"resource\", \"resourceAccount\", \"context\",
   \"identityPolicies\", \"permissionBoundary\", \"resourcePolicy\", \"sessionPolicy\",
   \"serviceControlPolicies\", \"resourceControlPolicies\"}
  -> {\"id\", \"decision\", \"matchedStatements\", \"notes\"}  or  {\"id\", \"error\"}
With --snapshot, a line without identityPolicies takes the principal's policies from it.
Exits 1 when any line could not be evaluated, after writing every answer.")]
pub struct SimulateArgs {
    /// The principal ARN (user, role, assumed-role session) or, with a
    /// snapshot, a user or role name.
    #[arg(long)]
    pub principal: Option<String>,
    /// The action, `service:Action`; repeat for several.
    #[arg(long = "action", value_name = "ACTION")]
    pub actions: Vec<String>,
    /// The resource ARN.
    #[arg(long, default_value = "*")]
    pub resource: String,
    /// The account owning the resource (default: from its ARN, else the principal's).
    #[arg(long, value_name = "ACCOUNT")]
    pub resource_account: Option<String>,
    /// An identity-based policy file (repeatable).
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// A permissions boundary policy file.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// The resource's resource-based policy file.
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// A session policy file.
    #[arg(long, value_name = "FILE")]
    pub session_policy: Option<PathBuf>,
    /// One SCP level, root first (repeat per level; comma-separate several files of a level).
    #[arg(long = "scp", value_name = "FILE[,FILE]")]
    pub scps: Vec<String>,
    /// One RCP level, root first (like --scp).
    #[arg(long = "rcp", value_name = "FILE[,FILE]")]
    pub rcps: Vec<String>,
    /// JSON-lines requests (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["principal", "actions"])]
    pub batch: Option<String>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct WhoCanArgs {
    /// The action; wildcards expand with AWS's action list (`iam:*`, `s3:Get*`).
    pub action: String,
    /// The resource ARN; without it, "on some resource the action takes".
    pub resource: Option<String>,
    /// The resource's own resource-based policy, if it has one.
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct AccessArgs {
    /// A user or role: ARN or name.
    pub principal: String,
    #[command(flatten)]
    pub source: SourceArgs,
}

fn read_text(path: &Path) -> CmdResult<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))
}

fn read_json(path: &Path) -> CmdResult<Value> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        CommandError::invalid(format!(
            "`{}`:{}:{}: {}",
            path.display(),
            e.line(),
            e.column(),
            strip_position(&e)
        ))
    })
}

fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

fn load_policy(path: &Path, name: &str) -> CmdResult<Policy> {
    let doc = read_json(path)?;
    Policy::from_json(name, &doc)
        .map_err(|e| CommandError::invalid(format!("`{}`: {e}", path.display())))
}

/// A resource-based policy file: every statement must name its principal.
fn load_resource_policy(path: &Path, name: &str) -> CmdResult<Policy> {
    let policy = load_policy(path, name)?;
    policy
        .check_resource_based()
        .map_err(|e| CommandError::invalid(format!("`{}`: {e}", path.display())))?;
    Ok(policy)
}

fn load_levels(specs: &[String], short: &str) -> CmdResult<Vec<Vec<Policy>>> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            spec.split(',')
                .map(|f| load_policy(Path::new(f), &format!("{short}[{i}]:{f}")))
                .collect()
        })
        .collect()
}

/// `--context` and `--at` as a request context.
fn base_context(ctx: &Ctx, source: &SourceArgs, always_time: bool) -> CmdResult<Context> {
    let mut out = Context::new();
    let mut multi: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for kv in &source.context {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| CommandError::usage(format!("`--context {kv}`: expected KEY=VALUE")))?;
        multi
            .entry(k.to_ascii_lowercase())
            .or_insert_with(|| (k.to_owned(), Vec::new()))
            .1
            .push(v.to_owned());
    }
    for (key, values) in multi.into_values() {
        if values.len() == 1 {
            out.set(&key, values.into_iter().next().unwrap_or_default());
        } else {
            out.set_multi(&key, values);
        }
    }
    let at = match &source.at {
        Some(t) => Some(parse_at(t)?),
        None if always_time => Some(ctx.now),
        None => None,
    };
    if let Some(at) = at {
        out.set_default(
            "aws:CurrentTime",
            at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        out.set_default("aws:EpochTime", at.as_second().to_string());
    }
    Ok(out)
}

pub fn parse_at(text: &str) -> CmdResult<jiff::Timestamp> {
    iamctl_policy::eval::parse_date(text).ok_or_else(|| {
        CommandError::usage(format!(
            "`--at {text}` is not a time: use RFC 3339, e.g. 2026-11-30T23:59:59Z"
        ))
    })
}

/// What `--snapshot` holds (or the live account).
enum Loaded {
    Account(Account),
    Organization(iamctl_policy::org::Organization),
}

/// The account from `--snapshot`, or the live one; or the organisation of
/// an organisation snapshot.
/// With `principal`, only the IAM of that principal's account is compiled
/// (when one account holds it).
async fn load_source(ctx: &Ctx, source: &SourceArgs, principal: Option<&str>) -> CmdResult<Loaded> {
    use iamctl_policy::snapshot::org::Loaded as File;
    let snapshot = match &source.snapshot {
        Some(path) => match crate::common::read_any_snapshot(path)? {
            File::Account(s) => s,
            File::Organization(snap) => {
                let only = principal
                    .and_then(|p| snap.account_of(p, source.account.as_deref()))
                    .map(|a| a.id.clone());
                let org =
                    iamctl_policy::org::Organization::from_snapshot_for(&snap, only.as_deref());
                // Freeing a large organisation costs as much as reading it;
                // the process is about to end, and the OS takes it back.
                std::mem::forget(snap);
                for w in &org.warnings {
                    ctx.status(format!("warning: {w}"));
                }
                return Ok(Loaded::Organization(org));
            }
        },
        None => {
            let snap = ctx.aws().await.authorization_details(false).await?;
            ctx.status(format!(
                "read the account with {} page(s) of GetAccountAuthorizationDetails",
                snap.pages
            ));
            snap.document
        }
    };
    if source.account.is_some() {
        ctx.status("warning: `--account` is for organisation snapshots; ignored");
    }
    let account = Account::from_snapshot(&snapshot);
    // The snapshot is freed while the command runs.
    std::thread::spawn(move || drop(snapshot));
    for w in &account.warnings {
        ctx.status(format!("warning: {w}"));
    }
    Ok(Loaded::Account(account))
}

/// The account from `--snapshot`, or the live one; an organisation snapshot
/// is refused.
async fn load_account(ctx: &Ctx, source: &SourceArgs) -> CmdResult<Account> {
    match load_source(ctx, source, None).await? {
        Loaded::Account(a) => Ok(a),
        Loaded::Organization(_) => Err(CommandError::invalid_help(
            "this command reads an account snapshot, not an organisation snapshot",
            "`who-can`, `access` and `escalation` read organisation snapshots",
        )),
    }
}

fn find_principal<'a>(account: &'a Account, key: &str) -> CmdResult<&'a Entity> {
    account.principal(key).ok_or_else(|| {
        CommandError::failure_help(
            format!("no user or role `{key}` in the account"),
            "give a user or role ARN, or a name that only one of them has",
        )
    })
}
