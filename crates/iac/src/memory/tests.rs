//! The memory account keeps IAM's rules (each test fails if a rule is
//! dropped), answers in GetAccountAuthorizationDetails' shape, and injects
//! the faults its schedule says.

use futures::executor::block_on;
use serde_json::{json, Value};

use super::*;
use crate::backend::{ErrorKind, IamBackend, NewPolicy, NewRole, PrincipalKind, Tags};

const ACCOUNT: &str = "111122223333";

fn doc(action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
        .to_string()
}

fn trust() -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        .to_string()
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

fn kind_of<T: std::fmt::Debug>(r: BackendResult<T>) -> ErrorKind {
    r.expect_err("the call should fail").kind
}

fn policy(b: &MemoryBackend, name: &str) {
    let t = Tags::new();
    block_on(b.create_policy(&NewPolicy {
        name,
        path: "/",
        document: &doc("s3:GetObject"),
        description: None,
        tags: &t,
    }))
    .unwrap();
}

fn user(b: &MemoryBackend, name: &str) {
    block_on(b.create_user(name, "/", &Tags::new())).unwrap();
}

fn role(b: &MemoryBackend, name: &str) {
    let t = Tags::new();
    let tr = trust();
    block_on(b.create_role(&NewRole {
        name,
        path: "/",
        trust: &tr,
        description: None,
        max_session_duration: None,
        tags: &t,
    }))
    .unwrap();
}

#[test]
fn names_are_unique_per_kind_without_regard_to_case() {
    let b = MemoryBackend::new(ACCOUNT);
    user(&b, "alice");
    assert_eq!(
        kind_of(block_on(b.create_user("Alice", "/", &Tags::new()))),
        ErrorKind::AlreadyExists
    );
    // Another kind may share the name.
    role(&b, "alice");
    block_on(b.create_group("alice", "/")).unwrap();
    assert_eq!(
        kind_of(block_on(b.create_group("ALICE", "/"))),
        ErrorKind::AlreadyExists
    );
    policy(&b, "p");
    let t = Tags::new();
    let d = doc("s3:*");
    // Policy names are unique whatever the path.
    assert_eq!(
        kind_of(block_on(b.create_policy(&NewPolicy {
            name: "p",
            path: "/other/",
            document: &d,
            description: None,
            tags: &t,
        }))),
        ErrorKind::AlreadyExists
    );
}

#[test]
fn missing_entities_are_not_found() {
    let b = MemoryBackend::new(ACCOUNT);
    policy(&b, "p");
    assert_eq!(
        kind_of(block_on(b.attach(PrincipalKind::User, "ghost", &arn("p")))),
        ErrorKind::NotFound
    );
    user(&b, "alice");
    assert_eq!(
        kind_of(block_on(b.attach(
            PrincipalKind::User,
            "alice",
            &arn("nope")
        ))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(block_on(b.detach(PrincipalKind::User, "alice", &arn("p")))),
        ErrorKind::NotFound,
        "detaching what is not attached"
    );
    assert_eq!(
        kind_of(block_on(b.delete_inline(PrincipalKind::User, "alice", "x"))),
        ErrorKind::NotFound
    );
    assert_eq!(kind_of(block_on(b.delete_user("bob"))), ErrorKind::NotFound);
    assert_eq!(kind_of(block_on(b.delete_role("bob"))), ErrorKind::NotFound);
    assert_eq!(
        kind_of(block_on(b.delete_policy(&arn("q")))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(block_on(b.policy_tags(&arn("q")))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(block_on(b.add_member("nogroup", "alice"))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(block_on(b.remove_user_dependents("bob"))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind_of(block_on(b.instance_profiles_for_role("bob"))),
        ErrorKind::NotFound
    );
}

#[test]
fn delete_policy_conflicts_while_attached_or_with_other_versions() {
    let b = MemoryBackend::new(ACCOUNT);
    policy(&b, "p");
    user(&b, "alice");
    block_on(b.attach(PrincipalKind::User, "alice", &arn("p"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_policy(&arn("p")))),
        ErrorKind::DeleteConflict
    );
    block_on(b.detach(PrincipalKind::User, "alice", &arn("p"))).unwrap();
    block_on(b.create_policy_version(&arn("p"), &doc("s3:PutObject"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_policy(&arn("p")))),
        ErrorKind::DeleteConflict,
        "v1 is still there besides the default v2"
    );
    // The default version cannot be deleted; the other can.
    assert_eq!(
        kind_of(block_on(b.delete_policy_version(&arn("p"), "v2"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.delete_policy_version(&arn("p"), "v1")).unwrap();
    // A permissions boundary holds it too.
    block_on(b.put_boundary(PrincipalKind::User, "alice", &arn("p"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_policy(&arn("p")))),
        ErrorKind::DeleteConflict
    );
    block_on(b.delete_boundary(PrincipalKind::User, "alice")).unwrap();
    block_on(b.delete_policy(&arn("p"))).unwrap();
    assert!(b.state().policies.is_empty());
}

#[test]
fn at_most_five_versions_and_ids_are_never_reused() {
    let b = MemoryBackend::new(ACCOUNT);
    policy(&b, "p");
    for i in 0..4 {
        block_on(b.create_policy_version(&arn("p"), &doc(&format!("s3:Get{i}")))).unwrap();
    }
    assert_eq!(
        kind_of(block_on(b.create_policy_version(&arn("p"), &doc("s3:X")))),
        ErrorKind::LimitExceeded
    );
    let versions = block_on(b.list_policy_versions(&arn("p"))).unwrap();
    assert_eq!(versions.len(), 5);
    assert_eq!(versions[0].version_id, "v5");
    assert!(versions[0].is_default_version);
    block_on(b.delete_policy_version(&arn("p"), "v1")).unwrap();
    block_on(b.create_policy_version(&arn("p"), &doc("s3:X"))).unwrap();
    let ids: Vec<String> = block_on(b.list_policy_versions(&arn("p")))
        .unwrap()
        .into_iter()
        .map(|v| v.version_id)
        .collect();
    assert_eq!(ids, ["v6", "v5", "v4", "v3", "v2"]);
    assert_eq!(
        block_on(b.policy_version_document(&arn("p"), "v6")).unwrap()["Statement"][0]["Action"],
        "s3:X"
    );
    block_on(b.set_default_policy_version(&arn("p"), "v2")).unwrap();
    assert_eq!(
        block_on(b.policy_document(&arn("p"))).unwrap()["Statement"][0]["Action"],
        "s3:Get0"
    );
    assert_eq!(
        kind_of(block_on(b.set_default_policy_version(&arn("p"), "v1"))),
        ErrorKind::NotFound
    );
}

#[test]
fn principals_with_dependents_cannot_be_deleted() {
    let b = MemoryBackend::new(ACCOUNT);
    policy(&b, "p");
    user(&b, "alice");
    block_on(b.create_group("devs", "/")).unwrap();
    block_on(b.add_member("devs", "alice")).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_user("alice"))),
        ErrorKind::DeleteConflict
    );
    assert_eq!(
        kind_of(block_on(b.delete_group("devs"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.remove_member("devs", "alice")).unwrap();
    block_on(b.put_inline(PrincipalKind::User, "alice", "i", &doc("s3:*"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_user("alice"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.delete_inline(PrincipalKind::User, "alice", "i")).unwrap();
    block_on(b.attach(PrincipalKind::User, "alice", &arn("p"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_user("alice"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.detach(PrincipalKind::User, "alice", &arn("p"))).unwrap();
    // Credentials (an access key made by hand) too, until the dependents go.
    b.edit(|a| {
        a.users
            .get_mut("alice")
            .unwrap()
            .credentials
            .insert("access-key AKIA1".into())
    });
    block_on(b.add_member("devs", "alice")).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_user("alice"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.remove_user_dependents("alice")).unwrap();
    block_on(b.delete_user("alice")).unwrap();
    // The group: an attached policy holds it.
    block_on(b.attach(PrincipalKind::Group, "devs", &arn("p"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_group("devs"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.detach(PrincipalKind::Group, "devs", &arn("p"))).unwrap();
    block_on(b.delete_group("devs")).unwrap();
    // A role: instance profiles, attached and inline policies.
    role(&b, "r");
    b.edit(|a| {
        a.roles
            .get_mut("r")
            .unwrap()
            .instance_profiles
            .insert("web".into())
    });
    assert_eq!(
        kind_of(block_on(b.delete_role("r"))),
        ErrorKind::DeleteConflict
    );
    assert_eq!(
        block_on(b.instance_profiles_for_role("r")).unwrap(),
        ["web"]
    );
    block_on(b.remove_from_instance_profile("r", "web")).unwrap();
    block_on(b.put_inline(PrincipalKind::Role, "r", "i", &doc("s3:*"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_role("r"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.delete_inline(PrincipalKind::Role, "r", "i")).unwrap();
    block_on(b.attach(PrincipalKind::Role, "r", &arn("p"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.delete_role("r"))),
        ErrorKind::DeleteConflict
    );
    block_on(b.detach(PrincipalKind::Role, "r", &arn("p"))).unwrap();
    block_on(b.delete_role("r")).unwrap();
    let s = b.state();
    assert!(s.users.is_empty() && s.roles.is_empty() && s.groups.is_empty());
}

#[test]
fn a_role_keeps_its_path_and_groups_take_no_tags() {
    let b = MemoryBackend::new(ACCOUNT);
    role(&b, "r");
    assert_eq!(
        kind_of(block_on(b.update_path(PrincipalKind::Role, "r", "/x/"))),
        ErrorKind::InvalidInput
    );
    block_on(b.create_group("g", "/")).unwrap();
    assert_eq!(
        kind_of(block_on(b.tag(
            PrincipalKind::Group,
            "g",
            &tags(&[("a", "b")])
        ))),
        ErrorKind::InvalidInput
    );
    block_on(b.update_path(PrincipalKind::Group, "g", "/teams/")).unwrap();
    user(&b, "u");
    block_on(b.update_path(PrincipalKind::User, "u", "/people/")).unwrap();
    let snap = b.snapshot().to_value();
    assert_eq!(
        snap["GroupDetailList"][0]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:group/teams/g")
    );
    assert_eq!(
        snap["UserDetailList"][0]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/people/u")
    );
    assert_eq!(
        kind_of(block_on(b.update_path(PrincipalKind::User, "u", "people"))),
        ErrorKind::InvalidInput
    );
}

#[test]
fn quotas() {
    let b = MemoryBackend::new(ACCOUNT);
    user(&b, "u");
    for i in 0..11 {
        policy(&b, &format!("p{i}"));
        block_on(b.create_group(&format!("g{i}"), "/")).unwrap();
    }
    for i in 0..10 {
        block_on(b.attach(PrincipalKind::User, "u", &arn(&format!("p{i}")))).unwrap();
        block_on(b.add_member(&format!("g{i}"), "u")).unwrap();
    }
    // Attaching what is attached already is no change, and no error.
    block_on(b.attach(PrincipalKind::User, "u", &arn("p0"))).unwrap();
    assert_eq!(
        kind_of(block_on(b.attach(PrincipalKind::User, "u", &arn("p10")))),
        ErrorKind::LimitExceeded
    );
    // Raised (as an account may ask), 20.
    b.edit(|a| a.raised_quotas = true);
    block_on(b.attach(PrincipalKind::User, "u", &arn("p10"))).unwrap();
    b.edit(|a| a.raised_quotas = false);
    assert_eq!(
        kind_of(block_on(b.add_member("g10", "u"))),
        ErrorKind::LimitExceeded
    );
    let many: Tags = (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    assert_eq!(
        kind_of(block_on(b.tag(PrincipalKind::User, "u", &many))),
        ErrorKind::LimitExceeded
    );
    let big = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "x".repeat(2100)}]}).to_string();
    assert_eq!(
        kind_of(block_on(b.put_inline(
            PrincipalKind::User,
            "u",
            "big",
            &big
        ))),
        ErrorKind::LimitExceeded,
        "2,048 characters of inline policy per user"
    );
    role(&b, "r");
    block_on(b.put_inline(PrincipalKind::Role, "r", "big", &big)).unwrap();
    let huge = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "x".repeat(6200)}]}).to_string();
    let t = Tags::new();
    assert_eq!(
        kind_of(block_on(b.create_policy(&NewPolicy {
            name: "huge",
            path: "/",
            document: &huge,
            description: None,
            tags: &t,
        }))),
        ErrorKind::LimitExceeded
    );
    assert_eq!(
        kind_of(block_on(b.put_inline(
            PrincipalKind::User,
            "u",
            "bad",
            "not json"
        ))),
        ErrorKind::InvalidInput
    );
    let twice = json!({"Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]})
    .to_string();
    assert_eq!(
        kind_of(block_on(b.put_inline(
            PrincipalKind::Role,
            "r",
            "twice",
            &twice
        ))),
        ErrorKind::InvalidInput,
        "a Sid used twice"
    );
}

#[test]
fn authorization_details_have_the_shape_the_readers_read() {
    let b = MemoryBackend::new(ACCOUNT).with_aws_policies([(
        "ReadOnlyAccess",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}),
    )]);
    let ro = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let t = tags(&[("team", "a")]);
    block_on(b.create_policy(&NewPolicy {
        name: "p",
        path: "/iamctl/",
        document: &doc("s3:PutObject"),
        description: Some("d"),
        tags: &t,
    }))
    .unwrap();
    let p = format!("arn:aws:iam::{ACCOUNT}:policy/iamctl/p");
    block_on(b.create_user("alice", "/", &t)).unwrap();
    block_on(b.create_group("devs", "/")).unwrap();
    block_on(b.add_member("devs", "alice")).unwrap();
    block_on(b.attach(PrincipalKind::Group, "devs", &p)).unwrap();
    block_on(b.put_inline(PrincipalKind::User, "alice", "inl", &doc("sqs:*"))).unwrap();
    role(&b, "ci");
    block_on(b.attach(PrincipalKind::Role, "ci", ro)).unwrap();
    block_on(b.put_boundary(PrincipalKind::Role, "ci", &p)).unwrap();
    block_on(b.create_policy_version(&p, &doc("s3:DeleteObject"))).unwrap();

    b.reset_calls();
    let details = block_on(b.authorization_details()).unwrap();
    assert_eq!(details.pages, 1);
    // As the SDK backend reads: one page, then the attached AWS-managed policy.
    assert_eq!(
        b.calls(),
        std::collections::BTreeMap::from([
            ("GetAccountAuthorizationDetails".to_owned(), 1),
            ("GetPolicy".to_owned(), 1),
            ("GetPolicyVersion".to_owned(), 1),
        ])
    );
    let d = &details.document.to_value();
    let u = &d["UserDetailList"][0];
    assert_eq!(u["UserName"], "alice");
    assert_eq!(u["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert_eq!(u["GroupList"], json!(["devs"]));
    assert_eq!(u["Tags"], json!([{"Key": "team", "Value": "a"}]));
    assert_eq!(u["UserPolicyList"][0]["PolicyName"], "inl");
    assert_eq!(
        u["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"],
        "sqs:*"
    );
    let g = &d["GroupDetailList"][0];
    assert_eq!(
        g["AttachedManagedPolicies"],
        json!([{"PolicyName": "p", "PolicyArn": p}])
    );
    let r = &d["RoleDetailList"][0];
    assert_eq!(
        r["AssumeRolePolicyDocument"]["Statement"][0]["Action"],
        "sts:AssumeRole"
    );
    assert_eq!(r["PermissionsBoundary"]["PermissionsBoundaryArn"], p);
    // The AWS-managed policy is listed because it is attached.
    let policies = d["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 2);
    let mine = policies.iter().find(|x| x["Arn"] == p.as_str()).unwrap();
    assert_eq!(mine["Path"], "/iamctl/");
    assert_eq!(mine["AttachmentCount"], 1);
    assert_eq!(mine["PermissionsBoundaryUsageCount"], 1);
    assert_eq!(mine["DefaultVersionId"], "v2");
    let versions = mine["PolicyVersionList"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions
        .iter()
        .any(|v| v["VersionId"] == "v2" && v["IsDefaultVersion"] == true));
    assert!(policies.iter().any(|x| x["Arn"] == ro));

    // What the readers make of it.
    let account = iamctl_policy::account::Account::from_snapshot(&details.document);
    assert!(account.warnings.is_empty(), "{:?}", account.warnings);
    let alice = account
        .principals
        .iter()
        .find(|e| e.name == "alice")
        .unwrap();
    // Inline, plus the group's policy.
    assert_eq!(alice.identity.len(), 2);
    let tags_by_arn: std::collections::HashMap<String, Tags> =
        [(p.clone(), block_on(b.policy_tags(&p)).unwrap())].into();
    let actual = crate::plan::ActualAccount::from_snapshot(&details.document, &tags_by_arn);
    let ap = &actual.policies["p"];
    assert_eq!(ap.versions, ["v2", "v1"]);
    assert_eq!(ap.tags, t);
    assert_eq!(ap.document["Statement"][0]["Action"], "s3:DeleteObject");
    assert!(actual.groups["devs"].groups.contains("alice"));
    assert!(actual.roles["ci"].attached.contains(ro));

    // Unattached, the AWS-managed policy is no longer listed; its document
    // is still there to read.
    block_on(b.detach(PrincipalKind::Role, "ci", ro)).unwrap();
    let d = block_on(b.authorization_details())
        .unwrap()
        .document
        .to_value();
    assert!(!d["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["Arn"] == ro));
    assert_eq!(
        block_on(b.policy_document(ro)).unwrap()["Statement"][0]["Action"],
        "s3:Get*"
    );
}

#[test]
fn a_snapshot_read_back_is_the_snapshot() {
    let b = MemoryBackend::new(ACCOUNT).with_aws_policies([(
        "ReadOnlyAccess",
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}),
    )]);
    user(&b, "alice");
    role(&b, "r");
    policy(&b, "p");
    block_on(b.attach(PrincipalKind::User, "alice", &arn("p"))).unwrap();
    block_on(b.attach(
        PrincipalKind::Role,
        "r",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ))
    .unwrap();
    block_on(b.create_policy_version(&arn("p"), &doc("s3:X"))).unwrap();
    let snap = b.snapshot();
    let again = MemoryBackend::from_snapshot(&snap);
    assert_eq!(again.state().account_id, ACCOUNT);
    assert_eq!(again.snapshot(), snap);
    // The next version is v3, not a reused id.
    block_on(again.create_policy_version(&arn("p"), &doc("s3:Y"))).unwrap();
    assert_eq!(
        block_on(again.list_policy_versions(&arn("p"))).unwrap()[0].version_id,
        "v3"
    );
}

#[test]
fn a_snapshot_without_the_aws_policy_documents_keeps_them_attachable() {
    // As `--local-only` snapshots and fixtures have it: attached, not listed.
    let snap = json!({
        "UserDetailList": [{"UserName": "bob", "Arn": "arn:aws:iam::444455556666:user/bob",
            "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "UserPolicyList": [{"PolicyName": "i", "PolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}]}],
        "RoleDetailList": [], "GroupDetailList": [], "Policies": []
    });
    let b = MemoryBackend::from_snapshot(&typed(&snap));
    assert_eq!(b.state().account_id, "444455556666");
    let out = b.snapshot().to_value();
    assert_eq!(out["Policies"], json!([]));
    assert_eq!(
        out["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"],
        json!({"Statement": []})
    );
    block_on(b.detach(
        PrincipalKind::User,
        "bob",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ))
    .unwrap();
    block_on(b.attach(
        PrincipalKind::User,
        "bob",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ))
    .unwrap();
    assert_eq!(
        kind_of(block_on(
            b.policy_document("arn:aws:iam::aws:policy/ReadOnlyAccess")
        )),
        ErrorKind::NotFound
    );
}

#[test]
fn authorization_details_pages_hold_100_local_entities() {
    let b = MemoryBackend::new(ACCOUNT);
    for i in 0..250 {
        user(&b, &format!("u{i}"));
    }
    b.reset_calls();
    assert_eq!(block_on(b.authorization_details()).unwrap().pages, 3);
    assert_eq!(b.calls()["GetAccountAuthorizationDetails"], 3);
}

#[test]
fn calls_are_counted_by_api() {
    let b = MemoryBackend::new(ACCOUNT);
    user(&b, "u");
    role(&b, "r");
    policy(&b, "p");
    block_on(b.attach(PrincipalKind::User, "u", &arn("p"))).unwrap();
    block_on(b.attach(PrincipalKind::Role, "r", &arn("p"))).unwrap();
    let _ = block_on(b.attach(PrincipalKind::Role, "nobody", &arn("p")));
    block_on(b.policy_document(&arn("p"))).unwrap();
    let calls = b.calls();
    assert_eq!(calls["CreateUser"], 1);
    assert_eq!(calls["AttachUserPolicy"], 1);
    assert_eq!(calls["AttachRolePolicy"], 2, "failed calls count too");
    assert_eq!(calls["GetPolicy"], 1);
    assert_eq!(calls["GetPolicyVersion"], 1);
    assert_eq!(b.total_calls(), 8);
    b.reset_calls();
    assert_eq!(b.total_calls(), 0);
}

#[test]
fn throttled_calls_have_no_effect() {
    let b = MemoryBackend::new(ACCOUNT);
    b.set_faults(FaultSchedule::none().on("CreateUser", 0, Fault::Throttled));
    assert_eq!(
        kind_of(block_on(b.create_user("u", "/", &Tags::new()))),
        ErrorKind::Throttled
    );
    assert!(b.state().users.is_empty());
    // The second call of the API is not scheduled to fail.
    user(&b, "u");
    assert_eq!(b.injected().len(), 1);
    assert_eq!(b.injected()[0].fault, Fault::Throttled);
}

#[test]
fn a_lost_reply_takes_effect() {
    let b = MemoryBackend::new(ACCOUNT);
    policy(&b, "p");
    b.set_faults_from_now(FaultSchedule::none().at(0, Fault::LostReply));
    let r = block_on(b.create_policy_version(&arn("p"), &doc("s3:X")));
    assert_eq!(kind_of(r), ErrorKind::Other);
    assert!(kind_of::<()>(Err(BackendError::new(ErrorKind::Other, ""))).transient());
    let versions = block_on(b.list_policy_versions(&arn("p"))).unwrap();
    assert_eq!(
        versions.len(),
        2,
        "the version was made although the reply was lost"
    );
    // Sent again blindly, it makes a duplicate.
    block_on(b.create_policy_version(&arn("p"), &doc("s3:X"))).unwrap();
    assert_eq!(
        block_on(b.list_policy_versions(&arn("p"))).unwrap().len(),
        3
    );
}

#[test]
fn not_found_removes_what_the_call_is_about_first() {
    let b = MemoryBackend::new(ACCOUNT);
    policy(&b, "p");
    user(&b, "u");
    user(&b, "keep");
    block_on(b.attach(PrincipalKind::User, "u", &arn("p"))).unwrap();
    block_on(b.attach(PrincipalKind::User, "keep", &arn("p"))).unwrap();
    b.set_faults(
        FaultSchedule::none()
            .on("detach", 0, Fault::NotFound)
            .on("DeletePolicy", 0, Fault::NotFound)
            .on("CreateGroup", 0, Fault::NotFound),
    );
    // Detached meanwhile: the detach finds nothing to detach.
    assert_eq!(
        kind_of(block_on(b.detach(PrincipalKind::User, "u", &arn("p")))),
        ErrorKind::NotFound
    );
    assert!(b.state().users["u"].attached.is_empty());
    assert!(b.state().users["keep"].attached.contains(&arn("p")));
    // Deleted meanwhile (detached from everyone first, as someone must).
    assert_eq!(
        kind_of(block_on(b.delete_policy(&arn("p")))),
        ErrorKind::NotFound
    );
    assert!(b.state().policies.is_empty());
    assert!(b.state().users["keep"].attached.is_empty());
    // A create: answered NotFound, nothing made.
    assert_eq!(
        kind_of(block_on(b.create_group("g", "/"))),
        ErrorKind::NotFound
    );
    assert!(b.state().groups.is_empty());
    let injected: Vec<Fault> = b.injected().iter().map(|i| i.fault).collect();
    assert_eq!(injected, [Fault::NotFound; 3]);
}

#[test]
fn random_faults_are_seeded_bounded_and_only_on_removals_when_not_found() {
    let run = |seed| {
        let b = MemoryBackend::new(ACCOUNT);
        b.set_faults(FaultSchedule::none().random(
            seed,
            500,
            6,
            &[Fault::Throttled, Fault::LostReply, Fault::NotFound],
        ));
        for i in 0..40 {
            let _ = block_on(b.create_user(&format!("u{i}"), "/", &Tags::new()));
            let _ = block_on(b.delete_user(&format!("u{i}")));
        }
        b.injected()
    };
    let a = run(7);
    assert_eq!(a, run(7), "the same seed, the same faults");
    assert_ne!(a, run(8));
    assert_eq!(a.len(), 6, "at most the budget");
    for i in &a {
        if i.fault == Fault::NotFound {
            assert_eq!(i.api, "DeleteUser", "NotFound only on removals: {i:?}");
        }
    }
    // `only` restricts them to the APIs named.
    let b = MemoryBackend::new(ACCOUNT);
    b.set_faults(
        FaultSchedule::none()
            .random(1, 1000, 100, &[Fault::Throttled])
            .only(&["DeleteUser"]),
    );
    for i in 0..5 {
        block_on(b.create_user(&format!("u{i}"), "/", &Tags::new())).unwrap();
        let _ = block_on(b.delete_user(&format!("u{i}")));
    }
    assert_eq!(b.state().users.len(), 5);
    assert_eq!(b.injected().len(), 5);
    // `except` keeps them off the APIs named.
    let b = MemoryBackend::new(ACCOUNT);
    b.set_faults(
        FaultSchedule::none()
            .random(1, 1000, 100, &[Fault::Throttled])
            .except(&["create_user"]),
    );
    for i in 0..5 {
        block_on(b.create_user(&format!("u{i}"), "/", &Tags::new())).unwrap();
        let _ = block_on(b.delete_user(&format!("u{i}")));
    }
    assert_eq!(b.injected().len(), 5);
    assert!(b.injected().iter().all(|i| i.api == "DeleteUser"));
}

#[test]
fn from_call_puts_the_fault_on_the_first_eligible_call_from_there() {
    let b = MemoryBackend::new(ACCOUNT);
    b.set_faults(
        FaultSchedule::none()
            .random(0, 1000, 1, &[Fault::NotFound])
            .from_call(1),
    );
    for i in 0..3 {
        block_on(b.create_user(&format!("u{i}"), "/", &Tags::new())).unwrap();
    }
    // Calls 0-2 create (no NotFound there), call 3 is the first removal.
    assert_eq!(kind_of(block_on(b.delete_user("u0"))), ErrorKind::NotFound);
    block_on(b.delete_user("u1")).unwrap();
    let injected = b.injected();
    assert_eq!(injected.len(), 1);
    assert_eq!((injected[0].index, injected[0].api), (3, "DeleteUser"));
}

#[test]
fn someone_else_changes_the_account_meanwhile() {
    let b = MemoryBackend::new(ACCOUNT);
    user(&b, "u");
    b.set_faults_from_now(FaultSchedule::none().meanwhile(1, |a| {
        a.users
            .get_mut("u")
            .unwrap()
            .tags
            .insert("owner".into(), "ops".into());
    }));
    block_on(b.tag(PrincipalKind::User, "u", &tags(&[("a", "1")]))).unwrap();
    assert_eq!(b.state().users["u"].tags, tags(&[("a", "1")]));
    block_on(b.untag(PrincipalKind::User, "u", &["a".to_owned()])).unwrap();
    assert_eq!(b.state().users["u"].tags, tags(&[("owner", "ops")]));
}

#[test]
fn pause_returns_at_once_and_is_added_up() {
    let b = MemoryBackend::new(ACCOUNT);
    block_on(b.pause(std::time::Duration::from_secs(3600)));
    block_on(b.pause(std::time::Duration::from_millis(5)));
    assert_eq!(b.paused(), std::time::Duration::from_millis(3_600_005));
}

#[test]
fn role_settings_and_trust() {
    let b = MemoryBackend::new(ACCOUNT);
    role(&b, "r");
    block_on(b.update_role("r", Some("ci"), Some(7200))).unwrap();
    assert_eq!(
        kind_of(block_on(b.update_role("r", None, Some(60)))),
        ErrorKind::InvalidInput
    );
    let s = b.state();
    assert_eq!(s.roles["r"].description.as_deref(), Some("ci"));
    assert_eq!(s.roles["r"].max_session_duration, Some(7200));
    let new: Value = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]});
    block_on(b.update_trust("r", &new.to_string())).unwrap();
    assert_eq!(
        b.snapshot().to_value()["RoleDetailList"][0]["AssumeRolePolicyDocument"],
        new
    );
    assert_eq!(
        kind_of(block_on(b.update_trust("r", "{"))),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        block_on(b.principal_tags(PrincipalKind::Role, "r")).unwrap(),
        Tags::new()
    );
}

/// The snapshot as iamctl reads it.
fn typed(v: &serde_json::Value) -> iamctl_policy::snapshot::Snapshot {
    iamctl_policy::snapshot::Snapshot::from_value(v).expect("a snapshot")
}
