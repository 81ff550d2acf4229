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

/// A JSON string (`json!` would go through serde for each value: slow on
/// large accounts).
fn st(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// A JSON object of these fields, in this order.
fn obj<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn tags_json(tags: &Tags) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| obj([("Key", st(k)), ("Value", st(v))]))
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
            .map(|arn| obj([("PolicyName", st(last(arn))), ("PolicyArn", st(arn))]))
            .collect(),
    )
}

fn inline_json(p: &Principal) -> Value {
    Value::Array(
        p.inline
            .iter()
            .map(|(name, d)| obj([("PolicyName", st(name)), ("PolicyDocument", d.clone())]))
            .collect(),
    )
}

fn boundary_json(m: &mut Map<String, Value>, p: &Principal) {
    if let Some(b) = &p.boundary {
        m.insert(
            "PermissionsBoundary".into(),
            obj([
                ("PermissionsBoundaryType", st("Policy")),
                ("PermissionsBoundaryArn", st(b)),
            ]),
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
            m.insert("Path".into(), st(&u.path));
            m.insert("UserName".into(), st(&u.name));
            m.insert("UserId".into(), st(&u.id));
            m.insert(
                "Arn".into(),
                Value::String(a.principal_arn(PrincipalKind::User, &u.path, &u.name)),
            );
            m.insert("CreateDate".into(), st(&u.created));
            m.insert("UserPolicyList".into(), inline_json(u));
            m.insert(
                "GroupList".into(),
                Value::Array(u.groups.iter().map(|g| st(g)).collect()),
            );
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
            obj([
                ("Path", st(&g.path)),
                ("GroupName", st(&g.name)),
                ("GroupId", st(&g.id)),
                (
                    "Arn",
                    Value::String(a.principal_arn(PrincipalKind::Group, &g.path, &g.name)),
                ),
                ("CreateDate", st(&g.created)),
                ("GroupPolicyList", inline_json(g)),
                ("AttachedManagedPolicies", attached_json(g)),
            ])
        })
        .collect();
    let roles: Vec<Value> = a
        .roles
        .values()
        .map(|r| {
            let arn = a.principal_arn(PrincipalKind::Role, &r.path, &r.name);
            let mut m = Map::new();
            m.insert("Path".into(), st(&r.path));
            m.insert("RoleName".into(), st(&r.name));
            m.insert("RoleId".into(), st(&r.id));
            m.insert("Arn".into(), st(&arn));
            m.insert("CreateDate".into(), st(&r.created));
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
    let policies: Vec<Value> = a
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
            let mut m = Map::new();
            m.insert("PolicyName".into(), st(&p.name));
            m.insert("PolicyId".into(), st(&p.id));
            m.insert("Arn".into(), st(&p.arn));
            m.insert("Path".into(), st(&p.path));
            m.insert("DefaultVersionId".into(), st(&p.default_version));
            m.insert("AttachmentCount".into(), Value::from(attachments));
            m.insert(
                "PermissionsBoundaryUsageCount".into(),
                Value::from(boundaries),
            );
            m.insert("IsAttachable".into(), Value::Bool(true));
            if let Some(d) = &p.description {
                m.insert("Description".into(), st(d));
            }
            m.insert("CreateDate".into(), st(&p.created));
            m.insert("UpdateDate".into(), st(&p.updated));
            m.insert(
                "PolicyVersionList".into(),
                Value::Array(
                    p.versions
                        .iter()
                        .map(|v| {
                            obj([
                                ("Document", v.document.clone()),
                                ("VersionId", st(&v.id)),
                                ("IsDefaultVersion", Value::Bool(v.id == p.default_version)),
                                ("CreateDate", st(&v.created)),
                            ])
                        })
                        .collect(),
                ),
            );
            Some(Value::Object(m))
        })
        .collect();
    obj([
        ("UserDetailList", Value::Array(users)),
        ("GroupDetailList", Value::Array(groups)),
        ("RoleDetailList", Value::Array(roles)),
        ("Policies", Value::Array(policies)),
    ])
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
