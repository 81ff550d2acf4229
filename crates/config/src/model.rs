//! The configuration as read: our own types, every value with its place.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Source, Span, Spanned};

/// The deployer role assumed in each account unless configured otherwise.
pub const DEFAULT_DEPLOYER_ROLE: &str = "IAMAsCodeDeployer";
/// The longest a temporary grant may run, unless `settings.yaml` says otherwise.
pub const DEFAULT_MAX_TEMPORARY_SECONDS: i64 = 6 * 24 * 3600;
/// The IAM path under which iamctl puts the policies and groups it creates,
/// unless `settings.yaml` says otherwise (`iam_path`).
pub const DEFAULT_IAM_PATH: &str = "/iamctl/";

/// Everything in one configuration directory.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `settings.yaml`: defaults for every team.
    pub settings: Settings,
    /// By team name (the file stem of `<kind>/<team>.yaml`).
    pub teams: BTreeMap<String, Team>,
    /// What [`crate::load`] found while reading: malformed YAML, duplicate
    /// keys, unknown keys, wrong types. [`crate::validate`] repeats them.
    pub load_diagnostics: Vec<Diagnostic>,
    /// Every file read, by its relative path.
    pub sources: BTreeMap<String, Source>,
}

/// `settings.yaml` (`settings:` block), all optional.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Role assumed in every account (default `IAMAsCodeDeployer`).
    pub deployer_role: Option<Spanned<String>>,
    /// External id passed to AssumeRole.
    pub external_id: Option<Spanned<String>>,
    /// Region for STS and S3 (IAM is global).
    pub region: Option<Spanned<String>>,
    /// `6d`, `36h`, `90m` or a number of days; default 6 days.
    pub max_temporary_duration: Option<Spanned<String>>,
    /// `s3://bucket/prefix/` where apply keeps the master copy (seed 001).
    pub master_copy: Option<Spanned<String>>,
    /// The IAM path of what iamctl creates (default `/iamctl/`): a team's
    /// policies and groups go under `<iam_path><team>/`, so that
    /// GetAccountAuthorizationDetails alone shows them as ours. `/` puts
    /// them at `/`, as cloud-iam-self-serve does.
    pub iam_path: Option<Spanned<String>>,
    /// `identity_center`: the account and region of the IAM Identity Center
    /// instance, and where its users and groups come from.
    pub identity_center: Option<crate::identity_center::IdentityCenterSettings>,
    /// `organization`: the account that holds the organization's policies.
    pub organization: Option<crate::org_policies::OrganizationSettings>,
}

/// One team: the files named `<team>.yaml` in each directory.
#[derive(Debug, Clone, Default)]
pub struct Team {
    pub name: String,
    /// `aws-accounts/<team>.yaml`, by environment name.
    pub accounts: BTreeMap<String, Environment>,
    /// `aws-policies/<team>.yaml`, by key (`developers.read-only`).
    pub policies: BTreeMap<String, Policy>,
    /// `permanent-access/<team>.yaml`.
    pub permanent: Vec<PermanentGrant>,
    /// `temporary-access/<team>.yaml`.
    pub temporary: Vec<TemporaryGrant>,
    /// `users/<team>.yaml`, by IAM user name (emails already mapped).
    pub users: BTreeMap<String, User>,
    /// `roles/<team>.yaml`, by role name.
    pub roles: BTreeMap<String, Role>,
    /// `groups/<team>.yaml`, by group name.
    pub groups: BTreeMap<String, Group>,
    /// `s3-users/<team>.yaml`.
    pub s3_users: Vec<S3User>,
    /// `identity-center/<team>.yaml`.
    pub identity_center: crate::identity_center::IdentityCenter,
    /// The entries of `permanent-access/<team>.yaml` that name Identity
    /// Center users or groups (`sso_users`, `sso_groups`, `permission_set`).
    pub sso_permanent: Vec<crate::identity_center::SsoPermanentGrant>,
    /// The entries of `temporary-access/<team>.yaml` that name an Identity
    /// Center user or group (`sso_user`, `sso_group`, `permission_set`).
    pub sso_temporary: Vec<crate::identity_center::SsoTemporaryGrant>,
    /// `org-policies/<team>.yaml`: SCPs and RCPs, by key.
    pub org_policies: BTreeMap<String, crate::org_policies::OrgPolicy>,
}

/// An environment of `aws-accounts/<team>.yaml`: `prod: "345678901234"`, or
/// a mapping with `account_id` and the deployer settings for that account.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: Spanned<String>,
    pub account_id: Spanned<String>,
    pub deployer_role: Option<Spanned<String>>,
    pub external_id: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
}

/// A key of `aws-policies/<team>.yaml`.
#[derive(Debug, Clone)]
pub struct Policy {
    pub key: Spanned<String>,
    pub description: Option<Spanned<String>>,
    /// ARNs of managed policies attached as they are.
    pub managed_policies: Vec<Spanned<String>>,
    /// Bundled into one customer-managed policy named `<team>-<key>`.
    pub custom_statements: Vec<Statement>,
    /// The policy's IAM name instead of `<team>-<key>` (e.g. an imported policy).
    pub name: Option<Spanned<String>>,
    /// The policy's IAM path (default `/`).
    pub path: Option<Spanned<String>>,
    /// `existing: true`: a customer-managed policy that exists already and is
    /// not iamctl's. Grants attach and detach it; iamctl never creates,
    /// updates, tags or deletes it. `custom_statements`, if given, describe
    /// what it is expected to hold (a plan warns when it holds something else).
    pub existing: bool,
}

impl Policy {
    /// The IAM name of the key's customer-managed policy: `name`, else `<team>-<key>`.
    pub fn iam_name(&self, team: &str) -> String {
        self.name
            .as_ref()
            .map_or_else(|| policy_name(team, &self.key.value), |n| n.value.clone())
    }

    /// The IAM path of the key's customer-managed policy: its `path`, else
    /// `team_path` (see [`Config::team_path`]) for one iamctl makes, `/` for
    /// one declared `existing`.
    pub fn iam_path(&self, team_path: &str) -> String {
        match &self.path {
            Some(p) => p.value.clone(),
            None if self.existing => "/".to_owned(),
            None => team_path.to_owned(),
        }
    }

    /// The ARN of the key's customer-managed policy in `account`.
    pub fn arn(&self, team: &str, account: &str, team_path: &str) -> String {
        format!(
            "arn:aws:iam::{account}:policy{}{}",
            self.iam_path(team_path),
            self.iam_name(team)
        )
    }

    /// Whether granting the key attaches a customer-managed policy of its own
    /// (one iamctl makes from `custom_statements`, or an existing one).
    pub fn has_own_policy(&self) -> bool {
        self.existing || !self.custom_statements.is_empty()
    }
}

/// One entry of `custom_statements`.
#[derive(Debug, Clone)]
pub struct Statement {
    pub span: Span,
    pub sid: Option<Spanned<String>>,
    pub effect: Option<Spanned<String>>,
    pub actions: Vec<Spanned<String>>,
    pub not_actions: Vec<Spanned<String>>,
    pub resources: Vec<Spanned<String>>,
    pub not_resources: Vec<Spanned<String>>,
    /// `{operator: {key: value or [values]}}`, as IAM writes it.
    pub conditions: Option<Spanned<serde_json::Value>>,
}

/// An entry of `permanent-access/<team>.yaml`.
#[derive(Debug, Clone)]
pub struct PermanentGrant {
    pub span: Span,
    pub description: Option<Spanned<String>>,
    /// As written: an email (`user@example.com` is user `user`) or a name.
    pub users: Vec<Spanned<String>>,
    pub roles: Vec<Spanned<String>>,
    pub groups: Vec<Spanned<String>>,
    pub environments: Vec<Spanned<String>>,
    /// Policy keys of the team's `aws-policies` file.
    pub grants: Vec<Spanned<String>>,
}

/// An entry of `temporary-access/<team>.yaml`: one of `user`, `role`, `group`.
#[derive(Debug, Clone)]
pub struct TemporaryGrant {
    pub span: Span,
    pub description: Option<Spanned<String>>,
    /// `2025-11-30` (access until 23:59:59 UTC that day) or an RFC 3339 instant.
    pub expiration_date: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub role: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub environment: Option<Spanned<String>>,
    pub grant: Option<Spanned<String>>,
}

impl TemporaryGrant {
    /// The principal: kind and name as written.
    pub fn principal(&self) -> Option<(PrincipalKind, &Spanned<String>)> {
        self.user
            .as_ref()
            .map(|u| (PrincipalKind::User, u))
            .or(self.role.as_ref().map(|r| (PrincipalKind::Role, r)))
            .or(self.group.as_ref().map(|g| (PrincipalKind::Group, g)))
    }
}

/// User, role or group: the workspace's one principal kind.
pub use iamctl_policy::account::EntityKind as PrincipalKind;

/// `users/<team>.yaml`: a user iamctl creates and tags, or (`existing: true`)
/// one that exists already and only receives grants.
#[derive(Debug, Clone)]
pub struct User {
    /// The key as written (an email or a name).
    pub key: Spanned<String>,
    /// The IAM user name (the email's local part).
    pub name: String,
    pub existing: bool,
    pub path: Option<Spanned<String>>,
    pub tags: Vec<(Spanned<String>, Spanned<String>)>,
    /// A policy key of the team, or a policy ARN.
    pub permissions_boundary: Option<Spanned<String>>,
    /// Where the user is made; all the team's environments when absent.
    pub environments: Option<Vec<Spanned<String>>>,
}

/// `roles/<team>.yaml`.
#[derive(Debug, Clone)]
pub struct Role {
    pub key: Spanned<String>,
    pub existing: bool,
    pub description: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub trust: Option<Trust>,
    pub max_session_duration: Option<Spanned<u32>>,
    pub permissions_boundary: Option<Spanned<String>>,
    pub tags: Vec<(Spanned<String>, Spanned<String>)>,
    pub environments: Option<Vec<Spanned<String>>>,
}

/// Who may assume a role.
#[derive(Debug, Clone)]
pub struct Trust {
    pub span: Span,
    /// Principal ARNs, account ids, or service principals (`ec2.amazonaws.com`).
    pub principals: Vec<Spanned<String>>,
    /// Users of this configuration (emails or names), in the same account.
    pub users: Vec<Spanned<String>>,
    /// Only sessions signed in with MFA may assume the role.
    pub require_mfa: bool,
}

/// `groups/<team>.yaml`.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: Spanned<String>,
    pub existing: bool,
    pub path: Option<Spanned<String>>,
    /// Users (emails or names).
    pub members: Vec<Spanned<String>>,
    pub environments: Option<Vec<Spanned<String>>>,
}

/// `s3-users/<team>.yaml`: a user confined to its own prefix of a bucket
/// (seed 002), as `iamctl s3-user create` makes it.
#[derive(Debug, Clone)]
pub struct S3User {
    pub span: Span,
    pub bucket: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    /// `read` (default) or `read-write`.
    pub access: Option<Spanned<String>>,
    pub environments: Option<Vec<Spanned<String>>>,
}

/// Seed 004's rule: an email becomes the IAM user name by dropping the domain
/// (`user@example.com` is `user`); anything else is the name itself.
pub fn user_name(written: &str) -> String {
    written.split('@').next().unwrap_or(written).to_owned()
}

/// Seed 004's naming of created policies: `<team>-<key>`, dots to dashes.
pub fn policy_name(team: &str, key: &str) -> String {
    format!("{team}-{key}").replace('.', "-")
}

impl Config {
    /// The team's environments, by name.
    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams.get(name)
    }

    /// The user of that name declared by any team (the team's own first).
    pub fn find_user(&self, team: &str, written: &str) -> Option<(&Team, &User)> {
        let name = user_name(written);
        find(&self.teams, team, |t| t.users.get(&name))
    }

    pub fn find_role(&self, team: &str, name: &str) -> Option<(&Team, &Role)> {
        find(&self.teams, team, |t| t.roles.get(name))
    }

    pub fn find_group(&self, team: &str, name: &str) -> Option<(&Team, &Group)> {
        find(&self.teams, team, |t| t.groups.get(name))
    }

    /// The longest a temporary grant may run, in seconds (default 6 days);
    /// `None` when the setting cannot be read (validate reports it).
    pub fn max_temporary_seconds(&self) -> Option<i64> {
        match &self.settings.max_temporary_duration {
            None => Some(DEFAULT_MAX_TEMPORARY_SECONDS),
            Some(s) => parse_duration(&s.value),
        }
    }

    /// The IAM path of what iamctl creates: `settings.iam_path`, else
    /// `/iamctl/`.
    pub fn iam_path(&self) -> &str {
        self.settings
            .iam_path
            .as_ref()
            .map_or(DEFAULT_IAM_PATH, |p| p.value.as_str())
    }

    /// Where a team's policies and groups go unless their `path` says
    /// otherwise: `<iam_path><team>/` (`/iamctl/example-team/`), or `/`
    /// when `iam_path` is `/`.
    pub fn team_path(&self, team: &str) -> String {
        team_path(self.iam_path(), team)
    }

    /// The deployer role for an environment: its own, else the settings', else
    /// `IAMAsCodeDeployer`.
    pub fn deployer_role(&self, env: &Environment) -> String {
        env.deployer_role
            .as_ref()
            .or(self.settings.deployer_role.as_ref())
            .map_or_else(|| DEFAULT_DEPLOYER_ROLE.to_owned(), |s| s.value.clone())
    }
}

/// `<iam_path><team>/`, or `/` when `iam_path` is `/` (see
/// [`Config::team_path`]).
pub fn team_path(iam_path: &str, team: &str) -> String {
    if iam_path == "/" {
        "/".to_owned()
    } else {
        format!("{iam_path}{team}/")
    }
}

/// The team whose resource is at `path` by the rule of [`team_path`]: the
/// first segment after `iam_path` (`/iamctl/alpha/` is team `alpha`).
/// `None` when `iam_path` is `/` (nothing is ours by its path then) or the
/// path is not under it.
pub fn path_team<'a>(iam_path: &str, path: &'a str) -> Option<&'a str> {
    if iam_path == "/" || iam_path.is_empty() {
        return None;
    }
    let rest = path.strip_prefix(iam_path)?;
    let (team, _) = rest.split_once('/')?;
    (!team.is_empty()).then_some(team)
}

fn find<'a, T>(
    teams: &'a BTreeMap<String, Team>,
    first: &str,
    get: impl Fn(&'a Team) -> Option<&'a T>,
) -> Option<(&'a Team, &'a T)> {
    teams
        .get(first)
        .and_then(|t| get(t).map(|x| (t, x)))
        .or_else(|| teams.values().find_map(|t| get(t).map(|x| (t, x))))
}

/// `6d`, `36h`, `90m`, `3600s`, or a bare number of days, to seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "d"),
    };
    let n: i64 = digits.parse().ok()?;
    let factor = match unit {
        "d" | "day" | "days" => 86_400,
        "h" | "hour" | "hours" => 3_600,
        "m" | "min" | "minutes" => 60,
        "s" | "seconds" => 1,
        _ => return None,
    };
    n.checked_mul(factor).filter(|v| *v > 0)
}
