//! YAML read into a small tree in which every node knows its place.
//!
//! saphyr-parser (YAML 1.2) gives events with character positions; we build
//! the tree ourselves so that every key and value keeps its line and column,
//! duplicate keys are reported rather than silently overwritten, and every
//! scalar stays the text that was written (no YAML 1.1 surprises such as
//! `no` becoming `false` or `2025-11-30` becoming a date).

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diag::{Diagnostic, Source, SourceFile, Span};

/// The most bytes one configuration file may hold (4 MiB). A directory of
/// thousands of users is a few hundred KiB; anything larger is refused
/// unread, so that a pull request cannot make `validate` or `plan` slow.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// The most bytes of all the files of one configuration directory (32 MiB):
/// files past it are refused unread.
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;
/// The deepest nesting of lists and mappings in one file (the configuration
/// needs six levels; 256 leaves room and keeps the stack small).
pub const MAX_DEPTH: usize = 256;
/// The most nodes one file may produce, counting each copy an alias makes
/// and the copy kept of each anchored node (an "alias bomb" of a dozen
/// lines would otherwise expand to billions).
pub const MAX_NODES: usize = 1_000_000;
/// The most nodes aliases may copy in one file.
pub const MAX_ALIAS_NODES: usize = 100_000;

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

/// An anchored node, with its size in nodes and its height, so that an
/// alias is charged for what it copies.
struct Anchored {
    id: usize,
    node: Node,
    size: usize,
    height: usize,
}

struct Builder<'a> {
    file: Arc<str>,
    source: Source,
    positions: Positions,
    anchors: Vec<Anchored>,
    /// Nodes made so far, alias copies included.
    nodes: usize,
    /// Nodes copied by aliases so far.
    alias_nodes: usize,
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
    let source: Source = Arc::new(SourceFile::new(&*file, text));
    let mut local = Vec::new();
    let mut builder = Builder {
        file: file.clone(),
        source: source.clone(),
        positions: Positions::new(text),
        anchors: Vec::new(),
        nodes: 0,
        alias_nodes: 0,
        diags: &mut local,
    };
    let mut parser = Parser::new_from_str(text);
    let result = read_document(&mut parser, &mut builder);
    match result {
        Ok(node) => {
            diags.extend(local);
            (node, source)
        }
        Err(Stop::Syntax(err)) => {
            diags.push(syntax_error(&file, &source, text, &err));
            (None, source)
        }
        Err(Stop::Limit(d)) => {
            diags.push(*d);
            (None, source)
        }
    }
}

/// Why reading a file stopped.
enum Stop {
    Syntax(saphyr_parser::ScanError),
    /// A limit against hostile input (depth, alias expansion, size).
    Limit(Box<Diagnostic>),
}

impl From<saphyr_parser::ScanError> for Stop {
    fn from(e: saphyr_parser::ScanError) -> Stop {
        Stop::Syntax(e)
    }
}

type Result<T> = std::result::Result<T, Stop>;

fn limit(span: &Span, message: String) -> Stop {
    Stop::Limit(Box::new(
        Diagnostic::error(span, message)
            .with_help("configuration is untrusted input: iamctl refuses it rather than read it; nothing else in this file was checked"),
    ))
}

fn next<'i>(
    parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
) -> Result<Option<(Event<'i>, saphyr_parser::Span)>> {
    Ok(parser.next_event().transpose()?)
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

/// How big a subtree is: nodes and height (a scalar is 1 and 1).
#[derive(Clone, Copy)]
struct Size {
    nodes: usize,
    height: usize,
}

impl Size {
    const ONE: Size = Size {
        nodes: 1,
        height: 1,
    };

    /// A parent's size grown by one child's.
    fn add(&mut self, child: Size) {
        self.nodes += child.nodes;
        self.height = self.height.max(child.height + 1);
    }
}

/// A list or mapping being read.
struct Open {
    span: Span,
    anchor: usize,
    size: Size,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        /// Each key's first line: duplicates are found in constant time.
        lines: HashMap<String, usize>,
        /// A key read, waiting for its value.
        key: Option<Node>,
    },
}

/// Reads one node whose first event is `event`, without recursion: open
/// lists and mappings are an explicit stack, at most [`MAX_DEPTH`] deep.
/// Every node made, alias copies and anchored copies included, counts
/// against [`MAX_NODES`] and [`MAX_ALIAS_NODES`].
fn read_node<'i>(
    parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
    b: &mut Builder<'_>,
    event: Event<'i>,
    span: saphyr_parser::Span,
) -> Result<Node> {
    let mut stack: Vec<Open> = Vec::new();
    let mut pending = Some((event, span));
    loop {
        let (event, span) = match pending.take() {
            Some(e) => e,
            None => match next(parser)? {
                Some(e) => e,
                // The parser ends every collection it starts; this is only
                // reached on a truncated stream.
                None => {
                    return Ok(Node {
                        kind: Kind::Null,
                        span: stack
                            .first()
                            .map_or_else(|| Span::file_only(&b.file), |o| o.span.clone()),
                    })
                }
            },
        };
        let depth = stack.len();
        let (node, size, anchor) = match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let start = b.count(span)?;
                let quoted = style != ScalarStyle::Plain;
                let kind =
                    if !quoted && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                        Kind::Null
                    } else {
                        Kind::Scalar {
                            text: text.into_owned(),
                        }
                    };
                (Node { kind, span: start }, Size::ONE, anchor)
            }
            Event::Alias(id) => {
                let start = b.span(span);
                let (node, size) = b.alias(id, &start, depth)?;
                (node, size, 0)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let start = b.count(span)?;
                if depth >= MAX_DEPTH {
                    return Err(limit(
                        &start,
                        format!("lists and mappings nest more than {MAX_DEPTH} deep"),
                    ));
                }
                let body = if matches!(event, Event::SequenceStart(..)) {
                    Body::Seq(Vec::new())
                } else {
                    Body::Map {
                        entries: Vec::new(),
                        lines: HashMap::new(),
                        key: None,
                    }
                };
                stack.push(Open {
                    span: start,
                    anchor,
                    size: Size::ONE,
                    body,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else {
                    continue;
                };
                let kind = match open.body {
                    Body::Seq(items) => Kind::Seq(items),
                    Body::Map { entries, .. } => Kind::Map(entries),
                };
                (
                    Node {
                        kind,
                        span: open.span,
                    },
                    open.size,
                    open.anchor,
                )
            }
            _ => {
                let start = b.count(span)?;
                (
                    Node {
                        kind: Kind::Null,
                        span: start,
                    },
                    Size::ONE,
                    0,
                )
            }
        };
        if anchor > 0 {
            b.anchor(anchor, &node, size)?;
        }
        let Some(parent) = stack.last_mut() else {
            return Ok(node);
        };
        parent.size.add(size);
        match &mut parent.body {
            Body::Seq(items) => items.push(node),
            Body::Map {
                entries,
                lines,
                key,
            } => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let first = k.as_str().and_then(|name| match lines.get(name) {
                        Some(line) => Some((name.to_owned(), *line)),
                        None => {
                            lines.insert(name.to_owned(), k.span.line);
                            None
                        }
                    });
                    match first {
                        Some((name, line)) => b.diags.push(
                            Diagnostic::error(
                                &k.span,
                                format!(
                                    "duplicate key `{name}`; it is first defined on line {line}"
                                ),
                            )
                            .with_help("remove one of them: only one value can count"),
                        ),
                        None => entries.push((k, node)),
                    }
                }
            },
        }
    }
}

impl Builder<'_> {
    /// The span of a new node, counted against [`MAX_NODES`].
    fn count(&mut self, span: saphyr_parser::Span) -> Result<Span> {
        let start = self.span(span);
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(limit(
                &start,
                format!("the file holds more than {MAX_NODES} YAML nodes"),
            ));
        }
        Ok(start)
    }

    /// Keeps a copy of an anchored node for its aliases; the copy is memory
    /// too, so it counts.
    fn anchor(&mut self, id: usize, node: &Node, size: Size) -> Result<()> {
        self.nodes += size.nodes;
        if self.nodes > MAX_NODES {
            return Err(limit(
                &node.span,
                format!("anchors and aliases make this file more than {MAX_NODES} YAML nodes"),
            ));
        }
        self.anchors.push(Anchored {
            id,
            node: node.clone(),
            size: size.nodes,
            height: size.height,
        });
        Ok(())
    }

    /// A copy of the node anchored as `id` (nothing for an unknown anchor,
    /// which the parser reports), charged to the alias budget.
    fn alias(&mut self, id: usize, start: &Span, depth: usize) -> Result<(Node, Size)> {
        let Some(a) = self.anchors.iter().rev().find(|a| a.id == id) else {
            let null = Node {
                kind: Kind::Null,
                span: start.clone(),
            };
            return Ok((null, Size::ONE));
        };
        self.alias_nodes += a.size;
        self.nodes += a.size;
        if self.alias_nodes > MAX_ALIAS_NODES || self.nodes > MAX_NODES {
            return Err(limit(
                start,
                format!(
                    "aliases in this file copy more than {MAX_ALIAS_NODES} YAML nodes (this one copies {}): an alias bomb?",
                    a.size
                ),
            ));
        }
        // The copy's lists and mappings sit `depth` deep and below.
        if depth + a.height > MAX_DEPTH + 1 {
            return Err(limit(
                start,
                format!("this alias nests lists and mappings more than {MAX_DEPTH} deep"),
            ));
        }
        let size = Size {
            nodes: a.size,
            height: a.height,
        };
        Ok((a.node.clone(), size))
    }
}
