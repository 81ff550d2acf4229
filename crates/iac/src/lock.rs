//! One apply (or cleanup) per account at a time, with nothing but IAM: the
//! lock is an IAM user named [`LOCK_USER`] under the account's IAM path of
//! ours, made by `CreateUser`, which IAM carries out atomically (a second
//! create of the same name fails with `EntityAlreadyExists`). Its tags say
//! who holds it, under which id, for which command and until when (the
//! lease, renewed while the run lasts). The user has no credentials and no
//! permissions; GetAccountAuthorizationDetails shows it, and planning and
//! import leave it out ([`crate::plan::ActualAccount::from_snapshot`]).
//!
//! - [`Lock::try_acquire`] makes the user; when it exists, a lock of this
//!   id (a create whose reply was lost) is taken as made, one past its lease
//!   is broken (deleted, then made again), and a live one is refused naming
//!   its holder.
//! - [`Lock::acquire`] waits for a live one, with backoff, up to a timeout.
//! - [`Lock::renew`] pushes the lease on, and finds a lock lost to another
//!   run; [`Lock::release`] deletes the user when it is still this id's.
//! - [`force_unlock`] deletes the lock only when its id is the one given.
//!
//! The clock is the caller's (`now`), never read here. IAM has no
//! conditional delete: a lock is read, then deleted, and a run breaking a
//! stale lock in the instant another run, breaking it too, has made a new
//! one, deletes that one. The loser finds out at its next renewal (the
//! lock is not its own any more) and stops; `docs/locking.md` says more.

use std::time::Duration;

use iamctl_config::Tags;
use jiff::{SignedDuration, Timestamp};

use crate::backend::{BackendError, ErrorKind, IamBackend, PrincipalKind};

/// The user that is the lock.
pub const LOCK_USER: &str = "iamctl-lock";
/// Tag: who holds the lock (user, host, process, CI run).
pub const TAG_LOCK_HOLDER: &str = "iamctl:lock:holder";
/// Tag: the lock's id, unique per run (what `--force-unlock` names).
pub const TAG_LOCK_ID: &str = "iamctl:lock:id";
/// Tag: the command holding it (`apply`, `cleanup`).
pub const TAG_LOCK_COMMAND: &str = "iamctl:lock:command";
/// Tag: since when (RFC 3339, UTC).
pub const TAG_LOCK_SINCE: &str = "iamctl:lock:since";
/// Tag: the end of the lease (RFC 3339, UTC); past it the lock is stale.
pub const TAG_LOCK_EXPIRES: &str = "iamctl:lock:expires";

/// Attempts at making the lock in one [`Lock::try_acquire`] (each after a
/// lock found gone, broken, or a create whose answer was lost).
const CREATE_ATTEMPTS: u32 = 5;

/// What went wrong with a lock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another run holds the lock.
    #[error("locked by {0}")]
    Held(Box<Holder>),
    /// A user of the lock's name that is no lock of iamctl's.
    #[error("user `{LOCK_USER}` exists and is not a lock of iamctl's (it has no `{TAG_LOCK_ID}` and `{TAG_LOCK_EXPIRES}` tags)")]
    NotALock,
    /// `--force-unlock` named another lock.
    #[error("the lock's id is `{held}`, not `{given}`; nothing was removed")]
    WrongId { held: String, given: String },
    /// `--force-unlock` found no lock.
    #[error("there is no lock to remove")]
    NotLocked,
    /// The lock is no longer this run's: broken by another run after its
    /// lease ran out, or removed by hand.
    #[error("the lock was lost: {0}")]
    Lost(String),
    /// A call failed.
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// The tries ran out (calls kept failing or the lock kept changing).
    #[error("could not take the lock after {CREATE_ATTEMPTS} attempts: {0}")]
    GaveUp(String),
}

/// What a lock's tags say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub holder: String,
    pub id: String,
    pub command: String,
    pub since: String,
    pub expires: Timestamp,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} since {}, lease until {}; lock id `{}`)",
            self.holder,
            self.command,
            self.since,
            iamctl_config::rfc3339(self.expires),
            self.id
        )
    }
}

impl Holder {
    /// The lock its tags describe; `None` when they are not a lock's.
    pub fn from_tags(tags: &Tags) -> Option<Holder> {
        Some(Holder {
            holder: tags.get(TAG_LOCK_HOLDER).cloned().unwrap_or_default(),
            id: tags.get(TAG_LOCK_ID)?.clone(),
            command: tags.get(TAG_LOCK_COMMAND).cloned().unwrap_or_default(),
            since: tags.get(TAG_LOCK_SINCE).cloned().unwrap_or_default(),
            expires: tags.get(TAG_LOCK_EXPIRES)?.parse().ok()?,
        })
    }
}

/// A tag value IAM accepts: letters, digits, white space and `_.:/=+-@`
/// (others become `_`), at most 256 characters.
pub fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(256)
        .collect()
}

/// One run's lock on one account.
#[derive(Debug, Clone)]
pub struct Lock {
    /// Where the lock user is made (`settings.iam_path`).
    pub iam_path: String,
    /// Who is running (see [`tag_value`]).
    pub holder: String,
    /// This run's id.
    pub id: String,
    pub command: String,
    /// How long the lock holds without renewal.
    pub lease: SignedDuration,
}

impl Lock {
    fn tags(&self, now: Timestamp) -> Tags {
        Tags::from([
            (TAG_LOCK_HOLDER.to_owned(), tag_value(&self.holder)),
            (TAG_LOCK_ID.to_owned(), tag_value(&self.id)),
            (TAG_LOCK_COMMAND.to_owned(), tag_value(&self.command)),
            (TAG_LOCK_SINCE.to_owned(), iamctl_config::rfc3339(now)),
            (TAG_LOCK_EXPIRES.to_owned(), self.expiry(now)),
        ])
    }

    fn expiry(&self, now: Timestamp) -> String {
        iamctl_config::rfc3339(now.checked_add(self.lease).unwrap_or(now))
    }

    fn mine(&self, h: &Holder) -> bool {
        h.id == tag_value(&self.id)
    }

    /// The lock as the account holds it: `None` when there is none.
    async fn read(b: &dyn IamBackend) -> Result<Option<Holder>, LockError> {
        match b.principal_tags(PrincipalKind::User, LOCK_USER).await {
            Ok(tags) => Holder::from_tags(&tags)
                .map(Some)
                .ok_or(LockError::NotALock),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Takes the lock once: made, found already this run's (a create whose
    /// answer was lost), or, past its lease, broken and made again. A live
    /// lock of another run is [`LockError::Held`].
    pub async fn try_acquire(&self, b: &dyn IamBackend, now: Timestamp) -> Result<(), LockError> {
        let mut last = String::new();
        for _ in 0..CREATE_ATTEMPTS {
            match b
                .create_user(LOCK_USER, &self.iam_path, &self.tags(now))
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.kind == ErrorKind::AlreadyExists || e.kind.transient() => {
                    last = e.to_string();
                }
                Err(e) => return Err(e.into()),
            }
            let held = match Self::read(b).await {
                Ok(h) => h,
                Err(LockError::Backend(e)) if e.kind.transient() => {
                    last = e.to_string();
                    continue;
                }
                Err(e) => return Err(e),
            };
            match held {
                // Released meanwhile, or the create did not happen.
                None => continue,
                Some(h) if self.mine(&h) => return Ok(()),
                Some(h) if h.expires <= now => {
                    tracing::info!("breaking the stale lock {h}");
                    // Deleted only if it is still that stale lock.
                    match Self::read(b).await? {
                        Some(again) if again.id == h.id && again.expires <= now => {
                            match b.delete_user(LOCK_USER).await {
                                Err(e) if e.kind != ErrorKind::NotFound => return Err(e.into()),
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
                Some(h) => return Err(LockError::Held(Box::new(h))),
            }
        }
        Err(LockError::GaveUp(last))
    }

    /// Takes the lock, waiting for a live one of another run up to
    /// `timeout` (backoff from one second, doubling to 15, through
    /// [`IamBackend::pause`]); `now` is the clock. `waiting` is called
    /// once, with the holder, when the wait starts.
    pub async fn acquire(
        &self,
        b: &dyn IamBackend,
        now: &(dyn Fn() -> Timestamp + Sync),
        timeout: Duration,
        waiting: &(dyn Fn(&Holder) + Sync),
    ) -> Result<(), LockError> {
        let start = now();
        let deadline = start
            .checked_add(SignedDuration::try_from(timeout).unwrap_or(SignedDuration::MAX))
            .unwrap_or(Timestamp::MAX);
        let mut delay = Duration::from_secs(1);
        let mut said = false;
        loop {
            let h = match self.try_acquire(b, now()).await {
                Err(LockError::Held(h)) => h,
                other => return other,
            };
            let t = now();
            if t >= deadline {
                return Err(LockError::Held(h));
            }
            if !said {
                waiting(&h);
                said = true;
            }
            let left = Duration::try_from(deadline.duration_since(t)).unwrap_or(Duration::ZERO);
            b.pause(delay.min(left)).await;
            delay = (delay * 2).min(Duration::from_secs(15));
        }
    }

    /// Pushes the lease on to `now` + lease; [`LockError::Lost`] when the
    /// lock is not this run's any more.
    pub async fn renew(&self, b: &dyn IamBackend, now: Timestamp) -> Result<(), LockError> {
        match Self::read(b).await? {
            Some(h) if self.mine(&h) => {
                let tags = Tags::from([(TAG_LOCK_EXPIRES.to_owned(), self.expiry(now))]);
                b.tag(PrincipalKind::User, LOCK_USER, &tags).await?;
                Ok(())
            }
            Some(h) => Err(LockError::Lost(format!("it is now held by {h}"))),
            None => Err(LockError::Lost("it is gone".into())),
        }
    }

    /// Releases the lock: deleted when it is still this run's; gone is
    /// released. Another run's lock is left alone ([`LockError::Lost`]).
    pub async fn release(&self, b: &dyn IamBackend) -> Result<(), LockError> {
        match Self::read(b).await? {
            Some(h) if self.mine(&h) => match b.delete_user(LOCK_USER).await {
                Err(e) if e.kind != ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Some(h) => Err(LockError::Lost(format!("it is now held by {h}"))),
            None => Ok(()),
        }
    }
}

/// Removes the lock whose id is `id` (a run that died): refused when the
/// lock has another id, or there is none. Returns what the lock said.
pub async fn force_unlock(b: &dyn IamBackend, id: &str) -> Result<Holder, LockError> {
    match Lock::read(b).await? {
        Some(h) if h.id == tag_value(id) => {
            match b.delete_user(LOCK_USER).await {
                Err(e) if e.kind != ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
            Ok(h)
        }
        Some(h) => Err(LockError::WrongId {
            held: h.id,
            given: id.to_owned(),
        }),
        None => Err(LockError::NotLocked),
    }
}

/// The lock an account holds, if any.
pub async fn current(b: &dyn IamBackend) -> Result<Option<Holder>, LockError> {
    Lock::read(b).await
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
