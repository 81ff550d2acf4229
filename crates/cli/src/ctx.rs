//! What every command gets: global options, the AWS clients (made on first use),
//! the clock, and the way to talk to the person at the terminal.

use crate::error::{CmdResult, CommandError};
use iamctl_aws::{Aws, CallerIdentity, ConnectOptions};
use std::io::IsTerminal;
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    // SARIF 2.1.0 (`policy lint`, `check`), for code scanning. (No doc
    // comment: clap would print every option in the long form.)
    Sarif,
}

/// MFA codes for role profiles with `mfa_serial`: `--mfa-code` (or
/// `IAMCTL_MFA_CODE`), else asked on the terminal, as the AWS CLI asks ("MFA
/// code for arn:...:", not echoed). Without either, the reason says how to give
/// one. The code is never shown, not even by `Debug`.
pub struct MfaPrompt {
    code: Option<String>,
}

impl MfaPrompt {
    pub fn shared(code: Option<String>) -> std::sync::Arc<dyn iamctl_aws::signin::MfaCodeSource> {
        std::sync::Arc::new(MfaPrompt { code })
    }
}

impl std::fmt::Debug for MfaPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaPrompt")
            .field("code", &self.code.as_ref().map(|_| "<given>"))
            .finish()
    }
}

impl iamctl_aws::signin::MfaCodeSource for MfaPrompt {
    fn code(&self, _profile: &str, serial: &str) -> Result<String, String> {
        if let Some(code) = &self.code {
            return Ok(code.clone());
        }
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            return Err(
                "there is no terminal to ask on: pass `--mfa-code CODE` or set `IAMCTL_MFA_CODE`"
                    .into(),
            );
        }
        dialoguer::Password::new()
            .with_prompt(format!("MFA code for {serial}"))
            .allow_empty_password(true)
            .interact()
            .map_err(|e| format!("the prompt failed: {e}"))
    }
}

pub struct Ctx {
    pub connect: ConnectOptions,
    pub output: OutputFormat,
    pub yes: bool,
    /// `--dry-run`: by-hand commands that change IAM say what they would do and
    /// change nothing.
    pub dry_run: bool,
    /// The current instant; injected (`IAMCTL_NOW`) so tests and `--at` are exact.
    pub now: jiff::Timestamp,
    /// True when stdin and stderr are terminals: we may ask questions.
    pub interactive: bool,
    aws: OnceCell<Aws>,
    identity: OnceCell<CallerIdentity>,
}

impl Ctx {
    pub fn new(
        connect: ConnectOptions,
        output: OutputFormat,
        yes: bool,
        now: jiff::Timestamp,
    ) -> Ctx {
        Ctx {
            connect,
            output,
            yes,
            dry_run: false,
            now,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            aws: OnceCell::new(),
            identity: OnceCell::new(),
        }
    }

    pub async fn aws(&self) -> &Aws {
        self.aws.get_or_init(|| Aws::connect(&self.connect)).await
    }

    /// Request attempts the SDK retried (throttling, transient failures).
    pub fn retried_attempts(&self) -> u32 {
        self.aws.get().map_or(0, |a| a.retried_attempts())
    }

    /// Who we run as (one STS call, then cached).
    pub async fn identity(&self) -> CmdResult<&CallerIdentity> {
        let aws = self.aws().await;
        self.identity
            .get_or_try_init(|| async { aws.caller_identity().await.map_err(CommandError::from) })
            .await
    }

    /// The partition of the account we run in (`aws`, `aws-cn`, ...).
    pub async fn partition(&self) -> CmdResult<String> {
        let id = self.identity().await?;
        Ok(id.arn.split(':').nth(1).unwrap_or("aws").to_string())
    }

    pub fn json(&self) -> bool {
        self.output == OutputFormat::Json
    }

    /// Status for people: stderr, never stdout.
    pub fn status(&self, msg: impl AsRef<str>) {
        eprintln!("{}", msg.as_ref());
    }

    /// With `--dry-run`: say what would change and stop before changing it
    /// (`Ok(true)`: the caller returns). Without it, `Ok(false)`.
    /// With `--output json` the document is `{"DryRun": true, "Would": "..."}`.
    pub fn dry_run(&self, what: impl AsRef<str>) -> bool {
        if self.dry_run {
            eprintln!("would {}", what.as_ref());
            eprintln!("dry run: nothing was changed");
            if self.json() {
                let _ = self.emit(
                    &serde_json::json!({"DryRun": true, "Would": what.as_ref()}),
                    |_| String::new(),
                );
            }
        }
        self.dry_run
    }

    /// Ask before a destructive step. `--yes` answers yes; without a terminal and
    /// without `--yes` the command stops with a usage error.
    pub fn confirm(&self, question: &str) -> CmdResult<()> {
        if self.yes {
            return Ok(());
        }
        if !self.interactive {
            return Err(CommandError::usage(format!(
                "{question} — refusing without confirmation: pass `--yes` (no terminal to ask on)"
            )));
        }
        let ok = dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(|e| match e {
                // Ctrl-C at the prompt (the terminal is raw: no signal).
                dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
                    eprintln!("interrupted: nothing was changed");
                    CommandError::silent(crate::error::exit::INTERRUPTED)
                }
                e => CommandError::failure(format!("prompt failed: {e}")),
            })?;
        if ok {
            Ok(())
        } else {
            Err(CommandError::failure("cancelled; nothing was changed"))
        }
    }

    /// Print data: JSON (one document) or the table the closure makes.
    pub fn emit<T: serde::Serialize>(
        &self,
        data: &T,
        table: impl FnOnce(&T) -> String,
    ) -> CmdResult {
        if self.json() {
            let s = serde_json::to_string_pretty(data)
                .map_err(|e| CommandError::failure(format!("cannot encode output: {e}")))?;
            print_out(&format!("{s}\n"))?;
        } else {
            let s = table(data);
            if !s.is_empty() {
                print_out(&format!("{}\n", s.trim_end()))?;
            }
        }
        Ok(())
    }
}

impl Ctx {
    /// What a mutating command changed, as its one JSON document on stdout with
    /// `--output json` (people read the status lines on stderr instead).
    pub fn changed(&self, what: serde_json::Value) -> CmdResult {
        if self.json() {
            self.emit(&what, |_| String::new())?;
        }
        Ok(())
    }
}

/// A listing as JSON, `{KEY: [..], "NotLoaded": [..]}`: the fields IAM's list
/// call does not return (tags, boundaries) are left out of every item rather than
/// shown empty, and `NotLoaded` names them (`show` loads them for one entity).
pub fn listing<T: serde::Serialize>(
    key: &str,
    items: &[T],
    not_loaded: &[&str],
) -> CmdResult<serde_json::Value> {
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        let mut v = serde_json::to_value(item)
            .map_err(|e| CommandError::failure(format!("cannot encode output: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            for f in not_loaded {
                o.remove(*f);
            }
        }
        list.push(v);
    }
    let mut out = serde_json::Map::new();
    out.insert(key.to_string(), serde_json::Value::Array(list));
    if !not_loaded.is_empty() {
        out.insert("NotLoaded".into(), serde_json::json!(not_loaded));
    }
    Ok(serde_json::Value::Object(out))
}

/// Write to stdout. A closed stdout (the reader went away, `| head -1`) ends the
/// command quietly with exit 0: what it had to say is no longer wanted.
pub fn print_out(s: &str) -> CmdResult {
    use std::io::Write;
    if !s.is_empty() {
        mark_stdout_used();
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Err(CommandError::silent(crate::error::exit::SUCCESS))
        }
        Err(e) => Err(CommandError::failure(format!(
            "cannot write to stdout: {e}"
        ))),
    }
}

static STDOUT_USED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The command wrote its document (or lines) on stdout: a failure after it
/// is said on stderr only, so that stdout stays one JSON document.
pub fn mark_stdout_used() {
    STDOUT_USED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether anything was written on stdout.
pub fn stdout_used() -> bool {
    STDOUT_USED.load(std::sync::atomic::Ordering::Relaxed)
}

static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Colour on stdout: set once by `main` (a terminal, no `NO_COLOR`, no `--no-color`).
pub fn set_color(on: bool) {
    COLOR.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether stdout may carry colour and bold (tables, plan diffs).
pub fn color() -> bool {
    COLOR.load(std::sync::atomic::Ordering::Relaxed)
}

/// A plain table for people; on a colour terminal the header is bold.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    use comfy_table::{presets, Attribute, Cell, ContentArrangement, Table};
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if color() {
        t.enforce_styling().set_header(
            headers
                .iter()
                .map(|h| Cell::new(h).add_attribute(Attribute::Bold))
                .collect::<Vec<_>>(),
        );
    } else {
        t.force_no_tty().set_header(headers.to_vec());
    }
    for r in rows {
        t.add_row(r);
    }
    t.to_string()
}

/// The NAME / PATH / CREATED / ARN table of users, roles and groups.
pub fn entity_table<T: iamctl_aws::Named>(items: &[T]) -> String {
    table(
        &["NAME", "PATH", "CREATED", "ARN"],
        items
            .iter()
            .map(|e| {
                vec![
                    e.name().to_string(),
                    e.path().to_string(),
                    crate::common::short_date(e.create_date()),
                    e.arn().to_string(),
                ]
            })
            .collect(),
    )
}

/// `k=v, k=v` for a `tags` field.
pub fn tag_list(tags: &[iamctl_aws::Tag]) -> String {
    tags.iter()
        .map(|t| format!("{}={}", t.key, t.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ARNs of attached policies, comma-separated.
pub fn arn_list(policies: &[iamctl_aws::AttachedPolicy]) -> String {
    policies
        .iter()
        .map(|p| p.policy_arn.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `key: value` lines.
pub fn fields(rows: &[(&str, String)]) -> String {
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<w$}  {v}\n"))
        .collect()
}
