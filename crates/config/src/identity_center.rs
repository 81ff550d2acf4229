//! IAM Identity Center as code: the model of `settings.identity_center`,
//! `identity-center/<team>.yaml` and the Identity Center entries of
//! `permanent-access` / `temporary-access`, and the desired state they ask
//! for (permission sets, users, groups, account assignments).
//!
//! Sources for the rules (checked by `validate`, see `validate/ic.rs`):
//! - CreatePermissionSet, <https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreatePermissionSet.html>:
//!   `Name` "Length Constraints: Minimum length of 1. Maximum length of 32.
//!   Pattern: `[\w+=,.@-]+`"; `Description` "Maximum length of 700".
//! - "Create, manage, and delete permission sets",
//!   <https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsets.html>:
//!   "By default, the value for Session duration is one hour. You can specify
//!   a maximum value of 12 hours."
//! - "Quotas and limits in IAM Identity Center",
//!   <https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html>:
//!   "Number of inline policies per permission set: 1"; "Number of AWS managed
//!   and customer managed policies per permission set: 20" (IAM's default quota
//!   of 10 managed policies per role applies in each account unless raised);
//!   "Maximum size of inline policy per permission set: 32,768 bytes. Maximum
//!   size of non-whitespace characters in the inline policy per permission set
//!   is 10,240 bytes."
//! - Identity Store CreateUser, <https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_CreateUser.html>:
//!   `DisplayName`: "When used in IAM Identity Center, this parameter is required."
//!
//! Expiry is enforced by AWS: a temporary assignment gets a permission set of
//! its own (one per base permission set and expiry instant) whose inline policy
//! adds `Deny * on *` once `aws:CurrentTime` passes the expiry. An explicit
//! deny wins over every allow, AWS-managed policies included, and is evaluated
//! on every request, so sessions started before the expiry lose the access too.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::desired::{parse_expiry, rfc3339, statement_json};
use crate::diag::{Span, Spanned};
use crate::model::{Config, Team};

/// The most characters of a permission set name.
pub const PERMISSION_SET_NAME_CHARS: usize = 32;
/// The most characters of a permission set description.
pub const PERMISSION_SET_DESCRIPTION_CHARS: usize = 700;
/// Session duration bounds, in seconds (1 hour to 12 hours).
pub const SESSION_SECONDS: (i64, i64) = (3_600, 12 * 3_600);
/// The most AWS-managed and customer-managed policies of one permission set.
pub const MAX_PERMISSION_SET_MANAGED: usize = 20;
/// IAM's default quota of managed policies per role, which applies to the
/// role a permission set becomes in each account.
pub const DEFAULT_ROLE_MANAGED_QUOTA: usize = 10;
/// The most bytes of a permission set's inline policy.
pub const INLINE_POLICY_BYTES: usize = 32_768;
/// The most non-whitespace characters of a permission set's inline policy.
pub const INLINE_POLICY_CHARS: usize = 10_240;

/// `settings.identity_center`.
#[derive(Debug, Clone)]
pub struct IdentityCenterSettings {
    pub span: Span,
    /// An environment name from `aws-accounts`: the account holding the instance.
    pub account: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    /// `directory` (the default) or `external`.
    pub identity_source: Option<Spanned<String>>,
}

/// Where Identity Center's users and groups come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// The Identity Center directory: iamctl creates the declared users and groups.
    Directory,
    /// An external identity provider (SCIM): users and groups are only referenced.
    External,
}

impl IdentityCenterSettings {
    /// The identity source; `None` when the value is not one we know
    /// (validate reports it).
    pub fn source(&self) -> Option<IdentitySource> {
        match self.identity_source.as_ref().map(|s| s.value.as_str()) {
            None | Some("directory") => Some(IdentitySource::Directory),
            Some("external") => Some(IdentitySource::External),
            Some(_) => None,
        }
    }
}

/// `identity-center/<team>.yaml`.
#[derive(Debug, Clone, Default)]
pub struct IdentityCenter {
    /// The file's span, for errors about the file as a whole.
    pub span: Option<Span>,
    /// By user name (`directory` only).
    pub users: BTreeMap<String, SsoUser>,
    pub groups: BTreeMap<String, SsoGroup>,
    pub permission_sets: BTreeMap<String, PermissionSet>,
}

impl IdentityCenter {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty() && self.permission_sets.is_empty()
    }
}

/// A user of the Identity Center directory.
#[derive(Debug, Clone)]
pub struct SsoUser {
    pub name: Spanned<String>,
    pub given_name: Option<Spanned<String>>,
    pub family_name: Option<Spanned<String>>,
    pub display_name: Option<Spanned<String>>,
    /// The primary email; the user name when it is an address and this is absent.
    pub email: Option<Spanned<String>>,
}

impl SsoUser {
    /// `display_name`, else "given family".
    pub fn display_name(&self) -> String {
        match &self.display_name {
            Some(d) => d.value.clone(),
            None => [&self.given_name, &self.family_name]
                .iter()
                .filter_map(|n| n.as_ref().map(|n| n.value.as_str()))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// `email`, else the user name when it looks like an address.
    pub fn email(&self) -> Option<&str> {
        match &self.email {
            Some(e) => Some(&e.value),
            None if self.name.value.contains('@') => Some(&self.name.value),
            None => None,
        }
    }
}

/// A group of the Identity Center directory.
#[derive(Debug, Clone)]
pub struct SsoGroup {
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub members: Vec<Spanned<String>>,
}

/// A permission set built from `aws-policies` entries.
#[derive(Debug, Clone)]
pub struct PermissionSet {
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    /// As written: `1h`, `90m`, `12h`, or ISO 8601 `PT1H`.
    pub session_duration: Option<Spanned<String>>,
    /// Keys of the team's `aws-policies`.
    pub grants: Vec<Spanned<String>>,
    /// An AWS-managed policy ARN, or a customer-managed policy's name
    /// (`/path/name` or `name`) that must exist in every account.
    pub permissions_boundary: Option<Spanned<String>>,
}

/// An entry of `permanent-access` that names Identity Center principals.
#[derive(Debug, Clone)]
pub struct SsoPermanentGrant {
    pub span: Span,
    pub description: Option<Spanned<String>>,
    pub sso_users: Vec<Spanned<String>>,
    pub sso_groups: Vec<Spanned<String>>,
    pub environments: Vec<Spanned<String>>,
    pub permission_set: Option<Spanned<String>>,
}

/// An entry of `temporary-access` that names an Identity Center principal.
#[derive(Debug, Clone)]
pub struct SsoTemporaryGrant {
    pub span: Span,
    pub description: Option<Spanned<String>>,
    pub expiration_date: Option<Spanned<String>>,
    pub sso_user: Option<Spanned<String>>,
    pub sso_group: Option<Spanned<String>>,
    pub environment: Option<Spanned<String>>,
    pub permission_set: Option<Spanned<String>>,
}

impl SsoTemporaryGrant {
    pub fn principal(&self) -> Option<SsoPrincipal> {
        self.sso_user
            .as_ref()
            .map(|u| SsoPrincipal::User(u.value.clone()))
            .or(self
                .sso_group
                .as_ref()
                .map(|g| SsoPrincipal::Group(g.value.clone())))
    }
}

/// Who an assignment is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SsoPrincipal {
    User(String),
    Group(String),
}

impl SsoPrincipal {
    /// `USER` or `GROUP`, as `CreateAccountAssignment` names them.
    pub fn principal_type(&self) -> &'static str {
        match self {
            SsoPrincipal::User(_) => "USER",
            SsoPrincipal::Group(_) => "GROUP",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            SsoPrincipal::User(n) | SsoPrincipal::Group(n) => n,
        }
    }
}

impl std::fmt::Display for SsoPrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SsoPrincipal::User(n) => write!(f, "user `{n}`"),
            SsoPrincipal::Group(n) => write!(f, "group `{n}`"),
        }
    }
}

impl Team {
    /// Whether any of the team's files speaks of Identity Center.
    pub fn has_identity_center(&self) -> bool {
        !self.identity_center.is_empty()
            || !self.sso_permanent.is_empty()
            || !self.sso_temporary.is_empty()
    }
}

impl Config {
    /// Whether the configuration speaks of Identity Center anywhere.
    pub fn has_identity_center(&self) -> bool {
        self.settings.identity_center.is_some()
            || self.teams.values().any(Team::has_identity_center)
    }

    /// The permission set of that name, declared by any team, with its team.
    pub fn find_permission_set(&self, name: &str) -> Option<(&Team, &PermissionSet)> {
        self.teams
            .values()
            .find_map(|t| t.identity_center.permission_sets.get(name).map(|p| (t, p)))
    }

    pub fn find_sso_user(&self, name: &str) -> Option<&SsoUser> {
        self.teams
            .values()
            .find_map(|t| t.identity_center.users.get(name))
    }

    pub fn find_sso_group(&self, name: &str) -> Option<&SsoGroup> {
        self.teams
            .values()
            .find_map(|t| t.identity_center.groups.get(name))
    }
}

/// A session duration in seconds: `1h`, `90m`, `12h`, `3600s`, or ISO 8601
/// (`PT1H`, `PT1H30M`).
pub fn parse_session_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(iso) = s.strip_prefix("PT") {
        let mut total = 0i64;
        let mut digits = String::new();
        for c in iso.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let n: i64 = digits.parse().ok()?;
            digits.clear();
            total += n * match c {
                'H' => 3_600,
                'M' => 60,
                'S' => 1,
                _ => return None,
            };
        }
        return digits.is_empty().then_some(total);
    }
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = digits.parse().ok()?;
    let factor = match unit.trim() {
        "h" | "hour" | "hours" => 3_600,
        "m" | "min" | "minutes" => 60,
        "s" | "seconds" => 1,
        _ => return None,
    };
    Some(n * factor)
}

/// Seconds as ISO 8601, as `CreatePermissionSet` takes a session duration.
pub fn iso_duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3_600, seconds % 3_600 / 60, seconds % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || out == "PT" {
        out.push_str(&format!("{s}S"));
    }
    out
}

/// The Identity Center state the configuration asks for, as of an instant.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DesiredIdentityCenter {
    /// Directory users to create (empty with an external identity source).
    pub users: Vec<DesiredSsoUser>,
    pub groups: Vec<DesiredSsoGroup>,
    pub permission_sets: Vec<DesiredPermissionSet>,
    pub assignments: Vec<DesiredAssignment>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DesiredSsoUser {
    pub user_name: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub team: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DesiredSsoGroup {
    pub display_name: String,
    pub description: Option<String>,
    pub members: BTreeSet<String>,
    pub team: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DesiredPermissionSet {
    pub name: String,
    pub description: Option<String>,
    /// ISO 8601 (`PT1H`).
    pub session_duration: String,
    /// AWS-managed policy ARNs.
    pub managed_policies: Vec<String>,
    /// Customer-managed policy references `(name, path)`, which must exist in
    /// every account the permission set is provisioned to.
    pub customer_managed: Vec<(String, String)>,
    /// The one inline policy: the grants' `custom_statements`, and for a
    /// temporary copy the deny after expiry.
    pub inline_policy: Option<Value>,
    /// An AWS-managed policy ARN, or a customer-managed `(name, path)`.
    pub permissions_boundary: Option<Boundary>,
    pub team: String,
    /// For the copy of a temporary assignment: the permission set it copies.
    pub base: Option<String>,
    /// For the copy of a temporary assignment: when AWS starts denying.
    #[serde(serialize_with = "ser_opt_ts")]
    pub expires: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    AwsManaged(String),
    CustomerManaged { name: String, path: String },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DesiredAssignment {
    pub principal: SsoPrincipal,
    pub environment: String,
    pub account_id: String,
    pub permission_set: String,
    pub team: String,
    pub description: Option<String>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub expires: Option<Timestamp>,
}

impl serde::Serialize for SsoPrincipal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SsoPrincipal", 2)?;
        st.serialize_field("type", self.principal_type())?;
        st.serialize_field("name", self.name())?;
        st.end()
    }
}

fn ser_opt_ts<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// The name of the permission set that carries a temporary assignment of
/// `base` until `expires`: `<base, at most 21 characters>-<YYMMDDHHMM>` (32
/// characters at most, IAM Identity Center's limit). Temporary assignments of
/// one base set with one expiry minute share it (same policies, same deny).
pub fn temporary_set_name(base: &str, expires: Timestamp) -> String {
    let stem: String = base.chars().take(21).collect();
    format!("{stem}-{}", expires.strftime("%y%m%d%H%M"))
}

/// The statement that ends a temporary permission set's access at `expires`.
pub fn expiry_deny_statement(expires: Timestamp) -> Value {
    json!({
        "Sid": "IamctlExpired",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": rfc3339(expires)}},
    })
}

/// The inline policy of a permission set: every grant's `custom_statements`,
/// plus the expiry deny for a temporary copy; `None` when there is nothing.
pub fn inline_policy(
    team: &Team,
    set: &PermissionSet,
    expires: Option<Timestamp>,
) -> Option<Value> {
    let mut statements: Vec<Value> = set
        .grants
        .iter()
        .filter_map(|g| team.policies.get(&g.value))
        .filter(|p| !p.existing)
        .flat_map(|p| p.custom_statements.iter().map(statement_json))
        .collect();
    if let Some(at) = expires {
        statements.push(expiry_deny_statement(at));
    }
    (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}))
}

/// The AWS-managed policy ARNs and the customer-managed references of a
/// permission set's grants.
pub fn managed_policies(team: &Team, set: &PermissionSet) -> (Vec<String>, Vec<(String, String)>) {
    let mut aws = Vec::new();
    let mut customer = Vec::new();
    for g in &set.grants {
        let Some(p) = team.policies.get(&g.value) else {
            continue;
        };
        for arn in &p.managed_policies {
            match customer_ref(&arn.value) {
                Some(r) => customer.push(r),
                None => aws.push(arn.value.clone()),
            }
        }
        if p.existing {
            customer.push((p.iam_name(&team.name), p.iam_path("/")));
        }
    }
    aws.dedup();
    customer.dedup();
    (aws, customer)
}

/// A customer-managed policy ARN as Identity Center references it: `(name, path)`.
/// `None` for an AWS-managed one (account `aws`).
fn customer_ref(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, _service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if account == "aws" {
        return None;
    }
    let path_name = resource.strip_prefix("policy")?;
    let (path, name) = path_name.rsplit_once('/')?;
    Some((name.to_owned(), format!("{path}/")))
}

/// The permissions boundary as written: an ARN of an AWS-managed policy, or a
/// customer-managed policy's `/path/name` or `name`.
pub fn boundary(written: &str) -> Boundary {
    if written.starts_with("arn:") {
        match customer_ref(written) {
            Some((name, path)) => Boundary::CustomerManaged { name, path },
            None => Boundary::AwsManaged(written.to_owned()),
        }
    } else {
        match written.rsplit_once('/') {
            Some((path, name)) => Boundary::CustomerManaged {
                name: name.to_owned(),
                path: format!("{path}/"),
            },
            None => Boundary::CustomerManaged {
                name: written.to_owned(),
                path: "/".to_owned(),
            },
        }
    }
}

fn desired_set(
    team: &Team,
    set: &PermissionSet,
    expires: Option<Timestamp>,
) -> DesiredPermissionSet {
    let (managed_policies, customer_managed) = managed_policies(team, set);
    let seconds = set
        .session_duration
        .as_ref()
        .and_then(|d| parse_session_duration(&d.value))
        .unwrap_or(SESSION_SECONDS.0);
    DesiredPermissionSet {
        name: match expires {
            Some(at) => temporary_set_name(&set.name.value, at),
            None => set.name.value.clone(),
        },
        description: set.description.as_ref().map(|d| d.value.clone()),
        session_duration: iso_duration(seconds),
        managed_policies,
        customer_managed,
        inline_policy: inline_policy(team, set, expires),
        permissions_boundary: set
            .permissions_boundary
            .as_ref()
            .map(|b| boundary(&b.value)),
        team: team.name.clone(),
        base: expires.map(|_| set.name.value.clone()),
        expires,
    }
}

/// The account id of an environment, from any team's `aws-accounts`.
fn account_of(config: &Config, team: &Team, env: &str) -> Option<String> {
    team.accounts
        .get(env)
        .or_else(|| config.teams.values().find_map(|t| t.accounts.get(env)))
        .map(|e| e.account_id.value.clone())
}

/// What Identity Center should hold as of `now`: the declared users, groups
/// and permission sets, a permission set per (base, expiry) of the temporary
/// assignments still running, and every assignment. Call it on a
/// configuration `validate` accepted; what it cannot resolve it leaves out.
pub fn desired_identity_center(config: &Config, now: Timestamp) -> DesiredIdentityCenter {
    let mut out = DesiredIdentityCenter::default();
    let directory = config
        .settings
        .identity_center
        .as_ref()
        .and_then(IdentityCenterSettings::source)
        .unwrap_or(IdentitySource::Directory)
        == IdentitySource::Directory;
    for team in config.teams.values() {
        let ic = &team.identity_center;
        if directory {
            out.users.extend(ic.users.values().map(|u| {
                DesiredSsoUser {
                    user_name: u.name.value.clone(),
                    display_name: u.display_name(),
                    given_name: u
                        .given_name
                        .as_ref()
                        .map_or_else(String::new, |n| n.value.clone()),
                    family_name: u
                        .family_name
                        .as_ref()
                        .map_or_else(String::new, |n| n.value.clone()),
                    email: u.email().map(str::to_owned),
                    team: team.name.clone(),
                }
            }));
            out.groups
                .extend(ic.groups.values().map(|g| DesiredSsoGroup {
                    display_name: g.name.value.clone(),
                    description: g.description.as_ref().map(|d| d.value.clone()),
                    members: g.members.iter().map(|m| m.value.clone()).collect(),
                    team: team.name.clone(),
                }));
        }
        out.permission_sets.extend(
            ic.permission_sets
                .values()
                .map(|s| desired_set(team, s, None)),
        );
        permanent_assignments(config, team, &mut out);
        temporary_assignments(config, team, now, &mut out);
    }
    out.permission_sets.sort_by(|a, b| a.name.cmp(&b.name));
    out.permission_sets.dedup_by(|a, b| a.name == b.name);
    out.assignments.sort_by(|a, b| {
        (&a.account_id, &a.permission_set, &a.principal).cmp(&(
            &b.account_id,
            &b.permission_set,
            &b.principal,
        ))
    });
    out
}

fn permanent_assignments(config: &Config, team: &Team, out: &mut DesiredIdentityCenter) {
    for g in &team.sso_permanent {
        let Some(set) = &g.permission_set else {
            continue;
        };
        let principals = g
            .sso_users
            .iter()
            .map(|u| SsoPrincipal::User(u.value.clone()))
            .chain(
                g.sso_groups
                    .iter()
                    .map(|x| SsoPrincipal::Group(x.value.clone())),
            );
        for principal in principals {
            for env in &g.environments {
                let Some(account_id) = account_of(config, team, &env.value) else {
                    continue;
                };
                out.assignments.push(DesiredAssignment {
                    principal: principal.clone(),
                    environment: env.value.clone(),
                    account_id,
                    permission_set: set.value.clone(),
                    team: team.name.clone(),
                    description: g.description.as_ref().map(|d| d.value.clone()),
                    expires: None,
                });
            }
        }
    }
}

fn temporary_assignments(
    config: &Config,
    team: &Team,
    now: Timestamp,
    out: &mut DesiredIdentityCenter,
) {
    for g in &team.sso_temporary {
        let (Some(principal), Some(set), Some(env), Some(date)) = (
            g.principal(),
            &g.permission_set,
            &g.environment,
            &g.expiration_date,
        ) else {
            continue;
        };
        let Ok(expires) = parse_expiry(&date.value) else {
            continue;
        };
        if expires <= now {
            continue; // expired: not granted; `cleanup` removes what carried it
        }
        let (Some((set_team, base)), Some(account_id)) = (
            config.find_permission_set(&set.value),
            account_of(config, team, &env.value),
        ) else {
            continue;
        };
        let copy = desired_set(set_team, base, Some(expires));
        out.assignments.push(DesiredAssignment {
            principal,
            environment: env.value.clone(),
            account_id,
            permission_set: copy.name.clone(),
            team: team.name.clone(),
            description: g.description.as_ref().map(|d| d.value.clone()),
            expires: Some(expires),
        });
        out.permission_sets.push(copy);
    }
}
