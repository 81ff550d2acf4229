//! `GetAccountAuthorizationDetails`, every page, as one JSON document in the shape
//! `aws iam get-account-authorization-details` prints (policy documents decoded).

use crate::error::{classify, AwsError, Entity};
use crate::{date, decode_document, Aws};
use aws_sdk_iam::types as t;
use serde_json::{json, Map, Value};

fn put<V: Into<Value>>(m: &mut Map<String, Value>, k: &str, v: Option<V>) {
    if let Some(v) = v {
        m.insert(k.to_string(), v.into());
    }
}

fn tags(ts: &[t::Tag]) -> Value {
    Value::Array(
        ts.iter()
            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
            .collect(),
    )
}

fn attached(ps: &[t::AttachedPolicy]) -> Value {
    Value::Array(
        ps.iter()
            .map(|p| json!({"PolicyName": p.policy_name(), "PolicyArn": p.policy_arn()}))
            .collect(),
    )
}

fn inline(ps: &[t::PolicyDetail]) -> Value {
    Value::Array(
        ps.iter()
            .map(|p| {
                json!({
                    "PolicyName": p.policy_name(),
                    "PolicyDocument": p.policy_document().map(decode_document),
                })
            })
            .collect(),
    )
}

fn boundary(b: Option<&t::AttachedPermissionsBoundary>) -> Option<Value> {
    b.map(|b| {
        json!({
            "PermissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str()),
            "PermissionsBoundaryArn": b.permissions_boundary_arn(),
        })
    })
}

fn user(u: &t::UserDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", u.path());
    put(&mut m, "UserName", u.user_name());
    put(&mut m, "UserId", u.user_id());
    put(&mut m, "Arn", u.arn());
    put(&mut m, "CreateDate", u.create_date().map(date));
    m.insert("UserPolicyList".into(), inline(u.user_policy_list()));
    m.insert("GroupList".into(), json!(u.group_list()));
    m.insert(
        "AttachedManagedPolicies".into(),
        attached(u.attached_managed_policies()),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        boundary(u.permissions_boundary()),
    );
    m.insert("Tags".into(), tags(u.tags()));
    Value::Object(m)
}

fn group(g: &t::GroupDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", g.path());
    put(&mut m, "GroupName", g.group_name());
    put(&mut m, "GroupId", g.group_id());
    put(&mut m, "Arn", g.arn());
    put(&mut m, "CreateDate", g.create_date().map(date));
    m.insert("GroupPolicyList".into(), inline(g.group_policy_list()));
    m.insert(
        "AttachedManagedPolicies".into(),
        attached(g.attached_managed_policies()),
    );
    Value::Object(m)
}

fn instance_profile(p: &t::InstanceProfile) -> Value {
    json!({
        "Path": p.path(),
        "InstanceProfileName": p.instance_profile_name(),
        "InstanceProfileId": p.instance_profile_id(),
        "Arn": p.arn(),
        "CreateDate": date(p.create_date()),
        "Roles": p.roles().iter().map(|r| json!({
            "Path": r.path(), "RoleName": r.role_name(), "RoleId": r.role_id(), "Arn": r.arn(),
            "CreateDate": date(r.create_date()),
            "AssumeRolePolicyDocument": r.assume_role_policy_document().map(decode_document),
        })).collect::<Vec<_>>(),
    })
}

fn role(r: &t::RoleDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", r.path());
    put(&mut m, "RoleName", r.role_name());
    put(&mut m, "RoleId", r.role_id());
    put(&mut m, "Arn", r.arn());
    put(&mut m, "CreateDate", r.create_date().map(date));
    put(
        &mut m,
        "AssumeRolePolicyDocument",
        r.assume_role_policy_document().map(decode_document),
    );
    m.insert(
        "InstanceProfileList".into(),
        Value::Array(
            r.instance_profile_list()
                .iter()
                .map(instance_profile)
                .collect(),
        ),
    );
    m.insert("RolePolicyList".into(), inline(r.role_policy_list()));
    m.insert(
        "AttachedManagedPolicies".into(),
        attached(r.attached_managed_policies()),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        boundary(r.permissions_boundary()),
    );
    m.insert("Tags".into(), tags(r.tags()));
    if let Some(lu) = r.role_last_used() {
        let mut l = Map::new();
        put(&mut l, "LastUsedDate", lu.last_used_date().map(date));
        put(&mut l, "Region", lu.region());
        m.insert("RoleLastUsed".into(), Value::Object(l));
    }
    Value::Object(m)
}

fn policy(p: &t::ManagedPolicyDetail) -> Value {
    let mut m = Map::new();
    // Some IAM look-alikes (moto) leave the name out; it is the ARN's last segment.
    let name = p
        .policy_name()
        .or_else(|| p.arn().and_then(|a| a.rsplit('/').next()));
    put(&mut m, "PolicyName", name);
    put(&mut m, "PolicyId", p.policy_id());
    put(&mut m, "Arn", p.arn());
    put(&mut m, "Path", p.path());
    put(&mut m, "DefaultVersionId", p.default_version_id());
    put(&mut m, "AttachmentCount", p.attachment_count());
    put(
        &mut m,
        "PermissionsBoundaryUsageCount",
        p.permissions_boundary_usage_count(),
    );
    m.insert("IsAttachable".into(), p.is_attachable().into());
    put(&mut m, "Description", p.description());
    put(&mut m, "CreateDate", p.create_date().map(date));
    put(&mut m, "UpdateDate", p.update_date().map(date));
    m.insert(
        "PolicyVersionList".into(),
        Value::Array(
            p.policy_version_list()
                .iter()
                .map(|v| {
                    let mut vm = Map::new();
                    put(&mut vm, "Document", v.document().map(decode_document));
                    put(&mut vm, "VersionId", v.version_id());
                    vm.insert("IsDefaultVersion".into(), v.is_default_version().into());
                    put(&mut vm, "CreateDate", v.create_date().map(date));
                    Value::Object(vm)
                })
                .collect(),
        ),
    );
    Value::Object(m)
}

/// AWS-managed policy ARNs that these users, groups or roles have attached or
/// use as permissions boundary, sorted.
fn attached_aws_policies<'a>(entities: impl Iterator<Item = &'a Value>) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for e in entities {
        for a in e["AttachedManagedPolicies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(arn) = a["PolicyArn"].as_str() {
                out.insert(arn.to_string());
            }
        }
        if let Some(arn) = e["PermissionsBoundary"]["PermissionsBoundaryArn"].as_str() {
            out.insert(arn.to_string());
        }
    }
    out.into_iter()
        .filter(|a| a.split(':').nth(4) == Some("aws"))
        .collect()
}

/// The whole account, and how many pages it took.
pub struct Snapshot {
    pub document: Value,
    pub pages: usize,
}

impl Aws {
    /// One AWS-managed policy in the snapshot's `Policies` shape, with its default
    /// version only.
    async fn aws_policy_detail(&self, arn: &str) -> Result<Value, AwsError> {
        let p = self.get_policy(arn).await?;
        let v = self.get_policy_version(arn, &p.default_version_id).await?;
        let mut m = Map::new();
        m.insert("PolicyName".into(), p.policy_name.into());
        m.insert("PolicyId".into(), p.policy_id.into());
        m.insert("Arn".into(), p.arn.into());
        m.insert("Path".into(), p.path.into());
        m.insert("DefaultVersionId".into(), p.default_version_id.into());
        m.insert("AttachmentCount".into(), p.attachment_count.into());
        m.insert("IsAttachable".into(), p.is_attachable.into());
        if let Some(d) = p.description {
            m.insert("Description".into(), d.into());
        }
        m.insert("CreateDate".into(), p.create_date.into());
        m.insert("UpdateDate".into(), p.update_date.into());
        m.insert(
            "PolicyVersionList".into(),
            json!([{
                "Document": v.document,
                "VersionId": v.version_id,
                "IsDefaultVersion": true,
                "CreateDate": v.create_date,
            }]),
        );
        Ok(Value::Object(m))
    }

    /// Read every page of `GetAccountAuthorizationDetails`. With `local_only`,
    /// AWS-managed policies are left out of `Policies` (they are the same in every
    /// account and make up most of the bytes), except those attached to a user,
    /// group or role or used as a permissions boundary, read with GetPolicy and
    /// GetPolicyVersion (default version only): the snapshot stays complete for
    /// analysing the account.
    pub async fn authorization_details(&self, local_only: bool) -> Result<Snapshot, AwsError> {
        let mut req = self.iam.get_account_authorization_details();
        if local_only {
            for f in [
                t::EntityType::User,
                t::EntityType::Group,
                t::EntityType::Role,
                t::EntityType::LocalManagedPolicy,
            ] {
                req = req.filter(f);
            }
        }
        let pages = req
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|err| {
                classify(
                    "iam:GetAccountAuthorizationDetails",
                    Entity::new("account", "authorization details"),
                    err,
                )
            })?;
        let mut users = Vec::new();
        let mut groups = Vec::new();
        let mut roles = Vec::new();
        let mut policies = Vec::new();
        for p in &pages {
            users.extend(p.user_detail_list().iter().map(user));
            groups.extend(p.group_detail_list().iter().map(group));
            roles.extend(p.role_detail_list().iter().map(role));
            policies.extend(p.policies().iter().map(policy));
        }
        if local_only {
            let have: std::collections::BTreeSet<String> = policies
                .iter()
                .filter_map(|p| p["Arn"].as_str().map(str::to_string))
                .collect();
            let wanted = attached_aws_policies(users.iter().chain(&groups).chain(&roles))
                .into_iter()
                .filter(|a| !have.contains(a))
                .collect::<Vec<_>>();
            use futures::StreamExt;
            let fetched: Vec<Result<Value, AwsError>> = futures::stream::iter(wanted)
                .map(|arn| async move { self.aws_policy_detail(&arn).await })
                .buffered(8)
                .collect()
                .await;
            for f in fetched {
                policies.push(f?);
            }
        }
        Ok(Snapshot {
            document: json!({
                "UserDetailList": users,
                "GroupDetailList": groups,
                "RoleDetailList": roles,
                "Policies": policies,
            }),
            pages: pages.len(),
        })
    }
}
