//! `escalation`: paths decided by the engine on snapshots built here, one
//! case per method family, a two-hop path, and condition-, resource-,
//! boundary- and deny-restricted non-cases.

use iamctl_policy::escalation::{analyse, methods, new_paths, EscalationPath, Kind, Target};
use serde_json::{json, Value};

const ACCT: &str = "111122223333";

/// The snapshot as iamctl reads it.
fn typed(v: &Value) -> iamctl_policy::snapshot::Snapshot {
    iamctl_policy::snapshot::Snapshot::from_value(v).unwrap()
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:{kind}/{name}")
}

#[derive(Default)]
struct Snap {
    users: Vec<Value>,
    roles: Vec<Value>,
    groups: Vec<Value>,
    policies: Vec<Value>,
}

impl Snap {
    fn new() -> Snap {
        let mut s = Snap::default();
        s.policies.push(json!({"PolicyName": "AdministratorAccess",
            "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}]}));
        s
    }
    fn user(
        &mut self,
        name: &str,
        inline: Vec<Value>,
        managed: &[&str],
        groups: &[&str],
        boundary: Option<&str>,
    ) {
        let mut u = json!({"UserName": name, "Arn": arn("user", name), "Path": "/",
            "GroupList": groups,
            "AttachedManagedPolicies": managed.iter().map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a})).collect::<Vec<_>>(),
            "UserPolicyList": inline.into_iter().enumerate().map(|(i, d)| json!({"PolicyName": format!("p{i}"), "PolicyDocument": d})).collect::<Vec<_>>()});
        if let Some(b) = boundary {
            u["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
        }
        self.users.push(u);
    }
    fn role(&mut self, name: &str, trust: Value, inline: Vec<Value>, managed: &[&str]) {
        self.roles.push(json!({"RoleName": name, "Arn": arn("role", name), "Path": "/",
            "AssumeRolePolicyDocument": doc(trust),
            "AttachedManagedPolicies": managed.iter().map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a})).collect::<Vec<_>>(),
            "RolePolicyList": inline.into_iter().enumerate().map(|(i, d)| json!({"PolicyName": format!("p{i}"), "PolicyDocument": d})).collect::<Vec<_>>()}));
    }
    fn group(&mut self, name: &str, inline: Vec<Value>, managed: &[&str]) {
        self.groups.push(json!({"GroupName": name, "Arn": arn("group", name), "Path": "/",
            "AttachedManagedPolicies": managed.iter().map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a})).collect::<Vec<_>>(),
            "GroupPolicyList": inline.into_iter().enumerate().map(|(i, d)| json!({"PolicyName": format!("p{i}"), "PolicyDocument": d})).collect::<Vec<_>>()}));
    }
    fn policy(&mut self, name: &str, d: Value) -> String {
        let a = arn("policy", name);
        self.policies.push(
            json!({"PolicyName": name, "Arn": a, "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": d}]}),
        );
        a
    }
    fn json(&self) -> Value {
        json!({"UserDetailList": self.users, "RoleDetailList": self.roles,
               "GroupDetailList": self.groups, "Policies": self.policies})
    }
}

fn allow(action: &str, resource: &str) -> Value {
    doc(json!([{"Effect": "Allow", "Action": action, "Resource": resource}]))
}

/// One account with a case per method family and the non-cases.
fn account() -> Value {
    let mut s = Snap::new();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    s.user("root-admin", vec![], &[admin], &[], None);
    // Self-escalation: a new version of its own managed policy.
    let team_dev = s.policy(
        "team-dev",
        doc(
            json!([{"Sid": "OwnPolicy", "Effect": "Allow", "Action": "iam:CreatePolicyVersion",
            "Resource": arn("policy", "team-dev")}]),
        ),
    );
    s.user("alice", vec![], &[&team_dev], &[], None);
    // Credentials of another user.
    s.user(
        "bob",
        vec![allow("iam:CreateAccessKey", &arn("user", "root-admin"))],
        &[],
        &[],
        None,
    );
    // Two hops: carol -> role ci -> role admin.
    s.user(
        "carol",
        vec![allow("sts:AssumeRole", &arn("role", "ci"))],
        &[],
        &[],
        None,
    );
    s.role(
        "ci",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("user", "carol")}, "Action": "sts:AssumeRole"}]),
        vec![allow("sts:AssumeRole", &arn("role", "admin"))],
        &[],
    );
    s.role(
        "admin",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("role", "ci")}, "Action": "sts:AssumeRole"}]),
        vec![],
        &[admin],
    );
    // PassRole to EC2, whose role is an administrator.
    s.role(
        "ec2-admin",
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        vec![],
        &[admin],
    );
    s.user(
        "dave",
        vec![doc(json!([
            {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "ec2-admin")},
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]))],
        &[],
        &[],
        None,
    );
    // An existing Lambda function running as an administrator role.
    s.role(
        "lambda-admin",
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        vec![],
        &[admin],
    );
    s.user(
        "erin",
        vec![allow("lambda:UpdateFunctionCode", "*")],
        &[],
        &[],
        None,
    );
    // Group policy writes and joining a group.
    s.group(
        "devs",
        vec![allow("iam:PutGroupPolicy", &arn("group", "devs"))],
        &[],
    );
    s.user("frank", vec![], &[], &["devs"], None);
    s.group("admins", vec![], &[admin]);
    s.user(
        "olga",
        vec![allow("iam:AddUserToGroup", &arn("group", "admins"))],
        &[],
        &[],
        None,
    );
    // Attach an administrator policy to a role it can assume.
    s.role(
        "ops",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("user", "paul")}, "Action": "sts:AssumeRole"}]),
        vec![],
        &[],
    );
    s.user(
        "paul",
        vec![doc(json!([
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", "ops")},
            {"Sid": "AttachOps", "Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": arn("role", "ops")}]))],
        &[],
        &[],
        None,
    );

    // Login profile of another user; trust rewrite; own inline policy;
    // attaching AdministratorAccess to itself.
    s.user(
        "rita",
        vec![allow("iam:CreateLoginProfile", &arn("user", "root-admin"))],
        &[],
        &[],
        None,
    );
    s.user(
        "quinn",
        vec![allow("iam:UpdateAssumeRolePolicy", &arn("role", "admin"))],
        &[],
        &[],
        None,
    );
    s.user(
        "sam",
        vec![allow("iam:PutUserPolicy", &arn("user", "sam"))],
        &[],
        &[],
        None,
    );
    s.user(
        "tom",
        vec![doc(json!([{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": arn("user", "tom"),
            "Condition": {"ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}}}]))],
        &[],
        &[],
        None,
    );

    // Non-cases.
    // gina may attach only ReadOnlyAccess to herself.
    s.user(
        "gina",
        vec![doc(json!([{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": arn("user", "gina"),
            "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}]))],
        &[],
        &[],
        None,
    );
    // hank may create keys for himself only.
    s.user(
        "hank",
        vec![allow(
            "iam:CreateAccessKey",
            "arn:aws:iam::*:user/${aws:username}",
        )],
        &[],
        &[],
        None,
    );
    // ivan may write his own inline policies, but a boundary caps him.
    let boundary = s.policy("s3-only", allow("s3:*", "*"));
    s.user(
        "ivan",
        vec![allow("iam:PutUserPolicy", &arn("user", "ivan"))],
        &[],
        &[],
        Some(&boundary),
    );
    // judy may call AssumeRole on admin, but its trust does not name her.
    s.user(
        "judy",
        vec![allow("sts:AssumeRole", &arn("role", "admin"))],
        &[],
        &[],
        None,
    );
    // kate may pass ec2-admin only to Lambda, and cannot create functions.
    s.user(
        "kate",
        vec![doc(json!([
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "ec2-admin"),
             "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]))],
        &[],
        &[],
        None,
    );
    // leo's PutUserPolicy is denied without MFA.
    s.user(
        "leo",
        vec![doc(json!([
            {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": arn("user", "leo")},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]))],
        &[],
        &[],
        None,
    );
    s.json()
}

fn path_of<'a>(paths: &'a [EscalationPath], user: &str) -> Option<&'a EscalationPath> {
    paths.iter().find(|p| p.principal == arn("user", user))
}

#[test]
fn the_catalogue_is_pathfinding_cloud_with_a_kind_for_each_method() {
    let m = methods();
    assert_eq!(m.len(), 65);
    assert!(m.iter().all(|m| m.kind != Kind::Unsupported), "{m:?}");
    assert!(iamctl_policy::escalation::source().contains("pathfinding.cloud"));
    let ec2 = m.iter().find(|m| m.id == "ec2-001").unwrap();
    assert_eq!(ec2.service.as_deref(), Some("ec2.amazonaws.com"));
    assert_eq!(ec2.actions, ["iam:PassRole", "ec2:RunInstances"]);
}

#[test]
fn one_case_per_method_family() {
    let report = analyse(&typed(&account()), &Target::Admin, None).unwrap();
    let paths = &report.paths;
    assert!(report.admins.contains(&arn("user", "root-admin")));

    let alice = path_of(paths, "alice").expect("alice escalates");
    assert_eq!(alice.steps.len(), 1);
    assert_eq!(alice.steps[0].method, "iam-001");
    assert_eq!(alice.steps[0].action, "iam:CreatePolicyVersion");
    assert_eq!(alice.steps[0].resource, arn("policy", "team-dev"));
    assert!(
        alice.steps[0].statement.contains("OwnPolicy"),
        "{:?}",
        alice.steps[0]
    );

    let bob = path_of(paths, "bob").expect("bob escalates");
    assert_eq!(bob.steps[0].method, "iam-002");
    assert_eq!(bob.steps[0].resource, arn("user", "root-admin"));

    let carol = path_of(paths, "carol").expect("carol escalates in two hops");
    let hops: Vec<&str> = carol.steps.iter().map(|s| s.resource.as_str()).collect();
    assert_eq!(hops, [arn("role", "ci"), arn("role", "admin")]);
    assert!(carol.steps.iter().all(|s| s.action == "sts:AssumeRole"));
    assert_eq!(carol.steps[1].principal, arn("role", "ci"));
    assert_eq!(
        carol.steps[0].statement,
        format!("{}#p0 (statement 0)", arn("user", "carol"))
    );
    assert_eq!(
        carol.steps[1].statement,
        format!("{}#p0 (statement 0)", arn("role", "ci"))
    );

    let dave = path_of(paths, "dave").expect("dave passes a role to EC2");
    assert_eq!(dave.steps[0].method, "ec2-001");
    assert_eq!(dave.steps[0].action, "iam:PassRole");
    assert_eq!(dave.steps[0].resource, arn("role", "ec2-admin"));
    assert!(dave.steps[0].statement.contains("Pass"));
    assert!(!dave.if_resource_exists);

    let erin = path_of(paths, "erin").expect("erin, if a function runs as the role");
    assert!(erin.if_resource_exists);
    assert!(erin.steps[0].method.starts_with("lambda-"));
    assert_eq!(erin.steps[0].resource, arn("role", "lambda-admin"));

    let frank = path_of(paths, "frank").expect("frank writes his group's policy");
    assert_eq!(frank.steps[0].method, "iam-011");
    assert_eq!(frank.steps[0].resource, arn("group", "devs"));

    let olga = path_of(paths, "olga").expect("olga joins admins");
    assert_eq!(olga.steps[0].method, "iam-013");

    let paul = path_of(paths, "paul").expect("paul attaches to ops and assumes it");
    let actions: Vec<&str> = paul.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["iam:AttachRolePolicy", "sts:AssumeRole"]);
    assert!(paul.steps[0].statement.contains("AttachOps"));

    let method = |u: &str| path_of(paths, u).map(|p| p.steps[0].method.clone());
    assert_eq!(method("rita").as_deref(), Some("iam-004"));
    assert_eq!(method("quinn").as_deref(), Some("iam-012"));
    assert_eq!(method("sam").as_deref(), Some("iam-007"));
    assert_eq!(method("tom").as_deref(), Some("iam-008"));
    assert!(path_of(paths, "tom").unwrap().steps[0]
        .effect
        .contains("AdministratorAccess"));

    for user in ["gina", "hank", "ivan", "judy", "kate", "leo"] {
        assert!(
            path_of(paths, user).is_none(),
            "{user}: {:?}",
            path_of(paths, user)
        );
    }
}

#[test]
fn a_target_principal_and_one_starting_principal() {
    let snap = account();
    let r = analyse(
        &typed(&snap),
        &Target::Principal(arn("role", "ci")),
        Some("carol"),
    )
    .unwrap();
    assert_eq!(r.paths.len(), 1);
    assert_eq!(r.paths[0].target, arn("role", "ci"));
    assert_eq!(r.paths[0].steps.len(), 1);
    let r = analyse(&typed(&snap), &Target::Admin, Some("gina")).unwrap();
    assert!(r.paths.is_empty());
    assert!(analyse(&typed(&snap), &Target::Admin, Some("nobody")).is_err());
}

/// A snapshot of `users` users and `roles` roles shaped like a real account:
/// most hold a few service permissions, some may assume roles, pass roles
/// or manage keys.
pub fn generated(users: usize, roles: usize) -> Value {
    let mut s = Snap::new();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let read = s.policy("read", allow("s3:Get*", "*"));
    for r in 0..roles {
        let trust = if r % 10 == 0 {
            json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])
        } else {
            json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}])
        };
        let managed: Vec<&str> = if r % 50 == 5 {
            vec![admin]
        } else {
            vec![read.as_str()]
        };
        s.role(
            &format!("role{r}"),
            trust,
            vec![allow(
                "dynamodb:*",
                &format!("arn:aws:dynamodb:*:{ACCT}:table/t{r}"),
            )],
            &managed,
        );
    }
    for u in 0..users {
        let mut inline = vec![allow("s3:*", &format!("arn:aws:s3:::bucket{u}/*"))];
        match u % 20 {
            0 => inline.push(allow("sts:AssumeRole", &arn("role", &format!("role{}", (u + 5) % roles.max(1))))),
            1 => inline.push(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")),
            2 => inline.push(doc(json!([
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", &format!("role{}", u % roles.max(1))),
                 "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
                {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]))),
            _ => {}
        }
        s.user(&format!("user{u}"), inline, &[read.as_str()], &[], None);
    }
    s.json()
}

#[test]
fn a_1200_principal_account_is_analysed() {
    let snap = generated(600, 600);
    let t = std::time::Instant::now();
    let r = analyse(&typed(&snap), &Target::Admin, None).unwrap();
    let took = t.elapsed();
    eprintln!(
        "escalation over {} principals: {:.3} s, {} paths",
        r.principals,
        took.as_secs_f64(),
        r.paths.len()
    );
    assert_eq!(r.principals, 1200);
    // user0 may assume role5, an administrator; user20 role25, not one.
    assert!(r.paths.iter().any(|p| p.principal == arn("user", "user0")));
    assert!(!r.paths.iter().any(|p| p.principal == arn("user", "user20")));
    // user1 may only make keys for itself.
    assert!(!r.paths.iter().any(|p| p.principal == arn("user", "user1")));
}

#[test]
fn new_paths_are_those_a_change_opens() {
    let before = account();
    let mut after = before.clone();
    // Give gina a policy version she can rewrite.
    let users = after["UserDetailList"].as_array_mut().unwrap();
    let gina = users.iter_mut().find(|u| u["UserName"] == "gina").unwrap();
    gina["UserPolicyList"]
        .as_array_mut()
        .unwrap()
        .push(json!({"PolicyName": "oops", "PolicyDocument": allow("iam:PutUserPolicy", &arn("user", "gina"))}));
    let opened = new_paths(&typed(&before), &typed(&after)).unwrap();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0].principal, arn("user", "gina"));
    assert_eq!(opened[0].steps[0].method, "iam-007");
    assert!(new_paths(&typed(&before), &typed(&before))
        .unwrap()
        .is_empty());
}

/// The worst shape for the graph: every role may assume every role, every
/// user may (under a condition it does not meet) assume any role and pass
/// any role to EC2. `cargo test --release -p iamctl-policy --test escalation
/// -- --ignored --nocapture` prints the time.
#[test]
#[ignore = "a benchmark: run in release"]
fn a_dense_1200_principal_account_is_analysed() {
    let mut snap = generated(600, 600);
    for u in snap["UserDetailList"].as_array_mut().unwrap() {
        u["UserPolicyList"].as_array_mut().unwrap().push(json!({"PolicyName": "assume", "PolicyDocument": doc(json!([
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "iam:PassRole", "ec2:RunInstances"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}]))}));
    }
    for r in snap["RoleDetailList"].as_array_mut().unwrap() {
        r["RolePolicyList"]
            .as_array_mut()
            .unwrap()
            .push(json!({"PolicyName": "assume",
            "PolicyDocument": allow("sts:AssumeRole", &format!("arn:aws:iam::{ACCT}:role/*"))}));
    }
    let t = std::time::Instant::now();
    let r = analyse(&typed(&snap), &Target::Admin, None).unwrap();
    eprintln!(
        "dense escalation over {} principals: {:.3} s, {} paths",
        r.principals,
        t.elapsed().as_secs_f64(),
        r.paths.len()
    );
    assert_eq!(r.paths.len(), 618);
}

#[test]
fn service_control_policies_count() {
    use iamctl_policy::escalation::analyse_with_scps;
    use iamctl_policy::eval::Policy;
    let snap = account();
    let scp = Policy::from_json(
        "scp",
        &doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": ["iam:CreatePolicyVersion", "iam:CreateAccessKey"], "Resource": "*"}])),
    )
    .unwrap();
    let r = analyse_with_scps(&typed(&snap), &Target::Admin, None, &[vec![scp]]).unwrap();
    assert!(
        path_of(&r.paths, "alice").is_none(),
        "{:?}",
        path_of(&r.paths, "alice")
    );
    assert!(path_of(&r.paths, "bob").is_none());
    // The SCP denies no administrator everything: carol still reaches one.
    assert!(path_of(&r.paths, "carol").is_some());
    assert!(r.admins.contains(&arn("user", "root-admin")));
}

const NOW: &str = "2026-06-01T12:00:00Z";
const OPERATOR: &str = "arn:aws:iam::999999999999:user/operator";

fn operator_trust() -> Value {
    json!([{"Effect": "Allow", "Principal": {"AWS": OPERATOR}, "Action": "sts:AssumeRole"}])
}

/// Shaped like BishopFox's iam-vulnerable (BSD-3-Clause): its privesc13,
/// sre, fn3 and fp5 scenarios, each user and role holding the scenario's
/// customer-managed policy, the roles trusting an outside operator.
fn iam_vulnerable() -> Value {
    let mut s = Snap::new();
    // privesc13: iam:AddUserToGroup on every group.
    let p13 = s.policy("privesc13-AddUserToGroup", allow("iam:AddUserToGroup", "*"));
    s.user("privesc13-AddUserToGroup-user", vec![], &[&p13], &[], None);
    s.role(
        "privesc13-AddUserToGroup-role",
        operator_trust(),
        vec![],
        &[&p13],
    );
    // sre: a high-privilege policy that is not every permission.
    let sre = s.policy(
        "privesc-sre-admin-policy",
        doc(json!([{"Effect": "Allow", "Action": ["iam:*", "ec2:*", "s3:*"], "Resource": "*"}])),
    );
    s.group("privesc-sre-group", vec![], &[&sre]);
    s.user(
        "privesc-sre-user",
        vec![],
        &[],
        &["privesc-sre-group"],
        None,
    );
    // fn3: CreatePolicyVersion for sessions issued after 2020.
    let fn3 = s.policy(
        "fn3-exploitableConditionConstraint",
        doc(
            json!([{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}]),
        ),
    );
    s.user(
        "fn3-exploitableConditionConstraint-user",
        vec![],
        &[&fn3],
        &[],
        None,
    );
    s.role(
        "fn3-exploitableConditionConstraint-role",
        operator_trust(),
        vec![],
        &[&fn3],
    );
    // fp5: the same for sessions issued before 2020, which nobody can get.
    let fp5 = s.policy(
        "fp5-nonExploitableConditionConstraint",
        doc(
            json!([{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}]),
        ),
    );
    s.user(
        "fp5-nonExploitableConditionConstraint-user",
        vec![],
        &[&fp5],
        &[],
        None,
    );
    s.role(
        "fp5-nonExploitableConditionConstraint-role",
        operator_trust(),
        vec![],
        &[&fp5],
    );
    // fn3 again, for a user that may enable its own virtual MFA device.
    s.user(
        "fn3-mfa-user",
        vec![doc(json!([
            {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": arn("mfa", "fn3-mfa-user")},
            {"Effect": "Allow", "Action": "iam:EnableMFADevice", "Resource": arn("user", "fn3-mfa-user")}]))],
        &[&fn3],
        &[],
        None,
    );
    s.json()
}

fn analyse_now(snap: &Value) -> iamctl_policy::escalation::Report {
    use iamctl_policy::escalation::{analyse_with, Options};
    let options = Options {
        now: Some(NOW),
        ..Options::default()
    };
    analyse_with(&typed(snap), &Target::Admin, &options).unwrap()
}

fn path_from<'a>(
    r: &'a iamctl_policy::escalation::Report,
    arn: &str,
) -> Option<&'a EscalationPath> {
    r.paths.iter().find(|p| p.principal == arn)
}

#[test]
fn iam_vulnerable_join_then_act() {
    let r = analyse_now(&iam_vulnerable());
    let user = arn("user", "privesc13-AddUserToGroup-user");
    let p = path_from(&r, &user).expect("privesc13 joins the sre group, then acts");
    let actions: Vec<&str> = p.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions[0], "iam:AddUserToGroup");
    assert_eq!(p.steps[0].resource, arn("group", "privesc-sre-group"));
    assert!(p.steps[0].statement.contains("privesc13-AddUserToGroup"));
    // Then, with the group's iam:*, it writes itself an administrator policy.
    assert_eq!(p.steps.len(), 2, "{p:#?}");
    assert_eq!(p.steps[1].principal, user);
    assert!(p.steps[1].resource == user || p.steps[1].resource.contains(":policy/"));
    assert!(
        p.steps[1].statement.contains("privesc-sre-admin-policy"),
        "{p:#?}"
    );
    // The role may add users to groups but cannot join one itself.
    assert!(path_from(&r, &arn("role", "privesc13-AddUserToGroup-role")).is_none());
    // The sre user acts at once (one hop).
    let sre = path_from(&r, &arn("user", "privesc-sre-user")).expect("sre user");
    assert_eq!(sre.steps.len(), 1);
}

#[test]
fn iam_vulnerable_conditions_a_session_can_satisfy() {
    let snap = iam_vulnerable();
    let r = analyse_now(&snap);
    // A session of the role carries aws:TokenIssueTime (issued now).
    let role = path_from(&r, &arn("role", "fn3-exploitableConditionConstraint-role"))
        .expect("fn3 role: its session was issued after 2020");
    assert_eq!(role.steps[0].action, "iam:CreatePolicyVersion");
    assert_eq!(
        role.steps[0].resource,
        arn("policy", "fn3-exploitableConditionConstraint")
    );
    // The plain user's long-term keys carry no aws:TokenIssueTime, and a
    // GetSessionToken session without MFA cannot call IAM (STS API
    // reference, GetSessionToken: "You cannot call any IAM API operations
    // unless MFA authentication information is included in the request.").
    assert!(path_from(&r, &arn("user", "fn3-exploitableConditionConstraint-user")).is_none());
    // With a virtual MFA device it enables itself, it can.
    let mfa = path_from(&r, &arn("user", "fn3-mfa-user")).expect("fn3 with MFA");
    assert_eq!(mfa.steps[0].action, "iam:CreatePolicyVersion");
    assert!(
        mfa.steps[0]
            .session
            .as_deref()
            .unwrap_or("")
            .contains("MFA"),
        "{mfa:#?}"
    );
    // No session is issued before 2020: fp5 never escalates.
    for who in [
        arn("user", "fp5-nonExploitableConditionConstraint-user"),
        arn("role", "fp5-nonExploitableConditionConstraint-role"),
    ] {
        assert!(path_from(&r, &who).is_none(), "{who}");
    }
    // Without a clock no time condition holds.
    let r = analyse(&typed(&snap), &Target::Admin, None).unwrap();
    assert!(path_from(&r, &arn("role", "fn3-exploitableConditionConstraint-role")).is_none());
}

#[test]
fn a_session_token_satisfies_time_conditions_outside_iam() {
    // A user allowed to pass a role to EC2 and run instances only from a
    // session issued after 2020: sts:GetSessionToken gives one, and EC2
    // calls need no MFA.
    let mut s = Snap::new();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    s.role(
        "ec2-admin",
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
        vec![],
        &[admin],
    );
    let fresh = json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}});
    s.user(
        "runner",
        vec![doc(json!([
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "ec2-admin")},
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*", "Condition": fresh}]))],
        &[],
        &[],
        None,
    );
    let r = analyse_now(&s.json());
    let p = path_from(&r, &arn("user", "runner")).expect("runner");
    assert_eq!(p.steps[0].method, "ec2-001");
    assert!(p.steps[0].effect.contains("ec2:RunInstances"), "{p:#?}");
}

#[test]
fn a_source_identity_the_attacker_sets() {
    // ops may write its own policies only in sessions with source identity
    // `breakglass`; dev may assume ops and set a source identity.
    let mut s = Snap::new();
    s.role(
        "ops",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("user", "dev")},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]),
        vec![doc(json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": arn("role", "ops"),
            "Condition": {"StringEquals": {"aws:SourceIdentity": "breakglass"}}}]))],
        &[],
    );
    s.user(
        "dev",
        vec![allow("sts:AssumeRole", &arn("role", "ops"))],
        &[],
        &[],
        None,
    );
    // ci may assume ops too, but not set a source identity.
    s.role(
        "ops2",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("user", "ci")}, "Action": "sts:AssumeRole"}]),
        vec![doc(json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": arn("role", "ops2"),
            "Condition": {"StringEquals": {"aws:SourceIdentity": "breakglass"}}}]))],
        &[],
    );
    s.user(
        "ci",
        vec![allow("sts:AssumeRole", &arn("role", "ops2"))],
        &[],
        &[],
        None,
    );
    let r = analyse_now(&s.json());
    let p = path_from(&r, &arn("user", "dev")).expect("dev");
    let actions: Vec<&str> = p.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(actions, ["sts:AssumeRole", "iam:PutRolePolicy"]);
    assert!(p.steps[1]
        .session
        .as_deref()
        .unwrap_or("")
        .contains("breakglass"));
    // The assume hop names both deciding statements: dev's and the trust's.
    assert_eq!(p.steps[0].statements.len(), 2, "{:?}", p.steps[0]);
    assert!(
        p.steps[0].statements[1].contains("#trust") || p.steps[0].statements[1].contains("ops")
    );
    assert!(path_from(&r, &arn("user", "ci")).is_none());
    assert!(path_from(&r, &arn("role", "ops2")).is_none());
}

#[test]
fn paths_of_any_length() {
    // u joins g, whose policy lets it assume r1; r1 may assume r2; r2 may
    // attach AdministratorAccess to itself: four hops.
    let mut s = Snap::new();
    s.group("g", vec![allow("sts:AssumeRole", &arn("role", "r1"))], &[]);
    s.user(
        "u",
        vec![allow("iam:AddUserToGroup", &arn("group", "g"))],
        &[],
        &[],
        None,
    );
    s.role(
        "r1",
        json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}]),
        vec![allow("sts:AssumeRole", &arn("role", "r2"))],
        &[],
    );
    s.role(
        "r2",
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("role", "r1")}, "Action": "sts:AssumeRole"}]),
        vec![allow("iam:AttachRolePolicy", &arn("role", "r2"))],
        &[],
    );
    let r = analyse_now(&s.json());
    let p = path_from(&r, &arn("user", "u")).expect("u");
    let actions: Vec<&str> = p.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "iam:AddUserToGroup",
            "sts:AssumeRole",
            "sts:AssumeRole",
            "iam:AttachRolePolicy"
        ],
        "{p:#?}"
    );
    // The first assume is allowed by the joined group's policy.
    assert!(
        p.steps[1].statement.contains("group/g#p0"),
        "{:?}",
        p.steps[1]
    );
    let md = iamctl_policy::escalation::render::markdown(&r);
    assert!(md.contains("```mermaid\nflowchart LR\n"), "{md}");
    assert!(md.contains("n0[\"user u\"]"), "{md}");
    assert!(md.contains("n1[\"user u in group g\"]"), "{md}");
    assert!(md.contains("n2[\"role r1\"]"), "{md}");
    assert!(
        md.contains("|\"iam:AttachRolePolicy (iam-009)\"| n4[\"role r2 (policy written): admin\"]"),
        "{md}"
    );
}
