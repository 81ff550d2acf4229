//! The SDK backend (`iamctl_aws::Aws` behind `IamBackend`) against moto: each
//! call once, its effect checked through the SDK and its errors' kinds; then
//! one script of calls run on moto and on the memory backend must answer
//! alike and leave the same account (the memory account keeps IAM's rules as
//! moto has them). Where moto departs from AWS's documentation it is not
//! asked: it deletes an attached policy, a policy with versions besides the
//! default and a group with members (AWS: DeleteConflict); UpdateUser with
//! a new path drops the user's tags; UpdateGroup keeps the old path;
//! ListInstanceProfilesForRole of a missing role lists none (AWS:
//! NoSuchEntity); PutUserPermissionsBoundary is not implemented (a role's
//! boundary is checked).

use std::collections::BTreeMap;

use iamctl_iac::backend::{
    BackendResult, ErrorKind, IamBackend, NewPolicy, NewRole, PrincipalKind, Tags,
};
use iamctl_iac::memory::MemoryBackend;
use serde_json::{json, Value};

use crate::harness::*;

async fn backend(env: &Env) -> iamctl_aws::Aws {
    let (id, secret, token) = env.credentials();
    let conf = sdk_config(&env.endpoint, &id, &secret, Some(&token)).await;
    iamctl_aws::Aws::from_sdk_config(conf)
}

fn doc(action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
        .to_string()
}

fn trust(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn kind<T: std::fmt::Debug>(r: BackendResult<T>) -> ErrorKind {
    r.expect_err("the call should fail").kind
}

const RO: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

#[tokio::test]
async fn managed_policy_calls() {
    let env = Env::new().await;
    let aws = backend(&env).await;
    let b: &dyn IamBackend = &aws;
    let arn = format!("arn:aws:iam::{}:policy/iamctl/t/p", env.account);
    let t = tags(&[("managed-by", "iamctl"), ("iamctl:team", "t")]);
    b.create_policy(&NewPolicy {
        name: "p",
        path: "/iamctl/t/",
        document: &doc("s3:GetObject"),
        description: Some("one"),
        tags: &t,
    })
    .await
    .unwrap();
    let got = env.iam.get_policy().policy_arn(&arn).send().await.unwrap();
    let p = got.policy().unwrap();
    assert_eq!(p.path(), Some("/iamctl/t/"));
    assert_eq!(p.description(), Some("one"));
    assert_eq!(b.policy_tags(&arn).await.unwrap(), t);
    assert_eq!(
        kind(
            b.create_policy(&NewPolicy {
                name: "p",
                path: "/iamctl/t/",
                document: &doc("s3:GetObject"),
                description: None,
                tags: &t,
            })
            .await
        ),
        ErrorKind::AlreadyExists
    );

    b.tag_policy(&arn, &tags(&[("extra", "1")])).await.unwrap();
    b.untag_policy(&arn, &["iamctl:team".to_owned()])
        .await
        .unwrap();
    let listed = env
        .iam
        .list_policy_tags()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let have: Tags = listed
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    assert_eq!(have, tags(&[("managed-by", "iamctl"), ("extra", "1")]));

    for a in [
        "s3:PutObject",
        "s3:DeleteObject",
        "sqs:SendMessage",
        "sns:Publish",
    ] {
        b.create_policy_version(&arn, &doc(a)).await.unwrap();
    }
    assert_eq!(
        kind(b.create_policy_version(&arn, &doc("ec2:*")).await),
        ErrorKind::LimitExceeded,
        "five versions at most"
    );
    let versions = b.list_policy_versions(&arn).await.unwrap();
    assert_eq!(versions.len(), 5);
    let default: Vec<&str> = versions
        .iter()
        .filter(|v| v.is_default_version)
        .map(|v| v.version_id.as_str())
        .collect();
    assert_eq!(default, ["v5"]);
    assert_eq!(
        b.policy_version_document(&arn, "v2").await.unwrap()["Statement"][0]["Action"],
        "s3:PutObject"
    );
    assert_eq!(
        b.policy_document(&arn).await.unwrap()["Statement"][0]["Action"],
        "sns:Publish"
    );
    b.set_default_policy_version(&arn, "v1").await.unwrap();
    let got = env.iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().default_version_id(), Some("v1"));
    assert_eq!(
        kind(b.delete_policy_version(&arn, "v1").await),
        ErrorKind::DeleteConflict,
        "the default version"
    );
    b.delete_policy_version(&arn, "v5").await.unwrap();
    assert_eq!(
        kind(b.policy_version_document(&arn, "v5").await),
        ErrorKind::NotFound
    );

    b.create_user("holder", "/", &Tags::new()).await.unwrap();
    b.attach(PrincipalKind::User, "holder", &arn).await.unwrap();
    assert_eq!(
        b.policy_holders(&arn).await.unwrap(),
        [(PrincipalKind::User, "holder".to_owned())]
    );
    // (AWS refuses to delete an attached policy, DeleteConflict; moto
    // deletes it: not asked here.)
    b.detach(PrincipalKind::User, "holder", &arn).await.unwrap();
    for v in b.list_policy_versions(&arn).await.unwrap() {
        if !v.is_default_version {
            b.delete_policy_version(&arn, &v.version_id).await.unwrap();
        }
    }
    b.delete_policy(&arn).await.unwrap();
    assert!(env.iam.get_policy().policy_arn(&arn).send().await.is_err());
    assert_eq!(kind(b.policy_tags(&arn).await), ErrorKind::NotFound);
    assert_eq!(
        kind(b.list_policy_versions(&arn).await),
        ErrorKind::NotFound
    );
    assert_eq!(kind(b.delete_policy(&arn).await), ErrorKind::NotFound);
    // An AWS-managed document: GetPolicy, then GetPolicyVersion.
    let ro = b.policy_document(RO).await.unwrap();
    assert!(ro["Statement"].is_array(), "{ro}");
}

#[tokio::test]
async fn principal_calls() {
    let env = Env::new().await;
    let aws = backend(&env).await;
    let b: &dyn IamBackend = &aws;
    let t = tags(&[("managed-by", "iamctl"), ("iamctl:team", "t")]);
    b.create_user("alice", "/people/", &t).await.unwrap();
    let u = env.iam.get_user().user_name("alice").send().await.unwrap();
    assert_eq!(u.user().unwrap().path(), "/people/");
    assert_eq!(
        b.principal_tags(PrincipalKind::User, "alice")
            .await
            .unwrap(),
        t
    );
    assert_eq!(
        kind(b.create_user("alice", "/", &Tags::new()).await),
        ErrorKind::AlreadyExists
    );
    // (moto's UpdateUser drops the user's tags: another user moves.)
    b.create_user("mover", "/people/", &Tags::new())
        .await
        .unwrap();
    b.update_path(PrincipalKind::User, "mover", "/staff/")
        .await
        .unwrap();
    let u = env.iam.get_user().user_name("mover").send().await.unwrap();
    assert_eq!(u.user().unwrap().path(), "/staff/");

    b.create_role(&NewRole {
        name: "ci",
        path: "/service/",
        trust: &trust("ec2.amazonaws.com"),
        description: Some("deploys"),
        max_session_duration: Some(7200),
        tags: &t,
    })
    .await
    .unwrap();
    let r = env.iam.get_role().role_name("ci").send().await.unwrap();
    let r = r.role().unwrap();
    assert_eq!(r.path(), "/service/");
    assert_eq!(r.description(), Some("deploys"));
    assert_eq!(r.max_session_duration(), Some(7200));
    assert_eq!(
        kind(b.update_path(PrincipalKind::Role, "ci", "/other/").await),
        ErrorKind::InvalidInput,
        "a role's path cannot change"
    );
    b.update_role("ci", Some("deploys more"), Some(3600))
        .await
        .unwrap();
    let r = env.iam.get_role().role_name("ci").send().await.unwrap();
    assert_eq!(r.role().unwrap().description(), Some("deploys more"));
    assert_eq!(r.role().unwrap().max_session_duration(), Some(3600));
    b.update_trust("ci", &trust("lambda.amazonaws.com"))
        .await
        .unwrap();
    let r = env.iam.get_role().role_name("ci").send().await.unwrap();
    let got = iamctl_aws::decode_document(r.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(
        got["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );

    // Tags of users and roles; groups take none.
    for k in [PrincipalKind::User, PrincipalKind::Role] {
        let name = if k == PrincipalKind::User {
            "alice"
        } else {
            "ci"
        };
        b.tag(
            k,
            name,
            &tags(&[("iamctl:attached:aws/ReadOnlyAccess", RO)]),
        )
        .await
        .unwrap();
        b.untag(k, name, &["iamctl:team".to_owned()]).await.unwrap();
        assert_eq!(
            b.principal_tags(k, name).await.unwrap(),
            tags(&[
                ("managed-by", "iamctl"),
                ("iamctl:attached:aws/ReadOnlyAccess", RO)
            ]),
            "{name}"
        );
    }
    let listed = env
        .iam
        .list_role_tags()
        .role_name("ci")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().len(), 2);
    b.create_group("devs", "/iamctl/t/").await.unwrap();
    assert_eq!(
        kind(b.tag(PrincipalKind::Group, "devs", &t).await),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        b.principal_tags(PrincipalKind::Group, "devs")
            .await
            .unwrap(),
        Tags::new()
    );
    // (moto answers UpdateGroup but keeps the path: only the call is
    // checked.)
    b.update_path(PrincipalKind::Group, "devs", "/iamctl/u/")
        .await
        .unwrap();

    // Boundaries (a role's: moto has no PutUserPermissionsBoundary).
    b.put_boundary(PrincipalKind::Role, "ci", RO).await.unwrap();
    let r = env.iam.get_role().role_name("ci").send().await.unwrap();
    let boundary = r.role().unwrap().permissions_boundary().unwrap();
    assert_eq!(boundary.permissions_boundary_arn(), Some(RO));
    b.delete_boundary(PrincipalKind::Role, "ci").await.unwrap();
    let r = env.iam.get_role().role_name("ci").send().await.unwrap();
    assert!(r.role().unwrap().permissions_boundary().is_none());
    assert_eq!(
        kind(b.put_boundary(PrincipalKind::Group, "devs", RO).await),
        ErrorKind::InvalidInput,
        "groups take no boundary"
    );

    // Members.
    b.add_member("devs", "alice").await.unwrap();
    assert_eq!(b.group_members("devs").await.unwrap(), ["alice"]);
    let g = env.iam.get_group().group_name("devs").send().await.unwrap();
    assert_eq!(g.users()[0].user_name(), "alice");
    b.remove_member("devs", "alice").await.unwrap();
    assert!(b.group_members("devs").await.unwrap().is_empty());
    assert_eq!(
        kind(b.add_member("nogroup", "alice").await),
        ErrorKind::NotFound
    );

    // Attachments and inline policies, each kind.
    for (k, name) in [
        (PrincipalKind::User, "alice"),
        (PrincipalKind::Role, "ci"),
        (PrincipalKind::Group, "devs"),
    ] {
        b.attach(k, name, RO).await.unwrap();
        assert_eq!(b.list_attached(k, name).await.unwrap(), [RO], "{name}");
        b.put_inline(k, name, "own", &doc("sns:Publish"))
            .await
            .unwrap();
        assert_eq!(b.list_inline(k, name).await.unwrap(), ["own"], "{name}");
        b.detach(k, name, RO).await.unwrap();
        assert!(b.list_attached(k, name).await.unwrap().is_empty(), "{name}");
        b.delete_inline(k, name, "own").await.unwrap();
        assert!(b.list_inline(k, name).await.unwrap().is_empty(), "{name}");
        assert_eq!(
            kind(b.delete_inline(k, name, "own").await),
            ErrorKind::NotFound,
            "{name}"
        );
    }
    let attached = env
        .iam
        .list_attached_role_policies()
        .role_name("ci")
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    assert_eq!(
        kind(b.attach(PrincipalKind::User, "nobody", RO).await),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn deletion_calls() {
    let env = Env::new().await;
    let aws = backend(&env).await;
    let b: &dyn IamBackend = &aws;
    b.create_user("bob", "/", &Tags::new()).await.unwrap();
    b.create_group("g", "/").await.unwrap();
    b.add_member("g", "bob").await.unwrap();
    b.attach(PrincipalKind::User, "bob", RO).await.unwrap();
    b.put_inline(PrincipalKind::User, "bob", "own", &doc("s3:*"))
        .await
        .unwrap();
    env.iam
        .create_access_key()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    env.iam
        .create_login_profile()
        .user_name("bob")
        .password("Secret-123-pass")
        .send()
        .await
        .unwrap();
    assert_eq!(kind(b.delete_user("bob").await), ErrorKind::DeleteConflict);
    // (AWS refuses to delete a group with members, DeleteConflict; moto
    // deletes it: not asked here.)
    b.remove_user_dependents("bob").await.unwrap();
    let keys = env
        .iam
        .list_access_keys()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    assert!(keys.access_key_metadata().is_empty());
    b.delete_user("bob").await.unwrap();
    assert!(env.iam.get_user().user_name("bob").send().await.is_err());
    assert_eq!(kind(b.delete_user("bob").await), ErrorKind::NotFound);
    assert_eq!(
        kind(b.remove_user_dependents("bob").await),
        ErrorKind::NotFound
    );
    b.delete_group("g").await.unwrap();
    assert!(env.iam.get_group().group_name("g").send().await.is_err());
    assert_eq!(kind(b.delete_group("g").await), ErrorKind::NotFound);

    b.create_role(&NewRole {
        name: "web",
        path: "/",
        trust: &trust("ec2.amazonaws.com"),
        description: None,
        max_session_duration: None,
        tags: &Tags::new(),
    })
    .await
    .unwrap();
    env.iam
        .create_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap();
    env.iam
        .add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web")
        .send()
        .await
        .unwrap();
    b.attach(PrincipalKind::Role, "web", RO).await.unwrap();
    assert_eq!(
        b.instance_profiles_for_role("web").await.unwrap(),
        ["web-profile"]
    );
    assert_eq!(kind(b.delete_role("web").await), ErrorKind::DeleteConflict);
    b.remove_from_instance_profile("web", "web-profile")
        .await
        .unwrap();
    assert!(b
        .instance_profiles_for_role("web")
        .await
        .unwrap()
        .is_empty());
    b.detach(PrincipalKind::Role, "web", RO).await.unwrap();
    b.delete_role("web").await.unwrap();
    assert!(env.iam.get_role().role_name("web").send().await.is_err());
    // (moto lists no instance profiles for a role that does not exist,
    // where AWS answers NoSuchEntity.)
    assert_eq!(kind(b.delete_role("web").await), ErrorKind::NotFound);

    // The environment: pause waits, retries are counted.
    let start = std::time::Instant::now();
    b.pause(std::time::Duration::from_millis(20)).await;
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    let _ = b.retried_attempts();
}

/// One script of calls; each answer (OK, or the error's kind) in order.
async fn script(b: &dyn IamBackend, account: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut note = |what: &str, r: BackendResult<()>| {
        out.push(format!(
            "{what}: {}",
            match r {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("{:?}", e.kind),
            }
        ))
    };
    let none = Tags::new();
    let ours = tags(&[("managed-by", "iamctl"), ("iamctl:team", "t")]);
    let arn = format!("arn:aws:iam::{account}:policy/iamctl/t/p");
    let np = |name| NewPolicy {
        name,
        path: "/iamctl/t/",
        document: "",
        description: Some("d"),
        tags: &ours,
    };
    let d1 = doc("s3:GetObject");
    note(
        "create policy",
        b.create_policy(&NewPolicy {
            document: &d1,
            ..np("p")
        })
        .await,
    );
    note(
        "create policy again",
        b.create_policy(&NewPolicy {
            document: &d1,
            ..np("p")
        })
        .await,
    );
    note("create user", b.create_user("u", "/", &ours).await);
    note("create user again", b.create_user("u", "/x/", &none).await);
    note(
        "create hand-made user",
        b.create_user("h", "/", &none).await,
    );
    let tr = trust("ec2.amazonaws.com");
    let role = NewRole {
        name: "r",
        path: "/",
        trust: &tr,
        description: None,
        max_session_duration: None,
        tags: &ours,
    };
    note("create role", b.create_role(&role).await);
    note("create role again", b.create_role(&role).await);
    note("create group", b.create_group("g", "/iamctl/t/").await);
    note("create group again", b.create_group("g", "/").await);
    note("attach", b.attach(PrincipalKind::User, "u", &arn).await);
    note(
        "attach again",
        b.attach(PrincipalKind::User, "u", &arn).await,
    );
    note("attach aws", b.attach(PrincipalKind::Role, "r", RO).await);
    note(
        "attach to group",
        b.attach(PrincipalKind::Group, "g", &arn).await,
    );
    note(
        "attach to nobody",
        b.attach(PrincipalKind::User, "x", &arn).await,
    );
    note("add member", b.add_member("g", "u").await);
    note("add member again", b.add_member("g", "u").await);
    note(
        "inline",
        b.put_inline(PrincipalKind::User, "h", "i", &doc("sqs:*"))
            .await,
    );
    note(
        "inline again",
        b.put_inline(PrincipalKind::User, "h", "i", &doc("sns:*"))
            .await,
    );
    note(
        "tag",
        b.tag(
            PrincipalKind::User,
            "h",
            &tags(&[("iamctl:attached:local/p", &arn)]),
        )
        .await,
    );
    note(
        "untag absent key",
        b.untag(PrincipalKind::User, "h", &["nope".to_owned()])
            .await,
    );
    note(
        "version",
        b.create_policy_version(&arn, &doc("s3:PutObject")).await,
    );
    note(
        "delete default version",
        b.delete_policy_version(&arn, "v2").await,
    );
    note("delete user with dependents", b.delete_user("u").await);
    note("delete role attached", b.delete_role("r").await);
    note("detach", b.detach(PrincipalKind::Group, "g", &arn).await);
    note(
        "detach again",
        b.detach(PrincipalKind::Group, "g", &arn).await,
    );
    note("remove member", b.remove_member("g", "u").await);
    note("delete group", b.delete_group("g").await);
    note("remove dependents", b.remove_user_dependents("u").await);
    note("delete user", b.delete_user("u").await);
    note(
        "delete old version",
        b.delete_policy_version(&arn, "v1").await,
    );
    note("delete policy", b.delete_policy(&arn).await);
    note("delete policy again", b.delete_policy(&arn).await);
    note("detach aws", b.detach(PrincipalKind::Role, "r", RO).await);
    note("delete role", b.delete_role("r").await);
    note(
        "delete inline",
        b.delete_inline(PrincipalKind::User, "h", "i").await,
    );
    note(
        "delete inline again",
        b.delete_inline(PrincipalKind::User, "h", "i").await,
    );
    out
}

/// The account as the planner reads it, keyed and compared without IDs and
/// dates.
async fn state(b: &dyn IamBackend) -> BTreeMap<String, Value> {
    let d = b.authorization_details().await.unwrap().document.to_value();
    let mut out = BTreeMap::new();
    for (list, key, fields) in [
        (
            "UserDetailList",
            "UserName",
            &[
                "Path",
                "Tags",
                "GroupList",
                "AttachedManagedPolicies",
                "UserPolicyList",
            ][..],
        ),
        (
            "RoleDetailList",
            "RoleName",
            &[
                "Path",
                "Tags",
                "AttachedManagedPolicies",
                "RolePolicyList",
                "AssumeRolePolicyDocument",
            ][..],
        ),
        (
            "GroupDetailList",
            "GroupName",
            &["Path", "AttachedManagedPolicies", "GroupPolicyList"][..],
        ),
    ] {
        for e in d[list].as_array().into_iter().flatten() {
            let mut v = serde_json::Map::new();
            for f in fields {
                let mut x = e.get(*f).cloned().unwrap_or(Value::Null);
                if let Some(items) = x.as_array_mut() {
                    items.sort_by_key(|i| i.to_string());
                }
                if x != json!([]) && !x.is_null() {
                    v.insert((*f).to_owned(), x);
                }
            }
            out.insert(
                format!("{list}/{}", e[key].as_str().unwrap_or("")),
                Value::Object(v),
            );
        }
    }
    for p in d["Policies"].as_array().into_iter().flatten() {
        let arn = p["Arn"].as_str().unwrap_or("");
        if !arn.contains(":aws:policy/") {
            out.insert(
                format!("policy/{arn}"),
                json!({"Path": p["Path"], "DefaultVersionId": p["DefaultVersionId"]}),
            );
        }
    }
    out
}

#[tokio::test]
async fn memory_and_moto_answer_alike() {
    let env = Env::new().await;
    let aws = backend(&env).await;
    let moto: &dyn IamBackend = &aws;
    let ro = moto.policy_document(RO).await.unwrap();
    let memory = MemoryBackend::new(&env.account).with_aws_policies([("ReadOnlyAccess", ro)]);
    let on_moto = script(moto, &env.account).await;
    let in_memory = script(&memory, &env.account).await;
    let differ: Vec<String> = on_moto
        .iter()
        .zip(&in_memory)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("moto {a} / memory {b}"))
        .collect();
    assert!(differ.is_empty(), "{differ:#?}\nmoto: {on_moto:#?}");
    assert_eq!(state(moto).await, state(&memory).await);
}
