//! A policy linter in the manner of IAM Access Analyzer's policy validation.
//!
//! [`lint`] never fails: whatever the text, it returns a [`LintReport`] whose
//! [`Finding`]s each have a severity (`ERROR`, `SECURITY_WARNING`, `WARNING`,
//! `SUGGESTION`), a stable code, a message, and the 1-based line and column
//! (plus a byte span for `miette`) of what it is about. Text that is not JSON
//! is one `JSON_SYNTAX` error.
//!
//! Codes are SCREAMING_SNAKE_CASE, as Access Analyzer's issue codes are, and
//! never change meaning; [`Code::ALL`] lists them with their severity and
//! meaning. Messages are lowercase sentences with user values in backticks.

mod checks;
mod grammar;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use serde_json::Value;

use crate::document::locate::Index;
use crate::document::{line_col, syntax_error, DocumentError};

/// What a policy is for, which decides its grammar and size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Attached to a user, group or role (checked as a managed policy: 6,144
    /// characters).
    Identity,
    /// Attached to a resource, such as an S3 bucket policy: needs a `Principal`.
    Resource,
    /// A role's trust policy: a `Principal`, no `Resource`, 2,048 characters.
    Trust,
    /// An AWS Organizations service control policy: no `Principal`, 5,120
    /// characters.
    Scp,
    /// An AWS Organizations resource control policy: a `Principal`, 5,120
    /// characters.
    Rcp,
}

impl PolicyType {
    /// The kind as it reads in a sentence.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::Trust => "trust policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
        }
    }

    /// The size limit, and whether whitespace counts towards it (IAM does
    /// not count it; AWS Organizations does).
    fn size_limit(&self) -> Option<(usize, bool)> {
        match self {
            PolicyType::Identity => Some((crate::DocumentKind::Managed.max_chars(), false)),
            PolicyType::Trust => Some((crate::DocumentKind::Trust.max_chars(), false)),
            PolicyType::Resource => None,
            PolicyType::Scp | PolicyType::Rcp => Some((5120, true)),
        }
    }

    fn has_principal(&self) -> bool {
        matches!(
            self,
            PolicyType::Resource | PolicyType::Trust | PolicyType::Rcp
        )
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding matters, in Access Analyzer's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// IAM would refuse the policy, or part of it can never work.
    Error,
    /// The policy grants more than it seems to, or can be used to gain more.
    SecurityWarning,
    /// The policy does not do what it probably means.
    Warning,
    /// Tidier or clearer.
    Suggestion,
}

impl Severity {
    /// `ERROR`, `SECURITY_WARNING`, `WARNING` or `SUGGESTION`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::SecurityWarning => "SECURITY_WARNING",
            Severity::Warning => "WARNING",
            Severity::Suggestion => "SUGGESTION",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($variant:ident => $code:literal, $severity:ident, $meaning:literal;)*) => {
        /// The stable identifier of a kind of finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed, e.g. `MISSING_RESOURCE`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The severity of every finding with this code.
            pub fn severity(&self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// What the code means, in one line.
            pub fn meaning(&self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    JsonSyntax => "JSON_SYNTAX", Error, "the text is not JSON";
    DuplicateKey => "DUPLICATE_KEY", Error, "a key appears twice in one object, and only the last value would count";
    PolicyNotObject => "POLICY_NOT_OBJECT", Error, "the document is not a JSON object";
    UnknownElement => "UNKNOWN_ELEMENT", Error, "an element that is not part of the policy grammar (names are case-sensitive)";
    InvalidVersion => "INVALID_VERSION", Error, "`Version` is neither `2012-10-17` nor `2008-10-17`";
    InvalidValueType => "INVALID_VALUE_TYPE", Error, "an element has the wrong JSON type, e.g. a number where strings belong";
    EmptyArray => "EMPTY_ARRAY", Error, "an element is an empty array";
    MissingStatement => "MISSING_STATEMENT", Error, "the policy has no `Statement`";
    InvalidStatement => "INVALID_STATEMENT", Error, "`Statement` is not an object or an array of objects";
    InvalidSid => "INVALID_SID", Error, "a `Sid` has characters other than ASCII letters and digits";
    DuplicateSid => "DUPLICATE_SID", Error, "two statements have the same `Sid`";
    MissingEffect => "MISSING_EFFECT", Error, "a statement has no `Effect`";
    InvalidEffect => "INVALID_EFFECT", Error, "`Effect` is neither `Allow` nor `Deny`";
    MissingAction => "MISSING_ACTION", Error, "a statement has neither `Action` nor `NotAction`";
    ConflictingElements => "CONFLICTING_ELEMENTS", Error, "a statement has both an element and its `Not` form";
    InvalidAction => "INVALID_ACTION", Error, "an action is not `*` or `service:action`";
    MissingResource => "MISSING_RESOURCE", Error, "a statement has neither `Resource` nor `NotResource`";
    MissingPrincipal => "MISSING_PRINCIPAL", Error, "a statement of a resource-based or trust policy names no `Principal`";
    UnsupportedElement => "UNSUPPORTED_ELEMENT", Error, "an element this kind of policy cannot have, e.g. `Principal` in an identity-based policy";
    InvalidPrincipal => "INVALID_PRINCIPAL", Error, "a `Principal` is not `*` or an object of principal types";
    UnknownPrincipalType => "UNKNOWN_PRINCIPAL_TYPE", Error, "a principal type other than `AWS`, `Service`, `Federated` and `CanonicalUser`";
    InvalidCondition => "INVALID_CONDITION", Error, "a `Condition` block is not shaped `{operator: {key: value(s)}}`";
    UnknownConditionOperator => "UNKNOWN_CONDITION_OPERATOR", Error, "a condition operator that IAM does not have";
    UnknownService => "UNKNOWN_SERVICE", Error, "an action's service prefix is not an AWS service";
    UnknownAction => "UNKNOWN_ACTION", Error, "an action the service does not have, or an action wildcard that matches none";
    InvalidGlobalConditionKey => "INVALID_GLOBAL_CONDITION_KEY", Error, "an `aws:` condition key that does not exist";
    InvalidArn => "INVALID_ARN", Error, "a `Resource` is neither `*` nor an ARN";
    AllowWithNotPrincipal => "ALLOW_WITH_NOT_PRINCIPAL", Error, "`NotPrincipal` with `Allow`, which AWS does not support (`NotPrincipal` must be used with `Deny`)";
    PolicyTooLarge => "POLICY_TOO_LARGE", Error, "the policy is above the size limit of its kind";
    AllowWithNotAction => "ALLOW_WITH_NOT_ACTION", SecurityWarning, "`Allow` with `NotAction` allows every action not listed, including future ones";
    AllowWithNotResource => "ALLOW_WITH_NOT_RESOURCE", SecurityWarning, "`Allow` with `NotResource` allows every resource not listed, including future ones";
    PermissionsManagementOnAllResources => "PERMISSIONS_MANAGEMENT_ON_ALL_RESOURCES", SecurityWarning, "permissions-management actions that support resource-level permissions are allowed on `*`";
    PrivilegeEscalation => "PRIVILEGE_ESCALATION", SecurityWarning, "allowed actions let a principal give itself more permissions";
    PassRoleEscalation => "PASS_ROLE_ESCALATION", SecurityWarning, "`iam:PassRole` on all roles with an action that launches something that runs as a role";
    MfaDenyBoolFalse => "MFA_DENY_BOOL_FALSE", SecurityWarning, "a `Deny` on `Bool aws:MultiFactorAuthPresent false` does not apply to long-term access keys; use `BoolIfExists`";
    MfaAllowIfExistsTrue => "MFA_ALLOW_IF_EXISTS_TRUE", SecurityWarning, "an `Allow` on `BoolIfExists aws:MultiFactorAuthPresent true` also allows long-term access keys without MFA; use `Bool`";
    UnknownConditionKey => "UNKNOWN_CONDITION_KEY", Warning, "a service condition key that no service documents";
    UnsupportedConditionKey => "UNSUPPORTED_CONDITION_KEY", Warning, "a condition key that none of the statement's services supports, so requests never carry it";
    ConditionTypeMismatch => "CONDITION_TYPE_MISMATCH", Warning, "a condition operator of another type than its key's (e.g. `NumericEquals` on the string key `s3:prefix`), so it never matches as meant";
    UnsupportedResource => "UNSUPPORTED_RESOURCE", Warning, "a `Resource` that none of the statement's actions can act on";
    WriteOnAllResources => "WRITE_ON_ALL_RESOURCES", Warning, "write actions that support resource-level permissions are allowed on `*`";
    PolicyVariablesNeedVersion => "POLICY_VARIABLES_NEED_VERSION", Warning, "`${...}` policy variables with `Version` missing or `2008-10-17`, where they are literal text";
    MfaAllowBoolFalse => "MFA_ALLOW_BOOL_FALSE", Warning, "an `Allow` on `Bool aws:MultiFactorAuthPresent false` never applies to long-term access keys";
    MissingVersion => "MISSING_VERSION", Suggestion, "the policy has no `Version`; add `\"Version\": \"2012-10-17\"`";
    OutdatedVersion => "OUTDATED_VERSION", Suggestion, "`Version` is `2008-10-17`; use `2012-10-17`";
    RedundantAction => "REDUNDANT_ACTION", Suggestion, "an action is already covered by a wildcard of the same statement";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the linter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// A lowercase sentence; user values in backticks.
    pub message: String,
    /// The JSON pointer of the element concerned (`""` for the whole document).
    pub pointer: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The bytes of the text concerned.
    pub span: SourceSpan,
}

/// What [`lint`] found in one document, sorted by position.
#[derive(Debug, Clone)]
pub struct LintReport {
    pub origin: String,
    pub policy_type: PolicyType,
    pub findings: Vec<Finding>,
    source: Arc<NamedSource<String>>,
}

impl LintReport {
    /// Whether any finding is an `ERROR`.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Each finding as a `miette` diagnostic that draws the text around it.
    pub fn diagnostics(&self) -> impl Iterator<Item = FindingDiagnostic> + '_ {
        self.findings.iter().map(|finding| FindingDiagnostic {
            origin: self.origin.clone(),
            finding: finding.clone(),
            source: self.source.clone(),
        })
    }
}

/// A [`Finding`] with its source text, for `miette` to render.
#[derive(Debug)]
pub struct FindingDiagnostic {
    origin: String,
    pub finding: Finding,
    source: Arc<NamedSource<String>>,
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Finding {
            line,
            column,
            message,
            ..
        } = &self.finding;
        write!(f, "`{}`:{line}:{column}: {message}", self.origin)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.finding.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::SecurityWarning | Severity::Warning => miette::Severity::Warning,
            Severity::Suggestion => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.finding.code.meaning()))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".to_owned()),
            self.finding.span,
        ))))
    }
}

/// Lints one policy document. `origin` names it in diagnostics (a file path,
/// or `<stdin>`).
pub fn lint(origin: &str, text: &str, policy_type: PolicyType) -> LintReport {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ctx = Ctx {
        text,
        index: None,
        findings: Vec::new(),
    };
    match serde_json::from_str::<Value>(text) {
        Err(err) => {
            if let DocumentError::Syntax {
                line,
                column,
                message,
                span,
                ..
            } = syntax_error(origin, text, &err)
            {
                ctx.findings.push(Finding {
                    code: Code::JsonSyntax,
                    severity: Code::JsonSyntax.severity(),
                    message,
                    pointer: String::new(),
                    line,
                    column,
                    span,
                });
            }
        }
        Ok(value) => {
            ctx.index = Index::build(text);
            let policy = grammar::check(&mut ctx, &value, policy_type);
            if let Some(policy) = policy {
                checks::check(&mut ctx, &value, &policy, policy_type);
            }
        }
    }
    let mut findings = ctx.findings;
    findings.sort_by(|a, b| {
        (a.line, a.column, a.severity, a.code, &a.message)
            .cmp(&(b.line, b.column, b.severity, b.code, &b.message))
    });
    findings.dedup();
    LintReport {
        origin: origin.to_owned(),
        policy_type,
        findings,
        source: Arc::new(NamedSource::new(origin, text.to_owned())),
    }
}

/// Which part of the element at a pointer a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// The member's key (the element itself for array elements).
    Key,
    /// The value (the opening bracket of an object or array).
    Value,
    /// The opening brace of an object that lacks something.
    Open,
}

/// The text being linted and what was found so far.
struct Ctx<'a> {
    text: &'a str,
    index: Option<Index>,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn span(&self, pointer: &str, at: At) -> Range<usize> {
        let Some(spans) = self.index.as_ref().and_then(|index| index.get(pointer)) else {
            return 0..0;
        };
        let value = spans.value.clone();
        let opening = value.start..value.start + 1;
        match at {
            At::Key => spans.key.clone().unwrap_or(value),
            At::Open => opening,
            At::Value => match self.text.as_bytes().get(value.start) {
                Some(b'{' | b'[') => opening,
                _ => value,
            },
        }
    }

    fn report(&mut self, code: Code, pointer: &str, at: At, message: impl Into<String>) {
        let span = self.span(pointer, at);
        self.report_span(code, pointer, span, message);
    }

    fn report_span(
        &mut self,
        code: Code,
        pointer: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) {
        let (line, column) = line_col(self.text, span.start);
        self.findings.push(Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            pointer: pointer.to_owned(),
            line,
            column,
            span: SourceSpan::from(span),
        });
    }
}

#[cfg(test)]
mod tests;
