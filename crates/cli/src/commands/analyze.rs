//! Offline policy analysis: `simulate`, `who-can` and `access`, over a
//! snapshot file, policy files, or the live account read the same way.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use iamctl_policy::account::{Account, Entity, EntityKind, Source};
use iamctl_policy::analysis::{self, Because};
use iamctl_policy::catalog::{catalog, AccessLevel};
use iamctl_policy::eval::{evaluate, Context, Policy, PolicySet, Principal, Request};
use iamctl_policy::simulate::{evaluation_to_json, write_evaluation, BatchRequest, PolicyCache};
use serde_json::{json, Value};

use crate::ctx::{table, Ctx};
use crate::error::{CmdResult, CommandError};

/// Options shared by the analysis commands: where the account comes from,
/// the request context and the clock.
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// Account snapshot: the JSON of `iamctl account snapshot` or `aws iam
    /// get-account-authorization-details`. Without it the live account is read.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// A request context key (repeat a key for a multivalued key such as
    /// `aws:TagKeys`).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Evaluate as of this instant (RFC 3339, UTC); sets `aws:CurrentTime`
    /// and `aws:EpochTime` unless given with `--context`.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Without --batch: one request. The principal's policies come from --snapshot, or from
--policy/--boundary/... files (no AWS call), or else from the live account.

With --batch FILE (or - for stdin): one JSON request per line, one JSON answer per line:
  {\"id\", \"principal\", \"action\", \"resource\", \"resourceAccount\", \"context\",
   \"identityPolicies\", \"permissionBoundary\", \"resourcePolicy\", \"sessionPolicy\",
   \"serviceControlPolicies\", \"resourceControlPolicies\"}
  -> {\"id\", \"decision\", \"matchedStatements\", \"notes\"}  or  {\"id\", \"error\"}
With --snapshot, a line without identityPolicies takes the principal's policies from it.
Exits 1 when any line could not be evaluated, after writing every answer.")]
pub struct SimulateArgs {
    /// The principal ARN (user, role, assumed-role session) or, with a
    /// snapshot, a user or role name.
    #[arg(long)]
    pub principal: Option<String>,
    /// The action, `service:Action`; repeat for several.
    #[arg(long = "action", value_name = "ACTION")]
    pub actions: Vec<String>,
    /// The resource ARN.
    #[arg(long, default_value = "*")]
    pub resource: String,
    /// The account owning the resource (default: from its ARN, else the principal's).
    #[arg(long, value_name = "ACCOUNT")]
    pub resource_account: Option<String>,
    /// An identity-based policy file (repeatable).
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// A permissions boundary policy file.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// The resource's resource-based policy file.
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// A session policy file.
    #[arg(long, value_name = "FILE")]
    pub session_policy: Option<PathBuf>,
    /// One SCP level, root first (repeat per level; comma-separate several files of a level).
    #[arg(long = "scp", value_name = "FILE[,FILE]")]
    pub scps: Vec<String>,
    /// One RCP level, root first (like --scp).
    #[arg(long = "rcp", value_name = "FILE[,FILE]")]
    pub rcps: Vec<String>,
    /// JSON-lines requests (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["principal", "actions"])]
    pub batch: Option<String>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct WhoCanArgs {
    /// The action; wildcards expand with AWS's action list (`iam:*`, `s3:Get*`).
    pub action: String,
    /// The resource ARN; without it, "on some resource the action takes".
    pub resource: Option<String>,
    /// The resource's own resource-based policy, if it has one.
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct AccessArgs {
    /// A user or role: ARN or name.
    pub principal: String,
    #[command(flatten)]
    pub source: SourceArgs,
}

fn read_text(path: &Path) -> CmdResult<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))
}

fn read_json(path: &Path) -> CmdResult<Value> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        CommandError::invalid(format!(
            "`{}`:{}:{}: {}",
            path.display(),
            e.line(),
            e.column(),
            strip_position(&e)
        ))
    })
}

fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

fn load_policy(path: &Path, name: &str) -> CmdResult<Policy> {
    let doc = read_json(path)?;
    Policy::from_json(name, &doc)
        .map_err(|e| CommandError::invalid(format!("`{}`: {e}", path.display())))
}

/// A resource-based policy file: every statement must name its principal.
fn load_resource_policy(path: &Path, name: &str) -> CmdResult<Policy> {
    let policy = load_policy(path, name)?;
    policy
        .check_resource_based()
        .map_err(|e| CommandError::invalid(format!("`{}`: {e}", path.display())))?;
    Ok(policy)
}

fn load_levels(specs: &[String], short: &str) -> CmdResult<Vec<Vec<Policy>>> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            spec.split(',')
                .map(|f| load_policy(Path::new(f), &format!("{short}[{i}]:{f}")))
                .collect()
        })
        .collect()
}

/// `--context` and `--at` as a request context.
fn base_context(ctx: &Ctx, source: &SourceArgs, always_time: bool) -> CmdResult<Context> {
    let mut out = Context::new();
    let mut multi: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for kv in &source.context {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| CommandError::usage(format!("`--context {kv}`: expected KEY=VALUE")))?;
        multi
            .entry(k.to_ascii_lowercase())
            .or_insert_with(|| (k.to_owned(), Vec::new()))
            .1
            .push(v.to_owned());
    }
    for (key, values) in multi.into_values() {
        if values.len() == 1 {
            out.set(&key, values.into_iter().next().unwrap_or_default());
        } else {
            out.set_multi(&key, values);
        }
    }
    let at = match &source.at {
        Some(t) => Some(parse_at(t)?),
        None if always_time => Some(ctx.now),
        None => None,
    };
    if let Some(at) = at {
        out.set_default(
            "aws:CurrentTime",
            at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        out.set_default("aws:EpochTime", at.as_second().to_string());
    }
    Ok(out)
}

pub fn parse_at(text: &str) -> CmdResult<jiff::Timestamp> {
    iamctl_policy::eval::parse_date(text).ok_or_else(|| {
        CommandError::usage(format!(
            "`--at {text}` is not a time: use RFC 3339, e.g. 2026-11-30T23:59:59Z"
        ))
    })
}

/// The account from `--snapshot`, or the live one.
async fn load_account(ctx: &Ctx, source: &SourceArgs) -> CmdResult<Account> {
    let doc = match &source.snapshot {
        Some(path) => read_json(path)?,
        None => {
            let snap = ctx.aws().await.authorization_details(false).await?;
            ctx.status(format!(
                "read the account with {} page(s) of GetAccountAuthorizationDetails",
                snap.pages
            ));
            snap.document
        }
    };
    let account = Account::from_snapshot(&doc).map_err(|e| {
        let origin = source
            .snapshot
            .as_ref()
            .map_or("the account".to_owned(), |p| format!("`{}`", p.display()));
        CommandError::invalid(format!("{origin}: {e}"))
    })?;
    for w in &account.warnings {
        ctx.status(format!("warning: {w}"));
    }
    Ok(account)
}

fn find_principal<'a>(account: &'a Account, key: &str) -> CmdResult<&'a Entity> {
    account.principal(key).ok_or_else(|| {
        CommandError::failure_help(
            format!("no user or role `{key}` in the account"),
            "give a user or role ARN, or a name that only one of them has",
        )
    })
}

pub async fn simulate(ctx: &Ctx, a: SimulateArgs) -> CmdResult {
    if let Some(batch) = &a.batch {
        return simulate_batch(ctx, &a, batch).await;
    }
    let principal = a.principal.as_deref().ok_or_else(|| {
        CommandError::usage("`simulate` needs `--principal` and `--action` (or `--batch`)")
    })?;
    if a.actions.is_empty() {
        return Err(CommandError::usage(
            "`simulate` needs at least one `--action`",
        ));
    }
    for action in &a.actions {
        if !action.contains(':') {
            return Err(CommandError::invalid(format!(
                "`{action}` is not an action: write `service:Action`, e.g. `s3:GetObject`"
            )));
        }
    }
    let mut context = base_context(ctx, &a.source, true)?;
    let files_only = a.source.snapshot.is_none()
        && (!a.policies.is_empty()
            || a.boundary.is_some()
            || a.session_policy.is_some()
            || a.resource_policy.is_some()
            || !a.scps.is_empty()
            || !a.rcps.is_empty());
    let file_identity: Vec<Policy> = a
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| load_policy(p, &format!("policy[{i}]:{}", p.display())))
        .collect::<CmdResult<_>>()?;
    let boundary = a
        .boundary
        .as_deref()
        .map(|p| load_policy(p, "permissionBoundary"))
        .transpose()?;
    let session = a
        .session_policy
        .as_deref()
        .map(|p| load_policy(p, "sessionPolicy"))
        .transpose()?;
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| load_resource_policy(p, "resourcePolicy"))
        .transpose()?;
    let scps = load_levels(&a.scps, "scp")?;
    let rcps = load_levels(&a.rcps, "rcp")?;
    let account = if files_only {
        None
    } else {
        Some(load_account(ctx, &a.source).await?)
    };
    let (request_principal, mut set) = match &account {
        Some(account) => {
            let entity = find_principal(account, principal)?;
            account.principal_context(entity, &mut context);
            let mut p = account.request_principal(entity);
            if principal.contains(":assumed-role/") {
                p = Principal {
                    role_arn: p.role_arn,
                    ..Principal::parse(principal)
                };
            }
            (p, account.policy_set(entity))
        }
        None => (Principal::parse(principal), PolicySet::default()),
    };
    set.identity.extend(file_identity.iter());
    if boundary.is_some() {
        set.boundary = boundary.as_ref();
    }
    set.session = session.as_ref();
    set.resource = resource_policy.as_ref();
    set.scps = scps.iter().map(|l| l.iter().collect()).collect();
    set.rcps = rcps.iter().map(|l| l.iter().collect()).collect();

    let mut results = Vec::new();
    for action in &a.actions {
        let req = Request::new(
            request_principal.clone(),
            action,
            &a.resource,
            a.resource_account.as_deref(),
            context.clone(),
        );
        let mut set = set.clone();
        if set.resource.is_none() {
            // `sts:AssumeRole*` on a role of the snapshot: its trust policy.
            set.resource = account
                .as_ref()
                .and_then(|acc| acc.implied_resource_policy(action, &a.resource));
        }
        let mut evaluation = evaluate(&req, &set);
        evaluation.notes.extend(analysis::context_notes(&req, &set));
        let mut out = evaluation_to_json(&Value::Null, &evaluation);
        if let Some(obj) = out.as_object_mut() {
            obj.remove("id");
            obj.insert("principal".into(), json!(req.principal.arn));
            obj.insert("action".into(), json!(action));
            obj.insert("resource".into(), json!(a.resource));
        }
        results.push(out);
    }
    let data = if results.len() == 1 {
        results.remove(0)
    } else {
        Value::Array(results)
    };
    ctx.emit(&data, |d| {
        let rows = match d {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        let mut out = String::new();
        for r in rows {
            out.push_str(&format!(
                "{}  {} on {}\n",
                r["decision"].as_str().unwrap_or(""),
                r["action"].as_str().unwrap_or(""),
                r["resource"].as_str().unwrap_or("")
            ));
            for m in r["matchedStatements"].as_array().into_iter().flatten() {
                out.push_str(&format!("  {}\n", describe_statement(m)));
            }
            for n in r["notes"].as_array().into_iter().flatten() {
                out.push_str(&format!("  note: {}\n", n.as_str().unwrap_or("")));
            }
        }
        out
    })
}

fn describe_statement(m: &Value) -> String {
    let sid = match m["sid"].as_str() {
        Some(s) => format!(" (Sid `{s}`)"),
        None => String::new(),
    };
    format!(
        "{} {} statement {}{} in {}",
        m["effect"].as_str().unwrap_or(""),
        m["layer"].as_str().unwrap_or(""),
        m["statement"],
        sid,
        m["policy"].as_str().unwrap_or("")
    )
}

/// Lines per unit of work handed to a worker thread.
const BATCH_CHUNK: usize = 1024;

async fn simulate_batch(ctx: &Ctx, a: &SimulateArgs, batch: &str) -> CmdResult {
    let base = base_context(ctx, &a.source, false)?;
    let account = match &a.source.snapshot {
        Some(_) => Some(load_account(ctx, &a.source).await?),
        None => None,
    };
    let reader: Box<dyn BufRead> = if batch == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            std::fs::File::open(batch)
                .map_err(|e| CommandError::invalid(format!("cannot read `{batch}`: {e}")))?,
        ))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    // Chunks of lines go round-robin to one worker per core, each with its
    // own compiled-policy cache; answers are written in input order.
    let (lines, errors) = std::thread::scope(|scope| -> CmdResult<(usize, usize)> {
        type Chunk = (usize, Vec<(usize, String)>);
        let (result_tx, result_rx) = std::sync::mpsc::channel::<(usize, Vec<u8>, usize)>();
        let mut jobs = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(2);
            let result_tx = result_tx.clone();
            let (base, account) = (&base, account.as_ref());
            scope.spawn(move || {
                let mut cache = PolicyCache::new();
                let mut contexts = EntityContexts::new();
                for (id, items) in rx {
                    let mut text = Vec::with_capacity(items.len() * 160);
                    let mut errors = 0;
                    for (n, line) in &items {
                        if answer_line(
                            &mut text,
                            line,
                            *n,
                            &mut cache,
                            base,
                            account,
                            &mut contexts,
                        ) {
                            errors += 1;
                        }
                    }
                    if result_tx.send((id, text, errors)).is_err() {
                        break;
                    }
                }
            });
            jobs.push(tx);
        }
        drop(result_tx);
        let mut pending: BTreeMap<usize, (Vec<u8>, usize)> = BTreeMap::new();
        let (mut next, mut sent, mut lines, mut errors) = (0usize, 0usize, 0usize, 0usize);
        let mut write_ready =
            |pending: &mut BTreeMap<usize, (Vec<u8>, usize)>, next: &mut usize| -> CmdResult<()> {
                while let Some((text, e)) = pending.remove(next) {
                    out.write_all(&text)?;
                    errors += e;
                    *next += 1;
                }
                Ok(())
            };
        let mut chunk: Vec<(usize, String)> = Vec::with_capacity(BATCH_CHUNK);
        let mut numbered = reader.lines().enumerate();
        loop {
            let item = numbered.next();
            let done = item.is_none();
            if let Some((n, line)) = item {
                let line = line?;
                if !line.trim().is_empty() {
                    lines += 1;
                    chunk.push((n + 1, line));
                }
            }
            if chunk.len() == BATCH_CHUNK || (done && !chunk.is_empty()) {
                let work = std::mem::replace(&mut chunk, Vec::with_capacity(BATCH_CHUNK));
                if jobs[sent % workers].send((sent, work)).is_err() {
                    break;
                }
                sent += 1;
                while let Ok((id, text, e)) = result_rx.try_recv() {
                    pending.insert(id, (text, e));
                }
                write_ready(&mut pending, &mut next)?;
            }
            if done {
                break;
            }
        }
        drop(jobs);
        while next < sent {
            match result_rx.recv() {
                Ok((id, text, e)) => {
                    pending.insert(id, (text, e));
                    write_ready(&mut pending, &mut next)?;
                }
                Err(_) => break,
            }
        }
        out.flush()?;
        Ok((lines, errors))
    })?;
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

/// Per worker: each principal's own context keys, read once.
type EntityContexts = Vec<Option<Context>>;

/// Writes the answer to one batch line (`n` is its 1-based line number),
/// with its newline: its decision, or an error naming the line. Says
/// whether it was an error.
fn answer_line(
    out: &mut Vec<u8>,
    line: &str,
    n: usize,
    cache: &mut PolicyCache,
    base: &Context,
    account: Option<&Account>,
    contexts: &mut EntityContexts,
) -> bool {
    let answer = match BatchRequest::parse_cached(line, cache) {
        Ok(mut req) => {
            if !base.is_empty() {
                req.request.context.extend_defaults(base);
            }
            match account {
                Some(account) if req.identity.is_empty() => {
                    match account.principal_index(&req.request.principal.arn) {
                        Some(index) => {
                            let entity = &account.principals[index];
                            if contexts.len() < account.principals.len() {
                                contexts.resize(account.principals.len(), None);
                            }
                            let own = contexts[index].get_or_insert_with(|| {
                                let mut c = Context::new();
                                account.principal_context(entity, &mut c);
                                c
                            });
                            req.request.context.extend_defaults(own);
                            if req.request.principal.kind
                                == iamctl_policy::eval::PrincipalKind::RoleSession
                            {
                                req.request.principal.role_arn = Some(entity.arn.clone());
                            }
                            let mut set = account.policy_set(entity);
                            let own = req.policy_set();
                            if own.boundary.is_some() {
                                set.boundary = own.boundary;
                            }
                            set.session = own.session;
                            set.resource = own.resource.or_else(|| {
                                account.implied_resource_policy(
                                    &req.request.action,
                                    &req.request.resource,
                                )
                            });
                            set.scps = own.scps;
                            set.rcps = own.rcps;
                            let mut e = evaluate(&req.request, &set);
                            e.notes.extend(analysis::context_notes(&req.request, &set));
                            write_evaluation(out, &req.id, &e);
                            out.push(b'\n');
                            return false;
                        }
                        None => {
                            json!({"id": req.id, "error": format!("no user or role `{}` in the snapshot", req.request.principal.arn)})
                        }
                    }
                }
                _ => {
                    let mut e = req.evaluate();
                    e.notes
                        .extend(analysis::context_notes(&req.request, &req.policy_set()));
                    write_evaluation(out, &req.id, &e);
                    out.push(b'\n');
                    return false;
                }
            }
        }
        Err(e) => {
            let mut v = e.to_json();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("line".into(), json!(n));
            }
            v
        }
    };
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &answer);
    out.push(b'\n');
    true
}

fn kind_word(e: &Entity) -> &'static str {
    e.kind.as_str()
}

fn via_text(b: &Because) -> String {
    match &b.via {
        Some(Source::Group(g)) => format!("group {g}"),
        Some(Source::Direct) => "direct".into(),
        None => "resource policy".into(),
    }
}

pub async fn who_can(ctx: &Ctx, a: WhoCanArgs) -> CmdResult {
    if !a.action.contains(':') && a.action != "*" {
        return Err(CommandError::invalid(format!(
            "`{}` is not an action: write `service:Action`, e.g. `s3:GetObject` or `iam:*`",
            a.action
        )));
    }
    let actions = catalog().expand(&a.action);
    if actions.is_empty() {
        return Err(CommandError::invalid_help(
            format!("`{}` matches no action AWS documents", a.action),
            "check the service prefix and action name, e.g. `s3:GetObject`, `iam:Create*`",
        ));
    }
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| load_resource_policy(p, "resourcePolicy"))
        .transpose()?;
    let base = base_context(ctx, &a.source, true)?;
    let account = load_account(ctx, &a.source).await?;
    let grants = analysis::who_can(
        &account,
        &actions,
        a.resource.as_deref(),
        &base,
        resource_policy.as_ref(),
    );
    // Group by principal, keeping account order.
    let mut by_principal: BTreeMap<usize, Vec<&analysis::Grant>> = BTreeMap::new();
    for g in &grants {
        by_principal.entry(g.principal).or_default().push(g);
    }
    let data: Vec<Value> = by_principal
        .iter()
        .map(|(i, gs)| {
            let e = &account.principals[*i];
            json!({
                "principal": e.arn,
                "kind": kind_word(e),
                "name": e.name,
                "actions": gs.iter().map(|g| json!({
                    "action": g.action,
                    "statements": g.because.iter().map(|b| json!({
                        "policy": b.policy,
                        "sid": b.sid,
                        "statement": b.statement,
                        "via": via_text(b),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    ctx.status(format!(
        "{} principal(s) of {} allowed {} of {} action(s)",
        by_principal.len(),
        account.principals.len(),
        grants
            .iter()
            .map(|g| g.action.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        actions.len()
    ));
    ctx.emit(&data, |_| {
        let rows = by_principal
            .iter()
            .map(|(i, gs)| {
                let e = &account.principals[*i];
                let actions = if gs.len() <= 3 {
                    gs.iter()
                        .map(|g| g.action.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    format!("{} actions", gs.len())
                };
                let mut via: Vec<String> = gs
                    .iter()
                    .flat_map(|g| g.because.iter())
                    .map(|b| {
                        let sid = b
                            .sid
                            .as_deref()
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default();
                        format!("{}{} [{}]", short_policy(&b.policy), sid, via_text(b))
                    })
                    .collect();
                via.sort();
                via.dedup();
                vec![
                    e.name.clone(),
                    kind_word(e).to_owned(),
                    actions,
                    via.join("\n"),
                ]
            })
            .collect();
        table(&["PRINCIPAL", "KIND", "ACTIONS", "ALLOWED BY"], rows)
    })
}

/// A policy name for a table: a managed policy's name, an inline policy as
/// `name (inline)`.
fn short_policy(name: &str) -> String {
    match name.split_once('#') {
        Some((_, inline)) => format!("{inline} (inline)"),
        None => name.rsplit('/').next().unwrap_or(name).to_owned(),
    }
}

pub async fn access(ctx: &Ctx, a: AccessArgs) -> CmdResult {
    let base = base_context(ctx, &a.source, true)?;
    let account = load_account(ctx, &a.source).await?;
    let entity = find_principal(&account, &a.principal)?;
    let summary = analysis::access(&account, entity, &base);
    let levels = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];
    let data = json!({
        "principal": entity.arn,
        "kind": entity.kind.as_str(),
        "services": summary.services.iter().map(|(svc, by_level)| {
            (svc.clone(), json!(by_level.iter().map(|(l, actions)| (l.as_str().to_owned(), json!(actions))).collect::<serde_json::Map<_, _>>()))
        }).collect::<serde_json::Map<_, _>>(),
        "risky": summary.risky.iter().map(|(a, why)| json!({"action": a, "why": why})).collect::<Vec<_>>(),
        "actionsEvaluated": summary.evaluated,
    });
    ctx.emit(&data, |_| {
        let rows = summary
            .services
            .iter()
            .map(|(svc, by_level)| {
                let mut row = vec![svc.clone()];
                for l in levels {
                    let n = by_level.get(&l).map_or(0, Vec::len);
                    let total = summary
                        .totals
                        .get(svc)
                        .and_then(|t| t.get(&l))
                        .copied()
                        .unwrap_or(0);
                    row.push(if total == 0 {
                        "-".into()
                    } else {
                        format!("{n}/{total}")
                    });
                }
                row
            })
            .collect();
        let mut out = table(
            &[
                "SERVICE",
                "LIST",
                "READ",
                "WRITE",
                "PERMISSIONS MGMT",
                "TAGGING",
            ],
            rows,
        );
        if summary.services.is_empty() {
            out = format!("{} can do nothing\n", entity.name);
        }
        if !summary.risky.is_empty() {
            out.push_str("\nrisky permissions:\n");
            for (action, why) in &summary.risky {
                out.push_str(&format!("  {action}: {why}\n"));
            }
        }
        out
    })?;
    if entity.kind == EntityKind::Role {
        ctx.status("evaluated as a session of the role, without session policies");
    }
    Ok(())
}
