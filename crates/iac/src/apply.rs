//! Plans carried out through an [`IamBackend`]: phase by phase, a bounded
//! number of changes at once within a phase, a failed phase stopping the
//! later ones. Every change is safe to send again: a deletion of what is
//! already gone succeeds, and a create whose reply was lost is recognised by
//! its tags, so a rerun after a crash or a failure converges.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use iamctl_config::Tags;
use iamctl_policy::PolicyDocument;
use serde_json::Value;

use crate::backend::{
    BackendError, BackendResult, ErrorKind, IamBackend, NewPolicy, NewRole, PrincipalKind,
};
pub use crate::cancel::Cancel;
use crate::cancel::Guarded;
use crate::plan::{Change, Kind, Plan};

/// What applying did in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub environment: String,
    /// Summaries of the changes applied, sorted.
    pub done: Vec<String>,
    /// `(change, error)`, sorted.
    pub failed: Vec<(String, String)>,
    /// Changes not started: of later phases, left after a failure, or left
    /// after an interrupt.
    pub not_attempted: Vec<String>,
    /// Changes an interrupt stopped midway: the calls they made before it
    /// stand, the rest were not sent (a rerun finishes them).
    pub cut: Vec<String>,
    /// Whether the run was interrupted ([`Cancel`]).
    pub interrupted: bool,
    /// Attempts the backend's own retry layer made again.
    pub retried: u32,
}

/// How [`run_changes_with`] runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions<'a> {
    /// Changes in flight at once within a phase.
    pub concurrency: usize,
    /// Set from outside to stop: no change and no call starts after it.
    pub cancel: &'a Cancel,
    /// A wait before each change (through [`IamBackend::pause`]; zero: none).
    /// Slows an apply down for tests of interrupts (`IAMCTL_TEST_PACE_MS`).
    pub pace: Duration,
}

/// Applies one account's changes phase by phase, `concurrency` at a time
/// within a phase; a failed phase stops the later ones (a rerun converges).
/// `progress` is called once per change carried out or failed.
pub async fn run_changes(
    backend: &dyn IamBackend,
    p: &Plan,
    concurrency: usize,
    progress: &(dyn Fn() + Sync),
) -> Outcome {
    let cancel = Cancel::new();
    let opts = RunOptions {
        concurrency,
        cancel: &cancel,
        pace: Duration::ZERO,
    };
    run_changes_with(backend, p, &opts, progress).await
}

/// [`run_changes`], interruptible: once `opts.cancel` is set no change
/// starts and no call is sent ([`Guarded`]); the changes in flight end at
/// their next call, and the outcome says what was done, cut and left.
pub async fn run_changes_with(
    backend: &dyn IamBackend,
    p: &Plan,
    opts: &RunOptions<'_>,
    progress: &(dyn Fn() + Sync),
) -> Outcome {
    let cancel = opts.cancel;
    let guarded = Guarded {
        inner: backend,
        cancel,
    };
    let guarded = &guarded;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    let mut not_attempted = Vec::new();
    let mut cut = Vec::new();
    // Each phase once, in order, whatever order the changes come in.
    let phases: BTreeSet<u8> = p.changes.iter().map(Change::phase).collect();
    for phase in phases {
        let in_phase = || p.changes.iter().filter(move |c| c.phase() == phase);
        if !failed.is_empty() || cancel.is_cancelled() {
            not_attempted.extend(in_phase().map(Change::summary));
            continue;
        }
        let results: Vec<(String, Option<BackendResult<()>>)> = stream::iter(in_phase())
            .map(|c| async move {
                if !opts.pace.is_zero() {
                    guarded.pause(opts.pace).await;
                }
                if cancel.is_cancelled() {
                    return (c.summary(), None);
                }
                (c.summary(), Some(execute(guarded, c).await))
            })
            .buffer_unordered(opts.concurrency.max(1))
            .inspect(|(_, r)| {
                if r.is_some() {
                    progress();
                }
            })
            .collect()
            .await;
        for (what, r) in results {
            match r {
                None => not_attempted.push(what),
                Some(Ok(())) => done.push(what),
                Some(Err(e)) if e.kind == ErrorKind::Interrupted => cut.push(what),
                Some(Err(e)) => failed.push((what, e.to_string())),
            }
        }
    }
    done.sort();
    failed.sort();
    cut.sort();
    Outcome {
        environment: p.environment.clone(),
        done,
        failed,
        not_attempted,
        cut,
        interrupted: cancel.is_cancelled(),
        retried: backend.retried_attempts(),
    }
}

/// A deletion (or removal) of what is already gone is done.
fn gone_ok(r: BackendResult<()>) -> BackendResult<()> {
    match r {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A create answered "already exists" although the plan saw nothing of that
/// name: when the resource carries every tag the change wanted, it is this
/// apply's own creation whose answer was lost (a dropped connection, then a
/// retry), and the change is done.
fn created_by_retry(err: BackendError, have: &Tags, want: &Tags) -> BackendResult<()> {
    if want.iter().all(|(k, v)| have.get(k) == Some(v)) {
        Ok(())
    } else {
        Err(err)
    }
}

/// A create, where "already exists" is checked against the tags `have`
/// reads.
async fn created<F>(made: BackendResult<()>, want: &Tags, have: F) -> BackendResult<()>
where
    F: std::future::Future<Output = BackendResult<Tags>>,
{
    match made {
        Err(e) if e.kind == ErrorKind::AlreadyExists => created_by_retry(e, &have.await?, want),
        other => other,
    }
}

/// Carries out one change. Deletions of what is already gone succeed, and a
/// create whose first attempt succeeded unseen is recognised by its tags, so
/// a rerun after a crash converges.
pub async fn execute(b: &dyn IamBackend, c: &Change) -> BackendResult<()> {
    match c {
        Change::CreatePolicy {
            name,
            path,
            arn,
            description,
            document,
            tags,
        } => create_policy(b, name, path, arn, description.as_deref(), document, tags).await,
        Change::UpdatePolicy {
            arn,
            new,
            prune,
            reuse,
            ..
        } => match reuse {
            Some(v) => b.set_default_policy_version(arn, v).await,
            None => update_policy(b, arn, new, prune.as_deref()).await,
        },
        Change::TagPolicy { arn, tags } => b.tag_policy(arn, tags).await,
        Change::UntagPolicy { arn, keys } => gone_ok(b.untag_policy(arn, keys).await),
        Change::MovePolicy {
            name,
            old_arn,
            path,
            arn,
            description,
            document,
            tags,
        } => {
            delete_policy(b, old_arn).await?;
            create_policy(b, name, path, arn, description.as_deref(), document, tags).await
        }
        // A role's path cannot change (the plan says so).
        Change::UpdatePath { kind, name, path } => match kind {
            Kind::Role => Ok(()),
            _ => b.update_path(*kind, name, path).await,
        },
        Change::UpdateRole {
            name,
            description,
            max_session_duration,
        } => {
            b.update_role(name, description.as_deref(), *max_session_duration)
                .await
        }
        Change::DeletePolicy { arn, .. } => {
            let versions = match b.list_policy_versions(arn).await {
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                other => other?,
            };
            for v in versions.iter().filter(|v| !v.is_default_version) {
                gone_ok(b.delete_policy_version(arn, &v.version_id).await)?;
            }
            gone_ok(b.delete_policy(arn).await)
        }
        Change::CreateUser { name, path, tags } => {
            let made = b.create_user(name, path, tags).await;
            created(made, tags, b.principal_tags(PrincipalKind::User, name)).await
        }
        Change::CreateRole {
            name,
            path,
            trust,
            description,
            max_session_duration,
            tags,
        } => {
            let trust = trust.to_string();
            let made = b
                .create_role(&NewRole {
                    name,
                    path,
                    trust: &trust,
                    description: description.as_deref(),
                    max_session_duration: *max_session_duration,
                    tags,
                })
                .await;
            created(made, tags, b.principal_tags(PrincipalKind::Role, name)).await
        }
        // Groups carry no tags; plan treats an existing group of a desired
        // name as the configuration's, and so does a retried create.
        Change::CreateGroup { name, path } => match b.create_group(name, path).await {
            Err(e) if e.kind == ErrorKind::AlreadyExists => Ok(()),
            other => other,
        },
        Change::Tag { kind, name, tags } => match kind {
            Kind::Group => Ok(()),
            _ => b.tag(*kind, name, tags).await,
        },
        Change::Untag { kind, name, keys } => match kind {
            Kind::Group => Ok(()),
            _ => gone_ok(b.untag(*kind, name, keys).await),
        },
        Change::UpdateTrust { name, new, .. } => b.update_trust(name, &new.to_string()).await,
        Change::SetBoundary { kind, name, arn } => match (kind, arn) {
            (Kind::Group, _) => Ok(()),
            (_, Some(a)) => b.put_boundary(*kind, name, a).await,
            (_, None) => gone_ok(b.delete_boundary(*kind, name).await),
        },
        Change::AddMember { group, user } => b.add_member(group, user).await,
        Change::RemoveMember { group, user } => gone_ok(b.remove_member(group, user).await),
        Change::Attach { kind, name, arn } => b.attach(*kind, name, arn).await,
        Change::Detach { kind, name, arn } => gone_ok(b.detach(*kind, name, arn).await),
        Change::PutInline {
            kind,
            name,
            policy,
            document,
            ..
        } => {
            b.put_inline(*kind, name, policy, &document.to_string())
                .await
        }
        Change::DeleteInline { kind, name, policy } => {
            gone_ok(b.delete_inline(*kind, name, policy).await)
        }
        Change::DeleteUser { name } => {
            match b.remove_user_dependents(name).await {
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                other => other?,
            }
            gone_ok(b.delete_user(name).await)
        }
        Change::DeleteRole { name } => {
            let profiles = match b.instance_profiles_for_role(name).await {
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                other => other?,
            };
            for p in profiles {
                gone_ok(b.remove_from_instance_profile(name, &p).await)?;
            }
            strip_policies(b, PrincipalKind::Role, name).await?;
            gone_ok(b.delete_role(name).await)
        }
        // A group of ours the configuration dropped: members, attached and
        // inline policies, then the group.
        Change::DeleteGroup { name } => {
            let members = match b.group_members(name).await {
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                other => other?,
            };
            for u in members {
                gone_ok(b.remove_member(name, &u).await)?;
            }
            strip_policies(b, PrincipalKind::Group, name).await?;
            gone_ok(b.delete_group(name).await)
        }
    }
}

/// Detaches every managed policy of a role or group and deletes its inline
/// ones.
async fn strip_policies(b: &dyn IamBackend, kind: PrincipalKind, name: &str) -> BackendResult<()> {
    for arn in b.list_attached(kind, name).await? {
        gone_ok(b.detach(kind, name, &arn).await)?;
    }
    for p in b.list_inline(kind, name).await? {
        gone_ok(b.delete_inline(kind, name, &p).await)?;
    }
    Ok(())
}

/// CreatePolicy; "already exists" with every tag wanted is this apply's own
/// create whose reply was lost.
async fn create_policy(
    b: &dyn IamBackend,
    name: &str,
    path: &str,
    arn: &str,
    description: Option<&str>,
    document: &Value,
    tags: &Tags,
) -> BackendResult<()> {
    let document = document.to_string();
    let made = b
        .create_policy(&NewPolicy {
            name,
            path,
            document: &document,
            description,
            tags,
        })
        .await;
    created(made, tags, b.policy_tags(arn)).await
}

/// Deletes a policy whoever holds it: detached from every user, group and
/// role, its non-default versions deleted, then the policy. Gone is done.
async fn delete_policy(b: &dyn IamBackend, arn: &str) -> BackendResult<()> {
    let holders = match b.policy_holders(arn).await {
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    for (kind, name) in &holders {
        gone_ok(b.detach(*kind, name, arn).await)?;
    }
    let versions = match b.list_policy_versions(arn).await {
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    for v in versions.iter().filter(|v| !v.is_default_version) {
        gone_ok(b.delete_policy_version(arn, &v.version_id).await)?;
    }
    gone_ok(b.delete_policy(arn).await)
}

/// Attempts of CreatePolicyVersion, as the SDK's retry would make.
pub const UPDATE_ATTEMPTS: u32 = 8;

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

/// A new default version holding `new`. CreatePolicyVersion goes out one
/// attempt at a time: before each retry the policy's versions are read, and
/// one already holding `new` (the create whose reply was lost) is made the
/// default instead of pushing a duplicate that would, at five versions, cost
/// an older one.
async fn update_policy(
    b: &dyn IamBackend,
    arn: &str,
    new: &Value,
    prune: Option<&str>,
) -> BackendResult<()> {
    if let Some(v) = prune {
        gone_ok(b.delete_policy_version(arn, v).await)?;
    }
    let text = new.to_string();
    let wanted = PolicyDocument::from_value(new.clone());
    let mut attempt = 0u32;
    loop {
        let err = match b.create_policy_version(arn, &text).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind.transient() && attempt + 1 < UPDATE_ATTEMPTS => e,
            Err(e) => return Err(e),
        };
        attempt += 1;
        tracing::info!("CreatePolicyVersion of `{arn}` failed ({err}); looking for its version before retrying");
        b.pause(Duration::from_millis(100 << attempt.min(6))).await;
        let versions = match b.list_policy_versions(arn).await {
            Ok(v) => v,
            Err(e) if e.kind.transient() => continue,
            Err(e) => return Err(e),
        };
        let mut held = None;
        for v in &versions {
            let doc = match b.policy_version_document(arn, &v.version_id).await {
                Ok(d) => d,
                Err(e) if e.kind.transient() => continue,
                Err(e) => return Err(e),
            };
            if PolicyDocument::from_value(doc).same_as(&wanted) {
                held = Some(v);
                break;
            }
        }
        match held {
            Some(v) if v.is_default_version => return Ok(()),
            Some(v) => return b.set_default_policy_version(arn, &v.version_id).await,
            None if versions.len() >= MAX_VERSIONS => {
                // A concurrent writer filled the slots: free the oldest
                // non-default one, as the plan would have.
                if let Some(old) = versions
                    .iter()
                    .filter(|v| !v.is_default_version)
                    .min_by_key(|v| {
                        v.version_id
                            .trim_start_matches('v')
                            .parse::<u64>()
                            .unwrap_or(0)
                    })
                {
                    gone_ok(b.delete_policy_version(arn, &old.version_id).await)?;
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::memory::{Fault, FaultSchedule, MemoryBackend};

    const ACCOUNT: &str = "111111111111";

    fn doc(action: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    }

    /// Policy `t-data` at `/iamctl/t/` holding `s3:GetObject`; its ARN.
    fn with_policy(b: &MemoryBackend) -> String {
        let text = doc("s3:GetObject").to_string();
        let tags = Tags::new();
        b.edit(|a| {
            a.create_policy(&NewPolicy {
                name: "t-data",
                path: "/iamctl/t/",
                document: &text,
                description: None,
                tags: &tags,
            })
            .expect("seed");
            a.policy_arn("/iamctl/t/", "t-data")
        })
    }

    fn update(arn: &str, new: Value) -> Change {
        Change::UpdatePolicy {
            name: "t-data".into(),
            arn: arn.into(),
            old: doc("s3:GetObject"),
            new,
            prune: None,
            reuse: None,
        }
    }

    fn versions(b: &MemoryBackend, arn: &str) -> Vec<PolicyVersionSeen> {
        let list = block_on(b.list_policy_versions(arn)).expect("versions");
        list.into_iter()
            .map(|v| {
                let d = block_on(b.policy_version_document(arn, &v.version_id)).expect("doc");
                (v.is_default_version, d)
            })
            .collect()
    }

    type PolicyVersionSeen = (bool, Value);

    /// A CreatePolicyVersion whose reply is lost took effect: the version
    /// holding the document is found, and no duplicate is pushed (which, at
    /// five versions, would cost an older one).
    #[test]
    fn a_lost_create_policy_version_reply_pushes_no_duplicate() {
        let b = MemoryBackend::new(ACCOUNT);
        let arn = with_policy(&b);
        b.set_faults_from_now(FaultSchedule::none().on("CreatePolicyVersion", 0, Fault::LostReply));
        block_on(execute(&b, &update(&arn, doc("s3:*")))).expect("applied");
        let v = versions(&b, &arn);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v.contains(&(true, doc("s3:*"))), "{v:?}");
        assert_eq!(b.calls().get("CreatePolicyVersion"), Some(&1));
        assert!(b.paused() > Duration::ZERO, "waited before looking");
    }

    /// A throttled CreatePolicyVersion had no effect: it is sent again.
    #[test]
    fn a_throttled_create_policy_version_is_sent_again() {
        let b = MemoryBackend::new(ACCOUNT);
        let arn = with_policy(&b);
        b.set_faults_from_now(FaultSchedule::none().on("CreatePolicyVersion", 0, Fault::Throttled));
        block_on(execute(&b, &update(&arn, doc("s3:*")))).expect("applied");
        let v = versions(&b, &arn);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v.contains(&(true, doc("s3:*"))), "{v:?}");
        assert_eq!(b.calls().get("CreatePolicyVersion"), Some(&2));
    }

    /// Past [`UPDATE_ATTEMPTS`] the failure is the change's.
    #[test]
    fn create_policy_version_gives_up_after_its_attempts() {
        let b = MemoryBackend::new(ACCOUNT);
        let arn = with_policy(&b);
        let mut faults = FaultSchedule::none();
        for n in 0..UPDATE_ATTEMPTS as usize {
            faults = faults.on("CreatePolicyVersion", n, Fault::Throttled);
        }
        b.set_faults_from_now(faults);
        let err = block_on(execute(&b, &update(&arn, doc("s3:*")))).expect_err("gave up");
        assert_eq!(err.kind, ErrorKind::Throttled);
        assert_eq!(versions(&b, &arn).len(), 1);
    }

    /// A group of ours is deleted with its members, attachments and inline
    /// policies; deleting it again (a rerun) succeeds.
    #[test]
    fn delete_group_empties_it_first_and_gone_is_done() {
        let b = MemoryBackend::new(ACCOUNT);
        let arn = with_policy(&b);
        let tags = Tags::new();
        block_on(async {
            b.create_group("t-ops", "/iamctl/t/").await?;
            b.create_user("bo", "/", &tags).await?;
            b.add_member("t-ops", "bo").await?;
            b.attach(PrincipalKind::Group, "t-ops", &arn).await?;
            b.put_inline(
                PrincipalKind::Group,
                "t-ops",
                "own",
                &doc("sns:Publish").to_string(),
            )
            .await
        })
        .expect("seed");
        let delete = Change::DeleteGroup {
            name: "t-ops".into(),
        };
        block_on(execute(&b, &delete)).expect("deleted");
        let state = b.state();
        assert!(!state.principals(PrincipalKind::Group).contains_key("t-ops"));
        assert!(state.holders(&arn).is_empty());
        assert!(state.principals(PrincipalKind::User).contains_key("bo"));
        block_on(execute(&b, &delete)).expect("gone is done");
    }

    /// Phases run in order; a failed phase leaves the later ones
    /// unattempted, and progress is reported once per change run.
    #[test]
    fn a_failed_phase_stops_the_later_ones() {
        let b = MemoryBackend::new(ACCOUNT);
        let arn = with_policy(&b);
        let p: Plan = serde_json::from_value(json!({
            "environment": "dev", "account_id": ACCOUNT, "changes": [], "fingerprint": ""
        }))
        .map(|mut p: Plan| {
            p.changes = vec![
                Change::Attach {
                    kind: PrincipalKind::User,
                    name: "nobody".into(),
                    arn: arn.clone(),
                },
                Change::CreateUser {
                    name: "bo".into(),
                    path: "/".into(),
                    tags: Tags::new(),
                },
                Change::DeleteUser { name: "bo".into() },
            ];
            p
        })
        .expect("plan");
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let o = block_on(run_changes(&b, &p, 4, &tick));
        assert_eq!(o.done, ["create user bo"]);
        assert_eq!(o.failed.len(), 1, "{o:?}");
        assert!(
            o.failed[0].0.starts_with("attach t-data to user nobody"),
            "{o:?}"
        );
        assert_eq!(o.not_attempted.len(), 1, "{o:?}");
        assert!(o.not_attempted[0].starts_with("delete user bo"), "{o:?}");
        assert!(b.state().principals(PrincipalKind::User).contains_key("bo"));
        assert_eq!(ticks.into_inner(), 2);
    }

    fn plan_of(changes: Vec<Change>) -> Plan {
        let mut p: Plan = serde_json::from_value(json!({
            "environment": "dev", "account_id": ACCOUNT, "changes": [], "fingerprint": ""
        }))
        .expect("plan");
        p.changes = changes;
        p
    }

    fn user(name: &str) -> Change {
        Change::CreateUser {
            name: name.into(),
            path: "/".into(),
            tags: Tags::new(),
        }
    }

    /// An interrupt stops the run: no change starts after it (those left
    /// are listed, later phases too), the one done stands, and a rerun of
    /// a fresh plan finishes the work.
    #[test]
    fn an_interrupt_starts_no_further_change() {
        let b = MemoryBackend::new(ACCOUNT);
        let cancel = Cancel::new();
        let p = plan_of(vec![
            user("u1"),
            user("u2"),
            user("u3"),
            Change::AddMember {
                group: "g".into(),
                user: "u1".into(),
            },
        ]);
        let opts = RunOptions {
            concurrency: 1,
            cancel: &cancel,
            pace: Duration::from_millis(5),
        };
        // Interrupted once the first change is done.
        let o = block_on(run_changes_with(&b, &p, &opts, &|| cancel.cancel()));
        assert!(o.interrupted);
        assert_eq!(o.done, ["create user u1"]);
        assert_eq!(o.not_attempted.len(), 3, "{o:?}");
        assert!(o.failed.is_empty() && o.cut.is_empty(), "{o:?}");
        assert_eq!(b.calls().get("CreateUser"), Some(&1));
        let users = b.state().principals(PrincipalKind::User).clone();
        assert_eq!(users.keys().collect::<Vec<_>>(), ["u1"]);
        // The pace went through the backend's pause, and only before the
        // interrupt.
        assert_eq!(b.paused(), Duration::from_millis(5));
    }

    /// Once interrupted, a change in the middle of its calls sends no
    /// more: it is reported cut, not failed.
    #[test]
    fn a_change_in_flight_sends_no_call_after_the_interrupt() {
        let b = MemoryBackend::new(ACCOUNT);
        block_on(b.create_user("bo", "/", &Tags::new())).expect("seed");
        let cancel = Cancel::new();
        cancel.cancel();
        let before = b.total_calls();
        let guarded = Guarded {
            inner: &b,
            cancel: &cancel,
        };
        let err = block_on(execute(&guarded, &Change::DeleteUser { name: "bo".into() }))
            .expect_err("interrupted");
        assert_eq!(err.kind, ErrorKind::Interrupted);
        assert_eq!(b.total_calls(), before, "no call sent");
        assert!(b.state().principals(PrincipalKind::User).contains_key("bo"));
    }
}
