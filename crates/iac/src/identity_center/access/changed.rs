//! What people keep an assignment to, but get on other terms: a permission
//! set of ours whose policies the plan changes, said for every person
//! assigned to it (gains and losses between the set as read and as
//! configured), account by account.

use std::collections::HashMap;

use iamctl_config::identity_center::DesiredIdentityCenter;
use iamctl_config::rfc3339;
use jiff::Timestamp;

use super::super::change::{IcChange, IcPlan, PersonAccess};
use super::super::owned_set;
use super::super::plan::expiry;
use super::super::state::IdentityCenterState;
use super::{diff, people, role_account, Effect, PolicyDocs, SetPolicies};

/// The set whose policies a change changes.
fn policy_change(c: &IcChange) -> Option<&str> {
    use IcChange::*;
    match c {
        PutInlinePolicy { set, .. }
        | DeleteInlinePolicy { set }
        | AttachManagedPolicy { set, .. }
        | DetachManagedPolicy { set, .. }
        | AttachCustomerManaged { set, .. }
        | DetachCustomerManaged { set, .. }
        | PutBoundary { set, .. }
        | DeleteBoundary { set } => Some(set),
        _ => None,
    }
}

/// Adds to `out` the gains and losses of the people assigned to a set of
/// ours whose policies change, where the assignment stays.
pub(super) fn changed_sets(
    p: &IcPlan,
    desired: &DesiredIdentityCenter,
    actual: &IdentityCenterState,
    docs: &PolicyDocs,
    env: &dyn Fn(&str) -> String,
    now: Timestamp,
    out: &mut Vec<PersonAccess>,
) {
    let mut cache: HashMap<(String, String), Effect> = HashMap::new();
    let mut changed: Vec<&str> = p.changes.iter().filter_map(policy_change).collect();
    changed.dedup();
    for name in changed {
        let (Some(have), Some(want)) = (
            actual.set_by_name(name).filter(|s| owned_set(s)),
            desired.permission_sets.iter().find(|s| s.name == name),
        ) else {
            continue;
        };
        for y in actual
            .assignments
            .iter()
            .filter(|y| y.permission_set_arn == have.arn)
        {
            let removed = p.changes.iter().any(|c| matches!(c,
                IcChange::DeleteAssignment { set, account_id, principal_id, .. }
                    if set == name && *account_id == y.account_id && *principal_id == y.principal_id));
            if removed {
                continue;
            }
            let (g, l, risky, missing) = cache
                .entry((name.to_owned(), y.account_id.clone()))
                .or_insert_with(|| {
                    let (before, mut missing) =
                        role_account(name, &SetPolicies::actual(have), &y.account_id, docs);
                    let (after, m2) =
                        role_account(name, &SetPolicies::desired(want), &y.account_id, docs);
                    missing.extend(m2);
                    missing.sort();
                    missing.dedup();
                    let (g, l, r) = diff(&before, &after, now);
                    (g, l, r, missing)
                });
            let Some(principal) = actual.principal_name(y.principal_type, &y.principal_id) else {
                continue;
            };
            for (person, via_group) in people(y.principal_type, principal, desired, actual) {
                for (change, actions) in [("gains", &*g), ("loses", &*l)] {
                    if actions.is_empty() {
                        continue;
                    }
                    out.push(PersonAccess {
                        person: person.clone(),
                        change: change.into(),
                        environment: env(&y.account_id),
                        account_id: y.account_id.clone(),
                        permission_set: name.to_owned(),
                        via_group: via_group.clone(),
                        until: expiry(have).map(rfc3339),
                        actions: actions.clone(),
                        risky: if change == "gains" {
                            risky.clone()
                        } else {
                            Vec::new()
                        },
                        not_counted: missing.clone(),
                    });
                }
            }
        }
    }
}
