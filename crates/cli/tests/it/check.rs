//! `iamctl check` (offline guard rails): exit 0 on PASS, 4 on FAIL, JSON and
//! SARIF 2.1.0 output validated against the schema.

use crate::harness::Env;
use serde_json::{json, Value};

fn write(env: &Env, name: &str, statements: Value) -> String {
    env.file(
        name,
        &serde_json::to_string_pretty(&json!({"Version": "2012-10-17", "Statement": statements}))
            .unwrap(),
    )
}

/// Validates a SARIF log against the SARIF 2.1.0 JSON schema (shipped in
/// `data/`, see its NOTICE), format assertions on.
pub fn assert_valid_sarif(log: &Value) {
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler
        .add_resource("file:///sarif-schema-2.1.0.json", schema)
        .unwrap();
    let index = compiler
        .compile("file:///sarif-schema-2.1.0.json", &mut schemas)
        .unwrap();
    if let Err(e) = schemas.validate(log, index) {
        panic!("not valid SARIF 2.1.0: {e:#}\n{log:#}");
    }
}

#[tokio::test]
async fn no_new_access_fails_with_witnesses_and_exit_4() {
    let env = Env::new().await;
    let old = write(
        &env,
        "old.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]),
    );
    let new = write(
        &env,
        "new.json",
        json!([{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::data/*"}]),
    );
    let out = env.fails(&["check", "no-new-access", "--base", &old, &new], 4);
    assert!(
        out.stdout.starts_with("no-new-access: FAIL"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("s3:GetObjectAcl"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("{new}:4:5:")),
        "{}",
        out.stdout
    );
    // The witness command, run, says allowed for NEW and denied for OLD.
    let out = env.fails(
        &[
            "check",
            "no-new-access",
            "--base",
            &old,
            &new,
            "--output",
            "json",
        ],
        4,
    );
    let v = out.json();
    assert_eq!(v["result"], "FAIL");
    let reason = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["request"]["action"] == "s3:GetObjectAcl")
        .expect("a witness for s3:GetObjectAcl");
    let w = &reason["request"];
    let ask = |policy: &str| {
        env.ok(&[
            "simulate",
            "--principal",
            w["principal"].as_str().unwrap(),
            "--action",
            "s3:GetObjectAcl",
            "--resource",
            w["resource"].as_str().unwrap(),
            "--policy",
            policy,
            "--output",
            "json",
        ])
        .json()["decision"]
            .clone()
    };
    assert_eq!(ask(&new), "allowed");
    assert_eq!(ask(&old), "implicitDeny");
    assert!(reason["simulate"]
        .as_str()
        .unwrap()
        .starts_with("iamctl simulate "));
    // NEW from stdin.
    let text = std::fs::read_to_string(&new).unwrap();
    let out = env.run_with_stdin(
        &["check", "no-new-access", "--base", &old, "-"],
        Some(&text),
    );
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stdout.contains("<stdin>:4:5:"), "{}", out.stdout);
    // Narrowing back passes.
    let out = env.ok(&[
        "check",
        "no-new-access",
        "--base",
        &new,
        &old,
        "--output",
        "json",
    ]);
    assert_eq!(
        out.json(),
        json!({"result": "PASS", "reasons": [], "actionsWithNewAccess": 0, "searched": out.json()["searched"]})
    );
}

#[tokio::test]
async fn access_not_granted_and_no_public_access() {
    let env = Env::new().await;
    let p = write(
        &env,
        "p.json",
        json!([{"Sid": "Ops", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]),
    );
    env.ok(&[
        "check",
        "access-not-granted",
        &p,
        "--action",
        "iam:CreateUser",
    ]);
    let out = env.fails(
        &[
            "check",
            "access-not-granted",
            &p,
            "--action",
            "s3:DeleteBucket",
            "--output",
            "json",
        ],
        4,
    );
    let v = out.json();
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["reasons"][0]["statement"]["sid"], "Ops");
    assert!(v["reasons"][0]["message"]
        .as_str()
        .unwrap()
        .contains("NotAction"));

    let bucket = write(
        &env,
        "bucket.json",
        json!([{"Sid": "Site", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]),
    );
    let out = env.fails(
        &[
            "check",
            "no-public-access",
            &bucket,
            "--resource-type",
            "AWS::S3::Bucket",
        ],
        4,
    );
    assert!(out.stdout.contains("statement `Site`"), "{}", out.stdout);
    let org = write(
        &env,
        "org.json",
        json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]),
    );
    env.ok(&[
        "check",
        "no-public-access",
        &org,
        "--resource-type",
        "AWS::S3::Bucket",
    ]);
    // Bad input: exit 3 with the position; an unknown type names it.
    let bad = env.file("bad.json", "{\n  \"Statement\": [\n}");
    let out = env.fails(
        &[
            "check",
            "no-public-access",
            &bad,
            "--resource-type",
            "AWS::S3::Bucket",
        ],
        3,
    );
    assert!(out.stderr.contains("bad.json"), "{}", out.stderr);
    let out = env.fails(
        &[
            "check",
            "no-public-access",
            &org,
            "--resource-type",
            "AWS::Nope",
        ],
        3,
    );
    assert!(out.stderr.contains("AWS::Nope"), "{}", out.stderr);
}

#[tokio::test]
async fn sarif_of_check_and_lint_is_valid_sarif_2_1_0_with_positions() {
    let env = Env::new().await;
    let old = write(
        &env,
        "old.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
    );
    let new = write(
        &env,
        "new.json",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    let out = env.fails(
        &[
            "check",
            "no-new-access",
            "--base",
            &old,
            &new,
            "--output",
            "sarif",
        ],
        4,
    );
    let log = out.json();
    assert_valid_sarif(&log);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "NO_NEW_ACCESS");
    assert_eq!(result["level"], "error");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], new.as_str());
    assert_eq!(loc["region"]["startLine"], 4);

    let linted = env.file(
        "lint.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObjekt\", \"Resource\": \"*\"}]\n}",
    );
    let out = env.fails(&["policy", "lint", &linted, "--output", "sarif"], 3);
    let log = out.json();
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let unknown = results
        .iter()
        .find(|r| r["ruleId"] == "UNKNOWN_ACTION")
        .expect("UNKNOWN_ACTION");
    assert_eq!(unknown["level"], "error");
    assert_eq!(
        unknown["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    // From stdin, with a space in a name: still URI references.
    let text = std::fs::read_to_string(&linted).unwrap();
    let out = env.run_with_stdin(&["policy", "lint", "-", "--output", "sarif"], Some(&text));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let log = out.json();
    assert_valid_sarif(&log);
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "%3Cstdin%3E"
    );
    let spaced = env.file("my policy.json", &text);
    let log = env
        .fails(&["policy", "lint", &spaced, "--output", "sarif"], 3)
        .json();
    assert_valid_sarif(&log);
    assert!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("my%20policy.json")
    );
    // A PASS is a valid log with no results.
    let out = env.ok(&[
        "check",
        "no-new-access",
        "--base",
        &new,
        &old,
        "--output",
        "sarif",
    ]);
    let log = out.json();
    assert_valid_sarif(&log);
    assert_eq!(log["runs"][0]["results"], json!([]));
    // The validator is not a rubber stamp.
    let mut broken = log.clone();
    broken["version"] = json!("2.0.0");
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("file:///s.json", schema).unwrap();
    let i = compiler.compile("file:///s.json", &mut schemas).unwrap();
    assert!(schemas.validate(&broken, i).is_err());
}
