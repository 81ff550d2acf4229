//! The answers' parts as data: the statements that decided and where they
//! sit (SCPs and RCPs with their place in the tree), and the notes.

use std::fmt;

use serde::Serialize;

use crate::eval::{Decision, Note};

/// Why SCPs or RCPs were not applied to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Exemption {
    /// The principal (SCPs) or resource (RCPs) is in the management account.
    ManagementAccount,
    /// The principal is a service-linked role.
    ServiceLinkedRole,
    /// RCPs: the action's service is not one RCPs apply to.
    ServiceNotCovered,
    /// RCPs: an AWS managed KMS key.
    AwsManagedKey,
    /// RCPs: the resource is not in the organisation (or not known).
    OutsideOrganization,
}

impl fmt::Display for Exemption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exemption::ManagementAccount => "the management account",
            Exemption::ServiceLinkedRole => "a service-linked role",
            Exemption::ServiceNotCovered => "a service RCPs do not apply to",
            Exemption::AwsManagedKey => "an AWS managed KMS key",
            Exemption::OutsideOrganization => "a resource outside the organisation",
        })
    }
}

/// Where a deciding statement sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "layer",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Origin {
    Identity {
        account: String,
    },
    PermissionsBoundary {
        account: String,
    },
    Session,
    Resource {
        arn: String,
        account: String,
    },
    Scp {
        policy_id: String,
        place: super::Place,
    },
    Rcp {
        policy_id: String,
        place: super::Place,
    },
}

/// A statement that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub policy: String,
    pub sid: Option<String>,
    pub statement: usize,
    pub effect: &'static str,
    pub origin: Origin,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sid = self
            .sid
            .as_deref()
            .map(|s| format!(" `{s}`"))
            .unwrap_or_default();
        let (p, n) = (&self.policy, self.statement);
        match &self.origin {
            Origin::Scp { place, .. } => write!(f, "SCP `{p}` (statement {n}{sid}) at {place}"),
            Origin::Rcp { place, .. } => write!(f, "RCP `{p}` (statement {n}{sid}) at {place}"),
            Origin::Resource { arn, .. } => {
                write!(f, "resource policy of `{arn}` (statement {n}{sid})")
            }
            Origin::PermissionsBoundary { .. } => {
                write!(f, "permissions boundary `{p}` (statement {n}{sid})")
            }
            Origin::Session => write!(f, "session policy (statement {n}{sid})"),
            Origin::Identity { .. } => match p.split_once('#') {
                Some((_, inline)) => write!(f, "inline `{inline}` (statement {n}{sid})"),
                None => write!(
                    f,
                    "`{}` (statement {n}{sid})",
                    p.rsplit('/').next().unwrap_or(p)
                ),
            },
        }
    }
}

/// What else the answer rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgNote {
    /// The engine's own note.
    Engine(Note),
    /// No SCP at this place allows the action.
    ScpDoesNotAllow(super::Place),
    ScpsNotApplied(Exemption),
    RcpsNotApplied(Exemption),
    /// S3 Block Public Access (`RestrictPublicBuckets`) set the bucket's
    /// public policy aside.
    BlockPublicAccess {
        bucket: String,
        account_level: bool,
    },
    /// The KMS key's policy is not in the snapshot.
    KeyPolicyAssumed(String),
}

impl OrgNote {
    /// A stable word for JSON.
    pub fn code(&self) -> &'static str {
        match self {
            OrgNote::Engine(_) => "engine",
            OrgNote::ScpDoesNotAllow(_) => "scpDoesNotAllow",
            OrgNote::ScpsNotApplied(_) => "scpsNotApplied",
            OrgNote::RcpsNotApplied(_) => "rcpsNotApplied",
            OrgNote::BlockPublicAccess { .. } => "blockPublicAccess",
            OrgNote::KeyPolicyAssumed(_) => "keyPolicyAssumed",
        }
    }
}

impl fmt::Display for OrgNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrgNote::Engine(n) => n.fmt(f),
            OrgNote::ScpDoesNotAllow(place) => {
                write!(f, "no service control policy at {place} allows the action")
            }
            OrgNote::ScpsNotApplied(why) => write!(f, "SCPs do not apply: {why}"),
            OrgNote::RcpsNotApplied(why) => write!(f, "RCPs do not apply: {why}"),
            OrgNote::BlockPublicAccess {
                bucket,
                account_level,
            } => write!(
                f,
                "S3 Block Public Access (RestrictPublicBuckets, {} setting) sets aside the public policy of `{bucket}`",
                if *account_level { "account" } else { "bucket" }
            ),
            OrgNote::KeyPolicyAssumed(key) => write!(
                f,
                "the policy of KMS key `{key}` is not in the snapshot; assumed to be the default key policy (IAM policies decide)"
            ),
        }
    }
}

impl Serialize for OrgNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("code", self.code())?;
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

/// The answer for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgEvaluation {
    pub decision: Decision,
    pub principal: String,
    pub principal_account: String,
    pub resource_account: String,
    /// For `explicitDeny` the denying statements; for `allowed` the
    /// allowing ones of every layer that had to allow.
    pub reasons: Vec<Reason>,
    pub notes: Vec<OrgNote>,
}

impl Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
