//! The account snapshot: one typed, versioned reading of an account's IAM
//! state in `GetAccountAuthorizationDetails`' shape (the JSON of `iamctl
//! account snapshot` and of `aws iam get-account-authorization-details`).
//! Read once, with its policy documents decoded once; every reader of
//! account state (the engine's [`crate::account::Account`], the IaC engine's
//! actual state, escalation analysis) takes a [`Snapshot`], never raw JSON.
//!
//! The format is documented in `docs/snapshot.md`.

mod err;
mod gaad;
pub mod org;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

pub use err::SnapshotError;
pub use gaad::{
    tag_list, tags_map, AttachedPolicy, Boundary, Group, InlinePolicy, InstanceProfile,
    ManagedPolicy, PolicyVersion, Principal, ProfileRole, Role, RoleLastUsed, Tag, Tags, User,
};

/// The snapshot format this iamctl writes, and the newest it reads. A
/// snapshot without `FormatVersion` (the AWS CLI's output) is version 1.
pub const FORMAT_VERSION: u32 = 1;

/// A policy document as a snapshot holds it, decoded once when read: the
/// AWS CLI and `iamctl account snapshot` write the JSON itself, the API
/// returns it as URL-encoded JSON text (also accepted, as is plain JSON
/// text). Text that is neither stays text, and readers treat it as no
/// document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document(Value);

impl Document {
    /// A document from JSON, or from its (URL-encoded) text.
    pub fn new(v: Value) -> Document {
        match v {
            Value::String(text) => Document(decode(&text).unwrap_or(Value::String(text))),
            v => Document(v),
        }
    }

    /// The decoded document; `None` when it could not be decoded (or is
    /// JSON `null`).
    pub fn json(&self) -> Option<&Value> {
        match &self.0 {
            Value::String(_) | Value::Null => None,
            v => Some(v),
        }
    }

    /// [`Document::json`], or `null`.
    pub fn to_value(&self) -> Value {
        self.json().cloned().unwrap_or(Value::Null)
    }

    /// As held: the decoded document, or the text that could not be.
    pub fn raw(&self) -> &Value {
        &self.0
    }
}

impl From<Value> for Document {
    fn from(v: Value) -> Document {
        Document::new(v)
    }
}

/// JSON text, or URL-encoded JSON text, decoded.
pub fn decode(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .ok()?;
        serde_json::from_str(&decoded).ok()
    })
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Document, D::Error> {
        Value::deserialize(d).map(Document::new)
    }
}

/// One account's IAM state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Snapshot {
    /// [`FORMAT_VERSION`] when written; as read, the file's (1 when absent).
    pub format_version: u32,
    pub user_detail_list: Vec<User>,
    pub group_detail_list: Vec<Group>,
    pub role_detail_list: Vec<Role>,
    pub policies: Vec<ManagedPolicy>,
}

/// The snapshot as a file holds it: which lists it has, and a version
/// checked before the rest is trusted.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    format_version: Option<u64>,
    user_detail_list: Option<Vec<User>>,
    group_detail_list: Option<Vec<Group>>,
    role_detail_list: Option<Vec<Role>>,
    policies: Option<Vec<ManagedPolicy>>,
}

impl Wire {
    fn check(self) -> Result<Snapshot, SnapshotError> {
        let version = self.format_version.unwrap_or(1);
        if version > u64::from(FORMAT_VERSION) || version == 0 {
            return Err(SnapshotError::Version {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if self.user_detail_list.is_none()
            && self.group_detail_list.is_none()
            && self.role_detail_list.is_none()
            && self.policies.is_none()
        {
            return Err(SnapshotError::NoLists);
        }
        Ok(Snapshot {
            format_version: FORMAT_VERSION,
            user_detail_list: self.user_detail_list.unwrap_or_default(),
            group_detail_list: self.group_detail_list.unwrap_or_default(),
            role_detail_list: self.role_detail_list.unwrap_or_default(),
            policies: self.policies.unwrap_or_default(),
        })
    }
}

fn json_error(e: &serde_json::Error) -> SnapshotError {
    // serde_json says "... at line L column C": the position goes first.
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    SnapshotError::Json {
        line: e.line(),
        column: e.column(),
        message,
    }
}

impl Snapshot {
    /// An empty snapshot of the current format.
    pub fn new() -> Snapshot {
        Snapshot {
            format_version: FORMAT_VERSION,
            ..Snapshot::default()
        }
    }

    /// Reads a snapshot from its JSON text; errors name the line and
    /// column.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let first = text.trim_start().chars().next();
        if first.is_some_and(|c| c != '{') {
            // Valid JSON that is not an object, or not JSON at all.
            return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => Err(SnapshotError::NotObject),
                Err(e) => Err(json_error(&e)),
            };
        }
        let wire = Wire::deserialize(&mut de).map_err(|e| json_error(&e))?;
        de.end().map_err(|e| json_error(&e))?;
        wire.check()
    }

    /// Reads a snapshot from a JSON document already parsed (a backend's
    /// answer, a test's `json!`).
    pub fn from_value(v: &Value) -> Result<Snapshot, SnapshotError> {
        if !v.is_object() {
            return Err(SnapshotError::NotObject);
        }
        Wire::deserialize(v)
            .map_err(|e| SnapshotError::Json {
                line: 0,
                column: 0,
                message: e.to_string(),
            })?
            .check()
    }

    /// The snapshot as JSON, in the format it is read from.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The account ID its ARNs name (not `aws`).
    pub fn account_id(&self) -> Option<&str> {
        let users = self.user_detail_list.iter().map(|u| u.arn.as_str());
        let roles = self.role_detail_list.iter().map(|r| r.arn.as_str());
        let groups = self.group_detail_list.iter().map(|g| g.arn.as_str());
        let policies = self.policies.iter().map(|p| p.arn.as_str());
        users
            .chain(roles)
            .chain(groups)
            .chain(policies)
            .filter_map(|arn| arn.split(':').nth(4))
            .find(|id| !id.is_empty() && *id != "aws")
    }

    /// The managed policy with this ARN.
    pub fn policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.policies.iter().find(|p| p.arn == arn)
    }

    /// The managed policies users, groups and roles have attached or use
    /// as permissions boundary that `Policies` does not hold, sorted: what
    /// an analysis over the snapshot would miss (AWS-managed policies in a
    /// `--local-only` snapshot). Empty for a complete snapshot.
    pub fn missing_policies(&self) -> Vec<String> {
        let held: std::collections::HashSet<&str> =
            self.policies.iter().map(|p| p.arn.as_str()).collect();
        let mut missing = std::collections::BTreeSet::new();
        let principals = self
            .user_detail_list
            .iter()
            .map(|u| u as &dyn Principal)
            .chain(self.group_detail_list.iter().map(|g| g as &dyn Principal))
            .chain(self.role_detail_list.iter().map(|r| r as &dyn Principal));
        for p in principals {
            let attached = p.attached().iter().map(|a| a.policy_arn.as_str());
            for arn in attached.chain(p.boundary_arn()) {
                if !held.contains(arn) {
                    missing.insert(arn.to_owned());
                }
            }
        }
        missing.into_iter().collect()
    }
}
