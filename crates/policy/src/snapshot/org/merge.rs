//! `iamctl snapshot merge`: one organisation snapshot from several
//! collections of the same organisation (for example CI jobs split by
//! account). The tree and the policies must agree; accounts are unioned; an
//! account read by two collections must read the same in both.

use std::collections::HashMap;

use super::{OrgError, OrgSnapshot};

/// Merges snapshots of one organisation, in order. Empty input gives
/// `None`.
pub fn merge(snapshots: Vec<OrgSnapshot>) -> Result<Option<OrgSnapshot>, OrgError> {
    let mut it = snapshots.into_iter();
    let Some(mut out) = it.next() else {
        return Ok(None);
    };
    for next in it {
        out = merge_two(out, next)?;
    }
    Ok(Some(out))
}

fn same<T: PartialEq>(a: &T, b: &T, what: impl FnOnce() -> String) -> Result<(), OrgError> {
    if a == b {
        Ok(())
    } else {
        Err(OrgError::TreeConflict(what()))
    }
}

fn merge_two(mut a: OrgSnapshot, b: OrgSnapshot) -> Result<OrgSnapshot, OrgError> {
    if a.organization_id != b.organization_id {
        return Err(OrgError::DifferentOrganizations(
            a.organization_id,
            b.organization_id,
        ));
    }
    same(&a.management_account_id, &b.management_account_id, || {
        "the management account".to_owned()
    })?;
    same(&a.root_id, &b.root_id, || "the root".to_owned())?;
    for ou in b.organizational_units {
        match a.organizational_units.iter().find(|o| o.id == ou.id) {
            Some(have) => same(have, &ou, || format!("organizational unit `{}`", ou.id))?,
            None => a.organizational_units.push(ou),
        }
    }
    for p in b.organization_policies {
        match a.organization_policies.iter().find(|q| q.id == p.id) {
            Some(have) => same(have, &p, || format!("policy `{}` (`{}`)", p.name, p.id))?,
            None => a.organization_policies.push(p),
        }
    }
    // Which side read each account: failures of a side that did not read
    // an account the other side read are stale.
    let mut read_by: HashMap<String, (bool, bool)> = HashMap::new();
    let index: HashMap<String, usize> = a
        .accounts
        .iter()
        .enumerate()
        .map(|(i, acc)| (acc.id.clone(), i))
        .collect();
    for acc in &a.accounts {
        read_by.insert(acc.id.clone(), (acc.iam.is_some(), false));
    }
    for acc in b.accounts {
        let Some(&i) = index.get(&acc.id) else {
            read_by.insert(acc.id.clone(), (false, acc.iam.is_some()));
            a.accounts.push(acc);
            continue;
        };
        let have = &mut a.accounts[i];
        if have.name != acc.name || have.parent_id != acc.parent_id {
            return Err(OrgError::AccountConflict {
                id: acc.id,
                name: acc.name,
                what: "its name or place in the tree".to_owned(),
            });
        }
        let entry = read_by.entry(acc.id.clone()).or_default();
        entry.1 = acc.iam.is_some();
        let differs = have.iam != acc.iam
            || have.resource_policies != acc.resource_policies
            || have.s3_public_access_block != acc.s3_public_access_block;
        match (&have.iam, &acc.iam) {
            (Some(_), Some(_)) if differs => {
                return Err(OrgError::AccountConflict {
                    id: acc.id,
                    name: acc.name,
                    what: "its IAM or resource policies".to_owned(),
                });
            }
            (None, Some(_)) => *have = acc,
            _ => {}
        }
    }
    let keep = |from_a: bool, account: &str| match read_by.get(account) {
        Some(&(ra, rb)) if ra || rb => (from_a && ra) || (!from_a && rb),
        _ => true,
    };
    let mut failures: Vec<_> = a
        .failures
        .drain(..)
        .filter(|f| keep(true, &f.account))
        .collect();
    for f in b.failures {
        if keep(false, &f.account) && !failures.contains(&f) {
            failures.push(f);
        }
    }
    a.failures = failures;
    a.accounts.sort_by(|x, y| x.id.cmp(&y.id));
    Ok(a)
}
