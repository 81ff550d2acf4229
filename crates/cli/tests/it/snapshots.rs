//! What people read: help and error messages, pinned with insta.

use crate::harness::*;

#[tokio::test]
async fn help_lists_commands_and_exit_codes() {
    let env = Env::new().await;
    let o = env.ok(&["--help"]);
    insta::assert_snapshot!(o.stdout);
}

#[tokio::test]
async fn json_syntax_error_points_at_the_spot() {
    let env = Env::new().await;
    env.file(
        "broken.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\" \"Action\": \"s3:*\"}\n  ]\n}\n",
    );
    let o = env.fails(&["policy", "lint", "broken.json"], 3);
    insta::assert_snapshot!(format!("stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr));
}

const RISKY: &str = r#"{
  "Statement": [
    {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"},
    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}
"#;

#[tokio::test]
async fn lint_lists_findings_by_position() {
    let env = Env::new().await;
    env.file("risky.json", RISKY);
    env.file(
        "fine.json",
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#,
    );
    let o = env.fails(&["policy", "lint", "fine.json", "risky.json"], 3);
    insta::assert_snapshot!(format!("stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr));
}

#[tokio::test]
async fn lint_json_output_and_exit_codes() {
    let env = Env::new().await;
    env.file("risky.json", RISKY);
    let o = env.fails(&["--output", "json", "policy", "lint", "risky.json"], 3);
    let rows = o.json();
    let rows = rows.as_array().expect("an array of findings");
    assert!(rows.len() >= 5, "{rows:#?}");
    let first = &rows[0];
    assert_eq!(first["file"], "risky.json");
    assert_eq!(first["line"], 1);
    assert_eq!(first["column"], 1);
    assert_eq!(first["severity"], "SUGGESTION");
    assert_eq!(first["code"], "MISSING_VERSION");
    assert!(rows
        .iter()
        .any(|r| r["code"] == "UNKNOWN_ACTION" && r["severity"] == "ERROR" && r["line"] == 5));

    // Warnings alone exit 0; stdin is `-`.
    let warn = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*"}}"#;
    let o = env.run_with_stdin(&["policy", "lint", "-"], Some(warn));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .starts_with("<stdin>:1:60: SECURITY_WARNING PRIVILEGE_ESCALATION: "),
        "{}",
        o.stdout
    );

    // `--type` picks the grammar: a trust policy has a principal and no resource.
    let trust = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}"#;
    env.file("trust.json", trust);
    let o = env.ok(&["policy", "lint", "--type", "trust", "trust.json"]);
    assert_eq!(o.stdout, "");
    assert!(o.stderr.contains("trust.json: no findings"), "{}", o.stderr);
    let o = env.fails(&["policy", "lint", "trust.json"], 3);
    assert!(
        o.stdout.contains("ERROR UNSUPPORTED_ELEMENT"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("ERROR MISSING_RESOURCE"), "{}", o.stdout);
}

#[tokio::test]
async fn structure_error_names_the_rule_and_place() {
    let env = Env::new().await;
    env.file(
        "effect.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Permit\",\n    \"Action\": \"s3:GetObject\",\n    \"Resource\": \"*\"\n  }\n}\n",
    );
    let o = env.fails(&["policy", "create", "p", "--document", "effect.json"], 3);
    insta::assert_snapshot!(o.stderr);
}

#[tokio::test]
async fn invalid_name_lists_the_bad_characters() {
    let env = Env::new().await;
    let o = env.fails(&["user", "create", "bad name!"], 3);
    insta::assert_snapshot!(o.stderr);
}

#[tokio::test]
async fn foreign_user_needs_force() {
    let env = Env::new().await;
    env.iam
        .create_user()
        .user_name("legacy")
        .send()
        .await
        .unwrap();
    let o = env.fails(&["user", "delete", "legacy", "--yes"], 1);
    insta::assert_snapshot!(o.stderr);
}
