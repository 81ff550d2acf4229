//! Issue 20.2: one apply per account at a time with nothing but IAM (no
//! `master_copy` bucket), and an interrupted apply that releases its lock.
//! The real binary against moto; every check reads the target account
//! through the SDK.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_iam::Client;
use serde_json::{json, Value};

use crate::harness::*;

/// A fresh target account and an IAM client acting in it.
async fn target(endpoint: &str) -> (String, Client) {
    let id = next_account();
    let conf = account_config(endpoint, &id).await;
    (id, Client::new(&conf))
}

/// Team `core` in account `id`: `n` users, a group of them, and two
/// policies whose statements say `action`.
fn write_config(env: &Env, dir: &str, id: &str, n: usize, action: &str) {
    env.file(
        &format!("{dir}/aws-accounts/core.yaml"),
        &format!("aws-accounts:\n  dev: \"{id}\"\n"),
    );
    let mut users = String::from("users:\n");
    for i in 0..n {
        users.push_str(&format!("  user{i:02}@example.com: {{}}\n"));
    }
    env.file(&format!("{dir}/users/core.yaml"), &users);
    env.file(
        &format!("{dir}/groups/core.yaml"),
        "groups:\n  crew:\n    members: [user00@example.com, user01@example.com]\n",
    );
    env.file(
        &format!("{dir}/aws-policies/core.yaml"),
        &format!(
            "aws-policies:\n  one:\n    custom_statements:\n      - effect: Allow\n        actions: [\"{action}\"]\n        resources: [\"*\"]\n  two:\n    custom_statements:\n      - effect: Allow\n        actions: [\"{action}\", \"sqs:SendMessage\"]\n        resources: [\"*\"]\n"
        ),
    );
    env.file(
        &format!("{dir}/permanent-access/core.yaml"),
        "permanent-access:\n  - description: crew\n    groups: [crew]\n    environments: [dev]\n    grants: [one, two]\n",
    );
}

/// The account as the SDK lists it: users with tags and groups, groups
/// with members and attachments, policies with their version ids and
/// default document.
async fn dump(iam: &Client, id: &str) -> Value {
    let mut users = BTreeMap::new();
    for u in iam.list_users().send().await.expect("ListUsers").users() {
        let name = u.user_name().to_owned();
        let tags: BTreeMap<String, String> = iam
            .list_user_tags()
            .user_name(&name)
            .send()
            .await
            .expect("ListUserTags")
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        users.insert(name, json!({"path": u.path(), "tags": tags}));
    }
    let mut groups = BTreeMap::new();
    for g in iam.list_groups().send().await.expect("ListGroups").groups() {
        let name = g.group_name().to_owned();
        let mut members: Vec<String> = iam
            .get_group()
            .group_name(&name)
            .send()
            .await
            .expect("GetGroup")
            .users()
            .iter()
            .map(|u| u.user_name().to_owned())
            .collect();
        members.sort();
        let mut attached: Vec<String> = iam
            .list_attached_group_policies()
            .group_name(&name)
            .send()
            .await
            .expect("ListAttachedGroupPolicies")
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_owned))
            .collect();
        attached.sort();
        groups.insert(name, json!({"members": members, "attached": attached}));
    }
    let mut policies = BTreeMap::new();
    let list = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .expect("ListPolicies");
    for p in list.policies() {
        let arn = p.arn().expect("arn");
        let versions = iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .expect("ListPolicyVersions");
        let mut ids: Vec<String> = versions
            .versions()
            .iter()
            .filter_map(|v| v.version_id().map(str::to_owned))
            .collect();
        ids.sort();
        let default = versions
            .versions()
            .iter()
            .find(|v| v.is_default_version())
            .and_then(|v| v.document())
            .map(decode_policy);
        policies.insert(
            p.policy_name().expect("name").to_owned(),
            json!({"versions": ids, "document": default}),
        );
    }
    let text = json!({"users": users, "groups": groups, "policies": policies}).to_string();
    serde_json::from_str(&text.replace(id, "ACCOUNT")).expect("json")
}

/// Whether the account holds a lock (the user `iamctl-lock`).
async fn locked(iam: &Client) -> bool {
    iam.get_user().user_name("iamctl-lock").send().await.is_ok()
}

/// Eight applies at once on one configuration, half failing at once when
/// locked and half waiting: exactly one applies the changes, the others
/// fail naming the holder or, having waited, find nothing to do; no policy
/// gets more versions than one apply makes; and the account ends as one
/// apply of the same configuration leaves another account.
#[tokio::test]
async fn eight_applies_at_once_make_one_apply() {
    let env = Env::new().await;
    let (id, iam) = target(&env.endpoint).await;
    let (ref_id, ref_iam) = target(&env.endpoint).await;
    // The reference: the same configuration, applied once, then its new
    // statements applied once, in another account.
    write_config(&env, "ref", &ref_id, 6, "s3:GetObject");
    env.ok(&["apply", "ref", "--yes"]);
    write_config(&env, "ref", &ref_id, 6, "s3:PutObject");
    env.ok(&["apply", "ref", "--yes"]);
    // Here: the first version applied, then eight applies of the second.
    write_config(&env, "cfg", &id, 6, "s3:GetObject");
    env.ok(&["apply", "cfg", "--yes"]);
    write_config(&env, "cfg", &id, 6, "s3:PutObject");
    let outs: Vec<(bool, Out)> = std::thread::scope(|sc| {
        let runs: Vec<_> = (0..8)
            .map(|i| {
                let env = &env;
                sc.spawn(move || {
                    let wait = i % 2 == 1;
                    let timeout = if wait { "120s" } else { "0s" };
                    (
                        wait,
                        env.run(&["apply", "cfg", "--yes", "--lock-timeout", timeout]),
                    )
                })
            })
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("apply thread"))
            .collect()
    });
    let mut applied = 0;
    for (wait, o) in &outs {
        let made_changes = o.stderr.contains("applied ") && !o.stderr.contains("applied 0 of");
        if made_changes {
            applied += 1;
            assert_eq!(o.code, 0, "{}", o.stderr);
            continue;
        }
        match o.code {
            0 => assert!(
                o.stderr.contains("no changes: every account matches"),
                "{}",
                o.stderr
            ),
            1 => {
                assert!(!wait, "a waiting apply failed: {}", o.stderr);
                let text = o.stderr.replace('\n', " ");
                assert!(
                    text.contains(&format!("account `{id}` (dev) is locked by"))
                        && text.contains("lock id `")
                        && text.contains("nothing was done"),
                    "{}",
                    o.stderr
                );
            }
            c => panic!("exit {c}: {}", o.stderr),
        }
    }
    assert_eq!(
        applied,
        1,
        "{:#?}",
        outs.iter().map(|(_, o)| &o.stderr).collect::<Vec<_>>()
    );
    assert!(!locked(&iam).await, "the lock is released");
    let here = dump(&iam, &id).await;
    for (name, p) in here["policies"].as_object().expect("policies") {
        assert_eq!(p["versions"], json!(["v1", "v2"]), "policy {name}");
    }
    assert_eq!(here, dump(&ref_iam, &ref_id).await);
    env.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// SIGINT in the middle of an apply (slowed by `IAMCTL_TEST_PACE_MS`): it
/// starts no further change, says what was done and what was not (and,
/// with `--output json`, prints `"result": "interrupted"`), releases the
/// lock and exits 130; the next apply converges to an empty plan.
#[tokio::test]
async fn an_interrupted_apply_releases_its_lock_and_the_next_converges() {
    let env = Env::new().await;
    let (id, iam) = target(&env.endpoint).await;
    write_config(&env, "cfg", &id, 12, "s3:GetObject");
    let mut cmd = env.pty_command(&[
        "apply",
        "cfg",
        "--yes",
        "--concurrency",
        "1",
        "--output",
        "json",
    ]);
    cmd.env("IAMCTL_TEST_PACE_MS", "400")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run iamctl");
    // Interrupted once it holds the lock and has made some users.
    let start = Instant::now();
    loop {
        let users = iam.list_users().send().await.expect("ListUsers");
        let made = users
            .users()
            .iter()
            .filter(|u| u.user_name().starts_with("user"))
            .count();
        if made >= 2 && locked(&iam).await {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply made no users"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: ") && stderr.contains("change(s) done; not done: dev: "),
        "{stderr}"
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["result"], "interrupted", "{doc:#}");
    assert_eq!(doc["exit_code"], 130, "{doc:#}");
    let account = &doc["accounts"][0];
    let done = account["applied"].as_array().expect("applied").len();
    let left = account["not_attempted"].as_array().expect("left").len()
        + account["stopped_midway"].as_array().expect("cut").len();
    assert!(done >= 2 && left > 0, "{doc:#}");
    assert_eq!(
        done + left,
        account["planned"].as_u64().expect("planned") as usize
    );
    assert!(!locked(&iam).await, "the lock was released");
    // What it said was done is done, and nothing after it started.
    let made = iam
        .list_users()
        .send()
        .await
        .expect("ListUsers")
        .users()
        .iter()
        .filter(|u| u.user_name().starts_with("user"))
        .count();
    let said = account["applied"]
        .as_array()
        .expect("applied")
        .iter()
        .filter(|c| c.as_str().is_some_and(|c| c.starts_with("create user")))
        .count();
    assert_eq!(made, said, "{doc:#}");
    env.ok(&["apply", "cfg", "--yes"]);
    env.ok(&["plan", "cfg", "--detailed-exitcode"]);
    assert!(!locked(&iam).await);
}

/// The names of the managed policies attached to a group.
async fn group_policies(iam: &Client, group: &str) -> Vec<String> {
    let mut v: Vec<String> = iam
        .list_attached_group_policies()
        .group_name(group)
        .send()
        .await
        .expect("ListAttachedGroupPolicies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// Issue 20.2, the records: what iamctl attaches to a group it does not
/// own is recorded on the user `iamctl-state` (groups take no tags), so
/// removing the grant detaches exactly that, and never the same policy
/// attached by hand to another group; the last record goes with the user.
#[tokio::test]
async fn attachments_to_groups_not_ours_are_recorded_and_detached_exactly() {
    let env = Env::new().await;
    let (id, iam) = target(&env.endpoint).await;
    for g in ["handmade", "other"] {
        iam.create_group()
            .group_name(g)
            .send()
            .await
            .expect("CreateGroup");
    }
    let arn = iam
        .create_policy()
        .policy_name("legacy-reader")
        .policy_document(POLICY)
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn().map(str::to_owned))
        .expect("arn");
    iam.attach_group_policy()
        .group_name("other")
        .policy_arn(&arn)
        .send()
        .await
        .expect("AttachGroupPolicy");
    env.file(
        "cfg/aws-accounts/core.yaml",
        &format!("aws-accounts:\n  dev: \"{id}\"\n"),
    );
    env.file(
        "cfg/aws-policies/core.yaml",
        "aws-policies:\n  legacy:\n    name: legacy-reader\n    existing: true\n",
    );
    env.file(
        "cfg/groups/core.yaml",
        "groups:\n  handmade:\n    existing: true\n  other:\n    existing: true\n",
    );
    let grants = env.file(
        "cfg/permanent-access/core.yaml",
        "permanent-access:\n  - description: read\n    groups: [handmade, other]\n    environments: [dev]\n    grants: [legacy]\n",
    );
    env.ok(&["apply", "cfg", "--yes"]);
    assert_eq!(group_policies(&iam, "handmade").await, ["legacy-reader"]);
    let state = iam
        .get_user()
        .user_name("iamctl-state")
        .send()
        .await
        .expect("the record's user");
    let user = state.user().expect("user");
    assert_eq!(user.path(), "/iamctl/");
    let records: BTreeMap<String, String> = user
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    assert_eq!(
        records.get("iamctl:state").map(String::as_str),
        Some("group-attachments")
    );
    let recorded: Vec<&String> = records
        .iter()
        .filter(|(k, _)| k.starts_with("iamctl:group-attached:"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(recorded, [&format!("handmade {arn}")], "{records:?}");
    env.ok(&["plan", "cfg", "--detailed-exitcode"]);
    // The grant removed: detached from `handmade` (recorded), not from
    // `other` (by hand); the record's user is gone with its last record.
    std::fs::remove_file(grants).expect("remove");
    env.ok(&["apply", "cfg", "--yes"]);
    assert!(group_policies(&iam, "handmade").await.is_empty());
    assert_eq!(group_policies(&iam, "other").await, ["legacy-reader"]);
    assert!(iam
        .get_user()
        .user_name("iamctl-state")
        .send()
        .await
        .is_err());
    env.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// A lock left by a run that died (made here through the SDK, its lease
/// far ahead): apply is refused naming holder and id, nothing done; an
/// interrupt while waiting for it exits 130 and leaves it alone;
/// `--force-unlock` with another id removes nothing; with its id it removes
/// the lock and the apply goes ahead.
#[tokio::test]
async fn a_dead_runs_lock_is_refused_waited_for_and_force_unlocked_by_id() {
    let env = Env::new().await;
    let (id, iam) = target(&env.endpoint).await;
    write_config(&env, "cfg", &id, 2, "s3:GetObject");
    let tag = |k: &str, v: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .expect("tag")
    };
    iam.create_user()
        .user_name("iamctl-lock")
        .path("/iamctl/")
        .tags(tag("iamctl:lock:holder", "bert on laptop pid 99"))
        .tags(tag("iamctl:lock:id", "99-dead"))
        .tags(tag("iamctl:lock:command", "apply"))
        .tags(tag("iamctl:lock:since", "2026-03-21T11:30:00Z"))
        .tags(tag("iamctl:lock:expires", "2026-03-21T12:30:00Z"))
        .send()
        .await
        .expect("CreateUser");
    let o = env.fails(&["apply", "cfg", "--yes"], 1);
    let text = o.stderr.replace('\n', " ");
    assert!(
        text.contains(&format!("account `{id}` (dev) is locked by bert on laptop pid 99 (apply since 2026-03-21T11:30:00Z, lease until 2026-03-21T12:30:00Z; lock id `99-dead`); nothing was done")),
        "{}",
        o.stderr
    );
    assert!(text.contains("--force-unlock 99-dead"), "{}", o.stderr);
    let users = iam.list_users().send().await.expect("ListUsers");
    assert_eq!(users.users().len(), 1, "nothing made");
    // Waiting for it, interrupted.
    let mut cmd = env.pty_command(&["apply", "cfg", "--yes", "--lock-timeout", "60s"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run iamctl");
    // Interrupted once it says it waits (not after a fixed time: a loaded
    // machine may take longer to get there).
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let mut pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
            let _ = tx.send(all.clone());
        }
        all
    });
    let start = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(so_far) if so_far.contains("waiting up to 60s") => break,
            _ => assert!(
                start.elapsed() < Duration::from_secs(50),
                "the apply never said it waits for the lock"
            ),
        }
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("wait");
    let stderr = reader.join().expect("stderr reader");
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("waiting up to 60s"), "{stderr}");
    assert!(
        stderr.contains("interrupted: nothing was changed"),
        "{stderr}"
    );
    assert!(locked(&iam).await, "another run's lock is left alone");
    // Another id: nothing removed.
    let o = env.fails(&["apply", "cfg", "--yes", "--force-unlock", "7-other"], 1);
    assert!(
        o.stderr
            .contains("the lock's id is `99-dead`, not `7-other`; nothing was removed"),
        "{}",
        o.stderr
    );
    assert!(locked(&iam).await);
    // Its id: removed, and the apply goes ahead.
    let o = env.ok(&["apply", "cfg", "--yes", "--force-unlock", "99-dead"]);
    assert!(
        o.stderr
            .contains("removed the lock of bert on laptop pid 99"),
        "{}",
        o.stderr
    );
    assert!(!locked(&iam).await);
    env.ok(&["plan", "cfg", "--detailed-exitcode"]);
}
