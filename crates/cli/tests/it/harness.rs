//! The test harness: one `moto_server` per test binary on a free 127.0.0.1 port,
//! and for each test a fresh AWS account inside it (moto keeps accounts apart; an
//! AssumeRole into `arn:aws:iam::<account>:role/...` acts in that account). The
//! real `iamctl` binary runs in a sealed environment: no inherited AWS_* variables,
//! its own HOME, a fixed clock. Tests check the account through the SDK.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const NOW: &str = "2026-03-21T11:36:28Z";

pub struct Moto {
    pub endpoint: String,
    _child: Mutex<Child>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server to start: `IAMCTL_MOTO_SERVER` when set, else the venv's
/// python running `scripts/moto_shim.py`: moto's own server with
/// the Identity Center calls moto 5.2.5 lacks (tags, permission-set
/// boundaries, provisioning status), added over moto's models. A test
/// stand-in, documented in the shim.
fn moto_server_cmd() -> (PathBuf, Option<PathBuf>) {
    if let Some(p) = std::env::var_os("IAMCTL_MOTO_SERVER") {
        return (PathBuf::from(p), None);
    }
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test, which creates the venv with moto",
        python.display()
    );
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/moto_shim.py");
    (python, Some(shim))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A `moto_server` of its own on a free port, stopped when the value is
/// dropped or, at the latest, when this test process exits.
pub fn start_moto() -> Moto {
    let port = free_port();
    // The shell waits on its stdin: when the pipe closes (the `Moto` is dropped,
    // or this test process exits, however it ends), moto is killed, so no server
    // outlives the tests.
    let (server, shim) = moto_server_cmd();
    let script = format!(
        "\"$0\" ${{1:+\"$1\"}} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"
    );
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(server)
        .arg(shim.map(|p| p.display().to_string()).unwrap_or_default())
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto_server did not listen on {endpoint} within 60s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        endpoint,
        _child: Mutex::new(child),
    }
}

/// The one `moto_server` this test binary shares between its tests.
fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start_moto)
}

/// A fresh 12-digit account id (moto makes the account on first use).
pub fn next_account() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let base = 200_000_000_000u64 + (u64::from(std::process::id()) % 1_000_000) * 1000;
    format!("{:012}", base + n)
}

/// SDK configuration for moto with these credentials.
pub async fn sdk_config(
    endpoint: &str,
    id: &str,
    secret: &str,
    token: Option<&str>,
) -> aws_config::SdkConfig {
    let creds =
        aws_sdk_iam::config::Credentials::new(id, secret, token.map(str::to_string), None, "test");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .load()
        .await
}

/// SDK configuration acting in `account` (moto keeps accounts apart: an
/// AssumeRole into a role of another account acts there).
pub async fn account_config(endpoint: &str, account: &str) -> aws_config::SdkConfig {
    let base = sdk_config(endpoint, "testing", "testing", None).await;
    let out = aws_sdk_sts::Client::new(&base)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/iamctl-check"))
        .role_session_name("iamctl-check")
        .send()
        .await
        .expect("assume a role into the account");
    let c = out.credentials().expect("credentials");
    sdk_config(
        endpoint,
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    )
    .await
}

/// What one run of `iamctl` did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// One test's account, its credentials, SDK clients to check it, and a temp dir.
pub struct Env {
    pub account: String,
    pub endpoint: String,
    key_id: String,
    secret: String,
    token: String,
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub dir: tempfile::TempDir,
    /// Everything every run printed, to look for leaked secrets.
    pub transcript: Mutex<String>,
}

impl Env {
    pub async fn new() -> Env {
        let moto = moto();
        let account = next_account();
        let base = sdk_config(&moto.endpoint, "testing", "testing", None).await;
        let sts = aws_sdk_sts::Client::new(&base);
        let out = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/iamctl-test"))
            .role_session_name("iamctl-test")
            .send()
            .await
            .expect("assume a role into the test's account");
        let c = out.credentials().expect("credentials");
        let (key_id, secret, token) = (
            c.access_key_id().to_string(),
            c.secret_access_key().to_string(),
            c.session_token().to_string(),
        );
        let conf = sdk_config(&moto.endpoint, &key_id, &secret, Some(&token)).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        Env {
            account,
            endpoint: moto.endpoint.clone(),
            key_id,
            secret,
            token,
            iam: aws_sdk_iam::Client::new(&conf),
            s3,
            dir: tempfile::tempdir().expect("temp dir"),
            transcript: Mutex::new(String::new()),
        }
    }

    /// This test's session credentials: key id, secret, session token.
    pub fn credentials(&self) -> (String, String, String) {
        (self.key_id.clone(), self.secret.clone(), self.token.clone())
    }

    /// The test session's own secret key, to check it is never printed.
    pub fn secret_for_tests(&self) -> String {
        self.secret.clone()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write a file in the test's dir and return its path as a string.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    }

    /// Run `iamctl` sealed: cleared environment, this test's account, fixed clock.
    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Out {
        self.run_full(args, stdin, &[])
    }

    /// The sealed command line for a run on a pseudo-terminal (interactive tests).
    pub fn pty_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamctl"));
        self.seal(&mut cmd);
        cmd.args(args);
        cmd
    }

    /// Run with some variables changed (`None` removes one).
    pub fn run_env(&self, args: &[&str], vars: &[(&str, Option<&str>)]) -> Out {
        self.run_full(args, None, vars)
    }

    /// Cleared environment, this test's account, fixed clock.
    fn seal(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TERM", "dumb")
            .env("AWS_CONFIG_FILE", self.path("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.path("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", &self.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_SESSION_TOKEN", &self.token)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("IAMCTL_NOW", NOW)
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
    }

    fn run_full(&self, args: &[&str], stdin: Option<&str>, vars: &[(&str, Option<&str>)]) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamctl"));
        self.seal(&mut cmd);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in vars {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut child = cmd.spawn().expect("run iamctl");
        {
            let mut sin = child.stdin.take().expect("stdin");
            if let Some(s) = stdin {
                sin.write_all(s.as_bytes()).expect("write stdin");
            }
        }
        let o = child.wait_with_output().expect("iamctl output");
        let out = Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        let mut t = self.transcript.lock().expect("transcript");
        t.push_str(&format!(
            "$ iamctl {}\n{}{}",
            args.join(" "),
            out.stdout,
            out.stderr
        ));
        out
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with_stdin(args, None)
    }

    /// Run with stdout a pipe whose reader is already closed (`| head -0`).
    pub fn run_closed_stdout(&self, args: &[&str]) -> Out {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamctl"));
        self.seal(&mut cmd);
        let o = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run iamctl");
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Run and expect exit 0.
    pub fn ok(&self, args: &[&str]) -> Out {
        let o = self.run(args);
        assert_eq!(
            o.code, 0,
            "iamctl {args:?} failed:\n{}{}",
            o.stdout, o.stderr
        );
        o
    }

    /// Run and expect the exit code; returns the output.
    pub fn fails(&self, args: &[&str], code: i32) -> Out {
        let o = self.run(args);
        assert_eq!(
            o.code, code,
            "iamctl {args:?}: expected exit {code}, got {}:\n{}{}",
            o.code, o.stdout, o.stderr
        );
        o
    }

    /// Assert that `secret` appears nowhere in what this test's runs printed.
    pub fn assert_secret_not_printed(&self, secret: &str) {
        assert!(secret.len() >= 20, "not a secret: {secret}");
        let t = self.transcript.lock().expect("transcript");
        assert!(!t.contains(secret), "a secret access key was printed:\n{t}");
    }

    // ---- account checks through the API ----------------------------------

    pub async fn user_exists(&self, name: &str) -> bool {
        match self.iam.get_user().user_name(name).send().await {
            Ok(_) => true,
            Err(e) => {
                let code = aws_sdk_iam::error::ProvideErrorMetadata::code(&e);
                assert_eq!(code, Some("NoSuchEntity"), "GetUser {name}: {e:?}");
                false
            }
        }
    }

    pub async fn user_names(&self) -> Vec<String> {
        let out = self.iam.list_users().send().await.expect("ListUsers");
        out.users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect()
    }

    pub async fn policy_names(&self) -> Vec<String> {
        let out = self
            .iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .expect("ListPolicies");
        out.policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string))
            .collect()
    }

    pub async fn role_names(&self) -> Vec<String> {
        let out = self.iam.list_roles().send().await.expect("ListRoles");
        out.roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect()
    }

    pub async fn attached_user_policies(&self, user: &str) -> Vec<String> {
        let out = self
            .iam
            .list_attached_user_policies()
            .user_name(user)
            .send()
            .await
            .expect("ListAttachedUserPolicies");
        out.attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect()
    }

    pub async fn access_key_ids(&self, user: &str) -> Vec<(String, String)> {
        let out = self
            .iam
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .expect("ListAccessKeys");
        out.access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap_or_default().to_string(),
                    k.status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    pub fn policy_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:policy/{name}", self.account)
    }

    /// Everything in the account that a bad-input test must leave untouched.
    pub async fn state(&self) -> String {
        let mut s = format!(
            "users={:?} policies={:?} roles={:?}",
            self.user_names().await,
            self.policy_names().await,
            self.role_names().await
        );
        let groups = self.iam.list_groups().send().await.expect("ListGroups");
        s.push_str(&format!(
            " groups={:?}",
            groups
                .groups()
                .iter()
                .map(|g| g.group_name())
                .collect::<Vec<_>>()
        ));
        for u in self.user_names().await {
            s.push_str(&format!(
                " {u}:keys={} attached={:?}",
                self.access_key_ids(&u).await.len(),
                self.attached_user_policies(&u).await
            ));
        }
        s
    }
}

pub const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/*"}
  ]
}
"#;

/// A policy document as IAM returns it (URL-encoded JSON).
pub fn decode_policy(raw: &str) -> serde_json::Value {
    let text = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .expect("utf-8");
    serde_json::from_str(&text).expect("policy JSON")
}

/// The secret from a CSV credentials file.
pub fn secret_from_csv(text: &str) -> String {
    let line = text.lines().nth(1).expect("a key line");
    line.split(',').nth(1).expect("secret column").to_string()
}
