//! Tests for policy document parsing, validation, sizing and comparison.

use super::*;
use miette::Diagnostic;
use proptest::prelude::*;
use serde_json::json;

const MARK: char = '«';

/// Removes the `«` marker from `text`, returning the text and the 1-based
/// line and column where the marker was.
fn marked(text: &str) -> (String, (usize, usize)) {
    let offset = text.find(MARK).expect("text has a marker");
    let clean = text.replacen(MARK, "", 1);
    (clean, line_col(text, offset))
}

fn parse(text: &str, kind: DocumentKind) -> Result<PolicyDocument, DocumentError> {
    PolicyDocument::parse("policy.json", text, kind)
}

/// The text under the error's label.
fn labelled(err: &DocumentError, text: &str) -> String {
    let label = err
        .labels()
        .and_then(|mut labels| labels.next())
        .expect("error has a label");
    text[label.offset()..label.offset() + label.len()].to_owned()
}

/// Parses a marked document that must fail with a structure error at the
/// marker, returning the problem and the pointer.
#[track_caller]
fn structure_error_at(text: &str, kind: DocumentKind) -> (StructureProblem, String) {
    let (clean, expected) = marked(text);
    match parse(&clean, kind) {
        Err(err @ DocumentError::Structure { .. }) => {
            assert_eq!(err.line_col(), Some(expected), "{err}\n{clean}");
            let DocumentError::Structure {
                problem, pointer, ..
            } = err
            else {
                unreachable!()
            };
            (problem, pointer)
        }
        other => panic!("expected a structure error, got {other:?}\n{clean}"),
    }
}

fn valid(text: &str, kind: DocumentKind) -> PolicyDocument {
    parse(text, kind).unwrap_or_else(|err| panic!("{err}\n{text}"))
}

const MANAGED: &str = r#"{
  "Version": "2012-10-17",
  "Id": "example",
  "Statement": [
    {
      "Sid": "ReadBuckets",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:List*"],
      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "true"}, "NumericLessThan": {"s3:max-keys": [10, "20"]}}
    },
    {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "*"}
  ]
}"#;

const TRUST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "210987654321"], "Service": "ec2.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]},
    {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}},
    {"Effect": "Deny", "NotPrincipal": {"Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "abc"}, "Action": "sts:*"}
  ]
}"#;

// --- kinds -----------------------------------------------------------------

#[test]
fn kinds() {
    let kinds = [
        (DocumentKind::Managed, 6144, "managed policy"),
        (DocumentKind::UserInline, 2048, "user inline policy"),
        (DocumentKind::RoleInline, 10240, "role inline policy"),
        (DocumentKind::GroupInline, 5120, "group inline policy"),
        (DocumentKind::Trust, 2048, "trust policy"),
    ];
    for (kind, max, name) in kinds {
        assert_eq!(kind.max_chars(), max);
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
    }
}

// --- valid documents -------------------------------------------------------

#[test]
fn parses_valid_documents() {
    for kind in [
        DocumentKind::Managed,
        DocumentKind::UserInline,
        DocumentKind::RoleInline,
        DocumentKind::GroupInline,
    ] {
        valid(MANAGED, kind);
    }
    valid(TRUST, DocumentKind::Trust);
    valid(
        r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
        DocumentKind::Managed,
    );
    valid(
        r#"{"Version": "2008-10-17", "Statement": []}"#,
        DocumentKind::Managed,
    );
}

#[test]
fn keeps_key_order_and_prints_both_forms() {
    let doc = valid(MANAGED, DocumentKind::Managed);
    let compact = doc.to_compact();
    assert!(compact.starts_with(r#"{"Version":"2012-10-17","Id":"example","Statement":[{"Sid":"ReadBuckets","Effect":"Allow","#));
    assert_eq!(
        compact,
        serde_json::to_string(&doc.value).expect("serialisable")
    );
    assert_eq!(doc.to_string(), compact);
    let pretty = doc.to_pretty();
    assert!(pretty.contains("\n  \"Version\": \"2012-10-17\",\n"));
    assert_eq!(valid(&pretty, DocumentKind::Managed), doc);
    assert_eq!(valid(&compact, DocumentKind::Managed), doc);
}

#[test]
fn accepts_a_byte_order_mark() {
    let text = format!("\u{feff}{MANAGED}");
    assert_eq!(
        valid(&text, DocumentKind::Managed),
        valid(MANAGED, DocumentKind::Managed)
    );
}

#[test]
fn actions() {
    for action in [
        "*",
        "s3:*",
        "s3:GetObject",
        "ec2:Describe*",
        "iam:Get?ser",
        "execute-api:Invoke",
        "S3:GetObject",
        "a4b:*",
    ] {
        assert!(is_action(action), "{action}");
    }
    for action in [
        "",
        "s3",
        "s3:",
        ":GetObject",
        "s3:Get-Object",
        "s_3:GetObject",
        "s3:Get Object",
        "s3:Get:Object",
        "**",
        "s3 :GetObject",
    ] {
        assert!(!is_action(action), "{action}");
    }
}

// --- syntax errors ---------------------------------------------------------

#[test]
fn syntax_error_in_a_multi_line_document() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\" \"Action\": \"*\"}]\n}";
    let err = parse(text, DocumentKind::Managed).unwrap_err();
    assert!(matches!(err, DocumentError::Syntax { .. }));
    assert_eq!(err.line_col(), Some((3, 36)));
    assert_eq!(err.to_string(), "`policy.json`:3:36: expected `,` or `}`");
    assert_eq!(labelled(&err, text), "\"");
    assert_eq!(
        err.code().map(|c| c.to_string()).as_deref(),
        Some("iamctl::policy_syntax")
    );
    assert!(err.help().is_some());
    let source = err.source_code().expect("source attached");
    let contents = source.read_span(&(0..1).into(), 0, 0).expect("readable");
    assert_eq!(contents.name(), Some("policy.json"));
}

#[test]
fn syntax_error_messages_and_positions() {
    for (text, line_col, message) in [
        ("", (1, 1), "EOF while parsing a value"),
        ("   ", (1, 1), "EOF while parsing a value"),
        ("{\n  \"a\": [1,\n\n", (2, 11), "EOF while parsing a value"),
        ("{}\n\nx", (3, 1), "trailing characters"),
        ("{\"a\": tru}", (1, 10), "expected ident"),
        ("{'a': 1}", (1, 2), "key must be a string"),
        ("{\"a\": \"\\q\"}", (1, 9), "invalid escape"),
        ("{\"a\":\n  [1,]}", (2, 6), "trailing comma"),
    ] {
        let err = parse(text, DocumentKind::Managed).unwrap_err();
        let DocumentError::Syntax {
            message: got,
            line,
            column,
            ..
        } = &err
        else {
            panic!("{text:?}: {err:?}");
        };
        assert_eq!((*line, *column), line_col, "{text:?}");
        assert_eq!(got, message, "{text:?}");
    }
}

#[test]
fn syntax_error_columns_count_characters() {
    // serde_json counts bytes; we report characters, as editors do.
    let text = "{\"Id\": \"ééé\" x}";
    let err = parse(text, DocumentKind::Managed).unwrap_err();
    assert_eq!(err.line_col(), Some((1, 14)));
    assert_eq!(labelled(&err, text), "x");
}

// --- structure errors ------------------------------------------------------

use StructureProblem as P;

#[test]
fn root_must_be_an_object() {
    let (problem, pointer) = structure_error_at("«[1, 2]", DocumentKind::Managed);
    assert_eq!(problem, P::RootNotObject);
    assert_eq!(pointer, "");
    let (problem, _) = structure_error_at("  «\"text\"", DocumentKind::Managed);
    assert_eq!(problem, P::RootNotObject);
}

#[test]
fn top_level_elements() {
    let (problem, pointer) = structure_error_at(
        "{\n  \"Version\": \"2012-10-17\",\n  «\"Statment\": []\n}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::UnknownTopLevelKey {
            key: "Statment".into()
        }
    );
    assert_eq!(pointer, "/Statment");

    let (problem, pointer) =
        structure_error_at("«{\"Version\": \"2012-10-17\"}", DocumentKind::Managed);
    assert_eq!(problem, P::MissingStatement);
    assert_eq!(pointer, "");

    let (problem, pointer) = structure_error_at(
        "{\"Version\": «\"2012-10-18\", \"Statement\": []}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::BadVersion {
            found: "2012-10-18".into()
        }
    );
    assert_eq!(pointer, "/Version");
    let (problem, _) = structure_error_at(
        "{\"Version\": «2012, \"Statement\": []}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::BadVersion {
            found: "2012".into()
        }
    );

    let (problem, pointer) =
        structure_error_at("{\"Id\": «[1], \"Statement\": []}", DocumentKind::Managed);
    assert_eq!(problem, P::IdNotString);
    assert_eq!(pointer, "/Id");
}

#[test]
fn statement_shape() {
    let (problem, pointer) = structure_error_at("{\"Statement\": «\"all\"}", DocumentKind::Managed);
    assert_eq!(problem, P::StatementNotObjectOrArray);
    assert_eq!(pointer, "/Statement");

    let (problem, pointer) = structure_error_at(
        "{\"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"},\n  «[]\n]}",
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::StatementNotObject);
    assert_eq!(pointer, "/Statement/1");

    let (problem, pointer) = structure_error_at(
        "{\"Statement\": [{\"Effect\": \"Allow\", «\"Actions\": \"*\", \"Resource\": \"*\"}]}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::UnknownStatementKey {
            key: "Actions".into()
        }
    );
    assert_eq!(pointer, "/Statement/0/Actions");
}

#[test]
fn sids() {
    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Sid": «7, "Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::SidNotString);
    assert_eq!(pointer, "/Statement/0/Sid");

    let (problem, _) = structure_error_at(
        r#"{"Statement": [{"Sid": «"read-all", "Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::SidNotAlphanumeric {
            sid: "read-all".into()
        }
    );

    let text = r#"{"Statement": [
        {"Sid": "One", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": «"One", "Effect": "Deny", "Action": "*", "Resource": "*"}
    ]}"#;
    let (problem, pointer) = structure_error_at(text, DocumentKind::Managed);
    assert_eq!(problem, P::DuplicateSid { sid: "One".into() });
    assert_eq!(pointer, "/Statement/3/Sid");
}

#[test]
fn effects() {
    let (problem, pointer) = structure_error_at(
        "{\"Statement\": [\n  «{\"Action\": \"*\", \"Resource\": \"*\"}\n]}",
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::MissingEffect);
    assert_eq!(pointer, "/Statement/0");

    let (problem, pointer) = structure_error_at(
        "{\"Statement\": {\"Effect\": «\"allow\", \"Action\": \"*\", \"Resource\": \"*\"}}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::BadEffect {
            found: "allow".into()
        }
    );
    assert_eq!(pointer, "/Statement/Effect");
}

#[test]
fn action_elements() {
    let (problem, _) = structure_error_at(
        r#"{"Statement": [«{"Effect": "Allow", "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::MissingAction);

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", «"NotAction": "iam:*", "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::ActionAndNotAction);
    assert_eq!(pointer, "/Statement/0/NotAction");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": «5, "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::NotStrings { element: "Action" });
    assert_eq!(pointer, "/Statement/0/Action");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "NotAction": ["s3:GetObject", «null], "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::NotStrings {
            element: "NotAction"
        }
    );
    assert_eq!(pointer, "/Statement/0/NotAction/1");

    let (problem, _) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": «[], "Resource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::EmptyList { element: "Action" });

    let (problem, pointer) = structure_error_at(
        "{\"Statement\": [{\"Effect\": \"Allow\",\n \"Action\": [\n  \"s3:GetObject\",\n  «\"s3:Put Object\"\n ], \"Resource\": \"*\"}]}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::BadAction {
            action: "s3:Put Object".into()
        }
    );
    assert_eq!(pointer, "/Statement/0/Action/1");
}

#[test]
fn resource_elements() {
    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [«{"Effect": "Allow", "Action": "*"}]}"#,
        DocumentKind::UserInline,
    );
    assert_eq!(problem, P::MissingResource);
    assert_eq!(pointer, "/Statement/0");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", «"NotResource": "*"}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::ResourceAndNotResource);
    assert_eq!(pointer, "/Statement/0/NotResource");

    let (problem, _) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": «{"arn": "x"}}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::NotStrings {
            element: "Resource"
        }
    );

    let (problem, _) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": «[]}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::EmptyList {
            element: "NotResource"
        }
    );
}

#[test]
fn principals_in_identity_policies() {
    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", «"Principal": "*", "Action": "*", "Resource": "*"}]}"#,
        DocumentKind::RoleInline,
    );
    assert_eq!(
        problem,
        P::PrincipalInIdentityPolicy {
            element: "Principal"
        }
    );
    assert_eq!(pointer, "/Statement/0/Principal");
    assert_eq!(
        problem.to_string(),
        "identity-based policies cannot name a `Principal`"
    );
    let (problem, _) = structure_error_at(
        r#"{"Statement": [{"Effect": "Deny", «"NotPrincipal": {"AWS": "123456789012"}, "Action": "*", "Resource": "*"}]}"#,
        DocumentKind::GroupInline,
    );
    assert_eq!(
        problem,
        P::PrincipalInIdentityPolicy {
            element: "NotPrincipal"
        }
    );
}

#[test]
fn trust_policy_rules() {
    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [«{"Effect": "Allow", "Action": "sts:AssumeRole"}]}"#,
        DocumentKind::Trust,
    );
    assert_eq!(problem, P::MissingPrincipal);
    assert_eq!(pointer, "/Statement/0");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", «"NotPrincipal": "*", "Action": "sts:AssumeRole"}]}"#,
        DocumentKind::Trust,
    );
    assert_eq!(problem, P::PrincipalAndNotPrincipal);
    assert_eq!(pointer, "/Statement/0/NotPrincipal");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", «"Resource": "*"}]}"#,
        DocumentKind::Trust,
    );
    assert_eq!(
        problem,
        P::ResourceInTrustPolicy {
            element: "Resource"
        }
    );
    assert_eq!(pointer, "/Statement/0/Resource");

    for principal in [r#""root""#, "{}", "[\"*\"]", "42"] {
        let text = format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Principal": «{principal}, "Action": "sts:AssumeRole"}}]}}"#
        );
        let (problem, pointer) = structure_error_at(&text, DocumentKind::Trust);
        assert_eq!(
            problem,
            P::BadPrincipal {
                element: "Principal"
            },
            "{principal}"
        );
        assert_eq!(pointer, "/Statement/0/Principal");
    }

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*", «"User": "bob"}, "Action": "sts:AssumeRole"}]}"#,
        DocumentKind::Trust,
    );
    assert_eq!(
        problem,
        P::UnknownPrincipalType {
            principal_type: "User".into()
        }
    );
    assert_eq!(pointer, "/Statement/0/Principal/User");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["123456789012", «123456789012]}, "Action": "sts:AssumeRole"}]}"#,
        DocumentKind::Trust,
    );
    assert_eq!(
        problem,
        P::NotStrings {
            element: "Principal"
        }
    );
    assert_eq!(pointer, "/Statement/0/Principal/AWS/1");

    let (problem, _) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": «[]}, "Action": "sts:AssumeRole"}]}"#,
        DocumentKind::Trust,
    );
    assert_eq!(
        problem,
        P::EmptyList {
            element: "Principal"
        }
    );
}

#[test]
fn conditions() {
    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": «["Bool"]}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(problem, P::ConditionNotObject);
    assert_eq!(pointer, "/Statement/0/Condition");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": «"aws:SecureTransport"}}]}"#,
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::ConditionOperatorNotObject {
            operator: "Bool".into()
        }
    );
    assert_eq!(pointer, "/Statement/0/Condition/Bool");

    for value in ["null", "{\"a\": 1}", "[\"a\", null]", "[[\"a\"]]"] {
        let text = format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {{"StringEquals": {{"aws:username": «{value}}}}}}}]}}"#
        );
        let (problem, pointer) = structure_error_at(&text, DocumentKind::Managed);
        assert_eq!(
            problem,
            P::BadConditionValue {
                key: "aws:username".into()
            },
            "{value}"
        );
        assert_eq!(pointer, "/Statement/0/Condition/StringEquals/aws:username");
    }
}

#[test]
fn duplicate_keys() {
    let (problem, pointer) = structure_error_at(
        "{\"Statement\": [{\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\",\n  «\"Effect\": \"Allow\"}]}",
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::DuplicateKey {
            key: "Effect".into()
        }
    );
    assert_eq!(pointer, "/Statement/0/Effect");

    let (problem, pointer) = structure_error_at(
        r#"{"Statement": [], «"Statement": []}"#,
        DocumentKind::Managed,
    );
    assert_eq!(
        problem,
        P::DuplicateKey {
            key: "Statement".into()
        }
    );
    assert_eq!(pointer, "/Statement");
}

#[test]
fn locates_keys_written_with_escapes() {
    let text = r#"{"Statement": [{"Eff\u0065ct": «"Permit", "Action": "*", "Resource": "*"}]}"#;
    let (problem, pointer) = structure_error_at(text, DocumentKind::Managed);
    assert_eq!(
        problem,
        P::BadEffect {
            found: "Permit".into()
        }
    );
    assert_eq!(pointer, "/Statement/0/Effect");
}

#[test]
fn locates_keys_that_need_pointer_escapes() {
    let text = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"a/b~c": «{}}}}]}"#;
    let (problem, pointer) = structure_error_at(text, DocumentKind::Managed);
    assert!(matches!(problem, P::BadConditionValue { .. }));
    assert_eq!(pointer, "/Statement/0/Condition/StringEquals/a~1b~0c");
}

#[test]
fn structure_error_message_and_diagnostic() {
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Permit\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";
    let err = parse(text, DocumentKind::Managed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`policy.json`:5:17: `Effect` must be `Allow` or `Deny`, not `Permit` (at `/Statement/0/Effect`)"
    );
    assert_eq!(err.line_col(), Some((5, 17)));
    assert_eq!(labelled(&err, text), "\"Permit\"");
    assert_eq!(
        err.code().map(|c| c.to_string()).as_deref(),
        Some("iamctl::invalid_policy")
    );
    assert!(err
        .help()
        .map(|h| h.to_string())
        .is_some_and(|h| h.contains("`\"Effect\": \"Allow\"`")));

    let mut rendered = String::new();
    miette::NarratableReportHandler::new()
        .render_report(&mut rendered, &err)
        .expect("renders");
    assert!(rendered.contains("policy.json"), "{rendered}");
    assert!(rendered.contains("this value"), "{rendered}");
}

#[test]
fn root_problems_say_so() {
    let err = parse("{}", DocumentKind::Managed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`policy.json`:1:1: policy has no `Statement` (at the document root)"
    );
    assert_eq!(labelled(&err, "{}"), "{");
}

#[test]
fn falls_back_to_the_start_when_the_position_is_unknown() {
    let p = Problem {
        pointer: "/Statement/0/Effect".into(),
        problem: P::MissingEffect,
    };
    let err = locate_problem("policy.json", "{\n}", None, p);
    assert_eq!(err.line_col(), Some((1, 1)));
    assert_eq!(
        err.to_string(),
        "`policy.json`:1:1: statement has no `Effect` (at `/Statement/0/Effect`)"
    );
}

#[test]
fn every_structure_problem_has_help() {
    let problems = [
        P::RootNotObject,
        P::DuplicateKey { key: "k".into() },
        P::UnknownTopLevelKey { key: "k".into() },
        P::BadVersion { found: "1".into() },
        P::IdNotString,
        P::MissingStatement,
        P::StatementNotObjectOrArray,
        P::StatementNotObject,
        P::UnknownStatementKey { key: "k".into() },
        P::SidNotString,
        P::SidNotAlphanumeric { sid: "-".into() },
        P::DuplicateSid { sid: "a".into() },
        P::MissingEffect,
        P::BadEffect { found: "x".into() },
        P::MissingAction,
        P::ActionAndNotAction,
        P::NotStrings { element: "Action" },
        P::EmptyList { element: "Action" },
        P::BadAction { action: "x".into() },
        P::MissingResource,
        P::ResourceAndNotResource,
        P::ResourceInTrustPolicy {
            element: "Resource",
        },
        P::MissingPrincipal,
        P::PrincipalAndNotPrincipal,
        P::PrincipalInIdentityPolicy {
            element: "Principal",
        },
        P::BadPrincipal {
            element: "Principal",
        },
        P::UnknownPrincipalType {
            principal_type: "x".into(),
        },
        P::ConditionNotObject,
        P::ConditionOperatorNotObject {
            operator: "x".into(),
        },
        P::BadConditionValue { key: "y".into() },
    ];
    for problem in problems {
        assert!(!problem.help().is_empty(), "{problem}");
        let message = problem.to_string();
        assert!(!message.starts_with(char::is_uppercase), "{message}");
    }
}

#[test]
fn errors_are_small_enough_to_return() {
    // Clippy's `result_large_err` fires at 128 bytes, also in callers.
    assert!(std::mem::size_of::<DocumentError>() < 128);
    assert!(std::mem::size_of::<crate::NameError>() < 128);
}

// --- size ------------------------------------------------------------------

/// A document whose size is exactly `size`, with plenty of whitespace.
fn document_of_size(size: usize) -> String {
    let base = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ""}]});
    let padding = size - base.to_string().len();
    let resource = "a".repeat(padding);
    format!(
        "{{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {{\n            \"Effect\": \"Allow\",\n            \"Action\": \"s3:GetObject\",\n            \"Resource\": \"{resource}\"\n        }}\n    ]\n}}\n"
    )
}

#[test]
fn size_limits_are_exact() {
    for kind in [
        DocumentKind::Managed,
        DocumentKind::UserInline,
        DocumentKind::RoleInline,
        DocumentKind::GroupInline,
    ] {
        let max = kind.max_chars();
        let fits = document_of_size(max);
        assert!(fits.len() > max, "whitespace is not counted");
        assert_eq!(valid(&fits, kind).size(), max);
        let err = parse(&document_of_size(max + 1), kind).unwrap_err();
        assert!(
            matches!(err, DocumentError::TooLarge { chars, max: m, kind: k, .. } if chars == max + 1 && m == max && k == kind)
        );
        assert_eq!(err.line_col(), None);
    }
}

#[test]
fn size_message() {
    let err = parse(&document_of_size(6200), DocumentKind::Managed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`policy.json`: policy is 6200 characters, above the 6144 that IAM allows for a managed policy"
    );
    assert_eq!(
        err.code().map(|c| c.to_string()).as_deref(),
        Some("iamctl::policy_too_large")
    );
    assert!(err.help().is_some());
}

#[test]
fn size_of_trust_policies() {
    let principals: Vec<String> = (0..60)
        .map(|i| format!("arn:aws:iam::{i:012}:root"))
        .collect();
    let doc = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]});
    let text = doc.to_string();
    assert!(text.len() > 2048);
    assert!(matches!(
        parse(&text, DocumentKind::Trust),
        Err(DocumentError::TooLarge {
            kind: DocumentKind::Trust,
            ..
        })
    ));
    assert!(
        parse(&text, DocumentKind::RoleInline).is_err(),
        "principal in identity policy"
    );
}

#[test]
fn whitespace_inside_strings_is_not_counted() {
    let doc = PolicyDocument::from_value(
        json!({"Statement": [{"Sid": "", "Effect": "Allow", "Action": "*", "Resource": "a b c"}]}),
    );
    assert_eq!(doc.size(), doc.to_compact().len() - 2);
}

// --- from_value and validate -----------------------------------------------

#[test]
fn from_value_skips_checks_and_validate_reports_them() {
    let value = json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]});
    let doc = PolicyDocument::from_value(value.clone());
    assert_eq!(doc.value, value);
    let err = doc.validate("<aws>", DocumentKind::Managed).unwrap_err();
    let pretty = doc.to_pretty();
    assert_eq!(labelled(&err, &pretty), "\"Maybe\"");
    assert!(err.to_string().starts_with("`<aws>`:4:"), "{err}");

    let big =
        PolicyDocument::from_value(serde_json::from_str(&document_of_size(7000)).expect("JSON"));
    assert_eq!(big.validate("<aws>", DocumentKind::Managed).ok(), Some(()));
}

// --- same_as ---------------------------------------------------------------

fn doc(value: Value) -> PolicyDocument {
    PolicyDocument::from_value(value)
}

#[test]
fn same_as_ignores_presentation() {
    let a = doc(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"],
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["b", "a"]}}
        }]
    }));
    let b = doc(json!({
        "Statement": {
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b", "a"]}},
            "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
            "Action": ["s3:GetObject"],
            "Effect": "Allow"
        },
        "Version": "2012-10-17"
    }));
    assert!(a.same_as(&b));
    assert!(b.same_as(&a));
    assert!(a.same_as(&a));
}

#[test]
fn same_as_normalises_principals() {
    let a = doc(
        json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": ["123456789012", "arn:aws:iam::210987654321:role/x"], "Service": "ec2.amazonaws.com"}}]}),
    );
    let b = doc(
        json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": ["ec2.amazonaws.com"], "AWS": ["arn:aws:iam::210987654321:role/x", "arn:aws:iam::123456789012:root"]}}]}),
    );
    assert!(a.same_as(&b));
    let one = doc(
        json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "123456789012"}}]}),
    );
    let rooted = doc(
        json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"}}]}),
    );
    assert!(one.same_as(&rooted));
    let other_account = doc(
        json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::123456789013:root"}}]}),
    );
    assert!(!one.same_as(&other_account));
}

#[test]
fn same_as_notices_real_changes() {
    let base = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
        {"Sid": "B", "Effect": "Deny", "NotAction": "iam:*", "NotResource": "*"}
    ]});
    let a = doc(base.clone());
    let mut changes = Vec::new();
    let mut v = base.clone();
    v["Statement"][0]["Effect"] = json!("Deny");
    changes.push(v);
    let mut v = base.clone();
    v["Statement"][0]["Action"] = json!("s3:GetObject");
    changes.push(v);
    let mut v = base.clone();
    v["Statement"][0]["Action"] = json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
    changes.push(v);
    let mut v = base.clone();
    v["Version"] = json!("2008-10-17");
    changes.push(v);
    let mut v = base.clone();
    v["Statement"][0]["Sid"] = json!("C");
    changes.push(v);
    let mut v = base.clone();
    v["Statement"][1]["Condition"] = json!({"Bool": {"aws:SecureTransport": "false"}});
    changes.push(v);
    let mut v = base.clone();
    if let Some(statements) = v["Statement"].as_array_mut() {
        statements.reverse();
    }
    changes.push(v);
    for change in changes {
        assert!(!a.same_as(&doc(change.clone())), "{change}");
    }
}

#[test]
fn same_as_after_a_round_trip_through_text() {
    let a = valid(MANAGED, DocumentKind::Managed);
    let b = valid(&a.to_compact(), DocumentKind::Managed);
    assert!(a.same_as(&b));
    let t = valid(TRUST, DocumentKind::Trust);
    assert!(!a.same_as(&t));
}

// --- properties ------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        prop::sample::select(vec![
            "Version",
            "2012-10-17",
            "Statement",
            "Effect",
            "Allow",
            "Deny",
            "Action",
            "s3:*",
            "Resource",
            "*",
            "Principal",
            "AWS",
            "Condition",
            "Sid",
            "x y",
            "é\"\\\n",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "Version",
                        "Id",
                        "Statement",
                        "Sid",
                        "Effect",
                        "Action",
                        "NotAction",
                        "Resource",
                        "NotResource",
                        "Principal",
                        "NotPrincipal",
                        "Condition",
                        "AWS",
                        "Service",
                        "Bool",
                        "a/b~c",
                    ]),
                    inner
                ),
                0..5
            )
            .prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

proptest! {
    #[test]
    fn parse_never_panics(text in any::<String>()) {
        for kind in [DocumentKind::Managed, DocumentKind::Trust] {
            if let Err(err) = parse(&text, kind) {
                let _ = err.to_string();
            }
        }
    }

    #[test]
    fn parse_never_panics_on_json_like_text(text in r#"[{}\[\]",: a-zA-Z0-9\\\n-]{0,80}"#) {
        let _ = parse(&text, DocumentKind::Managed);
    }

    #[test]
    fn every_structure_error_is_located(value in json_value()) {
        let doc = PolicyDocument::from_value(value);
        let text = doc.to_pretty();
        for kind in [DocumentKind::Managed, DocumentKind::Trust] {
            match parse(&text, kind) {
                Ok(parsed) => {
                    prop_assert!(parsed.same_as(&doc));
                    prop_assert!(doc.validate("policy.json", kind).is_ok());
                }
                Err(err @ DocumentError::Structure { .. }) => {
                    // Either the error is located at the offending element...
                    let label = err.labels().and_then(|mut l| l.next());
                    prop_assert!(label.is_some());
                    let offset = label.map_or(0, |l| l.offset());
                    prop_assert!(offset < text.len());
                    // ...and from_value + validate agrees with parse.
                    prop_assert_eq!(
                        doc.validate("policy.json", kind).map_err(|e| e.to_string()).err(),
                        Some(err.to_string())
                    );
                }
                Err(DocumentError::TooLarge { .. }) => {}
                Err(err) => prop_assert!(false, "unexpected {err}"),
            }
        }
    }

    #[test]
    fn same_as_ignores_key_order(value in json_value()) {
        let reversed = reverse_keys(&value);
        prop_assert!(PolicyDocument::from_value(value).same_as(&PolicyDocument::from_value(reversed)));
    }
}

fn reverse_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reverse_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reverse_keys).collect()),
        other => other.clone(),
    }
}
