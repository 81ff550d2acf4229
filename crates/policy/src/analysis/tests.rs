use serde_json::json;

use super::*;
use crate::account::{Account, Source};
use crate::eval::{evaluate, Note, Policy, PolicySet, Principal};

fn account() -> Account {
    let doc = |st: serde_json::Value| json!({"Version": "2012-10-17", "Statement": st});
    Account::from_snapshot(&crate::snapshot::Snapshot::from_value(&json!({
        "UserDetailList": [
            {"UserName": "alice", "Arn": "arn:aws:iam::111111111111:user/alice", "Path": "/",
             "GroupList": ["readers"], "AttachedManagedPolicies": [], "UserPolicyList": [
                {"PolicyName": "own-keys", "PolicyDocument": doc(json!([{"Effect": "Allow",
                    "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::*:user/${aws:username}"}]))}]},
            {"UserName": "bob", "Arn": "arn:aws:iam::111111111111:user/bob", "Path": "/",
             "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": []}
        ],
        "GroupDetailList": [
            {"GroupName": "readers", "Arn": "arn:aws:iam::111111111111:group/readers",
             "GroupPolicyList": [], "AttachedManagedPolicies": [
                {"PolicyName": "read", "PolicyArn": "arn:aws:iam::111111111111:policy/read"}]}
        ],
        "RoleDetailList": [
            {"RoleName": "admin", "Arn": "arn:aws:iam::111111111111:role/admin", "Path": "/",
             "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}])),
             "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}],
             "AttachedManagedPolicies": []}
        ],
        "Policies": [
            {"PolicyName": "read", "Arn": "arn:aws:iam::111111111111:policy/read", "DefaultVersionId": "v1",
             "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": doc(json!([
                {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]))}]}
        ]
    })).unwrap())
}

#[test]
fn who_can_names_principals_and_the_group_they_get_it_through() {
    let account = account();
    let actions = catalog().expand("s3:GetObject");
    let grants = who_can(
        &account,
        &actions,
        Some("arn:aws:s3:::data/x"),
        &Context::new(),
        None,
    );
    let names: Vec<&str> = grants
        .iter()
        .map(|g| account.principals[g.principal].name.as_str())
        .collect();
    assert_eq!(names, ["alice", "admin"]);
    let alice = &grants[0];
    assert_eq!(alice.because[0].via, Some(&Source::Group("readers".into())));
    assert_eq!(alice.because[0].sid, Some("Read"));
    // Another bucket: only the admin role.
    let grants = who_can(
        &account,
        &actions,
        Some("arn:aws:s3:::other/x"),
        &Context::new(),
        None,
    );
    assert_eq!(grants.len(), 1);
}

#[test]
fn who_can_without_a_resource_means_some_resource_of_the_action() {
    let account = account();
    // `s3:ListBucket` takes buckets; alice's policy names objects only.
    let grants = who_can(
        &account,
        &catalog().expand("s3:ListBucket"),
        None,
        &Context::new(),
        None,
    );
    assert_eq!(grants.len(), 1);
    assert_eq!(account.principals[grants[0].principal].name, "admin");
    // `iam:CreateAccessKey` on her own user counts.
    let grants = who_can(
        &account,
        &catalog().expand("iam:CreateAccessKey"),
        None,
        &Context::new(),
        None,
    );
    assert_eq!(grants.len(), 2);
    // Wildcards expand: every iam action for the admin.
    let iam = catalog().expand("iam:*");
    let grants = who_can(&account, &iam, None, &Context::new(), None);
    let admin = grants
        .iter()
        .filter(|g| account.principals[g.principal].name == "admin")
        .count();
    assert_eq!(admin, iam.len());
}

/// The per-service pre-check and the threads change nothing: `who_can`
/// over every action gives what evaluating every (principal, action)
/// pair gives, in action order then principal order.
#[test]
fn who_can_everything_equals_evaluating_every_pair() {
    let account = account();
    let all = catalog().expand("*");
    let base = Context::new();
    for resource in [None, Some("arn:aws:s3:::data/x")] {
        let fast: Vec<(String, usize)> = who_can(&account, &all, resource, &base, None)
            .into_iter()
            .map(|g| {
                let (service, action) = all[g.action];
                (format!("{}:{}", service.prefix, action.name), g.principal)
            })
            .collect();
        let mut slow = Vec::new();
        for (service, action) in &all {
            let name = format!("{}:{}", service.prefix, action.name);
            for (i, e) in account.principals.iter().enumerate() {
                let mut req = principal_request(&account, e, &base, resource.unwrap_or("*"));
                req.set_action(&name);
                req.set_any_resource(
                    resource
                        .is_none()
                        .then(|| resource_predicate(service, action)),
                );
                if evaluate(&req, &account.policy_set(e)).decision == Decision::Allowed {
                    slow.push((name.clone(), i));
                }
            }
        }
        assert!(!slow.is_empty());
        let first = fast.iter().zip(&slow).position(|(a, b)| a != b);
        assert!(
            fast == slow,
            "{resource:?}: {} against {} grants; first difference at {first:?}: {:?} against {:?}",
            fast.len(),
            slow.len(),
            first.map(|i| &fast[i]),
            first.map(|i| &slow[i])
        );
    }
}

#[test]
fn access_summarises_levels_and_flags_risky_permissions() {
    let account = account();
    let alice = account.principal("alice").unwrap();
    let summary = access(&account, alice, &Context::new());
    assert_eq!(summary.services["s3"][&AccessLevel::Read], ["GetObject"]);
    assert!(summary
        .risky
        .iter()
        .any(|(a, _)| a == "iam:CreateAccessKey"));
    let bob = account.principal("bob").unwrap();
    assert!(access(&account, bob, &Context::new()).services.is_empty());
    let admin = account.principal("admin").unwrap();
    let summary = access(&account, admin, &Context::new());
    assert!(summary.risky.iter().any(|(a, _)| a == "iam:PassRole"));
    assert_eq!(summary.evaluated, catalog().action_count());
}

#[test]
fn context_notes_name_missing_keys_and_keys_the_action_never_sends() {
    let p = Policy::from_json(
        "p",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"ec2:Region": "eu-west-1", "aws:PrincipalTag/team": "data"}}}]}),
    )
    .unwrap();
    let set = PolicySet {
        identity: vec![&p],
        ..PolicySet::default()
    };
    let req = Request::new(
        Principal::parse("arn:aws:iam::111111111111:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        None,
        Context::new(),
    );
    let notes = context_notes(&req, &set);
    assert_eq!(
        notes,
        vec![
            Note::KeyNeverSent {
                key: "ec2:Region".into(),
                action: "s3:GetObject".into()
            },
            Note::MissingContextKey("aws:PrincipalTag/team".into()),
        ]
    );
}
