//! `plan --check`: the policy checks (`iamctl_policy::check`) run over every
//! document a plan would write: `no-new-access` on customer-managed and
//! inline policies (against what the account holds now, a new one against
//! none), `no-public-access` on role trust policies.

use iamctl_policy::check::{self, CheckError, CheckType, Doc, Report};
use serde_json::Value;

use crate::plan::{Change, Plan};
use crate::render::pretty;

/// A check `plan --check` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanCheck {
    NoNewAccess,
    NoPublicAccess,
}

/// One document a plan would write, checked: where, which check, the report.
#[derive(Debug, Clone)]
pub struct Checked {
    pub what: String,
    pub check: &'static str,
    pub report: Report,
}

/// An empty identity policy: what a new policy is compared with.
const EMPTY: &str = r#"{"Version": "2012-10-17", "Statement": []}"#;

/// Runs `checks` on every policy document the plans would write.
pub fn check_plans(plans: &[Plan], checks: &[PlanCheck]) -> Result<Vec<Checked>, CheckError> {
    let parse = |what: &str, v: &Value| Doc::parse(what, &pretty(v));
    let mut out = Vec::new();
    for p in plans {
        for c in &p.changes {
            let Some((old, new)) = c.documents() else {
                continue;
            };
            let (what, trust) = match c {
                Change::CreatePolicy { name, .. }
                | Change::UpdatePolicy { name, .. }
                | Change::MovePolicy { name, .. } => (format!("policy {name}"), false),
                Change::PutInline {
                    kind, name, policy, ..
                } => (
                    format!("inline policy {policy} of {} {name}", kind.as_str()),
                    false,
                ),
                Change::CreateRole { name, .. } | Change::UpdateTrust { name, .. } => {
                    (format!("trust policy of role {name}"), true)
                }
                _ => continue,
            };
            let what = format!("{} ({}): {what}", p.environment, p.account_id);
            let new_doc = parse(&what, new)?;
            if checks.contains(&PlanCheck::NoNewAccess) && !trust {
                let base = match old {
                    Some(v) => parse(&format!("{what} (now)"), v)?,
                    None => Doc::parse(&format!("{what} (none now)"), EMPTY)?,
                };
                out.push(Checked {
                    what: what.clone(),
                    check: "no-new-access",
                    report: check::no_new_access(&base, &new_doc, CheckType::Identity),
                });
            }
            if checks.contains(&PlanCheck::NoPublicAccess) && trust {
                out.push(Checked {
                    what,
                    check: "no-public-access",
                    report: check::no_public_access(
                        &new_doc,
                        "AWS::IAM::AssumeRolePolicyDocument",
                    )?,
                });
            }
        }
    }
    Ok(out)
}

/// The checks' results for people: one line per document, then each reason
/// and the request that proves it.
pub fn checks_text(checked: &[Checked]) -> String {
    let mut out = String::new();
    if checked.is_empty() {
        out.push_str("checks: no policy document to check\n");
    }
    for c in checked {
        out.push_str(&format!(
            "check {}: {}: {}\n",
            c.check, c.what, c.report.verdict
        ));
        for r in &c.report.reasons {
            match &r.statement {
                Some(st) => out.push_str(&format!(
                    "  {st} (line {}, column {}): {}\n",
                    st.line, st.column, r.message
                )),
                None => out.push_str(&format!("  {}\n", r.message)),
            }
            if let Some(w) = &r.request {
                out.push_str(&format!("    request: {} on {}\n", w.action, w.resource));
            }
        }
        if let Some(n) = c.report.actions_with_new_access {
            if n > c.report.reasons.len() {
                out.push_str(&format!(
                    "  ... and {} more action(s) with new access\n",
                    n - c.report.reasons.len()
                ));
            }
        }
    }
    out
}
