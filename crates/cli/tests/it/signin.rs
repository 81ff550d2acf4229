//! Issue 20 item 1: credentials from every kind of profile the AWS CLI accepts,
//! run through the real binary against moto. moto's STS accepts AssumeRole with
//! or without an MFA code, so what it was sent is checked through a recording
//! proxy ([`proxy`]) in front of it. moto has no IAM Identity Center portal: the
//! proxy answers `GetRoleCredentials` itself, as a labelled stand-in.
//!
//! References: <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html>,
//! <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html>,
//! <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html>.

use crate::harness::*;
use proxy::Proxy;

/// The MFA role of seed 001 as people write it. Its values are those of the
/// unit test `cache_keys_match_botocore`, whose expected digest was computed
/// with Python as botocore computes it: the cache file below is the one the AWS
/// CLI would read and write for this profile.
const ADMIN: &str = "[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = alice
mfa_serial = arn:aws:iam::123456789012:mfa/alice
external_id = ext-123
role_session_name = alice-admin
duration_seconds = 1800
";
const ADMIN_CACHE: &str = ".aws/cli/cache/bad8fb070d2ab1892a896a96dca107db622a509a.json";

/// Config and credentials files in the test's dir; `alice` has this test's keys.
fn files(env: &Env, config: &str) -> (String, String) {
    let (id, secret, token) = env.credentials();
    let config = env.file("aws/config", config);
    let creds = env.file(
        "aws/credentials",
        &format!(
            "[alice]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
        ),
    );
    (config, creds)
}

/// Run `iamctl` with these files and `AWS_ENDPOINT_URL` at the proxy.
fn run(
    env: &Env,
    files: &(String, String),
    proxy: &Proxy,
    args: &[&str],
    extra: &[(&str, Option<&str>)],
) -> Out {
    let mut vars = vec![
        ("AWS_CONFIG_FILE", Some(files.0.as_str())),
        ("AWS_SHARED_CREDENTIALS_FILE", Some(files.1.as_str())),
        ("AWS_ENDPOINT_URL", Some(proxy.url.as_str())),
    ];
    vars.extend_from_slice(extra);
    env.run_env(args, &vars)
}

/// config-vars.rst of the AWS CLI: "If you specify an mfa_serial, then the
/// first time an AssumeRole call is made, you will be prompted to enter the MFA
/// code. Subsequent commands will use the cached temporary credentials.
/// However, when the temporary credentials expire, you will be re-prompted for
/// another MFA code." cli-configure-role.html: `external_id`,
/// `role_session_name` and `duration_seconds` are passed to AssumeRole.
#[tokio::test]
async fn mfa_role_profile_sends_the_code_once_per_session_cached_as_the_aws_cli_does() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let f = files(&env, ADMIN);
    let whoami = ["--profile", "admin", "whoami", "--output", "json"];

    // No terminal, no code: the profile and both ways to give one are named.
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let err = o.stderr.lines().next().unwrap_or_default();
    for part in [
        "failed to load credentials for profile `admin`",
        "arn:aws:iam::123456789012:mfa/alice",
        "`--mfa-code CODE`",
        "`IAMCTL_MFA_CODE`",
    ] {
        assert!(err.contains(part), "{part} not in {err:?}");
    }
    assert!(proxy.calls("AssumeRole").is_empty());

    // --mfa-code: AssumeRole carries the serial, the code and every parameter.
    let o = run(
        &env,
        &f,
        &proxy,
        &[&whoami[..], &["--mfa-code", "402917"]].concat(),
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.json()["Arn"],
        "arn:aws:sts::123456789012:assumed-role/admin/alice-admin"
    );
    let calls = proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    for (k, v) in [
        ("RoleArn", "arn:aws:iam::123456789012:role/admin"),
        ("SerialNumber", "arn:aws:iam::123456789012:mfa/alice"),
        ("TokenCode", "402917"),
        ("ExternalId", "ext-123"),
        ("RoleSessionName", "alice-admin"),
        ("DurationSeconds", "1800"),
    ] {
        assert_eq!(c.param(k).as_deref(), Some(v), "{k} in {}", c.body);
    }
    // Signed with alice's keys.
    assert!(c.access_key_id().as_deref() == Some(env.credentials().0.as_str()));

    // The session is in the AWS CLI's cache, readable by its owner only.
    let cache = env.path(ADMIN_CACHE);
    let text = std::fs::read_to_string(&cache).expect("the AWS CLI's cache file");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let session_secret = doc["Credentials"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(doc["Credentials"]["Expiration"].is_string(), "{doc}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The next run of the session: no code, no AssumeRole, even with -vv.
    let o = run(&env, &f, &proxy, &[&whoami[..], &["-vv"]].concat(), &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["Account"], "123456789012");
    assert_eq!(proxy.calls("AssumeRole").len(), 1);

    // Fifteen minutes before it expires the session counts as expired (as in
    // botocore): the code is asked for again, here from IAMCTL_MFA_CODE.
    let mut doc = doc;
    doc["Credentials"]["Expiration"] = "2026-03-21T11:46:28Z".into();
    std::fs::write(&cache, doc.to_string()).unwrap();
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(o.code, 1, "an expired session asks again:\n{}", o.stderr);
    let o = run(
        &env,
        &f,
        &proxy,
        &whoami,
        &[("IAMCTL_MFA_CODE", Some("731550"))],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let calls = proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].param("TokenCode").as_deref(), Some("731550"));

    // Secrets and codes are never printed.
    env.assert_secret_not_printed(&session_secret);
    env.assert_secret_not_printed(&env.secret_for_tests());
    // (The transcript records each command line, where the test passed one.)
    let t = env.transcript.lock().unwrap();
    let printed: Vec<&str> = t.lines().filter(|l| !l.starts_with("$ iamctl")).collect();
    assert!(
        !printed
            .iter()
            .any(|l| l.contains("402917") || l.contains("731550")),
        "{t}"
    );
}

/// Issue 20: a role profile failed with "no usable AWS credentials" under an
/// endpoint override, because the SDK's assume-role provider ignores it
/// (awslabs/aws-sdk-rust#1193). Here `--endpoint-url` reaches STS too, and a
/// failure reads as one line with its causes.
#[tokio::test]
async fn role_profiles_honour_the_endpoint_override_and_errors_show_the_cause_chain() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let role = format!("arn:aws:iam::{}:role/ops", env.account);
    let f = files(
        &env,
        &format!(
            "[profile ops]\nrole_arn = {role}\nsource_profile = alice\n\
             [profile typo]\nrole_arn = {role}\nsource_profile = alcie\n\
             [profile x]\nrole_arn = {role}\nsource_profile = y\n\
             [profile y]\nrole_arn = {role}\nsource_profile = x\n"
        ),
    );
    let no_env_endpoint = ("AWS_ENDPOINT_URL", None);
    let o = run(
        &env,
        &f,
        &proxy,
        &[
            "--profile",
            "ops",
            "--endpoint-url",
            &proxy.url,
            "whoami",
            "--output",
            "json",
        ],
        &[no_env_endpoint],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // No role_session_name: a generated one, from the (injected) clock.
    assert_eq!(
        o.json()["Arn"],
        format!(
            "arn:aws:sts::{}:assumed-role/ops/iamctl-session-1774092988",
            env.account
        )
    );
    let calls = proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1, "STS was reached through the override");
    assert_eq!(calls[0].param("SerialNumber"), None);
    assert_eq!(calls[0].param("TokenCode"), None);

    // STS unreachable: which profile, which role, and why, in one line. (The
    // session just cached would spare the call: forget it.)
    std::fs::remove_dir_all(env.path(".aws/cli/cache")).unwrap();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let o = run(
        &env,
        &f,
        &proxy,
        &["--profile", "ops", "--endpoint-url", &dead, "whoami"],
        &[no_env_endpoint],
    );
    assert_eq!(o.code, 1);
    let first = o.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(&format!(
            "failed to load credentials for profile `ops`: assume role `{role}` (profile `ops`) failed: "
        )) && first.contains("onnect"),
        "{}",
        o.stderr
    );
    assert!(
        !o.stderr.contains("no usable AWS credentials"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.lines().count() <= 2,
        "error + help only:\n{}",
        o.stderr
    );

    // Configuration mistakes name the profiles, before anything is sent.
    let o = run(&env, &f, &proxy, &["--profile", "typo", "whoami"], &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("the source_profile `alcie` of profile `typo` is not defined"),
        "{}",
        o.stderr
    );
    let o = run(&env, &f, &proxy, &["--profile", "x", "whoami"], &[]);
    assert!(
        o.stderr.contains("source_profile loops: x → y → x"),
        "{}",
        o.stderr
    );
    assert_eq!(proxy.calls("AssumeRole").len(), 1);
}

/// Without `--profile` or `AWS_PROFILE`, and without keys in the environment
/// (which the AWS CLI reads first), the `default` profile signs in, roles and all.
#[tokio::test]
async fn the_default_profile_is_used_when_the_environment_has_no_keys() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let f = files(
        &env,
        &format!(
            "[default]
role_arn = arn:aws:iam::{}:role/everyday
source_profile = alice
",
            env.account
        ),
    );
    let whoami = ["whoami", "--output", "json"];
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(
        o.json()["Arn"],
        format!(
            "arn:aws:sts::{}:assumed-role/iamctl-test/iamctl-test",
            env.account
        ),
        "the environment's keys come first"
    );
    let no_keys = [
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("AWS_SESSION_TOKEN", None),
    ];
    let o = run(&env, &f, &proxy, &whoami, &no_keys);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.json()["Arn"],
        format!(
            "arn:aws:sts::{}:assumed-role/everyday/iamctl-session-1774092988",
            env.account
        )
    );
    assert_eq!(proxy.calls("AssumeRole").len(), 1);
}

/// cli-configure-role.html: a role profile's `source_profile` may itself be a
/// role profile (a chain, assumed in order), and `credential_source =
/// Environment` takes the first credentials from the environment variables.
#[tokio::test]
async fn role_chains_assume_each_role_with_the_previous_session() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let first = format!("arn:aws:iam::{}:role/first", env.account);
    let second = format!("arn:aws:iam::{}:role/second", env.account);
    let f = files(
        &env,
        &format!(
            "[profile first]\nrole_arn = {first}\ncredential_source = Environment\n\
             role_session_name = one\n\
             [profile second]\nrole_arn = {second}\nsource_profile = first\n\
             external_id = partner-7\nrole_session_name = two\n"
        ),
    );
    let o = run(
        &env,
        &f,
        &proxy,
        &["--profile", "second", "whoami", "--output", "json"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.json()["Arn"],
        format!("arn:aws:sts::{}:assumed-role/second/two", env.account)
    );
    let calls = proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].param("RoleArn").as_deref(), Some(first.as_str()));
    assert_eq!(calls[0].param("ExternalId"), None);
    // The environment's keys signed the first call ...
    assert_eq!(
        calls[0].access_key_id().as_deref(),
        Some(env.credentials().0.as_str())
    );
    // ... and the first session signed the second.
    assert_eq!(calls[1].param("RoleArn").as_deref(), Some(second.as_str()));
    assert_eq!(calls[1].param("ExternalId").as_deref(), Some("partner-7"));
    let first_key = calls[0].response_tag("AccessKeyId").expect("a session key");
    assert_eq!(calls[1].access_key_id(), Some(first_key));
    // Both sessions are cached: the next run assumes nothing.
    let o = run(&env, &f, &proxy, &["--profile", "second", "whoami"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(proxy.calls("AssumeRole").len(), 2);
}

/// Seed 001 signs in with `aws configure sso` (session `boto3`) and `aws sso
/// login --profile boto3`. cli-configure-sso.html: the profile names
/// `sso_session`, `sso_account_id` and `sso_role_name`; the token `aws sso
/// login` caches is used, and when it is missing or expired the person logs in
/// again.
#[tokio::test]
async fn sso_profile_uses_the_aws_cli_token_cache_and_says_how_to_log_in() {
    let env = Env::new().await;
    let token = "aoaAAAAAGZ-stand-in-access-token";
    let proxy = Proxy::start(
        &env.endpoint,
        Some(proxy::SsoStandIn {
            access_token: token.into(),
            credentials: env.credentials(),
        }),
    );
    let f = files(
        &env,
        &format!(
            "[profile boto3]\nsso_session = boto3\nsso_account_id = {}\n\
             sso_role_name = AdministratorAccess\nregion = us-east-1\n\
             [sso-session boto3]\nsso_start_url = https://d-1234567890.awsapps.com/start\n\
             sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
            env.account
        ),
    );
    let whoami = ["--profile", "boto3", "whoami", "--output", "json"];
    // Not logged in.
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("run `aws sso login --profile boto3`"),
        "{}",
        o.stderr
    );

    // The token file as `aws sso login` writes it: sha1("boto3").json.
    let path = ".aws/sso/cache/8116ffcb92c63db098b770fb305524eef7e7b41d.json";
    let write_token = |expires: &str| {
        env.file(
            path,
            &serde_json::json!({
                "startUrl": "https://d-1234567890.awsapps.com/start",
                "region": "us-east-1",
                "accessToken": token,
                "expiresAt": expires,
            })
            .to_string(),
        )
    };
    write_token("2026-03-21T19:36:28Z");
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["Account"], env.account.as_str());
    let calls = proxy.calls("GetRoleCredentials");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].param("account_id").as_deref(),
        Some(env.account.as_str())
    );
    assert_eq!(
        calls[0].param("role_name").as_deref(),
        Some("AdministratorAccess")
    );
    assert_eq!(
        calls[0].header("x-amz-sso_bearer_token").as_deref(),
        Some(token)
    );

    // Expired (by the injected clock): log in again; the portal is not asked.
    write_token("2026-03-21T10:36:28Z");
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("expired") && o.stderr.contains("run `aws sso login --profile boto3`"),
        "{}",
        o.stderr
    );
    assert_eq!(proxy.calls("GetRoleCredentials").len(), 1);
    // A token the portal no longer accepts: the same advice.
    env.file(
        path,
        &serde_json::json!({"accessToken": "revoked", "expiresAt": "2026-03-21T19:36:28Z"})
            .to_string(),
    );
    let o = run(&env, &f, &proxy, &whoami, &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("run `aws sso login --profile boto3`"),
        "{}",
        o.stderr
    );
    assert!(
        !o.stderr.contains(token) && !o.stderr.contains("revoked"),
        "{}",
        o.stderr
    );
    env.assert_secret_not_printed(&env.secret_for_tests());
}

/// cli-configure-sourcing-external.html: `credential_process` runs a command
/// that prints `{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
/// "SessionToken": ..., "Expiration": ...}`; such a profile can also be the
/// `source_profile` of a role.
#[tokio::test]
async fn credential_process_profiles_sign_in_directly_and_as_a_role_source() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let (id, secret, token) = env.credentials();
    let script = env.file(
        "creds.sh",
        &format!(
            "#!/bin/sh\necho '{}'\n",
            serde_json::json!({
                "Version": 1,
                "AccessKeyId": id,
                "SecretAccessKey": secret,
                "SessionToken": token,
                "Expiration": "2999-01-01T00:00:00Z",
            })
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let role = format!("arn:aws:iam::{}:role/deploy", env.account);
    let f = files(
        &env,
        &format!(
            "[profile proc]\ncredential_process = {script}\n\
             [profile deploy]\nrole_arn = {role}\nsource_profile = proc\nrole_session_name = ci\n\
             [profile broken]\ncredential_process = /bin/false\n"
        ),
    );
    let o = run(
        &env,
        &f,
        &proxy,
        &["--profile", "proc", "whoami", "--output", "json"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["Account"], env.account.as_str());
    let o = run(
        &env,
        &f,
        &proxy,
        &["--profile", "deploy", "whoami", "--output", "json"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.json()["Arn"],
        format!("arn:aws:sts::{}:assumed-role/deploy/ci", env.account)
    );
    let calls = proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].access_key_id().as_deref(), Some(id.as_str()));
    let o = run(&env, &f, &proxy, &["--profile", "broken", "whoami"], &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("failed to load credentials for profile `broken`: credential_process of profile `broken` failed"),
        "{}",
        o.stderr
    );
    env.assert_secret_not_printed(&secret);
}

/// A web identity profile (`role_arn` with `web_identity_token_file`, as CI
/// systems write them): AssumeRoleWithWebIdentity with the file's token,
/// unsigned, through the endpoint override.
#[tokio::test]
async fn web_identity_profiles_send_the_token_file_unsigned() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let token = env.file("oidc-token", "eyJhbGciOiJSUzI1NiJ9.stand-in.token\n");
    let f = files(
        &env,
        &format!(
            "[profile ci]\nrole_arn = arn:aws:iam::{}:role/ci\n\
             web_identity_token_file = {token}\nrole_session_name = gha\n",
            env.account
        ),
    );
    let o = run(
        &env,
        &f,
        &proxy,
        &["--profile", "ci", "whoami", "--output", "json"],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.json()["Arn"],
        format!("arn:aws:sts::{}:assumed-role/ci/gha", env.account)
    );
    let calls = proxy.calls("AssumeRoleWithWebIdentity");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].param("WebIdentityToken").as_deref(),
        Some("eyJhbGciOiJSUzI1NiJ9.stand-in.token")
    );
    assert_eq!(calls[0].header("authorization"), None);
}

/// On a terminal the code is asked for as the AWS CLI asks, and not echoed.
#[tokio::test]
async fn the_mfa_code_is_asked_for_on_a_terminal() {
    let env = Env::new().await;
    let proxy = Proxy::start(&env.endpoint, None);
    let f = files(&env, ADMIN);
    let mut cmd = env.pty_command(&["--profile", "admin", "whoami"]);
    cmd.env("AWS_CONFIG_FILE", &f.0)
        .env("AWS_SHARED_CREDENTIALS_FILE", &f.1)
        .env("AWS_ENDPOINT_URL", &proxy.url);
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    p.exp_string("MFA code for arn:aws:iam::123456789012:mfa/alice:")
        .unwrap();
    p.send_line("588214").unwrap();
    let out = p.exp_eof().unwrap();
    assert!(
        out.contains("arn:aws:sts::123456789012:assumed-role/admin/alice-admin"),
        "{out:?}"
    );
    assert!(!out.contains("588214"), "the code was echoed: {out:?}");
    let calls = proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].param("TokenCode").as_deref(), Some("588214"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A recording HTTP proxy on 127.0.0.1 in front of moto: each request is kept
/// (method, target, headers, body, and the answer) and passed on unchanged.
pub mod proxy {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    /// A **stand-in** for IAM Identity Center's portal, which moto lacks: it
    /// answers `GetRoleCredentials` (`GET /federation/credentials`, the
    /// `x-amz-sso_bearer_token` header) with fixed credentials when the token
    /// is the expected one, and `UnauthorizedException` otherwise. Nothing
    /// else of the portal is imitated.
    #[derive(Clone)]
    pub struct SsoStandIn {
        pub access_token: String,
        /// Key id, secret, session token to hand out.
        pub credentials: (String, String, String),
    }

    /// One request as the proxy saw it.
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub method: String,
        pub target: String,
        pub headers: Vec<(String, String)>,
        pub body: String,
        pub response: String,
    }

    impl Seen {
        /// A form (body) or query parameter, decoded.
        pub fn param(&self, key: &str) -> Option<String> {
            let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
            [self.body.as_str(), query]
                .iter()
                .flat_map(|s| s.split('&'))
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == key)
                .map(|(_, v)| {
                    percent_encoding::percent_decode_str(&v.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                })
        }

        pub fn header(&self, name: &str) -> Option<String> {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        }

        /// The access key id that signed the request (SigV4 `Credential=`).
        pub fn access_key_id(&self) -> Option<String> {
            let auth = self.header("authorization")?;
            let cred = auth.split("Credential=").nth(1)?;
            Some(cred.split('/').next()?.to_string())
        }

        /// The text of `<tag>` in the answer (STS answers in XML).
        pub fn response_tag(&self, tag: &str) -> Option<String> {
            let start = self.response.find(&format!("<{tag}>"))? + tag.len() + 2;
            let end = self.response[start..].find(&format!("</{tag}>"))?;
            Some(self.response[start..start + end].to_string())
        }

        /// The API action: `Action=` of a query-protocol call, or the SSO one.
        pub fn action(&self) -> String {
            if self.target.starts_with("/federation/credentials") {
                return "GetRoleCredentials".into();
            }
            self.param("Action").unwrap_or_default()
        }
    }

    pub struct Proxy {
        pub url: String,
        log: Arc<Mutex<Vec<Seen>>>,
    }

    impl Proxy {
        /// Listen on a free 127.0.0.1 port and pass requests on to `upstream`.
        pub fn start(upstream: &str, sso: Option<SsoStandIn>) -> Proxy {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
            let url = format!("http://{}", listener.local_addr().unwrap());
            let upstream = upstream.trim_start_matches("http://").to_string();
            let log = Arc::new(Mutex::new(Vec::new()));
            let l2 = log.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming().flatten() {
                    let (up, log, sso) = (upstream.clone(), l2.clone(), sso.clone());
                    std::thread::spawn(move || {
                        let _ = serve(conn, &up, &log, sso.as_ref());
                    });
                }
            });
            Proxy { url, log }
        }

        /// The requests of one action, in order.
        pub fn calls(&self, action: &str) -> Vec<Seen> {
            self.log
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.action() == action)
                .cloned()
                .collect()
        }
    }

    /// One request per connection: read it, answer it, close.
    fn serve(
        conn: TcpStream,
        upstream: &str,
        log: &Mutex<Vec<Seen>>,
        sso: Option<&SsoStandIn>,
    ) -> std::io::Result<()> {
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let mut seen = Seen {
            method,
            target,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            response: String::new(),
        };
        let answer = match sso.filter(|_| seen.target.starts_with("/federation/credentials")) {
            Some(s) => stand_in(s, &seen),
            None => forward(upstream, &seen, &body)?,
        };
        seen.response = String::from_utf8_lossy(&answer).into_owned();
        log.lock().unwrap().push(seen);
        let mut conn = conn;
        conn.write_all(&answer)?;
        conn.flush()
    }

    /// The request to moto with `Connection: close`; its answer likewise.
    fn forward(upstream: &str, seen: &Seen, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut up = TcpStream::connect(upstream)?;
        let mut head = format!("{} {} HTTP/1.1\r\n", seen.method, seen.target);
        for (k, v) in &seen.headers {
            if !k.eq_ignore_ascii_case("connection") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        up.write_all(head.as_bytes())?;
        up.write_all(body)?;
        let mut answer = Vec::new();
        up.read_to_end(&mut answer)?;
        Ok(close_after(answer))
    }

    /// Replace the answer's `Connection` header with `Connection: close`.
    fn close_after(answer: Vec<u8>) -> Vec<u8> {
        let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            return answer;
        };
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        let mut out: String = head
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        out.push_str("Connection: close\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&answer[split + 2..]);
        bytes
    }

    fn stand_in(s: &SsoStandIn, seen: &Seen) -> Vec<u8> {
        let (status, kind, body) =
            if seen.header("x-amz-sso_bearer_token").as_deref() == Some(s.access_token.as_str()) {
                let (id, secret, token) = &s.credentials;
                (
                    "200 OK",
                    None,
                    serde_json::json!({"roleCredentials": {
                        "accessKeyId": id, "secretAccessKey": secret, "sessionToken": token,
                        "expiration": 32_503_680_000_000i64,
                    }}),
                )
            } else {
                (
                    "401 Unauthorized",
                    Some("UnauthorizedException"),
                    serde_json::json!({"message": "Session token not found or invalid"}),
                )
            };
        let body = body.to_string();
        let kind = kind
            .map(|k| format!("x-amzn-ErrorType: {k}\r\n"))
            .unwrap_or_default();
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{kind}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}
