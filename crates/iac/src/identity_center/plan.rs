//! The Identity Center planner, in named steps run in this order by
//! [`plan`], each adding to the [`IcPlan`]:
//!
//! 1. [`users`]: declared users created (a hand-made user of a declared
//!    name is only referenced, with a warning);
//! 2. [`groups`]: declared groups created, their description kept, their
//!    members added and removed (a hand-made group of a declared name is an
//!    error);
//! 3. [`permission_sets`]: sets created or brought to the desired
//!    attributes, policies and tags; a changed set is provisioned again to
//!    every account it is provisioned to;
//! 4. [`assignments`]: created and removed (only those of our sets);
//! 5. [`removals`]: what iamctl owns and the configuration no longer
//!    wants, expired temporary sets included, in dependency order.
//!
//! [`cleanup_plan`] is step 5 for the expired temporary sets only.
//! Ownership rules: see the module [`super`].

use std::collections::{BTreeMap, BTreeSet};

use iamctl_config::identity_center::DesiredIdentityCenter;
use iamctl_config::TAG_EXPIRES;
use jiff::Timestamp;

use super::change::{IcChange, IcPlan};
use super::err::IcPlanError;
use super::state::{IcPermissionSet, IdentityCenterState, PrincipalType};
use super::{group_description, owned_group, owned_set, owned_user};
use sets::permission_sets;
pub use sets::set_tags;

mod sets;

/// The plan that brings `actual` to `desired` (computed as of `now` by
/// `desired_identity_center`). Pure: no call, no clock.
pub fn plan(desired: &DesiredIdentityCenter, actual: &IdentityCenterState) -> IcPlan {
    let mut p = IcPlan {
        instance_arn: actual.instance_arn.clone(),
        ..IcPlan::default()
    };
    let created_users = users(desired, actual, &mut p);
    groups(desired, actual, &created_users, &mut p);
    permission_sets(desired, actual, &mut p);
    assignments(desired, actual, &created_users, &mut p);
    let wanted: BTreeSet<&str> = desired
        .permission_sets
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    removals(
        desired,
        actual,
        &|s| !wanted.contains(s.name.as_str()),
        &mut p,
    );
    p.changes.sort_by_key(IcChange::phase);
    p
}

/// `cleanup`: the temporary permission sets of ours whose `iamctl:expires`
/// is at or before `at`, with their assignments, whatever the configuration
/// says (their entries may be gone).
pub fn cleanup_plan(actual: &IdentityCenterState, at: Timestamp) -> IcPlan {
    let mut p = IcPlan {
        instance_arn: actual.instance_arn.clone(),
        ..IcPlan::default()
    };
    let expired = |s: &IcPermissionSet| expiry(s).is_some_and(|e| e <= at);
    removals_of_sets(actual, &expired, &mut p);
    p.changes.sort_by_key(IcChange::phase);
    p
}

/// When a temporary set of ours stops allowing (its `iamctl:expires` tag).
pub fn expiry(s: &IcPermissionSet) -> Option<Timestamp> {
    if !owned_set(s) {
        return None;
    }
    s.tags.get(TAG_EXPIRES)?.parse().ok()
}

/// The users the plan creates (by name); a declared user that exists is
/// left as it is.
fn users(d: &DesiredIdentityCenter, a: &IdentityCenterState, p: &mut IcPlan) -> BTreeSet<String> {
    let mut created = BTreeSet::new();
    for u in &d.users {
        match a.user_by_name(&u.user_name) {
            Some(x) if !owned_user(x) => p.warnings.push(format!(
                "user `{}` exists and was not created by iamctl: it is referenced, not changed",
                u.user_name
            )),
            Some(_) => {}
            None => {
                created.insert(u.user_name.clone());
                p.changes.push(IcChange::CreateUser {
                    user_name: u.user_name.clone(),
                    display_name: u.display_name.clone(),
                    given_name: u.given_name.clone(),
                    family_name: u.family_name.clone(),
                    email: u.email.clone(),
                });
            }
        }
    }
    created
}

/// Whether a user of that name exists or is created by this plan; an error
/// names it otherwise.
fn user_known(
    name: &str,
    a: &IdentityCenterState,
    created: &BTreeSet<String>,
    p: &mut IcPlan,
) -> bool {
    let known = created.contains(name) || a.user_by_name(name).is_some();
    let e = IcPlanError::MissingUser {
        name: name.to_owned(),
    };
    if !known && !p.errors.contains(&e) {
        p.errors.push(e);
    }
    known
}

fn groups(
    d: &DesiredIdentityCenter,
    a: &IdentityCenterState,
    created: &BTreeSet<String>,
    p: &mut IcPlan,
) {
    for g in &d.groups {
        let description = group_description(g.description.as_deref());
        let members: BTreeSet<String> = match a.group_by_name(&g.display_name) {
            Some(x) if !owned_group(x) => {
                p.errors.push(IcPlanError::ForeignGroup {
                    name: g.display_name.clone(),
                });
                continue;
            }
            Some(x) => {
                if x.description.as_deref() != Some(description.as_str()) {
                    p.changes.push(IcChange::UpdateGroup {
                        name: g.display_name.clone(),
                        description,
                    });
                }
                a.members_of(&x.group_id)
            }
            None => {
                p.changes.push(IcChange::CreateGroup {
                    name: g.display_name.clone(),
                    description,
                });
                BTreeSet::new()
            }
        };
        for m in g.members.difference(&members) {
            if user_known(m, a, created, p) {
                p.changes.push(IcChange::AddMember {
                    group: g.display_name.clone(),
                    user: m.clone(),
                });
            }
        }
        let Some(x) = a.group_by_name(&g.display_name) else {
            continue;
        };
        for m in a.memberships.iter().filter(|m| m.group_id == x.group_id) {
            let user = a
                .user_by_id(&m.user_id)
                .map_or_else(|| m.user_id.clone(), |u| u.user_name.clone());
            if !g.members.contains(&user) {
                p.changes.push(IcChange::RemoveMember {
                    group: g.display_name.clone(),
                    user,
                    membership_id: m.membership_id.clone(),
                });
            }
        }
    }
}

fn assignments(
    d: &DesiredIdentityCenter,
    a: &IdentityCenterState,
    created: &BTreeSet<String>,
    p: &mut IcPlan,
) {
    let wanted_groups: BTreeSet<&str> = d.groups.iter().map(|g| g.display_name.as_str()).collect();
    let mut want = BTreeSet::new();
    for x in &d.assignments {
        let (t, name) = match &x.principal {
            iamctl_config::identity_center::SsoPrincipal::User(n) => (PrincipalType::User, n),
            iamctl_config::identity_center::SsoPrincipal::Group(n) => (PrincipalType::Group, n),
        };
        want.insert((
            x.permission_set.clone(),
            x.account_id.clone(),
            t,
            name.clone(),
        ));
        let exists = a.set_by_name(&x.permission_set).is_some_and(|s| {
            a.assignments.iter().any(|y| {
                y.permission_set_arn == s.arn
                    && y.account_id == x.account_id
                    && y.principal_type == t
                    && a.principal_name(t, &y.principal_id) == Some(name.as_str())
            })
        });
        if exists
            || a.set_by_name(&x.permission_set)
                .is_some_and(|s| !owned_set(s))
        {
            continue; // a foreign set is already an error
        }
        let known = match t {
            PrincipalType::User => user_known(name, a, created, p),
            PrincipalType::Group => {
                let ok = wanted_groups.contains(name.as_str()) || a.group_by_name(name).is_some();
                let e = IcPlanError::MissingGroup { name: name.clone() };
                if !ok && !p.errors.contains(&e) {
                    p.errors.push(e);
                }
                ok
            }
        };
        if known {
            p.changes.push(IcChange::CreateAssignment {
                set: x.permission_set.clone(),
                account_id: x.account_id.clone(),
                environment: x.environment.clone(),
                principal_type: t,
                principal: name.clone(),
            });
        }
    }
    // Assignments of our sets the configuration does not want.
    for y in &a.assignments {
        let Some(s) = a.set_by_arn(&y.permission_set_arn).filter(|s| owned_set(s)) else {
            continue;
        };
        let name = a
            .principal_name(y.principal_type, &y.principal_id)
            .unwrap_or(&y.principal_id);
        let key = (
            s.name.clone(),
            y.account_id.clone(),
            y.principal_type,
            name.to_owned(),
        );
        if !want.contains(&key) {
            p.changes.push(delete_assignment(a, s, y));
        }
    }
}

fn delete_assignment(
    a: &IdentityCenterState,
    s: &IcPermissionSet,
    y: &super::state::IcAssignment,
) -> IcChange {
    IcChange::DeleteAssignment {
        set: s.name.clone(),
        account_id: y.account_id.clone(),
        principal_type: y.principal_type,
        principal: a
            .principal_name(y.principal_type, &y.principal_id)
            .unwrap_or(&y.principal_id)
            .to_owned(),
        principal_id: y.principal_id.clone(),
    }
}

/// Our sets that `gone` selects, after their assignments (which
/// [`assignments`] removed already when it ran, else here).
fn removals_of_sets(
    a: &IdentityCenterState,
    gone: &dyn Fn(&IcPermissionSet) -> bool,
    p: &mut IcPlan,
) {
    for s in a.permission_sets.iter().filter(|s| owned_set(s) && gone(s)) {
        for y in a
            .assignments
            .iter()
            .filter(|y| y.permission_set_arn == s.arn)
        {
            let c = delete_assignment(a, s, y);
            if !p.changes.contains(&c) {
                p.changes.push(c);
            }
        }
        p.changes.push(IcChange::DeletePermissionSet {
            name: s.name.clone(),
        });
    }
}

fn removals(
    d: &DesiredIdentityCenter,
    a: &IdentityCenterState,
    gone: &dyn Fn(&IcPermissionSet) -> bool,
    p: &mut IcPlan,
) {
    removals_of_sets(a, gone, p);
    let groups: BTreeMap<&str, ()> = d
        .groups
        .iter()
        .map(|g| (g.display_name.as_str(), ()))
        .collect();
    for g in a
        .groups
        .iter()
        .filter(|g| owned_group(g) && !groups.contains_key(g.display_name.as_str()))
    {
        p.changes.push(IcChange::DeleteGroup {
            name: g.display_name.clone(),
        });
    }
    let users: BTreeSet<&str> = d.users.iter().map(|u| u.user_name.as_str()).collect();
    for u in a
        .users
        .iter()
        .filter(|u| owned_user(u) && !users.contains(u.user_name.as_str()))
    {
        p.changes.push(IcChange::DeleteUser {
            user_name: u.user_name.clone(),
        });
    }
}
