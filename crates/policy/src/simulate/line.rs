//! A request line read without a `serde_json::Value` tree: typed, borrowed
//! from the line's text, its policies kept as raw JSON text (compiled once
//! per distinct text) and its id printed back as written when that prints
//! as `serde_json` would.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::Value;
use smallvec::SmallVec;

use crate::eval::Context;

/// A well-formed request line, borrowed from its text. Anything this does
/// not read (other value types, unknown fields, any mistake) is left to the
/// `Value` reading, which words the errors.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Line<'a> {
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
    #[serde(borrow)]
    pub principal: Cow<'a, str>,
    #[serde(borrow)]
    pub action: Cow<'a, str>,
    #[serde(borrow, default)]
    pub resource: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "resourceAccount")]
    pub resource_account: Option<Cow<'a, str>>,
    /// Read when needed: an object of strings and lists of strings, or the
    /// line is left to the `Value` reading.
    #[serde(borrow, default)]
    pub context: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "identityPolicies")]
    pub identity: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default, rename = "permissionBoundary")]
    pub boundary: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "resourcePolicy")]
    pub resource_policy: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "sessionPolicy")]
    pub session: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "serviceControlPolicies")]
    pub scps: Option<Vec<Vec<&'a RawValue>>>,
    #[serde(borrow, default, rename = "resourceControlPolicies")]
    pub rcps: Option<Vec<Vec<&'a RawValue>>>,
}

impl<'a> Line<'a> {
    /// Reads a line of the accepted shape: principal and action non-empty,
    /// the action `service:Action`. `None` for anything else.
    pub fn read(text: &'a str) -> Option<Line<'a>> {
        let line: Line<'a> = serde_json::from_str(text).ok()?;
        if line.principal.is_empty()
            || line.action.is_empty()
            || !line.action.as_bytes().contains(&b':')
        {
            return None;
        }
        Some(line)
    }

    /// Whether the line carries no policy of its own.
    pub fn plain(&self) -> bool {
        self.identity.is_none()
            && self.boundary.is_none()
            && self.resource_policy.is_none()
            && self.session.is_none()
            && self.scps.is_none()
            && self.rcps.is_none()
    }

    /// The id as a `Value` (`null` when absent).
    pub fn id_value(&self) -> Value {
        self.id
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The context's raw text (empty without one), which decides its keys.
    pub fn context_text(&self) -> &'a str {
        self.context.map_or("", RawValue::get)
    }

    /// Sets the line's context keys, in the line's order, into `ctx`.
    /// `None` (and `ctx` unchanged) when the context is not an object of
    /// strings and lists of strings.
    pub fn fill_context(&self, ctx: &mut Context) -> Option<()> {
        let Some(raw) = self.context else {
            return Some(());
        };
        let PlainContext(entries) = serde_json::from_str(raw.get()).ok()?;
        for (key, value) in entries {
            match value {
                PlainValue::One(v) => ctx.set(&key, v),
                PlainValue::Many(vs) => ctx.set_multi(&key, vs),
            }
        }
        Some(())
    }
}

/// Writes a line's id as `serde_json` prints the `Value` it reads as:
/// plain integers and strings without escapes as written, anything else
/// read and printed again; `null` when absent.
pub(super) fn write_id(out: &mut Vec<u8>, id: Option<&RawValue>) {
    let Some(raw) = id else {
        out.extend_from_slice(b"null");
        return;
    };
    let text = raw.get().as_bytes();
    let digits = |t: &[u8]| {
        !t.is_empty()
            && t.len() <= 18
            && t.iter().all(u8::is_ascii_digit)
            && (t[0] != b'0' || t.len() == 1)
    };
    let verbatim = match text {
        [b'-', rest @ ..] => digits(rest) && rest != b"0",
        [b'"', inner @ .., b'"'] => !inner.contains(&b'\\'),
        t => digits(t),
    };
    if verbatim {
        out.extend_from_slice(text);
    } else {
        let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &value);
    }
}

/// A context object of strings and lists of strings, in the line's order.
pub(super) struct PlainContext<'a>(SmallVec<[(Cow<'a, str>, PlainValue<'a>); 4]>);

pub(super) enum PlainValue<'a> {
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
                let mut out = SmallVec::new();
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
