//! `iamctl import`: writes the configuration directory that describes what an
//! account holds, so that a following `plan` shows no changes.
//!
//! Ownership is kept: what is tagged `managed-by=iamctl` + `iamctl:team`
//! goes back to its team's files as iamctl's (policies under their key, users
//! and roles with their tags and trust), and everything else is declared
//! `existing: true`: users, roles, groups (IAM groups carry no tags) and
//! customer-managed policies (under their own `name`), which plan then only
//! attaches and detaches. Attachments become permanent grants; temporary
//! grants are found by their tags.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use iamctl_config::plan::{owned, ActualAccount, ActualPrincipal};
use iamctl_config::{
    expiring_copy, policy_name, DesiredAccount, Tags, DEFAULT_DEPLOYER_ROLE, MANAGED_BY,
    TAG_EXPIRES, TAG_GRANTEE, TAG_KEY, TAG_TEAM,
};
use iamctl_policy::templates::{s3_user_policy, trust_for_principals, S3Access};
use iamctl_policy::PolicyDocument;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

#[derive(Args, Debug)]
#[command(after_help = "\
Reads the account like `plan` does (the deployer role, GetAccountAuthorizationDetails pages,
policy tags), or a snapshot file offline, and writes aws-accounts/, aws-policies/,
permanent-access/, temporary-access/, users/, roles/, groups/, s3-users/ so that `iamctl plan`
against the same account shows no changes. What iamctl owns (tagged managed-by=iamctl and
iamctl:team) goes to its team's files; everything else is declared `existing: true`.")]
pub struct ImportArgs {
    /// The environment name the account gets in `aws-accounts/<team>.yaml`.
    #[arg(long = "env", value_name = "ENV")]
    pub env: String,
    /// Where to write the configuration (refused if it is not empty, unless `--force`).
    #[arg(short = 'o', long = "out", default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
    /// The team whose files hold what iamctl does not own.
    #[arg(long, default_value = "imported", value_name = "TEAM")]
    pub team: String,
    /// The account to read (default: the caller's account; with `--snapshot`,
    /// the account in the snapshot's ARNs).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The role to assume in the account (default `IAMAsCodeDeployer`); also
    /// written to `settings.yaml`.
    #[arg(long, value_name = "NAME")]
    pub deployer_role: Option<String>,
    /// Read this snapshot (`iamctl account snapshot`) instead of the account:
    /// no AWS call. Policy tags are not in snapshots, so every customer-managed
    /// policy is imported as `existing`.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Write into a directory that is not empty (files of the same names are replaced).
    #[arg(long)]
    pub force: bool,
}

/// A YAML double-quoted scalar (JSON strings are valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn flow_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// A statement the configuration can hold: what `custom_statements` writes.
#[derive(Debug, Clone)]
struct Stmt {
    sid: Option<String>,
    effect: String,
    lists: Vec<(&'static str, &'static str, Vec<String>)>,
    /// operator -> key -> value(s), each value a string or a list of strings.
    conditions: Option<Map<String, Value>>,
}

impl Stmt {
    /// The IAM JSON, as the configuration loader and `statement_json` make it.
    fn json(&self) -> Value {
        let mut m = Map::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), json!(sid));
        }
        m.insert("Effect".into(), json!(self.effect));
        for (iam, _, v) in &self.lists {
            m.insert((*iam).into(), json!(v));
        }
        if let Some(c) = &self.conditions {
            m.insert("Condition".into(), Value::Object(c.clone()));
        }
        Value::Object(m)
    }

    fn yaml(&self, indent: &str) -> String {
        let mut out = String::new();
        let mut first = true;
        let mut line = |k: &str, v: String| {
            let lead = if first { "- " } else { "  " };
            first = false;
            let _ = writeln!(out, "{indent}{lead}{k}: {v}");
        };
        if let Some(sid) = &self.sid {
            line("sid", q(sid));
        }
        line("effect", q(&self.effect));
        for (_, yaml, v) in &self.lists {
            line(yaml, flow_list(v));
        }
        if let Some(c) = &self.conditions {
            let ops: Vec<String> = c
                .iter()
                .map(|(op, keys)| {
                    let keys: Vec<String> = keys
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| {
                            let v = match v {
                                Value::String(s) => q(s),
                                Value::Array(items) => flow_list(
                                    &items
                                        .iter()
                                        .filter_map(|i| i.as_str().map(str::to_owned))
                                        .collect::<Vec<_>>(),
                                ),
                                _ => String::new(),
                            };
                            format!("{}: {v}", q(k))
                        })
                        .collect();
                    format!("{}: {{{}}}", q(op), keys.join(", "))
                })
                .collect();
            line("conditions", format!("{{{}}}", ops.join(", ")));
        }
        out
    }
}

fn doc_of(statements: &[Stmt]) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements.iter().map(Stmt::json).collect::<Vec<_>>()})
}

fn same_doc(a: &Value, b: &Value) -> bool {
    PolicyDocument::from_value(a.clone()).same_as(&PolicyDocument::from_value(b.clone()))
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

/// The statements of `doc` as `custom_statements`, when writing them and
/// reading them back gives the same policy (same meaning); else `None`.
fn statements_of(doc: &Value) -> Option<Vec<Stmt>> {
    let obj = doc.as_object()?;
    if obj.keys().any(|k| k != "Version" && k != "Statement") {
        return None;
    }
    let items: Vec<&Value> = match obj.get("Statement")? {
        Value::Array(a) => a.iter().collect(),
        one @ Value::Object(_) => vec![one],
        _ => return None,
    };
    let mut out = Vec::new();
    for st in items {
        let st = st.as_object()?;
        let mut s = Stmt {
            sid: None,
            effect: String::new(),
            lists: Vec::new(),
            conditions: None,
        };
        for (k, v) in st {
            match k.as_str() {
                "Sid" => s.sid = Some(v.as_str()?.to_owned()),
                "Effect" => s.effect = v.as_str()?.to_owned(),
                "Action" | "NotAction" | "Resource" | "NotResource" => {
                    let yaml = match k.as_str() {
                        "Action" => "actions",
                        "NotAction" => "not_actions",
                        "Resource" => "resources",
                        _ => "not_resources",
                    };
                    let iam = match k.as_str() {
                        "Action" => "Action",
                        "NotAction" => "NotAction",
                        "Resource" => "Resource",
                        _ => "NotResource",
                    };
                    s.lists.push((iam, yaml, strings(v)?));
                }
                "Condition" => {
                    let mut ops = Map::new();
                    for (op, keys) in v.as_object()? {
                        let mut m = Map::new();
                        for (key, val) in keys.as_object()? {
                            let val = match val {
                                Value::String(_) => val.clone(),
                                Value::Array(_) => json!(strings(val)?),
                                _ => return None,
                            };
                            m.insert(key.clone(), val);
                        }
                        ops.insert(op.clone(), Value::Object(m));
                    }
                    s.conditions = Some(ops);
                }
                _ => return None,
            }
        }
        if s.effect != "Allow" && s.effect != "Deny" {
            return None;
        }
        // The loader's order: actions, not_actions, resources, not_resources.
        let order = |y: &str| {
            ["actions", "not_actions", "resources", "not_resources"]
                .iter()
                .position(|x| *x == y)
        };
        s.lists.sort_by_key(|(_, y, _)| order(y));
        out.push(s);
    }
    same_doc(&doc_of(&out), doc).then_some(out)
}

/// A temporary policy's document without the expiry iamctl added.
fn strip_expiry(doc: &Value, until: &str) -> Value {
    let mut doc = doc.clone();
    let strip = |st: &mut Value| {
        let Some(st) = st.as_object_mut() else {
            return;
        };
        let mut empty = false;
        if let Some(Value::Object(cond)) = st.get_mut("Condition") {
            if let Some(Value::Object(op)) = cond.get_mut("DateLessThan") {
                if op.get("aws:CurrentTime").and_then(Value::as_str) == Some(until) {
                    op.remove("aws:CurrentTime");
                }
                if op.is_empty() {
                    cond.remove("DateLessThan");
                }
            }
            empty = cond.is_empty();
        }
        if empty {
            st.remove("Condition");
        }
    };
    match doc.get_mut("Statement") {
        Some(Value::Array(sts)) => sts.iter_mut().for_each(strip),
        Some(st) => strip(st),
        None => {}
    }
    doc
}

/// One key of `aws-policies/<team>.yaml`.
#[derive(Debug, Default)]
struct KeyOut {
    description: Option<String>,
    name: Option<String>,
    path: Option<String>,
    existing: bool,
    managed_policies: BTreeSet<String>,
    statements: Option<Vec<Stmt>>,
    comment: Option<String>,
}

#[derive(Debug, Default)]
struct Grantees {
    users: BTreeSet<String>,
    roles: BTreeSet<String>,
    groups: BTreeSet<String>,
}

#[derive(Debug)]
struct UserOut {
    key: String,
    existing: bool,
    path: String,
    tags: Tags,
    boundary: Option<String>,
}

#[derive(Debug)]
struct RoleOut {
    existing: bool,
    path: String,
    tags: Tags,
    boundary: Option<String>,
    trust: Option<(Vec<String>, bool)>,
}

#[derive(Debug, Default)]
struct TeamOut {
    policies: BTreeMap<String, KeyOut>,
    grants: BTreeMap<String, Grantees>,
    temporary: BTreeSet<(String, String, String, String)>,
    users: BTreeMap<String, UserOut>,
    roles: BTreeMap<String, RoleOut>,
    groups: BTreeMap<String, (String, BTreeSet<String>)>,
    s3_users: BTreeSet<(String, String, &'static str)>,
}

/// What an import found, team by team.
struct Import {
    teams: BTreeMap<String, TeamOut>,
    warnings: Vec<String>,
}

fn own_tags(tags: &Tags) -> Tags {
    tags.iter()
        .filter(|(k, _)| k.as_str() != MANAGED_BY.0 && !k.starts_with("iamctl:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn path_or_root(p: &str) -> String {
    if p.is_empty() {
        "/".into()
    } else {
        p.to_owned()
    }
}

/// The trust a role of the configuration would get: principals and MFA.
fn trust_of(doc: &Value) -> Option<(Vec<String>, bool)> {
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
            || (p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()))
            || (p.starts_with("arn:") && iamctl_policy::names::validate_arn(p).is_ok())
    };
    if principals.is_empty() || !principals.iter().all(ok) {
        return None;
    }
    let rebuilt = trust_for_principals(&principals, mfa).value;
    same_doc(&rebuilt, doc).then_some((principals, mfa))
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

fn describe(
    account: &ActualAccount,
    snapshot: &Value,
    env: &str,
    team: &str,
    now: Timestamp,
) -> Import {
    let mut teams: BTreeMap<String, TeamOut> = BTreeMap::new();
    teams.entry(team.to_owned()).or_default();
    let mut warnings = Vec::new();
    let descriptions: HashMap<&str, &str> = snapshot["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["Arn"].as_str()?, p["Description"].as_str()?)))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    // Policy ARN -> (team, key) that grants it; temporary ARNs -> covered.
    let mut by_arn: HashMap<String, (String, String)> = HashMap::new();
    let mut temporary_arns: BTreeSet<String> = BTreeSet::new();
    let team_of = |tags: &Tags| tags.get(TAG_TEAM).cloned().unwrap_or_default();

    // Permanent policies first: temporary ones refer to their keys.
    let (temps, perms): (Vec<_>, Vec<_>) = account
        .policies
        .values()
        .partition(|p| owned(&p.tags) && p.tags.contains_key(TAG_EXPIRES));
    for p in perms {
        let description = descriptions.get(p.arn.as_str()).map(|d| (*d).to_owned());
        if owned(&p.tags) {
            let x = team_of(&p.tags);
            let key = p
                .tags
                .get(TAG_KEY)
                .cloned()
                .unwrap_or_else(|| p.name.clone());
            let fits = policy_name(&x, &key) == p.name && path_or_root(&p.path) == "/";
            let taken = teams.get(&x).is_some_and(|t| t.policies.contains_key(&key));
            if let (true, false, Some(sts)) = (fits, taken, statements_of(&p.document)) {
                teams.entry(x.clone()).or_default().policies.insert(
                    key.clone(),
                    KeyOut {
                        description,
                        statements: Some(sts),
                        ..KeyOut::default()
                    },
                );
                by_arn.insert(p.arn.clone(), (x, key));
                continue;
            }
            warnings.push(format!(
                "policy `{}` is iamctl's but cannot be written back as key `{key}` of team `{x}`; it is imported as `existing`",
                p.name
            ));
        }
        let t = teams.entry(team.to_owned()).or_default();
        let mut key = p.name.clone();
        while t.policies.contains_key(&key) {
            key.push_str("-existing");
        }
        let statements = statements_of(&p.document);
        let comment = statements.is_none().then(|| {
            "its document cannot be written as `custom_statements` (e.g. another Version, a Principal, non-string condition values)".to_owned()
        });
        t.policies.insert(
            key.clone(),
            KeyOut {
                description,
                name: Some(p.name.clone()),
                path: (path_or_root(&p.path) != "/").then(|| p.path.clone()),
                existing: true,
                statements,
                comment,
                ..KeyOut::default()
            },
        );
        by_arn.insert(p.arn.clone(), (team.to_owned(), key));
    }

    // Temporary grants, found by their tags.
    for p in temps {
        let x = team_of(&p.tags);
        let (Some(key), Some(grantee), Some(until)) = (
            p.tags.get(TAG_KEY),
            p.tags.get(TAG_GRANTEE),
            p.tags.get(TAG_EXPIRES),
        ) else {
            warnings.push(format!(
                "temporary policy `{}` lacks its `iamctl:key`, `iamctl:grantee` or `iamctl:expires` tag; left out (run `iamctl cleanup`)",
                p.name
            ));
            continue;
        };
        let Some((kind, who)) = grantee.split_once('/') else {
            continue;
        };
        let expires = until.parse::<Timestamp>().ok();
        if expires.is_none_or(|e| e <= now) {
            warnings.push(format!(
                "temporary policy `{}` expired at {until}; left out (run `iamctl cleanup`)",
                p.name
            ));
            continue;
        }
        let base = format!("{}-{who}", policy_name(&x, key));
        let t = teams.entry(x.clone()).or_default();
        let k = t.policies.entry(key.clone()).or_default();
        let fitted = if p.name == format!("{base}-temporary") {
            let stripped = strip_expiry(&p.document, until);
            match (&k.statements, statements_of(&stripped)) {
                (Some(have), _) => same_doc(
                    &expiring_copy(&doc_of(have), expires.unwrap_or(now)),
                    &p.document,
                ),
                (None, Some(sts)) if !k.existing => {
                    k.statements = Some(sts);
                    true
                }
                _ => false,
            }
        } else if let Some(managed) = p
            .name
            .strip_prefix(&format!("{base}-"))
            .and_then(|r| r.strip_suffix("-temporary"))
        {
            let source = account
                .documents
                .keys()
                .find(|a| a.contains(":aws:policy/") && a.ends_with(&format!("/{managed}")))
                .cloned()
                .unwrap_or_else(|| format!("arn:aws:iam::aws:policy/{managed}"));
            k.managed_policies.insert(source);
            true
        } else {
            false
        };
        if !fitted {
            if !k.existing && k.statements.is_none() && k.managed_policies.is_empty() {
                t.policies.remove(key);
            }
            warnings.push(format!(
                "temporary policy `{}` does not match key `{key}` of team `{x}`; left out",
                p.name
            ));
            continue;
        }
        temporary_arns.insert(p.arn.clone());
        t.temporary
            .insert((until.clone(), kind.to_owned(), who.to_owned(), key.clone()));
    }

    // Users.
    for u in account.users.values() {
        let x = team_of(&u.tags);
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
                        s3.push((bucket.to_owned(), u.name.clone(), word));
                        return true;
                    }
                }
                false
            });
        let (owner, existing) = if reproducible {
            (x, false)
        } else {
            if owned(&u.tags) {
                warnings.push(format!(
                    "user `{}` is iamctl's but has inline policies the configuration cannot hold; it is imported as `existing`",
                    u.name
                ));
            }
            (team.to_owned(), true)
        };
        let key = u
            .tags
            .get(TAG_KEY)
            .filter(|k| !existing && iamctl_config::user_name(k) == u.name)
            .cloned()
            .unwrap_or_else(|| u.name.clone());
        let t = teams.entry(owner).or_default();
        t.s3_users.extend(s3);
        t.users.insert(
            u.name.clone(),
            UserOut {
                key,
                existing,
                path: path_or_root(&u.path),
                tags: if existing {
                    Tags::new()
                } else {
                    own_tags(&u.tags)
                },
                boundary: u.boundary.clone(),
            },
        );
    }

    // Roles.
    for r in account.roles.values() {
        let trust = r.trust.as_ref().and_then(trust_of);
        let managed = owned(&r.tags) && r.inline.is_empty() && trust.is_some();
        if owned(&r.tags) && !managed {
            warnings.push(format!(
                "role `{}` is iamctl's but its trust or inline policies cannot be written in the configuration; it is imported as `existing`",
                r.name
            ));
        }
        let owner = if managed {
            team_of(&r.tags)
        } else {
            team.to_owned()
        };
        teams.entry(owner).or_default().roles.insert(
            r.name.clone(),
            RoleOut {
                existing: !managed,
                path: path_or_root(&r.path),
                tags: if managed {
                    own_tags(&r.tags)
                } else {
                    Tags::new()
                },
                boundary: r.boundary.clone(),
                trust: if managed { trust } else { None },
            },
        );
    }

    // Groups carry no tags: always `existing`, with their members.
    for g in account.groups.values() {
        teams
            .entry(team.to_owned())
            .or_default()
            .groups
            .insert(g.name.clone(), (path_or_root(&g.path), g.groups.clone()));
    }

    // Attachments: permanent grants, one entry per key.
    let mut grant = |kind: &str, p: &ActualPrincipal| {
        for arn in &p.attached {
            if temporary_arns.contains(arn) {
                continue;
            }
            let (x, key) = match by_arn.get(arn) {
                Some(found) => found.clone(),
                None => {
                    let key = managed_key(arn);
                    let t = teams.entry(team.to_owned()).or_default();
                    t.policies
                        .entry(key.clone())
                        .or_default()
                        .managed_policies
                        .insert(arn.clone());
                    by_arn.insert(arn.clone(), (team.to_owned(), key.clone()));
                    (team.to_owned(), key)
                }
            };
            let g = teams.entry(x).or_default().grants.entry(key).or_default();
            match kind {
                "user" => g.users.insert(p.name.clone()),
                "role" => g.roles.insert(p.name.clone()),
                _ => g.groups.insert(p.name.clone()),
            };
        }
    };
    for u in account.users.values() {
        grant("user", u);
    }
    for r in account.roles.values() {
        grant("role", r);
    }
    for g in account.groups.values() {
        grant("group", g);
    }
    let _ = env;
    Import { teams, warnings }
}

/// The files of one team, by relative path.
fn render(team: &str, t: &TeamOut, env: &str, account: &str) -> Vec<(String, String)> {
    let head =
        "# Written by `iamctl import`; `iamctl plan` against the account shows no changes.\n";
    let mut files = Vec::new();
    files.push((
        format!("aws-accounts/{team}.yaml"),
        format!("{head}aws-accounts:\n  {}: {}\n", q(env), q(account)),
    ));
    if !t.policies.is_empty() {
        let mut s = format!("{head}aws-policies:\n");
        for (key, p) in &t.policies {
            if let Some(c) = &p.comment {
                let _ = writeln!(s, "  # {key}: {c}");
            }
            let _ = writeln!(s, "  {}:", q(key));
            if let Some(d) = &p.description {
                let _ = writeln!(s, "    description: {}", q(d));
            }
            if let Some(n) = &p.name {
                let _ = writeln!(s, "    name: {}", q(n));
            }
            if let Some(path) = &p.path {
                let _ = writeln!(s, "    path: {}", q(path));
            }
            if p.existing {
                s.push_str("    existing: true\n");
            }
            if !p.managed_policies.is_empty() {
                let list: Vec<String> = p.managed_policies.iter().cloned().collect();
                let _ = writeln!(s, "    managed_policies: {}", flow_list(&list));
            }
            if let Some(sts) = &p.statements {
                s.push_str("    custom_statements:\n");
                for st in sts {
                    s.push_str(&st.yaml("      "));
                }
            }
        }
        files.push((format!("aws-policies/{team}.yaml"), s));
    }
    if !t.grants.is_empty() {
        let mut s = format!("{head}permanent-access:\n");
        for (key, g) in &t.grants {
            let _ = writeln!(s, "  - description: {}", q(&format!("imported: {key}")));
            for (field, set) in [
                ("users", &g.users),
                ("roles", &g.roles),
                ("groups", &g.groups),
            ] {
                if !set.is_empty() {
                    let list: Vec<String> = set.iter().cloned().collect();
                    let _ = writeln!(s, "    {field}: {}", flow_list(&list));
                }
            }
            let _ = writeln!(s, "    environments: {}", flow_list(&[env.to_owned()]));
            let _ = writeln!(s, "    grants: {}", flow_list(std::slice::from_ref(key)));
        }
        files.push((format!("permanent-access/{team}.yaml"), s));
    }
    if !t.temporary.is_empty() {
        let mut s = format!("{head}temporary-access:\n");
        for (until, kind, who, key) in &t.temporary {
            let _ = writeln!(
                s,
                "  - description: {}",
                q(&format!("imported: {key} for {kind} {who}"))
            );
            let _ = writeln!(s, "    expiration_date: {}", q(until));
            let _ = writeln!(s, "    {kind}: {}", q(who));
            let _ = writeln!(s, "    environment: {}", q(env));
            let _ = writeln!(s, "    grant: {}", q(key));
        }
        files.push((format!("temporary-access/{team}.yaml"), s));
    }
    let tags_line = |s: &mut String, tags: &Tags| {
        if !tags.is_empty() {
            let items: Vec<String> = tags
                .iter()
                .map(|(k, v)| format!("{}: {}", q(k), q(v)))
                .collect();
            let _ = writeln!(s, "    tags: {{{}}}", items.join(", "));
        }
    };
    if !t.users.is_empty() {
        let mut s = format!("{head}users:\n");
        for u in t.users.values() {
            let _ = writeln!(s, "  {}:", q(&u.key));
            if u.existing {
                s.push_str("    existing: true\n");
            }
            if u.path != "/" {
                let _ = writeln!(s, "    path: {}", q(&u.path));
            }
            tags_line(&mut s, &u.tags);
            if let Some(b) = &u.boundary {
                let _ = writeln!(s, "    permissions_boundary: {}", q(b));
            }
        }
        files.push((format!("users/{team}.yaml"), s));
    }
    if !t.roles.is_empty() {
        let mut s = format!("{head}roles:\n");
        for (name, r) in &t.roles {
            let _ = writeln!(s, "  {}:", q(name));
            if r.existing {
                s.push_str("    existing: true\n");
            }
            if r.path != "/" {
                let _ = writeln!(s, "    path: {}", q(&r.path));
            }
            tags_line(&mut s, &r.tags);
            if let Some(b) = &r.boundary {
                let _ = writeln!(s, "    permissions_boundary: {}", q(b));
            }
            if let Some((principals, mfa)) = &r.trust {
                s.push_str("    trust:\n");
                let _ = writeln!(s, "      principals: {}", flow_list(principals));
                if *mfa {
                    s.push_str("      require_mfa: true\n");
                }
            }
        }
        files.push((format!("roles/{team}.yaml"), s));
    }
    if !t.groups.is_empty() {
        let mut s = format!("{head}# IAM groups carry no tags: iamctl declares them `existing` and never deletes one.\ngroups:\n");
        for (name, (path, members)) in &t.groups {
            let _ = writeln!(s, "  {}:", q(name));
            s.push_str("    existing: true\n");
            if path != "/" {
                let _ = writeln!(s, "    path: {}", q(path));
            }
            let list: Vec<String> = members.iter().cloned().collect();
            let _ = writeln!(s, "    members: {}", flow_list(&list));
        }
        files.push((format!("groups/{team}.yaml"), s));
    }
    if !t.s3_users.is_empty() {
        let mut s = format!("{head}s3-users:\n");
        for (bucket, user, access) in &t.s3_users {
            let _ = writeln!(s, "  - bucket: {}", q(bucket));
            let _ = writeln!(s, "    user: {}", q(user));
            let _ = writeln!(s, "    access: {}", q(access));
        }
        files.push((format!("s3-users/{team}.yaml"), s));
    }
    files
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of the first ARN in a snapshot.
fn account_in(snapshot: &Value) -> Option<String> {
    [
        "UserDetailList",
        "RoleDetailList",
        "GroupDetailList",
        "Policies",
    ]
    .iter()
    .flat_map(|l| snapshot[*l].as_array().into_iter().flatten())
    .filter_map(|e| e["Arn"].as_str())
    .filter_map(|arn| arn.split(':').nth(4))
    .find(|a| is_account_id(a))
    .map(str::to_owned)
}

fn check_out_dir(out: &Path, force: bool) -> CmdResult {
    let non_empty = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(CommandError::invalid(format!(
                "cannot read `{}`: {e}",
                out.display()
            )))
        }
    };
    if non_empty && !force {
        return Err(CommandError::invalid_help(
            format!("`{}` is not empty; nothing was written", out.display()),
            "give an empty or new directory with `-o DIR`, or pass `--force` to write into it",
        ));
    }
    Ok(())
}

pub async fn import(ctx: &Ctx, a: ImportArgs) -> CmdResult {
    let valid_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if !valid_name(&a.team) {
        return Err(CommandError::invalid(format!(
            "team `{}` is not a valid file name: use letters, digits, `-`, `_` and `.`",
            a.team
        )));
    }
    if !valid_name(&a.env) {
        return Err(CommandError::invalid(format!(
            "environment `{}` is not a valid name: use letters, digits, `-`, `_` and `.`",
            a.env
        )));
    }
    if let Some(id) = &a.account {
        if !is_account_id(id) {
            return Err(CommandError::invalid(format!(
                "account id `{id}` is not 12 digits"
            )));
        }
    }
    check_out_dir(&a.out, a.force)?;
    let (account, snapshot, actual) = match &a.snapshot {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CommandError::invalid(format!("cannot read `{}`: {e}", path.display()))
            })?;
            let snapshot: Value = serde_json::from_str(&text).map_err(|e| {
                CommandError::invalid(format!(
                    "`{}`:{}:{}: not a snapshot: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ))
            })?;
            let account = match a.account.clone().or_else(|| account_in(&snapshot)) {
                Some(id) => id,
                None => {
                    return Err(CommandError::invalid(format!(
                        "`{}` names no account: pass `--account ID`",
                        path.display()
                    )))
                }
            };
            let actual = ActualAccount::from_snapshot(&snapshot, &HashMap::new());
            (account, snapshot, actual)
        }
        None => {
            let account = match &a.account {
                Some(id) => id.clone(),
                None => ctx.identity().await?.account.clone(),
            };
            let desired = DesiredAccount {
                environment: a.env.clone(),
                account_id: account.clone(),
                deployer_role: a
                    .deployer_role
                    .clone()
                    .unwrap_or_else(|| DEFAULT_DEPLOYER_ROLE.to_owned()),
                external_id: None,
                region: None,
                policies: BTreeMap::new(),
                users: BTreeMap::new(),
                roles: BTreeMap::new(),
                groups: BTreeMap::new(),
            };
            let t = super::deploy::read_target(ctx, desired, None).await?;
            ctx.status(format!(
                "read account {account}: {} page(s) of GetAccountAuthorizationDetails, {} request(s) in all",
                t.pages, t.calls
            ));
            (account, t.snapshot, t.actual)
        }
    };
    let import = describe(&actual, &snapshot, &a.env, &a.team, ctx.now);
    let mut files = Vec::new();
    for (team, t) in &import.teams {
        files.extend(render(team, t, &a.env, &account));
    }
    if let Some(role) = &a.deployer_role {
        files.push((
            "settings.yaml".to_owned(),
            format!("settings:\n  deployer_role: {}\n", q(role)),
        ));
    }
    for (rel, text) in &files {
        let path = a.out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).map_err(|e| {
            CommandError::failure(format!("cannot write `{}`: {e}", path.display()))
        })?;
    }
    for w in &import.warnings {
        ctx.status(format!("warning: {w}"));
    }
    let count = |f: fn(&TeamOut) -> usize| import.teams.values().map(f).sum::<usize>();
    ctx.status(format!(
        "imported account {account} as environment `{}` into `{}`: {} user(s), {} role(s), {} group(s), {} policy key(s), {} temporary grant(s), {} file(s)",
        a.env,
        a.out.display(),
        count(|t| t.users.len()),
        count(|t| t.roles.len()),
        count(|t| t.groups.len()),
        count(|t| t.policies.len()),
        count(|t| t.temporary.len()),
        files.len()
    ));
    Ok(())
}
