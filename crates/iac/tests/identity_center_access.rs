//! What each person gains or loses in an Identity Center plan, computed by
//! the engine over the permission set's policies (inline, managed, the
//! boundary), and the plan as text, markdown and JSON.
//!
//! "Permissions boundaries for IAM entities",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>:
//! "An entity's permissions boundary allows it to perform only the actions
//! that are allowed by both its identity-based policies and its permissions
//! boundaries." (a boundary that excludes IAM removes the IAM actions)

use std::collections::BTreeMap;

use iamctl_iac::identity_center::access::{add_person_access, PolicyDocs};
use iamctl_iac::identity_center::change::IcPlan;
use iamctl_iac::identity_center::memory::MemoryIdentityCenter;
use iamctl_iac::identity_center::plan::plan;
use iamctl_iac::identity_center::render::render;
use iamctl_iac::identity_center::state::{IcUser, IdentityCenterState};
use iamctl_iac::render::Format;
use iamctl_policy::snapshot::Document;
use serde_json::json;

mod ic_common;
use ic_common::*;

fn state() -> IdentityCenterState {
    let m = MemoryIdentityCenter::new();
    m.edit(|s| {
        s.users.push(IcUser {
            user_id: "u-carol".into(),
            user_name: "carol@example.com".into(),
            ..IcUser::default()
        })
    });
    m.state()
}

fn planned(docs: &PolicyDocs) -> IcPlan {
    let want = desired_of(&contract(), NOW);
    let actual = state();
    let mut p = plan(&want, &actual);
    let envs = BTreeMap::from([("345678901234".to_owned(), "prod".to_owned())]);
    add_person_access(&mut p, &want, &actual, docs, &envs, ts(NOW));
    p
}

fn sentences(p: &IcPlan) -> Vec<String> {
    p.access.iter().map(|a| a.sentence()).collect()
}

#[test]
fn each_person_gains_through_each_assignment_with_the_group_named() {
    let p = planned(&PolicyDocs::new());
    let s = sentences(&p);
    let boundary = " (not counted, not read: arn:aws:iam::aws:policy/PowerUserAccess)";
    assert_eq!(
        s,
        vec![
            format!("bert@example.com gains in prod (345678901234) via boto3 through group data-engineers: iam permissions management 2 actions, iam write 2, s3 write 2; risky: iam:AttachRolePolicy, iam:CreatePolicy{boundary}"),
            format!("bert@example.com gains in prod (345678901234) via boto3-2612101800 (temporary, until 2026-12-10T18:00:00Z): iam permissions management 2 actions, iam write 2, s3 write 2; risky: iam:AttachRolePolicy, iam:CreatePolicy{boundary}"),
            format!("carol@example.com gains in prod (345678901234) via boto3: iam permissions management 2 actions, iam write 2, s3 write 2; risky: iam:AttachRolePolicy, iam:CreatePolicy{boundary}"),
        ],
        "{s:#?}"
    );
}

#[test]
fn the_boundary_counts_when_its_document_is_read() {
    // PowerUserAccess's first statement: everything but IAM, Organizations
    // and Account.
    let docs = PolicyDocs::from([(
        "arn:aws:iam::aws:policy/PowerUserAccess".to_owned(),
        Document::new(json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*"
        }]})),
    )]);
    let p = planned(&docs);
    let carol = p
        .access
        .iter()
        .find(|a| a.person == "carol@example.com")
        .expect("carol");
    assert_eq!(
        carol.sentence(),
        "carol@example.com gains in prod (345678901234) via boto3: s3 write 2 actions"
    );
}

#[test]
fn a_removed_assignment_is_a_loss() {
    let want = desired_of(&contract(), NOW);
    let m = MemoryIdentityCenter::with_state(state());
    let actual = m.state();
    let p = plan(&want, &actual);
    futures::executor::block_on(iamctl_iac::identity_center::apply::apply(
        &m, &actual, &p.changes,
    ));
    // carol's entry is gone from the files.
    let files: Vec<(&str, String)> = contract()
        .into_iter()
        .map(|(f, t)| (f, t.replace("    sso_users: [carol@example.com]\n", "")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let want = desired_of(&files, NOW);
    let actual = m.state();
    let mut p = plan(&want, &actual);
    let envs = BTreeMap::new();
    add_person_access(&mut p, &want, &actual, &PolicyDocs::new(), &envs, ts(NOW));
    let s = sentences(&p);
    assert_eq!(s.len(), 1, "{s:#?}");
    assert!(s[0].starts_with("carol@example.com loses in 345678901234 (345678901234) via boto3: iam permissions management 2 actions"), "{s:#?}");
}

#[test]
fn the_plan_renders_as_text_markdown_and_json() {
    let p = planned(&PolicyDocs::new());
    let text = render(&p, Format::Text);
    assert!(
        text.starts_with("Identity Center arn:aws:sso:::instance/ssoins-memory: "),
        "{text}"
    );
    assert!(
        text.contains("  + assign boto3 to group data-engineers in prod (345678901234)\n"),
        "{text}"
    );
    assert!(
        text.contains("    carol@example.com gains in prod (345678901234) via boto3: "),
        "{text}"
    );
    let md = render(&p, Format::Markdown);
    assert!(md.contains("- bert@example.com gains in prod"), "{md}");
    assert!(
        md.contains("```diff\n+ create user bert@example.com\n"),
        "{md}"
    );
    let back: IcPlan = serde_json::from_str(&render(&p, Format::Json)).expect("json");
    assert_eq!(back.changes, p.changes);
    assert_eq!(back.access, p.access);
}

#[test]
fn people_keeping_a_changed_set_are_told_what_they_gain_and_lose() {
    let m = MemoryIdentityCenter::with_state(state());
    let want = desired_of(&contract(), NOW);
    let actual = m.state();
    let p = plan(&want, &actual);
    futures::executor::block_on(iamctl_iac::identity_center::apply::apply(
        &m, &actual, &p.changes,
    ));
    let files: Vec<(&str, String)> = contract()
        .into_iter()
        .map(|(f, t)| (f, t.replace("s3:PutObject", "s3:GetObject")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let want = desired_of(&files, NOW);
    let actual = m.state();
    let mut p = plan(&want, &actual);
    let envs = BTreeMap::from([("345678901234".to_owned(), "prod".to_owned())]);
    add_person_access(&mut p, &want, &actual, &PolicyDocs::new(), &envs, ts(NOW));
    let s = sentences(&p);
    let carol: Vec<&String> = s.iter().filter(|x| x.starts_with("carol")).collect();
    assert_eq!(carol.len(), 2, "{s:#?}");
    assert!(
        carol[0].starts_with(
            "carol@example.com gains in prod (345678901234) via boto3: s3 read 1 action"
        ),
        "{s:#?}"
    );
    assert!(
        carol[1].starts_with(
            "carol@example.com loses in prod (345678901234) via boto3: s3 write 1 action"
        ),
        "{s:#?}"
    );
    // bert, through the group and through his temporary copy.
    assert_eq!(
        s.iter()
            .filter(|x| x.starts_with("bert@example.com gains"))
            .count(),
        2,
        "{s:#?}"
    );
}

#[test]
fn a_group_without_members_is_named_itself() {
    let files: Vec<(&str, String)> = contract()
        .into_iter()
        .map(|(f, t)| (f, t.replace("members: [bert@example.com]", "members: []")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let want = desired_of(&files, NOW);
    let actual = state();
    let mut p = plan(&want, &actual);
    let envs = BTreeMap::from([("345678901234".to_owned(), "prod".to_owned())]);
    add_person_access(&mut p, &want, &actual, &PolicyDocs::new(), &envs, ts(NOW));
    let s = sentences(&p);
    assert!(
        s.iter().any(|x| x.starts_with(
            "group data-engineers (no members yet) gains in prod (345678901234) via boto3: "
        )),
        "{s:#?}"
    );
}

#[test]
fn a_broad_set_is_said_in_a_line() {
    // An inline policy allowing every action: the sentence names the eight
    // most powerful service levels, then counts the rest.
    let files: Vec<(&str, String)> = contract()
        .into_iter()
        .map(|(f, t)| (f, t.replace("\"iam:CreateRole\", \"iam:CreateUser\", \"iam:CreatePolicy\", \"iam:AttachRolePolicy\"", "\"*\"")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let want = desired_of(&files, NOW);
    let actual = state();
    let mut p = plan(&want, &actual);
    add_person_access(
        &mut p,
        &want,
        &actual,
        &PolicyDocs::new(),
        &BTreeMap::new(),
        ts(NOW),
    );
    let carol = p
        .access
        .iter()
        .find(|a| a.person == "carol@example.com")
        .expect("carol");
    let s = carol.sentence();
    assert!(s.contains(" permissions management "), "{s}");
    assert!(
        s.contains(", and ") && s.contains(" more actions in "),
        "{s}"
    );
    assert!(
        s.len() < 1_500 + carol.risky.join(", ").len(),
        "{} chars",
        s.len()
    );
}
