use crate::harness::*;

fn doc(action: &str) -> String {
    POLICY.replace("s3:GetObject", action)
}

async fn versions(env: &Env, name: &str) -> Vec<(String, bool)> {
    let out = env
        .iam
        .list_policy_versions()
        .policy_arn(env.policy_arn(name))
        .send()
        .await
        .unwrap();
    let mut v: Vec<(String, bool)> = out
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap().to_string(), v.is_default_version()))
        .collect();
    v.sort_by_key(|(id, _)| id[1..].parse::<u32>().unwrap());
    v
}

#[tokio::test]
async fn policy_update_prunes_at_five_versions_and_keeps_the_default() {
    let env = Env::new().await;
    let f = env.file("p.json", &doc("s3:GetObject"));
    env.ok(&["policy", "create", "pv", "--document", &f]);
    let p = env
        .iam
        .get_policy()
        .policy_arn(env.policy_arn("pv"))
        .send()
        .await
        .unwrap();
    assert_eq!(p.policy().unwrap().default_version_id(), Some("v1"));
    // Fictional actions: lint would refuse them (UNKNOWN_ACTION), --no-lint skips it.
    for i in 2..=7 {
        let f = env.file(&format!("p{i}.json"), &doc(&format!("s3:Get{i}")));
        env.ok(&["policy", "update", "pv", "--document", &f, "--no-lint"]);
    }
    let v = versions(&env, "pv").await;
    assert_eq!(v.len(), 5);
    assert_eq!(v.first().unwrap().0, "v3");
    assert_eq!(v.last().unwrap(), &("v7".to_string(), true));

    // Identical document: no new version.
    let same = env.file("same.json", &doc("s3:Get7"));
    let o = env.ok(&["policy", "update", "pv", "--document", &same, "--no-lint"]);
    assert!(o.stderr.contains("unchanged"), "{}", o.stderr);
    assert_eq!(versions(&env, "pv").await.len(), 5);

    // Rollback goes to the previous default; --to picks one; set-default too.
    env.ok(&["policy", "rollback", "pv"]);
    assert!(versions(&env, "pv")
        .await
        .contains(&("v6".to_string(), true)));
    env.ok(&["policy", "rollback", "pv", "--to", "v4"]);
    assert!(versions(&env, "pv")
        .await
        .contains(&("v4".to_string(), true)));
    env.ok(&["policy", "set-default", "pv", "v7"]);
    assert!(versions(&env, "pv")
        .await
        .contains(&("v7".to_string(), true)));

    // When the default is the oldest, pruning removes the oldest non-default.
    env.ok(&["policy", "set-default", "pv", "v3"]);
    let f8 = env.file("p8.json", &doc("s3:Get8"));
    env.ok(&["policy", "update", "pv", "--document", &f8, "--no-lint"]);
    let ids: Vec<String> = versions(&env, "pv")
        .await
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(ids, ["v3", "v5", "v6", "v7", "v8"]);

    let vs = env
        .ok(&["policy", "versions", "pv", "--output", "json"])
        .json();
    assert_eq!(vs["Versions"].as_array().unwrap().len(), 5);
    let show = env.ok(&["policy", "show", "pv", "--output", "json"]).json();
    assert_eq!(
        show["Version"]["Document"]["Statement"][0]["Action"],
        "s3:Get8"
    );
}

#[tokio::test]
async fn policy_delete_refuses_attached_policy_then_force_detaches_everywhere() {
    let env = Env::new().await;
    let f = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "pd", "--document", &f]);
    env.ok(&["user", "create", "u1", "--attach", "pd"]);
    env.ok(&["group", "create", "g1"]);
    env.ok(&["group", "attach", "g1", "pd"]);
    env.ok(&[
        "role",
        "create",
        "r1",
        "--trust-principal",
        &env.account,
        "--attach",
        "pd",
    ]);
    let f2 = env.file("p2.json", &doc("s3:PutObject"));
    env.ok(&["policy", "update", "pd", "--document", &f2]);
    let o = env.fails(&["policy", "delete", "pd", "--yes"], 1);
    assert!(
        o.stderr.contains("user `u1`")
            && o.stderr.contains("role `r1`")
            && o.stderr.contains("group `g1`"),
        "{}",
        o.stderr
    );
    assert!(env.policy_names().await.contains(&"pd".to_string()));
    env.ok(&["policy", "delete", "pd", "--force", "--yes"]);
    assert!(env.policy_names().await.is_empty());
    assert!(env.attached_user_policies("u1").await.is_empty());
}

#[tokio::test]
async fn policy_deploy_creates_updates_and_skips() {
    let env = Env::new().await;
    env.file("bundle/iSaas-s3-manager.json", &doc("s3:ListBucket"));
    env.file("bundle/iSaas-unit-user.json", &doc("s3:GetObject"));
    env.file("bundle/README.txt", "not a policy");
    let dir = env.path("bundle");
    let dir = dir.to_str().unwrap();
    let o = env
        .ok(&["policy", "deploy", dir, "--output", "json"])
        .json();
    assert_eq!(o[0]["Outcome"], "created");
    let mut names = env.policy_names().await;
    names.sort();
    assert_eq!(names, ["iSaas-s3-manager", "iSaas-unit-user"]);
    // Unchanged documents are skipped; a changed one gets a new default version.
    env.file("bundle/iSaas-unit-user.json", &doc("s3:PutObject"));
    let o = env
        .ok(&["policy", "deploy", dir, "--output", "json"])
        .json();
    assert_eq!(o[0]["Outcome"], "unchanged");
    assert_eq!(o[1]["Outcome"], "updated");
    assert_eq!(
        versions(&env, "iSaas-unit-user").await.last().unwrap(),
        &("v2".to_string(), true)
    );
    let o = env.ok(&["policy", "deploy", dir, "--skip-existing"]);
    assert!(
        o.stderr
            .contains("Policy iSaas-s3-manager already exists. Skipping deployment."),
        "{}",
        o.stderr
    );
    // Ours: tagged.
    let tags = env
        .iam
        .list_policy_tags()
        .policy_arn(env.policy_arn("iSaas-s3-manager"))
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "managed-by" && t.value() == "iamctl"));
}

#[tokio::test]
async fn policy_list_shows_local_policies() {
    let env = Env::new().await;
    let o = env.run_with_stdin(
        &["policy", "create", "listed", "--document", "-"],
        Some(POLICY),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let l = env.ok(&["policy", "list", "--output", "json"]).json();
    let names: Vec<&str> = l["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["listed"]);
}

#[tokio::test]
async fn policies_under_a_path_are_found_by_name() {
    let env = Env::new().await;
    let f = env.file("p.json", POLICY);
    env.ok(&[
        "policy",
        "create",
        "deep",
        "--path",
        "/team/a/",
        "--document",
        &f,
    ]);
    let arn = format!("arn:aws:iam::{}:policy/team/a/deep", env.account);
    let f2 = env.file("p2.json", &doc("s3:PutObject"));
    env.ok(&["policy", "update", "deep", "--document", &f2]);
    let p = env.iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(p.policy().unwrap().default_version_id(), Some("v2"));
    env.ok(&["user", "create", "pathy", "--attach", "deep"]);
    assert_eq!(env.attached_user_policies("pathy").await, vec![arn.clone()]);
    env.ok(&["policy", "delete", "deep", "--force", "--yes"]);
    assert!(env.policy_names().await.is_empty());
}

async fn default_version(env: &Env, name: &str) -> String {
    versions(env, name)
        .await
        .into_iter()
        .find(|v| v.1)
        .map(|v| v.0)
        .unwrap()
}

/// Issue 11 item 2: rollback follows the history of defaults, so rolling back
/// twice, updating, and rolling back returns to the default before the update,
/// never to a version that was rolled back from. The history is the policy's
/// `iamctl:default-history` tag.
#[tokio::test]
async fn policy_rollback_follows_the_history_of_defaults() {
    let env = Env::new().await;
    const ACTIONS: [&str; 5] = [
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:GetObjectTagging",
        "s3:GetObjectVersion",
        "s3:GetBucketTagging",
    ];
    let f = env.file("h1.json", &doc(ACTIONS[0]));
    env.ok(&["policy", "create", "hist", "--document", &f]);
    for (i, a) in ACTIONS.iter().enumerate().skip(1) {
        let f = env.file(&format!("h{}.json", i + 1), &doc(a));
        env.ok(&["policy", "update", "hist", "--document", &f]);
    }
    assert_eq!(default_version(&env, "hist").await, "v5");
    env.ok(&["policy", "rollback", "hist"]);
    assert_eq!(default_version(&env, "hist").await, "v4");
    env.ok(&["policy", "rollback", "hist"]);
    assert_eq!(default_version(&env, "hist").await, "v3");
    // --dry-run: says so, changes nothing.
    let o = env.ok(&["policy", "rollback", "hist", "--dry-run"]);
    assert!(
        o.stderr.contains("would make v2 the default"),
        "{}",
        o.stderr
    );
    assert_eq!(default_version(&env, "hist").await, "v3");
    // An update (v6; v1 pruned) then a rollback: back to v3, not to v5 or v4.
    let f = env.file("h6.json", &doc("s3:GetBucketAcl"));
    env.ok(&["policy", "update", "hist", "--document", &f]);
    assert_eq!(default_version(&env, "hist").await, "v6");
    let o = env.ok(&["policy", "rollback", "hist"]);
    assert_eq!(default_version(&env, "hist").await, "v3", "{}", o.stderr);
    // And again: v2, the default before v3.
    env.ok(&["policy", "rollback", "hist"]);
    assert_eq!(default_version(&env, "hist").await, "v2");
    // --to is exact.
    env.ok(&["policy", "rollback", "hist", "--to", "v5"]);
    assert_eq!(default_version(&env, "hist").await, "v5");
    let tags = env
        .iam
        .list_policy_tags()
        .policy_arn(env.policy_arn("hist"))
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "iamctl:default-history"),
        "{tags:?}"
    );
}

/// Issue 11 item 5: create and update lint first. An ERROR finding refuses with
/// exit 3 and changes nothing; warnings are shown and the change is made;
/// `--no-lint` skips the checks.
#[tokio::test]
async fn policy_create_and_update_lint_first() {
    let env = Env::new().await;
    let typo = env.file("typo.json", &doc("s3:GetObjects"));
    let o = env.fails(&["policy", "create", "typo", "--document", &typo], 3);
    assert!(o.stderr.contains("UNKNOWN_ACTION"), "{}", o.stderr);
    assert!(
        o.stderr.contains("typo.json:4:"),
        "file:line:col: {}",
        o.stderr
    );
    assert!(o.stderr.contains("--no-lint"), "{}", o.stderr);
    assert!(env.policy_names().await.is_empty());
    // A warning (write on every resource) is shown; the policy is created.
    let wide = env.file(
        "wide.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#,
    );
    let o = env.ok(&["policy", "create", "wide", "--document", &wide]);
    assert!(
        o.stderr.contains("WARNING WRITE_ON_ALL_RESOURCES"),
        "{}",
        o.stderr
    );
    assert_eq!(env.policy_names().await, ["wide"]);
    // Update with an error: refused, the default stays v1.
    let o = env.fails(&["policy", "update", "wide", "--document", &typo], 3);
    assert!(o.stderr.contains("UNKNOWN_ACTION"), "{}", o.stderr);
    assert_eq!(versions(&env, "wide").await, [("v1".to_string(), true)]);
    // --no-lint: made as asked.
    env.ok(&["policy", "update", "wide", "--document", &typo, "--no-lint"]);
    assert_eq!(versions(&env, "wide").await.len(), 2);
    env.ok(&["policy", "create", "typo", "--document", &typo, "--no-lint"]);
    assert!(env.policy_names().await.contains(&"typo".to_string()));
}
