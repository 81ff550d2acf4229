//! Apply converges, whatever fails on the way, and touches nothing that is
//! not iamctl's.
//!
//! Random configurations (keys with custom statements, AWS-managed policies
//! or a hand-made policy; users, roles with trusts, groups with members
//! under iamctl's path (a group the files put elsewhere cannot be told from
//! a hand-made one, and is never deleted, by design);
//! permanent and temporary grants to them and to principals that exist
//! already, declared `existing: true` or only named in a grant; in a quarter
//! of the cases `settings.iam_path: /`, iamctl's things told by tags only),
//! read and planned as `iamctl plan` does (the tags of the teams' candidate
//! policies, the teams with files managed), are applied
//! to a memory account holding hand-made users, roles, groups, policies and
//! attachments, under random fault schedules (throttling, lost replies,
//! concurrent removals, someone else changing the account meanwhile: a
//! hand-made change, or drift of iamctl's own, a new default version, a
//! detachment, a deleted user): the
//! configuration, a variation of it (other statements, so policies get new
//! versions, past IAM's five; other grants; users and roles dropped), then
//! both again. Each time apply runs again until one run has no failure (at
//! most [`ROUNDS`]); then
//! - a fresh plan has no changes and no conflicts;
//! - what was not iamctl's is as it was, plus what the configuration grants
//!   to existing principals (attachments, inline policies, their record
//!   tags) and nothing else;
//! - cleanup, once every temporary grant has expired, leaves no expired
//!   policy and nothing else changed;
//! - applying the configuration emptied (the team without grants,
//!   principals or keys), again until a run has no failure, leaves the
//!   account exactly as it was before iamctl (and as someone else changed
//!   it meanwhile): nothing of iamctl's remains.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::executor::block_on;
use iamctl_config::*;
use iamctl_iac::apply::run_changes;
use iamctl_iac::backend::{IamBackend, NewPolicy, NewRole, PrincipalKind};
use iamctl_iac::memory::{Fault, FaultSchedule, MemoryAccount, MemoryBackend, Principal};
use iamctl_iac::plan::{cleanup_plan, expired, plan, Change, Plan, PlanOptions};
use iamctl_iac::read::{read_account, TagScope};
use proptest::prelude::*;
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

// Fixed and exercised: a transient failure of reading an AWS-managed
// document taken as "the policy does not exist" (read.rs); an existing user
// made member of an existing group left a member once dropped from the files
// (now recorded in `iamctl:member:` tags); a policy iamctl does not own
// (AWS-managed, or a key declared `existing: true`) attached to a group
// declared `existing: true` left attached once the grant was removed (now
// recorded on the user `iamctl-state`, groups taking no tags).
/// Applies before giving up.
const ROUNDS: usize = 10;

fn now() -> jiff::Timestamp {
    "2026-03-21T11:36:28Z".parse().expect("timestamp")
}

const AWS_MANAGED: &[&str] = &["ReadOnlyAccess", "PowerUserAccess"];

fn aws_document(name: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": format!("{}:Get*", name.to_lowercase()), "Resource": "*"}]})
}

fn aws_arn(name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{name}")
}

fn local_arn(path: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy{path}{name}")
}

// ---------------------------------------------------------------------------
// The account before iamctl: hand-made things.

/// Existing users a configuration may grant to (declared `existing: true`
/// or named in a grant only).
const EXISTING_USERS: &[&str] = &["ext1", "ext2"];
const EXISTING_ROLE: &str = "extrole";
/// A group made by hand, declared `existing: true` when the spec says.
const EXISTING_GROUP: &str = "handgroup";

fn doc(actions: &[&str]) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
        .to_string()
}

/// Hand-made users, roles, groups, policies and attachments, among them
/// the same AWS-managed policy a grant may attach; and another team's
/// user, group and policy (tagged or placed as iamctl's, of team `other`).
fn seed(b: &MemoryBackend) {
    let run = |r: Result<(), iamctl_iac::BackendError>| r.expect("seed");
    for (name, path, document) in [
        ("hand-policy", "/", doc(&["s3:ListBucket"])),
        ("legacy-reader", "/old/", doc(&["s3:GetObject"])),
        ("orphan", "/hand/", doc(&["sqs:ReceiveMessage"])),
    ] {
        run(block_on(b.create_policy(&NewPolicy {
            name,
            path,
            document: &document,
            description: Some("made by hand"),
            tags: &Tags::from([("owner".to_owned(), "ops".to_owned())]),
        })));
    }
    run(block_on(b.create_policy_version(
        &local_arn("/hand/", "orphan"),
        &doc(&["sqs:ReceiveMessage", "sqs:DeleteMessage"]),
    )));
    let ops = Tags::from([("owner".to_owned(), "ops".to_owned())]);
    for u in EXISTING_USERS.iter().chain(&["bystander"]) {
        run(block_on(b.create_user(u, "/people/", &ops)));
    }
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    .to_string();
    run(block_on(b.create_role(&NewRole {
        name: EXISTING_ROLE,
        path: "/service/",
        trust: &trust,
        description: Some("made by hand"),
        max_session_duration: None,
        tags: &ops,
    })));
    b.edit(|a| {
        let r = a.roles.get_mut(EXISTING_ROLE).expect("role");
        r.instance_profiles.insert("web".into());
        a.users
            .get_mut("ext2")
            .expect("user")
            .credentials
            .insert("access-key AKIAEXAMPLE".into());
    });
    for g in [EXISTING_GROUP, "bygroup"] {
        run(block_on(b.create_group(g, "/")));
    }
    run(block_on(b.add_member(EXISTING_GROUP, "ext2")));
    // Another team's, made by iamctl from files not in this directory: left
    // alone (not pruned).
    let other = Tags::from([
        ("managed-by".to_owned(), "iamctl".to_owned()),
        ("iamctl:team".to_owned(), "other".to_owned()),
        ("iamctl:key".to_owned(), "x".to_owned()),
    ]);
    run(block_on(b.create_policy(&NewPolicy {
        name: "other-x",
        path: "/iamctl/other/",
        document: &doc(&["sqs:SendMessage"]),
        description: None,
        tags: &other,
    })));
    run(block_on(b.create_user("otheruser", "/", &other)));
    run(block_on(b.create_group("othergroup", "/iamctl/other/")));
    run(block_on(b.add_member("othergroup", "otheruser")));
    let ox = local_arn("/iamctl/other/", "other-x");
    run(block_on(b.attach(PrincipalKind::User, "otheruser", &ox)));
    run(block_on(b.attach(PrincipalKind::Group, "othergroup", &ox)));
    run(block_on(b.add_member("bygroup", "bystander")));
    let hand = local_arn("/", "hand-policy");
    let ro = aws_arn("ReadOnlyAccess");
    run(block_on(b.attach(PrincipalKind::User, "ext2", &ro)));
    run(block_on(b.attach(PrincipalKind::User, "ext2", &hand)));
    run(block_on(b.attach(PrincipalKind::Role, EXISTING_ROLE, &ro)));
    run(block_on(b.attach(
        PrincipalKind::Group,
        EXISTING_GROUP,
        &hand,
    )));
    run(block_on(b.attach(PrincipalKind::User, "bystander", &hand)));
    run(block_on(b.attach(PrincipalKind::Group, "bygroup", &ro)));
    run(block_on(b.put_inline(
        PrincipalKind::User,
        "ext1",
        "own",
        &doc(&["sns:Publish"]),
    )));
    run(block_on(b.put_inline(
        PrincipalKind::Role,
        EXISTING_ROLE,
        "own",
        &doc(&["sns:Publish"]),
    )));
}

/// Tagged as team `platform`'s (the configuration's).
fn platforms(tags: &Tags) -> bool {
    tags.get("managed-by").map(String::as_str) == Some("iamctl")
        && tags.get("iamctl:team").map(String::as_str) == Some("platform")
}

/// Changes someone else makes while apply runs.
fn meanwhile(which: usize) -> fn(&mut MemoryAccount) {
    match which % 6 {
        0 => |a| {
            // A hand-made attachment to a principal iamctl also grants to.
            let arn = local_arn("/", "hand-policy");
            a.users.get_mut("ext1").expect("ext1").attached.insert(arn);
        },
        1 => |a| {
            a.users
                .get_mut("bystander")
                .expect("bystander")
                .tags
                .insert("reviewed".into(), "yes".into());
        },
        3 => |a| {
            // Someone deletes one of iamctl's users (apply makes it anew).
            let ours = a
                .users
                .iter()
                .find(|(_, u)| platforms(&u.tags))
                .map(|(n, _)| n.clone());
            if let Some(name) = ours {
                a.force_delete(PrincipalKind::User, &name);
            }
        },
        4 => |a| {
            // Drift: someone makes a new default version of one of
            // iamctl's policies (apply puts the configuration's back).
            let ours = a.policies.values_mut().find(|p| {
                !p.aws_managed
                    && (p.path.starts_with("/iamctl/platform/") || platforms(&p.tags))
                    && p.versions.len() < 5
            });
            if let Some(p) = ours {
                let id = format!("v{}", p.next_version);
                p.next_version += 1;
                p.versions.push(iamctl_iac::memory::Version {
                    id: id.clone(),
                    document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Action": "iam:*", "Resource": "*"}]}),
                    created: "2030-01-01T00:00:00Z".into(),
                });
                p.default_version = id;
            }
        },
        5 => |a| {
            // Drift: someone detaches what iamctl attached to its own user.
            let ours = a
                .users
                .values_mut()
                .find(|u| platforms(&u.tags) && !u.attached.is_empty());
            if let Some(u) = ours {
                let first = u.attached.iter().next().cloned();
                if let Some(arn) = first {
                    u.attached.remove(&arn);
                }
            }
        },
        _ => |a| {
            a.users.insert(
                "latecomer".into(),
                Principal {
                    name: "latecomer".into(),
                    path: "/".into(),
                    id: "AIDALATECOMER".into(),
                    attached: BTreeSet::from([aws_arn("ReadOnlyAccess")]),
                    ..Principal::default()
                },
            );
        },
    }
}

// ---------------------------------------------------------------------------
// Configurations.

fn tag_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["", "null", "123", "a: b", "- a", " lead"])
            .prop_map(str::to_owned),
        "[a-zA-Z0-9 _.:/=+@-]{0,8}",
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    let actions = prop::sample::subsequence(
        vec![
            "s3:GetObject",
            "sqs:SendMessage",
            "ec2:Describe*",
            "sns:Publish",
        ],
        1..3,
    );
    (any::<bool>(), actions, prop::option::of("[a-z]{1,6}")).prop_map(|(not, actions, cond)| {
        let mut st = json!({"Effect": "Allow", "Resource": "*"});
        st[if not { "NotAction" } else { "Action" }] = json!(actions);
        if let Some(v) = cond {
            st["Condition"] = json!({"StringEquals": {"aws:PrincipalTag/team": v}});
        }
        st
    })
}

#[derive(Debug, Clone)]
enum KeySpec {
    Custom(Vec<Value>),
    Managed(Vec<usize>),
    Both(Vec<Value>, usize),
    /// The hand-made policy `legacy-reader` at `/old/`.
    Existing,
}

fn key_spec() -> impl Strategy<Value = KeySpec> {
    prop_oneof![
        3 => prop::collection::vec(statement(), 1..3).prop_map(KeySpec::Custom),
        2 => prop::collection::vec(0..AWS_MANAGED.len(), 1..3).prop_map(KeySpec::Managed),
        1 => (prop::collection::vec(statement(), 1..2), 0..AWS_MANAGED.len())
            .prop_map(|(s, m)| KeySpec::Both(s, m)),
        1 => Just(KeySpec::Existing),
    ]
}

/// A role: name, trusted by a service, trusted users, description,
/// maximum session.
type RoleSpec = (String, bool, Vec<usize>, Option<String>, Option<u32>);

/// A permanent grant: users, roles, groups, keys (indexes).
type Grant = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

#[derive(Debug, Clone)]
struct Spec {
    keys: BTreeMap<String, KeySpec>,
    /// (name, written as an email, path, tags)
    users: Vec<(String, bool, String, BTreeMap<String, String>)>,
    /// Which of [`EXISTING_USERS`] are declared `existing: true` (the
    /// others are named in grants only).
    declared: BTreeSet<usize>,
    /// The existing role declared `existing: true`.
    role_declared: bool,
    roles: Vec<RoleSpec>,
    /// (name, members, path)
    groups: Vec<(String, Vec<usize>, Option<String>)>,
    /// `settings.iam_path: /` (else the default `/iamctl/`).
    slash_path: bool,
    /// The hand-made group declared `existing: true` (and so grantable),
    /// with members (indexes into every user, existing ones included).
    existing_group: Option<Vec<usize>>,
    permanent: Vec<Grant>,
    /// (0 user, 1 role, 2 group; who; key; hours from now; as a date)
    temporary: Vec<(u8, usize, usize, i64, bool)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let user = (
        "u[a-z0-9]{0,5}",
        any::<bool>(),
        prop::sample::select(vec!["/", "/team/", "/a/b/"]).prop_map(str::to_owned),
        prop::collection::btree_map("[a-z][a-z0-9-]{0,5}", tag_value(), 0..2),
    );
    let role = (
        "r[a-z0-9]{0,5}",
        any::<bool>(),
        prop::collection::vec(0..8usize, 0..2),
        prop::option::of("[a-zA-Z ]{1,12}"),
        prop::option::of(prop::sample::select(vec![3600u32, 7200])),
    );
    let group = (
        "g[a-z0-9]{0,5}",
        prop::collection::vec(0..8usize, 0..3),
        prop::option::of(Just("/iamctl/platform/teams/".to_owned())),
    );
    let picks = || prop::collection::vec(0..8usize, 0..3);
    (
        (
            prop::collection::btree_map("[a-z][a-z0-9]{0,5}", key_spec(), 1..4),
            prop::collection::vec(user, 0..3),
            prop::collection::btree_set(0..EXISTING_USERS.len(), 0..3),
            any::<bool>(),
        ),
        (
            prop::collection::vec(role, 0..3),
            prop::collection::vec(group, 0..3),
            prop::option::of(prop::collection::vec(0..8usize, 0..3)),
            prop::bool::weighted(0.25),
        ),
        prop::collection::vec(
            (
                picks(),
                picks(),
                picks(),
                prop::collection::vec(0..8usize, 1..3),
            ),
            0..4,
        ),
        prop::collection::vec(
            (0..3u8, 0..8usize, 0..8usize, 1..140i64, any::<bool>()),
            0..3,
        ),
    )
        .prop_map(
            |(
                (keys, users, declared, role_declared),
                (roles, groups, existing_group, slash_path),
                permanent,
                temporary,
            )| Spec {
                keys,
                users,
                declared,
                role_declared,
                roles,
                groups,
                slash_path,
                existing_group,
                permanent,
                temporary,
            },
        )
}

/// Picks from a list by indexes: each at most once.
fn pick(list: &[String], ix: &[usize]) -> Vec<Spanned<String>> {
    let set: BTreeSet<&String> = ix
        .iter()
        .filter(|_| !list.is_empty())
        .map(|i| &list[i % list.len()])
        .collect();
    set.into_iter().map(|s| unplaced(s.clone())).collect()
}

/// The configuration's model; with `empty`, the team keeps only its account.
fn config(spec: &Spec, empty: bool) -> Config {
    let u = |s: &str| unplaced(s.to_owned());
    let mut team = Team {
        name: "platform".into(),
        ..Team::default()
    };
    team.accounts.insert(
        "test".into(),
        Environment {
            name: u("test"),
            account_id: u(ACCOUNT),
            deployer_role: None,
            external_id: None,
            region: None,
        },
    );
    let config = |team: Team| Config {
        teams: BTreeMap::from([("platform".to_owned(), team)]),
        settings: Settings {
            // cloud-iam-self-serve's ARNs: what iamctl makes is told by tags.
            iam_path: spec.slash_path.then(|| u("/")),
            ..Settings::default()
        },
        ..Config::default()
    };
    if empty {
        return config(team);
    }
    for (key, k) in &spec.keys {
        let mut p = Policy {
            key: u(key),
            description: None,
            managed_policies: Vec::new(),
            custom_statements: Vec::new(),
            name: None,
            path: None,
            existing: false,
        };
        let statements = |sts: &[Value]| {
            statements_from_document(&json!({"Version": "2012-10-17", "Statement": sts}))
                .expect("statements")
        };
        let managed = |i: usize| u(&aws_arn(AWS_MANAGED[i]));
        match k {
            KeySpec::Custom(sts) => p.custom_statements = statements(sts),
            KeySpec::Managed(ms) => {
                let set: BTreeSet<usize> = ms.iter().copied().collect();
                p.managed_policies = set.into_iter().map(managed).collect();
            }
            KeySpec::Both(sts, m) => {
                p.custom_statements = statements(sts);
                p.managed_policies = vec![managed(*m)];
            }
            KeySpec::Existing => {
                p.existing = true;
                p.name = Some(u("legacy-reader"));
                p.path = Some(u("/old/"));
            }
        }
        team.policies.insert(key.clone(), p);
    }
    // Users: the configuration's, then the existing ones (by name).
    let mut written: Vec<String> = Vec::new();
    let mut declared_users: Vec<String> = Vec::new();
    for (n, email, path, tags) in &spec.users {
        if team.users.contains_key(n) {
            continue;
        }
        let w = if *email {
            format!("{n}@example.com")
        } else {
            n.clone()
        };
        team.users.insert(
            n.clone(),
            User {
                key: u(&w),
                name: n.clone(),
                existing: false,
                path: (path != "/").then(|| u(path)),
                tags: tags.iter().map(|(k, v)| (u(k), u(v))).collect(),
                permissions_boundary: None,
                environments: None,
            },
        );
        declared_users.push(w.clone());
        written.push(w);
    }
    for (i, name) in EXISTING_USERS.iter().enumerate() {
        if spec.declared.contains(&i) {
            team.users.insert(
                (*name).to_owned(),
                User {
                    key: u(name),
                    name: (*name).to_owned(),
                    existing: true,
                    path: None,
                    tags: Vec::new(),
                    permissions_boundary: None,
                    environments: None,
                },
            );
        }
        written.push((*name).to_owned());
    }
    let mut roles: Vec<String> = Vec::new();
    for (n, service, trusted_users, description, max) in &spec.roles {
        if team.roles.contains_key(n) {
            continue;
        }
        let by_users: Vec<Spanned<String>> = pick(&declared_users, trusted_users);
        let principals = if *service || by_users.is_empty() {
            vec![u("ec2.amazonaws.com")]
        } else {
            Vec::new()
        };
        team.roles.insert(
            n.clone(),
            Role {
                key: u(n),
                existing: false,
                description: description.as_deref().map(u),
                path: None,
                trust: Some(Trust {
                    span: Span::file_only(""),
                    principals,
                    users: by_users,
                    require_mfa: false,
                }),
                max_session_duration: max.map(unplaced),
                permissions_boundary: None,
                tags: Vec::new(),
                environments: None,
            },
        );
        roles.push(n.clone());
    }
    if spec.role_declared {
        team.roles.insert(
            EXISTING_ROLE.into(),
            Role {
                key: u(EXISTING_ROLE),
                existing: true,
                description: None,
                path: None,
                trust: None,
                max_session_duration: None,
                permissions_boundary: None,
                tags: Vec::new(),
                environments: None,
            },
        );
    }
    roles.push(EXISTING_ROLE.to_owned());
    let mut groups: Vec<String> = Vec::new();
    // At `/`, a group of iamctl's cannot be told from a hand-made one (it
    // takes no tags) and is never deleted, by design: none then.
    let own_groups = if spec.slash_path {
        &[][..]
    } else {
        &spec.groups[..]
    };
    for (n, members, path) in own_groups {
        if team.groups.contains_key(n) {
            continue;
        }
        team.groups.insert(
            n.clone(),
            Group {
                key: u(n),
                existing: false,
                path: path.as_deref().map(u),
                members: pick(&declared_users, members),
                environments: None,
            },
        );
        groups.push(n.clone());
    }
    if let Some(members) = &spec.existing_group {
        team.groups.insert(
            EXISTING_GROUP.into(),
            Group {
                key: u(EXISTING_GROUP),
                existing: true,
                path: None,
                members: pick(&written, members),
                environments: None,
            },
        );
        groups.push(EXISTING_GROUP.to_owned());
    }
    let keys: Vec<String> = spec.keys.keys().cloned().collect();
    for (us, rs, gs, ks) in &spec.permanent {
        let g = PermanentGrant {
            span: Span::file_only(""),
            description: None,
            users: pick(&written, us),
            roles: pick(&roles, rs),
            groups: pick(&groups, gs),
            environments: vec![u("test")],
            grants: pick(&keys, ks),
        };
        if !g.users.is_empty() || !g.roles.is_empty() || !g.groups.is_empty() {
            team.permanent.push(g);
        }
    }
    for (kind, who, key, hours, date) in &spec.temporary {
        let list = match kind {
            0 => &written,
            1 => &roles,
            _ => &groups,
        };
        if list.is_empty() {
            continue;
        }
        let until = now() + jiff::SignedDuration::from_hours(*hours);
        let until = if *date {
            until.strftime("%Y-%m-%d").to_string()
        } else {
            rfc3339(until)
        };
        let who = u(&list[who % list.len()]);
        team.temporary.push(TemporaryGrant {
            span: Span::file_only(""),
            description: None,
            expiration_date: Some(u(&until)),
            user: (*kind == 0).then(|| who.clone()),
            role: (*kind == 1).then(|| who.clone()),
            group: (*kind == 2).then_some(who),
            environment: Some(u("test")),
            grant: Some(u(&keys[key % keys.len()])),
        });
    }
    config(team)
}

/// The configuration written to files and read back as `iamctl` would;
/// `None` when validate finds errors (or the files show them).
fn load_config(c: &Config) -> Result<(Config, String), String> {
    let files = write(c);
    let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in &files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let (config, ds) = check(dir.path(), now());
    let errors: Vec<String> = ds
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    if errors.is_empty() {
        Ok((config, shown))
    } else {
        Err(format!("{errors:#?}\n{shown}"))
    }
}

// ---------------------------------------------------------------------------
// Reading, planning and applying through the backend.

/// The account as plan reads it (every customer-managed policy's tags),
/// planned.
fn make_plan(desired: &DesiredAccount, b: &MemoryBackend) -> Result<Plan, String> {
    // As `iamctl plan`/`apply` read and plan: the teams with files only.
    let teams = BTreeSet::from(["platform".to_owned()]);
    let read = block_on(read_account(
        b,
        desired,
        None,
        &TagScope::Teams(teams.clone()),
    ))
    .map_err(|e| e.to_string())?;
    let opts = PlanOptions {
        teams: Some(teams),
        ..PlanOptions::default()
    };
    Ok(plan(desired, &read.actual, &read.sources, &opts))
}

/// One apply, four changes at a time: the failures (none: done).
fn apply_once(b: &MemoryBackend, p: &Plan) -> Vec<String> {
    let outcome = block_on(run_changes(b, p, 4, &|| {}));
    outcome
        .failed
        .iter()
        .map(|(what, why)| format!("{what}: {why}"))
        .collect()
}

/// Plans and applies until a run has no failure (and someone else's change,
/// `changed`, did not happen during it); the rounds it took, or what still
/// failed.
fn converge(
    desired: &DesiredAccount,
    b: &MemoryBackend,
    changed: &AtomicBool,
) -> Result<usize, String> {
    let mut last = Vec::new();
    for round in 1..=ROUNDS {
        let changed_before = changed.load(Ordering::SeqCst);
        let p = match make_plan(desired, b) {
            Ok(p) => p,
            Err(e) => {
                last = vec![format!("read: {e}")];
                continue;
            }
        };
        if !p.conflicts.is_empty() {
            return Err(format!("conflicts: {:?}", p.conflicts));
        }
        last = apply_once(b, &p);
        if last.is_empty() && changed.load(Ordering::SeqCst) == changed_before {
            return Ok(round);
        }
    }
    Err(format!("still failing after {ROUNDS} applies: {last:#?}"))
}

// ---------------------------------------------------------------------------
// The checks.

/// Tags iamctl puts on principals it does not own.
fn iamctl_tag(key: &str) -> bool {
    key.starts_with(iamctl_iac::plan::TAG_ATTACHED) || key.starts_with(iamctl_iac::plan::TAG_MEMBER)
}

/// `after` holds everything `before` held, unchanged; anything more is
/// iamctl's (an attachment, an inline policy, a record tag).
fn only_added(what: &str, before: &Principal, after: &Principal) -> Result<(), String> {
    let fail = |field: &str| {
        Err(format!(
            "{what}: {field} changed\nbefore: {before:#?}\nafter: {after:#?}"
        ))
    };
    if before.path != after.path
        || before.trust != after.trust
        || before.boundary != after.boundary
        || before.credentials != after.credentials
        || before.instance_profiles != after.instance_profiles
        || before.description != after.description
    {
        return fail("a setting");
    }
    if !before.attached.is_subset(&after.attached) {
        return fail("attachments");
    }
    if !before.groups.is_subset(&after.groups) {
        return fail("group memberships");
    }
    if before
        .inline
        .iter()
        .any(|(n, d)| after.inline.get(n) != Some(d))
    {
        return fail("inline policies");
    }
    if before
        .tags
        .iter()
        .any(|(k, v)| after.tags.get(k) != Some(v))
    {
        return fail("tags");
    }
    if after
        .tags
        .keys()
        .any(|k| !before.tags.contains_key(k) && !iamctl_tag(k))
    {
        return fail("tags (one added that is not a record)");
    }
    Ok(())
}

/// What was not iamctl's is as `expected` holds it, plus iamctl's grants to
/// existing principals.
fn not_ours_kept(expected: &MemoryAccount, after: &MemoryAccount) -> Result<(), String> {
    for kind in [
        PrincipalKind::User,
        PrincipalKind::Role,
        PrincipalKind::Group,
    ] {
        for (name, before) in expected.principals(kind) {
            let what = format!("{} `{name}`", kind.as_str());
            let Some(now) = after.principals(kind).get(name) else {
                return Err(format!("{what} is gone"));
            };
            only_added(&what, before, now)?;
        }
    }
    for (arn, before) in &expected.policies {
        match after.policies.get(arn) {
            Some(p) if p == before => {}
            Some(p) => return Err(format!("policy `{arn}` changed: {before:#?}\n{p:#?}")),
            None => return Err(format!("policy `{arn}` is gone")),
        }
    }
    Ok(())
}

/// The account exactly as expected.
fn same_account(expected: &MemoryAccount, after: &MemoryAccount) -> Result<(), String> {
    for kind in [
        PrincipalKind::User,
        PrincipalKind::Role,
        PrincipalKind::Group,
    ] {
        let (e, a) = (expected.principals(kind), after.principals(kind));
        let extra: Vec<&String> = a.keys().filter(|k| !e.contains_key(*k)).collect();
        if !extra.is_empty() {
            return Err(format!("{}s left behind: {extra:?}", kind.as_str()));
        }
        for (name, p) in e {
            match a.get(name) {
                Some(q) if q == p => {}
                Some(q) => {
                    return Err(format!(
                        "{} `{name}` is not as before\nbefore: {p:#?}\nafter: {q:#?}",
                        kind.as_str()
                    ))
                }
                None => return Err(format!("{} `{name}` is gone", kind.as_str())),
            }
        }
    }
    let extra: Vec<&String> = after
        .policies
        .keys()
        .filter(|k| !expected.policies.contains_key(*k))
        .filter(|k| !k.contains(":aws:policy/"))
        .collect();
    if !extra.is_empty() {
        return Err(format!("policies left behind: {extra:?}"));
    }
    for (arn, p) in &expected.policies {
        if after.policies.get(arn) != Some(p) {
            return Err(format!("policy `{arn}` is not as before"));
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct Faults {
    seed: u64,
    per_mille: u32,
    budget: usize,
    kinds: Vec<Fault>,
    /// (before which call, which change) someone else makes.
    meanwhile: Option<(usize, usize)>,
}

fn faults() -> impl Strategy<Value = Faults> {
    (
        any::<u64>(),
        0..350u32,
        // At most 8 faults: with one change by someone else, 10 rounds suffice.
        0..9usize,
        prop::sample::subsequence(
            vec![Fault::Throttled, Fault::LostReply, Fault::NotFound],
            1..4,
        ),
        prop::option::weighted(0.8, (0..15usize, 0..6usize)),
    )
        .prop_map(|(seed, per_mille, budget, kinds, meanwhile)| Faults {
            seed,
            per_mille,
            budget,
            kinds,
            meanwhile,
        })
}

/// Counts over the run, for the summary.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    rounds: usize,
    faults: BTreeMap<&'static str, usize>,
    calls: usize,
    /// Expired grants' policies cleanup removed.
    expired: usize,
    /// Cases with `iam_path: /` (ownership by tags only).
    slash_path: usize,
    /// Changes by someone else that happened, by kind.
    meanwhile: BTreeMap<usize, usize>,
    /// Calls of the APIs that show the harder paths were taken.
    apis: BTreeMap<String, usize>,
    /// Every IAM API called, by any case (for the deployer policy check).
    all_apis: BTreeSet<String>,
}

/// A second configuration, derived from the first: other statements for
/// its custom keys (policy updates), other grants, some users and roles
/// dropped.
#[derive(Debug, Clone)]
struct Variation {
    statements: Vec<Vec<Value>>,
    permanent: Vec<Grant>,
    drop_users: BTreeSet<usize>,
    drop_roles: BTreeSet<usize>,
}

fn variation() -> impl Strategy<Value = Variation> {
    let picks = || prop::collection::vec(0..8usize, 0..3);
    (
        prop::collection::vec(prop::collection::vec(statement(), 1..3), 0..3),
        prop::collection::vec(
            (
                picks(),
                picks(),
                picks(),
                prop::collection::vec(0..8usize, 1..3),
            ),
            0..4,
        ),
        prop::collection::btree_set(0..3usize, 0..2),
        prop::collection::btree_set(0..3usize, 0..2),
    )
        .prop_map(
            |(statements, permanent, drop_users, drop_roles)| Variation {
                statements,
                permanent,
                drop_users,
                drop_roles,
            },
        )
}

fn vary(spec: &Spec, v: &Variation) -> Spec {
    let mut s = spec.clone();
    let custom: Vec<String> = s
        .keys
        .iter()
        .filter(|(_, k)| matches!(k, KeySpec::Custom(_) | KeySpec::Both(..)))
        .map(|(n, _)| n.clone())
        .collect();
    for (i, sts) in v.statements.iter().enumerate() {
        if custom.is_empty() {
            break;
        }
        match s.keys.get_mut(&custom[i % custom.len()]) {
            Some(KeySpec::Custom(old)) | Some(KeySpec::Both(old, _)) => *old = sts.clone(),
            _ => {}
        }
    }
    s.permanent = v.permanent.clone();
    s.users = s
        .users
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !v.drop_users.contains(i))
        .map(|(_, u)| u)
        .collect();
    s.roles = s
        .roles
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !v.drop_roles.contains(i))
        .map(|(_, r)| r)
        .collect();
    s
}

fn shown_faults(b: &MemoryBackend) -> String {
    b.injected()
        .iter()
        .map(|i| format!("call {} {}: {}", i.index, i.api, i.fault))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One case: the configuration, its variation, the configuration again, the
/// variation again (policies updated past five versions), each applied
/// until done and checked; then everything removed.
fn check_case(
    spec: &Spec,
    var: &Variation,
    faults: &Faults,
    tally: &Mutex<Tally>,
) -> Result<(), TestCaseError> {
    let second = vary(spec, var);
    let mut configs = Vec::new();
    for s in [spec, &second] {
        match load_config(&config(s, false)) {
            Ok(c) => configs.push(c),
            // Configurations validate refuses are not applied.
            Err(_) => return Err(TestCaseError::reject("validate refuses it")),
        }
    }
    let (empty, _) = load_config(&config(spec, true)).map_err(TestCaseError::fail)?;

    let b = MemoryBackend::new(ACCOUNT)
        .with_aws_policies(AWS_MANAGED.iter().map(|n| (*n, aws_document(n))));
    seed(&b);
    let mut expected = b.state();
    let ran = Arc::new(AtomicBool::new(false));
    let mut schedule =
        FaultSchedule::none().random(faults.seed, faults.per_mille, faults.budget, &faults.kinds);
    if let Some((at, which)) = faults.meanwhile {
        let change = meanwhile(which);
        let flag = ran.clone();
        schedule = schedule.meanwhile(at, move |a| {
            change(a);
            flag.store(true, Ordering::SeqCst);
        });
    }
    b.set_faults_from_now(schedule);
    let mut rounds = 0;
    let mut meanwhile_done = false;
    for (step, (config, shown)) in [&configs[0], &configs[1], &configs[0], &configs[1]]
        .into_iter()
        .enumerate()
    {
        let desired = desired_state(config, "test", now()).expect("test");
        // Each step under its own faults (the first step's schedule is set).
        if step > 0 {
            let schedule = FaultSchedule::none().random(
                faults.seed.rotate_left(step as u32 * 16),
                faults.per_mille,
                faults.budget,
                &faults.kinds,
            );
            b.set_faults_from_now(schedule);
        }
        rounds += converge(&desired, &b, &ran).map_err(|e| {
            TestCaseError::fail(format!(
                "step {step}: {e}\nfaults: {}\n{shown}",
                shown_faults(&b)
            ))
        })?;
        if !meanwhile_done && ran.load(Ordering::SeqCst) {
            if let Some((_, which)) = faults.meanwhile {
                meanwhile(which)(&mut expected);
            }
            meanwhile_done = true;
        }
        let saved = b.injected();
        b.set_faults(FaultSchedule::none());
        let again = make_plan(&desired, &b).map_err(TestCaseError::fail)?;
        let changes: Vec<String> = again.changes.iter().map(Change::summary).collect();
        prop_assert!(
            changes.is_empty() && again.conflicts.is_empty() && again.blocked.is_empty(),
            "step {step}: apply ran without failure, yet the plan is not empty: {changes:#?} {:?}\nfaults: {saved:?}\n{shown}",
            again.conflicts,
        );
        if let Err(e) = not_ours_kept(&expected, &b.state()) {
            return Err(TestCaseError::fail(format!(
                "step {step}: {e}\nfaults: {}\n{shown}",
                shown_faults(&b)
            )));
        }
    }

    // Cleanup, once every temporary grant has expired: their policies go,
    // nothing else.
    let later = now() + jiff::SignedDuration::from_hours(200);
    let desired = desired_state(&configs[1].0, "test", now()).expect("test");
    b.set_faults_from_now(FaultSchedule::none().random(
        faults.seed ^ 0xc1ea,
        faults.per_mille,
        faults.budget,
        &faults.kinds,
    ));
    let mut left = vec!["never ran".to_owned()];
    let before_cleanup = block_on(read_account(&b, &desired, None, &TagScope::All))
        .map(|r| expired(&r.actual, later).len())
        .unwrap_or(0);
    for _ in 0..ROUNDS {
        let read = match block_on(read_account(&b, &desired, None, &TagScope::All)) {
            Ok(r) => r,
            Err(e) => {
                left = vec![e.to_string()];
                continue;
            }
        };
        let p = cleanup_plan("test", ACCOUNT, &read.actual, later);
        rounds += 1;
        left = apply_once(&b, &p);
        if left.is_empty() {
            break;
        }
    }
    prop_assert!(
        left.is_empty(),
        "cleanup: {left:#?}\nfaults: {}",
        shown_faults(&b)
    );
    b.set_faults(FaultSchedule::none());
    let read = block_on(read_account(&b, &desired, None, &TagScope::All))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let still: Vec<&str> = expired(&read.actual, later)
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    prop_assert!(
        still.is_empty(),
        "expired policies left after cleanup: {still:?}"
    );
    if let Err(e) = not_ours_kept(&expected, &b.state()) {
        return Err(TestCaseError::fail(format!(
            "cleanup: {e}\nfaults: {}",
            shown_faults(&b)
        )));
    }

    // Removal: the configuration emptied.
    let nothing = desired_state(&empty, "test", now()).expect("test");
    b.set_faults_from_now(FaultSchedule::none().random(
        faults.seed ^ 0x5eed,
        faults.per_mille,
        faults.budget,
        &faults.kinds,
    ));
    rounds += converge(&nothing, &b, &ran).map_err(|e| {
        TestCaseError::fail(format!(
            "removal: {e}\nfaults: {}\n{}",
            shown_faults(&b),
            configs[1].1
        ))
    })?;
    b.set_faults(FaultSchedule::none());
    if let Err(e) = same_account(&expected, &b.state()) {
        return Err(TestCaseError::fail(format!(
            "after removing everything: {e}\nfaults: {}\nlast configuration:\n{}",
            shown_faults(&b),
            configs[1].1
        )));
    }
    let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
    t.cases += 1;
    t.rounds += rounds;
    t.expired += before_cleanup;
    t.slash_path += usize::from(configs[0].0.iam_path() == "/");
    if let (Some((_, which)), true) = (faults.meanwhile, ran.load(Ordering::SeqCst)) {
        *t.meanwhile.entry(which).or_default() += 1;
    }
    t.calls += b.total_calls();
    t.all_apis.extend(b.calls().into_keys());
    for (api, n) in b.calls() {
        if [
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "SetDefaultPolicyVersion",
            "DeleteUser",
            "DeleteRole",
            "DeleteGroup",
            "DeletePolicy",
            "UntagUser",
            "UntagRole",
        ]
        .contains(&api.as_str())
        {
            *t.apis.entry(api).or_default() += n;
        }
    }
    for i in b.injected() {
        *t.faults.entry(i.fault.as_str()).or_default() += 1;
    }
    Ok(())
}

#[test]
fn apply_converges_under_faults_and_leaves_what_is_not_ours() {
    let config = ProptestConfig {
        cases: 64,
        // The same cases every run (CI included).
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x1ac_c0de),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let tally = Mutex::new(Tally::default());
    let started = std::time::Instant::now();
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&(spec(), variation(), faults()), |(spec, var, faults)| {
        check_case(&spec, &var, &faults, &tally)
    });
    eprintln!(
        "converge: {:?} in {:.1} s",
        tally.lock().unwrap_or_else(|e| e.into_inner()),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let mut apis = tally
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .all_apis
        .clone();
    apis.extend(lock_apis());
    deployer::every_call_is_allowed(&apis);
}

/// The calls of the lock apply and cleanup take (`iamctl_iac::lock`):
/// taken, found held, renewed, broken when stale, released, force-unlocked.
fn lock_apis() -> BTreeSet<String> {
    use iamctl_iac::lock::{force_unlock, Lock};
    let b = MemoryBackend::new(ACCOUNT);
    let lock = |id: &str| Lock {
        iam_path: "/iamctl/".into(),
        holder: "ci".into(),
        id: id.into(),
        command: "apply".into(),
        lease: jiff::SignedDuration::from_secs(600),
    };
    let later = now() + jiff::SignedDuration::from_secs(3600);
    block_on(async {
        lock("a").try_acquire(&b, now()).await.expect("taken");
        assert!(lock("b").try_acquire(&b, now()).await.is_err());
        lock("a").renew(&b, now()).await.expect("renewed");
        lock("b")
            .try_acquire(&b, later)
            .await
            .expect("stale: broken");
        lock("b").release(&b).await.expect("released");
        lock("c").try_acquire(&b, now()).await.expect("taken");
        force_unlock(&b, "c").await.expect("removed");
    });
    let apis: BTreeSet<String> = b.calls().into_keys().collect();
    for api in ["CreateUser", "GetUser", "TagUser", "DeleteUser"] {
        assert!(apis.contains(api), "{api} not in {apis:?}");
    }
    apis
}

/// The least-privilege deployer policy shipped in `examples/iac/deployer/`
/// allows every IAM call the applies above made (the calls come from the
/// memory backend's count, so a new call in apply cannot be forgotten here
/// as it could in a hand-kept list).
mod deployer {
    use std::collections::BTreeSet;

    use iamctl_policy::eval::{decision, Context, Decision, Policy, PolicySet, Principal, Request};

    const ACCOUNT: &str = "111122223333";

    /// The resource type an IAM API acts on (IAM's service authorization
    /// reference: user, group, role, policy, instance-profile, mfa; `*` for
    /// GetAccountAuthorizationDetails).
    fn resource(api: &str) -> String {
        let kind = match api {
            "GetAccountAuthorizationDetails" => return "*".to_owned(),
            "DeleteVirtualMFADevice" => "mfa/alice",
            "RemoveRoleFromInstanceProfile" | "DeleteInstanceProfile" => {
                "instance-profile/operator"
            }
            "AddUserToGroup" | "RemoveUserFromGroup" => "group/iamctl/platform/developers",
            a if a.ends_with("ForUser") || a.contains("User") => "user/people/alice",
            a if a.contains("Group") => "group/iamctl/platform/developers",
            a if a.contains("Role") => "role/operator",
            a if a.contains("Polic") => "policy/iamctl/platform/platform-read",
            // Access keys, login profile, MFA devices, certificates, SSH
            // keys, service-specific credentials: a user's.
            _ => "user/people/alice",
        };
        format!("arn:aws:iam::{ACCOUNT}:{kind}")
    }

    pub(super) fn every_call_is_allowed(apis: &BTreeSet<String>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/iac/deployer/deployer-apply-policy.json");
        let text = std::fs::read_to_string(&path).expect("deployer policy");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let policy = Policy::from_json("deployer-apply-policy.json", &doc).expect("policy");
        let set = PolicySet {
            identity: vec![&policy],
            ..PolicySet::default()
        };
        assert!(apis.len() > 30, "too few APIs seen: {apis:?}");
        let refused: Vec<String> = apis
            .iter()
            .filter(|api| {
                let principal = Principal::parse(&format!(
                    "arn:aws:sts::{ACCOUNT}:assumed-role/IAMAsCodeDeployer/iamctl"
                ));
                let action = format!("iam:{api}");
                let req = Request::new(
                    principal,
                    &action,
                    &resource(api),
                    Some(ACCOUNT),
                    Context::new(),
                );
                decision(&req, &set) != Decision::Allowed
            })
            .cloned()
            .collect();
        assert!(
            refused.is_empty(),
            "the deployer apply policy refuses calls apply makes: {refused:?} (of {apis:?})"
        );
    }
}
