//! One account read through an [`IamBackend`]: `GetAccountAuthorizationDetails`
//! once, then only what that call cannot give: the tags of the customer-managed
//! policies that can be ours (`ListPolicyTags`), and the documents of the
//! AWS-managed policies the plan needs (temporary copies, access diffs).
//!
//! Assuming the deployer role is the caller's business: it builds the backend
//! for the account, then reads through it.

use std::collections::{BTreeSet, HashMap};

use futures::stream::{self, StreamExt, TryStreamExt};
use iamctl_config::{DesiredAccount, PolicyBody, Tags, TAG_TEAM};
use serde_json::Value;

use crate::backend::{BackendResult, IamBackend};
use crate::plan::{owned, ActualAccount};

/// Requests in flight at once while reading one account.
const READ_CONCURRENCY: usize = 8;

/// Which customer-managed policies' tags are read (`ListPolicyTags`, one call
/// each: `GetAccountAuthorizationDetails` has none).
#[derive(Debug, Clone)]
pub enum TagScope {
    /// Every customer-managed policy (import, cleanup, `--prune-teams`).
    All,
    /// Only those that can be these teams': named `<team>-...` (as iamctl
    /// names every policy it makes), named by the configuration (`existing`
    /// keys, adopted names), or under the account's IAM path of ours
    /// (`/iamctl/`). Another team's policies are left alone anyway (see
    /// `PlanOptions::teams`).
    Teams(BTreeSet<String>),
}

impl TagScope {
    fn wants(&self, name: &str, path: &str, desired: &DesiredAccount) -> bool {
        match self {
            TagScope::All => true,
            TagScope::Teams(teams) => {
                let ours = if desired.iam_path == "/" {
                    "/iamctl/"
                } else {
                    desired.iam_path.as_str()
                };
                path.starts_with(ours)
                    || desired.policies.contains_key(name)
                    || teams.iter().any(|t| {
                        name.len() > t.len() + 1
                            && name.starts_with(t.as_str())
                            && name.as_bytes()[t.len()] == b'-'
                    })
            }
        }
    }

    /// With the teams whose users or roles the account holds (their tags
    /// are in the snapshot) added: their policies are read too, to report
    /// them when their files are gone.
    fn widened(&self, snapshot: &Value) -> TagScope {
        let TagScope::Teams(teams) = self else {
            return TagScope::All;
        };
        let mut teams = teams.clone();
        for list in ["UserDetailList", "RoleDetailList"] {
            for e in snapshot[list].as_array().into_iter().flatten() {
                let tags = tags_in(&e["Tags"]);
                if owned(&tags) {
                    if let Some(team) = tags.get(TAG_TEAM) {
                        teams.insert(team.clone());
                    }
                }
            }
        }
        TagScope::Teams(teams)
    }
}

/// `[{"Key": k, "Value": v}]` as a map.
fn tags_in(v: &Value) -> Tags {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or("").to_owned(),
                t["Value"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// One account, read.
#[derive(Debug, Clone)]
pub struct AccountRead {
    /// `GetAccountAuthorizationDetails`, plus the AWS-managed documents read
    /// (sorted by ARN, so the same account gives the same snapshot).
    pub snapshot: Value,
    /// The typed state the planner works on.
    pub actual: ActualAccount,
    /// The AWS-managed documents read, by ARN.
    pub sources: HashMap<String, Value>,
    /// Pages of `GetAccountAuthorizationDetails`.
    pub pages: usize,
    /// API calls made through the backend.
    pub calls: usize,
}

/// Reads the account `backend` acts on, for `desired`; with `team`, another
/// team's users, roles and policies are left out.
pub async fn read_account(
    backend: &dyn IamBackend,
    desired: &DesiredAccount,
    team: Option<&str>,
    scope: &TagScope,
) -> BackendResult<AccountRead> {
    let details = backend.authorization_details().await?;
    let mut snapshot = details.document;
    let mut calls = details.pages;
    let scope = scope.widened(&snapshot);
    let arns: Vec<String> = snapshot["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            scope.wants(
                p["PolicyName"].as_str().unwrap_or(""),
                p["Path"].as_str().unwrap_or("/"),
                desired,
            )
        })
        .filter_map(|p| p["Arn"].as_str().map(str::to_owned))
        .collect();
    calls += arns.len();
    let policy_tags: HashMap<String, Tags> = stream::iter(arns)
        .map(|arn| async move {
            let tags = backend.policy_tags(&arn).await?;
            BackendResult::Ok((arn, tags))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    let missing = aws_managed_needed(&snapshot, desired);
    calls += missing.len() * 2;
    let mut fetched: Vec<(String, Option<Value>)> = stream::iter(missing)
        .map(|arn| async move {
            let doc = backend.policy_document(&arn).await.ok();
            (arn, doc)
        })
        .buffer_unordered(READ_CONCURRENCY)
        .collect()
        .await;
    // In completion order: sorted, so the snapshot (and its fingerprint) is
    // the same for the same account.
    fetched.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sources = HashMap::new();
    if let Some(list) = snapshot["Policies"].as_array_mut() {
        for (arn, doc) in fetched {
            if let Some(doc) = doc {
                list.push(serde_json::json!({
                    "PolicyName": arn.rsplit('/').next().unwrap_or(&arn),
                    "Arn": arn,
                    "PolicyVersionList": [{"Document": doc.clone(), "VersionId": "v1", "IsDefaultVersion": true}],
                }));
                sources.insert(arn, doc);
            }
        }
    }
    let mut actual = ActualAccount::from_snapshot(&snapshot, &policy_tags);
    if let Some(team) = team {
        // Another team's resources are not ours to touch.
        let other = |t: &Tags| t.get(TAG_TEAM).is_some_and(|v| v.as_str() != team);
        actual.users.retain(|_, u| !other(&u.tags));
        actual.roles.retain(|_, r| !other(&r.tags));
        actual.policies.retain(|_, p| !other(&p.tags));
    }
    Ok(AccountRead {
        snapshot,
        actual,
        sources,
        pages: details.pages,
        calls,
    })
}

/// The AWS-managed policies the plan needs whose documents the snapshot
/// lacks: sources of temporary copies, and what principals hold or are to
/// hold (for the access diff).
fn aws_managed_needed(snapshot: &Value, desired: &DesiredAccount) -> Vec<String> {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for p in desired.policies.values() {
        if let PolicyBody::ExpiringCopyOf { source_arn, .. } = &p.body {
            wanted.insert(source_arn.clone());
        }
    }
    for list in ["UserDetailList", "RoleDetailList", "GroupDetailList"] {
        for e in snapshot[list].as_array().into_iter().flatten() {
            for a in e["AttachedManagedPolicies"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(arn) = a["PolicyArn"].as_str() {
                    wanted.insert(arn.to_owned());
                }
            }
        }
    }
    for set in desired
        .users
        .values()
        .map(|u| &u.attached)
        .chain(desired.roles.values().map(|r| &r.attached))
        .chain(desired.groups.values().map(|g| &g.attached))
    {
        wanted.extend(set.iter().cloned());
    }
    let have: BTreeSet<&str> = snapshot["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["Arn"].as_str())
        .collect();
    wanted
        .into_iter()
        .filter(|a| !have.contains(a.as_str()) && a.contains(":aws:policy/"))
        .collect()
}
