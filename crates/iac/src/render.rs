//! Plans rendered for people and programs: text (a terminal, a log),
//! markdown (a pull-request comment: under GitHub's 65,536-character limit,
//! the changes folded in `<details>`) and JSON (the plan file, all of it).
//! Output formats are one enum, chosen by the caller; colour is the
//! terminal's business, not this module's.

use std::collections::HashSet;

use serde_json::Value;

use crate::plan::{
    attachment_tag, member_tag, Change, Kind, Plan, PlanFile, TAG_ATTACHED, TAG_MEMBER,
};

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

/// Additions, changes and deletions, as the plan's lines show them (a
/// record folded into its attachment is not counted again).
pub fn counts(p: &Plan) -> (usize, usize, usize) {
    let lines = lines(&p.changes);
    let add = lines.iter().filter(|l| l.sign == '+').count();
    let del = lines.iter().filter(|l| l.sign == '-').count();
    (add, lines.len() - add - del, del)
}

/// One line of a plan for people: a change, or an attachment (membership)
/// with the tag that records it.
pub struct Line<'a> {
    pub sign: char,
    pub text: String,
    /// The change whose documents the line shows.
    pub change: &'a Change,
}

/// The changes of one plan as people read them. What a change creates is
/// named with its IAM path (`create policy t-read at path /iamctl/t/`). The
/// tag that records an attachment or a membership on a principal iamctl
/// does not own (`iamctl:attached:...`, `iamctl:member:...`) is said on the
/// line of that attachment, not as a line of its own; the plan file (JSON)
/// keeps every change.
pub fn lines(changes: &[Change]) -> Vec<Line<'_>> {
    // (kind, principal, policy ARN) attached and detached; (group, user)
    // added and removed.
    let mut attach = HashSet::new();
    let mut detach = HashSet::new();
    let mut add = HashSet::new();
    let mut remove = HashSet::new();
    for c in changes {
        match c {
            Change::Attach { kind, name, arn } => {
                attach.insert((*kind, name.as_str(), arn.as_str()));
            }
            Change::Detach { kind, name, arn } => {
                detach.insert((*kind, name.as_str(), attachment_tag(arn).0));
            }
            Change::AddMember { group, user } => {
                add.insert((group.as_str(), user.as_str()));
            }
            Change::RemoveMember { group, user } => {
                remove.insert((user.as_str(), member_tag(group).0));
            }
            _ => {}
        }
    }
    // The records that go with a line above, and the lines that carry one.
    let tagged = |kind: Kind, name: &str, key: &str, value: &str| {
        (key.starts_with(TAG_ATTACHED) && attach.contains(&(kind, name, value)))
            || (key.starts_with(TAG_MEMBER) && kind == Kind::User && add.contains(&(value, name)))
    };
    let untagged = |kind: Kind, name: &str, key: &str| {
        (key.starts_with(TAG_ATTACHED) && detach.contains(&(kind, name, key.to_owned())))
            || (key.starts_with(TAG_MEMBER)
                && kind == Kind::User
                && remove.contains(&(name, key.to_owned())))
    };
    let mut recorded = HashSet::new();
    let mut forgotten = HashSet::new();
    let mut out = Vec::with_capacity(changes.len());
    for c in changes {
        let (sign, text) = match c {
            Change::Tag { kind, name, tags } => {
                let (folded, kept): (Vec<_>, Vec<_>) =
                    tags.iter().partition(|(k, v)| tagged(*kind, name, k, v));
                for (k, v) in folded {
                    recorded.insert((*kind, name.as_str(), k.as_str(), v.as_str()));
                }
                if kept.is_empty() {
                    continue;
                }
                let tags = kept
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let rest = Change::Tag {
                    kind: *kind,
                    name: name.clone(),
                    tags,
                };
                (c.sign(), rest.summary())
            }
            Change::Untag { kind, name, keys } => {
                let (folded, kept): (Vec<_>, Vec<_>) =
                    keys.iter().partition(|k| untagged(*kind, name, k));
                for k in folded {
                    forgotten.insert((*kind, name.as_str(), k.as_str()));
                }
                if kept.is_empty() {
                    continue;
                }
                let rest = Change::Untag {
                    kind: *kind,
                    name: name.clone(),
                    keys: kept.into_iter().cloned().collect(),
                };
                (c.sign(), rest.summary())
            }
            _ => (c.sign(), created_at(c).unwrap_or_else(|| c.summary())),
        };
        out.push(Line {
            sign,
            text,
            change: c,
        });
    }
    // Now that every record is known, the lines that carry one say so.
    for line in &mut out {
        let note = match line.change {
            Change::Attach { kind, name, arn } => {
                let (key, _) = attachment_tag(arn);
                recorded
                    .contains(&(*kind, name.as_str(), key.as_str(), arn.as_str()))
                    .then(|| format!(", recorded in the {}'s tags", kind.as_str()))
            }
            Change::Detach { kind, name, arn } => {
                let (key, _) = attachment_tag(arn);
                forgotten
                    .contains(&(*kind, name.as_str(), key.as_str()))
                    .then(|| format!(", and its record removed from the {}'s tags", kind.as_str()))
            }
            Change::AddMember { group, user } => {
                let (key, _) = member_tag(group);
                recorded
                    .contains(&(Kind::User, user.as_str(), key.as_str(), group.as_str()))
                    .then(|| ", recorded in the user's tags".to_owned())
            }
            Change::RemoveMember { group, user } => {
                let (key, _) = member_tag(group);
                forgotten
                    .contains(&(Kind::User, user.as_str(), key.as_str()))
                    .then(|| ", and its record removed from the user's tags".to_owned())
            }
            _ => None,
        };
        if let Some(note) = note {
            line.text.push_str(&note);
        }
    }
    out
}

/// What a create line says: the name and the IAM path it is made at.
fn created_at(c: &Change) -> Option<String> {
    let (what, name, path) = match c {
        Change::CreatePolicy { name, path, .. } => ("policy", name, path),
        Change::CreateUser { name, path, .. } => ("user", name, path),
        Change::CreateRole { name, path, .. } => ("role", name, path),
        Change::CreateGroup { name, path } => ("group", name, path),
        _ => return None,
    };
    Some(format!("create {what} {name} at path {path}"))
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
        for l in lines(&p.changes) {
            out.push_str(&format!("  {} {}\n", l.sign, l.text));
            if let Some((old, new)) = l.change.documents() {
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
        let lines = lines(&p.changes);
        out.push_str(&format!(
            "\n<details><summary><b>{}</b> (<code>{}</code>): {} change(s)</summary>\n\n```diff\n",
            p.environment,
            p.account_id,
            lines.len()
        ));
        for l in &lines {
            out.push_str(&format!("{} {}\n", l.sign, l.text));
            if let Some((old, new)) = l.change.documents() {
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

#[cfg(test)]
mod tests {
    use super::*;

    const RO: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    fn tags(pairs: &[(&str, &str)]) -> iamctl_config::Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Issue 20.5: creates name their IAM path; the tags recording an
    /// attachment or a membership are said on its line; a record without
    /// its attachment in the plan, and other tags, keep their own line; the
    /// plan file keeps every change.
    #[test]
    fn records_fold_into_their_attachments_and_creates_name_their_path() {
        let (attached, _) = attachment_tag(RO);
        let (member, _) = member_tag("readers");
        let stale = "iamctl:attached:aws/PowerUserAccess";
        let changes = vec![
            Change::CreatePolicy {
                name: "t-read".into(),
                path: "/iamctl/t/".into(),
                arn: "arn:aws:iam::123456789012:policy/iamctl/t/t-read".into(),
                description: None,
                document: serde_json::json!({"Version": "2012-10-17", "Statement": []}),
                tags: tags(&[("managed-by", "iamctl")]),
            },
            Change::CreateGroup {
                name: "t-ops".into(),
                path: "/iamctl/t/".into(),
            },
            Change::Tag {
                kind: Kind::User,
                name: "user1".into(),
                tags: tags(&[(&attached, RO), ("cost-centre", "42")]),
            },
            Change::Tag {
                kind: Kind::User,
                name: "user3".into(),
                tags: tags(&[(&member, "readers")]),
            },
            Change::Attach {
                kind: Kind::User,
                name: "user1".into(),
                arn: RO.into(),
            },
            Change::AddMember {
                group: "readers".into(),
                user: "user3".into(),
            },
            Change::Detach {
                kind: Kind::Role,
                name: "ci".into(),
                arn: RO.into(),
            },
            Change::Untag {
                kind: Kind::Role,
                name: "ci".into(),
                keys: vec![attached.clone()],
            },
            Change::Untag {
                kind: Kind::User,
                name: "user2".into(),
                keys: vec![stale.into()],
            },
        ];
        let plan = Plan {
            environment: "dev".into(),
            account_id: "123456789012".into(),
            fingerprint: String::new(),
            changes,
            access: Vec::new(),
            warnings: Vec::new(),
            conflicts: Vec::new(),
            blocked: Vec::new(),
            escalations: Vec::new(),
        };
        let out = text(std::slice::from_ref(&plan));
        let shown: Vec<&str> = out.lines().filter(|l| l.starts_with("  ")).collect();
        assert_eq!(
            shown.iter().filter(|l| !l.starts_with("      ")).copied().collect::<Vec<_>>(),
            [
                "  + create policy t-read at path /iamctl/t/",
                "  + create group t-ops at path /iamctl/t/",
                "  ~ tag user user1 cost-centre=42",
                "  + attach ReadOnlyAccess to user user1, recorded in the user's tags",
                "  + add user user3 to group readers, recorded in the user's tags",
                "  - detach ReadOnlyAccess from role ci, and its record removed from the role's tags",
                "  ~ untag user user2 iamctl:attached:aws/PowerUserAccess",
            ],
            "{out}"
        );
        assert!(
            out.starts_with("account 123456789012 (dev): 4 to add, 2 to change, 1 to destroy\n"),
            "{out}"
        );
        let md = markdown(std::slice::from_ref(&plan));
        assert!(md.contains("): 7 change(s)</summary>"), "{md}");
        assert!(!md.contains("tag user user3"), "{md}");
        // The plan file holds every change, records included.
        let file = PlanFile::new(String::new(), String::new(), vec![plan]);
        let doc: Value = serde_json::from_str(&json(&file)).expect("json");
        let ops: Vec<&str> = doc["plans"][0]["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter_map(|c| c["op"].as_str())
            .collect();
        assert_eq!(ops.iter().filter(|o| **o == "tag").count(), 2, "{ops:?}");
        assert_eq!(ops.iter().filter(|o| **o == "untag").count(), 2, "{ops:?}");
    }
}
