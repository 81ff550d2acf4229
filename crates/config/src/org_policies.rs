//! SCPs and RCPs as code: `settings.organization` and `org-policies/<team>.yaml`.
//!
//! Sources for the rules `validate` checks (see `validate/org.rs`):
//! - "Quotas and service limits for AWS Organizations",
//!   <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html>:
//!   "Maximum size of a policy document: Service control policies: 5,120
//!   characters; Resource control policies: 5,120 characters"; "Number of
//!   policies that you can attach to an entity: ... Service control policy:
//!   5 ... Resource control policy: 5"; policy name 1–128 characters.
//! - "Service control policies (SCPs)",
//!   <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>:
//!   "SCPs don't affect users or roles in the management account. They affect
//!   only the member accounts in your organization."
//! - "Resource control policies (RCPs)",
//!   <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html>:
//!   an RCP's statements name `"Principal": "*"`; iamctl writes it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::desired::statement_json;
use crate::diag::{Span, Spanned};
use crate::model::{policy_name, Config, Statement, Team};

/// The most characters of an SCP or RCP document.
pub const ORG_POLICY_CHARS: usize = 5_120;
/// The most SCPs (and, apart, RCPs) attached to one root, OU or account.
pub const MAX_POLICIES_PER_TARGET: usize = 5;
/// The most characters of an organization policy's name.
pub const ORG_POLICY_NAME_CHARS: usize = 128;
/// The most characters of an organization policy's description.
pub const ORG_POLICY_DESCRIPTION_CHARS: usize = 512;

/// `settings.organization`.
#[derive(Debug, Clone)]
pub struct OrganizationSettings {
    pub span: Span,
    /// An environment name from `aws-accounts`: the management account, or a
    /// delegated administrator for policies.
    pub account: Option<Spanned<String>>,
}

/// A key of `org-policies/<team>.yaml`.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    pub key: Spanned<String>,
    /// `scp` or `rcp`, as written.
    pub kind: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub custom_statements: Vec<Statement>,
    /// `root`, `ou:/path/from/root`, or `account:<environment>`.
    pub targets: Vec<Spanned<String>>,
}

/// Which kind of organization policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgPolicyKind {
    /// `SERVICE_CONTROL_POLICY`.
    ServiceControlPolicy,
    /// `RESOURCE_CONTROL_POLICY`.
    ResourceControlPolicy,
}

impl OrgPolicy {
    pub fn kind(&self) -> Option<OrgPolicyKind> {
        match self.kind.as_ref().map(|k| k.value.as_str()) {
            Some("scp") => Some(OrgPolicyKind::ServiceControlPolicy),
            Some("rcp") => Some(OrgPolicyKind::ResourceControlPolicy),
            _ => None,
        }
    }

    /// The policy's name in AWS Organizations: `<team>-<key>`, as for IAM.
    pub fn org_name(&self, team: &str) -> String {
        policy_name(team, &self.key.value)
    }

    /// The document: the statements as IAM JSON; an RCP's each with
    /// `"Principal": "*"`.
    pub fn document(&self) -> Value {
        let rcp = self.kind() == Some(OrgPolicyKind::ResourceControlPolicy);
        let statements: Vec<Value> = self
            .custom_statements
            .iter()
            .map(|s| {
                let mut v = statement_json(s);
                if rcp {
                    if let Some(m) = v.as_object_mut() {
                        m.insert("Principal".into(), json!("*"));
                    }
                }
                v
            })
            .collect();
        json!({"Version": "2012-10-17", "Statement": statements})
    }
}

/// Where a policy is attached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum Target {
    Root,
    /// The OU names from the root down.
    Ou(Vec<String>),
    /// An environment name from `aws-accounts`.
    Account(String),
}

impl Target {
    /// `root`, `ou:/a/b` or `account:name`; the reason otherwise.
    pub fn parse(s: &str) -> Result<Target, String> {
        if s == "root" {
            return Ok(Target::Root);
        }
        if let Some(path) = s.strip_prefix("ou:") {
            let Some(rest) = path.strip_prefix('/') else {
                return Err("an OU path starts at the root: `ou:/workloads/prod`".into());
            };
            let parts: Vec<String> = rest
                .trim_end_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect();
            if parts
                .iter()
                .any(|p| p.is_empty() || p.chars().count() > 128)
            {
                return Err("each OU name in the path is 1 to 128 characters".into());
            }
            return Ok(Target::Ou(parts));
        }
        if let Some(name) = s.strip_prefix("account:") {
            if name.is_empty() {
                return Err("`account:` names an environment of `aws-accounts`".into());
            }
            return Ok(Target::Account(name.to_owned()));
        }
        Err("a target is `root`, `ou:/path/from/root` or `account:<environment>`".into())
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Root => f.write_str("root"),
            Target::Ou(p) => write!(f, "ou:/{}", p.join("/")),
            Target::Account(a) => write!(f, "account:{a}"),
        }
    }
}

impl Config {
    /// Whether any team's files declare organization policies.
    pub fn has_org_policies(&self) -> bool {
        self.teams.values().any(|t| !t.org_policies.is_empty())
    }

    /// The account id of an environment named by any team.
    pub fn account_of_environment(&self, env: &str) -> Option<&str> {
        self.teams
            .values()
            .find_map(|t| t.accounts.get(env))
            .map(|e| e.account_id.value.as_str())
    }
}

/// The organization policies of every team by target, to count what each
/// target would carry: `(kind, target) → [(team, key)]`.
pub fn by_target(config: &Config) -> BTreeMap<(OrgPolicyKind, Target), Vec<(&Team, &OrgPolicy)>> {
    let mut out: BTreeMap<(OrgPolicyKind, Target), Vec<(&Team, &OrgPolicy)>> = BTreeMap::new();
    for t in config.teams.values() {
        for p in t.org_policies.values() {
            let Some(kind) = p.kind() else {
                continue;
            };
            for target in &p.targets {
                if let Ok(target) = Target::parse(&target.value) {
                    out.entry((kind, target)).or_default().push((t, p));
                }
            }
        }
    }
    out
}
