//! The rules `validate` checks offline for SCPs and RCPs as code. Sources are
//! listed in [`crate::org_policies`].

use iamctl_policy::eval::{
    decision, Context, Decision, Policy as EvalPolicy, PolicySet, Principal, Request,
};
use iamctl_policy::lint::{lint, PolicyType};

use super::{did_you_mean, known, locate, V};
use crate::model::{Policy, Team};
use crate::org_policies::*;

/// What the deployer calls in every account it applies to: the `Allow`
/// actions of the shipped least-privilege policy (`examples/iac/deployer/`).
/// An SCP that denies one of them to the deployer role stops `apply` there.
const DEPLOYER_APPLY_POLICY: &str =
    include_str!("../../../../examples/iac/deployer/deployer-apply-policy.json");

fn deployer_actions() -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(DEPLOYER_APPLY_POLICY).unwrap_or_default();
    let mut out = Vec::new();
    for st in doc["Statement"].as_array().into_iter().flatten() {
        if st["Effect"] != "Allow" {
            continue;
        }
        match &st["Action"] {
            serde_json::Value::String(a) => out.push(a.clone()),
            serde_json::Value::Array(list) => {
                out.extend(list.iter().filter_map(|a| a.as_str().map(str::to_owned)))
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

impl V<'_> {
    pub(super) fn organization(&mut self) {
        let config = self.config;
        if !config.has_org_policies() {
            if let Some(s) = &config.settings.organization {
                self.org_account(s);
            }
            return;
        }
        let Some(s) = &config.settings.organization else {
            let first = config
                .teams
                .values()
                .find_map(|t| t.org_policies.values().next())
                .map(|p| p.key.span.clone());
            if let Some(span) = first {
                self.error(
                    &span,
                    "organization policies need `organization` in `settings.yaml`".into(),
                )
                .help = Some(
                    "add `settings: {organization: {account: <environment>}}`, naming the management account's environment".into(),
                );
            }
            return;
        };
        self.org_account(s);
        for t in config.teams.values() {
            for p in t.org_policies.values() {
                self.org_policy(t, p);
            }
        }
        self.per_target_limit();
    }

    fn org_account(&mut self, s: &OrganizationSettings) {
        let Some(a) = &s.account else {
            self.error(&s.span, "`organization` names no `account`".into());
            return;
        };
        let envs = || self.config.teams.values().flat_map(|t| t.accounts.keys());
        if !envs().any(|e| *e == a.value) {
            let hint = did_you_mean(&a.value, envs());
            self.error(
                &a.span,
                format!("unknown environment `{}` for the organization", a.value),
            )
            .help = Some(known(hint, "environment", envs()));
        }
    }

    fn org_policy(&mut self, t: &Team, p: &OrgPolicy) {
        let name = p.org_name(&t.name);
        if name.chars().count() > ORG_POLICY_NAME_CHARS {
            self.error(
                &p.key.span,
                format!("organization policy name `{name}` is longer than {ORG_POLICY_NAME_CHARS} characters"),
            );
        }
        let kind = match (&p.kind, p.kind()) {
            (None, _) => {
                self.error(
                    &p.key.span,
                    format!("organization policy `{}` has no `type`", p.key.value),
                )
                .help = Some("write `type: scp` or `type: rcp`".into());
                None
            }
            (Some(k), None) => {
                self.error(
                    &k.span,
                    format!("type `{}` is neither `scp` nor `rcp`", k.value),
                );
                None
            }
            (_, kind) => kind,
        };
        if let Some(d) = &p.description {
            if d.value.chars().count() > ORG_POLICY_DESCRIPTION_CHARS {
                self.error(
                    &d.span,
                    format!(
                        "a policy description is at most {ORG_POLICY_DESCRIPTION_CHARS} characters"
                    ),
                );
            }
        }
        if p.custom_statements.is_empty() {
            self.error(
                &p.key.span,
                format!(
                    "organization policy `{}` has no `custom_statements`",
                    p.key.value
                ),
            );
        }
        if p.targets.is_empty() {
            self.warning(
                &p.key.span,
                format!(
                    "organization policy `{}` has no `targets`: it is created but attached nowhere",
                    p.key.value
                ),
            );
        }
        for target in &p.targets {
            self.org_target(target);
        }
        let Some(kind) = kind else {
            return;
        };
        self.lint_org_policy(&name, p, kind);
        if kind == OrgPolicyKind::ServiceControlPolicy {
            self.spares_the_deployer(t, p, &name);
        }
    }

    fn org_target(&mut self, target: &crate::diag::Spanned<String>) {
        match Target::parse(&target.value) {
            Err(why) => {
                self.error(&target.span, format!("`{}` is not a target", target.value))
                    .help = Some(why);
            }
            Ok(Target::Account(env)) => {
                let envs = || self.config.teams.values().flat_map(|t| t.accounts.keys());
                if !envs().any(|e| *e == env) {
                    let hint = did_you_mean(&env, envs());
                    self.error(
                        &target.span,
                        format!("unknown environment `{env}` in target `{}`", target.value),
                    )
                    .help = Some(known(hint, "environment", envs()));
                    return;
                }
                let management = self
                    .config
                    .settings
                    .organization
                    .as_ref()
                    .and_then(|o| o.account.as_ref())
                    .and_then(|a| self.config.account_of_environment(&a.value));
                if management.is_some() && management == self.config.account_of_environment(&env) {
                    self.warning(
                        &target.span,
                        format!("`{env}` is the management account: SCPs and RCPs do not affect it"),
                    )
                    .help = Some("\"SCPs don't affect users or roles in the management account.\" (AWS Organizations User Guide)".into());
                }
            }
            Ok(_) => {}
        }
    }

    /// Size and grammar as AWS Organizations checks them (the lint's SCP
    /// and RCP rules), each finding at its statement.
    fn lint_org_policy(&mut self, name: &str, p: &OrgPolicy, kind: OrgPolicyKind) {
        let text = serde_json::to_string_pretty(&p.document()).unwrap_or_default();
        let ty = match kind {
            OrgPolicyKind::ServiceControlPolicy => PolicyType::Scp,
            OrgPolicyKind::ResourceControlPolicy => PolicyType::Rcp,
        };
        let report = lint(name, &text, ty);
        // `locate` maps pointers into a policy's statements.
        let as_policy = Policy {
            key: p.key.clone(),
            description: None,
            managed_policies: Vec::new(),
            custom_statements: p.custom_statements.clone(),
            name: None,
            path: None,
            existing: false,
        };
        for f in &report.findings {
            let span = locate(&as_policy, &f.pointer).clone();
            self.finding(&span, name, f);
        }
    }

    /// An SCP must not deny the deployer role what `apply` calls, in any
    /// account of the configuration: that would lock iamctl out.
    fn spares_the_deployer(&mut self, t: &Team, p: &OrgPolicy, name: &str) {
        let Ok(policy) = EvalPolicy::from_json(name, &p.document()) else {
            return; // the lint reported it
        };
        let actions = deployer_actions();
        // An SCP reaches accounts of any team: the team's own first.
        let config = self.config;
        let envs = t.accounts.values().chain(
            config
                .teams
                .values()
                .filter(|o| o.name != t.name)
                .flat_map(|o| o.accounts.values()),
        );
        for env in envs {
            let account = &env.account_id.value;
            let role = config.deployer_role(env);
            let role_arn = format!("arn:aws:iam::{account}:role/{role}");
            let principal = Principal::parse(&format!(
                "arn:aws:sts::{account}:assumed-role/{role}/iamctl"
            ));
            let mut ctx = Context::new();
            ctx.set("aws:PrincipalArn", role_arn.clone());
            ctx.set("aws:PrincipalAccount", account.clone());
            let set = PolicySet {
                identity: vec![&policy],
                ..PolicySet::default()
            };
            let denied: Vec<&String> = actions
                .iter()
                .filter(|a| {
                    let req = Request::new(principal.clone(), a, "*", Some(account), ctx.clone());
                    decision(&req, &set) == Decision::ExplicitDeny
                })
                .collect();
            if let Some(first) = denied.first() {
                let more = match denied.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                };
                self.error(
                    &p.key.span,
                    format!(
                        "SCP `{name}` denies the deployer role `{role_arn}` `{first}`{more}: apply could no longer run in `{}`",
                        env.name.value
                    ),
                )
                .help = Some(format!(
                    "exempt the deployer, e.g. a condition `ArnNotLike: {{aws:PrincipalArn: \"arn:aws:iam::*:role/{role}\"}}`"
                ));
                return;
            }
        }
    }

    /// At most 5 SCPs (and 5 RCPs) on one target, from all teams together
    /// (the policies iamctl does not manage come on top: plan checks those).
    fn per_target_limit(&mut self) {
        for ((kind, target), policies) in by_target(self.config) {
            if policies.len() <= MAX_POLICIES_PER_TARGET {
                continue;
            }
            let (_, last) = policies[policies.len() - 1];
            let word = match kind {
                OrgPolicyKind::ServiceControlPolicy => "SCPs",
                OrgPolicyKind::ResourceControlPolicy => "RCPs",
            };
            self.error(
                &last.key.span,
                format!(
                    "{} {word} target `{target}`; AWS Organizations attaches at most {MAX_POLICIES_PER_TARGET} to one root, OU or account",
                    policies.len()
                ),
            );
        }
    }
}
