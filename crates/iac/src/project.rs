//! The account as it will be once a plan is applied: the plan's changes
//! made to a copy of the [`Snapshot`] it was planned from, as IAM makes
//! them (in phase order, as apply runs them), with no backend. The access
//! diff and the escalation check compare it with the snapshot.
//!
//! Only what GetAccountAuthorizationDetails shows is projected: policy tags,
//! role descriptions and session durations are not in a snapshot. A change
//! IAM would refuse because what it names is missing (a policy still
//! attached when deleted, a member added to a group that does not exist) is
//! left out, as apply would see it fail.

use iamctl_policy::snapshot::{
    AttachedPolicy, Boundary, Document, Group, InlinePolicy, ManagedPolicy, PolicyVersion, Role,
    Snapshot, Tag, User,
};
use serde_json::Value;

use crate::backend::Tags;
use crate::plan::{Change, Kind};

/// `snapshot` (of account `account_id`) once `changes` are made.
pub fn after(snapshot: &Snapshot, changes: &[Change], account_id: &str) -> Snapshot {
    let mut s = snapshot.clone();
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by_key(|c| c.phase());
    for c in ordered {
        apply(&mut s, c, account_id);
    }
    s
}

fn arn(account_id: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:{kind}{path}{name}")
}

fn last(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn tags_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// The new tags win; the others stay.
fn tag(list: &mut Vec<Tag>, tags: &Tags) {
    for (k, v) in tags {
        match list.iter_mut().find(|t| &t.key == k) {
            Some(t) => t.value = v.clone(),
            None => list.push(Tag {
                key: k.clone(),
                value: v.clone(),
            }),
        }
    }
}

fn version(id: &str, document: &Value) -> PolicyVersion {
    PolicyVersion {
        document: Some(Document::new(document.clone())),
        version_id: id.to_owned(),
        is_default_version: true,
        create_date: None,
    }
}

/// The lists of a principal the changes edit, whatever its kind.
struct Lists<'a> {
    path: &'a mut String,
    arn: &'a mut String,
    inline: &'a mut Vec<InlinePolicy>,
    attached: &'a mut Vec<AttachedPolicy>,
    boundary: Option<&'a mut Option<Boundary>>,
    tags: Option<&'a mut Vec<Tag>>,
}

fn lists<'a>(s: &'a mut Snapshot, kind: Kind, name: &str) -> Option<Lists<'a>> {
    match kind {
        Kind::User => s
            .user_detail_list
            .iter_mut()
            .find(|u| u.user_name == name)
            .map(|u| Lists {
                path: &mut u.path,
                arn: &mut u.arn,
                inline: &mut u.user_policy_list,
                attached: &mut u.attached_managed_policies,
                boundary: Some(&mut u.permissions_boundary),
                tags: Some(&mut u.tags),
            }),
        Kind::Role => s
            .role_detail_list
            .iter_mut()
            .find(|r| r.role_name == name)
            .map(|r| Lists {
                path: &mut r.path,
                arn: &mut r.arn,
                inline: &mut r.role_policy_list,
                attached: &mut r.attached_managed_policies,
                boundary: Some(&mut r.permissions_boundary),
                tags: Some(&mut r.tags),
            }),
        Kind::Group => s
            .group_detail_list
            .iter_mut()
            .find(|g| g.group_name == name)
            .map(|g| Lists {
                path: &mut g.path,
                arn: &mut g.arn,
                inline: &mut g.group_policy_list,
                attached: &mut g.attached_managed_policies,
                boundary: None,
                tags: None,
            }),
    }
}

/// Whether IAM knows the policy: AWS-managed ones always (a `--local-only`
/// snapshot leaves them out), customer-managed ones when the account has
/// them.
fn known(s: &Snapshot, arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws") || s.policies.iter().any(|p| p.arn == arn)
}

/// Whether any principal holds the policy (attached or as boundary).
fn held(s: &Snapshot, arn: &str) -> bool {
    let attached = |l: &[AttachedPolicy]| l.iter().any(|a| a.policy_arn == arn);
    let boundary = |b: &Option<Boundary>| {
        b.as_ref()
            .is_some_and(|b| b.permissions_boundary_arn == arn)
    };
    s.user_detail_list
        .iter()
        .any(|u| attached(&u.attached_managed_policies) || boundary(&u.permissions_boundary))
        || s.role_detail_list
            .iter()
            .any(|r| attached(&r.attached_managed_policies) || boundary(&r.permissions_boundary))
        || s.group_detail_list
            .iter()
            .any(|g| attached(&g.attached_managed_policies))
}

fn create_policy(
    s: &mut Snapshot,
    (name, path, arn): (&str, &str, &str),
    description: Option<&String>,
    document: &Value,
) {
    if s.policies.iter().any(|p| p.arn == arn) {
        return;
    }
    s.policies.push(ManagedPolicy {
        policy_name: name.to_owned(),
        arn: arn.to_owned(),
        path: path.to_owned(),
        default_version_id: Some("v1".to_owned()),
        description: description.cloned(),
        policy_version_list: vec![version("v1", document)],
        ..ManagedPolicy::default()
    });
}

/// Detached from every holder, then deleted.
fn delete_policy_whoever_holds_it(s: &mut Snapshot, arn: &str) {
    for kind in [Kind::User, Kind::Role, Kind::Group] {
        let names: Vec<String> = match kind {
            Kind::User => s
                .user_detail_list
                .iter()
                .map(|u| u.user_name.clone())
                .collect(),
            Kind::Role => s
                .role_detail_list
                .iter()
                .map(|r| r.role_name.clone())
                .collect(),
            Kind::Group => s
                .group_detail_list
                .iter()
                .map(|g| g.group_name.clone())
                .collect(),
        };
        for name in names {
            if let Some(l) = lists(s, kind, &name) {
                l.attached.retain(|a| a.policy_arn != arn);
            }
        }
    }
    s.policies.retain(|p| p.arn != arn);
}

fn update_policy(
    s: &mut Snapshot,
    arn: &str,
    new: &Value,
    prune: Option<&str>,
    reuse: Option<&str>,
) {
    let Some(p) = s.policies.iter_mut().find(|p| p.arn == arn) else {
        return;
    };
    let id = match reuse {
        Some(v) if p.policy_version_list.iter().any(|x| x.version_id == v) => v.to_owned(),
        Some(_) => return,
        None => {
            if let Some(old) = prune {
                p.policy_version_list.retain(|v| v.version_id != old);
            }
            let next = p
                .policy_version_list
                .iter()
                .filter_map(|v| v.version_id.trim_start_matches('v').parse::<u32>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            let id = format!("v{next}");
            let mut v = version(&id, new);
            v.is_default_version = false;
            p.policy_version_list.push(v);
            id
        }
    };
    for v in &mut p.policy_version_list {
        v.is_default_version = v.version_id == id;
    }
    p.default_version_id = Some(id);
}

fn create_principal(s: &mut Snapshot, kind: Kind, name: &str, path: &str, account_id: &str) {
    if lists(s, kind, name).is_some() {
        return;
    }
    let arn = arn(account_id, kind.as_str(), path, name);
    match kind {
        Kind::User => s.user_detail_list.push(User {
            path: path.to_owned(),
            user_name: name.to_owned(),
            arn,
            ..User::default()
        }),
        Kind::Role => s.role_detail_list.push(Role {
            path: path.to_owned(),
            role_name: name.to_owned(),
            arn,
            ..Role::default()
        }),
        Kind::Group => s.group_detail_list.push(Group {
            path: path.to_owned(),
            group_name: name.to_owned(),
            arn,
            ..Group::default()
        }),
    }
}

/// One change, made.
fn apply(s: &mut Snapshot, c: &Change, account_id: &str) {
    match c {
        Change::CreatePolicy {
            name,
            path,
            arn,
            description,
            document,
            ..
        } => create_policy(s, (name, path, arn), description.as_ref(), document),
        Change::UpdatePolicy {
            arn,
            new,
            prune,
            reuse,
            ..
        } => update_policy(s, arn, new, prune.as_deref(), reuse.as_deref()),
        // Policy tags, role settings: not in a snapshot.
        Change::TagPolicy { .. } | Change::UntagPolicy { .. } | Change::UpdateRole { .. } => {}
        Change::MovePolicy {
            name,
            old_arn,
            path,
            arn,
            description,
            document,
            ..
        } => {
            delete_policy_whoever_holds_it(s, old_arn);
            create_policy(s, (name, path, arn), description.as_ref(), document);
        }
        // A role's path cannot change.
        Change::UpdatePath { kind, name, path } if *kind != Kind::Role => {
            if let Some(l) = lists(s, *kind, name) {
                *l.path = path.clone();
                *l.arn = self::arn(account_id, kind.as_str(), path, name);
            }
        }
        Change::UpdatePath { .. } => {}
        // Refused while anyone holds it.
        Change::DeletePolicy { arn, .. } => {
            if !held(s, arn) {
                s.policies.retain(|p| &p.arn != arn);
            }
        }
        Change::CreateUser { name, path, tags } => {
            if lists(s, Kind::User, name).is_none() {
                create_principal(s, Kind::User, name, path, account_id);
                if let Some(u) = s.user_detail_list.last_mut() {
                    u.tags = tags_list(tags);
                }
            }
        }
        Change::CreateRole {
            name,
            path,
            trust,
            tags,
            ..
        } => {
            if lists(s, Kind::Role, name).is_none() {
                create_principal(s, Kind::Role, name, path, account_id);
                if let Some(r) = s.role_detail_list.last_mut() {
                    r.assume_role_policy_document = Some(Document::new(trust.clone()));
                    r.tags = tags_list(tags);
                }
            }
        }
        Change::CreateGroup { name, path } => {
            create_principal(s, Kind::Group, name, path, account_id);
        }
        Change::Tag { kind, name, tags } => {
            if let Some(t) = lists(s, *kind, name).and_then(|l| l.tags) {
                tag(t, tags);
            }
        }
        Change::Untag { kind, name, keys } => {
            if let Some(t) = lists(s, *kind, name).and_then(|l| l.tags) {
                t.retain(|t| !keys.contains(&t.key));
            }
        }
        Change::UpdateTrust { name, new, .. } => {
            if let Some(r) = s.role_detail_list.iter_mut().find(|r| &r.role_name == name) {
                r.assume_role_policy_document = Some(Document::new(new.clone()));
            }
        }
        Change::SetBoundary { kind, name, arn } => {
            if arn.as_deref().is_some_and(|a| !known(s, a)) {
                return;
            }
            if let Some(b) = lists(s, *kind, name).and_then(|l| l.boundary) {
                *b = arn.as_ref().map(|a| Boundary {
                    permissions_boundary_type: Some("Policy".to_owned()),
                    permissions_boundary_arn: a.clone(),
                });
            }
        }
        Change::AddMember { group, user } => {
            let exists = s.group_detail_list.iter().any(|g| &g.group_name == group);
            if let Some(u) = s.user_detail_list.iter_mut().find(|u| &u.user_name == user) {
                if exists && !u.group_list.contains(group) {
                    u.group_list.push(group.clone());
                }
            }
        }
        Change::RemoveMember { group, user } => {
            if let Some(u) = s.user_detail_list.iter_mut().find(|u| &u.user_name == user) {
                u.group_list.retain(|g| g != group);
            }
        }
        Change::Attach { kind, name, arn } => {
            if !known(s, arn) {
                return;
            }
            if let Some(l) = lists(s, *kind, name) {
                if !l.attached.iter().any(|a| &a.policy_arn == arn) {
                    l.attached.push(AttachedPolicy {
                        policy_name: Some(last(arn).to_owned()),
                        policy_arn: arn.clone(),
                    });
                }
            }
        }
        Change::Detach { kind, name, arn } => {
            if let Some(l) = lists(s, *kind, name) {
                l.attached.retain(|a| &a.policy_arn != arn);
            }
        }
        Change::PutInline {
            kind,
            name,
            policy,
            document,
            ..
        } => {
            if let Some(l) = lists(s, *kind, name) {
                let doc = Some(Document::new(document.clone()));
                match l.inline.iter_mut().find(|p| &p.policy_name == policy) {
                    Some(p) => p.policy_document = doc,
                    None => l.inline.push(InlinePolicy {
                        policy_name: policy.clone(),
                        policy_document: doc,
                    }),
                }
            }
        }
        Change::DeleteInline { kind, name, policy } => {
            if let Some(l) = lists(s, *kind, name) {
                l.inline.retain(|p| &p.policy_name != policy);
            }
        }
        Change::DeleteUser { name } => s.user_detail_list.retain(|u| &u.user_name != name),
        Change::DeleteRole { name } => s.role_detail_list.retain(|r| &r.role_name != name),
        Change::DeleteGroup { name } => {
            for u in &mut s.user_detail_list {
                u.group_list.retain(|g| g != name);
            }
            s.group_detail_list.retain(|g| &g.group_name != name);
        }
    }
}
