//! Step 3 of the planner: permission sets created or brought to the
//! desired attributes, policies and tags; a changed set provisioned again
//! to every account it is provisioned to.

use std::collections::BTreeSet;

use iamctl_config::identity_center::{DesiredIdentityCenter, DesiredPermissionSet};
use iamctl_config::{rfc3339, Tags, MANAGED_BY, TAG_EXPIRES, TAG_TEAM};

use super::super::change::{IcChange, IcPlan};
use super::super::err::IcPlanError;
use super::super::state::{CustomerManagedRef, IcPermissionSet, IdentityCenterState};
use super::super::{owned_set, TAG_BASE};

/// The tags iamctl keeps on a permission set.
pub fn set_tags(s: &DesiredPermissionSet) -> Tags {
    let mut t = Tags::new();
    t.insert(MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned());
    t.insert(TAG_TEAM.to_owned(), s.team.clone());
    if let (Some(at), Some(base)) = (s.expires, &s.base) {
        t.insert(TAG_EXPIRES.to_owned(), rfc3339(at));
        t.insert(TAG_BASE.to_owned(), base.clone());
    }
    t
}

/// Whether two policy documents say the same (as JSON, key order aside).
fn same_document(want: &serde_json::Value, have: Option<&str>) -> bool {
    have.and_then(|h| serde_json::from_str::<serde_json::Value>(h).ok())
        .is_some_and(|h| &h == want)
}

pub(super) fn permission_sets(d: &DesiredIdentityCenter, a: &IdentityCenterState, p: &mut IcPlan) {
    let empty = IcPermissionSet::default();
    for s in &d.permission_sets {
        let name = s.name.clone();
        let have = match a.set_by_name(&s.name) {
            Some(x) if !owned_set(x) => {
                p.errors.push(IcPlanError::ForeignPermissionSet { name });
                continue;
            }
            Some(x) => {
                if x.description != s.description
                    || x.session_duration.as_deref().unwrap_or("PT1H") != s.session_duration
                {
                    p.changes.push(IcChange::UpdatePermissionSet {
                        name: name.clone(),
                        description: s.description.clone(),
                        session_duration: s.session_duration.clone(),
                    });
                }
                x
            }
            None => {
                p.changes.push(IcChange::CreatePermissionSet {
                    name: name.clone(),
                    description: s.description.clone(),
                    session_duration: s.session_duration.clone(),
                    tags: set_tags(s),
                });
                &empty
            }
        };
        let before = p.changes.len();
        match &s.inline_policy {
            Some(doc) if !same_document(doc, have.inline_policy.as_deref()) => {
                p.changes.push(IcChange::PutInlinePolicy {
                    set: name.clone(),
                    document: doc.to_string(),
                });
            }
            None if have.inline_policy.is_some() => {
                p.changes
                    .push(IcChange::DeleteInlinePolicy { set: name.clone() });
            }
            _ => {}
        }
        let want: BTreeSet<&String> = s.managed_policies.iter().collect();
        for arn in want.iter().filter(|x| !have.managed_policies.contains(**x)) {
            p.changes.push(IcChange::AttachManagedPolicy {
                set: name.clone(),
                arn: (*arn).clone(),
            });
        }
        for arn in have.managed_policies.iter().filter(|x| !want.contains(x)) {
            p.changes.push(IcChange::DetachManagedPolicy {
                set: name.clone(),
                arn: arn.clone(),
            });
        }
        let want: BTreeSet<CustomerManagedRef> = s
            .customer_managed
            .iter()
            .map(|(name, path)| CustomerManagedRef {
                name: name.clone(),
                path: path.clone(),
            })
            .collect();
        for r in want.difference(&have.customer_managed) {
            p.changes.push(IcChange::AttachCustomerManaged {
                set: name.clone(),
                reference: r.clone(),
            });
        }
        for r in have.customer_managed.difference(&want) {
            p.changes.push(IcChange::DetachCustomerManaged {
                set: name.clone(),
                reference: r.clone(),
            });
        }
        match (&s.permissions_boundary, &have.boundary) {
            (Some(w), h) if Some(w) != h.as_ref() => {
                p.changes.push(IcChange::PutBoundary {
                    set: name.clone(),
                    boundary: w.clone(),
                });
            }
            (None, Some(_)) => p
                .changes
                .push(IcChange::DeleteBoundary { set: name.clone() }),
            _ => {}
        }
        let policies_changed = p.changes.len() > before;
        let tags = set_tags(s);
        if !have.arn.is_empty() {
            let missing: Tags = tags
                .iter()
                .filter(|(k, v)| have.tags.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !missing.is_empty() {
                p.changes.push(IcChange::TagPermissionSet {
                    set: name.clone(),
                    tags: missing,
                });
            }
            let stale: Vec<String> = have
                .tags
                .keys()
                .filter(|k| k.starts_with("iamctl:") && !tags.contains_key(*k))
                .cloned()
                .collect();
            if !stale.is_empty() {
                p.changes.push(IcChange::UntagPermissionSet {
                    set: name.clone(),
                    keys: stale,
                });
            }
        }
        let attrs_changed = p
            .changes
            .iter()
            .any(|c| matches!(c, IcChange::UpdatePermissionSet { name: n, .. } if *n == name));
        if policies_changed || attrs_changed {
            // "A changed permission set is re-provisioned to every account it
            // is provisioned to" (the role in each account changes only then).
            for account_id in &have.provisioned_to {
                p.changes.push(IcChange::Provision {
                    set: name.clone(),
                    account_id: account_id.clone(),
                });
            }
        }
    }
}
