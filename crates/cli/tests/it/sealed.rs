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
        .find_map(|l| l.strip_prefix("export AWS_SECRET_ACCESS_KEY="))
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

/// Issue 11 item 1: a profile asked for by name supplies the credentials even when
/// the environment has keys (as the AWS CLI: command-line options win over
/// environment variables), and a profile that does not exist is an error naming it,
/// never a silent fall-back to the environment's account.
#[tokio::test]
async fn profile_wins_over_environment_keys_and_a_missing_one_is_named() {
    let env = Env::new().await;
    let other = Env::new().await;
    let (id, secret, token) = other.credentials();
    let creds = env.file(
        "profiles.ini",
        &format!(
            "[other]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
        ),
    );
    let files = ("AWS_SHARED_CREDENTIALS_FILE", Some(creds.as_str()));
    // --profile, with AWS_ACCESS_KEY_ID of `env`'s account still set.
    let o = env.run_env(
        &["--profile", "other", "whoami", "--output", "json"],
        &[files],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["Account"], other.account.as_str());
    // AWS_PROFILE likewise.
    let o = env.run_env(
        &["whoami", "--output", "json"],
        &[files, ("AWS_PROFILE", Some("other"))],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["Account"], other.account.as_str());
    // Without a profile, the environment's keys.
    let o = env.run_env(&["whoami", "--output", "json"], &[files]);
    assert_eq!(o.json()["Account"], env.account.as_str());
    // A mistyped profile: exit 1, the name in one error, no account touched.
    for vars in [vec![files], vec![files, ("AWS_PROFILE", Some("prdo"))]] {
        let args: &[&str] = if vars.len() == 1 {
            &["--profile", "prdo", "user", "create", "typo-victim"]
        } else {
            &["user", "create", "typo-victim"]
        };
        let o = env.run_env(args, &vars);
        assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains("profile `prdo` is not defined"),
            "{}",
            o.stderr
        );
        assert_eq!(
            o.stderr.trim().lines().count(),
            2,
            "error + help:\n{}",
            o.stderr
        );
        assert!(!env.user_exists("typo-victim").await);
        assert!(!other.user_exists("typo-victim").await);
    }
}

/// Issue 11 item 7: an endpoint that cannot be connected to fails within seconds,
/// in one line naming the endpoint, not retried, never called throttling, no Debug.
#[tokio::test]
async fn unreachable_endpoint_fails_fast_naming_it() {
    let env = Env::new().await;
    // A port nobody listens on: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let start = std::time::Instant::now();
    let o = env.run_env(&["user", "list"], &[("AWS_ENDPOINT_URL", Some(&url))]);
    let took = start.elapsed();
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(took < std::time::Duration::from_secs(4), "took {took:?}");
    let first = o.stderr.lines().next().unwrap_or("");
    assert!(first.starts_with("error: "), "{}", o.stderr);
    assert!(first.contains(&format!("`{url}`")), "{}", o.stderr);
    assert!(first.to_lowercase().contains("refused"), "{}", o.stderr);
    for bad in [
        "throttl",
        "DispatchFailure",
        "ConnectorError",
        "{ ",
        "attempt",
    ] {
        assert!(!o.stderr.contains(bad), "`{bad}` in:\n{}", o.stderr);
    }
    // A connect that gets no answer ends at --connect-timeout: a listener whose
    // accept queue is full drops further SYNs, so the connect hangs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    while held.len() < 2000 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    let url = format!("http://{addr}");
    let start = std::time::Instant::now();
    let o = env.run_env(
        &["--connect-timeout", "1", "user", "list"],
        &[("AWS_ENDPOINT_URL", Some(&url))],
    );
    let took = start.elapsed();
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(took < std::time::Duration::from_secs(4), "took {took:?}");
    assert!(o.stderr.contains(&format!("`{url}`")), "{}", o.stderr);
    assert!(o.stderr.contains("within 1s"), "{}", o.stderr);
    assert!(!o.stderr.contains("throttl"), "{}", o.stderr);
    drop(held);
    let o = env.run(&["--connect-timeout", "0", "user", "list"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

/// Issue 11 item 6: a closed stdout ends every command quietly (no panic, no
/// backtrace): completions of every shell, every command's help, and data commands.
#[tokio::test]
async fn closed_stdout_ends_quietly() {
    let env = Env::new().await;
    let help = env.ok(&["--help"]).stdout;
    let mut runs: Vec<Vec<String>> = Vec::new();
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        runs.push(vec!["completions".into(), shell.into()]);
    }
    // Every top-level command listed by --help, and its --help.
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   ") && !l.starts_with("  help "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(commands.len() > 15, "{help}");
    for c in &commands {
        runs.push(vec![c.clone(), "--help".into()]);
        // And every subcommand's help.
        let sub_help = env.ok(&[c, "--help"]).stdout;
        for sub in sub_help
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter(|l| !l.starts_with("   ") && !l.starts_with("  help "))
            .filter_map(|l| l.split_whitespace().next())
        {
            runs.push(vec![c.clone(), sub.to_string(), "--help".into()]);
        }
    }
    assert!(runs.len() > 80, "every subcommand: {}", runs.len());
    runs.push(vec!["--help".into()]);
    runs.push(vec![
        "policy".into(),
        "list".into(),
        "--scope".into(),
        "aws".into(),
    ]);
    runs.push(vec![
        "policy".into(),
        "list".into(),
        "--scope".into(),
        "aws".into(),
        "--output".into(),
        "json".into(),
    ]);
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = env.run_closed_stdout(&args);
        assert!(
            o.code == 0 && o.stderr.is_empty(),
            "iamctl {args:?} with a closed stdout: exit {}\n{}",
            o.code,
            o.stderr
        );
    }
}
