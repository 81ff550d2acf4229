//! Identity Center apply converges under faults: whatever calls fail
//! (throttled, lost, denied, rejected), whichever asynchronous requests end
//! `FAILED` or stay `IN_PROGRESS`, from whatever start (nothing, or the
//! contract applied and then changed by hand), running apply again without
//! faults brings the instance to a plan with no changes, and what was made
//! by hand survives. Fixed seed: the same cases every run.

use futures::executor::block_on;
use iamctl_iac::identity_center::apply::apply;
use iamctl_iac::identity_center::backend::IdentityCenterBackend;
use iamctl_iac::identity_center::memory::MemoryIdentityCenter;
use iamctl_iac::identity_center::plan::plan;
use iamctl_iac::identity_center::state::{IcAssignment, IcPermissionSet, IcUser, PrincipalType};
use iamctl_iac::ErrorKind;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestCaseError, TestRunner};

mod ic_common;
use ic_common::*;

const CALLS: &[&str] = &[
    "CreateUser",
    "CreateGroup",
    "UpdateGroup",
    "CreateGroupMembership",
    "DeleteGroupMembership",
    "CreatePermissionSet",
    "PutInlinePolicyToPermissionSet",
    "PutPermissionsBoundaryToPermissionSet",
    "TagResource",
    "ProvisionPermissionSet",
    "CreateAccountAssignment",
    "DescribeAccountAssignmentCreationStatus",
    "DeleteAccountAssignment",
    "DeletePermissionSet",
];

const KINDS: &[ErrorKind] = &[
    ErrorKind::Throttled,
    ErrorKind::Other,
    ErrorKind::AccessDenied,
    ErrorKind::InvalidInput,
];

#[derive(Debug, Clone)]
struct Case {
    faults: Vec<(usize, usize)>,
    failed_requests: usize,
    pending: usize,
    /// Start from the contract applied, then changed by hand.
    drifted: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec((0..CALLS.len(), 0..KINDS.len()), 0..8),
        0usize..3,
        0usize..4,
        any::<bool>(),
    )
        .prop_map(|(faults, failed_requests, pending, drifted)| Case {
            faults,
            failed_requests,
            pending,
            drifted,
        })
}

const OPS: &str = "arn:aws:sso:::permissionSet/ssoins-memory/ps-ops";

fn start(drifted: bool) -> MemoryIdentityCenter {
    let m = MemoryIdentityCenter::new();
    m.edit(|s| {
        s.users.push(IcUser {
            user_id: "u-carol".into(),
            user_name: "carol@example.com".into(),
            ..IcUser::default()
        });
        s.permission_sets.push(IcPermissionSet {
            arn: OPS.into(),
            name: "ops".into(),
            ..IcPermissionSet::default()
        });
        s.assignments.push(IcAssignment {
            account_id: "345678901234".into(),
            permission_set_arn: OPS.into(),
            principal_type: PrincipalType::User,
            principal_id: "u-carol".into(),
        });
    });
    if drifted {
        let want = desired_of(&contract(), NOW);
        let state = m.state();
        block_on(apply(&m, &state, &plan(&want, &state).changes));
        m.edit(|s| {
            // An assignment removed and a policy changed by hand, a group
            // description edited.
            let ps = s
                .set_by_name("boto3")
                .map(|p| p.arn.clone())
                .unwrap_or_default();
            s.assignments.retain(|a| {
                !(a.permission_set_arn == ps && a.principal_type == PrincipalType::Group)
            });
            if let Some(p) = s.permission_sets.iter_mut().find(|p| p.name == "boto3") {
                p.inline_policy = Some("{}".into());
            }
            if let Some(g) = s.groups.first_mut() {
                g.description = Some("edited (managed-by=iamctl)".into());
            }
        });
    }
    m
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let want = desired_of(&contract(), NOW);
    let m = start(c.drifted);
    for (call, kind) in &c.faults {
        m.fail_next(CALLS[*call], KINDS[*kind]);
    }
    for _ in 0..c.failed_requests {
        m.fail_request_for("345678901234", "injected failure");
    }
    m.pending_polls(c.pending);
    let state = block_on(m.read_state()).map_err(|e| TestCaseError::fail(e.message))?;
    let first = block_on(apply(&m, &state, &plan(&want, &state).changes));
    for (_, e) in &first.failed {
        // Each failure is named; a request's with its account.
        prop_assert!(!e.to_string().is_empty());
    }
    // Reruns without faults converge.
    m.pending_polls(0);
    for _ in 0..3 {
        let state = m.state();
        let p = plan(&want, &state);
        prop_assert_eq!(p.errors.clone(), vec![]);
        if p.changes.is_empty() {
            break;
        }
        block_on(apply(&m, &state, &p.changes));
    }
    let s = m.state();
    prop_assert_eq!(plan(&want, &s).changes, vec![]);
    // What was made by hand survives, untouched.
    prop_assert!(s.set_by_arn(OPS).is_some_and(|p| p.tags.is_empty()));
    prop_assert!(s.assignments.iter().any(|a| a.permission_set_arn == OPS));
    prop_assert_eq!(
        s.user_by_name("carol@example.com")
            .and_then(|u| u.user_type.clone()),
        None
    );
    Ok(())
}

#[test]
fn apply_converges_under_faults_and_leaves_what_is_not_ours() {
    let config = ProptestConfig {
        cases: 128,
        rng_seed: RngSeed::Fixed(0x1c_c0de),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&case(), |c| check(&c)) {
        panic!("{e}");
    }
}
