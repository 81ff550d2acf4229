//! The terminal flows, on a pseudo-terminal: seed 000's prompts and the
//! confirmation of destructive commands.

use crate::harness::*;

#[tokio::test]
async fn connector_deploy_asks_for_name_policy_and_confirmation() {
    let env = Env::new().await;
    let kf = env.path("c.csv");
    let cmd = env.pty_command(&[
        "connector",
        "deploy",
        "--credentials-file",
        kf.to_str().unwrap(),
    ]);
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    // The default name comes from the fixed clock.
    p.exp_string("Enter username").unwrap();
    p.exp_string("iSaas-connector-26-03-21-11-36-28").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Enter policy name").unwrap();
    p.send_line("pasted-policy").unwrap();
    p.exp_string("press Ctrl+D to finish").unwrap();
    p.send_line(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#).unwrap();
    p.send_control('d').unwrap();
    p.exp_string("Does the above information look correct?")
        .unwrap();
    p.send_line("y").unwrap();
    p.exp_string("created access key").unwrap();
    p.exp_eof().unwrap();
    let user = "iSaas-connector-26-03-21-11-36-28";
    assert!(env.user_exists(user).await);
    assert_eq!(
        env.attached_user_policies(user).await,
        vec![env.policy_arn("pasted-policy")]
    );
    assert!(kf.exists());
}

#[tokio::test]
async fn answering_no_changes_nothing() {
    let env = Env::new().await;
    env.ok(&["user", "create", "keep-me"]);
    let cmd = env.pty_command(&["user", "delete", "keep-me"]);
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    p.exp_string("delete user `keep-me`").unwrap();
    p.send_line("n").unwrap();
    p.exp_string("cancelled; nothing was changed").unwrap();
    p.exp_eof().unwrap();
    assert!(env.user_exists("keep-me").await);
}

/// Issue 11 item 13: each answer is checked as it is given; a bad or taken name,
/// or a policy that does not parse, is reported and asked again.
#[tokio::test]
async fn connector_deploy_asks_again_after_a_bad_answer() {
    let env = Env::new().await;
    env.ok(&["user", "create", "taken"]);
    let p = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "taken-policy", "--document", &p]);
    let kf = env.path("c2.csv");
    let cmd = env.pty_command(&[
        "connector",
        "deploy",
        "--credentials-file",
        kf.to_str().unwrap(),
    ]);
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    p.exp_string("Enter username").unwrap();
    p.send_line("bad name!").unwrap();
    p.exp_string("Enter username").unwrap();
    p.send_line("taken").unwrap();
    p.exp_string("user `taken` already exists").unwrap();
    p.exp_string("Enter username").unwrap();
    p.send_line("fresh").unwrap();
    p.exp_string("Enter policy name").unwrap();
    p.send_line("taken-policy").unwrap();
    p.exp_string("policy `taken-policy` already exists")
        .unwrap();
    p.exp_string("Enter policy name").unwrap();
    p.send_line("fresh-policy").unwrap();
    p.exp_string("press Ctrl+D to finish").unwrap();
    p.send_line(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow""#)
        .unwrap();
    p.send_control('d').unwrap();
    p.exp_string("press Ctrl+D to finish").unwrap();
    p.send_line(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#).unwrap();
    p.send_control('d').unwrap();
    p.exp_string("Does the above information look correct?")
        .unwrap();
    p.send_line("y").unwrap();
    p.exp_string("created access key").unwrap();
    p.exp_eof().unwrap();
    assert!(env.user_exists("fresh").await);
    assert_eq!(
        env.attached_user_policies("fresh").await,
        vec![env.policy_arn("fresh-policy")]
    );
}

/// Issue 11 item 17: tables are styled (bold header) on a terminal, never when
/// piped or with `NO_COLOR`.
#[tokio::test]
async fn tables_are_styled_on_a_terminal_only() {
    let env = Env::new().await;
    env.ok(&["user", "create", "styled"]);
    let piped = env.run_env(&["user", "list"], &[("NO_COLOR", None)]);
    assert!(
        piped.stdout.contains("styled") && !piped.stdout.contains('\x1b'),
        "{:?}",
        piped.stdout
    );
    let mut cmd = env.pty_command(&["user", "list"]);
    cmd.env_remove("NO_COLOR");
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    let out = p.exp_eof().unwrap();
    assert!(out.contains("\x1b[1m NAME"), "{out:?}");
    let mut cmd = env.pty_command(&["user", "list"]);
    cmd.env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    let out = p.exp_eof().unwrap();
    assert!(out.contains("NAME") && !out.contains('\x1b'), "{out:?}");
    let mut cmd = env.pty_command(&["user", "list", "--no-color"]);
    cmd.env_remove("NO_COLOR");
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    let out = p.exp_eof().unwrap();
    assert!(out.contains("NAME") && !out.contains('\x1b'), "{out:?}");
}
