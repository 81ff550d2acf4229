//! What the configuration wants in one account: pure, from the model and an
//! instant. Plan compares this with what the account holds.

use std::collections::{BTreeMap, BTreeSet};

use iamctl_policy::templates::{s3_user_policy, trust_for_principals, S3Access};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::model::*;

/// The tag on everything iamctl creates.
pub use iamctl_policy::names::MANAGED_BY;
/// The team whose files ask for the resource.
pub const TAG_TEAM: &str = "iamctl:team";
/// The configuration key (policy key, user as written, role or group name).
pub const TAG_KEY: &str = "iamctl:key";
/// When a temporary grant ends (RFC 3339, UTC); `cleanup` finds expired grants by it.
pub const TAG_EXPIRES: &str = "iamctl:expires";
/// Who a temporary grant is for: `user/NAME`, `role/NAME` or `group/NAME`.
pub const TAG_GRANTEE: &str = "iamctl:grantee";

pub use iamctl_policy::snapshot::Tags;

/// One account's desired IAM resources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredAccount {
    pub environment: String,
    pub account_id: String,
    pub deployer_role: String,
    pub external_id: Option<String>,
    pub region: Option<String>,
    /// `settings.iam_path` (default `/iamctl/`): a team's policies and groups
    /// are made under `<iam_path><team>/`, and what is there is iamctl's
    /// (see [`crate::path_team`]); `/` when nothing is ours by its path.
    pub iam_path: String,
    /// Customer-managed policies, by name.
    pub policies: BTreeMap<String, DesiredPolicy>,
    pub users: BTreeMap<String, DesiredUser>,
    pub roles: BTreeMap<String, DesiredRole>,
    pub groups: BTreeMap<String, DesiredGroup>,
    /// Users and roles declared `existing: true` for this environment, needed
    /// or not (`user/<name>`, `role/<name>`): plan never deletes them, even
    /// when they carry iamctl's tags.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub existing: BTreeSet<String>,
}

/// A customer-managed policy iamctl owns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredPolicy {
    pub name: String,
    pub path: String,
    /// Whether the configuration gives the `path` (else it is the team's
    /// default, `<iam_path><team>/`): only a path given moves a policy iamctl
    /// owns at another path; one made before the default changed stays.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_set: bool,
    pub arn: String,
    pub description: Option<String>,
    pub body: PolicyBody,
    pub tags: Tags,
    /// Set for the policies of temporary grants.
    pub expires: Option<Timestamp>,
    /// False for a key declared `existing: true`: the policy is attached and
    /// detached, never created, updated, tagged or deleted. Its body, when
    /// not `null`, is what the configuration expects it to hold.
    pub managed: bool,
}

/// The document of a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PolicyBody {
    /// Known now.
    Document(Value),
    /// A temporary grant of a managed policy: a copy of `source_arn`'s default
    /// version made with [`expiring_copy`] when planning (it is read from the
    /// account), so that AWS itself stops allowing at `expires_at`.
    ExpiringCopyOf {
        source_arn: String,
        expires_at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredUser {
    pub name: String,
    pub path: String,
    /// False for `existing: true`: iamctl attaches to it but never creates,
    /// tags or deletes it.
    pub managed: bool,
    pub tags: Tags,
    pub permissions_boundary: Option<String>,
    /// Attached managed policies, by ARN.
    pub attached: BTreeSet<String>,
    /// Inline policies, by name.
    pub inline: BTreeMap<String, Value>,
    /// For a principal iamctl does not create (`existing: true`, or named in a
    /// grant and declared nowhere, seed 004's rule): the places
    /// (`file:line:column`) of the grants, memberships and trusts that need it
    /// in this account. It is in the desired state only where something needs
    /// it, and plan reports it missing as a conflict naming these places.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_by: Vec<String>,
    /// Where it is declared `existing: true` (`file:line:column`); `None` for
    /// one iamctl creates, or one declared nowhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredRole {
    pub name: String,
    pub path: String,
    pub managed: bool,
    pub description: Option<String>,
    pub trust: Option<Value>,
    pub max_session_duration: Option<u32>,
    pub tags: Tags,
    pub permissions_boundary: Option<String>,
    pub attached: BTreeSet<String>,
    pub inline: BTreeMap<String, Value>,
    /// For a principal iamctl does not create (`existing: true`, or named in a
    /// grant and declared nowhere, seed 004's rule): the places
    /// (`file:line:column`) of the grants, memberships and trusts that need it
    /// in this account. It is in the desired state only where something needs
    /// it, and plan reports it missing as a conflict naming these places.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_by: Vec<String>,
    /// Where it is declared `existing: true` (`file:line:column`); `None` for
    /// one iamctl creates, or one declared nowhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredGroup {
    pub name: String,
    pub path: String,
    /// Whether the configuration gives the `path` (see [`DesiredPolicy::path_set`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_set: bool,
    pub managed: bool,
    pub members: BTreeSet<String>,
    pub attached: BTreeSet<String>,
    pub inline: BTreeMap<String, Value>,
}

/// `2025-11-30` means through that day: until 23:59:59 UTC, as seed 004's
/// `DateLessThan` reads; an RFC 3339 instant means that instant.
pub fn parse_expiry(s: &str) -> Result<Timestamp, String> {
    let b = s.as_bytes();
    let date_like = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if date_like {
        let date: jiff::civil::Date = s
            .parse()
            .map_err(|_| format!("`{s}` is not a calendar date"))?;
        return date
            .at(23, 59, 59, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{s}`: {e}"));
    }
    s.parse::<Timestamp>().map_err(|_| {
        format!("expiration date `{s}` is neither a date (`YYYY-MM-DD`) nor an RFC 3339 instant")
    })
}

/// RFC 3339 in UTC, whole seconds: `2025-11-30T23:59:59Z`.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The IAM JSON of one statement; lists stay lists so that positions map back.
pub fn statement_json(st: &Statement) -> Value {
    let mut m = Map::new();
    if let Some(sid) = &st.sid {
        m.insert("Sid".into(), json!(sid.value));
    }
    m.insert(
        "Effect".into(),
        json!(st.effect.as_ref().map_or("Allow", |e| e.value.as_str())),
    );
    let list = |v: &[crate::Spanned<String>]| json!(v.iter().map(|s| &s.value).collect::<Vec<_>>());
    if !st.actions.is_empty() {
        m.insert("Action".into(), list(&st.actions));
    }
    if !st.not_actions.is_empty() {
        m.insert("NotAction".into(), list(&st.not_actions));
    }
    if !st.resources.is_empty() {
        m.insert("Resource".into(), list(&st.resources));
    }
    if !st.not_resources.is_empty() {
        m.insert("NotResource".into(), list(&st.not_resources));
    }
    if let Some(c) = &st.conditions {
        m.insert("Condition".into(), c.value.clone());
    }
    Value::Object(m)
}

/// The customer-managed policy of a key's `custom_statements`; with
/// `expires`, every statement holds only before that instant.
pub fn policy_document(policy: &Policy, expires: Option<Timestamp>) -> Value {
    let statements: Vec<Value> = policy
        .custom_statements
        .iter()
        .map(statement_json)
        .collect();
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    match expires {
        Some(t) => expiring_copy(&doc, t),
        None => doc,
    }
}

/// A copy of `doc` in which every statement carries
/// `DateLessThan {"aws:CurrentTime": expires}`: AWS evaluates it on every
/// request, so the access ends at that instant whether or not anything runs.
/// An `Allow` stops allowing; a `Deny` of the same grant stops with it.
pub fn expiring_copy(doc: &Value, expires: Timestamp) -> Value {
    let mut doc = doc.clone();
    let until = rfc3339(expires);
    let add = |st: &mut Value| {
        if let Some(st) = st.as_object_mut() {
            let cond = st.entry("Condition").or_insert_with(|| json!({}));
            if let Some(cond) = cond.as_object_mut() {
                let op = cond.entry("DateLessThan").or_insert_with(|| json!({}));
                if let Some(op) = op.as_object_mut() {
                    op.insert("aws:CurrentTime".into(), json!(until));
                }
            }
        }
    };
    match doc.get_mut("Statement") {
        Some(Value::Array(sts)) => sts.iter_mut().for_each(add),
        Some(st) => add(st),
        None => {}
    }
    doc
}

fn base_tags(team: &str, key: &str) -> Tags {
    let mut t = Tags::new();
    t.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    t.insert(TAG_TEAM.into(), team.into());
    t.insert(TAG_KEY.into(), key.into());
    t
}

fn in_envs(envs: &Option<Vec<crate::Spanned<String>>>, env: &str) -> bool {
    envs.as_ref()
        .is_none_or(|v| v.iter().any(|e| e.value == env))
}

fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// The last part of a policy ARN (`ReadOnlyAccess`).
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Every environment name of every team, sorted.
pub fn environments(config: &Config) -> Vec<String> {
    let set: BTreeSet<&String> = config
        .teams
        .values()
        .flat_map(|t| t.accounts.keys())
        .collect();
    set.into_iter().cloned().collect()
}

/// What the configuration wants in environment `env` at instant `now`:
/// every team that maps `env` to an account contributes. `None` when no team
/// has the environment. Temporary grants expired at `now` are left out.
/// Assumes a configuration that [`crate::validate`] found no errors in;
/// anything unresolvable is skipped.
pub fn desired_state(config: &Config, env: &str, now: Timestamp) -> Option<DesiredAccount> {
    let (_, first) = config
        .teams
        .values()
        .find_map(|t| t.accounts.get(env).map(|e| (t, e)))?;
    let account = first.account_id.value.clone();
    let mut d = DesiredAccount {
        environment: env.to_owned(),
        account_id: account.clone(),
        deployer_role: config.deployer_role(first),
        external_id: first
            .external_id
            .as_ref()
            .or(config.settings.external_id.as_ref())
            .map(|s| s.value.clone()),
        region: first
            .region
            .as_ref()
            .or(config.settings.region.as_ref())
            .map(|s| s.value.clone()),
        iam_path: config.iam_path().to_owned(),
        policies: BTreeMap::new(),
        users: BTreeMap::new(),
        roles: BTreeMap::new(),
        groups: BTreeMap::new(),
        existing: BTreeSet::new(),
    };
    let cx = Scope {
        config,
        env,
        account,
        now,
        teams: config
            .teams
            .values()
            .filter(|t| t.accounts.contains_key(env))
            .collect(),
    };
    existing_principals(&cx, &mut d);
    policies(&cx, &mut d);
    for t in &cx.teams {
        users(&cx, &mut d, t);
        s3_users(&cx, &mut d, t);
        roles(&cx, &mut d, t);
    }
    trusted_users(&cx, &mut d);
    groups(&cx, &mut d);
    permanent_grants(&cx, &mut d);
    for t in &cx.teams {
        for g in &t.temporary {
            temporary_grant(&cx, &mut d, t, g);
        }
    }
    Some(d)
}

/// What every phase of [`desired_state`] reads: the configuration, the
/// environment and its account, the instant, the teams that map it.
struct Scope<'a> {
    config: &'a Config,
    env: &'a str,
    account: String,
    now: Timestamp,
    teams: Vec<&'a Team>,
}

impl Scope<'_> {
    fn boundary(&self, t: &Team, b: &Option<crate::Spanned<String>>) -> Option<String> {
        b.as_ref()
            .map(|b| boundary_arn(t, &self.account, &self.config.team_path(&t.name), b))
    }
}

/// Phase 1: the users and roles declared `existing` (in any team) here.
fn existing_principals(cx: &Scope<'_>, d: &mut DesiredAccount) {
    for t in cx.config.teams.values() {
        for u in t.users.values() {
            if u.existing && in_envs(&u.environments, cx.env) {
                d.existing.insert(format!("user/{}", u.name));
            }
        }
        for r in t.roles.values() {
            if r.existing && in_envs(&r.environments, cx.env) {
                d.existing.insert(format!("role/{}", r.key.value));
            }
        }
    }
}

/// Phase 2: policies, `<team>-<key>` (or the key's `name`) for every key
/// with custom statements, and every key declared `existing`.
fn policies(cx: &Scope<'_>, d: &mut DesiredAccount) {
    for t in &cx.teams {
        let team_path = cx.config.team_path(&t.name);
        for (key, p) in &t.policies {
            if !p.has_own_policy() {
                continue;
            }
            let name = p.iam_name(&t.name);
            let body = if p.custom_statements.is_empty() {
                Value::Null
            } else {
                policy_document(p, None)
            };
            d.policies.insert(
                name.clone(),
                DesiredPolicy {
                    arn: p.arn(&t.name, &cx.account, &team_path),
                    name,
                    path: p.iam_path(&team_path),
                    path_set: p.path.is_some(),
                    description: p.description.as_ref().map(|s| s.value.clone()),
                    body: PolicyBody::Document(body),
                    tags: if p.existing {
                        Tags::new()
                    } else {
                        base_tags(&t.name, key)
                    },
                    expires: None,
                    managed: !p.existing,
                },
            );
        }
    }
}

/// Phase 3a: a team's users. `existing` users and roles join only where
/// something needs them (see `need_user`, `need_role`).
fn users(cx: &Scope<'_>, d: &mut DesiredAccount, t: &Team) {
    for u in t.users.values() {
        if u.existing || !in_envs(&u.environments, cx.env) {
            continue;
        }
        let mut tags = base_tags(&t.name, &u.key.value);
        for (k, v) in &u.tags {
            tags.insert(k.value.clone(), v.value.clone());
        }
        d.users.insert(
            u.name.clone(),
            DesiredUser {
                name: u.name.clone(),
                path: u.path.as_ref().map_or("/".into(), |p| p.value.clone()),
                managed: true,
                tags,
                permissions_boundary: cx.boundary(t, &u.permissions_boundary),
                attached: BTreeSet::new(),
                inline: BTreeMap::new(),
                required_by: Vec::new(),
                declared_at: None,
            },
        );
    }
}

/// Phase 3b: a team's S3 users, each with its inline bucket policy.
fn s3_users(cx: &Scope<'_>, d: &mut DesiredAccount, t: &Team) {
    for s in &t.s3_users {
        let (Some(bucket), Some(user)) = (&s.bucket, &s.user) else {
            continue;
        };
        if !in_envs(&s.environments, cx.env) {
            continue;
        }
        let access = match s.access.as_ref().map(|a| a.value.as_str()) {
            Some("read-write") => S3Access::ReadWrite,
            _ => S3Access::Read,
        };
        let name = user_name(&user.value);
        let doc = s3_user_policy("aws", &bucket.value, &name, access);
        let declared_existing = cx
            .config
            .find_user(&t.name, &user.value)
            .is_some_and(|(_, u)| u.existing);
        if declared_existing {
            need_user(d, cx.config, t, cx.env, user);
        }
        let entry = d.users.entry(name.clone()).or_insert_with(|| DesiredUser {
            name: name.clone(),
            path: "/".into(),
            managed: true,
            tags: base_tags(&t.name, &user.value),
            permissions_boundary: None,
            attached: BTreeSet::new(),
            inline: BTreeMap::new(),
            required_by: Vec::new(),
            declared_at: None,
        });
        entry
            .inline
            .insert(format!("s3-user-{name}-{}", bucket.value), doc.value);
    }
}

/// Phase 3c: a team's roles, with their trust policies.
fn roles(cx: &Scope<'_>, d: &mut DesiredAccount, t: &Team) {
    for r in t.roles.values() {
        if r.existing || !in_envs(&r.environments, cx.env) {
            continue;
        }
        let trust = r.trust.as_ref().map(|tr| {
            let mut principals: Vec<String> =
                tr.principals.iter().map(|p| p.value.clone()).collect();
            for u in &tr.users {
                let name = user_name(&u.value);
                let path = cx
                    .config
                    .find_user(&t.name, &u.value)
                    .and_then(|(_, u)| u.path.as_ref().map(|p| p.value.clone()))
                    .unwrap_or_else(|| "/".into());
                principals.push(format!("arn:aws:iam::{}:user{path}{name}", cx.account));
            }
            trust_for_principals(&principals, tr.require_mfa).value
        });
        let mut tags = base_tags(&t.name, &r.key.value);
        for (k, v) in &r.tags {
            tags.insert(k.value.clone(), v.value.clone());
        }
        d.roles.insert(
            r.key.value.clone(),
            DesiredRole {
                name: r.key.value.clone(),
                path: r.path.as_ref().map_or("/".into(), |p| p.value.clone()),
                managed: true,
                description: r.description.as_ref().map(|s| s.value.clone()),
                trust,
                max_session_duration: r.max_session_duration.as_ref().map(|s| s.value),
                tags,
                permissions_boundary: cx.boundary(t, &r.permissions_boundary),
                attached: BTreeSet::new(),
                inline: BTreeMap::new(),
                required_by: Vec::new(),
                declared_at: None,
            },
        );
    }
}

/// Phase 4: a trust naming an `existing` user needs that user in the
/// account (IAM refuses a trust policy naming a user that does not exist).
fn trusted_users(cx: &Scope<'_>, d: &mut DesiredAccount) {
    for t in &cx.teams {
        for r in t.roles.values() {
            if r.existing || !in_envs(&r.environments, cx.env) {
                continue;
            }
            for u in r.trust.iter().flat_map(|tr| &tr.users) {
                need_user(d, cx.config, t, cx.env, u);
            }
        }
    }
}

/// Phase 5: groups and their members.
fn groups(cx: &Scope<'_>, d: &mut DesiredAccount) {
    for t in &cx.teams {
        for g in t.groups.values() {
            if !in_envs(&g.environments, cx.env) {
                continue;
            }
            for m in &g.members {
                need_user(d, cx.config, t, cx.env, m);
            }
            let path = match &g.path {
                Some(p) => p.value.clone(),
                None if g.existing => "/".to_owned(),
                None => cx.config.team_path(&t.name),
            };
            d.groups.insert(
                g.key.value.clone(),
                DesiredGroup {
                    name: g.key.value.clone(),
                    path,
                    path_set: g.path.is_some(),
                    managed: !g.existing,
                    members: g.members.iter().map(|m| user_name(&m.value)).collect(),
                    attached: BTreeSet::new(),
                    inline: BTreeMap::new(),
                },
            );
        }
    }
}

/// Phase 6: permanent grants attach `<team>-<key>` and the key's managed
/// policies.
fn permanent_grants(cx: &Scope<'_>, d: &mut DesiredAccount) {
    for t in &cx.teams {
        let team_path = cx.config.team_path(&t.name);
        for g in &t.permanent {
            if !g.environments.iter().any(|e| e.value == cx.env) {
                continue;
            }
            let mut arns = Vec::new();
            for key in &g.grants {
                let Some(p) = t.policies.get(&key.value) else {
                    continue;
                };
                if p.has_own_policy() {
                    arns.push(p.arn(&t.name, &cx.account, &team_path));
                }
                arns.extend(p.managed_policies.iter().map(|m| m.value.clone()));
            }
            for u in &g.users {
                need_user(d, cx.config, t, cx.env, u);
                attach(d, PrincipalKind::User, &user_name(&u.value), &arns);
            }
            for r in &g.roles {
                need_role(d, cx.config, t, cx.env, r);
                attach(d, PrincipalKind::Role, &r.value, &arns);
            }
            for gr in &g.groups {
                attach(d, PrincipalKind::Group, &gr.value, &arns);
            }
        }
    }
}

/// Phase 7: a temporary grant, as policies that AWS stops honouring at the
/// expiry (a copy of each managed policy with the expiry in its
/// conditions), attached to its principal. Expired at `now`: nothing.
fn temporary_grant(cx: &Scope<'_>, d: &mut DesiredAccount, t: &Team, g: &TemporaryGrant) {
    let (Some(exp), Some(e), Some(key), Some((kind, who))) =
        (&g.expiration_date, &g.environment, &g.grant, g.principal())
    else {
        return;
    };
    let Ok(expires) = parse_expiry(&exp.value) else {
        return;
    };
    let Some(p) = t.policies.get(&key.value) else {
        return;
    };
    if e.value != cx.env || expires <= cx.now {
        return;
    }
    match kind {
        PrincipalKind::User => need_user(d, cx.config, t, cx.env, who),
        PrincipalKind::Role => need_role(d, cx.config, t, cx.env, who),
        PrincipalKind::Group => {}
    }
    let who = match kind {
        PrincipalKind::User => user_name(&who.value),
        _ => who.value.clone(),
    };
    let team_path = cx.config.team_path(&t.name);
    let base = format!("{}-{}", policy_name(&t.name, &key.value), who);
    let mut tags = base_tags(&t.name, &key.value);
    tags.insert(TAG_EXPIRES.into(), rfc3339(expires));
    tags.insert(TAG_GRANTEE.into(), format!("{}/{who}", kind.as_str()));
    let mut made = Vec::new();
    if p.existing {
        // Not iamctl's: a copy of what it holds, as for managed policies.
        made.push((
            format!("{base}-{}-temporary", p.iam_name(&t.name)),
            PolicyBody::ExpiringCopyOf {
                source_arn: p.arn(&t.name, &cx.account, &team_path),
                expires_at: expires,
            },
        ));
    } else if !p.custom_statements.is_empty() {
        made.push((
            format!("{base}-temporary"),
            PolicyBody::Document(policy_document(p, Some(expires))),
        ));
    }
    for m in &p.managed_policies {
        made.push((
            format!("{base}-{}-temporary", arn_name(&m.value)),
            PolicyBody::ExpiringCopyOf {
                source_arn: m.value.clone(),
                expires_at: expires,
            },
        ));
    }
    let mut arns = Vec::new();
    for (name, body) in made {
        // Two grants of one key to one principal: the later expiry wins.
        if let Some(old) = d.policies.get(&name) {
            if old.expires.is_some_and(|o| o >= expires) {
                arns.push(old.arn.clone());
                continue;
            }
        }
        let arn = policy_arn(&cx.account, &team_path, &name);
        arns.push(arn.clone());
        d.policies.insert(
            name.clone(),
            DesiredPolicy {
                name,
                path: team_path.clone(),
                path_set: false,
                arn,
                // IAM cannot change a description later: no expiry here.
                description: Some(format!(
                    "temporary access: {} for {} {who}",
                    key.value,
                    kind.as_str()
                )),
                body,
                tags: tags.clone(),
                expires: Some(expires),
                managed: true,
            },
        );
    }
    attach(d, kind, &who, &arns);
}

/// The conflict plan reports when a principal iamctl does not create (one
/// declared `existing: true`, or named in a grant and declared nowhere) is
/// missing from the account where the configuration needs it:
/// "user `developer` is granted in temporary-access/example-team.yaml:4:11,
/// but account `345678901234` (environment `prod`) has no such user".
pub fn missing_principal(
    kind: PrincipalKind,
    name: &str,
    required_by: &[String],
    declared_at: Option<&str>,
    environment: &str,
    account: &str,
) -> String {
    let k = kind.as_str();
    let places = match required_by {
        [] => String::new(),
        [one] => format!(" is granted in {one},"),
        [first, rest @ ..] => format!(
            " is granted in {first} (and {} more place{}),",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    };
    let declared = match declared_at {
        Some(at) => format!(" (declared `existing` at {at})"),
        None => String::new(),
    };
    format!(
        "{k} `{name}`{declared}{places} but account `{account}` (environment `{environment}`) has no such {k}: create it there or remove the grant"
    )
}

/// The ARN of a permissions boundary: an ARN as written, else the team's key.
fn boundary_arn(t: &Team, account: &str, team_path: &str, b: &crate::Spanned<String>) -> String {
    if b.value.starts_with("arn:") {
        b.value.clone()
    } else {
        t.policies.get(&b.value).map_or_else(
            || policy_arn(account, team_path, &policy_name(&t.name, &b.value)),
            |p| p.arn(&t.name, account, team_path),
        )
    }
}

/// A user that a grant, membership, trust or S3 user names (as `written` at
/// its place) is needed in this account. One iamctl creates is already in
/// `d` where the configuration makes it (elsewhere nothing is added, as
/// before). One declared `existing: true`, or declared nowhere (seed 004's
/// rule: it exists already), joins `d` as not managed, with the place.
fn need_user(
    d: &mut DesiredAccount,
    config: &Config,
    team: &Team,
    env: &str,
    written: &crate::Spanned<String>,
) {
    let name = user_name(&written.value);
    let place = written.span.location();
    if let Some(u) = d.users.get_mut(&name) {
        if !u.managed && !u.required_by.contains(&place) {
            u.required_by.push(place);
        }
        return;
    }
    let (path, boundary, declared_at) = match config.find_user(&team.name, &written.value) {
        Some((_, u)) if !u.existing || !in_envs(&u.environments, env) => return,
        Some((t, u)) => (
            u.path.as_ref().map_or("/".into(), |p| p.value.clone()),
            u.permissions_boundary
                .as_ref()
                .map(|b| boundary_arn(t, &d.account_id, &config.team_path(&t.name), b)),
            Some(u.key.span.location()),
        ),
        None => ("/".to_owned(), None, None),
    };
    d.users.insert(
        name.clone(),
        DesiredUser {
            name,
            path,
            managed: false,
            tags: Tags::new(),
            permissions_boundary: boundary,
            attached: BTreeSet::new(),
            inline: BTreeMap::new(),
            required_by: vec![place],
            declared_at,
        },
    );
}

/// [`need_user`] for roles.
fn need_role(
    d: &mut DesiredAccount,
    config: &Config,
    team: &Team,
    env: &str,
    written: &crate::Spanned<String>,
) {
    let place = written.span.location();
    if let Some(r) = d.roles.get_mut(&written.value) {
        if !r.managed && !r.required_by.contains(&place) {
            r.required_by.push(place);
        }
        return;
    }
    let (path, boundary, declared_at) = match config.find_role(&team.name, &written.value) {
        Some((_, r)) if !r.existing || !in_envs(&r.environments, env) => return,
        Some((t, r)) => (
            r.path.as_ref().map_or("/".into(), |p| p.value.clone()),
            r.permissions_boundary
                .as_ref()
                .map(|b| boundary_arn(t, &d.account_id, &config.team_path(&t.name), b)),
            Some(r.key.span.location()),
        ),
        None => ("/".to_owned(), None, None),
    };
    d.roles.insert(
        written.value.clone(),
        DesiredRole {
            name: written.value.clone(),
            path,
            managed: false,
            description: None,
            trust: None,
            max_session_duration: None,
            tags: Tags::new(),
            permissions_boundary: boundary,
            attached: BTreeSet::new(),
            inline: BTreeMap::new(),
            required_by: vec![place],
            declared_at,
        },
    );
}

fn attach(d: &mut DesiredAccount, kind: PrincipalKind, name: &str, arns: &[String]) {
    let set = match kind {
        PrincipalKind::User => d.users.get_mut(name).map(|u| &mut u.attached),
        PrincipalKind::Role => d.roles.get_mut(name).map(|r| &mut r.attached),
        PrincipalKind::Group => d.groups.get_mut(name).map(|g| &mut g.attached),
    };
    if let Some(set) = set {
        set.extend(arns.iter().cloned());
    }
}
