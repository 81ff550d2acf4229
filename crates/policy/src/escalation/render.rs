//! The report as text for a terminal and as Markdown for a pull-request
//! comment, where each path is a mermaid graph (GitHub draws ```mermaid
//! blocks).

use super::{EscalationPath, Report, Step};

/// `user alice` for `arn:aws:iam::111122223333:user/alice` (the last path
/// segment), the text itself for anything else.
pub fn who(arn: &str) -> String {
    let resource = arn.rsplit(':').next().unwrap_or(arn);
    match resource.split_once('/') {
        Some((kind, rest)) => format!("{kind} {}", rest.rsplit('/').next().unwrap_or(rest)),
        None => arn.to_owned(),
    }
}

fn goal(p: &EscalationPath) -> String {
    if p.target == "admin" {
        "admin".to_owned()
    } else {
        format!("`{}`", p.target)
    }
}

fn deciding(st: &Step) -> String {
    if st.statements.len() > 1 {
        st.statements.join(" and ")
    } else {
        st.statement.clone()
    }
}

/// One path, hop by hop, with the deciding statements.
pub fn path_text(p: &EscalationPath) -> String {
    let mut s = format!(
        "{} can become {}{} in {} hop(s):\n",
        who(&p.principal),
        goal(p),
        if p.if_resource_exists {
            " (if such a resource exists)"
        } else {
            ""
        },
        p.steps.len()
    );
    for (i, st) in p.steps.iter().enumerate() {
        s.push_str(&format!(
            "  {}. {} [{}]: {} on {} — allowed by {}; {}\n",
            i + 1,
            who(&st.principal),
            st.method,
            st.action,
            st.resource,
            deciding(st),
            st.effect
        ));
        if let Some(session) = &st.session {
            s.push_str(&format!("     with {session}\n"));
        }
    }
    s
}

/// The whole report as text.
pub fn text(r: &Report) -> String {
    if r.paths.is_empty() {
        return "no escalation paths\n".to_owned();
    }
    r.paths.iter().map(path_text).collect::<Vec<_>>().join("\n")
}

/// Text safe inside a mermaid quoted label.
fn label(s: &str) -> String {
    s.replace('"', "#quot;").replace('`', "")
}

/// One path as a mermaid flowchart: a node per state, an edge per hop.
pub fn mermaid(p: &EscalationPath) -> String {
    let mut s = String::from("```mermaid\nflowchart LR\n");
    let mut node = who(&p.principal);
    s.push_str(&format!("  n0[\"{}\"]\n", label(&node)));
    for (i, st) in p.steps.iter().enumerate() {
        node = match st.method.as_str() {
            "iam-013" => format!("{} in {}", who(&st.principal), who(&st.resource)),
            _ if st.effect.starts_with("acts as")
                || st.effect.starts_with("becomes")
                || st.effect.starts_with("runs as")
                || st.effect.starts_with("makes `") =>
            {
                who(&st.resource)
            }
            _ => format!("{} (policy written)", node),
        };
        if i + 1 == p.steps.len() {
            node = if p.target == "admin" {
                format!("{node}: admin")
            } else {
                who(&p.target)
            };
        }
        let mut edge = format!("{} ({})", st.action, st.method);
        if st.if_resource_exists {
            edge.push_str(", if the resource exists");
        }
        s.push_str(&format!(
            "  n{i} -->|\"{}\"| n{}[\"{}\"]\n",
            label(&edge),
            i + 1,
            label(&node)
        ));
    }
    s.push_str("```\n");
    s
}

/// The whole report as Markdown: each path as a mermaid graph, then its
/// hops with the deciding statements.
pub fn markdown(r: &Report) -> String {
    let mut s = String::from("### Privilege escalation\n\n");
    if r.paths.is_empty() {
        s.push_str(&format!(
            "No escalation paths among {} principal(s).\n",
            r.principals
        ));
        return s;
    }
    s.push_str(&format!(
        "{} path(s) among {} principal(s).\n",
        r.paths.len(),
        r.principals
    ));
    for p in &r.paths {
        s.push_str(&format!(
            "\n#### {} can become {}{}\n\n",
            who(&p.principal),
            goal(p),
            if p.if_resource_exists {
                " (if such a resource exists)"
            } else {
                ""
            }
        ));
        s.push_str(&mermaid(p));
        s.push('\n');
        for (i, st) in p.steps.iter().enumerate() {
            s.push_str(&format!(
                "{}. {} `{}` on `{}` ({}): {}; allowed by {}",
                i + 1,
                who(&st.principal),
                st.action,
                st.resource,
                st.method,
                st.effect,
                deciding(st)
            ));
            if let Some(session) = &st.session {
                s.push_str(&format!("; with {session}"));
            }
            s.push('\n');
        }
    }
    s
}
