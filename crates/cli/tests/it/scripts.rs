//! The scripts and files a user runs first: the demo finds the binary the way
//! cargo does, and speaks the user's words.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Issue 11 item 18: with `CARGO_TARGET_DIR` set, the demo runs the binary cargo
/// built there, not `target/release/iamctl`.
#[test]
fn demo_finds_the_binary_where_cargo_puts_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(root().join("scripts/iamctl-path"))
        .arg("release")
        .env("CARGO_TARGET_DIR", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(
        Path::new(&printed),
        dir.path().join("release/iamctl"),
        "{printed}"
    );
    let demo = std::fs::read_to_string(root().join("scripts/demo")).unwrap();
    assert!(demo.contains("iamctl=$(scripts/iamctl-path release)"));
    assert!(!demo.contains("target/release/iamctl"));
    // Its headings speak of what is shown, not of internal design documents.
    for line in demo.lines().filter(|l| l.trim_start().starts_with("step ")) {
        assert!(!line.to_lowercase().contains("seed"), "{line}");
    }
}

/// Issue 11 item 17: a man page from the command tree, to stdout or one page per
/// command into a directory.
#[test]
fn man_pages_cover_every_command() {
    let bin = env!("CARGO_BIN_EXE_iamctl");
    let o = Command::new(bin).arg("man").output().unwrap();
    assert!(o.status.success());
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH iamctl"),
        "{page}"
    );
    assert!(
        page.contains("whoami") && page.contains("Exit codes"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(bin)
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for p in [
        "iamctl.1",
        "iamctl-user.1",
        "iamctl-user-create.1",
        "iamctl-key-rotate.1",
    ] {
        assert!(dir.path().join(p).exists(), "{p} missing");
    }
}

/// Issue 11 item 15: the Dockerfile builds in one stage with the locked
/// dependencies and ships only the static binary (and CA certificates) in a
/// `scratch` image that runs as a numeric non-root user. (`scripts/check-image`
/// builds and runs it where a Docker daemon is available.)
#[test]
fn dockerfile_is_multi_stage_static_and_non_root() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "multi-stage: {froms:?}");
    assert!(
        froms[0].contains("alpine") && froms[0].contains(" AS build"),
        "{froms:?}"
    );
    assert_eq!(**froms.last().unwrap(), "FROM scratch");
    assert!(text.contains("cargo build --release --locked -p iamctl"));
    assert!(
        text.contains("program interpreter"),
        "checks the binary is static"
    );
    let last_stage = text.rsplit("FROM scratch").next().unwrap();
    assert!(last_stage.contains("COPY --from=build /out/iamctl"));
    let user = last_stage
        .lines()
        .find_map(|l| l.trim().strip_prefix("USER "))
        .expect("a USER in the final stage");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "numeric non-root: {user}"
    );
    assert!(last_stage.contains("ENTRYPOINT [\"/usr/local/bin/iamctl\"]"));
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    for p in ["target/", ".venv/", ".git/"] {
        assert!(ignore.lines().any(|l| l == p), ".dockerignore lacks {p}");
    }
}
