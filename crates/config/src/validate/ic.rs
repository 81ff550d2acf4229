//! The Identity Center rules `validate` checks offline. Sources are listed in
//! [`crate::identity_center`]; each rule's test in `tests_ic.rs` cites its page.

use std::collections::BTreeMap;

use iamctl_policy::names::validate_policy_arn_or_name;

use super::{did_you_mean, known, V};
use crate::desired::parse_expiry;
use crate::diag::{Span, Spanned};
use crate::identity_center::*;
use crate::model::Team;

/// Where the first Identity Center entry of a configuration is, for the
/// error when `settings.identity_center` is missing.
fn first_span(t: &Team) -> Option<&Span> {
    t.identity_center
        .span
        .as_ref()
        .or(t.sso_permanent.first().map(|g| &g.span))
        .or(t.sso_temporary.first().map(|g| &g.span))
}

/// A permission set name: 1 to 32 of `[\w+=,.@-]`.
pub(crate) fn permission_set_name_ok(name: &str) -> bool {
    (1..=PERMISSION_SET_NAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || "+=,.@-".contains(c))
}

/// An identity-store user name: 1 to 128 letters, marks, symbols, numbers
/// and punctuation (no whitespace or control characters).
fn user_name_ok(name: &str) -> bool {
    (1..=128).contains(&name.chars().count())
        && name.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

impl V<'_> {
    pub(super) fn identity_center(&mut self) {
        let config = self.config;
        let Some(settings) = &config.settings.identity_center else {
            if let Some(span) = config.teams.values().find_map(first_span) {
                self.error(
                    span,
                    "Identity Center entries need `identity_center` in `settings.yaml`".into(),
                )
                .help = Some(
                    "add `settings: {identity_center: {account: <environment>, region: <region>}}`, \
                     naming the environment of the account that holds the instance"
                        .into(),
                );
            }
            return;
        };
        self.ic_settings(settings);
        let source = settings.source().unwrap_or(IdentitySource::Directory);
        self.unique_across_teams();
        for t in config.teams.values() {
            self.ic_team(t, source);
        }
        self.temporary_names();
    }

    /// Each temporary assignment's permission set is named after its base set
    /// and expiry minute; two different ones must not meet under one name,
    /// nor meet a declared permission set.
    fn temporary_names(&mut self) {
        let mut names: BTreeMap<String, (&str, jiff::Timestamp, &Span)> = BTreeMap::new();
        let mut clashes = Vec::new();
        for t in self.config.teams.values() {
            for g in &t.sso_temporary {
                let (Some(set), Some(d)) = (&g.permission_set, &g.expiration_date) else {
                    continue;
                };
                let Ok(at) = parse_expiry(&d.value) else {
                    continue;
                };
                let name = temporary_set_name(&set.value, at);
                if self.config.find_permission_set(&name).is_some() {
                    clashes.push((
                        d.span.clone(),
                        name.clone(),
                        "a declared permission set".to_owned(),
                    ));
                }
                match names.get(&name) {
                    Some((base, first, span)) if (*base, *first) != (set.value.as_str(), at) => {
                        clashes.push((
                            d.span.clone(),
                            name.clone(),
                            format!("the grant at {}", span.location()),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        names.insert(name, (&set.value, at, &d.span));
                    }
                }
            }
        }
        for (span, name, other) in clashes {
            self.error(
                &span,
                format!("the temporary permission set of this grant would be `{name}`, as is {other}"),
            )
            .help = Some(
                "temporary permission sets are named `<first 21 characters of the set>-<YYMMDDHHMM of expiry>`; move the expiry by a minute or rename the permission set".into(),
            );
        }
    }

    fn ic_settings(&mut self, s: &IdentityCenterSettings) {
        match &s.account {
            None => {
                self.error(&s.span, "`identity_center` names no `account`".into())
                    .help = Some(
                    "the environment (from `aws-accounts`) of the management or delegated administrator account".into(),
                );
            }
            Some(a) => {
                let envs = || self.config.teams.values().flat_map(|t| t.accounts.keys());
                if !envs().any(|e| *e == a.value) {
                    let hint = did_you_mean(&a.value, envs());
                    self.error(
                        &a.span,
                        format!(
                            "unknown environment `{}` for the Identity Center instance",
                            a.value
                        ),
                    )
                    .help = Some(known(hint, "environment", envs()));
                }
            }
        }
        if let Some(r) = &s.region {
            let parts: Vec<&str> = r.value.split('-').collect();
            let ok = parts.len() >= 3
                && parts[..parts.len() - 1]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
                && parts[parts.len() - 1].parse::<u8>().is_ok();
            if !ok {
                self.error(&r.span, format!("`{}` is not an AWS region", r.value))
                    .help = Some("write a region code such as `us-east-1`".into());
            }
        }
        if let Some(src) = &s.identity_source {
            if s.source().is_none() {
                self.error(
                    &src.span,
                    format!(
                        "identity source `{}` is neither `directory` nor `external`",
                        src.value
                    ),
                );
            }
        }
    }

    /// Users, groups and permission sets belong to the one instance: one
    /// name, one declaration, whichever team writes it.
    fn unique_across_teams(&mut self) {
        let mut seen: BTreeMap<(&str, &str), &Spanned<String>> = BTreeMap::new();
        let mut dups = Vec::new();
        for t in self.config.teams.values() {
            let ic = &t.identity_center;
            let names = ic
                .users
                .values()
                .map(|u| ("user", &u.name))
                .chain(ic.groups.values().map(|g| ("group", &g.name)))
                .chain(
                    ic.permission_sets
                        .values()
                        .map(|p| ("permission set", &p.name)),
                );
            for (kind, name) in names {
                match seen.get(&(kind, name.value.as_str())) {
                    Some(first) => dups.push((kind, name, first.span.location())),
                    None => {
                        seen.insert((kind, &name.value), name);
                    }
                }
            }
        }
        for (kind, name, first) in dups {
            self.error(
                &name.span,
                format!(
                    "Identity Center {kind} `{}` is declared twice; first at {first}",
                    name.value
                ),
            );
        }
    }

    fn ic_team(&mut self, t: &Team, source: IdentitySource) {
        let ic = &t.identity_center;
        if source == IdentitySource::External {
            for name in ic
                .users
                .values()
                .map(|u| &u.name)
                .chain(ic.groups.values().map(|g| &g.name))
            {
                self.error(
                    &name.span,
                    format!(
                        "`{}` is declared, but with `identity_source: external` users and groups come from your identity provider",
                        name.value
                    ),
                )
                .help = Some("remove the declaration; entries may still name it (plan checks it exists)".into());
            }
        }
        for u in ic.users.values() {
            self.sso_user(u);
        }
        for g in ic.groups.values() {
            self.sso_group(g, source);
        }
        for p in ic.permission_sets.values() {
            self.permission_set(t, p);
        }
        for g in &t.sso_permanent {
            self.sso_permanent(t, g, source);
        }
        for g in &t.sso_temporary {
            self.sso_temporary(t, g, source);
        }
    }

    fn sso_user(&mut self, u: &SsoUser) {
        if !user_name_ok(&u.name.value) {
            self.error(
                &u.name.span,
                format!("`{}` is not an Identity Center user name", u.name.value),
            )
            .help = Some(
                "1 to 128 characters: letters, digits, symbols and punctuation, no spaces".into(),
            );
        }
        let mut missing = Vec::new();
        if u.given_name.is_none() {
            missing.push("`given_name`");
        }
        if u.family_name.is_none() {
            missing.push("`family_name`");
        }
        if !missing.is_empty() {
            self.error(
                &u.name.span,
                format!(
                    "Identity Center user `{}` needs {}",
                    u.name.value,
                    missing.join(" and ")
                ),
            )
            .help = Some("IAM Identity Center requires a user's given and family name".into());
        }
        for n in [&u.given_name, &u.family_name, &u.display_name]
            .into_iter()
            .flatten()
        {
            if !(1..=1024).contains(&n.value.chars().count()) {
                self.error(&n.span, "a name is 1 to 1,024 characters".into());
            }
        }
    }

    fn sso_group(&mut self, g: &SsoGroup, source: IdentitySource) {
        if !(1..=1024).contains(&g.name.value.chars().count()) {
            self.error(&g.name.span, "a group name is 1 to 1,024 characters".into());
        }
        if let Some(d) = &g.description {
            if !(1..=1024).contains(&d.value.chars().count()) {
                self.error(
                    &d.span,
                    "a group description is 1 to 1,024 characters".into(),
                );
            }
        }
        for m in &g.members {
            self.sso_user_ref(m, source);
        }
    }

    fn permission_set(&mut self, t: &Team, p: &PermissionSet) {
        if !permission_set_name_ok(&p.name.value) {
            self.error(
                &p.name.span,
                format!("`{}` is not a permission set name", p.name.value),
            )
            .help = Some("1 to 32 characters of letters, digits and `+=,.@-_`".into());
        }
        if let Some(d) = &p.description {
            if !(1..=PERMISSION_SET_DESCRIPTION_CHARS).contains(&d.value.chars().count()) {
                self.error(
                    &d.span,
                    format!(
                        "a permission set description is 1 to {PERMISSION_SET_DESCRIPTION_CHARS} characters, this one {}",
                        d.value.chars().count()
                    ),
                );
            }
        }
        if let Some(d) = &p.session_duration {
            match parse_session_duration(&d.value) {
                Some(s) if (SESSION_SECONDS.0..=SESSION_SECONDS.1).contains(&s) => {}
                Some(_) => {
                    self.error(
                        &d.span,
                        format!("session duration `{}` is outside 1h to 12h", d.value),
                    )
                    .help = Some("IAM Identity Center sessions last 1 to 12 hours".into());
                }
                None => {
                    self.error(&d.span, format!("`{}` is not a duration", d.value))
                        .help = Some("write `1h`, `90m`, `12h` or ISO 8601 `PT1H`".into());
                }
            }
        }
        for g in &p.grants {
            self.grant_ref(t, g);
        }
        if let Some(b) = &p.permissions_boundary {
            if b.value.starts_with("arn:") {
                if let Err(e) = validate_policy_arn_or_name(&b.value) {
                    self.error(&b.span, e.to_string());
                }
            }
        }
        self.permission_set_limits(t, p);
    }

    /// AWS's limits on what one permission set holds, for the set itself and
    /// for its temporary copies (which add one deny statement).
    fn permission_set_limits(&mut self, t: &Team, p: &PermissionSet) {
        let (aws, customer) = managed_policies(t, p);
        let count = aws.len() + customer.len();
        if count > MAX_PERMISSION_SET_MANAGED {
            self.error(
                &p.name.span,
                format!(
                    "permission set `{}` attaches {count} managed policies; IAM Identity Center allows {MAX_PERMISSION_SET_MANAGED}",
                    p.name.value
                ),
            );
        } else if count > DEFAULT_ROLE_MANAGED_QUOTA {
            self.warning(
                &p.name.span,
                format!(
                    "permission set `{}` attaches {count} managed policies; each account's role quota is {DEFAULT_ROLE_MANAGED_QUOTA} unless raised",
                    p.name.value
                ),
            );
        }
        // The temporary copy is the larger document: check it, with a far expiry.
        let far = jiff::Timestamp::MAX;
        if let Some(doc) = inline_policy(t, p, Some(far)) {
            let text = serde_json::to_string(&doc).unwrap_or_default();
            let chars = text.chars().filter(|c| !c.is_whitespace()).count();
            if text.len() > INLINE_POLICY_BYTES || chars > INLINE_POLICY_CHARS {
                self.error(
                    &p.name.span,
                    format!(
                        "the inline policy of permission set `{}` would hold {chars} characters (without whitespace); IAM Identity Center allows {INLINE_POLICY_CHARS}",
                        p.name.value
                    ),
                )
                .help = Some(
                    "move statements into a customer-managed policy (`existing: true`) or split the permission set".into(),
                );
            }
        }
    }

    /// A user or group an entry names. Declared: nothing to say. With an
    /// external identity source, or undeclared in the directory, it is an
    /// existing one (seed 004's rule for IAM principals): a note, and plan
    /// checks it exists. Undeclared with a declared one of a close name: a
    /// typo, an error.
    fn sso_user_ref(&mut self, u: &Spanned<String>, source: IdentitySource) {
        let declared = self.config.find_sso_user(&u.value).is_some();
        let all: Vec<String> = self
            .config
            .teams
            .values()
            .flat_map(|t| t.identity_center.users.keys().cloned())
            .collect();
        self.sso_ref(u, "user", declared, source, &all);
    }

    fn sso_group_ref(&mut self, g: &Spanned<String>, source: IdentitySource) {
        let declared = self.config.find_sso_group(&g.value).is_some();
        let all: Vec<String> = self
            .config
            .teams
            .values()
            .flat_map(|t| t.identity_center.groups.keys().cloned())
            .collect();
        self.sso_ref(g, "group", declared, source, &all);
    }

    fn sso_ref(
        &mut self,
        r: &Spanned<String>,
        kind: &str,
        declared: bool,
        source: IdentitySource,
        all: &[String],
    ) {
        if declared || source == IdentitySource::External && all.is_empty() {
            return;
        }
        // A declared name at most two edits away is a typo; anything further
        // (another person at the same domain) is someone else.
        let near = all
            .iter()
            .map(|o| (super::distance(&r.value, o), o))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, o)| format!("did you mean `{o}`?"));
        if let Some(hint) = near {
            self.error(
                &r.span,
                format!(
                    "unknown Identity Center {kind} `{}`: no `identity-center` file declares it",
                    r.value
                ),
            )
            .help = Some(hint);
            return;
        }
        if source == IdentitySource::External
            || !self.sso_noted.insert(format!("{kind}:{}", r.value))
        {
            return;
        }
        self.note(
            &r.span,
            format!(
                "Identity Center {kind} `{}` is declared in no `identity-center` file: it must exist already (plan checks), and iamctl never changes it",
                r.value
            ),
        );
    }

    fn permission_set_ref(&mut self, p: &Spanned<String>) {
        if self.config.find_permission_set(&p.value).is_some() {
            return;
        }
        let all = self
            .config
            .teams
            .values()
            .flat_map(|t| t.identity_center.permission_sets.keys());
        let hint = did_you_mean(&p.value, all);
        self.error(
            &p.span,
            format!("unknown permission set `{}`: no `identity-center` file declares it", p.value),
        )
        .help = Some(hint.unwrap_or_else(|| {
            "declare it under `permission-sets` of an `identity-center/<team>.yaml`; iamctl assigns only permission sets it manages".into()
        }));
    }

    fn sso_permanent(&mut self, t: &Team, g: &SsoPermanentGrant, source: IdentitySource) {
        if g.sso_users.is_empty() && g.sso_groups.is_empty() {
            self.error(
                &g.span,
                "an Identity Center grant names no `sso_users` or `sso_groups`".into(),
            );
        }
        if g.environments.is_empty() {
            self.error(
                &g.span,
                "an Identity Center grant names no `environments`".into(),
            );
        }
        match &g.permission_set {
            None => {
                self.error(
                    &g.span,
                    "an Identity Center grant names no `permission_set`".into(),
                );
            }
            Some(p) => self.permission_set_ref(p),
        }
        for e in &g.environments {
            self.env_ref(t, e);
        }
        for u in &g.sso_users {
            self.sso_user_ref(u, source);
        }
        for x in &g.sso_groups {
            self.sso_group_ref(x, source);
        }
    }

    fn sso_temporary(&mut self, t: &Team, g: &SsoTemporaryGrant, source: IdentitySource) {
        let mut missing = Vec::new();
        if g.expiration_date.is_none() {
            missing.push("`expiration_date`");
        }
        if g.environment.is_none() {
            missing.push("`environment`");
        }
        if g.permission_set.is_none() {
            missing.push("`permission_set`");
        }
        if !missing.is_empty() {
            self.error(
                &g.span,
                format!(
                    "an Identity Center temporary grant needs {}",
                    missing.join(", ")
                ),
            );
        }
        if g.sso_user.is_some() == g.sso_group.is_some() {
            self.error(
                &g.span,
                "an Identity Center temporary grant names exactly one of `sso_user` and `sso_group`".into(),
            );
        }
        if let Some(e) = &g.environment {
            self.env_ref(t, e);
        }
        if let Some(p) = &g.permission_set {
            self.permission_set_ref(p);
        }
        if let Some(u) = &g.sso_user {
            self.sso_user_ref(u, source);
        }
        if let Some(x) = &g.sso_group {
            self.sso_group_ref(x, source);
        }
        if let Some(d) = &g.expiration_date {
            self.expiry(d);
        }
    }
}
