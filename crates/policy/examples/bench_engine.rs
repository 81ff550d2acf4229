//! Engine benchmark (not a test): evaluations per second of our engine and of
//! the independent oracle, `@cloud-copilot/iam-simulate`, on the same
//! requests, measured in the same run; then `who-can` and `access` over a
//! generated account of 1,000 principals.
//!
//! ```sh
//! scripts/bench-engine            # release build, oracle install, then this
//! cargo run --release -p iamctl-policy --example bench_engine -- [--seconds S] [--no-oracle]
//! ```

#[path = "../../cli/tests/it/casegen.rs"]
mod casegen;

use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use iamctl_policy::account::Account;
use iamctl_policy::analysis;
use iamctl_policy::catalog::catalog;
use iamctl_policy::eval::{decision, evaluate, Context, Decision, Request};
use iamctl_policy::simulate::BatchRequest;
use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: f64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let oracle = !args.iter().any(|a| a == "--no-oracle");
    let typical_only = args.iter().any(|a| a == "--typical-only");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");

    if !typical_only {
        differential(&root, seconds, oracle);
    }
    if args.iter().any(|a| a == "--cases-only") {
        return;
    }
    typical(&root, seconds, oracle);
}

/// 1. The differential cases, ours against the oracle, on the cases both run.
fn differential(root: &std::path::Path, seconds: f64, oracle: bool) {
    let cases = casegen::generate(casegen::DEFAULT_SEED, 5000);
    let jsonl = casegen::to_jsonl(&cases);
    let theirs = if oracle {
        match oracle_bench(root, &jsonl, seconds) {
            Ok(r) => Some(r),
            Err(e) => {
                println!("iam-simulate: not measured ({e}); run scripts/setup-oracle");
                None
            }
        }
    } else {
        None
    };
    let excluded: Vec<String> = theirs.as_ref().map(|(_, e)| e.clone()).unwrap_or_default();
    let compiled: Vec<BatchRequest> = jsonl
        .lines()
        .map(|l| BatchRequest::parse(l).expect("generated cases compile"))
        .filter(|r| !excluded.iter().any(|e| r.id == e.as_str()))
        .collect();
    let sets: Vec<_> = compiled.iter().map(BatchRequest::policy_set).collect();
    // The decision alone is what runUnsafeSimulation returns; `evaluate`
    // also collects the statements that decided.
    let ours = rate(seconds, |i| {
        let k = i % compiled.len();
        black_box(decision(&compiled[k].request, &sets[k]));
    });
    let full = rate(seconds, |i| {
        let k = i % compiled.len();
        black_box(evaluate(&compiled[k].request, &sets[k]).decision);
    });
    let warm = rate(seconds, |i| {
        let k = (i / 16) % compiled.len();
        black_box(decision(&compiled[k].request, &sets[k]));
    });
    println!(
        "generated cases ({}; each request with its own policies, every feature):",
        compiled.len()
    );
    println!(
        "  engine, decision                              {ours:>12.0} evaluations/s (one core)"
    );
    println!("  engine, decision and deciding statements      {full:>12.0} evaluations/s");
    println!(
        "  engine, decision, each case 16 times in a row {warm:>12.0} evaluations/s (warm caches)"
    );
    if let Some((theirs, _)) = theirs {
        println!("  iam-simulate runUnsafeSimulation              {theirs:>12.0} evaluations/s");
        println!(
            "  ratio (decision)                              {:>12.1}x",
            ours / theirs
        );
        println!(
            "  ratio (with statements)                       {:>12.1}x",
            full / theirs
        );
    }
}

/// 2. A typical account: 1,000 principals.
fn typical(root: &std::path::Path, seconds: f64, oracle: bool) {
    let snapshot = typical_account(700, 300);
    let typed =
        iamctl_policy::snapshot::Snapshot::from_value(&snapshot).expect("generated snapshot reads");
    let account = Account::from_snapshot(&typed);
    let base = {
        let mut c = Context::new();
        c.set("aws:CurrentTime", "2026-11-22T12:00:00Z");
        c.set("aws:SourceIp", "203.0.113.9");
        c.set("aws:MultiFactorAuthPresent", "true");
        c.set("aws:RequestedRegion", "eu-west-1");
        c.set("aws:ViaAWSService", "false");
        c
    };
    let typical_actions = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "ec2:DescribeInstances",
        "ec2:TerminateInstances",
        "iam:CreateAccessKey",
        "iam:GetUser",
        "dynamodb:GetItem",
        "sts:AssumeRole",
        "kms:Decrypt",
    ];
    let requests: Vec<(Request, usize)> = (0..account.principals.len())
        .flat_map(|i| {
            let entity = &account.principals[i];
            let account = &account;
            let base = &base;
            typical_actions.iter().enumerate().map(move |(j, action)| {
                let resource = match j % 3 {
                    0 => format!("arn:aws:s3:::data-{}/team-{}/report.csv", i % 7, i % 13),
                    1 => format!("arn:aws:iam::111111111111:user/user{}", (i * 7) % 700),
                    _ => "*".to_owned(),
                };
                let mut req = analysis::principal_request(account, entity, base, &resource);
                req.set_action(action);
                (req, i)
            })
        })
        .collect();
    let psets: Vec<_> = account
        .principals
        .iter()
        .map(|e| account.policy_set(e))
        .collect();
    let mut allowed = 0usize;
    let typical = rate(seconds, |i| {
        let (req, p) = &requests[i % requests.len()];
        if decision(req, &psets[*p]) == Decision::Allowed {
            allowed += 1;
        }
    });
    let typical_full = rate(seconds, |i| {
        let (req, p) = &requests[i % requests.len()];
        black_box(evaluate(req, &psets[*p]).decision);
    });
    println!(
        "typical account (1,000 principals, {} requests, {:.0}% allowed):",
        requests.len(),
        100.0 * allowed as f64 / (typical * seconds).max(1.0)
    );
    println!(
        "  engine over the account, decision             {typical:>12.0} evaluations/s (one core)"
    );
    println!("  engine over the account, with statements      {typical_full:>12.0} evaluations/s");

    if oracle {
        // The same typical requests as self-contained batch lines, for
        // iam-simulate (which re-reads every policy on every call).
        let lines: Vec<String> = requests
            .iter()
            .step_by(5)
            .map(|(req, p)| batch_line(&snapshot, &account.principals[*p], req).to_string())
            .collect();
        let jsonl = lines.join("\n") + "\n";
        let mut cache = iamctl_policy::simulate::PolicyCache::new();
        let compiled: Vec<BatchRequest> = lines
            .iter()
            .map(|l| BatchRequest::parse_cached(l, &mut cache).expect("typical lines compile"))
            .collect();
        let sets: Vec<_> = compiled.iter().map(BatchRequest::policy_set).collect();
        let ours = rate(seconds, |i| {
            let k = i % compiled.len();
            black_box(decision(&compiled[k].request, &sets[k]));
        });
        let full = rate(seconds, |i| {
            let k = i % compiled.len();
            black_box(evaluate(&compiled[k].request, &sets[k]).decision);
        });
        println!(
            "  {} of them as batch lines, engine, decision  {ours:>12.0} evaluations/s",
            compiled.len()
        );
        println!("  the same, decision and deciding statements    {full:>12.0} evaluations/s");
        match oracle_rate(root, &jsonl, seconds) {
            Ok(theirs) => {
                println!(
                    "  iam-simulate runUnsafeSimulation, same lines  {theirs:>12.0} evaluations/s"
                );
                println!(
                    "  ratio (decision)                              {:>12.1}x",
                    ours / theirs
                );
                println!(
                    "  ratio (with statements)                       {:>12.1}x",
                    full / theirs
                );
            }
            Err(e) => println!("iam-simulate: not measured ({e}); run scripts/setup-oracle"),
        }
    }

    for pattern in ["iam:*", "ec2:*", "s3:*"] {
        let actions = catalog().expand(pattern);
        let start = Instant::now();
        let grants = analysis::who_can(&account, &actions, None, &base, None);
        let took = start.elapsed();
        println!(
            "who-can {pattern:<6} over {} principals x {:>3} actions: {:>7.1} ms ({} grants, {:.2} M evaluations/s)",
            account.principals.len(),
            actions.len(),
            took.as_secs_f64() * 1000.0,
            grants.len(),
            (account.principals.len() * actions.len()) as f64 / took.as_secs_f64() / 1e6
        );
    }
    let entity = &account.principals[0];
    let start = Instant::now();
    let summary = analysis::access(&account, entity, &base);
    println!(
        "access {} over {} actions: {:.1} ms",
        entity.name,
        summary.evaluated,
        start.elapsed().as_secs_f64() * 1000.0
    );
}

/// One request of the typical account as a self-contained batch line: the
/// principal's documents (inline, managed, through its groups) and boundary.
fn batch_line(snapshot: &Value, entity: &iamctl_policy::account::Entity, req: &Request) -> Value {
    let managed = |arn: &str| -> Value {
        snapshot["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Arn"] == arn)
            .map(|p| p["PolicyVersionList"][0]["Document"].clone())
            .unwrap()
    };
    let (list, inline_key) = match entity.kind {
        iamctl_policy::account::EntityKind::User => ("UserDetailList", "UserPolicyList"),
        _ => ("RoleDetailList", "RolePolicyList"),
    };
    let detail = snapshot[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["Arn"] == entity.arn.as_str())
        .unwrap();
    let mut docs: Vec<Value> = Vec::new();
    for p in detail[inline_key].as_array().unwrap() {
        docs.push(p["PolicyDocument"].clone());
    }
    for p in detail["AttachedManagedPolicies"].as_array().unwrap() {
        docs.push(managed(p["PolicyArn"].as_str().unwrap()));
    }
    for g in detail["GroupList"].as_array().into_iter().flatten() {
        let group = snapshot["GroupDetailList"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["GroupName"] == *g)
            .unwrap();
        for p in group["AttachedManagedPolicies"].as_array().unwrap() {
            docs.push(managed(p["PolicyArn"].as_str().unwrap()));
        }
    }
    let mut context = serde_json::Map::new();
    for e in req.context.entries() {
        context.insert(
            e.key.clone(),
            if e.multi {
                json!(e.values)
            } else {
                json!(e.values[0])
            },
        );
    }
    let mut line = json!({
        "id": format!("{}|{}|{}", entity.name, req.action, req.resource),
        "principal": req.principal.arn,
        "action": req.action,
        "resource": req.resource,
        "context": context,
        "identityPolicies": docs,
    });
    if let Some(b) = detail["PermissionsBoundary"]["PermissionsBoundaryArn"].as_str() {
        line["permissionBoundary"] = managed(b);
    }
    line
}

/// Calls `f(i)` for `i = 0, 1, ...` for about `seconds`; evaluations per second.
fn rate(seconds: f64, mut f: impl FnMut(usize)) -> f64 {
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            f(n);
            n += 1;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn oracle_rate(root: &std::path::Path, jsonl: &str, seconds: f64) -> Result<f64, String> {
    oracle_bench(root, jsonl, seconds).map(|(rate, _)| rate)
}

/// iam-simulate's rate, and the ids of the cases its unsafe entry point
/// could not run (left out of its measurement).
fn oracle_bench(
    root: &std::path::Path,
    jsonl: &str,
    seconds: f64,
) -> Result<(f64, Vec<String>), String> {
    let script = root.join("oracle/run.cjs");
    let mut child = Command::new("node")
        .arg(&script)
        .arg("--bench")
        .arg(format!("{seconds}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(jsonl.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("oracle exited with {}", out.status));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let rate = v["perSecond"].as_f64().ok_or("no perSecond")?;
    let excluded = v["excluded"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    Ok((rate, excluded))
}

/// A GetAccountAuthorizationDetails document for an account like the ones we
/// manage: users in teams (groups) with managed policies, self-service
/// policies with `${aws:username}`, deny guard rails with conditions, roles
/// with inline and managed policies and boundaries.
fn typical_account(users: usize, roles: usize) -> Value {
    let acct = "111111111111";
    let doc = |statements: Value| json!({"Version": "2012-10-17", "Statement": statements});
    let version = |d: Value| json!([{"Document": d, "IsDefaultVersion": true, "VersionId": "v1"}]);
    let mut policies = Vec::new();
    let teams = 20;
    for t in 0..teams {
        policies.push(json!({
            "PolicyName": format!("team-{t}"), "Arn": format!("arn:aws:iam::{acct}:policy/team-{t}"),
            "DefaultVersionId": "v1",
            "PolicyVersionList": version(doc(json!([
                {"Sid": "Data", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                 "Resource": format!("arn:aws:s3:::data-{}/team-{t}/*", t % 7)},
                {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::data-{}", t % 7),
                 "Condition": {"StringLike": {"s3:prefix": [format!("team-{t}/*")]}}},
                {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*"], "Resource": "*"},
                {"Sid": "Tables", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
                 "Resource": format!("arn:aws:dynamodb:*:{acct}:table/team-{t}-*")},
            ]))),
        }));
    }
    policies.push(json!({
        "PolicyName": "self-service", "Arn": format!("arn:aws:iam::{acct}:policy/self-service"),
        "DefaultVersionId": "v1",
        "PolicyVersionList": version(doc(json!([
            {"Sid": "OwnKeys", "Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:GetUser", "iam:*MFADevice*"],
             "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Sid": "NoMfaNoWrite", "Effect": "Deny", "NotAction": ["iam:*MFADevice*", "iam:GetUser", "sts:GetSessionToken"], "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}, "StringNotEquals": {"aws:PrincipalType": "AssumedRole"}}},
        ]))),
    }));
    policies.push(json!({
        "PolicyName": "guard-rails", "Arn": format!("arn:aws:iam::{acct}:policy/guard-rails"),
        "DefaultVersionId": "v1",
        "PolicyVersionList": version(doc(json!([
            {"Sid": "Network", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]}, "Bool": {"aws:ViaAWSService": "false"}}},
            {"Sid": "Regions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "s3:*"], "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}},
        ]))),
    }));
    policies.push(json!({
        "PolicyName": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "DefaultVersionId": "v1",
        "PolicyVersionList": version(doc(json!([
            {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*", "dynamodb:Describe*", "dynamodb:Get*", "kms:Describe*", "kms:List*", "lambda:Get*", "lambda:List*"], "Resource": "*"}
        ]))),
    }));
    policies.push(json!({
        "PolicyName": "boundary", "Arn": format!("arn:aws:iam::{acct}:policy/boundary"),
        "DefaultVersionId": "v1",
        "PolicyVersionList": version(doc(json!([
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:PassRole"], "Resource": "*"}
        ]))),
    }));
    let groups: Vec<Value> = (0..teams)
        .map(|t| {
            json!({
                "GroupName": format!("team-{t}"), "Arn": format!("arn:aws:iam::{acct}:group/team-{t}"), "Path": "/",
                "GroupPolicyList": [], "AttachedManagedPolicies": [
                    {"PolicyName": format!("team-{t}"), "PolicyArn": format!("arn:aws:iam::{acct}:policy/team-{t}")},
                    {"PolicyName": "self-service", "PolicyArn": format!("arn:aws:iam::{acct}:policy/self-service")}]
            })
        })
        .collect();
    let user_list: Vec<Value> = (0..users)
        .map(|i| {
            let mut attached = vec![json!({"PolicyName": "guard-rails", "PolicyArn": format!("arn:aws:iam::{acct}:policy/guard-rails")})];
            if i % 10 == 0 {
                attached.push(json!({"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}));
            }
            json!({
                "UserName": format!("user{i}"), "Arn": format!("arn:aws:iam::{acct}:user/user{i}"), "Path": "/",
                "GroupList": [format!("team-{}", i % teams)],
                "AttachedManagedPolicies": attached,
                "UserPolicyList": if i % 25 == 0 { json!([{"PolicyName": "extra", "PolicyDocument": doc(json!([
                    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{acct}:role/app-*")},
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]))}]) } else { json!([]) },
                "Tags": [{"Key": "team", "Value": format!("team-{}", i % teams)}],
            })
        })
        .collect();
    let role_list: Vec<Value> = (0..roles)
        .map(|i| {
            json!({
                "RoleName": format!("app-{i}"), "Arn": format!("arn:aws:iam::{acct}:role/app-{i}"), "Path": "/",
                "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}])),
                "RolePolicyList": [{"PolicyName": "app", "PolicyDocument": doc(json!([
                    {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": format!("arn:aws:sqs:*:{acct}:app-{i}-*")},
                    {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}}},
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::data-{}/*", i % 7)}]))}],
                "AttachedManagedPolicies": [{"PolicyName": format!("team-{}", i % teams), "PolicyArn": format!("arn:aws:iam::{acct}:policy/team-{}", i % teams)}],
                "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": format!("arn:aws:iam::{acct}:policy/boundary")},
                "Tags": [],
            })
        })
        .collect();
    json!({"UserDetailList": user_list, "GroupDetailList": groups, "RoleDetailList": role_list, "Policies": policies})
}
