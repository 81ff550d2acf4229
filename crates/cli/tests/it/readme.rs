//! Issues 17 and 20 (item 6): the README and every page of `docs/` as printed.
//!
//! - Every relative link resolves: the file exists, and so does the heading an
//!   `#anchor` names (GitHub's anchors).
//! - Every ```sh block runs as printed, in order, one `bash` per block (files carry
//!   over; variables do not), from a directory laid out as a clone (`examples/`,
//!   `scripts/`, `.venv` linked), with `iamctl` on PATH, against moto. The profile the
//!   quick start names (`my-admin-profile`) is defined, pointing at that moto.
//! - After each document's last block, the accounts the examples name
//!   (123456789012, moto's default, and 111122223333, the IaC example's) hold no user,
//!   group, role or customer-managed policy: each document removes what it made.
//!
//! Blocks fenced otherwise are not run: `json`, `yaml` and bare fences show formats
//! and output; every ```text block is listed in `NOT_RUN` with the reason it cannot
//! run here, so a command is never left unrun by accident.
//!
//! These tests have a moto of their own: the examples must find those two fixed
//! accounts empty, and they create the buckets `shared-files` and `iam-master-copy`,
//! names that other tests create in their own accounts (S3 bucket names are one
//! namespace across accounts, in moto as in AWS).

use crate::harness::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The ```text blocks, by document and first line, and why each is not run.
const NOT_RUN: &[(&str, &str, &str)] = &[
    (
        "docs/snapshot.md",
        "iamctl who-can s3:DeleteBucket",
        "needs an organisation snapshot, which moto cannot give until `collect` exists; the org tests run these commands",
    ),
    (
        "README.md",
        "scripts/demo",
        "runs the whole test suite, this test included",
    ),
    (
        "README.md",
        "cargo install",
        "compiles iamctl for minutes; the test runs the binary cargo built",
    ),
    ("README.md", "docker build", "needs a Docker daemon"),
    (
        "docs/design.md",
        "scripts/test",
        "runs the whole test suite, this test included",
    ),
    (
        "docs/install.md",
        "git clone",
        "fetches the repository and compiles it",
    ),
    (
        "docs/install.md",
        "asset=",
        "downloads a release over the network",
    ),
    ("docs/install.md", "docker build", "needs a Docker daemon"),
    (
        "docs/install.md",
        "iamctl completions zsh",
        "zsh and man(1) commands; the test runs bash",
    ),
    (
        "docs/guardrails.md",
        "iamctl check no-new-access --base OLD",
        "a synopsis: placeholders, not values",
    ),
    (
        "docs/bench-engine.md",
        "(200,000 - 1)",
        "a formula, not a command",
    ),
    (
        "docs/bench-engine.md",
        "scripts/bench-engine",
        "release builds and minutes of timing, run by hand",
    ),
    (
        "docs/bench-engine.md",
        "cargo build --release",
        "a release build and perf(1), for profiling by hand",
    ),
    (
        "docs/escalation.md",
        "iamctl escalation --snapshot snap.json",
        "a synopsis over a snapshot file the page does not make; docs/guardrails.md runs escalation",
    ),
    (
        "docs/escalation.md",
        "#### user pat can become admin",
        "output, not a command",
    ),
    (
        "docs/locking.md",
        "Error:",
        "output of a run locked by another person",
    ),
    (
        "docs/locking.md",
        "applied 3 of 14",
        "output of an interrupted apply",
    ),
    ("docs/output.md", "{", "output, not a command"),
    (
        "docs/output.md",
        "$ iamctl --output json user lst",
        "a transcript: command and output",
    ),
    ("docs/output.md", "... and 39,950 more", "output, not a command"),
    (
        "docs/signin.md",
        "$ iamctl --profile admin whoami",
        "a transcript with an MFA prompt on a terminal; tests/it/signin.rs runs it",
    ),
    (
        "docs/signin.md",
        "error: `sts:GetCallerIdentity` was not sent",
        "output, not a command",
    ),
    (
        "docs/snapshot.md",
        "iamctl account snapshot --out account.json",
        "a synopsis; docs/commands.md and docs/engine.md run these against moto",
    ),
    (
        "docs/identity-center.md",
        "carol@example.com gains",
        "a plan's output: identity_center.rs checks these sentences against moto",
    ),
];

/// The accounts the examples name.
const ACCOUNTS: &[&str] = &["123456789012", "111122223333"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// README.md, then every docs/*.md by name: (path relative to the root, text).
fn documents() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| {
            e.expect("docs entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root().join(&n)).expect("document");
            (n, text)
        })
        .collect()
}

struct Block {
    lang: String,
    /// 1-based line of the opening fence.
    line: usize,
    body: String,
}

/// The fenced blocks of a document, and its lines outside them.
fn blocks(text: &str) -> (Vec<Block>, Vec<(usize, &str)>) {
    let mut out = Vec::new();
    let mut prose = Vec::new();
    // The open block and its fence: a block opened with four backticks (to
    // show one with three inside) closes only with four.
    let mut current: Option<(Block, &str)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_end();
        match &mut current {
            None if fence.starts_with("```") => {
                let ticks = fence.len() - fence.trim_start_matches('`').len();
                current = Some((
                    Block {
                        lang: fence[ticks..].trim().to_string(),
                        line: i + 1,
                        body: String::new(),
                    },
                    &fence[..ticks],
                ))
            }
            None => prose.push((i + 1, line)),
            Some((_, close)) if fence == *close => out.push(current.take().expect("open block").0),
            Some((b, _)) => {
                b.body.push_str(line);
                b.body.push('\n');
            }
        }
    }
    assert!(current.is_none(), "a fenced block is not closed");
    (out, prose)
}

/// GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    blocks(text)
        .1
        .into_iter()
        .filter_map(|(_, l)| l.strip_prefix('#'))
        .map(|h| anchor(h.trim_start_matches('#')))
        .collect()
}

/// `[text](target)` links outside code: (line, target).
fn links<'a>(prose: &[(usize, &'a str)]) -> Vec<(usize, &'a str)> {
    let mut out = Vec::new();
    for &(n, line) in prose {
        // Inline code spans are not links.
        let outside: Vec<&str> = line.split('`').step_by(2).collect();
        for part in outside {
            let mut rest = part;
            while let Some(i) = rest.find("](") {
                let after = &rest[i + 2..];
                let Some(end) = after.find(')') else { break };
                out.push((n, &after[..end]));
                rest = &after[end..];
            }
        }
    }
    out
}

#[test]
fn readme_and_docs_links_resolve() {
    let docs = documents();
    let mut checked = 0;
    for (name, text) in &docs {
        let dir = root().join(name).parent().expect("dir").to_path_buf();
        let (_, prose) = blocks(text);
        for (line, target) in links(&prose) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, frag) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target, None),
            };
            let file = if path.is_empty() {
                root().join(name)
            } else {
                dir.join(path)
            };
            assert!(
                file.exists(),
                "{name}:{line}: the link `{target}` names {}, which does not exist",
                file.display()
            );
            if let Some(frag) = frag {
                let text = std::fs::read_to_string(&file).expect("linked file");
                assert!(
                    anchors(&text).contains(frag),
                    "{name}:{line}: the link `{target}`: {} has no heading with the anchor `#{frag}`",
                    file.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} relative links found");
}

#[test]
fn readme_is_short_and_starts_with_the_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 400,
        "README.md has {lines} lines; the reference belongs in docs/"
    );
    let (blocks, _) = blocks(&readme);
    let first = &blocks[0];
    assert_eq!(
        first.line, 3,
        "the first thing after the title is the commands block"
    );
    let commands: Vec<&str> = first
        .body
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(commands, ["scripts/demo", "scripts/test"]);
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(ci.lines().any(|l| l.trim() == "scripts/test"), "{ci}");
}

#[test]
fn every_block_that_is_not_run_says_why() {
    let mut listed: BTreeSet<(&str, &str)> = NOT_RUN.iter().map(|(d, f, _)| (*d, *f)).collect();
    for (name, text) in documents() {
        for b in blocks(&text).0 {
            let first = b.body.lines().next().unwrap_or("");
            match b.lang.as_str() {
                // Formats, not commands: `ini` shows ~/.aws/config.
                "sh" | "json" | "yaml" | "ini" => {}
                "text" => {
                    let entry = NOT_RUN
                        .iter()
                        .find(|(d, f, _)| *d == name && first.starts_with(f))
                        .unwrap_or_else(|| {
                            panic!(
                                "{name}:{}: a ```text block starting `{first}` is not run and not in \
                                 NOT_RUN: make it ```sh, or list it with the reason",
                                b.line
                            )
                        });
                    listed.remove(&(entry.0, entry.1));
                }
                "" => {
                    assert!(
                    !b.body.lines().any(|l| l.trim_start().starts_with("iamctl ")),
                    "{name}:{}: a bare fence with iamctl commands: make it ```sh (run) or ```text \
                     (listed in NOT_RUN)",
                    b.line
                )
                }
                other => panic!("{name}:{}: unknown fence ```{other}", b.line),
            }
        }
    }
    assert!(
        listed.is_empty(),
        "NOT_RUN lists blocks that no longer exist: {listed:?}"
    );
}

/// Users, groups, roles and customer-managed policies in `account`.
async fn leftovers(endpoint: &str, account: &str) -> Vec<String> {
    let conf = account_config(endpoint, account).await;
    let iam = aws_sdk_iam::Client::new(&conf);
    let mut left = Vec::new();
    let users = iam.list_users().send().await.expect("ListUsers");
    left.extend(
        users
            .users()
            .iter()
            .map(|u| format!("user {}", u.user_name())),
    );
    let groups = iam.list_groups().send().await.expect("ListGroups");
    left.extend(
        groups
            .groups()
            .iter()
            .map(|g| format!("group {}", g.group_name())),
    );
    let roles = iam.list_roles().send().await.expect("ListRoles");
    left.extend(
        roles
            .roles()
            .iter()
            .map(|r| format!("role {}", r.role_name())),
    );
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .expect("ListPolicies");
    left.extend(
        policies
            .policies()
            .iter()
            .map(|p| format!("policy {}", p.policy_name().unwrap_or_default())),
    );
    left
}

/// A directory laid out as a clone of the repository, and a HOME beside it whose
/// AWS config defines the quick start's profile, pointing at `endpoint`.
fn workplace(dir: &Path, endpoint: &str) -> (PathBuf, PathBuf) {
    let work = dir.join("work");
    let home = dir.join("home");
    std::fs::create_dir_all(&work).expect("work dir");
    std::fs::create_dir_all(home.join(".aws")).expect("home");
    for entry in ["examples", "scripts", ".venv"] {
        if root().join(entry).exists() {
            std::os::unix::fs::symlink(root().join(entry), work.join(entry)).expect("link");
        }
    }
    std::fs::write(
        home.join(".aws/config"),
        format!(
            "[profile my-admin-profile]\naws_access_key_id = testing\n\
             aws_secret_access_key = testing\nregion = us-east-1\nendpoint_url = {endpoint}\n"
        ),
    )
    .expect("aws config");
    (work, home)
}

/// Stops the moto that the quick start's block starts, when the block failed
/// before its last line stopped it.
fn stop_block_moto(work: &Path) {
    if let Ok(pid) = std::fs::read_to_string(work.join(".moto.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
}

#[tokio::test]
async fn readme_and_docs_blocks_run_as_printed() {
    assert!(
        Command::new("jq").arg("--version").output().is_ok(),
        "the examples use `jq`: install it (apt-get install jq, brew install jq)"
    );
    let moto = start_moto();
    for account in ACCOUNTS {
        let left = leftovers(&moto.endpoint, account).await;
        assert!(
            left.is_empty(),
            "account {account} is not empty before: {left:?}"
        );
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_iamctl"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for (name, text) in documents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (work, home) = workplace(dir.path(), &moto.endpoint);
        let sh: Vec<Block> = blocks(&text)
            .0
            .into_iter()
            .filter(|b| b.lang == "sh")
            .collect();
        for block in &sh {
            let o = Command::new("bash")
                .arg("-c")
                .arg(format!("set -euo pipefail -x\n{}", block.body))
                .env_clear()
                .env("PATH", &path)
                .env("HOME", &home)
                .env("AWS_CONFIG_FILE", home.join(".aws/config"))
                .env(
                    "AWS_SHARED_CREDENTIALS_FILE",
                    home.join(".aws/no-credentials"),
                )
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL", &moto.endpoint)
                .env("NO_COLOR", "1")
                .current_dir(&work)
                .output()
                .expect("bash");
            if !o.status.success() {
                stop_block_moto(&work);
            }
            assert!(
                o.status.success(),
                "{name}:{}: the block failed (exit {:?}); its trace:\n{}\nstdout:\n{}",
                block.line,
                o.status.code(),
                String::from_utf8_lossy(&o.stderr),
                String::from_utf8_lossy(&o.stdout)
            );
            ran += 1;
        }
        for account in ACCOUNTS {
            let left = leftovers(&moto.endpoint, account).await;
            assert!(
                left.is_empty(),
                "after the last block of {name}, account {account} still holds {left:?}"
            );
        }
    }
    assert!(ran >= 25, "only {ran} ```sh blocks ran");
}
