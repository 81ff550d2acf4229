//! The memory account as GetAccountAuthorizationDetails describes it, both
//! ways: written in AWS's JSON shape (as `iamctl account snapshot` writes it,
//! documents decoded), read from such a document to seed an account.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::{ManagedPolicy, MemoryAccount, Principal, Version, DEFAULT_ACCOUNT};
use crate::backend::{PrincipalKind, Tags};

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn doc(v: Option<&Value>) -> Value {
    v.and_then(iamctl_policy::account::snapshot_document)
        .unwrap_or(Value::Null)
}

fn tags_json(tags: &Tags) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

fn last(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn attached_json(p: &Principal) -> Value {
    Value::Array(
        p.attached
            .iter()
            .map(|arn| json!({"PolicyName": last(arn), "PolicyArn": arn}))
            .collect(),
    )
}

fn inline_json(p: &Principal) -> Value {
    Value::Array(
        p.inline
            .iter()
            .map(|(name, d)| json!({"PolicyName": name, "PolicyDocument": d}))
            .collect(),
    )
}

fn boundary_json(m: &mut Map<String, Value>, p: &Principal) {
    if let Some(b) = &p.boundary {
        m.insert(
            "PermissionsBoundary".into(),
            json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b}),
        );
    }
}

/// The account in GetAccountAuthorizationDetails' shape: every user, group,
/// role and customer-managed policy, and the AWS-managed policies attached
/// (or used as a boundary, or listed in the snapshot it was seeded from).
pub(crate) fn write(a: &MemoryAccount) -> Value {
    let users: Vec<Value> = a
        .users
        .values()
        .map(|u| {
            let mut m = Map::new();
            m.insert("Path".into(), json!(u.path));
            m.insert("UserName".into(), json!(u.name));
            m.insert("UserId".into(), json!(u.id));
            m.insert(
                "Arn".into(),
                json!(a.principal_arn(PrincipalKind::User, &u.path, &u.name)),
            );
            m.insert("CreateDate".into(), json!(u.created));
            m.insert("UserPolicyList".into(), inline_json(u));
            m.insert("GroupList".into(), json!(u.groups));
            m.insert("AttachedManagedPolicies".into(), attached_json(u));
            boundary_json(&mut m, u);
            m.insert("Tags".into(), tags_json(&u.tags));
            Value::Object(m)
        })
        .collect();
    let groups: Vec<Value> = a
        .groups
        .values()
        .map(|g| {
            json!({
                "Path": g.path,
                "GroupName": g.name,
                "GroupId": g.id,
                "Arn": a.principal_arn(PrincipalKind::Group, &g.path, &g.name),
                "CreateDate": g.created,
                "GroupPolicyList": inline_json(g),
                "AttachedManagedPolicies": attached_json(g),
            })
        })
        .collect();
    let roles: Vec<Value> = a
        .roles
        .values()
        .map(|r| {
            let arn = a.principal_arn(PrincipalKind::Role, &r.path, &r.name);
            let mut m = Map::new();
            m.insert("Path".into(), json!(r.path));
            m.insert("RoleName".into(), json!(r.name));
            m.insert("RoleId".into(), json!(r.id));
            m.insert("Arn".into(), json!(arn));
            m.insert("CreateDate".into(), json!(r.created));
            if let Some(t) = &r.trust {
                m.insert("AssumeRolePolicyDocument".into(), t.clone());
            }
            m.insert(
                "InstanceProfileList".into(),
                Value::Array(
                    r.instance_profiles
                        .iter()
                        .map(|p| {
                            json!({
                                "Path": "/",
                                "InstanceProfileName": p,
                                "Arn": format!("arn:aws:iam::{}:instance-profile/{p}", a.account_id),
                                "Roles": [{"Path": r.path, "RoleName": r.name, "RoleId": r.id, "Arn": arn}],
                            })
                        })
                        .collect(),
                ),
            );
            m.insert("RolePolicyList".into(), inline_json(r));
            m.insert("AttachedManagedPolicies".into(), attached_json(r));
            boundary_json(&mut m, r);
            m.insert("Tags".into(), tags_json(&r.tags));
            Value::Object(m)
        })
        .collect();
    let policies: Vec<Value> = a
        .policies
        .values()
        .filter_map(|p| {
            let attachments = a.holders(&p.arn).len();
            let boundaries = a.boundary_users(&p.arn);
            if p.aws_managed
                && (p.versions.is_empty() || (attachments + boundaries == 0 && !p.listed))
            {
                return None;
            }
            let mut m = Map::new();
            m.insert("PolicyName".into(), json!(p.name));
            m.insert("PolicyId".into(), json!(p.id));
            m.insert("Arn".into(), json!(p.arn));
            m.insert("Path".into(), json!(p.path));
            m.insert("DefaultVersionId".into(), json!(p.default_version));
            m.insert("AttachmentCount".into(), json!(attachments));
            m.insert("PermissionsBoundaryUsageCount".into(), json!(boundaries));
            m.insert("IsAttachable".into(), json!(true));
            if let Some(d) = &p.description {
                m.insert("Description".into(), json!(d));
            }
            m.insert("CreateDate".into(), json!(p.created));
            m.insert("UpdateDate".into(), json!(p.updated));
            m.insert(
                "PolicyVersionList".into(),
                Value::Array(
                    p.versions
                        .iter()
                        .map(|v| {
                            json!({
                                "Document": v.document,
                                "VersionId": v.id,
                                "IsDefaultVersion": v.id == p.default_version,
                                "CreateDate": v.created,
                            })
                        })
                        .collect(),
                ),
            );
            Some(Value::Object(m))
        })
        .collect();
    json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    })
}

/// The account ID the ARNs of a snapshot name (not `aws`).
fn account_of(snapshot: &Value) -> Option<String> {
    [
        "UserDetailList",
        "RoleDetailList",
        "GroupDetailList",
        "Policies",
    ]
    .iter()
    .flat_map(|k| list(snapshot, k))
    .filter_map(|e| s(e, "Arn").split(':').nth(4))
    .find(|id| !id.is_empty() && *id != "aws")
    .map(str::to_owned)
}

fn version_number(id: &str) -> u32 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

fn path_of(v: &Value) -> String {
    match s(v, "Path") {
        "" => "/".to_owned(),
        p => p.to_owned(),
    }
}

/// A principal's fields common to every kind.
fn principal(
    a: &mut MemoryAccount,
    v: &Value,
    name_key: &str,
    inline_key: &str,
    id_prefix: &str,
) -> Principal {
    let created = match s(v, "CreateDate") {
        "" => a.tick(),
        d => d.to_owned(),
    };
    let id = match s(v, &format!("{}Id", name_key.trim_end_matches("Name"))) {
        "" => a.id(id_prefix),
        id => id.to_owned(),
    };
    Principal {
        name: s(v, name_key).to_owned(),
        path: path_of(v),
        id,
        created,
        tags: list(v, "Tags")
            .iter()
            .map(|t| (s(t, "Key").to_owned(), s(t, "Value").to_owned()))
            .collect(),
        boundary: v
            .get("PermissionsBoundary")
            .map(|b| s(b, "PermissionsBoundaryArn").to_owned())
            .filter(|b| !b.is_empty()),
        attached: list(v, "AttachedManagedPolicies")
            .iter()
            .map(|p| s(p, "PolicyArn").to_owned())
            .filter(|arn| !arn.is_empty())
            .collect(),
        inline: list(v, inline_key)
            .iter()
            .map(|p| (s(p, "PolicyName").to_owned(), doc(p.get("PolicyDocument"))))
            .collect(),
        ..Principal::default()
    }
}

/// An account holding what `snapshot` describes; `policy_tags` gives the
/// tags of customer-managed policies (GetAccountAuthorizationDetails has
/// none).
pub(crate) fn read(
    snapshot: &Value,
    account_id: Option<&str>,
    policy_tags: &HashMap<String, Tags>,
) -> MemoryAccount {
    let id = account_id
        .map(str::to_owned)
        .or_else(|| account_of(snapshot))
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
    let mut a = MemoryAccount::new(&id);
    for u in list(snapshot, "UserDetailList") {
        let mut p = principal(&mut a, u, "UserName", "UserPolicyList", "AIDA");
        p.groups = list(u, "GroupList")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        a.users.insert(p.name.clone(), p);
    }
    for g in list(snapshot, "GroupDetailList") {
        let mut p = principal(&mut a, g, "GroupName", "GroupPolicyList", "AGPA");
        p.tags.clear();
        p.boundary = None;
        a.groups.insert(p.name.clone(), p);
    }
    for r in list(snapshot, "RoleDetailList") {
        let mut p = principal(&mut a, r, "RoleName", "RolePolicyList", "AROA");
        p.trust = r.get("AssumeRolePolicyDocument").map(|d| doc(Some(d)));
        p.instance_profiles = list(r, "InstanceProfileList")
            .iter()
            .map(|i| s(i, "InstanceProfileName").to_owned())
            .filter(|n| !n.is_empty())
            .collect();
        a.roles.insert(p.name.clone(), p);
    }
    for p in list(snapshot, "Policies") {
        let arn = s(p, "Arn").to_owned();
        if arn.is_empty() {
            continue;
        }
        let mut versions: Vec<(bool, Version)> = list(p, "PolicyVersionList")
            .iter()
            .map(|v| {
                let created = match s(v, "CreateDate") {
                    "" => s(p, "CreateDate").to_owned(),
                    d => d.to_owned(),
                };
                (
                    v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true),
                    Version {
                        id: s(v, "VersionId").to_owned(),
                        document: doc(v.get("Document")),
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
            .or_else(|| Some(s(p, "DefaultVersionId").to_owned()).filter(|d| !d.is_empty()))
            .unwrap_or_else(|| "v1".to_owned());
        let next_version = versions
            .iter()
            .map(|(_, v)| version_number(&v.id))
            .max()
            .unwrap_or(1)
            + 1;
        let created = match s(p, "CreateDate") {
            "" => a.tick(),
            d => d.to_owned(),
        };
        let pid = match s(p, "PolicyId") {
            "" => a.id("ANPA"),
            id => id.to_owned(),
        };
        let aws_managed = arn.split(':').nth(4) == Some("aws");
        let name = match s(p, "PolicyName") {
            "" => last(&arn).to_owned(),
            n => n.to_owned(),
        };
        a.policies.insert(
            arn.clone(),
            ManagedPolicy {
                name,
                path: path_of(p),
                id: pid,
                updated: match s(p, "UpdateDate") {
                    "" => created.clone(),
                    d => d.to_owned(),
                },
                created,
                description: p
                    .get("Description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
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
