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

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

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
        let compiled = if key.0 == "resourcePolicy" {
            Policy::resource_based_from_json(&key.0, doc)
        } else {
            Policy::from_json(&key.0, doc)
        };
        let policy = Arc::new(compiled.map_err(|e| e.to_string())?);
        self.compiled.insert(key, policy.clone());
        Ok(policy)
    }

    /// Number of distinct compiled policies.
    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
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
        if let Some(req) = BatchRequest::parse_plain(line) {
            return Ok(req);
        }
        let value: Value = serde_json::from_str(line).map_err(|e| LineError {
            id: Value::Null,
            message: format!("not JSON: {e}"),
        })?;
        BatchRequest::from_json_cached(&value, cache)
    }

    /// The common line, read without a `Value` tree: only `id`,
    /// `principal`, `action`, `resource`, `resourceAccount` and a `context`
    /// of strings and lists of strings, all well formed. Anything else
    /// (policies, other value types, any mistake) gives `None`, and the line
    /// is read by [`BatchRequest::from_json_cached`], which words the errors.
    fn parse_plain(line: &str) -> Option<BatchRequest> {
        let plain: PlainLine<'_> = serde_json::from_str(line).ok()?;
        if plain.principal.is_empty() || plain.action.is_empty() || !plain.action.contains(':') {
            return None;
        }
        let mut context = Context::new();
        if let Some(PlainContext(entries)) = plain.context {
            for (key, value) in entries {
                match value {
                    PlainValue::One(v) => context.set(&key, v.into_owned()),
                    PlainValue::Many(vs) => context.set_multi(&key, vs),
                }
            }
        }
        Some(BatchRequest {
            request: Request::new(
                Principal::parse(&plain.principal),
                &plain.action,
                plain.resource.as_deref().unwrap_or("*"),
                plain.resource_account.as_deref(),
                context,
            ),
            identity: Vec::new(),
            boundary: None,
            session: None,
            resource: None,
            scps: Vec::new(),
            rcps: Vec::new(),
            id: plain.id.unwrap_or(Value::Null),
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

/// A request line of the common shape, borrowed from the line's text.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainLine<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(borrow)]
    principal: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow, default)]
    resource: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "resourceAccount")]
    resource_account: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    context: Option<PlainContext<'a>>,
}

/// A context object of strings and lists of strings, in the line's order.
struct PlainContext<'a>(Vec<(Cow<'a, str>, PlainValue<'a>)>);

enum PlainValue<'a> {
    One(Cow<'a, str>),
    Many(Vec<String>),
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for PlainContext<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = PlainContext<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a context object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some(key) = m.next_key::<Cow<'de, str>>()? {
                    let value = m.next_value::<PlainValue<'de>>()?;
                    out.push((key, value));
                }
                Ok(PlainContext(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for PlainValue<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = PlainValue<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(PlainValue::One(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(PlainValue::One(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(PlainValue::One(Cow::Owned(v)))
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut s: S,
            ) -> Result<Self::Value, S::Error> {
                let mut out = Vec::new();
                while let Some(v) = s.next_element::<String>()? {
                    out.push(v);
                }
                Ok(PlainValue::Many(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
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
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a\"b"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secret/*"}]}"#;

    fn lines() -> Vec<String> {
        let policy = POLICY.replace('\n', " ");
        vec![
            r#"{"id": 1, "principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {"aws:PrincipalTag/team": "a\"b", "aws:TagKeys": ["x", "y"]}}"#.into(),
            r#"{"principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject"}"#.into(),
            r#"{"id": "s\u00e9", "principal": "arn:aws:sts::111111111111:assumed-role/r/s", "action": "s3:GetObject", "resource": null, "resourceAccount": "222222222222", "context": null}"#.into(),
            r#"{"id": {"n": [1, 2.5]}, "principal": "p", "action": "s3:GetObject", "context": {"aws:MultiFactorAuthPresent": true, "n": 3}}"#.into(),
            format!(r#"{{"id": 5, "principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject", "resource": "arn:aws:s3:::secret/k", "identityPolicies": [{policy}], "context": {{"aws:PrincipalTag/team": "a\"b"}}}}"#),
            format!(r#"{{"id": 6, "principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject", "identityPolicies": [{policy}], "context": {{"aws:PrincipalTag/team": "a\"b"}}}}"#),
        ]
    }

    /// The `Value`-free reading of common lines gives the request the full
    /// reading gives.
    #[test]
    fn plain_lines_read_as_the_full_reading_reads_them() {
        let mut plain = 0;
        for line in lines() {
            let value: Value = serde_json::from_str(&line).unwrap();
            let full = BatchRequest::from_json(&value).unwrap();
            if let Some(fast) = BatchRequest::parse_plain(&line) {
                plain += 1;
                assert_eq!(fast.id, full.id, "{line}");
                assert_eq!(
                    format!("{:?}", fast.request),
                    format!("{:?}", full.request),
                    "{line}"
                );
                assert!(full.identity.is_empty(), "{line}");
            }
        }
        assert_eq!(
            plain, 3,
            "the first three lines are plain, the others are not"
        );
    }

    /// Bad lines are not read by the fast path, so their errors stay worded
    /// by the full reading.
    #[test]
    fn bad_lines_keep_their_errors() {
        for (line, message) in [
            (
                r#"{"id": 1, "principal": "", "action": "s3:GetObject"}"#,
                "`principal` must be a non-empty string",
            ),
            (
                r#"{"id": 1, "principal": "p", "action": "GetObject"}"#,
                "`action` `GetObject` must be `service:Action`",
            ),
            (
                r#"{"id": 1, "principal": "p", "action": "s3:GetObject", "extra": 1}"#,
                "unknown field `extra`",
            ),
        ] {
            assert!(BatchRequest::parse_plain(line).is_none(), "{line}");
            let err = BatchRequest::parse(line).unwrap_err();
            assert_eq!(err.message, message);
            assert_eq!(err.id, serde_json::json!(1));
        }
    }

    /// The direct writer prints what `evaluation_to_json` prints.
    #[test]
    fn written_answers_equal_the_json_answers() {
        for line in lines() {
            let req = BatchRequest::parse(&line).unwrap();
            let e = req.evaluate();
            let mut out = Vec::new();
            write_evaluation(&mut out, &req.id, &e);
            let expected = evaluation_to_json(&req.id, &e).to_string();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{line}");
        }
    }
}
