//! `iamctl validate`: offline, so no moto account; the binary runs sealed
//! (cleared environment, fixed clock, no colour) on a config written per test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Out, NOW};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac")
}

const ACCOUNTS: &str = "aws-accounts:\n  nonprod: \"123456789012\"\n  prod: \"345678901234\"\n";
const POLICIES: &str = "\
aws-policies:
  developers.read-only:
    description: \"Read Only access for developers\"
    custom_statements:
      - effect: Allow
        actions: [\"s3:ListBucket\"]
        resources: [\"arn:aws:s3:::team-data\"]
  dev.break-glass:
    managed_policies:
      - arn:aws:iam::aws:policy/PowerUserAccess
";
const USERS: &str = "users:\n  developer@example.com:\n    existing: true\n";

/// A config directory: the base team plus `files` (which replace base ones).
fn config(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = vec![
        ("aws-accounts/team.yaml", ACCOUNTS),
        ("aws-policies/team.yaml", POLICIES),
        ("users/team.yaml", USERS),
    ];
    for (name, text) in files {
        all.retain(|(n, _)| n != name);
        all.push((name, text));
    }
    for (name, text) in all {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Runs `iamctl ARGS` sealed: no AWS variables at all, fixed clock.
fn run(dir: &Path, args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_iamctl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TERM", "dumb")
        .env("IAMCTL_NOW", NOW)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run iamctl");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn shown(o: &Out) -> String {
    format!(
        "exit: {}\nstdout:\n{}\nstderr:\n{}",
        o.code, o.stdout, o.stderr
    )
}

fn temporary(date: &str) -> String {
    format!(
        "temporary-access:\n  - description: Debug production database\n    expiration_date: {date}\n    user: developer@example.com\n    environment: prod\n    grant: dev.break-glass\n"
    )
}

#[test]
fn malformed_yaml() {
    let dir = config(&[(
        "permanent-access/team.yaml",
        "permanent-access:\n  - users: [developer@example.com\n    environments: [nonprod]\n    grants: [developers.read-only]\n",
    )]);
    let o = run(dir.path(), &["validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    insta::assert_snapshot!(shown(&o));
}

#[test]
fn unknown_grant() {
    let dir = config(&[(
        "permanent-access/team.yaml",
        "permanent-access:\n  - description: Team read-only access to non-prod\n    users: [developer@example.com]\n    environments: [nonprod]\n    grants:\n      - dev.read-only\n",
    )]);
    let o = run(dir.path(), &["validate", "."]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    insta::assert_snapshot!(shown(&o));
}

#[test]
fn bad_date() {
    let dir = config(&[("temporary-access/team.yaml", &temporary("30/11/2026"))]);
    let o = run(dir.path(), &["validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    insta::assert_snapshot!(shown(&o));
}

#[test]
fn expiry_too_far() {
    let dir = config(&[("temporary-access/team.yaml", &temporary("2026-04-30"))]);
    let o = run(dir.path(), &["validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    insta::assert_snapshot!(shown(&o));
    // `--at` moves the clock: as of 2026-04-27 the same date is allowed.
    let o = run(dir.path(), &["validate", "--at", "2026-04-27T09:00:00Z"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
    // ... and after the date it has expired: a warning, exit 0.
    let o = run(dir.path(), &["validate", "--at", "2026-05-01T00:00:00Z"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
    assert!(
        o.stderr
            .contains("temporary grant expired at 2026-04-30T23:59:59Z"),
        "{}",
        o.stderr
    );
    let o = run(dir.path(), &["validate", "--at", "yesterday"]);
    assert_eq!(o.code, 2, "{}", shown(&o));
}

#[test]
fn unknown_policy_key() {
    let dir = config(&[
        (
            "users/team.yaml",
            "users:\n  developer@example.com:\n    existing: true\n  alice@example.com:\n    permissions_boundary: developers.readonly\n",
        ),
        (
            "aws-policies/team.yaml",
            "aws-policies:\n  developers.read-only:\n    custom_statement:\n      - effect: Allow\n  dev.break-glass:\n    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]\n",
        ),
    ]);
    let o = run(dir.path(), &["validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    insta::assert_snapshot!(shown(&o));
}

#[test]
fn examples_are_valid() {
    let root = examples();
    let o = run(&root, &["validate", "seed004"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
    let o4 = shown(&o);
    let o = run(&root, &["validate", "seed001"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
    insta::assert_snapshot!(format!("seed004:\n{o4}\nseed001:\n{}", shown(&o)));
}

#[test]
fn json_output_lists_every_problem() {
    let dir = config(&[
        ("temporary-access/team.yaml", &temporary("2026-13-01")),
        (
            "permanent-access/team.yaml",
            "permanent-access:\n  - roles: [ci]\n    environments: [staging]\n    grants: [developers.read-only]\n",
        ),
    ]);
    let o = run(dir.path(), &["--output", "json", "validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    let rows: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    let rows: Vec<(String, String, u64, u64)> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["severity"].as_str().unwrap_or("").to_owned(),
                r["file"].as_str().unwrap_or("").to_owned(),
                r["line"].as_u64().unwrap_or(0),
                r["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let e = |f: &str, l, c| ("error".to_owned(), f.to_owned(), l, c);
    assert_eq!(
        rows,
        [
            // Role `ci` is declared nowhere: it exists already (seed 004's rule).
            (
                "note".to_owned(),
                "permanent-access/team.yaml".to_owned(),
                2,
                13
            ),
            e("permanent-access/team.yaml", 3, 20),
            e("temporary-access/team.yaml", 3, 22),
        ]
    );
    assert!(o.stderr.contains("2 errors"), "{}", o.stderr);
}

#[test]
fn missing_directory_is_invalid_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(dir.path(), &["validate", "no-such-dir"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    assert!(
        o.stderr
            .starts_with("error: cannot read configuration directory `no-such-dir`"),
        "{}",
        o.stderr
    );
}

/// `iamctl validate DIR` under a 2 GB address-space limit (prlimit, when the
/// system has it), timed.
fn run_limited(dir: &Path) -> (Out, std::time::Duration) {
    let bin = env!("CARGO_BIN_EXE_iamctl");
    let prlimit = Command::new("prlimit").arg("--version").output().is_ok();
    let mut cmd = if prlimit {
        let mut c = Command::new("prlimit");
        c.args(["--as=2147483648", "--", bin]);
        c
    } else {
        Command::new(bin)
    };
    let start = std::time::Instant::now();
    let o = cmd
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TERM", "dumb")
        .env("IAMCTL_NOW", NOW)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["validate", "."])
        .output()
        .expect("run iamctl");
    let took = start.elapsed();
    let out = Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    (out, took)
}

/// Pull-request YAML is untrusted: a 12-line alias bomb (9^11 strings once
/// expanded), 6,000-deep nesting and a 50 MB file each end in well under
/// 10 s with exit 3 and the file and line, within 2 GB of memory.
#[test]
fn hostile_yaml_ends_fast_with_exit_3() {
    let bomb = {
        let mut s = String::from("users:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (prev, name) in "abcdefghij".chars().zip("bcdefghijk".chars()) {
            let refs = vec![format!("*{prev}"); 9].join(",");
            s.push_str(&format!("  {name}: &{name} [{refs}]\n"));
        }
        s
    };
    assert_eq!(bomb.lines().count(), 12);
    let deep = format!("users:\n{}x\n", "- ".repeat(6000));
    let mut big = String::from("users:\n");
    while big.len() < 50 * 1024 * 1024 {
        big.push_str("  someone@example.com: {existing: true}\n");
    }
    for (what, text, place, says) in [
        ("alias bomb", bomb, "users/team.yaml:7:", "alias bomb"),
        (
            "deep nesting",
            deep,
            "users/team.yaml:2:",
            "nest more than 256 deep",
        ),
        ("50 MB", big, "users/team.yaml", "larger than 4 MiB"),
    ] {
        let dir = config(&[("users/team.yaml", &text)]);
        let (o, took) = run_limited(dir.path());
        assert_eq!(o.code, 3, "{what}: {}", shown(&o));
        assert!(o.stderr.contains(place), "{what}: {}", shown(&o));
        assert!(o.stderr.contains(says), "{what}: {}", shown(&o));
        assert!(
            took < std::time::Duration::from_secs(10),
            "{what}: {took:?}"
        );
    }
}

/// Seed 004's example as of the seed's own time (before its temporary grant
/// ends): valid, with only notes for the principals it takes to exist.
#[test]
fn seed004_before_its_expiry_has_only_notes() {
    let o = run(
        &examples(),
        &[
            "--output",
            "json",
            "validate",
            "seed004",
            "--at",
            "2025-11-28T09:00:00Z",
        ],
    );
    assert_eq!(o.code, 0, "{}", shown(&o));
    let rows: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert!(rows.iter().all(|r| r["severity"] == "note"), "{rows:#?}");
    assert_eq!(rows[3]["file"], "temporary-access/example-team.yaml");
    assert_eq!(
        (rows[3]["line"].as_u64(), rows[3]["column"].as_u64()),
        (Some(4), Some(11))
    );
}

/// Two environments of one account, and IAM's limits: exit 3 at the line.
#[test]
fn one_account_two_environments_and_iam_limits() {
    let errors = |o: &Out| -> Vec<(u64, u64, String)> {
        let rows: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
        rows.as_array()
            .expect("array")
            .iter()
            .filter(|r| r["severity"] == "error")
            .map(|r| {
                (
                    r["line"].as_u64().unwrap_or(0),
                    r["column"].as_u64().unwrap_or(0),
                    r["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let dir = config(&[(
        "aws-accounts/team.yaml",
        "aws-accounts:\n  nonprod: \"123456789012\"\n  prod: \"345678901234\"\n  sandbox: \"123456789012\"\n",
    )]);
    let o = run(dir.path(), &["--output", "json", "validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    assert_eq!(
        errors(&o),
        [(
            4,
            12,
            "account `123456789012` is environment `nonprod` in aws-accounts/team.yaml:2:12, and environment `sandbox` here".to_owned()
        )]
    );
    let long = "x".repeat(1001);
    let dir = config(&[(
        "roles/team.yaml",
        &format!("roles:\n  ci:\n    description: {long}\n    trust:\n      principals: [\"ec2.amazonaws.com\"]\n"),
    )]);
    let o = run(dir.path(), &["--output", "json", "validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    let es = errors(&o);
    assert_eq!(es.len(), 1, "{es:?}");
    assert_eq!((es[0].0, es[0].1), (3, 18));
    assert!(
        es[0].2.contains("is 1001 characters, above IAM's 1000"),
        "{es:?}"
    );
}

/// Issue 10 item 2: `validate --output sarif` is valid SARIF 2.1.0 with every
/// diagnostic at the file, line and column `--output json` gives, and a
/// policy's lint finding under its lint code.
#[test]
fn sarif_output_is_valid_and_places_every_diagnostic() {
    let dir = config(&[
        ("temporary-access/team.yaml", &temporary("2026-13-01")),
        (
            "aws-policies/team.yaml",
            &format!(
                "{POLICIES}  typo:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObjekt\"]\n        resources: [\"*\"]\n"
            ),
        ),
    ]);
    let json = run(dir.path(), &["--output", "json", "validate"]);
    assert_eq!(json.code, 3, "{}", shown(&json));
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let o = run(dir.path(), &["--output", "sarif", "validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    let log: serde_json::Value = serde_json::from_str(&o.stdout).expect("sarif is JSON");
    crate::check::assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let rows = rows.as_array().expect("rows");
    assert_eq!(results.len(), rows.len(), "{log}");
    for (r, row) in results.iter().zip(rows) {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], row["file"], "{r}");
        assert_eq!(loc["region"]["startLine"], row["line"], "{r}");
        assert_eq!(loc["region"]["startColumn"], row["column"], "{r}");
        assert_eq!(r["level"], row["severity"], "{r}");
    }
    let rules: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert!(rules.contains(&"CONFIG_ERROR"), "{rules:?}");
    // The unknown action is a lint finding: its code is the rule.
    assert!(
        rules.iter().any(|r| !r.starts_with("CONFIG_")),
        "{rules:?}\n{}",
        json.stdout
    );
}

/// Issue 20: a file with 40,000 unknown keys printed 40,000 drawn
/// diagnostics (44 MB) in 39 s, each drawing scanning the file from its
/// start. People get the first 50 and a count of the rest; `--output json`
/// gets every one; both finish in a time linear in the file.
#[test]
fn forty_thousand_unknown_keys_are_bounded_and_fast() {
    let mut big = String::from(
        "aws-policies:\n  read:\n    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n",
    );
    for i in 0..40_000 {
        big.push_str(&format!("    bogus_key_{i}: 1\n"));
    }
    let dir = config(&[("aws-policies/team.yaml", &big)]);
    let started = std::time::Instant::now();
    let o = run(dir.path(), &["validate"]);
    let took = started.elapsed();
    assert_eq!(
        o.code,
        3,
        "{}",
        &o.stderr[o.stderr.len().saturating_sub(2000)..]
    );
    let drawn = o.stderr.matches("unknown key `bogus_key_").count();
    assert_eq!(drawn, 50, "{}", &o.stderr[..2000]);
    // The first 50 in file order, then the count.
    assert!(o.stderr.contains("unknown key `bogus_key_49`"));
    assert!(!o.stderr.contains("unknown key `bogus_key_50`"));
    assert!(
        o.stderr
            .contains("... and 39,950 more (39,950 errors); `--output json` lists every one\n"),
        "{}",
        &o.stderr[o.stderr.len().saturating_sub(600)..]
    );
    assert!(
        o.stderr.contains("configuration is invalid: 40,000 errors"),
        "{}",
        &o.stderr[o.stderr.len().saturating_sub(600)..]
    );
    assert!(o.stderr.len() < 100_000, "{} bytes", o.stderr.len());

    let json_started = std::time::Instant::now();
    let j = run(dir.path(), &["--output", "json", "validate"]);
    let json_took = json_started.elapsed();
    assert_eq!(j.code, 3);
    let rows: serde_json::Value = serde_json::from_str(&j.stdout).expect("one JSON document");
    let unknown = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| {
            r["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("unknown key `bogus_key_"))
        })
        .count();
    assert_eq!(unknown, 40_000);
    // Release takes a fraction of a second (measured with farm-bench); an
    // unoptimised build on a busy machine a few seconds. Drawing each
    // diagnostic from the start of the file took minutes.
    let bound = if cfg!(debug_assertions) { 30 } else { 2 };
    for (what, t) in [("table", took), ("json", json_took)] {
        assert!(
            t < std::time::Duration::from_secs(bound),
            "{what}: {t:?} (bound {bound} s)"
        );
    }
}

/// Identity Center entries (issue 18's contract): validated with places.
/// Plan, apply and cleanup take them up (`identity_center.rs` runs them
/// against moto).
const IC_SETTINGS: &str = "settings:\n  identity_center:\n    account: prod\n    region: us-east-1\n    identity_source: directory\n";
const IC_FILE: &str = "identity-center:\n  users:\n    bert@example.com: {given_name: Bert, family_name: Example, display_name: Bert Example}\n  permission-sets:\n    boto3:\n      description: Seed 001's boto3 permission set\n      session_duration: 1h\n      grants: [developers.read-only]\n";
const IC_TEMPORARY: &str = "temporary-access:\n  - description: Bert debugs prod\n    expiration_date: 2026-03-25T18:00:00Z\n    sso_user: bert@example.com\n    environment: prod\n    permission_set: boto3\n";

#[test]
fn identity_center_validates() {
    let o = run(
        &examples(),
        &[
            "validate",
            "seed001-identity-center",
            "--at",
            "2026-12-05T00:00:00Z",
        ],
    );
    assert_eq!(o.code, 0, "{}", shown(&o));
    let dir = config(&[
        ("settings.yaml", IC_SETTINGS),
        ("identity-center/team.yaml", IC_FILE),
        ("temporary-access/team.yaml", IC_TEMPORARY),
    ]);
    let o = run(dir.path(), &["validate"]);
    assert_eq!(o.code, 0, "{}", shown(&o));
}

#[test]
fn identity_center_bad_session_duration() {
    let ic = IC_FILE.replace("session_duration: 1h", "session_duration: 13h");
    let dir = config(&[
        ("settings.yaml", IC_SETTINGS),
        ("identity-center/team.yaml", &ic),
    ]);
    let o = run(dir.path(), &["validate"]);
    assert_eq!(o.code, 3, "{}", shown(&o));
    assert!(
        o.stderr.contains("identity-center/team.yaml:7:25")
            && o.stderr
                .contains("session duration `13h` is outside 1h to 12h"),
        "{}",
        shown(&o)
    );
}
