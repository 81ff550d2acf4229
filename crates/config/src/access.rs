//! The effective access a plan changes: who gains or loses which action on
//! which resources, computed with the evaluation engine on the account as it
//! is and as it will be once the plan is applied.

use std::collections::{BTreeSet, HashMap};

use iamctl_policy::account::{Account, Entity};
use iamctl_policy::analysis::principal_request;
use iamctl_policy::eval::{evaluate, Context, Decision, Effect, Policy};
use jiff::Timestamp;
use serde_json::{json, Value};

use crate::desired::rfc3339;
use crate::plan::{AccessChange, Change, Kind};

fn list_mut<'a>(v: &'a mut Value, k: &str) -> &'a mut Vec<Value> {
    if !v.get(k).is_some_and(Value::is_array) {
        v[k] = json!([]);
    }
    v[k].as_array_mut().expect("just made an array")
}

fn find<'a>(v: &'a mut Value, list: &str, key: &str, name: &str) -> Option<&'a mut Value> {
    list_mut(v, list)
        .iter_mut()
        .find(|e| e.get(key).and_then(Value::as_str) == Some(name))
}

fn detail(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::User => ("UserDetailList", "UserName", "UserPolicyList"),
        Kind::Role => ("RoleDetailList", "RoleName", "RolePolicyList"),
        Kind::Group => ("GroupDetailList", "GroupName", "GroupPolicyList"),
    }
}

/// The snapshot as it will be after `changes`.
pub fn apply_to_snapshot(snapshot: &Value, changes: &[Change], account_id: &str) -> Value {
    let mut s = snapshot.clone();
    for c in changes {
        match c {
            Change::CreatePolicy {
                name,
                arn,
                path,
                document,
                ..
            } => list_mut(&mut s, "Policies").push(json!({
                "PolicyName": name, "Arn": arn, "Path": path, "DefaultVersionId": "v1",
                "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": true}]
            })),
            Change::UpdatePolicy { arn, new, .. } => {
                if let Some(p) = find(&mut s, "Policies", "Arn", arn) {
                    p["PolicyVersionList"] =
                        json!([{"Document": new, "VersionId": "next", "IsDefaultVersion": true}]);
                }
            }
            Change::DeletePolicy { arn, .. } => {
                list_mut(&mut s, "Policies").retain(|p| p["Arn"] != arn.as_str())
            }
            Change::CreateUser { name, path, tags } => list_mut(&mut s, "UserDetailList").push(json!({
                "UserName": name, "Path": path,
                "Arn": format!("arn:aws:iam::{account_id}:user{path}{name}"),
                "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
                "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": []
            })),
            Change::CreateRole {
                name, path, trust, tags, ..
            } => list_mut(&mut s, "RoleDetailList").push(json!({
                "RoleName": name, "Path": path,
                "Arn": format!("arn:aws:iam::{account_id}:role{path}{name}"),
                "AssumeRolePolicyDocument": trust,
                "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
                "AttachedManagedPolicies": [], "RolePolicyList": []
            })),
            Change::CreateGroup { name, path } => list_mut(&mut s, "GroupDetailList").push(json!({
                "GroupName": name, "Path": path,
                "Arn": format!("arn:aws:iam::{account_id}:group{path}{name}"),
                "AttachedManagedPolicies": [], "GroupPolicyList": []
            })),
            Change::UpdateTrust { name, new, .. } => {
                if let Some(r) = find(&mut s, "RoleDetailList", "RoleName", name) {
                    r["AssumeRolePolicyDocument"] = new.clone();
                }
            }
            Change::SetBoundary { kind, name, arn } => {
                let (l, k, _) = detail(*kind);
                if let Some(p) = find(&mut s, l, k, name) {
                    match arn {
                        Some(a) => {
                            p["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": a})
                        }
                        None => {
                            if let Some(o) = p.as_object_mut() {
                                o.remove("PermissionsBoundary");
                            }
                        }
                    }
                }
            }
            Change::AddMember { group, user } => {
                if let Some(u) = find(&mut s, "UserDetailList", "UserName", user) {
                    list_mut(u, "GroupList").push(json!(group));
                }
            }
            Change::RemoveMember { group, user } => {
                if let Some(u) = find(&mut s, "UserDetailList", "UserName", user) {
                    list_mut(u, "GroupList").retain(|g| g != group.as_str());
                }
            }
            Change::Attach { kind, name, arn } => {
                let (l, k, _) = detail(*kind);
                if let Some(p) = find(&mut s, l, k, name) {
                    list_mut(p, "AttachedManagedPolicies").push(json!({
                        "PolicyName": arn.rsplit('/').next().unwrap_or(arn), "PolicyArn": arn
                    }));
                }
            }
            Change::Detach { kind, name, arn } => {
                let (l, k, _) = detail(*kind);
                if let Some(p) = find(&mut s, l, k, name) {
                    list_mut(p, "AttachedManagedPolicies").retain(|a| a["PolicyArn"] != arn.as_str());
                }
            }
            Change::PutInline {
                kind,
                name,
                policy,
                document,
                ..
            } => {
                let (l, k, il) = detail(*kind);
                if let Some(p) = find(&mut s, l, k, name) {
                    let inline = list_mut(p, il);
                    inline.retain(|i| i["PolicyName"] != policy.as_str());
                    inline.push(json!({"PolicyName": policy, "PolicyDocument": document}));
                }
            }
            Change::DeleteInline { kind, name, policy } => {
                let (l, k, il) = detail(*kind);
                if let Some(p) = find(&mut s, l, k, name) {
                    list_mut(p, il).retain(|i| i["PolicyName"] != policy.as_str());
                }
            }
            Change::DeleteUser { name } => {
                list_mut(&mut s, "UserDetailList").retain(|u| u["UserName"] != name.as_str())
            }
            Change::DeleteRole { name } => {
                list_mut(&mut s, "RoleDetailList").retain(|r| r["RoleName"] != name.as_str())
            }
            Change::TagPolicy { .. } | Change::Tag { .. } => {}
        }
    }
    s
}

/// The (action, resource) pairs an identity's Allow statements name.
fn pairs(account: &Account, entity: &Entity, out: &mut BTreeSet<(String, String)>) {
    let set = account.policy_set(entity);
    for p in &set.identity {
        for st in &p.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            let Some((actions, resources)) = statement_text(p, st.index) else {
                continue;
            };
            for a in &actions {
                for r in &resources {
                    out.insert((a.clone(), r.clone()));
                }
            }
        }
    }
}

/// The `Action` and `Resource` values of a statement as written (not
/// `NotAction`/`NotResource`, which name what is not granted).
fn statement_text(policy: &Policy, index: usize) -> Option<(Vec<String>, Vec<String>)> {
    let st = policy.statements.get(index)?;
    Some((st.action_patterns()?, st.resource_patterns()?))
}

/// Whether `entity` (as it is in `account`) may perform `action` on
/// `resource`, both possibly patterns; and the expiry of the grant, when the
/// allowing policy is a temporary one.
fn allowed(
    account: &Account,
    entity: &Entity,
    action: &str,
    resource: &str,
    ctx: &Context,
    expiries: &HashMap<String, Timestamp>,
) -> Option<Option<Timestamp>> {
    let mut req = principal_request(account, entity, ctx, resource);
    req.set_action(action);
    let set = account.policy_set(entity);
    let e = evaluate(&req, &set);
    (e.decision == Decision::Allowed).then(|| {
        e.matched
            .iter()
            .filter_map(|m| expiries.get(m.policy).copied())
            .max()
    })
}

/// Who gains or loses what between two snapshots of one account. `expiries`
/// maps temporary policies' ARNs to their expiry.
pub fn access_changes(
    before: &Value,
    after: &Value,
    now: Timestamp,
    expiries: &HashMap<String, Timestamp>,
) -> Vec<AccessChange> {
    let (Ok(before), Ok(after)) = (
        Account::from_snapshot(before),
        Account::from_snapshot(after),
    ) else {
        return Vec::new();
    };
    let mut ctx = Context::new();
    ctx.set("aws:CurrentTime", rfc3339(now));
    ctx.set("aws:EpochTime", now.as_second().to_string());
    ctx.set("aws:MultiFactorAuthPresent", "true");
    ctx.set("aws:SecureTransport", "true");
    let mut out = Vec::new();
    let names: BTreeSet<&str> = before
        .principals
        .iter()
        .chain(after.principals.iter())
        .map(|e| e.arn.as_str())
        .collect();
    for arn in names {
        let b = before.principals.iter().find(|e| e.arn == arn);
        let a = after.principals.iter().find(|e| e.arn == arn);
        let identity = |acc: &Account, e: &Entity| -> Vec<String> {
            e.identity
                .iter()
                .map(|x| acc.policies[x.policy].name.clone())
                .collect()
        };
        let same = match (b, a) {
            (Some(b), Some(a)) => {
                identity(&before, b) == identity(&after, a)
                    && b.boundary.map(|i| &before.policies[i].name)
                        == a.boundary.map(|i| &after.policies[i].name)
                    && b.identity.iter().all(|x| {
                        let name = &before.policies[x.policy].name;
                        after.policies.iter().any(|p| &p.name == name)
                            && !changed_policy(&before, &after, name)
                    })
            }
            _ => false,
        };
        if same {
            continue;
        }
        let mut all = BTreeSet::new();
        if let Some(b) = b {
            pairs(&before, b, &mut all);
        }
        if let Some(a) = a {
            pairs(&after, a, &mut all);
        }
        let who = b
            .or(a)
            .map_or_else(String::new, |e| format!("{} {}", e.kind.as_str(), e.name));
        for (action, resource) in all {
            let was = b.and_then(|b| allowed(&before, b, &action, &resource, &ctx, expiries));
            let will = a.and_then(|a| allowed(&after, a, &action, &resource, &ctx, expiries));
            let change = match (&was, &will) {
                (None, Some(until)) => Some(("gains", *until)),
                (Some(until), None) => Some(("loses", *until)),
                (Some(x), Some(y)) if x != y => Some(("keeps", *y)),
                _ => None,
            };
            if let Some((change, until)) = change {
                out.push(AccessChange {
                    principal: who.clone(),
                    change: change.to_owned(),
                    action,
                    resource,
                    until: until.map(rfc3339),
                });
            }
        }
    }
    out.sort();
    out
}

/// Whether the policy named `name` has other statements after the change.
fn changed_policy(before: &Account, after: &Account, name: &str) -> bool {
    let b = before.policies.iter().find(|p| p.name == name);
    let a = after.policies.iter().find(|p| p.name == name);
    match (b, a) {
        (Some(b), Some(a)) => format!("{:?}", b.statements) != format!("{:?}", a.statements),
        _ => true,
    }
}
