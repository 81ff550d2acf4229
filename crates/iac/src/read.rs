//! One account read through an [`IamBackend`]: `GetAccountAuthorizationDetails`
//! once, then only what that call cannot give: the tags of the customer-managed
//! policies that can be ours (`ListPolicyTags`), and the documents of the
//! AWS-managed policies the plan needs (temporary copies, access diffs).
//!
//! Assuming the deployer role is the caller's business: it builds the backend
//! for the account, then reads through it.

use std::collections::{BTreeSet, HashMap};

use futures::stream::{self, StreamExt, TryStreamExt};
use iamctl_config::{path_team, DesiredAccount, PolicyBody, Tags, TAG_TEAM};
use iamctl_policy::snapshot::{Document, ManagedPolicy, PolicyVersion, Principal, Snapshot, Tag};
use serde_json::Value;

use crate::backend::{BackendResult, ErrorKind, IamBackend};
use crate::plan::{owned, ActualAccount};

/// Requests in flight at once while reading one account.
const READ_CONCURRENCY: usize = 8;

/// Which customer-managed policies' tags are read (`ListPolicyTags`, one call
/// each: `GetAccountAuthorizationDetails` has none).
#[derive(Debug, Clone)]
pub enum TagScope {
    /// Every customer-managed policy (import, cleanup, `--prune-teams`).
    All,
    /// Only those that can be these teams' and are not known to be by their
    /// path: named `<team>-...` (as iamctl names every policy it makes, and
    /// an older iamctl made them at `/`) or named by the configuration
    /// (`existing` keys, adopted names). A policy under the account's IAM
    /// path of ours (`/iamctl/<team>/`) is its team's by that path and needs
    /// no tag read. Another team's policies are left alone anyway (see
    /// `PlanOptions::teams`).
    Teams(BTreeSet<String>),
}

impl TagScope {
    fn wants(&self, name: &str, path: &str, desired: &DesiredAccount) -> bool {
        match self {
            TagScope::All => true,
            TagScope::Teams(teams) => {
                let by_path = desired.iam_path != "/" && path.starts_with(&desired.iam_path);
                !by_path
                    && (desired.policies.contains_key(name)
                        || teams.iter().any(|t| {
                            name.len() > t.len() + 1
                                && name.starts_with(t.as_str())
                                && name.as_bytes()[t.len()] == b'-'
                        }))
            }
        }
    }

    /// With the teams whose users or roles the account holds (their tags
    /// are in the snapshot) added: their policies are read too, to report
    /// them when their files are gone.
    fn widened(&self, snapshot: &Snapshot) -> TagScope {
        let TagScope::Teams(teams) = self else {
            return TagScope::All;
        };
        let mut teams = teams.clone();
        let users = snapshot.user_detail_list.iter().map(|u| &u.tags);
        let roles = snapshot.role_detail_list.iter().map(|r| &r.tags);
        {
            for e in users.chain(roles) {
                let tags = tags_in(e);
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
fn tags_in(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// One account, read.
#[derive(Debug, Clone)]
pub struct AccountRead {
    /// `GetAccountAuthorizationDetails`, plus the AWS-managed documents read
    /// (sorted by ARN, so the same account gives the same snapshot).
    pub snapshot: Snapshot,
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
    let arns: Vec<String> = snapshot
        .policies
        .iter()
        .filter(|p| {
            let path = if p.path.is_empty() { "/" } else { &p.path };
            scope.wants(&p.policy_name, path, desired)
        })
        .filter(|p| !p.arn.is_empty())
        .map(|p| p.arn.clone())
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
            // A policy that does not exist (or that the deployer may not
            // read) is the planner's to report; any other failure fails
            // the read rather than pass for a missing policy.
            match backend.policy_document(&arn).await {
                Ok(doc) => Ok((arn, Some(doc))),
                Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::AccessDenied) => {
                    Ok((arn, None))
                }
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    // In completion order: sorted, so the snapshot (and its fingerprint) is
    // the same for the same account.
    fetched.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sources = HashMap::new();
    {
        let list = &mut snapshot.policies;
        for (arn, doc) in fetched {
            if let Some(doc) = doc {
                list.push(ManagedPolicy {
                    policy_name: arn.rsplit('/').next().unwrap_or(&arn).to_owned(),
                    arn: arn.clone(),
                    policy_version_list: vec![PolicyVersion {
                        document: Some(Document::new(doc.clone())),
                        version_id: "v1".to_owned(),
                        is_default_version: true,
                        create_date: None,
                    }],
                    ..ManagedPolicy::default()
                });
                sources.insert(arn, doc);
            }
        }
    }
    let mut actual = ActualAccount::from_snapshot(&snapshot, &policy_tags);
    if let Some(team) = team {
        // Another team's resources are not ours to touch: by their team
        // tag, else (policies and groups) by their path under ours.
        let iam_path = desired.iam_path.as_str();
        let other = |t: &Tags, path: Option<&str>| match t.get(TAG_TEAM) {
            Some(v) => v.as_str() != team,
            None => path
                .and_then(|p| path_team(iam_path, p))
                .is_some_and(|v| v != team),
        };
        actual.users.retain(|_, u| !other(&u.tags, None));
        actual.roles.retain(|_, r| !other(&r.tags, None));
        actual
            .policies
            .retain(|_, p| !other(&p.tags, Some(&p.path)));
        actual.groups.retain(|_, g| !other(&g.tags, Some(&g.path)));
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
fn aws_managed_needed(snapshot: &Snapshot, desired: &DesiredAccount) -> Vec<String> {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for p in desired.policies.values() {
        if let PolicyBody::ExpiringCopyOf { source_arn, .. } = &p.body {
            wanted.insert(source_arn.clone());
        }
    }
    let users = snapshot
        .user_detail_list
        .iter()
        .map(|u| u as &dyn Principal);
    let roles = snapshot
        .role_detail_list
        .iter()
        .map(|r| r as &dyn Principal);
    let groups = snapshot
        .group_detail_list
        .iter()
        .map(|g| g as &dyn Principal);
    for e in users.chain(roles).chain(groups) {
        for a in e.attached() {
            wanted.insert(a.policy_arn.clone());
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
    let have: BTreeSet<&str> = snapshot.policies.iter().map(|p| p.arn.as_str()).collect();
    wanted
        .into_iter()
        .filter(|a| !have.contains(a.as_str()) && a.contains(":aws:policy/"))
        .collect()
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use iamctl_config::{check, desired_state, Tags};
    use serde_json::json;

    use super::*;
    use crate::backend::NewPolicy;
    use crate::memory::{Fault, FaultSchedule, MemoryBackend};

    const ACCOUNT: &str = "111111111111";
    const RO: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    /// Team `t` grants ReadOnlyAccess and a policy of its own to user `bo`.
    fn desired() -> DesiredAccount {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rel, text) in [
            ("aws-accounts/t.yaml", "aws-accounts:\n  dev: \"111111111111\"\n"),
            ("aws-policies/t.yaml", "aws-policies:\n  ro:\n    managed_policies: [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n  data:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n"),
            ("permanent-access/t.yaml", "permanent-access:\n  - users: [bo]\n    environments: [dev]\n    grants: [ro, data]\n"),
            ("users/t.yaml", "users:\n  bo: {}\n"),
        ] {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let now = "2026-03-21T11:36:28Z".parse().expect("timestamp");
        let (config, diags) = check(dir.path(), now);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        desired_state(&config, "dev", now).expect("dev")
    }

    fn doc() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]})
    }

    fn teams() -> TagScope {
        TagScope::Teams(["t".to_owned()].into())
    }

    #[test]
    fn reads_gaad_once_and_the_aws_managed_documents_the_plan_needs() {
        let b = MemoryBackend::new(ACCOUNT).with_aws_policies([("ReadOnlyAccess", doc())]);
        let read = block_on(read_account(&b, &desired(), None, &teams())).expect("read");
        assert_eq!(read.sources.get(RO), Some(&doc()));
        let calls = b.calls();
        assert_eq!(calls.get("GetAccountAuthorizationDetails"), Some(&1));
        assert_eq!(calls.get("GetPolicy"), Some(&1), "{calls:?}");
        assert_eq!(read.calls, b.total_calls(), "{calls:?}");
    }

    /// A throttled (or otherwise failed) read of a document the plan needs
    /// fails the read: taken for a missing policy, it would block the grant
    /// as a conflict.
    #[test]
    fn a_failed_document_read_fails_the_read() {
        for fault in [Fault::Throttled, Fault::LostReply] {
            let b = MemoryBackend::new(ACCOUNT).with_aws_policies([("ReadOnlyAccess", doc())]);
            b.set_faults(FaultSchedule::none().on("GetPolicy", 0, fault));
            let err =
                block_on(read_account(&b, &desired(), None, &teams())).expect_err("the read fails");
            assert!(err.kind.transient(), "{fault:?}: {err:?}");
        }
    }

    /// A policy that does not exist is the planner's to report.
    #[test]
    fn a_missing_aws_managed_policy_is_left_to_the_planner() {
        let b = MemoryBackend::new(ACCOUNT);
        let read = block_on(read_account(&b, &desired(), None, &teams())).expect("read");
        assert!(read.sources.is_empty());
    }

    /// Policies under the IAM path of ours are their team's by that path: no
    /// ListPolicyTags; one of the team's name at `/` (an older iamctl's) is
    /// read, and another's policy is not.
    #[test]
    fn tags_are_read_only_for_policies_not_known_by_their_path() {
        let b = MemoryBackend::new(ACCOUNT).with_aws_policies([("ReadOnlyAccess", doc())]);
        let d = desired();
        let text = doc().to_string();
        let tags = Tags::new();
        for (name, path) in [
            ("t-data", "/iamctl/t/"),
            ("t-old", "/"),
            ("other-thing", "/"),
        ] {
            b.edit(|a| {
                a.create_policy(&NewPolicy {
                    name,
                    path,
                    document: &text,
                    description: None,
                    tags: &tags,
                })
            })
            .expect("seed");
        }
        block_on(read_account(&b, &d, None, &teams())).expect("read");
        assert_eq!(b.calls().get("ListPolicyTags"), Some(&1), "{:?}", b.calls());
        b.reset_calls();
        block_on(read_account(&b, &d, None, &TagScope::All)).expect("read");
        assert_eq!(b.calls().get("ListPolicyTags"), Some(&3), "{:?}", b.calls());
    }

    /// With `--team`, another team's policies and groups are left out, known
    /// by their path when their tags were not read.
    #[test]
    fn another_teams_path_is_left_out_with_team() {
        let b = MemoryBackend::new(ACCOUNT);
        let text = doc().to_string();
        let tags = Tags::new();
        for (name, path) in [("t-data", "/iamctl/t/"), ("data-lake", "/iamctl/data/")] {
            b.edit(|a| {
                a.create_policy(&NewPolicy {
                    name,
                    path,
                    document: &text,
                    description: None,
                    tags: &tags,
                })
            })
            .expect("seed");
        }
        for (group, path) in [("t-ops", "/iamctl/t/"), ("data-ops", "/iamctl/data/")] {
            block_on(b.create_group(group, path)).expect("group");
        }
        let read = block_on(read_account(&b, &desired(), Some("t"), &teams())).expect("read");
        let policies: Vec<&str> = read
            .actual
            .policies
            .values()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(policies, ["t-data"]);
        let groups: Vec<&String> = read.actual.groups.keys().collect();
        assert_eq!(groups, ["t-ops"]);
        let read = block_on(read_account(&b, &desired(), None, &teams())).expect("read");
        assert_eq!(read.actual.policies.len(), 2);
    }
}
