//! The memory account as GetAccountAuthorizationDetails describes it, both
//! ways: written in AWS's JSON shape (as `iamctl account snapshot` writes it,
//! documents decoded), read from such a document to seed an account.

use std::collections::HashMap;

use iamctl_policy::snapshot::{self as gaad, Document, Snapshot};
use serde_json::Value;

use super::{ManagedPolicy, MemoryAccount, Principal, Version, DEFAULT_ACCOUNT};
use crate::backend::{PrincipalKind, Tags};

fn tags_of(tags: &Tags) -> Vec<gaad::Tag> {
    tags.iter()
        .map(|(k, v)| gaad::Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

fn last(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn attached_of(p: &Principal) -> Vec<gaad::AttachedPolicy> {
    p.attached
        .iter()
        .map(|arn| gaad::AttachedPolicy {
            policy_name: Some(last(arn).to_owned()),
            policy_arn: arn.clone(),
        })
        .collect()
}

fn inline_of(p: &Principal) -> Vec<gaad::InlinePolicy> {
    p.inline
        .iter()
        .map(|(name, d)| gaad::InlinePolicy {
            policy_name: name.clone(),
            policy_document: Some(Document::new(d.clone())),
        })
        .collect()
}

fn boundary_of(p: &Principal) -> Option<gaad::Boundary> {
    p.boundary.as_ref().map(|b| gaad::Boundary {
        permissions_boundary_type: Some("Policy".to_owned()),
        permissions_boundary_arn: b.clone(),
    })
}

/// The account in GetAccountAuthorizationDetails' shape: every user, group,
/// role and customer-managed policy, and the AWS-managed policies attached
/// (or used as a boundary, or listed in the snapshot it was seeded from).
pub(crate) fn write(a: &MemoryAccount) -> Snapshot {
    let users = a
        .users
        .values()
        .map(|u| gaad::User {
            path: u.path.clone(),
            user_name: u.name.clone(),
            user_id: Some(u.id.clone()),
            arn: a.principal_arn(PrincipalKind::User, &u.path, &u.name),
            create_date: Some(u.created.clone()),
            user_policy_list: inline_of(u),
            group_list: u.groups.iter().cloned().collect(),
            attached_managed_policies: attached_of(u),
            permissions_boundary: boundary_of(u),
            tags: tags_of(&u.tags),
        })
        .collect();
    let groups = a
        .groups
        .values()
        .map(|g| gaad::Group {
            path: g.path.clone(),
            group_name: g.name.clone(),
            group_id: Some(g.id.clone()),
            arn: a.principal_arn(PrincipalKind::Group, &g.path, &g.name),
            create_date: Some(g.created.clone()),
            group_policy_list: inline_of(g),
            attached_managed_policies: attached_of(g),
        })
        .collect();
    let roles = a
        .roles
        .values()
        .map(|r| {
            let arn = a.principal_arn(PrincipalKind::Role, &r.path, &r.name);
            let profiles = r
                .instance_profiles
                .iter()
                .map(|p| gaad::InstanceProfile {
                    path: "/".to_owned(),
                    instance_profile_name: p.clone(),
                    arn: format!("arn:aws:iam::{}:instance-profile/{p}", a.account_id),
                    roles: vec![gaad::ProfileRole {
                        path: r.path.clone(),
                        role_name: r.name.clone(),
                        role_id: Some(r.id.clone()),
                        arn: arn.clone(),
                        ..gaad::ProfileRole::default()
                    }],
                    ..gaad::InstanceProfile::default()
                })
                .collect();
            gaad::Role {
                path: r.path.clone(),
                role_name: r.name.clone(),
                role_id: Some(r.id.clone()),
                create_date: Some(r.created.clone()),
                assume_role_policy_document: r.trust.clone().map(Document::new),
                instance_profile_list: profiles,
                role_policy_list: inline_of(r),
                attached_managed_policies: attached_of(r),
                permissions_boundary: boundary_of(r),
                tags: tags_of(&r.tags),
                role_last_used: None,
                arn,
            }
        })
        .collect();
    // Attachments and boundary uses per policy, counted once.
    let mut attachments_of: HashMap<&str, usize> = HashMap::new();
    let mut boundaries_of: HashMap<&str, usize> = HashMap::new();
    for p in a
        .users
        .values()
        .chain(a.roles.values())
        .chain(a.groups.values())
    {
        for arn in &p.attached {
            *attachments_of.entry(arn.as_str()).or_default() += 1;
        }
        if let Some(b) = &p.boundary {
            *boundaries_of.entry(b.as_str()).or_default() += 1;
        }
    }
    let policies = a
        .policies
        .values()
        .filter_map(|p| {
            let attachments = attachments_of.get(p.arn.as_str()).copied().unwrap_or(0);
            let boundaries = boundaries_of.get(p.arn.as_str()).copied().unwrap_or(0);
            if p.aws_managed
                && (p.versions.is_empty() || (attachments + boundaries == 0 && !p.listed))
            {
                return None;
            }
            Some(gaad::ManagedPolicy {
                policy_name: p.name.clone(),
                policy_id: Some(p.id.clone()),
                arn: p.arn.clone(),
                path: p.path.clone(),
                default_version_id: Some(p.default_version.clone()),
                attachment_count: Some(attachments as i64),
                permissions_boundary_usage_count: Some(boundaries as i64),
                is_attachable: true,
                description: p.description.clone(),
                create_date: Some(p.created.clone()),
                update_date: Some(p.updated.clone()),
                policy_version_list: p
                    .versions
                    .iter()
                    .map(|v| gaad::PolicyVersion {
                        document: Some(Document::new(v.document.clone())),
                        version_id: v.id.clone(),
                        is_default_version: v.id == p.default_version,
                        create_date: Some(v.created.clone()),
                    })
                    .collect(),
            })
        })
        .collect();
    Snapshot {
        user_detail_list: users,
        group_detail_list: groups,
        role_detail_list: roles,
        policies,
        ..Snapshot::new()
    }
}

fn version_number(id: &str) -> u32 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

fn path_of(path: &str) -> String {
    match path {
        "" => "/".to_owned(),
        p => p.to_owned(),
    }
}

fn doc(v: Option<&Document>) -> Value {
    v.map_or(Value::Null, Document::to_value)
}

/// A principal's fields common to every kind.
fn principal(
    a: &mut MemoryAccount,
    v: &dyn gaad::Principal,
    id: Option<&str>,
    created: Option<&str>,
    id_prefix: &str,
) -> Principal {
    let created = match created.unwrap_or("") {
        "" => a.tick(),
        d => d.to_owned(),
    };
    let id = match id.unwrap_or("") {
        "" => a.id(id_prefix),
        id => id.to_owned(),
    };
    Principal {
        name: v.name().to_owned(),
        path: path_of(v.path()),
        id,
        created,
        tags: v
            .tags()
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect(),
        boundary: v.boundary_arn().map(str::to_owned),
        attached: v
            .attached()
            .iter()
            .map(|p| p.policy_arn.clone())
            .filter(|arn| !arn.is_empty())
            .collect(),
        inline: v
            .inline()
            .iter()
            .map(|p| (p.policy_name.clone(), doc(p.policy_document.as_ref())))
            .collect(),
        ..Principal::default()
    }
}

/// An account holding what `snapshot` describes; `policy_tags` gives the
/// tags of customer-managed policies (GetAccountAuthorizationDetails has
/// none).
pub(crate) fn read(
    snapshot: &Snapshot,
    account_id: Option<&str>,
    policy_tags: &HashMap<String, Tags>,
) -> MemoryAccount {
    let id = account_id
        .or_else(|| snapshot.account_id())
        .unwrap_or(DEFAULT_ACCOUNT);
    let mut a = MemoryAccount::new(id);
    for u in &snapshot.user_detail_list {
        let (id, created) = (u.user_id.as_deref(), u.create_date.as_deref());
        let mut p = principal(&mut a, u, id, created, "AIDA");
        p.groups = u.group_list.iter().cloned().collect();
        a.users.insert(p.name.clone(), p);
    }
    for g in &snapshot.group_detail_list {
        let (id, created) = (g.group_id.as_deref(), g.create_date.as_deref());
        let p = principal(&mut a, g, id, created, "AGPA");
        a.groups.insert(p.name.clone(), p);
    }
    for r in &snapshot.role_detail_list {
        let (id, created) = (r.role_id.as_deref(), r.create_date.as_deref());
        let mut p = principal(&mut a, r, id, created, "AROA");
        p.trust = r.assume_role_policy_document.as_ref().map(|d| doc(Some(d)));
        p.instance_profiles = r
            .instance_profile_list
            .iter()
            .map(|i| i.instance_profile_name.clone())
            .filter(|n| !n.is_empty())
            .collect();
        a.roles.insert(p.name.clone(), p);
    }
    for p in &snapshot.policies {
        if p.arn.is_empty() {
            continue;
        }
        read_policy(&mut a, p, policy_tags);
    }
    // AWS-managed policies attached but left out of the snapshot: known by
    // ARN (attachable), their documents not.
    let referred: Vec<String> = a
        .users
        .values()
        .chain(a.roles.values())
        .chain(a.groups.values())
        .flat_map(|p| p.attached.iter().chain(&p.boundary))
        .filter(|arn| arn.split(':').nth(4) == Some("aws"))
        .cloned()
        .collect();
    for arn in referred {
        if !a.policies.contains_key(&arn) {
            let rest = arn.split_once(":policy").map_or("/", |(_, r)| r);
            let (path, name) = match rest.rfind('/') {
                Some(i) => (&rest[..=i], &rest[i + 1..]),
                None => ("/", rest),
            };
            a.add_aws_policy_at(path, name, None);
        }
    }
    a
}

/// One managed policy of a snapshot, into the account.
fn read_policy(
    a: &mut MemoryAccount,
    p: &gaad::ManagedPolicy,
    policy_tags: &HashMap<String, Tags>,
) {
    let arn = p.arn.clone();
    let policy_created = p.create_date.clone().unwrap_or_default();
    let mut versions: Vec<(bool, Version)> = p
        .policy_version_list
        .iter()
        .map(|v| {
            let created = match v.create_date.as_deref().unwrap_or("") {
                "" => policy_created.clone(),
                d => d.to_owned(),
            };
            (
                v.is_default_version,
                Version {
                    id: v.version_id.clone(),
                    document: doc(v.document.as_ref()),
                    created,
                },
            )
        })
        .collect();
    versions.sort_by(|x, y| {
        (&x.1.created, version_number(&x.1.id)).cmp(&(&y.1.created, version_number(&y.1.id)))
    });
    let default_version = versions
        .iter()
        .find(|(d, _)| *d)
        .map(|(_, v)| v.id.clone())
        .or_else(|| p.default_version_id.clone().filter(|d| !d.is_empty()))
        .unwrap_or_else(|| "v1".to_owned());
    let next_version = versions
        .iter()
        .map(|(_, v)| version_number(&v.id))
        .max()
        .unwrap_or(1)
        + 1;
    let created = match policy_created.as_str() {
        "" => a.tick(),
        d => d.to_owned(),
    };
    let pid = match p.policy_id.as_deref().unwrap_or("") {
        "" => a.id("ANPA"),
        id => id.to_owned(),
    };
    let aws_managed = p.aws_managed();
    let name = match p.policy_name.as_str() {
        "" => last(&arn).to_owned(),
        n => n.to_owned(),
    };
    a.policies.insert(
        arn.clone(),
        ManagedPolicy {
            name,
            path: path_of(&p.path),
            id: pid,
            updated: match p.update_date.as_deref().unwrap_or("") {
                "" => created.clone(),
                d => d.to_owned(),
            },
            created,
            description: p.description.clone(),
            tags: if aws_managed {
                Tags::new()
            } else {
                policy_tags.get(&arn).cloned().unwrap_or_default()
            },
            versions: versions.into_iter().map(|(_, v)| v).collect(),
            default_version,
            next_version,
            aws_managed,
            listed: aws_managed,
            arn,
        },
    );
}
