//! Reading `settings.organization` and `org-policies/<team>.yaml`.

use super::{keys, Reader};
use crate::model::Team;
use crate::org_policies::{OrgPolicy, OrganizationSettings};
use crate::yaml::Node;

impl Reader<'_> {
    pub(super) fn organization_settings(&mut self, node: &Node) -> Option<OrganizationSettings> {
        let what = "`organization` of `settings`";
        let f = self.fields(node, what, keys::ORGANIZATION_SETTINGS)?;
        Some(OrganizationSettings {
            span: node.span.clone(),
            account: self.opt_string(&f, "account", what),
        })
    }

    /// `org-policies/<team>.yaml`: SCPs and RCPs by key.
    pub(super) fn org_policies(&mut self, body: &Node, team: &mut Team) {
        for (k, v) in self.map(body, "`org-policies`") {
            let Some(key) = self.string(k, "an organization policy key") else {
                continue;
            };
            let what = format!("organization policy `{}`", key.value);
            let Some(f) = self.fields(v, &what, keys::ORG_POLICY) else {
                continue;
            };
            let mut custom_statements = Vec::new();
            if let Some(n) = f.get("custom_statements") {
                for (i, s) in self
                    .seq(n, &format!("`custom_statements` of {what}"))
                    .iter()
                    .enumerate()
                {
                    if let Some(st) = self.statement(s, &format!("statement {} of {what}", i + 1)) {
                        custom_statements.push(st);
                    }
                }
            }
            let policy = OrgPolicy {
                kind: self.opt_string(&f, "type", &what),
                description: self.opt_string(&f, "description", &what),
                custom_statements,
                targets: self.strings(f.get("targets"), &format!("`targets` of {what}")),
                key: key.clone(),
            };
            team.org_policies.insert(key.value, policy);
        }
    }
}
