//! The IaC engine's backend over the SDK: every [`IamBackend`] call is the
//! IAM call its doc names, through the clients' own retry (but
//! `create_policy_version`, one attempt), its [`AwsError`] mapped to an
//! [`ErrorKind`] with the message and help shown for it.

use std::time::Duration;

use async_trait::async_trait;
use iamctl_iac::backend::{
    AuthorizationDetails, BackendError, BackendResult, IamBackend, NewPolicy, NewRole as IacRole,
    PolicyVersion as IacVersion, PrincipalKind, Tags,
};
use miette::Diagnostic;
use serde_json::Value;

use crate::iam::{NewRole, NewUser};
use crate::{Aws, AwsError};

impl From<AwsError> for BackendError {
    fn from(e: AwsError) -> BackendError {
        let kind = e.kind();
        let help = e.help().map(|h| h.to_string());
        BackendError::new(kind, e.to_string()).with_help(help)
    }
}

use iamctl_policy::snapshot::{tag_list as tags_to, tags_map as tags_of};

/// IAM's maximum session duration fits an `i32` (at most 43,200 s).
fn seconds(d: Option<u32>) -> Option<i32> {
    d.map(|d| i32::try_from(d).unwrap_or(i32::MAX))
}

fn no_tags_on_groups(what: &str) -> BackendError {
    BackendError::new(
        crate::ErrorKind::InvalidInput,
        format!("IAM groups take no tags (`{what}`)"),
    )
}

#[async_trait]
impl IamBackend for Aws {
    async fn authorization_details(&self) -> BackendResult<AuthorizationDetails> {
        let s = Aws::authorization_details(self, true).await?;
        Ok(AuthorizationDetails {
            document: s.document,
            pages: s.pages,
        })
    }

    async fn policy_tags(&self, arn: &str) -> BackendResult<Tags> {
        Ok(tags_of(&self.list_policy_tags(arn).await?))
    }

    async fn policy_document(&self, arn: &str) -> BackendResult<Value> {
        let p = self.get_policy(arn).await?;
        let v = self.get_policy_version(arn, &p.default_version_id).await?;
        Ok(v.document.unwrap_or(Value::Null))
    }

    async fn principal_tags(&self, kind: PrincipalKind, name: &str) -> BackendResult<Tags> {
        Ok(match kind {
            PrincipalKind::User => tags_of(&self.get_user(name).await?.tags),
            PrincipalKind::Role => tags_of(&self.get_role(name).await?.tags),
            PrincipalKind::Group => {
                self.check_group(name).await?;
                Tags::new()
            }
        })
    }

    async fn create_policy(&self, p: &NewPolicy<'_>) -> BackendResult<()> {
        Aws::create_policy(
            self,
            p.name,
            Some(p.path),
            p.document,
            p.description,
            &tags_to(p.tags),
        )
        .await?;
        Ok(())
    }

    async fn list_policy_versions(&self, arn: &str) -> BackendResult<Vec<IacVersion>> {
        Ok(Aws::list_policy_versions(self, arn)
            .await?
            .into_iter()
            .map(|v| IacVersion {
                version_id: v.version_id,
                is_default_version: v.is_default_version,
            })
            .collect())
    }

    async fn policy_version_document(&self, arn: &str, version: &str) -> BackendResult<Value> {
        let v = self.get_policy_version(arn, version).await?;
        Ok(v.document.unwrap_or(Value::Null))
    }

    async fn create_policy_version(&self, arn: &str, document: &str) -> BackendResult<()> {
        self.create_policy_version_once(arn, document, true).await?;
        Ok(())
    }

    async fn set_default_policy_version(&self, arn: &str, version: &str) -> BackendResult<()> {
        Ok(Aws::set_default_policy_version(self, arn, version).await?)
    }

    async fn delete_policy_version(&self, arn: &str, version: &str) -> BackendResult<()> {
        Ok(Aws::delete_policy_version(self, arn, version).await?)
    }

    async fn delete_policy(&self, arn: &str) -> BackendResult<()> {
        Ok(Aws::delete_policy(self, arn).await?)
    }

    async fn tag_policy(&self, arn: &str, tags: &Tags) -> BackendResult<()> {
        Ok(Aws::tag_policy(self, arn, &tags_to(tags)).await?)
    }

    async fn untag_policy(&self, arn: &str, keys: &[String]) -> BackendResult<()> {
        Ok(Aws::untag_policy(self, arn, keys).await?)
    }

    async fn policy_holders(&self, arn: &str) -> BackendResult<Vec<(PrincipalKind, String)>> {
        let e = self.list_entities_for_policy(arn).await?;
        let of =
            |kind: PrincipalKind, names: Vec<String>| names.into_iter().map(move |n| (kind, n));
        Ok(of(PrincipalKind::User, e.users)
            .chain(of(PrincipalKind::Group, e.groups))
            .chain(of(PrincipalKind::Role, e.roles))
            .collect())
    }

    async fn create_user(&self, name: &str, path: &str, tags: &Tags) -> BackendResult<()> {
        Aws::create_user(
            self,
            &NewUser {
                name,
                path: Some(path),
                tags: &tags_to(tags),
                boundary: None,
            },
        )
        .await?;
        Ok(())
    }

    async fn create_role(&self, r: &IacRole<'_>) -> BackendResult<()> {
        Aws::create_role(
            self,
            &NewRole {
                name: r.name,
                path: Some(r.path),
                trust_policy: r.trust,
                description: r.description,
                max_session_duration: seconds(r.max_session_duration),
                tags: &tags_to(r.tags),
                boundary: None,
            },
        )
        .await?;
        Ok(())
    }

    async fn create_group(&self, name: &str, path: &str) -> BackendResult<()> {
        Aws::create_group(self, name, Some(path)).await?;
        Ok(())
    }

    async fn update_path(&self, kind: PrincipalKind, name: &str, path: &str) -> BackendResult<()> {
        match kind {
            PrincipalKind::User => Ok(self.update_user(name, None, Some(path)).await?),
            PrincipalKind::Group => Ok(self.update_group_path(name, path).await?),
            PrincipalKind::Role => Err(BackendError::new(
                crate::ErrorKind::InvalidInput,
                format!("the path of role `{name}` cannot change"),
            )),
        }
    }

    async fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> BackendResult<()> {
        Ok(Aws::update_role(self, name, description, seconds(max_session_duration)).await?)
    }

    async fn update_trust(&self, name: &str, trust: &str) -> BackendResult<()> {
        Ok(Aws::update_trust(self, name, trust).await?)
    }

    async fn tag(&self, kind: PrincipalKind, name: &str, tags: &Tags) -> BackendResult<()> {
        match kind {
            PrincipalKind::User => Ok(self.tag_user(name, &tags_to(tags)).await?),
            PrincipalKind::Role => Ok(self.tag_role(name, &tags_to(tags)).await?),
            PrincipalKind::Group => Err(no_tags_on_groups(name)),
        }
    }

    async fn untag(&self, kind: PrincipalKind, name: &str, keys: &[String]) -> BackendResult<()> {
        match kind {
            PrincipalKind::User => Ok(self.untag_user(name, keys).await?),
            PrincipalKind::Role => Ok(self.untag_role(name, keys).await?),
            PrincipalKind::Group => Err(no_tags_on_groups(name)),
        }
    }

    async fn put_boundary(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        match kind {
            PrincipalKind::User => Ok(self.put_user_permissions_boundary(name, arn).await?),
            PrincipalKind::Role => Ok(self.put_role_permissions_boundary(name, arn).await?),
            PrincipalKind::Group => Err(BackendError::new(
                crate::ErrorKind::InvalidInput,
                format!("group `{name}` cannot have a permissions boundary"),
            )),
        }
    }

    async fn delete_boundary(&self, kind: PrincipalKind, name: &str) -> BackendResult<()> {
        match kind {
            PrincipalKind::User => Ok(self.delete_user_permissions_boundary(name).await?),
            PrincipalKind::Role => Ok(self.delete_role_permissions_boundary(name).await?),
            PrincipalKind::Group => Err(BackendError::new(
                crate::ErrorKind::InvalidInput,
                format!("group `{name}` cannot have a permissions boundary"),
            )),
        }
    }

    async fn add_member(&self, group: &str, user: &str) -> BackendResult<()> {
        Ok(self.add_user_to_group(group, user).await?)
    }

    async fn remove_member(&self, group: &str, user: &str) -> BackendResult<()> {
        Ok(self.remove_user_from_group(group, user).await?)
    }

    async fn group_members(&self, group: &str) -> BackendResult<Vec<String>> {
        let (_, users) = self.get_group(group).await?;
        Ok(users.into_iter().map(|u| u.user_name).collect())
    }

    async fn attach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        Ok(self.attach_policy(kind, name, arn).await?)
    }

    async fn detach(&self, kind: PrincipalKind, name: &str, arn: &str) -> BackendResult<()> {
        Ok(self.detach_policy(kind, name, arn).await?)
    }

    async fn list_attached(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        Ok(Aws::list_attached(self, kind, name)
            .await?
            .into_iter()
            .map(|a| a.policy_arn)
            .collect())
    }

    async fn put_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
        document: &str,
    ) -> BackendResult<()> {
        Ok(self.put_inline_policy(kind, name, policy, document).await?)
    }

    async fn delete_inline(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> BackendResult<()> {
        Ok(self.delete_inline_policy(kind, name, policy).await?)
    }

    async fn list_inline(&self, kind: PrincipalKind, name: &str) -> BackendResult<Vec<String>> {
        Ok(self.list_inline_policies(kind, name).await?)
    }

    async fn remove_user_dependents(&self, name: &str) -> BackendResult<()> {
        let deps = self.user_dependents(name).await?;
        Ok(Aws::remove_user_dependents(self, name, &deps).await?)
    }

    async fn delete_user(&self, name: &str) -> BackendResult<()> {
        Ok(Aws::delete_user(self, name).await?)
    }

    async fn instance_profiles_for_role(&self, role: &str) -> BackendResult<Vec<String>> {
        Ok(Aws::instance_profiles_for_role(self, role).await?)
    }

    async fn remove_from_instance_profile(&self, role: &str, profile: &str) -> BackendResult<()> {
        Ok(self.remove_instance_profile(role, profile).await?)
    }

    async fn delete_role(&self, name: &str) -> BackendResult<()> {
        Ok(Aws::delete_role(self, name).await?)
    }

    async fn delete_group(&self, name: &str) -> BackendResult<()> {
        Ok(Aws::delete_group(self, name).await?)
    }

    async fn pause(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    fn retried_attempts(&self) -> u32 {
        Aws::retried_attempts(self)
    }
}
