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
