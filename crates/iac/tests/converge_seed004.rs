//! Seed 004's example (`examples/iac/seed004`) applied to accounts holding
//! the users and role it names (made by hand), with one fault at every
//! point: for each call of the whole run (apply until a run has no failure,
//! then the files emptied and applied the same way) and each fault
//! (throttled, lost reply, concurrent removal), a fresh account where that
//! call fails so. Each run must converge (a fresh plan empty), and after
//! the removal the account must be exactly as before iamctl: the seed's
//! users and role hold what they held, nothing of iamctl's remains.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use futures::executor::block_on;
use iamctl_config::*;
use iamctl_iac::apply::run_changes;
use iamctl_iac::backend::{IamBackend, NewRole, PrincipalKind};
use iamctl_iac::memory::{Fault, FaultSchedule, MemoryAccount, MemoryBackend};
use iamctl_iac::plan::{plan, ActualAccount, Change, Plan, PlanOptions};
use iamctl_iac::read::{read_account, TagScope};
use serde_json::{json, Value};

/// Before the seed's temporary grant ends (2025-11-30).
fn now() -> jiff::Timestamp {
    "2025-11-28T09:00:00Z".parse().expect("timestamp")
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac/seed004")
}

/// The AWS-managed policies the seed grants (shortened documents).
fn aws_policies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "ReadOnlyAccess",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"}]}),
        ),
        (
            "PowerUserAccess",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Resource": "*"}]}),
        ),
    ]
}

/// An account with the seed's principals, made by hand; `user2` already
/// holds ReadOnlyAccess, attached by hand (iamctl must never take it away).
fn account(id: &str) -> MemoryBackend {
    let b = MemoryBackend::new(id).with_aws_policies(aws_policies());
    let none = Tags::new();
    for u in ["user1", "user2", "developer"] {
        block_on(b.create_user(u, "/", &none)).expect("user");
    }
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{id}:oidc-provider/token.actions.githubusercontent.com")},
        "Action": "sts:AssumeRoleWithWebIdentity"}]})
    .to_string();
    block_on(b.create_role(&NewRole {
        name: "github-actions-deployer",
        path: "/",
        trust: &trust,
        description: None,
        max_session_duration: None,
        tags: &none,
    }))
    .expect("role");
    block_on(b.attach(
        PrincipalKind::User,
        "user2",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ))
    .expect("attach");
    b.reset_calls();
    b
}

fn make_plan(desired: &DesiredAccount, b: &MemoryBackend) -> Result<Plan, String> {
    let teams = BTreeSet::from(["example-team".to_owned()]);
    let read = block_on(read_account(
        b,
        desired,
        None,
        &TagScope::Teams(teams.clone()),
    ))
    .map_err(|e| e.to_string())?;
    let opts = PlanOptions {
        teams: Some(teams),
        ..PlanOptions::default()
    };
    Ok(plan(desired, &read.actual, &read.sources, &opts))
}

/// Plans and applies until a run has no failure (at most 4: one fault).
fn converge(desired: &DesiredAccount, b: &MemoryBackend) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..4 {
        match make_plan(desired, b) {
            Err(e) => last = e,
            Ok(p) if !p.conflicts.is_empty() => return Err(format!("{:?}", p.conflicts)),
            Ok(p) => {
                let o = block_on(run_changes(b, &p, 4, &|| {}));
                if o.failed.is_empty() {
                    return Ok(());
                }
                last = format!("{:?}", o.failed);
            }
        }
    }
    Err(last)
}

/// The plan of `desired` against the account as it is, read without a
/// call (no fault is spent on it): empty, or what is left.
fn empty_plan(desired: &DesiredAccount, b: &MemoryBackend) -> Result<(), String> {
    let actual = ActualAccount::from_snapshot(&b.snapshot(), &b.policy_tags_by_arn());
    let sources: HashMap<String, Value> = aws_policies()
        .into_iter()
        .map(|(n, d)| (format!("arn:aws:iam::aws:policy/{n}"), d))
        .collect();
    let opts = PlanOptions {
        teams: Some(BTreeSet::from(["example-team".to_owned()])),
        ..PlanOptions::default()
    };
    let p = plan(desired, &actual, &sources, &opts);
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    if changes.is_empty() && p.conflicts.is_empty() && p.blocked.is_empty() {
        Ok(())
    } else {
        Err(format!("not empty: {changes:?} {:?}", p.conflicts))
    }
}

/// The whole run on `b`: apply until done, check, the files emptied, apply
/// until done, check; the account then exactly as `before`.
fn run(
    full: &DesiredAccount,
    nothing: &DesiredAccount,
    b: &MemoryBackend,
    before: &MemoryAccount,
) -> Result<(), String> {
    converge(full, b)?;
    empty_plan(full, b).map_err(|e| format!("after apply: {e}"))?;
    converge(nothing, b)?;
    empty_plan(nothing, b).map_err(|e| format!("after removal: {e}"))?;
    let after = b.state();
    for kind in [
        PrincipalKind::User,
        PrincipalKind::Role,
        PrincipalKind::Group,
    ] {
        if after.principals(kind) != before.principals(kind) {
            return Err(format!(
                "{}s not as before iamctl:\n{:#?}\n{:#?}",
                kind.as_str(),
                before.principals(kind),
                after.principals(kind)
            ));
        }
    }
    let ours: Vec<&String> = after
        .policies
        .keys()
        .filter(|a| !before.policies.contains_key(*a))
        .collect();
    if ours.is_empty() {
        Ok(())
    } else {
        Err(format!("policies left: {ours:?}"))
    }
}

#[test]
fn seed004_converges_with_one_fault_at_every_call_and_leaves_the_account_as_it_was() {
    let (config, ds) = check(&dir(), now());
    assert!(ds.iter().all(|d| !d.is_error()), "{ds:?}");
    // The files emptied: the team keeps only its accounts.
    let mut empty = config.clone();
    for t in empty.teams.values_mut() {
        t.policies.clear();
        t.permanent.clear();
        t.temporary.clear();
        t.users.clear();
        t.roles.clear();
        t.groups.clear();
        t.s3_users.clear();
    }
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut runs = 0;
    for env in ["nonprod", "prod"] {
        let full = desired_state(&config, env, now()).expect("env");
        let nothing = desired_state(&empty, env, now()).expect("env");
        // Without faults: how many calls the whole run makes.
        let b = account(&full.account_id);
        let before = b.state();
        let start = b.calls_made();
        run(&full, &nothing, &b, &before).unwrap_or_else(|e| panic!("{env} without faults: {e}"));
        let calls = b.calls_made() - start;
        assert!(calls > 10, "{env}: {calls} calls");
        for at in 0..calls {
            for fault in [Fault::Throttled, Fault::LostReply, Fault::NotFound] {
                let b = account(&full.account_id);
                // The first call from `at` on that can fail so (NotFound:
                // a removal) does.
                b.set_faults_from_now(
                    FaultSchedule::none()
                        .random(0, 1000, 1, &[fault])
                        .from_call(at),
                );
                if let Err(e) = run(&full, &nothing, &b, &before) {
                    panic!(
                        "{env}, {fault} from call {at}: {e}\ninjected: {:?}",
                        b.injected()
                    );
                }
                *tally.entry(fault.as_str()).or_default() += b.injected().len();
                runs += 1;
            }
        }
        eprintln!("{env}: {calls} backend calls in a run without faults");
    }
    eprintln!("{runs} runs; faults injected: {tally:?}");
    assert!(tally.values().all(|n| *n > 0), "{tally:?}");
}
