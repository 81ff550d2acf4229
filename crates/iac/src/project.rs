//! The account as it will be once a plan is applied: the plan's changes
//! made to a copy of the [`Snapshot`] it was planned from, as IAM makes
//! them (in phase order, as apply runs them), with no backend. The access
//! diff and the escalation check compare it with the snapshot.
//!
//! Only what GetAccountAuthorizationDetails shows is projected: policy tags,
//! role descriptions and session durations are not in a snapshot. A change
//! IAM would refuse because what it names is missing (a policy still
//! attached when deleted, a member added to a group that does not exist) is
//! left out, as apply would see it fail.

use iamctl_policy::snapshot::{
    AttachedPolicy, Boundary, Document, Group, InlinePolicy, ManagedPolicy, PolicyVersion, Role,
    Snapshot, Tag, User,
};
use serde_json::Value;

use crate::backend::Tags;
use crate::plan::{Change, Kind};

/// How many versions a managed policy holds: "A managed policy can have up
/// to five versions. If the policy has five versions, you must delete an
/// existing version using DeletePolicyVersion before you create a new
/// version."
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html>
const VERSIONS: usize = 5;

/// `snapshot` (of account `account_id`) once `changes` are made.
pub fn after(snapshot: &Snapshot, changes: &[Change], account_id: &str) -> Snapshot {
    let mut s = snapshot.clone();
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by_key(|c| c.phase());
    for c in ordered {
        apply(&mut s, c, account_id);
    }
    s
}

fn arn(account_id: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:{kind}{path}{name}")
}

fn last(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn tags_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// The new tags win; the others stay.
fn tag(list: &mut Vec<Tag>, tags: &Tags) {
    for (k, v) in tags {
        match list.iter_mut().find(|t| &t.key == k) {
            Some(t) => t.value = v.clone(),
            None => list.push(Tag {
                key: k.clone(),
                value: v.clone(),
            }),
        }
    }
}

fn version(id: &str, document: &Value) -> PolicyVersion {
    PolicyVersion {
        document: Some(Document::new(document.clone())),
        version_id: id.to_owned(),
        is_default_version: true,
        create_date: None,
    }
}

/// The lists of a principal the changes edit, whatever its kind.
struct Lists<'a> {
    path: &'a mut String,
    arn: &'a mut String,
    inline: &'a mut Vec<InlinePolicy>,
    attached: &'a mut Vec<AttachedPolicy>,
    boundary: Option<&'a mut Option<Boundary>>,
    tags: Option<&'a mut Vec<Tag>>,
}

fn lists<'a>(s: &'a mut Snapshot, kind: Kind, name: &str) -> Option<Lists<'a>> {
    match kind {
        Kind::User => s
            .user_detail_list
            .iter_mut()
            .find(|u| u.user_name == name)
            .map(|u| Lists {
                path: &mut u.path,
                arn: &mut u.arn,
                inline: &mut u.user_policy_list,
                attached: &mut u.attached_managed_policies,
                boundary: Some(&mut u.permissions_boundary),
                tags: Some(&mut u.tags),
            }),
        Kind::Role => s
            .role_detail_list
            .iter_mut()
            .find(|r| r.role_name == name)
            .map(|r| Lists {
                path: &mut r.path,
                arn: &mut r.arn,
                inline: &mut r.role_policy_list,
                attached: &mut r.attached_managed_policies,
                boundary: Some(&mut r.permissions_boundary),
                tags: Some(&mut r.tags),
            }),
        Kind::Group => s
            .group_detail_list
            .iter_mut()
            .find(|g| g.group_name == name)
            .map(|g| Lists {
                path: &mut g.path,
                arn: &mut g.arn,
                inline: &mut g.group_policy_list,
                attached: &mut g.attached_managed_policies,
                boundary: None,
                tags: None,
            }),
    }
}

/// Whether IAM knows the policy: AWS-managed ones always (a `--local-only`
/// snapshot leaves them out), customer-managed ones when the account has
/// them.
fn known(s: &Snapshot, arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws") || s.policies.iter().any(|p| p.arn == arn)
}

/// Whether any principal holds the policy (attached or as boundary).
fn held(s: &Snapshot, arn: &str) -> bool {
    let attached = |l: &[AttachedPolicy]| l.iter().any(|a| a.policy_arn == arn);
    let boundary = |b: &Option<Boundary>| {
        b.as_ref()
            .is_some_and(|b| b.permissions_boundary_arn == arn)
    };
    s.user_detail_list
        .iter()
        .any(|u| attached(&u.attached_managed_policies) || boundary(&u.permissions_boundary))
        || s.role_detail_list
            .iter()
            .any(|r| attached(&r.attached_managed_policies) || boundary(&r.permissions_boundary))
        || s.group_detail_list
            .iter()
            .any(|g| attached(&g.attached_managed_policies))
}

fn create_policy(
    s: &mut Snapshot,
    (name, path, arn): (&str, &str, &str),
    description: Option<&String>,
    document: &Value,
) {
    // Names are unique in the account, whatever the path, without regard
    // to case.
    if s.policies
        .iter()
        .any(|p| p.arn == arn || (!p.aws_managed() && p.policy_name.eq_ignore_ascii_case(name)))
    {
        return;
    }
    s.policies.push(ManagedPolicy {
        policy_name: name.to_owned(),
        arn: arn.to_owned(),
        path: path.to_owned(),
        default_version_id: Some("v1".to_owned()),
        description: description.cloned(),
        policy_version_list: vec![version("v1", document)],
        ..ManagedPolicy::default()
    });
}

/// Detached from every holder, then deleted.
fn delete_policy_whoever_holds_it(s: &mut Snapshot, arn: &str) {
    for kind in [Kind::User, Kind::Role, Kind::Group] {
        let names: Vec<String> = match kind {
            Kind::User => s
                .user_detail_list
                .iter()
                .map(|u| u.user_name.clone())
                .collect(),
            Kind::Role => s
                .role_detail_list
                .iter()
                .map(|r| r.role_name.clone())
                .collect(),
            Kind::Group => s
                .group_detail_list
                .iter()
                .map(|g| g.group_name.clone())
                .collect(),
        };
        for name in names {
            if let Some(l) = lists(s, kind, &name) {
                l.attached.retain(|a| a.policy_arn != arn);
            }
        }
    }
    s.policies.retain(|p| p.arn != arn);
}

fn update_policy(
    s: &mut Snapshot,
    arn: &str,
    new: &Value,
    prune: Option<&str>,
    reuse: Option<&str>,
) {
    let Some(p) = s.policies.iter_mut().find(|p| p.arn == arn) else {
        return;
    };
    let id = match reuse {
        Some(v) if p.policy_version_list.iter().any(|x| x.version_id == v) => v.to_owned(),
        Some(_) => return,
        None => {
            // Numbered after every version there was, the pruned one too.
            let next = p
                .policy_version_list
                .iter()
                .filter_map(|v| v.version_id.trim_start_matches('v').parse::<u32>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            if let Some(old) = prune {
                p.policy_version_list.retain(|v| v.version_id != old);
            }
            // Refused at five versions (see VERSIONS).
            if p.policy_version_list.len() >= VERSIONS {
                return;
            }
            let id = format!("v{next}");
            let mut v = version(&id, new);
            v.is_default_version = false;
            p.policy_version_list.push(v);
            id
        }
    };
    for v in &mut p.policy_version_list {
        v.is_default_version = v.version_id == id;
    }
    p.default_version_id = Some(id);
}

/// Whether it was made (not when the name is taken).
fn create_principal(
    s: &mut Snapshot,
    kind: Kind,
    name: &str,
    path: &str,
    account_id: &str,
) -> bool {
    // Names are unique per kind without regard to case.
    let taken = |n: &str| n.eq_ignore_ascii_case(name);
    let exists = match kind {
        Kind::User => s.user_detail_list.iter().any(|u| taken(&u.user_name)),
        Kind::Role => s.role_detail_list.iter().any(|r| taken(&r.role_name)),
        Kind::Group => s.group_detail_list.iter().any(|g| taken(&g.group_name)),
    };
    if exists {
        return false;
    }
    let arn = arn(account_id, kind.as_str(), path, name);
    match kind {
        Kind::User => s.user_detail_list.push(User {
            path: path.to_owned(),
            user_name: name.to_owned(),
            arn,
            ..User::default()
        }),
        Kind::Role => s.role_detail_list.push(Role {
            path: path.to_owned(),
            role_name: name.to_owned(),
            arn,
            ..Role::default()
        }),
        Kind::Group => s.group_detail_list.push(Group {
            path: path.to_owned(),
            group_name: name.to_owned(),
            arn,
            ..Group::default()
        }),
    }
    true
}

/// One change, made.
fn apply(s: &mut Snapshot, c: &Change, account_id: &str) {
    match c {
        Change::CreatePolicy {
            name,
            path,
            arn,
            description,
            document,
            ..
        } => create_policy(s, (name, path, arn), description.as_ref(), document),
        Change::UpdatePolicy {
            arn,
            new,
            prune,
            reuse,
            ..
        } => update_policy(s, arn, new, prune.as_deref(), reuse.as_deref()),
        // Policy tags, role settings: not in a snapshot.
        Change::TagPolicy { .. } | Change::UntagPolicy { .. } | Change::UpdateRole { .. } => {}
        Change::MovePolicy {
            name,
            old_arn,
            path,
            arn,
            description,
            document,
            ..
        } => {
            delete_policy_whoever_holds_it(s, old_arn);
            create_policy(s, (name, path, arn), description.as_ref(), document);
        }
        // A role's path cannot change.
        Change::UpdatePath { kind, name, path } if *kind != Kind::Role => {
            if let Some(l) = lists(s, *kind, name) {
                *l.path = path.clone();
                *l.arn = self::arn(account_id, kind.as_str(), path, name);
            }
        }
        Change::UpdatePath { .. } => {}
        // Apply deletes the other versions first; IAM then refuses to
        // delete the policy while anyone holds it.
        Change::DeletePolicy { arn, .. } => {
            if let Some(p) = s.policies.iter_mut().find(|p| &p.arn == arn) {
                p.policy_version_list.retain(|v| v.is_default_version);
            }
            if !held(s, arn) {
                s.policies.retain(|p| &p.arn != arn);
            }
        }
        Change::CreateUser { name, path, tags } => {
            if create_principal(s, Kind::User, name, path, account_id) {
                if let Some(u) = s.user_detail_list.last_mut() {
                    u.tags = tags_list(tags);
                }
            }
        }
        Change::CreateRole {
            name,
            path,
            trust,
            tags,
            ..
        } => {
            if create_principal(s, Kind::Role, name, path, account_id) {
                if let Some(r) = s.role_detail_list.last_mut() {
                    r.assume_role_policy_document = Some(Document::new(trust.clone()));
                    r.tags = tags_list(tags);
                }
            }
        }
        Change::CreateGroup { name, path } => {
            create_principal(s, Kind::Group, name, path, account_id);
        }
        Change::Tag { kind, name, tags } => {
            if let Some(t) = lists(s, *kind, name).and_then(|l| l.tags) {
                tag(t, tags);
            }
        }
        Change::Untag { kind, name, keys } => {
            if let Some(t) = lists(s, *kind, name).and_then(|l| l.tags) {
                t.retain(|t| !keys.contains(&t.key));
            }
        }
        Change::UpdateTrust { name, new, .. } => {
            if let Some(r) = s.role_detail_list.iter_mut().find(|r| &r.role_name == name) {
                r.assume_role_policy_document = Some(Document::new(new.clone()));
            }
        }
        Change::SetBoundary { kind, name, arn } => {
            if arn.as_deref().is_some_and(|a| !known(s, a)) {
                return;
            }
            if let Some(b) = lists(s, *kind, name).and_then(|l| l.boundary) {
                *b = arn.as_ref().map(|a| Boundary {
                    permissions_boundary_type: Some("Policy".to_owned()),
                    permissions_boundary_arn: a.clone(),
                });
            }
        }
        Change::AddMember { group, user } => {
            let exists = s.group_detail_list.iter().any(|g| &g.group_name == group);
            if let Some(u) = s.user_detail_list.iter_mut().find(|u| &u.user_name == user) {
                if exists && !u.group_list.contains(group) {
                    u.group_list.push(group.clone());
                }
            }
        }
        Change::RemoveMember { group, user } => {
            if let Some(u) = s.user_detail_list.iter_mut().find(|u| &u.user_name == user) {
                u.group_list.retain(|g| g != group);
            }
        }
        Change::Attach { kind, name, arn } => {
            if !known(s, arn) {
                return;
            }
            if let Some(l) = lists(s, *kind, name) {
                if !l.attached.iter().any(|a| &a.policy_arn == arn) {
                    l.attached.push(AttachedPolicy {
                        policy_name: Some(last(arn).to_owned()),
                        policy_arn: arn.clone(),
                    });
                }
            }
        }
        Change::Detach { kind, name, arn } => {
            if let Some(l) = lists(s, *kind, name) {
                l.attached.retain(|a| &a.policy_arn != arn);
            }
        }
        Change::PutInline {
            kind,
            name,
            policy,
            document,
            ..
        } => {
            if let Some(l) = lists(s, *kind, name) {
                let doc = Some(Document::new(document.clone()));
                match l.inline.iter_mut().find(|p| &p.policy_name == policy) {
                    Some(p) => p.policy_document = doc,
                    None => l.inline.push(InlinePolicy {
                        policy_name: policy.clone(),
                        policy_document: doc,
                    }),
                }
            }
        }
        Change::DeleteInline { kind, name, policy } => {
            if let Some(l) = lists(s, *kind, name) {
                l.inline.retain(|p| &p.policy_name != policy);
            }
        }
        Change::DeleteUser { name } => s.user_detail_list.retain(|u| &u.user_name != name),
        Change::DeleteRole { name } => s.role_detail_list.retain(|r| &r.role_name != name),
        Change::DeleteGroup { name } => {
            for u in &mut s.user_detail_list {
                u.group_list.retain(|g| g != name);
            }
            s.group_detail_list.retain(|g| &g.group_name != name);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use serde_json::json;

    use futures::executor::block_on as run;

    use super::*;
    use crate::backend::{IamBackend, NewPolicy, NewRole, PrincipalKind};
    use crate::memory::{after_changes, MemoryBackend};
    use crate::plan::ActualAccount;

    const ACCOUNT: &str = "111111111111";
    const USERS: [&str; 3] = ["ann", "bob", "cyd"];
    const ROLES: [&str; 2] = ["ci", "ops"];
    const GROUPS: [&str; 2] = ["devs", "admins"];
    const POLICIES: [&str; 3] = ["p0", "p1", "p2"];
    const AWS_RO: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    fn doc(action: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    }

    fn trust(service: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    }

    fn policy_arn(path: &str, name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:policy{path}{name}")
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// An account with two users, a role, a group and two policies, some
    /// attached: what the random changes act on.
    fn base() -> Snapshot {
        let b = MemoryBackend::new(ACCOUNT);
        for u in &USERS[..2] {
            run(b.create_user(u, "/", &tags(&[("team", "a")]))).unwrap();
        }
        let t = trust("ec2.amazonaws.com").to_string();
        run(b.create_role(&NewRole {
            name: "ci",
            path: "/",
            trust: &t,
            description: None,
            max_session_duration: None,
            tags: &tags(&[]),
        }))
        .unwrap();
        run(b.create_group("devs", "/")).unwrap();
        for p in &POLICIES[..2] {
            let d = doc(&format!("s3:{p}")).to_string();
            run(b.create_policy(&NewPolicy {
                name: p,
                path: "/",
                document: &d,
                description: None,
                tags: &tags(&[]),
            }))
            .unwrap();
        }
        run(b.attach(PrincipalKind::User, "ann", &policy_arn("/", "p0"))).unwrap();
        run(b.add_member("devs", "ann")).unwrap();
        run(b.put_inline(PrincipalKind::Role, "ci", "own", &doc("ec2:*").to_string())).unwrap();
        b.snapshot()
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![Just(Kind::User), Just(Kind::Role), Just(Kind::Group)]
    }

    fn name(kind: Kind, i: usize) -> String {
        match kind {
            Kind::User => USERS[i % USERS.len()],
            Kind::Role => ROLES[i % ROLES.len()],
            Kind::Group => GROUPS[i % GROUPS.len()],
        }
        .to_owned()
    }

    fn managed(i: usize) -> String {
        match i % 4 {
            3 => AWS_RO.to_owned(),
            i => policy_arn("/", POLICIES[i]),
        }
    }

    /// One change of the kinds a plan makes, over a small set of names so
    /// that changes meet.
    fn change() -> impl Strategy<Value = Change> {
        let i = 0usize..6;
        prop_oneof![
            (i.clone(), "[a-z]{1,4}").prop_map(|(p, a)| {
                let name = POLICIES[p % 3].to_owned();
                Change::CreatePolicy {
                    arn: policy_arn("/", &name),
                    name,
                    path: "/".into(),
                    description: None,
                    document: doc(&format!("s3:{a}")),
                    tags: Tags::new(),
                }
            }),
            (i.clone(), "[a-z]{1,4}").prop_map(|(p, a)| Change::UpdatePolicy {
                name: POLICIES[p % 3].to_owned(),
                arn: policy_arn("/", POLICIES[p % 3]),
                old: Value::Null,
                new: doc(&format!("sqs:{a}")),
                prune: None,
                reuse: None,
            }),
            i.clone().prop_map(|p| Change::MovePolicy {
                name: POLICIES[p % 3].to_owned(),
                old_arn: policy_arn("/", POLICIES[p % 3]),
                path: "/moved/".into(),
                arn: policy_arn("/moved/", POLICIES[p % 3]),
                description: None,
                document: doc("sns:Publish"),
                tags: Tags::new(),
            }),
            i.clone().prop_map(|p| Change::DeletePolicy {
                name: POLICIES[p % 3].to_owned(),
                arn: policy_arn("/", POLICIES[p % 3]),
            }),
            (i.clone(), prop_oneof![Just("/"), Just("/x/")]).prop_map(|(u, path)| {
                Change::CreateUser {
                    name: name(Kind::User, u),
                    path: path.into(),
                    tags: tags(&[("team", "b")]),
                }
            }),
            i.clone().prop_map(|r| Change::CreateRole {
                name: name(Kind::Role, r),
                path: "/".into(),
                trust: trust("lambda.amazonaws.com"),
                description: None,
                max_session_duration: None,
                tags: tags(&[("owner", "x")]),
            }),
            i.clone().prop_map(|g| Change::CreateGroup {
                name: name(Kind::Group, g),
                path: "/".into(),
            }),
            (kind(), i.clone()).prop_map(|(k, n)| Change::UpdatePath {
                kind: k,
                name: name(k, n),
                path: "/moved/".into(),
            }),
            (kind(), i.clone(), "[a-z]{1,3}").prop_map(|(k, n, v)| Change::Tag {
                kind: k,
                name: name(k, n),
                tags: tags(&[("team", &v), ("extra", "1")]),
            }),
            (kind(), i.clone()).prop_map(|(k, n)| Change::Untag {
                kind: k,
                name: name(k, n),
                keys: vec!["team".into()],
            }),
            i.clone().prop_map(|r| Change::UpdateTrust {
                name: name(Kind::Role, r),
                old: Value::Null,
                new: trust("ecs-tasks.amazonaws.com"),
            }),
            (kind(), i.clone(), proptest::option::of(i.clone())).prop_map(|(k, n, p)| {
                Change::SetBoundary {
                    kind: k,
                    name: name(k, n),
                    arn: p.map(managed),
                }
            }),
            (i.clone(), i.clone()).prop_map(|(g, u)| Change::AddMember {
                group: name(Kind::Group, g),
                user: name(Kind::User, u),
            }),
            (i.clone(), i.clone()).prop_map(|(g, u)| Change::RemoveMember {
                group: name(Kind::Group, g),
                user: name(Kind::User, u),
            }),
            (kind(), i.clone(), i.clone()).prop_map(|(k, n, p)| Change::Attach {
                kind: k,
                name: name(k, n),
                arn: managed(p),
            }),
            (kind(), i.clone(), i.clone()).prop_map(|(k, n, p)| Change::Detach {
                kind: k,
                name: name(k, n),
                arn: managed(p),
            }),
            (kind(), i.clone(), "[a-z]{1,4}").prop_map(|(k, n, a)| Change::PutInline {
                kind: k,
                name: name(k, n),
                policy: "own".into(),
                old: None,
                document: doc(&format!("dynamodb:{a}")),
            }),
            (kind(), i.clone()).prop_map(|(k, n)| Change::DeleteInline {
                kind: k,
                name: name(k, n),
                policy: "own".into(),
            }),
            i.clone().prop_map(|u| Change::DeleteUser {
                name: name(Kind::User, u)
            }),
            i.clone().prop_map(|r| Change::DeleteRole {
                name: name(Kind::Role, r)
            }),
            i.prop_map(|g| Change::DeleteGroup {
                name: name(Kind::Group, g)
            }),
        ]
    }

    /// What the access diff and the planner see of an account: principals
    /// with their policies, tags, paths and memberships, and every managed
    /// policy's versions and default document.
    /// A managed policy: ARN, path, version ids, default document.
    type Seen = (String, String, Vec<String>, Value);

    fn seen(s: &Snapshot) -> (ActualAccount, Vec<Seen>) {
        let a = ActualAccount::from_snapshot(s, &HashMap::new());
        let mut policies: Vec<_> = s
            .policies
            .iter()
            .map(|p| {
                let mut versions: Vec<String> = p
                    .policy_version_list
                    .iter()
                    .map(|v| v.version_id.clone())
                    .collect();
                versions.sort();
                let d = p.default_document().cloned().unwrap_or(Value::Null);
                (p.arn.clone(), p.path.clone(), versions, d)
            })
            .collect();
        policies.sort_by(|x, y| x.0.cmp(&y.0));
        (a, policies)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The projection and the in-memory IAM backend (IAM's documented
        /// rules, apply's own calls) reach the same account for any
        /// sequence of changes.
        #[test]
        fn the_projection_is_what_the_memory_backend_makes(
            changes in proptest::collection::vec(change(), 0..12)
        ) {
            let before = base();
            let projected = after(&before, &changes, ACCOUNT);
            let made = after_changes(&before, &changes, ACCOUNT);
            let (pa, pp) = seen(&projected);
            let (ma, mp) = seen(&made);
            prop_assert_eq!(&pa.users, &ma.users);
            prop_assert_eq!(&pa.roles, &ma.roles);
            prop_assert_eq!(&pa.groups, &ma.groups);
            prop_assert_eq!(pp, mp);
        }
    }

    /// The cross-check can fail: a projection that forgot a change differs.
    #[test]
    fn a_change_left_out_shows() {
        let before = base();
        let changes = [Change::Attach {
            kind: Kind::User,
            name: "bob".into(),
            arn: policy_arn("/", "p1"),
        }];
        let projected = after(&before, &[], ACCOUNT);
        let made = after_changes(&before, &changes, ACCOUNT);
        assert_ne!(seen(&projected).0.users, seen(&made).0.users);
        assert_eq!(
            seen(&after(&before, &changes, ACCOUNT)).0.users,
            seen(&made).0.users
        );
    }
}
