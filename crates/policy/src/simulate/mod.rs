//! The simulator's request format: one JSON object per request, as read by
//! `iamctl simulate --batch` and written by the differential tests.
//!
//! ```json
//! {"id": "c1", "principal": "arn:aws:iam::111111111111:user/alice",
//!  "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key",
//!  "resourceAccount": "111111111111", "context": {"aws:TagKeys": ["a", "b"]},
//!  "identityPolicies": [{...}], "permissionBoundary": {...},
//!  "resourcePolicy": {...}, "sessionPolicy": {...},
//!  "serviceControlPolicies": [[{...}], [{...}]], "resourceControlPolicies": [[{...}]]}
//! ```
//!
//! The answer is one JSON object per request:
//! `{"id", "decision", "matchedStatements": [{"policy", "layer", "sid", "statement"}], "notes"}`,
//! or `{"id", "error"}` for a request that cannot be evaluated.

mod line;
mod worker;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use line::Line;
pub use worker::{BatchWorker, BlockCount, NotUtf8};

use crate::eval::{evaluate, Context, Evaluation, Policy, PolicySet, Principal, Request};

/// A request with its own policies, compiled.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    pub id: Value,
    pub request: Request,
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
    pub session: Option<Arc<Policy>>,
    pub resource: Option<Arc<Policy>>,
    pub scps: Vec<Vec<Arc<Policy>>>,
    pub rcps: Vec<Vec<Arc<Policy>>>,
}

/// Compiled policies shared between the requests of a batch: a document that
/// appears in many lines (an account's managed policies) is compiled once
/// and evaluated from one place in memory.
#[derive(Debug, Default)]
pub struct PolicyCache {
    compiled: HashMap<(String, String), Arc<Policy>>,
    /// By name and raw text (`name\0text`), for lines read without a
    /// `Value` tree; `None` for a document that does not compile.
    by_text: HashMap<String, Option<Arc<Policy>>>,
    key: String,
}

impl PolicyCache {
    pub fn new() -> PolicyCache {
        PolicyCache::default()
    }

    fn get(&mut self, name: String, doc: &Value) -> Result<Arc<Policy>, String> {
        let key = (name, doc.to_string());
        if let Some(p) = self.compiled.get(&key) {
            return Ok(p.clone());
        }
        let policy = Arc::new(compile(&key.0, doc).map_err(|e| e.to_string())?);
        self.compiled.insert(key, policy.clone());
        Ok(policy)
    }

    /// The policy of raw JSON text `raw`, compiled at its first use;
    /// `None` when it does not compile.
    fn get_raw(&mut self, name: &str, raw: &RawValue) -> Option<Arc<Policy>> {
        self.key.clear();
        self.key.push_str(name);
        self.key.push('\0');
        self.key.push_str(raw.get());
        if let Some(p) = self.by_text.get(self.key.as_str()) {
            return p.clone();
        }
        let compiled = serde_json::from_str::<Value>(raw.get())
            .ok()
            .and_then(|doc| compile(name, &doc).ok())
            .map(Arc::new);
        self.by_text.insert(self.key.clone(), compiled.clone());
        compiled
    }

    /// Number of distinct compiled policies.
    pub fn len(&self) -> usize {
        self.compiled.len() + self.by_text.values().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Compiles a line's policy: a resource policy must name its principals.
fn compile(name: &str, doc: &Value) -> Result<Policy, crate::eval::ModelError> {
    if name == "resourcePolicy" {
        Policy::resource_based_from_json(name, doc)
    } else {
        Policy::from_json(name, doc)
    }
}

/// A request line that cannot be evaluated: its id (if it had one) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub id: Value,
    pub message: String,
}

impl LineError {
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "error": self.message})
    }
}

const FIELDS: &[&str] = &[
    "id",
    "principal",
    "action",
    "resource",
    "resourceAccount",
    "context",
    "identityPolicies",
    "permissionBoundary",
    "resourcePolicy",
    "sessionPolicy",
    "serviceControlPolicies",
    "resourceControlPolicies",
];

impl BatchRequest {
    /// Parses and compiles one line.
    pub fn parse(line: &str) -> Result<BatchRequest, LineError> {
        BatchRequest::parse_cached(line, &mut PolicyCache::new())
    }

    /// Parses one line, sharing compiled policies through `cache`.
    pub fn parse_cached(line: &str, cache: &mut PolicyCache) -> Result<BatchRequest, LineError> {
        if let Some(req) = Line::read(line).and_then(|l| BatchRequest::from_line(&l, cache)) {
            return Ok(req);
        }
        BatchRequest::from_text_cached(line, cache)
    }

    /// The `Value` reading of a line, which words every error.
    fn from_text_cached(line: &str, cache: &mut PolicyCache) -> Result<BatchRequest, LineError> {
        let value: Value = serde_json::from_str(line).map_err(|e| LineError {
            id: Value::Null,
            message: format!("not JSON: {e}"),
        })?;
        BatchRequest::from_json_cached(&value, cache)
    }

    /// A well-formed line, read without a `Value` tree, its policies
    /// compiled once per distinct text. `None` when a policy does not
    /// compile: the line is then read by [`BatchRequest::from_json_cached`],
    /// which words the error.
    fn from_line(line: &Line<'_>, cache: &mut PolicyCache) -> Option<BatchRequest> {
        let mut context = Context::new();
        line.fill_context(&mut context)?;
        let mut compile = |name: &str, raw: &RawValue| cache.get_raw(name, raw);
        let identity = match &line.identity {
            None => Vec::new(),
            Some(docs) => {
                let mut name = String::new();
                let mut out = Vec::with_capacity(docs.len());
                for (i, d) in docs.iter().enumerate() {
                    name.clear();
                    let _ = write!(name, "identity[{i}]");
                    out.push(compile(&name, d)?);
                }
                out
            }
        };
        let one = |cache: &mut PolicyCache, raw: Option<&RawValue>, name: &str| match raw {
            None => Some(None),
            Some(raw) => cache.get_raw(name, raw).map(Some),
        };
        let boundary = one(cache, line.boundary, "permissionBoundary")?;
        let session = one(cache, line.session, "sessionPolicy")?;
        let resource = one(cache, line.resource_policy, "resourcePolicy")?;
        let mut levels = |levels: &Option<Vec<Vec<&RawValue>>>, short: &str| {
            levels
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, level)| {
                    level
                        .iter()
                        .enumerate()
                        .map(|(j, d)| cache.get_raw(&format!("{short}[{i}][{j}]"), d))
                        .collect::<Option<Vec<_>>>()
                })
                .collect::<Option<Vec<_>>>()
        };
        let scps = levels(&line.scps, "scp")?;
        let rcps = levels(&line.rcps, "rcp")?;
        Some(BatchRequest {
            request: Request::new(
                Principal::parse(&line.principal),
                &line.action,
                line.resource.as_deref().unwrap_or("*"),
                line.resource_account.as_deref(),
                context,
            ),
            identity,
            boundary,
            session,
            resource,
            scps,
            rcps,
            id: line.id_value(),
        })
    }

    pub fn from_json(value: &Value) -> Result<BatchRequest, LineError> {
        BatchRequest::from_json_cached(value, &mut PolicyCache::new())
    }

    pub fn from_json_cached(
        value: &Value,
        cache: &mut PolicyCache,
    ) -> Result<BatchRequest, LineError> {
        let id = value.get("id").cloned().unwrap_or(Value::Null);
        let err = |message: String| LineError {
            id: id.clone(),
            message,
        };
        let obj = value
            .as_object()
            .ok_or_else(|| err("a request must be a JSON object".into()))?;
        if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(err(format!("unknown field `{unknown}`")));
        }
        let text = |field: &str| -> Result<&str, LineError> {
            obj.get(field)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| err(format!("`{field}` must be a non-empty string")))
        };
        let principal = Principal::parse(text("principal")?);
        let action = text("action")?;
        if !action.contains(':') {
            return Err(err(format!("`action` `{action}` must be `service:Action`")));
        }
        let resource = obj.get("resource").and_then(Value::as_str).unwrap_or("*");
        let resource_account = match obj.get("resourceAccount") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(err("`resourceAccount` must be a string".into())),
        };
        let context = match obj.get("context") {
            None | Some(Value::Null) => Context::new(),
            Some(Value::Object(map)) => context_from_json(map).map_err(&err)?,
            Some(_) => return Err(err("`context` must be an object".into())),
        };
        let cache = std::cell::RefCell::new(cache);
        let compile = |name: String, doc: &Value| cache.borrow_mut().get(name, doc).map_err(&err);
        let one = |field: &str, name: &str| -> Result<Option<Arc<Policy>>, LineError> {
            match obj.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(doc) => compile(name.to_owned(), doc).map(Some),
            }
        };
        let list = |field: &str| -> Result<Vec<Arc<Policy>>, LineError> {
            match obj.get(field) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(docs)) => docs
                    .iter()
                    .enumerate()
                    .map(|(i, d)| compile(format!("identity[{i}]"), d))
                    .collect(),
                Some(_) => Err(err(format!("`{field}` must be a list of policies"))),
            }
        };
        let levels = |field: &str, short: &str| -> Result<Vec<Vec<Arc<Policy>>>, LineError> {
            match obj.get(field) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(levels)) => levels
                    .iter()
                    .enumerate()
                    .map(|(i, level)| match level {
                        Value::Array(docs) => docs
                            .iter()
                            .enumerate()
                            .map(|(j, d)| compile(format!("{short}[{i}][{j}]"), d))
                            .collect(),
                        _ => Err(err(format!(
                            "`{field}` must be a list of levels, each a list of policies"
                        ))),
                    })
                    .collect(),
                Some(_) => Err(err(format!(
                    "`{field}` must be a list of levels, each a list of policies"
                ))),
            }
        };
        Ok(BatchRequest {
            request: Request::new(principal, action, resource, resource_account, context),
            identity: list("identityPolicies")?,
            boundary: one("permissionBoundary", "permissionBoundary")?,
            session: one("sessionPolicy", "sessionPolicy")?,
            resource: one("resourcePolicy", "resourcePolicy")?,
            scps: levels("serviceControlPolicies", "scp")?,
            rcps: levels("resourceControlPolicies", "rcp")?,
            id,
        })
    }

    /// The policies, as the evaluator takes them.
    pub fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().map(|p| &**p).collect(),
            boundary: self.boundary.as_deref(),
            session: self.session.as_deref(),
            resource: self.resource.as_deref(),
            scps: self
                .scps
                .iter()
                .map(|l| l.iter().map(|p| &**p).collect())
                .collect(),
            rcps: self
                .rcps
                .iter()
                .map(|l| l.iter().map(|p| &**p).collect())
                .collect(),
        }
    }

    pub fn evaluate(&self) -> Evaluation<'_> {
        evaluate(&self.request, &self.policy_set())
    }
}

/// Reads a context object: each key maps to a string, or a list of strings
/// (a multivalued key); numbers and booleans are taken as their text.
pub fn context_from_json(map: &Map<String, Value>) -> Result<Context, String> {
    let mut ctx = Context::new();
    for (key, value) in map {
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match value {
            Value::Array(items) => {
                let values = items
                    .iter()
                    .map(scalar)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        format!("context key `{key}` must be a string or a list of strings")
                    })?;
                ctx.set_multi(key, values);
            }
            v => ctx.set(
                key,
                scalar(v).ok_or_else(|| {
                    format!("context key `{key}` must be a string or a list of strings")
                })?,
            ),
        }
    }
    Ok(ctx)
}

/// The JSON answer for one evaluation.
pub fn evaluation_to_json(id: &Value, evaluation: &Evaluation<'_>) -> Value {
    let matched: Vec<Value> = evaluation
        .matched
        .iter()
        .map(|m| {
            json!({
                "policy": m.policy,
                "layer": m.layer.as_str(),
                "sid": m.sid,
                "statement": m.index,
                "effect": match m.effect { crate::eval::Effect::Allow => "Allow", crate::eval::Effect::Deny => "Deny" },
            })
        })
        .collect();
    json!({
        "id": id,
        "decision": evaluation.decision.as_str(),
        "matchedStatements": matched,
        "notes": evaluation.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// Writes [`evaluation_to_json`]'s answer, as `serde_json` would print it,
/// straight into `out` (no `Value` tree).
pub fn write_evaluation(out: &mut Vec<u8>, id: &Value, evaluation: &Evaluation<'_>) {
    fn text(out: &mut Vec<u8>, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
    out.extend_from_slice(b"{\"id\":");
    let _ = serde_json::to_writer(&mut *out, id);
    out.extend_from_slice(b",\"decision\":");
    text(out, evaluation.decision.as_str());
    out.extend_from_slice(b",\"matchedStatements\":[");
    for (i, m) in evaluation.matched.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"policy\":");
        text(out, m.policy);
        out.extend_from_slice(b",\"layer\":");
        text(out, m.layer.as_str());
        out.extend_from_slice(b",\"sid\":");
        match m.sid {
            Some(sid) => text(out, sid),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"statement\":");
        let _ = std::io::Write::write_fmt(&mut *out, format_args!("{}", m.index));
        out.extend_from_slice(match m.effect {
            crate::eval::Effect::Allow => b",\"effect\":\"Allow\"}",
            crate::eval::Effect::Deny => b",\"effect\":\"Deny\"}",
        });
    }
    out.extend_from_slice(b"],\"notes\":[");
    for (i, n) in evaluation.notes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        text(out, &n.to_string());
    }
    out.extend_from_slice(b"]}");
}

/// Evaluates one line and gives the JSON answer (an error line when the
/// request cannot be read). Never fails.
pub fn evaluate_line(line: &str) -> Value {
    match BatchRequest::parse(line) {
        Ok(req) => evaluation_to_json(&req.id, &req.evaluate()),
        Err(e) => e.to_json(),
    }
}

#[cfg(test)]
mod tests;
