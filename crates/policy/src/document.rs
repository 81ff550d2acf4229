//! IAM policy documents: parsing, validation, size limits and comparison.
//!
//! [`PolicyDocument::parse`] accepts JSON text and checks it against the
//! grammar IAM enforces (top-level elements, statement elements, effects,
//! action syntax, principals, conditions) and the size quota of the kind of
//! policy it will become. Every [`DocumentError`] names the origin of the text
//! and, for syntax and structure errors, the line and column of the problem,
//! with a source span for `miette` to draw.

pub(crate) mod locate;

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_json::{Map, Value};
use thiserror::Error;

use locate::{pointer_push, Index};

/// The kinds of policy document IAM stores, each with its own size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A customer managed policy.
    Managed,
    /// An inline policy embedded in a user.
    UserInline,
    /// An inline policy embedded in a role.
    RoleInline,
    /// An inline policy embedded in a group.
    GroupInline,
    /// A role's trust policy (assume-role policy document).
    Trust,
}

impl DocumentKind {
    /// The most characters, not counting whitespace, that IAM accepts.
    pub fn max_chars(&self) -> usize {
        match self {
            DocumentKind::Managed => 6144,
            DocumentKind::UserInline => 2048,
            DocumentKind::RoleInline => 10240,
            DocumentKind::GroupInline => 5120,
            DocumentKind::Trust => 2048,
        }
    }

    /// The kind as it reads in a sentence, e.g. `"managed policy"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentKind::Managed => "managed policy",
            DocumentKind::UserInline => "user inline policy",
            DocumentKind::RoleInline => "role inline policy",
            DocumentKind::GroupInline => "group inline policy",
            DocumentKind::Trust => "trust policy",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with the structure of a policy document.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StructureProblem {
    #[error("a policy document must be a JSON object")]
    RootNotObject,
    #[error("key `{key}` appears twice in the same object")]
    DuplicateKey { key: String },
    #[error("unknown policy element `{key}`")]
    UnknownTopLevelKey { key: String },
    #[error("`Version` must be `2012-10-17` or `2008-10-17`, not `{found}`")]
    BadVersion { found: String },
    #[error("`Id` must be a string")]
    IdNotString,
    #[error("policy has no `Statement`")]
    MissingStatement,
    #[error("`Statement` must be an object or an array of objects")]
    StatementNotObjectOrArray,
    #[error("a statement must be a JSON object")]
    StatementNotObject,
    #[error("unknown statement element `{key}`")]
    UnknownStatementKey { key: String },
    #[error("`Sid` must be a string")]
    SidNotString,
    #[error("`Sid` `{sid}` contains characters other than ASCII letters and digits")]
    SidNotAlphanumeric { sid: String },
    #[error("`Sid` `{sid}` is already used by an earlier statement")]
    DuplicateSid { sid: String },
    #[error("statement has no `Effect`")]
    MissingEffect,
    #[error("`Effect` must be `Allow` or `Deny`, not `{found}`")]
    BadEffect { found: String },
    #[error("statement has neither `Action` nor `NotAction`")]
    MissingAction,
    #[error("statement has both `Action` and `NotAction`")]
    ActionAndNotAction,
    #[error("`{element}` must be a string or an array of strings")]
    NotStrings { element: &'static str },
    #[error("`{element}` is an empty array")]
    EmptyList { element: &'static str },
    #[error("`{action}` is not an action")]
    BadAction { action: String },
    #[error("statement has neither `Resource` nor `NotResource`")]
    MissingResource,
    #[error("statement has both `Resource` and `NotResource`")]
    ResourceAndNotResource,
    #[error("trust policies cannot name a `{element}`")]
    ResourceInTrustPolicy { element: &'static str },
    #[error("statement has neither `Principal` nor `NotPrincipal`")]
    MissingPrincipal,
    #[error("statement has both `Principal` and `NotPrincipal`")]
    PrincipalAndNotPrincipal,
    #[error("identity-based policies cannot name a `{element}`")]
    PrincipalInIdentityPolicy { element: &'static str },
    #[error("`{element}` must be `\"*\"` or an object of principal types")]
    BadPrincipal { element: &'static str },
    #[error("unknown principal type `{principal_type}`")]
    UnknownPrincipalType { principal_type: String },
    #[error("`Condition` must be an object of condition operators")]
    ConditionNotObject,
    #[error("condition operator `{operator}` must map condition keys to values")]
    ConditionOperatorNotObject { operator: String },
    #[error(
        "condition key `{key}` must have a string, number or boolean value, or an array of them"
    )]
    BadConditionValue { key: String },
}

impl StructureProblem {
    /// Advice on how to fix the problem.
    pub fn help(&self) -> &'static str {
        use StructureProblem::*;
        match self {
            RootNotObject => {
                r#"a policy looks like `{"Version": "2012-10-17", "Statement": [...]}`"#
            }
            DuplicateKey { .. } => {
                "only one of the values would be kept, so the policy would not mean what it says; merge them"
            }
            UnknownTopLevelKey { .. } => {
                "a policy has only `Version`, `Id` and `Statement` (IAM is case-sensitive)"
            }
            BadVersion { .. } => {
                "use `2012-10-17`, the current version, or leave `Version` out"
            }
            IdNotString => "`Id` is an optional identifier such as a UUID",
            MissingStatement => r#"add `"Statement": [...]` with at least one statement"#,
            StatementNotObjectOrArray | StatementNotObject => {
                r#"a statement looks like `{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`"#
            }
            UnknownStatementKey { .. } => {
                "a statement has only `Sid`, `Effect`, `Action`, `NotAction`, `Resource`, `NotResource`, `Principal`, `NotPrincipal` and `Condition` (IAM is case-sensitive)"
            }
            SidNotString | SidNotAlphanumeric { .. } => {
                "IAM accepts only ASCII letters and digits in a `Sid`"
            }
            DuplicateSid { .. } => "each statement's `Sid` must be unique within the policy",
            MissingEffect | BadEffect { .. } => {
                r#"use `"Effect": "Allow"` or `"Effect": "Deny"` (IAM is case-sensitive)"#
            }
            MissingAction => {
                "list the actions the statement covers in `Action`, or those it excludes in `NotAction`"
            }
            ActionAndNotAction => "keep `Action` or `NotAction`, not both",
            NotStrings { .. } => r#"write one value as `"..."` and several as `["...", "..."]`"#,
            EmptyList { .. } => "list at least one value",
            BadAction { .. } => {
                "an action is `*` or `SERVICE:ACTION`, like `s3:GetObject` or `ec2:Describe*`; the action may use the wildcards `*` and `?`"
            }
            MissingResource => {
                r#"identity-based policies must say which resources a statement covers; use `"Resource": "*"` for all"#
            }
            ResourceAndNotResource => "keep `Resource` or `NotResource`, not both",
            ResourceInTrustPolicy { .. } => {
                "the resource of a trust policy is always the role itself; remove the element"
            }
            MissingPrincipal => {
                r#"a trust policy says who may assume the role, e.g. `"Principal": {"Service": "ec2.amazonaws.com"}`"#
            }
            PrincipalAndNotPrincipal => "keep `Principal` or `NotPrincipal`, not both",
            PrincipalInIdentityPolicy { .. } => {
                "an identity-based policy applies to whoever it is attached to; `Principal` belongs in trust and resource policies"
            }
            BadPrincipal { .. } => {
                r#"write e.g. `{"AWS": "arn:aws:iam::123456789012:root"}` or `{"Service": ["ec2.amazonaws.com"]}`"#
            }
            UnknownPrincipalType { .. } => {
                "principal types are `AWS`, `Service`, `Federated` and `CanonicalUser`"
            }
            ConditionNotObject | ConditionOperatorNotObject { .. } | BadConditionValue { .. } => {
                r#"a condition looks like `{"Bool": {"aws:MultiFactorAuthPresent": "true"}}`"#
            }
        }
    }

    /// Which part of the offending element to underline.
    fn at(&self) -> At {
        use StructureProblem::*;
        match self {
            DuplicateKey { .. }
            | UnknownTopLevelKey { .. }
            | UnknownStatementKey { .. }
            | ActionAndNotAction
            | ResourceAndNotResource
            | ResourceInTrustPolicy { .. }
            | PrincipalAndNotPrincipal
            | PrincipalInIdentityPolicy { .. }
            | UnknownPrincipalType { .. } => At::Key,
            MissingStatement | MissingEffect | MissingAction | MissingResource
            | MissingPrincipal => At::Open,
            RootNotObject
            | BadVersion { .. }
            | IdNotString
            | StatementNotObjectOrArray
            | StatementNotObject
            | SidNotString
            | SidNotAlphanumeric { .. }
            | DuplicateSid { .. }
            | BadEffect { .. }
            | NotStrings { .. }
            | EmptyList { .. }
            | BadAction { .. }
            | BadPrincipal { .. }
            | ConditionNotObject
            | ConditionOperatorNotObject { .. }
            | BadConditionValue { .. } => At::Value,
        }
    }

    /// The label under the offending element.
    fn label(&self) -> &'static str {
        match self.at() {
            At::Key => "this element",
            At::Value => "this value",
            At::Open => "in this object",
        }
    }
}

/// Why a policy document was refused.
#[derive(Debug, Error, Diagnostic)]
pub enum DocumentError {
    /// The text is not JSON.
    #[error("`{origin}`:{line}:{column}: {message}")]
    #[diagnostic(
        code(iamctl::policy_syntax),
        help(
            "the text is not valid JSON at the marked spot; a policy document is one JSON object"
        )
    )]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
        #[source_code]
        src: Arc<NamedSource<String>>,
        #[label("here")]
        span: SourceSpan,
    },

    /// The text is JSON, but not a policy IAM accepts.
    #[error("`{origin}`:{line}:{column}: {problem} ({})", at_pointer(.pointer))]
    #[diagnostic(code(iamctl::invalid_policy), help("{}", .problem.help()))]
    Structure {
        origin: String,
        line: usize,
        column: usize,
        /// The JSON pointer of the offending element, e.g. `/Statement/0/Effect`.
        pointer: String,
        problem: StructureProblem,
        #[source_code]
        src: Arc<NamedSource<String>>,
        #[label("{}", .problem.label())]
        span: SourceSpan,
    },

    /// The document is above the quota of its kind.
    #[error(
        "`{origin}`: policy is {chars} characters, above the {max} that IAM allows for a {kind}"
    )]
    #[diagnostic(
        code(iamctl::policy_too_large),
        help("IAM does not count whitespace; shorten the policy with wildcards or split it into several policies")
    )]
    TooLarge {
        origin: String,
        chars: usize,
        max: usize,
        kind: DocumentKind,
    },
}

impl DocumentError {
    /// The 1-based line and column of the problem, when it has a place.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        match self {
            DocumentError::Syntax { line, column, .. }
            | DocumentError::Structure { line, column, .. } => Some((*line, *column)),
            DocumentError::TooLarge { .. } => None,
        }
    }
}

fn at_pointer(pointer: &str) -> String {
    if pointer.is_empty() {
        "at the document root".to_owned()
    } else {
        format!("at `{pointer}`")
    }
}

/// A parsed, validated IAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// The parsed JSON, with the key order of the source kept.
    pub value: Value,
}

impl PolicyDocument {
    /// Parse and validate. `origin` names the source for messages (a file
    /// path, or `"<stdin>"`).
    pub fn parse(
        origin: &str,
        text: &str,
        kind: DocumentKind,
    ) -> Result<PolicyDocument, DocumentError> {
        // Editors on Windows like to start files with a byte order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value =
            serde_json::from_str(text).map_err(|err| syntax_error(origin, text, &err))?;
        let index = Index::build(text);
        if let Some((pointer, span)) = index.as_ref().and_then(|i| i.duplicate.clone()) {
            let key = last_token(&pointer);
            return Err(structure_error(
                origin,
                text,
                Problem {
                    pointer,
                    problem: StructureProblem::DuplicateKey { key },
                },
                Some(span),
            ));
        }
        check_structure(&value, kind)
            .map_err(|problem| locate_problem(origin, text, index.as_ref(), problem))?;
        let document = PolicyDocument { value };
        let chars = document.size();
        if chars > kind.max_chars() {
            return Err(DocumentError::TooLarge {
                origin: origin.to_owned(),
                chars,
                max: kind.max_chars(),
                kind,
            });
        }
        Ok(document)
    }

    /// Compact JSON (serde_json::to_string), what we send to AWS.
    pub fn to_compact(&self) -> String {
        self.value.to_string()
    }

    /// Indented JSON, for people.
    pub fn to_pretty(&self) -> String {
        format!("{:#}", self.value)
    }

    /// True when both mean the same policy: compare after normalisation (a
    /// single string equal to a one-element array for Action/NotAction/
    /// Resource/NotResource/Principal values, order of elements inside those
    /// arrays ignored, key order ignored). Used to skip identical deploys.
    ///
    /// Beyond that, a lone statement object equals a one-element `Statement`
    /// array, condition values are compared as sets too, and an account ID
    /// principal equals the `arn:…:iam::ACCOUNT:root` that IAM rewrites it to.
    pub fn same_as(&self, other: &PolicyDocument) -> bool {
        normalised(&self.value) == normalised(&other.value)
    }

    /// Build from already-trusted JSON (AWS's response), no size check.
    /// Nothing is checked here; call [`PolicyDocument::validate`] to have
    /// structural errors reported.
    pub fn from_value(value: Value) -> PolicyDocument {
        PolicyDocument { value }
    }

    /// Checks the structure (not the size) of a document built with
    /// [`PolicyDocument::from_value`]. Errors point into [`Self::to_pretty`].
    pub fn validate(&self, origin: &str, kind: DocumentKind) -> Result<(), DocumentError> {
        check_structure(&self.value, kind).map_err(|problem| {
            let text = self.to_pretty();
            let index = Index::build(&text);
            locate_problem(origin, &text, index.as_ref(), problem)
        })
    }

    /// The size IAM charges against the quota: the characters of the compact
    /// form, not counting whitespace.
    pub fn size(&self) -> usize {
        self.to_compact()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
    }
}

impl fmt::Display for PolicyDocument {
    /// The compact form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

// ---------------------------------------------------------------------------
// Errors and their positions

/// Which part of the element at a pointer to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// The member's key (the element itself for array elements).
    Key,
    /// The value.
    Value,
    /// The opening brace of an object that lacks something.
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    pointer: String,
    problem: StructureProblem,
}

pub(crate) fn syntax_error(origin: &str, text: &str, err: &serde_json::Error) -> DocumentError {
    // serde_json reports a 1-based line and the 1-based byte column of the
    // offending byte (0 at the very start of a line, e.g. at end of input).
    let line_start = text
        .split_inclusive('\n')
        .take(err.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let offset = if err.is_eof() {
        // Point just past the last token, where more was expected.
        text.trim_end().len()
    } else {
        floor_char_boundary(text, line_start + err.column().saturating_sub(1))
    };
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    let (line, column) = line_col(text, offset);
    DocumentError::Syntax {
        origin: origin.to_owned(),
        line,
        column,
        message,
        src: Arc::new(NamedSource::new(origin, text.to_owned())),
        span: char_span(text, offset),
    }
}

fn locate_problem(
    origin: &str,
    text: &str,
    index: Option<&Index>,
    problem: Problem,
) -> DocumentError {
    let span = index.and_then(|index| {
        let spans = index.get(&problem.pointer)?;
        let value = spans.value.clone();
        let opening = value.start..value.start + 1;
        Some(match problem.problem.at() {
            At::Key => spans.key.clone().unwrap_or(value),
            At::Open => opening,
            At::Value => match text.as_bytes().get(value.start) {
                // Underlining a whole object or array is just noise.
                Some(b'{' | b'[') => opening,
                _ => value,
            },
        })
    });
    structure_error(origin, text, problem, span)
}

fn structure_error(
    origin: &str,
    text: &str,
    problem: Problem,
    span: Option<Range<usize>>,
) -> DocumentError {
    // Without a position, line 1 column 1; the message still has the pointer.
    let span = span.unwrap_or(0..0);
    let (line, column) = line_col(text, span.start);
    DocumentError::Structure {
        origin: origin.to_owned(),
        line,
        column,
        pointer: problem.pointer,
        problem: problem.problem,
        src: Arc::new(NamedSource::new(origin, text.to_owned())),
        span: SourceSpan::from(span.start..span.end),
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A span covering the character at `offset`, or empty at the end of text.
fn char_span(text: &str, offset: usize) -> SourceSpan {
    let len = text[offset..].chars().next().map_or(0, char::len_utf8);
    SourceSpan::from(offset..offset + len)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The last reference token of a JSON pointer, unescaped.
fn last_token(pointer: &str) -> String {
    let token = pointer.rsplit('/').next().unwrap_or(pointer);
    token.replace("~1", "/").replace("~0", "~")
}

// ---------------------------------------------------------------------------
// Structure

const TOP_LEVEL_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];
const PRINCIPAL_TYPES: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// A value as it reads inside backticks: strings bare, anything else as JSON.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn problem(pointer: &str, problem: StructureProblem) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        problem,
    }
}

/// Checks `value` against the policy grammar, returning the first problem in
/// document order (roughly: statements are checked in order, and each
/// statement's elements in a fixed order).
fn check_structure(value: &Value, kind: DocumentKind) -> Result<(), Problem> {
    let Value::Object(root) = value else {
        return Err(problem("", StructureProblem::RootNotObject));
    };
    for key in root.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            return Err(problem(
                &pointer_push("", key),
                StructureProblem::UnknownTopLevelKey { key: key.clone() },
            ));
        }
    }
    if let Some(version) = root.get("Version") {
        if !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17")) {
            return Err(problem(
                "/Version",
                StructureProblem::BadVersion {
                    found: describe(version),
                },
            ));
        }
    }
    if let Some(id) = root.get("Id") {
        if !id.is_string() {
            return Err(problem("/Id", StructureProblem::IdNotString));
        }
    }
    let Some(statement) = root.get("Statement") else {
        return Err(problem("", StructureProblem::MissingStatement));
    };
    let mut sids = HashSet::new();
    match statement {
        Value::Object(statement) => check_statement("/Statement", statement, kind, &mut sids),
        Value::Array(statements) => {
            for (i, statement) in statements.iter().enumerate() {
                let pointer = format!("/Statement/{i}");
                let Value::Object(statement) = statement else {
                    return Err(problem(&pointer, StructureProblem::StatementNotObject));
                };
                check_statement(&pointer, statement, kind, &mut sids)?;
            }
            Ok(())
        }
        _ => Err(problem(
            "/Statement",
            StructureProblem::StatementNotObjectOrArray,
        )),
    }
}

fn check_statement(
    pointer: &str,
    statement: &Map<String, Value>,
    kind: DocumentKind,
    sids: &mut HashSet<String>,
) -> Result<(), Problem> {
    let at = |key: &str| pointer_push(pointer, key);
    for key in statement.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            return Err(problem(
                &at(key),
                StructureProblem::UnknownStatementKey { key: key.clone() },
            ));
        }
    }

    if let Some(sid) = statement.get("Sid") {
        let Some(sid) = sid.as_str() else {
            return Err(problem(&at("Sid"), StructureProblem::SidNotString));
        };
        if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(problem(
                &at("Sid"),
                StructureProblem::SidNotAlphanumeric {
                    sid: sid.to_owned(),
                },
            ));
        }
        if !sid.is_empty() && !sids.insert(sid.to_owned()) {
            return Err(problem(
                &at("Sid"),
                StructureProblem::DuplicateSid {
                    sid: sid.to_owned(),
                },
            ));
        }
    }

    match statement.get("Effect") {
        None => return Err(problem(pointer, StructureProblem::MissingEffect)),
        Some(Value::String(effect)) if effect == "Allow" || effect == "Deny" => {}
        Some(other) => {
            return Err(problem(
                &at("Effect"),
                StructureProblem::BadEffect {
                    found: describe(other),
                },
            ))
        }
    }

    let principal = pick_one(
        pointer,
        statement,
        "Principal",
        "NotPrincipal",
        StructureProblem::PrincipalAndNotPrincipal,
    )?;
    match (kind, principal) {
        (DocumentKind::Trust, None) => {
            return Err(problem(pointer, StructureProblem::MissingPrincipal))
        }
        (DocumentKind::Trust, Some((element, value))) => {
            check_principal(&at(element), element, value)?
        }
        (_, Some((element, _))) => {
            return Err(problem(
                &at(element),
                StructureProblem::PrincipalInIdentityPolicy { element },
            ))
        }
        (_, None) => {}
    }

    let action = pick_one(
        pointer,
        statement,
        "Action",
        "NotAction",
        StructureProblem::ActionAndNotAction,
    )?;
    let Some((element, actions)) = action else {
        return Err(problem(pointer, StructureProblem::MissingAction));
    };
    for (i, action) in strings(&at(element), element, actions)? {
        if !is_action(action) {
            return Err(problem(
                &i,
                StructureProblem::BadAction {
                    action: action.to_owned(),
                },
            ));
        }
    }

    let resource = pick_one(
        pointer,
        statement,
        "Resource",
        "NotResource",
        StructureProblem::ResourceAndNotResource,
    )?;
    match (kind, resource) {
        (DocumentKind::Trust, Some((element, _))) => {
            return Err(problem(
                &at(element),
                StructureProblem::ResourceInTrustPolicy { element },
            ))
        }
        (DocumentKind::Trust, None) => {}
        (_, None) => return Err(problem(pointer, StructureProblem::MissingResource)),
        (_, Some((element, value))) => {
            strings(&at(element), element, value)?;
        }
    }

    if let Some(condition) = statement.get("Condition") {
        check_condition(&at("Condition"), condition)?;
    }
    Ok(())
}

/// The one of two mutually exclusive elements that the statement has.
fn pick_one<'a>(
    pointer: &str,
    statement: &'a Map<String, Value>,
    first: &'static str,
    second: &'static str,
    both: StructureProblem,
) -> Result<Option<(&'static str, &'a Value)>, Problem> {
    match (statement.get(first), statement.get(second)) {
        (Some(_), Some(_)) => Err(problem(&pointer_push(pointer, second), both)),
        (Some(value), None) => Ok(Some((first, value))),
        (None, Some(value)) => Ok(Some((second, value))),
        (None, None) => Ok(None),
    }
}

/// The strings of a string-or-array-of-strings element, with their pointers.
fn strings<'a>(
    pointer: &str,
    element: &'static str,
    value: &'a Value,
) -> Result<Vec<(String, &'a str)>, Problem> {
    let not_strings = |pointer: &str| problem(pointer, StructureProblem::NotStrings { element });
    match value {
        Value::String(s) => Ok(vec![(pointer.to_owned(), s.as_str())]),
        Value::Array(items) if items.is_empty() => {
            Err(problem(pointer, StructureProblem::EmptyList { element }))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let pointer = format!("{pointer}/{i}");
                match item.as_str() {
                    Some(s) => Ok((pointer, s)),
                    None => Err(not_strings(&pointer)),
                }
            })
            .collect(),
        _ => Err(not_strings(pointer)),
    }
}

/// `*`, or `service:Action` with a `[a-z0-9-]+` service prefix (letter case
/// is ignored, as IAM does) and an `[A-Za-z0-9*?]+` action.
fn is_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

fn check_principal(pointer: &str, element: &'static str, value: &Value) -> Result<(), Problem> {
    match value {
        Value::String(s) if s == "*" => Ok(()),
        Value::Object(types) if !types.is_empty() => {
            for (principal_type, principals) in types {
                let pointer = pointer_push(pointer, principal_type);
                if !PRINCIPAL_TYPES.contains(&principal_type.as_str()) {
                    return Err(problem(
                        &pointer,
                        StructureProblem::UnknownPrincipalType {
                            principal_type: principal_type.clone(),
                        },
                    ));
                }
                strings(&pointer, element, principals)?;
            }
            Ok(())
        }
        _ => Err(problem(pointer, StructureProblem::BadPrincipal { element })),
    }
}

fn check_condition(pointer: &str, condition: &Value) -> Result<(), Problem> {
    let Value::Object(operators) = condition else {
        return Err(problem(pointer, StructureProblem::ConditionNotObject));
    };
    for (operator, keys) in operators {
        let pointer = pointer_push(pointer, operator);
        let Value::Object(keys) = keys else {
            return Err(problem(
                &pointer,
                StructureProblem::ConditionOperatorNotObject {
                    operator: operator.clone(),
                },
            ));
        };
        for (key, value) in keys {
            let scalar = |v: &Value| v.is_string() || v.is_number() || v.is_boolean();
            let ok = match value {
                Value::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if !ok {
                return Err(problem(
                    &pointer_push(&pointer, key),
                    StructureProblem::BadConditionValue { key: key.clone() },
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Normalisation for `same_as`

/// The document with every difference that does not change its meaning
/// smoothed out, and keys sorted.
fn normalised(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(statement) = value.get_mut("Statement") {
        if statement.is_object() {
            *statement = Value::Array(vec![statement.take()]);
        }
        if let Some(statements) = statement.as_array_mut() {
            for statement in statements.iter_mut().filter_map(Value::as_object_mut) {
                normalise_statement(statement);
            }
        }
    }
    sorted_keys(&value)
}

fn normalise_statement(statement: &mut Map<String, Value>) {
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(value) = statement.get_mut(key) {
            as_set(value);
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(Value::Object(types)) = statement.get_mut(key) {
            for (principal_type, principals) in types.iter_mut() {
                if principal_type == "AWS" {
                    unroot_accounts(principals);
                }
                as_set(principals);
            }
        }
    }
    if let Some(Value::Object(operators)) = statement.get_mut("Condition") {
        for keys in operators.values_mut().filter_map(Value::as_object_mut) {
            keys.values_mut().for_each(as_set);
        }
    }
}

/// Turns a scalar into a one-element array and sorts and dedups an array.
fn as_set(value: &mut Value) {
    match value {
        Value::Array(items) => {
            items.sort_by_cached_key(Value::to_string);
            items.dedup();
        }
        Value::Object(_) | Value::Null => {}
        scalar => *scalar = Value::Array(vec![scalar.take()]),
    }
}

/// IAM stores an account ID principal as `arn:PARTITION:iam::ACCOUNT:root`;
/// map that form back to the bare account ID.
fn unroot_accounts(principals: &mut Value) {
    let unroot = |v: &mut Value| {
        if let Some(account) = v.as_str().and_then(root_account) {
            *v = Value::String(account);
        }
    };
    match principals {
        Value::Array(items) => items.iter_mut().for_each(unroot),
        other => unroot(other),
    }
}

fn root_account(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let account = rest.strip_prefix("iam::")?.strip_suffix(":root")?;
    crate::names::is_account_id(account).then(|| account.to_owned())
}

fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
