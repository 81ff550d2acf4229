//! The instance's account, read through the SDK for the checks.

use aws_sdk_ssoadmin::types::PrincipalType;

use crate::harness::*;

/// Clients acting in a fresh account (the instance's).
pub(super) struct Instance {
    pub(super) admin: aws_sdk_ssoadmin::Client,
    pub(super) store: aws_sdk_identitystore::Client,
    pub(super) arn: String,
    pub(super) store_id: String,
}

impl Instance {
    pub(super) async fn new(endpoint: &str, account: &str) -> Instance {
        let conf = account_config(endpoint, account).await;
        let admin = aws_sdk_ssoadmin::Client::new(&conf);
        let i = admin.list_instances().send().await.expect("ListInstances");
        let i = &i.instances()[0];
        Instance {
            arn: i.instance_arn().expect("arn").to_owned(),
            store_id: i.identity_store_id().expect("store").to_owned(),
            admin,
            store: aws_sdk_identitystore::Client::new(&conf),
        }
    }

    /// Permission sets by name: (ARN, tags).
    pub(super) async fn sets(&self) -> Vec<(String, String, Vec<(String, String)>)> {
        let out = self
            .admin
            .list_permission_sets()
            .instance_arn(&self.arn)
            .send()
            .await
            .expect("ListPermissionSets");
        let mut v = Vec::new();
        for arn in out.permission_sets() {
            let d = self
                .admin
                .describe_permission_set()
                .instance_arn(&self.arn)
                .permission_set_arn(arn)
                .send()
                .await
                .expect("DescribePermissionSet");
            let tags = self
                .admin
                .list_tags_for_resource()
                .instance_arn(&self.arn)
                .resource_arn(arn)
                .send()
                .await
                .expect("ListTagsForResource");
            v.push((
                d.permission_set()
                    .and_then(|p| p.name())
                    .unwrap_or_default()
                    .to_owned(),
                arn.clone(),
                tags.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            ));
        }
        v.sort();
        v
    }

    pub(super) async fn assignments(
        &self,
        account: &str,
        set_arn: &str,
    ) -> Vec<(PrincipalType, String)> {
        let out = self
            .admin
            .list_account_assignments()
            .instance_arn(&self.arn)
            .account_id(account)
            .permission_set_arn(set_arn)
            .send()
            .await
            .expect("ListAccountAssignments");
        let mut v: Vec<(PrincipalType, String)> = out
            .account_assignments()
            .iter()
            .map(|a| {
                (
                    a.principal_type().expect("type").clone(),
                    a.principal_id().expect("id").to_owned(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }

    pub(super) async fn user_id(&self, name: &str) -> (String, Option<String>) {
        let out = self
            .store
            .list_users()
            .identity_store_id(&self.store_id)
            .send()
            .await
            .expect("ListUsers");
        let u = out
            .users()
            .iter()
            .find(|u| u.user_name() == Some(name))
            .expect("user");
        (u.user_id().to_owned(), u.user_type().map(str::to_owned))
    }
}
