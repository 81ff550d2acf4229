//! Where a new secret access key goes: a file created new with mode 0600, or stdout.
//! Nothing else ever sees the secret.

use crate::error::{CmdResult, CommandError};
use iamctl_aws::{NewAccessKey, SessionCredentials};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyFormat {
    /// `Access key ID,Secret access key`, as the AWS console writes it.
    Csv,
    /// An `~/.aws/credentials` profile named after the user.
    Ini,
    /// `export AWS_ACCESS_KEY_ID=...` lines, for `eval "$(iamctl ...)"` or `source`.
    Env,
    /// One JSON object.
    Json,
}

impl KeyFormat {
    /// The format a file name implies; CSV when it implies none.
    pub fn for_path(path: &Path) -> KeyFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => KeyFormat::Json,
            Some("env") => KeyFormat::Env,
            Some("ini") | Some("cfg") | Some("conf") => KeyFormat::Ini,
            _ if path.file_name().and_then(|n| n.to_str()) == Some("credentials") => KeyFormat::Ini,
            _ => KeyFormat::Csv,
        }
    }
}

pub fn render_key(key: &NewAccessKey, format: KeyFormat) -> String {
    let id = &key.access_key_id;
    let secret = key.secret_access_key.expose();
    match format {
        KeyFormat::Csv => format!("Access key ID,Secret access key\n{id},{secret}\n"),
        KeyFormat::Ini => format!(
            "[{}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n",
            key.user_name
        ),
        KeyFormat::Env => {
            format!("export AWS_ACCESS_KEY_ID={id}\nexport AWS_SECRET_ACCESS_KEY={secret}\n")
        }
        KeyFormat::Json => {
            let v = serde_json::json!({
                "UserName": key.user_name,
                "AccessKeyId": id,
                "SecretAccessKey": secret,
                "CreateDate": key.create_date,
            });
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
    }
}

pub fn render_session(c: &SessionCredentials, format: KeyFormat) -> String {
    let (id, secret, token) = (
        &c.access_key_id,
        c.secret_access_key.expose(),
        c.session_token.expose(),
    );
    match format {
        KeyFormat::Json => {
            let v = serde_json::json!({
                "Version": 1,
                "AccessKeyId": id,
                "SecretAccessKey": secret,
                "SessionToken": token,
                "Expiration": c.expiration,
            });
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        KeyFormat::Ini => format!(
            "[assumed]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
        ),
        KeyFormat::Csv => format!(
            "Access key ID,Secret access key,Session token,Expiration\n{id},{secret},{token},{}\n",
            c.expiration
        ),
        KeyFormat::Env => format!(
            "export AWS_ACCESS_KEY_ID={id}\nexport AWS_SECRET_ACCESS_KEY={secret}\nexport AWS_SESSION_TOKEN={token}\n"
        ),
    }
}

/// A credentials file reserved before the key exists: created new (refused if the
/// path exists) with mode 0600. Dropped without [`KeyFile::write`], it is removed, so
/// a failed key creation leaves no empty file behind.
pub struct KeyFile {
    path: PathBuf,
    file: Option<std::fs::File>,
    pub format: KeyFormat,
}

impl KeyFile {
    pub fn reserve(path: &Path, format: Option<KeyFormat>) -> CmdResult<KeyFile> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CommandError::invalid_help(
                    format!("credentials file `{}` already exists", path.display()),
                    "iamctl never overwrites a credentials file; choose a new path (no key was created)",
                )
            } else {
                CommandError::invalid(format!(
                    "cannot create credentials file `{}`: {e}",
                    path.display()
                ))
            }
        })?;
        Ok(KeyFile {
            path: path.to_path_buf(),
            file: Some(file),
            format: format.unwrap_or_else(|| KeyFormat::for_path(path)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(mut self, text: &str) -> CmdResult {
        let mut f = self.file.take().expect("written once");
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(())
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamctl_aws::Secret;

    fn key() -> NewAccessKey {
        NewAccessKey {
            user_name: "bob".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("s3cr3t"),
            create_date: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn csv_is_the_console_format() {
        assert_eq!(
            render_key(&key(), KeyFormat::Csv),
            "Access key ID,Secret access key\nAKIAEXAMPLE,s3cr3t\n"
        );
    }

    #[test]
    fn format_follows_extension() {
        assert_eq!(KeyFormat::for_path(Path::new("a.json")), KeyFormat::Json);
        assert_eq!(KeyFormat::for_path(Path::new("a.env")), KeyFormat::Env);
        assert_eq!(
            KeyFormat::for_path(Path::new("credentials")),
            KeyFormat::Ini
        );
        assert_eq!(KeyFormat::for_path(Path::new("a.txt")), KeyFormat::Csv);
    }

    #[test]
    fn reserved_file_is_0600_and_removed_when_unused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.csv");
        let f = KeyFile::reserve(&p, None).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(f);
        assert!(!p.exists());
    }

    #[test]
    fn existing_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.csv");
        std::fs::write(&p, "x").unwrap();
        let err = KeyFile::reserve(&p, None).err().unwrap();
        assert_eq!(err.exit_code(), 3);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x");
    }
}
