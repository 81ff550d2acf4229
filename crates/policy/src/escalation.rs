//! Privilege escalation: which principals of an account can gain more than
//! they have, and the shortest way, each hop named with its action, its
//! resource and the statements that decide it.
//!
//! The methods come from DataDog's pathfinding.cloud (Apache-2.0), converted
//! by `scripts/gen-escalation-data` into `data/escalation-methods.tsv`, which
//! ships in the binary. Every hop is decided by the evaluation engine, so
//! conditions, explicit denies, permissions boundaries and resource
//! constraints count: a user allowed `iam:AttachUserPolicy` only for one
//! harmless policy cannot escalate with it.
//!
//! The search is breadth-first over *states* of the attacker: the principal
//! it acts as, the groups it has joined on the way, and what its session can
//! carry (an MFA device it enabled, a source identity it set). From a state
//! it can *become* another principal (credentials or a login profile for a
//! user, `sts:AssumeRole` allowed by both its identity policy and the role's
//! trust policy, a rewritten trust policy, a role passed to a service that
//! can assume it), *join* a group, or *write* permissions (inline or
//! attached policies of a user, role or group, a new default version of a
//! managed policy). A path ends where the state is an administrator, or
//! reaches a principal that an earlier state on the path wrote into one.
//! Paths have any length; a state is visited once per search, so cycles end.
//!
//! A condition counts as met when the attacker can obtain a session that
//! meets it (see [`session`]): a role session carries `aws:TokenIssueTime`;
//! a user gets one from `sts:GetSessionToken`, which no policy controls,
//! though such a session calls IAM only with MFA; a user that may enable
//! its own virtual MFA device has MFA; a role assumed with
//! `sts:SetSourceIdentity` has the source identity the attacker picked.
//!
//! Methods that need a resource the snapshot cannot show (an EC2 instance, a
//! Lambda function running as a role) count "if such a resource exists",
//! and a path using one is marked so.

mod graph;
mod hops;
pub mod render;
mod search;
mod session;

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Serialize;

use crate::eval::Policy;
use crate::snapshot::{Snapshot, SnapshotError};

const DATA: &str = include_str!("../data/escalation-methods.tsv");

/// How iamctl checks a method (the catalogue's `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    WriteUserInline,
    AttachUser,
    WriteRoleInline,
    AttachRole,
    WriteGroupInline,
    AttachGroup,
    PolicyVersion,
    JoinGroup,
    UserCredentials,
    AssumeRole,
    TrustRewrite,
    /// Two of the above on one target: found by composing them.
    Combo,
    NewPassrole,
    ExistingResource,
    Unsupported,
}

impl Kind {
    fn parse(s: &str) -> Kind {
        match s {
            "write-user-inline" => Kind::WriteUserInline,
            "attach-user" => Kind::AttachUser,
            "write-role-inline" => Kind::WriteRoleInline,
            "attach-role" => Kind::AttachRole,
            "write-group-inline" => Kind::WriteGroupInline,
            "attach-group" => Kind::AttachGroup,
            "policy-version" => Kind::PolicyVersion,
            "join-group" => Kind::JoinGroup,
            "user-credentials" => Kind::UserCredentials,
            "assume-role" => Kind::AssumeRole,
            "trust-rewrite" => Kind::TrustRewrite,
            "combo" => Kind::Combo,
            "new-passrole" => Kind::NewPassrole,
            "existing-resource" => Kind::ExistingResource,
            _ => Kind::Unsupported,
        }
    }
}

/// One escalation method of the catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// pathfinding.cloud's id, e.g. `iam-001`.
    pub id: String,
    pub kind: Kind,
    /// pathfinding.cloud's category, e.g. `self-escalation`.
    pub category: String,
    /// The actions it needs.
    pub actions: Vec<String>,
    /// For service methods: the service principal the role must trust.
    pub service: Option<String>,
    pub name: String,
}

/// The catalogue, decoded on first use.
pub fn methods() -> &'static [Method] {
    static METHODS: OnceLock<Vec<Method>> = OnceLock::new();
    METHODS.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 6).then(|| Method {
                    id: f[0].to_owned(),
                    kind: Kind::parse(f[1]),
                    category: f[2].to_owned(),
                    actions: f[3].split(',').map(str::to_owned).collect(),
                    service: (f[4] != "-").then(|| f[4].to_owned()),
                    name: f[5].to_owned(),
                })
            })
            .collect()
    })
}

/// Where the catalogue came from (its `# source` line).
pub fn source() -> &'static str {
    DATA.lines()
        .find_map(|l| l.strip_prefix("# source\t"))
        .unwrap_or("pathfinding.cloud")
}

/// One hop of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The principal acting (user or role ARN).
    pub principal: String,
    /// The catalogue method (`iam-013`), or `session` for a session the
    /// attacker obtains.
    pub method: String,
    pub action: String,
    pub resource: String,
    /// The statement that allows it: `policy (Sid or index)`.
    pub statement: String,
    /// Every statement that decided the hop (identity, resource or trust,
    /// boundary), the first being [`Step::statement`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<String>,
    /// The session the request is made with, when its conditions need one
    /// (e.g. "a session from `sts:GetSessionToken`").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// What the hop achieves.
    pub effect: String,
    /// Needs a resource the snapshot cannot show.
    pub if_resource_exists: bool,
}

/// The shortest way one principal reaches its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationPath {
    pub principal: String,
    /// `admin`, or the target principal's ARN.
    pub target: String,
    pub steps: Vec<Step>,
    /// Some step needs a resource the snapshot cannot show.
    pub if_resource_exists: bool,
}

/// What to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every permission.
    Admin,
    /// A given user or role (ARN or name).
    Principal(String),
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub paths: Vec<EscalationPath>,
    /// Principals that are administrators already.
    pub admins: Vec<String>,
    /// Principals examined.
    pub principals: usize,
    pub warnings: Vec<String>,
}

/// How to analyse, beyond the snapshot and the target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Only paths starting from this user or role (ARN or name).
    pub only: Option<&'a str>,
    /// Service control policies, levels from the organization root down to
    /// the account, which every hop must pass.
    pub scps: &'a [Vec<Policy>],
    /// The current instant (`2026-01-02T03:04:05Z`): requests carry it as
    /// `aws:CurrentTime`, and a session obtained now as
    /// `aws:TokenIssueTime`. Without it, conditions on time never hold for
    /// an `Allow`.
    pub now: Option<&'a str>,
}

/// Finds the escalation paths of an account snapshot (the JSON of `iamctl
/// account snapshot` or `aws iam get-account-authorization-details`).
/// `only` restricts the starting principals to one (ARN or name).
pub fn analyse(
    snapshot: &Snapshot,
    target: &Target,
    only: Option<&str>,
) -> Result<Report, SnapshotError> {
    analyse_with(
        snapshot,
        target,
        &Options {
            only,
            ..Options::default()
        },
    )
}

/// [`analyse`] under service control policies (levels from the
/// organization root down to the account), which every step must pass.
pub fn analyse_with_scps(
    snapshot: &Snapshot,
    target: &Target,
    only: Option<&str>,
    scps: &[Vec<Policy>],
) -> Result<Report, SnapshotError> {
    analyse_with(
        snapshot,
        target,
        &Options {
            only,
            scps,
            now: None,
        },
    )
}

/// [`analyse`] with every option.
pub fn analyse_with(
    snapshot: &Snapshot,
    target: &Target,
    options: &Options<'_>,
) -> Result<Report, SnapshotError> {
    let account = crate::account::Account::from_snapshot(snapshot);
    let g = graph::Graph::new(&account, snapshot, options.scps, options.now);
    let n = account.principals.len();
    let find = |key: &str| {
        account
            .principal_index(key)
            .ok_or_else(|| SnapshotError::NoPrincipal(key.to_string()))
    };
    let starts: Vec<usize> = match options.only {
        Some(key) => vec![find(key)?],
        None => (0..n).collect(),
    };
    let target_index = match target {
        Target::Admin => None,
        Target::Principal(key) => Some(find(key)?),
    };
    let paths = search::paths(&g, &starts, target_index);
    let admins = (0..n)
        .filter(|i| g.admin[*i])
        .map(|i| g.arn(i).to_owned())
        .collect();
    Ok(Report {
        paths,
        admins,
        principals: n,
        warnings: account.warnings.clone(),
    })
}

/// The escalation paths an account change opens: the paths to
/// administrator in `after` whose principal had none in `before` (both
/// snapshots as [`analyse`] reads them). For a plan to warn before anyone
/// applies it.
pub fn new_paths(
    before: &Snapshot,
    after: &Snapshot,
) -> Result<Vec<EscalationPath>, SnapshotError> {
    let old = analyse(before, &Target::Admin, None)?;
    let had: HashSet<&str> = old
        .paths
        .iter()
        .map(|p| p.principal.as_str())
        .chain(old.admins.iter().map(String::as_str))
        .collect();
    Ok(analyse(after, &Target::Admin, None)?
        .paths
        .into_iter()
        .filter(|p| !had.contains(p.principal.as_str()))
        .collect())
}
