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

pub fn validate(ctx: &Ctx, a: ValidateArgs) -> CmdResult {
    let now = match &a.at {
        Some(t) => super::analyze::parse_at(t)?,
        None => ctx.now,
    };
    let (config, _) = iamctl_config::load(&a.dir);
    let diags = iamctl_config::validate(&config, now);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if ctx.json() {
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
        for d in &diags {
            eprint!("{}", render(d));
        }
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

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
