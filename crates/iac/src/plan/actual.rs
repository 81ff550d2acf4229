//! The account as GetAccountAuthorizationDetails shows it, typed: users,
//! roles, groups and customer-managed policies, with the tags of the policies
//! (which that call does not return) read besides; and who owns what.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_config::{path_team, Tags, MANAGED_BY, TAG_TEAM};
use iamctl_policy::snapshot::{Document, PolicyVersion, Principal, Snapshot};
use serde_json::Value;

use super::Kind;

/// A user, role or group as the account holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActualPrincipal {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Tags,
    pub boundary: Option<String>,
    pub attached: BTreeSet<String>,
    pub inline: BTreeMap<String, Value>,
    /// Users: their groups. Groups: their members.
    pub groups: BTreeSet<String>,
    /// Roles: the trust policy.
    pub trust: Option<Value>,
}

/// A customer-managed policy as the account holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualPolicy {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Tags,
    /// Whether `tags` were read (ListPolicyTags). A plan reads none for a
    /// policy under the IAM path of ours, whose path says it is ours and
    /// whose; its tags are then not compared (they are written with it,
    /// and again with every new document).
    pub tags_read: bool,
    pub document: Value,
    /// Version ids, the default first, then oldest first.
    pub versions: Vec<String>,
    /// The documents of the non-default versions, by id.
    pub older: BTreeMap<String, Value>,
}

/// The state of one account.
#[derive(Debug, Clone, Default)]
pub struct ActualAccount {
    pub users: BTreeMap<String, ActualPrincipal>,
    pub roles: BTreeMap<String, ActualPrincipal>,
    pub groups: BTreeMap<String, ActualPrincipal>,
    /// Customer-managed policies by name.
    pub policies: BTreeMap<String, ActualPolicy>,
    /// Default documents of every managed policy the snapshot holds, by ARN.
    pub documents: HashMap<String, Value>,
    /// Changes whenever the IAM state does; `apply --plan` compares it.
    pub fingerprint: String,
    /// The user [`STATE_USER`], whose tags record what iamctl attached to
    /// groups it does not own; not among `users`.
    pub state: Option<ActualPrincipal>,
}

use iamctl_policy::snapshot::tags_map as tags_of;

/// A document as read (decoded once with the snapshot), or `null`.
fn doc(v: Option<&Document>) -> Value {
    v.map_or(Value::Null, Document::to_value)
}

/// FNV-1a, 64 bits, as hex: a fingerprint, not a security measure.
pub(crate) fn fnv(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

impl ActualAccount {
    /// Reads a snapshot; `policy_tags` maps customer-managed policy ARNs to
    /// their tags (a policy not in it: tags not read, see
    /// [`ActualPolicy::tags_read`]).
    pub fn from_snapshot(
        snapshot: &Snapshot,
        policy_tags: &HashMap<String, Tags>,
    ) -> ActualAccount {
        let mut a = ActualAccount::default();
        fn principal(v: &dyn Principal) -> ActualPrincipal {
            ActualPrincipal {
                name: v.name().to_owned(),
                arn: v.arn().to_owned(),
                path: v.path().to_owned(),
                tags: tags_of(v.tags()),
                boundary: v.boundary_arn().map(str::to_owned),
                attached: v.attached().iter().map(|p| p.policy_arn.clone()).collect(),
                inline: v
                    .inline()
                    .iter()
                    .map(|p| (p.policy_name.clone(), doc(p.policy_document.as_ref())))
                    .collect(),
                groups: BTreeSet::new(),
                trust: None,
            }
        }
        for u in &snapshot.user_detail_list {
            let mut p = principal(u);
            // iamctl's own bookkeeping: the lock of a run (see
            // `crate::lock`) and the record of group attachments are no
            // principals to plan for or import.
            if is_lock(&p) {
                continue;
            }
            if is_state(&p) {
                a.state = Some(p);
                continue;
            }
            p.groups = u.group_list.iter().cloned().collect();
            a.users.insert(p.name.clone(), p);
        }
        for g in &snapshot.group_detail_list {
            let p = principal(g);
            a.groups.insert(p.name.clone(), p);
        }
        let memberships: Vec<(String, String)> = a
            .users
            .values()
            .flat_map(|u| u.groups.iter().map(|g| (g.clone(), u.name.clone())))
            .collect();
        for (g, u) in memberships {
            if let Some(group) = a.groups.get_mut(&g) {
                group.groups.insert(u);
            }
        }
        for r in &snapshot.role_detail_list {
            let mut p = principal(r);
            p.trust = Some(doc(r.assume_role_policy_document.as_ref()));
            a.roles.insert(p.name.clone(), p);
        }
        for p in &snapshot.policies {
            let arn = p.arn.clone();
            let versions = &p.policy_version_list;
            let document = doc(p.default_version().and_then(|v| v.document.as_ref()));
            a.documents.insert(arn.clone(), document.clone());
            if arn.contains(":aws:policy/") {
                continue;
            }
            let mut ids: Vec<&PolicyVersion> = versions.iter().collect();
            ids.sort_by_key(|v| {
                (
                    !v.is_default_version,
                    v.create_date.clone().unwrap_or_default(),
                    version_number(&v.version_id),
                )
            });
            let name = p.policy_name.clone();
            a.policies.insert(
                name.clone(),
                ActualPolicy {
                    name,
                    path: p.path.clone(),
                    tags: policy_tags.get(&arn).cloned().unwrap_or_default(),
                    tags_read: policy_tags.contains_key(&arn),
                    document,
                    versions: ids.iter().map(|v| v.version_id.clone()).collect(),
                    older: versions
                        .iter()
                        .filter(|v| !v.is_default_version)
                        .map(|v| (v.version_id.clone(), doc(v.document.as_ref())))
                        .collect(),
                    arn,
                },
            );
        }
        let mut fingerprint = fingerprint_source(snapshot);
        let mut tags: Vec<_> = policy_tags.iter().collect();
        tags.sort();
        fingerprint.push_str(&format!("{tags:?}"));
        a.fingerprint = fnv(&fingerprint);
        a
    }

    pub fn principals(&self, kind: Kind) -> &BTreeMap<String, ActualPrincipal> {
        match kind {
            Kind::User => &self.users,
            Kind::Role => &self.roles,
            Kind::Group => &self.groups,
        }
    }
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

/// The snapshot without what changes on its own (last use, dates,
/// attachment counts), its lists in a fixed order: the documents read after
/// GetAccountAuthorizationDetails arrive in whatever order they complete.
fn fingerprint_source(snapshot: &Snapshot) -> String {
    let mut s = snapshot.clone();
    // A run's lock comes and goes: a plan made without one applies under
    // it.
    s.user_detail_list
        .retain(|u| u.user_name != crate::lock::LOCK_USER);
    s.user_detail_list.sort_by(|x, y| x.arn.cmp(&y.arn));
    s.group_detail_list.sort_by(|x, y| x.arn.cmp(&y.arn));
    s.role_detail_list.sort_by(|x, y| x.arn.cmp(&y.arn));
    s.policies.sort_by(|x, y| x.arn.cmp(&y.arn));
    for u in &mut s.user_detail_list {
        u.create_date = None;
    }
    for g in &mut s.group_detail_list {
        g.create_date = None;
    }
    for r in &mut s.role_detail_list {
        r.create_date = None;
        r.role_last_used = None;
        for i in &mut r.instance_profile_list {
            i.create_date = None;
            for pr in &mut i.roles {
                pr.create_date = None;
            }
        }
    }
    for p in &mut s.policies {
        p.create_date = None;
        p.update_date = None;
        p.attachment_count = None;
        for v in &mut p.policy_version_list {
            v.create_date = None;
        }
    }
    serde_json::to_string(&s).unwrap_or_default()
}

/// Tags recording an attachment iamctl made to a principal it does not own
/// start with this; the value is the policy's ARN.
pub const TAG_ATTACHED: &str = "iamctl:attached:";

/// The tag recording an attachment of `arn`: `iamctl:attached:aws/ReadOnlyAccess`
/// for an AWS-managed policy, `iamctl:attached:local/<path><name>` for a
/// customer-managed one (a digest when that would exceed IAM's 128
/// characters), the ARN as value.
pub fn attachment_tag(arn: &str) -> (String, String) {
    let short = match arn.split_once(":policy/") {
        Some((head, rest)) if head.ends_with(":aws") => format!("aws/{rest}"),
        Some((_, rest)) => format!("local/{rest}"),
        None => arn.to_owned(),
    };
    let key = format!("{TAG_ATTACHED}{short}");
    let key = if key.len() <= 128 && arn.len() <= 256 {
        key
    } else {
        format!("{TAG_ATTACHED}#{}", fnv(arn))
    };
    (key, arn.chars().take(256).collect())
}

/// The attachments a principal's tags record: policy ARN → tag key.
pub fn recorded(tags: &Tags) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| k.starts_with(TAG_ATTACHED))
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect()
}

/// The user whose tags record the attachments iamctl made to groups it
/// does not own (groups take no tags): made under the IAM path of ours with
/// the first record, deleted with the last.
pub const STATE_USER: &str = "iamctl-state";
/// The tag marking [`STATE_USER`] as iamctl's record (value
/// [`STATE_KIND`]); a user of that name without it is someone else's.
pub const TAG_STATE: &str = "iamctl:state";
pub const STATE_KIND: &str = "group-attachments";
/// Tags on [`STATE_USER`] recording one attachment to a group start with
/// this; the key ends in a digest of group and policy, the value is
/// `<group> <policy ARN>`.
pub const TAG_GROUP_ATTACHED: &str = "iamctl:group-attached:";
/// Records [`STATE_USER`] holds at most: IAM's 50 tags per user, less
/// [`TAG_STATE`].
pub const MAX_GROUP_RECORDS: usize = 49;

fn is_lock(p: &ActualPrincipal) -> bool {
    p.name == crate::lock::LOCK_USER && p.tags.contains_key(crate::lock::TAG_LOCK_ID)
}

fn is_state(p: &ActualPrincipal) -> bool {
    p.name == STATE_USER && p.tags.get(TAG_STATE).map(String::as_str) == Some(STATE_KIND)
}

/// The record of an attachment of `arn` to `group`: key and value, or why
/// IAM cannot hold it (a tag value is at most 256 characters of letters,
/// digits, white space and `_.:/=+-@`).
pub fn group_attachment_tag(group: &str, arn: &str) -> Result<(String, String), String> {
    let value = format!("{group} {arn}");
    if value.chars().count() > 256 {
        return Err(format!(
            "group name and policy ARN make {} characters, above the 256 of a tag value",
            value.chars().count()
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(*c)))
    {
        return Err(format!("`{c}` cannot be in a tag value"));
    }
    Ok((
        format!("{TAG_GROUP_ATTACHED}{}", fnv(&format!("{group}\u{0}{arn}"))),
        value,
    ))
}

/// The group attachments the state user records: `(group, policy ARN)` →
/// tag key.
pub fn recorded_group_attachments(
    state: Option<&ActualPrincipal>,
) -> BTreeMap<(String, String), String> {
    state
        .into_iter()
        .flat_map(|p| p.tags.iter())
        .filter(|(k, _)| k.starts_with(TAG_GROUP_ATTACHED))
        .filter_map(|(k, v)| {
            let (g, arn) = v.split_once(' ')?;
            Some(((g.to_owned(), arn.to_owned()), k.clone()))
        })
        .collect()
}

/// Tags recording a membership iamctl made of a user it does not own in a
/// group it does not own (groups carry no tags) start with this; the value
/// is the group's name.
pub const TAG_MEMBER: &str = "iamctl:member:";

/// The tag recording a membership of `group`: `iamctl:member:<group>` (a
/// digest when that would exceed IAM's 128 characters), the group as value.
pub fn member_tag(group: &str) -> (String, String) {
    let key = format!("{TAG_MEMBER}{group}");
    let key = if key.len() <= 128 {
        key
    } else {
        format!("{TAG_MEMBER}#{}", fnv(group))
    };
    (key, group.to_owned())
}

/// The memberships a user's tags record: group → tag key.
pub fn recorded_memberships(tags: &Tags) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| k.starts_with(TAG_MEMBER))
        .map(|(k, v)| (v.clone(), k.clone()))
        .collect()
}

/// Whether tags mark a resource as IaC's.
pub fn owned(tags: &Tags) -> bool {
    tags.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1) && tags.contains_key(TAG_TEAM)
}

impl ActualPolicy {
    /// Whether the policy is iamctl's: tagged so, or under the IAM path of
    /// ours (`iam_path`, see [`iamctl_config::path_team`]), which
    /// GetAccountAuthorizationDetails shows without a tag read.
    pub fn ours(&self, iam_path: &str) -> bool {
        owned(&self.tags) || path_team(iam_path, &self.path).is_some()
    }

    /// The team that owns it: its tag, else its path.
    pub fn team<'a>(&'a self, iam_path: &str) -> Option<&'a str> {
        if owned(&self.tags) {
            self.tags.get(TAG_TEAM).map(String::as_str)
        } else {
            path_team(iam_path, &self.path)
        }
    }
}

impl ActualPrincipal {
    /// One the account does not hold (yet).
    pub const EMPTY: ActualPrincipal = ActualPrincipal {
        name: String::new(),
        arn: String::new(),
        path: String::new(),
        tags: Tags::new(),
        boundary: None,
        attached: BTreeSet::new(),
        inline: BTreeMap::new(),
        groups: BTreeSet::new(),
        trust: None,
    };

    /// The team that owns a user or role (by its tags) or a group (by its
    /// path under `iam_path`: groups carry no tags).
    pub fn team<'a>(&'a self, kind: Kind, iam_path: &str) -> Option<&'a str> {
        match kind {
            Kind::Group => path_team(iam_path, &self.path),
            _ if owned(&self.tags) => self.tags.get(TAG_TEAM).map(String::as_str),
            _ => None,
        }
    }

    /// Whether iamctl owns it: a user or role by its tags, a group by its path.
    pub fn ours(&self, kind: Kind, iam_path: &str) -> bool {
        self.team(kind, iam_path).is_some()
    }
}

impl ActualAccount {
    /// The resources of a team outside `teams`, counted per team: users,
    /// roles and policies by their tags, policies and groups also by their
    /// path under `iam_path`.
    pub fn other_teams(&self, teams: &BTreeSet<String>, iam_path: &str) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        let owners = self
            .users
            .values()
            .map(|u| u.team(Kind::User, iam_path))
            .chain(self.roles.values().map(|r| r.team(Kind::Role, iam_path)))
            .chain(self.policies.values().map(|p| p.team(iam_path)))
            .chain(self.groups.values().map(|g| g.team(Kind::Group, iam_path)));
        for team in owners.flatten() {
            if !teams.contains(team) {
                *out.entry(team.to_owned()).or_insert(0) += 1;
            }
        }
        out
    }

    /// This account without what teams outside `teams` own.
    pub fn without_other_teams(&self, teams: &BTreeSet<String>, iam_path: &str) -> ActualAccount {
        let mut a = self.clone();
        let other = |team: Option<&str>| team.is_some_and(|t| !teams.contains(t));
        a.users.retain(|_, u| !other(u.team(Kind::User, iam_path)));
        a.roles.retain(|_, r| !other(r.team(Kind::Role, iam_path)));
        a.groups
            .retain(|_, g| !other(g.team(Kind::Group, iam_path)));
        a.policies.retain(|_, p| !other(p.team(iam_path)));
        a
    }
}
