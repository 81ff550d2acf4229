//! The organisation snapshot: an AWS Organization's tree (root, OUs,
//! accounts), its SCPs and RCPs with their targets, and per account its IAM
//! [`Snapshot`] and resource-based policies. Versioned apart from the
//! account snapshot (`"FormatVersion": 1, "Kind": "organization"`); [`load`]
//! tells the two apart by content. The format is documented in
//! `docs/snapshot.md`.

mod err;
mod merge;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Deserializer, Serialize};

use super::{json_error, Document, Snapshot, SnapshotError, Wire};

pub use err::OrgError;
pub use merge::merge;

/// The organisation format this iamctl writes, and the newest it reads.
pub const ORG_FORMAT_VERSION: u32 = 1;
/// The `Kind` of an organisation snapshot.
pub const KIND: &str = "organization";

/// What a snapshot file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Account(Snapshot),
    Organization(OrgSnapshot),
}

/// An organisation, as collected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgSnapshot {
    pub format_version: u32,
    /// Always [`KIND`].
    pub kind: String,
    /// `o-...`.
    pub organization_id: String,
    pub management_account_id: String,
    /// `r-...`.
    pub root_id: String,
    #[serde(default)]
    pub organizational_units: Vec<OrgUnit>,
    #[serde(default)]
    pub accounts: Vec<OrgAccount>,
    /// SCPs and RCPs (`Policies` is the account snapshot's managed
    /// policies).
    #[serde(default)]
    pub organization_policies: Vec<OrgPolicy>,
    /// Accounts or regions the collection could not read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
}

/// An organizational unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgUnit {
    /// `ou-...`.
    pub id: String,
    pub name: String,
    /// The root's or another OU's ID.
    pub parent_id: String,
}

/// A member (or the management) account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgAccount {
    /// 12 digits.
    pub id: String,
    pub name: String,
    /// The root's or an OU's ID.
    pub parent_id: String,
    /// Its IAM; `None` when this collection did not read the account.
    #[serde(
        default,
        deserialize_with = "iam",
        skip_serializing_if = "Option::is_none"
    )]
    pub iam: Option<Snapshot>,
    #[serde(default)]
    pub resource_policies: Vec<ResourcePolicy>,
    /// The account's S3 Block Public Access settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_public_access_block: Option<PublicAccessBlock>,
}

/// An SCP or RCP and where it is attached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgPolicy {
    /// `p-...`.
    pub id: String,
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: OrgPolicyType,
    pub document: Document,
    /// Root, OU and account IDs.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgPolicyType {
    #[default]
    ServiceControlPolicy,
    ResourceControlPolicy,
}

/// The services whose resource-based policies a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceService {
    #[default]
    S3,
    Kms,
    Sqs,
    Sns,
    Lambda,
    SecretsManager,
    Ecr,
}

impl ResourceService {
    /// The IAM service prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            ResourceService::S3 => "s3",
            ResourceService::Kms => "kms",
            ResourceService::Sqs => "sqs",
            ResourceService::Sns => "sns",
            ResourceService::Lambda => "lambda",
            ResourceService::SecretsManager => "secretsmanager",
            ResourceService::Ecr => "ecr",
        }
    }
}

/// A resource and its resource-based policy (bucket, key, queue, topic,
/// function, secret, repository).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourcePolicy {
    pub arn: String,
    pub service: ResourceService,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `None`: the resource has no policy (a KMS key always has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    /// S3: the bucket's own Block Public Access settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<PublicAccessBlock>,
    /// KMS: `AWS` or `CUSTOMER` (`KeyManager` of DescribeKey).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_manager: Option<String>,
}

/// S3 Block Public Access, as `GetPublicAccessBlock` returns it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlock {
    #[serde(default)]
    pub block_public_acls: bool,
    #[serde(default)]
    pub ignore_public_acls: bool,
    #[serde(default)]
    pub block_public_policy: bool,
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

/// Part of the organisation a collection could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Failure {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub message: String,
}

/// An account's `Iam`: an account snapshot, where no list at all reads as an
/// empty account.
fn iam<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Snapshot>, D::Error> {
    let wire = Option::<Wire>::deserialize(d)?;
    let Some(wire) = wire else { return Ok(None) };
    let empty = wire.user_detail_list.is_none()
        && wire.group_detail_list.is_none()
        && wire.role_detail_list.is_none()
        && wire.policies.is_none();
    if empty && wire.format_version.unwrap_or(1) <= 1 {
        return Ok(Some(Snapshot::new()));
    }
    wire.check().map(Some).map_err(serde::de::Error::custom)
}

/// Either kind of snapshot as a file holds it, read in one pass.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AnyWire {
    #[serde(default)]
    kind: Option<String>,
    format_version: Option<u64>,
    user_detail_list: Option<Vec<super::User>>,
    group_detail_list: Option<Vec<super::Group>>,
    role_detail_list: Option<Vec<super::Role>>,
    policies: Option<Vec<super::ManagedPolicy>>,
    organization_id: Option<String>,
    management_account_id: Option<String>,
    root_id: Option<String>,
    organizational_units: Option<Vec<OrgUnit>>,
    accounts: Option<Vec<OrgAccount>>,
    organization_policies: Option<Vec<OrgPolicy>>,
    failures: Option<Vec<Failure>>,
}

/// Reads a snapshot file's text: an organisation snapshot when its `Kind`
/// is `organization`, else an account snapshot. Errors name the line and
/// column.
pub fn load(text: &str) -> Result<Loaded, OrgError> {
    let first = text.trim_start().chars().next();
    if first.is_some_and(|c| c != '{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => SnapshotError::NotObject,
            Err(e) => json_error(&e),
        }
        .into());
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let wire = AnyWire::deserialize(&mut de).map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))?;
    match wire.kind.as_deref() {
        None => Ok(Loaded::Account(
            Wire {
                format_version: wire.format_version,
                user_detail_list: wire.user_detail_list,
                group_detail_list: wire.group_detail_list,
                role_detail_list: wire.role_detail_list,
                policies: wire.policies,
            }
            .check()?,
        )),
        Some(KIND) => {
            let version = wire.format_version.unwrap_or(1);
            if version == 0 || version > u64::from(ORG_FORMAT_VERSION) {
                return Err(SnapshotError::Version {
                    found: version,
                    supported: ORG_FORMAT_VERSION,
                }
                .into());
            }
            let org = OrgSnapshot {
                format_version: ORG_FORMAT_VERSION,
                kind: KIND.to_owned(),
                organization_id: wire.organization_id.unwrap_or_default(),
                management_account_id: wire.management_account_id.unwrap_or_default(),
                root_id: wire.root_id.unwrap_or_default(),
                organizational_units: wire.organizational_units.unwrap_or_default(),
                accounts: wire.accounts.unwrap_or_default(),
                organization_policies: wire.organization_policies.unwrap_or_default(),
                failures: wire.failures.unwrap_or_default(),
            };
            org.check()?;
            Ok(Loaded::Organization(org))
        }
        Some(other) => Err(OrgError::Kind(other.to_owned())),
    }
}

impl OrgSnapshot {
    /// An empty organisation of the current format.
    pub fn new(organization_id: &str, management_account_id: &str, root_id: &str) -> OrgSnapshot {
        OrgSnapshot {
            format_version: ORG_FORMAT_VERSION,
            kind: KIND.to_owned(),
            organization_id: organization_id.to_owned(),
            management_account_id: management_account_id.to_owned(),
            root_id: root_id.to_owned(),
            ..OrgSnapshot::default()
        }
    }

    /// Reads an organisation snapshot; an account snapshot is refused.
    pub fn from_json(text: &str) -> Result<OrgSnapshot, OrgError> {
        match load(text)? {
            Loaded::Organization(org) => Ok(org),
            Loaded::Account(_) => Err(OrgError::Kind("account".to_owned())),
        }
    }

    /// The snapshot as JSON text, as it is read.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Whether the tree holds together: accounts once each, every parent
    /// known, no OU its own ancestor, every policy target known.
    pub fn check(&self) -> Result<(), OrgError> {
        let mut ids = std::collections::HashSet::new();
        for a in &self.accounts {
            if !ids.insert(a.id.as_str()) {
                return Err(OrgError::DuplicateAccount(a.id.clone()));
            }
        }
        let ous: std::collections::HashMap<&str, &OrgUnit> = self
            .organizational_units
            .iter()
            .map(|o| (o.id.as_str(), o))
            .collect();
        let known = |id: &str| id == self.root_id || ous.contains_key(id);
        let parents = self
            .organizational_units
            .iter()
            .map(|o| (&o.id, &o.parent_id))
            .chain(self.accounts.iter().map(|a| (&a.id, &a.parent_id)));
        for (child, parent) in parents {
            if !known(parent) {
                return Err(OrgError::UnknownParent {
                    child: child.clone(),
                    parent: parent.clone(),
                });
            }
        }
        for o in &self.organizational_units {
            let mut at = o.parent_id.as_str();
            for _ in 0..=ous.len() {
                match ous.get(at) {
                    Some(parent) if parent.id == o.id => return Err(OrgError::Cycle(o.id.clone())),
                    Some(parent) => at = &parent.parent_id,
                    None => break,
                }
            }
        }
        for p in &self.organization_policies {
            for t in &p.targets {
                if !known(t) && !ids.contains(t.as_str()) {
                    return Err(OrgError::UnknownTarget {
                        policy: p.name.clone(),
                        target: t.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The account with this ID or name.
    pub fn account(&self, key: &str) -> Option<&OrgAccount> {
        self.accounts
            .iter()
            .find(|a| a.id == key)
            .or_else(|| self.accounts.iter().find(|a| a.name == key))
    }

    /// The one account that holds a user or role `key` (ARN or name), if
    /// exactly one does; `account` (ID or name) when given.
    pub fn account_of(&self, key: &str, account: Option<&str>) -> Option<&OrgAccount> {
        if let Some(a) = account {
            return self.account(a);
        }
        let parts: Vec<&str> = key.splitn(6, ':').collect();
        if let ["arn", _, _, _, id, _] = parts.as_slice() {
            return self.accounts.iter().find(|a| a.id == *id);
        }
        let mut holders = self.accounts.iter().filter(|a| {
            a.iam.as_ref().is_some_and(|iam| {
                iam.user_detail_list.iter().any(|u| u.user_name == key)
                    || iam.role_detail_list.iter().any(|r| r.role_name == key)
            })
        });
        match (holders.next(), holders.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// The path of an OU from the root by names (`/workloads/prod`), or
    /// `/` for the root.
    pub fn ou_path(&self, id: &str) -> String {
        let mut names = Vec::new();
        let mut at = id;
        for _ in 0..=self.organizational_units.len() {
            match self.organizational_units.iter().find(|o| o.id == at) {
                Some(o) => {
                    names.push(o.name.as_str());
                    at = &o.parent_id;
                }
                None => break,
            }
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }
}
