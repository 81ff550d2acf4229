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
    insta::assert_snapshot!(o.stderr);
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
