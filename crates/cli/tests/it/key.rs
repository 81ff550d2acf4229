use crate::harness::*;

#[tokio::test]
async fn key_create_to_file_list_deactivate_activate_delete() {
    let env = Env::new().await;
    env.ok(&["user", "create", "k"]);
    let f = env.path("k.json");
    env.ok(&[
        "key",
        "create",
        "k",
        "--credentials-file",
        f.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&f).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = v["AccessKeyId"].as_str().unwrap().to_string();
    let secret = v["SecretAccessKey"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(
        env.access_key_ids("k").await,
        vec![(id.clone(), "Active".to_string())]
    );

    let list = env.ok(&["key", "list", "k", "--output", "json"]).json();
    assert_eq!(list["AccessKeys"][0]["AccessKeyId"], id.as_str());
    assert_eq!(list["AccessKeys"][0]["Status"], "Active");
    assert!(list["AccessKeys"][0]["LastUsed"].is_object(), "{list}");
    let table = env.ok(&["key", "list", "k"]);
    let header: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["USER", "KEY", "ID", "STATUS", "CREATED", "LAST", "USED", "SERVICE", "REGION"]
    );
    assert!(table.stdout.contains(&id), "{}", table.stdout);

    env.ok(&["key", "deactivate", "k", &id]);
    assert_eq!(env.access_key_ids("k").await[0].1, "Inactive");
    env.ok(&["key", "activate", "k", &id]);
    assert_eq!(env.access_key_ids("k").await[0].1, "Active");
    env.ok(&["key", "delete", "k", &id, "--yes"]);
    assert!(env.access_key_ids("k").await.is_empty());
    env.assert_secret_not_printed(&secret);
}

#[tokio::test]
async fn key_create_without_file_prints_secret_on_stdout_only() {
    let env = Env::new().await;
    env.ok(&["user", "create", "s"]);
    let o = env.ok(&["key", "create", "s", "--format", "env"]);
    // Issue 11 item 10: `export` lines, as `role assume --format env` prints, so
    // `eval "$(iamctl key create ...)"` sets the variables.
    let secret = o
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_SECRET_ACCESS_KEY="))
        .expect("secret on stdout")
        .to_string();
    let mut sh = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"eval "$(cat)"; printf %s "$AWS_SECRET_ACCESS_KEY""#)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut sh.stdin.take().unwrap(), o.stdout.as_bytes()).unwrap();
    let evaluated = sh.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&evaluated.stdout), secret);
    assert!(!o.stderr.contains(&secret), "secret leaked to stderr");
    assert_eq!(env.access_key_ids("s").await.len(), 1);
}

#[tokio::test]
async fn third_key_is_refused_before_aws_is_asked() {
    let env = Env::new().await;
    env.ok(&["user", "create", "t"]);
    env.iam
        .create_access_key()
        .user_name("t")
        .send()
        .await
        .unwrap();
    env.iam
        .create_access_key()
        .user_name("t")
        .send()
        .await
        .unwrap();
    let f = env.path("third.csv");
    let o = env.fails(
        &[
            "key",
            "create",
            "t",
            "--credentials-file",
            f.to_str().unwrap(),
        ],
        3,
    );
    assert!(
        o.stderr.contains("already has 2 access keys"),
        "{}",
        o.stderr
    );
    assert!(!f.exists(), "no file is left behind");
    assert_eq!(env.access_key_ids("t").await.len(), 2);
}

#[tokio::test]
async fn existing_credentials_file_is_refused_and_no_key_is_made() {
    let env = Env::new().await;
    env.ok(&["user", "create", "e"]);
    let f = env.file("taken.csv", "keep me");
    let o = env.fails(&["key", "create", "e", "--credentials-file", &f], 3);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "keep me");
    assert!(env.access_key_ids("e").await.is_empty());
}

#[tokio::test]
async fn key_rotate_deactivates_or_deletes_the_old_key() {
    let env = Env::new().await;
    env.ok(&["user", "create", "r"]);
    let f1 = env.path("1.csv");
    env.ok(&[
        "key",
        "create",
        "r",
        "--credentials-file",
        f1.to_str().unwrap(),
    ]);
    let old = env.access_key_ids("r").await[0].0.clone();
    let f2 = env.path("2.csv");
    env.ok(&[
        "key",
        "rotate",
        "r",
        "--credentials-file",
        f2.to_str().unwrap(),
    ]);
    let keys = env.access_key_ids("r").await;
    assert_eq!(keys.len(), 2);
    assert!(
        keys.contains(&(old.clone(), "Inactive".to_string())),
        "{keys:?}"
    );
    let new = keys.iter().find(|k| k.0 != old).unwrap().0.clone();
    assert!(std::fs::read_to_string(&f2).unwrap().contains(&new));
    // A third rotation needs room: refused while two keys exist.
    let f3 = env.path("3.csv");
    env.fails(
        &[
            "key",
            "rotate",
            "r",
            "--credentials-file",
            f3.to_str().unwrap(),
        ],
        3,
    );
    env.ok(&["key", "delete", "r", &old, "--yes"]);
    env.ok(&[
        "key",
        "rotate",
        "r",
        "--credentials-file",
        f3.to_str().unwrap(),
        "--delete-old",
        "--yes",
    ]);
    let keys = env.access_key_ids("r").await;
    assert_eq!(keys.len(), 1);
    assert_ne!(keys[0].0, new);
    for f in [&f1, &f2, &f3] {
        env.assert_secret_not_printed(&secret_from_csv(&std::fs::read_to_string(f).unwrap()));
    }
}

#[tokio::test]
async fn key_list_without_a_user_covers_the_account() {
    let env = Env::new().await;
    for u in ["a1", "a2", "a3"] {
        env.ok(&["user", "create", u]);
        env.iam
            .create_access_key()
            .user_name(u)
            .send()
            .await
            .unwrap();
    }
    env.iam
        .create_access_key()
        .user_name("a2")
        .send()
        .await
        .unwrap();
    let l = env.ok(&["key", "list", "--output", "json"]).json();
    let mut owners: Vec<&str> = l["AccessKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["UserName"].as_str().unwrap())
        .collect();
    owners.sort();
    assert_eq!(owners, ["a1", "a2", "a2", "a3"]);
}

/// Issue 11 item 3: rotate, then rotate --delete-old: the inactive key the first
/// rotation left goes first, so the second rotation works; without --delete-old,
/// a full user is refused before anything is created, saying what to do; with
/// --dry-run nothing changes.
#[tokio::test]
async fn key_rotate_twice_with_delete_old_works() {
    let env = Env::new().await;
    env.ok(&["user", "create", "twice"]);
    let f = |n: &str| env.path(n).display().to_string();
    env.ok(&["key", "create", "twice", "--credentials-file", &f("0.csv")]);
    let first = env.access_key_ids("twice").await[0].0.clone();
    env.ok(&["key", "rotate", "twice", "--credentials-file", &f("1.csv")]);
    let keys = env.access_key_ids("twice").await;
    let second = keys.iter().find(|k| k.0 != first).unwrap().0.clone();
    // Full, one inactive: without --delete-old, refused, nothing made, advice given.
    let o = env.fails(
        &["key", "rotate", "twice", "--credentials-file", &f("x.csv")],
        3,
    );
    assert!(
        o.stderr.contains("--delete-old") && o.stderr.contains(&first),
        "{}",
        o.stderr
    );
    assert!(!env.path("x.csv").exists());
    assert_eq!(env.access_key_ids("twice").await.len(), 2);
    // --dry-run: says what, changes nothing.
    let o = env.ok(&[
        "key",
        "rotate",
        "twice",
        "--credentials-file",
        &f("d.csv"),
        "--delete-old",
        "--dry-run",
    ]);
    assert!(
        o.stderr.contains("would delete inactive key"),
        "{}",
        o.stderr
    );
    assert_eq!(env.access_key_ids("twice").await.len(), 2);
    assert!(!env.path("d.csv").exists());
    env.ok(&[
        "key",
        "rotate",
        "twice",
        "--credentials-file",
        &f("2.csv"),
        "--delete-old",
        "--yes",
    ]);
    let keys = env.access_key_ids("twice").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].0 != first && keys[0].0 != second, "{keys:?}");
    assert_eq!(keys[0].1, "Active");
    assert!(std::fs::read_to_string(env.path("2.csv"))
        .unwrap()
        .contains(&keys[0].0));
    // And once more.
    env.ok(&["key", "rotate", "twice", "--credentials-file", &f("3.csv")]);
    env.ok(&[
        "key",
        "rotate",
        "twice",
        "--credentials-file",
        &f("4.csv"),
        "--delete-old",
        "--yes",
    ]);
    assert_eq!(env.access_key_ids("twice").await.len(), 1);
}

/// A secret printed to a closed stdout reaches no one: the key is deleted again
/// and the command fails, rather than ending quietly with a key nobody has.
#[tokio::test]
async fn key_create_to_a_closed_stdout_takes_the_key_back() {
    let env = Env::new().await;
    env.ok(&["user", "create", "closed"]);
    let o = env.run_closed_stdout(&["key", "create", "closed", "--format", "env"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("was deleted again"), "{}", o.stderr);
    assert!(env.access_key_ids("closed").await.is_empty());
}
