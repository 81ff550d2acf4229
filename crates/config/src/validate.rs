//! Everything that can be checked without AWS: schema (from loading),
//! references, expiry rules, IAM names, and the lint of every document the
//! configuration would create.

use std::collections::{BTreeMap, HashSet};

use iamctl_policy::lint::{lint, PolicyType, Severity as LintSeverity};
use iamctl_policy::names::{
    validate_arn, validate_name, validate_path, validate_policy_arn_or_name, validate_tag,
    EntityKind, PolicyRef,
};
use jiff::Timestamp;

use crate::desired::{parse_expiry, policy_document, rfc3339, MANAGED_BY};
use crate::diag::{Diagnostic, Span, Spanned};
use crate::model::*;

mod ic;
mod org;

/// Every problem in `config` as of `now`, sorted by file, line and column:
/// what [`crate::load`] found, then references, expiry, names and lint.
pub fn validate(config: &Config, now: Timestamp) -> Vec<Diagnostic> {
    let mut v = V {
        config,
        now,
        out: config.load_diagnostics.clone(),
        noted: HashSet::new(),
        sso_noted: HashSet::new(),
    };
    v.settings();
    v.environments_agree();
    for team in config.teams.values() {
        v.team(team);
    }
    v.identity_center();
    v.organization();
    crate::limits::check(config, now, &mut v.out);
    crate::diag::sort(&mut v.out);
    v.out
}

struct V<'c> {
    config: &'c Config,
    now: Timestamp,
    out: Vec<Diagnostic>,
    /// Principals named in grants and declared nowhere, already noted once.
    noted: HashSet<(PrincipalKind, String)>,
    /// Identity Center users and groups named and declared nowhere, noted once.
    sso_noted: HashSet<String>,
}

fn did_you_mean<'a>(word: &str, options: impl Iterator<Item = &'a String>) -> Option<String> {
    closest(word, options).map(|best| format!("did you mean `{best}`?"))
}

/// The option nearest to `word`, if near enough. Options whose length alone
/// rules them out are skipped, so that a long list stays cheap.
fn closest<'a>(word: &str, options: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    let len = word.chars().count();
    options
        .map(String::as_str)
        .filter(|o| {
            let olen = o.chars().count();
            olen.abs_diff(len) <= 2.max(olen / 3)
        })
        .map(|o| (distance(word, o), o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 3))
        .min()
        .map(|(_, o)| o)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `hint` (a "did you mean") followed by what is defined.
fn known(hint: Option<String>, noun: &str, list: impl Iterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = list.map(|s| format!("`{}`", s.as_ref())).collect();
    let defined = if items.is_empty() {
        format!("no {noun} is defined")
    } else {
        format!("{noun}s defined: {}", items.join(", "))
    };
    match hint {
        Some(h) => format!("{h} ({defined})"),
        None => defined,
    }
}

impl V<'_> {
    fn error(&mut self, span: &Span, msg: String) -> &mut Diagnostic {
        self.out.push(Diagnostic::error(span, msg));
        self.out.last_mut().expect("just pushed")
    }

    fn warning(&mut self, span: &Span, msg: String) -> &mut Diagnostic {
        self.out.push(Diagnostic::warning(span, msg));
        self.out.last_mut().expect("just pushed")
    }

    fn note(&mut self, span: &Span, msg: String) -> &mut Diagnostic {
        self.out.push(Diagnostic::note(span, msg));
        self.out.last_mut().expect("just pushed")
    }

    fn name(&mut self, kind: EntityKind, s: &Spanned<String>, name: &str) {
        if let Err(e) = validate_name(kind, name) {
            let d = self.error(&s.span, e.to_string());
            if let Some(h) = miette::Diagnostic::help(&e) {
                d.help = Some(h.to_string());
            }
        }
    }

    fn path(&mut self, p: &Option<Spanned<String>>) {
        if let Some(p) = p {
            if let Err(e) = validate_path(&p.value) {
                self.error(&p.span, e.to_string());
            }
        }
    }

    /// `<iam_path><team>/`, where the team's policies and groups go by
    /// default, must itself be an IAM path (a long `iam_path` and a long
    /// team name can pass 512 characters together).
    fn team_path(&mut self, t: &Team) {
        if validate_path(self.config.iam_path()).is_err() {
            return; // reported at the setting
        }
        let first = t
            .policies
            .values()
            .filter(|p| !p.existing && p.path.is_none() && p.has_own_policy())
            .map(|p| &p.key)
            .chain(
                t.groups
                    .values()
                    .filter(|g| !g.existing && g.path.is_none())
                    .map(|g| &g.key),
            )
            .next();
        let Some(at) = first else { return };
        let path = self.config.team_path(&t.name);
        if let Err(e) = validate_path(&path) {
            self.error(
                &at.span,
                format!("team `{}` puts its policies and groups at {e}", t.name),
            )
            .help = Some("give them a `path`, or a shorter `iam_path` in settings.yaml".to_owned());
        }
    }

    fn tags(&mut self, tags: &[(Spanned<String>, Spanned<String>)]) {
        for (k, v) in tags {
            if let Err(e) = validate_tag(&k.value, &v.value) {
                self.error(&k.span, e.to_string());
            } else if k.value == MANAGED_BY.0 || k.value.starts_with("iamctl:") {
                self.error(
                    &k.span,
                    format!("tag `{}` is iamctl's own and cannot be set", k.value),
                );
            }
        }
    }

    fn settings(&mut self) {
        let s = &self.config.settings;
        if let Some(r) = &s.deployer_role {
            self.name(EntityKind::Role, r, &r.value);
        }
        if let Some(m) = &s.max_temporary_duration {
            if parse_duration(&m.value).is_none() {
                self.error(
                    &m.span,
                    format!("`max_temporary_duration` `{}` is not a duration", m.value),
                )
                .help = Some("write a number and a unit: `6d`, `36h`, `90m`".into());
            }
        }
        if let Some(p) = &s.iam_path {
            if let Err(e) = validate_path(&p.value) {
                self.error(&p.span, format!("`iam_path`: {e}")).help = Some(format!(
                    "{}; the default is `{DEFAULT_IAM_PATH}`, and `/` puts what iamctl creates at `/`",
                    miette::Diagnostic::help(&e).map_or_else(String::new, |h| h.to_string())
                ));
            }
        }
        if let Some(m) = &s.master_copy {
            let ok = m
                .value
                .strip_prefix("s3://")
                .and_then(|rest| rest.split('/').next())
                .is_some_and(|b| (3..=63).contains(&b.len()));
            if !ok {
                self.error(
                    &m.span,
                    format!("`master_copy` `{}` is not an S3 location", m.value),
                )
                .help = Some("write `s3://BUCKET/PREFIX/`".into());
            }
        }
    }

    /// One environment name means one account, whichever team names it,
    /// and one account is one environment: plan and apply work on one
    /// environment's desired state at a time, so two environments of one
    /// account would each undo what the other wants, on every apply.
    fn environments_agree(&mut self) {
        let mut seen: BTreeMap<&str, &Environment> = BTreeMap::new();
        let mut accounts: BTreeMap<&str, &Environment> = BTreeMap::new();
        for t in self.config.teams.values() {
            for (name, e) in &t.accounts {
                match accounts.get(e.account_id.value.as_str()) {
                    Some(first) if first.name.value != *name => {
                        let msg = format!(
                            "account `{}` is environment `{}` in {}, and environment `{name}` here",
                            e.account_id.value,
                            first.name.value,
                            first.account_id.span.location()
                        );
                        self.error(&e.account_id.span, msg).help = Some(format!(
                            "one account is one environment: plan and apply each environment on its own, so two environments of one account would undo each other's changes on every apply; name the account `{}` in every file",
                            first.name.value
                        ));
                    }
                    Some(_) => {}
                    None => {
                        accounts.insert(&e.account_id.value, e);
                    }
                }
                match seen.get(name.as_str()) {
                    Some(first) if first.account_id.value != e.account_id.value => {
                        let msg = format!(
                            "environment `{name}` is account `{}` here but `{}` in {}",
                            e.account_id.value,
                            first.account_id.value,
                            first.account_id.span.location()
                        );
                        self.error(&e.account_id.span, msg).help =
                            Some("an environment name must mean one account in every team".into());
                    }
                    Some(first) => {
                        // The same account must be reached the same way.
                        let settings = [
                            ("deployer_role", &first.deployer_role, &e.deployer_role),
                            ("external_id", &first.external_id, &e.external_id),
                            ("region", &first.region, &e.region),
                        ];
                        for (what, a, b) in settings {
                            let (av, bv) = (
                                a.as_ref().map(|x| x.value.as_str()),
                                b.as_ref().map(|x| x.value.as_str()),
                            );
                            if av != bv {
                                let span =
                                    b.as_ref().map_or(&e.account_id.span, |x| &x.span).clone();
                                let msg = format!(
                                    "environment `{name}` has {what} `{}` here but `{}` in {}",
                                    bv.unwrap_or("(default)"),
                                    av.unwrap_or("(default)"),
                                    first.account_id.span.location()
                                );
                                self.error(&span, msg).help = Some(
                                    "every team must reach an environment's account the same way"
                                        .into(),
                                );
                            }
                        }
                    }
                    None => {
                        seen.insert(name, e);
                    }
                }
            }
        }
    }

    fn team(&mut self, t: &Team) {
        self.team_path(t);
        for e in t.accounts.values() {
            let id = &e.account_id;
            if !iamctl_policy::is_account_id(&id.value) {
                self.error(
                    &id.span,
                    format!("account id `{}` is not 12 digits", id.value),
                )
                .help =
                    Some("quote it, as in `prod: \"012345678901\"`, to keep leading zeros".into());
            }
            if let Some(r) = &e.deployer_role {
                self.name(EntityKind::Role, r, &r.value);
            }
        }
        for p in t.policies.values() {
            self.policy(t, p);
        }
        for g in &t.permanent {
            self.permanent(t, g);
        }
        for g in &t.temporary {
            self.temporary(t, g);
        }
        for u in t.users.values() {
            self.name(EntityKind::User, &u.key, &u.name);
            self.path(&u.path);
            self.tags(&u.tags);
            self.boundary(t, &u.permissions_boundary);
            self.envs(t, u.environments.iter().flatten());
        }
        for r in t.roles.values() {
            self.role(t, r);
        }
        for g in t.groups.values() {
            self.name(EntityKind::Group, &g.key, &g.key.value);
            self.path(&g.path);
            self.envs(t, g.environments.iter().flatten());
            for m in &g.members {
                self.user_ref(t, m);
            }
        }
        for s in &t.s3_users {
            let mut missing = Vec::new();
            if s.bucket.is_none() {
                missing.push("`bucket`");
            }
            match &s.user {
                Some(u) => self.name(EntityKind::User, u, &user_name(&u.value)),
                None => missing.push("`user`"),
            }
            if !missing.is_empty() {
                self.error(
                    &s.span,
                    format!("an s3 user needs {}", missing.join(" and ")),
                );
            }
            if let Some(b) = &s.bucket {
                let ok = (3..=63).contains(&b.value.len())
                    && b.value.bytes().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || b".-".contains(&c)
                    });
                if !ok {
                    self.error(&b.span, format!("`{}` is not an S3 bucket name", b.value));
                }
            }
            if let Some(a) = &s.access {
                if !matches!(a.value.as_str(), "read" | "read-write") {
                    self.error(
                        &a.span,
                        format!("access `{}` is neither `read` nor `read-write`", a.value),
                    );
                }
            }
            self.envs(t, s.environments.iter().flatten());
        }
    }

    fn envs<'a>(&mut self, t: &Team, envs: impl Iterator<Item = &'a Spanned<String>>) {
        for e in envs {
            self.env_ref(t, e);
        }
    }

    fn env_ref(&mut self, t: &Team, e: &Spanned<String>) -> bool {
        if t.accounts.contains_key(&e.value) {
            return true;
        }
        let help = did_you_mean(&e.value, t.accounts.keys());
        self.error(
            &e.span,
            format!(
                "unknown environment `{}`: `aws-accounts/{}.yaml` does not map it to an account",
                e.value, t.name
            ),
        )
        .help = Some(known(help, "environment", t.accounts.keys()));
        false
    }

    fn user_ref(&mut self, t: &Team, u: &Spanned<String>) {
        let name = user_name(&u.value);
        self.name(EntityKind::User, u, &name);
        if self.config.find_user(&t.name, &u.value).is_none() {
            let others = self.config.teams.values().flat_map(|t| t.users.keys());
            let hint = did_you_mean(&name, others).map_or(String::new(), |h| format!("{h} "));
            self.error(
                &u.span,
                format!("unknown user `{}`: no team declares user `{name}`", u.value),
            )
            .help = Some(format!(
                "{hint}declare it in `users/{}.yaml` (with `existing: true` if it exists already and iamctl should not create it)",
                t.name
            ));
        }
    }

    /// A user or role that a grant names. Declared somewhere: nothing to
    /// say. Declared nowhere: seed 004's rule, it exists already in the
    /// accounts it is granted in (a note, once per principal); a warning when
    /// a declared one has a close name, which is likely a typo.
    fn grantee_ref(&mut self, t: &Team, kind: PrincipalKind, written: &Spanned<String>) {
        let (name, declared) = match kind {
            PrincipalKind::User => {
                let name = user_name(&written.value);
                self.name(EntityKind::User, written, &name);
                let found = self.config.find_user(&t.name, &written.value).is_some();
                (name, found)
            }
            PrincipalKind::Role => {
                self.name(EntityKind::Role, written, &written.value);
                let found = self.config.find_role(&t.name, &written.value).is_some();
                (written.value.clone(), found)
            }
            PrincipalKind::Group => return self.group_ref(t, written),
        };
        if declared || !self.noted.insert((kind, name.clone())) {
            return;
        }
        let k = kind.as_str();
        let shown = if written.value == name {
            format!("{k} `{name}`")
        } else {
            format!("{k} `{name}` (`{}`)", written.value)
        };
        let near = match kind {
            PrincipalKind::User => closest(
                &name,
                self.config.teams.values().flat_map(|t| t.users.keys()),
            ),
            _ => closest(
                &name,
                self.config.teams.values().flat_map(|t| t.roles.keys()),
            ),
        }
        .map(str::to_owned);
        let dir = if kind == PrincipalKind::User {
            "users"
        } else {
            "roles"
        };
        match near {
            Some(near) => {
                self.warning(
                    &written.span,
                    format!(
                        "{shown} is declared nowhere, but {k} `{near}` is: it is taken to exist already"
                    ),
                )
                .help = Some(format!(
                    "did you mean `{near}`? If not, `{name}` must exist in every account it is granted in"
                ));
            }
            None => {
                self.note(
                    &written.span,
                    format!(
                        "{shown} is declared nowhere: it must exist already in the accounts it is granted in"
                    ),
                )
                .help = Some(format!(
                    "iamctl only attaches and detaches what this configuration grants it; declare it in `{dir}/{}.yaml` to have iamctl create it",
                    t.name
                ));
            }
        }
    }

    fn group_ref(&mut self, t: &Team, g: &Spanned<String>) {
        self.name(EntityKind::Group, g, &g.value);
        if self.config.find_group(&t.name, &g.value).is_none() {
            self.error(
                &g.span,
                format!("unknown group `{}`: no team declares it", g.value),
            )
            .help = Some(format!("declare it in `groups/{}.yaml`", t.name));
        }
    }

    /// A grant names a policy key of the team's `aws-policies` file.
    fn grant_ref(&mut self, t: &Team, key: &Spanned<String>) -> bool {
        if t.policies.contains_key(&key.value) {
            return true;
        }
        let hint = did_you_mean(&key.value, t.policies.keys());
        self.error(
            &key.span,
            format!(
                "unknown grant `{}`: `aws-policies/{}.yaml` has no policy key `{}`",
                key.value, t.name, key.value
            ),
        )
        .help = Some(known(hint, "policy key", t.policies.keys()));
        false
    }

    fn boundary(&mut self, t: &Team, b: &Option<Spanned<String>>) {
        let Some(b) = b else {
            return;
        };
        if b.value.starts_with("arn:") {
            if let Err(e) = validate_policy_arn_or_name(&b.value) {
                self.error(&b.span, e.to_string());
            }
        } else if let Some(p) = t.policies.get(&b.value) {
            if !p.has_own_policy() {
                self.error(
                    &b.span,
                    format!(
                        "permissions boundary `{}` has no `custom_statements` to make a policy of",
                        b.value
                    ),
                )
                .help = Some("a boundary is one managed policy: give its ARN instead".into());
            }
        } else {
            let hint = did_you_mean(&b.value, t.policies.keys())
                .map_or(String::new(), |h| format!("{h} "));
            self.error(
                &b.span,
                format!(
                    "unknown policy key `{}` for a permissions boundary: `aws-policies/{}.yaml` has no such key",
                    b.value, t.name
                ),
            )
            .help = Some(format!("{hint}give a policy key of the team or a policy ARN"));
        }
    }

    fn policy(&mut self, t: &Team, p: &Policy) {
        let name = p.iam_name(&t.name);
        self.name(EntityKind::Policy, p.name.as_ref().unwrap_or(&p.key), &name);
        self.path(&p.path);
        for m in &p.managed_policies {
            match validate_policy_arn_or_name(&m.value) {
                Ok(PolicyRef::Arn(_)) => {}
                Ok(PolicyRef::Name(_)) => {
                    self.error(
                        &m.span,
                        format!("managed policy `{}` is not an ARN", m.value),
                    )
                    .help = Some(format!(
                        "write the policy's ARN, e.g. `arn:aws:iam::aws:policy/{}`",
                        m.value
                    ));
                }
                Err(e) => {
                    self.error(&m.span, e.to_string());
                }
            }
        }
        if p.managed_policies.is_empty() && !p.has_own_policy() {
            self.warning(
                &p.key.span,
                format!("policy `{}` grants nothing: it has neither `managed_policies` nor `custom_statements`", p.key.value),
            );
        }
        let mut structural = false;
        for (i, st) in p.custom_statements.iter().enumerate() {
            let what = format!("statement {} of policy `{}`", i + 1, p.key.value);
            match &st.effect {
                None => {
                    structural = true;
                    self.error(&st.span, format!("{what} has no `effect`")).help =
                        Some("write `effect: Allow` or `effect: Deny`".into());
                }
                Some(e) if e.value != "Allow" && e.value != "Deny" => {
                    structural = true;
                    self.error(
                        &e.span,
                        format!("effect `{}` is neither `Allow` nor `Deny`", e.value),
                    );
                }
                _ => {}
            }
            if st.actions.is_empty() == st.not_actions.is_empty() {
                structural = true;
                self.error(
                    &st.span,
                    format!("{what} needs exactly one of `actions` and `not_actions`"),
                );
            }
            if st.resources.is_empty() == st.not_resources.is_empty() {
                structural = true;
                self.error(
                    &st.span,
                    format!("{what} needs exactly one of `resources` and `not_resources`"),
                );
            }
        }
        // An existing policy is not made from the configuration: its
        // statements only describe it, so they are not linted.
        if !p.custom_statements.is_empty() && !structural && !p.existing {
            self.lint_policy(&name, p);
        }
    }

    /// Lints the document `<team>-<key>` would hold and maps each finding back
    /// to the YAML of its statement (or the policy key).
    fn lint_policy(&mut self, name: &str, p: &Policy) {
        let doc = policy_document(p, None);
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let report = lint(name, &text, PolicyType::Identity);
        for f in &report.findings {
            let span = locate(p, &f.pointer);
            self.finding(span, name, f);
        }
    }

    fn finding(&mut self, span: &Span, name: &str, f: &iamctl_policy::lint::Finding) {
        let msg = format!("policy `{name}`: {} ({})", f.message, f.code.as_str());
        let d = match f.severity {
            LintSeverity::Error => self.error(span, msg),
            LintSeverity::SecurityWarning | LintSeverity::Warning => self.warning(span, msg),
            LintSeverity::Suggestion => return,
        };
        d.help = Some(f.code.meaning().to_owned());
    }

    fn permanent(&mut self, t: &Team, g: &PermanentGrant) {
        if g.users.is_empty() && g.roles.is_empty() && g.groups.is_empty() {
            self.error(
                &g.span,
                "a permanent grant names no `users`, `roles` or `groups`".into(),
            );
        }
        if g.environments.is_empty() {
            self.error(&g.span, "a permanent grant names no `environments`".into());
        }
        if g.grants.is_empty() {
            self.error(&g.span, "a permanent grant names no `grants`".into());
        }
        for e in &g.environments {
            self.env_ref(t, e);
        }
        for k in &g.grants {
            self.grant_ref(t, k);
        }
        for u in &g.users {
            self.grantee_ref(t, PrincipalKind::User, u);
        }
        for r in &g.roles {
            self.grantee_ref(t, PrincipalKind::Role, r);
        }
        for gr in &g.groups {
            self.group_ref(t, gr);
        }
    }

    fn temporary(&mut self, t: &Team, g: &TemporaryGrant) {
        let mut missing = Vec::new();
        if g.expiration_date.is_none() {
            missing.push("`expiration_date`");
        }
        if g.environment.is_none() {
            missing.push("`environment`");
        }
        if g.grant.is_none() {
            missing.push("`grant`");
        }
        if !missing.is_empty() {
            self.error(
                &g.span,
                format!("a temporary grant needs {}", missing.join(", ")),
            );
        }
        let principals = [&g.user, &g.role, &g.group]
            .iter()
            .filter(|p| p.is_some())
            .count();
        if principals != 1 {
            self.error(
                &g.span,
                "a temporary grant names exactly one of `user`, `role` and `group`".into(),
            );
        }
        if let Some(e) = &g.environment {
            self.env_ref(t, e);
        }
        if let Some(k) = &g.grant {
            self.grant_ref(t, k);
        }
        if let Some(u) = &g.user {
            self.grantee_ref(t, PrincipalKind::User, u);
        }
        if let Some(r) = &g.role {
            self.grantee_ref(t, PrincipalKind::Role, r);
        }
        if let Some(gr) = &g.group {
            self.group_ref(t, gr);
        }
        if let Some(d) = &g.expiration_date {
            self.expiry(d);
        }
    }

    /// An expiration date: readable, in the future (else a warning: it is
    /// not granted), and within `max_temporary_duration`.
    fn expiry(&mut self, d: &Spanned<String>) {
        let expires = match parse_expiry(&d.value) {
            Ok(t) => t,
            Err(msg) => {
                self.error(&d.span, format!("bad expiration date: {msg}")).help = Some(
                    "write a UTC date, `2025-11-30` (access until 23:59:59 that day), or an instant, `2025-11-30T12:00:00Z`".into(),
                );
                return;
            }
        };
        if expires <= self.now {
            self.warning(
                &d.span,
                format!(
                    "temporary grant expired at {}; it is not granted, and `cleanup` removes it",
                    rfc3339(expires)
                ),
            )
            .help = Some("delete the entry".into());
            return;
        }
        let Some(max) = self.config.max_temporary_seconds() else {
            return;
        };
        let limit = self
            .now
            .saturating_add(jiff::SignedDuration::from_secs(max))
            .ok();
        // A date means the whole day: a date is allowed up to the day the
        // maximum reaches.
        let date_only = d.value.len() == 10;
        let too_far = match limit {
            None => false,
            Some(limit) if date_only => {
                let lim = limit.to_zoned(jiff::tz::TimeZone::UTC).date();
                let exp = expires.to_zoned(jiff::tz::TimeZone::UTC).date();
                exp > lim
            }
            Some(limit) => expires > limit,
        };
        if too_far {
            let days = max as f64 / 86_400.0;
            let max_text = if max % 86_400 == 0 {
                format!("{} days", max / 86_400)
            } else {
                format!("{days:.2} days")
            };
            self.error(
                &d.span,
                format!(
                    "expiration date `{}` is more than {max_text} after {}",
                    d.value,
                    rfc3339(self.now)
                ),
            )
            .help = Some(
                "temporary access may last at most `max_temporary_duration` (settings.yaml, default 6d)".into(),
            );
        }
    }

    fn role(&mut self, t: &Team, r: &Role) {
        self.name(EntityKind::Role, &r.key, &r.key.value);
        self.path(&r.path);
        self.tags(&r.tags);
        self.boundary(t, &r.permissions_boundary);
        self.envs(t, r.environments.iter().flatten());
        if let Some(m) = &r.max_session_duration {
            if !(3600..=43200).contains(&m.value) {
                self.error(
                    &m.span,
                    format!(
                        "`max_session_duration` {} is outside 3600 to 43200 seconds",
                        m.value
                    ),
                );
            }
        }
        let Some(trust) = &r.trust else {
            if !r.existing {
                self.error(
                    &r.key.span,
                    format!(
                        "role `{}` has no `trust`: nobody could assume it",
                        r.key.value
                    ),
                )
                .help = Some(
                    "add `trust:` with `principals` or `users` (and `require_mfa: true`)".into(),
                );
            }
            return;
        };
        if trust.principals.is_empty() && trust.users.is_empty() {
            self.error(
                &trust.span,
                format!(
                    "the trust of role `{}` names no `principals` or `users`",
                    r.key.value
                ),
            );
        }
        for p in &trust.principals {
            let v = &p.value;
            let ok = v.ends_with(".amazonaws.com")
                || v == "*"
                || iamctl_policy::is_account_id(v)
                || (v.starts_with("arn:") && validate_arn(v).is_ok());
            if !ok {
                self.error(
                    &p.span,
                    format!(
                        "trust principal `{v}` is not an ARN, an account id or a service principal"
                    ),
                );
            }
        }
        for u in &trust.users {
            self.user_ref(t, u);
        }
        if trust.principals.iter().any(|p| p.value == "*") {
            self.warning(
                &trust.span,
                format!("role `{}` trusts every AWS principal (`*`)", r.key.value),
            );
        }
    }
}

/// The YAML place of a JSON pointer into `policy_document(p)`.
fn locate<'p>(p: &'p Policy, pointer: &str) -> &'p Span {
    let mut parts = pointer.trim_start_matches('/').split('/');
    if parts.next() != Some("Statement") {
        return &p.key.span;
    }
    let Some(st) = parts
        .next()
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| p.custom_statements.get(i))
    else {
        return &p.key.span;
    };
    let field = parts.next();
    let index = parts.next().and_then(|i| i.parse::<usize>().ok());
    let list = match field {
        Some("Action") => Some(&st.actions),
        Some("NotAction") => Some(&st.not_actions),
        Some("Resource") => Some(&st.resources),
        Some("NotResource") => Some(&st.not_resources),
        Some("Effect") => return st.effect.as_ref().map_or(&st.span, |e| &e.span),
        Some("Sid") => return st.sid.as_ref().map_or(&st.span, |e| &e.span),
        Some("Condition") => return st.conditions.as_ref().map_or(&st.span, |c| &c.span),
        _ => None,
    };
    match (list, index) {
        (Some(list), Some(i)) => list.get(i).map_or(&st.span, |s| &s.span),
        (Some(list), None) if list.len() == 1 => &list[0].span,
        _ => &st.span,
    }
}
