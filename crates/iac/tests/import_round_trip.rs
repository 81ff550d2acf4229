//! `import` without AWS: an account made by applying a configuration (with
//! `apply_to_snapshot`) plus things made by hand is imported as a model;
//! the model written and read back is the same model (`load(write(c)) == c`,
//! places aside), it validates, and planning it against the same account
//! finds nothing to change.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use iamctl_config::*;
use iamctl_iac::import::{account_in, import, Imported, Options, RoleSettings, Warning};
use iamctl_iac::memory::after_changes;
use iamctl_iac::plan::{plan, ActualAccount, Change, PlanOptions};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

fn now() -> jiff::Timestamp {
    "2026-03-21T11:36:28Z".parse().expect("timestamp")
}

/// An IaC team, as the CLI's import test applies it first: policies with
/// conditions and a managed policy, users with tags, a role trusting a user
/// with MFA, a running temporary grant and an S3 user.
const OWNED: &[(&str, &str)] = &[
    (
        "aws-accounts/platform.yaml",
        "aws-accounts:\n  test: \"123456789012\"\n",
    ),
    (
        "aws-policies/platform.yaml",
        "aws-policies:
  s3-read:
    description: read the data bucket
    custom_statements:
      - sid: Read
        effect: Allow
        actions: [\"s3:GetObject\"]
        resources: [\"arn:aws:s3:::data/*\"]
        conditions:
          StringLike:
            s3:prefix: [\"home/\", \"shared/\"]
  view:
    managed_policies: [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]
",
    ),
    (
        "users/platform.yaml",
        "users:\n  dana@example.com:\n    tags: {cost-centre: \"42\"}\n  erin@example.com: {}\n",
    ),
    (
        "roles/platform.yaml",
        "roles:\n  operator:\n    path: /ops/\n    trust:\n      users: [dana@example.com]\n      require_mfa: true\n",
    ),
    (
        "permanent-access/platform.yaml",
        "permanent-access:
  - users: [dana@example.com]
    roles: [operator]
    environments: [test]
    grants: [s3-read, view]
",
    ),
    (
        "temporary-access/platform.yaml",
        "temporary-access:
  - expiration_date: 2026-03-24
    user: erin@example.com
    environment: test
    grant: s3-read
  - expiration_date: 2026-03-23T10:00:00Z
    role: operator
    environment: test
    grant: view
",
    ),
    (
        "s3-users/platform.yaml",
        "s3-users:\n  - bucket: shared-files\n    user: erin\n    access: read-write\n",
    ),
];

fn materialise(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn load_ok(dir: &Path) -> Config {
    let (c, ds) = check(dir, now());
    let errors: Vec<String> = ds
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    c
}

/// The tags `CreatePolicy`/`TagPolicy` give, as `ListPolicyTags` would; and
/// descriptions, as GetAccountAuthorizationDetails shows them.
fn policy_tags(changes: &[Change], snapshot: &mut Value, tags: &mut HashMap<String, Tags>) {
    for c in changes {
        match c {
            Change::CreatePolicy {
                arn,
                tags: t,
                description,
                ..
            } => {
                tags.insert(arn.clone(), t.clone());
                let policies = snapshot["Policies"].as_array_mut().expect("policies");
                if let (Some(d), Some(p)) =
                    (description, policies.iter_mut().find(|p| p["Arn"] == *arn))
                {
                    p["Description"] = json!(d);
                }
            }
            Change::TagPolicy { arn, tags: t } => {
                tags.entry(arn.clone()).or_default().extend(t.clone());
            }
            _ => {}
        }
    }
}

fn version(doc: Value) -> Value {
    json!([{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}])
}

/// What hands made: a policy with a path and a rich document, one whose
/// document `custom_statements` cannot hold, a group with members and an
/// AWS-managed policy, users (one with a path and an inline policy), a role
/// trusting a service, all attached here and there.
fn by_hand(s: &mut Value) {
    let a = ACCOUNT;
    let rich = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTeamData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::team-data", "arn:aws:s3:::team-data/*"],
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]},
                       "Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "NoIam", "Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::team-data/*"}
    ]});
    let odd = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:*",
        "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": true}}}});
    let push = |s: &mut Value, list: &str, v: Value| {
        s[list].as_array_mut().expect(list).push(v);
    };
    push(
        s,
        "Policies",
        json!({"PolicyName": "rich", "Path": "/legacy/",
        "Arn": format!("arn:aws:iam::{a}:policy/legacy/rich"), "Description": "made by hand",
        "DefaultVersionId": "v1", "PolicyVersionList": version(rich)}),
    );
    push(
        s,
        "Policies",
        json!({"PolicyName": "odd", "Path": "/",
        "Arn": format!("arn:aws:iam::{a}:policy/odd"),
        "DefaultVersionId": "v1", "PolicyVersionList": version(odd)}),
    );
    let managed = |arn: String| json!({"PolicyArn": arn, "PolicyName": "x"});
    push(
        s,
        "GroupDetailList",
        json!({"GroupName": "devs", "Path": "/", "Arn": format!("arn:aws:iam::{a}:group/devs"),
        "GroupPolicyList": [], "AttachedManagedPolicies": [managed("arn:aws:iam::aws:policy/ReadOnlyAccess".into())]}),
    );
    push(
        s,
        "UserDetailList",
        json!({"UserName": "alice", "Path": "/", "Arn": format!("arn:aws:iam::{a}:user/alice"),
        "GroupList": ["devs"], "Tags": [{"Key": "team", "Value": "data"}], "UserPolicyList": [],
        "AttachedManagedPolicies": [managed(format!("arn:aws:iam::{a}:policy/legacy/rich"))]}),
    );
    push(
        s,
        "UserDetailList",
        json!({"UserName": "bob", "Path": "/team/", "Arn": format!("arn:aws:iam::{a}:user/team/bob"),
        "GroupList": ["devs"], "UserPolicyList": [{"PolicyName": "extra", "PolicyDocument":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}}],
        "AttachedManagedPolicies": [managed(format!("arn:aws:iam::{a}:policy/odd"))]}),
    );
    push(
        s,
        "RoleDetailList",
        json!({"RoleName": "lambda-runner", "Path": "/", "Arn": format!("arn:aws:iam::{a}:role/lambda-runner"),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [], "AttachedManagedPolicies": [managed(format!("arn:aws:iam::{a}:policy/legacy/rich"))]}),
    );
}

/// The account: the owned configuration applied, then the hand-made things.
fn account() -> (Value, HashMap<String, Tags>) {
    let files: Vec<(String, String)> = OWNED
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    let dir = materialise(&files);
    let config = load_ok(dir.path());
    let desired = desired_state(&config, "test", now()).expect("test");
    let empty =
        json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []});
    let actual = ActualAccount::from_snapshot(&typed(&empty), &HashMap::new());
    let sources = HashMap::from([(
        "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"}]}),
    )]);
    let p = plan(&desired, &actual, &sources, &PlanOptions::default());
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let mut snapshot = apply_to_snapshot(&empty, &p.changes, ACCOUNT);
    let mut tags = HashMap::new();
    policy_tags(&p.changes, &mut snapshot, &mut tags);
    // The AWS-managed policy as GetAccountAuthorizationDetails lists it (attached).
    snapshot["Policies"].as_array_mut().expect("policies").push(json!({
        "PolicyName": "ReadOnlyAccess", "Path": "/", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "DefaultVersionId": "v1", "PolicyVersionList": version(sources["arn:aws:iam::aws:policy/ReadOnlyAccess"].clone())}));
    by_hand(&mut snapshot);
    // The team's policy under an IAM path of its own, attached to its user.
    let moved = format!("arn:aws:iam::{ACCOUNT}:policy/iamctl/platform-moved");
    snapshot["Policies"]
        .as_array_mut()
        .expect("policies")
        .push(json!({
        "PolicyName": "platform-moved", "Path": "/iamctl/", "Arn": moved,
        "DefaultVersionId": "v1", "PolicyVersionList": version(json!({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]}))}));
    tags.insert(
        moved.clone(),
        Tags::from([
            ("managed-by".into(), "iamctl".into()),
            ("iamctl:team".into(), "platform".into()),
            ("iamctl:key".into(), "moved".into()),
        ]),
    );
    let users = snapshot["UserDetailList"].as_array_mut().expect("users");
    let dana = users
        .iter_mut()
        .find(|u| u["UserName"] == "dana")
        .expect("dana");
    dana["AttachedManagedPolicies"]
        .as_array_mut()
        .expect("attached")
        .push(json!({"PolicyArn": moved, "PolicyName": "platform-moved"}));
    (snapshot, tags)
}

fn options() -> Options {
    Options {
        env: "test".into(),
        team: "imported".into(),
        account_id: ACCOUNT.into(),
        deployer_role: Some("Deployer".into()),
        now: now(),
        role_settings: Default::default(),
    }
}

/// The model without its places: `span:` lines of the pretty Debug text.
fn shape(c: &Config) -> String {
    let text = format!("{:#?}\n{:#?}", c.settings, c.teams);
    text.lines()
        .map(|l| match l.find("span: ") {
            Some(i) if l[..i].trim().is_empty() => format!("{}span: _,", &l[..i]),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn imported() -> (Value, HashMap<String, Tags>, Imported) {
    let (snapshot, tags) = account();
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let imported = import(&actual, &typed(&snapshot), &options());
    (snapshot, tags, imported)
}

#[test]
fn an_import_written_and_read_back_is_the_same_model() {
    let (_, _, imported) = imported();
    let files = imported.files();
    let dir = materialise(&files);
    let back = load_ok(dir.path());
    let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    assert_eq!(shape(&back), shape(&imported.config), "{shown}");
    // Written again (with the same comments): the same text.
    assert_eq!(write_with(&back, &imported.comments), files);
    // And the shape check can fail: a changed model is another shape.
    let mut other = back.clone();
    other
        .teams
        .get_mut("imported")
        .expect("imported")
        .groups
        .clear();
    assert_ne!(shape(&other), shape(&imported.config));
}

#[test]
fn an_import_plans_no_changes_against_the_same_account() {
    let (snapshot, tags, imported) = imported();
    let dir = materialise(&imported.files());
    let back = load_ok(dir.path());
    let desired = desired_state(&back, "test", now()).expect("test");
    assert_eq!(desired.account_id, ACCOUNT);
    assert_eq!(desired.deployer_role, "Deployer");
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let p = plan(&desired, &actual, &HashMap::new(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(changes, Vec::<String>::new());
    assert_eq!(p.conflicts, Vec::<String>::new());
    assert_eq!(p.warnings, Vec::<String>::new());
    // The check can fail: without the platform's permanent grants, the plan
    // detaches them.
    let mut less = back.clone();
    less.teams
        .get_mut("platform")
        .expect("platform")
        .permanent
        .clear();
    let desired = desired_state(&less, "test", now()).expect("test");
    let p = plan(&desired, &actual, &HashMap::new(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert!(
        changes.contains(&"detach platform-s3-read from user dana".to_owned()),
        "{changes:?}"
    );
    if std::env::var_os("IMPORT_SHOW").is_some() {
        for (path, text) in imported.files() {
            eprintln!("== {path}\n{text}");
        }
    }
}

#[test]
fn what_iamctl_owns_goes_back_to_its_team_and_the_rest_is_existing() {
    let (_, _, imported) = imported();
    assert_eq!(imported.warnings, Vec::<Warning>::new());
    let teams = &imported.config.teams;
    assert_eq!(teams.keys().collect::<Vec<_>>(), ["imported", "platform"]);
    let platform = &teams["platform"];
    let s3_read = &platform.policies["s3-read"];
    assert!(!s3_read.existing);
    assert_eq!(
        s3_read.description.as_ref().map(|d| d.value.as_str()),
        Some("read the data bucket")
    );
    assert_eq!(s3_read.custom_statements.len(), 1);
    let moved = &platform.policies["moved"];
    assert!(!moved.existing && moved.name.is_none());
    assert_eq!(moved.path.as_ref().expect("path").value, "/iamctl/");
    assert_eq!(
        platform.users["dana"].key.value, "dana@example.com",
        "the key as written comes back from `iamctl:key`"
    );
    assert_eq!(platform.users["dana"].tags.len(), 1);
    let trust = platform.roles["operator"].trust.as_ref().expect("trust");
    assert!(trust.require_mfa);
    assert_eq!(
        trust.principals[0].value,
        format!("arn:aws:iam::{ACCOUNT}:user/dana")
    );
    let temporary: Vec<(Option<&str>, Option<&str>, &str)> = platform
        .temporary
        .iter()
        .map(|g| {
            (
                g.user.as_ref().map(|u| u.value.as_str()),
                g.role.as_ref().map(|u| u.value.as_str()),
                g.grant.as_ref().expect("grant").value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        temporary,
        [
            (None, Some("operator"), "view"),
            (Some("erin"), None, "s3-read")
        ]
    );
    let until: Vec<&str> = platform
        .temporary
        .iter()
        .map(|g| g.expiration_date.as_ref().expect("until").value.as_str())
        .collect();
    // A whole day is written as the date it was given as.
    assert_eq!(until, ["2026-03-23T10:00:00Z", "2026-03-24"]);
    assert_eq!(platform.s3_users.len(), 1);

    let mine = &teams["imported"];
    assert!(mine.users["alice"].existing && mine.users["bob"].existing);
    assert_eq!(
        mine.users["bob"].path.as_ref().expect("path").value,
        "/team/"
    );
    assert!(mine.roles["lambda-runner"].existing);
    let devs = &mine.groups["devs"];
    assert!(devs.existing);
    let members: Vec<&str> = devs.members.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(members, ["alice", "bob"]);
    let rich = &mine.policies["rich"];
    assert!(rich.existing);
    assert_eq!(rich.path.as_ref().expect("path").value, "/legacy/");
    assert_eq!(rich.custom_statements.len(), 2);
    assert_eq!(rich.custom_statements[1].not_actions[0].value, "s3:*");
    // Its document cannot be `custom_statements`: existing, with why in a comment.
    let odd = &mine.policies["odd"];
    assert!(odd.existing && odd.custom_statements.is_empty());
    let files: HashMap<String, String> = imported.files().into_iter().collect();
    let text = &files["aws-policies/imported.yaml"];
    assert!(
        text.contains("  # `odd` is not written as `custom_statements`: condition key `aws:SecureTransport` of statement 1 has a value that is not a string"),
        "{text}"
    );
    assert!(text.starts_with("# Written by `iamctl import`"), "{text}");
    assert_eq!(
        mine.policies["aws.ReadOnlyAccess"].managed_policies[0].value,
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    // Grants: one entry per key, every principal holding it.
    let grant = mine
        .permanent
        .iter()
        .find(|g| g.grants[0].value == "rich")
        .expect("rich grant");
    assert_eq!(grant.users[0].value, "alice");
    assert_eq!(grant.roles[0].value, "lambda-runner");
    assert_eq!(
        files["settings.yaml"].lines().last(),
        Some("  deployer_role: Deployer")
    );
}

#[test]
fn expired_temporary_grants_are_left_for_cleanup() {
    let (snapshot, tags) = account();
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let mut o = options();
    o.now = "2026-03-23T12:00:00Z".parse().expect("now");
    let imported = import(&actual, &typed(&snapshot), &o);
    let platform = &imported.config.teams["platform"];
    assert_eq!(platform.temporary.len(), 1, "{:?}", platform.temporary);
    assert!(
        imported.warnings.iter().any(|w| matches!(w,
            Warning::TemporaryExpired { until, .. } if until == "2026-03-23T10:00:00Z")),
        "{:?}",
        imported.warnings
    );
}

#[test]
fn the_account_of_a_snapshot_is_found_in_its_arns() {
    let (snapshot, _) = account();
    assert_eq!(account_in(&typed(&snapshot)).as_deref(), Some(ACCOUNT));
    assert_eq!(account_in(&typed(&json!({"UserDetailList": []}))), None);
}

/// What iamctl owns but the configuration cannot hold: two policies
/// claiming key `publish`; a user with an inline policy of its own; a role
/// whose trust has a condition iamctl does not write.
fn owned_but_not_writable() -> (ActualAccount, Imported) {
    let a = ACCOUNT;
    let ours = |key: &str| {
        Tags::from([
            ("managed-by".into(), "iamctl".into()),
            ("iamctl:team".into(), "platform".into()),
            ("iamctl:key".into(), key.into()),
        ])
    };
    let tag_list = |t: &Tags| -> Value {
        t.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect()
    };
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]});
    let policy = |name: &str| {
        json!({"PolicyName": name, "Path": "/", "Arn": format!("arn:aws:iam::{a}:policy/{name}"),
               "DefaultVersionId": "v1", "PolicyVersionList": version(doc.clone())})
    };
    let snapshot = json!({
        "Policies": [policy("platform-publish"), policy("platform-publish-2")],
        "UserDetailList": [{"UserName": "gil", "Path": "/", "Arn": format!("arn:aws:iam::{a}:user/gil"),
            "Tags": tag_list(&ours("gil")), "GroupList": [], "AttachedManagedPolicies": [],
            "UserPolicyList": [{"PolicyName": "mine", "PolicyDocument": doc}]}],
        "RoleDetailList": [{"RoleName": "svc", "Path": "/", "Arn": format!("arn:aws:iam::{a}:role/svc"),
            "Tags": tag_list(&ours("svc")), "RolePolicyList": [], "AttachedManagedPolicies": [],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{a}:root")}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}}],
        "GroupDetailList": [],
    });
    let tags = HashMap::from([
        (
            format!("arn:aws:iam::{a}:policy/platform-publish"),
            ours("publish"),
        ),
        (
            format!("arn:aws:iam::{a}:policy/platform-publish-2"),
            ours("publish"),
        ),
    ]);
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let imported = import(&actual, &typed(&snapshot), &options());
    (actual, imported)
}

/// What iamctl owns but the configuration cannot hold is `existing`, with
/// a warning (and, for a policy, a comment in the file).
#[test]
fn owned_things_the_configuration_cannot_hold_are_existing_with_a_warning() {
    let (_, imported) = owned_but_not_writable();
    let warnings: Vec<String> = imported.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "policy `platform-publish-2` is iamctl's but cannot be written back as key `publish` of team `platform`; it is imported as `existing`",
            "user `gil` is iamctl's but has inline policies the configuration cannot hold; it is imported as `existing`",
            "role `svc` is iamctl's but its trust or inline policies cannot be written in the configuration; it is imported as `existing`",
        ]
    );
    let mine = &imported.config.teams["imported"];
    assert!(mine.policies["platform-publish-2"].existing);
    assert!(mine.users["gil"].existing && mine.roles["svc"].existing);
    assert!(!imported.config.teams["platform"].policies["publish"].existing);
    let files: HashMap<String, String> = imported.files().into_iter().collect();
    let text = &files["aws-policies/imported.yaml"];
    assert!(
        text.contains("  # policy `platform-publish-2` is iamctl's but cannot be written back as key `publish`"),
        "{text}"
    );
}

/// README: "`existing: true` principals are never created, tagged or
/// deleted": a user or role that carries iamctl's tags, declared `existing`
/// and granted nothing, is kept (the desired state holds every declared
/// `existing` principal of the environment, and plan skips one that is
/// absent when nothing needs it).
#[test]
fn owned_things_imported_as_existing_plan_no_changes() {
    let (actual, imported) = owned_but_not_writable();
    let dir = materialise(&imported.files());
    let back = load_ok(dir.path());
    let desired = desired_state(&back, "test", now()).expect("test");
    let p = plan(&desired, &actual, &HashMap::new(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(changes, Vec::<String>::new());
    assert_eq!(p.conflicts, Vec::<String>::new());
}

/// IAM allows `@` in user names, but the configuration reads `a@b.c` as user
/// `a` (seed 004's emails): such a user, its grants and its memberships are
/// left out, with a warning, rather than written as another user.
#[test]
fn a_user_the_configuration_cannot_name_is_left_out_with_a_warning() {
    let a = ACCOUNT;
    let snapshot = json!({
        "UserDetailList": [{"UserName": "ann@example.com", "Path": "/", "Arn": format!("arn:aws:iam::{a}:user/ann@example.com"),
            "GroupList": ["devs"], "UserPolicyList": [],
            "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "PolicyName": "ReadOnlyAccess"}]}],
        "GroupDetailList": [{"GroupName": "devs", "Path": "/", "Arn": format!("arn:aws:iam::{a}:group/devs"),
            "GroupPolicyList": [], "AttachedManagedPolicies": []}],
        "RoleDetailList": [], "Policies": [],
    });
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &HashMap::new());
    let imported = import(&actual, &typed(&snapshot), &options());
    assert_eq!(
        imported.warnings,
        [Warning::UserNameNotWritable {
            user: "ann@example.com".into()
        }]
    );
    let mine = &imported.config.teams["imported"];
    assert!(mine.users.is_empty() && mine.permanent.is_empty());
    assert!(mine.groups["devs"].members.is_empty());
    assert!(!mine.users.contains_key("ann"));
}

/// GetAccountAuthorizationDetails gives no role description or maximum
/// session duration; iamctl's roles carry their digest in a tag. With what
/// GetRole says, import writes them (IAM's default hour only when the
/// configuration gave it); without, or when the digest does not match, the
/// role is `existing`, with a warning.
#[test]
fn role_settings_come_from_get_role_as_the_tag_tells() {
    let a = ACCOUNT;
    let role = |name: &str, description: Option<&str>, max: Option<u32>| {
        let mut t = Tags::from([
            ("managed-by".into(), "iamctl".into()),
            ("iamctl:team".into(), "platform".into()),
            ("iamctl:key".into(), name.into()),
        ]);
        t.insert(
            iamctl_iac::plan::TAG_ROLE_SETTINGS.into(),
            iamctl_iac::plan::role_settings(description, max),
        );
        let tags: Vec<Value> = t
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        json!({"RoleName": name, "Path": "/", "Arn": format!("arn:aws:iam::{a}:role/{name}"),
            "Tags": tags, "RolePolicyList": [], "AttachedManagedPolicies": [],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}})
    };
    let snapshot = json!({
        "RoleDetailList": [
            role("described", Some("runs: the jobs"), None),
            role("hour", None, Some(3600)),
            role("long", None, Some(43200)),
            role("unread", Some("x"), None),
        ],
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
    });
    let get_role = |d: Option<&str>, m: u32| RoleSettings {
        description: d.map(str::to_owned),
        max_session_duration: Some(m),
    };
    let mut o = options();
    o.role_settings = BTreeMap::from([
        (
            "described".to_owned(),
            get_role(Some("runs: the jobs"), 3600),
        ),
        ("hour".to_owned(), get_role(None, 3600)),
        ("long".to_owned(), get_role(None, 43200)),
    ]);
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &HashMap::new());
    let imported = import(&actual, &typed(&snapshot), &o);
    assert_eq!(
        imported.warnings,
        [Warning::RoleSettingsUnknown {
            role: "unread".into()
        }]
    );
    let roles = &imported.config.teams["platform"].roles;
    let settings = |n: &str| {
        let r = &roles[n];
        (
            r.description.as_ref().map(|d| d.value.clone()),
            r.max_session_duration.as_ref().map(|m| m.value),
        )
    };
    assert_eq!(settings("described"), (Some("runs: the jobs".into()), None));
    assert_eq!(settings("hour"), (None, Some(3600)));
    assert_eq!(settings("long"), (None, Some(43200)));
    assert!(imported.config.teams["imported"].roles["unread"].existing);
    // Written, read back and planned: the three roles are left as they are.
    let dir = materialise(&imported.files());
    let back = load_ok(dir.path());
    let desired = desired_state(&back, "test", now()).expect("test");
    let p = plan(&desired, &actual, &HashMap::new(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    let about = |n: &str| changes.iter().any(|c| c.contains(&format!("role {n} ")));
    assert!(
        !about("described") && !about("hour") && !about("long"),
        "{changes:?}"
    );
}

/// A temporary grant of an `existing` key is a copy of a policy that is not
/// iamctl's (`<team>-<key>-<who>-<policy>-temporary`): the key comes back
/// `existing`, with the policy's name and path, not as an AWS-managed one.
#[test]
fn a_temporary_grant_of_an_existing_policy_comes_back() {
    let files: Vec<(String, String)> = [
        (
            "aws-accounts/platform.yaml",
            "aws-accounts:\n  test: \"123456789012\"\n",
        ),
        (
            "aws-policies/platform.yaml",
            "aws-policies:\n  legacy:\n    name: legacy-reader\n    path: /old/\n    existing: true\n",
        ),
        ("users/platform.yaml", "users:\n  erin@example.com: {}\n"),
        (
            "temporary-access/platform.yaml",
            "temporary-access:\n  - expiration_date: 2026-03-24\n    user: erin@example.com\n    environment: test\n    grant: legacy\n",
        ),
    ]
    .iter()
    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
    .collect();
    let dir = materialise(&files);
    let config = load_ok(dir.path());
    let desired = desired_state(&config, "test", now()).expect("test");
    let legacy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let before = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
        "Policies": [{"PolicyName": "legacy-reader", "Path": "/old/",
            "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/old/legacy-reader"),
            "DefaultVersionId": "v1", "PolicyVersionList": version(legacy)}]});
    let p = plan(
        &desired,
        &ActualAccount::from_snapshot(&typed(&before), &HashMap::new()),
        &HashMap::new(),
        &PlanOptions::default(),
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let mut snapshot = apply_to_snapshot(&before, &p.changes, ACCOUNT);
    let mut tags = HashMap::new();
    policy_tags(&p.changes, &mut snapshot, &mut tags);
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let imported = import(&actual, &typed(&snapshot), &options());
    assert_eq!(imported.warnings, vec![]);
    let key = &imported.config.teams["platform"].policies["legacy"];
    assert!(key.existing && key.managed_policies.is_empty(), "{key:?}");
    assert_eq!(
        key.name.as_ref().map(|n| n.value.as_str()),
        Some("legacy-reader")
    );
    assert_eq!(key.path.as_ref().map(|n| n.value.as_str()), Some("/old/"));
    let back_dir = materialise(&imported.files());
    let back = load_ok(back_dir.path());
    let again = desired_state(&back, "test", now()).expect("test");
    let p = plan(&again, &actual, &HashMap::new(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    assert_eq!(changes, Vec::<String>::new());
    assert_eq!(p.conflicts, Vec::<String>::new());
}

/// The snapshot as iamctl reads it.
fn typed(v: &serde_json::Value) -> iamctl_policy::snapshot::Snapshot {
    iamctl_policy::snapshot::Snapshot::from_value(v).expect("a snapshot")
}

/// The account `before` describes once `changes` are made, as the memory
/// backend makes them.
fn apply_to_snapshot(
    before: &serde_json::Value,
    changes: &[iamctl_iac::plan::Change],
    account: &str,
) -> serde_json::Value {
    after_changes(&typed(before), changes, account).to_value()
}
