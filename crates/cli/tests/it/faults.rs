//! Fault tests for IAM as code: a proxy between iamctl and moto throttles,
//! fails with 5xx and drops connections (before and after moto acted), and
//! apply must still converge; apply killed with SIGKILL at random points must
//! converge on the rerun, with nothing orphaned or duplicated.
//!
//! The proxy is a small HTTP/1.1 forwarder on std threads: request line,
//! headers and a Content-Length (or chunked) body; each request goes to moto
//! on a fresh connection and the answer comes back with a Content-Length.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::Env;

// ---- a seeded RNG (splitmix64) -------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ---- the proxy -------------------------------------------------------------

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// 400 with IAM's `Throttling` error.
    Throttle,
    /// 500 `InternalFailure`.
    Internal,
    /// 503 `ServiceUnavailable`.
    Unavailable,
    /// Close the connection without forwarding.
    DropBefore,
    /// Forward (moto acts), then close without answering.
    DropAfter,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    mutations: AtomicU64,
    throttled: AtomicU64,
    internal: AtomicU64,
    unavailable: AtomicU64,
    drop_before: AtomicU64,
    drop_after: AtomicU64,
}

impl Stats {
    fn faults(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
            + self.internal.load(Ordering::SeqCst)
            + self.unavailable.load(Ordering::SeqCst)
            + self.drop_before.load(Ordering::SeqCst)
            + self.drop_after.load(Ordering::SeqCst)
    }

    fn describe(&self) -> String {
        format!(
            "{} request(s), {} fault(s): {} throttled, {} HTTP 500, {} HTTP 503, {} dropped before forwarding, {} dropped after forwarding",
            self.requests.load(Ordering::SeqCst),
            self.faults(),
            self.throttled.load(Ordering::SeqCst),
            self.internal.load(Ordering::SeqCst),
            self.unavailable.load(Ordering::SeqCst),
            self.drop_before.load(Ordering::SeqCst),
            self.drop_after.load(Ordering::SeqCst),
        )
    }
}

struct Settings {
    /// Faults per thousand requests.
    per_mille: u64,
    /// Added before forwarding each request.
    delay: Duration,
    /// Faults for the next request of an IAM action, each used once.
    targeted: Vec<(&'static str, Fault)>,
}

struct Proxy {
    url: String,
    addr: SocketAddr,
    stats: Arc<Stats>,
    settings: Arc<Mutex<Settings>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(upstream: &str, seed: u64, settings: Settings) -> Proxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("moto's endpoint is http://127.0.0.1:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("proxy address");
        let stats = Arc::new(Stats::default());
        let settings = Arc::new(Mutex::new(settings));
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(Rng(seed)));
        {
            let (stats, settings, stop) = (stats.clone(), settings.clone(), stop.clone());
            std::thread::spawn(move || {
                // Bounded: stops when the proxy is dropped, after at most
                // an hour, or after 200,000 connections.
                let start = Instant::now();
                let mut accepted = 0u32;
                while !stop.load(Ordering::SeqCst)
                    && start.elapsed() < Duration::from_secs(3600)
                    && accepted < 200_000
                {
                    match listener.accept() {
                        Ok((client, _)) => {
                            accepted += 1;
                            let (stats, settings, rng, stop) =
                                (stats.clone(), settings.clone(), rng.clone(), stop.clone());
                            std::thread::spawn(move || {
                                let _ = serve(client, upstream, &stats, &settings, &rng, &stop);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            });
        }
        Proxy {
            url: format!("http://{addr}"),
            addr,
            stats,
            settings,
            stop,
        }
    }

    fn set_faults(&self, per_mille: u64) {
        self.settings.lock().expect("settings").per_mille = per_mille;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// One HTTP/1.1 message: head lines and body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Start line and headers other than framing ones, then ours.
    fn write(&self, out: &mut impl Write, connection: &str) -> std::io::Result<()> {
        let mut head = format!("{}\r\n", self.start);
        for (k, v) in &self.headers {
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
            self.body.len()
        ));
        // One write: a second small one would wait for a delayed ACK.
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        out.write_all(&bytes)?;
        out.flush()
    }
}

/// Reads one message; `None` at a clean end of stream. `to_eof`: a response
/// without length runs to the end of the stream.
fn read_message(r: &mut impl BufRead, to_eof: bool) -> std::io::Result<Option<Message>> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut start = String::new();
    if r.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let start = start.trim_end().to_string();
    let mut headers = Vec::new();
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
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut m = Message {
        start,
        headers,
        body: Vec::new(),
    };
    if m.header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
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
    } else if let Some(n) = m.header("content-length") {
        let n: usize = n.parse().map_err(|_| bad("bad content-length"))?;
        m.body = vec![0; n];
        r.read_exact(&mut m.body)?;
    } else if to_eof {
        r.read_to_end(&mut m.body)?;
    }
    Ok(Some(m))
}

fn error_response(status: &str, code: &str, kind: &str, message: &str) -> Message {
    let body = format!(
        "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>"
    );
    Message {
        start: format!("HTTP/1.1 {status}"),
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: body.into_bytes(),
    }
}

/// IAM and STS actions that change nothing.
fn is_mutation(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let action = text
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("");
    !(action.starts_with("Get")
        || action.starts_with("List")
        || action.starts_with("AssumeRole")
        || action.is_empty())
}

fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    stats: &Stats,
    settings: &Mutex<Settings>,
    rng: &Mutex<Rng>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    client.set_nodelay(true)?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    for _ in 0..100_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Some(req) = read_message(&mut reader, false)? else {
            break;
        };
        stats.requests.fetch_add(1, Ordering::SeqCst);
        let (per_mille, delay, targeted) = {
            let mut s = settings.lock().expect("settings");
            let body = String::from_utf8_lossy(&req.body);
            let action = body
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .unwrap_or("")
                .to_string();
            let targeted = s
                .targeted
                .iter()
                .position(|(a, _)| *a == action)
                .map(|i| s.targeted.remove(i).1);
            (s.per_mille, s.delay, targeted)
        };
        let fault = if let Some(f) = targeted {
            f
        } else {
            let mut rng = rng.lock().expect("rng");
            if rng.below(1000) < per_mille {
                match rng.below(5) {
                    0 => Fault::Throttle,
                    1 => Fault::Internal,
                    2 => Fault::Unavailable,
                    3 => Fault::DropBefore,
                    _ => Fault::DropAfter,
                }
            } else {
                Fault::None
            }
        };
        let reply = match fault {
            Fault::Throttle => {
                stats.throttled.fetch_add(1, Ordering::SeqCst);
                Some(error_response(
                    "400 Bad Request",
                    "Throttling",
                    "Sender",
                    "Rate exceeded",
                ))
            }
            Fault::Internal => {
                stats.internal.fetch_add(1, Ordering::SeqCst);
                Some(error_response(
                    "500 Internal Server Error",
                    "InternalFailure",
                    "Receiver",
                    "injected failure",
                ))
            }
            Fault::Unavailable => {
                stats.unavailable.fetch_add(1, Ordering::SeqCst);
                Some(error_response(
                    "503 Service Unavailable",
                    "ServiceUnavailable",
                    "Receiver",
                    "injected unavailability",
                ))
            }
            Fault::DropBefore => {
                stats.drop_before.fetch_add(1, Ordering::SeqCst);
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return Ok(());
            }
            Fault::None | Fault::DropAfter => None,
        };
        if let Some(reply) = reply {
            reply.write(&mut writer, "keep-alive")?;
            continue;
        }
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        if is_mutation(&req.body) {
            stats.mutations.fetch_add(1, Ordering::SeqCst);
        }
        let up = TcpStream::connect_timeout(&upstream, Duration::from_secs(10))?;
        up.set_read_timeout(Some(Duration::from_secs(120)))?;
        up.set_nodelay(true)?;
        let mut up_w = up.try_clone()?;
        req.write(&mut up_w, "close")?;
        let resp = read_message(&mut BufReader::new(up), true)?
            .ok_or_else(|| std::io::Error::other("moto closed without answering"))?;
        if fault == Fault::DropAfter {
            stats.drop_after.fetch_add(1, Ordering::SeqCst);
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        resp.write(&mut writer, "keep-alive")?;
    }
    Ok(())
}

// ---- the configuration -----------------------------------------------------

const TEAM: &str = "ft";
const S3RO: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Who {
    User,
    Role,
    Group,
}

/// A configuration and, from the same data, what the account must hold.
#[derive(Clone)]
struct Spec {
    /// Policy key to the bucket its one statement reads; key `s3ro` is the
    /// AWS-managed `AmazonS3ReadOnlyAccess`.
    policies: BTreeMap<String, String>,
    users: Vec<String>,
    roles: Vec<String>,
    groups: BTreeMap<String, Vec<String>>,
    grants: Vec<(Who, String, Vec<String>)>,
    /// Until 2026-03-24 (the fixed clock is 2026-03-21).
    temporary: Vec<(Who, String, String)>,
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{TEAM}-{prefix}{i}")).collect()
}

fn spec_a() -> Spec {
    let mut policies: BTreeMap<String, String> = (0..8)
        .map(|i| (format!("p{i}"), format!("bucket-{i}")))
        .collect();
    policies.insert("s3ro".into(), String::new());
    let users = names("u", 10);
    let roles = names("r", 4);
    let mut groups = BTreeMap::new();
    groups.insert(format!("{TEAM}-g0"), users[0..5].to_vec());
    groups.insert(format!("{TEAM}-g1"), users[5..10].to_vec());
    let mut grants = Vec::new();
    for (i, u) in users.iter().enumerate() {
        grants.push((Who::User, u.clone(), vec![format!("p{}", i % 8)]));
    }
    for (i, r) in roles.iter().enumerate() {
        grants.push((Who::Role, r.clone(), vec![format!("p{}", i + 4)]));
    }
    grants.push((
        Who::Group,
        format!("{TEAM}-g0"),
        vec!["p0".into(), "p1".into(), "s3ro".into()],
    ));
    grants.push((Who::Group, format!("{TEAM}-g1"), vec!["p2".into()]));
    let temporary = vec![
        (Who::User, format!("{TEAM}-u1"), "p3".into()),
        (Who::Role, format!("{TEAM}-r0"), "s3ro".into()),
    ];
    Spec {
        policies,
        users,
        roles,
        groups,
        grants,
        temporary,
    }
}

/// A second version: documents changed, users, a role and a policy removed,
/// memberships and grants moved.
fn spec_b() -> Spec {
    let mut s = spec_a();
    for k in ["p0", "p1", "p2"] {
        s.policies.insert(k.into(), format!("changed-{k}"));
    }
    s.policies.remove("p7");
    s.users.retain(|u| !u.ends_with("u8") && !u.ends_with("u9"));
    s.roles.retain(|r| !r.ends_with("r3"));
    s.groups
        .insert(format!("{TEAM}-g1"), names("u", 8)[5..8].to_vec());
    s.grants.retain(|(_, who, keys)| {
        !who.ends_with("u8") && !who.ends_with("u9") && !who.ends_with("r3") && keys[0] != "p7"
    });
    for g in &mut s.grants {
        if g.1.ends_with("u2") {
            g.2.push("p5".into());
        }
        if g.1.ends_with("g0") {
            g.2.retain(|k| k != "s3ro");
        }
    }
    s
}

/// The ARN of a policy of the team's, made under the default IAM path of
/// ours (`/iamctl/<team>/`).
fn ours(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy/iamctl/{TEAM}/{name}")
}

fn write_config(dir: &Path, account: &str, s: &Spec) {
    let _ = std::fs::remove_dir_all(dir);
    let write = |kind: &str, text: String| {
        let d = dir.join(kind);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(format!("{TEAM}.yaml")), text).expect("write config");
    };
    write(
        "aws-accounts",
        format!("aws-accounts:\n  test: \"{account}\"\n"),
    );
    let mut p = String::from("aws-policies:\n");
    for (key, bucket) in &s.policies {
        if key == "s3ro" {
            p.push_str(&format!(
                "  {key}:\n    description: \"S3 read-only\"\n    managed_policies:\n      - \"{S3RO}\"\n"
            ));
        } else {
            p.push_str(&format!(
                "  {key}:\n    description: \"read {bucket}\"\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\", \"s3:ListBucket\"]\n        resources: [\"arn:aws:s3:::{bucket}\", \"arn:aws:s3:::{bucket}/*\"]\n"
            ));
        }
    }
    write("aws-policies", p);
    let mut u = String::from("users:\n");
    for name in &s.users {
        u.push_str(&format!(
            "  {name}:\n    tags:\n      cost-centre: \"42\"\n"
        ));
    }
    write("users", u);
    let mut r = String::from("roles:\n");
    for (i, name) in s.roles.iter().enumerate() {
        r.push_str(&format!(
            "  {name}:\n    description: \"role {i}\"\n    trust:\n      users: [{}]\n      require_mfa: {}\n",
            s.users[i],
            i % 2 == 0
        ));
    }
    write("roles", r);
    let mut g = String::from("groups:\n");
    for (name, members) in &s.groups {
        g.push_str(&format!(
            "  {name}:\n    members: [{}]\n",
            members.join(", ")
        ));
    }
    write("groups", g);
    let mut pa = String::from("permanent-access:\n");
    for (who, name, keys) in &s.grants {
        let field = match who {
            Who::User => "users",
            Who::Role => "roles",
            Who::Group => "groups",
        };
        pa.push_str(&format!(
            "  - description: grant for {name}\n    {field}: [{name}]\n    environments: [test]\n    grants: [{}]\n",
            keys.join(", ")
        ));
    }
    write("permanent-access", pa);
    let mut ta = String::from("temporary-access:\n");
    for (who, name, key) in &s.temporary {
        let field = match who {
            Who::User => "user",
            Who::Role => "role",
            Who::Group => "group",
        };
        ta.push_str(&format!(
            "  - description: temporary {key} for {name}\n    expiration_date: 2026-03-24\n    {field}: {name}\n    environment: test\n    grant: {key}\n"
        ));
    }
    write("temporary-access", ta);
}

/// Desired customer-managed policy names, and for each the bucket its
/// default document must mention (empty: a copy of AmazonS3ReadOnlyAccess).
fn expected_policies(s: &Spec) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = s
        .policies
        .iter()
        .filter(|(k, _)| *k != "s3ro")
        .map(|(k, b)| (format!("{TEAM}-{k}"), b.clone()))
        .collect();
    for (_, who, key) in &s.temporary {
        let name = if key == "s3ro" {
            format!("{TEAM}-{key}-{who}-AmazonS3ReadOnlyAccess-temporary")
        } else {
            format!("{TEAM}-{key}-{who}-temporary")
        };
        out.insert(name, s.policies[key].clone());
    }
    out
}

/// Desired attachments (policy names, or the AWS-managed ARN) per principal.
fn expected_attachments(s: &Spec) -> BTreeMap<(Who, String), BTreeSet<String>> {
    let mut out: BTreeMap<(Who, String), BTreeSet<String>> = BTreeMap::new();
    for u in &s.users {
        out.entry((Who::User, u.clone())).or_default();
    }
    for r in &s.roles {
        out.entry((Who::Role, r.clone())).or_default();
    }
    for g in s.groups.keys() {
        out.entry((Who::Group, g.clone())).or_default();
    }
    for (who, name, keys) in &s.grants {
        let set = out.entry((*who, name.clone())).or_default();
        for k in keys {
            set.insert(if k == "s3ro" {
                S3RO.to_string()
            } else {
                format!("{TEAM}-{k}")
            });
        }
    }
    for (who, name, key) in &s.temporary {
        let policy = if key == "s3ro" {
            format!("{TEAM}-{key}-{name}-AmazonS3ReadOnlyAccess-temporary")
        } else {
            format!("{TEAM}-{key}-{name}-temporary")
        };
        out.entry((*who, name.clone())).or_default().insert(policy);
    }
    out
}

// ---- running iamctl ---------------------------------------------------------

/// Runs iamctl with output to files and a deadline; `kill_when` is polled
/// every 2 ms and a true answer SIGKILLs the process.
fn run_iamctl(
    env: &Env,
    args: &[&str],
    deadline: Duration,
    mut kill_when: impl FnMut(Duration) -> bool,
) -> (Option<i32>, String) {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let n = RUN.fetch_add(1, Ordering::SeqCst);
    let out_path = env.path(&format!("run-{n}.out"));
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut cmd = env.pty_command(args);
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out);
    let mut child: Child = cmd.spawn().expect("run iamctl");
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(&out_path).unwrap_or_default();
            panic!("iamctl {args:?} ran past {deadline:?}:\n{text}");
        }
        if kill_when(start.elapsed()) {
            child.kill().expect("SIGKILL iamctl");
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    (code, text)
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Applies through `endpoint` until a run exits 0 (at most `max_runs`);
/// returns the number of runs.
fn apply_until_converged(env: &Env, dir: &str, endpoint: &str, max_runs: usize) -> usize {
    let mut transcript = String::new();
    for run in 1..=max_runs {
        let (code, text) = run_iamctl(
            env,
            &["--endpoint-url", endpoint, "apply", dir, "--yes"],
            Duration::from_secs(300),
            |_| false,
        );
        eprintln!("apply run {run}: exit {code:?}\n{}", last_lines(&text, 4));
        transcript.push_str(&format!("--- run {run}: exit {code:?}\n{text}\n"));
        if code == Some(0) {
            return run;
        }
    }
    panic!("apply did not converge in {max_runs} runs:\n{transcript}");
}

/// A killed apply leaves its account locked until the lock's lease runs out
/// (docs/locking.md); the test does not wait the ten minutes: it removes the
/// lock (the user `iamctl-lock`) as `--force-unlock` would.
async fn lapse_lock(env: &Env) {
    let _ = env.iam.delete_user().user_name("iamctl-lock").send().await;
}

/// `plan --detailed-exitcode` straight against moto: no changes.
fn assert_no_changes(env: &Env, dir: &str) {
    let (code, text) = run_iamctl(
        env,
        &["plan", dir, "--detailed-exitcode"],
        Duration::from_secs(120),
        |_| false,
    );
    assert_eq!(code, Some(0), "plan after convergence:\n{text}");
    assert!(text.contains("no changes"), "{text}");
}

// ---- the account, through the SDK -------------------------------------------

fn tagged_ours(tags: &[aws_sdk_iam::types::Tag]) -> bool {
    tags.iter()
        .any(|t| t.key() == "managed-by" && t.value() == "iamctl")
}

/// Every user, role, group and customer-managed policy equals what `s`
/// wants: nothing missing, nothing extra, one default version each.
async fn assert_account_matches(env: &Env, s: &Spec) {
    let iam = &env.iam;
    let users = iam
        .list_users()
        .max_items(1000)
        .send()
        .await
        .expect("ListUsers");
    let have: BTreeSet<String> = users
        .users()
        .iter()
        .map(|u| u.user_name().to_string())
        .collect();
    let want: BTreeSet<String> = s.users.iter().cloned().collect();
    assert_eq!(have, want, "users");
    assert_eq!(users.users().len(), want.len(), "no duplicated user");
    for u in &s.users {
        let tags = iam
            .list_user_tags()
            .user_name(u)
            .send()
            .await
            .expect("ListUserTags");
        assert!(tagged_ours(tags.tags()), "user {u} is tagged ours");
    }
    let roles = iam
        .list_roles()
        .max_items(1000)
        .send()
        .await
        .expect("ListRoles");
    let have: BTreeSet<String> = roles
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    assert_eq!(
        have,
        s.roles.iter().cloned().collect::<BTreeSet<_>>(),
        "roles"
    );
    let groups = iam.list_groups().send().await.expect("ListGroups");
    let have: BTreeSet<String> = groups
        .groups()
        .iter()
        .map(|g| g.group_name().to_string())
        .collect();
    // IAM groups carry no tags, so iamctl never deletes one: all of spec A's
    // groups stay, and spec B keeps them all anyway.
    assert_eq!(
        have,
        s.groups.keys().cloned().collect::<BTreeSet<_>>(),
        "groups"
    );
    for (g, members) in &s.groups {
        let out = iam
            .get_group()
            .group_name(g)
            .send()
            .await
            .expect("GetGroup");
        let have: BTreeSet<String> = out
            .users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect();
        assert_eq!(
            have,
            members.iter().cloned().collect::<BTreeSet<_>>(),
            "members of {g}"
        );
    }

    // Customer-managed policies: exactly the desired ones, each with one
    // default version whose document is the desired one.
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .max_items(1000)
        .send()
        .await
        .expect("ListPolicies");
    let want = expected_policies(s);
    let have: Vec<String> = policies
        .policies()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_string))
        .collect();
    assert_eq!(
        have.iter().cloned().collect::<BTreeSet<_>>(),
        want.keys().cloned().collect::<BTreeSet<_>>(),
        "customer-managed policies"
    );
    assert_eq!(have.len(), want.len(), "no duplicated policy");
    for (name, bucket) in &want {
        let arn = ours(&env.account, name);
        let tags = iam
            .list_policy_tags()
            .policy_arn(&arn)
            .send()
            .await
            .expect("ListPolicyTags");
        assert!(tagged_ours(tags.tags()), "policy {name} is tagged ours");
        let versions = iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .expect("ListPolicyVersions");
        let defaults: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| v.is_default_version())
            .collect();
        assert_eq!(defaults.len(), 1, "one default version of {name}");
        assert!(versions.versions().len() <= 5, "{name}: at most 5 versions");
        let v = iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(defaults[0].version_id().unwrap_or_default())
            .send()
            .await
            .expect("GetPolicyVersion");
        let doc = crate::harness::decode_policy(
            v.policy_version()
                .and_then(|p| p.document())
                .unwrap_or_default(),
        );
        let text = doc.to_string();
        if bucket.is_empty() {
            assert!(
                text.contains("s3:Get*"),
                "{name} copies S3 read-only: {text}"
            );
        } else {
            assert!(
                text.contains(&format!("arn:aws:s3:::{bucket}/*")),
                "{name} reads {bucket}: {text}"
            );
        }
        if name.ends_with("-temporary") {
            assert!(
                text.contains("2026-03-24T23:59:59Z"),
                "{name} expires: {text}"
            );
        }
    }

    // Attachments.
    for ((who, name), want) in expected_attachments(s) {
        let arns: Vec<String> = match who {
            Who::User => iam
                .list_attached_user_policies()
                .user_name(&name)
                .send()
                .await
                .expect("ListAttachedUserPolicies")
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
            Who::Role => iam
                .list_attached_role_policies()
                .role_name(&name)
                .send()
                .await
                .expect("ListAttachedRolePolicies")
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
            Who::Group => iam
                .list_attached_group_policies()
                .group_name(&name)
                .send()
                .await
                .expect("ListAttachedGroupPolicies")
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
        };
        let have: BTreeSet<String> = arns
            .iter()
            .map(|a| {
                if a.contains(":aws:policy/") {
                    a.clone()
                } else {
                    a.rsplit('/').next().unwrap_or(a).to_string()
                }
            })
            .collect();
        assert_eq!(have, want, "policies attached to {who:?} {name}");
        assert_eq!(arns.len(), want.len(), "no duplicated attachment on {name}");
    }
}

/// Total versions of the account's customer-managed policies (for the report).
async fn version_count(env: &Env) -> usize {
    let policies = env
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .max_items(1000)
        .send()
        .await
        .expect("ListPolicies");
    let mut n = 0;
    for p in policies.policies() {
        let v = env
            .iam
            .list_policy_versions()
            .policy_arn(p.arn().unwrap_or_default())
            .send()
            .await
            .expect("ListPolicyVersions");
        n += v.versions().len();
    }
    n
}

// ---- the tests ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_through_throttling_5xx_and_dropped_connections() {
    let env = Env::new().await;
    let proxy = Proxy::start(
        &env.endpoint,
        0x1a2c_0001,
        Settings {
            per_mille: 180,
            delay: Duration::ZERO,
            targeted: Vec::new(),
        },
    );
    let dir = env.path("iac");
    let dir_s = dir.display().to_string();

    write_config(&dir, &env.account, &spec_a());
    let runs_a = apply_until_converged(&env, &dir_s, &proxy.url, 5);
    let faults_a = proxy.stats.faults();
    eprintln!(
        "faults: spec A converged in {runs_a} run(s); {}",
        proxy.stats.describe()
    );
    assert_no_changes(&env, &dir_s);
    assert_account_matches(&env, &spec_a()).await;

    write_config(&dir, &env.account, &spec_b());
    let runs_b = apply_until_converged(&env, &dir_s, &proxy.url, 5);
    eprintln!(
        "faults: spec B converged in {runs_b} run(s); {}",
        proxy.stats.describe()
    );
    // The final plan, once through the faulty proxy and once straight to moto.
    let (code, text) = run_iamctl(
        &env,
        &[
            "--endpoint-url",
            &proxy.url,
            "plan",
            &dir_s,
            "--detailed-exitcode",
        ],
        Duration::from_secs(120),
        |_| false,
    );
    assert_eq!(code, Some(0), "plan through the proxy:\n{text}");
    proxy.set_faults(0);
    assert_no_changes(&env, &dir_s);
    assert_account_matches(&env, &spec_b()).await;
    let total = proxy.stats.faults();
    assert!(
        faults_a > 0 && total > faults_a,
        "faults were injected in both applies: {}",
        proxy.stats.describe()
    );
    eprintln!(
        "faults: {total} injected in all; runs to converge: {runs_a} (create) and {runs_b} (change); {} policy version(s) in the account",
        version_count(&env).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_killed_at_random_points_converges_on_rerun() {
    let env = Env::new().await;
    // A delay per request makes the apply long enough to be killed midway.
    let proxy = Proxy::start(
        &env.endpoint,
        0,
        Settings {
            per_mille: 0,
            delay: Duration::from_millis(15),
            targeted: Vec::new(),
        },
    );
    let mut rng = Rng(0x6b11_0004);
    let dir = env.path("iac");
    let dir_s = dir.display().to_string();
    let mut kills = 0;
    let mut report = Vec::new();
    // Six rounds switch between the two versions (create, change, change
    // back, ...): users, roles and policies are created and deleted again, and
    // the changed policies reach IAM's five versions, so pruning is killed too.
    for round in 0..6 {
        let (label, spec) = if round % 2 == 0 {
            ("A", spec_a())
        } else {
            ("B", spec_b())
        };
        write_config(&dir, &env.account, &spec);
        let span = if round == 0 { 40 } else { 12 };
        // Kill at a random number of mutating requests seen by the proxy, or
        // at a random instant; bounded: at most 3 kills per round.
        let mut killed_here = Vec::new();
        for i in 0..3 {
            let base = proxy.stats.mutations.load(Ordering::SeqCst);
            let by_count = i != 1;
            let after_mutations = 1 + rng.below(span);
            let after_time = Duration::from_millis(200 + rng.below(1500));
            let (code, text) = run_iamctl(
                &env,
                &["--endpoint-url", &proxy.url, "apply", &dir_s, "--yes"],
                Duration::from_secs(300),
                |elapsed| {
                    if by_count {
                        proxy.stats.mutations.load(Ordering::SeqCst) - base >= after_mutations
                    } else {
                        elapsed >= after_time
                    }
                },
            );
            let done = proxy.stats.mutations.load(Ordering::SeqCst) - base;
            match code {
                None => {
                    kills += 1;
                    let point = if by_count {
                        format!("after {after_mutations} mutating request(s)")
                    } else {
                        format!("at {after_time:?}")
                    };
                    eprintln!("kill test (round {round}, {label}): SIGKILL {point}, {done} mutation(s) sent");
                    killed_here.push(done);
                    lapse_lock(&env).await;
                }
                Some(0) => {
                    eprintln!("kill test (round {round}, {label}): run {i} finished before the kill point");
                    break;
                }
                Some(c) => panic!("apply exited {c} without being killed:\n{text}"),
            }
        }
        let runs = apply_until_converged(&env, &dir_s, &proxy.url, 3);
        report.push(format!(
            "round {round} ({label}): killed after {killed_here:?} mutation(s), then {runs} run(s) to converge"
        ));
        assert_no_changes(&env, &dir_s);
        assert_account_matches(&env, &spec).await;
    }
    assert!(kills >= 2, "apply was killed midway at least twice");
    eprintln!(
        "kill test: {}; {} policy version(s) in the account; {}",
        report.join("; "),
        version_count(&env).await,
        proxy.stats.describe()
    );
}

/// The policy's version ids, as IAM lists them.
async fn policy_versions(env: &Env, name: &str) -> Vec<String> {
    let arn = ours(&env.account, name);
    let v = env
        .iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .expect("ListPolicyVersions");
    let mut ids: Vec<String> = v
        .versions()
        .iter()
        .filter_map(|v| v.version_id().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

fn small_config(dir: &Path, account: &str, bucket: &str, users: &[&str]) {
    let write = |kind: &str, text: String| {
        let d = dir.join(kind);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(format!("{TEAM}.yaml")), text).expect("write config");
    };
    write(
        "aws-accounts",
        format!("aws-accounts:\n  test: \"{account}\"\n"),
    );
    write(
        "aws-policies",
        format!("aws-policies:\n  data:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"arn:aws:s3:::{bucket}/*\"]\n"),
    );
    let mut u = String::from("users:\n");
    for name in users {
        u.push_str(&format!("  {name}: {{}}\n"));
    }
    if users.is_empty() {
        u = "users: {}\n".into();
    }
    write("users", u);
}

/// Issue 12.9: the reply of a CreatePolicyVersion is lost after IAM acted.
/// Before, the SDK's retry pushed a second version with the same document;
/// now apply finds its version and pushes none.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_policy_version_reply_pushes_no_duplicate_version() {
    let env = Env::new().await;
    let proxy = Proxy::start(
        &env.endpoint,
        7,
        Settings {
            per_mille: 0,
            delay: Duration::ZERO,
            targeted: Vec::new(),
        },
    );
    let dir = env.path("iac");
    let dir_s = dir.display().to_string();
    small_config(&dir, &env.account, "one", &[]);
    apply_until_converged(&env, &dir_s, &env.endpoint, 1);
    let policy = format!("{TEAM}-data");
    assert_eq!(policy_versions(&env, &policy).await, ["v1"]);
    small_config(&dir, &env.account, "two", &[]);
    proxy.settings.lock().expect("settings").targeted =
        vec![("CreatePolicyVersion", Fault::DropAfter)];
    let runs = apply_until_converged(&env, &dir_s, &proxy.url, 1);
    assert_eq!(runs, 1);
    assert_eq!(proxy.stats.drop_after.load(Ordering::SeqCst), 1);
    assert_eq!(policy_versions(&env, &policy).await, ["v1", "v2"]);
    assert_no_changes(&env, &dir_s);
}

/// Issue 12.9: ListServiceSpecificCredentials is sent with the normal
/// retries; one throttle no longer fails the deletion of a user.
#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_list_service_specific_credentials_is_retried() {
    let env = Env::new().await;
    let proxy = Proxy::start(
        &env.endpoint,
        8,
        Settings {
            per_mille: 0,
            delay: Duration::ZERO,
            targeted: Vec::new(),
        },
    );
    let dir = env.path("iac");
    let dir_s = dir.display().to_string();
    small_config(&dir, &env.account, "one", &["gone@example.com"]);
    apply_until_converged(&env, &dir_s, &env.endpoint, 1);
    assert!(env.user_exists("gone").await);
    small_config(&dir, &env.account, "one", &[]);
    proxy.settings.lock().expect("settings").targeted =
        vec![("ListServiceSpecificCredentials", Fault::Throttle)];
    let runs = apply_until_converged(&env, &dir_s, &proxy.url, 1);
    assert_eq!(runs, 1);
    assert_eq!(proxy.stats.throttled.load(Ordering::SeqCst), 1);
    assert!(!env.user_exists("gone").await);
    assert_no_changes(&env, &dir_s);
}
