//! The lock protocol against the memory backend: contention, leases under
//! the injected clock, force-unlock, lost replies.

use futures::executor::block_on;

use super::*;
use crate::memory::{Fault, FaultSchedule, MemoryBackend};

const ACCOUNT: &str = "111111111111";

fn t0() -> Timestamp {
    "2026-03-21T11:00:00Z".parse().expect("timestamp")
}

fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

fn lock(id: &str) -> Lock {
    Lock {
        iam_path: "/iamctl/".into(),
        holder: format!("{id}@ci, pid 7"),
        id: id.into(),
        command: "apply".into(),
        lease: SignedDuration::from_secs(600),
    }
}

fn held(b: &MemoryBackend) -> Option<Holder> {
    block_on(current(b)).expect("read")
}

/// The first run takes the lock; a second is refused, naming the holder
/// and the lease, and changes nothing; once released, the second gets it.
#[test]
fn a_second_run_is_refused_until_the_first_releases() {
    let b = MemoryBackend::new(ACCOUNT);
    let (a, z) = (lock("run-a"), lock("run-z"));
    block_on(a.try_acquire(&b, t0())).expect("a takes it");
    let user = b.state().principals(PrincipalKind::User)[LOCK_USER].clone();
    assert_eq!(user.path, "/iamctl/");
    let err = block_on(z.try_acquire(&b, at(5))).expect_err("z refused");
    let LockError::Held(h) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(h.id, "run-a");
    // Tag values take no commas: the holder is kept readable otherwise.
    assert_eq!(h.holder, "run-a@ci_ pid 7");
    assert_eq!(h.expires, at(600));
    assert!(
        err.to_string().contains("lease until 2026-03-21T11:10:00Z"),
        "{err}"
    );
    assert_eq!(held(&b).map(|h| h.id), Some("run-a".into()));
    block_on(a.release(&b)).expect("released");
    assert_eq!(held(&b), None);
    block_on(z.try_acquire(&b, at(6))).expect("z takes it");
    assert_eq!(held(&b).map(|h| h.id), Some("run-z".into()));
}

/// A lock is stale only after its lease: one second before, it holds; at
/// the instant, it is broken and taken.
#[test]
fn a_stale_lock_is_broken_only_after_its_lease() {
    let b = MemoryBackend::new(ACCOUNT);
    let (a, z) = (lock("run-a"), lock("run-z"));
    block_on(a.try_acquire(&b, t0())).expect("a");
    assert!(matches!(
        block_on(z.try_acquire(&b, at(599))),
        Err(LockError::Held(_))
    ));
    block_on(z.try_acquire(&b, at(600))).expect("stale: broken");
    assert_eq!(
        held(&b).map(|h| (h.id, h.expires)),
        Some(("run-z".into(), at(1200)))
    );
    // The run that lost it finds out when renewing, and does not delete
    // the new holder's lock when releasing.
    let lost = block_on(a.renew(&b, at(601))).expect_err("lost");
    assert!(matches!(lost, LockError::Lost(_)), "{lost:?}");
    assert!(block_on(a.release(&b)).is_err());
    assert_eq!(held(&b).map(|h| h.id), Some("run-z".into()));
}

/// Renewal pushes the lease on, so a long run keeps its lock.
#[test]
fn renewal_keeps_a_long_run_locked() {
    let b = MemoryBackend::new(ACCOUNT);
    let (a, z) = (lock("run-a"), lock("run-z"));
    block_on(a.try_acquire(&b, t0())).expect("a");
    block_on(a.renew(&b, at(500))).expect("renewed");
    assert!(matches!(
        block_on(z.try_acquire(&b, at(900))),
        Err(LockError::Held(_))
    ));
    assert_eq!(held(&b).map(|h| h.expires), Some(at(1100)));
}

/// A waiting run polls with backoff (time passes on the injected clock,
/// through the backend's pauses) and takes the lock once its lease runs
/// out; with a shorter timeout it gives up naming the holder.
#[test]
fn a_waiting_run_takes_the_lock_once_stale_or_gives_up() {
    let b = MemoryBackend::new(ACCOUNT);
    let (a, z) = (lock("run-a"), lock("run-z"));
    block_on(a.try_acquire(&b, t0())).expect("a");
    let clock = || t0() + SignedDuration::try_from(b.paused()).expect("duration");
    let said = std::sync::Mutex::new(Vec::new());
    let waiting = |h: &Holder| said.lock().expect("lock").push(h.id.clone());
    let err =
        block_on(z.acquire(&b, &clock, Duration::from_secs(60), &waiting)).expect_err("timed out");
    assert!(matches!(err, LockError::Held(_)), "{err:?}");
    assert!(b.paused() >= Duration::from_secs(60), "{:?}", b.paused());
    assert!(b.paused() < Duration::from_secs(61), "{:?}", b.paused());
    assert_eq!(*said.lock().expect("lock"), ["run-a"], "said once");
    block_on(z.acquire(&b, &clock, Duration::from_secs(3600), &waiting)).expect("taken");
    assert!(b.paused() >= Duration::from_secs(600));
    assert_eq!(held(&b).map(|h| h.id), Some("run-z".into()));
}

/// `--force-unlock` with another id removes nothing; with the lock's id it
/// removes it; with no lock it says so.
#[test]
fn force_unlock_needs_the_locks_id() {
    let b = MemoryBackend::new(ACCOUNT);
    block_on(lock("run-a").try_acquire(&b, t0())).expect("a");
    let wrong = block_on(force_unlock(&b, "run-b")).expect_err("wrong id");
    assert_eq!(
        wrong,
        LockError::WrongId {
            held: "run-a".into(),
            given: "run-b".into()
        }
    );
    assert!(held(&b).is_some());
    let h = block_on(force_unlock(&b, "run-a")).expect("removed");
    assert_eq!(h.id, "run-a");
    assert_eq!(held(&b), None);
    assert_eq!(
        block_on(force_unlock(&b, "run-a")),
        Err(LockError::NotLocked)
    );
}

/// A CreateUser whose reply is lost took effect: the lock found with this
/// run's id is taken as made (no second create, no refusal of itself).
#[test]
fn a_lost_create_reply_is_recognised_by_the_id() {
    let b = MemoryBackend::new(ACCOUNT);
    b.set_faults_from_now(FaultSchedule::none().on("CreateUser", 0, Fault::LostReply));
    block_on(lock("run-a").try_acquire(&b, t0())).expect("taken");
    assert_eq!(held(&b).map(|h| h.id), Some("run-a".into()));
    assert_eq!(b.calls().get("CreateUser"), Some(&1));
    // A throttled create had no effect: it is sent again.
    let c = MemoryBackend::new(ACCOUNT);
    c.set_faults_from_now(FaultSchedule::none().on("CreateUser", 0, Fault::Throttled));
    block_on(lock("run-a").try_acquire(&c, t0())).expect("taken");
    assert_eq!(c.calls().get("CreateUser"), Some(&2));
    assert_eq!(held(&c).map(|h| h.id), Some("run-a".into()));
}

/// A user of the lock's name made by hand is never taken for a lock, nor
/// deleted.
#[test]
fn a_hand_made_user_of_the_name_is_not_a_lock() {
    let b = MemoryBackend::new(ACCOUNT);
    block_on(b.create_user(LOCK_USER, "/", &Tags::new())).expect("hand-made");
    let err = block_on(lock("run-a").try_acquire(&b, t0())).expect_err("not a lock");
    assert_eq!(err, LockError::NotALock);
    assert!(block_on(lock("run-a").release(&b)).is_err());
    assert!(b
        .state()
        .principals(PrincipalKind::User)
        .contains_key(LOCK_USER));
}
