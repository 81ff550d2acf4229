//! Benchmark: `iamctl managed list` (GetAccountAuthorizationDetails pages plus one
//! ListPolicyTags per customer policy) against the per-user listing seed 000's
//! script does (ListUsers, then ListUserTags and ListAttachedUserPolicies for every
//! user), both measured in the same run against the same moto account.
//!
//! Run with `scripts/bench [USERS]`; it starts moto and passes
//! `IAMCTL_BENCH_ENDPOINT` and the binary's path.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let endpoint =
        std::env::var("IAMCTL_BENCH_ENDPOINT").expect("IAMCTL_BENCH_ENDPOINT (use scripts/bench)");
    let bin = std::env::var("IAMCTL_BENCH_BIN").expect("IAMCTL_BENCH_BIN (use scripts/bench)");
    let users: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let rounds = 3;

    let creds = aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "bench");
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(creds)
        .load()
        .await;
    let iam = aws_sdk_iam::Client::new(&conf);

    eprintln!("creating {users} users (half tagged managed-by=iamctl), each with a policy...");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let policy = iam
        .create_policy()
        .policy_name("bench-policy")
        .policy_document(doc)
        .send()
        .await
        .expect("CreatePolicy");
    let policy_arn = policy
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_string();
    for i in 0..users {
        let mut req = iam.create_user().user_name(format!("user-{i:05}"));
        if i % 2 == 0 {
            req = req.tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("managed-by")
                    .value("iamctl")
                    .build()
                    .expect("tag"),
            );
        }
        req.send().await.expect("CreateUser");
        iam.attach_user_policy()
            .user_name(format!("user-{i:05}"))
            .policy_arn(&policy_arn)
            .send()
            .await
            .expect("AttachUserPolicy");
    }

    // Baseline: per-user calls, sequential, as the seed's script does.
    let mut baseline = Vec::new();
    let mut baseline_found = 0;
    let mut baseline_calls = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut found = 0;
        let mut calls = 0;
        let list = iam
            .list_users()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .expect("ListUsers");
        calls += list.len().div_ceil(100);
        for u in &list {
            let tags = iam
                .list_user_tags()
                .user_name(u.user_name())
                .send()
                .await
                .expect("ListUserTags");
            calls += 1;
            if tags
                .tags()
                .iter()
                .any(|t| t.key() == "managed-by" && t.value() == "iamctl")
            {
                iam.list_attached_user_policies()
                    .user_name(u.user_name())
                    .send()
                    .await
                    .expect("ListAttachedUserPolicies");
                calls += 1;
                found += 1;
            }
        }
        baseline.push(t.elapsed());
        baseline_found = found;
        baseline_calls = calls;
    }

    // iamctl: the real binary.
    let mut ours = Vec::new();
    let mut ours_found = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let out = std::process::Command::new(&bin)
            .args(["managed", "list", "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .output()
            .expect("run iamctl");
        ours.push(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        ours_found = v["Users"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(ours_found, baseline_found, "both ways find the same users");

    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (b, o) = (median(&mut baseline), median(&mut ours));
    println!("managed list over {users} users ({ours_found} ours), median of {rounds} runs:");
    println!(
        "  baseline, per-user calls ({baseline_calls} requests): {:>8.1} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "  iamctl managed list (authorization details):       {:>8.1} ms",
        o.as_secs_f64() * 1e3
    );
    println!(
        "  ratio baseline / iamctl: {:.1}x",
        b.as_secs_f64() / o.as_secs_f64()
    );
}
