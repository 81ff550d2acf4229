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
