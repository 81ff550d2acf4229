//! IAM as code: `validate` (offline). The configuration is seed 004's
//! directory layout plus our extensions; see `iamctl_config`.

use std::path::PathBuf;

use clap::Args;
use iamctl_config::{Diagnostic, Severity};

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Args, Debug)]
#[command(after_help = "\
Reads aws-accounts/, aws-policies/, permanent-access/, temporary-access/, users/, roles/,
groups/, s3-users/ (one <team>.yaml each) and settings.yaml, and reports every problem with
its file, line and column: schema, references, expiry, IAM names, and the lint of every
policy the configuration would create. No AWS call. Exit 3 if any error.")]
pub struct ValidateArgs {
    /// The configuration directory.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Check expiry as of this instant (RFC 3339, UTC) instead of now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// One diagnostic as `validate --output json` prints it.
#[derive(serde::Serialize)]
struct Row<'a> {
    severity: &'static str,
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// A diagnostic for people: miette draws the source line when there is one.
pub fn render(d: &Diagnostic) -> String {
    if d.span.offset == 0 && d.span.len == 0 && d.line() == 1 && d.column() == 1 {
        // No position worth drawing (a directory or a file that cannot be read).
        let mut s = format!("{}: {}\n", d.severity.as_str(), d.message);
        if let Some(h) = &d.help {
            s.push_str(&format!("  help: {h}\n"));
        }
        return s;
    }
    format!("{:?}\n", miette::Report::new(d.clone()))
}

/// The most diagnostics printed for people; `--output json` lists them all.
pub const SHOWN: usize = 50;

/// `diags` for people on stderr: at most [`SHOWN`], errors before warnings
/// before notes (each kept in file, line and column order), then one line
/// counting what was left out.
pub fn print_diagnostics(diags: &[&Diagnostic]) {
    let mut keep: Vec<usize> = Vec::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Note] {
        keep.extend(
            (0..diags.len())
                .filter(|&i| diags[i].severity == severity)
                .take(SHOWN - keep.len()),
        );
    }
    keep.sort_unstable();
    let mut out = String::new();
    for &i in &keep {
        out.push_str(&render(diags[i]));
    }
    let more = diags.len() - keep.len();
    if more > 0 {
        let left = |severity: Severity| {
            let shown = keep
                .iter()
                .filter(|&&i| diags[i].severity == severity)
                .count();
            diags.iter().filter(|d| d.severity == severity).count() - shown
        };
        let parts: Vec<String> = [Severity::Error, Severity::Warning, Severity::Note]
            .into_iter()
            .map(|s| (left(s), s.as_str()))
            .filter(|(n, _)| *n > 0)
            .map(|(n, word)| plural(n, word))
            .collect();
        out.push_str(&format!(
            "... and {} more ({}); `--output json` lists every one\n",
            grouped(more),
            parts.join(", ")
        ));
    }
    eprint!("{out}");
}

/// `39950` as `39,950`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn validate(ctx: &Ctx, a: ValidateArgs) -> CmdResult {
    let now = match &a.at {
        Some(t) => super::analyze::parse_at(t)?,
        None => ctx.now,
    };
    let (config, _) = iamctl_config::load(&a.dir);
    let diags = iamctl_config::validate(&config, now);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if ctx.output == crate::ctx::OutputFormat::Sarif {
        validate_sarif(&diags)?;
    } else if ctx.json() {
        let rows: Vec<Row> = diags
            .iter()
            .map(|d| Row {
                severity: d.severity.as_str(),
                file: d.file(),
                line: d.line(),
                column: d.column(),
                message: &d.message,
                help: d.help.as_deref(),
            })
            .collect();
        ctx.emit(&rows, |_| String::new())?;
    } else {
        print_diagnostics(&diags.iter().collect::<Vec<_>>());
    }
    let files = config.sources.len();
    let summary = format!(
        "{}, {} in {} of {} as of {}",
        plural(errors, Severity::Error.as_str()),
        plural(warnings, Severity::Warning.as_str()),
        plural(files, "file"),
        plural(config.teams.len(), "team"),
        iamctl_config::rfc3339(now),
    );
    if errors > 0 {
        Err(CommandError::invalid_help(
            format!("configuration is invalid: {summary}"),
            "nothing was changed; fix the errors above and run `iamctl validate` again",
        ))
    } else {
        ctx.status(format!("configuration is valid: {summary}"));
        Ok(())
    }
}

/// The rule of a diagnostic: the lint code of a policy finding (the
/// message ends `(CODE)`), else `CONFIG_ERROR`, `CONFIG_WARNING` or
/// `CONFIG_NOTE`.
fn validate_rule(d: &Diagnostic) -> String {
    use iamctl_policy::lint::Code;
    let code = d
        .message
        .strip_suffix(')')
        .and_then(|m| m.rsplit_once('('))
        .map(|(_, c)| c);
    match code.and_then(|c| Code::ALL.iter().find(|k| k.as_str() == c)) {
        Some(k) => k.as_str().to_owned(),
        None => format!("CONFIG_{}", d.severity.as_str().to_ascii_uppercase()),
    }
}

/// `validate --output sarif`: each diagnostic at its file, line and column;
/// the rules are the lint codes and the configuration's own checks.
fn validate_sarif(diags: &[Diagnostic]) -> CmdResult {
    use crate::sarif::{Finding, Level, Rule};
    use iamctl_policy::lint::Code;
    let mut rules: Vec<Rule> = [
        ("CONFIG_ERROR", "the configuration is invalid here: schema, a reference, an expiry, an IAM name or limit"),
        ("CONFIG_WARNING", "the configuration is valid here but likely not what was meant"),
        ("CONFIG_NOTE", "how the configuration is read here"),
    ]
    .iter()
    .map(|(id, d)| Rule {
        id: (*id).to_owned(),
        description: (*d).to_owned(),
    })
    .collect();
    rules.extend(Code::ALL.iter().map(|c| Rule {
        id: c.as_str().to_owned(),
        description: c.meaning().to_owned(),
    }));
    let findings: Vec<Finding> = diags
        .iter()
        .map(|d| Finding {
            rule: validate_rule(d),
            level: match d.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Note => Level::Note,
            },
            message: match &d.help {
                Some(h) => format!("{} (help: {h})", d.message),
                None => d.message.clone(),
            },
            file: d.file().to_owned(),
            line: d.line(),
            column: d.column(),
        })
        .collect();
    crate::sarif::print(&rules, &findings)
}

fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", grouped(n), if n == 1 { "" } else { "s" })
}

// ---- one apply per account at a time ---------------------------------------

/// A duration given on the command line: `0s`, `30s`, `5m`, `1h`, or
/// seconds alone.
#[derive(Debug, Clone, Copy)]
pub struct Wait(pub std::time::Duration);

pub fn parse_wait(text: &str) -> Result<Wait, String> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write `30s`, `5m` or `1h`"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => {
            return Err(format!(
                "`{text}` is not a duration: write `30s`, `5m` or `1h`"
            ))
        }
    };
    Ok(Wait(std::time::Duration::from_secs(secs)))
}

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
