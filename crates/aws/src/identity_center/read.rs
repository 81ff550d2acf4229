//! Reading an Identity Center instance: a bounded number of rounds, each
//! round's calls concurrent (at most [`CONCURRENCY`] in flight), with the
//! SDK's adaptive retry under Identity Center's request rate.
//!
//! Calls for an instance with S permission sets, G groups, and A (set,
//! account) provisionings: 1 (`ListInstances`, at connect) + pages of
//! `ListUsers`, `ListGroups`, `ListPermissionSets` + G pages of
//! `ListGroupMemberships` + 7 per set (describe, inline, managed,
//! customer-managed, boundary, tags, accounts) + A pages of
//! `ListAccountAssignments`.

use std::collections::BTreeSet;

use futures::{stream, StreamExt, TryStreamExt};
use iamctl_iac::identity_center::state::*;
use iamctl_iac::{BackendResult, ErrorKind as Kind};

use super::AwsIdentityCenter;

/// Calls in flight at once while reading.
pub const CONCURRENCY: usize = 8;

impl AwsIdentityCenter {
    pub(super) async fn read(&self) -> BackendResult<IdentityCenterState> {
        let (users, groups, sets) =
            futures::try_join!(self.users(), self.groups(), self.set_arns())?;
        // Owned ids: the futures must not borrow from the closure's argument
        // (async-trait's `Send` bound over higher-ranked lifetimes).
        let ids: Vec<String> = groups.iter().map(|g| g.group_id.clone()).collect();
        let memberships: Vec<Vec<IcMembership>> = stream::iter(ids)
            .map(|id| async move { self.memberships(&id).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let permission_sets: Vec<IcPermissionSet> = stream::iter(sets)
            .map(|arn| async move { self.permission_set(&arn).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let pairs: Vec<(String, String)> = permission_sets
            .iter()
            .flat_map(|s| s.provisioned_to.iter().map(|a| (s.arn.clone(), a.clone())))
            .collect();
        let assignments: Vec<Vec<IcAssignment>> = stream::iter(pairs)
            .map(|(arn, account)| async move { self.assignments(&arn, &account).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut permission_sets = permission_sets;
        permission_sets.sort_by(|a, b| a.name.cmp(&b.name));
        let mut assignments: Vec<IcAssignment> = assignments.into_iter().flatten().collect();
        assignments.sort();
        Ok(IdentityCenterState {
            instance_arn: self.instance_arn.clone(),
            identity_store_id: self.identity_store_id.clone(),
            users,
            groups,
            memberships: memberships.into_iter().flatten().collect(),
            permission_sets,
            assignments,
        })
    }

    async fn users(&self) -> BackendResult<Vec<IcUser>> {
        let items: Vec<aws_sdk_identitystore::types::User> = self
            .store
            .list_users()
            .identity_store_id(&self.identity_store_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.error("ListUsers", Kind::AlreadyExists, e))?;
        Ok(items
            .iter()
            .map(|u| IcUser {
                user_id: u.user_id().to_owned(),
                user_name: u.user_name().unwrap_or_default().to_owned(),
                display_name: u.display_name().map(str::to_owned),
                given_name: u.name().and_then(|n| n.given_name()).map(str::to_owned),
                family_name: u.name().and_then(|n| n.family_name()).map(str::to_owned),
                email: u
                    .emails()
                    .iter()
                    .find(|e| e.primary())
                    .or(u.emails().first())
                    .and_then(|e| e.value())
                    .map(str::to_owned),
                user_type: u.user_type().map(str::to_owned),
            })
            .collect())
    }

    async fn groups(&self) -> BackendResult<Vec<IcGroup>> {
        let items: Vec<aws_sdk_identitystore::types::Group> = self
            .store
            .list_groups()
            .identity_store_id(&self.identity_store_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.error("ListGroups", Kind::AlreadyExists, e))?;
        Ok(items
            .iter()
            .map(|g| IcGroup {
                group_id: g.group_id().to_owned(),
                display_name: g.display_name().unwrap_or_default().to_owned(),
                description: g.description().map(str::to_owned),
            })
            .collect())
    }

    async fn memberships(&self, group_id: &str) -> BackendResult<Vec<IcMembership>> {
        let items: Vec<aws_sdk_identitystore::types::GroupMembership> = self
            .store
            .list_group_memberships()
            .identity_store_id(&self.identity_store_id)
            .group_id(group_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.error("ListGroupMemberships", Kind::AlreadyExists, e))?;
        Ok(items
            .iter()
            .filter_map(|m| {
                let aws_sdk_identitystore::types::MemberId::UserId(user_id) = m.member_id()? else {
                    return None;
                };
                Some(IcMembership {
                    membership_id: m.membership_id().to_owned(),
                    group_id: group_id.to_owned(),
                    user_id: user_id.clone(),
                })
            })
            .collect())
    }

    async fn set_arns(&self) -> BackendResult<Vec<String>> {
        self.admin
            .list_permission_sets()
            .instance_arn(&self.instance_arn)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.error("ListPermissionSets", Kind::AlreadyExists, e))
    }

    /// A permission set with everything attached: seven calls at once.
    async fn permission_set(&self, arn: &str) -> BackendResult<IcPermissionSet> {
        let a = &self.admin;
        let i = self.instance_arn.as_str();
        let k = Kind::AlreadyExists;
        for _ in 0..7 {}
        let (described, inline, managed, customer, boundary, tags, accounts) = futures::join!(
            a.describe_permission_set()
                .instance_arn(i)
                .permission_set_arn(arn)
                .send(),
            a.get_inline_policy_for_permission_set()
                .instance_arn(i)
                .permission_set_arn(arn)
                .send(),
            a.list_managed_policies_in_permission_set()
                .instance_arn(i)
                .permission_set_arn(arn)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            a.list_customer_managed_policy_references_in_permission_set()
                .instance_arn(i)
                .permission_set_arn(arn)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            a.get_permissions_boundary_for_permission_set()
                .instance_arn(i)
                .permission_set_arn(arn)
                .send(),
            a.list_tags_for_resource()
                .instance_arn(i)
                .resource_arn(arn)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            a.list_accounts_for_provisioned_permission_set()
                .instance_arn(i)
                .permission_set_arn(arn)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        );
        let described = described.map_err(|e| self.error("DescribePermissionSet", k, e))?;
        let d = described.permission_set();
        let inline = inline.map_err(|e| self.error("GetInlinePolicyForPermissionSet", k, e))?;
        let managed =
            managed.map_err(|e| self.error("ListManagedPoliciesInPermissionSet", k, e))?;
        let customer = customer
            .map_err(|e| self.error("ListCustomerManagedPolicyReferencesInPermissionSet", k, e))?;
        let boundary = match boundary {
            Ok(b) => b.permissions_boundary().and_then(super::boundary_of),
            Err(e) => match self.error("GetPermissionsBoundaryForPermissionSet", k, e) {
                e if e.kind == Kind::NotFound => None,
                e => return Err(e),
            },
        };
        let tags = tags.map_err(|e| self.error("ListTagsForResource", k, e))?;
        let accounts =
            accounts.map_err(|e| self.error("ListAccountsForProvisionedPermissionSet", k, e))?;
        Ok(IcPermissionSet {
            arn: arn.to_owned(),
            name: d.and_then(|d| d.name()).unwrap_or_default().to_owned(),
            description: d.and_then(|d| d.description()).map(str::to_owned),
            session_duration: d.and_then(|d| d.session_duration()).map(str::to_owned),
            inline_policy: inline
                .inline_policy()
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            managed_policies: managed
                .iter()
                .filter_map(|m| m.arn())
                .map(str::to_owned)
                .collect(),
            customer_managed: customer
                .iter()
                .map(|r| CustomerManagedRef {
                    name: r.name().to_owned(),
                    path: r.path().unwrap_or("/").to_owned(),
                })
                .collect(),
            boundary,
            tags: tags
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
            provisioned_to: accounts.into_iter().collect::<BTreeSet<_>>(),
        })
    }

    async fn assignments(&self, arn: &str, account: &str) -> BackendResult<Vec<IcAssignment>> {
        let items: Vec<aws_sdk_ssoadmin::types::AccountAssignment> = self
            .admin
            .list_account_assignments()
            .instance_arn(&self.instance_arn)
            .account_id(account)
            .permission_set_arn(arn)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.error("ListAccountAssignments", Kind::AlreadyExists, e))?;
        Ok(items
            .iter()
            .filter_map(|x| {
                let principal_type = match x.principal_type()? {
                    aws_sdk_ssoadmin::types::PrincipalType::User => PrincipalType::User,
                    aws_sdk_ssoadmin::types::PrincipalType::Group => PrincipalType::Group,
                    _ => return None,
                };
                Some(IcAssignment {
                    account_id: x.account_id().unwrap_or(account).to_owned(),
                    permission_set_arn: x.permission_set_arn().unwrap_or(arn).to_owned(),
                    principal_type,
                    principal_id: x.principal_id()?.to_owned(),
                })
            })
            .collect())
    }
}
