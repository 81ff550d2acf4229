//! `iamctl managed list`: what carries our tag, read from one paginated
//! GetAccountAuthorizationDetails plus one ListPolicyTags per customer policy.

use crate::common::{MANAGED_KEY, MANAGED_VALUE};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use futures::StreamExt;
use serde_json::Value;

#[derive(clap::Subcommand, Debug)]
pub enum ManagedCommand {
    /// Users, roles, groups and policies that are ours, with their attached policies.
    List,
}

#[derive(serde::Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct Principal {
    name: String,
    arn: String,
    policies: Vec<String>,
}

#[derive(serde::Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct PolicyOut {
    policy_name: String,
    arn: String,
    attachment_count: i64,
}

#[derive(serde::Serialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Out {
    users: Vec<Principal>,
    roles: Vec<Principal>,
    /// Groups cannot be tagged: listed when a managed user is a member or a
    /// managed policy is attached.
    groups: Vec<Principal>,
    policies: Vec<PolicyOut>,
}

fn tagged(v: &Value) -> bool {
    v["Tags"].as_array().is_some_and(|ts| {
        ts.iter()
            .any(|t| t["Key"] == MANAGED_KEY && t["Value"] == MANAGED_VALUE)
    })
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn attached(v: &Value) -> Vec<String> {
    v["AttachedManagedPolicies"]
        .as_array()
        .map(|a| a.iter().map(|p| s(p, "PolicyArn")).collect())
        .unwrap_or_default()
}

pub async fn run(ctx: &Ctx, cmd: ManagedCommand) -> CmdResult {
    match cmd {
        ManagedCommand::List => list(ctx).await,
    }
}

async fn list(ctx: &Ctx) -> CmdResult {
    let aws = ctx.aws().await;
    let snap = aws.authorization_details(true).await?;
    let doc = &snap.document;
    let empty = Vec::new();
    let arr = |k: &str| doc[k].as_array().unwrap_or(&empty).clone();
    let users = arr("UserDetailList");
    let mut out = Out::default();
    let mut managed_users = std::collections::HashSet::new();
    for u in users.iter().filter(|u| tagged(u)) {
        managed_users.insert(s(u, "UserName"));
        out.users.push(Principal {
            name: s(u, "UserName"),
            arn: s(u, "Arn"),
            policies: attached(u),
        });
    }
    for r in arr("RoleDetailList").iter().filter(|r| tagged(r)) {
        out.roles.push(Principal {
            name: s(r, "RoleName"),
            arn: s(r, "Arn"),
            policies: attached(r),
        });
    }
    // Customer policies carry tags, but the details call does not return them.
    let policies = arr("Policies");
    let tags: Vec<(usize, bool)> = futures::stream::iter(policies.iter().enumerate())
        .map(|(i, p)| async move {
            let arn = s(p, "Arn");
            let t = aws.list_policy_tags(&arn).await;
            t.map(|t| (i, crate::common::is_managed(&t)))
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let mut ours = std::collections::HashSet::new();
    let mut idx: Vec<usize> = tags.iter().filter(|(_, m)| *m).map(|(i, _)| *i).collect();
    idx.sort();
    for i in idx {
        let p = &policies[i];
        ours.insert(s(p, "Arn"));
        out.policies.push(PolicyOut {
            policy_name: s(p, "PolicyName"),
            arn: s(p, "Arn"),
            attachment_count: p["AttachmentCount"].as_i64().unwrap_or(0),
        });
    }
    for g in arr("GroupDetailList") {
        let name = s(&g, "GroupName");
        let pols = attached(&g);
        let has_member = users.iter().any(|u| {
            managed_users.contains(&s(u, "UserName"))
                && u["GroupList"]
                    .as_array()
                    .is_some_and(|gl| gl.iter().any(|x| x == &Value::String(name.clone())))
        });
        if has_member || pols.iter().any(|p| ours.contains(p)) {
            out.groups.push(Principal {
                name,
                arn: s(&g, "Arn"),
                policies: pols,
            });
        }
    }
    ctx.emit(&out, |o| {
        let mut t = String::new();
        for (title, list) in [
            ("IAM Users", &o.users),
            ("IAM Roles", &o.roles),
            ("IAM Groups", &o.groups),
        ] {
            t.push_str(&format!("{title}:\n"));
            for p in list.iter() {
                t.push_str(&format!("- {}\n", p.name));
                if !p.policies.is_empty() {
                    t.push_str("    Policies:\n");
                    for a in &p.policies {
                        t.push_str(&format!("        - {a}\n"));
                    }
                }
            }
        }
        t.push_str("Policies:\n");
        for p in &o.policies {
            t.push_str(&format!(
                "- {} (attached {} times)\n",
                p.arn, p.attachment_count
            ));
        }
        t
    })
}
