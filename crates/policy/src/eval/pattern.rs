//! Wildcard patterns (`*` and `?`), the ARN patterns of `Resource`, and the
//! policy variables (`${aws:username}`) that may appear inside them.
//!
//! Patterns are compiled once, when a policy is loaded; matching never
//! allocates unless a policy variable has to be filled in.

use compact_str::CompactString;

use super::request::Context;

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Characters matched as they are.
    Lit(CompactString),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`: the context value of `key`
    /// (lower-cased), matched literally.
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// How to read the text of a pattern.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (StringLike, ArnLike, Action, Resource).
    pub wildcards: bool,
    /// `${...}` is a policy variable (policy version `2012-10-17` only).
    pub variables: bool,
}

/// Splits pattern text into tokens. Malformed variables (an unclosed `${`)
/// are kept as literal text, as IAM does.
pub(crate) fn tokenize(text: &str, syntax: Syntax) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match parse_variable(inner) {
                    Variable::Literal(ch) => lit.push(ch),
                    Variable::Key { key, default } => {
                        flush(&mut toks, &mut lit);
                        toks.push(Tok::Var { key, default });
                    }
                }
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '*' if syntax.wildcards => {
                flush(&mut toks, &mut lit);
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut toks, &mut lit);
                toks.push(Tok::One);
            }
            _ => lit.push(c),
        }
    }
    flush(&mut toks, &mut lit);
    toks
}

fn flush(toks: &mut Vec<Tok>, lit: &mut String) {
    if !lit.is_empty() {
        toks.push(Tok::Lit(CompactString::from(std::mem::take(lit))));
    }
}

enum Variable {
    Literal(char),
    Key {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// `*`, `?` and `$` stand for themselves; anything else is a context key,
/// optionally followed by `, 'default'`.
fn parse_variable(inner: &str) -> Variable {
    match inner.trim() {
        "*" => return Variable::Literal('*'),
        "?" => return Variable::Literal('?'),
        "$" => return Variable::Literal('$'),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(default);
            (key, Some(default.into()))
        }
        None => (inner, None),
    };
    Variable::Key {
        key: key.trim().to_ascii_lowercase().into_boxed_str(),
        default,
    }
}

/// A compiled pattern with fast paths for the common shapes.
#[derive(Debug, Clone)]
pub(crate) enum Glob {
    /// `*`
    Any,
    /// No wildcard and no variable.
    Exact(CompactString),
    /// Literal text then one trailing `*`.
    Prefix(CompactString),
    /// Anything else without variables.
    General(Box<[Tok]>),
    /// Has policy variables: filled in at evaluation time.
    Template(Box<[Tok]>),
}

impl Glob {
    pub fn new(toks: Vec<Tok>) -> Glob {
        if toks.iter().any(|t| matches!(t, Tok::Var { .. })) {
            return Glob::Template(toks.into());
        }
        match toks.as_slice() {
            [] => Glob::Exact(CompactString::default()),
            [Tok::Star] => Glob::Any,
            [Tok::Lit(l)] => Glob::Exact(l.clone()),
            [Tok::Lit(l), Tok::Star] => Glob::Prefix(l.clone()),
            _ => Glob::General(toks.into()),
        }
    }

    pub fn parse(text: &str, syntax: Syntax) -> Glob {
        Glob::new(tokenize(text, syntax))
    }

    /// Parses with every literal lower-cased (for case-insensitive matching
    /// against lower-cased subjects).
    pub fn parse_lowercase(text: &str, syntax: Syntax) -> Glob {
        Glob::parse(&text.to_lowercase(), syntax)
    }

    /// Whether `subject` matches. Policy variables are read from `ctx`; a
    /// variable whose key is missing (and has no default) or has several
    /// values makes the pattern match nothing.
    pub fn matches(&self, subject: &str, ctx: &Context) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(l) => **l == *subject,
            Glob::Prefix(p) => subject.starts_with(&**p),
            Glob::General(toks) => match_toks(toks, subject),
            Glob::Template(toks) => match fill(toks, ctx) {
                Some(toks) => match_toks(&toks, subject),
                None => false,
            },
        }
    }
}

/// Whether a variable of `toks` has no value (missing without a default, or
/// multivalued).
fn toks_unresolved(toks: &[Tok], ctx: &Context) -> bool {
    toks.iter().any(|tok| match tok {
        Tok::Var { key, default } => match ctx.get(key) {
            Some(entry) => entry.multi || entry.values.len() != 1,
            None => default.is_none(),
        },
        _ => false,
    })
}

impl Glob {
    /// `None` when a policy variable cannot be resolved.
    pub(crate) fn try_matches(&self, subject: &str, ctx: &Context) -> Option<bool> {
        match self {
            Glob::Template(toks) if toks_unresolved(toks, ctx) => None,
            _ => Some(self.matches(subject, ctx)),
        }
    }

    fn unresolved(&self, ctx: &Context) -> bool {
        matches!(self, Glob::Template(toks) if toks_unresolved(toks, ctx))
    }
}

impl ArnPattern {
    /// Whether a policy variable of the pattern cannot be resolved.
    pub(crate) fn unresolved(&self, ctx: &Context) -> bool {
        match self {
            ArnPattern::Any => false,
            ArnPattern::Arn(globs, segments) => {
                globs.iter().any(|g| g.unresolved(ctx))
                    || segments
                        .as_ref()
                        .is_some_and(|s| s.segs.iter().any(|(g, _)| g.unresolved(ctx)))
            }
            ArnPattern::Other(g) => g.unresolved(ctx),
        }
    }
}

/// Replaces variables by their (literal) values.
fn fill(toks: &[Tok], ctx: &Context) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(toks.len());
    for tok in toks {
        match tok {
            Tok::Var { key, default } => {
                let value: &str = match ctx.get(key) {
                    Some(entry) if entry.values.len() == 1 && !entry.multi => &entry.values[0],
                    Some(_) => return None,
                    None => default.as_deref()?,
                };
                out.push(Tok::Lit(CompactString::from(value)));
            }
            other => out.push(other.clone()),
        }
    }
    Some(out)
}

/// Fills in the variables of a pattern that has no wildcards (StringEquals
/// and friends) and returns the text, or `None` when a variable cannot be.
pub(crate) fn fill_literal(toks: &[Tok], ctx: &Context) -> Option<String> {
    let mut out = String::new();
    for tok in toks {
        match tok {
            Tok::Lit(l) => out.push_str(l),
            Tok::Star => out.push('*'),
            Tok::One => out.push('?'),
            Tok::Var { key, default } => match ctx.get(key) {
                Some(entry) if entry.values.len() == 1 && !entry.multi => {
                    out.push_str(&entry.values[0])
                }
                Some(_) => return None,
                None => out.push_str(default.as_deref()?),
            },
        }
    }
    Some(out)
}

fn char_len(s: &str, at: usize) -> usize {
    s[at..].chars().next().map_or(1, char::len_utf8)
}

/// Wildcard matching over tokens without variables: greedy, backtracking
/// only to the most recent `*`, so linear in practice and never recursive.
pub(crate) fn match_toks(toks: &[Tok], s: &str) -> bool {
    let mut ti = 0;
    let mut si = 0;
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(tok) = toks.get(ti) {
            match tok {
                Tok::Star => {
                    star = Some((ti + 1, si));
                    ti += 1;
                    continue;
                }
                Tok::One if si < s.len() => {
                    si += char_len(s, si);
                    ti += 1;
                    continue;
                }
                Tok::Lit(l) if s[si..].starts_with(&**l) => {
                    si += l.len();
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        } else if si == s.len() {
            return true;
        }
        match star {
            Some((resume, from)) if from < s.len() => {
                let next = from + char_len(s, from);
                star = Some((resume, next));
                ti = resume;
                si = next;
            }
            _ => return false,
        }
    }
}

/// A `Resource` (or ARN condition) pattern. ARNs are compared part by part:
/// partition, service, region, account and resource, so a wildcard never
/// spans a colon between those parts. A pattern with fewer parts matches its
/// last part against the rest of the ARN (`arn:aws:iam::*` covers every IAM
/// ARN). Within the resource part, which may itself hold colons
/// (`log-group:NAME:log-stream:S`), a `*` that ends a colon-separated segment
/// may reach across colons, and any other wildcard stays inside its segment,
/// as AWS documents.
#[derive(Debug, Clone)]
pub(crate) enum ArnPattern {
    /// `*`
    Any,
    /// `arn:` then one to five parts; the last may be split at colons.
    Arn(Box<[Glob]>, Option<Segments>),
    /// Anything that does not start with `arn:`: matched as a whole.
    Other(Glob),
}

/// The resource part of a pattern split at colons, when that matters: it
/// has a colon, or a wildcard that does not end it.
#[derive(Debug, Clone)]
pub(crate) struct Segments {
    /// Each segment, and whether it ends with `*` (and so may span colons).
    segs: Box<[(Glob, bool)]>,
}

impl Segments {
    fn new(text: &str, syntax: Syntax) -> Option<Segments> {
        let segs = split_outside_variables(text);
        let wild_inside = segs.iter().any(|seg| {
            let t = seg.strip_suffix('*').unwrap_or(seg);
            t.contains(['*', '?'])
        });
        if segs.len() == 1 && !wild_inside {
            return None;
        }
        Some(Segments {
            segs: segs
                .iter()
                .map(|seg| (Glob::parse(seg, syntax), seg.ends_with('*')))
                .collect(),
        })
    }

    fn matches(&self, resource: &str, ctx: &Context) -> bool {
        let parts: Vec<&str> = resource.split(':').collect();
        match_segments(&self.segs, &parts, ctx)
    }
}

/// Splits at colons that are not inside a `${...}` policy variable.
fn split_outside_variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn match_segments(segs: &[(Glob, bool)], parts: &[&str], ctx: &Context) -> bool {
    let Some(((glob, spans), rest)) = segs.split_first() else {
        return parts.is_empty();
    };
    if parts.is_empty() {
        return false;
    }
    if !spans {
        return glob.matches(parts[0], ctx) && match_segments(rest, &parts[1..], ctx);
    }
    // A trailing `*` may take in whole further segments; leave at least one
    // part for each remaining pattern segment.
    let max = parts.len() - rest.len().min(parts.len() - 1);
    (1..=max).any(|k| {
        let joined = parts[..k].join(":");
        glob.matches(&joined, ctx) && match_segments(rest, &parts[k..], ctx)
    })
}

impl ArnPattern {
    pub fn parse(text: &str, variables: bool) -> ArnPattern {
        let syntax = Syntax {
            wildcards: true,
            variables,
        };
        if text == "*" {
            return ArnPattern::Any;
        }
        match text.strip_prefix("arn:") {
            Some(rest) => {
                let parts: Vec<&str> = rest.splitn(5, ':').collect();
                let segments = match parts.as_slice() {
                    [_, _, _, _, resource] => Segments::new(resource, syntax),
                    _ => None,
                };
                ArnPattern::Arn(
                    parts.iter().map(|part| Glob::parse(part, syntax)).collect(),
                    segments,
                )
            }
            None => ArnPattern::Other(Glob::parse(text, syntax)),
        }
    }

    pub fn matches(&self, arn: &ArnParts<'_>, ctx: &Context) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Arn(globs, segments) => {
                let Some(parts) = &arn.parts else {
                    return false;
                };
                let last = globs.len() - 1;
                globs.iter().enumerate().all(|(i, glob)| {
                    if i < last {
                        glob.matches(parts[i], ctx)
                    } else if let Some(segments) = segments {
                        segments.matches(parts[4], ctx)
                    } else {
                        glob.matches(&arn.text[arn.starts[i]..], ctx)
                    }
                })
            }
            ArnPattern::Other(glob) => glob.matches(arn.text, ctx),
        }
    }
}

/// Splits `arn:partition:service:region:account:resource`, keeping colons in
/// the resource part.
pub(crate) fn split_arn(text: &str) -> Option<[&str; 6]> {
    // A plain byte loop: this runs on every evaluation, and `splitn` with a
    // char pattern costs a searcher per call.
    let bytes = text.as_bytes();
    let mut colons = [0usize; 5];
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' {
            colons[n] = i;
            n += 1;
            if n == 5 {
                break;
            }
        }
    }
    if n < 5 {
        return None;
    }
    let [a, b, c, d, e] = colons;
    Some([
        &text[..a],
        &text[a + 1..b],
        &text[b + 1..c],
        &text[c + 1..d],
        &text[d + 1..e],
        &text[e + 1..],
    ])
}

/// An ARN (or any resource string) split once for matching.
#[derive(Debug, Clone)]
pub(crate) struct ArnParts<'a> {
    pub text: &'a str,
    /// partition, service, region, account, resource
    pub parts: Option<[&'a str; 5]>,
    /// Where each of those parts starts in `text`.
    pub starts: [usize; 5],
}

impl<'a> ArnParts<'a> {
    pub fn new(text: &'a str) -> ArnParts<'a> {
        let mut starts = [0; 5];
        let parts = match split_arn(text) {
            Some(["arn", p, s, r, a, res]) => {
                let mut at = 4;
                for (i, part) in [p, s, r, a].iter().enumerate() {
                    starts[i] = at;
                    at += part.len() + 1;
                }
                starts[4] = at;
                Some([p, s, r, a, res])
            }
            _ => None,
        };
        ArnParts {
            text,
            parts,
            starts,
        }
    }
}
