//! Where a value came from, and what is wrong with it.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode, SourceSpan};

/// The text of one configuration file, named by its path relative to the
/// configuration directory (`aws-policies/example-team.yaml`).
pub type Source = Arc<NamedSource<String>>;

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
