//! `GetAccountAuthorizationDetails`, every page, as one typed [`Snapshot`]
//! in the shape `aws iam get-account-authorization-details` prints (policy
//! documents decoded).

use crate::error::{classify, AwsError, Entity};
use crate::{date, decode_document, Aws};
use aws_sdk_iam::types as t;
use iamctl_policy::snapshot as gaad;
use iamctl_policy::snapshot::Document;

fn own(s: Option<&str>) -> String {
    s.unwrap_or_default().to_owned()
}

fn doc(raw: Option<&str>) -> Option<Document> {
    raw.map(|r| Document::new(decode_document(r)))
}

fn tags(ts: &[t::Tag]) -> Vec<gaad::Tag> {
    ts.iter()
        .map(|t| gaad::Tag {
            key: t.key().to_owned(),
            value: t.value().to_owned(),
        })
        .collect()
}

fn attached(ps: &[t::AttachedPolicy]) -> Vec<gaad::AttachedPolicy> {
    ps.iter()
        .map(|p| gaad::AttachedPolicy {
            policy_name: p.policy_name().map(str::to_owned),
            policy_arn: own(p.policy_arn()),
        })
        .collect()
}

fn inline(ps: &[t::PolicyDetail]) -> Vec<gaad::InlinePolicy> {
    ps.iter()
        .map(|p| gaad::InlinePolicy {
            policy_name: own(p.policy_name()),
            policy_document: doc(p.policy_document()),
        })
        .collect()
}

fn boundary(b: Option<&t::AttachedPermissionsBoundary>) -> Option<gaad::Boundary> {
    b.map(|b| gaad::Boundary {
        permissions_boundary_type: b.permissions_boundary_type().map(|t| t.as_str().to_owned()),
        permissions_boundary_arn: own(b.permissions_boundary_arn()),
    })
}

fn user(u: &t::UserDetail) -> gaad::User {
    gaad::User {
        path: own(u.path()),
        user_name: own(u.user_name()),
        user_id: u.user_id().map(str::to_owned),
        arn: own(u.arn()),
        create_date: u.create_date().map(date),
        user_policy_list: inline(u.user_policy_list()),
        group_list: u.group_list().to_vec(),
        attached_managed_policies: attached(u.attached_managed_policies()),
        permissions_boundary: boundary(u.permissions_boundary()),
        tags: tags(u.tags()),
    }
}

fn group(g: &t::GroupDetail) -> gaad::Group {
    gaad::Group {
        path: own(g.path()),
        group_name: own(g.group_name()),
        group_id: g.group_id().map(str::to_owned),
        arn: own(g.arn()),
        create_date: g.create_date().map(date),
        group_policy_list: inline(g.group_policy_list()),
        attached_managed_policies: attached(g.attached_managed_policies()),
    }
}

fn instance_profile(p: &t::InstanceProfile) -> gaad::InstanceProfile {
    gaad::InstanceProfile {
        path: p.path().to_owned(),
        instance_profile_name: p.instance_profile_name().to_owned(),
        instance_profile_id: Some(p.instance_profile_id().to_owned()),
        arn: p.arn().to_owned(),
        create_date: Some(date(p.create_date())),
        roles: p
            .roles()
            .iter()
            .map(|r| gaad::ProfileRole {
                path: r.path().to_owned(),
                role_name: r.role_name().to_owned(),
                role_id: Some(r.role_id().to_owned()),
                arn: r.arn().to_owned(),
                create_date: Some(date(r.create_date())),
                assume_role_policy_document: doc(r.assume_role_policy_document()),
            })
            .collect(),
    }
}

fn role(r: &t::RoleDetail) -> gaad::Role {
    gaad::Role {
        path: own(r.path()),
        role_name: own(r.role_name()),
        role_id: r.role_id().map(str::to_owned),
        arn: own(r.arn()),
        create_date: r.create_date().map(date),
        assume_role_policy_document: doc(r.assume_role_policy_document()),
        instance_profile_list: r
            .instance_profile_list()
            .iter()
            .map(instance_profile)
            .collect(),
        role_policy_list: inline(r.role_policy_list()),
        attached_managed_policies: attached(r.attached_managed_policies()),
        permissions_boundary: boundary(r.permissions_boundary()),
        tags: tags(r.tags()),
        role_last_used: r.role_last_used().map(|lu| gaad::RoleLastUsed {
            last_used_date: lu.last_used_date().map(date),
            region: lu.region().map(str::to_owned),
        }),
    }
}

fn policy(p: &t::ManagedPolicyDetail) -> gaad::ManagedPolicy {
    // Some IAM look-alikes (moto) leave the name out; it is the ARN's last segment.
    let name = p
        .policy_name()
        .or_else(|| p.arn().and_then(|a| a.rsplit('/').next()));
    gaad::ManagedPolicy {
        policy_name: own(name),
        policy_id: p.policy_id().map(str::to_owned),
        arn: own(p.arn()),
        path: own(p.path()),
        default_version_id: p.default_version_id().map(str::to_owned),
        attachment_count: p.attachment_count().map(i64::from),
        permissions_boundary_usage_count: p.permissions_boundary_usage_count().map(i64::from),
        is_attachable: p.is_attachable(),
        description: p.description().map(str::to_owned),
        create_date: p.create_date().map(date),
        update_date: p.update_date().map(date),
        policy_version_list: p
            .policy_version_list()
            .iter()
            .map(|v| gaad::PolicyVersion {
                document: doc(v.document()),
                version_id: own(v.version_id()),
                is_default_version: v.is_default_version(),
                create_date: v.create_date().map(date),
            })
            .collect(),
    }
}

/// The whole account, and how many pages it took.
pub struct Snapshot {
    pub document: gaad::Snapshot,
    pub pages: usize,
}

impl Aws {
    /// One AWS-managed policy in the snapshot's `Policies` shape, with its default
    /// version only.
    async fn aws_policy_detail(&self, arn: &str) -> Result<gaad::ManagedPolicy, AwsError> {
        let p = self.get_policy(arn).await?;
        let v = self.get_policy_version(arn, &p.default_version_id).await?;
        Ok(gaad::ManagedPolicy {
            policy_name: p.policy_name,
            policy_id: Some(p.policy_id),
            arn: p.arn,
            path: p.path,
            default_version_id: Some(p.default_version_id),
            attachment_count: Some(i64::from(p.attachment_count)),
            permissions_boundary_usage_count: None,
            is_attachable: p.is_attachable,
            description: p.description,
            create_date: Some(p.create_date),
            update_date: Some(p.update_date),
            policy_version_list: vec![gaad::PolicyVersion {
                document: v.document.map(Document::new),
                version_id: v.version_id,
                is_default_version: true,
                create_date: Some(v.create_date),
            }],
        })
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
        let mut document = gaad::Snapshot::new();
        for p in &pages {
            let d = &mut document;
            d.user_detail_list
                .extend(p.user_detail_list().iter().map(user));
            d.group_detail_list
                .extend(p.group_detail_list().iter().map(group));
            d.role_detail_list
                .extend(p.role_detail_list().iter().map(role));
            d.policies.extend(p.policies().iter().map(policy));
        }
        if local_only {
            // AWS-managed policies attached (or used as a boundary) that
            // the filtered read left out.
            let wanted = document
                .missing_policies()
                .into_iter()
                .filter(|a| a.split(':').nth(4) == Some("aws"))
                .collect::<Vec<_>>();
            use futures::StreamExt;
            let fetched: Vec<Result<gaad::ManagedPolicy, AwsError>> = futures::stream::iter(wanted)
                .map(|arn| async move { self.aws_policy_detail(&arn).await })
                .buffered(8)
                .collect()
                .await;
            for f in fetched {
                document.policies.push(f?);
            }
        }
        Ok(Snapshot {
            document,
            pages: pages.len(),
        })
    }
}
