//! Issue 11 item 16: the README's "Commands" examples run, in order and as
//! printed, against moto: every ```sh block of that section, in one shell
//! session per block (variables carry over through the files they write), with
//! `iamctl` on PATH, moto's default account 123456789012, and a bucket
//! `shared-files` made first (the README says so). The quick start against a real
//! account is not run.

use crate::harness::*;
use std::path::Path;
use std::process::Command;

fn readme_blocks(section: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README.md");
    let start = readme
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("no section `{section}` in README.md"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in rest[..end].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[tokio::test]
async fn readme_command_examples_run_in_order_against_moto() {
    assert!(
        Command::new("jq").arg("--version").output().is_ok(),
        "the README's examples use `jq`: install it (apt-get install jq, brew install jq)"
    );
    let env = Env::new().await;
    // moto's default account: the README's examples name 123456789012.
    let conf = sdk_config(&env.endpoint, "testing", "testing", None).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("shared-files")
        .send()
        .await
        .unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    std::os::unix::fs::symlink(examples.canonicalize().unwrap(), env.path("examples")).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_iamctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let blocks = readme_blocks("Commands");
    assert!(!blocks.is_empty(), "no ```sh block under ## Commands");
    let lines: usize = blocks.iter().map(|b| b.matches("\niamctl ").count()).sum();
    assert!(
        lines > 60,
        "the Commands section should show every command: {lines}"
    );
    for (i, block) in blocks.iter().enumerate() {
        let o = Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail -x\n{block}"))
            .env_clear()
            .env("PATH", &path)
            .env("HOME", env.dir.path())
            .env("AWS_CONFIG_FILE", env.path("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                env.path("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &env.endpoint)
            .env("NO_COLOR", "1")
            .current_dir(env.dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "README Commands block {i} failed (exit {:?}); its trace:\n{}\nstdout:\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        );
    }
    // What the block made, it removed again (the last lines clean up).
    let users = env_users(&conf).await;
    assert!(
        users.iter().all(|u| u != "alice" && u != "bob"),
        "{users:?}"
    );
}

async fn env_users(conf: &aws_config::SdkConfig) -> Vec<String> {
    aws_sdk_iam::Client::new(conf)
        .list_users()
        .send()
        .await
        .unwrap()
        .users()
        .iter()
        .map(|u| u.user_name().to_string())
        .collect()
}
