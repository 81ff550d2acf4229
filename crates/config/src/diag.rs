//! Where a value came from, and what is wrong with it.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// The text of one configuration file, named by its path relative to the
/// configuration directory (`aws-policies/example-team.yaml`).
pub type Source = Arc<SourceFile>;

/// A file's text with the byte offset of each line's start, so that drawing
/// one diagnostic reads only the lines it shows. (miette's own `SourceCode`
/// for a string scans from the start of the text for every span drawn: a file
/// with tens of thousands of problems took minutes to print.)
pub struct SourceFile {
    name: String,
    text: String,
    /// Byte offset of the first byte of each line; `\r\n`, `\n` and a lone
    /// `\r` end a line, as miette counts them. Made when a first span of the
    /// file is drawn: most files read have nothing to show.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// The file's path relative to the configuration directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let bytes = self.text.as_bytes();
            let mut starts = vec![0];
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                        i += 1;
                        starts.push(i + 1);
                    }
                    b'\r' | b'\n' => starts.push(i + 1),
                    _ => {}
                }
                i += 1;
            }
            starts
        })
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts()
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceFile({}, {} bytes)", self.name, self.text.len())
    }
}

impl SourceCode for SourceFile {
    /// What miette's `str` gives, read from a line just before the first
    /// context line: that line is found by binary search, so a span costs the
    /// lines drawn, not the text before it.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if span.offset() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        // miette looks at the byte before an empty span, and keeps a window of
        // context lines: starting a line earlier than needed changes nothing.
        let first = self
            .line_of(span.offset().saturating_sub(1))
            .saturating_sub(context_lines_before + 1);
        let base = self.line_starts()[first];
        let window = &self.text.as_bytes()[base..];
        let local = SourceSpan::new((span.offset() - base).into(), span.len());
        let c = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            SourceSpan::new((c.span().offset() + base).into(), c.span().len()),
            c.line() + first,
            c.column(),
            c.line_count() + first,
        )))
    }
}

/// Where a value is: file, 1-based line and column (in characters), and its
/// bytes for drawing the source line.
#[derive(Clone)]
pub struct Span {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub len: usize,
    pub(crate) source: Option<Source>,
}

impl Span {
    /// A position with no source text to show (a file that could not be read).
    pub fn file_only(file: &str) -> Span {
        Span {
            file: file.into(),
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
            source: None,
        }
    }

    /// `file:line:column`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

#[cfg(test)]
thread_local! {
    /// Tests comparing models read from different files print spans as `_`.
    pub(crate) static HIDE_SPANS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(test)]
        if HIDE_SPANS.with(|h| h.get()) {
            return f.write_str("_");
        }
        f.write_str(&self.location())
    }
}

impl PartialEq for Span {
    fn eq(&self, other: &Span) -> bool {
        (&self.file, self.line, self.column, self.offset, self.len)
            == (
                &other.file,
                other.line,
                other.column,
                other.offset,
                other.len,
            )
    }
}

impl Eq for Span {}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

impl Spanned<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// How much a problem matters: errors stop `validate` (exit 3), warnings do
/// not; a note only says how something will be read (e.g. a user named in a
/// grant and declared nowhere is taken to exist already).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One problem in the configuration, at one place. The message is a lowercase
/// sentence with user values in backticks.
#[derive(Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span: span.clone(),
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(span: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            span: span.clone(),
            message: message.into(),
            help: None,
        }
    }

    pub fn note(span: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            span: span.clone(),
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn file(&self) -> &str {
        &self.span.file
    }

    pub fn line(&self) -> usize {
        self.span.line
    }

    pub fn column(&self) -> usize {
        self.span.column
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (&str, usize, usize, Severity, &str) {
        (
            &self.span.file,
            self.span.line,
            self.span.column,
            self.severity,
            &self.message,
        )
    }
}

/// Sorts by file, line and column (errors before warnings at one place) and
/// drops exact repeats.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

impl fmt::Debug for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.span.location(),
            self.severity.as_str(),
            self.message
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.span
            .source
            .as_ref()
            .map(|s| s.as_ref() as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.span.source.as_ref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".to_owned()),
            SourceSpan::new(self.span.offset.into(), self.span.len),
        ))))
    }
}

#[cfg(test)]
mod source_tests {
    use super::*;
    use miette::NamedSource;

    /// The indexed source draws exactly what miette's own string source
    /// draws, for every span start, length and context, across `\n`, `\r\n`
    /// and lone `\r` line ends, empty lines and multi-byte characters.
    #[test]
    fn indexed_source_reads_what_miette_reads() {
        let text = "a: 1\n\nbé: 2\r\n  c: [x, y]\rd: ü\n\ne:\n";
        let ours = SourceFile::new("f.yaml", text);
        let theirs = NamedSource::new("f.yaml", text.to_owned());
        for offset in 0..=text.len() {
            for len in [0, 1, 3, 7] {
                if offset + len > text.len() {
                    continue;
                }
                let span = SourceSpan::new(offset.into(), len);
                for (before, after) in [(0, 0), (1, 1), (2, 0), (0, 2), (3, 3)] {
                    let a = ours.read_span(&span, before, after);
                    let b = theirs.read_span(&span, before, after);
                    let (a, b) = match (a, b) {
                        (Ok(a), Ok(b)) => (a, b),
                        (Err(_), Err(_)) => continue,
                        (a, b) => panic!("{offset}+{len}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
                    };
                    let what = format!("span {offset}+{len}, context {before}/{after}");
                    assert_eq!(a.data(), b.data(), "{what}");
                    assert_eq!(a.span(), b.span(), "{what}");
                    assert_eq!(a.line(), b.line(), "{what}");
                    assert_eq!(a.column(), b.column(), "{what}");
                    assert_eq!(a.name(), b.name(), "{what}");
                }
            }
        }
    }
}
