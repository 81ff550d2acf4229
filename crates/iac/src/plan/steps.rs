//! The planner's steps, in the order [`super::plan`] runs them; each fills
//! the [`Report`]:
//!
//! 1. [`teams`]: what teams without files own is reported, and left out
//!    unless pruning was asked for;
//! 2. [`paths`]: a policy or group placed by default stays at the path the
//!    account holds it at;
//! 3. [`policies`]: customer-managed policies created, updated, tagged or
//!    moved, and `existing` ones checked;
//! 4. per wanted principal, [`principal`] (created, tagged, moved, its trust
//!    and boundary), [`grants`] (attachments, their records, inline
//!    policies) and [`memberships`];
//! 5. [`cleanup`]: what iamctl owns and the configuration no longer wants;
//! 6. [`Report::into_plan`]: what depends on a conflict waits.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_config::{
    expiring_copy, DesiredAccount, DesiredGroup, DesiredPolicy, DesiredRole, DesiredUser,
    PolicyBody, Tags,
};
use iamctl_policy::PolicyDocument;
use serde_json::{json, Value};

use super::{
    attachment_tag, group_attachment_tag, member_tag, owned, recorded, recorded_group_attachments,
    recorded_memberships, role_settings, ActualAccount, ActualPolicy, ActualPrincipal, Change,
    Conflict, Kind, Plan, PlanOptions, Warning, MAX_GROUP_RECORDS, STATE_KIND, STATE_USER,
    TAG_ROLE_SETTINGS, TAG_STATE,
};

/// What the steps find, in the order they find it.
#[derive(Debug, Default)]
pub(super) struct Report {
    changes: Vec<Change>,
    conflicts: Vec<Conflict>,
    warnings: Vec<Warning>,
    /// Policies a conflict stops: changes touching them wait.
    blocked_arns: BTreeSet<String>,
    /// Principals a conflict stops: changes touching them wait.
    blocked_principals: BTreeSet<(Kind, String)>,
    /// Records of attachments to groups iamctl does not own, to write on
    /// the state user (see [`state_records`]).
    group_records: Tags,
    /// Keys of such records to remove.
    group_forget: BTreeSet<String>,
}

impl Report {
    fn change(&mut self, c: Change) {
        self.changes.push(c);
    }

    fn conflict_on_policy(&mut self, arn: &str, c: Conflict) {
        self.blocked_arns.insert(arn.to_owned());
        self.conflicts.push(c);
    }

    /// Records that iamctl attaches `arn` to `group`, which it does not
    /// own; `false` (a conflict) when the record cannot be written.
    fn record_group_attachment(&mut self, x: &Inputs<'_>, group: &str, arn: &str) -> bool {
        let unrecordable = |reason: String| Conflict::GroupAttachmentUnrecordable {
            group: group.to_owned(),
            arn: arn.to_owned(),
            reason,
        };
        if x.actual.users.contains_key(STATE_USER) {
            self.conflicts.push(Conflict::StateUserNotOurs {
                name: STATE_USER.to_owned(),
            });
            return false;
        }
        let (key, value) = match group_attachment_tag(group, arn) {
            Ok(t) => t,
            Err(reason) => {
                self.conflicts.push(unrecordable(reason));
                return false;
            }
        };
        let held = recorded_group_attachments(x.actual.state.as_ref()).len();
        if held + self.group_records.len() >= MAX_GROUP_RECORDS {
            self.conflicts.push(unrecordable(format!(
                "it holds {MAX_GROUP_RECORDS} records already (IAM allows 50 tags on a user)"
            )));
            return false;
        }
        self.group_records.insert(key, value);
        true
    }

    fn conflict_on_principal(&mut self, kind: Kind, name: &str, c: Conflict) {
        self.blocked_principals.insert((kind, name.to_owned()));
        self.conflicts.push(c);
    }

    /// Step 6: the plan. Changes that depend on a conflict wait for it (a
    /// policy or principal it stops, a membership of a missing user, a trust
    /// naming one); every other change goes ahead. Both lists in phase order.
    pub(super) fn into_plan(self, desired: &DesiredAccount, actual: &ActualAccount) -> Plan {
        let Report {
            changes,
            conflicts,
            warnings,
            blocked_arns,
            blocked_principals,
            ..
        } = self;
        let account_prefix = format!("arn:aws:iam::{}:user", desired.account_id);
        let missing_users: Vec<&String> = blocked_principals
            .iter()
            .filter(|(k, _)| *k == Kind::User)
            .map(|(_, n)| n)
            .collect();
        let depends = |c: &Change| -> bool {
            if c.policy_arn().is_some_and(|a| blocked_arns.contains(a)) {
                return true;
            }
            if let Some((kind, name)) = c.principal() {
                if blocked_principals.contains(&(kind, name.to_owned())) {
                    return true;
                }
            }
            match c {
                Change::AddMember { user, .. } | Change::RemoveMember { user, .. } => {
                    blocked_principals.contains(&(Kind::User, user.clone()))
                }
                // A trust naming a user that does not exist: IAM refuses it.
                Change::CreateRole { trust, .. } | Change::UpdateTrust { new: trust, .. } => {
                    let text = trust.to_string();
                    missing_users.iter().any(|u| {
                        text.contains(&format!("{account_prefix}/{u}\""))
                            || (text.contains(&account_prefix) && text.contains(&format!("/{u}\"")))
                    })
                }
                _ => false,
            }
        };
        let (mut blocked, mut changes): (Vec<Change>, Vec<Change>) =
            changes.into_iter().partition(|c| depends(c));
        changes.sort_by_key(Change::phase);
        blocked.sort_by_key(Change::phase);
        Plan {
            environment: desired.environment.clone(),
            account_id: desired.account_id.clone(),
            fingerprint: actual.fingerprint.clone(),
            changes,
            access: Vec::new(),
            warnings,
            conflicts,
            blocked,
            escalations: Vec::new(),
        }
    }
}

fn same_doc(a: &Value, b: &Value) -> bool {
    PolicyDocument::from_value(a.clone()).same_as(&PolicyDocument::from_value(b.clone()))
}

/// Keys `have` holds that `want` does not give (AWS's own `aws:` keys
/// aside): tags removed from the configuration.
fn extra_tags(have: &Tags, want: &Tags) -> Vec<String> {
    have.keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect()
}

/// Tags in `want` that `have` lacks or holds with another value.
fn missing_tags(have: &Tags, want: &Tags) -> Tags {
    want.iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Step 1: teams without files. Their resources are reported, and left
/// alone (taken out of the account the later steps see) unless pruning was
/// asked for.
pub(super) fn teams<'a>(
    actual: &'a ActualAccount,
    iam_path: &str,
    opts: &PlanOptions,
    report: &mut Report,
) -> Cow<'a, ActualAccount> {
    let Some(teams) = &opts.teams else {
        return Cow::Borrowed(actual);
    };
    for (team, resources) in actual.other_teams(teams, iam_path) {
        report.warnings.push(Warning::TeamWithoutFiles {
            team,
            resources,
            pruned: opts.prune_teams,
        });
    }
    if opts.prune_teams {
        Cow::Borrowed(actual)
    } else {
        Cow::Owned(actual.without_other_teams(teams, iam_path))
    }
}

/// Step 2: paths. A policy or group the configuration places by default (no
/// `path` written) that the account holds at another path stays there: a
/// change of the default (`iam_path`, or an older iamctl's `/`) moves
/// nothing. Every grant and boundary of such a policy names it where it is.
/// Only a `path` written in the configuration moves (see [`policies`]).
pub(super) fn paths<'a>(
    desired: &'a DesiredAccount,
    actual: &ActualAccount,
) -> Cow<'a, DesiredAccount> {
    let held_elsewhere = |name: &String, path: &str| {
        actual
            .policies
            .get(name)
            .filter(|have| have.path != path && !have.path.is_empty())
    };
    let stays = desired
        .policies
        .iter()
        .any(|(name, p)| p.managed && !p.path_set && held_elsewhere(name, &p.path).is_some())
        || desired.groups.values().any(|g| {
            g.managed
                && !g.path_set
                && actual
                    .groups
                    .get(&g.name)
                    .is_some_and(|h| !h.path.is_empty() && h.path != g.path)
        });
    if !stays {
        return Cow::Borrowed(desired);
    }
    let mut d = desired.clone();
    let mut renamed: HashMap<String, String> = HashMap::new();
    for (name, p) in &mut d.policies {
        if !p.managed || p.path_set {
            continue;
        }
        if let Some(have) = held_elsewhere(name, &p.path) {
            renamed.insert(p.arn.clone(), have.arn.clone());
            p.arn = have.arn.clone();
            p.path = have.path.clone();
        }
    }
    for g in d.groups.values_mut() {
        if let Some(h) = actual.groups.get(&g.name) {
            if g.managed && !g.path_set && !h.path.is_empty() {
                g.path = h.path.clone();
            }
        }
    }
    let rename = |set: &mut BTreeSet<String>| {
        *set = set
            .iter()
            .map(|a| renamed.get(a).unwrap_or(a).clone())
            .collect();
    };
    let rename_boundary = |b: &mut Option<String>| {
        if let Some(new) = b.as_ref().and_then(|a| renamed.get(a)) {
            *b = Some(new.clone());
        }
    };
    for u in d.users.values_mut() {
        rename(&mut u.attached);
        rename_boundary(&mut u.permissions_boundary);
    }
    for r in d.roles.values_mut() {
        rename(&mut r.attached);
        rename_boundary(&mut r.permissions_boundary);
    }
    for g in d.groups.values_mut() {
        rename(&mut g.attached);
    }
    Cow::Owned(d)
}

/// What the later steps need to know of the policies.
pub(super) struct Policies<'a> {
    /// Policies iamctl owns and wants: attachments of these that the
    /// configuration does not grant are removed even from `existing`
    /// principals.
    managed_arns: BTreeSet<&'a str>,
    /// Policies of ours the configuration no longer wants.
    gone: Vec<&'a ActualPolicy>,
}

impl Policies<'_> {
    fn is_gone(&self, arn: &str) -> bool {
        self.gone.iter().any(|g| g.arn == arn)
    }
}

/// The inputs every step reads.
pub(super) struct Inputs<'a> {
    pub desired: &'a DesiredAccount,
    pub actual: &'a ActualAccount,
    pub sources: &'a HashMap<String, Value>,
    pub opts: &'a PlanOptions,
}

impl Inputs<'_> {
    fn iam_path(&self) -> &str {
        &self.desired.iam_path
    }
}

/// Step 3: customer-managed policies. Ours are created, updated (a new
/// default version), tagged, or moved to the path written in the
/// configuration; an `existing` key's policy must be where the
/// configuration says; a policy of a wanted name that is not ours is a
/// conflict without `--adopt`.
pub(super) fn policies<'a>(x: &Inputs<'a>, report: &mut Report) -> Policies<'a> {
    let mut moved = BTreeSet::new();
    for (name, want) in &x.desired.policies {
        if !want.managed {
            existing_policy(x, name, want, report);
        } else if let Some(document) = document(x, name, want, report) {
            moved.extend(own_policy(x, name, want, document, report));
        }
    }
    let desired_arns: BTreeSet<&str> = x
        .desired
        .policies
        .values()
        .map(|d| d.arn.as_str())
        .collect();
    let gone = x
        .actual
        .policies
        .values()
        .filter(|a| a.ours(x.iam_path()) && !desired_arns.contains(a.arn.as_str()))
        .filter(|a| !moved.contains(&a.arn))
        .collect();
    Policies {
        managed_arns: x
            .desired
            .policies
            .values()
            .filter(|d| d.managed)
            .map(|d| d.arn.as_str())
            .collect(),
        gone,
    }
}

/// The document a policy of ours is to hold: as written, or the expiring
/// copy of its source. `None` (a conflict) when the source cannot be read
/// or the document is above IAM's 6,144 characters.
fn document(
    x: &Inputs<'_>,
    name: &str,
    want: &DesiredPolicy,
    report: &mut Report,
) -> Option<Value> {
    let document = match &want.body {
        PolicyBody::Document(d) => d.clone(),
        PolicyBody::ExpiringCopyOf {
            source_arn,
            expires_at,
        } => match x
            .actual
            .documents
            .get(source_arn)
            .or(x.sources.get(source_arn))
        {
            Some(src) => expiring_copy(src, *expires_at),
            None => {
                report.conflict_on_policy(
                    &want.arn,
                    Conflict::SourceUnreadable {
                        source: source_arn.clone(),
                        policy: name.to_owned(),
                    },
                );
                return None;
            }
        },
    };
    let size = PolicyDocument::from_value(document.clone()).size();
    if size > 6144 {
        report.conflict_on_policy(
            &want.arn,
            Conflict::PolicyTooLarge {
                policy: name.to_owned(),
                size,
            },
        );
        return None;
    }
    Some(document)
}

/// A policy of ours: created, moved to the path the configuration writes
/// (the old ARN returned), or updated where it is; one of a wanted name
/// that is not ours is a conflict without `--adopt`.
fn own_policy(
    x: &Inputs<'_>,
    name: &str,
    want: &DesiredPolicy,
    document: Value,
    report: &mut Report,
) -> Option<String> {
    match x.actual.policies.get(name) {
        None => report.change(Change::CreatePolicy {
            name: name.to_owned(),
            path: want.path.clone(),
            arn: want.arn.clone(),
            description: want.description.clone(),
            document,
            tags: want.tags.clone(),
        }),
        Some(have) if have.arn != want.arn && have.ours(x.iam_path()) => {
            // IAM cannot move a policy to another path, and its name is
            // unique in the account: the old one goes (detached from every
            // holder) and the new one is made, in one change.
            report.change(Change::MovePolicy {
                name: name.to_owned(),
                old_arn: have.arn.clone(),
                path: want.path.clone(),
                arn: want.arn.clone(),
                description: want.description.clone(),
                document,
                tags: want.tags.clone(),
            });
            return Some(have.arn.clone());
        }
        Some(have) if !have.ours(x.iam_path()) && !x.opts.adopt => {
            report.conflict_on_policy(
                &want.arn,
                Conflict::PolicyNotOurs {
                    policy: name.to_owned(),
                },
            );
        }
        Some(have) => update_policy(name, have, &want.tags, document, report),
    }
    None
}

/// A policy key declared `existing`: attach-only, never created, updated or
/// deleted; it must be where the configuration says, and a document other
/// than its `custom_statements` is a warning.
fn existing_policy(x: &Inputs<'_>, name: &str, want: &DesiredPolicy, report: &mut Report) {
    match x.actual.policies.get(name) {
        None => report.conflict_on_policy(
            &want.arn,
            Conflict::ExistingPolicyMissing {
                policy: name.to_owned(),
                account: x.desired.account_id.clone(),
                environment: x.desired.environment.clone(),
            },
        ),
        Some(have) if have.arn != want.arn => report.conflict_on_policy(
            &want.arn,
            Conflict::ExistingPolicyElsewhere {
                policy: name.to_owned(),
                arn: have.arn.clone(),
                wanted: want.arn.clone(),
            },
        ),
        Some(have) => {
            if let PolicyBody::Document(d) = &want.body {
                if !d.is_null() && !same_doc(&have.document, d) {
                    report.warnings.push(Warning::ExistingPolicyDiffers {
                        policy: name.to_owned(),
                    });
                }
            }
        }
    }
}

/// A policy of ours (or adopted) where the configuration wants it: its tags
/// and its default version.
fn update_policy(
    name: &str,
    have: &ActualPolicy,
    want_tags: &Tags,
    document: Value,
    report: &mut Report,
) {
    let new_document = !same_doc(&have.document, &document);
    // Tags not read (a policy under the IAM path of ours): written again
    // with every new document, so that a temporary grant's new expiry
    // (always in its document) is in its tag too.
    let missing = match (have.tags_read, new_document) {
        (true, _) => missing_tags(&have.tags, want_tags),
        (false, true) => want_tags.clone(),
        (false, false) => Tags::new(),
    };
    if !missing.is_empty() {
        report.change(Change::TagPolicy {
            arn: have.arn.clone(),
            tags: missing,
        });
    }
    let extra = if have.tags_read {
        extra_tags(&have.tags, want_tags)
    } else {
        Vec::new()
    };
    if !extra.is_empty() {
        report.change(Change::UntagPolicy {
            arn: have.arn.clone(),
            keys: extra,
        });
    }
    if new_document {
        // A version already holding the document (a lost reply's create, or
        // an earlier default): made the default, no duplicate pushed.
        let reuse = have
            .older
            .iter()
            .find(|(_, d)| same_doc(d, &document))
            .map(|(v, _)| v.clone());
        report.change(Change::UpdatePolicy {
            name: name.to_owned(),
            arn: have.arn.clone(),
            old: have.document.clone(),
            new: document,
            prune: (reuse.is_none() && have.versions.len() >= 5)
                .then(|| have.versions.get(1).cloned())
                .flatten(),
            reuse,
        });
    }
}

/// A user, role or group the configuration wants, whichever kind.
pub(super) struct Want<'a> {
    kind: Kind,
    name: &'a str,
    path: &'a str,
    managed: bool,
    tags: &'a Tags,
    boundary: &'a Option<String>,
    attached: &'a BTreeSet<String>,
    inline: &'a BTreeMap<String, Value>,
    /// Roles: what the configuration says of them beyond the rest.
    role: Option<&'a DesiredRole>,
    /// Groups: their members.
    group: Option<&'a DesiredGroup>,
    /// Users and roles iamctl does not create: where they are declared and
    /// what needs them.
    required_by: &'a [String],
    declared_at: Option<&'a str>,
}

impl Want<'_> {
    pub(super) fn kind(&self) -> Kind {
        self.kind
    }

    pub(super) fn name(&self) -> &str {
        self.name
    }
}

static NO_TAGS: Tags = Tags::new();
static NO_BOUNDARY: Option<String> = None;

/// Every principal the configuration wants: users, roles, then groups.
pub(super) fn wants(desired: &DesiredAccount) -> Vec<Want<'_>> {
    let users = desired.users.values().map(|u: &DesiredUser| Want {
        kind: Kind::User,
        name: &u.name,
        path: &u.path,
        managed: u.managed,
        tags: &u.tags,
        boundary: &u.permissions_boundary,
        attached: &u.attached,
        inline: &u.inline,
        role: None,
        group: None,
        required_by: &u.required_by,
        declared_at: u.declared_at.as_deref(),
    });
    let roles = desired.roles.values().map(|r| Want {
        kind: Kind::Role,
        name: &r.name,
        path: &r.path,
        managed: r.managed,
        tags: &r.tags,
        boundary: &r.permissions_boundary,
        attached: &r.attached,
        inline: &r.inline,
        role: Some(r),
        group: None,
        required_by: &r.required_by,
        declared_at: r.declared_at.as_deref(),
    });
    let groups = desired.groups.values().map(|g| Want {
        kind: Kind::Group,
        name: &g.name,
        path: &g.path,
        managed: g.managed,
        tags: &NO_TAGS,
        boundary: &NO_BOUNDARY,
        attached: &g.attached,
        inline: &g.inline,
        role: None,
        group: Some(g),
        required_by: &[],
        declared_at: None,
    });
    users.chain(roles).chain(groups).collect()
}

/// The trust of a role made without one in the configuration: the account's
/// own root.
fn default_trust(account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]
    })
}

/// Step 4a: one wanted principal. Created when missing (one iamctl does not
/// create is a conflict then), else tagged, moved to its path, its role
/// settings and trust updated; then its permissions boundary. `None` when a
/// conflict stops everything else for it.
pub(super) fn principal<'a>(
    x: &Inputs<'_>,
    w: &Want<'_>,
    have: Option<&'a ActualPrincipal>,
    report: &mut Report,
) -> Option<&'a ActualPrincipal> {
    static EMPTY: ActualPrincipal = ActualPrincipal::EMPTY;
    match have {
        None if !w.managed => {
            report.conflict_on_principal(
                w.kind,
                w.name,
                Conflict::PrincipalMissing {
                    principal: w.kind,
                    name: w.name.to_owned(),
                    account: x.desired.account_id.clone(),
                    environment: x.desired.environment.clone(),
                    declared_at: w.declared_at.map(str::to_owned),
                    needed_by: w.required_by.to_vec(),
                },
            );
            return None;
        }
        None => create_principal(x, w, report),
        Some(h) if w.managed && w.kind != Kind::Group && !owned(&h.tags) && !x.opts.adopt => {
            report.conflict_on_principal(
                w.kind,
                w.name,
                Conflict::PrincipalNotOurs {
                    principal: w.kind,
                    name: w.name.to_owned(),
                },
            );
            return None;
        }
        Some(h) => update_principal(w, h, report),
    }
    let h = have.unwrap_or(&EMPTY);
    if w.kind != Kind::Group && (w.managed || w.boundary.is_some()) && h.boundary != *w.boundary {
        report.change(Change::SetBoundary {
            kind: w.kind,
            name: w.name.to_owned(),
            arn: w.boundary.clone(),
        });
    }
    Some(h)
}

fn create_principal(x: &Inputs<'_>, w: &Want<'_>, report: &mut Report) {
    report.change(match (w.kind, w.role) {
        (Kind::Role, Some(r)) => Change::CreateRole {
            name: w.name.to_owned(),
            path: w.path.to_owned(),
            trust: r
                .trust
                .clone()
                .unwrap_or_else(|| default_trust(&x.desired.account_id)),
            description: r.description.clone(),
            max_session_duration: r.max_session_duration,
            tags: {
                let mut t = w.tags.clone();
                t.insert(
                    TAG_ROLE_SETTINGS.to_owned(),
                    role_settings(r.description.as_deref(), r.max_session_duration),
                );
                t
            },
        },
        (Kind::Group, _) => Change::CreateGroup {
            name: w.name.to_owned(),
            path: w.path.to_owned(),
        },
        _ => Change::CreateUser {
            name: w.name.to_owned(),
            path: w.path.to_owned(),
            tags: w.tags.clone(),
        },
    });
}

/// A wanted principal the account holds: tags, role settings, path, trust.
fn update_principal(w: &Want<'_>, h: &ActualPrincipal, report: &mut Report) {
    if w.managed && w.kind != Kind::Group {
        let mut want_tags = w.tags.clone();
        if let Some(r) = w.role {
            let digest = role_settings(r.description.as_deref(), r.max_session_duration);
            if h.tags.get(TAG_ROLE_SETTINGS) != Some(&digest) {
                report.change(Change::UpdateRole {
                    name: w.name.to_owned(),
                    description: r.description.clone(),
                    max_session_duration: r.max_session_duration,
                });
            }
            want_tags.insert(TAG_ROLE_SETTINGS.to_owned(), digest);
        }
        let missing = missing_tags(&h.tags, &want_tags);
        if !missing.is_empty() {
            report.change(Change::Tag {
                kind: w.kind,
                name: w.name.to_owned(),
                tags: missing,
            });
        }
        let extra = extra_tags(&h.tags, &want_tags);
        if !extra.is_empty() {
            report.change(Change::Untag {
                kind: w.kind,
                name: w.name.to_owned(),
                keys: extra,
            });
        }
    }
    if w.managed && !h.path.is_empty() && h.path != w.path {
        if w.kind == Kind::Role {
            report.warnings.push(Warning::RoleCannotMove {
                role: w.name.to_owned(),
                path: h.path.clone(),
                wanted: w.path.to_owned(),
            });
        } else {
            report.change(Change::UpdatePath {
                kind: w.kind,
                name: w.name.to_owned(),
                path: w.path.to_owned(),
            });
        }
    }
    if let (true, Some(r)) = (w.managed, w.role) {
        if let (Some(want), Some(have)) = (&r.trust, &h.trust) {
            if !same_doc(want, have) {
                report.change(Change::UpdateTrust {
                    name: w.name.to_owned(),
                    old: have.clone(),
                    new: want.clone(),
                });
            }
        }
    }
}

/// Step 4b: one wanted principal's grants. Managed policies attached and
/// detached; on a principal iamctl does not own, each attachment it makes is
/// recorded in a tag first, so that removing the grant detaches exactly
/// that, and never a hand-made attachment of the same policy. Then inline
/// policies.
pub(super) fn grants(
    x: &Inputs<'_>,
    pol: &Policies<'_>,
    w: &Want<'_>,
    h: &ActualPrincipal,
    report: &mut Report,
) {
    let records = w.kind != Kind::Group && !w.managed;
    let rec = recorded(&h.tags);
    // Attachments to a group iamctl does not own are recorded on the
    // state user (groups take no tags).
    let group_rec: BTreeMap<String, String> = if w.kind == Kind::Group && !w.managed {
        recorded_group_attachments(x.actual.state.as_ref())
            .into_iter()
            .filter(|((g, _), _)| g == w.name)
            .map(|((_, arn), key)| (arn, key))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut record = Tags::new();
    for arn in w.attached.difference(&h.attached) {
        if arn.contains(":aws:policy/")
            && !x.actual.documents.contains_key(arn)
            && !x.sources.contains_key(arn)
        {
            report.conflicts.push(Conflict::AwsPolicyMissing {
                arn: arn.clone(),
                principal: w.kind,
                name: w.name.to_owned(),
            });
            continue;
        }
        if records && !rec.contains_key(arn) && !report.blocked_arns.contains(arn) {
            let (k, v) = attachment_tag(arn);
            record.insert(k, v);
        }
        if w.kind == Kind::Group
            && !w.managed
            && !pol.managed_arns.contains(arn.as_str())
            && !group_rec.contains_key(arn)
            && !report.blocked_arns.contains(arn)
            && !report.record_group_attachment(x, w.name, arn)
        {
            continue;
        }
        report.change(Change::Attach {
            kind: w.kind,
            name: w.name.to_owned(),
            arn: arn.clone(),
        });
    }
    for arn in h.attached.difference(w.attached) {
        let ours = pol.is_gone(arn) || pol.managed_arns.contains(arn.as_str());
        if w.managed || ours || rec.contains_key(arn) || group_rec.contains_key(arn) {
            report.change(Change::Detach {
                kind: w.kind,
                name: w.name.to_owned(),
                arn: arn.clone(),
            });
        }
    }
    // Group records of what is no longer wanted (detached above, or gone).
    report.group_forget.extend(
        group_rec
            .iter()
            .filter(|(arn, _)| !w.attached.contains(*arn))
            .map(|(_, key)| key.clone()),
    );
    if records {
        // Records of what is no longer attached and no longer wanted.
        let forget: Vec<String> = rec
            .iter()
            .filter(|(arn, _)| !w.attached.contains(*arn))
            .map(|(_, key)| key.clone())
            .collect();
        if !record.is_empty() {
            report.change(Change::Tag {
                kind: w.kind,
                name: w.name.to_owned(),
                tags: record,
            });
        }
        if !forget.is_empty() {
            report.change(Change::Untag {
                kind: w.kind,
                name: w.name.to_owned(),
                keys: forget,
            });
        }
    }
    inline(w, h, report);
}

/// A wanted principal's inline policies: put where missing or different,
/// and, on a principal iamctl manages, deleted where not wanted.
fn inline(w: &Want<'_>, h: &ActualPrincipal, report: &mut Report) {
    for (policy, document) in w.inline {
        let old = h.inline.get(policy);
        if old.is_none_or(|o| !same_doc(o, document)) {
            report.change(Change::PutInline {
                kind: w.kind,
                name: w.name.to_owned(),
                policy: policy.clone(),
                old: old.cloned(),
                document: document.clone(),
            });
        }
    }
    if w.managed {
        for policy in h.inline.keys().filter(|k| !w.inline.contains_key(*k)) {
            report.change(Change::DeleteInline {
                kind: w.kind,
                name: w.name.to_owned(),
                policy: policy.clone(),
            });
        }
    }
}

/// Step 4c: a wanted group's members: added, and removed from a group the
/// configuration manages. In a group it does not manage (`existing`), a
/// membership iamctl makes of a user it does not own is recorded in a tag
/// on the user first, so that dropping it from the files removes exactly
/// that membership, and never one made by hand.
pub(super) fn memberships(x: &Inputs<'_>, w: &Want<'_>, h: &ActualPrincipal, report: &mut Report) {
    let Some(g) = w.group else { return };
    for user in g.members.difference(&h.groups) {
        if !w.managed && records_memberships(x, user) {
            let have = x.actual.users.get(user).map(|u| &u.tags);
            if !have.is_some_and(|t| recorded_memberships(t).contains_key(w.name)) {
                let (k, v) = member_tag(w.name);
                report.change(Change::Tag {
                    kind: Kind::User,
                    name: user.clone(),
                    tags: [(k, v)].into(),
                });
            }
        }
        report.change(Change::AddMember {
            group: w.name.to_owned(),
            user: user.clone(),
        });
    }
    for user in h.groups.difference(&g.members) {
        if w.managed {
            report.change(Change::RemoveMember {
                group: w.name.to_owned(),
                user: user.clone(),
            });
        } else {
            forget_membership(x, w.name, user, true, report);
        }
    }
    if !w.managed {
        // Records of memberships already gone (removed by hand).
        for (user, u) in &x.actual.users {
            let gone = !h.groups.contains(user) && !g.members.contains(user);
            if gone && recorded_memberships(&u.tags).contains_key(w.name) {
                forget_membership(x, w.name, user, false, report);
            }
        }
    }
}

/// Whether a membership of `user` in a group iamctl does not manage is
/// recorded: the user is one iamctl does not own either.
fn records_memberships(x: &Inputs<'_>, user: &str) -> bool {
    x.desired.users.get(user).is_some_and(|u| !u.managed)
        && !x.actual.users.get(user).is_some_and(|u| owned(&u.tags))
}

/// A recorded membership of `user` in `group` that the files no longer
/// give: removed (when the user is still a member), then its record.
fn forget_membership(x: &Inputs<'_>, group: &str, user: &str, member: bool, report: &mut Report) {
    let Some(u) = x.actual.users.get(user) else {
        return;
    };
    let Some(key) = recorded_memberships(&u.tags).remove(group) else {
        return;
    };
    if member {
        report.change(Change::RemoveMember {
            group: group.to_owned(),
            user: user.to_owned(),
        });
    }
    report.change(Change::Untag {
        kind: Kind::User,
        name: user.to_owned(),
        keys: vec![key],
    });
}

/// Whether the configuration names the principal (wants it in some way).
fn wanted(desired: &DesiredAccount, kind: Kind, name: &str) -> bool {
    match kind {
        Kind::User => desired.users.contains_key(name),
        Kind::Role => desired.roles.contains_key(name),
        Kind::Group => desired.groups.contains_key(name),
    }
}

/// Whether the principal is ours and the configuration no longer wants it:
/// it is deleted whole. One declared `existing` never is, whatever its tags.
fn deleted(x: &Inputs<'_>, kind: Kind, name: &str, h: &ActualPrincipal) -> bool {
    let existing = match kind {
        Kind::User => x.desired.existing.contains(&format!("user/{name}")),
        Kind::Role => x.desired.existing.contains(&format!("role/{name}")),
        Kind::Group => false,
    };
    h.ours(kind, x.iam_path()) && !wanted(x.desired, kind, name) && !existing
}

/// Step 5: what iamctl owns and the configuration no longer wants. Users,
/// roles and groups of ours are deleted; policies of ours are detached from
/// whoever still holds them and deleted; attachments of our policies (and
/// those recorded as iamctl's) to principals the configuration no longer
/// names go. A group elsewhere than under the IAM path of ours is never
/// deleted: a warning says so when it holds our policies.
pub(super) fn cleanup(x: &Inputs<'_>, pol: &Policies<'_>, report: &mut Report) {
    for kind in [Kind::User, Kind::Role, Kind::Group] {
        for (name, h) in x.actual.principals(kind) {
            if deleted(x, kind, name, h) {
                let name = name.clone();
                report.change(match kind {
                    Kind::User => Change::DeleteUser { name },
                    Kind::Role => Change::DeleteRole { name },
                    Kind::Group => Change::DeleteGroup { name },
                });
            }
        }
    }
    // Our policies the configuration no longer wants: detach from whoever
    // still has them (principals being deleted lose them with the deletion;
    // wanted ones had their detachments planned in `grants`).
    for gone in &pol.gone {
        for kind in [Kind::User, Kind::Role, Kind::Group] {
            for (name, h) in x.actual.principals(kind) {
                if deleted(x, kind, name, h) || wanted(x.desired, kind, name) {
                    continue;
                }
                if h.attached.contains(&gone.arn) {
                    report.change(Change::Detach {
                        kind,
                        name: name.clone(),
                        arn: gone.arn.clone(),
                    });
                }
                if kind != Kind::Group && h.boundary.as_deref() == Some(gone.arn.as_str()) {
                    report.change(Change::SetBoundary {
                        kind,
                        name: name.clone(),
                        arn: None,
                    });
                }
            }
        }
        report.change(Change::DeletePolicy {
            name: gone.name.clone(),
            arn: gone.arn.clone(),
        });
    }
    stray_attachments(x, pol, report);
    stray_memberships(x, report);
}

/// Recorded memberships in groups the configuration no longer names (and
/// that are not ours, so not deleted whole): removed, with their records.
/// A user of ours being deleted loses them with the deletion.
fn stray_memberships(x: &Inputs<'_>, report: &mut Report) {
    for (name, u) in &x.actual.users {
        if deleted(x, Kind::User, name, u) {
            continue;
        }
        for group in recorded_memberships(&u.tags).keys() {
            let held = x.actual.groups.get(group);
            if wanted(x.desired, Kind::Group, group)
                || held.is_some_and(|g| g.ours(Kind::Group, x.iam_path()))
            {
                continue;
            }
            let member = held.is_some_and(|g| g.groups.contains(name));
            forget_membership(x, group, name, member, report);
        }
    }
}

/// Our policies the configuration keeps, attached to a principal it no
/// longer names (an `existing` user or a group taken out of the YAML, or
/// attached by hand): no grant says so, so the attachment goes, with its
/// record.
fn stray_attachments(x: &Inputs<'_>, pol: &Policies<'_>, report: &mut Report) {
    let kept: BTreeSet<&str> = x
        .actual
        .policies
        .values()
        .filter(|a| a.ours(x.iam_path()) && pol.managed_arns.contains(a.arn.as_str()))
        .map(|a| a.arn.as_str())
        .collect();
    for kind in [Kind::User, Kind::Role, Kind::Group] {
        for (name, h) in x.actual.principals(kind) {
            // Our own principals that are not named are deleted whole.
            if wanted(x.desired, kind, name) || h.ours(kind, x.iam_path()) {
                continue;
            }
            let rec = if kind == Kind::Group {
                group_records_of(x, name)
            } else {
                recorded(&h.tags)
            };
            if kind == Kind::Group {
                report.group_forget.extend(rec.values().cloned());
            }
            for arn in h
                .attached
                .iter()
                .filter(|a| kept.contains(a.as_str()) || (rec.contains_key(*a) && !pol.is_gone(a)))
            {
                report.change(Change::Detach {
                    kind,
                    name: name.clone(),
                    arn: arn.clone(),
                });
            }
            if kind != Kind::Group && !rec.is_empty() {
                report.change(Change::Untag {
                    kind,
                    name: name.clone(),
                    keys: rec.into_values().collect(),
                });
            }
        }
    }
    for (name, g) in &x.actual.groups {
        if !wanted(x.desired, Kind::Group, name)
            && !g.ours(Kind::Group, x.iam_path())
            && g.attached
                .iter()
                .any(|a| kept.contains(a.as_str()) || pol.is_gone(a))
        {
            report.warnings.push(Warning::GroupNotOurs {
                group: name.clone(),
                iam_path: x.iam_path().to_owned(),
            });
        }
    }
}

/// The attachments to `group` the state user records: policy ARN → key.
fn group_records_of(x: &Inputs<'_>, group: &str) -> BTreeMap<String, String> {
    recorded_group_attachments(x.actual.state.as_ref())
        .into_iter()
        .filter(|((g, _), _)| g == group)
        .map(|((_, arn), key)| (arn, key))
        .collect()
}

/// Step 5b: the state user's records. New ones are written before the
/// attachments they record (the user made with them when missing); records
/// of what is detached, or of groups that are gone, are removed after the
/// detachments, and the user with the last of them.
pub(super) fn state_records(x: &Inputs<'_>, report: &mut Report) {
    let held = recorded_group_attachments(x.actual.state.as_ref());
    // Records of groups the account no longer has.
    for ((group, _), key) in &held {
        if !x.actual.groups.contains_key(group) {
            report.group_forget.insert(key.clone());
        }
    }
    let add = std::mem::take(&mut report.group_records);
    let forget = std::mem::take(&mut report.group_forget);
    let left = held.values().filter(|k| !forget.contains(*k)).count() + add.len();
    match &x.actual.state {
        None if !add.is_empty() => {
            let mut tags = add;
            tags.insert(TAG_STATE.to_owned(), STATE_KIND.to_owned());
            report.change(Change::CreateUser {
                name: STATE_USER.to_owned(),
                path: x.iam_path().to_owned(),
                tags,
            });
        }
        None => {}
        Some(_) if left == 0 => report.change(Change::DeleteUser {
            name: STATE_USER.to_owned(),
        }),
        Some(_) => {
            if !add.is_empty() {
                report.change(Change::Tag {
                    kind: Kind::User,
                    name: STATE_USER.to_owned(),
                    tags: add,
                });
            }
            if !forget.is_empty() {
                report.change(Change::Untag {
                    kind: Kind::User,
                    name: STATE_USER.to_owned(),
                    keys: forget.into_iter().collect(),
                });
            }
        }
    }
}
