//! Condition operators: every operator IAM documents, with `...IfExists`,
//! `ForAllValues:` / `ForAnyValue:` and `Null`.

use std::net::IpAddr;

use jiff::Timestamp;

use super::pattern::{fill_literal, tokenize, ArnParts, ArnPattern, Glob, Syntax, Tok};
use super::request::{Context, Typed};

/// The base operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// Every base operator with its name, for parsing and for the linter.
pub const OPERATORS: &[(&str, OperatorKind)] = {
    use OperatorKind::*;
    &[
        ("StringEquals", StringEquals),
        ("StringNotEquals", StringNotEquals),
        ("StringEqualsIgnoreCase", StringEqualsIgnoreCase),
        ("StringNotEqualsIgnoreCase", StringNotEqualsIgnoreCase),
        ("StringLike", StringLike),
        ("StringNotLike", StringNotLike),
        ("NumericEquals", NumericEquals),
        ("NumericNotEquals", NumericNotEquals),
        ("NumericLessThan", NumericLessThan),
        ("NumericLessThanEquals", NumericLessThanEquals),
        ("NumericGreaterThan", NumericGreaterThan),
        ("NumericGreaterThanEquals", NumericGreaterThanEquals),
        ("DateEquals", DateEquals),
        ("DateNotEquals", DateNotEquals),
        ("DateLessThan", DateLessThan),
        ("DateLessThanEquals", DateLessThanEquals),
        ("DateGreaterThan", DateGreaterThan),
        ("DateGreaterThanEquals", DateGreaterThanEquals),
        ("Bool", Bool),
        ("BinaryEquals", BinaryEquals),
        ("IpAddress", IpAddress),
        ("NotIpAddress", NotIpAddress),
        ("ArnEquals", ArnEquals),
        ("ArnLike", ArnLike),
        ("ArnNotEquals", ArnNotEquals),
        ("ArnNotLike", ArnNotLike),
        ("Null", Null),
    ]
};

impl OperatorKind {
    /// Negated operators match when no policy value matches; with the key
    /// missing they are true.
    pub fn negated(self) -> bool {
        use OperatorKind::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether policy variables are expanded in this operator's values.
    pub fn takes_variables(self) -> bool {
        use OperatorKind::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | Bool
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    ForAllValues,
    ForAnyValue,
}

/// A full operator as written: `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub if_exists: bool,
    pub set: Option<SetOperator>,
}

impl Operator {
    /// Parses an operator name. Operator names are matched exactly, as IAM
    /// does; `None` for anything unknown (including `NullIfExists`).
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = text.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), r)
        } else if let Some(r) = text.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), r)
        } else {
            (None, text)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let kind = OPERATORS.iter().find(|(n, _)| *n == base)?.1;
        if kind == OperatorKind::Null && if_exists {
            return None;
        }
        Some(Operator {
            kind,
            if_exists,
            set,
        })
    }
}

/// One policy value, prepared for its operator.
#[derive(Debug, Clone)]
enum Value {
    /// StringEquals / StringNotEquals / BinaryEquals / Bool (lower-cased)
    /// without variables: the text, inline when short.
    Lit(compact_str::CompactString),
    /// IgnoreCase without variables: lower-cased text.
    LitLower(compact_str::CompactString),
    /// StringEquals / StringNotEquals / BinaryEquals / Bool (lower-cased):
    /// literal text, possibly with variables.
    Text(Box<[Tok]>),
    /// IgnoreCase: lower-cased literal text.
    TextLower(Box<[Tok]>),
    /// StringLike
    Like(Glob),
    Number(f64),
    Date(Timestamp),
    Cidr(IpAddr, u8),
    Arn(ArnPattern),
    /// Null: whether the key must be absent.
    Null(bool),
    /// A value that cannot mean anything for its operator (e.g. `"abc"` for
    /// NumericEquals): never matches.
    Invalid,
}

/// One `"operator": {"key": values}` pair.
#[derive(Debug, Clone)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written.
    pub key: String,
    /// The key lower-cased, as looked up in the context.
    pub key_lower: compact_str::CompactString,
    key_hash: u64,
    values: Vec<Value>,
}

impl Condition {
    /// `values` are the policy's values as strings (numbers and booleans
    /// already turned into their JSON text).
    pub fn new(operator: Operator, key: &str, values: &[String], variables: bool) -> Condition {
        let values = values
            .iter()
            .map(|v| prepare(operator.kind, v, variables))
            .collect();
        Condition {
            operator,
            key: key.to_owned(),
            key_lower: key.to_ascii_lowercase().into(),
            key_hash: super::request::key_hash(&key.to_ascii_lowercase()),
            values,
        }
    }

    /// Values a request could carry to match the condition's literal
    /// values (`StringEquals`, `StringLike` without inner wildcards, ...):
    /// the text itself, a `StringLike` prefix for `prefix*`. Values with
    /// policy variables or other operators give none.
    pub fn sample_values(&self) -> Vec<String> {
        self.values
            .iter()
            .filter_map(|v| match v {
                Value::Lit(l) | Value::LitLower(l) => Some(l.to_string()),
                Value::Like(Glob::Exact(l)) | Value::Like(Glob::Prefix(l)) => Some(l.to_string()),
                Value::Like(Glob::Any) => Some("x".to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Whether the condition holds for the request context.
    pub fn holds(&self, ctx: &Context) -> bool {
        let op = self.operator;
        let entry = ctx.get_hashed(self.key_hash, &self.key_lower);
        if op.kind == OperatorKind::Null {
            // A key given as an empty list is present.
            let absent = entry.is_none();
            return self.values.iter().any(|v| match v {
                Value::Null(want_absent) => *want_absent == absent,
                _ => false,
            });
        }
        let entry = match entry {
            Some(e) if !(e.multi && e.values.is_empty()) => e,
            _ => {
                // Missing key (an empty list counts as missing).
                return match op.set {
                    Some(SetOperator::ForAllValues) => true,
                    // `ForAnyValue:...IfExists` on a missing key is false,
                    // as with plain `ForAnyValue`.
                    Some(SetOperator::ForAnyValue) => false,
                    None => op.if_exists || op.kind.negated(),
                };
            }
        };
        let matches = |t: &Typed| self.value_matches(&t.raw, t, ctx);
        let mut values = entry.typed.iter();
        match op.set {
            Some(SetOperator::ForAllValues) => values.all(matches),
            // Without a set operator a multivalued key matches when any of
            // its values does.
            Some(SetOperator::ForAnyValue) | None => values.any(matches),
        }
    }

    /// One context value against the policy values: for a positive
    /// operator, does any policy value match; for a negated one, does none.
    ///
    /// A policy value whose variable has no value is "effectively null":
    /// a positive operator does not match it, and "inverted condition
    /// operators like `StringNotEquals` or `StringNotLike` do match against
    /// a null value" (reference_policies_variables, "no value").
    fn value_matches(&self, v: &str, t: &Typed, ctx: &Context) -> bool {
        let kind = self.operator.kind;
        if kind.negated() {
            !self
                .values
                .iter()
                .any(|p| compare(kind, p, v, t, ctx).unwrap_or(false))
        } else {
            self.values
                .iter()
                .any(|p| compare(kind, p, v, t, ctx).unwrap_or(false))
        }
    }
}

fn prepare(kind: OperatorKind, text: &str, variables: bool) -> Value {
    use OperatorKind::*;
    let literal = Syntax {
        wildcards: false,
        variables: variables && kind.takes_variables(),
    };
    let like = Syntax {
        wildcards: true,
        ..literal
    };
    let text_value = |text: &str, lower: bool| {
        let toks = tokenize(text, literal);
        match toks.as_slice() {
            [] if lower => Value::LitLower(Default::default()),
            [] => Value::Lit(Default::default()),
            [Tok::Lit(l)] if lower => Value::LitLower(l.clone()),
            [Tok::Lit(l)] => Value::Lit(l.clone()),
            _ if lower => Value::TextLower(toks.into()),
            _ => Value::Text(toks.into()),
        }
    };
    match kind {
        StringEquals | StringNotEquals | BinaryEquals => text_value(text, false),
        Bool => text_value(&text.to_ascii_lowercase(), false),
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            text_value(&text.to_lowercase(), true)
        }
        StringLike | StringNotLike => Value::Like(Glob::parse(text, like)),
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => number(text).map_or(Value::Invalid, Value::Number),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => parse_date(text).map_or(Value::Invalid, Value::Date),
        IpAddress | NotIpAddress => cidr(text).map_or(Value::Invalid, |(a, p)| Value::Cidr(a, p)),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            Value::Arn(ArnPattern::parse(text, literal.variables))
        }
        Null => match text.to_ascii_lowercase().as_str() {
            "true" => Value::Null(true),
            "false" => Value::Null(false),
            _ => Value::Invalid,
        },
    }
}

/// Does the context value `v` match policy value `p` under the base
/// (un-negated) comparison of `kind`; `None` when a policy variable in `p`
/// cannot be resolved.
fn compare(kind: OperatorKind, p: &Value, v: &str, t: &Typed, ctx: &Context) -> Option<bool> {
    use OperatorKind::*;
    Some(match p {
        Value::Lit(l) => match kind {
            Bool => *l == t.lower,
            _ => l.as_str() == v,
        },
        Value::LitLower(l) => *l == t.lower,
        Value::Text(toks) => match kind {
            Bool => fill_literal(toks, ctx)?.to_ascii_lowercase() == t.lower,
            _ => eq_toks(toks, v, ctx)?,
        },
        Value::TextLower(toks) => fill_literal(toks, ctx)?.to_lowercase() == t.lower,
        Value::Like(glob) => glob.try_matches(v, ctx)?,
        Value::Number(p) => match t.number {
            Some(v) => match kind {
                NumericEquals | NumericNotEquals => v == *p,
                NumericLessThan => v < *p,
                NumericLessThanEquals => v <= *p,
                NumericGreaterThan => v > *p,
                NumericGreaterThanEquals => v >= *p,
                _ => false,
            },
            None => false,
        },
        Value::Date(p) => match t.date {
            Some(v) => match kind {
                DateEquals | DateNotEquals => v == *p,
                DateLessThan => v < *p,
                DateLessThanEquals => v <= *p,
                DateGreaterThan => v > *p,
                DateGreaterThanEquals => v >= *p,
                _ => false,
            },
            None => false,
        },
        Value::Cidr(net, prefix) => match t.ip {
            Some(ip) => in_cidr(ip, *net, *prefix),
            None => false,
        },
        Value::Arn(pattern) => {
            if pattern.unresolved(ctx) {
                return None;
            }
            let parts = ArnParts::new(v);
            parts.parts.is_some() && pattern.matches(&parts, ctx)
        }
        Value::Null(_) | Value::Invalid => false,
    })
}

fn eq_toks(toks: &[Tok], v: &str, ctx: &Context) -> Option<bool> {
    Some(match toks {
        [] => v.is_empty(),
        [Tok::Lit(l)] => **l == *v,
        _ => fill_literal(toks, ctx)? == v,
    })
}

pub(crate) fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// ISO 8601 (with or without time and offset; UTC when none) or seconds
/// since the epoch.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    // Digits alone are epoch seconds, as AWS writes them (`1471371600`),
    // never ISO 8601's basic format (`20260321` would be a date there).
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .and_then(|secs| Timestamp::from_second(secs).ok());
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() {
            return Timestamp::from_millisecond((secs * 1000.0) as i64).ok();
        }
    }
    None
}

fn cidr(text: &str) -> Option<(IpAddr, u8)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
        None => (text.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((addr, prefix))
}

fn in_cidr(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}
