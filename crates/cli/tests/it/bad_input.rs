//! Each class of bad input: one clear error, exit code 3 (or 1 for what only AWS
//! can know), and the account left exactly as it was.

use crate::harness::*;

/// Run, expect `code`, expect `needle` on stderr, and check nothing changed.
async fn refused(env: &Env, args: &[&str], code: i32, needle: &str) -> String {
    let before = env.state().await;
    let o = env.fails(args, code);
    assert!(
        o.stderr.contains(needle),
        "expected `{needle}` in:\n{}",
        o.stderr
    );
    assert_eq!(
        env.state().await,
        before,
        "iamctl {args:?} changed the account"
    );
    o.stderr
}

#[tokio::test]
async fn invalid_names_tags_paths_and_arns_exit_3() {
    let env = Env::new().await;
    env.ok(&["user", "create", "existing"]);
    refused(&env, &["user", "create", "bad name!"], 3, "`bad name!`").await;
    let long = "a".repeat(65);
    refused(&env, &["user", "create", &long], 3, "65").await;
    refused(
        &env,
        &["user", "create", "ok", "--tag", "noequals"],
        3,
        "noequals",
    )
    .await;
    refused(
        &env,
        &["user", "create", "ok", "--tag", "aws:reserved=1"],
        3,
        "aws:",
    )
    .await;
    refused(
        &env,
        &["user", "create", "ok", "--path", "noslash"],
        3,
        "noslash",
    )
    .await;
    refused(
        &env,
        &["user", "create", "ok", "--boundary", "arn:nope"],
        3,
        "arn:nope",
    )
    .await;
    refused(
        &env,
        &["user", "create", "ok", "--attach", "bad policy"],
        3,
        "bad policy",
    )
    .await;
    refused(&env, &["group", "create", "g/1"], 3, "g/1").await;
    refused(
        &env,
        &["role", "create", "r", "--trust-principal", "not-an-arn"],
        3,
        "not-an-arn",
    )
    .await;
    refused(
        &env,
        &[
            "role",
            "create",
            "r",
            "--trust-principal",
            &env.account,
            "--max-session-duration",
            "60",
        ],
        3,
        "3600",
    )
    .await;
    refused(
        &env,
        &["account", "alias", "set", "Bad_Alias"],
        3,
        "Bad_Alias",
    )
    .await;
    refused(
        &env,
        &["key", "delete", "existing", "not-a-key!", "--yes"],
        3,
        "not-a-key!",
    )
    .await;
    refused(&env, &["policy", "set-default", "anything", "7"], 3, "`7`").await;
    let kf = env.path("k.csv");
    refused(
        &env,
        &[
            "s3-user",
            "create",
            "--bucket",
            "Bad_Bucket",
            "--user",
            "u",
            "--credentials-file",
            kf.to_str().unwrap(),
        ],
        3,
        "Bad_Bucket",
    )
    .await;
    assert!(!kf.exists());
}

#[tokio::test]
async fn malformed_policy_json_names_file_line_and_column() {
    let env = Env::new().await;
    let f = env.file("broken.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\" \"Action\": \"s3:*\"}\n  ]\n}\n");
    let err = refused(
        &env,
        &["policy", "create", "p", "--document", &f],
        3,
        "broken.json:4:",
    )
    .await;
    assert!(
        err.contains("broken.json`:4:24: expected `,` or `}`"),
        "{err}"
    );
    // Structure: the offending value is located too.
    let f = env.file("effect.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Permit\",\n    \"Action\": \"s3:GetObject\",\n    \"Resource\": \"*\"\n  }\n}\n");
    refused(
        &env,
        &["policy", "create", "p", "--document", &f],
        3,
        "effect.json:4:",
    )
    .await;
    // Stdin is named as such.
    let before = env.state().await;
    let o = env.run_with_stdin(
        &["policy", "create", "p", "--document", "-"],
        Some("{\"Statement\": [}"),
    );
    assert_eq!(o.code, 3);
    assert!(o.stderr.contains("<stdin>:1:"), "{}", o.stderr);
    assert_eq!(env.state().await, before);
    // A principal in an identity policy; a missing file.
    let f = env.file("principal.json", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#);
    env.ok(&["user", "create", "x"]);
    refused(
        &env,
        &["user", "put-policy", "x", "p", "--document", &f],
        3,
        "Principal",
    )
    .await;
    refused(
        &env,
        &["policy", "create", "p", "--document", "/no/such/file.json"],
        3,
        "/no/such/file.json",
    )
    .await;
}

#[tokio::test]
async fn policy_over_the_size_limit_is_refused() {
    let env = Env::new().await;
    let actions: Vec<String> = (0..400)
        .map(|i| format!("\"s3:GetObjectNumber{i}\""))
        .collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    );
    let f = env.file("big.json", &big);
    refused(
        &env,
        &["policy", "create", "big", "--document", &f],
        3,
        "6144",
    )
    .await;
}

#[tokio::test]
async fn a_bad_file_in_a_bundle_stops_the_whole_deploy() {
    let env = Env::new().await;
    env.file("b/a-good.json", POLICY);
    env.file(
        "b/b-bad.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [",
    );
    env.file("b/c-good.json", POLICY);
    let dir = env.path("b");
    refused(
        &env,
        &["policy", "deploy", dir.to_str().unwrap()],
        3,
        "b-bad.json:1:",
    )
    .await;
}

#[tokio::test]
async fn unknown_names_fail_before_anything_is_created() {
    let env = Env::new().await;
    refused(
        &env,
        &["user", "create", "n1", "--attach", "NoSuchPolicyAnywhere"],
        1,
        "policy `NoSuchPolicyAnywhere` does not exist",
    )
    .await;
    refused(
        &env,
        &["user", "create", "n1", "--group", "no-such-group"],
        1,
        "group `no-such-group` does not exist",
    )
    .await;
    refused(
        &env,
        &["user", "delete", "ghost", "--yes"],
        1,
        "user `ghost` does not exist",
    )
    .await;
    refused(
        &env,
        &["user", "show", "ghost"],
        1,
        "user `ghost` does not exist",
    )
    .await;
    refused(
        &env,
        &[
            "policy",
            "update",
            "ghost-policy",
            "--document",
            &env.file("p.json", POLICY),
        ],
        1,
        "does not exist",
    )
    .await;
    let ghost = env.policy_arn("ghost");
    refused(
        &env,
        &["user", "create", "n1", "--attach", &ghost],
        1,
        "does not exist",
    )
    .await;
    refused(
        &env,
        &[
            "role",
            "create",
            "r1",
            "--trust-principal",
            &env.account,
            "--boundary",
            &ghost,
        ],
        1,
        "does not exist",
    )
    .await;
    env.ok(&["user", "create", "dup"]);
    refused(
        &env,
        &["user", "create", "dup"],
        1,
        "user `dup` already exists",
    )
    .await;
}

#[tokio::test]
async fn a_failure_half_way_is_undone() {
    let env = Env::new().await;
    // The connector's policy name is taken: the user made before it is removed
    // again, and the policy that was there is left alone.
    env.iam
        .create_policy()
        .policy_name("taken")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap();
    let pf = env.file("c.json", POLICY);
    let kf = env.path("c.csv");
    let o = env.fails(
        &[
            "connector",
            "deploy",
            "--name",
            "conn",
            "--policy-name",
            "taken",
            "--policy-file",
            &pf,
            "--credentials-file",
            kf.to_str().unwrap(),
            "--yes",
        ],
        1,
    );
    assert!(
        o.stderr.contains("policy `taken` already exists"),
        "{}",
        o.stderr
    );
    assert!(!env.user_exists("conn").await);
    assert_eq!(env.policy_names().await, ["taken"]);
    assert!(!kf.exists());

    // Same for s3-user.
    let bucket = format!("undo-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let pname = format!("s3-user-u-{bucket}");
    env.iam
        .create_policy()
        .policy_name(&pname)
        .policy_document(POLICY)
        .send()
        .await
        .unwrap();
    let kf = env.path("u.csv");
    env.fails(
        &[
            "s3-user",
            "create",
            "--bucket",
            &bucket,
            "--user",
            "u",
            "--credentials-file",
            kf.to_str().unwrap(),
        ],
        1,
    );
    assert!(!env.user_exists("u").await);
    let mut names = env.policy_names().await;
    names.sort();
    assert_eq!(names, [pname.clone(), "taken".to_string()]);
}

#[tokio::test]
async fn limits_are_checked_before_aws() {
    let env = Env::new().await;
    let tags: Vec<String> = (0..50).map(|i| format!("k{i}=v")).collect();
    let mut args = vec!["user", "create", "many-tags"];
    for t in &tags {
        args.push("--tag");
        args.push(t);
    }
    refused(&env, &args, 3, "50").await;
    let mut args = vec!["user", "create", "many-policies"];
    for _ in 0..21 {
        args.push("--attach");
        args.push("ReadOnlyAccess");
    }
    refused(&env, &args, 3, "20").await;
    let mut args = vec!["user", "create", "many-groups"];
    for _ in 0..11 {
        args.push("--group");
        args.push("g");
    }
    refused(&env, &args, 3, "10 groups").await;
}
