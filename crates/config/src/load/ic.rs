//! Reading the Identity Center parts of a configuration: `settings.identity_center`,
//! `identity-center/<team>.yaml`, and the entries of `permanent-access` and
//! `temporary-access` that name Identity Center principals.

use super::{keys, Fields, Reader};
use crate::diag::Diagnostic;
use crate::identity_center::*;
use crate::model::Team;
use crate::yaml::{Kind, Node};

/// Whether a mapping has any of `keys` (an entry for Identity Center).
pub(super) fn names_any(node: &Node, keys: &[&str]) -> bool {
    match &node.kind {
        Kind::Map(entries) => entries
            .iter()
            .any(|(k, _)| k.as_str().is_some_and(|k| keys.contains(&k))),
        _ => false,
    }
}

/// `known` and `more` as one list (for the keys of a mixed entry).
fn joined(known: &[&'static str], more: &[&'static str]) -> Vec<&'static str> {
    known.iter().chain(more).copied().collect()
}

impl Reader<'_> {
    pub(super) fn identity_center_settings(
        &mut self,
        node: &Node,
    ) -> Option<IdentityCenterSettings> {
        let what = "`identity_center` of `settings`";
        let f = self.fields(node, what, keys::IDENTITY_CENTER_SETTINGS)?;
        Some(IdentityCenterSettings {
            span: node.span.clone(),
            account: self.opt_string(&f, "account", what),
            region: self.opt_string(&f, "region", what),
            identity_source: self.opt_string(&f, "identity_source", what),
        })
    }

    pub(super) fn identity_center(&mut self, body: &Node, team: &mut Team) {
        let what = "`identity-center`";
        let Some(f) = self.fields(body, what, keys::IDENTITY_CENTER) else {
            return;
        };
        team.identity_center.span = Some(body.span.clone());
        if let Some(n) = f.get("users") {
            self.sso_users(n, team);
        }
        if let Some(n) = f.get("groups") {
            self.sso_groups(n, team);
        }
        if let Some(n) = f.get("permission-sets") {
            self.permission_sets(n, team);
        }
    }

    /// The body of a keyed entry: its fields, or none for `key:` with no value.
    fn entry_fields<'n>(&mut self, v: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        match v.kind {
            Kind::Null => Some(Fields { entries: &[] }),
            _ => self.fields(v, what, known),
        }
    }

    fn sso_users(&mut self, node: &Node, team: &mut Team) {
        for (k, v) in self.map(node, "`users` of `identity-center`") {
            let Some(name) = self.string(k, "an Identity Center user name") else {
                continue;
            };
            let what = format!("Identity Center user `{}`", name.value);
            let Some(f) = self.entry_fields(v, &what, keys::SSO_USER) else {
                continue;
            };
            let user = SsoUser {
                given_name: self.opt_string(&f, "given_name", &what),
                family_name: self.opt_string(&f, "family_name", &what),
                display_name: self.opt_string(&f, "display_name", &what),
                email: self.opt_string(&f, "email", &what),
                name: name.clone(),
            };
            team.identity_center.users.insert(name.value, user);
        }
    }

    fn sso_groups(&mut self, node: &Node, team: &mut Team) {
        for (k, v) in self.map(node, "`groups` of `identity-center`") {
            let Some(name) = self.string(k, "an Identity Center group name") else {
                continue;
            };
            let what = format!("Identity Center group `{}`", name.value);
            let Some(f) = self.entry_fields(v, &what, keys::SSO_GROUP) else {
                continue;
            };
            let group = SsoGroup {
                description: self.opt_string(&f, "description", &what),
                members: self.strings(f.get("members"), &format!("`members` of {what}")),
                name: name.clone(),
            };
            team.identity_center.groups.insert(name.value, group);
        }
    }

    fn permission_sets(&mut self, node: &Node, team: &mut Team) {
        for (k, v) in self.map(node, "`permission-sets` of `identity-center`") {
            let Some(name) = self.string(k, "a permission set name") else {
                continue;
            };
            let what = format!("permission set `{}`", name.value);
            let Some(f) = self.entry_fields(v, &what, keys::PERMISSION_SET) else {
                continue;
            };
            let set = PermissionSet {
                description: self.opt_string(&f, "description", &what),
                session_duration: self.opt_string(&f, "session_duration", &what),
                grants: self.strings(f.get("grants"), &format!("`grants` of {what}")),
                permissions_boundary: self.opt_string(&f, "permissions_boundary", &what),
                name: name.clone(),
            };
            team.identity_center.permission_sets.insert(name.value, set);
        }
    }

    /// A `permanent-access` entry with `sso_users`, `sso_groups` or
    /// `permission_set`. IAM keys in it (`users`, `grants`, ...) are errors:
    /// an entry is for IAM principals or for Identity Center ones.
    pub(super) fn sso_permanent(&mut self, e: &Node, what: &str, team: &mut Team) {
        let known = joined(&["description", "environments"], keys::SSO_PERMANENT);
        let Some(f) = self.mixed_fields(e, what, &known, keys::PERMANENT) else {
            return;
        };
        team.sso_permanent.push(SsoPermanentGrant {
            span: e.span.clone(),
            description: self.opt_string(&f, "description", what),
            sso_users: self.strings(f.get("sso_users"), &format!("`sso_users` of {what}")),
            sso_groups: self.strings(f.get("sso_groups"), &format!("`sso_groups` of {what}")),
            environments: self.strings(f.get("environments"), &format!("`environments` of {what}")),
            permission_set: self.opt_string(&f, "permission_set", what),
        });
    }

    /// A `temporary-access` entry with `sso_user`, `sso_group` or `permission_set`.
    pub(super) fn sso_temporary(&mut self, e: &Node, what: &str, team: &mut Team) {
        let known = joined(
            &["description", "expiration_date", "environment"],
            keys::SSO_TEMPORARY,
        );
        let Some(f) = self.mixed_fields(e, what, &known, keys::TEMPORARY) else {
            return;
        };
        team.sso_temporary.push(SsoTemporaryGrant {
            span: e.span.clone(),
            description: self.opt_string(&f, "description", what),
            expiration_date: self.opt_string(&f, "expiration_date", what),
            sso_user: self.opt_string(&f, "sso_user", what),
            sso_group: self.opt_string(&f, "sso_group", what),
            environment: self.opt_string(&f, "environment", what),
            permission_set: self.opt_string(&f, "permission_set", what),
        });
    }

    /// The fields of an Identity Center entry: a key of the IAM form of the
    /// entry (`iam_keys`) gets its own message; other unknown keys as usual.
    fn mixed_fields<'n>(
        &mut self,
        e: &'n Node,
        what: &str,
        known: &[&str],
        iam_keys: &[&str],
    ) -> Option<Fields<'n>> {
        let Kind::Map(entries) = &e.kind else {
            self.wrong_type(e, what, "a mapping");
            return None;
        };
        let mut rest = Vec::new();
        for (k, v) in entries {
            match k.as_str() {
                Some(name) if !known.contains(&name) && iam_keys.contains(&name) => {
                    self.diags.push(
                        Diagnostic::error(
                            &k.span,
                            format!("`{name}` in {what}, which names Identity Center principals"),
                        )
                        .with_help(
                            "an entry either grants `aws-policies` keys to IAM users, roles and groups \
                             (`users`, `roles`, `groups`, `grants`), or a `permission_set` to Identity \
                             Center users and groups (`sso_users`, `sso_groups`); write two entries",
                        ),
                    );
                }
                _ => rest.push((k.clone(), v.clone())),
            }
        }
        // Unknown keys other than the IAM ones are reported by `fields`.
        let checked = Node {
            kind: Kind::Map(rest),
            span: e.span.clone(),
        };
        self.fields(&checked, what, known)?;
        Some(Fields { entries })
    }
}
