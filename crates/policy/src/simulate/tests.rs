use super::*;

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a\"b"}}},
    {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secret/*"}]}"#;

fn lines() -> Vec<String> {
    let policy = POLICY.replace('\n', " ");
    vec![
        r#"{"id": 1, "principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {"aws:PrincipalTag/team": "a\"b", "aws:TagKeys": ["x", "y"]}}"#.into(),
        r#"{"principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject"}"#.into(),
        r#"{"id": "s\u00e9", "principal": "arn:aws:sts::111111111111:assumed-role/r/s", "action": "s3:GetObject", "resource": null, "resourceAccount": "222222222222", "context": null}"#.into(),
        r#"{"id": {"n": [1, 2.5]}, "principal": "p", "action": "s3:GetObject", "context": {"aws:MultiFactorAuthPresent": true, "n": 3}}"#.into(),
        format!(r#"{{"id": 5, "principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject", "resource": "arn:aws:s3:::secret/k", "identityPolicies": [{policy}], "context": {{"aws:PrincipalTag/team": "a\"b"}}}}"#),
        format!(r#"{{"id": 6, "principal": "arn:aws:iam::111111111111:user/a", "action": "s3:GetObject", "identityPolicies": [{policy}], "context": {{"aws:PrincipalTag/team": "a\"b"}}}}"#),
    ]
}

/// The `Value`-free reading of common lines gives the request the full
/// reading gives.
#[test]
fn plain_lines_read_as_the_full_reading_reads_them() {
    let mut plain = 0;
    for line in lines() {
        let value: Value = serde_json::from_str(&line).unwrap();
        let full = BatchRequest::from_json(&value).unwrap();
        if let Some(fast) = Line::read(&line)
            .filter(Line::plain)
            .and_then(|l| BatchRequest::from_line(&l, &mut PolicyCache::new()))
        {
            plain += 1;
            assert_eq!(fast.id, full.id, "{line}");
            assert_eq!(
                format!("{:?}", fast.request),
                format!("{:?}", full.request),
                "{line}"
            );
            assert!(full.identity.is_empty(), "{line}");
        }
    }
    assert_eq!(
        plain, 3,
        "the first three lines are plain, the others are not"
    );
}

/// Bad lines are not read by the fast path, so their errors stay worded
/// by the full reading.
#[test]
fn bad_lines_keep_their_errors() {
    for (line, message) in [
        (
            r#"{"id": 1, "principal": "", "action": "s3:GetObject"}"#,
            "`principal` must be a non-empty string",
        ),
        (
            r#"{"id": 1, "principal": "p", "action": "GetObject"}"#,
            "`action` `GetObject` must be `service:Action`",
        ),
        (
            r#"{"id": 1, "principal": "p", "action": "s3:GetObject", "extra": 1}"#,
            "unknown field `extra`",
        ),
    ] {
        assert!(Line::read(line).is_none(), "{line}");
        let err = BatchRequest::parse(line).unwrap_err();
        assert_eq!(err.message, message);
        assert_eq!(err.id, serde_json::json!(1));
    }
}

/// The direct writer prints what `evaluation_to_json` prints.
#[test]
fn written_answers_equal_the_json_answers() {
    for line in lines() {
        let req = BatchRequest::parse(&line).unwrap();
        let e = req.evaluate();
        let mut out = Vec::new();
        write_evaluation(&mut out, &req.id, &e);
        let expected = evaluation_to_json(&req.id, &e).to_string();
        assert_eq!(String::from_utf8(out).unwrap(), expected, "{line}");
    }
}
