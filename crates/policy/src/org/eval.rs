//! One request across the organisation, as AWS decides it: the principal's
//! account gives the identity side and the SCPs on its path; the resource's
//! account gives the resource-based policy and the RCPs on its path; S3
//! Block Public Access and the exemptions of the management account and
//! service-linked roles apply. Sources are cited in `tests.rs`.

use super::reason::{Exemption, OrgEvaluation, OrgNote, Origin, Reason};
use super::{Level, Organization};
use crate::account::EntityKind;
use crate::eval::{evaluate, Context, Effect, Layer, Note, PolicySet, Request};

/// The services whose resources RCPs restrict ("List of AWS services that
/// support RCPs", orgs_manage_policies_rcps): Amazon S3, AWS STS, AWS KMS,
/// Amazon SQS, AWS Secrets Manager (at launch), Amazon ECR and OpenSearch
/// Serverless (June 2025), Amazon Cognito and CloudWatch Logs (2026).
pub const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "aoss",
    "cognito-idp",
    "logs",
];

/// A request of one principal, with the policies that take part.
pub struct Prepared<'o> {
    pub request: Request,
    pub set: PolicySet<'o>,
    pub notes: Vec<OrgNote>,
    /// The principal's member, and the resource's (when in the
    /// organisation).
    pub member: usize,
    pub resource_member: Option<usize>,
    /// Whether `set.scps` / `set.rcps` follow the members' levels.
    pub scps: bool,
    pub rcps: bool,
    /// The resource whose policy takes part, as the snapshot names it (a
    /// bucket for an object).
    pub resource_arn: Option<String>,
}

fn levels<'o>(
    org: &'o Organization,
    levels: &'o [Level],
    scp: bool,
) -> Vec<Vec<&'o crate::eval::Policy>> {
    levels
        .iter()
        .map(|l| {
            let ids = if scp { &l.scps } else { &l.rcps };
            ids.iter().map(|&i| &org.policies[i].policy).collect()
        })
        .collect()
}

impl Organization {
    /// The request of principal `p` of member `m` for `action` on
    /// `resource` (or on some resource, without one), with every policy
    /// that takes part.
    pub fn prepare(
        &self,
        m: usize,
        p: usize,
        action: &str,
        resource: Option<&str>,
        base: &Context,
    ) -> Prepared<'_> {
        let member = &self.members[m];
        let entity = &member.account.principals[p];
        let mut notes = Vec::new();
        let known = resource.and_then(|r| self.resource(r));
        let resource_member = match (known, resource) {
            (Some(r), _) => Some(r.member),
            (None, Some(r)) => match crate::eval::Principal::parse(r).account.as_str() {
                "" => Some(m),
                id => self.member_by_id(id),
            },
            (None, None) => None,
        };
        let resource_account = match (resource_member, resource) {
            (Some(rm), _) => self.members[rm].id.clone(),
            (None, Some(r)) => crate::eval::Principal::parse(r).account,
            (None, None) => member.id.clone(),
        };
        let mut ctx = base.clone();
        member.account.principal_context(entity, &mut ctx);
        ctx.set_default("aws:PrincipalOrgID", self.id.clone());
        ctx.set_default("aws:PrincipalIsAWSService", "false");
        if resource.is_some() {
            ctx.set_default("aws:ResourceAccount", resource_account.clone());
            if resource_member.is_some() {
                ctx.set_default("aws:ResourceOrgID", self.id.clone());
            }
        }
        let request = Request::new(
            member.account.request_principal(entity),
            action,
            resource.unwrap_or("*"),
            Some(&resource_account),
            ctx,
        );
        let mut set = member.account.policy_set(entity);
        let action_lower = action.to_ascii_lowercase();
        // The resource-based policy: the resource's own, or a role's trust
        // policy for `sts:` actions on it.
        set.resource = match (known, resource, resource_member) {
            (Some(r), _, _) => r.policy.as_ref(),
            (None, Some(r), Some(rm)) => {
                self.members[rm].account.implied_resource_policy(action, r)
            }
            _ => None,
        };
        if let (Some(r), Some(pol)) = (known, set.resource) {
            let account_level = self.members[r.member]
                .public_access_block
                .is_some_and(|b| b.restrict_public_buckets);
            let bucket_level = r
                .public_access_block
                .is_some_and(|b| b.restrict_public_buckets);
            if (account_level || bucket_level) && pol.statements.iter().any(|s| s.is_public()) {
                set.resource = None;
                notes.push(OrgNote::BlockPublicAccess {
                    bucket: r.arn.clone(),
                    account_level,
                });
            }
        }
        if action_lower.starts_with("kms:") && set.resource.is_none() {
            if let Some(r) = resource.filter(|r| r.contains(":key/")) {
                notes.push(OrgNote::KeyPolicyAssumed(r.to_owned()));
            }
        }
        let service_linked =
            entity.kind == EntityKind::Role && entity.path.starts_with("/aws-service-role/");
        let scps = self.scps_enabled && !service_linked && member.id != self.management;
        if scps {
            set.scps = levels(self, &member.levels, true);
        } else if self.scps_enabled {
            notes.push(OrgNote::ScpsNotApplied(if service_linked {
                Exemption::ServiceLinkedRole
            } else {
                Exemption::ManagementAccount
            }));
        }
        let service = action_lower.split(':').next().unwrap_or("");
        let rcp_exemption = match resource_member {
            _ if resource.is_none() => None,
            None => Some(Exemption::OutsideOrganization),
            Some(rm) if self.members[rm].id == self.management => {
                Some(Exemption::ManagementAccount)
            }
            Some(_) if service_linked => Some(Exemption::ServiceLinkedRole),
            Some(_) if !RCP_SERVICES.contains(&service) => Some(Exemption::ServiceNotCovered),
            Some(_) if known.is_some_and(|r| r.aws_managed) => Some(Exemption::AwsManagedKey),
            Some(_) => None,
        };
        let has_rcps = self
            .policies
            .iter()
            .any(|p| p.kind == crate::snapshot::org::OrgPolicyType::ResourceControlPolicy);
        let rcps = resource.is_some() && rcp_exemption.is_none() && has_rcps;
        if rcps {
            if let Some(rm) = resource_member {
                set.rcps = levels(self, &self.members[rm].levels, false);
            }
        } else if let (Some(why), true) = (rcp_exemption, has_rcps) {
            notes.push(OrgNote::RcpsNotApplied(why));
        }
        Prepared {
            request,
            set,
            notes,
            member: m,
            resource_member,
            scps,
            rcps,
            resource_arn: known.map(|r| r.arn.clone()).or(resource.map(str::to_owned)),
        }
    }

    /// Evaluates one request of principal `p` of member `m`, naming the
    /// deciding statements and where SCPs and RCPs sit.
    pub fn evaluate(
        &self,
        m: usize,
        p: usize,
        action: &str,
        resource: Option<&str>,
        base: &Context,
    ) -> OrgEvaluation {
        let prepared = self.prepare(m, p, action, resource, base);
        self.explain(&prepared)
    }

    /// The engine's answer for a prepared request, with reasons as data.
    pub fn explain(&self, prepared: &Prepared<'_>) -> OrgEvaluation {
        let member = &self.members[prepared.member];
        let rmember = prepared.resource_member.map(|rm| &self.members[rm]);
        let e = evaluate(&prepared.request, &prepared.set);
        let reasons = e
            .matched
            .iter()
            .map(|hit| {
                let origin = match hit.layer {
                    Layer::Identity => Origin::Identity {
                        account: member.id.clone(),
                    },
                    Layer::PermissionsBoundary => Origin::PermissionsBoundary {
                        account: member.id.clone(),
                    },
                    Layer::Session => Origin::Session,
                    Layer::Resource => Origin::Resource {
                        arn: prepared.resource_arn.clone().unwrap_or_default(),
                        account: prepared.request.resource_account.clone(),
                    },
                    Layer::Scp(level) => org_origin(self, &member.levels[level], hit.policy, true),
                    Layer::Rcp(level) => match rmember {
                        Some(rm) => org_origin(self, &rm.levels[level], hit.policy, false),
                        None => Origin::Session,
                    },
                };
                Reason {
                    policy: hit.policy.to_owned(),
                    sid: hit.sid.map(str::to_owned),
                    statement: hit.index,
                    effect: match hit.effect {
                        Effect::Allow => "Allow",
                        Effect::Deny => "Deny",
                    },
                    origin,
                }
            })
            .collect();
        let mut notes = prepared.notes.clone();
        notes.extend(e.notes.into_iter().map(|n| match n {
            Note::ScpLevelDoesNotAllow(level) => {
                OrgNote::ScpDoesNotAllow(member.levels[level].place.clone())
            }
            n => OrgNote::Engine(n),
        }));
        OrgEvaluation {
            decision: e.decision,
            principal: prepared.request.principal.arn.clone(),
            principal_account: member.id.clone(),
            resource_account: prepared.request.resource_account.clone(),
            reasons,
            notes,
        }
    }
}

/// The SCP or RCP named `name` among a level's.
fn org_origin(org: &Organization, level: &Level, name: &str, scp: bool) -> Origin {
    let ids = if scp { &level.scps } else { &level.rcps };
    let policy_id = ids
        .iter()
        .map(|&i| &org.policies[i])
        .find(|p| p.policy.name == name)
        .map(|p| p.id.clone())
        .unwrap_or_default();
    let place = level.place.clone();
    if scp {
        Origin::Scp { policy_id, place }
    } else {
        Origin::Rcp { policy_id, place }
    }
}
