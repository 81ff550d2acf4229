//! What a plan cannot do ([`Conflict`]) and what it leaves alone
//! ([`Warning`]): typed, each with the sentence people read as its
//! `Display`. In the plan file each is an object: `kind` (kebab-case), its
//! fields, and `message`, that sentence.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Kind;

/// What stops the changes that depend on it (see [`super::Plan::blocked`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", tag = "kind", rename_all = "kebab-case")]
pub enum Conflict {
    /// A policy key declared `existing` whose policy the account lacks.
    ExistingPolicyMissing {
        policy: String,
        account: String,
        environment: String,
    },
    /// A policy key declared `existing` whose policy is at another ARN.
    ExistingPolicyElsewhere {
        policy: String,
        arn: String,
        wanted: String,
    },
    /// The managed policy a temporary grant copies could not be read.
    SourceUnreadable { source: String, policy: String },
    /// A policy document above IAM's 6,144 characters.
    PolicyTooLarge { policy: String, size: usize },
    /// A policy of a wanted name without iamctl's tags, and no `--adopt`.
    PolicyNotOurs { policy: String },
    /// A principal iamctl does not create (declared `existing`, or named in a
    /// grant and declared nowhere) is missing where something needs it.
    PrincipalMissing {
        principal: Kind,
        name: String,
        account: String,
        environment: String,
        /// Where it is declared `existing` (`file:line:column`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        declared_at: Option<String>,
        /// The grants, memberships and trusts that need it (`file:line:column`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        needed_by: Vec<String>,
    },
    /// A user or role of a wanted name without iamctl's tags, and no `--adopt`.
    PrincipalNotOurs { principal: Kind, name: String },
    /// A granted AWS-managed policy that does not exist (or cannot be read).
    AwsPolicyMissing {
        arn: String,
        principal: Kind,
        name: String,
    },
    /// An attachment to a group iamctl does not own that its record (a tag
    /// on the user `iamctl-state`) cannot hold: not made.
    GroupAttachmentUnrecordable {
        group: String,
        arn: String,
        reason: String,
    },
    /// A user named `iamctl-state` that is not iamctl's record.
    StateUserNotOurs { name: String },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::ExistingPolicyMissing {
                policy,
                account,
                environment,
            } => write!(
                f,
                "policy `{policy}` is declared `existing` but account `{account}` ({environment}) has no such policy"
            ),
            Conflict::ExistingPolicyElsewhere {
                policy,
                arn,
                wanted,
            } => write!(
                f,
                "policy `{policy}` is `{arn}`, not `{wanted}`: set its `path` in the configuration"
            ),
            Conflict::SourceUnreadable { source, policy } => write!(
                f,
                "policy `{source}`, which `{policy}` copies, could not be read"
            ),
            Conflict::PolicyTooLarge { policy, size } => write!(
                f,
                "policy `{policy}` would be {size} characters, above IAM's 6144 for a managed policy"
            ),
            Conflict::PolicyNotOurs { policy } => write!(
                f,
                "policy `{policy}` exists and is not managed by iamctl: pass `--adopt` to take it over"
            ),
            Conflict::PrincipalMissing {
                principal,
                name,
                account,
                environment,
                declared_at,
                needed_by,
            } => {
                write!(
                    f,
                    "{} `{name}` does not exist in account `{account}` ({environment})",
                    principal.as_str()
                )?;
                if let Some(at) = declared_at {
                    write!(f, "; declared `existing` at {at}")?;
                }
                if !needed_by.is_empty() {
                    write!(f, "; needed by {}", needed_by.join(", "))?;
                }
                write!(
                    f,
                    ": create it, or take it out of what grants to it in `{environment}`"
                )
            }
            Conflict::PrincipalNotOurs { principal, name } => write!(
                f,
                "{} `{name}` exists and is not managed by iamctl: pass `--adopt` to take it over, or declare it `existing: true`",
                principal.as_str()
            ),
            Conflict::AwsPolicyMissing {
                arn,
                principal,
                name,
            } => write!(
                f,
                "AWS-managed policy `{arn}`, granted to {} `{name}`, does not exist (or the deployer role cannot read it)",
                principal.as_str()
            ),
            Conflict::GroupAttachmentUnrecordable { group, arn, reason } => write!(
                f,
                "`{arn}` cannot be attached to group `{group}`: iamctl records what it attaches to a group it does not own in a tag on user `iamctl-state`, and {reason}; declare the group in the files to have iamctl manage it"
            ),
            Conflict::StateUserNotOurs { name } => write!(
                f,
                "user `{name}` exists and is not iamctl's record of group attachments (no tag `iamctl:state=group-attachments`): rename it, iamctl needs the name"
            ),
        }
    }
}

/// What a plan leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", tag = "kind", rename_all = "kebab-case")]
pub enum Warning {
    /// Resources tagged (or, for policies and groups, placed) for a team
    /// that has no files in the configuration directory.
    TeamWithoutFiles {
        team: String,
        resources: usize,
        /// `--prune-teams`: they are removed.
        pruned: bool,
    },
    /// A policy key declared `existing` whose policy holds another document
    /// than its `custom_statements`.
    ExistingPolicyDiffers { policy: String },
    /// A role of ours at another path than the configuration's.
    RoleCannotMove {
        role: String,
        path: String,
        wanted: String,
    },
    /// A group the configuration does not name, outside the IAM path of
    /// ours, holding policies of ours: it is never deleted.
    GroupNotOurs {
        group: String,
        /// `settings.iam_path`; `/` when nothing is ours by its path.
        iam_path: String,
    },
    /// The escalation analysis failed.
    EscalationsNotLookedFor { error: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::TeamWithoutFiles {
                team,
                resources,
                pruned: true,
            } => write!(
                f,
                "team `{team}` owns {resources} resource(s) and has no files: `--prune-teams` removes them"
            ),
            Warning::TeamWithoutFiles {
                team, resources, ..
            } => write!(
                f,
                "team `{team}` owns {resources} resource(s) and has no files; they are left alone (pass `--prune-teams` to remove them)"
            ),
            Warning::ExistingPolicyDiffers { policy } => write!(
                f,
                "policy `{policy}` holds another document than the configuration describes; it is declared `existing`, so iamctl leaves it as it is"
            ),
            Warning::RoleCannotMove { role, path, wanted } => write!(
                f,
                "role `{role}` is at path `{path}`, the configuration says `{wanted}`: IAM cannot move a role; rename it to have it made anew"
            ),
            Warning::GroupNotOurs { group, iam_path } if iam_path == "/" => write!(
                f,
                "group `{group}` is not in the configuration; IAM groups carry no tags, so iamctl never deletes one"
            ),
            Warning::GroupNotOurs { group, iam_path } => write!(
                f,
                "group `{group}` is not in the configuration; IAM groups carry no tags, so iamctl deletes only groups under `{iam_path}`"
            ),
            Warning::EscalationsNotLookedFor { error } => {
                write!(f, "new escalation paths were not looked for: {error}")
            }
        }
    }
}

/// The derived form (`kind` and fields) plus `message`, the `Display`.
fn with_message<S: Serializer>(
    fields: Result<serde_json::Value, serde_json::Error>,
    message: String,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut v = fields.map_err(serde::ser::Error::custom)?;
    if let Some(m) = v.as_object_mut() {
        m.insert("message".into(), message.into());
    }
    v.serialize(s)
}

/// The object without `message`, which is derived from the rest.
fn without_message<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
    let mut v = serde_json::Value::deserialize(d)?;
    if let Some(m) = v.as_object_mut() {
        m.remove("message");
    }
    Ok(v)
}

impl Serialize for Conflict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_message(
            Conflict::serialize(self, serde_json::value::Serializer),
            self.to_string(),
            s,
        )
    }
}

impl<'de> Deserialize<'de> for Conflict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Conflict::deserialize(without_message(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_message(
            Warning::serialize(self, serde_json::value::Serializer),
            self.to_string(),
            s,
        )
    }
}

impl<'de> Deserialize<'de> for Warning {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Warning::deserialize(without_message(d)?).map_err(serde::de::Error::custom)
    }
}

/// A conflict or warning matched by its sentence (for filters and tests).
macro_rules! by_text {
    ($t:ty) => {
        impl $t {
            /// Whether its sentence contains `pat`.
            pub fn contains(&self, pat: &str) -> bool {
                self.to_string().contains(pat)
            }

            /// Whether its sentence starts with `pat`.
            pub fn starts_with(&self, pat: &str) -> bool {
                self.to_string().starts_with(pat)
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.to_string().as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.to_string().as_str() == *other
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                self.to_string().as_str() == other.as_str()
            }
        }
    };
}

by_text!(Conflict);
by_text!(Warning);
