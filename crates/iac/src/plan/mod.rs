//! Plans: what must change in an account so that it holds the desired state.
//!
//! Pure: the account's state comes in as the JSON of
//! `GetAccountAuthorizationDetails` (as `iamctl account snapshot` writes it)
//! plus the tags of its customer-managed policies, which that call does not
//! return. Nothing here talks to AWS.
//!
//! Ownership: a user or role belongs to IaC when it carries
//! `managed-by=iamctl` and an `iamctl:team` tag; a customer-managed policy
//! when tagged so, or under the IAM path of ours (`settings.iam_path`,
//! default `/iamctl/`: `<iam_path><team>/`); a group (groups carry no tags)
//! only by that path. Only those are updated or deleted; an untagged
//! resource with a desired name is a conflict unless `adopt` is set. Users and
//! roles declared `existing` are never created, tagged or deleted: iamctl
//! only adds the attachments and inline policies the configuration grants
//! them, and removes attachments of its own policies.
//!
//! [`plan`] runs named steps (see `steps.rs`): teams, paths, policies, then
//! per principal its own settings, grants and memberships, then cleanup;
//! conflicts and warnings are typed ([`Conflict`], [`Warning`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_config::{DesiredAccount, TAG_EXPIRES};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod actual;
mod change;
mod file;
mod report;
mod steps;
#[cfg(test)]
mod tests;

use actual::fnv;
pub use actual::{
    attachment_tag, group_attachment_tag, member_tag, owned, recorded, recorded_group_attachments,
    recorded_memberships, ActualAccount, ActualPolicy, ActualPrincipal, MAX_GROUP_RECORDS,
    STATE_KIND, STATE_USER, TAG_ATTACHED, TAG_GROUP_ATTACHED, TAG_MEMBER, TAG_STATE,
};
pub use change::Change;
#[cfg(test)]
pub(crate) use file::sha256;
pub use file::{config_digest, first_difference, PlanFile, PLAN_FORMAT_VERSION};
pub use report::{Conflict, Warning};

/// User, role or group: the workspace's one principal kind.
pub use iamctl_policy::account::EntityKind as Kind;

/// What one account needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub environment: String,
    pub account_id: String,
    /// Of the state the plan was made from.
    pub fingerprint: String,
    pub changes: Vec<Change>,
    /// Who gains or loses what.
    #[serde(default)]
    pub access: Vec<AccessChange>,
    /// Things the plan leaves alone and why.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// Things that stop what depends on them (e.g. a resource of a desired
    /// name that is not iamctl's, without `--adopt`).
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    /// Changes that wait for a conflict to be resolved; `apply` leaves them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<Change>,
    /// Principals the changes let become administrator that could not
    /// before, each with its path (`user alice can become admin: ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<String>,
}

/// What one principal gains, loses or keeps on other terms, over every
/// action AWS documents, as the evaluation engine decides it before and
/// after the plan. One entry per principal, change and terms (until, the
/// condition keys the grant depends on).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccessChange {
    /// `user alice`, `role deployer`.
    pub principal: String,
    /// `gains`, `loses`, or `keeps` (allowed before and after, on other
    /// terms: now until an instant, or now depending on conditions).
    pub change: String,
    /// For temporary access: when AWS stops allowing it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub until: Option<String>,
    /// Condition keys the grant depends on (beyond the expiry): allowed only
    /// when the request carries them with the right values.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub conditions: Vec<String>,
    /// Service prefix → access level (AWS's words) → action names.
    pub actions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// When the principal holds few actions: each one's `Resource` patterns.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub resources: BTreeMap<String, Vec<String>>,
    /// The risky actions among them: privilege escalation, `iam:PassRole`,
    /// credential and policy writes.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub risky: Vec<RiskyAction>,
}

/// An action that lets a principal raise its privileges or reach others'.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RiskyAction {
    pub action: String,
    pub why: String,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Options of [`plan`].
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Take over untagged resources whose names the configuration wants.
    pub adopt: bool,
    /// The teams that have files in the configuration directory. Resources
    /// of another team are left alone and reported (its files may simply
    /// not be in this directory), unless `prune_teams`. `None`: every team's
    /// resources are the configuration's.
    pub teams: Option<BTreeSet<String>>,
    /// Remove what teams without files own.
    pub prune_teams: bool,
}

/// The changes that make `actual` hold `desired`. `sources` holds the
/// default documents of managed policies that temporary grants copy and the
/// snapshot lacks (AWS-managed policies attached to nothing).
pub fn plan(
    desired: &DesiredAccount,
    actual: &ActualAccount,
    sources: &HashMap<String, Value>,
    opts: &PlanOptions,
) -> Plan {
    let mut report = steps::Report::default();
    let actual = steps::teams(actual, &desired.iam_path, opts, &mut report);
    let desired = steps::paths(desired, &actual);
    let x = steps::Inputs {
        desired: &desired,
        actual: &actual,
        sources,
        opts,
    };
    let policies = steps::policies(&x, &mut report);
    for w in steps::wants(&desired) {
        let have = actual.principals(w.kind()).get(w.name());
        if let Some(h) = steps::principal(&x, &w, have, &mut report) {
            steps::grants(&x, &policies, &w, h, &mut report);
            steps::memberships(&x, &w, h, &mut report);
        }
    }
    steps::cleanup(&x, &policies, &mut report);
    steps::state_records(&x, &mut report);
    report.into_plan(&desired, &actual)
}

/// The tag on roles iamctl owns holding a digest of their description and
/// maximum session duration, which GetAccountAuthorizationDetails does not
/// return: a change in the configuration shows against it.
pub const TAG_ROLE_SETTINGS: &str = "iamctl:role-settings";

/// The digest [`TAG_ROLE_SETTINGS`] holds.
pub fn role_settings(description: Option<&str>, max_session_duration: Option<u32>) -> String {
    fnv(&format!(
        "{}\u{0}{}",
        description.unwrap_or(""),
        max_session_duration.map_or_else(String::new, |d| d.to_string())
    ))
}

/// The policies of an account whose temporary grant has expired at `now`:
/// tagged IaC's with `iamctl:expires` at or before it, whether or not the
/// configuration still mentions them.
pub fn expired(actual: &ActualAccount, now: Timestamp) -> Vec<&ActualPolicy> {
    actual
        .policies
        .values()
        .filter(|p| owned(&p.tags))
        .filter(|p| {
            p.tags
                .get(TAG_EXPIRES)
                .and_then(|t| t.parse::<Timestamp>().ok())
                .is_some_and(|t| t <= now)
        })
        .collect()
}

/// The cleanup of expired grants: detach each expired policy from whoever
/// has it, then delete it.
pub fn cleanup_plan(
    environment: &str,
    account_id: &str,
    actual: &ActualAccount,
    now: Timestamp,
) -> Plan {
    let mut changes = Vec::new();
    for gone in expired(actual, now) {
        for kind in [Kind::User, Kind::Role, Kind::Group] {
            for (name, h) in actual.principals(kind) {
                if h.attached.contains(&gone.arn) {
                    changes.push(Change::Detach {
                        kind,
                        name: name.clone(),
                        arn: gone.arn.clone(),
                    });
                }
            }
        }
        changes.push(Change::DeletePolicy {
            name: gone.name.clone(),
            arn: gone.arn.clone(),
        });
    }
    changes.sort_by_key(Change::phase);
    Plan {
        environment: environment.to_owned(),
        account_id: account_id.to_owned(),
        fingerprint: actual.fingerprint.clone(),
        changes,
        access: Vec::new(),
        warnings: Vec::new(),
        conflicts: Vec::new(),
        blocked: Vec::new(),
        escalations: Vec::new(),
    }
}
