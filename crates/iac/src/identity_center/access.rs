//! What each person gains or loses through an Identity Center plan, computed
//! by the engine over the permission set's whole policy set: each set
//! becomes the role AWS makes of it in an account (inline policy, AWS- and
//! customer-managed policies, boundary), and [`crate::access::access_changes`]
//! compares the account without and with that role, over every action AWS
//! documents. A group assignment is said for each member, naming the group.
//!
//! Policy documents Identity Center does not hold (AWS- and
//! customer-managed policies, a managed boundary) come from the caller, read
//! from IAM; one that is missing is named in `not_counted`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_config::identity_center::{
    Boundary, DesiredIdentityCenter, DesiredPermissionSet, SsoPrincipal,
};
use iamctl_config::rfc3339;
use iamctl_policy::snapshot::{
    AttachedPolicy, Boundary as RoleBoundary, Document, InlinePolicy, ManagedPolicy, PolicyVersion,
    Role, Snapshot,
};
use jiff::Timestamp;

use super::change::{IcChange, IcPlan, PersonAccess};
use super::plan::expiry;
use super::state::{IcPermissionSet, IdentityCenterState, PrincipalType};
use crate::access::access_changes;

mod changed;

/// Managed policy documents by ARN (`arn:aws:iam::aws:policy/...`, or a
/// customer-managed policy's ARN in the account).
pub type PolicyDocs = BTreeMap<String, Document>;

/// A permission set's policies, from the configuration or as read.
struct SetPolicies {
    inline: Option<Document>,
    managed: Vec<String>,
    customer: Vec<(String, String)>,
    boundary: Option<Boundary>,
}

impl SetPolicies {
    fn desired(s: &DesiredPermissionSet) -> SetPolicies {
        SetPolicies {
            inline: s.inline_policy.clone().map(Document::new),
            managed: s.managed_policies.clone(),
            customer: s.customer_managed.clone(),
            boundary: s.permissions_boundary.clone(),
        }
    }

    fn actual(s: &IcPermissionSet) -> SetPolicies {
        SetPolicies {
            inline: s
                .inline_policy
                .clone()
                .map(|t| Document::new(serde_json::Value::String(t))),
            managed: s.managed_policies.iter().cloned().collect(),
            customer: s
                .customer_managed
                .iter()
                .map(|r| (r.name.clone(), r.path.clone()))
                .collect(),
            boundary: s.boundary.clone(),
        }
    }
}

fn customer_arn(account: &str, name: &str, path: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// The account holding only the role AWS provisions for `set`; the policies
/// whose documents were missing.
fn role_account(
    set: &str,
    p: &SetPolicies,
    account: &str,
    docs: &PolicyDocs,
) -> (Snapshot, Vec<String>) {
    let mut snap = Snapshot::new();
    let mut missing = Vec::new();
    let mut role = Role {
        path: "/aws-reserved/sso.amazonaws.com/".into(),
        role_name: format!("AWSReservedSSO_{set}"),
        arn: format!(
            "arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{set}"
        ),
        ..Role::default()
    };
    if let Some(doc) = &p.inline {
        role.role_policy_list.push(InlinePolicy {
            policy_name: "AwsSSOInlinePolicy".into(),
            policy_document: Some(doc.clone()),
        });
    }
    let mut add_managed = |arn: String, snap: &mut Snapshot| -> bool {
        let Some(doc) = docs.get(&arn) else {
            missing.push(arn);
            return false;
        };
        if !snap.policies.iter().any(|x| x.arn == arn) {
            snap.policies.push(ManagedPolicy {
                policy_name: arn.rsplit('/').next().unwrap_or_default().to_owned(),
                arn: arn.clone(),
                path: "/".into(),
                default_version_id: Some("v1".into()),
                policy_version_list: vec![PolicyVersion {
                    document: Some(doc.clone()),
                    version_id: "v1".into(),
                    is_default_version: true,
                    create_date: None,
                }],
                ..ManagedPolicy::default()
            });
        }
        true
    };
    let arns = p.managed.iter().cloned().chain(
        p.customer
            .iter()
            .map(|(n, path)| customer_arn(account, n, path)),
    );
    for arn in arns {
        if add_managed(arn.clone(), &mut snap) {
            role.attached_managed_policies.push(AttachedPolicy {
                policy_name: None,
                policy_arn: arn,
            });
        }
    }
    if let Some(b) = &p.boundary {
        let arn = match b {
            Boundary::AwsManaged(arn) => arn.clone(),
            Boundary::CustomerManaged { name, path } => customer_arn(account, name, path),
        };
        if add_managed(arn.clone(), &mut snap) {
            role.permissions_boundary = Some(RoleBoundary {
                permissions_boundary_type: Some("Policy".into()),
                permissions_boundary_arn: arn,
            });
        }
    }
    snap.role_detail_list.push(role);
    (snap, missing)
}

/// Service → access level → how many actions, for one direction of change.
type Counts = BTreeMap<String, BTreeMap<String, usize>>;

/// Per (set, account, gained): gains, losses, risky actions, policies not read.
type Effect = (Counts, Counts, Vec<String>, Vec<String>);

/// What changes between `before` and `after` for the role: (gains, losses,
/// risky actions gained).
fn diff(before: &Snapshot, after: &Snapshot, now: Timestamp) -> (Counts, Counts, Vec<String>) {
    let mut gains = Counts::new();
    let mut losses = Counts::new();
    let mut risky = Vec::new();
    for c in access_changes(before, after, now, &HashMap::new()) {
        let into = match c.change.as_str() {
            "gains" => &mut gains,
            "loses" => &mut losses,
            _ => continue,
        };
        if c.change == "gains" {
            risky.extend(c.risky.iter().map(|r| r.action.clone()));
        }
        for (service, levels) in c.actions {
            for (level, actions) in levels {
                *into
                    .entry(service.clone())
                    .or_default()
                    .entry(level)
                    .or_default() += actions.len();
            }
        }
    }
    (gains, losses, risky)
}

/// Who a principal is, as people: a user, or each member of a group.
fn people(
    t: PrincipalType,
    name: &str,
    desired: &DesiredIdentityCenter,
    actual: &IdentityCenterState,
) -> Vec<(String, Option<String>)> {
    match t {
        PrincipalType::User => vec![(name.to_owned(), None)],
        PrincipalType::Group => {
            let members = match desired.groups.iter().find(|g| g.display_name == name) {
                Some(g) => g.members.clone(),
                None => actual
                    .group_by_name(name)
                    .map(|g| actual.members_of(&g.group_id))
                    .unwrap_or_default(),
            };
            if members.is_empty() {
                // Said of the group, so that its assignment is not silent.
                return vec![(format!("group {name} (no members yet)"), None)];
            }
            members
                .into_iter()
                .map(|m| (m, Some(name.to_owned())))
                .collect()
        }
    }
}

/// Adds to `p.access` what each person gains or loses: through each
/// assignment created or removed, and through each set of ours whose
/// policies change while assigned. `environments` names accounts.
pub fn add_person_access(
    p: &mut IcPlan,
    desired: &DesiredIdentityCenter,
    actual: &IdentityCenterState,
    docs: &PolicyDocs,
    environments: &BTreeMap<String, String>,
    now: Timestamp,
) {
    let mut out = Vec::new();
    let env = |account: &str| {
        environments
            .get(account)
            .cloned()
            .unwrap_or_else(|| account.to_owned())
    };
    let mut cache: HashMap<(String, String, bool), Effect> = HashMap::new();
    let empty = Snapshot::new();
    for c in &p.changes {
        let (set, account, t, principal, gains) = match c {
            IcChange::CreateAssignment {
                set,
                account_id,
                principal_type,
                principal,
                ..
            } => (set, account_id, *principal_type, principal, true),
            IcChange::DeleteAssignment {
                set,
                account_id,
                principal_type,
                principal,
                ..
            } => (set, account_id, *principal_type, principal, false),
            _ => continue,
        };
        let policies = if gains {
            desired
                .permission_sets
                .iter()
                .find(|s| &s.name == set)
                .map(SetPolicies::desired)
        } else {
            actual.set_by_name(set).map(SetPolicies::actual)
        };
        let Some(policies) = policies else { continue };
        let (g, l, risky, missing) = cache
            .entry((set.clone(), account.clone(), gains))
            .or_insert_with(|| {
                let (role, missing) = role_account(set, &policies, account, docs);
                let (g, l, r) = if gains {
                    diff(&empty, &role, now)
                } else {
                    diff(&role, &empty, now)
                };
                (g, l, r, missing)
            });
        let until = if gains {
            desired
                .assignments
                .iter()
                .find(|a| {
                    &a.permission_set == set
                        && &a.account_id == account
                        && principal_is(&a.principal, t, principal)
                })
                .and_then(|a| a.expires)
        } else {
            actual.set_by_name(set).and_then(expiry)
        };
        for (person, via_group) in people(t, principal, desired, actual) {
            out.push(PersonAccess {
                person,
                change: if gains { "gains" } else { "loses" }.into(),
                environment: env(account),
                account_id: account.clone(),
                permission_set: set.clone(),
                via_group,
                until: until.map(rfc3339),
                actions: if gains { g.clone() } else { l.clone() },
                risky: risky.clone(),
                not_counted: missing.clone(),
            });
        }
    }
    let env_of = |a: &str| env(a);
    changed::changed_sets(p, desired, actual, docs, &env_of, now, &mut out);
    out.sort_by(|a, b| {
        (&a.person, &a.account_id, &a.change, &a.permission_set).cmp(&(
            &b.person,
            &b.account_id,
            &b.change,
            &b.permission_set,
        ))
    });
    p.access.extend(out);
}

fn principal_is(p: &SsoPrincipal, t: PrincipalType, name: &str) -> bool {
    match p {
        SsoPrincipal::User(n) => t == PrincipalType::User && n == name,
        SsoPrincipal::Group(n) => t == PrincipalType::Group && n == name,
    }
}

/// Access levels (AWS's words), the most powerful first.
const LEVELS: &[&str] = &["Permissions management", "Write", "Tagging", "Read", "List"];

/// Service levels a sentence names before it counts the rest.
pub const SENTENCE_PARTS: usize = 8;

impl PersonAccess {
    /// `bert@example.com gains in prod (345678901234) via boto3 (temporary,
    /// until 2026-12-10T18:00:00Z): iam write 2 actions, s3 write 2`.
    pub fn sentence(&self) -> String {
        let mut out = format!(
            "{} {} in {} ({}) via {}",
            self.person, self.change, self.environment, self.account_id, self.permission_set
        );
        if let Some(g) = &self.via_group {
            out.push_str(&format!(" through group {g}"));
        }
        if let Some(u) = &self.until {
            out.push_str(&format!(" (temporary, until {u})"));
        }
        out.push_str(": ");
        // The most powerful access levels first; past [`SENTENCE_PARTS`]
        // service levels, how many more and their actions.
        let mut all: Vec<(usize, &str, &str, usize)> = self
            .actions
            .iter()
            .flat_map(|(service, levels)| {
                levels.iter().map(move |(level, n)| {
                    let rank = LEVELS
                        .iter()
                        .position(|l| l == level)
                        .unwrap_or(LEVELS.len());
                    (rank, service.as_str(), level.as_str(), *n)
                })
            })
            .collect();
        all.sort();
        let mut parts: Vec<String> = all
            .iter()
            .take(SENTENCE_PARTS)
            .map(|(_, service, level, n)| format!("{service} {} {n}", level.to_ascii_lowercase()))
            .collect();
        if parts.is_empty() {
            out.push_str("no action");
        } else {
            let word = if parts[0].ends_with(" 1") {
                " action"
            } else {
                " actions"
            };
            parts[0].push_str(word);
            out.push_str(&parts.join(", "));
        }
        if all.len() > SENTENCE_PARTS {
            let rest = &all[SENTENCE_PARTS..];
            let services: BTreeSet<&str> = rest.iter().map(|x| x.1).collect();
            let actions: usize = rest.iter().map(|x| x.3).sum();
            out.push_str(&format!(
                ", and {actions} more actions in {} services",
                services.len()
            ));
        }
        if !self.risky.is_empty() {
            let mut named: Vec<&str> = self.risky.iter().take(6).map(String::as_str).collect();
            let more = format!("and {} more", self.risky.len().saturating_sub(6));
            if self.risky.len() > 6 {
                named.push(&more);
            }
            out.push_str(&format!("; risky: {}", named.join(", ")));
        }
        if !self.not_counted.is_empty() {
            out.push_str(&format!(
                " (not counted, not read: {})",
                self.not_counted.join(", ")
            ));
        }
        out
    }
}
