//! Which credentials a profile stands for, as the AWS CLI reads it: a source of
//! first credentials and the roles assumed from them, in order. Pure: only the
//! parsed files are read; nothing is fetched.
//!
//! The AWS CLI's rules (botocore's credential chain,
//! <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html>):
//! a profile with `role_arn` (and no `web_identity_token_file`) assumes that role
//! from its `source_profile` or `credential_source` (one, not both); a source
//! profile with static keys uses them, even when it has a `role_arn` of its own
//! (and a profile may name itself as its source for that reason); otherwise a
//! source profile with a `role_arn` is itself a role, which makes a chain. A
//! profile without a role is, in this order: web identity, SSO, static keys,
//! `credential_process`.

use super::err::ConfigError;
use aws_config::profile::{Profile, ProfileSet};

/// Where the first credentials come from. Its `Debug` never shows a
/// secret key or session token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Base {
    Static {
        profile: String,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
    Process {
        profile: String,
        command: String,
    },
    Sso(SsoSource),
    /// `credential_source` of a role profile.
    Source {
        profile: String,
        source: CredentialSource,
    },
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Base::Static {
                profile,
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("Static")
                .field("profile", profile)
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"<redacted>")
                .field(
                    "session_token",
                    &session_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            Base::Process { profile, command } => f
                .debug_struct("Process")
                .field("profile", profile)
                .field("command", command)
                .finish(),
            Base::Sso(s) => f.debug_tuple("Sso").field(s).finish(),
            Base::Source { profile, source } => f
                .debug_struct("Source")
                .field("profile", profile)
                .field("source", source)
                .finish(),
            Base::WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name,
            } => f
                .debug_struct("WebIdentity")
                .field("profile", profile)
                .field("role_arn", role_arn)
                .field("token_file", token_file)
                .field("session_name", session_name)
                .finish(),
        }
    }
}

/// `credential_source`: "Environment", "Ec2InstanceMetadata" or "EcsContainer".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

/// An IAM Identity Center profile: `sso_session` (with its `[sso-session]`
/// section) or the legacy keys in the profile itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SsoSource {
    /// The profile that has the SSO keys: `aws sso login --profile` takes it.
    pub profile: String,
    /// `sso_session`; `None` for a legacy profile (the token is cached under
    /// the start URL then).
    pub session: Option<String>,
    pub start_url: String,
    pub region: String,
    pub account_id: String,
    pub role_name: String,
}

/// One `AssumeRole`, with the parameters the profile gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    pub profile: String,
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<i32>,
}

/// First credentials, then each role in turn (the last is the profile's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    pub base: Base,
    pub hops: Vec<Hop>,
}

/// The chain of profile `name`, which must exist in `set`.
pub(crate) fn resolve(set: &ProfileSet, name: &str) -> Result<Chain, ConfigError> {
    let profile = set
        .get_profile(name)
        .ok_or_else(|| ConfigError::ProfileMissing(name.to_string()))?;
    if has_role(profile) {
        let mut visited = vec![name.to_string()];
        role_chain(set, name, &mut visited)
    } else {
        Ok(Chain {
            base: base_of(set, profile)?,
            hops: Vec::new(),
        })
    }
}

/// A role profile: `role_arn`, unless it is a web identity profile.
fn has_role(p: &Profile) -> bool {
    p.get("role_arn").is_some() && p.get("web_identity_token_file").is_none()
}

fn has_static(p: &Profile) -> bool {
    p.get("aws_access_key_id").is_some() || p.get("aws_secret_access_key").is_some()
}

fn role_chain(
    set: &ProfileSet,
    name: &str,
    visited: &mut Vec<String>,
) -> Result<Chain, ConfigError> {
    let p = set
        .get_profile(name)
        .ok_or_else(|| ConfigError::ProfileMissing(name.to_string()))?;
    let hop = hop_of(p)?;
    let base = match (p.get("source_profile"), p.get("credential_source")) {
        (Some(_), Some(_)) => return Err(ConfigError::BothSources(name.to_string())),
        (None, None) => return Err(ConfigError::NoSource(name.to_string())),
        (None, Some(cs)) => Base::Source {
            profile: name.to_string(),
            source: credential_source(name, cs)?,
        },
        (Some(src), None) => {
            let sp = set
                .get_profile(src)
                .ok_or_else(|| ConfigError::SourceMissing {
                    profile: name.to_string(),
                    source_profile: src.to_string(),
                })?;
            if visited.iter().any(|v| v == src) {
                // A profile may be its own source to keep static keys and the
                // role together; any other return is a loop.
                if src != name || !has_static(sp) {
                    visited.push(src.to_string());
                    return Err(ConfigError::Loop(visited.join(" → ")));
                }
                static_of(sp)?
            } else {
                visited.push(src.to_string());
                if has_static(sp) || !has_role(sp) {
                    base_of(set, sp)?
                } else {
                    let mut chain = role_chain(set, src, visited)?;
                    chain.hops.push(hop);
                    return Ok(chain);
                }
            }
        }
    };
    Ok(Chain {
        base,
        hops: vec![hop],
    })
}

fn hop_of(p: &Profile) -> Result<Hop, ConfigError> {
    let duration_seconds = match p.get("duration_seconds") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<i32>()
                .map_err(|_| ConfigError::BadDuration {
                    profile: p.name().to_string(),
                    value: v.to_string(),
                })?,
        ),
    };
    Ok(Hop {
        profile: p.name().to_string(),
        role_arn: p.get("role_arn").unwrap_or_default().to_string(),
        session_name: p.get("role_session_name").map(str::to_string),
        external_id: p.get("external_id").map(str::to_string),
        mfa_serial: p.get("mfa_serial").map(str::to_string),
        duration_seconds,
    })
}

fn credential_source(profile: &str, value: &str) -> Result<CredentialSource, ConfigError> {
    // botocore compares canonical names without regard to case.
    match value.to_ascii_lowercase().as_str() {
        "environment" => Ok(CredentialSource::Environment),
        "ec2instancemetadata" => Ok(CredentialSource::Ec2InstanceMetadata),
        "ecscontainer" => Ok(CredentialSource::EcsContainer),
        _ => Err(ConfigError::BadCredentialSource {
            profile: profile.to_string(),
            value: value.to_string(),
        }),
    }
}

/// A profile that is not a role: web identity, SSO, static keys, process.
fn base_of(set: &ProfileSet, p: &Profile) -> Result<Base, ConfigError> {
    let name = p.name().to_string();
    if let Some(token_file) = p.get("web_identity_token_file") {
        let role_arn = p.get("role_arn").ok_or(ConfigError::Partial {
            profile: name.clone(),
            present: "web_identity_token_file",
            missing: "role_arn",
        })?;
        return Ok(Base::WebIdentity {
            profile: name,
            role_arn: role_arn.to_string(),
            token_file: token_file.to_string(),
            session_name: p.get("role_session_name").map(str::to_string),
        });
    }
    if p.get("sso_session").is_some() || p.get("sso_start_url").is_some() {
        return sso_of(set, p).map(Base::Sso);
    }
    if has_static(p) {
        return static_of(p);
    }
    if let Some(command) = p.get("credential_process") {
        return Ok(Base::Process {
            profile: name,
            command: command.to_string(),
        });
    }
    Err(ConfigError::NoCredentials(name))
}

fn static_of(p: &Profile) -> Result<Base, ConfigError> {
    let partial = |present, missing| ConfigError::Partial {
        profile: p.name().to_string(),
        present,
        missing,
    };
    let id = p
        .get("aws_access_key_id")
        .ok_or_else(|| partial("aws_secret_access_key", "aws_access_key_id"))?;
    let secret = p
        .get("aws_secret_access_key")
        .ok_or_else(|| partial("aws_access_key_id", "aws_secret_access_key"))?;
    Ok(Base::Static {
        profile: p.name().to_string(),
        access_key_id: id.to_string(),
        secret_access_key: secret.to_string(),
        session_token: p.get("aws_session_token").map(str::to_string),
    })
}

/// `sso_session = NAME` takes the start URL and region from `[sso-session NAME]`;
/// a legacy profile has them itself. Either way the profile names the account
/// and the role.
fn sso_of(set: &ProfileSet, p: &Profile) -> Result<SsoSource, ConfigError> {
    let name = p.name().to_string();
    let need = |key: &'static str, value: Option<&str>| {
        value.map(str::to_string).ok_or(ConfigError::Partial {
            profile: name.clone(),
            present: "sso settings",
            missing: key,
        })
    };
    let (session, start_url, region) = match p.get("sso_session") {
        Some(s) => {
            let sec = set
                .sso_session(s)
                .ok_or_else(|| ConfigError::SsoSessionMissing {
                    profile: name.clone(),
                    session: s.to_string(),
                })?;
            let from_session = |key: &'static str| {
                sec.get(key)
                    .map(str::to_string)
                    .ok_or_else(|| ConfigError::SsoSessionPartial {
                        session: s.to_string(),
                        missing: key,
                    })
            };
            (
                Some(s.to_string()),
                from_session("sso_start_url")?,
                from_session("sso_region")?,
            )
        }
        None => (
            None,
            need("sso_start_url", p.get("sso_start_url"))?,
            need("sso_region", p.get("sso_region"))?,
        ),
    };
    Ok(SsoSource {
        profile: name.clone(),
        session,
        start_url,
        region,
        account_id: need("sso_account_id", p.get("sso_account_id"))?,
        role_name: need("sso_role_name", p.get("sso_role_name"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_types::os_shim_internal::{Env, Fs};

    /// Parse a config file (and a credentials file) as the AWS CLI's files.
    fn set(config: &str, credentials: &str) -> ProfileSet {
        let fs = Fs::from_slice(&[("/c/config", config), ("/c/credentials", credentials)]);
        let env = Env::from_slice(&[
            ("HOME", "/c"),
            ("AWS_CONFIG_FILE", "/c/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/c/credentials"),
        ]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(aws_config::profile::load(
            &fs,
            &env,
            &Default::default(),
            None,
        ))
        .unwrap()
    }

    fn keys(profile: &str, id: &str) -> Base {
        Base::Static {
            profile: profile.into(),
            access_key_id: id.into(),
            secret_access_key: "s".into(),
            session_token: None,
        }
    }

    fn hop(profile: &str, role: &str) -> Hop {
        Hop {
            profile: profile.into(),
            role_arn: role.into(),
            session_name: None,
            external_id: None,
            mfa_serial: None,
            duration_seconds: None,
        }
    }

    /// <https://docs.aws.amazon.com/cli/latest/userguide/cli-roles.html>: "the AWS
    /// CLI uses the credentials defined in a separate profile user1 to assume the
    /// role"; `mfa_serial`, `external_id`, `role_session_name` and
    /// `duration_seconds` (cli-configure-role.html) go into the AssumeRole call.
    #[test]
    fn a_role_profile_assumes_from_its_source_profile_with_every_parameter() {
        let s = set(
            "[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\n\
             mfa_serial = arn:aws:iam::1:mfa/alice\nexternal_id = ext\nrole_session_name = me\n\
             duration_seconds = 1800\n",
            "[alice]\naws_access_key_id = A\naws_secret_access_key = s\n",
        );
        let c = resolve(&s, "admin").unwrap();
        assert_eq!(c.base, keys("alice", "A"));
        assert_eq!(
            c.hops,
            vec![Hop {
                session_name: Some("me".into()),
                external_id: Some("ext".into()),
                mfa_serial: Some("arn:aws:iam::1:mfa/alice".into()),
                duration_seconds: Some(1800),
                ..hop("admin", "arn:aws:iam::1:role/admin")
            }]
        );
    }

    /// A source profile that is itself a role makes a chain, assumed in order;
    /// one with static keys stops the chain even if it has a `role_arn` too.
    #[test]
    fn source_profiles_chain_roles_and_static_keys_end_the_chain() {
        let s = set(
            "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n\
             [profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\n\
             aws_access_key_id = A\naws_secret_access_key = s\n",
            "",
        );
        let c = resolve(&s, "c").unwrap();
        assert_eq!(c.base, keys("a", "A"));
        assert_eq!(
            c.hops,
            vec![
                hop("b", "arn:aws:iam::1:role/b"),
                hop("c", "arn:aws:iam::1:role/c")
            ]
        );
    }

    /// botocore: "A profile is allowed to reference itself so that it can source
    /// static credentials and have configuration all in the same profile";
    /// any other return to a visited profile is an infinite loop.
    #[test]
    fn a_profile_may_be_its_own_source_but_loops_are_errors() {
        let s = set(
            "[profile self]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = self\n\
             aws_access_key_id = A\naws_secret_access_key = s\n\
             [profile x]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = y\n\
             [profile y]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = x\n",
            "",
        );
        let c = resolve(&s, "self").unwrap();
        assert_eq!(c.base, keys("self", "A"));
        assert_eq!(c.hops, vec![hop("self", "arn:aws:iam::1:role/r")]);
        let e = resolve(&s, "x").unwrap_err();
        assert_eq!(e, ConfigError::Loop("x → y → x".into()));
        assert!(e.to_string().contains("x → y → x"), "{e}");
    }

    /// cli-configure-role.html: `credential_source` is `Environment`,
    /// `Ec2InstanceMetadata` or `EcsContainer`, and a profile takes it or
    /// `source_profile`, not both (botocore: "Either the credential source or the
    /// source profile must be specified, but not both").
    #[test]
    fn credential_source_is_one_of_three_and_excludes_source_profile() {
        let s = set(
            "[profile env]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n\
             [profile ecs]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = EcsContainer\n\
             [profile bad]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n\
             [profile both]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\nsource_profile = env\n\
             [profile none]\nrole_arn = arn:aws:iam::1:role/r\n",
            "",
        );
        let base = |n: &str| resolve(&s, n).map(|c| c.base);
        assert_eq!(
            base("env").unwrap(),
            Base::Source {
                profile: "env".into(),
                source: CredentialSource::Environment
            }
        );
        assert!(matches!(
            base("ecs").unwrap(),
            Base::Source {
                source: CredentialSource::EcsContainer,
                ..
            }
        ));
        assert!(matches!(
            base("bad"),
            Err(ConfigError::BadCredentialSource { .. })
        ));
        assert_eq!(base("both"), Err(ConfigError::BothSources("both".into())));
        assert_eq!(base("none"), Err(ConfigError::NoSource("none".into())));
    }

    /// cli-configure-sso.html: `sso_session` names an `[sso-session]` section
    /// with `sso_start_url` and `sso_region`; the profile has `sso_account_id`
    /// and `sso_role_name`. The legacy form keeps all four in the profile.
    #[test]
    fn sso_profiles_read_their_session_or_legacy_keys() {
        let s = set(
            "[profile boto3]\nsso_session = boto3\nsso_account_id = 111122223333\n\
             sso_role_name = Admin\n\
             [sso-session boto3]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n\
             [profile legacy]\nsso_start_url = https://y.awsapps.com/start\nsso_region = us-east-1\n\
             sso_account_id = 1\nsso_role_name = R\n\
             [profile nosession]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = R\n",
            "",
        );
        assert_eq!(
            resolve(&s, "boto3").unwrap().base,
            Base::Sso(SsoSource {
                profile: "boto3".into(),
                session: Some("boto3".into()),
                start_url: "https://x.awsapps.com/start".into(),
                region: "eu-west-1".into(),
                account_id: "111122223333".into(),
                role_name: "Admin".into(),
            })
        );
        let Base::Sso(legacy) = resolve(&s, "legacy").unwrap().base else {
            panic!("not sso")
        };
        assert_eq!(legacy.session, None);
        assert_eq!(legacy.start_url, "https://y.awsapps.com/start");
        assert!(matches!(
            resolve(&s, "nosession"),
            Err(ConfigError::SsoSessionMissing { .. })
        ));
    }

    /// cli-configure-sourcing-external.html: `credential_process` in a profile,
    /// usable as the source of a role. Static keys win over it, as in botocore's
    /// order (shared credentials before the process provider).
    #[test]
    fn credential_process_profiles_and_precedence() {
        let s = set(
            "[profile proc]\ncredential_process = /bin/creds --x\n\
             [profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = proc\n\
             [profile both]\ncredential_process = /bin/creds\n\
             [profile empty]\nregion = us-east-1\n",
            "[both]\naws_access_key_id = B\naws_secret_access_key = s\n",
        );
        let proc = Base::Process {
            profile: "proc".into(),
            command: "/bin/creds --x".into(),
        };
        assert_eq!(resolve(&s, "proc").unwrap().base, proc);
        assert_eq!(resolve(&s, "role").unwrap().base, proc);
        assert_eq!(resolve(&s, "both").unwrap().base, keys("both", "B"));
        assert_eq!(
            resolve(&s, "empty"),
            Err(ConfigError::NoCredentials("empty".into()))
        );
    }

    #[test]
    fn missing_source_profiles_and_bad_values_are_named() {
        let s = set(
            "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = nope\n\
             [profile d]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\nduration_seconds = 1h\n\
             [profile half]\naws_access_key_id = A\n",
            "",
        );
        let e = resolve(&s, "r").unwrap_err().to_string();
        assert!(e.contains("`nope`") && e.contains("`r`"), "{e}");
        let e = resolve(&s, "d").unwrap_err().to_string();
        assert!(e.contains("`1h`") && e.contains("duration_seconds"), "{e}");
        let e = resolve(&s, "half").unwrap_err().to_string();
        assert!(e.contains("aws_secret_access_key"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_secret_key_or_token() {
        let b = Base::Static {
            profile: "alice".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG".into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
        };
        let shown = format!("{b:?}");
        assert!(shown.contains("AKIAEXAMPLE"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(!shown.contains("FwoGZXIv"), "{shown}");
    }
}
