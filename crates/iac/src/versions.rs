//! Managed-policy versions: which version to prune at IAM's limit, the history
//! of defaults iamctl keeps in a tag (IAM keeps none), and where `rollback`
//! goes. Pure decisions: the callers make the IAM calls.
//!
//! IAM's rule, "Managing versions of IAM policies",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html>:
//! "A managed policy can have up to five versions. If you need to make a
//! change to a managed policy beyond five versions, you must first delete one
//! or more existing versions." and "You cannot delete the default version of
//! a policy".

use thiserror::Error;

/// IAM keeps at most this many versions of a managed policy.
pub const MAX_VERSIONS: usize = 5;

/// The tag holding the defaults a policy had before its current one, oldest
/// first, space-separated (`v3 v5 v6`).
pub const HISTORY_TAG: &str = "iamctl:default-history";

/// A tag value holds at most 256 characters: the oldest entries go first.
pub const HISTORY_MAX_CHARS: usize = 256;

/// One version of a policy, as `ListPolicyVersions` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub id: &'a str,
    pub is_default: bool,
    /// `CreateDate`, as an RFC 3339 text (compares in time order).
    pub created: &'a str,
}

/// `v7` → 7.
pub fn version_number(id: &str) -> Option<u32> {
    id.strip_prefix('v').and_then(|n| n.parse().ok())
}

/// The version to delete before creating another: none below the limit; at
/// it, the oldest that is not the default (by creation, then number).
pub fn to_prune<'a>(versions: &[Version<'a>]) -> Result<Option<&'a str>, VersionError> {
    if versions.len() < MAX_VERSIONS {
        return Ok(None);
    }
    versions
        .iter()
        .filter(|v| !v.is_default)
        .min_by(|a, b| {
            a.created
                .cmp(b.created)
                .then(version_number(a.id).cmp(&version_number(b.id)))
        })
        .map(|v| Some(v.id))
        .ok_or(VersionError::NothingToPrune)
}

/// The history of defaults, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History(pub Vec<String>);

impl History {
    /// From the tag's value (`None`: no tag).
    pub fn decode(value: Option<&str>) -> History {
        History(
            value
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        )
    }

    /// The tag's value: the newest entries that fit in 256 characters.
    pub fn encode(&self) -> String {
        let mut h: &[String] = &self.0;
        while h
            .iter()
            .map(|s| s.len() + 1)
            .sum::<usize>()
            .saturating_sub(1)
            > HISTORY_MAX_CHARS
        {
            h = &h[1..];
        }
        h.join(" ")
    }

    /// `old_default` stopped being the default.
    pub fn push(&mut self, old_default: &str) {
        self.0.push(old_default.to_owned());
    }
}

/// Where `rollback` goes and the history to write after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    pub target: String,
    /// Why that version, for the person: `as asked`, `the previous default, ...`.
    pub how: &'static str,
    pub history: History,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VersionError {
    #[error("the policy has no version to prune: every version is the default")]
    NothingToPrune,
    #[error("the policy has no version `{asked}` (it has {have})")]
    NoSuchVersion { asked: String, have: String },
    #[error(
        "the policy has no earlier default to go back to (no history in tag `{HISTORY_TAG}`, and no version older than `{default}`)"
    )]
    NothingEarlier { default: String },
}

/// `rollback`: with `to`, exactly that version (the history is cut at its last
/// entry); without, the default before the current one from the history,
/// skipping versions that no longer exist (the history loses that entry and
/// every later one, so rolling back again goes further back and never returns
/// to a version rolled back from); without a history, the newest version
/// older than the default.
pub fn rollback(
    versions: &[Version<'_>],
    default: &str,
    mut history: History,
    to: Option<&str>,
) -> Result<Rollback, VersionError> {
    let exists = |id: &str| versions.iter().any(|v| v.id == id);
    if let Some(v) = to {
        if !exists(v) {
            let have: Vec<&str> = versions.iter().map(|v| v.id).collect();
            return Err(VersionError::NoSuchVersion {
                asked: v.to_owned(),
                have: have.join(", "),
            });
        }
        if let Some(i) = history.0.iter().rposition(|h| h == v) {
            history.0.truncate(i);
        }
        return Ok(Rollback {
            target: v.to_owned(),
            how: "as asked",
            history,
        });
    }
    while let Some(h) = history.0.pop() {
        if h != default && exists(&h) {
            return Ok(Rollback {
                target: h,
                how: "the previous default, from the history of defaults",
                history,
            });
        }
    }
    let dn = version_number(default).unwrap_or(0);
    let older = versions
        .iter()
        .filter(|v| version_number(v.id).unwrap_or(0) < dn)
        .max_by_key(|v| version_number(v.id))
        .ok_or_else(|| VersionError::NothingEarlier {
            default: default.to_owned(),
        })?;
    Ok(Rollback {
        target: older.id.to_owned(),
        how: "no history of defaults: the newest version older than the default",
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &'static str, is_default: bool, created: &'static str) -> Version<'static> {
        Version {
            id,
            is_default,
            created,
        }
    }

    #[test]
    fn prunes_the_oldest_non_default_only_at_the_limit() {
        let four = [
            v("v1", false, "2026-01-01T00:00:00Z"),
            v("v2", true, "2026-01-02T00:00:00Z"),
            v("v3", false, "2026-01-03T00:00:00Z"),
            v("v4", false, "2026-01-04T00:00:00Z"),
        ];
        assert_eq!(to_prune(&four), Ok(None));
        // The default is the oldest: it stays; v3 is the oldest other.
        let five = [
            v("v2", true, "2026-01-02T00:00:00Z"),
            v("v3", false, "2026-01-03T00:00:00Z"),
            v("v4", false, "2026-01-04T00:00:00Z"),
            v("v5", false, "2026-01-05T00:00:00Z"),
            v("v6", false, "2026-01-06T00:00:00Z"),
        ];
        assert_eq!(to_prune(&five), Ok(Some("v3")));
        // Same instant: the lower number first.
        let tie = [
            v("v9", false, "2026-01-01T00:00:00Z"),
            v("v10", false, "2026-01-01T00:00:00Z"),
            v("v11", true, "2026-01-01T00:00:00Z"),
            v("v12", false, "2026-01-01T00:00:00Z"),
            v("v13", false, "2026-01-01T00:00:00Z"),
        ];
        assert_eq!(to_prune(&tie), Ok(Some("v9")));
    }

    #[test]
    fn the_history_keeps_the_newest_entries_within_256_characters() {
        let mut h = History::default();
        for i in 1..=100 {
            h.push(&format!("v{i}"));
        }
        let text = h.encode();
        assert!(text.len() <= HISTORY_MAX_CHARS, "{}", text.len());
        assert!(text.ends_with("v99 v100"));
        assert_eq!(
            History::decode(Some(&text)).0.last().map(String::as_str),
            Some("v100")
        );
        assert_eq!(History::decode(None), History::default());
    }

    #[test]
    fn rollback_follows_the_history_and_never_returns() {
        let vs = [v("v1", false, "a"), v("v2", false, "b"), v("v3", true, "c")];
        let h = History(vec!["v1".into(), "v2".into()]);
        let r = rollback(&vs, "v3", h, None).expect("rollback");
        assert_eq!(
            (r.target.as_str(), r.history.0.clone()),
            ("v2", vec!["v1".to_owned()])
        );
        // From v2 (now the default) again: v1, and the history is empty.
        let vs = [v("v1", false, "a"), v("v2", true, "b"), v("v3", false, "c")];
        let r = rollback(&vs, "v2", r.history, None).expect("rollback");
        assert_eq!(r.target, "v1");
        assert!(r.history.0.is_empty());
    }

    #[test]
    fn rollback_skips_deleted_versions_and_falls_back_to_numbers() {
        let vs = [v("v4", false, "a"), v("v6", true, "b")];
        // v5 was a default but is deleted: skipped; v9 is newer than the default.
        let h = History(vec!["v9".into(), "v5".into()]);
        let r = rollback(&vs, "v6", h, None).expect("rollback");
        assert_eq!(r.target, "v4");
        assert_eq!(
            r.how,
            "no history of defaults: the newest version older than the default"
        );
        let only = [v("v1", true, "a")];
        assert_eq!(
            rollback(&only, "v1", History::default(), None),
            Err(VersionError::NothingEarlier {
                default: "v1".into()
            })
        );
    }

    #[test]
    fn rollback_to_a_version_cuts_the_history_there() {
        let vs = [v("v1", false, "a"), v("v2", false, "b"), v("v3", true, "c")];
        let h = History(vec!["v1".into(), "v2".into(), "v1".into(), "v2".into()]);
        let r = rollback(&vs, "v3", h, Some("v1")).expect("rollback");
        assert_eq!(r.history.0, vec!["v1".to_owned(), "v2".to_owned()]);
        assert_eq!(
            rollback(&vs, "v3", History::default(), Some("v7")),
            Err(VersionError::NoSuchVersion {
                asked: "v7".into(),
                have: "v1, v2, v3".into()
            })
        );
    }
}
