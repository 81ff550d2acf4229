//! Identity Center plans rendered for people and programs, as
//! [`crate::render`] does for IAM: text, markdown (a pull-request comment)
//! and JSON (the whole plan).

use super::change::IcPlan;
use crate::render::Format;

/// `p` in `format`, ending with a newline.
pub fn render(p: &IcPlan, format: Format) -> String {
    match format {
        Format::Text => text(p),
        Format::Markdown => markdown(p),
        Format::Json => serde_json::to_string_pretty(p).unwrap_or_default() + "\n",
    }
}

fn counts(p: &IcPlan) -> (usize, usize, usize) {
    let add = p.changes.iter().filter(|c| c.sign() == '+').count();
    let del = p.changes.iter().filter(|c| c.sign() == '-').count();
    (add, p.changes.len() - add - del, del)
}

fn title(p: &IcPlan) -> String {
    let (add, change, del) = counts(p);
    if p.changes.is_empty() {
        format!("Identity Center {}: no changes", p.instance_arn)
    } else {
        format!(
            "Identity Center {}: {add} to add, {change} to change, {del} to remove",
            p.instance_arn
        )
    }
}

/// For a terminal or a log.
pub fn text(p: &IcPlan) -> String {
    let mut out = title(p) + "\n";
    for e in &p.errors {
        out.push_str(&format!("  error: {e}\n"));
    }
    for c in &p.changes {
        out.push_str(&format!("  {} {}\n", c.sign(), c.describe()));
    }
    if !p.access.is_empty() {
        out.push_str("  access:\n");
        for a in &p.access {
            out.push_str(&format!("    {}\n", a.sentence()));
        }
    }
    for w in &p.warnings {
        out.push_str(&format!("  note: {w}\n"));
    }
    out
}

/// For a pull-request comment: who gains and loses first, the changes folded.
pub fn markdown(p: &IcPlan) -> String {
    let mut out = format!("### {}\n\n", title(p));
    for e in &p.errors {
        out.push_str(&format!("- :x: {e}\n"));
    }
    if !p.access.is_empty() {
        out.push_str("**Access**\n\n");
        for a in &p.access {
            out.push_str(&format!("- {}\n", a.sentence()));
        }
        out.push('\n');
    }
    if !p.changes.is_empty() {
        out.push_str("<details><summary>Changes</summary>\n\n```diff\n");
        for c in &p.changes {
            out.push_str(&format!("{} {}\n", c.sign(), c.describe()));
        }
        out.push_str("```\n\n</details>\n");
    }
    for w in &p.warnings {
        out.push_str(&format!("> {w}\n"));
    }
    out
}
