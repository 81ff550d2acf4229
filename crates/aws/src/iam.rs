//! IAM operations, one method per thing a command needs, in iamctl's own types.
//! Get*/Create* answers carry the entity's tags, so no ListTags call follows them.

use crate::error::{classify, AwsError, Entity};
use crate::types::*;
use crate::{date, decode_document, opt_date, Aws};
use aws_sdk_iam::types as t;

fn ent(kind: &'static str, name: impl Into<String>) -> Entity {
    Entity::new(kind, name)
}

/// `map_err` adapter: `.map_err(e("iam:GetUser", ent("user", name)))`.
fn e<E, R>(
    action: &'static str,
    entity: Entity,
) -> impl FnOnce(aws_sdk_iam::error::SdkError<E, R>) -> AwsError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |err| classify(action, entity, err)
}

fn tags_from(tags: &[t::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: t.key().to_string(),
            value: t.value().to_string(),
        })
        .collect()
}

fn tags_to(tags: &[Tag]) -> Option<Vec<t::Tag>> {
    if tags.is_empty() {
        return None;
    }
    Some(
        tags.iter()
            .filter_map(|t| t::Tag::builder().key(&t.key).value(&t.value).build().ok())
            .collect(),
    )
}

fn user_from(u: &t::User) -> User {
    User {
        user_name: u.user_name().to_string(),
        user_id: u.user_id().to_string(),
        arn: u.arn().to_string(),
        path: u.path().to_string(),
        create_date: date(u.create_date()),
        password_last_used: u.password_last_used().map(date),
        permissions_boundary: u
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        tags: tags_from(u.tags()),
    }
}

fn role_from(r: &t::Role) -> Role {
    Role {
        role_name: r.role_name().to_string(),
        role_id: r.role_id().to_string(),
        arn: r.arn().to_string(),
        path: r.path().to_string(),
        create_date: date(r.create_date()),
        description: r.description().map(str::to_string),
        max_session_duration: r.max_session_duration(),
        assume_role_policy_document: r.assume_role_policy_document().map(decode_document),
        permissions_boundary: r
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        tags: tags_from(r.tags()),
    }
}

fn group_from(g: &t::Group) -> Group {
    Group {
        group_name: g.group_name().to_string(),
        group_id: g.group_id().to_string(),
        arn: g.arn().to_string(),
        path: g.path().to_string(),
        create_date: date(g.create_date()),
    }
}

fn policy_from(p: &t::Policy) -> Policy {
    Policy {
        policy_name: p.policy_name().unwrap_or_default().to_string(),
        policy_id: p.policy_id().unwrap_or_default().to_string(),
        arn: p.arn().unwrap_or_default().to_string(),
        path: p.path().unwrap_or("/").to_string(),
        default_version_id: p.default_version_id().unwrap_or_default().to_string(),
        attachment_count: p.attachment_count().unwrap_or(0),
        is_attachable: p.is_attachable(),
        description: p.description().map(str::to_string),
        create_date: opt_date(p.create_date()),
        update_date: opt_date(p.update_date()),
        tags: tags_from(p.tags()),
    }
}

fn version_from(v: &t::PolicyVersion) -> PolicyVersion {
    PolicyVersion {
        version_id: v.version_id().unwrap_or_default().to_string(),
        is_default_version: v.is_default_version(),
        create_date: opt_date(v.create_date()),
        document: v.document().map(decode_document),
    }
}

fn attached_from(a: &t::AttachedPolicy) -> AttachedPolicy {
    AttachedPolicy {
        policy_name: a.policy_name().unwrap_or_default().to_string(),
        policy_arn: a.policy_arn().unwrap_or_default().to_string(),
    }
}

/// Options of `CreateUser`.
#[derive(Debug, Clone, Default)]
pub struct NewUser<'a> {
    pub name: &'a str,
    pub path: Option<&'a str>,
    pub tags: &'a [Tag],
    pub boundary: Option<&'a str>,
}

/// Options of `CreateRole`.
#[derive(Debug, Clone, Default)]
pub struct NewRole<'a> {
    pub name: &'a str,
    pub path: Option<&'a str>,
    pub trust_policy: &'a str,
    pub description: Option<&'a str>,
    pub max_session_duration: Option<i32>,
    pub tags: &'a [Tag],
    pub boundary: Option<&'a str>,
}

impl Aws {
    // ---- users -------------------------------------------------------------

    pub async fn create_user(&self, u: &NewUser<'_>) -> Result<User, AwsError> {
        let out = self
            .iam
            .create_user()
            .user_name(u.name)
            .set_path(u.path.map(str::to_string))
            .set_tags(tags_to(u.tags))
            .set_permissions_boundary(u.boundary.map(str::to_string))
            .send()
            .await
            .map_err(e("iam:CreateUser", ent("user", u.name)))?;
        let user = out
            .user()
            .map(user_from)
            .ok_or_else(|| missing("iam:CreateUser", "user", u.name))?;
        Ok(user)
    }

    pub async fn get_user(&self, name: &str) -> Result<User, AwsError> {
        let out = self
            .iam
            .get_user()
            .user_name(name)
            .send()
            .await
            .map_err(e("iam:GetUser", ent("user", name)))?;
        let user = out
            .user()
            .map(user_from)
            .ok_or_else(|| missing("iam:GetUser", "user", name))?;
        Ok(user)
    }

    pub async fn list_user_tags(&self, name: &str) -> Result<Vec<Tag>, AwsError> {
        let tags = self
            .iam
            .list_user_tags()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListUserTags", ent("user", name)))?;
        Ok(tags_from(&tags))
    }

    pub async fn tag_user(&self, name: &str, tags: &[Tag]) -> Result<(), AwsError> {
        self.iam
            .tag_user()
            .user_name(name)
            .set_tags(tags_to(tags))
            .send()
            .await
            .map_err(e("iam:TagUser", ent("user", name)))?;
        Ok(())
    }

    pub async fn list_users(&self, path_prefix: Option<&str>) -> Result<Vec<User>, AwsError> {
        let users = self
            .iam
            .list_users()
            .set_path_prefix(path_prefix.map(str::to_string))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListUsers", ent("account", "users")))?;
        Ok(users.iter().map(user_from).collect())
    }

    pub async fn update_user(
        &self,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), AwsError> {
        self.iam
            .update_user()
            .user_name(name)
            .set_new_user_name(new_name.map(str::to_string))
            .set_new_path(new_path.map(str::to_string))
            .send()
            .await
            .map_err(e("iam:UpdateUser", ent("user", name)))?;
        Ok(())
    }

    pub async fn delete_user(&self, name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_user()
            .user_name(name)
            .send()
            .await
            .map_err(e("iam:DeleteUser", ent("user", name)))?;
        Ok(())
    }

    pub async fn put_user_permissions_boundary(
        &self,
        name: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        self.iam
            .put_user_permissions_boundary()
            .user_name(name)
            .permissions_boundary(arn)
            .send()
            .await
            .map_err(e("iam:PutUserPermissionsBoundary", ent("user", name)))?;
        Ok(())
    }

    pub async fn delete_user_permissions_boundary(&self, name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_user_permissions_boundary()
            .user_name(name)
            .send()
            .await
            .map_err(e("iam:DeleteUserPermissionsBoundary", ent("user", name)))?;
        Ok(())
    }

    pub async fn put_role_permissions_boundary(
        &self,
        name: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        self.iam
            .put_role_permissions_boundary()
            .role_name(name)
            .permissions_boundary(arn)
            .send()
            .await
            .map_err(e("iam:PutRolePermissionsBoundary", ent("role", name)))?;
        Ok(())
    }

    pub async fn delete_role_permissions_boundary(&self, name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_role_permissions_boundary()
            .role_name(name)
            .send()
            .await
            .map_err(e("iam:DeleteRolePermissionsBoundary", ent("role", name)))?;
        Ok(())
    }

    pub async fn tag_role(&self, name: &str, tags: &[Tag]) -> Result<(), AwsError> {
        self.iam
            .tag_role()
            .role_name(name)
            .set_tags(tags_to(tags))
            .send()
            .await
            .map_err(e("iam:TagRole", ent("role", name)))?;
        Ok(())
    }

    pub async fn tag_policy(&self, arn: &str, tags: &[Tag]) -> Result<(), AwsError> {
        self.iam
            .tag_policy()
            .policy_arn(arn)
            .set_tags(tags_to(tags))
            .send()
            .await
            .map_err(e("iam:TagPolicy", ent("policy", arn)))?;
        Ok(())
    }

    /// UntagUser, UntagRole, UntagPolicy: for IAM as code, which removes the
    /// tags the configuration no longer gives.
    pub async fn untag_user(&self, name: &str, keys: &[String]) -> Result<(), AwsError> {
        self.iam
            .untag_user()
            .user_name(name)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(e("iam:UntagUser", ent("user", name)))?;
        Ok(())
    }

    pub async fn untag_role(&self, name: &str, keys: &[String]) -> Result<(), AwsError> {
        self.iam
            .untag_role()
            .role_name(name)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(e("iam:UntagRole", ent("role", name)))?;
        Ok(())
    }

    pub async fn untag_policy(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.iam
            .untag_policy()
            .policy_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(e("iam:UntagPolicy", ent("policy", arn)))?;
        Ok(())
    }

    /// UpdateRole: description and maximum session duration (IAM as code).
    pub async fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<i32>,
    ) -> Result<(), AwsError> {
        self.iam
            .update_role()
            .role_name(name)
            .description(description.unwrap_or(""))
            .set_max_session_duration(Some(max_session_duration.unwrap_or(3600)))
            .send()
            .await
            .map_err(e("iam:UpdateRole", ent("role", name)))?;
        Ok(())
    }

    /// UpdateGroup with a new path (IAM as code).
    pub async fn update_group_path(&self, name: &str, path: &str) -> Result<(), AwsError> {
        self.iam
            .update_group()
            .group_name(name)
            .new_path(path)
            .send()
            .await
            .map_err(e("iam:UpdateGroup", ent("group", name)))?;
        Ok(())
    }

    /// Everything attached to a user that blocks `DeleteUser`, read with the nine
    /// list calls running concurrently.
    pub async fn user_dependents(&self, name: &str) -> Result<UserDependents, AwsError> {
        let u = ent("user", name);
        let login_profile = async {
            match self.iam.get_login_profile().user_name(name).send().await {
                Ok(_) => Ok(true),
                Err(err) => {
                    let err = classify("iam:GetLoginProfile", u.clone(), err);
                    if err.is_not_found() {
                        Ok(false)
                    } else {
                        Err(err)
                    }
                }
            }
        };
        let mfa = async {
            let v = self
                .iam
                .list_mfa_devices()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListMFADevices", u.clone()))?;
            Ok(v.iter()
                .map(|m| m.serial_number().to_string())
                .collect::<Vec<_>>())
        };
        let ssh = async {
            let v = self
                .iam
                .list_ssh_public_keys()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListSSHPublicKeys", u.clone()))?;
            Ok(v.iter()
                .map(|k| k.ssh_public_key_id().to_string())
                .collect::<Vec<_>>())
        };
        let certs = async {
            let v = self
                .iam
                .list_signing_certificates()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListSigningCertificates", u.clone()))?;
            Ok(v.iter()
                .map(|c| c.certificate_id().to_string())
                .collect::<Vec<_>>())
        };
        // Sent with the normal retries (throttling, 5xx). Some IAM look-alikes
        // (moto) do not implement this call and answer a 5xx that is not an AWS
        // error document; only that answer is not retried (`NotAwsAnswer`).
        // When the call fails for a reason other than permissions or
        // throttling, go on: DeleteUser itself will then say DeleteConflict if
        // such credentials exist.
        let service_creds = async {
            match self
                .iam
                .list_service_specific_credentials()
                .user_name(name)
                .customize()
                .config_override(
                    aws_sdk_iam::config::Builder::default().retry_classifier(NotAwsAnswer),
                )
                .send()
                .await
            {
                Ok(out) => Ok(out
                    .service_specific_credentials()
                    .iter()
                    .map(|c| c.service_specific_credential_id().to_string())
                    .collect::<Vec<_>>()),
                Err(err) => {
                    let err = classify("iam:ListServiceSpecificCredentials", u.clone(), err);
                    if matches!(
                        err.kind(),
                        crate::ErrorKind::Other | crate::ErrorKind::Connection
                    ) {
                        tracing::info!(
                            "cannot list service-specific credentials of user `{name}`: {err}"
                        );
                        Ok(Vec::new())
                    } else {
                        Err(err)
                    }
                }
            }
        };
        let groups = async {
            let g = self.list_groups_for_user(name).await?;
            Ok::<_, AwsError>(g.into_iter().map(|g| g.group_name).collect::<Vec<_>>())
        };
        let (
            access_keys,
            login_profile,
            mfa_devices,
            ssh_public_keys,
            signing_certificates,
            service_specific_credentials,
            groups,
            inline_policies,
            attached_policies,
        ) = tokio::try_join!(
            self.list_access_key_ids(name),
            login_profile,
            mfa,
            ssh,
            certs,
            service_creds,
            groups,
            self.list_inline_policies(PrincipalKind::User, name),
            self.list_attached(PrincipalKind::User, name),
        )?;
        Ok(UserDependents {
            access_keys,
            login_profile,
            mfa_devices,
            ssh_public_keys,
            signing_certificates,
            service_specific_credentials,
            groups,
            inline_policies,
            attached_policies,
        })
    }

    /// Remove everything in `deps` from the user, in the order IAM needs.
    pub async fn remove_user_dependents(
        &self,
        name: &str,
        deps: &UserDependents,
    ) -> Result<(), AwsError> {
        let u = ent("user", name);
        // A dependent already gone is what removal wants: a retried request
        // whose first attempt succeeded answers NoSuchEntity.
        let gone_ok = |r: Result<(), AwsError>| match r {
            Err(err) if err.is_not_found() => Ok(()),
            other => other,
        };
        for k in &deps.access_keys {
            gone_ok(self.delete_access_key(name, k).await)?;
        }
        if deps.login_profile {
            self.iam
                .delete_login_profile()
                .user_name(name)
                .send()
                .await
                .map_err(e("iam:DeleteLoginProfile", u.clone()))?;
        }
        for serial in &deps.mfa_devices {
            self.iam
                .deactivate_mfa_device()
                .user_name(name)
                .serial_number(serial)
                .send()
                .await
                .map_err(e("iam:DeactivateMFADevice", ent("MFA device", serial)))?;
            if serial.contains(":mfa/") {
                // Virtual devices are entities of their own; delete them too.
                if let Err(err) = self
                    .iam
                    .delete_virtual_mfa_device()
                    .serial_number(serial)
                    .send()
                    .await
                {
                    let err =
                        classify("iam:DeleteVirtualMFADevice", ent("MFA device", serial), err);
                    if !err.is_not_found() {
                        return Err(err);
                    }
                }
            }
        }
        for id in &deps.ssh_public_keys {
            self.iam
                .delete_ssh_public_key()
                .user_name(name)
                .ssh_public_key_id(id)
                .send()
                .await
                .map_err(e("iam:DeleteSSHPublicKey", ent("SSH public key", id)))?;
        }
        for id in &deps.signing_certificates {
            self.iam
                .delete_signing_certificate()
                .user_name(name)
                .certificate_id(id)
                .send()
                .await
                .map_err(e(
                    "iam:DeleteSigningCertificate",
                    ent("signing certificate", id),
                ))?;
        }
        for id in &deps.service_specific_credentials {
            self.iam
                .delete_service_specific_credential()
                .user_name(name)
                .service_specific_credential_id(id)
                .send()
                .await
                .map_err(e(
                    "iam:DeleteServiceSpecificCredential",
                    ent("service-specific credential", id),
                ))?;
        }
        for g in &deps.groups {
            gone_ok(self.remove_user_from_group(g, name).await)?;
        }
        for p in &deps.inline_policies {
            gone_ok(
                self.delete_inline_policy(PrincipalKind::User, name, p)
                    .await,
            )?;
        }
        for p in &deps.attached_policies {
            gone_ok(
                self.detach_policy(PrincipalKind::User, name, &p.policy_arn)
                    .await,
            )?;
        }
        Ok(())
    }

    // ---- access keys -------------------------------------------------------

    pub async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, AwsError> {
        let out = self
            .iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(e("iam:CreateAccessKey", ent("user", user)))?;
        let k = out
            .access_key()
            .ok_or_else(|| missing("iam:CreateAccessKey", "user", user))?;
        Ok(NewAccessKey {
            user_name: k.user_name().to_string(),
            access_key_id: k.access_key_id().to_string(),
            secret_access_key: Secret::new(k.secret_access_key()),
            create_date: opt_date(k.create_date()),
        })
    }

    async fn list_access_key_ids(&self, user: &str) -> Result<Vec<String>, AwsError> {
        let keys = self
            .iam
            .list_access_keys()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListAccessKeys", ent("user", user)))?;
        Ok(keys
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_string))
            .collect())
    }

    /// Keys of a user, with last use when `with_last_used`.
    pub async fn list_access_keys(
        &self,
        user: &str,
        with_last_used: bool,
    ) -> Result<Vec<AccessKeyInfo>, AwsError> {
        let keys = self
            .iam
            .list_access_keys()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListAccessKeys", ent("user", user)))?;
        let mut out = Vec::with_capacity(keys.len());
        for k in &keys {
            let id = k.access_key_id().unwrap_or_default().to_string();
            let last_used = if with_last_used {
                let lu = self
                    .iam
                    .get_access_key_last_used()
                    .access_key_id(&id)
                    .send()
                    .await
                    .map_err(e("iam:GetAccessKeyLastUsed", ent("access key", &id)))?;
                lu.access_key_last_used().map(|l| AccessKeyLastUsed {
                    last_used_date: l.last_used_date().map(date),
                    service_name: l.service_name().to_string(),
                    region: l.region().to_string(),
                })
            } else {
                None
            };
            out.push(AccessKeyInfo {
                user_name: k.user_name().unwrap_or(user).to_string(),
                access_key_id: id,
                status: k
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                create_date: opt_date(k.create_date()),
                last_used,
            });
        }
        Ok(out)
    }

    pub async fn set_access_key_status(
        &self,
        user: &str,
        key_id: &str,
        active: bool,
    ) -> Result<(), AwsError> {
        let status = if active {
            t::StatusType::Active
        } else {
            t::StatusType::Inactive
        };
        self.iam
            .update_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .status(status)
            .send()
            .await
            .map_err(e("iam:UpdateAccessKey", ent("access key", key_id)))?;
        Ok(())
    }

    pub async fn delete_access_key(&self, user: &str, key_id: &str) -> Result<(), AwsError> {
        self.iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .send()
            .await
            .map_err(e("iam:DeleteAccessKey", ent("access key", key_id)))?;
        Ok(())
    }

    // ---- managed policies --------------------------------------------------

    pub async fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
        tags: &[Tag],
    ) -> Result<Policy, AwsError> {
        let out = self
            .iam
            .create_policy()
            .policy_name(name)
            .set_path(path.map(str::to_string))
            .policy_document(document)
            .set_description(description.map(str::to_string))
            .set_tags(tags_to(tags))
            .send()
            .await
            .map_err(e("iam:CreatePolicy", ent("policy", name)))?;
        let p = out
            .policy()
            .map(policy_from)
            .ok_or_else(|| missing("iam:CreatePolicy", "policy", name))?;
        Ok(p)
    }

    pub async fn get_policy(&self, arn: &str) -> Result<Policy, AwsError> {
        let out = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(e("iam:GetPolicy", ent("policy", arn)))?;
        let p = out
            .policy()
            .map(policy_from)
            .ok_or_else(|| missing("iam:GetPolicy", "policy", arn))?;
        Ok(p)
    }

    pub async fn list_policy_tags(&self, arn: &str) -> Result<Vec<Tag>, AwsError> {
        let tags = self
            .iam
            .list_policy_tags()
            .policy_arn(arn)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListPolicyTags", ent("policy", arn)))?;
        Ok(tags_from(&tags))
    }

    pub async fn list_policies(
        &self,
        scope: PolicyScope,
        only_attached: bool,
    ) -> Result<Vec<Policy>, AwsError> {
        let scope = match scope {
            PolicyScope::Local => t::PolicyScopeType::Local,
            PolicyScope::Aws => t::PolicyScopeType::Aws,
            PolicyScope::All => t::PolicyScopeType::All,
        };
        let ps = self
            .iam
            .list_policies()
            .scope(scope)
            .only_attached(only_attached)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListPolicies", ent("account", "policies")))?;
        Ok(ps.iter().map(policy_from).collect())
    }

    pub async fn get_policy_version(
        &self,
        arn: &str,
        version: &str,
    ) -> Result<PolicyVersion, AwsError> {
        let out = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(e(
                "iam:GetPolicyVersion",
                ent("policy version", format!("{arn} {version}")),
            ))?;
        out.policy_version()
            .map(version_from)
            .ok_or_else(|| missing("iam:GetPolicyVersion", "policy", arn))
    }

    pub async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>, AwsError> {
        let vs = self
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListPolicyVersions", ent("policy", arn)))?;
        Ok(vs.iter().map(version_from).collect())
    }

    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<PolicyVersion, AwsError> {
        let out = self
            .iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(document)
            .set_as_default(set_default)
            .send()
            .await
            .map_err(e("iam:CreatePolicyVersion", ent("policy", arn)))?;
        out.policy_version()
            .map(version_from)
            .ok_or_else(|| missing("iam:CreatePolicyVersion", "policy", arn))
    }

    /// CreatePolicyVersion in one attempt, without the SDK's retries: a
    /// retried create whose first reply was lost would push a duplicate
    /// version (and, at five, drop an older one). The caller looks for its
    /// document among the versions before trying again.
    pub async fn create_policy_version_once(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<PolicyVersion, AwsError> {
        let out = self
            .iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(document)
            .set_as_default(set_default)
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default()
                    .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1)),
            )
            .send()
            .await
            .map_err(e("iam:CreatePolicyVersion", ent("policy", arn)))?;
        out.policy_version()
            .map(version_from)
            .ok_or_else(|| missing("iam:CreatePolicyVersion", "policy", arn))
    }

    pub async fn set_default_policy_version(
        &self,
        arn: &str,
        version: &str,
    ) -> Result<(), AwsError> {
        self.iam
            .set_default_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(e(
                "iam:SetDefaultPolicyVersion",
                ent("policy version", format!("{arn} {version}")),
            ))?;
        Ok(())
    }

    pub async fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), AwsError> {
        self.iam
            .delete_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(e(
                "iam:DeletePolicyVersion",
                ent("policy version", format!("{arn} {version}")),
            ))?;
        Ok(())
    }

    pub async fn delete_policy(&self, arn: &str) -> Result<(), AwsError> {
        self.iam
            .delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(e("iam:DeletePolicy", ent("policy", arn)))?;
        Ok(())
    }

    pub async fn list_entities_for_policy(&self, arn: &str) -> Result<PolicyEntities, AwsError> {
        let pages = self
            .iam
            .list_entities_for_policy()
            .policy_arn(arn)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListEntitiesForPolicy", ent("policy", arn)))?;
        let mut out = PolicyEntities::default();
        for p in &pages {
            out.users.extend(
                p.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name().map(str::to_string)),
            );
            out.groups.extend(
                p.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_string)),
            );
            out.roles.extend(
                p.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_string)),
            );
        }
        Ok(out)
    }

    // ---- attach / inline, for users, groups and roles ----------------------

    pub async fn attach_policy(
        &self,
        kind: PrincipalKind,
        name: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        let en = ent(kind.as_str(), name);
        match kind {
            PrincipalKind::User => self
                .iam
                .attach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:AttachUserPolicy", en)),
            PrincipalKind::Group => self
                .iam
                .attach_group_policy()
                .group_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:AttachGroupPolicy", en)),
            PrincipalKind::Role => self
                .iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:AttachRolePolicy", en)),
        }
    }

    pub async fn detach_policy(
        &self,
        kind: PrincipalKind,
        name: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        let en = ent(kind.as_str(), name);
        match kind {
            PrincipalKind::User => self
                .iam
                .detach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:DetachUserPolicy", en)),
            PrincipalKind::Group => self
                .iam
                .detach_group_policy()
                .group_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:DetachGroupPolicy", en)),
            PrincipalKind::Role => self
                .iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:DetachRolePolicy", en)),
        }
    }

    pub async fn list_attached(
        &self,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Vec<AttachedPolicy>, AwsError> {
        let en = ent(kind.as_str(), name);
        let v = match kind {
            PrincipalKind::User => self
                .iam
                .list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListAttachedUserPolicies", en))?,
            PrincipalKind::Group => self
                .iam
                .list_attached_group_policies()
                .group_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListAttachedGroupPolicies", en))?,
            PrincipalKind::Role => self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListAttachedRolePolicies", en))?,
        };
        Ok(v.iter().map(attached_from).collect())
    }

    pub async fn list_inline_policies(
        &self,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Vec<String>, AwsError> {
        let en = ent(kind.as_str(), name);
        match kind {
            PrincipalKind::User => self
                .iam
                .list_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListUserPolicies", en)),
            PrincipalKind::Group => self
                .iam
                .list_group_policies()
                .group_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListGroupPolicies", en)),
            PrincipalKind::Role => self
                .iam
                .list_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(e("iam:ListRolePolicies", en)),
        }
    }

    pub async fn get_inline_policy(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> Result<serde_json::Value, AwsError> {
        let en = ent(
            "inline policy",
            format!("{policy}` of {} `{name}", kind.as_str()),
        );
        let doc = match kind {
            PrincipalKind::User => self
                .iam
                .get_user_policy()
                .user_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|o| o.policy_document().to_string())
                .map_err(e("iam:GetUserPolicy", en))?,
            PrincipalKind::Group => self
                .iam
                .get_group_policy()
                .group_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|o| o.policy_document().to_string())
                .map_err(e("iam:GetGroupPolicy", en))?,
            PrincipalKind::Role => self
                .iam
                .get_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|o| o.policy_document().to_string())
                .map_err(e("iam:GetRolePolicy", en))?,
        };
        Ok(decode_document(&doc))
    }

    pub async fn put_inline_policy(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        let en = ent(kind.as_str(), name);
        match kind {
            PrincipalKind::User => self
                .iam
                .put_user_policy()
                .user_name(name)
                .policy_name(policy)
                .policy_document(document)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:PutUserPolicy", en)),
            PrincipalKind::Group => self
                .iam
                .put_group_policy()
                .group_name(name)
                .policy_name(policy)
                .policy_document(document)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:PutGroupPolicy", en)),
            PrincipalKind::Role => self
                .iam
                .put_role_policy()
                .role_name(name)
                .policy_name(policy)
                .policy_document(document)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:PutRolePolicy", en)),
        }
    }

    pub async fn delete_inline_policy(
        &self,
        kind: PrincipalKind,
        name: &str,
        policy: &str,
    ) -> Result<(), AwsError> {
        let en = ent(
            "inline policy",
            format!("{policy}` of {} `{name}", kind.as_str()),
        );
        match kind {
            PrincipalKind::User => self
                .iam
                .delete_user_policy()
                .user_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:DeleteUserPolicy", en)),
            PrincipalKind::Group => self
                .iam
                .delete_group_policy()
                .group_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:DeleteGroupPolicy", en)),
            PrincipalKind::Role => self
                .iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map(|_| ())
                .map_err(e("iam:DeleteRolePolicy", en)),
        }
    }

    // ---- roles -------------------------------------------------------------

    pub async fn create_role(&self, r: &NewRole<'_>) -> Result<Role, AwsError> {
        let out = self
            .iam
            .create_role()
            .role_name(r.name)
            .set_path(r.path.map(str::to_string))
            .assume_role_policy_document(r.trust_policy)
            .set_description(r.description.map(str::to_string))
            .set_max_session_duration(r.max_session_duration)
            .set_tags(tags_to(r.tags))
            .set_permissions_boundary(r.boundary.map(str::to_string))
            .send()
            .await
            .map_err(e("iam:CreateRole", ent("role", r.name)))?;
        let role = out
            .role()
            .map(role_from)
            .ok_or_else(|| missing("iam:CreateRole", "role", r.name))?;
        Ok(role)
    }

    pub async fn get_role(&self, name: &str) -> Result<Role, AwsError> {
        let out = self
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(e("iam:GetRole", ent("role", name)))?;
        let role = out
            .role()
            .map(role_from)
            .ok_or_else(|| missing("iam:GetRole", "role", name))?;
        Ok(role)
    }

    pub async fn list_roles(&self, path_prefix: Option<&str>) -> Result<Vec<Role>, AwsError> {
        let roles = self
            .iam
            .list_roles()
            .set_path_prefix(path_prefix.map(str::to_string))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListRoles", ent("account", "roles")))?;
        Ok(roles.iter().map(role_from).collect())
    }

    pub async fn update_trust(&self, name: &str, document: &str) -> Result<(), AwsError> {
        self.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(e("iam:UpdateAssumeRolePolicy", ent("role", name)))?;
        Ok(())
    }

    /// Instance profiles that hold the role.
    pub async fn instance_profiles_for_role(&self, name: &str) -> Result<Vec<String>, AwsError> {
        let ps = self
            .iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListInstanceProfilesForRole", ent("role", name)))?;
        Ok(ps
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect())
    }

    /// Take the role out of the instance profile and delete the profile.
    pub async fn remove_instance_profile(&self, role: &str, profile: &str) -> Result<(), AwsError> {
        self.iam
            .remove_role_from_instance_profile()
            .role_name(role)
            .instance_profile_name(profile)
            .send()
            .await
            .map_err(e(
                "iam:RemoveRoleFromInstanceProfile",
                ent("instance profile", profile),
            ))?;
        self.iam
            .delete_instance_profile()
            .instance_profile_name(profile)
            .send()
            .await
            .map_err(e(
                "iam:DeleteInstanceProfile",
                ent("instance profile", profile),
            ))?;
        Ok(())
    }

    pub async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(e("iam:DeleteRole", ent("role", name)))?;
        Ok(())
    }

    // ---- groups ------------------------------------------------------------

    pub async fn create_group(&self, name: &str, path: Option<&str>) -> Result<Group, AwsError> {
        let out = self
            .iam
            .create_group()
            .group_name(name)
            .set_path(path.map(str::to_string))
            .send()
            .await
            .map_err(e("iam:CreateGroup", ent("group", name)))?;
        out.group()
            .map(group_from)
            .ok_or_else(|| missing("iam:CreateGroup", "group", name))
    }

    /// Fails with "group `g` does not exist" when it does not: one GetGroup page,
    /// however many members the group has.
    pub async fn check_group(&self, name: &str) -> Result<(), AwsError> {
        self.iam
            .get_group()
            .group_name(name)
            .max_items(1)
            .send()
            .await
            .map_err(e("iam:GetGroup", ent("group", name)))?;
        Ok(())
    }

    /// The group and its members.
    pub async fn get_group(&self, name: &str) -> Result<(Group, Vec<User>), AwsError> {
        let pages = self
            .iam
            .get_group()
            .group_name(name)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:GetGroup", ent("group", name)))?;
        let group = pages
            .first()
            .and_then(|p| p.group())
            .map(group_from)
            .ok_or_else(|| missing("iam:GetGroup", "group", name))?;
        let users = pages
            .iter()
            .flat_map(|p| p.users().iter().map(user_from))
            .collect();
        Ok((group, users))
    }

    pub async fn list_groups(&self) -> Result<Vec<Group>, AwsError> {
        let gs = self
            .iam
            .list_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListGroups", ent("account", "groups")))?;
        Ok(gs.iter().map(group_from).collect())
    }

    pub async fn list_groups_for_user(&self, user: &str) -> Result<Vec<Group>, AwsError> {
        let gs = self
            .iam
            .list_groups_for_user()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(e("iam:ListGroupsForUser", ent("user", user)))?;
        Ok(gs.iter().map(group_from).collect())
    }

    pub async fn add_user_to_group(&self, group: &str, user: &str) -> Result<(), AwsError> {
        self.iam
            .add_user_to_group()
            .group_name(group)
            .user_name(user)
            .send()
            .await
            .map_err(e("iam:AddUserToGroup", ent("group", group)))?;
        Ok(())
    }

    pub async fn remove_user_from_group(&self, group: &str, user: &str) -> Result<(), AwsError> {
        self.iam
            .remove_user_from_group()
            .group_name(group)
            .user_name(user)
            .send()
            .await
            .map_err(e("iam:RemoveUserFromGroup", ent("group", group)))?;
        Ok(())
    }

    pub async fn delete_group(&self, name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_group()
            .group_name(name)
            .send()
            .await
            .map_err(e("iam:DeleteGroup", ent("group", name)))?;
        Ok(())
    }

    // ---- account -----------------------------------------------------------

    pub async fn account_summary(
        &self,
    ) -> Result<std::collections::BTreeMap<String, i32>, AwsError> {
        let out = self
            .iam
            .get_account_summary()
            .send()
            .await
            .map_err(e("iam:GetAccountSummary", ent("account", "summary")))?;
        Ok(out
            .summary_map()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().to_string(), *v))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn account_aliases(&self) -> Result<Vec<String>, AwsError> {
        let out = self
            .iam
            .list_account_aliases()
            .send()
            .await
            .map_err(e("iam:ListAccountAliases", ent("account", "aliases")))?;
        Ok(out.account_aliases().to_vec())
    }

    pub async fn create_account_alias(&self, alias: &str) -> Result<(), AwsError> {
        self.iam
            .create_account_alias()
            .account_alias(alias)
            .send()
            .await
            .map_err(e("iam:CreateAccountAlias", ent("account alias", alias)))?;
        Ok(())
    }

    pub async fn delete_account_alias(&self, alias: &str) -> Result<(), AwsError> {
        self.iam
            .delete_account_alias()
            .account_alias(alias)
            .send()
            .await
            .map_err(e("iam:DeleteAccountAlias", ent("account alias", alias)))?;
        Ok(())
    }

    /// Ask IAM to build a credential report; true once it is complete.
    pub async fn generate_credential_report(&self) -> Result<bool, AwsError> {
        let out = self
            .iam
            .generate_credential_report()
            .send()
            .await
            .map_err(e(
                "iam:GenerateCredentialReport",
                ent("account", "credential report"),
            ))?;
        Ok(matches!(out.state(), Some(t::ReportStateType::Complete)))
    }

    /// The credential report's CSV text.
    pub async fn get_credential_report(&self) -> Result<String, AwsError> {
        let out = self.iam.get_credential_report().send().await.map_err(e(
            "iam:GetCredentialReport",
            ent("account", "credential report"),
        ))?;
        let bytes = out
            .content()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn missing(action: &'static str, kind: &'static str, name: &str) -> AwsError {
    AwsError::Other {
        entity: ent(kind, name),
        action,
        message: "AWS answered without the expected data".into(),
    }
}

/// A 5xx answer that is not an AWS error document (an HTML page from an IAM
/// look-alike that lacks the call): not retried. Every other answer is
/// classified by the SDK's own classifiers.
#[derive(Debug, Clone, Copy)]
struct NotAwsAnswer;

impl aws_smithy_runtime_api::client::retries::classifiers::ClassifyRetry for NotAwsAnswer {
    fn classify_retry(
        &self,
        ctx: &aws_smithy_runtime_api::client::interceptors::context::InterceptorContext,
    ) -> aws_smithy_runtime_api::client::retries::classifiers::RetryAction {
        use aws_smithy_runtime_api::client::retries::classifiers::RetryAction;
        let Some(resp) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let html = resp
            .headers()
            .get("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"));
        if resp.status().as_u16() >= 500 && html {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "iamctl::NotAwsAnswer"
    }

    fn priority(
        &self,
    ) -> aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority {
        use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority as P;
        P::run_after(P::transient_error_classifier())
    }
}
