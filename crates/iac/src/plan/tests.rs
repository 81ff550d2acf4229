//! The planner's steps on the IAM path of ours (`settings.iam_path`):
//! groups under it are ours and deleted when dropped, groups elsewhere never
//! are; a policy iamctl owns at another path stays where it is unless the
//! configuration writes a `path`; policies under it are ours without a tag
//! read. And conflicts and warnings as typed values with their sentences.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use super::{
    group_attachment_tag, plan, ActualAccount, Change, Conflict, Kind, Plan, PlanOptions, Warning,
};
use iamctl_config::{check, desired_state, DesiredAccount, Tags};

const ACCOUNT: &str = "123456789012";

fn now() -> jiff::Timestamp {
    "2026-03-21T11:36:28Z".parse().expect("timestamp")
}

/// The desired state of environment `dev` of a configuration of team `t`.
fn desired(files: &[(&str, &str)]) -> DesiredAccount {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = vec![(
        "aws-accounts/t.yaml",
        "aws-accounts:\n  dev: \"123456789012\"\n",
    )];
    all.extend_from_slice(files);
    for (name, text) in all {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let (config, diags) = check(dir.path(), now());
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    desired_state(&config, "dev", now()).expect("dev")
}

const READ: &str = "aws-policies:\n  read:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n";

fn read_doc() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]})
}

fn group(name: &str, path: &str, attached: &[&str]) -> Value {
    json!({"GroupName": name, "Arn": format!("arn:aws:iam::{ACCOUNT}:group{path}{name}"), "Path": path,
        "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a})).collect::<Vec<_>>(),
        "GroupPolicyList": []})
}

fn policy(name: &str, path: &str, document: Value) -> Value {
    json!({"PolicyName": name, "Arn": format!("arn:aws:iam::{ACCOUNT}:policy{path}{name}"), "Path": path,
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": document}]})
}

fn account(groups: Vec<Value>, policies: Vec<Value>, users: Vec<Value>) -> Value {
    json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": [], "Policies": policies})
}

fn ours(team: &str, key: &str) -> Tags {
    [
        ("managed-by", "iamctl"),
        ("iamctl:team", team),
        ("iamctl:key", key),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn run(d: &DesiredAccount, snapshot: &Value, tags: &[(&str, Tags)], opts: &PlanOptions) -> Plan {
    let tags: HashMap<String, Tags> = tags
        .iter()
        .map(|(a, t)| ((*a).to_owned(), t.clone()))
        .collect();
    plan(
        d,
        &ActualAccount::from_snapshot(
            &iamctl_policy::snapshot::Snapshot::from_value(snapshot).expect("a snapshot"),
            &tags,
        ),
        &HashMap::new(),
        opts,
    )
}

fn summaries(p: &Plan) -> Vec<String> {
    p.changes.iter().map(Change::summary).collect()
}

#[test]
fn a_group_dropped_from_the_configuration_under_our_path_is_deleted() {
    // Groups carry no tags: under `/iamctl/t/` (team t's) a group is ours.
    let d = desired(&[
        ("aws-policies/t.yaml", READ),
        (
            "permanent-access/t.yaml",
            "permanent-access:\n  - groups: [kept]\n    environments: [dev]\n    grants: [read]\n",
        ),
        ("groups/t.yaml", "groups:\n  kept:\n    members: []\n"),
    ]);
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/iamctl/t/t-read");
    let snapshot = account(
        vec![
            group("kept", "/iamctl/t/", &[&arn]),
            group("dropped", "/iamctl/t/", &[&arn]),
            // Made by hand, holding our policy: never deleted, and warned of.
            group("by-hand", "/", &[&arn]),
            // Made by hand, holding nothing of ours: not a word.
            group("other", "/ops/", &[]),
        ],
        vec![policy("t-read", "/iamctl/t/", read_doc())],
        vec![
            json!({"UserName": "ann", "Arn": format!("arn:aws:iam::{ACCOUNT}:user/ann"), "Path": "/",
            "GroupList": ["dropped", "by-hand"], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": []}),
        ],
    );
    let p = run(
        &d,
        &snapshot,
        &[(arn.as_str(), ours("t", "read"))],
        &PlanOptions::default(),
    );
    assert_eq!(
        summaries(&p),
        [
            // Our policy, attached by hand to a group we do not own.
            "detach t-read from group by-hand",
            "delete group dropped (and its memberships and policies)",
        ]
    );
    assert_eq!(
        p.changes[1],
        Change::DeleteGroup {
            name: "dropped".into()
        }
    );
    assert_eq!(p.changes[1].principal(), Some((Kind::Group, "dropped")));
    assert_eq!(p.changes[1].sign(), '-');
    assert_eq!(
        p.warnings,
        [Warning::GroupNotOurs {
            group: "by-hand".into(),
            iam_path: "/iamctl/".into()
        }]
    );
    assert_eq!(
        p.warnings[0].to_string(),
        "group `by-hand` is not in the configuration; IAM groups carry no tags, so iamctl deletes only groups under `/iamctl/`"
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
}

#[test]
fn with_iam_path_slash_no_group_is_ever_deleted() {
    let d = desired(&[
        ("aws-policies/t.yaml", READ),
        ("settings.yaml", "settings:\n  iam_path: /\n"),
        (
            "permanent-access/t.yaml",
            "permanent-access:\n  - users: [ann]\n    environments: [dev]\n    grants: [read]\n",
        ),
    ]);
    assert_eq!(d.iam_path, "/");
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/t-read");
    assert_eq!(d.policies["t-read"].arn, arn, "cloud-iam-self-serve's ARN");
    let snapshot = account(
        vec![group("g", "/", &[&arn]), group("h", "/iamctl/t/", &[])],
        vec![policy("t-read", "/", read_doc())],
        vec![
            json!({"UserName": "ann", "Arn": format!("arn:aws:iam::{ACCOUNT}:user/ann"), "Path": "/",
            "GroupList": [], "AttachedManagedPolicies": [{"PolicyArn": arn}], "UserPolicyList": [],
            "Tags": [{"Key": "iamctl:attached:local/t-read", "Value": arn}]}),
        ],
    );
    let p = run(
        &d,
        &snapshot,
        &[(arn.as_str(), ours("t", "read"))],
        &PlanOptions::default(),
    );
    assert_eq!(summaries(&p), ["detach t-read from group g"]);
    assert_eq!(
        p.warnings[0].to_string(),
        "group `g` is not in the configuration; IAM groups carry no tags, so iamctl never deletes one"
    );
}

#[test]
fn an_owned_policy_at_slash_stays_there_under_the_new_default() {
    // Made by an iamctl that put policies at `/`: the new default
    // (`/iamctl/t/`) moves nothing; grants name it where it is.
    let d = desired(&[
        ("aws-policies/t.yaml", READ),
        (
            "permanent-access/t.yaml",
            "permanent-access:\n  - groups: [devs]\n    environments: [dev]\n    grants: [read]\n",
        ),
        ("groups/t.yaml", "groups:\n  devs:\n    members: []\n"),
    ]);
    assert_eq!(
        d.policies["t-read"].arn,
        format!("arn:aws:iam::{ACCOUNT}:policy/iamctl/t/t-read")
    );
    let old = format!("arn:aws:iam::{ACCOUNT}:policy/t-read");
    let mut changed = read_doc();
    changed["Statement"][0]["Action"] = json!(["s3:*"]);
    // The group too stays at `/`, where it was made.
    let snapshot = account(
        vec![group("devs", "/", &[&old])],
        vec![policy("t-read", "/", changed)],
        vec![],
    );
    let p = run(
        &d,
        &snapshot,
        &[(old.as_str(), ours("t", "read"))],
        &PlanOptions::default(),
    );
    assert_eq!(
        summaries(&p),
        ["update policy t-read (new default version)"],
        "no move, no re-attachment"
    );
    assert!(matches!(&p.changes[0], Change::UpdatePolicy { arn, .. } if *arn == old));
    // The same account holding the wanted document: no changes at all.
    let snapshot = account(
        vec![group("devs", "/", &[&old])],
        vec![policy("t-read", "/", read_doc())],
        vec![],
    );
    let p = run(
        &d,
        &snapshot,
        &[(old.as_str(), ours("t", "read"))],
        &PlanOptions::default(),
    );
    assert!(p.is_empty(), "{:?}", summaries(&p));
    assert!(p.warnings.is_empty() && p.conflicts.is_empty());

    // A `path` written in the configuration moves both.
    let d = desired(&[
        (
            "aws-policies/t.yaml",
            "aws-policies:\n  read:\n    path: /iamctl/t/\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n",
        ),
        (
            "permanent-access/t.yaml",
            "permanent-access:\n  - groups: [devs]\n    environments: [dev]\n    grants: [read]\n",
        ),
        (
            "groups/t.yaml",
            "groups:\n  devs:\n    path: /iamctl/t/\n    members: []\n",
        ),
    ]);
    let p = run(
        &d,
        &snapshot,
        &[(old.as_str(), ours("t", "read"))],
        &PlanOptions::default(),
    );
    let new = format!("arn:aws:iam::{ACCOUNT}:policy/iamctl/t/t-read");
    assert_eq!(
        summaries(&p),
        [
            format!("move policy t-read from {old} to {new} (deleted and made anew)"),
            "move group devs to path /iamctl/t/".to_owned(),
            "attach t-read to group devs".to_owned(),
            // The old ARN: gone with the move already (apply takes that).
            "detach t-read from group devs".to_owned(),
        ]
    );
}

#[test]
fn policies_under_our_path_are_ours_without_their_tags() {
    // GetAccountAuthorizationDetails alone: no tags read for these two.
    let d = desired(&[("aws-policies/t.yaml", READ)]);
    let mut changed = read_doc();
    changed["Statement"][0]["Action"] = json!(["s3:*"]);
    let snapshot = account(
        vec![],
        vec![
            policy("t-read", "/iamctl/t/", changed),
            policy("t-gone", "/iamctl/t/", read_doc()),
            // Not ours: at `/`, untagged.
            policy("t-hand", "/", read_doc()),
        ],
        vec![],
    );
    let p = run(&d, &snapshot, &[], &PlanOptions::default());
    assert!(p.conflicts.is_empty(), "not `--adopt`: {:?}", p.conflicts);
    assert_eq!(
        summaries(&p),
        [
            "tag policy t-read iamctl:key=read,iamctl:team=t,managed-by=iamctl",
            "update policy t-read (new default version)",
            "delete policy t-gone",
        ]
    );
    // Its tags not read (none asked for under our path) and its document as
    // wanted: nothing to do, no tag compared. Read, and missing: tagged.
    let snapshot = account(
        vec![],
        vec![policy("t-read", "/iamctl/t/", read_doc())],
        vec![],
    );
    let p = run(&d, &snapshot, &[], &PlanOptions::default());
    assert!(p.is_empty(), "{:?}", summaries(&p));
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/iamctl/t/t-read");
    let p = run(
        &d,
        &snapshot,
        &[(arn.as_str(), Tags::new())],
        &PlanOptions::default(),
    );
    assert_eq!(
        summaries(&p),
        ["tag policy t-read iamctl:key=read,iamctl:team=t,managed-by=iamctl"]
    );
    // The same name at `/` without our tags is somebody else's.
    let snapshot = account(vec![], vec![policy("t-read", "/", read_doc())], vec![]);
    let p = run(&d, &snapshot, &[], &PlanOptions::default());
    assert_eq!(
        p.conflicts,
        [Conflict::PolicyNotOurs {
            policy: "t-read".into()
        }]
    );
}

#[test]
fn another_teams_group_under_our_path_is_left_alone_unless_pruned() {
    let d = desired(&[("groups/t.yaml", "groups:\n  devs:\n    members: []\n")]);
    let snapshot = account(
        vec![
            group("devs", "/iamctl/t/", &[]),
            group("theirs", "/iamctl/alpha/", &[]),
        ],
        vec![],
        vec![],
    );
    let teams: BTreeSet<String> = ["t".to_owned()].into();
    let p = run(
        &d,
        &snapshot,
        &[],
        &PlanOptions {
            teams: Some(teams.clone()),
            ..PlanOptions::default()
        },
    );
    assert!(p.is_empty(), "{:?}", summaries(&p));
    assert_eq!(
        p.warnings,
        [Warning::TeamWithoutFiles {
            team: "alpha".into(),
            resources: 1,
            pruned: false
        }]
    );
    let p = run(
        &d,
        &snapshot,
        &[],
        &PlanOptions {
            teams: Some(teams),
            prune_teams: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        summaries(&p),
        ["delete group theirs (and its memberships and policies)"]
    );
}

#[test]
fn conflicts_and_warnings_say_todays_sentences_and_carry_their_fields_in_json() {
    let c = Conflict::PrincipalMissing {
        principal: Kind::User,
        name: "developer".into(),
        account: ACCOUNT.into(),
        environment: "prod".into(),
        declared_at: Some("users/t.yaml:2:3".into()),
        needed_by: vec!["temporary-access/t.yaml:4:11".into()],
    };
    assert_eq!(
        c.to_string(),
        "user `developer` does not exist in account `123456789012` (prod); declared `existing` at users/t.yaml:2:3; needed by temporary-access/t.yaml:4:11: create it, or take it out of what grants to it in `prod`"
    );
    let v = serde_json::to_value(&c).expect("json");
    assert_eq!(
        v,
        json!({"kind": "principal-missing", "principal": "user", "name": "developer",
            "account": ACCOUNT, "environment": "prod", "declared_at": "users/t.yaml:2:3",
            "needed_by": ["temporary-access/t.yaml:4:11"], "message": c.to_string()})
    );
    assert_eq!(serde_json::from_value::<Conflict>(v).expect("back"), c);
    let w = Warning::TeamWithoutFiles {
        team: "alpha".into(),
        resources: 37,
        pruned: false,
    };
    assert_eq!(
        w.to_string(),
        "team `alpha` owns 37 resource(s) and has no files; they are left alone (pass `--prune-teams` to remove them)"
    );
    let v = serde_json::to_value(&w).expect("json");
    assert_eq!(v["kind"], "team-without-files");
    assert_eq!(v["message"], w.to_string());
    assert_eq!(serde_json::from_value::<Warning>(v).expect("back"), w);
    // A message edited in a saved plan is not what is read back: it is
    // said again from the fields.
    let edited = json!({"kind": "policy-not-ours", "policy": "p", "message": "anything"});
    assert_eq!(
        serde_json::from_value::<Conflict>(edited)
            .expect("back")
            .to_string(),
        "policy `p` exists and is not managed by iamctl: pass `--adopt` to take it over"
    );
}

fn user(name: &str, groups: &[&str], tags: &[(&str, &str)]) -> Value {
    json!({"UserName": name, "Arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"), "Path": "/",
        "GroupList": groups, "AttachedManagedPolicies": [], "UserPolicyList": [],
        "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()})
}

#[test]
fn a_membership_made_in_a_group_not_ours_is_recorded_and_removed_exactly() {
    // Groups carry no tags: a membership iamctl makes of a user it does not
    // own in a group it does not own is recorded on the user, so that
    // dropping it from the files removes that one and never bob's, made
    // by hand.
    let files = |members: &str| {
        vec![
            (
                "users/t.yaml",
                "users:\n  ann:\n    existing: true\n  bob:\n    existing: true\n".to_owned(),
            ),
            (
                "groups/t.yaml",
                format!("groups:\n  legacy:\n    existing: true\n    members: [{members}]\n"),
            ),
        ]
    };
    let desired_of = |f: Vec<(&str, String)>| {
        let f: Vec<(&str, &str)> = f.iter().map(|(n, t)| (*n, t.as_str())).collect();
        desired(&f)
    };
    let d = desired_of(files("ann, bob"));
    let before = account(
        vec![group("legacy", "/", &[])],
        vec![],
        vec![user("ann", &[], &[]), user("bob", &["legacy"], &[])],
    );
    let p = run(&d, &before, &[], &PlanOptions::default());
    assert_eq!(
        summaries(&p),
        [
            "tag user ann iamctl:member:legacy=legacy",
            "add user ann to group legacy"
        ]
    );
    // Applied; then the files drop both.
    let after = account(
        vec![group("legacy", "/", &[])],
        vec![],
        vec![
            user("ann", &["legacy"], &[("iamctl:member:legacy", "legacy")]),
            user("bob", &["legacy"], &[]),
        ],
    );
    let p = run(&d, &after, &[], &PlanOptions::default());
    assert!(p.is_empty(), "{:?}", summaries(&p));
    let d = desired_of(files(""));
    let p = run(&d, &after, &[], &PlanOptions::default());
    assert_eq!(
        summaries(&p),
        [
            "remove user ann from group legacy",
            "untag user ann iamctl:member:legacy"
        ]
    );
    // The group taken out of the files altogether: the same.
    let d = desired(&[(
        "users/t.yaml",
        "users:\n  ann:\n    existing: true\n  bob:\n    existing: true\n",
    )]);
    let p = run(&d, &after, &[], &PlanOptions::default());
    assert_eq!(
        summaries(&p),
        [
            "remove user ann from group legacy",
            "untag user ann iamctl:member:legacy"
        ]
    );
    // Removed by hand meanwhile: only the record goes.
    let by_hand = account(
        vec![group("legacy", "/", &[])],
        vec![],
        vec![
            user("ann", &[], &[("iamctl:member:legacy", "legacy")]),
            user("bob", &["legacy"], &[]),
        ],
    );
    let d = desired_of(files("bob"));
    let p = run(&d, &by_hand, &[], &PlanOptions::default());
    assert_eq!(summaries(&p), ["untag user ann iamctl:member:legacy"]);
}

#[test]
fn an_attachment_to_a_group_not_ours_is_recorded_on_the_state_user_and_removed_exactly() {
    // Groups carry no tags: an attachment iamctl makes of a policy it does
    // not manage to a group it does not own is recorded in a tag on the
    // user `iamctl-state` (made with the first record, before the
    // attachment), so that removing the grant detaches that one, and never
    // one made by hand.
    let files = |grant: bool| {
        let mut f = vec![
            (
                "aws-policies/t.yaml",
                "aws-policies:\n  legacy:\n    name: legacy-reader\n    existing: true\n"
                    .to_owned(),
            ),
            (
                "groups/t.yaml",
                "groups:\n  crew:\n    existing: true\n  hands:\n    existing: true\n".to_owned(),
            ),
        ];
        let to = if grant { "[crew, hands]" } else { "[hands]" };
        f.push((
            "permanent-access/t.yaml",
            format!("permanent-access:\n  - description: read\n    groups: {to}\n    environments: [dev]\n    grants: [legacy]\n"),
        ));
        f
    };
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/legacy-reader");
    let (key, value) = group_attachment_tag("crew", &arn).expect("recordable");
    assert_eq!(value, format!("crew {arn}"));
    let state = |records: &[(&str, &str)]| {
        let mut tags = vec![("iamctl:state", "group-attachments")];
        tags.extend_from_slice(records);
        json!({"UserName": "iamctl-state", "Arn": format!("arn:aws:iam::{ACCOUNT}:user/iamctl/iamctl-state"),
            "Path": "/iamctl/", "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [],
            "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()})
    };
    let snapshot = |crew: &[&str], users: Vec<Value>| {
        account(
            // `hands` holds the policy attached by hand.
            vec![group("crew", "/", crew), group("hands", "/", &[&arn])],
            vec![policy("legacy-reader", "/", read_doc())],
            users,
        )
    };
    let plan_of = |grant: bool, snap: &Value| {
        let f = files(grant);
        let f: Vec<(&str, &str)> = f.iter().map(|(n, t)| (*n, t.as_str())).collect();
        run(&desired(&f), snap, &[], &PlanOptions::default())
    };
    // First grant: the state user is made with the record, then the
    // attachment; the hand-made one to `hands` is not recorded.
    let p = plan_of(true, &snapshot(&[], vec![]));
    assert_eq!(
        summaries(&p),
        [
            "create user iamctl-state".to_owned(),
            "attach legacy-reader to group crew".to_owned()
        ],
        "{p:?}"
    );
    let Change::CreateUser { path, tags, .. } = &p.changes[0] else {
        panic!("{p:?}")
    };
    assert_eq!(path, "/iamctl/");
    assert_eq!(tags.get(&key), Some(&value));
    assert!(p.warnings.is_empty() && p.conflicts.is_empty(), "{p:?}");
    // Applied: nothing to do, and the state user is no principal to plan.
    let applied = snapshot(&[&arn], vec![state(&[(&key, &value)])]);
    assert!(plan_of(true, &applied).changes.is_empty());
    // Grant removed from both: detached from `crew` (recorded), not from
    // `hands` (by hand); the last record goes with the state user.
    let f = vec![
        (
            "aws-policies/t.yaml",
            "aws-policies:\n  legacy:\n    name: legacy-reader\n    existing: true\n",
        ),
        (
            "groups/t.yaml",
            "groups:\n  crew:\n    existing: true\n  hands:\n    existing: true\n",
        ),
    ];
    let p = run(&desired(&f), &applied, &[], &PlanOptions::default());
    assert_eq!(
        summaries(&p),
        [
            "detach legacy-reader from group crew",
            "delete user iamctl-state (and its keys, password, MFA devices, memberships, policies)"
        ],
        "{p:?}"
    );
    // With another record left, only this one is untagged.
    let other = group_attachment_tag("hands", &arn).expect("tag");
    let snap = snapshot(
        &[&arn],
        vec![state(&[(&key, &value), (&other.0, &other.1)])],
    );
    let p = plan_of(false, &snap);
    assert_eq!(
        summaries(&p),
        [
            "detach legacy-reader from group crew".to_owned(),
            format!("untag user iamctl-state {key}")
        ],
        "{p:?}"
    );
    // A hand-made user of that name is a conflict, and nothing is attached.
    let p = plan_of(true, &snapshot(&[], vec![user("iamctl-state", &[], &[])]));
    assert!(p.changes.is_empty(), "{p:?}");
    assert_eq!(
        p.conflicts,
        [Conflict::StateUserNotOurs {
            name: "iamctl-state".into()
        }]
    );
}

/// The records of group attachments live in tags on one user, within IAM's
/// limits: "Pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*" and "Maximum length of
/// 256" for a tag value
/// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html), and
/// "Tags per IAM resource: 50"
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
/// Past them the attachment is a conflict naming group and policy, and is
/// not made.
#[test]
fn group_records_past_iams_tag_limits_are_conflicts() {
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/legacy-reader");
    let comma = group_attachment_tag("crew,old", &arn).expect_err("comma");
    assert!(comma.contains("`,` cannot be in a tag value"), "{comma}");
    let long = format!("arn:aws:iam::{ACCOUNT}:policy/{}/p", "x".repeat(200));
    let err = group_attachment_tag(&"g".repeat(60), &long).expect_err("too long");
    assert!(err.contains("above the 256 of a tag value"), "{err}");
    // A state user with 49 records: the 50th cannot be written.
    let mut tags = vec![json!({"Key": "iamctl:state", "Value": "group-attachments"})];
    for i in 0..49 {
        let (k, v) = group_attachment_tag(&format!("g{i}"), &arn).expect("tag");
        tags.push(json!({"Key": k, "Value": v}));
    }
    let state = json!({"UserName": "iamctl-state", "Arn": format!("arn:aws:iam::{ACCOUNT}:user/iamctl/iamctl-state"),
        "Path": "/iamctl/", "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": tags});
    // Groups g0 to g48 hold their recorded attachments, and keep them.
    let mut groups: Vec<Value> = (0..49)
        .map(|i| group(&format!("g{i}"), "/", &[&arn]))
        .collect();
    groups.push(group("crew", "/", &[]));
    let snapshot = account(
        groups,
        vec![policy("legacy-reader", "/", read_doc())],
        vec![state],
    );
    let names: Vec<String> = (0..49).map(|i| format!("g{i}")).collect();
    let groups_yaml: String = names
        .iter()
        .chain(std::iter::once(&"crew".to_owned()))
        .map(|g| format!("  {g}:\n    existing: true\n"))
        .collect();
    let grant = format!(
        "permanent-access:\n  - description: read\n    groups: [crew, {}]\n    environments: [dev]\n    grants: [legacy]\n",
        names.join(", ")
    );
    let d = desired(&[
        (
            "aws-policies/t.yaml",
            "aws-policies:\n  legacy:\n    name: legacy-reader\n    existing: true\n",
        ),
        ("groups/t.yaml", &format!("groups:\n{groups_yaml}")),
        ("permanent-access/t.yaml", &grant),
    ]);
    let p = run(&d, &snapshot, &[], &PlanOptions::default());
    assert!(p.changes.is_empty(), "{p:?}");
    assert_eq!(p.conflicts.len(), 1, "{p:?}");
    assert_eq!(
        p.conflicts[0].to_string(),
        format!("`{arn}` cannot be attached to group `crew`: iamctl records what it attaches to a group it does not own in a tag on user `iamctl-state`, and it holds 49 records already (IAM allows 50 tags on a user); declare the group in the files to have iamctl manage it")
    );
}
