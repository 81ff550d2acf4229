//! The finite set of requests a check searches: the resources, principals
//! and condition values the documents mention, and the absence of each key.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::Value;

use crate::eval::{Context, Operator, OperatorKind, Principal, Statement};

use super::Doc;

/// What stands in for a wildcard or a placeholder in a witness.
pub(crate) const FILLER: &str = "iamctl-witness";
/// A string value no document mentions.
const OTHER: &str = "iamctl-other";
/// Keys every request carries, so their absence is never searched.
const ALWAYS_PRESENT: &[&str] = &["aws:currenttime", "aws:epochtime"];
/// Accounts for the witness principal, the resource owner and a stranger,
/// taken in order among those no document mentions.
const ACCOUNTS: &[&str] = &[
    "111122223333",
    "444455556666",
    "210987654321",
    "777788889999",
    "123456789012",
];
/// At most this many values per key.
const MAX_VALUES: usize = 16;

/// One condition key and the values searched for it.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub name: String,
    pub lower: String,
    /// Tested with `ForAllValues:` / `ForAnyValue:`: set as a list.
    pub multi: bool,
    pub values: Vec<String>,
    pub always_present: bool,
}

/// An assignment of the keys: `None` absent, `Some(i)` the i-th value.
pub(crate) type Assign = Vec<Option<usize>>;

#[derive(Debug, Clone)]
pub(crate) struct Space {
    /// The account of the witness principal (identity and SCP checks).
    pub account: String,
    /// The owner of the resource for resource-based and trust policies;
    /// mentioned by no document, so every grant must come from the policy.
    pub owner: String,
    /// An account no document mentions.
    pub stranger: String,
    pub keys: Vec<Key>,
    /// Policy-variable keys (`${aws:username}`), set to [`FILLER`].
    pub vars: Vec<String>,
    /// Concrete ARNs made from the documents' `Resource` patterns.
    pub instances: Vec<String>,
    /// Principals named by the documents' `Principal` elements, plus a
    /// stranger (resource-based and trust policies only).
    pub principals: Vec<Principal>,
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// Replaces `${key}` policy variables with [`FILLER`], noting the keys.
fn fill_variables(text: &str, vars: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = rest[start + 2..start + end].trim();
        match inner {
            "*" | "?" | "$" => out.push_str(inner),
            _ => {
                let key = inner.split(',').next().unwrap_or("").trim().to_owned();
                if !key.is_empty() && !vars.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
                    vars.push(key);
                }
                out.push_str(FILLER);
            }
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

fn accounts_in(text: &str, out: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 12 {
                out.insert(text[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// An address outside the network `ip` starts (its first bit flipped).
fn outside(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) ^ 0x8000_0000).into()),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) ^ (1u128 << 127)).into()),
    }
}

/// The values worth trying for one condition value of an operator.
fn candidates(kind: OperatorKind, value: &str, vars: &mut Vec<String>, out: &mut Vec<String>) {
    use OperatorKind::*;
    let value = fill_variables(value, vars);
    match kind {
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            if let Ok(n) = value.trim().parse::<f64>() {
                out.extend([n, n - 1.0, n + 1.0].map(format_number));
            }
        }
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            let t = value.trim();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(n) = t.parse::<i64>() {
                    out.extend([n, n - 1, n + 1].map(|n| n.to_string()));
                }
            } else if let Some(ts) = crate::eval::parse_date(t) {
                for delta in [0, -1, 1] {
                    if let Ok(x) = ts.checked_add(jiff::SignedDuration::from_secs(delta)) {
                        out.push(x.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
                    }
                }
            }
        }
        Bool => out.extend(["true".to_owned(), "false".to_owned()]),
        IpAddress | NotIpAddress => {
            let addr = value.split('/').next().unwrap_or("").trim();
            if let Ok(ip) = addr.parse::<IpAddr>() {
                out.push(ip.to_string());
                out.push(outside(ip).to_string());
            }
        }
        Null => {}
        StringLike | StringNotLike | ArnLike | ArnNotLike | ArnEquals | ArnNotEquals => {
            if value.contains(['*', '?']) {
                out.push(value.replace('*', FILLER).replace('?', "x"));
                out.push(value.replace('*', "").replace('?', "x"));
            } else {
                out.push(value);
            }
        }
        _ => out.push(value),
    }
}

/// Turns a `Resource` pattern into a concrete ARN it covers, or `None` for
/// `*` and text that is not an ARN.
fn instantiate(pattern: &str, account: &str, vars: &mut Vec<String>) -> Option<String> {
    let pattern = fill_variables(pattern, vars);
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return None;
    }
    let wild = |s: &str| s.contains(['*', '?']);
    let partition = if wild(parts[1]) { "aws" } else { parts[1] };
    let service = parts[2].replace('*', FILLER).replace('?', "x");
    let region = if wild(parts[3]) {
        "us-east-1"
    } else {
        parts[3]
    };
    let acct = if wild(parts[4]) { account } else { parts[4] };
    let resource = parts[5].replace('*', FILLER).replace('?', "x");
    Some(format!(
        "arn:{partition}:{service}:{region}:{acct}:{resource}"
    ))
}

/// An ARN of a resource type: its pattern with placeholders filled.
pub(crate) fn example(arn_pattern: &str, account: &str) -> String {
    let mut out = String::new();
    let mut rest = arn_pattern;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(match &rest[start + 2..start + end] {
            "Partition" => "aws",
            "Region" => "us-east-1",
            "Account" | "AccountId" => account,
            _ => FILLER,
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

impl Space {
    /// The search space of a set of documents.
    pub(crate) fn new(docs: &[&Doc], with_principals: bool) -> Space {
        let mut mentioned = BTreeSet::new();
        for d in docs {
            accounts_in(&d.text, &mut mentioned);
        }
        let mut free = ACCOUNTS.iter().filter(|a| !mentioned.contains(**a));
        let first_mentioned = mentioned.iter().next().cloned();
        let owner = free.next().copied().unwrap_or("000000000001").to_owned();
        let stranger = free.next().copied().unwrap_or("000000000002").to_owned();
        let account = first_mentioned
            .unwrap_or_else(|| free.next().copied().unwrap_or("000000000003").to_owned());
        let mut space = Space {
            account,
            owner,
            stranger,
            keys: Vec::new(),
            vars: Vec::new(),
            instances: Vec::new(),
            principals: Vec::new(),
        };
        for d in docs {
            for st in statements(&d.value) {
                space.add_statement(st);
            }
        }
        if with_principals {
            space.add_principals(docs);
        }
        for key in &mut space.keys {
            let stringy = key.values.iter().all(|v| v.parse::<f64>().is_err());
            if stringy && !key.values.iter().any(|v| v == "true" || v == "false") {
                key.values.push(OTHER.to_owned());
            }
            if key.values.is_empty() {
                key.values.push(FILLER.to_owned());
            }
            let mut seen = BTreeSet::new();
            key.values.retain(|v| seen.insert(v.clone()));
            key.values.truncate(MAX_VALUES);
        }
        space
    }

    fn add_statement(&mut self, st: &Value) {
        for field in ["Resource", "NotResource"] {
            for p in st.get(field).map(strings).unwrap_or_default() {
                if let Some(arn) = instantiate(&p, &self.account, &mut self.vars) {
                    if !self.instances.contains(&arn) {
                        self.instances.push(arn);
                    }
                }
            }
        }
        let Some(Value::Object(ops)) = st.get("Condition") else {
            return;
        };
        for (op, keys) in ops {
            let Some(operator) = Operator::parse(op) else {
                continue;
            };
            let Some(keys) = keys.as_object() else {
                continue;
            };
            for (key, values) in keys {
                let i = self.key(key);
                self.keys[i].multi |= operator.set.is_some();
                let mut found = Vec::new();
                for v in strings(values) {
                    candidates(operator.kind, &v, &mut self.vars, &mut found);
                }
                self.keys[i].values.extend(found);
            }
        }
    }

    fn key(&mut self, name: &str) -> usize {
        let lower = name.to_ascii_lowercase();
        if let Some(i) = self.keys.iter().position(|k| k.lower == lower) {
            return i;
        }
        self.keys.push(Key {
            name: name.to_owned(),
            always_present: ALWAYS_PRESENT.contains(&lower.as_str()),
            lower,
            multi: false,
            values: Vec::new(),
        });
        self.keys.len() - 1
    }

    fn add_principals(&mut self, docs: &[&Doc]) {
        let stranger = Principal::parse(&format!("arn:aws:iam::{}:user/{FILLER}", self.stranger));
        let mut out = vec![stranger];
        for d in docs {
            for st in statements(&d.value) {
                for field in ["Principal", "NotPrincipal"] {
                    let Some(Value::Object(map)) = st.get(field) else {
                        continue;
                    };
                    for (kind, v) in map {
                        for item in strings(v) {
                            if item == "*" {
                                continue;
                            }
                            let p = if kind == "AWS" && crate::names::is_account_id(&item) {
                                Principal::parse(&format!("arn:aws:iam::{item}:user/{FILLER}"))
                            } else if kind == "AWS" && item.ends_with(":root") {
                                let account = item.split(':').nth(4).unwrap_or("");
                                Principal::parse(&format!("arn:aws:iam::{account}:user/{FILLER}"))
                            } else {
                                let mut vars = Vec::new();
                                Principal::parse(&fill_variables(
                                    &item.replace('*', FILLER),
                                    &mut vars,
                                ))
                            };
                            if !out.iter().any(|o| o.arn == p.arn) {
                                out.push(p);
                            }
                        }
                    }
                }
            }
        }
        self.principals = out;
    }

    /// No key set, except those every request carries.
    pub(crate) fn base(&self) -> Assign {
        self.keys
            .iter()
            .map(|k| k.always_present.then_some(0))
            .collect()
    }

    /// The request context of an assignment (policy variables filled).
    pub(crate) fn context(&self, assign: &Assign) -> Context {
        let mut ctx = Context::new();
        for v in &self.vars {
            ctx.set(v, FILLER);
        }
        for (k, a) in self.keys.iter().zip(assign) {
            if let Some(i) = a {
                let value = k.values[*i].clone();
                if k.multi {
                    ctx.set_multi(&k.name, vec![value]);
                } else {
                    ctx.set(&k.name, value);
                }
            }
        }
        ctx
    }

    /// The context keys of an assignment as (key, values), for witnesses.
    pub(crate) fn shown(&self, assign: &Assign) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = self
            .vars
            .iter()
            .filter(|v| !self.keys.iter().any(|k| k.lower.eq_ignore_ascii_case(v)))
            .map(|v| (v.clone(), vec![FILLER.to_owned()]))
            .collect();
        for (k, a) in self.keys.iter().zip(assign) {
            if let Some(i) = a {
                out.push((k.name.clone(), vec![k.values[*i].clone()]));
            }
        }
        out
    }

    /// An assignment under which the statement's conditions hold, keeping
    /// `fixed` keys as they are in `start`; `None` when no searched value
    /// satisfies them.
    pub(crate) fn solve(&self, st: &Statement, start: &Assign, fixed: &[bool]) -> Option<Assign> {
        let mut assign = start.clone();
        let mut done: Vec<usize> = Vec::new();
        for c in st.conditions() {
            let Some(ki) = self
                .keys
                .iter()
                .position(|k| k.lower == c.key_lower.as_str())
            else {
                continue;
            };
            if done.contains(&ki) {
                continue;
            }
            done.push(ki);
            let conds: Vec<_> = st
                .conditions()
                .iter()
                .filter(|x| x.key_lower == c.key_lower)
                .collect();
            let key = &self.keys[ki];
            let options: Vec<Option<usize>> = if fixed[ki] {
                vec![start[ki]]
            } else {
                let absent = (!key.always_present).then_some(None);
                absent
                    .into_iter()
                    .chain((0..key.values.len()).map(Some))
                    .collect()
            };
            let mut found = false;
            for option in options {
                assign[ki] = option;
                let ctx = self.context(&assign);
                if conds.iter().all(|x| x.holds(&ctx)) {
                    found = true;
                    break;
                }
            }
            if !found {
                return None;
            }
        }
        Some(assign)
    }
}
