use crate::harness::*;

#[tokio::test]
async fn account_summary_alias_report_snapshot() {
    let env = Env::new().await;
    env.ok(&["user", "create", "reported"]);
    let s = env.ok(&["account", "summary", "--output", "json"]).json();
    assert_eq!(s["SummaryMap"]["Users"], 1, "{s}");

    env.ok(&["account", "alias", "set", "my-test-account"]);
    let a = env.iam.list_account_aliases().send().await.unwrap();
    assert_eq!(a.account_aliases(), ["my-test-account".to_string()]);
    let shown = env.ok(&["account", "alias", "--output", "json"]).json();
    assert_eq!(shown["AccountAliases"][0], "my-test-account");
    env.ok(&["account", "alias", "delete", "my-test-account", "--yes"]);
    let a = env.iam.list_account_aliases().send().await.unwrap();
    assert!(a.account_aliases().is_empty());

    let r = env
        .ok(&["account", "credential-report", "--output", "json"])
        .json();
    let users: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["user"].as_str().unwrap())
        .collect();
    assert!(users.contains(&"reported"), "{r}");

    let pf = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "snap-policy", "--document", &pf]);
    env.ok(&["user", "attach", "reported", "snap-policy"]);
    let out = env.path("snap.json");
    env.ok(&[
        "account",
        "snapshot",
        "--local-only",
        "-o",
        out.to_str().unwrap(),
    ]);
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(snap["UserDetailList"][0]["UserName"], "reported");
    assert_eq!(
        snap["UserDetailList"][0]["AttachedManagedPolicies"][0]["PolicyName"],
        "snap-policy"
    );
    let p = &snap["Policies"][0];
    assert_eq!(p["PolicyName"], "snap-policy");
    // Documents are decoded JSON, as the AWS CLI prints them.
    assert_eq!(
        p["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"],
        "s3:GetObject"
    );
    for k in ["GroupDetailList", "RoleDetailList"] {
        assert!(snap[k].is_array(), "{k}");
    }
}

#[tokio::test]
async fn managed_list_shows_only_what_is_ours() {
    let env = Env::new().await;
    let pf = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "ours", "--document", &pf]);
    env.ok(&["user", "create", "mine", "--attach", "ours"]);
    env.ok(&[
        "role",
        "create",
        "myrole",
        "--trust-principal",
        &env.account,
    ]);
    env.iam
        .create_user()
        .user_name("theirs")
        .send()
        .await
        .unwrap();
    env.iam
        .create_policy()
        .policy_name("their-policy")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap();
    let m = env.ok(&["managed", "list", "--output", "json"]).json();
    assert_eq!(m["Users"].as_array().unwrap().len(), 1, "{m}");
    assert_eq!(m["Users"][0]["Name"], "mine");
    assert_eq!(
        m["Users"][0]["Policies"][0],
        env.policy_arn("ours").as_str()
    );
    assert_eq!(m["Roles"][0]["Name"], "myrole");
    let pols: Vec<&str> = m["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    assert_eq!(pols, ["ours"]);
    let t = env.ok(&["managed", "list"]);
    assert!(
        t.stdout.contains("IAM Users:\n- mine\n    Policies:\n"),
        "{}",
        t.stdout
    );
}

/// Issue 11 item 11: `account alias` without an alias says so; `user update
/// --new-name` names the new name.
#[tokio::test]
async fn no_alias_is_said_and_a_rename_names_the_new_name() {
    let env = Env::new().await;
    let o = env.ok(&["account", "alias"]);
    assert!(o.stdout.is_empty());
    assert!(
        o.stderr.contains("the account has no alias"),
        "{}",
        o.stderr
    );
    env.ok(&["user", "create", "before"]);
    let o = env.ok(&["user", "update", "before", "--new-name", "after"]);
    assert!(o.stderr.contains("now `after`"), "{}", o.stderr);
}

/// Issue 11 item 4: `account snapshot --local-only` keeps the AWS-managed
/// policies that something in the account uses (attached, or a boundary), so
/// `who-can` over it finds every principal, not only those with local policies.
#[tokio::test]
async fn local_only_snapshot_keeps_the_aws_policies_in_use() {
    let env = Env::new().await;
    let p = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "local-read", "--document", &p]);
    env.ok(&[
        "user",
        "create",
        "viaaws",
        "--attach",
        "AmazonS3ReadOnlyAccess",
    ]);
    env.ok(&["user", "create", "vialocal", "--attach", "local-read"]);
    env.ok(&["group", "create", "readers"]);
    env.ok(&["group", "attach", "readers", "AmazonS3FullAccess"]);
    env.ok(&["user", "create", "viagroup", "--group", "readers"]);
    env.ok(&["account", "snapshot", "--local-only", "-o", "snap.json"]);
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("snap.json")).unwrap()).unwrap();
    let names: Vec<&str> = snap["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["PolicyName"].as_str())
        .collect();
    assert!(names.contains(&"AmazonS3ReadOnlyAccess"), "{names:?}");
    assert!(names.contains(&"AmazonS3FullAccess"), "{names:?}");
    assert!(names.contains(&"local-read"), "{names:?}");
    assert!(names.len() < 10, "unused AWS policies stay out: {names:?}");
    let o = env.ok(&[
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::demo/k",
        "--snapshot",
        "snap.json",
        "--output",
        "json",
    ]);
    let found: Vec<String> = o
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    for u in ["viaaws", "vialocal", "viagroup"] {
        assert!(
            found.iter().any(|f| f == u),
            "{u} missing from {found:?}\n{}",
            o.stderr
        );
    }
    assert!(!o.stderr.contains("not in the snapshot"), "{}", o.stderr);
}
