use super::*;

/// `§` marks where the finding must point; it is removed before linting.
fn marked(snippet: &str) -> (String, usize, usize) {
    let at = snippet.find('§').expect("snippet has a § marker");
    let text = snippet.replacen('§', "", 1);
    let (line, column) = line_col(&text, at);
    (text, line, column)
}

fn codes(text: &str, policy_type: PolicyType) -> Vec<(Code, usize, usize)> {
    lint("test.json", text, policy_type)
        .findings
        .iter()
        .map(|f| (f.code, f.line, f.column))
        .collect()
}

#[track_caller]
fn expect(code: Code, policy_type: PolicyType, snippet: &str) {
    let (text, line, column) = marked(snippet);
    let report = lint("test.json", &text, policy_type);
    let found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.code, f.line, f.column, f.message.as_str()))
        .collect();
    assert!(
        found
            .iter()
            .any(|(c, l, col, _)| *c == code && *l == line && *col == column),
        "expected {code} at {line}:{column} in\n{text}\nfound {found:#?}"
    );
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == code)
        .expect("finding");
    assert_eq!(finding.severity, code.severity());
    assert!(
        finding
            .message
            .chars()
            .next()
            .is_some_and(|c| !c.is_uppercase()),
        "message starts lowercase: {}",
        finding.message
    );
}

/// A one-statement identity policy.
fn identity(statement: &str) -> String {
    format!("{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {statement}\n  ]\n}}\n")
}

const ID: PolicyType = PolicyType::Identity;

#[test]
fn clean_policies_have_no_findings() {
    let text = identity(
        r#"{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}"#,
    );
    assert_eq!(codes(&text, ID), vec![]);
    let text = identity(r#"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}"#);
    assert_eq!(codes(&text, ID), vec![]);
    let trust = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
      "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/repo:*"}
    }
  }]
}"#;
    assert_eq!(codes(trust, PolicyType::Trust), vec![]);
    let mfa_trust = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}}"#;
    assert_eq!(codes(mfa_trust, PolicyType::Trust), vec![]);
    let bucket = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Public read", "Effect": "Allow",
      "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
      "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a/*"]}}}]}"#;
    assert_eq!(codes(bucket, PolicyType::Resource), vec![]);
    let scp = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
      "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": ["eu-west-1"]}}}]}"#;
    assert_eq!(codes(scp, PolicyType::Scp), vec![]);
}

#[test]
fn example_policies_have_no_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut files = vec![];
    for dir in [dir.to_owned(), format!("{dir}/policies")] {
        for entry in std::fs::read_dir(dir).expect("examples") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let report = lint(&path.display().to_string(), &text, ID);
        assert!(
            !report.has_errors(),
            "{}: {:#?}",
            path.display(),
            report.findings
        );
    }
}

#[test]
fn syntax_and_document_shape() {
    expect(
        Code::JsonSyntax,
        ID,
        "{\n  \"Version\": \"2012-10-17\"\n  §\"Statement\": []\n}",
    );
    expect(
        Code::DuplicateKey,
        ID,
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", §"Effect": "Deny"}}"#,
    );
    expect(Code::PolicyNotObject, ID, "§[1, 2]");
    expect(
        Code::UnknownElement,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", §"Extra": 1}"#),
    );
    expect(
        Code::UnknownElement,
        ID,
        r#"{"Version": "2012-10-17", §"statement": [], "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#,
    );
    expect(
        Code::InvalidVersion,
        ID,
        r#"{"Version": §"2020-01-01", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#,
    );
    expect(
        Code::InvalidValueType,
        ID,
        r#"{"Version": "2012-10-17", "Id": §5, "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#,
    );
    expect(
        Code::InvalidValueType,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": ["s3:GetObject", §7], "Resource": "*"}"#),
    );
    expect(
        Code::EmptyArray,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": §[], "Resource": "*"}"#),
    );
    expect(Code::MissingStatement, ID, "§{\"Version\": \"2012-10-17\"}");
    expect(
        Code::InvalidStatement,
        ID,
        r#"{"Version": "2012-10-17", "Statement": §"x"}"#,
    );
    expect(
        Code::InvalidStatement,
        ID,
        r#"{"Version": "2012-10-17", "Statement": [§1]}"#,
    );
}

#[test]
fn statement_grammar() {
    expect(
        Code::InvalidSid,
        ID,
        &identity(
            r#"{"Sid": §"a b", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#,
        ),
    );
    expect(
        Code::DuplicateSid,
        ID,
        &identity(
            "{\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\n    {\"Sid\": §\"A\", \"Effect\": \"Allow\", \"Action\": \"s3:PutObject\", \"Resource\": \"arn:aws:s3:::b/*\"}",
        ),
    );
    expect(
        Code::MissingEffect,
        ID,
        &identity(r#"§{"Action": "s3:GetObject", "Resource": "*"}"#),
    );
    expect(
        Code::InvalidEffect,
        ID,
        &identity(r#"{"Effect": §"Permit", "Action": "s3:GetObject", "Resource": "*"}"#),
    );
    expect(
        Code::MissingAction,
        ID,
        &identity(r#"§{"Effect": "Allow", "Resource": "*"}"#),
    );
    expect(
        Code::ConflictingElements,
        ID,
        &identity(
            r#"{"Effect": "Deny", "Action": "s3:GetObject", §"NotAction": "s3:PutObject", "Resource": "*"}"#,
        ),
    );
    expect(
        Code::InvalidAction,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": §"s3", "Resource": "*"}"#),
    );
    expect(
        Code::MissingResource,
        ID,
        &identity(r#"§{"Effect": "Allow", "Action": "s3:GetObject"}"#),
    );
    expect(
        Code::MissingPrincipal,
        PolicyType::Resource,
        &identity(
            r#"§{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
        ),
    );
    expect(
        Code::MissingPrincipal,
        PolicyType::Trust,
        &identity(r#"§{"Effect": "Allow", "Action": "sts:AssumeRole"}"#),
    );
    expect(
        Code::UnsupportedElement,
        ID,
        &identity(
            r#"{"Effect": "Allow", §"Principal": "*", "Action": "s3:GetObject", "Resource": "*"}"#,
        ),
    );
    expect(
        Code::UnsupportedElement,
        PolicyType::Scp,
        &identity(
            r#"{"Effect": "Deny", §"NotPrincipal": {"AWS": "x"}, "Action": "s3:GetObject", "Resource": "*"}"#,
        ),
    );
    expect(
        Code::UnsupportedElement,
        PolicyType::Trust,
        &identity(
            r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", §"Resource": "*"}"#,
        ),
    );
    expect(
        Code::InvalidPrincipal,
        PolicyType::Resource,
        &identity(
            r#"{"Effect": "Allow", "Principal": §"alice", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
        ),
    );
    expect(
        Code::UnknownPrincipalType,
        PolicyType::Trust,
        &identity(
            r#"{"Effect": "Allow", "Principal": {§"User": "x"}, "Action": "sts:AssumeRole"}"#,
        ),
    );
    expect(
        Code::InvalidCondition,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": §"x"}"#,
        ),
    );
    expect(
        Code::InvalidCondition,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:username": §{"a": 1}}}}"#,
        ),
    );
}

#[test]
fn condition_operators() {
    let with = |operator: &str| {
        identity(&format!(
            r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {{§"{operator}": {{"aws:username": "a"}}}}}}"#
        ))
    };
    for bad in [
        "StringEqualz",
        "NullIfExists",
        "ForSomeValues:StringLike",
        "IfExists",
    ] {
        expect(Code::UnknownConditionOperator, ID, &with(bad));
    }
    for good in [
        "StringEquals",
        "StringLikeIfExists",
        "ForAllValues:StringLike",
        "ForAnyValue:StringEqualsIgnoreCaseIfExists",
        "Null",
        "ArnNotLikeIfExists",
        "NumericGreaterThanEquals",
        "DateLessThan",
        "BinaryEquals",
        "NotIpAddress",
        "stringequals",
    ] {
        let text = with(good).replace('§', "");
        assert!(
            !codes(&text, ID)
                .iter()
                .any(|(c, ..)| *c == Code::UnknownConditionOperator),
            "{good}"
        );
    }
}

#[test]
fn actions_against_the_catalog() {
    expect(
        Code::UnknownService,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": §"nosuchsvc:GetObject", "Resource": "*"}"#),
    );
    expect(
        Code::UnknownAction,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", §"s3:GetObjekt"], "Resource": "*"}"#,
        ),
    );
    expect(
        Code::UnknownAction,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": §"s3:Frob*", "Resource": "*"}"#),
    );
    expect(
        Code::RedundantAction,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": ["s3:Get*", §"s3:GetObject"], "Resource": "*"}"#,
        ),
    );
    // Case is ignored, as IAM does.
    let text = identity(
        r#"{"Effect": "Allow", "Action": "S3:getobject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    assert_eq!(codes(&text, ID), vec![]);
}

#[test]
fn condition_keys_against_the_catalog() {
    let with = |action: &str, key: &str| {
        identity(&format!(
            r#"{{"Effect": "Allow", "Action": "{action}", "Resource": "*", "Condition": {{"StringEquals": {{§"{key}": "x"}}}}}}"#
        ))
    };
    expect(
        Code::InvalidGlobalConditionKey,
        ID,
        &with("s3:ListAllMyBuckets", "aws:NoSuchKey"),
    );
    expect(
        Code::UnknownConditionKey,
        ID,
        &with("s3:ListAllMyBuckets", "s3:nosuchkey"),
    );
    expect(
        Code::UnsupportedConditionKey,
        ID,
        &with("s3:ListAllMyBuckets", "ec2:Region"),
    );
    for (action, key) in [
        ("s3:ListAllMyBuckets", "aws:PrincipalTag/team"),
        ("s3:ListAllMyBuckets", "AWS:SourceIp"),
        ("s3:ListBucket", "s3:prefix"),
        ("s3:*", "s3:ExistingObjectTag/env"),
        ("*", "ec2:Region"),
    ] {
        let text = with(action, key).replace('§', "");
        let found = codes(&text, ID);
        assert!(
            !found.iter().any(|(c, ..)| matches!(
                c,
                Code::InvalidGlobalConditionKey
                    | Code::UnknownConditionKey
                    | Code::UnsupportedConditionKey
            )),
            "{action} {key}: {found:?}"
        );
    }
}

#[test]
fn resources() {
    expect(
        Code::InvalidArn,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": §"bucket"}"#),
    );
    expect(
        Code::InvalidArn,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": §"arn:aws:iam::12345:user/a"}"#,
        ),
    );
    expect(
        Code::UnsupportedResource,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": §"arn:aws:s3:::b/*"}"#,
        ),
    );
    expect(
        Code::UnsupportedResource,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": §"arn:aws:s3:::b"}"#,
        ),
    );
    expect(
        Code::UnsupportedResource,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/*", §"arn:aws:ec2:*:*:instance/*"]}"#,
        ),
    );
    for resource in [
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::*",
        "arn:aws:s3:::b/home/${aws:username}/*",
        "arn:aws:s3:*",
        "*",
    ] {
        let text = identity(&format!(
            r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{resource}"}}"#
        ));
        assert!(
            !codes(&text, ID)
                .iter()
                .any(|(c, ..)| matches!(c, Code::InvalidArn | Code::UnsupportedResource)),
            "{resource}"
        );
    }
}

#[test]
fn broad_grants() {
    expect(
        Code::AllowWithNotAction,
        ID,
        &identity(r#"{"Effect": "Allow", §"NotAction": "iam:*", "Resource": "*"}"#),
    );
    expect(
        Code::AllowWithNotResource,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", §"NotResource": "arn:aws:s3:::b/*"}"#,
        ),
    );
    expect(
        Code::WriteOnAllResources,
        ID,
        &identity(r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": §"*"}"#),
    );
    expect(
        Code::PermissionsManagementOnAllResources,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": ["arn:aws:s3:::b", §"*"]}"#,
        ),
    );
    // Deny statements and NotAction/NotResource in a Deny are fine.
    let text =
        identity(r#"{"Effect": "Deny", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::b/*"}"#);
    assert_eq!(codes(&text, ID), vec![]);
    // Read on `*` is not flagged.
    let text = identity(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#);
    assert_eq!(codes(&text, ID), vec![]);
    // Resource-based policies are not identity policies: no star warnings.
    let text = identity(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}"#,
    );
    assert_eq!(codes(&text, PolicyType::Resource), vec![]);
}

#[test]
fn privilege_escalation() {
    expect(
        Code::PrivilegeEscalation,
        ID,
        &identity(r#"{"Effect": "Allow", §"Action": "iam:AttachUserPolicy", "Resource": "*"}"#),
    );
    expect(
        Code::PrivilegeEscalation,
        ID,
        &identity(r#"{"Effect": "Allow", §"Action": "iam:*", "Resource": "*"}"#),
    );
    expect(
        Code::PrivilegeEscalation,
        ID,
        &identity(r#"{"Effect": "Allow", §"Action": "*", "Resource": "*"}"#),
    );
    expect(
        Code::PrivilegeEscalation,
        ID,
        &identity(r#"{"Effect": "Allow", §"Action": "sts:AssumeRole", "Resource": "*"}"#),
    );
    expect(
        Code::PrivilegeEscalation,
        ID,
        &identity(
            r#"{"Effect": "Allow", §"Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::123456789012:user/*"}"#,
        ),
    );
    // Own access keys only: fine.
    let text = identity(
        r#"{"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:UpdateLoginProfile"], "Resource": "arn:aws:iam::123456789012:user/${aws:username}"}"#,
    );
    assert!(!codes(&text, ID)
        .iter()
        .any(|(c, ..)| *c == Code::PrivilegeEscalation));
    expect(
        Code::PassRoleEscalation,
        ID,
        &identity(
            r#"{"Effect": "Allow", §"Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}"#,
        ),
    );
    // PassRole and the launch action in different statements.
    expect(
        Code::PassRoleEscalation,
        ID,
        &identity(
            "{\"Effect\": \"Allow\", \"Action\": \"lambda:CreateFunction\", \"Resource\": \"*\"},\n    {\"Effect\": \"Allow\", §\"Action\": \"iam:PassRole\", \"Resource\": \"arn:aws:iam::123456789012:role/*\"}",
        ),
    );
    // PassRole of one named role: fine.
    let text = identity(
        r#"{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": ["arn:aws:iam::123456789012:role/app", "arn:aws:ec2:*:*:instance/*"]}"#,
    );
    assert!(!codes(&text, ID)
        .iter()
        .any(|(c, ..)| *c == Code::PassRoleEscalation));
}

#[test]
fn mfa_conditions() {
    let with = |effect: &str, operator: &str, value: &str| {
        identity(&format!(
            r#"{{"Effect": "{effect}", "Action": "s3:GetObject", "Resource": "*", "Condition": {{"{operator}": {{§"aws:MultiFactorAuthPresent": {value}}}}}}}"#
        ))
    };
    expect(
        Code::MfaDenyBoolFalse,
        ID,
        &with("Deny", "Bool", r#""false""#),
    );
    expect(Code::MfaAllowBoolFalse, ID, &with("Allow", "Bool", "false"));
    expect(
        Code::MfaAllowIfExistsTrue,
        ID,
        &with("Allow", "BoolIfExists", r#"["true"]"#),
    );
    for (effect, operator, value) in [
        ("Deny", "BoolIfExists", r#""false""#),
        ("Allow", "Bool", r#""true""#),
        ("Deny", "Null", r#""true""#),
    ] {
        let text = with(effect, operator, value).replace('§', "");
        assert_eq!(codes(&text, ID), vec![], "{effect} {operator} {value}");
    }
}

#[test]
fn version_and_variables() {
    expect(
        Code::PolicyVariablesNeedVersion,
        ID,
        r#"§{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}"#,
    );
    expect(
        Code::PolicyVariablesNeedVersion,
        ID,
        r#"{"Version": §"2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}}]}"#,
    );
    expect(
        Code::MissingVersion,
        ID,
        r#"§{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
    expect(
        Code::OutdatedVersion,
        ID,
        r#"{"Version": §"2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
}

#[test]
fn size_limits() {
    let resources: Vec<String> = (0..200)
        .map(|i| format!("\"arn:aws:s3:::bucket-with-a-long-name-{i:04}/*\""))
        .collect();
    let text = format!(
        "§{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": [{}]}}]}}",
        resources.join(", ")
    );
    expect(Code::PolicyTooLarge, ID, &text);
    // Resource-based policies have no limit here.
    let (plain, ..) = marked(&text);
    let plain = plain.replace(
        "\"Effect\": \"Allow\",",
        "\"Effect\": \"Allow\", \"Principal\": \"*\",",
    );
    assert_eq!(codes(&plain, PolicyType::Resource), vec![]);
    // A trust policy's limit is 2048.
    let principals: Vec<String> = (0..60)
        .map(|i| format!("\"arn:aws:iam::1234567890{i:02}:root\""))
        .collect();
    let trust = format!(
        "§{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Principal\": {{\"AWS\": [{}]}}, \"Action\": \"sts:AssumeRole\"}}]}}",
        principals.join(",")
    );
    expect(Code::PolicyTooLarge, PolicyType::Trust, &trust);
}

#[test]
fn findings_are_sorted_and_located() {
    let text = "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:Nope\", \"Resource\": \"x\"},\n    {\"Effect\": \"Maybe\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}\n  ]\n}\n";
    let report = lint("p.json", text, ID);
    let positions: Vec<(usize, usize)> =
        report.findings.iter().map(|f| (f.line, f.column)).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted);
    let found: Vec<(&str, usize, usize)> = report
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.line, f.column))
        .collect();
    assert_eq!(
        found,
        vec![
            ("MISSING_VERSION", 1, 1),
            ("UNKNOWN_ACTION", 3, 35),
            ("INVALID_ARN", 3, 58),
            ("INVALID_EFFECT", 4, 16),
        ]
    );
    assert!(report.has_errors());
    assert_eq!(report.count(Severity::Error), 3);
    // Spans cover the offending value, for miette.
    let arn = &report.findings[2];
    assert_eq!(arn.span.offset(), text.find("\"x\"").unwrap());
    assert_eq!(arn.span.len(), 3);
    let diagnostic = report.diagnostics().nth(2).expect("diagnostic");
    assert_eq!(
        diagnostic.to_string(),
        "`p.json`:3:58: `x` is not an ARN; a resource is `*` or `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`"
    );
}

#[test]
fn never_panics_on_broken_text() {
    let text = identity(
        r#"{"Sid": "A", "Effect": "Allow", "Action": ["s3:Get*", "iam:PassRole"], "Resource": "arn:aws:s3:::b/${aws:username}/*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}"#,
    );
    for end in 0..=text.len() {
        let report = lint("cut.json", &text[..end], ID);
        if end < text.trim_end().len() {
            assert!(report.has_errors(), "{end}");
        }
    }
    for text in ["", "null", "\u{feff}{}", "{\"Statement\": [[]]}", "\"é\""] {
        let report = lint("odd.json", text, ID);
        assert!(report.has_errors(), "{text:?}");
    }
}

#[test]
fn every_code_is_documented_once() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        assert!(seen.insert(code.as_str()), "{code} twice");
        assert!(code
            .as_str()
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_'));
        assert!(!code.meaning().is_empty());
    }
}

#[test]
fn docs_list_every_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/lint.md"))
            .expect("docs/lint.md");
    for code in Code::ALL {
        let row = format!(
            "| `{}` | {} | {} |",
            code.as_str(),
            code.severity(),
            code.meaning()
        );
        assert!(readme.contains(&row), "docs/lint.md lacks the row\n{row}");
    }
}

/// Issue 9: what AWS's own managed policies write is no `ERROR`.
#[test]
fn aws_managed_policy_shapes_are_not_errors() {
    // `arn:aws:organizations::*:` (AmazonDevOpsGuruOrganizationsAccess): an
    // empty resource part is still an ARN.
    let text = identity(
        r#"{"Effect": "Allow", "Action": "organizations:DescribeAccount", "Resource": "arn:aws:organizations::*:"}"#,
    );
    assert!(
        !codes(&text, ID)
            .iter()
            .any(|(c, ..)| *c == Code::InvalidArn),
        "{:?}",
        codes(&text, ID)
    );
    // The legacy global key (AWSSSOServiceRolePolicy).
    let text = identity(
        r#"{"Effect": "Allow", "Action": "organizations:DescribeOrganization", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgMasterAccountId": "111122223333"}}}"#,
    );
    assert!(
        !codes(&text, ID)
            .iter()
            .any(|(c, ..)| *c == Code::InvalidGlobalConditionKey),
        "{:?}",
        codes(&text, ID)
    );
    // qapps actions of the supplement (AWSIAMIdentityCenterAllowListForIdentityContext).
    let text = identity(
        r#"{"Effect": "Allow", "Action": ["qapps:ImportDocumentToQApp", "qapps:ImportDocumentToQAppSession", "qapps:ListQApps"], "Resource": "*"}"#,
    );
    assert!(
        !codes(&text, ID)
            .iter()
            .any(|(c, ..)| *c == Code::UnknownAction),
        "{:?}",
        codes(&text, ID)
    );
    // Still an error: a misspelt action.
    expect(
        Code::UnknownAction,
        ID,
        &identity(
            r#"{"Effect": "Allow", "Action": §"qapps:ImportDocumentToQApps", "Resource": "*"}"#,
        ),
    );
}

/// "The condition operator that you can use in a policy depends on the
/// condition key you choose" (reference_policies_elements_condition_operators).
#[test]
fn condition_operator_of_the_wrong_type_for_its_key() {
    let with = |op: &str, key: &str, value: &str| {
        identity(&format!(
            r#"{{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {{"{op}": {{§"{key}": "{value}"}}}}}}"#
        ))
    };
    expect(
        Code::ConditionTypeMismatch,
        ID,
        &with("NumericEquals", "s3:prefix", "1"),
    );
    expect(
        Code::ConditionTypeMismatch,
        ID,
        &with("DateGreaterThan", "s3:prefix", "2020-01-01"),
    );
    expect(
        Code::ConditionTypeMismatch,
        ID,
        &with("IpAddress", "s3:prefix", "10.0.0.0/8"),
    );
    expect(
        Code::ConditionTypeMismatch,
        ID,
        &with("ForAnyValue:NumericLessThan", "aws:SourceIp", "3"),
    );
    expect(
        Code::ConditionTypeMismatch,
        ID,
        &with("BoolIfExists", "aws:CurrentTime", "true"),
    );
    expect(
        Code::ConditionTypeMismatch,
        ID,
        &with("ArnLike", "s3:max-keys", "arn:*"),
    );
    for (op, key, value) in [
        ("NumericLessThanEquals", "s3:max-keys", "10"),
        ("StringLike", "s3:prefix", "home/*"),
        ("StringEquals", "aws:SecureTransport", "true"),
        ("Bool", "aws:SecureTransport", "true"),
        ("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
        ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
        ("NumericLessThan", "aws:EpochTime", "1900000000"),
        ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/x"),
        ("Null", "s3:prefix", "true"),
    ] {
        let text = with(op, key, value).replace('§', "");
        assert!(
            !codes(&text, ID)
                .iter()
                .any(|(c, ..)| *c == Code::ConditionTypeMismatch),
            "{op} {key}: {:?}",
            codes(&text, ID)
        );
    }
}

/// "NotPrincipal must be used with "Effect":"Deny". Using it with
/// "Effect":"Allow" is not supported." (reference_policies_elements_notprincipal)
#[test]
fn allow_with_not_principal() {
    let text = |effect: &str| {
        format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"{effect}\", §\"NotPrincipal\": {{\"AWS\": \"arn:aws:iam::111122223333:user/a\"}}, \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}]}}"
        )
    };
    expect(
        Code::AllowWithNotPrincipal,
        PolicyType::Resource,
        &text("Allow"),
    );
    let deny = text("Deny").replace('§', "");
    assert!(!codes(&deny, PolicyType::Resource)
        .iter()
        .any(|(c, ..)| *c == Code::AllowWithNotPrincipal));
}

/// Issue 9: escalation methods beyond the hand-made lists come from the
/// catalogue (pathfinding.cloud), e.g. `glue:UpdateDevEndpoint` and
/// `lambda:UpdateFunctionCode` on every resource; limited to one named
/// resource they are not reported.
#[test]
fn privilege_escalation_from_the_catalogue() {
    for action in ["glue:UpdateDevEndpoint", "lambda:UpdateFunctionCode"] {
        let snippet = format!(r#"{{"Effect": "Allow", §"Action": "{action}", "Resource": "*"}}"#);
        expect(Code::PrivilegeEscalation, ID, &identity(&snippet));
        let report = lint("test.json", &marked(&identity(&snippet)).0, ID);
        let message = &report
            .findings
            .iter()
            .find(|f| f.code == Code::PrivilegeEscalation)
            .expect("finding")
            .message;
        assert!(message.contains(action), "{message}");
        assert!(message.contains("pathfinding.cloud"), "{message}");
        let named = identity(&format!(
            r#"{{"Effect": "Allow", "Action": "{action}", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:one"}}"#
        ));
        assert!(
            !codes(&named, ID)
                .iter()
                .any(|(c, ..)| *c == Code::PrivilegeEscalation),
            "{action} on one resource"
        );
    }
    // A method needing PassRole too is complete only with PassRole on every role.
    let text = identity(
        r#"{"Effect": "Allow", "Action": ["glue:CreateJob", "glue:StartJobRun"], "Resource": "*"}"#,
    );
    assert!(!codes(&text, ID)
        .iter()
        .any(|(c, ..)| *c == Code::PrivilegeEscalation));
}
