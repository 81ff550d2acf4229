//! Plans rendered for people and programs: text (a terminal, a log),
//! markdown (a pull-request comment: under GitHub's 65,536-character limit,
//! the changes folded in `<details>`) and JSON (the plan file, all of it).
//! Output formats are one enum, chosen by the caller; colour is the
//! terminal's business, not this module's.

use serde_json::Value;

use crate::plan::{Plan, PlanFile};

/// How a plan is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

/// `file` in `format`, ending with a newline.
pub fn render(file: &PlanFile, format: Format) -> String {
    match format {
        Format::Text => text(&file.plans),
        Format::Markdown => markdown(&file.plans),
        Format::Json => json(file),
    }
}

/// The plan file as pretty JSON (what `plan --out` saves and `apply`
/// reads), with a final newline.
pub fn json(file: &PlanFile) -> String {
    serde_json::to_string_pretty(file).unwrap_or_default() + "\n"
}

/// Additions, changes and deletions.
pub fn counts(p: &Plan) -> (usize, usize, usize) {
    let add = p.changes.iter().filter(|c| c.sign() == '+').count();
    let del = p.changes.iter().filter(|c| c.sign() == '-').count();
    (add, p.changes.len() - add - del, del)
}

/// A document as pretty JSON.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A unified diff of two documents, pretty-printed.
pub fn doc_diff(old: Option<&Value>, new: &Value, indent: &str) -> String {
    let old = old.map(pretty).unwrap_or_default();
    let new = pretty(new);
    let diff = similar::TextDiff::from_lines(&old, &new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        out.push_str(&format!("{indent}{sign} {}", change.value()));
        if !change.value().ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The most lines of one document diff a plan prints; `--format json` has
/// the whole document.
pub const DIFF_LINES: usize = 60;

/// A diff cut to [`DIFF_LINES`], saying how much was left out.
pub fn short_diff(old: Option<&Value>, new: &Value, indent: &str) -> String {
    let full = doc_diff(old, new, indent);
    let n = full.lines().count();
    if n <= DIFF_LINES {
        return full;
    }
    let mut out: String = full
        .lines()
        .take(DIFF_LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!(
        "{indent}  ... {} more line(s); `--format json` has the whole document\n",
        n - DIFF_LINES
    ));
    out
}

/// Per account: the counts, each change (documents diffed), effective
/// access, warnings and conflicts; new escalation paths first.
pub fn text(plans: &[Plan]) -> String {
    let mut out = String::new();
    // New ways to become administrator come first, whatever else changes.
    for p in plans {
        for e in &p.escalations {
            out.push_str(&format!(
                "warning: new escalation path in account {} ({}): {e}\n",
                p.account_id, p.environment
            ));
        }
    }
    for p in plans {
        let (add, change, del) = counts(p);
        out.push_str(&format!(
            "account {} ({}): {add} to add, {change} to change, {del} to destroy\n",
            p.account_id, p.environment
        ));
        for c in &p.changes {
            out.push_str(&format!("  {} {}\n", c.sign(), c.summary()));
            if let Some((old, new)) = c.documents() {
                out.push_str(&short_diff(old, new, "      "));
            }
        }
        if !p.access.is_empty() {
            out.push_str(
                "  effective access (every action AWS documents, as the engine decides):\n",
            );
            for a in &p.access {
                out.push_str(&format!("    {}\n", a.sentence()));
                if let Some(r) = a.risky_sentence(12) {
                    out.push_str(&format!("      {r}\n"));
                }
            }
        }
        for w in &p.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        for c in &p.conflicts {
            out.push_str(&format!("  conflict: {c}\n"));
        }
        for c in &p.blocked {
            out.push_str(&format!(
                "  blocked by a conflict: {} {}\n",
                c.sign(),
                c.summary()
            ));
        }
    }
    if plans.iter().all(Plan::is_empty) {
        out.push_str("no changes: every account matches the configuration\n");
    }
    out
}

/// GitHub refuses comments over 65,536 characters.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// For a pull-request comment: a table, then per account the effective
/// access, conflicts and warnings in the open and the changes folded.
pub fn markdown(plans: &[Plan]) -> String {
    let mut out = String::from("### iamctl plan\n\n");
    for p in plans {
        for e in &p.escalations {
            out.push_str(&format!(
                "> :warning: **new escalation path** in {} (`{}`): {e}\n\n",
                p.environment, p.account_id
            ));
        }
    }
    out.push_str("| environment | account | add | change | destroy |\n|---|---|---:|---:|---:|\n");
    for p in plans {
        let (add, change, del) = counts(p);
        out.push_str(&format!(
            "| {} | `{}` | {add} | {change} | {del} |\n",
            p.environment, p.account_id
        ));
    }
    for p in plans {
        if p.changes.is_empty() && p.conflicts.is_empty() && p.warnings.is_empty() {
            continue;
        }
        out.push_str(&format!("\n#### {} (`{}`)\n", p.environment, p.account_id));
        if !p.access.is_empty() {
            out.push_str(
                "\n**Effective access** (every action AWS documents, as the engine decides)\n\n",
            );
            for a in &p.access {
                let sentence = a.sentence();
                let sentence = sentence
                    .strip_prefix(&a.principal)
                    .unwrap_or(&sentence)
                    .trim_start();
                let (change, rest) = sentence.split_once(' ').unwrap_or((sentence, ""));
                out.push_str(&format!("- {} **{change}** {rest}\n", a.principal));
                if let Some(r) = a.risky_sentence(12) {
                    out.push_str(&format!("  - :warning: {r}\n"));
                }
            }
        }
        for c in &p.conflicts {
            out.push_str(&format!("\n> **conflict:** {c}\n"));
        }
        for c in &p.blocked {
            out.push_str(&format!(
                "\n> blocked by a conflict: `{} {}`\n",
                c.sign(),
                c.summary()
            ));
        }
        for w in &p.warnings {
            out.push_str(&format!("\n> warning: {w}\n"));
        }
        if p.changes.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n<details><summary><b>{}</b> (<code>{}</code>): {} change(s)</summary>\n\n```diff\n",
            p.environment,
            p.account_id,
            p.changes.len()
        ));
        for c in &p.changes {
            out.push_str(&format!("{} {}\n", c.sign(), c.summary()));
            if let Some((old, new)) = c.documents() {
                out.push_str(&short_diff(old, new, "    "));
            }
        }
        out.push_str("```\n\n</details>\n");
    }
    if plans.iter().all(Plan::is_empty) {
        out.push_str("\nNo changes: every account matches the configuration.\n");
    }
    if out.len() > MARKDOWN_LIMIT {
        // Keep the head (table, access) and say where the rest is.
        let mut cut = MARKDOWN_LIMIT - 200;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n```\n\n</details>\n\n**The plan is longer than a pull-request comment allows; `iamctl plan --format json` has all of it.**\n");
    }
    out
}
