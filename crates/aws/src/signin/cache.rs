//! The AWS CLI's caches, read and written in its own layout so that one MFA
//! code or one `aws sso login` serves both tools:
//!
//! - assumed-role sessions: `~/.aws/cli/cache/<sha1 of the JSON of the
//!   AssumeRole arguments>.json` (botocore's `JSONFileCache` and
//!   `_create_cache_key`: the arguments without `TokenCode`, and without
//!   `RoleSessionName` when it was generated, as `json.dumps(sort_keys=True)`);
//! - SSO tokens, read only: `~/.aws/sso/cache/<sha1 of the session name, or of
//!   the start URL for a legacy profile>.json`.

use super::chain::Hop;
use aws_credential_types::Credentials;
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// botocore refreshes a cached session that has less than this left
/// (`CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS = 60 * 15`).
pub(crate) const EXPIRY_WINDOW: Duration = Duration::from_secs(15 * 60);

pub(crate) fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`).
fn py_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text botocore hashes for `hop`: its AssumeRole arguments, keys sorted,
/// `", "` and `": "` between them.
pub(crate) fn key_text(hop: &Hop) -> String {
    let mut args: Vec<(&str, String)> = vec![("RoleArn", py_string(&hop.role_arn))];
    if let Some(d) = hop.duration_seconds {
        args.push(("DurationSeconds", d.to_string()));
    }
    if let Some(x) = &hop.external_id {
        args.push(("ExternalId", py_string(x)));
    }
    if let Some(n) = &hop.session_name {
        args.push(("RoleSessionName", py_string(n)));
    }
    if let Some(s) = &hop.mfa_serial {
        args.push(("SerialNumber", py_string(s)));
    }
    args.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = args
        .iter()
        .map(|(k, v)| format!("{}: {v}", py_string(k)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// The cache file name of `hop`'s session.
pub(crate) fn key(hop: &Hop) -> String {
    sha1_hex(&key_text(hop))
}

/// A timestamp as the caches write it: RFC 3339, or botocore's
/// `%Y-%m-%dT%H:%M:%S%Z` (`...UTC`).
pub(crate) fn parse_time(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let s = s
        .strip_suffix("UTC")
        .map(|b| format!("{b}Z"))
        .or_else(|| s.strip_suffix("+00:00").map(|b| format!("{b}Z")))
        .unwrap_or_else(|| s.to_string());
    aws_smithy_types::DateTime::from_str(&s, aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .and_then(|d| SystemTime::try_from(d).ok())
}

pub(crate) fn format_time(t: SystemTime) -> String {
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// `~/.aws/cli/cache`.
#[derive(Debug, Clone)]
pub(crate) struct RoleCache {
    dir: PathBuf,
}

impl RoleCache {
    pub(crate) fn new(home: &Path) -> RoleCache {
        RoleCache {
            dir: home.join(".aws").join("cli").join("cache"),
        }
    }

    pub(crate) fn path(&self, hop: &Hop) -> PathBuf {
        self.dir.join(format!("{}.json", key(hop)))
    }

    /// The cached session of `hop` if it has more than [`EXPIRY_WINDOW`] left at `now`.
    pub(crate) fn get(&self, hop: &Hop, now: SystemTime) -> Option<Credentials> {
        let text = std::fs::read_to_string(self.path(hop)).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let c = v.get("Credentials")?;
        let field = |k: &str| c.get(k).and_then(|x| x.as_str());
        let expires = parse_time(field("Expiration")?)?;
        if expires < now + EXPIRY_WINDOW {
            tracing::debug!(profile = %hop.profile, "cached role session expires within 15 minutes");
            return None;
        }
        tracing::info!(profile = %hop.profile, role = %hop.role_arn, "using the cached role session");
        Some(Credentials::new(
            field("AccessKeyId")?,
            field("SecretAccessKey")?,
            field("SessionToken").map(str::to_string),
            Some(expires),
            "iamctl-cli-cache",
        ))
    }

    /// Keep a new session (mode 0600, written whole then renamed into place).
    /// A cache that cannot be written costs a prompt next time, no more.
    pub(crate) fn put(&self, hop: &Hop, c: &Credentials, assumed_arn: &str, assumed_id: &str) {
        let doc = serde_json::json!({
            "Credentials": {
                "AccessKeyId": c.access_key_id(),
                "SecretAccessKey": c.secret_access_key(),
                "SessionToken": c.session_token(),
                "Expiration": c.expiry().map(format_time),
            },
            "AssumedRoleUser": {"AssumedRoleId": assumed_id, "Arn": assumed_arn},
        });
        let path = self.path(hop);
        if let Err(e) = write_private(&self.dir, &path, doc.to_string().as_bytes()) {
            tracing::warn!(
                "cannot write the role session cache `{}`: {e}",
                path.display()
            );
        }
    }
}

fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// An SSO access token from the AWS CLI's cache.
pub(crate) struct SsoToken {
    pub access_token: String,
    pub expires_at: SystemTime,
}

/// `~/.aws/sso/cache/<sha1(key)>.json`.
pub(crate) fn sso_token_path(home: &Path, key: &str) -> PathBuf {
    home.join(".aws")
        .join("sso")
        .join("cache")
        .join(format!("{}.json", sha1_hex(key)))
}

/// The token in `path`; `None` when the file is missing or unreadable.
pub(crate) fn read_sso_token(path: &Path) -> Option<SsoToken> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(SsoToken {
        access_token: v.get("accessToken")?.as_str()?.to_string(),
        expires_at: parse_time(v.get("expiresAt")?.as_str()?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop() -> Hop {
        Hop {
            profile: "admin".into(),
            role_arn: "arn:aws:iam::123456789012:role/admin".into(),
            session_name: Some("alice-admin".into()),
            external_id: Some("ext-123".into()),
            mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
            duration_seconds: Some(1800),
        }
    }

    /// The file name the AWS CLI gives the same session. The expected digests
    /// were computed with Python, as botocore does:
    /// `sha1(json.dumps(args, sort_keys=True).encode()).hexdigest()`.
    #[test]
    fn cache_keys_match_botocore() {
        let h = hop();
        assert_eq!(
            key_text(&h),
            r#"{"DurationSeconds": 1800, "ExternalId": "ext-123", "RoleArn": "arn:aws:iam::123456789012:role/admin", "RoleSessionName": "alice-admin", "SerialNumber": "arn:aws:iam::123456789012:mfa/alice"}"#
        );
        assert_eq!(key(&h), "bad8fb070d2ab1892a896a96dca107db622a509a");
        // A generated session name is left out of the key.
        let plain = Hop {
            session_name: None,
            external_id: None,
            mfa_serial: None,
            duration_seconds: None,
            ..h
        };
        assert_eq!(
            key_text(&plain),
            r#"{"RoleArn": "arn:aws:iam::123456789012:role/admin"}"#
        );
        assert_eq!(key(&plain), "85df843ebbf3964c64e26d66d796d302b1a7a5ff");
        assert_eq!(py_string("é\"x"), r#""\u00e9\"x""#);
    }

    #[test]
    fn times_in_both_cache_formats() {
        let a = parse_time("2026-03-21T12:36:28Z").unwrap();
        assert_eq!(parse_time("2026-03-21T12:36:28UTC"), Some(a));
        assert_eq!(parse_time("2026-03-21T12:36:28+00:00"), Some(a));
        assert_eq!(format_time(a), "2026-03-21T12:36:28Z");
        assert_eq!(parse_time("soon"), None);
    }

    /// config-vars.rst (aws-cli): "Subsequent commands will use the cached
    /// temporary credentials. However, when the temporary credentials expire,
    /// you will be re-prompted for another MFA code." botocore treats a session
    /// with under 15 minutes left as expired.
    #[test]
    fn a_session_is_used_until_fifteen_minutes_before_it_expires() {
        let dir = std::env::temp_dir().join(format!("iamctl-cache-{}", std::process::id()));
        let cache = RoleCache::new(&dir);
        let now = parse_time("2026-03-21T11:00:00Z").unwrap();
        let c = Credentials::new(
            "ASIA1",
            "secret",
            Some("tok".into()),
            Some(now + Duration::from_secs(3600)),
            "t",
        );
        cache.put(&hop(), &c, "arn:aws:sts::1:assumed-role/admin/x", "AROA:x");
        let got = cache.get(&hop(), now).expect("cached");
        assert_eq!(got.access_key_id(), "ASIA1");
        assert_eq!(got.session_token(), Some("tok"));
        assert!(cache.get(&hop(), now + Duration::from_secs(2700)).is_some());
        assert!(cache.get(&hop(), now + Duration::from_secs(2701)).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache.path(&hop()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
