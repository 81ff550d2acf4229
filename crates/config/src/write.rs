//! The model written back as a configuration directory: one YAML text per
//! file, which [`crate::load`] reads back to the same model
//! (`load(write(c)) == c`, spans aside). `import` writes through this.
//!
//! Scalars are written by saphyr's emitter (the saphyr-rs project's, over the
//! same parser we read with), which quotes every string that YAML would read
//! as something else (`"123456789012"`, `"true"`, `"null"`, `"- x"`, `""`).
//! Each top-level entry is emitted on its own so that a comment can stand
//! before it (import says there why a policy is `existing`).

use std::collections::BTreeMap;

use saphyr::{Mapping, Scalar, Yaml, YamlEmitter};
use serde_json::Value;

use crate::diag::Spanned;
use crate::model::*;

/// Comments to write with the files: `files` before a file's top-level key
/// (by relative path), `entries` before one entry of a file (by relative
/// path and the entry's key as written, or its index for the list kinds
/// `permanent-access`, `temporary-access`, `s3-users`). Each string is one
/// line; line breaks in it start new comment lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments {
    pub files: BTreeMap<String, Vec<String>>,
    pub entries: BTreeMap<(String, String), Vec<String>>,
}

impl Comments {
    /// Adds a comment line before `entry` of `file`.
    pub fn entry(&mut self, file: &str, entry: &str, line: impl Into<String>) {
        self.entries
            .entry((file.to_owned(), entry.to_owned()))
            .or_default()
            .push(line.into());
    }

    /// Adds a comment line at the top of `file`.
    pub fn file(&mut self, file: &str, line: impl Into<String>) {
        self.files
            .entry(file.to_owned())
            .or_default()
            .push(line.into());
    }
}

/// Every file of `config`: `(relative path, YAML text)`, sorted by path.
/// `settings.yaml` when a setting is set, and `<kind>/<team>.yaml` for each
/// kind a team has something of.
pub fn write(config: &Config) -> Vec<(String, String)> {
    write_with(config, &Comments::default())
}

/// [`write`] with comments.
pub fn write_with(config: &Config, comments: &Comments) -> Vec<(String, String)> {
    let mut files = BTreeMap::new();
    let settings = settings(&config.settings);
    if !settings.is_empty() {
        let path = "settings.yaml".to_owned();
        let text = file(&path, "settings", vec![Entry::map(settings)], comments);
        files.insert(path, text);
    }
    for t in config.teams.values() {
        for (kind, entries) in team(t) {
            if entries.is_empty() {
                continue;
            }
            let path = format!("{kind}/{}.yaml", t.name);
            let text = file(&path, kind, entries, comments);
            files.insert(path, text);
        }
    }
    files.into_iter().collect()
}

/// One top-level entry: a key and value of the body mapping, or an item of
/// the body list.
struct Entry {
    key: Option<String>,
    value: Yaml<'static>,
}

impl Entry {
    /// The whole body as one mapping (`settings:`), written as is.
    fn map(m: Mapping<'static>) -> Entry {
        Entry {
            key: None,
            value: Yaml::Mapping(m),
        }
    }
}

fn file(path: &str, kind: &str, entries: Vec<Entry>, comments: &Comments) -> String {
    let mut out = String::new();
    for c in comments.files.get(path).into_iter().flatten() {
        push_comment(&mut out, "", c);
    }
    out.push_str(kind);
    out.push(':');
    let whole = matches!(kind, "settings" | "identity-center");
    let is_list = entries.iter().all(|e| e.key.is_none()) && !whole;
    if whole {
        if let Some(Entry { value, .. }) = entries.into_iter().next() {
            out.push('\n');
            indent(&mut out, &emit(&value));
        }
        return out;
    }
    out.push('\n');
    for (i, e) in entries.into_iter().enumerate() {
        let id = e.key.clone().unwrap_or_else(|| i.to_string());
        if let Some(cs) = comments.entries.get(&(path.to_owned(), id)) {
            for c in cs {
                push_comment(&mut out, "  ", c);
            }
        }
        let node = if is_list {
            Yaml::Sequence(vec![e.value])
        } else {
            let mut m = Mapping::new();
            m.insert(string(e.key.unwrap_or_default()), e.value);
            Yaml::Mapping(m)
        };
        indent(&mut out, &emit(&node));
    }
    out
}

fn push_comment(out: &mut String, pad: &str, text: &str) {
    for line in text.lines() {
        out.push_str(pad);
        out.push('#');
        if !line.is_empty() {
            out.push(' ');
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Appends `text`'s lines, each indented by two spaces. The emitter writes
/// no block scalars (multi-line strings are quoted with escapes), so every
/// line can move.
fn indent(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}

fn emit(node: &Yaml<'_>) -> String {
    let mut text = String::new();
    let mut e = YamlEmitter::new(&mut text);
    e.multiline(false);
    // Writing to a String cannot fail.
    let _ = e.dump(node);
    text.strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---"))
        .unwrap_or(&text)
        .trim_start_matches(' ')
        .to_owned()
}

fn string(s: impl Into<String>) -> Yaml<'static> {
    Yaml::Value(Scalar::String(s.into().into()))
}

fn strings(list: &[Spanned<String>]) -> Yaml<'static> {
    Yaml::Sequence(list.iter().map(|s| string(s.value.clone())).collect())
}

/// A mapping built in the order keys are written.
#[derive(Default)]
struct Map(Mapping<'static>);

impl Map {
    fn put(&mut self, key: &str, value: Yaml<'static>) -> &mut Map {
        self.0.insert(string(key), value);
        self
    }

    fn text(&mut self, key: &str, value: &Option<Spanned<String>>) -> &mut Map {
        if let Some(v) = value {
            self.put(key, string(v.value.clone()));
        }
        self
    }

    fn list(&mut self, key: &str, list: &[Spanned<String>]) -> &mut Map {
        if !list.is_empty() {
            self.put(key, strings(list));
        }
        self
    }

    fn opt_list(&mut self, key: &str, list: &Option<Vec<Spanned<String>>>) -> &mut Map {
        if let Some(l) = list {
            self.put(key, strings(l));
        }
        self
    }

    fn flag(&mut self, key: &str, on: bool) -> &mut Map {
        if on {
            self.put(key, Yaml::Value(Scalar::Boolean(true)));
        }
        self
    }

    fn tags(&mut self, tags: &[(Spanned<String>, Spanned<String>)]) -> &mut Map {
        if !tags.is_empty() {
            let mut m = Mapping::new();
            for (k, v) in tags {
                m.insert(string(k.value.clone()), string(v.value.clone()));
            }
            self.put("tags", Yaml::Mapping(m));
        }
        self
    }

    fn done(&mut self) -> Yaml<'static> {
        Yaml::Mapping(std::mem::take(&mut self.0))
    }
}

fn settings(s: &Settings) -> Mapping<'static> {
    let mut m = Map::default();
    m.text("deployer_role", &s.deployer_role)
        .text("external_id", &s.external_id)
        .text("region", &s.region)
        .text("max_temporary_duration", &s.max_temporary_duration)
        .text("master_copy", &s.master_copy)
        .text("iam_path", &s.iam_path);
    if let Some(ic) = &s.identity_center {
        let body = Map::default()
            .text("account", &ic.account)
            .text("region", &ic.region)
            .text("identity_source", &ic.identity_source)
            .done();
        m.put("identity_center", body);
    }
    if let Some(o) = &s.organization {
        let body = Map::default().text("account", &o.account).done();
        m.put("organization", body);
    }
    m.0
}

fn team(t: &Team) -> Vec<(&'static str, Vec<Entry>)> {
    let keyed = |k: &str, value: Yaml<'static>| Entry {
        key: Some(k.to_owned()),
        value,
    };
    let item = |value: Yaml<'static>| Entry { key: None, value };
    vec![
        (
            "aws-accounts",
            t.accounts
                .values()
                .map(|e| keyed(&e.name.value, environment(e)))
                .collect(),
        ),
        (
            "aws-policies",
            t.policies
                .values()
                .map(|p| keyed(&p.key.value, policy(p)))
                .collect(),
        ),
        (
            "permanent-access",
            t.permanent
                .iter()
                .map(|g| item(permanent(g)))
                .chain(t.sso_permanent.iter().map(|g| item(sso_permanent(g))))
                .collect(),
        ),
        (
            "temporary-access",
            t.temporary
                .iter()
                .map(|g| item(temporary(g)))
                .chain(t.sso_temporary.iter().map(|g| item(sso_temporary(g))))
                .collect(),
        ),
        (
            "users",
            t.users
                .values()
                .map(|u| keyed(&u.key.value, user(u)))
                .collect(),
        ),
        (
            "roles",
            t.roles
                .values()
                .map(|r| keyed(&r.key.value, role(r)))
                .collect(),
        ),
        (
            "groups",
            t.groups
                .values()
                .map(|g| keyed(&g.key.value, group(g)))
                .collect(),
        ),
        (
            "s3-users",
            t.s3_users.iter().map(|s| item(s3_user(s))).collect(),
        ),
        (
            "org-policies",
            t.org_policies
                .values()
                .map(|p| keyed(&p.key.value, org_policy(p)))
                .collect(),
        ),
        (
            "identity-center",
            identity_center(&t.identity_center)
                .map(Entry::map)
                .into_iter()
                .collect(),
        ),
    ]
}

/// `identity-center/<team>.yaml`'s body, written as one mapping (as
/// `settings:` is); `None` when the team declares nothing there.
fn identity_center(ic: &crate::identity_center::IdentityCenter) -> Option<Mapping<'static>> {
    if ic.is_empty() {
        return None;
    }
    let mut m = Map::default();
    if !ic.users.is_empty() {
        let mut users = Mapping::new();
        for u in ic.users.values() {
            let body = Map::default()
                .text("given_name", &u.given_name)
                .text("family_name", &u.family_name)
                .text("display_name", &u.display_name)
                .text("email", &u.email)
                .done();
            users.insert(string(u.name.value.clone()), body);
        }
        m.put("users", Yaml::Mapping(users));
    }
    if !ic.groups.is_empty() {
        let mut groups = Mapping::new();
        for g in ic.groups.values() {
            let body = Map::default()
                .text("description", &g.description)
                .list("members", &g.members)
                .done();
            groups.insert(string(g.name.value.clone()), body);
        }
        m.put("groups", Yaml::Mapping(groups));
    }
    if !ic.permission_sets.is_empty() {
        let mut sets = Mapping::new();
        for p in ic.permission_sets.values() {
            let body = Map::default()
                .text("description", &p.description)
                .text("session_duration", &p.session_duration)
                .list("grants", &p.grants)
                .text("permissions_boundary", &p.permissions_boundary)
                .done();
            sets.insert(string(p.name.value.clone()), body);
        }
        m.put("permission-sets", Yaml::Mapping(sets));
    }
    Some(m.0)
}

fn org_policy(p: &crate::org_policies::OrgPolicy) -> Yaml<'static> {
    let mut m = Map::default();
    m.text("type", &p.kind).text("description", &p.description);
    if !p.custom_statements.is_empty() {
        let sts = p.custom_statements.iter().map(statement).collect();
        m.put("custom_statements", Yaml::Sequence(sts));
    }
    m.list("targets", &p.targets);
    m.done()
}

fn sso_permanent(g: &crate::identity_center::SsoPermanentGrant) -> Yaml<'static> {
    Map::default()
        .text("description", &g.description)
        .list("sso_users", &g.sso_users)
        .list("sso_groups", &g.sso_groups)
        .list("environments", &g.environments)
        .text("permission_set", &g.permission_set)
        .done()
}

fn sso_temporary(g: &crate::identity_center::SsoTemporaryGrant) -> Yaml<'static> {
    Map::default()
        .text("description", &g.description)
        .text("expiration_date", &g.expiration_date)
        .text("sso_user", &g.sso_user)
        .text("sso_group", &g.sso_group)
        .text("environment", &g.environment)
        .text("permission_set", &g.permission_set)
        .done()
}

fn environment(e: &Environment) -> Yaml<'static> {
    if e.deployer_role.is_none() && e.external_id.is_none() && e.region.is_none() {
        return string(e.account_id.value.clone());
    }
    Map::default()
        .put("account_id", string(e.account_id.value.clone()))
        .text("deployer_role", &e.deployer_role)
        .text("external_id", &e.external_id)
        .text("region", &e.region)
        .done()
}

fn policy(p: &Policy) -> Yaml<'static> {
    let mut m = Map::default();
    m.text("description", &p.description)
        .text("name", &p.name)
        .text("path", &p.path)
        .flag("existing", p.existing)
        .list("managed_policies", &p.managed_policies);
    if !p.custom_statements.is_empty() {
        let sts = p.custom_statements.iter().map(statement).collect();
        m.put("custom_statements", Yaml::Sequence(sts));
    }
    m.done()
}

fn statement(s: &Statement) -> Yaml<'static> {
    let mut m = Map::default();
    m.text("sid", &s.sid)
        .text("effect", &s.effect)
        .list("actions", &s.actions)
        .list("not_actions", &s.not_actions)
        .list("resources", &s.resources)
        .list("not_resources", &s.not_resources);
    if let Some(c) = &s.conditions {
        m.put("conditions", conditions(&c.value));
    }
    m.done()
}

/// `{operator: {key: value or [values]}}`; anything else a JSON value can
/// be is written as its JSON text (the loader reads strings only).
fn conditions(v: &Value) -> Yaml<'static> {
    match v {
        Value::Object(o) => {
            let mut m = Mapping::new();
            for (k, v) in o {
                m.insert(string(k.clone()), conditions(v));
            }
            Yaml::Mapping(m)
        }
        Value::Array(items) => Yaml::Sequence(items.iter().map(conditions).collect()),
        Value::String(s) => string(s.clone()),
        other => string(other.to_string()),
    }
}

fn permanent(g: &PermanentGrant) -> Yaml<'static> {
    Map::default()
        .text("description", &g.description)
        .list("users", &g.users)
        .list("roles", &g.roles)
        .list("groups", &g.groups)
        .list("environments", &g.environments)
        .list("grants", &g.grants)
        .done()
}

fn temporary(g: &TemporaryGrant) -> Yaml<'static> {
    Map::default()
        .text("description", &g.description)
        .text("expiration_date", &g.expiration_date)
        .text("user", &g.user)
        .text("role", &g.role)
        .text("group", &g.group)
        .text("environment", &g.environment)
        .text("grant", &g.grant)
        .done()
}

fn user(u: &User) -> Yaml<'static> {
    Map::default()
        .flag("existing", u.existing)
        .text("path", &u.path)
        .tags(&u.tags)
        .text("permissions_boundary", &u.permissions_boundary)
        .opt_list("environments", &u.environments)
        .done()
}

fn role(r: &Role) -> Yaml<'static> {
    let mut m = Map::default();
    m.flag("existing", r.existing)
        .text("description", &r.description)
        .text("path", &r.path);
    if let Some(t) = &r.trust {
        let trust = Map::default()
            .list("principals", &t.principals)
            .list("users", &t.users)
            .flag("require_mfa", t.require_mfa)
            .done();
        m.put("trust", trust);
    }
    if let Some(d) = &r.max_session_duration {
        m.put(
            "max_session_duration",
            Yaml::Value(Scalar::Integer(i64::from(d.value))),
        );
    }
    m.text("permissions_boundary", &r.permissions_boundary)
        .tags(&r.tags)
        .opt_list("environments", &r.environments)
        .done()
}

fn group(g: &Group) -> Yaml<'static> {
    Map::default()
        .flag("existing", g.existing)
        .text("path", &g.path)
        .list("members", &g.members)
        .opt_list("environments", &g.environments)
        .done()
}

fn s3_user(s: &S3User) -> Yaml<'static> {
    Map::default()
        .text("bucket", &s.bucket)
        .text("user", &s.user)
        .text("access", &s.access)
        .opt_list("environments", &s.environments)
        .done()
}

/// A value written nowhere (made by a program, e.g. `import`): its span
/// names no file.
pub fn unplaced<T>(value: T) -> Spanned<T> {
    Spanned::new(value, crate::diag::Span::file_only(""))
}

/// The statements of a policy document as `custom_statements`, such that
/// [`crate::policy_document`] of them is the same policy; else why not
/// (a `Principal`, an `Id`, a condition value that is not a string, another
/// `Version`...). `import` writes an account's policies with it.
pub fn statements_from_document(doc: &Value) -> Result<Vec<Statement>, String> {
    let obj = doc.as_object().ok_or("the document is not a JSON object")?;
    if let Some(k) = obj.keys().find(|k| *k != "Version" && *k != "Statement") {
        return Err(format!(
            "the document has `{k}`, which `custom_statements` cannot hold"
        ));
    }
    let items: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("the document has no statement list".into()),
    };
    let mut out = Vec::new();
    for (i, st) in items.into_iter().enumerate() {
        let n = i + 1;
        let st = st
            .as_object()
            .ok_or_else(|| format!("statement {n} is not an object"))?;
        let mut s = Statement {
            span: crate::diag::Span::file_only(""),
            sid: None,
            effect: None,
            actions: Vec::new(),
            not_actions: Vec::new(),
            resources: Vec::new(),
            not_resources: Vec::new(),
            conditions: None,
        };
        for (k, v) in st {
            let text = |v: &Value| {
                v.as_str()
                    .map(|s| unplaced(s.to_owned()))
                    .ok_or_else(|| format!("`{k}` of statement {n} is not a string"))
            };
            let list = |v: &Value| -> Result<Vec<Spanned<String>>, String> {
                match v {
                    Value::String(s) => Ok(vec![unplaced(s.clone())]),
                    Value::Array(items) if !items.is_empty() => items.iter().map(text).collect(),
                    _ => Err(format!(
                        "`{k}` of statement {n} is not a string or a list of strings"
                    )),
                }
            };
            match k.as_str() {
                "Sid" => s.sid = Some(text(v)?),
                "Effect" => s.effect = Some(text(v)?),
                "Action" => s.actions = list(v)?,
                "NotAction" => s.not_actions = list(v)?,
                "Resource" => s.resources = list(v)?,
                "NotResource" => s.not_resources = list(v)?,
                "Condition" => {
                    let ops = v.as_object().ok_or_else(|| {
                        format!("the condition of statement {n} is not an object")
                    })?;
                    for (op, keys) in ops {
                        let keys = keys.as_object().ok_or_else(|| {
                            format!("condition `{op}` of statement {n} is not an object")
                        })?;
                        for (key, val) in keys {
                            let strings = match val {
                                Value::String(_) => true,
                                Value::Array(items) => items.iter().all(Value::is_string),
                                _ => false,
                            };
                            if !strings {
                                return Err(format!(
                                    "condition key `{key}` of statement {n} has a value that is not a string (`custom_statements` holds strings)"
                                ));
                            }
                        }
                    }
                    s.conditions = Some(unplaced(v.clone()));
                }
                other => {
                    return Err(format!(
                        "statement {n} has `{other}`, which `custom_statements` cannot hold"
                    ))
                }
            }
        }
        out.push(s);
    }
    let policy = Policy {
        key: unplaced(String::new()),
        description: None,
        managed_policies: Vec::new(),
        custom_statements: out,
        name: None,
        path: None,
        existing: false,
    };
    let back = crate::desired::policy_document(&policy, None);
    let same = iamctl_policy::PolicyDocument::from_value(back)
        .same_as(&iamctl_policy::PolicyDocument::from_value(doc.clone()));
    if !same {
        let version = obj.get("Version").and_then(Value::as_str).unwrap_or("none");
        return Err(if version != "2012-10-17" {
            format!("the document's `Version` is `{version}`; `custom_statements` are written as `2012-10-17`")
        } else {
            "written as `custom_statements` it would not be the same policy".to_owned()
        });
    }
    Ok(policy.custom_statements)
}
