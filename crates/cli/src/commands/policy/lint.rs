//! `policy lint`: documents checked offline, as text, JSON or SARIF.

use super::{LintArgs, LintType};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// One finding as `policy lint --output json` prints it.
#[derive(serde::Serialize)]
struct LintRow {
    file: String,
    line: usize,
    column: usize,
    severity: &'static str,
    code: &'static str,
    message: String,
}

pub(super) fn lint(ctx: &Ctx, a: LintArgs) -> CmdResult {
    use iamctl_policy::lint::{lint, PolicyType};
    use std::io::Read;
    let policy_type = match a.policy_type {
        LintType::Identity => PolicyType::Identity,
        LintType::Resource => PolicyType::Resource,
        LintType::Trust => PolicyType::Trust,
        LintType::Scp => PolicyType::Scp,
        LintType::Rcp => PolicyType::Rcp,
    };
    let mut rows = Vec::new();
    let mut with_errors = 0;
    for f in &a.files {
        let (origin, text) = if f == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            ("<stdin>".to_owned(), s)
        } else {
            let text = std::fs::read_to_string(f)
                .map_err(|e| CommandError::invalid(format!("cannot read `{f}`: {e}")))?;
            (f.clone(), text)
        };
        let report = lint(&origin, &text, policy_type);
        if report.has_errors() {
            with_errors += 1;
        }
        if report.findings.is_empty() {
            ctx.status(format!("{origin}: no findings"));
        }
        rows.extend(report.findings.into_iter().map(|finding| LintRow {
            file: origin.clone(),
            line: finding.line,
            column: finding.column,
            severity: finding.severity.as_str(),
            code: finding.code.as_str(),
            message: finding.message,
        }));
    }
    if ctx.output == crate::ctx::OutputFormat::Sarif {
        lint_sarif(&rows)?;
    } else {
        ctx.emit(&rows, |rows| {
            rows.iter()
                .map(|r| {
                    format!(
                        "{}:{}:{}: {} {}: {}\n",
                        r.file, r.line, r.column, r.severity, r.code, r.message
                    )
                })
                .collect()
        })?;
    }
    if with_errors == 0 {
        Ok(())
    } else {
        Err(CommandError::invalid(format!(
            "{with_errors} of {} policy documents have errors",
            a.files.len()
        )))
    }
}

/// Lint findings as SARIF: every lint code is a rule.
fn lint_sarif(rows: &[LintRow]) -> CmdResult {
    use crate::sarif::{Finding, Level, Rule};
    use iamctl_policy::lint::{Code, Severity};
    let rules: Vec<Rule> = Code::ALL
        .iter()
        .map(|c| Rule {
            id: c.as_str().to_owned(),
            description: c.meaning().to_owned(),
        })
        .collect();
    let findings: Vec<Finding> = rows
        .iter()
        .map(|r| Finding {
            rule: r.code.to_owned(),
            level: match r.severity {
                s if s == Severity::Error.as_str() => Level::Error,
                s if s == Severity::Suggestion.as_str() => Level::Note,
                _ => Level::Warning,
            },
            message: r.message.clone(),
            file: r.file.clone(),
            line: r.line,
            column: r.column,
        })
        .collect();
    crate::sarif::print(&rules, &findings)
}
