//! An Identity Center plan carried out through a backend, phase by phase
//! ([`IcChange::phase`]): names resolved to ids against the state read and
//! what earlier changes created; asynchronous requests (provisioning,
//! assignments) polled with exponential backoff, each failure reported with
//! its account and AWS's reason. What exists already counts as created and
//! what is gone as deleted, so a rerun converges.

use std::collections::BTreeMap;

use super::backend::{AssignmentRef, IdentityCenterBackend, NewUser, RequestKind, SetAttributes};
use super::change::IcChange;
use super::err::IcApplyError;
use super::state::{IdentityCenterState, PrincipalType};
use super::OWNER_MARK;
use poll::{call_error, converged, retry, wait_for};
pub use poll::{FIRST_WAIT, MAX_ATTEMPTS, MAX_POLLS, MAX_WAIT};

mod poll;
use crate::ErrorKind;

/// What apply did.
#[derive(Debug, Default)]
pub struct IcApplyReport {
    pub done: Vec<IcChange>,
    pub failed: Vec<(IcChange, IcApplyError)>,
}

/// Ids by name, from the state read and what apply creates.
struct Ids {
    users: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
    sets: BTreeMap<String, String>,
}

/// Applies `changes` (a plan's, in order) to the instance `state` was read from.
pub async fn apply(
    backend: &dyn IdentityCenterBackend,
    state: &IdentityCenterState,
    changes: &[IcChange],
) -> IcApplyReport {
    let mut ids = Ids {
        users: state
            .users
            .iter()
            .map(|u| (u.user_name.clone(), u.user_id.clone()))
            .collect(),
        groups: state
            .groups
            .iter()
            .map(|g| (g.display_name.clone(), g.group_id.clone()))
            .collect(),
        sets: state
            .permission_sets
            .iter()
            .map(|s| (s.name.clone(), s.arn.clone()))
            .collect(),
    };
    let mut report = IcApplyReport::default();
    let mut sorted: Vec<&IcChange> = changes.iter().collect();
    sorted.sort_by_key(|c| c.phase());
    for c in sorted {
        match one(backend, &mut ids, c).await {
            Ok(()) => report.done.push(c.clone()),
            Err(e) => report.failed.push((c.clone(), e)),
        }
    }
    report
}

fn id_of(map: &BTreeMap<String, String>, what: &str, name: &str) -> Result<String, IcApplyError> {
    map.get(name).cloned().ok_or_else(|| IcApplyError::Unknown {
        what: what.to_owned(),
        name: name.to_owned(),
    })
}

async fn one(
    backend: &dyn IdentityCenterBackend,
    ids: &mut Ids,
    c: &IcChange,
) -> Result<(), IcApplyError> {
    use IcChange::*;
    let err = |e| call_error(c, e);
    let set = |name: &str| id_of(&ids.sets, "permission set", name);
    match c {
        CreateUser {
            user_name,
            display_name,
            given_name,
            family_name,
            email,
        } => {
            let u = NewUser {
                user_name,
                display_name,
                given_name,
                family_name,
                email: email.as_deref(),
                user_type: OWNER_MARK,
            };
            let id = retry(backend, || backend.create_user(&u))
                .await
                .map_err(err)?;
            ids.users.insert(user_name.clone(), id);
        }
        CreateGroup { name, description } => {
            let id = retry(backend, || backend.create_group(name, description))
                .await
                .map_err(err)?;
            ids.groups.insert(name.clone(), id);
        }
        UpdateGroup { name, description } => {
            let g = id_of(&ids.groups, "group", name)?;
            retry(backend, || backend.update_group(&g, description))
                .await
                .map_err(err)?;
        }
        AddMember { group, user } => {
            let (g, u) = (
                id_of(&ids.groups, "group", group)?,
                id_of(&ids.users, "user", user)?,
            );
            match retry(backend, || backend.create_membership(&g, &u)).await {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err(e)),
            }
        }
        CreatePermissionSet {
            name,
            description,
            session_duration,
            tags,
        } => {
            let a = SetAttributes {
                name,
                description: description.as_deref(),
                session_duration,
            };
            let arn = retry(backend, || backend.create_permission_set(&a, tags))
                .await
                .map_err(err)?;
            ids.sets.insert(name.clone(), arn);
        }
        UpdatePermissionSet {
            name,
            description,
            session_duration,
        } => {
            let arn = set(name)?;
            let a = SetAttributes {
                name,
                description: description.as_deref(),
                session_duration,
            };
            retry(backend, || backend.update_permission_set(&arn, &a))
                .await
                .map_err(err)?;
        }
        PutInlinePolicy { set: s, document } => {
            let arn = set(s)?;
            retry(backend, || backend.put_inline_policy(&arn, document))
                .await
                .map_err(err)?;
        }
        DeleteInlinePolicy { set: s } => {
            let arn = set(s)?;
            converged(
                retry(backend, || backend.delete_inline_policy(&arn)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        AttachManagedPolicy { set: s, arn: p } => {
            let arn = set(s)?;
            converged(
                retry(backend, || backend.attach_managed(&arn, p)).await,
                ErrorKind::AlreadyExists,
            )
            .map_err(err)?;
        }
        DetachManagedPolicy { set: s, arn: p } => {
            let arn = set(s)?;
            converged(
                retry(backend, || backend.detach_managed(&arn, p)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        AttachCustomerManaged { set: s, reference } => {
            let arn = set(s)?;
            converged(
                retry(backend, || backend.attach_customer_managed(&arn, reference)).await,
                ErrorKind::AlreadyExists,
            )
            .map_err(err)?;
        }
        DetachCustomerManaged { set: s, reference } => {
            let arn = set(s)?;
            converged(
                retry(backend, || backend.detach_customer_managed(&arn, reference)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        PutBoundary { set: s, boundary } => {
            let arn = set(s)?;
            retry(backend, || backend.put_boundary(&arn, boundary))
                .await
                .map_err(err)?;
        }
        DeleteBoundary { set: s } => {
            let arn = set(s)?;
            converged(
                retry(backend, || backend.delete_boundary(&arn)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        TagPermissionSet { set: s, tags } => {
            let arn = set(s)?;
            retry(backend, || backend.tag(&arn, tags))
                .await
                .map_err(err)?;
        }
        UntagPermissionSet { set: s, keys } => {
            let arn = set(s)?;
            retry(backend, || backend.untag(&arn, keys))
                .await
                .map_err(err)?;
        }
        Provision { set: s, account_id } => {
            let arn = set(s)?;
            let id = retry(backend, || backend.provision(&arn, account_id))
                .await
                .map_err(err)?;
            wait_for(
                backend,
                RequestKind::Provision,
                &id,
                c.describe(),
                account_id,
            )
            .await?;
        }
        CreateAssignment {
            set: s,
            account_id,
            principal_type,
            principal,
            ..
        } => {
            let arn = set(s)?;
            let principal_id = match principal_type {
                PrincipalType::User => id_of(&ids.users, "user", principal)?,
                PrincipalType::Group => id_of(&ids.groups, "group", principal)?,
            };
            let a = AssignmentRef {
                account_id,
                permission_set_arn: &arn,
                principal_type: *principal_type,
                principal_id: &principal_id,
            };
            let id = retry(backend, || backend.create_assignment(&a))
                .await
                .map_err(err)?;
            wait_for(
                backend,
                RequestKind::CreateAssignment,
                &id,
                c.describe(),
                account_id,
            )
            .await?;
        }
        DeleteAssignment {
            set: s,
            account_id,
            principal_type,
            principal_id,
            ..
        } => {
            let arn = set(s)?;
            let a = AssignmentRef {
                account_id,
                permission_set_arn: &arn,
                principal_type: *principal_type,
                principal_id,
            };
            let id = match retry(backend, || backend.delete_assignment(&a)).await {
                Ok(id) => id,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(err(e)),
            };
            wait_for(
                backend,
                RequestKind::DeleteAssignment,
                &id,
                c.describe(),
                account_id,
            )
            .await?;
        }
        RemoveMember { membership_id, .. } => {
            converged(
                retry(backend, || backend.delete_membership(membership_id)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        DeletePermissionSet { name } => {
            let arn = set(name)?;
            converged(
                retry(backend, || backend.delete_permission_set(&arn)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        DeleteGroup { name } => {
            let g = id_of(&ids.groups, "group", name)?;
            converged(
                retry(backend, || backend.delete_group(&g)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
        DeleteUser { user_name } => {
            let u = id_of(&ids.users, "user", user_name)?;
            converged(
                retry(backend, || backend.delete_user(&u)).await,
                ErrorKind::NotFound,
            )
            .map_err(err)?;
        }
    }
    Ok(())
}
