//! Identity Center as code on the memory backend: the contract
//! files planned and applied, ownership, re-provisioning, cleanup by the
//! expiry tag, and asynchronous failures.
//!
//! AWS rules the tests rest on:
//! - CreateAccountAssignment, <https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html>:
//!   "As part of a successful CreateAccountAssignment call, the specified
//!   permission set will automatically be provisioned to the account in the
//!   form of an IAM policy." (a new assignment needs no ProvisionPermissionSet)
//! - ProvisionPermissionSet, <https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ProvisionPermissionSet.html>:
//!   "The process by which a specified permission set is provisioned to the
//!   specified target." (a changed set reaches an account's role only then)
//! - Identity Store CreateUser, <https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_CreateUser.html>:
//!   `UserType` is a free "string indicating the type of user", where iamctl
//!   writes its ownership mark.

use futures::executor::block_on;
use iamctl_config::identity_center::DesiredIdentityCenter;
use iamctl_iac::identity_center::apply::apply;
use iamctl_iac::identity_center::change::IcChange;
use iamctl_iac::identity_center::err::{IcApplyError, IcPlanError};
use iamctl_iac::identity_center::memory::MemoryIdentityCenter;
use iamctl_iac::identity_center::plan::{cleanup_plan, plan};
use iamctl_iac::identity_center::state::{IcAssignment, IcPermissionSet, IcUser, PrincipalType};
use iamctl_iac::identity_center::{owned_set, OWNER_MARK};
use iamctl_iac::ErrorKind;

mod ic_common;
use ic_common::*;

/// An instance where carol exists already (made by hand, or by the IdP).
fn instance() -> MemoryIdentityCenter {
    let m = MemoryIdentityCenter::new();
    m.edit(|s| {
        s.users.push(IcUser {
            user_id: "u-carol".into(),
            user_name: "carol@example.com".into(),
            display_name: Some("Carol".into()),
            ..IcUser::default()
        })
    });
    m
}

/// Plans against the backend's state and applies; the plan made.
fn converge(m: &MemoryIdentityCenter, want: &DesiredIdentityCenter) -> Vec<IcChange> {
    let state =
        block_on(iamctl_iac::identity_center::backend::IdentityCenterBackend::read_state(m))
            .expect("read");
    let p = plan(want, &state);
    assert_eq!(p.errors, vec![], "{:#?}", p.errors);
    let r = block_on(apply(m, &state, &p.changes));
    assert!(r.failed.is_empty(), "{:#?}", r.failed);
    p.changes
}

fn replan(m: &MemoryIdentityCenter, want: &DesiredIdentityCenter) -> Vec<IcChange> {
    plan(want, &m.state()).changes
}

#[test]
fn the_contract_applies_and_a_second_plan_has_no_changes() {
    let want = desired_of(&contract(), NOW);
    let m = instance();
    let changes = converge(&m, &want);
    assert!(!changes.is_empty());
    let s = m.state();
    // bert created and marked ours; carol referenced, untouched.
    let bert = s.user_by_name("bert@example.com").expect("bert");
    assert_eq!(bert.user_type.as_deref(), Some(OWNER_MARK));
    assert_eq!(
        s.user_by_name("carol@example.com")
            .expect("carol")
            .user_type,
        None
    );
    let group = s.group_by_name("data-engineers").expect("group");
    assert_eq!(
        group.description.as_deref(),
        Some("Data team (managed-by=iamctl)")
    );
    assert_eq!(
        s.members_of(&group.group_id)
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["bert@example.com"]
    );
    // The set and the temporary copy, tagged, with the boundary.
    let base = s.set_by_name("boto3").expect("boto3");
    assert!(owned_set(base));
    assert!(base.boundary.is_some());
    let copy = s.set_by_name("boto3-2612101800").expect("temporary copy");
    assert_eq!(
        copy.tags.get("iamctl:expires").map(String::as_str),
        Some("2026-12-10T18:00:00Z")
    );
    assert_eq!(
        copy.tags.get("iamctl:base").map(String::as_str),
        Some("boto3")
    );
    assert!(copy
        .inline_policy
        .as_deref()
        .expect("inline")
        .contains("IamctlExpired"));
    // Group, carol on boto3; bert on the copy; all in prod.
    assert_eq!(s.assignments.len(), 3);
    assert!(s.assignments.iter().all(|a| a.account_id == "345678901234"));
    assert_eq!(replan(&m, &want), vec![]);
    assert_eq!(plan(&want, &m.state()).errors, vec![]);
}

#[test]
fn an_undeclared_user_missing_from_the_store_fails_the_plan_naming_it() {
    let want = desired_of(&contract(), NOW);
    let p = plan(&want, &MemoryIdentityCenter::new().state());
    assert_eq!(
        p.errors,
        vec![IcPlanError::MissingUser {
            name: "carol@example.com".into()
        }]
    );
    assert_eq!(
        p.errors[0].to_string(),
        "user `carol@example.com` is not in the identity store"
    );
}

fn hand_made_set(m: &MemoryIdentityCenter, name: &str) {
    m.edit(|s| {
        s.permission_sets.push(IcPermissionSet {
            arn: format!("arn:aws:sso:::permissionSet/ssoins-memory/ps-{name}"),
            name: name.into(),
            ..IcPermissionSet::default()
        });
        s.assignments.push(IcAssignment {
            account_id: "345678901234".into(),
            permission_set_arn: format!("arn:aws:sso:::permissionSet/ssoins-memory/ps-{name}"),
            principal_type: PrincipalType::User,
            principal_id: "u-carol".into(),
        });
    });
}

#[test]
fn naming_a_hand_made_permission_set_is_a_plan_error() {
    let want = desired_of(&contract(), NOW);
    let m = instance();
    hand_made_set(&m, "boto3");
    let p = plan(&want, &m.state());
    assert!(
        p.errors.contains(&IcPlanError::ForeignPermissionSet {
            name: "boto3".into()
        }),
        "{:#?}",
        p.errors
    );
    // Nothing of the hand-made set is touched by the plan.
    assert!(!p
        .changes
        .iter()
        .any(|c| matches!(c, IcChange::DeleteAssignment { set, .. } if set == "boto3")));
}

#[test]
fn hand_made_things_survive_apply_and_the_removal_of_every_file() {
    let m = instance();
    hand_made_set(&m, "ops");
    m.edit(|s| {
        s.groups.push(iamctl_iac::identity_center::state::IcGroup {
            group_id: "g-ops".into(),
            display_name: "ops".into(),
            description: Some("hand-made".into()),
        })
    });
    converge(&m, &desired_of(&contract(), NOW));
    // Every file gone but the accounts: iamctl removes only what it made.
    let nothing = desired_of(
        &[
            ("settings.yaml", SETTINGS),
            ("aws-accounts/data.yaml", ACCOUNTS),
        ],
        NOW,
    );
    converge(&m, &nothing);
    let s = m.state();
    assert_eq!(
        s.permission_sets
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["ops"]
    );
    assert_eq!(s.assignments.len(), 1);
    assert!(s.group_by_name("ops").is_some() && s.group_by_name("data-engineers").is_none());
    assert!(
        s.user_by_name("carol@example.com").is_some()
            && s.user_by_name("bert@example.com").is_none()
    );
    assert_eq!(replan(&m, &nothing), vec![]);
}

#[test]
fn a_changed_set_is_provisioned_again_to_every_account_it_is_provisioned_to() {
    let m = instance();
    converge(&m, &desired_of(&contract(), NOW));
    let changed = POLICIES.replace("s3:PutObject", "s3:GetObject");
    let mut files = contract();
    files.retain(|(p, _)| *p != "aws-policies/data.yaml");
    files.push(("aws-policies/data.yaml", &changed));
    let want = desired_of(&files, NOW);
    let changes = converge(&m, &want);
    let provisions: Vec<&IcChange> = changes
        .iter()
        .filter(|c| matches!(c, IcChange::Provision { .. }))
        .collect();
    assert_eq!(provisions.len(), 2, "both sets, in prod: {changes:#?}");
    assert!(m
        .state()
        .set_by_name("boto3")
        .expect("set")
        .inline_policy
        .as_deref()
        .expect("inline")
        .contains("s3:GetObject"));
    assert_eq!(replan(&m, &want), vec![]);
}

#[test]
fn cleanup_removes_the_expired_copy_by_its_tag_even_when_its_entry_is_gone() {
    let m = instance();
    converge(&m, &desired_of(&contract(), NOW));
    // Before the expiry: nothing to clean.
    assert!(cleanup_plan(&m.state(), ts("2026-12-10T17:59:59Z")).is_empty());
    let p = cleanup_plan(&m.state(), ts("2026-12-10T18:00:00Z"));
    assert_eq!(
        p.changes.iter().map(IcChange::describe).collect::<Vec<_>>(),
        vec![
            "remove assignment of boto3-2612101800 from user bert@example.com in 345678901234",
            "delete permission set boto3-2612101800",
        ]
    );
    let state = m.state();
    let r = block_on(apply(&m, &state, &p.changes));
    assert!(r.failed.is_empty(), "{:#?}", r.failed);
    let s = m.state();
    assert!(s.set_by_name("boto3-2612101800").is_none() && s.set_by_name("boto3").is_some());
    assert_eq!(s.assignments.len(), 2);
    assert!(cleanup_plan(&s, ts("2026-12-11T00:00:00Z")).is_empty());
}

#[test]
fn after_the_expiry_plan_drops_the_copy_too() {
    let m = instance();
    converge(&m, &desired_of(&contract(), NOW));
    let later = desired_of(
        &contract()[..3]
            .iter()
            .chain(&contract()[4..])
            .copied()
            .collect::<Vec<_>>(),
        "2026-12-11T00:00:00Z",
    );
    let changes = replan(&m, &later);
    assert!(
        changes.contains(&IcChange::DeletePermissionSet {
            name: "boto3-2612101800".into()
        }),
        "{changes:#?}"
    );
}

#[test]
fn an_async_failure_names_the_account_and_reason_and_a_rerun_converges() {
    let want = desired_of(&contract(), NOW);
    let m = instance();
    m.pending_polls(2);
    m.fail_request_for("345678901234", "the role quota is reached");
    m.fail_next("CreatePermissionSet", ErrorKind::Throttled);
    let state = m.state();
    let p = plan(&want, &state);
    let r = block_on(apply(&m, &state, &p.changes));
    assert_eq!(r.failed.len(), 1, "{:#?}", r.failed);
    let (_, e) = &r.failed[0];
    assert!(
        matches!(e, IcApplyError::RequestFailed { account_id, reason, .. }
        if account_id == "345678901234" && reason == "the role quota is reached")
    );
    assert!(e
        .to_string()
        .contains("in account `345678901234` failed: the role quota is reached"));
    converge(&m, &want);
    assert_eq!(replan(&m, &want), vec![]);
}

#[test]
fn a_request_that_never_ends_is_reported_and_left_to_the_rerun() {
    let want = desired_of(&contract(), NOW);
    let m = instance();
    m.pending_polls(100);
    let state = m.state();
    let r = block_on(apply(&m, &state, &plan(&want, &state).changes));
    assert!(r
        .failed
        .iter()
        .all(|(_, e)| matches!(e, IcApplyError::RequestTimedOut { .. })));
    assert_eq!(r.failed.len(), 3);
}

#[test]
fn with_an_external_source_every_name_must_be_in_the_store() {
    let files = [
        ("settings.yaml", SETTINGS.replace("directory", "external")),
        (
            "identity-center/data.yaml",
            "identity-center:\n  permission-sets:\n    boto3:\n      grants: [platform.boto3]\n"
                .to_owned(),
        ),
        ("permanent-access/data.yaml", PERMANENT.to_owned()),
        ("aws-accounts/data.yaml", ACCOUNTS.to_owned()),
        ("aws-policies/data.yaml", POLICIES.to_owned()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let want = desired_of(&files, NOW);
    let p = plan(&want, &MemoryIdentityCenter::new().state());
    assert_eq!(
        p.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![
            "user `carol@example.com` is not in the identity store",
            "group `data-engineers` is not in the identity store",
        ]
    );
    // Nothing is created in the store with an external source.
    assert!(!p.changes.iter().any(|c| matches!(
        c,
        IcChange::CreateUser { .. } | IcChange::CreateGroup { .. }
    )));
}
