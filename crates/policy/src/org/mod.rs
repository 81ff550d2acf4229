//! An organisation compiled for evaluation: every account's IAM (as
//! [`Account`]), the SCP and RCP levels on each account's path from the
//! root, and the resource-based policies of every account's resources. The
//! evaluation across accounts is in [`eval`]; `who-can` and `access` over
//! the organisation in [`who_can`].

mod err;
pub mod eval;
mod place;
mod reason;
#[cfg(test)]
mod tests;
pub mod who_can;

use std::collections::HashMap;

use crate::account::Account;
use crate::eval::Policy;
use crate::snapshot::org::{OrgPolicyType, OrgSnapshot, PublicAccessBlock, ResourceService};

pub use err::OrgAnalysisError;
pub use eval::{Prepared, RCP_SERVICES};
pub use place::Place;
pub use reason::{Exemption, OrgEvaluation, OrgNote, Origin, Reason};
pub use who_can::{access, who_can, OrgAccess, OrgGrant};

/// An SCP or RCP, compiled.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    pub id: String,
    pub kind: OrgPolicyType,
    /// Named by the policy's name in reasons.
    pub policy: Policy,
}

/// One level of an account's path: where, and the SCPs and RCPs attached
/// there (indices into [`Organization::policies`]).
#[derive(Debug, Clone)]
pub struct Level {
    pub place: Place,
    pub scps: Vec<usize>,
    pub rcps: Vec<usize>,
}

/// An account of the organisation.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub account: Account,
    /// Whether the snapshot holds the account's IAM.
    pub collected: bool,
    /// Root first, the account itself last.
    pub levels: Vec<Level>,
    pub public_access_block: Option<PublicAccessBlock>,
}

/// A resource with a resource-based policy (or S3 settings).
#[derive(Debug, Clone)]
pub struct Resource {
    pub arn: String,
    pub service: ResourceService,
    /// Index into [`Organization::members`].
    pub member: usize,
    pub policy: Option<Policy>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// KMS: an AWS managed key.
    pub aws_managed: bool,
}

/// The organisation, compiled.
#[derive(Debug, Clone, Default)]
pub struct Organization {
    pub id: String,
    pub management: String,
    pub members: Vec<Member>,
    pub policies: Vec<OrgPolicy>,
    pub resources: Vec<Resource>,
    /// Whether the SCP policy type is in use (some SCP in the snapshot).
    pub scps_enabled: bool,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_arn: HashMap<String, usize>,
    /// Documents that could not be compiled, accounts not collected.
    pub warnings: Vec<String>,
}

/// Every collected account's IAM compiled, in snapshot order, on every
/// core.
fn compile_accounts(snap: &OrgSnapshot, only: Option<&str>) -> Vec<Option<Account>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let share = snap.accounts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = snap
            .accounts
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|a| match a.iam.as_ref() {
                            Some(_) if only.is_some_and(|id| id != a.id) => {
                                Some(Account::default())
                            }
                            iam => iam.map(Account::from_snapshot),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

impl Organization {
    /// Compiles a (checked) organisation snapshot. Documents that cannot be
    /// compiled are left out with a warning.
    pub fn from_snapshot(snap: &OrgSnapshot) -> Organization {
        Organization::from_snapshot_for(snap, None)
    }

    /// [`Organization::from_snapshot`] with the IAM of one account only
    /// (by ID): the others' principals are left out, their tree, SCPs, RCPs
    /// and resource policies kept. For questions about one principal.
    pub fn from_snapshot_for(snap: &OrgSnapshot, only: Option<&str>) -> Organization {
        let mut org = Organization {
            id: snap.organization_id.clone(),
            management: snap.management_account_id.clone(),
            ..Organization::default()
        };
        let mut targets: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
        for p in &snap.organization_policies {
            let compiled = p
                .document
                .json()
                .ok_or_else(|| format!("`{}`: the document is not JSON", p.name))
                .and_then(|doc| Policy::from_json(&p.name, doc).map_err(|e| e.to_string()));
            match compiled {
                Ok(policy) => {
                    let i = org.policies.len();
                    org.policies.push(OrgPolicy {
                        id: p.id.clone(),
                        kind: p.kind,
                        policy,
                    });
                    for t in &p.targets {
                        let slot = targets.entry(t.as_str()).or_default();
                        match p.kind {
                            OrgPolicyType::ServiceControlPolicy => slot.0.push(i),
                            OrgPolicyType::ResourceControlPolicy => slot.1.push(i),
                        }
                    }
                }
                Err(e) => org.warnings.push(format!("organization policy {e}")),
            }
        }
        org.scps_enabled = snap
            .organization_policies
            .iter()
            .any(|p| p.kind == OrgPolicyType::ServiceControlPolicy);
        let level = |place: Place, id: &str| {
            let (scps, rcps) = targets.get(id).cloned().unwrap_or_default();
            Level { place, scps, rcps }
        };
        let mut compiled = compile_accounts(snap, only).into_iter();
        for a in &snap.accounts {
            let mut levels = vec![level(
                Place::Account {
                    id: a.id.clone(),
                    name: a.name.clone(),
                },
                &a.id,
            )];
            let mut at = a.parent_id.as_str();
            for _ in 0..=snap.organizational_units.len() {
                if at == snap.root_id {
                    levels.push(level(Place::Root, at));
                    break;
                }
                let Some(ou) = snap.organizational_units.iter().find(|o| o.id == at) else {
                    break;
                };
                levels.push(level(
                    Place::Ou {
                        id: ou.id.clone(),
                        path: snap.ou_path(&ou.id),
                    },
                    &ou.id,
                ));
                at = &ou.parent_id;
            }
            levels.reverse();
            let account = match compiled.next().flatten() {
                Some(account) => account,
                None => {
                    org.warnings.push(format!(
                        "account `{}` (`{}`) was not collected: its principals are not in the answers",
                        a.name, a.id
                    ));
                    Account::default()
                }
            };
            for w in &account.warnings {
                org.warnings.push(format!("account `{}`: {w}", a.name));
            }
            let member = org.members.len();
            org.by_id.insert(a.id.clone(), member);
            org.by_name.entry(a.name.clone()).or_default().push(member);
            for r in &a.resource_policies {
                let policy = r.document.as_ref().and_then(|d| d.json()).and_then(|doc| {
                    match Policy::resource_based_from_json(&r.arn, doc) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            org.warnings.push(format!("`{}`: {e}", r.arn));
                            None
                        }
                    }
                });
                org.by_arn.insert(r.arn.clone(), org.resources.len());
                org.resources.push(Resource {
                    arn: r.arn.clone(),
                    service: r.service,
                    member,
                    policy,
                    public_access_block: r.public_access_block,
                    aws_managed: r.key_manager.as_deref() == Some("AWS"),
                });
            }
            org.members.push(Member {
                id: a.id.clone(),
                name: a.name.clone(),
                account,
                collected: a.iam.is_some(),
                levels,
                public_access_block: a.s3_public_access_block,
            });
        }
        org
    }

    /// The member with this account ID or name (a name several accounts
    /// share is refused).
    pub fn member(&self, key: &str) -> Result<usize, OrgAnalysisError> {
        if let Some(&i) = self.by_id.get(key) {
            return Ok(i);
        }
        match self.by_name.get(key).map(Vec::as_slice) {
            Some([i]) => Ok(*i),
            Some(_) => Err(OrgAnalysisError::AmbiguousAccount(key.to_owned())),
            None => Err(OrgAnalysisError::NoAccount(key.to_owned())),
        }
    }

    /// The member owning an account ID, if in the organisation.
    pub fn member_by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The resource with a policy (or S3 settings) that `arn` falls under:
    /// the resource itself, an S3 object's bucket, a Lambda function's
    /// version or alias.
    pub fn resource(&self, arn: &str) -> Option<&Resource> {
        if let Some(&i) = self.by_arn.get(arn) {
            return Some(&self.resources[i]);
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let base = match parts.as_slice() {
            ["arn", _, "s3", "", "", rest] => {
                let bucket = rest.split('/').next().unwrap_or("");
                arn[..arn.len() - rest.len()].to_owned() + bucket
            }
            ["arn", _, "lambda", _, _, rest] if rest.matches(':').count() >= 2 => {
                arn[..arn.rfind(':').unwrap_or(arn.len())].to_owned()
            }
            _ => return None,
        };
        self.by_arn.get(&base).map(|&i| &self.resources[i])
    }

    /// A user or role: its ARN (the account is read from it), or its name
    /// in `account` or, without one, in the one account that has it.
    pub fn principal(
        &self,
        key: &str,
        account: Option<&str>,
    ) -> Result<(usize, usize), OrgAnalysisError> {
        let in_arn = crate::eval::Principal::parse(key).account;
        let pinned = match (account, in_arn.is_empty()) {
            (Some(a), _) => Some(self.member(a)?),
            (None, false) => Some(
                self.member_by_id(&in_arn)
                    .ok_or_else(|| OrgAnalysisError::NoAccount(in_arn.clone()))?,
            ),
            (None, true) => None,
        };
        if let Some(m) = pinned {
            return self.members[m]
                .account
                .principal_index(key)
                .map(|p| (m, p))
                .ok_or_else(|| OrgAnalysisError::NoPrincipal {
                    key: key.to_owned(),
                    account: self.members[m].name.clone(),
                });
        }
        let found: Vec<(usize, usize)> = self
            .members
            .iter()
            .enumerate()
            .filter_map(|(m, member)| member.account.principal_index(key).map(|p| (m, p)))
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(OrgAnalysisError::NoPrincipalAnywhere(key.to_owned())),
            many => Err(OrgAnalysisError::AmbiguousPrincipal {
                key: key.to_owned(),
                accounts: many
                    .iter()
                    .map(|&(m, _)| self.members[m].name.clone())
                    .collect(),
            }),
        }
    }

    /// The SCPs on member `m`'s path, root first, as the escalation analysis
    /// takes them: none for the management account, or when the snapshot
    /// has no SCP (the policy type is not enabled).
    pub fn scp_levels(&self, m: usize) -> Vec<Vec<Policy>> {
        let member = &self.members[m];
        if !self.scps_enabled || member.id == self.management {
            return Vec::new();
        }
        member
            .levels
            .iter()
            .map(|l| {
                l.scps
                    .iter()
                    .map(|&i| self.policies[i].policy.clone())
                    .collect()
            })
            .collect()
    }

    /// How many users and roles the organisation has.
    pub fn principal_count(&self) -> usize {
        self.members
            .iter()
            .map(|m| m.account.principals.len())
            .sum()
    }
}
