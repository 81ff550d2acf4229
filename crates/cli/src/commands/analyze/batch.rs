//! `simulate --batch`: JSON lines in, JSON lines out, on every core.
//!
//! The reading thread cuts the input into blocks of whole lines; one
//! [`BatchWorker`] per core answers blocks as they come; the reading thread
//! writes the answers of each block in input order. Buffers go round, so a
//! long batch allocates no more after its first blocks.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver};
use std::sync::Mutex;

use iamctl_policy::account::Account;
use iamctl_policy::eval::Context;
use iamctl_policy::simulate::{BatchWorker, BlockCount, NotUtf8};

use super::{base_context, load_account, SimulateArgs};
use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};

/// Bytes of input per block handed to a worker (whole lines: a block
/// grows to hold a longer line).
const BLOCK: usize = 1 << 18;

pub(super) async fn simulate_batch(ctx: &Ctx, a: &SimulateArgs, batch: &str) -> CmdResult {
    // The action data, read while the snapshot is: the notes on missing
    // condition keys need it.
    std::thread::spawn(|| {
        iamctl_policy::catalog::catalog();
    });
    let base = base_context(ctx, &a.source, false)?;
    let account = match &a.source.snapshot {
        Some(_) => Some(load_account(ctx, &a.source).await?),
        None => None,
    };
    let mut input: Box<dyn Read> = if batch == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(batch)
                .map_err(|e| CommandError::invalid(format!("cannot read `{batch}`: {e}")))?,
        )
    };
    let stdout = std::io::stdout();
    crate::ctx::mark_stdout_used();
    let mut out = stdout.lock();
    let count = answer_all(&mut *input, &mut out, account.as_ref(), &base)?;
    let (lines, errors) = (count.requests, count.errors);
    ctx.status(format!("{lines} request(s), {errors} error(s)"));
    if errors > 0 {
        // Every answer is written; the exit code tells a script that some
        // lines could not be evaluated.
        return Err(CommandError::failure(format!(
            "{errors} of {lines} request line(s) could not be evaluated (see their `error` answers)"
        )));
    }
    Ok(())
}

/// A block of whole lines for a worker, and the buffer for its answers.
struct Job {
    seq: usize,
    first_line: usize,
    input: Vec<u8>,
    out: Vec<u8>,
}

/// A block answered.
struct Done {
    seq: usize,
    input: Vec<u8>,
    out: Vec<u8>,
    count: Result<BlockCount, NotUtf8>,
}

fn not_utf8() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}

/// Answers every line of `input` on `out`, in order.
fn answer_all(
    input: &mut dyn Read,
    out: &mut dyn Write,
    account: Option<&Account>,
    base: &Context,
) -> CmdResult<BlockCount> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    let (job_tx, job_rx) = sync_channel::<Job>(workers * 2);
    let job_rx = Mutex::new(job_rx);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = channel::<Done>();
        for _ in 0..workers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || {
                let mut worker = BatchWorker::new(account, base);
                loop {
                    // The lock is held only while taking a job.
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(mut job)) = job else { break };
                    job.out.clear();
                    let count = worker.answer_block(&job.input, job.first_line, &mut job.out);
                    let done = Done {
                        seq: job.seq,
                        input: job.input,
                        out: job.out,
                        count,
                    };
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut writer = Ordered::new(out, done_rx);
        // A line begun at the end of the last block.
        let mut partial: Vec<u8> = Vec::new();
        let (mut seq, mut first_line) = (0usize, 1usize);
        loop {
            let mut block = if partial.is_empty() {
                writer.spare_input()
            } else {
                std::mem::take(&mut partial)
            };
            let eof = fill(input, &mut block)?;
            if !eof {
                // Whole lines only: the rest starts the next block.
                match block.iter().rposition(|&b| b == b'\n') {
                    Some(end) => {
                        partial = writer.spare_input();
                        partial.extend_from_slice(&block[end + 1..]);
                        block.truncate(end + 1);
                    }
                    None => {
                        // One line longer than a block: keep reading it.
                        partial = block;
                        continue;
                    }
                }
            }
            if !block.is_empty() {
                let newlines = block.iter().filter(|&&b| b == b'\n').count();
                let job = Job {
                    seq,
                    first_line,
                    input: block,
                    out: writer.spare_output(),
                };
                if job_tx.send(job).is_err() {
                    break;
                }
                seq += 1;
                first_line += newlines;
                writer.write_ready(false)?;
            }
            if eof {
                break;
            }
        }
        drop(job_tx);
        while writer.next < seq {
            if !writer.write_ready(true)? {
                break;
            }
        }
        writer.out.flush()?;
        Ok(writer.count)
    })
}

/// Reads [`BLOCK`] more bytes into `block` (as many as it holds when that
/// is more: a long line doubles it) unless the input ends first (`true`).
fn fill(input: &mut dyn Read, block: &mut Vec<u8>) -> std::io::Result<bool> {
    let want = BLOCK.max(block.len());
    // Into the spare capacity, without zeroing it first.
    let got = input.take(want as u64).read_to_end(block)?;
    Ok(got < want)
}

/// Writes answered blocks in input order, keeping their buffers for reuse.
struct Ordered<'o> {
    out: &'o mut dyn Write,
    done: Receiver<Done>,
    pending: BTreeMap<usize, Done>,
    next: usize,
    count: BlockCount,
    inputs: Vec<Vec<u8>>,
    outputs: Vec<Vec<u8>>,
}

impl<'o> Ordered<'o> {
    fn new(out: &'o mut dyn Write, done: Receiver<Done>) -> Ordered<'o> {
        Ordered {
            out,
            done,
            pending: BTreeMap::new(),
            next: 0,
            count: BlockCount::default(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    fn spare_input(&mut self) -> Vec<u8> {
        let mut v = self
            .inputs
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK + BLOCK / 4));
        v.clear();
        v
    }

    fn spare_output(&mut self) -> Vec<u8> {
        self.outputs.pop().unwrap_or_default()
    }

    /// Writes every block that is next in order; with `wait`, waits for at
    /// least one answered block first. `false` when no more can come.
    fn write_ready(&mut self, wait: bool) -> CmdResult<bool> {
        let mut more = true;
        if wait {
            match self.done.recv() {
                Ok(d) => {
                    self.pending.insert(d.seq, d);
                }
                Err(_) => more = false,
            }
        }
        while let Ok(d) = self.done.try_recv() {
            self.pending.insert(d.seq, d);
        }
        while let Some(d) = self.pending.remove(&self.next) {
            self.out.write_all(&d.out)?;
            let count = d.count.map_err(|_| not_utf8())?;
            self.count.requests += count.requests;
            self.count.errors += count.errors;
            self.next += 1;
            self.inputs.push(d.input);
            self.outputs.push(d.out);
        }
        Ok(more)
    }
}
