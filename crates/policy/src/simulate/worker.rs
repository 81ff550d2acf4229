//! One worker of `simulate --batch`: answers blocks of request lines, each
//! line to one JSON answer line, in order. A front end runs one per core on
//! consecutive blocks of the input and writes their answers in input order.
//!
//! The common line over a snapshot (principal, action, resource, context,
//! no policies of its own) takes a path that allocates next to nothing: the
//! line is read typed and borrowed, the principal found by hash among the
//! principals seen before, and the request of that principal, with its own
//! context keys shared rather than copied, reused for each of its lines.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde_json::{json, Value};

use super::line::{write_id, Line};
use super::{BatchRequest, PolicyCache};
use crate::account::Account;
use crate::analysis::NoteCache;
use crate::eval::{
    evaluate_noting, Context, Effect, Evaluation, Note, PolicySet, Principal, PrincipalKind,
    Request,
};

/// Principals remembered per worker before starting afresh (a batch that
/// names ever new session ARNs must not grow without bound).
const MAX_KNOWN: usize = 1 << 16;

/// A hash for the principal texts of lines: eight bytes a step (the
/// standard hasher resists collision attacks this cache does not fear:
/// a slow lookup would only slow the batch that caused it).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What one block held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockCount {
    /// Non-blank lines, each answered.
    pub requests: usize,
    /// Lines answered with an error.
    pub errors: usize,
}

/// A line that is not UTF-8: its 1-based number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8(pub usize);

/// Answers request lines; keeps what it compiled and looked up for the
/// lines that follow. Not shared between threads: one per thread.
pub struct BatchWorker<'a> {
    account: Option<&'a Account>,
    base: &'a Context,
    /// `base`, shared by the lines that are not over the snapshot.
    base_shared: Option<Arc<Context>>,
    cache: PolicyCache,
    notes: NoteCache,
    /// A line's principal text → its entry in `prepared` (`None`: not in
    /// the snapshot).
    known: HashMap<Box<str>, Option<usize>, BuildHasherDefault<WordHasher>>,
    prepared: Vec<Prepared<'a>>,
    /// Per principal of the account: `base` over its own context keys.
    defaults: Vec<Option<Arc<Context>>>,
    text: String,
}

/// A principal of the snapshot as lines name it: its request, reused line
/// after line, and its policies.
struct Prepared<'a> {
    request: Request,
    set: PolicySet<'a>,
    /// `base` over the principal's own keys.
    defaults: Arc<Context>,
    /// The contexts of its recent lines, by their text, over `defaults`.
    contexts: Vec<(Box<str>, Context)>,
    /// The entry of `contexts` to replace next when it is full.
    evict: usize,
}

/// Contexts remembered per principal.
const CONTEXTS: usize = 8;

impl Prepared<'_> {
    /// The entry of `contexts` for the line's context, read at its first
    /// use. `None` when it does not read.
    fn context_for(&mut self, l: &Line<'_>) -> Option<usize> {
        let text = l.context_text();
        if let Some(i) = self.contexts.iter().position(|(t, _)| **t == *text) {
            return Some(i);
        }
        let mut context = Context::new();
        l.fill_context(&mut context)?;
        context.set_defaults(Some(self.defaults.clone()));
        let entry = (Box::from(text), context);
        if self.contexts.len() < CONTEXTS {
            self.contexts.push(entry);
            return Some(self.contexts.len() - 1);
        }
        let i = self.evict;
        self.evict = (i + 1) % CONTEXTS;
        self.contexts[i] = entry;
        Some(i)
    }
}

impl<'a> BatchWorker<'a> {
    /// Lines are evaluated over `account` when given (a line without
    /// `identityPolicies` takes its principal's policies from it), with the
    /// keys of `base` where a line's context does not set them.
    pub fn new(account: Option<&'a Account>, base: &'a Context) -> BatchWorker<'a> {
        BatchWorker {
            account,
            base,
            base_shared: (!base.is_empty()).then(|| Arc::new(base.clone())),
            cache: PolicyCache::new(),
            notes: NoteCache::new(),
            known: HashMap::default(),
            prepared: Vec::new(),
            defaults: Vec::new(),
            text: String::new(),
        }
    }

    /// Answers every line of `block` (whole lines, the first of them line
    /// `first_line`, 1-based), one answer line each, blank lines skipped.
    /// Stops at a line that is not UTF-8.
    pub fn answer_block(
        &mut self,
        block: &[u8],
        first_line: usize,
        out: &mut Vec<u8>,
    ) -> Result<BlockCount, NotUtf8> {
        let mut count = BlockCount::default();
        let mut rest = block;
        let mut n = first_line;
        while !rest.is_empty() {
            let (line, next) = match find_newline(rest) {
                Some(end) => {
                    let line = &rest[..end];
                    (line.strip_suffix(b"\r").unwrap_or(line), &rest[end + 1..])
                }
                None => (rest, &[][..]),
            };
            rest = next;
            let text = std::str::from_utf8(line).map_err(|_| NotUtf8(n))?;
            if !text.trim().is_empty() {
                count.requests += 1;
                if self.answer(text, n, out) {
                    count.errors += 1;
                }
            }
            n += 1;
        }
        Ok(count)
    }

    /// Writes the answer to one line (`n` is its 1-based number), with its
    /// newline: its decision, or an error naming the line. Says whether it
    /// was an error.
    pub fn answer(&mut self, line: &str, n: usize, out: &mut Vec<u8>) -> bool {
        if let Some(l) = Line::read(line) {
            if let (Some(account), true) = (self.account, l.plain()) {
                if let Some(error) = self.answer_over_snapshot(account, &l, out) {
                    return error;
                }
            } else if let Some(req) = BatchRequest::from_line(&l, &mut self.cache) {
                return self.answer_request(req, out);
            }
        }
        match BatchRequest::from_text_cached(line, &mut self.cache) {
            Ok(req) => self.answer_request(req, out),
            Err(e) => {
                let mut v = e.to_json();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("line".into(), json!(n));
                }
                write_error(out, &v)
            }
        }
    }

    /// A line without policies of its own, over the snapshot. `None`, with
    /// nothing written, when its context does not read.
    fn answer_over_snapshot(
        &mut self,
        account: &'a Account,
        l: &Line<'_>,
        out: &mut Vec<u8>,
    ) -> Option<bool> {
        let found = match self.known.get(l.principal.as_ref()) {
            Some(found) => *found,
            None => self.prepare(account, &l.principal),
        };
        let Some(i) = found else {
            // The context's mistakes are told first, as the full reading does.
            l.fill_context(&mut Context::new())?;
            return Some(write_error(
                out,
                &json!({"id": l.id_value(), "error": format!("no user or role `{}` in the snapshot", l.principal)}),
            ));
        };
        let p = &mut self.prepared[i];
        let slot = p.context_for(l)?;
        let request = &mut p.request;
        std::mem::swap(&mut request.context, &mut p.contexts[slot].1);
        request.reset(
            &l.action,
            l.resource.as_deref().unwrap_or("*"),
            l.resource_account.as_deref(),
        );
        p.set.resource = if request.action_lower.starts_with("sts:") {
            account.implied_resource_policy(&request.action, &request.resource)
        } else {
            None
        };
        let mut missing = Vec::new();
        let e = evaluate_noting(request, &p.set, &mut missing);
        out.extend_from_slice(b"{\"id\":");
        write_id(out, l.id);
        write_rest(
            out,
            &e,
            &missing,
            &request.action,
            &mut self.notes,
            &mut self.text,
        );
        std::mem::swap(&mut request.context, &mut p.contexts[slot].1);
        Some(false)
    }

    /// Finds the principal a line names and prepares its request.
    fn prepare(&mut self, account: &'a Account, text: &str) -> Option<usize> {
        if self.known.len() >= MAX_KNOWN {
            self.known.clear();
            self.prepared.clear();
        }
        let found = account.principal_index(text).map(|index| {
            let entity = &account.principals[index];
            let mut principal = Principal::parse(text);
            if principal.kind == PrincipalKind::RoleSession {
                principal.role_arn = Some(entity.arn.clone());
            }
            let defaults = self.entity_defaults(account, index);
            self.prepared.push(Prepared {
                request: Request::new(principal, "iam:none", "*", None, Context::new()),
                set: account.policy_set(entity),
                defaults,
                contexts: Vec::new(),
                evict: 0,
            });
            self.prepared.len() - 1
        });
        self.known.insert(text.into(), found);
        found
    }

    /// `base` over the principal's own context keys, made once.
    fn entity_defaults(&mut self, account: &Account, index: usize) -> Arc<Context> {
        if self.defaults.len() < account.principals.len() {
            self.defaults.resize(account.principals.len(), None);
        }
        self.defaults[index]
            .get_or_insert_with(|| {
                let mut c = self.base.clone();
                account.principal_context(&account.principals[index], &mut c);
                Arc::new(c)
            })
            .clone()
    }

    /// Any other line, read in full.
    fn answer_request(&mut self, mut req: BatchRequest, out: &mut Vec<u8>) -> bool {
        let set = match self.account {
            Some(account) if req.identity.is_empty() => {
                let Some(index) = account.principal_index(&req.request.principal.arn) else {
                    return write_error(
                        out,
                        &json!({"id": req.id, "error": format!("no user or role `{}` in the snapshot", req.request.principal.arn)}),
                    );
                };
                let entity = &account.principals[index];
                let defaults = self.entity_defaults(account, index);
                req.request.context.set_defaults(Some(defaults));
                if req.request.principal.kind == PrincipalKind::RoleSession {
                    req.request.principal.role_arn = Some(entity.arn.clone());
                }
                let mut set = account.policy_set(entity);
                let own = req.policy_set();
                if own.boundary.is_some() {
                    set.boundary = own.boundary;
                }
                set.session = own.session;
                set.resource = own.resource.or_else(|| {
                    account.implied_resource_policy(&req.request.action, &req.request.resource)
                });
                set.scps = own.scps;
                set.rcps = own.rcps;
                set
            }
            _ => {
                req.request.context.set_defaults(self.base_shared.clone());
                req.policy_set()
            }
        };
        let mut missing = Vec::new();
        let e = evaluate_noting(&req.request, &set, &mut missing);
        out.extend_from_slice(b"{\"id\":");
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &req.id);
        write_rest(
            out,
            &e,
            &missing,
            &req.request.action,
            &mut self.notes,
            &mut self.text,
        );
        false
    }
}

/// The first `\n` of `bytes`, eight bytes a step.
pub(super) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let x = word ^ (ONES * u64::from(b'\n'));
        // The lowest flagged byte is the first zero byte of `x` (flags
        // above it may be false).
        let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

/// An error answer line. Always `true` (it was an error).
fn write_error(out: &mut Vec<u8>, answer: &Value) -> bool {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, answer);
    out.push(b'\n');
    true
}

/// The answer after its id, as [`super::evaluation_to_json`] prints it, the
/// notes on missing keys after the evaluation's own, and the newline.
fn write_rest(
    out: &mut Vec<u8>,
    e: &Evaluation<'_>,
    missing: &[&str],
    action: &str,
    notes: &mut NoteCache,
    text: &mut String,
) {
    fn string(out: &mut Vec<u8>, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
    out.extend_from_slice(b",\"decision\":\"");
    out.extend_from_slice(e.decision.as_str().as_bytes());
    out.extend_from_slice(b"\",\"matchedStatements\":[");
    for (i, m) in e.matched.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"policy\":");
        string(out, m.policy);
        out.extend_from_slice(b",\"layer\":\"");
        out.extend_from_slice(m.layer.as_str().as_bytes());
        out.extend_from_slice(b"\",\"sid\":");
        match m.sid {
            Some(sid) => string(out, sid),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"statement\":");
        text.clear();
        let _ = write!(text, "{}", m.index);
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(match m.effect {
            Effect::Allow => b",\"effect\":\"Allow\"}",
            Effect::Deny => b",\"effect\":\"Deny\"}",
        });
    }
    out.extend_from_slice(b"],\"notes\":[");
    let mut first = true;
    let mut note = |out: &mut Vec<u8>, n: &Note| {
        if !first {
            out.push(b',');
        }
        first = false;
        text.clear();
        let _ = write!(text, "{n}");
        string(out, text);
    };
    for n in &e.notes {
        note(out, n);
    }
    for key in missing {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(notes.note_json(action, key).as_bytes());
    }
    out.extend_from_slice(b"]}\n");
}
