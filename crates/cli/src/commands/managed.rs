//! `iamctl managed list`: what carries our tag, read from one paginated
//! GetAccountAuthorizationDetails plus one ListPolicyTags per customer policy.

use crate::ctx::Ctx;
use crate::error::CmdResult;
use futures::StreamExt;
use iamctl_policy::snapshot::Principal as SnapshotPrincipal;

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

fn tagged(p: &dyn SnapshotPrincipal) -> bool {
    p.tags()
        .iter()
        .any(|t| iamctl_policy::is_managed_by_tag(&t.key, &t.value))
}

fn attached(p: &dyn SnapshotPrincipal) -> Vec<String> {
    p.attached().iter().map(|a| a.policy_arn.clone()).collect()
}

fn principal(p: &dyn SnapshotPrincipal) -> Principal {
    Principal {
        name: p.name().to_owned(),
        arn: p.arn().to_owned(),
        policies: attached(p),
    }
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
    let users = &doc.user_detail_list;
    let mut out = Out::default();
    let mut managed_users = std::collections::HashSet::new();
    for u in users.iter().filter(|u| tagged(*u)) {
        managed_users.insert(u.user_name.as_str());
        out.users.push(principal(u));
    }
    for r in doc.role_detail_list.iter().filter(|r| tagged(*r)) {
        out.roles.push(principal(r));
    }
    // Customer policies carry tags, but the details call does not return them.
    let policies = &doc.policies;
    let tags: Vec<(usize, bool)> = futures::stream::iter(policies.iter().enumerate())
        .map(|(i, p)| async move {
            let t = aws.list_policy_tags(&p.arn).await;
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
        ours.insert(p.arn.clone());
        out.policies.push(PolicyOut {
            policy_name: p.policy_name.clone(),
            arn: p.arn.clone(),
            attachment_count: p.attachment_count.unwrap_or(0),
        });
    }
    for g in &doc.group_detail_list {
        let has_member = users.iter().any(|u| {
            managed_users.contains(u.user_name.as_str()) && u.group_list.contains(&g.group_name)
        });
        let p = principal(g);
        if has_member || p.policies.iter().any(|a| ours.contains(a)) {
            out.groups.push(p);
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
