//! Benchmark of IAM as code against moto, three comparisons in one run:
//!
//! a) `iamctl plan` on an account with 2,000 users, 1,000 roles and 2,000
//!    customer-managed policies (GetAccountAuthorizationDetails pages plus
//!    ListPolicyTags per customer policy) next to a per-entity read of the
//!    same account as Terraform's refresh does it (GetUser, ListUserTags,
//!    ListAttachedUserPolicies, ListUserPolicies per user; GetRole,
//!    ListAttachedRolePolicies, ListRolePolicies per role; GetPolicy,
//!    GetPolicyVersion, ListPolicyTags per policy), ten resources at a time
//!    like `terraform plan`'s default `-parallelism=10`. The configuration
//!    planned is small (one policy, one user); the whole account is read.
//! b) `iamctl apply` of 1,000 changes at the default concurrency (8) next to
//!    `--concurrency 1`, each into a fresh account.
//! c) `iamctl plan` over 50 accounts next to 50 runs of
//!    `iamctl plan --env E`, one after another.
//!
//! b) and c) also run through a proxy that adds 20 ms to every request, as a
//! network round trip to AWS would: moto answers in a few milliseconds from
//! one Python process, which hides what concurrency buys.
//!
//! API calls are counted from moto's request log (`IAMCTL_BENCH_MOTO_LOG`)
//! when given. Run with `scripts/bench-iac [--quick | --scale F]`.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

#[derive(Clone)]
struct Bench {
    endpoint: String,
    bin: String,
    log: Option<PathBuf>,
    base: aws_config::SdkConfig,
    dir: PathBuf,
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

impl Bench {
    /// Requests moto has logged so far.
    fn requests(&self) -> Option<u64> {
        let path = self.log.as_ref()?;
        std::thread::sleep(Duration::from_millis(150));
        let text = std::fs::read_to_string(path).ok()?;
        Some(text.lines().filter(|l| l.contains(" HTTP/1.1\" ")).count() as u64)
    }

    /// IAM clients acting in `account` (moto keeps accounts apart by the
    /// assumed role's account).
    async fn iam_in(&self, account: &str) -> aws_sdk_iam::Client {
        let sts = aws_sdk_sts::Client::new(&self.base);
        let out = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/bench"))
            .role_session_name("bench")
            .send()
            .await
            .expect("AssumeRole into the bench account");
        let c = out.credentials().expect("credentials");
        let creds = aws_sdk_iam::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "bench",
        );
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .load()
            .await;
        aws_sdk_iam::Client::new(&conf)
    }

    /// Runs iamctl; returns the wall time and what it printed.
    fn iamctl(&self, args: &[&str]) -> (Duration, Output) {
        let t = Instant::now();
        let out = Command::new(&self.bin)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("AWS_CONFIG_FILE", self.dir.join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.join("no-aws-creds"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run iamctl");
        (t.elapsed(), out)
    }

    fn iamctl_ok(&self, args: &[&str], codes: &[i32]) -> Duration {
        let (d, out) = self.iamctl(args);
        let code = out.status.code().unwrap_or(-1);
        assert!(
            codes.contains(&code),
            "iamctl {args:?} exited {code}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        d
    }

    /// Runs `f`, returning its time and the requests moto logged meanwhile.
    fn counted<T>(&self, f: impl FnOnce() -> T) -> (T, Duration, Option<u64>) {
        let before = self.requests();
        let t = Instant::now();
        let r = f();
        let d = t.elapsed();
        let after = self.requests();
        (r, d, before.zip(after).map(|(b, a)| a - b))
    }
}

fn calls(n: Option<u64>) -> String {
    n.map_or_else(|| "? calls".into(), |n| format!("{n} calls"))
}

/// Writes one team's configuration files.
fn write_team(dir: &Path, team: &str, files: &[(&str, String)]) {
    for (kind, text) in files {
        let d = dir.join(kind);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(format!("{team}.yaml")), text).expect("write config");
    }
}

fn policy_yaml(keys: impl Iterator<Item = String>) -> String {
    let mut p = String::from("aws-policies:\n");
    for k in keys {
        p.push_str(&format!(
            "  {k}:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"arn:aws:s3:::{k}/*\"]\n"
        ));
    }
    p
}

/// `users` users and `roles` roles, each granted its own policy, in `envs`.
fn config(dir: &Path, team: &str, envs: &[(String, String)], users: usize, roles: usize) {
    let _ = std::fs::remove_dir_all(dir);
    let mut accounts = String::from("aws-accounts:\n");
    for (env, account) in envs {
        accounts.push_str(&format!("  {env}: \"{account}\"\n"));
    }
    let env_list = envs
        .iter()
        .map(|(e, _)| e.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let policies = policy_yaml((0..users + roles).map(|i| format!("p{i}")));
    let mut u = String::from("users:\n");
    let mut r = String::from("roles:\n");
    let mut grants = String::from("permanent-access:\n");
    for i in 0..users {
        u.push_str(&format!("  {team}-u{i}:\n    tags:\n      n: \"{i}\"\n"));
        grants.push_str(&format!(
            "  - users: [{team}-u{i}]\n    environments: [{env_list}]\n    grants: [p{i}]\n"
        ));
    }
    for i in 0..roles {
        r.push_str(&format!(
            "  {team}-r{i}:\n    description: \"role {i}\"\n    trust:\n      principals: [\"arn:aws:iam::123456789012:root\"]\n"
        ));
        grants.push_str(&format!(
            "  - roles: [{team}-r{i}]\n    environments: [{env_list}]\n    grants: [p{}]\n",
            users + i
        ));
    }
    let mut files = vec![
        ("aws-accounts", accounts),
        ("aws-policies", policies),
        ("users", u),
        ("permanent-access", grants),
    ];
    if roles > 0 {
        files.push(("roles", r));
    }
    write_team(dir, team, &files);
}

async fn populate(
    iam: &aws_sdk_iam::Client,
    account: &str,
    users: usize,
    roles: usize,
    policies: usize,
) {
    let doc = |i: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{i}/*"}}]}}"#
        )
    };
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    stream::iter(0..policies)
        .map(|i| async move {
            iam.create_policy()
                .policy_name(format!("pop-p{i}"))
                .policy_document(doc(i))
                .send()
                .await
                .expect("CreatePolicy");
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let arn = |i: usize| format!("arn:aws:iam::{account}:policy/pop-p{}", i % policies.max(1));
    stream::iter(0..users)
        .map(|i| async move {
            let tag = aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("pop")
                .build()
                .expect("tag");
            iam.create_user()
                .user_name(format!("pop-u{i}"))
                .tags(tag)
                .send()
                .await
                .expect("CreateUser");
            iam.attach_user_policy()
                .user_name(format!("pop-u{i}"))
                .policy_arn(arn(i))
                .send()
                .await
                .expect("AttachUserPolicy");
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let trust = &trust;
    stream::iter(0..roles)
        .map(|i| async move {
            iam.create_role()
                .role_name(format!("pop-r{i}"))
                .assume_role_policy_document(trust)
                .send()
                .await
                .expect("CreateRole");
            iam.attach_role_policy()
                .role_name(format!("pop-r{i}"))
                .policy_arn(arn(users + i))
                .send()
                .await
                .expect("AttachRolePolicy");
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// The per-entity read Terraform's refresh makes, `parallelism` resources at a
/// time; returns the number of calls made.
async fn terraform_read(
    iam: &aws_sdk_iam::Client,
    users: &[String],
    roles: &[String],
    policies: &[String],
    parallelism: usize,
) -> usize {
    enum R {
        U(String),
        Ro(String),
        P(String),
    }
    let all: Vec<R> = users
        .iter()
        .cloned()
        .map(R::U)
        .chain(roles.iter().cloned().map(R::Ro))
        .chain(policies.iter().cloned().map(R::P))
        .collect();
    let counts: Vec<usize> = stream::iter(all)
        .map(|r| async move {
            match r {
                R::U(n) => {
                    iam.get_user().user_name(&n).send().await.expect("GetUser");
                    iam.list_user_tags()
                        .user_name(&n)
                        .send()
                        .await
                        .expect("ListUserTags");
                    iam.list_attached_user_policies()
                        .user_name(&n)
                        .send()
                        .await
                        .expect("ListAttachedUserPolicies");
                    iam.list_user_policies()
                        .user_name(&n)
                        .send()
                        .await
                        .expect("ListUserPolicies");
                    4
                }
                R::Ro(n) => {
                    iam.get_role().role_name(&n).send().await.expect("GetRole");
                    iam.list_attached_role_policies()
                        .role_name(&n)
                        .send()
                        .await
                        .expect("ListAttachedRolePolicies");
                    iam.list_role_policies()
                        .role_name(&n)
                        .send()
                        .await
                        .expect("ListRolePolicies");
                    3
                }
                R::P(arn) => {
                    let p = iam
                        .get_policy()
                        .policy_arn(&arn)
                        .send()
                        .await
                        .expect("GetPolicy");
                    let v = p
                        .policy()
                        .and_then(|p| p.default_version_id())
                        .unwrap_or("v1")
                        .to_string();
                    iam.get_policy_version()
                        .policy_arn(&arn)
                        .version_id(v)
                        .send()
                        .await
                        .expect("GetPolicyVersion");
                    iam.list_policy_tags()
                        .policy_arn(&arn)
                        .send()
                        .await
                        .expect("ListPolicyTags");
                    3
                }
            }
        })
        .buffer_unordered(parallelism)
        .collect()
        .await;
    counts.into_iter().sum()
}

// ---- a proxy that adds network latency ---------------------------------------

/// One HTTP/1.1 message.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_message(r: &mut impl std::io::BufRead, to_eof: bool) -> std::io::Result<Option<Message>> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut start = String::new();
    if r.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let mut m = Message {
        start: start.trim_end().to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    for _ in 0..200 {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("end of stream in headers"));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').ok_or_else(|| bad("bad header"))?;
        m.headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let header = |name: &str| {
        m.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        for _ in 0..100_000 {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("bad chunk size"))?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            m.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = header("content-length") {
        m.body = vec![0; n.parse().map_err(|_| bad("bad content-length"))?];
        r.read_exact(&mut m.body)?;
    } else if to_eof {
        r.read_to_end(&mut m.body)?;
    }
    Ok(Some(m))
}

fn write_message(m: &Message, out: &mut impl Write, connection: &str) -> std::io::Result<()> {
    let mut head = format!("{}\r\n", m.start);
    for (k, v) in &m.headers {
        if ["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|h| k.eq_ignore_ascii_case(h))
        {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        m.body.len()
    ));
    // One write: a second small one would wait for a delayed ACK.
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&m.body);
    out.write_all(&bytes)?;
    out.flush()
}

fn relay(client: TcpStream, upstream: SocketAddr, latency: Duration) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    client.set_nodelay(true)?;
    let mut reader = std::io::BufReader::new(client.try_clone()?);
    let mut writer = client;
    for _ in 0..1_000_000 {
        let Some(req) = read_message(&mut reader, false)? else {
            break;
        };
        std::thread::sleep(latency);
        let up = TcpStream::connect_timeout(&upstream, Duration::from_secs(10))?;
        up.set_read_timeout(Some(Duration::from_secs(300)))?;
        up.set_nodelay(true)?;
        write_message(&req, &mut up.try_clone()?, "close")?;
        let resp = read_message(&mut std::io::BufReader::new(up), true)?
            .ok_or_else(|| std::io::Error::other("moto closed without answering"))?;
        write_message(&resp, &mut writer, "keep-alive")?;
    }
    Ok(())
}

/// Starts a proxy to `endpoint` that waits `latency` before each request,
/// like a network round trip; returns its URL. It serves until the
/// benchmark exits (at most 100,000 connections).
fn latency_proxy(endpoint: &str, latency: Duration) -> String {
    let upstream: SocketAddr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("moto's endpoint is http://127.0.0.1:PORT");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for client in listener.incoming().take(100_000).flatten() {
            std::thread::spawn(move || {
                let _ = relay(client, upstream, latency);
            });
        }
    });
    url
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("IAMCTL_BENCH_ENDPOINT")
        .expect("IAMCTL_BENCH_ENDPOINT (use scripts/bench-iac)");
    let bin = std::env::var("IAMCTL_BENCH_BIN").expect("IAMCTL_BENCH_BIN (use scripts/bench-iac)");
    let scale = scale_of(std::env::args().skip(1).collect());
    let n = move |full: usize| ((full as f64 * scale).round() as usize).max(1);
    let creds = aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "bench");
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(creds)
        .load()
        .await;
    let dir = std::env::temp_dir().join(format!("iamctl-bench-iac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let b = Bench {
        endpoint,
        bin,
        log: std::env::var_os("IAMCTL_BENCH_MOTO_LOG").map(PathBuf::from),
        base,
        dir: dir.clone(),
    };
    let total = Instant::now();
    big_account(&b, &dir, &n).await;
    // b) and c) run twice: straight to moto, and through a proxy that adds a
    // round trip's latency to each request, as a real network does.
    let latency = Duration::from_millis(20);
    let slow = Bench {
        endpoint: latency_proxy(&b.endpoint, latency),
        ..b.clone()
    };
    let ways = [("straight to moto", &b), ("+20 ms per request", &slow)];

    many_changes(&ways, &dir, &n);
    many_accounts(&b, &ways, &dir, &n);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "benchmark finished in {:.0} s",
        total.elapsed().as_secs_f64()
    );
}

/// `--quick` (0.1) or `--scale F` (0 < F <= 1); else 1.
fn scale_of(args: Vec<String>) -> f64 {
    let mut scale = 1.0f64;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--quick" => scale = 0.1,
            "--scale" => {
                scale = args
                    .get(i + 1)
                    .and_then(|s| s.parse().ok())
                    .filter(|s: &f64| *s > 0.0 && *s <= 1.0)
                    .expect("--scale F, 0 < F <= 1");
                i += 1;
            }
            other => panic!("unknown argument `{other}` (use --quick or --scale F)"),
        }
        i += 1;
    }
    scale
}

/// a) plan on a big account, next to a per-entity read.
async fn big_account(b: &Bench, dir: &std::path::Path, n: &dyn Fn(usize) -> usize) {
    let (users, roles, policies) = (n(2000), n(1000), n(2000));
    let account = "100000000001";
    let cfg = dir.join("big");
    config(&cfg, "bench", &[("big".into(), account.into())], 1, 0);
    let cfg_s = cfg.display().to_string();
    eprintln!(
        "a) populating account {account}: {users} users, {roles} roles, {policies} policies..."
    );
    b.iamctl_ok(&["apply", &cfg_s, "--yes"], &[0]);
    let iam = b.iam_in(account).await;
    let t = Instant::now();
    populate(&iam, account, users, roles, policies).await;
    eprintln!("   populated in {}", ms(t.elapsed()));
    let mut plan_times = Vec::new();
    let mut plan_calls = None;
    for _ in 0..3 {
        let (d, _, c) = b.counted(|| b.iamctl_ok(&["plan", &cfg_s, "--detailed-exitcode"], &[0]));
        plan_times.push(d);
        plan_calls = c;
    }
    let plan_a = median(plan_times);
    let user_names: Vec<String> = (0..users)
        .map(|i| format!("pop-u{i}"))
        .chain(std::iter::once("bench-u0".into()))
        .collect();
    let role_names: Vec<String> = (0..roles).map(|i| format!("pop-r{i}")).collect();
    let policy_arns: Vec<String> = (0..policies)
        .map(|i| format!("arn:aws:iam::{account}:policy/pop-p{i}"))
        .chain(std::iter::once(format!(
            // made by iamctl apply: under `settings.iam_path` (default
            // `/iamctl/`) and the team's name
            "arn:aws:iam::{account}:policy/iamctl/bench/bench-p0"
        )))
        .collect();
    let before = b.requests();
    let t = Instant::now();
    let tf_calls = terraform_read(&iam, &user_names, &role_names, &policy_arns, 10).await;
    let tf_time = t.elapsed();
    let tf_logged = before.zip(b.requests()).map(|(x, y)| y - x);
    let line_a1 = format!(
        "a) read of an account with {} users, {roles} roles, {} customer policies:",
        users + 1,
        policies + 1
    );
    let line_a2 = format!(
        "   per-entity read (Terraform's calls, parallelism 10): {tf_calls} calls ({}), {}",
        calls(tf_logged),
        ms(tf_time)
    );
    let line_a3 = format!(
        "   iamctl plan (median of 3):                            {}, {}",
        calls(plan_calls),
        ms(plan_a)
    );
    let line_a4 = format!(
        "   ratio: {:.1}x fewer calls, {:.1}x faster",
        tf_logged.unwrap_or(tf_calls as u64) as f64 / plan_calls.unwrap_or(1).max(1) as f64,
        tf_time.as_secs_f64() / plan_a.as_secs_f64()
    );
    for l in [&line_a1, &line_a2, &line_a3, &line_a4] {
        println!("{l}");
    }
}

/// b) apply of ~1,000 changes at concurrency 8 and 1.
fn many_changes(ways: &[(&str, &Bench)], dir: &std::path::Path, n: &dyn Fn(usize) -> usize) {
    // Each user and role brings three changes (create, policy, attach).
    let principals = n(1000) / 3;
    let (bu, br) = (principals - principals / 3, principals / 3);
    let changes = 3 * (bu + br);
    println!(
        "b) apply of {changes} changes ({bu} users, {br} roles, {} policies, {} attachments), a fresh account each:",
        bu + br,
        bu + br
    );
    let mut next_account = 100_000_000_002u64;
    for &(way, bench) in ways {
        let mut times = Vec::new();
        for conc in ["8", "1"] {
            let account = format!("{next_account:012}");
            next_account += 1;
            let cfg = dir.join(format!("apply-{account}"));
            config(&cfg, "ap", &[("e".into(), account)], bu, br);
            let cfg_s = cfg.display().to_string();
            // Warm up: moto loads the AWS-managed policies on an account's first use.
            bench.iamctl_ok(&["plan", &cfg_s], &[0]);
            let (d, _, c) = bench.counted(|| {
                bench.iamctl_ok(&["apply", &cfg_s, "--yes", "--concurrency", conc], &[0])
            });
            bench.iamctl_ok(&["plan", &cfg_s, "--detailed-exitcode"], &[0]);
            println!("   {way}, --concurrency {conc}: {}, {}", calls(c), ms(d));
            times.push(d);
        }
        println!(
            "   {way}: ratio {:.1}x (concurrency 1 / default 8)",
            times[1].as_secs_f64() / times[0].as_secs_f64()
        );
    }
}

/// c) plan over 50 accounts, next to 50 plans one after another.
fn many_accounts(
    b: &Bench,
    ways: &[(&str, &Bench)],
    dir: &std::path::Path,
    n: &dyn Fn(usize) -> usize,
) {
    let accounts = n(50).max(2);
    let envs: Vec<(String, String)> = (0..accounts)
        .map(|i| {
            (
                format!("e{i:02}"),
                format!("{:012}", 200_000_000_000u64 + i as u64),
            )
        })
        .collect();
    let cfg = dir.join("multi");
    config(&cfg, "mu", &envs, 3, 1);
    let cfg_s = cfg.display().to_string();
    eprintln!("c) populating {accounts} accounts with iamctl apply...");
    b.iamctl_ok(&["apply", &cfg_s, "--yes"], &[0]);
    println!("c) plan over {accounts} accounts (3 users, 1 role, 4 policies each):");
    for &(way, bench) in ways {
        let (all, _, all_calls) =
            bench.counted(|| bench.iamctl_ok(&["plan", &cfg_s, "--detailed-exitcode"], &[0]));
        let (seq, _, seq_calls) = bench.counted(|| {
            let t = Instant::now();
            for (env, _) in &envs {
                bench.iamctl_ok(&["plan", &cfg_s, "--env", env, "--detailed-exitcode"], &[0]);
            }
            t.elapsed()
        });
        println!(
            "   {way}: {accounts} plans one after another (--env E): {}, {}; one plan over all: {}, {}; ratio {:.1}x",
            calls(seq_calls),
            ms(seq),
            calls(all_calls),
            ms(all),
            seq.as_secs_f64() / all.as_secs_f64()
        );
    }
}
