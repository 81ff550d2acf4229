//! What an account holds, as a configuration: the model `iamctl import`
//! writes with [`iamctl_config::write_with`], so that `plan` against the same account
//! shows no changes. No AWS call and no clock: the account state and the
//! instant are passed in.
//!
//! Ownership is kept: what is tagged `managed-by=iamctl` + `iamctl:team`
//! goes back to its team as iamctl's (policies under their key, users and
//! roles with their tags and trust, S3 users, running temporary grants), and
//! everything else is declared `existing: true` in the import team: users,
//! roles, groups (IAM groups carry no tags) and customer-managed policies
//! (under their own `name`), which plan then only attaches and detaches.
//! Every attachment becomes a permanent grant.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use iamctl_policy::snapshot::Snapshot;
use iamctl_policy::templates::{s3_user_policy, trust_for_principals, S3Access};
use iamctl_policy::PolicyDocument;
use jiff::Timestamp;
use serde_json::Value;

use crate::plan::{
    owned, role_settings, ActualAccount, ActualPolicy, ActualPrincipal, TAG_ROLE_SETTINGS,
};
use iamctl_config::*;

/// What to import the account as.
#[derive(Debug, Clone)]
pub struct Options {
    /// The environment name the account gets in `aws-accounts/<team>.yaml`.
    pub env: String,
    /// The team whose files hold what iamctl does not own.
    pub team: String,
    /// The account's id.
    pub account_id: String,
    /// Written to `settings.yaml` when given.
    pub deployer_role: Option<String>,
    /// Temporary grants that ended by then are left out.
    pub now: Timestamp,
    /// What GetRole says of roles iamctl owns, by name (GetAccountAuthorizationDetails
    /// gives neither description nor maximum session duration; a tag holds
    /// their digest). A role missing here is taken to have neither.
    pub role_settings: BTreeMap<String, RoleSettings>,
}

/// A role's description and maximum session duration, as GetRole returns them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleSettings {
    pub description: Option<String>,
    pub max_session_duration: Option<u32>,
}

/// Whether a role's settings must be read with GetRole to be imported: its
/// settings tag is not the digest of none.
pub fn needs_role_settings(tags: &Tags) -> bool {
    owned(tags) && tags.get(TAG_ROLE_SETTINGS) != Some(&role_settings(None, None))
}

/// Something of iamctl's that is imported otherwise than as iamctl's, or left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// An owned policy whose name, path or document the key cannot reproduce.
    PolicyNotWritable {
        policy: String,
        key: String,
        team: String,
    },
    /// A temporary policy without `iamctl:key`, `iamctl:grantee` or `iamctl:expires`.
    TemporaryUntagged { policy: String },
    /// A temporary policy that ended.
    TemporaryExpired { policy: String, until: String },
    /// A temporary policy whose name or document its key does not make.
    TemporaryMismatch {
        policy: String,
        key: String,
        team: String,
    },
    /// An owned user with inline policies other than S3 users'.
    UserNotWritable { user: String },
    /// An owned role with inline policies or a trust the configuration cannot hold.
    RoleNotWritable { role: String },
    /// An owned role whose description or maximum session duration (in its
    /// settings tag) is not known: read without GetRole, or changed since.
    RoleSettingsUnknown { role: String },
    /// A user whose name has `@`: the configuration reads `a@b.c` as user `a`
    /// (seed 004's rule), so it cannot name it. Left out, with its grants.
    UserNameNotWritable { user: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::PolicyNotWritable { policy, key, team } => write!(
                f,
                "policy `{policy}` is iamctl's but cannot be written back as key `{key}` of team `{team}`; it is imported as `existing`"
            ),
            Warning::TemporaryUntagged { policy } => write!(
                f,
                "temporary policy `{policy}` lacks its `iamctl:key`, `iamctl:grantee` or `iamctl:expires` tag; left out (run `iamctl cleanup`)"
            ),
            Warning::TemporaryExpired { policy, until } => write!(
                f,
                "temporary policy `{policy}` expired at {until}; left out (run `iamctl cleanup`)"
            ),
            Warning::TemporaryMismatch { policy, key, team } => write!(
                f,
                "temporary policy `{policy}` does not match key `{key}` of team `{team}`; left out"
            ),
            Warning::UserNotWritable { user } => write!(
                f,
                "user `{user}` is iamctl's but has inline policies the configuration cannot hold; it is imported as `existing`"
            ),
            Warning::RoleSettingsUnknown { role } => write!(
                f,
                "role `{role}` is iamctl's but its description or maximum session duration is not known (a snapshot does not hold them); it is imported as `existing`"
            ),
            Warning::UserNameNotWritable { user } => write!(
                f,
                "user `{user}` cannot be named in the configuration (a name with `@` is read as an email); left out, with its grants and group memberships"
            ),
            Warning::RoleNotWritable { role } => write!(
                f,
                "role `{role}` is iamctl's but its trust or inline policies cannot be written in the configuration; it is imported as `existing`"
            ),
        }
    }
}

/// An import: the model, the comments to write with it, and what to tell.
#[derive(Debug, Clone)]
pub struct Imported {
    pub config: Config,
    pub comments: Comments,
    pub warnings: Vec<Warning>,
}

impl Imported {
    /// The files to write: `(relative path, YAML text)`.
    pub fn files(&self) -> Vec<(String, String)> {
        write_with(&self.config, &self.comments)
    }

    /// How many of something all teams hold together.
    pub fn count(&self, f: impl Fn(&Team) -> usize) -> usize {
        self.config.teams.values().map(f).sum()
    }
}

/// The header of every file an import writes.
pub const HEADER: &str =
    "Written by `iamctl import`; `iamctl plan` against the account shows no changes.";

/// Imports `account` (read from `snapshot`, which also gives policy
/// descriptions) as environment `o.env`.
pub fn import(account: &ActualAccount, snapshot: &Snapshot, o: &Options) -> Imported {
    let mut b = Builder {
        o,
        teams: BTreeMap::new(),
        grants: BTreeMap::new(),
        by_arn: HashMap::new(),
        temporary_arns: BTreeSet::new(),
        warnings: Vec::new(),
        comments: Comments::default(),
    };
    b.team(&o.team);
    let descriptions: HashMap<&str, &str> = snapshot
        .policies
        .iter()
        .filter_map(|p| Some((p.arn.as_str(), p.description.as_deref()?)))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    // Permanent policies first: temporary ones refer to their keys.
    let (temps, perms): (Vec<_>, Vec<_>) = account
        .policies
        .values()
        .partition(|p| owned(&p.tags) && p.tags.contains_key(TAG_EXPIRES));
    for p in perms {
        b.permanent_policy(p, descriptions.get(p.arn.as_str()).copied());
    }
    for p in temps {
        b.temporary_policy(account, p);
    }
    for u in account.users.values() {
        b.user(u);
    }
    for r in account.roles.values() {
        b.role(r);
    }
    for g in account.groups.values() {
        b.group(g);
    }
    for (kind, list) in [
        (PrincipalKind::User, &account.users),
        (PrincipalKind::Role, &account.roles),
        (PrincipalKind::Group, &account.groups),
    ] {
        for p in list.values() {
            b.attachments(kind, p);
        }
    }
    b.finish()
}

struct Builder<'a> {
    o: &'a Options,
    teams: BTreeMap<String, Team>,
    /// (team, key) -> principals it is granted to.
    grants: BTreeMap<(String, String), BTreeSet<(PrincipalKind, String)>>,
    /// Policy ARN -> (team, key) that grants it.
    by_arn: HashMap<String, (String, String)>,
    /// Temporary policies whose grant is written: not permanent grants.
    temporary_arns: BTreeSet<String>,
    warnings: Vec<Warning>,
    comments: Comments,
}

fn span() -> Span {
    Span::file_only("")
}

fn new_policy(key: &str) -> Policy {
    Policy {
        key: unplaced(key.to_owned()),
        description: None,
        managed_policies: Vec::new(),
        custom_statements: Vec::new(),
        name: None,
        path: None,
        existing: false,
    }
}

fn same_doc(a: &Value, b: &Value) -> bool {
    PolicyDocument::from_value(a.clone()).same_as(&PolicyDocument::from_value(b.clone()))
}

fn path_or_root(p: &str) -> String {
    if p.is_empty() {
        "/".into()
    } else {
        p.to_owned()
    }
}

/// `Some(path)` unless it is the default `/`.
fn non_root(p: &str) -> Option<Spanned<String>> {
    let p = path_or_root(p);
    (p != "/").then(|| unplaced(p))
}

/// The tags a configuration writes: without iamctl's own.
fn own_tags(tags: &Tags) -> Vec<(Spanned<String>, Spanned<String>)> {
    tags.iter()
        .filter(|(k, _)| k.as_str() != MANAGED_BY.0 && !k.starts_with("iamctl:"))
        .map(|(k, v)| (unplaced(k.clone()), unplaced(v.clone())))
        .collect()
}

fn team_of(tags: &Tags) -> String {
    tags.get(TAG_TEAM).cloned().unwrap_or_default()
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// A temporary policy's document without the expiry iamctl added.
fn strip_expiry(doc: &Value, until: &str) -> Value {
    let mut doc = doc.clone();
    let strip = |st: &mut Value| {
        let Some(Value::Object(cond)) = st.get_mut("Condition") else {
            return;
        };
        if let Some(Value::Object(op)) = cond.get_mut("DateLessThan") {
            if op.get("aws:CurrentTime").and_then(Value::as_str) == Some(until) {
                op.remove("aws:CurrentTime");
            }
            if op.is_empty() {
                cond.remove("DateLessThan");
            }
        }
        if cond.is_empty() {
            if let Some(st) = st.as_object_mut() {
                st.remove("Condition");
            }
        }
    };
    match doc.get_mut("Statement") {
        Some(Value::Array(sts)) => sts.iter_mut().for_each(strip),
        Some(st) => strip(st),
        None => {}
    }
    doc
}

/// The trust a role of the configuration would get: principals and MFA.
fn trust_of(doc: &Value) -> Option<Trust> {
    let st = match doc.get("Statement")? {
        Value::Array(a) if a.len() == 1 => &a[0],
        o @ Value::Object(_) => o,
        _ => return None,
    };
    let mut principals = Vec::new();
    for (kind, v) in st.get("Principal")?.as_object()? {
        if kind != "AWS" && kind != "Service" {
            return None;
        }
        principals.extend(strings(v)?);
    }
    let mfa = st.get("Condition").is_some();
    let ok = |p: &String| {
        p.ends_with(".amazonaws.com")
            || p == "*"
            || is_account_id(p)
            || (p.starts_with("arn:") && iamctl_policy::names::validate_arn(p).is_ok())
    };
    if principals.is_empty() || !principals.iter().all(ok) {
        return None;
    }
    let rebuilt = trust_for_principals(&principals, mfa).value;
    same_doc(&rebuilt, doc).then(|| Trust {
        span: span(),
        principals: principals.into_iter().map(unplaced).collect(),
        users: Vec::new(),
        require_mfa: mfa,
    })
}

/// `aws.ReadOnlyAccess` for `arn:aws:iam::aws:policy/ReadOnlyAccess`.
fn managed_key(arn: &str) -> String {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    if arn.contains(":aws:policy/") {
        format!("aws.{name}")
    } else {
        name.to_owned()
    }
}

/// Whether the configuration can name a user: [`user_name`] keeps it.
fn nameable(user: &str) -> bool {
    user_name(user) == user
}

fn add_managed(p: &mut Policy, arn: &str) {
    if !p.managed_policies.iter().any(|m| m.value == arn) {
        p.managed_policies.push(unplaced(arn.to_owned()));
        p.managed_policies.sort_by(|a, b| a.value.cmp(&b.value));
    }
}

impl Builder<'_> {
    fn team(&mut self, name: &str) -> &mut Team {
        self.teams.entry(name.to_owned()).or_insert_with(|| Team {
            name: name.to_owned(),
            ..Team::default()
        })
    }

    fn permanent_policy(&mut self, p: &ActualPolicy, description: Option<&str>) {
        let description = description.map(|d| unplaced(d.to_owned()));
        let mut note = None;
        if owned(&p.tags) {
            let x = team_of(&p.tags);
            let key = p
                .tags
                .get(TAG_KEY)
                .cloned()
                .unwrap_or_else(|| p.name.clone());
            let taken = self
                .teams
                .get(&x)
                .is_some_and(|t| t.policies.contains_key(&key));
            if let (false, Ok(sts)) = (taken, statements_from_document(&p.document)) {
                let mut k = new_policy(&key);
                k.description = description;
                k.custom_statements = sts;
                // Another name than `<team>-<key>` or path than the team's
                // (`/iamctl/<team>/`) is kept.
                k.name = (policy_name(&x, &key) != p.name).then(|| unplaced(p.name.clone()));
                let path = path_or_root(&p.path);
                k.path = (path != team_path(DEFAULT_IAM_PATH, &x)).then(|| unplaced(path));
                self.team(&x).policies.insert(key.clone(), k);
                self.by_arn.insert(p.arn.clone(), (x, key));
                return;
            }
            let w = Warning::PolicyNotWritable {
                policy: p.name.clone(),
                key,
                team: x,
            };
            note = Some(w.to_string());
            self.warnings.push(w);
        }
        let team = self.o.team.clone();
        let t = self.team(&team);
        let mut key = p.name.clone();
        while t.policies.contains_key(&key) {
            key.push_str("-existing");
        }
        let mut k = new_policy(&key);
        k.description = description;
        k.name = Some(unplaced(p.name.clone()));
        k.path = non_root(&p.path);
        k.existing = true;
        let file = format!("aws-policies/{team}.yaml");
        if let Some(note) = note {
            self.comments.entry(&file, &key, note);
        }
        match statements_from_document(&p.document) {
            Ok(sts) => k.custom_statements = sts,
            Err(why) => self.comments.entry(
                &file,
                &key,
                format!("`{}` is not written as `custom_statements`: {why}", p.name),
            ),
        }
        self.team(&team).policies.insert(key.clone(), k);
        self.by_arn.insert(p.arn.clone(), (team, key));
    }

    /// A temporary grant, rebuilt from its policy's tags.
    fn temporary_policy(&mut self, account: &ActualAccount, p: &ActualPolicy) {
        let o = self.o;
        let x = team_of(&p.tags);
        let (Some(key), Some(grantee), Some(until)) = (
            p.tags.get(TAG_KEY),
            p.tags.get(TAG_GRANTEE),
            p.tags.get(TAG_EXPIRES),
        ) else {
            self.warnings.push(Warning::TemporaryUntagged {
                policy: p.name.clone(),
            });
            return;
        };
        let Some((kind, who)) = grantee.split_once('/') else {
            self.warnings.push(Warning::TemporaryUntagged {
                policy: p.name.clone(),
            });
            return;
        };
        let Some(expires) = until.parse::<Timestamp>().ok().filter(|e| *e > o.now) else {
            self.warnings.push(Warning::TemporaryExpired {
                policy: p.name.clone(),
                until: until.clone(),
            });
            return;
        };
        let base = format!("{}-{who}", policy_name(&x, key));
        let t = self.team(&x);
        let k = t
            .policies
            .entry(key.clone())
            .or_insert_with(|| new_policy(key));
        let fitted = if p.name == format!("{base}-temporary") {
            if !k.custom_statements.is_empty() {
                same_doc(&policy_document(k, Some(expires)), &p.document)
            } else if let (false, Ok(sts)) = (
                k.existing,
                statements_from_document(&strip_expiry(&p.document, until)),
            ) {
                k.custom_statements = sts;
                true
            } else {
                false
            }
        } else if let Some(source) = p
            .name
            .strip_prefix(&format!("{base}-"))
            .and_then(|r| r.strip_suffix("-temporary"))
        {
            match account.policies.get(source).filter(|c| !owned(&c.tags)) {
                // A copy of a customer-managed policy that is not iamctl's:
                // the key declares it `existing`.
                Some(c) => {
                    let named = (policy_name(&x, key) != c.name).then(|| unplaced(c.name.clone()));
                    let fits = k.custom_statements.is_empty()
                        && (!k.existing || (k.name == named && k.path == non_root(&c.path)));
                    if fits {
                        k.existing = true;
                        k.name = named;
                        k.path = non_root(&c.path);
                    }
                    fits
                }
                None => {
                    let arn = account
                        .documents
                        .keys()
                        .find(|a| a.contains(":aws:policy/") && a.ends_with(&format!("/{source}")))
                        .cloned()
                        .unwrap_or_else(|| format!("arn:aws:iam::aws:policy/{source}"));
                    add_managed(k, &arn);
                    true
                }
            }
        } else {
            false
        };
        if !fitted {
            if !k.existing && k.custom_statements.is_empty() && k.managed_policies.is_empty() {
                t.policies.remove(key);
            }
            self.warnings.push(Warning::TemporaryMismatch {
                policy: p.name.clone(),
                key: key.clone(),
                team: x,
            });
            return;
        }
        let v = |s: &str| Some(unplaced(s.to_owned()));
        let grant = TemporaryGrant {
            span: span(),
            description: v(&format!("imported: {key} for {kind} {who}")),
            // `2025-11-30` is until 23:59:59 UTC that day: written as the
            // seed writes it (and as validate measured it).
            expiration_date: v(until.strip_suffix("T23:59:59Z").unwrap_or(until)),
            user: if kind == "user" { v(who) } else { None },
            role: if kind == "role" { v(who) } else { None },
            group: if kind == "group" { v(who) } else { None },
            environment: v(&o.env),
            grant: v(key),
        };
        t.temporary.push(grant);
        self.temporary_arns.insert(p.arn.clone());
    }

    fn user(&mut self, u: &ActualPrincipal) {
        if !nameable(&u.name) {
            self.warnings.push(Warning::UserNameNotWritable {
                user: u.name.clone(),
            });
            return;
        }
        let mut s3 = Vec::new();
        let reproducible = owned(&u.tags)
            && u.inline.iter().all(|(name, doc)| {
                let Some(bucket) = name.strip_prefix(&format!("s3-user-{}-", u.name)) else {
                    return false;
                };
                for (access, word) in [
                    (S3Access::Read, "read"),
                    (S3Access::ReadWrite, "read-write"),
                ] {
                    if same_doc(&s3_user_policy("aws", bucket, &u.name, access).value, doc) {
                        s3.push((bucket.to_owned(), word));
                        return true;
                    }
                }
                false
            });
        if owned(&u.tags) && !reproducible {
            self.warnings.push(Warning::UserNotWritable {
                user: u.name.clone(),
            });
        }
        let existing = !reproducible;
        let owner = if existing {
            self.o.team.clone()
        } else {
            team_of(&u.tags)
        };
        let key = u
            .tags
            .get(TAG_KEY)
            .filter(|k| !existing && user_name(k) == u.name)
            .cloned()
            .unwrap_or_else(|| u.name.clone());
        let t = self.team(&owner);
        for (bucket, access) in s3 {
            t.s3_users.push(S3User {
                span: span(),
                bucket: Some(unplaced(bucket)),
                user: Some(unplaced(u.name.clone())),
                access: Some(unplaced(access.to_owned())),
                environments: None,
            });
        }
        t.users.insert(
            u.name.clone(),
            User {
                key: unplaced(key),
                name: u.name.clone(),
                existing,
                path: non_root(&u.path),
                tags: if existing {
                    Vec::new()
                } else {
                    own_tags(&u.tags)
                },
                permissions_boundary: u.boundary.clone().map(unplaced),
                environments: None,
            },
        );
    }

    fn role(&mut self, r: &ActualPrincipal) {
        let trust = r.trust.as_ref().and_then(trust_of);
        let writable = owned(&r.tags) && r.inline.is_empty() && trust.is_some();
        if owned(&r.tags) && !writable {
            self.warnings.push(Warning::RoleNotWritable {
                role: r.name.clone(),
            });
        }
        let settings = if writable {
            let s = self.settings_of(r);
            if s.is_none() {
                self.warnings.push(Warning::RoleSettingsUnknown {
                    role: r.name.clone(),
                });
            }
            s
        } else {
            None
        };
        let managed = settings.is_some();
        let settings = settings.unwrap_or_default();
        let owner = if managed {
            team_of(&r.tags)
        } else {
            self.o.team.clone()
        };
        let role = Role {
            key: unplaced(r.name.clone()),
            existing: !managed,
            description: settings.description.map(unplaced),
            path: non_root(&r.path),
            trust: if managed { trust } else { None },
            max_session_duration: settings.max_session_duration.map(unplaced),
            permissions_boundary: r.boundary.clone().map(unplaced),
            tags: if managed {
                own_tags(&r.tags)
            } else {
                Vec::new()
            },
            environments: None,
        };
        self.team(&owner).roles.insert(r.name.clone(), role);
    }

    /// The settings an owned role was made with: those GetRole gave (the
    /// maximum session duration left out when it is IAM's default and the
    /// configuration did not set it), as the role's settings tag tells.
    fn settings_of(&self, r: &ActualPrincipal) -> Option<RoleSettings> {
        let known = self
            .o
            .role_settings
            .get(&r.name)
            .cloned()
            .unwrap_or_default();
        let Some(tag) = r.tags.get(TAG_ROLE_SETTINGS) else {
            // Made before the tag: the plan will tag it; keep what GetRole says.
            return Some(RoleSettings {
                max_session_duration: known.max_session_duration.filter(|m| *m != 3600),
                ..known
            });
        };
        let (d, m) = (known.description, known.max_session_duration);
        [(d.clone(), m), (d, None), (None, m), (None, None)]
            .into_iter()
            .find(|(d, m)| role_settings(d.as_deref(), *m) == *tag)
            .map(|(description, max_session_duration)| RoleSettings {
                description: description.filter(|d| !d.is_empty()),
                max_session_duration,
            })
    }

    /// Groups carry no tags: always `existing`, with their members.
    fn group(&mut self, g: &ActualPrincipal) {
        let group = Group {
            key: unplaced(g.name.clone()),
            existing: true,
            path: non_root(&g.path),
            members: g
                .groups
                .iter()
                .filter(|m| nameable(m))
                .cloned()
                .map(unplaced)
                .collect(),
            environments: None,
        };
        let team = self.o.team.clone();
        self.team(&team).groups.insert(g.name.clone(), group);
    }

    /// Attachments: permanent grants, one entry per key.
    fn attachments(&mut self, kind: PrincipalKind, p: &ActualPrincipal) {
        if kind == PrincipalKind::User && !nameable(&p.name) {
            return;
        }
        for arn in &p.attached {
            if self.temporary_arns.contains(arn) {
                continue;
            }
            let (x, key) = match self.by_arn.get(arn) {
                Some(found) => found.clone(),
                None => {
                    let key = managed_key(arn);
                    let team = self.o.team.clone();
                    let k = self
                        .team(&team)
                        .policies
                        .entry(key.clone())
                        .or_insert_with(|| new_policy(&key));
                    add_managed(k, arn);
                    self.by_arn.insert(arn.clone(), (team.clone(), key.clone()));
                    (team, key)
                }
            };
            self.grants
                .entry((x, key))
                .or_default()
                .insert((kind, p.name.clone()));
        }
    }

    fn finish(mut self) -> Imported {
        let o = self.o;
        for ((x, key), who) in std::mem::take(&mut self.grants) {
            let of = |k: PrincipalKind| -> Vec<Spanned<String>> {
                who.iter()
                    .filter(|(kind, _)| *kind == k)
                    .map(|(_, n)| unplaced(n.clone()))
                    .collect()
            };
            let grant = PermanentGrant {
                span: span(),
                description: Some(unplaced(format!("imported: {key}"))),
                users: of(PrincipalKind::User),
                roles: of(PrincipalKind::Role),
                groups: of(PrincipalKind::Group),
                environments: vec![unplaced(o.env.clone())],
                grants: vec![unplaced(key)],
            };
            self.team(&x).permanent.push(grant);
        }
        for t in self.teams.values_mut() {
            t.accounts.insert(
                o.env.clone(),
                Environment {
                    name: unplaced(o.env.clone()),
                    account_id: unplaced(o.account_id.clone()),
                    deployer_role: None,
                    external_id: None,
                    region: None,
                },
            );
            t.temporary.sort_by_key(|g| {
                let v = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.value.clone());
                (
                    v(&g.expiration_date),
                    v(&g.user),
                    v(&g.role),
                    v(&g.group),
                    v(&g.grant),
                )
            });
            t.s3_users.sort_by_key(|s| {
                let v = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.value.clone());
                (v(&s.bucket), v(&s.user))
            });
            for kind in TEAM_DIRS {
                self.comments
                    .file(&format!("{kind}/{}.yaml", t.name), HEADER.to_owned());
            }
            self.comments.file(
                &format!("groups/{}.yaml", t.name),
                "IAM groups carry no tags: iamctl declares them `existing` and never deletes one.",
            );
        }
        let mut config = Config {
            teams: self.teams,
            ..Config::default()
        };
        if let Some(role) = &o.deployer_role {
            config.settings.deployer_role = Some(unplaced(role.clone()));
            self.comments.file("settings.yaml", HEADER.to_owned());
        }
        Imported {
            config,
            comments: self.comments,
            warnings: self.warnings,
        }
    }
}

pub use iamctl_policy::is_account_id;

/// The account of the first ARN in a snapshot.
pub fn account_in(snapshot: &Snapshot) -> Option<String> {
    let users = snapshot.user_detail_list.iter().map(|u| u.arn.as_str());
    let roles = snapshot.role_detail_list.iter().map(|r| r.arn.as_str());
    let groups = snapshot.group_detail_list.iter().map(|g| g.arn.as_str());
    let policies = snapshot.policies.iter().map(|p| p.arn.as_str());
    users
        .chain(roles)
        .chain(groups)
        .chain(policies)
        .filter_map(|arn| arn.split(':').nth(4))
        .find(|a| is_account_id(a))
        .map(str::to_owned)
}
