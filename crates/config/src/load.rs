//! Reading a configuration directory into the model, reporting every schema
//! problem (unknown keys, wrong types) on the way and never stopping early.

use std::path::Path;

use crate::diag::{Diagnostic, Span, Spanned};
use crate::model::*;
use crate::yaml::{self, Kind, Node};

mod ic;
mod org;

/// The directories of seed 004 and of our extensions, each holding
/// `<team>.yaml` files whose single top-level key is the directory's name.
pub const TEAM_DIRS: &[&str] = &[
    "aws-accounts",
    "aws-policies",
    "permanent-access",
    "temporary-access",
    "users",
    "roles",
    "groups",
    "s3-users",
    "identity-center",
    "org-policies",
];

/// The keys each kind of mapping accepts (the JSON Schema lists the same).
pub mod keys {
    pub const ENVIRONMENT: &[&str] = &["account_id", "deployer_role", "external_id", "region"];
    pub const POLICY: &[&str] = &[
        "description",
        "managed_policies",
        "custom_statements",
        "name",
        "path",
        "existing",
    ];
    pub const STATEMENT: &[&str] = &[
        "sid",
        "effect",
        "actions",
        "not_actions",
        "resources",
        "not_resources",
        "conditions",
    ];
    pub const PERMANENT: &[&str] = &[
        "description",
        "users",
        "roles",
        "groups",
        "environments",
        "grants",
    ];
    pub const TEMPORARY: &[&str] = &[
        "description",
        "expiration_date",
        "user",
        "role",
        "group",
        "environment",
        "grant",
    ];
    pub const USER: &[&str] = &[
        "existing",
        "path",
        "tags",
        "permissions_boundary",
        "environments",
    ];
    pub const ROLE: &[&str] = &[
        "existing",
        "description",
        "path",
        "trust",
        "max_session_duration",
        "permissions_boundary",
        "tags",
        "environments",
    ];
    pub const TRUST: &[&str] = &["principals", "users", "require_mfa"];
    pub const GROUP: &[&str] = &["existing", "path", "members", "environments"];
    pub const S3_USER: &[&str] = &["bucket", "user", "access", "environments"];
    pub const SETTINGS: &[&str] = &[
        "deployer_role",
        "external_id",
        "region",
        "max_temporary_duration",
        "master_copy",
        "iam_path",
        "identity_center",
        "organization",
    ];
    /// `settings.organization`.
    pub const ORGANIZATION_SETTINGS: &[&str] = &["account"];
    /// A key of `org-policies/<team>.yaml`.
    pub const ORG_POLICY: &[&str] = &["type", "description", "custom_statements", "targets"];
    /// `settings.identity_center`.
    pub const IDENTITY_CENTER_SETTINGS: &[&str] = &["account", "region", "identity_source"];
    /// `identity-center/<team>.yaml`.
    pub const IDENTITY_CENTER: &[&str] = &["users", "groups", "permission-sets"];
    pub const SSO_USER: &[&str] = &["given_name", "family_name", "display_name", "email"];
    pub const SSO_GROUP: &[&str] = &["description", "members"];
    pub const PERMISSION_SET: &[&str] = &[
        "description",
        "session_duration",
        "grants",
        "permissions_boundary",
    ];
    /// The keys of a `permanent-access` entry for Identity Center principals
    /// (with `description` and `environments`).
    pub const SSO_PERMANENT: &[&str] = &["sso_users", "sso_groups", "permission_set"];
    /// The keys of a `temporary-access` entry for an Identity Center principal
    /// (with `description`, `expiration_date` and `environment`).
    pub const SSO_TEMPORARY: &[&str] = &["sso_user", "sso_group", "permission_set"];
}

/// Reads every `<dir>/<kind>/<team>.yaml` (and `.yml`) and `settings.yaml`.
/// Returns the model and what was wrong while reading; the same problems are
/// kept in [`Config::load_diagnostics`].
pub fn load(dir: &Path) -> (Config, Vec<Diagnostic>) {
    let mut config = Config::default();
    let mut diags = Vec::new();
    let root = dir.display().to_string();
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            diags.push(Diagnostic::error(
                &Span::file_only(&root),
                format!("`{root}` is not a directory"),
            ));
            return finish(config, diags);
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                &Span::file_only(&root),
                format!("cannot read configuration directory `{root}`: {e}"),
            ));
            return finish(config, diags);
        }
    }
    let mut found_any = false;
    for name in ["settings.yaml", "settings.yml"] {
        let path = dir.join(name);
        if path.is_file() {
            found_any = true;
            if let Some(node) = read(&mut config, &mut diags, &path, name) {
                let mut r = Reader { diags: &mut diags };
                if let Some(body) = r.top(&node, "settings") {
                    config.settings = r.settings(body);
                }
            }
        }
    }
    for kind in TEAM_DIRS {
        let sub = dir.join(kind);
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
            })
            .collect();
        files.sort();
        for path in files {
            found_any = true;
            let Some(team) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                continue;
            };
            let file_name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
            let rel = format!("{kind}/{file_name}");
            let Some(node) = read(&mut config, &mut diags, &path, &rel) else {
                continue;
            };
            let t = config.teams.entry(team.clone()).or_default();
            t.name = team;
            let mut r = Reader { diags: &mut diags };
            let Some(body) = r.top(&node, kind) else {
                continue;
            };
            match *kind {
                "aws-accounts" => r.accounts(body, t),
                "aws-policies" => r.policies(body, t),
                "permanent-access" => r.permanent(body, t),
                "temporary-access" => r.temporary(body, t),
                "users" => r.users(body, t),
                "roles" => r.roles(body, t),
                "groups" => r.groups(body, t),
                "s3-users" => r.s3_users(body, t),
                "identity-center" => r.identity_center(body, t),
                "org-policies" => r.org_policies(body, t),
                _ => {}
            }
        }
    }
    if !found_any {
        diags.push(
            Diagnostic::error(
                &Span::file_only(&root),
                format!("no configuration found in `{root}`"),
            )
            .with_help(
                "expected `aws-accounts/<team>.yaml`, `aws-policies/<team>.yaml`, \
                 `permanent-access/<team>.yaml`, `temporary-access/<team>.yaml` (seed 004's layout)",
            ),
        );
    }
    finish(config, diags)
}

fn finish(mut config: Config, mut diags: Vec<Diagnostic>) -> (Config, Vec<Diagnostic>) {
    crate::diag::sort(&mut diags);
    config.load_diagnostics = diags.clone();
    (config, diags)
}

fn read(config: &mut Config, diags: &mut Vec<Diagnostic>, path: &Path, rel: &str) -> Option<Node> {
    let read_so_far: usize = config.sources.values().map(|s| s.text().len()).sum();
    if read_so_far as u64 >= yaml::MAX_TOTAL_BYTES {
        diags.push(
            Diagnostic::error(
                &Span::file_only(rel),
                format!(
                    "`{rel}` was not read: the configuration already holds {} MiB, the most iamctl reads",
                    yaml::MAX_TOTAL_BYTES / (1024 * 1024)
                ),
            )
            .with_help("a configuration directory is a few MiB at most; remove what does not belong"),
        );
        return None;
    }
    let text = match read_capped(path) {
        Ok(Some(t)) => t,
        Ok(None) => {
            diags.push(
                Diagnostic::error(
                    &Span::file_only(rel),
                    format!(
                        "`{rel}` is larger than {} MiB, the most a configuration file may hold",
                        yaml::MAX_FILE_BYTES / (1024 * 1024)
                    ),
                )
                .with_help(
                    "split it (one file per team), or remove what does not belong; it was not read",
                ),
            );
            return None;
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                &Span::file_only(rel),
                format!("cannot read `{rel}`: {e}"),
            ));
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (node, source) = yaml::parse(rel, text, diags);
    config.sources.insert(rel.to_owned(), source);
    node
}

/// The file's text, or `None` when it is over [`yaml::MAX_FILE_BYTES`]
/// (never reading more than one byte past the limit).
fn read_capped(path: &Path) -> std::io::Result<Option<String>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > yaml::MAX_FILE_BYTES {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.take(yaml::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > yaml::MAX_FILE_BYTES {
        return Ok(None);
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

struct Reader<'a> {
    diags: &'a mut Vec<Diagnostic>,
}

/// The entries of a mapping whose keys were checked against `known`.
struct Fields<'n> {
    entries: &'n [(Node, Node)],
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| !matches!(v.kind, Kind::Null))
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The known key closest to a misspelt one, if it is close.
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let chars = key.chars().count();
    known
        .iter()
        // The distance is at least the difference in length: a key far
        // longer or shorter than every known one costs no table.
        .filter(|k| chars.abs_diff(k.chars().count()) <= 2.max(k.len() / 4))
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

impl Reader<'_> {
    fn error(&mut self, span: &Span, msg: String) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.error(
            &node.span,
            format!("{what} must be {expected}, found {}", node.describe()),
        );
    }

    /// The body of a file: `<kind>:` and nothing else.
    fn top<'n>(&mut self, node: &'n Node, kind: &str) -> Option<&'n Node> {
        let Kind::Map(entries) = &node.kind else {
            self.wrong_type(
                node,
                "the file",
                &format!("a mapping with the key `{kind}`"),
            );
            return None;
        };
        let mut body = None;
        for (k, v) in entries {
            match k.as_str() {
                Some(name) if name == kind => body = Some(v),
                other => {
                    let shown = other.unwrap_or("?");
                    self.diags.push(
                        Diagnostic::error(
                            &k.span,
                            format!("unknown key `{shown}` at the top of a `{kind}` file"),
                        )
                        .with_help(format!(
                            "a file in `{kind}/` has the single top-level key `{kind}`"
                        )),
                    );
                }
            }
        }
        if body.is_none() && entries.is_empty() {
            return None;
        }
        if body.is_none() {
            self.error(&node.span, format!("missing the top-level key `{kind}`"));
        }
        body.filter(|b| !matches!(b.kind, Kind::Null))
    }

    fn fields<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let Kind::Map(entries) = &node.kind else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        for (k, _) in entries {
            match k.as_str() {
                Some(name) if known.contains(&name) => {}
                Some(name) => {
                    let help = match closest(name, known) {
                        Some(near) => {
                            format!("did you mean `{near}`? expected one of {}", list(known))
                        }
                        None => format!("expected one of {}", list(known)),
                    };
                    self.diags.push(
                        Diagnostic::error(&k.span, format!("unknown key `{name}` in {what}"))
                            .with_help(help),
                    );
                }
                None => self.wrong_type(k, &format!("a key in {what}"), "a string"),
            }
        }
        Some(Fields { entries })
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str) -> &'n [(Node, Node)] {
        match &node.kind {
            Kind::Map(entries) => entries,
            _ => {
                self.wrong_type(node, what, "a mapping");
                &[]
            }
        }
    }

    fn seq<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            _ => {
                self.wrong_type(node, what, "a list");
                &[]
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match &node.kind {
            Kind::Scalar { text } => Some(Spanned::new(text.clone(), node.span.clone())),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    fn opt_string(&mut self, f: &Fields<'_>, key: &str, what: &str) -> Option<Spanned<String>> {
        f.get(key)
            .and_then(|n| self.string(n, &format!("`{key}` of {what}")))
    }

    /// A list of strings; a single string counts as a list of one.
    fn strings(&mut self, node: Option<&Node>, what: &str) -> Vec<Spanned<String>> {
        let Some(node) = node else {
            return Vec::new();
        };
        match &node.kind {
            Kind::Scalar { .. } => self.string(node, what).into_iter().collect(),
            Kind::Seq(items) => items
                .iter()
                .filter_map(|i| self.string(i, &format!("an entry of {what}")))
                .collect(),
            _ => {
                self.wrong_type(node, what, "a list of strings");
                Vec::new()
            }
        }
    }

    fn opt_strings(&mut self, node: Option<&Node>, what: &str) -> Option<Vec<Spanned<String>>> {
        node.map(|n| self.strings(Some(n), what))
    }

    fn bool(&mut self, node: Option<&Node>, what: &str) -> bool {
        let Some(node) = node else {
            return false;
        };
        match node.as_str() {
            Some("true" | "True" | "TRUE") => true,
            Some("false" | "False" | "FALSE") => false,
            _ => {
                self.wrong_type(node, what, "`true` or `false`");
                false
            }
        }
    }

    fn tags(&mut self, node: Option<&Node>, what: &str) -> Vec<(Spanned<String>, Spanned<String>)> {
        let Some(node) = node else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in self.map(node, &format!("`tags` of {what}")) {
            let Some(key) = self.string(k, "a tag key") else {
                continue;
            };
            let value = match &v.kind {
                Kind::Null => Spanned::new(String::new(), v.span.clone()),
                _ => match self.string(v, &format!("tag `{}`", key.value)) {
                    Some(s) => s,
                    None => continue,
                },
            };
            out.push((key, value));
        }
        out
    }

    fn settings(&mut self, body: &Node) -> Settings {
        let what = "`settings`";
        let Some(f) = self.fields(body, what, keys::SETTINGS) else {
            return Settings::default();
        };
        Settings {
            deployer_role: self.opt_string(&f, "deployer_role", what),
            external_id: self.opt_string(&f, "external_id", what),
            region: self.opt_string(&f, "region", what),
            max_temporary_duration: self.opt_string(&f, "max_temporary_duration", what),
            master_copy: self.opt_string(&f, "master_copy", what),
            iam_path: self.opt_string(&f, "iam_path", what),
            identity_center: f
                .get("identity_center")
                .and_then(|n| self.identity_center_settings(n)),
            organization: f
                .get("organization")
                .and_then(|n| self.organization_settings(n)),
        }
    }

    fn accounts(&mut self, body: &Node, team: &mut Team) {
        for (k, v) in self.map(body, "`aws-accounts`") {
            let Some(name) = self.string(k, "an environment name") else {
                continue;
            };
            let what = format!("environment `{}`", name.value);
            let env = match &v.kind {
                Kind::Scalar { .. } => self.string(v, &what).map(|account_id| Environment {
                    name: name.clone(),
                    account_id,
                    deployer_role: None,
                    external_id: None,
                    region: None,
                }),
                Kind::Map(_) => {
                    let Some(f) = self.fields(v, &what, keys::ENVIRONMENT) else {
                        continue;
                    };
                    let account_id = self.opt_string(&f, "account_id", &what);
                    if account_id.is_none() {
                        self.error(&v.span, format!("{what} has no `account_id`"));
                    }
                    account_id.map(|account_id| Environment {
                        name: name.clone(),
                        account_id,
                        deployer_role: self.opt_string(&f, "deployer_role", &what),
                        external_id: self.opt_string(&f, "external_id", &what),
                        region: self.opt_string(&f, "region", &what),
                    })
                }
                _ => {
                    self.wrong_type(v, &what, "an account id or a mapping with `account_id`");
                    None
                }
            };
            if let Some(env) = env {
                team.accounts.insert(name.value.clone(), env);
            }
        }
    }

    fn policies(&mut self, body: &Node, team: &mut Team) {
        for (k, v) in self.map(body, "`aws-policies`") {
            let Some(key) = self.string(k, "a policy key") else {
                continue;
            };
            let what = format!("policy `{}`", key.value);
            let Some(f) = self.fields(v, &what, keys::POLICY) else {
                continue;
            };
            let description = self.opt_string(&f, "description", &what);
            let managed_policies = self.strings(
                f.get("managed_policies"),
                &format!("`managed_policies` of {what}"),
            );
            let mut custom_statements = Vec::new();
            if let Some(n) = f.get("custom_statements") {
                for (i, s) in self
                    .seq(n, &format!("`custom_statements` of {what}"))
                    .iter()
                    .enumerate()
                {
                    let swhat = format!("statement {} of {what}", i + 1);
                    if let Some(st) = self.statement(s, &swhat) {
                        custom_statements.push(st);
                    }
                }
            }
            let name = self.opt_string(&f, "name", &what);
            let path = self.opt_string(&f, "path", &what);
            let existing = self.bool(f.get("existing"), &format!("`existing` of {what}"));
            team.policies.insert(
                key.value.clone(),
                Policy {
                    key,
                    description,
                    managed_policies,
                    custom_statements,
                    name,
                    path,
                    existing,
                },
            );
        }
    }

    fn statement(&mut self, node: &Node, what: &str) -> Option<Statement> {
        let f = self.fields(node, what, keys::STATEMENT)?;
        let conditions = f.get("conditions").and_then(|c| {
            let entries = self.map(c, &format!("`conditions` of {what}"));
            let mut ops = serde_json::Map::new();
            for (op, keys) in entries {
                let op = self.string(op, "a condition operator")?;
                let mut m = serde_json::Map::new();
                for (ck, cv) in self.map(keys, &format!("condition `{}`", op.value)) {
                    let Some(ck) = self.string(ck, "a condition key") else {
                        continue;
                    };
                    let values = self.strings(Some(cv), &format!("condition key `{}`", ck.value));
                    let json = match values.as_slice() {
                        [one] if !matches!(cv.kind, Kind::Seq(_)) => {
                            serde_json::Value::String(one.value.clone())
                        }
                        many => serde_json::Value::Array(
                            many.iter()
                                .map(|s| serde_json::Value::String(s.value.clone()))
                                .collect(),
                        ),
                    };
                    m.insert(ck.value, json);
                }
                ops.insert(op.value, serde_json::Value::Object(m));
            }
            Some(Spanned::new(serde_json::Value::Object(ops), c.span.clone()))
        });
        Some(Statement {
            span: node.span.clone(),
            sid: self.opt_string(&f, "sid", what),
            effect: self.opt_string(&f, "effect", what),
            actions: self.strings(f.get("actions"), &format!("`actions` of {what}")),
            not_actions: self.strings(f.get("not_actions"), &format!("`not_actions` of {what}")),
            resources: self.strings(f.get("resources"), &format!("`resources` of {what}")),
            not_resources: self.strings(
                f.get("not_resources"),
                &format!("`not_resources` of {what}"),
            ),
            conditions,
        })
    }

    fn permanent(&mut self, body: &Node, team: &mut Team) {
        for (i, e) in self.seq(body, "`permanent-access`").iter().enumerate() {
            let what = format!("permanent grant {}", i + 1);
            if ic::names_any(e, keys::SSO_PERMANENT) {
                self.sso_permanent(e, &what, team);
                continue;
            }
            let Some(f) = self.fields(e, &what, keys::PERMANENT) else {
                continue;
            };
            team.permanent.push(PermanentGrant {
                span: e.span.clone(),
                description: self.opt_string(&f, "description", &what),
                users: self.strings(f.get("users"), &format!("`users` of {what}")),
                roles: self.strings(f.get("roles"), &format!("`roles` of {what}")),
                groups: self.strings(f.get("groups"), &format!("`groups` of {what}")),
                environments: self
                    .strings(f.get("environments"), &format!("`environments` of {what}")),
                grants: self.strings(f.get("grants"), &format!("`grants` of {what}")),
            });
        }
    }

    fn temporary(&mut self, body: &Node, team: &mut Team) {
        for (i, e) in self.seq(body, "`temporary-access`").iter().enumerate() {
            let what = format!("temporary grant {}", i + 1);
            if ic::names_any(e, keys::SSO_TEMPORARY) {
                self.sso_temporary(e, &what, team);
                continue;
            }
            let Some(f) = self.fields(e, &what, keys::TEMPORARY) else {
                continue;
            };
            team.temporary.push(TemporaryGrant {
                span: e.span.clone(),
                description: self.opt_string(&f, "description", &what),
                expiration_date: self.opt_string(&f, "expiration_date", &what),
                user: self.opt_string(&f, "user", &what),
                role: self.opt_string(&f, "role", &what),
                group: self.opt_string(&f, "group", &what),
                environment: self.opt_string(&f, "environment", &what),
                grant: self.opt_string(&f, "grant", &what),
            });
        }
    }

    fn users(&mut self, body: &Node, team: &mut Team) {
        for (k, v) in self.map(body, "`users`") {
            let Some(key) = self.string(k, "a user") else {
                continue;
            };
            let what = format!("user `{}`", key.value);
            let empty = Fields { entries: &[] };
            let f = match v.kind {
                Kind::Null => empty,
                _ => match self.fields(v, &what, keys::USER) {
                    Some(f) => f,
                    None => continue,
                },
            };
            let name = user_name(&key.value);
            let user = User {
                name: name.clone(),
                existing: self.bool(f.get("existing"), &format!("`existing` of {what}")),
                path: self.opt_string(&f, "path", &what),
                tags: self.tags(f.get("tags"), &what),
                permissions_boundary: self.opt_string(&f, "permissions_boundary", &what),
                environments: self
                    .opt_strings(f.get("environments"), &format!("`environments` of {what}")),
                key,
            };
            if let Some(first) = team.users.get(&name) {
                self.diags.push(Diagnostic::error(
                    &user.key.span,
                    format!(
                        "`{}` is user `{name}` again; it is first declared as `{}` on line {}",
                        user.key.value, first.key.value, first.key.span.line
                    ),
                ));
                continue;
            }
            team.users.insert(name, user);
        }
    }

    fn roles(&mut self, body: &Node, team: &mut Team) {
        for (k, v) in self.map(body, "`roles`") {
            let Some(key) = self.string(k, "a role name") else {
                continue;
            };
            let what = format!("role `{}`", key.value);
            let empty = Fields { entries: &[] };
            let f = match v.kind {
                Kind::Null => empty,
                _ => match self.fields(v, &what, keys::ROLE) {
                    Some(f) => f,
                    None => continue,
                },
            };
            let trust = f.get("trust").and_then(|t| {
                let twhat = format!("`trust` of {what}");
                let tf = self.fields(t, &twhat, keys::TRUST)?;
                Some(Trust {
                    span: t.span.clone(),
                    principals: self
                        .strings(tf.get("principals"), &format!("`principals` of {twhat}")),
                    users: self.strings(tf.get("users"), &format!("`users` of {twhat}")),
                    require_mfa: self
                        .bool(tf.get("require_mfa"), &format!("`require_mfa` of {twhat}")),
                })
            });
            let max_session_duration = f.get("max_session_duration").and_then(|n| {
                match n.as_str().and_then(|s| s.parse::<u32>().ok()) {
                    Some(v) => Some(Spanned::new(v, n.span.clone())),
                    None => {
                        self.wrong_type(
                            n,
                            &format!("`max_session_duration` of {what}"),
                            "a number of seconds",
                        );
                        None
                    }
                }
            });
            let role = Role {
                existing: self.bool(f.get("existing"), &format!("`existing` of {what}")),
                description: self.opt_string(&f, "description", &what),
                path: self.opt_string(&f, "path", &what),
                trust,
                max_session_duration,
                permissions_boundary: self.opt_string(&f, "permissions_boundary", &what),
                tags: self.tags(f.get("tags"), &what),
                environments: self
                    .opt_strings(f.get("environments"), &format!("`environments` of {what}")),
                key: key.clone(),
            };
            team.roles.insert(key.value, role);
        }
    }

    fn groups(&mut self, body: &Node, team: &mut Team) {
        for (k, v) in self.map(body, "`groups`") {
            let Some(key) = self.string(k, "a group name") else {
                continue;
            };
            let what = format!("group `{}`", key.value);
            let empty = Fields { entries: &[] };
            let f = match v.kind {
                Kind::Null => empty,
                _ => match self.fields(v, &what, keys::GROUP) {
                    Some(f) => f,
                    None => continue,
                },
            };
            let group = Group {
                existing: self.bool(f.get("existing"), &format!("`existing` of {what}")),
                path: self.opt_string(&f, "path", &what),
                members: self.strings(f.get("members"), &format!("`members` of {what}")),
                environments: self
                    .opt_strings(f.get("environments"), &format!("`environments` of {what}")),
                key: key.clone(),
            };
            team.groups.insert(key.value, group);
        }
    }

    fn s3_users(&mut self, body: &Node, team: &mut Team) {
        for (i, e) in self.seq(body, "`s3-users`").iter().enumerate() {
            let what = format!("s3 user {}", i + 1);
            let Some(f) = self.fields(e, &what, keys::S3_USER) else {
                continue;
            };
            team.s3_users.push(S3User {
                span: e.span.clone(),
                bucket: self.opt_string(&f, "bucket", &what),
                user: self.opt_string(&f, "user", &what),
                access: self.opt_string(&f, "access", &what),
                environments: self
                    .opt_strings(f.get("environments"), &format!("`environments` of {what}")),
            });
        }
    }
}
