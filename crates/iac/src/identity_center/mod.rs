//! IAM Identity Center as code: the instance's state ([`state`]), the narrow
//! trait of its calls ([`backend`], in memory: [`memory`], feature
//! `test-utils`), the planner ([`plan`]), what each person gains or loses
//! ([`access`]), its rendering ([`render`]) and apply ([`apply`]).
//!
//! Ownership. iamctl changes and deletes only what it created:
//! - permission sets carry the tag `managed-by=iamctl` (and a temporary copy
//!   `iamctl:expires` and `iamctl:base`, by which `cleanup` finds it even when
//!   its YAML entry is gone);
//! - the identity store has no tags, so users and groups carry the mark in an
//!   attribute of their own, durable and visible in the console: a user's
//!   `UserType` is [`OWNER_MARK`], a group's description is it or ends with
//!   ` (managed-by=iamctl)`. A
//!   record elsewhere (tags on a permission set) would be capped at 50 tags
//!   and lost with that set; the attribute lives and dies with the entity;
//! - assignments and memberships have no attributes at all: they belong to
//!   their container. An assignment of an iamctl permission set and a
//!   membership of an iamctl group are iamctl's (their YAML lists them
//!   whole); what is assigned through a hand-made permission set, or is a
//!   member of a hand-made group, is never touched. Naming a hand-made
//!   permission set in an assignment is a plan-time error.

pub mod access;
pub mod apply;
pub mod backend;
pub mod change;
pub mod err;
#[cfg(any(test, feature = "test-utils"))]
pub mod memory;
pub mod plan;
pub mod render;
pub mod state;

use state::{IcGroup, IcPermissionSet, IcUser};

/// The mark of what iamctl created in the identity store.
pub const OWNER_MARK: &str = "managed-by=iamctl";
/// The tag of a temporary copy that names the permission set it copies.
pub const TAG_BASE: &str = "iamctl:base";

/// Whether iamctl created this permission set (its tag `managed-by=iamctl`).
pub fn owned_set(s: &IcPermissionSet) -> bool {
    let (k, v) = iamctl_config::MANAGED_BY;
    s.tags.get(k).is_some_and(|x| x == v)
}

/// Whether iamctl created this user (its `UserType`).
pub fn owned_user(u: &IcUser) -> bool {
    u.user_type.as_deref() == Some(OWNER_MARK)
}

/// Whether iamctl created this group (its description's mark).
pub fn owned_group(g: &IcGroup) -> bool {
    g.description
        .as_deref()
        .is_some_and(|d| d == OWNER_MARK || d.ends_with(&format!(" ({OWNER_MARK})")))
}

/// The description iamctl stores for a group: the configured one, then the mark.
pub fn group_description(configured: Option<&str>) -> String {
    match configured {
        Some(d) if !d.is_empty() => format!("{d} ({OWNER_MARK})"),
        _ => OWNER_MARK.to_owned(),
    }
}
