//! Byte spans of the keys and values of a JSON text, looked up by JSON pointer.
//!
//! `serde_json::Value` forgets where things were, so to point an error at the
//! offending part of a policy we scan the text a second time with this small
//! tokenizer. It runs only on text that `serde_json` has already accepted, and
//! gives up (returns `None`) rather than panic if it meets anything else.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// Where one member or element sits in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spans {
    /// The key's string literal, quotes included (object members only).
    pub key: Option<Range<usize>>,
    /// The whole value, from its first byte to just past its last.
    pub value: Range<usize>,
}

/// The spans of every value of a JSON text, by JSON pointer (RFC 6901).
#[derive(Debug, Default)]
pub(crate) struct Index {
    spans: HashMap<String, Spans>,
    /// The first key, in document order, that repeats a key of its object:
    /// its pointer and the span of the repeated key.
    pub duplicate: Option<(String, Range<usize>)>,
}

impl Index {
    /// Indexes `text`, or returns `None` if it is not a single JSON value.
    pub fn build(text: &str) -> Option<Index> {
        let mut scanner = Scanner {
            text,
            pos: 0,
            index: Index::default(),
        };
        let value = scanner.value("")?;
        scanner.whitespace();
        if scanner.pos != text.len() {
            return None;
        }
        scanner
            .index
            .spans
            .insert(String::new(), Spans { key: None, value });
        Some(scanner.index)
    }

    /// The spans of the value at `pointer` (`""` is the whole document).
    pub fn get(&self, pointer: &str) -> Option<&Spans> {
        self.spans.get(pointer)
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/`.
pub(crate) fn pointer_push(base: &str, token: &str) -> String {
    let token = token.replace('~', "~0").replace('/', "~1");
    format!("{base}/{token}")
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    index: Index,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips one value, recording the spans of everything inside it, and
    /// returns its own span.
    fn value(&mut self, pointer: &str) -> Option<Range<usize>> {
        self.whitespace();
        let start = self.pos;
        match self.peek()? {
            b'{' => self.object(pointer)?,
            b'[' => self.array(pointer)?,
            b'"' => self.string()?,
            _ => {
                // A number, `true`, `false` or `null`: serde_json has already
                // checked it, so just find where it ends.
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    return None;
                }
            }
        }
        Some(start..self.pos)
    }

    /// Skips a string literal, escapes and all. Multi-byte UTF-8 sequences
    /// never contain `"` or `\` bytes, so scanning bytes is safe.
    fn string(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    fn object(&mut self, pointer: &str) -> Option<()> {
        self.pos += 1; // `{`
        self.whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        let mut seen = HashSet::new();
        loop {
            self.whitespace();
            let key_start = self.pos;
            self.string()?;
            let key_span = key_start..self.pos;
            let key: String = serde_json::from_str(self.text.get(key_span.clone())?).ok()?;
            let child = pointer_push(pointer, &key);
            if !seen.insert(key) && self.index.duplicate.is_none() {
                self.index.duplicate = Some((child.clone(), key_span.clone()));
            }
            self.whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            let value = self.value(&child)?;
            // As in serde_json, a repeated key's last value is the one kept.
            self.index.spans.insert(
                child,
                Spans {
                    key: Some(key_span),
                    value,
                },
            );
            self.whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, pointer: &str) -> Option<()> {
        self.pos += 1; // `[`
        self.whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        for i in 0.. {
            let child = format!("{pointer}/{i}");
            let value = self.value(&child)?;
            self.index.spans.insert(child, Spans { key: None, value });
            self.whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice<'a>(text: &'a str, range: &Range<usize>) -> &'a str {
        &text[range.clone()]
    }

    #[test]
    fn records_keys_and_values_by_pointer() {
        let text = r#"{ "a": [1, {"b": "x\"y"}], "c/d": true, "e~f": null }"#;
        let index = Index::build(text).expect("valid JSON");
        let root = index.get("").expect("root");
        assert_eq!(root.value, 0..text.len());
        assert_eq!(root.key, None);
        let a = index.get("/a").expect("a");
        assert_eq!(slice(text, a.key.as_ref().expect("key")), r#""a""#);
        assert_eq!(slice(text, &a.value), r#"[1, {"b": "x\"y"}]"#);
        assert_eq!(slice(text, &index.get("/a/0").expect("a/0").value), "1");
        let b = index.get("/a/1/b").expect("b");
        assert_eq!(slice(text, &b.value), r#""x\"y""#);
        assert_eq!(slice(text, &index.get("/c~1d").expect("c/d").value), "true");
        assert_eq!(slice(text, &index.get("/e~0f").expect("e~f").value), "null");
        assert!(index.duplicate.is_none());
    }

    #[test]
    fn decodes_escaped_keys() {
        let text = r#"{"\u0041ction": "s3:*", "\\": 1}"#;
        let index = Index::build(text).expect("valid JSON");
        assert!(index.get("/Action").is_some());
        assert!(index.get("/\\").is_some());
    }

    #[test]
    fn handles_multibyte_text() {
        let text = "{\"é\": \"ü\\\\\", \"k\": 2}";
        let index = Index::build(text).expect("valid JSON");
        assert_eq!(slice(text, &index.get("/é").expect("é").value), "\"ü\\\\\"");
        assert_eq!(slice(text, &index.get("/k").expect("k").value), "2");
    }

    #[test]
    fn finds_the_first_duplicate_in_document_order() {
        let text = r#"{"a": 1, "a": {"b": 1, "b": 2}}"#;
        let index = Index::build(text).expect("valid JSON");
        let (pointer, span) = index.duplicate.clone().expect("duplicate");
        assert_eq!(pointer, "/a");
        assert_eq!(span, 9..12);
        // The last value wins, as in serde_json.
        assert_eq!(
            slice(text, &index.get("/a").expect("a").value),
            r#"{"b": 1, "b": 2}"#
        );
    }

    #[test]
    fn gives_up_on_invalid_text() {
        for text in [
            "",
            "{",
            "[1,",
            "{\"a\" 1}",
            "{\"a\": 1} x",
            "\"open",
            "{1: 2}",
        ] {
            assert!(Index::build(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn empty_containers() {
        let index = Index::build(" { \"a\": [], \"b\": {} } ").expect("valid JSON");
        assert_eq!(index.get("/a").expect("a").value, 8..10);
        assert_eq!(index.get("/b").expect("b").value, 17..19);
    }
}
