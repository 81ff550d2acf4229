//! Differential test of the evaluation engine: thousands of generated cases
//! (`casegen`, fixed seed) through the real `iamctl simulate --batch` and through an
//! independent oracle, `@cloud-copilot/iam-simulate` run as a separate node process
//! (`oracle/run.cjs`, installed by `scripts/setup-oracle`). Decisions must agree,
//! except for the deliberate differences below: each is its own test, citing the
//! AWS documentation that backs our answer, and the comparison skips cases tagged
//! with it.
//!
//! No AWS account is involved: every policy is in the case.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::casegen::{
    self, Case, ACCT, DEFAULT_SEED, TAG_EPOCH_DATE, TAG_INVERTED_NULL_VARIABLE,
    TAG_NOTPRINCIPAL_IDENTITIES, TAG_NOT_IP_OTHER_FAMILY, TAG_QUESTION_MARK_ACROSS_COLON,
    TAG_ROOT_FULL_ACCESS, TAG_SESSION_ARN_GRANT, TAG_UNRESOLVED_IN_NOT_RESOURCE,
    TAG_VARIABLE_DEFAULT, TAG_VARIABLE_LEADS_RESOURCE, TAG_VERSION_2008_VARIABLES,
    TAG_WILDCARD_IN_RESOURCE_TYPE, TAG_ZERO_PREFIX_CIDR,
};

const CASES: usize = 12000;

/// Differences from the oracle where we follow AWS's documentation instead; the
/// comparison skips cases carrying one of these tags.
const DELIBERATE: &[&str] = &[
    TAG_VERSION_2008_VARIABLES,
    TAG_WILDCARD_IN_RESOURCE_TYPE,
    TAG_EPOCH_DATE,
    TAG_NOTPRINCIPAL_IDENTITIES,
    TAG_SESSION_ARN_GRANT,
    TAG_VARIABLE_DEFAULT,
    TAG_UNRESOLVED_IN_NOT_RESOURCE,
    TAG_ZERO_PREFIX_CIDR,
    TAG_VARIABLE_LEADS_RESOURCE,
    TAG_QUESTION_MARK_ACROSS_COLON,
    TAG_INVERTED_NULL_VARIABLE,
    TAG_ROOT_FULL_ACCESS,
    TAG_NOT_IP_OTHER_FAMILY,
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One engine's answer for one case.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    Decision(String),
    Error(String),
}

impl Answer {
    fn short(&self) -> String {
        match self {
            Answer::Decision(d) => d.clone(),
            Answer::Error(_) => "error".to_string(),
        }
    }
}

fn parse_answers(who: &str, stdout: &str) -> HashMap<String, (Answer, Value)> {
    let mut out = HashMap::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{who} printed a line that is not JSON ({e}): {line}"));
        let id = v["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{who} printed a line without an id: {line}"))
            .to_string();
        let answer = match (v.get("decision"), v.get("error")) {
            (Some(d), _) => Answer::Decision(d.as_str().unwrap_or_default().to_string()),
            (None, Some(e)) => Answer::Error(e.as_str().map_or(e.to_string(), str::to_string)),
            (None, None) => panic!("{who} printed neither decision nor error: {line}"),
        };
        out.insert(id, (answer, v));
    }
    out
}

/// `node oracle/run.cjs < file`. Fails the test, with what to do, when node or the
/// oracle package is missing: the differential test must never pass silently.
fn run_oracle(file: &Path) -> HashMap<String, (Answer, Value)> {
    let root = workspace_root();
    let script = root.join("oracle/run.cjs");
    let package = root.join("oracle/node_modules/@cloud-copilot/iam-simulate");
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` is not available: the differential test needs node >= 20 and the oracle \
             package; install node, then run scripts/setup-oracle (scripts/test does)"
        ),
    }
    assert!(
        package.exists(),
        "{} is missing: run scripts/setup-oracle (scripts/test does)",
        package.display()
    );
    let input = std::fs::File::open(file).expect("cases file");
    let o = Command::new("node")
        .arg(&script)
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run node oracle/run.cjs");
    assert!(
        o.status.success(),
        "oracle failed ({}):\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    parse_answers("the oracle", &String::from_utf8_lossy(&o.stdout))
}

/// `iamctl simulate --batch FILE` in a sealed environment (no AWS needed).
/// `IAMCTL_DIFF_BIN` runs another build instead (same arguments).
fn run_iamctl(file: &Path, dir: &Path) -> HashMap<String, (Answer, Value)> {
    let bin = std::env::var_os("IAMCTL_DIFF_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_iamctl")));
    let o = Command::new(bin)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .args(["simulate", "--batch"])
        .arg(file)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run iamctl simulate --batch");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        !stdout.trim().is_empty(),
        "iamctl simulate --batch printed nothing (exit {}):\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    parse_answers("iamctl", &stdout)
}

fn write_cases(dir: &Path, name: &str, cases: &[Case]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, casegen::to_jsonl(cases)).expect("write cases");
    p
}

/// A category for a mismatch: both answers and the shape of the case.
fn category(line: &Value, oracle: &Answer, ours: &Answer) -> String {
    let mut shape = Vec::new();
    let principal = line["principal"].as_str().unwrap_or_default();
    shape.push(if principal.ends_with(":root") {
        "root"
    } else if principal.contains(":assumed-role/") {
        "session"
    } else {
        "user"
    });
    let resource = line["resource"].as_str().unwrap_or_default();
    let account = line["resourceAccount"]
        .as_str()
        .map(str::to_string)
        .or_else(|| resource.split(':').nth(4).map(str::to_string))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| ACCT.to_string());
    if account != ACCT {
        shape.push("cross-account");
    }
    for (k, name) in [
        ("resourcePolicy", "resource"),
        ("permissionBoundary", "boundary"),
        ("sessionPolicy", "session"),
        ("serviceControlPolicies", "scp"),
        ("resourceControlPolicies", "rcp"),
    ] {
        if line.get(k).is_some() {
            shape.push(name);
        }
    }
    format!(
        "oracle={} iamctl={} [{}]",
        oracle.short(),
        ours.short(),
        shape.join(",")
    )
}

struct Mismatch {
    line: Value,
    oracle: Value,
    ours: Value,
    category: String,
}

/// Compare both engines over `cases`; returns the mismatches.
fn compare(cases: &[Case], dir: &Path, name: &str) -> (Vec<Mismatch>, usize) {
    let file = write_cases(dir, name, cases);
    let oracle = run_oracle(&file);
    let ours = run_iamctl(&file, dir);
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for c in cases {
        if c.tags.iter().any(|t| DELIBERATE.contains(t)) {
            continue;
        }
        let (oa, ov) = oracle
            .get(&c.id)
            .unwrap_or_else(|| panic!("the oracle gave no answer for {}", c.id));
        let (ia, iv) = ours
            .get(&c.id)
            .unwrap_or_else(|| panic!("iamctl gave no answer for {}", c.id));
        compared += 1;
        if oa != ia {
            mismatches.push(Mismatch {
                line: c.line.clone(),
                oracle: ov.clone(),
                ours: iv.clone(),
                category: category(&c.line, oa, ia),
            });
        }
    }
    (mismatches, compared)
}

/// Smaller variants of a case: one policy, statement, condition entry or context
/// key fewer at a time.
fn variants(line: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(obj) = line.as_object() else {
        return out;
    };
    for k in [
        "permissionBoundary",
        "resourcePolicy",
        "sessionPolicy",
        "serviceControlPolicies",
        "resourceControlPolicies",
    ] {
        if obj.contains_key(k) {
            let mut v = line.clone();
            v.as_object_mut().map(|m| m.remove(k));
            out.push(v);
        }
    }
    if let Some(ctx) = obj.get("context").and_then(Value::as_object) {
        for k in ctx.keys() {
            let mut v = line.clone();
            v["context"].as_object_mut().map(|m| m.remove(k));
            out.push(v);
        }
    }
    // Every document in the case, by JSON pointer.
    let mut docs = Vec::new();
    for k in ["permissionBoundary", "resourcePolicy", "sessionPolicy"] {
        if obj.contains_key(k) {
            docs.push(format!("/{k}"));
        }
    }
    if let Some(ids) = obj.get("identityPolicies").and_then(Value::as_array) {
        for i in 0..ids.len() {
            let mut v = line.clone();
            v["identityPolicies"].as_array_mut().map(|a| a.remove(i));
            out.push(v);
            docs.push(format!("/identityPolicies/{i}"));
        }
    }
    for k in ["serviceControlPolicies", "resourceControlPolicies"] {
        if let Some(levels) = obj.get(k).and_then(Value::as_array) {
            for (i, level) in levels.iter().enumerate() {
                for j in 0..level.as_array().map_or(0, Vec::len) {
                    docs.push(format!("/{k}/{i}/{j}"));
                }
            }
        }
    }
    for d in docs {
        let Some(doc) = line.pointer(&d) else {
            continue;
        };
        let stmts = match &doc["Statement"] {
            Value::Array(a) => a.clone(),
            s => vec![s.clone()],
        };
        for (i, s) in stmts.iter().enumerate() {
            if stmts.len() > 1 {
                let mut v = line.clone();
                let mut fewer = stmts.clone();
                fewer.remove(i);
                if let Some(p) = v.pointer_mut(&format!("{d}/Statement")) {
                    *p = Value::Array(fewer);
                }
                out.push(v);
            }
            if let Some(cond) = s.get("Condition").and_then(Value::as_object) {
                for (op, entries) in cond {
                    let keys: Vec<String> = entries
                        .as_object()
                        .map_or(Vec::new(), |m| m.keys().cloned().collect());
                    for key in keys {
                        let mut v = line.clone();
                        let mut stmts2 = stmts.clone();
                        let c = stmts2[i]["Condition"].as_object_mut();
                        if let Some(c) = c {
                            let empty = {
                                let e = c.get_mut(op).and_then(Value::as_object_mut);
                                e.map(|e| {
                                    e.remove(&key);
                                    e.is_empty()
                                })
                                .unwrap_or(false)
                            };
                            if empty {
                                c.remove(op);
                            }
                            if c.is_empty() {
                                stmts2[i].as_object_mut().map(|m| m.remove("Condition"));
                            }
                        }
                        if let Some(p) = v.pointer_mut(&format!("{d}/Statement")) {
                            *p = Value::Array(stmts2);
                        }
                        out.push(v);
                    }
                }
            }
        }
    }
    out
}

/// Shrink mismatching cases while both engines still disagree the same way.
fn shrink(mismatches: &[Mismatch], dir: &Path) -> Vec<Mismatch> {
    let mut current: Vec<Mismatch> = mismatches
        .iter()
        .map(|m| Mismatch {
            line: m.line.clone(),
            oracle: m.oracle.clone(),
            ours: m.ours.clone(),
            category: m.category.clone(),
        })
        .collect();
    for round in 0..40 {
        let mut batch = Vec::new();
        for (mi, m) in current.iter().enumerate() {
            for (vi, mut v) in variants(&m.line).into_iter().enumerate() {
                let id = format!("m{mi}-v{vi}");
                v["id"] = json!(id);
                batch.push(Case {
                    id,
                    tags: Vec::new(),
                    line: v,
                });
            }
        }
        if batch.is_empty() {
            break;
        }
        let file = write_cases(dir, &format!("shrink-{round}.jsonl"), &batch);
        let oracle = run_oracle(&file);
        let ours = run_iamctl(&file, dir);
        let mut progressed = false;
        for (mi, m) in current.iter_mut().enumerate() {
            let prefix = format!("m{mi}-v");
            let want = m.category.clone();
            let found = batch.iter().find(|c| {
                c.id.starts_with(&prefix)
                    && match (oracle.get(&c.id), ours.get(&c.id)) {
                        (Some((oa, _)), Some((ia, _))) => {
                            oa != ia && category(&c.line, oa, ia) == want
                        }
                        _ => false,
                    }
            });
            if let Some(c) = found {
                m.line = c.line.clone();
                m.oracle = oracle[&c.id].1.clone();
                m.ours = ours[&c.id].1.clone();
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    current
}

fn report(mismatches: &[Mismatch], compared: usize, dir: &Path) -> String {
    let mut by_cat: BTreeMap<&str, usize> = BTreeMap::new();
    for m in mismatches {
        *by_cat.entry(&m.category).or_default() += 1;
    }
    let mut s = format!(
        "{} of {compared} cases disagree with the oracle (@cloud-copilot/iam-simulate).\n\nper category:\n",
        mismatches.len()
    );
    let mut cats: Vec<_> = by_cat.iter().collect();
    cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (c, n) in &cats {
        s.push_str(&format!("  {n:5}  {c}\n"));
    }
    // The first case of each category (up to 10), shrunk to a minimal example.
    let mut firsts: Vec<&Mismatch> = Vec::new();
    for (c, _) in &cats {
        if let Some(m) = mismatches.iter().find(|m| m.category == **c) {
            firsts.push(m);
        }
        if firsts.len() == 10 {
            break;
        }
    }
    let owned: Vec<Mismatch> = firsts
        .iter()
        .map(|m| Mismatch {
            line: m.line.clone(),
            oracle: m.oracle.clone(),
            ours: m.ours.clone(),
            category: m.category.clone(),
        })
        .collect();
    let shrunk = shrink(&owned, dir);
    s.push_str("\nfirst case of each category (shrunk while the disagreement stays the same):\n");
    for (orig, m) in owned.iter().zip(&shrunk) {
        s.push_str(&format!(
            "\n== {} (from {})\ncase:   {}\noracle: {}\niamctl: {}\n",
            m.category,
            orig.line["id"].as_str().unwrap_or_default(),
            serde_json::to_string_pretty(&m.line).unwrap_or_default(),
            m.oracle,
            m.ours
        ));
    }
    s
}

fn spread(answers: &HashMap<String, (Answer, Value)>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (a, _) in answers.values() {
        *out.entry(a.short()).or_default() += 1;
    }
    out
}

/// The generator makes only cases the oracle accepts (no validation error, no
/// context key dropped as not applicable), and its decisions are spread.
#[test]
fn generated_cases_are_valid_for_the_oracle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = casegen::generate(DEFAULT_SEED, CASES);
    let file = write_cases(dir.path(), "cases.jsonl", &cases);
    let oracle = run_oracle(&file);
    assert_eq!(oracle.len(), CASES, "one oracle answer per case");
    let errors: Vec<_> = oracle
        .values()
        .filter(|(a, _)| matches!(a, Answer::Error(_)))
        .map(|(_, v)| v.to_string())
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "oracle errors, e.g.:\n{}",
        errors.join("\n")
    );
    let ignored: Vec<_> = oracle
        .values()
        .filter(|(_, v)| v.get("ignoredContextKeys").is_some())
        .map(|(_, v)| v.to_string())
        .take(5)
        .collect();
    assert!(
        ignored.is_empty(),
        "the oracle dropped context keys, e.g.:\n{}",
        ignored.join("\n")
    );
    let spread = spread(&oracle);
    eprintln!("oracle decisions over {CASES} cases: {spread:?}");
    for d in ["allowed", "explicitDeny", "implicitDeny"] {
        let n = spread.get(d).copied().unwrap_or(0);
        assert!(
            n * 5 >= CASES,
            "{d} is under a fifth of the cases: {spread:?}"
        );
    }
}

/// The engine agrees with the oracle on every generated case, deliberate
/// differences aside.
#[test]
fn engine_agrees_with_the_oracle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = casegen::generate(DEFAULT_SEED, CASES);
    let (mismatches, compared) = compare(&cases, dir.path(), "cases.jsonl");
    let skipped = cases.len() - compared;
    eprintln!("compared {compared} cases, skipped {skipped} deliberate differences");
    let mut per_tag: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        for t in c.tags.iter().filter(|t| DELIBERATE.contains(t)) {
            *per_tag.entry(t).or_default() += 1;
        }
    }
    eprintln!("cases per deliberate difference: {per_tag:?}");
    assert!(
        compared >= 5000,
        "only {compared} cases were compared; the engine must agree on at least 5,000"
    );
    if !mismatches.is_empty() {
        panic!("{}", report(&mismatches, compared, dir.path()));
    }
}

fn simulate_one(line: Value) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let id = line["id"].as_str().unwrap_or_default().to_string();
    let case = Case {
        id: id.clone(),
        tags: Vec::new(),
        line,
    };
    let file = write_cases(dir.path(), "one.jsonl", &[case]);
    let ours = run_iamctl(&file, dir.path());
    ours.get(&id).expect("an answer").1.clone()
}

/// Deliberate difference: a document without `"Version": "2012-10-17"` has no
/// policy variables; `${aws:username}` is literal text. iam-simulate substitutes
/// variables whatever the version.
///
/// AWS: "If you do not include a Version element, the value defaults to
/// 2008-10-17, but newer features, such as policy variables, will not work with
/// your policy. For example, variables such as ${aws:username} aren't recognized
/// as variables and are instead treated as literal strings in the policy."
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html>
/// and <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>
#[test]
fn deliberate_version_2008_policy_variables_are_literal() {
    for version in [Some("2008-10-17"), None] {
        let mut doc = json!({
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::data-bucket/${aws:username}/*"}]
        });
        if let Some(v) = version {
            doc["Version"] = json!(v);
        }
        let case = |id: &str, key: &str| {
            json!({
                "id": id, "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
                "action": "s3:GetObject", "resource": format!("arn:aws:s3:::data-bucket/{key}"),
                "resourceAccount": ACCT, "context": {"aws:username": "alice"},
                "identityPolicies": [doc.clone()]
            })
        };
        let substituted = simulate_one(case("v", "alice/report.csv"));
        assert_eq!(
            substituted["decision"], "implicitDeny",
            "Version {version:?}: no substitution: {substituted}"
        );
        let literal = simulate_one(case("l", "${aws:username}/report.csv"));
        assert_eq!(
            literal["decision"], "allowed",
            "Version {version:?}: literal match: {literal}"
        );
    }
}

/// Deliberate difference: a wildcard may stand for any part of an ARN segment,
/// resource type included; iam-simulate anchors the resource type ("role/",
/// "function:") and matches none of these.
///
/// AWS: "You can use wildcard characters (* and ?) within the individual segments
/// of an ARN (the parts separated by colons) ... You can use multiple * or ?
/// characters in each segment. If the * wildcard is the last character of a
/// resource ARN segment, it can expand to match beyond the colon boundaries."
/// and "The asterisk (*) character can expand to replace everything within a
/// segment, including characters like a forward slash (/)".
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards>
#[test]
fn deliberate_wildcards_span_the_resource_type() {
    for (action, resource, pattern) in [
        (
            "iam:PassRole",
            "arn:aws:iam::111111111111:role/service/ci",
            "arn:aws:iam::111111111111:*rvice/ci",
        ),
        (
            "iam:PassRole",
            "arn:aws:iam::111111111111:role/service/ci",
            "arn:aws:iam::111111111111:*/ci",
        ),
        (
            "lambda:InvokeFunction",
            "arn:aws:lambda:eu-west-1:111111111111:function:resize",
            "arn:aws:lambda:eu-west-1:111111111111:fu?ction:resize",
        ),
        (
            "lambda:InvokeFunction",
            "arn:aws:lambda:eu-west-1:111111111111:function:resize",
            "arn:aws:lambda:eu-west-1:111111111111:*:resize",
        ),
    ] {
        assert!(casegen::wildcard_in_resource_type(pattern), "{pattern}");
        let out = simulate_one(json!({
            "id": "w", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
            "action": action, "resource": resource, "context": {},
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": pattern}]}]
        }));
        assert_eq!(out["decision"], "allowed", "{pattern} on {resource}: {out}");
    }
}

fn decision_of(line: Value) -> String {
    simulate_one(line)["decision"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

/// Deliberate difference: Date condition values may be epoch seconds, and
/// they mean the same instant as the ISO 8601 form.
///
/// AWS: "Date condition operators ... You must specify date values with one of
/// the W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time."
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date>
#[test]
fn deliberate_epoch_date_values_are_instants() {
    let case = |op: &str, value: &str| {
        json!({
            "id": "e", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
            "action": "s3:GetObject", "resource": "arn:aws:s3:::data-bucket/k",
            "context": {"aws:CurrentTime": "2026-03-21T11:36:28Z"},
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {op: {"aws:CurrentTime": value}}}]}]
        })
    };
    // 2026-03-21T11:36:28Z is 1774092988 seconds after the epoch.
    assert_eq!(decision_of(case("DateEquals", "1774092988")), "allowed");
    // And a context value in epoch seconds (aws:EpochTime) compares the same.
    let epoch_context = json!({
        "id": "e", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
        "action": "s3:GetObject", "resource": "arn:aws:s3:::data-bucket/k",
        "context": {"aws:EpochTime": "1774092988"},
        "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"DateGreaterThanEquals": {"aws:EpochTime": "2025-01-01"}}}]}]
    });
    assert_eq!(decision_of(epoch_context), "allowed");
    assert_eq!(decision_of(case("DateLessThan", "1774093000")), "allowed");
    assert_eq!(
        decision_of(case("DateGreaterThan", "1774093000")),
        "implicitDeny"
    );
}

/// Deliberate difference: with `NotPrincipal` and `Deny`, AWS checks every
/// identity the request is made as (the account, then the role, then the
/// session) and the deny applies unless all are listed; and it always applies
/// to a principal with a permissions boundary.
///
/// AWS: "When you use NotPrincipal, you must also specify the account ARN of the
/// not-denied principal. Otherwise, the policy might deny access to the entire
/// account containing the principal. ... If an assumed-role user is being
/// evaluated, AWS might verify the account first, then the role, and then the
/// assumed-role user." and "The NotPrincipal element with a Deny effect will
/// always deny any IAM principal that has a permissions boundary policy attached,
/// regardless of the values specified in the NotPrincipal element."
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>
#[test]
fn deliberate_not_principal_needs_every_identity() {
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/Dev/bob");
    let role = format!("arn:aws:iam::{ACCT}:role/Dev");
    let root = format!("arn:aws:iam::{ACCT}:root");
    let case = |listed: Vec<&str>, boundary: bool| {
        let mut line = json!({
            "id": "n", "principal": session, "action": "sqs:SendMessage",
            "resource": format!("arn:aws:sqs:us-east-1:{ACCT}:jobs"),
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}],
            "resourcePolicy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "sqs:*", "Resource": "*"}]}
        });
        if boundary {
            line["permissionBoundary"] = json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "*", "Resource": "*"}]});
        }
        decision_of(line)
    };
    assert_eq!(case(vec![&session, &role, &root], false), "allowed");
    assert_eq!(case(vec![&root], false), "explicitDeny");
    assert_eq!(case(vec![&session, &root], false), "explicitDeny");
    assert_eq!(case(vec![&session, &role, &root], true), "explicitDeny");
}

/// Deliberate difference: a same-account resource-based policy that names the
/// role session itself is not limited by the session policy.
///
/// AWS: "A resource-based policy can specify the ARN of the session as a
/// principal. In that case, the permissions from the resource-based policy are
/// added after the session policy. The resource-based policy permissions are not
/// limited by the session policy."
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session>
#[test]
fn deliberate_session_arn_grant_is_not_limited_by_the_session_policy() {
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/Dev/alice");
    let case = |named: &str| {
        decision_of(json!({
            "id": "s", "principal": session, "action": "s3:ListBucket",
            "resource": "arn:aws:s3:::data-bucket", "resourceAccount": ACCT,
            "resourcePolicy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": named}, "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::data-bucket"}]},
            "sessionPolicy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
        }))
    };
    assert_eq!(case(&session), "allowed");
    // Naming the role instead keeps the session policy in force.
    assert_eq!(
        case(&format!("arn:aws:iam::{ACCT}:role/Dev")),
        "implicitDeny"
    );
}

/// Deliberate difference: a policy variable's default value is used when its
/// key is missing.
///
/// AWS: "To add a default value to a variable, surround the default value with
/// single quotes (' '), and separate the variable text and the default value with
/// a comma and space (, ). ... For users without team tags, it sets a default
/// value of company-wide."
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-default-values>
#[test]
fn deliberate_variable_defaults_apply_when_the_key_is_missing() {
    let case = |context: Value, queue: &str| {
        decision_of(json!({
            "id": "d", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
            "action": "sqs:SendMessage",
            "resource": format!("arn:aws:sqs:us-east-1:{ACCT}:{queue}"),
            "context": context,
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sqs:SendMessage",
                "Resource": format!("arn:aws:sqs:us-east-1:{ACCT}:${{aws:PrincipalTag/team, 'shared'}}")}]}]
        }))
    };
    assert_eq!(case(json!({}), "shared"), "allowed");
    assert_eq!(
        case(json!({"aws:PrincipalTag/team": "data"}), "data"),
        "allowed"
    );
    assert_eq!(
        case(json!({"aws:PrincipalTag/team": "data"}), "shared"),
        "implicitDeny"
    );
}

/// Deliberate difference: in `NotResource`, a pattern whose variable cannot be
/// resolved matches nothing, so the statement covers every other resource (an
/// unresolved value never widens what a `NotResource` exempts).
///
/// AWS only says: "If AWS cannot resolve a variable this might cause the entire
/// statement to be invalid."
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>
/// iam-simulate sometimes applies such a statement and sometimes not.
#[test]
fn deliberate_unresolved_not_resource_pattern_matches_nothing() {
    let line = json!({
        "id": "u", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
        "action": "sqs:SendMessage", "resource": format!("arn:aws:sqs:us-east-1:{ACCT}:jobs"),
        "identityPolicies": [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sqs:*",
             "NotResource": format!("arn:aws:sqs:us-east-1:{ACCT}:${{aws:PrincipalTag/missing}}jobs")}]}]
    });
    assert_eq!(decision_of(line), "explicitDeny");
}

/// Deliberate difference: a zero-length prefix holds every address.
///
/// AWS: `IpAddress` takes "the specified IP address or range" in CIDR notation
/// (RFC 4632), where `0.0.0.0/0` is every IPv4 address.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress>
#[test]
fn deliberate_zero_prefix_cidr_holds_every_address() {
    let case = |op: &str, ip: &str, range: &str| {
        decision_of(json!({
            "id": "z", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
            "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
            "context": {"aws:SourceIp": ip},
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {op: {"aws:SourceIp": range}}}]}]
        }))
    };
    assert_eq!(case("IpAddress", "198.51.100.23", "0.0.0.0/0"), "allowed");
    assert_eq!(
        case("NotIpAddress", "198.51.100.23", "0.0.0.0/0"),
        "implicitDeny"
    );
    assert_eq!(case("IpAddress", "2001:db8::1", "::/0"), "allowed");
    assert_eq!(
        case("IpAddress", "2001:db8::1", "0.0.0.0/0"),
        "implicitDeny"
    );
}

/// Deliberate difference: a policy variable may begin the resource part of an
/// ARN pattern.
///
/// AWS: "You can use policy variables in the Resource element", e.g.
/// `arn:aws:iam::account-id:user/${aws:username}`; nothing restricts where in
/// the resource part the variable sits.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-wheretouse>
#[test]
fn deliberate_variable_may_lead_the_resource_part() {
    let line = json!({
        "id": "v", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
        "action": "sns:Publish", "resource": format!("arn:aws:sns:us-east-1:{ACCT}:data-events"),
        "context": {"aws:PrincipalTag/team": "data"},
        "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sns:Publish",
            "Resource": format!("arn:aws:sns:us-east-1:{ACCT}:${{aws:PrincipalTag/team}}-*")}]}]
    });
    assert_eq!(decision_of(line), "allowed");
}

/// Deliberate difference: `?` matches one character within its colon-separated
/// segment, never the colon between segments.
///
/// AWS: "You can use wildcard characters (* and ?) within any ARN segment (the
/// parts separated by colons)." Only a `*` that ends a segment reaches past it.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards>
#[test]
fn deliberate_question_mark_stays_in_its_segment() {
    let case = |pattern: &str| {
        decision_of(json!({
            "id": "q", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
            "action": "logs:PutLogEvents",
            "resource": format!("arn:aws:logs:us-east-1:{ACCT}:log-group:app:log-stream:web-1"),
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "logs:PutLogEvents",
                "Resource": format!("arn:aws:logs:us-east-1:{ACCT}:{pattern}")}]}]
        }))
    };
    assert_eq!(case("log-group:app:log-stream?web-1"), "implicitDeny");
    assert_eq!(case("log-group:app:log-stream:web-?"), "allowed");
    assert_eq!(case("log-group:a*"), "allowed");
    assert_eq!(case("log-group:*:log-stream:web-1"), "allowed");
    assert_eq!(case("log-group:a*p:log-stream:web-1"), "allowed");
    assert_eq!(case("log-group:*x:log-stream:web-1"), "implicitDeny");
}

/// Deliberate difference (issue 9, rule 6): a negated operator whose policy
/// value holds a variable with no value matches.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>:
/// "Inverted condition operators like StringNotEquals or StringNotLike do match
/// against a null value, as the value of the condition key they are testing
/// against is not equal to or like the effectively null value." The page's own
/// example: "Access is explicitly denied when aws:principaltag/Team is not set."
#[test]
fn deliberate_inverted_operator_matches_a_variable_with_no_value() {
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}}]});
    let line = |ctx: Value| {
        json!({"id": "x", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
               "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
               "identityPolicies": [deny.clone()], "context": ctx})
    };
    assert_eq!(
        decision_of(line(json!({"s3:ExistingObjectTag/Team": "red"}))),
        "explicitDeny"
    );
    assert_eq!(
        decision_of(line(
            json!({"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "red"})
        )),
        "allowed"
    );
    let tagged = casegen::semantic_tags(&line(json!({"s3:ExistingObjectTag/Team": "red"})));
    assert!(tagged.contains(&TAG_INVERTED_NULL_VARIABLE), "{tagged:?}");
}

/// Deliberate difference: the root user needs no identity-based policy.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html>:
/// "By default, all requests are implicitly denied with the exception of the
/// AWS account root user, which has full access." SCPs and explicit denies
/// still apply.
#[test]
fn deliberate_root_user_has_full_access() {
    let root = format!("arn:aws:iam::{ACCT}:root");
    let line = |more: Value| {
        let mut l = json!({"id": "r", "principal": root, "action": "s3:GetObject",
                           "resource": "arn:aws:s3:::b/k"});
        for (k, v) in more.as_object().unwrap() {
            l[k] = v.clone();
        }
        l
    };
    assert_eq!(decision_of(line(json!({}))), "allowed");
    assert_eq!(
        decision_of(line(json!({"serviceControlPolicies": [[{"Statement": [
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}]]}))),
        "implicitDeny"
    );
    assert_eq!(
        decision_of(line(json!({"identityPolicies": [{"Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}]}))),
        "explicitDeny"
    );
    assert!(casegen::semantic_tags(&line(json!({}))).contains(&TAG_ROOT_FULL_ACCESS));
}

/// Deliberate difference: `NotIpAddress` matches an address of the other
/// family than the policy's range, which is not in the range.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>:
/// "NotIpAddress: All IP addresses except the specified IP address or range".
#[test]
fn deliberate_not_ip_address_matches_the_other_family() {
    let line = json!({"id": "ip", "principal": format!("arn:aws:iam::{ACCT}:user/alice"),
        "action": "ec2:DescribeInstances", "resource": "*", "context": {"aws:SourceIp": "fe80::1"},
        "identityPolicies": [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}]});
    assert_eq!(decision_of(line.clone()), "explicitDeny");
    assert!(casegen::semantic_tags(&line).contains(&TAG_NOT_IP_OTHER_FAMILY));
}
