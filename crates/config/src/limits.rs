//! IAM's quotas and character limits that a configuration can break, checked
//! offline so that `validate` refuses what IAM would refuse at `apply`.
//!
//! Source: "IAM and AWS STS quotas, name requirements, and character limits",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>:
//! "Managed policy size cannot exceed 6,144 characters"; "the total aggregate
//! policy size (the sum size of all inline policies) per entity cannot exceed
//! the following quotas: User policy size cannot exceed 2,048 characters. Role
//! policy size cannot exceed 10,240 characters. Group policy size cannot
//! exceed 5,120 characters"; "IAM does not count white space when calculating
//! the size of a policy against these quotas"; role trust policy 2,048
//! characters (adjustable); 50 tags per IAM resource; managed policies
//! attached to a user or a role 10 (adjustable up to 20), to a group 10;
//! groups an IAM user can be a member of 10; descriptions of roles and
//! policies 1,000 characters (CreateRole / CreatePolicy `Description`,
//! "Maximum length of 1000"); external id 2 to 1,224 characters; users in an
//! account 5,000, roles 1,000 (adjustable), groups 300 (adjustable),
//! customer-managed policies 1,500 (adjustable).
//!
//! A fixed limit is an error. A quota the account owner can have raised is a
//! warning ("IAM refuses this unless the account's quota was raised"): the
//! configuration cannot know the account's quota offline.
//!
//! The temporary copy of a managed policy (an AWS-managed one or one declared
//! `existing`) is read from the account when planning, so its size cannot be
//! known here; [`managed_policy_size`] is the check plan uses on it.

use std::collections::{BTreeMap, BTreeSet};

use iamctl_policy::names::{validate_name, EntityKind};
use iamctl_policy::PolicyDocument;
use jiff::Timestamp;
use serde_json::Value;

use crate::desired::{desired_state, environments, parse_expiry, policy_document};
use crate::diag::{Diagnostic, Span, Spanned};
use crate::model::*;

/// The most characters (whitespace not counted) of a managed policy.
pub const MANAGED_POLICY_CHARS: usize = 6_144;
/// The most characters of all of one user's inline policies together.
pub const USER_INLINE_CHARS: usize = 2_048;
/// The most characters of a role's trust policy (IAM's default quota).
pub const TRUST_POLICY_CHARS: usize = 2_048;
/// The most tags on one IAM resource, iamctl's own included.
pub const MAX_TAGS: usize = 50;
/// The most characters of a role's or a policy's description.
pub const MAX_DESCRIPTION: usize = 1_000;
/// The most managed policies attached to a user or a role (default quota).
pub const MAX_ATTACHED_PRINCIPAL: usize = 10;
/// The most managed policies attached to a group (fixed).
pub const MAX_ATTACHED_GROUP: usize = 10;
/// The most groups one user can be a member of (fixed).
pub const MAX_GROUPS_PER_USER: usize = 10;
/// The length of an external id: 2 to 1,224 characters.
pub const EXTERNAL_ID_CHARS: (usize, usize) = (2, 1_224);
/// Users in an account (fixed).
pub const MAX_USERS: usize = 5_000;
/// Roles in an account (default quota).
pub const MAX_ROLES: usize = 1_000;
/// Groups in an account (default quota).
pub const MAX_GROUPS: usize = 300;
/// Customer-managed policies in an account (default quota).
pub const MAX_POLICIES: usize = 1_500;

/// The size IAM charges a policy document against its quota.
pub fn size(doc: &Value) -> usize {
    PolicyDocument::from_value(doc.clone()).size()
}

/// `Err` with a sentence when `doc`, to be created as the managed policy
/// `name`, is over IAM's 6,144 characters; plan uses it on the temporary
/// copies it makes of managed policies, whose documents it reads.
pub fn managed_policy_size(name: &str, doc: &Value) -> Result<(), String> {
    let n = size(doc);
    if n > MANAGED_POLICY_CHARS {
        return Err(format!(
            "policy `{name}` would be {n} characters (whitespace not counted), above IAM's {MANAGED_POLICY_CHARS} for a managed policy"
        ));
    }
    Ok(())
}

/// Every limit the configuration breaks, as of `now` (expired temporary
/// grants make nothing).
pub(crate) fn check(config: &Config, now: Timestamp, out: &mut Vec<Diagnostic>) {
    let mut c = Check { config, out };
    c.settings();
    for t in config.teams.values() {
        c.team(t, now);
    }
    for env in environments(config) {
        c.account(&env, now);
    }
}

struct Check<'c> {
    config: &'c Config,
    out: &'c mut Vec<Diagnostic>,
}

const RAISED: &str = "IAM refuses this unless the account's quota was raised (Service Quotas)";

impl Check<'_> {
    fn error(&mut self, span: &Span, msg: String, help: impl Into<String>) {
        self.out.push(Diagnostic::error(span, msg).with_help(help));
    }

    fn warning(&mut self, span: &Span, msg: String, help: impl Into<String>) {
        self.out
            .push(Diagnostic::warning(span, msg).with_help(help));
    }

    fn external_id(&mut self, id: &Option<Spanned<String>>) {
        let Some(id) = id else {
            return;
        };
        let n = id.value.chars().count();
        let ok_chars = id
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-".contains(c));
        let (min, max) = EXTERNAL_ID_CHARS;
        if !(min..=max).contains(&n) || !ok_chars {
            self.error(
                &id.span,
                format!(
                    "external id `{}` is not 2 to 1,224 letters, digits and `+=,.@:/-`",
                    id.value
                ),
                "IAM rejects such an external id in a trust policy condition and in AssumeRole",
            );
        }
    }

    fn settings(&mut self) {
        self.external_id(&self.config.settings.external_id.clone());
        for t in self.config.teams.values() {
            for e in t.accounts.values() {
                self.external_id(&e.external_id);
            }
        }
    }

    fn description(&mut self, what: &str, d: &Option<Spanned<String>>) {
        let Some(d) = d else {
            return;
        };
        let n = d.value.chars().count();
        if n > MAX_DESCRIPTION {
            self.error(
                &d.span,
                format!(
                    "the description of {what} is {n} characters, above IAM's {MAX_DESCRIPTION}"
                ),
                "shorten it",
            );
        }
        // CreateRole's and CreatePolicy's pattern: tab, newlines, printable
        // ASCII and U+00A1 to U+00FF.
        let bad: BTreeSet<char> = d
            .value
            .chars()
            .filter(
                |c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'),
            )
            .collect();
        if !bad.is_empty() {
            let shown: Vec<String> = bad.iter().map(|c| format!("U+{:04X}", *c as u32)).collect();
            self.error(
                &d.span,
                format!(
                    "the description of {what} holds characters IAM does not accept: {}",
                    shown.join(", ")
                ),
                "IAM accepts tab, line breaks, printable ASCII and U+00A1 to U+00FF in a description",
            );
        }
    }

    /// Tags of a principal iamctl creates: its own three count too, and IAM
    /// treats keys that differ only in case as one.
    fn tags(
        &mut self,
        what: &str,
        key: &Spanned<String>,
        tags: &[(Spanned<String>, Spanned<String>)],
    ) {
        let own = 3;
        if tags.len() + own > MAX_TAGS {
            let span = tags.get(MAX_TAGS - own).map_or(&key.span, |(k, _)| &k.span);
            self.error(
                span,
                format!(
                    "{what} would carry {} tags ({} here and iamctl's {own}), above IAM's {MAX_TAGS}",
                    tags.len() + own,
                    tags.len()
                ),
                format!("keep at most {} tags: iamctl adds `managed-by`, `iamctl:team` and `iamctl:key`", MAX_TAGS - own),
            );
        }
        let mut seen: BTreeMap<String, &Spanned<String>> = BTreeMap::new();
        for (k, _) in tags {
            let lower = k.value.to_lowercase();
            match seen.get(&lower) {
                Some(first) if first.value != k.value => {
                    let msg = format!(
                        "tag `{}` differs from tag `{}` ({}) only in case; IAM treats them as one key",
                        k.value,
                        first.value,
                        first.span.location()
                    );
                    self.error(&k.span, msg, "keep one of them");
                }
                Some(_) => {}
                None => {
                    seen.insert(lower, k);
                }
            }
        }
    }

    fn policy_name(&mut self, span: &Span, name: &str, made_for: &str) {
        if let Err(e) = validate_name(EntityKind::Policy, name) {
            self.error(
                span,
                format!("{made_for} would be the policy `{name}`, which IAM refuses: {e}"),
                "shorten the team, key or principal name: a temporary grant's policy is `<team>-<key>-<principal>[-<policy>]-temporary`",
            );
        }
    }

    fn team(&mut self, t: &Team, now: Timestamp) {
        for p in t.policies.values() {
            if !p.existing {
                self.description(&format!("policy `{}`", p.key.value), &p.description);
            }
        }
        for u in t.users.values() {
            if !u.existing {
                self.tags(&format!("user `{}`", u.name), &u.key, &u.tags);
            }
        }
        for r in t.roles.values() {
            if r.existing {
                continue;
            }
            let what = format!("role `{}`", r.key.value);
            self.description(&what, &r.description);
            self.tags(&what, &r.key, &r.tags);
        }
        for s in &t.s3_users {
            if let (Some(b), Some(u)) = (&s.bucket, &s.user) {
                let name = format!("s3-user-{}-{}", user_name(&u.value), b.value);
                if name.chars().count() > 128 {
                    self.error(
                        &b.span,
                        format!("the inline policy `{name}` of this S3 user is over IAM's 128 characters for a policy name"),
                        "shorten the user or bucket name",
                    );
                }
            }
        }
        for g in &t.temporary {
            self.temporary(t, g, now);
        }
    }

    /// The names iamctl gives a temporary grant's policies, and the size of
    /// the copy of the key's `custom_statements` (the expiry condition
    /// added to every statement makes it larger than the permanent one).
    fn temporary(&mut self, t: &Team, g: &TemporaryGrant, now: Timestamp) {
        let (Some(exp), Some(key), Some((kind, who))) =
            (&g.expiration_date, &g.grant, g.principal())
        else {
            return;
        };
        let Some(p) = t.policies.get(&key.value) else {
            return;
        };
        let Ok(expires) = parse_expiry(&exp.value) else {
            return;
        };
        if expires <= now {
            return;
        }
        let who = match kind {
            PrincipalKind::User => user_name(&who.value),
            _ => who.value.clone(),
        };
        let base = format!("{}-{who}", policy_name(&t.name, &key.value));
        let made_for = format!("this temporary grant of `{}`", key.value);
        if p.existing {
            self.policy_name(
                &key.span,
                &format!("{base}-{}-temporary", p.iam_name(&t.name)),
                &made_for,
            );
        } else if !p.custom_statements.is_empty() {
            let name = format!("{base}-temporary");
            self.policy_name(&key.span, &name, &made_for);
            if let Err(msg) = managed_policy_size(&name, &policy_document(p, Some(expires))) {
                self.error(
                    &key.span,
                    msg,
                    "the temporary copy adds a `DateLessThan` condition to every statement: make the key's statements fewer or shorter",
                );
            }
        }
        for m in &p.managed_policies {
            let last = m.value.rsplit('/').next().unwrap_or(&m.value);
            self.policy_name(&key.span, &format!("{base}-{last}-temporary"), &made_for);
        }
    }

    /// Where a principal is written: its declaration, else the first grant,
    /// membership or trust that names it.
    fn place(&self, kind: PrincipalKind, name: &str) -> Option<Span> {
        let matches = |s: &Spanned<String>| match kind {
            PrincipalKind::User => user_name(&s.value) == name,
            _ => s.value == name,
        };
        for t in self.config.teams.values() {
            let declared = match kind {
                PrincipalKind::User => t.users.get(name).map(|u| &u.key),
                PrincipalKind::Role => t.roles.get(name).map(|r| &r.key),
                PrincipalKind::Group => t.groups.get(name).map(|g| &g.key),
            };
            if let Some(k) = declared {
                return Some(k.span.clone());
            }
        }
        for t in self.config.teams.values() {
            for g in &t.permanent {
                let list = match kind {
                    PrincipalKind::User => &g.users,
                    PrincipalKind::Role => &g.roles,
                    PrincipalKind::Group => &g.groups,
                };
                if let Some(s) = list.iter().find(|s| matches(s)) {
                    return Some(s.span.clone());
                }
            }
            for g in &t.temporary {
                if let Some((k, s)) = g.principal() {
                    if k == kind && matches(s) {
                        return Some(s.span.clone());
                    }
                }
            }
            for s in &t.s3_users {
                if let Some(u) = &s.user {
                    if kind == PrincipalKind::User && matches(u) {
                        return Some(u.span.clone());
                    }
                }
            }
        }
        None
    }

    /// What one account would hold: attachments per principal, groups per
    /// user, inline policy sizes, trust sizes, tags, and entity counts.
    fn account(&mut self, env: &str, now: Timestamp) {
        let Some(d) = desired_state(self.config, env, now) else {
            return;
        };
        let mut groups_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for g in d.groups.values() {
            for m in &g.members {
                groups_of.entry(m.as_str()).or_default().push(&g.name);
            }
        }
        let mut found: Vec<(PrincipalKind, String, bool, String, String)> = Vec::new();
        let mut add = |kind, name: &str, error: bool, msg: String, help: String| {
            found.push((kind, name.to_owned(), error, msg, help));
        };
        for u in d.users.values() {
            let n = u.attached.len();
            if n > MAX_ATTACHED_PRINCIPAL {
                add(
                    PrincipalKind::User,
                    &u.name,
                    false,
                    format!("in environment `{env}`, user `{}` would have {n} managed policies attached, above IAM's default quota of {MAX_ATTACHED_PRINCIPAL}", u.name),
                    format!("{RAISED}, up to 20; or grant through a group"),
                );
            }
            let inline: usize = u.inline.values().map(size).sum();
            if inline > USER_INLINE_CHARS {
                add(
                    PrincipalKind::User,
                    &u.name,
                    true,
                    format!("in environment `{env}`, the inline policies of user `{}` would be {inline} characters together, above IAM's {USER_INLINE_CHARS} per user", u.name),
                    "give the user fewer S3 buckets".to_owned(),
                );
            }
            if u.managed && u.tags.len() > MAX_TAGS {
                add(
                    PrincipalKind::User,
                    &u.name,
                    true,
                    format!("in environment `{env}`, user `{}` would carry {} tags, above IAM's {MAX_TAGS}", u.name, u.tags.len()),
                    "iamctl's own tags count too".to_owned(),
                );
            }
            if let Some(gs) = groups_of.get(u.name.as_str()) {
                if gs.len() > MAX_GROUPS_PER_USER {
                    add(
                        PrincipalKind::User,
                        &u.name,
                        true,
                        format!("in environment `{env}`, user `{}` would be in {} groups, above IAM's {MAX_GROUPS_PER_USER}", u.name, gs.len()),
                        "IAM's limit of groups per user is fixed".to_owned(),
                    );
                }
            }
        }
        for r in d.roles.values() {
            let n = r.attached.len();
            if n > MAX_ATTACHED_PRINCIPAL {
                add(
                    PrincipalKind::Role,
                    &r.name,
                    false,
                    format!("in environment `{env}`, role `{}` would have {n} managed policies attached, above IAM's default quota of {MAX_ATTACHED_PRINCIPAL}", r.name),
                    format!("{RAISED}, up to 20"),
                );
            }
            if let (true, Some(trust)) = (r.managed, &r.trust) {
                let n = size(trust);
                if n > TRUST_POLICY_CHARS {
                    add(
                        PrincipalKind::Role,
                        &r.name,
                        false,
                        format!("in environment `{env}`, the trust policy of role `{}` would be {n} characters, above IAM's default quota of {TRUST_POLICY_CHARS}", r.name),
                        format!("{RAISED}; or trust fewer principals"),
                    );
                }
            }
            if r.managed && r.tags.len() > MAX_TAGS {
                add(
                    PrincipalKind::Role,
                    &r.name,
                    true,
                    format!("in environment `{env}`, role `{}` would carry {} tags, above IAM's {MAX_TAGS}", r.name, r.tags.len()),
                    "iamctl's own tags count too".to_owned(),
                );
            }
        }
        for g in d.groups.values() {
            let n = g.attached.len();
            if n > MAX_ATTACHED_GROUP {
                add(
                    PrincipalKind::Group,
                    &g.name,
                    true,
                    format!("in environment `{env}`, group `{}` would have {n} managed policies attached, above IAM's {MAX_ATTACHED_GROUP}", g.name),
                    "IAM's limit for groups is fixed: split the grants over two groups".to_owned(),
                );
            }
        }
        for (kind, name, error, msg, help) in found {
            let Some(span) = self.place(kind, &name) else {
                continue;
            };
            if error {
                self.error(&span, msg, help);
            } else {
                self.warning(&span, msg, help);
            }
        }
        // Entity counts: what iamctl would create in the account.
        let Some(span) = self
            .config
            .teams
            .values()
            .find_map(|t| t.accounts.get(env))
            .map(|e| e.account_id.span.clone())
        else {
            return;
        };
        let users = d.users.values().filter(|u| u.managed).count();
        let roles = d.roles.values().filter(|r| r.managed).count();
        let groups = d.groups.values().filter(|g| g.managed).count();
        let policies = d.policies.values().filter(|p| p.managed).count();
        if users > MAX_USERS {
            self.error(
                &span,
                format!("environment `{env}` would hold {users} users iamctl creates, above IAM's {MAX_USERS} per account"),
                "IAM's limit of users per account is fixed",
            );
        }
        for (n, max, what) in [
            (roles, MAX_ROLES, "roles"),
            (groups, MAX_GROUPS, "groups"),
            (policies, MAX_POLICIES, "customer-managed policies"),
        ] {
            if n > max {
                self.warning(
                    &span,
                    format!("environment `{env}` would hold {n} {what} iamctl creates, above IAM's default quota of {max} per account"),
                    RAISED,
                );
            }
        }
    }
}
