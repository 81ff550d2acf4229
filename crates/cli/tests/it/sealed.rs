//! Configuration, identity and secrets.

use crate::harness::*;

#[tokio::test]
async fn endpoint_url_flag_works_for_iam_sts_and_s3() {
    let env = Env::new().await;
    let bucket = format!("flag-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let no_env = [("AWS_ENDPOINT_URL", None)];
    let endpoint = env.endpoint.clone();
    // Without the endpoint the SDK would go to AWS itself; with the flag, to moto.
    let kf = env.path("f.csv");
    let o = env.run_env(
        &[
            "--endpoint-url",
            &endpoint,
            "s3-user",
            "create",
            "--bucket",
            &bucket,
            "--user",
            "flagged",
            "--credentials-file",
            kf.to_str().unwrap(),
        ],
        &no_env,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(env.user_exists("flagged").await);
    let o = env.run_env(
        &["--endpoint-url", &endpoint, "whoami", "--output", "json"],
        &no_env,
    );
    assert_eq!(o.json()["Account"], env.account.as_str());
}

#[tokio::test]
async fn no_credentials_is_one_clear_error() {
    let env = Env::new().await;
    let o = env.run_env(
        &["user", "list"],
        &[
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
        ],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("no usable AWS credentials"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.lines().count() < 12, "short:\n{}", o.stderr);
}

#[tokio::test]
async fn never_deletes_the_identity_it_runs_as() {
    let env = Env::new().await;
    env.ok(&[
        "user",
        "create",
        "operator",
        "--attach",
        "AdministratorAccess",
    ]);
    let k = env
        .iam
        .create_access_key()
        .user_name("operator")
        .send()
        .await
        .unwrap();
    let k = k.access_key().unwrap();
    let vars = [
        ("AWS_ACCESS_KEY_ID", Some(k.access_key_id())),
        ("AWS_SECRET_ACCESS_KEY", Some(k.secret_access_key())),
        ("AWS_SESSION_TOKEN", None),
    ];
    let who = env.run_env(&["whoami", "--output", "json"], &vars);
    assert_eq!(
        who.json()["Arn"],
        format!("arn:aws:iam::{}:user/operator", env.account),
        "{}",
        who.stderr
    );
    let o = env.run_env(&["user", "delete", "operator", "--yes", "--force"], &vars);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("it is the identity iamctl runs as"),
        "{}",
        o.stderr
    );
    assert!(env.user_exists("operator").await);
}

#[tokio::test]
async fn verbose_output_never_shows_a_secret() {
    let env = Env::new().await;
    env.ok(&["user", "create", "v"]);
    let kf = env.path("v.env");
    env.ok(&[
        "-vv",
        "key",
        "create",
        "v",
        "--credentials-file",
        kf.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&kf).unwrap();
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("AWS_SECRET_ACCESS_KEY="))
        .unwrap()
        .to_string();
    env.ok(&["-vv", "user", "delete", "v", "--yes"]);
    env.assert_secret_not_printed(&secret);
    // Nor our own test credentials.
    let t = env.transcript.lock().unwrap().clone();
    assert!(
        !t.contains(&env.secret_for_tests()),
        "session secret printed"
    );
}

#[tokio::test]
async fn permissions_boundary_is_set() {
    let env = Env::new().await;
    let pf = env.file("b.json", POLICY);
    env.ok(&["policy", "create", "boundary", "--document", &pf]);
    let arn = env.policy_arn("boundary");
    // moto keeps boundaries for roles only, so a role is what is checked here.
    env.ok(&[
        "role",
        "create",
        "bounded",
        "--trust-principal",
        &env.account,
        "--boundary",
        "boundary",
    ]);
    let r = env
        .iam
        .get_role()
        .role_name("bounded")
        .send()
        .await
        .unwrap();
    let b = r
        .role()
        .unwrap()
        .permissions_boundary()
        .expect("a boundary");
    assert_eq!(b.permissions_boundary_arn(), Some(arn.as_str()));
}
