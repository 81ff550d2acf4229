//! YAML read into a small tree in which every node knows its place.
//!
//! saphyr-parser (YAML 1.2) gives events with character positions; we build
//! the tree ourselves so that every key and value keeps its line and column,
//! duplicate keys are reported rather than silently overwritten, and every
//! scalar stays the text that was written (no YAML 1.1 surprises such as
//! `no` becoming `false` or `2025-11-30` becoming a date).

use std::sync::Arc;

use miette::NamedSource;
use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diag::{Diagnostic, Source, Span};

#[derive(Debug, Clone)]
pub enum Kind {
    /// `~`, `null`, or nothing at all.
    Null,
    /// Any other scalar, as written (quoted or not).
    Scalar {
        text: String,
    },
    Seq(Vec<Node>),
    /// Keys in the order written, duplicates already removed.
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
}

impl Node {
    /// What the node is, for "expected a list, found a mapping".
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "nothing",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text } => Some(text),
            _ => None,
        }
    }
}

/// Character positions to byte offsets, lines and columns.
struct Positions {
    /// Byte offset of each character, plus the length at the end.
    bytes: Vec<usize>,
}

impl Positions {
    fn new(text: &str) -> Positions {
        let mut bytes: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        bytes.push(text.len());
        Positions { bytes }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.bytes
            .get(char_index)
            .copied()
            .unwrap_or_else(|| *self.bytes.last().unwrap_or(&0))
    }
}

struct Builder<'a> {
    file: Arc<str>,
    source: Source,
    positions: Positions,
    anchors: Vec<(usize, Node)>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn span(&self, s: saphyr_parser::Span) -> Span {
        let start = self.positions.byte(s.start.index());
        let end = self.positions.byte(s.end.index()).max(start);
        Span {
            file: self.file.clone(),
            line: s.start.line(),
            column: s.start.col() + 1,
            offset: start,
            len: end - start,
            source: Some(self.source.clone()),
        }
    }
}

/// A YAML syntax error, at its place.
pub fn syntax_error(
    file: &Arc<str>,
    source: &Source,
    text: &str,
    err: &saphyr_parser::ScanError,
) -> Diagnostic {
    let positions = Positions::new(text);
    let m = err.marker();
    let offset = positions.byte(m.index());
    let len = text[offset..].chars().next().map_or(0, char::len_utf8);
    let span = Span {
        file: file.clone(),
        line: m.line(),
        column: m.col() + 1,
        offset,
        len,
        source: Some(source.clone()),
    };
    Diagnostic::error(&span, format!("malformed YAML: {}", err.info()))
        .with_help("fix the YAML syntax; nothing else in this file was checked")
}

/// Parses one file. `None` when the YAML is malformed (one diagnostic is
/// pushed) or the file holds no document. Duplicate keys are reported and the
/// first occurrence kept.
pub fn parse(file: &str, text: &str, diags: &mut Vec<Diagnostic>) -> (Option<Node>, Source) {
    let file: Arc<str> = file.into();
    let source: Source = Arc::new(NamedSource::new(&file, text.to_owned()));
    let mut local = Vec::new();
    let mut builder = Builder {
        file: file.clone(),
        source: source.clone(),
        positions: Positions::new(text),
        anchors: Vec::new(),
        diags: &mut local,
    };
    let mut parser = Parser::new_from_str(text);
    let result = read_document(&mut parser, &mut builder);
    match result {
        Ok(node) => {
            diags.extend(local);
            (node, source)
        }
        Err(err) => {
            diags.push(syntax_error(&file, &source, text, &err));
            (None, source)
        }
    }
}

type Result<T> = std::result::Result<T, saphyr_parser::ScanError>;

fn next<'i>(
    parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
) -> Result<Option<(Event<'i>, saphyr_parser::Span)>> {
    parser.next_event().transpose()
}

fn read_document<'i>(
    parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
    b: &mut Builder<'_>,
) -> Result<Option<Node>> {
    let mut doc = None;
    while let Some((event, span)) = next(parser)? {
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                let Some((event, span)) = next(parser)? else {
                    break;
                };
                let node = read_node(parser, b, event, span)?;
                if doc.is_none() {
                    doc = Some(node);
                } else {
                    b.diags.push(
                        Diagnostic::error(&node.span, "a second YAML document in one file")
                            .with_help("keep one document (no second `---`) per file"),
                    );
                }
            }
            _ => {
                let node = read_node(parser, b, event, span)?;
                doc.get_or_insert(node);
            }
        }
    }
    Ok(doc)
}

fn read_node<'i>(
    parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
    b: &mut Builder<'_>,
    event: Event<'i>,
    span: saphyr_parser::Span,
) -> Result<Node> {
    let start = b.span(span);
    let (node, anchor) = match event {
        Event::Scalar(text, style, anchor, _tag) => {
            let quoted = style != ScalarStyle::Plain;
            let kind = if !quoted && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                Kind::Null
            } else {
                Kind::Scalar {
                    text: text.into_owned(),
                }
            };
            (Node { kind, span: start }, anchor)
        }
        Event::Alias(id) => {
            let node = b
                .anchors
                .iter()
                .rev()
                .find(|(a, _)| *a == id)
                .map(|(_, n)| n.clone())
                .unwrap_or(Node {
                    kind: Kind::Null,
                    span: start,
                });
            return Ok(node);
        }
        Event::SequenceStart(anchor, _) => {
            let mut items = Vec::new();
            while let Some((event, span)) = next(parser)? {
                if matches!(event, Event::SequenceEnd) {
                    break;
                }
                items.push(read_node(parser, b, event, span)?);
            }
            (
                Node {
                    kind: Kind::Seq(items),
                    span: start,
                },
                anchor,
            )
        }
        Event::MappingStart(anchor, _) => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            while let Some((event, span)) = next(parser)? {
                if matches!(event, Event::MappingEnd) {
                    break;
                }
                let key = read_node(parser, b, event, span)?;
                let Some((event, span)) = next(parser)? else {
                    break;
                };
                let value = read_node(parser, b, event, span)?;
                let name = key.as_str().map(str::to_owned);
                let first = name.as_deref().and_then(|n| {
                    entries
                        .iter()
                        .find(|(k, _)| k.as_str() == Some(n))
                        .map(|(k, _)| k.span.line)
                });
                match (name, first) {
                    (Some(name), Some(line)) => b.diags.push(
                        Diagnostic::error(
                            &key.span,
                            format!("duplicate key `{name}`; it is first defined on line {line}"),
                        )
                        .with_help("remove one of them: only one value can count"),
                    ),
                    _ => entries.push((key, value)),
                }
            }
            (
                Node {
                    kind: Kind::Map(entries),
                    span: start,
                },
                anchor,
            )
        }
        _ => (
            Node {
                kind: Kind::Null,
                span: start,
            },
            0,
        ),
    };
    if anchor > 0 {
        b.anchors.push((anchor, node.clone()));
    }
    Ok(node)
}
