//! What `apply` and `cleanup` hold while they run: the interrupt flag set by
//! Ctrl-C or SIGTERM, the lock of each account (an IAM user, see
//! [`iamctl_iac::lock`]; and the master-copy bucket's lock object when
//! `master_copy` is set), renewed while the run lasts and released at its
//! end, also after a failure or an interrupt.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iamctl_aws::Aws;
use iamctl_config::{Config, DesiredAccount};
use iamctl_iac::apply::Cancel;
use iamctl_iac::lock::{force_unlock, Holder, Lock, LockError};
use jiff::{SignedDuration, Timestamp};

use super::target::assume;
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// How long an account's lock holds without renewal (renewed every third
/// of it while the run lasts).
const LEASE: Duration = Duration::from_secs(600);

/// How long an interrupted run waits for the calls in flight.
pub(super) const IN_FLIGHT_GRACE: Duration = Duration::from_secs(20);

/// The exit status of an interrupted run.
pub(super) const INTERRUPTED: u8 = crate::error::exit::INTERRUPTED;

/// Ctrl-C and SIGTERM set the flag (the run stops starting calls); a second
/// one exits at once (the locks then run out after their lease).
pub(super) fn watch_signals(ctx: &Ctx) -> Cancel {
    let cancel = Cancel::new();
    let flag = cancel.clone();
    let quiet = ctx.json();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        for n in 0..2 {
            #[cfg(unix)]
            let term_recv = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let term_recv = std::future::pending::<()>();
            tokio::select! {
                r = tokio::signal::ctrl_c() => {
                    if r.is_err() {
                        return;
                    }
                }
                () = term_recv => {}
            }
            if n == 0 {
                flag.cancel();
                if !quiet {
                    eprintln!("interrupt: starting no further call; waiting for those in flight, then releasing the lock(s) (interrupt again to exit at once)");
                }
            } else {
                eprintln!(
                    "interrupted again: exiting at once; the lock(s) run out after their lease"
                );
                std::process::exit(i32::from(INTERRUPTED));
            }
        }
    });
    cancel
}

/// Resolves once `cancel` is set.
pub(super) async fn cancelled(cancel: &Cancel) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `fut`, or `None` when interrupted first (the future is dropped).
pub(super) async fn unless_cancelled<T>(
    cancel: &Cancel,
    fut: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        v = fut => Some(v),
        () = cancelled(cancel) => None,
    }
}

/// How a run locks its accounts.
pub(super) struct LockArgs<'a> {
    pub command: &'static str,
    pub timeout: Duration,
    pub force_unlock: Option<&'a str>,
}

/// The accounts of a run, assumed and locked.
pub(super) struct Session {
    pub cancel: Cancel,
    /// Each account's deployer clients, in the order of `desired`.
    pub assumed: Vec<(DesiredAccount, Aws)>,
    lock: Lock,
    /// One per account id.
    locked: Vec<(String, String, Aws)>,
    s3: Vec<super::s3_lock::Lock>,
    renewal: Option<tokio::task::JoinHandle<()>>,
    /// Why a lock was lost, when it was (the run then stopped).
    pub lost: Arc<Mutex<Option<String>>>,
}

/// An id for this run's locks: the process and the instant.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{:x}", std::process::id(), (nanos as u64) & 0xffff_ffff)
}

/// The run's clock: the command's `now` (`IAMCTL_NOW` or the system
/// clock), moving on with the time spent.
fn clock(start: Timestamp, started: Instant) -> Timestamp {
    let spent = SignedDuration::try_from(started.elapsed()).unwrap_or(SignedDuration::ZERO);
    start.checked_add(spent).unwrap_or(start)
}

impl Session {
    /// Interrupt handling on, the master-copy lock (when configured), the
    /// deployer role of each account assumed, each account locked (after
    /// `--force-unlock` removed a dead run's lock), renewal started. An
    /// interrupt meanwhile releases what was taken and says so (exit 130).
    pub(super) async fn open(
        ctx: &Ctx,
        config: &Config,
        desired: Vec<DesiredAccount>,
        how: &LockArgs<'_>,
    ) -> CmdResult<Session> {
        let cancel = watch_signals(ctx);
        let s3 = match &config.settings.master_copy {
            Some(m) => {
                let taken = super::s3_lock::lock_accounts(
                    ctx,
                    &m.value,
                    &desired,
                    how.timeout,
                    how.command,
                );
                match unless_cancelled(&cancel, taken).await {
                    Some(r) => r?,
                    None => return Err(interrupted_early(ctx, how.command)),
                }
            }
            None => Vec::new(),
        };
        let iam_path = desired
            .first()
            .map_or_else(|| "/iamctl/".to_owned(), |d| d.iam_path.clone());
        let mut session = Session {
            cancel,
            assumed: Vec::new(),
            lock: Lock {
                iam_path,
                holder: super::s3_lock::holder(),
                id: run_id(),
                command: how.command.to_owned(),
                lease: SignedDuration::try_from(LEASE).unwrap_or(SignedDuration::ZERO),
            },
            locked: Vec::new(),
            s3,
            renewal: None,
            lost: Arc::new(Mutex::new(None)),
        };
        let cancel = session.cancel.clone();
        let r = unless_cancelled(&cancel, session.take(ctx, desired, how)).await;
        match r {
            Some(Ok(())) => {
                session.renew_meanwhile(ctx);
                Ok(session)
            }
            Some(Err(e)) => {
                session.close(ctx).await;
                Err(e)
            }
            None => {
                // A lock may have been made by a call cut short: release
                // (this run's id only) wherever this run may hold one.
                session.locked = session
                    .assumed
                    .iter()
                    .map(|(d, aws)| (d.account_id.clone(), d.environment.clone(), aws.clone()))
                    .collect();
                session.close(ctx).await;
                Err(interrupted_early(ctx, how.command))
            }
        }
    }

    /// Assumes every account's deployer role, then locks each account once,
    /// in account order (two runs never hold one lock each).
    async fn take(
        &mut self,
        ctx: &Ctx,
        desired: Vec<DesiredAccount>,
        how: &LockArgs<'_>,
    ) -> CmdResult {
        for d in desired {
            let aws = assume(ctx, &d).await?;
            self.assumed.push((d, aws));
        }
        let mut accounts: Vec<(String, String, Aws, String)> = self
            .assumed
            .iter()
            .map(|(d, aws)| {
                (
                    d.account_id.clone(),
                    d.environment.clone(),
                    aws.clone(),
                    d.iam_path.clone(),
                )
            })
            .collect();
        accounts.sort_by(|x, y| x.0.cmp(&y.0));
        accounts.dedup_by(|x, y| x.0 == y.0);
        if let Some(id) = how.force_unlock {
            force_unlocks(ctx, &accounts, id).await?;
        }
        let (start, started) = (ctx.now, Instant::now());
        let now = move || clock(start, started);
        for (account, env, aws, iam_path) in accounts {
            let lock = Lock {
                iam_path,
                ..self.lock.clone()
            };
            let waiting = |h: &Holder| {
                ctx.status(format!(
                    "account `{account}` ({env}) is locked by {h}; waiting up to {}s",
                    how.timeout.as_secs()
                ));
            };
            match lock.acquire(&aws, &now, how.timeout, &waiting).await {
                Ok(()) => self.locked.push((account, env, aws)),
                Err(LockError::Held(h)) => {
                    return Err(CommandError::failure_help(
                        format!("account `{account}` ({env}) is locked by {h}; nothing was done"),
                        format!(
                            "wait for it to finish, or pass `--lock-timeout 10m`; if that run died, its lock lapses at {}, or remove it now with `iamctl {} --force-unlock {}`",
                            iamctl_config::rfc3339(h.expires),
                            how.command,
                            h.id
                        ),
                    ))
                }
                Err(e) => {
                    return Err(CommandError::failure(format!(
                        "account `{account}` ({env}): cannot take the lock `{}`: {e}; nothing was done",
                        iamctl_iac::lock::LOCK_USER
                    )))
                }
            }
        }
        Ok(())
    }

    /// Renews every lock each third of the lease; a lock lost to another
    /// run interrupts this one.
    fn renew_meanwhile(&mut self, ctx: &Ctx) {
        let locked: Vec<(String, Aws)> = self
            .locked
            .iter()
            .map(|(a, _, aws)| (a.clone(), aws.clone()))
            .collect();
        let lock = self.lock.clone();
        let cancel = self.cancel.clone();
        let lost = self.lost.clone();
        let (start, started) = (ctx.now, Instant::now());
        self.renewal = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                for (account, aws) in &locked {
                    match lock.renew(aws, clock(start, started)).await {
                        Ok(()) => {}
                        Err(LockError::Lost(why)) => {
                            if let Ok(mut l) = lost.lock() {
                                *l = Some(format!(
                                    "the lock of account `{account}` was lost: {why}"
                                ));
                            }
                            cancel.cancel();
                            return;
                        }
                        Err(e) => tracing::warn!("renewing the lock of account `{account}`: {e}"),
                    }
                }
            }
        }));
    }

    /// The error of a lock lost while the run went on (another run broke it
    /// after its lease ran out, or it was removed by hand): the run stopped.
    pub(super) fn lost_lock(&self) -> Option<CommandError> {
        let why = self.lost.lock().ok()?.clone()?;
        Some(CommandError::failure_help(
            format!("{why}; the run stopped starting changes"),
            "run it again once the other run is done: it plans from what the accounts hold",
        ))
    }

    /// Stops renewal and releases every lock; a lock that cannot be
    /// released is said (it lapses after its lease).
    pub(super) async fn close(mut self, ctx: &Ctx) {
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        for (account, env, aws) in std::mem::take(&mut self.locked) {
            if let Err(e) = self.lock.release(&aws).await {
                ctx.status(format!(
                    "could not release the lock of account `{account}` ({env}): {e} (it lapses after its lease)"
                ));
            }
        }
        super::s3_lock::unlock(ctx, std::mem::take(&mut self.s3)).await;
    }
}

/// `--force-unlock ID`: removes the locks of that id (a run that died);
/// a lock of another id is left alone (and then waited for or refused).
async fn force_unlocks(
    ctx: &Ctx,
    accounts: &[(String, String, Aws, String)],
    id: &str,
) -> CmdResult {
    let mut removed = 0;
    for (account, env, aws, _) in accounts {
        match force_unlock(aws, id).await {
            Ok(h) => {
                removed += 1;
                ctx.status(format!(
                    "account `{account}` ({env}): removed the lock of {h}"
                ));
            }
            Err(LockError::NotLocked) => {}
            Err(e @ LockError::WrongId { .. }) => {
                ctx.status(format!("account `{account}` ({env}): {e}"));
            }
            Err(e) => {
                return Err(CommandError::failure(format!(
                    "account `{account}` ({env}): cannot remove the lock: {e}; nothing was done"
                )))
            }
        }
    }
    if removed == 0 {
        return Err(CommandError::failure_help(
            format!("no account holds a lock of id `{id}`; nothing was done"),
            "the id is in the message that named the lock's holder",
        ));
    }
    Ok(())
}

/// The error of a run interrupted before it changed anything; with
/// `--output json`, its document.
pub(super) fn interrupted_early(ctx: &Ctx, command: &str) -> CommandError {
    if ctx.json() {
        let doc = serde_json::json!({
            "command": command,
            "result": "interrupted",
            "accounts": [],
            "exit_code": INTERRUPTED,
        });
        if let Err(e) = ctx.changed(doc) {
            return e;
        }
    }
    ctx.status("interrupted: nothing was changed");
    CommandError::silent(INTERRUPTED)
}
