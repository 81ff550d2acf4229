use super::*;
use crate::eval::Context;

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

#[test]
fn newlines_are_found_eight_bytes_a_step() {
    for len in 0..40 {
        for at in 0..=len {
            let mut bytes = vec![b'x'; len];
            if at < len {
                bytes[at] = b'\n';
            }
            // Bytes around the newline that trip naive word tricks.
            if at + 1 < len {
                bytes[at + 1] = b'\x0b';
            }
            let want = bytes.iter().position(|&b| b == b'\n');
            assert_eq!(worker::find_newline(&bytes), want, "{len} {at}");
        }
    }
}

fn snapshot() -> crate::account::Account {
    let doc = |st: Value| json!({"Version": "2012-10-17", "Statement": st});
    crate::account::Account::from_snapshot(&crate::snapshot::Snapshot::from_value(&json!({
        "UserDetailList": [
            {"UserName": "alice", "Arn": "arn:aws:iam::111111111111:user/alice", "Path": "/",
             "GroupList": [], "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": "red"}],
             "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": doc(json!([
                {"Effect": "Allow", "Action": ["s3:Get*", "sts:AssumeRole"], "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}},
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
                {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
                 "Condition": {"StringEquals": {"s3:prefix": "x", "aws:SourceIp": "1.2.3.4"}}}]))}]}
        ],
        "RoleDetailList": [
            {"RoleName": "ops", "Arn": "arn:aws:iam::111111111111:role/ops", "Path": "/",
             "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:user/alice"}, "Action": "sts:AssumeRole"}])),
             "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": doc(json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]))}],
             "AttachedManagedPolicies": [],
             "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": "arn:aws:iam::111111111111:policy/bound"}}
        ],
        "Policies": [{"PolicyName": "bound", "Arn": "arn:aws:iam::111111111111:policy/bound",
            "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
            "Document": doc(json!([{"Effect": "Allow", "Action": ["s3:*", "sts:*"], "Resource": "*"}]))}]}]
    })).unwrap())
}

/// Over a snapshot, a line without policies of its own takes the fast path
/// (its principal's request reused, contexts shared); the same line with
/// an empty `identityPolicies` takes the full one. Both answer alike, line
/// by line, whatever the order the lines come in.
#[test]
fn the_fast_path_over_a_snapshot_answers_as_the_full_reading() {
    let account = snapshot();
    let mut base = Context::new();
    base.set("aws:SourceIp", "1.2.3.4");
    let principals = [
        "arn:aws:iam::111111111111:user/alice",
        "alice",
        "arn:aws:iam::111111111111:role/ops",
        "arn:aws:sts::111111111111:assumed-role/ops/s1",
        "arn:aws:sts::111111111111:assumed-role/ops/s2",
        "arn:aws:iam::111111111111:user/nobody",
    ];
    let requests = [
        ("s3:GetObject", Some("arn:aws:s3:::b/k")),
        ("s3:PutObject", Some("arn:aws:s3:::home/alice/k")),
        ("S3:DeleteObject", None),
        ("sts:AssumeRole", Some("arn:aws:iam::111111111111:role/ops")),
        ("sts:GetCallerIdentity", None),
        ("ec2:RunInstances", Some("*")),
        ("s3:GetObject", Some("arn:aws:s3:::b/k")),
    ];
    let contexts = [
        None,
        Some(json!({"aws:MultiFactorAuthPresent": "false"})),
        Some(json!({"aws:MultiFactorAuthPresent": "true", "aws:PrincipalTag/team": "blue"})),
        Some(json!({"aws:TagKeys": ["a", "b"], "aws:username": "bob"})),
        Some(json!({"n": 3})),
        Some(json!({"n": {"x": 1}})),
    ];
    let ids = [
        json!(1),
        json!(-7),
        json!(0),
        json!("a\"b"),
        json!("s\u{e9}"),
        json!(2.5),
        json!({"k": [1, 2]}),
        Value::Null,
    ];
    let mut fast = Vec::new();
    let mut full = Vec::new();
    let (mut w1, mut w2) = (
        BatchWorker::new(Some(&account), &base),
        BatchWorker::new(Some(&account), &base),
    );
    let mut n = 0;
    for (i, p) in principals.iter().enumerate() {
        for (j, (action, resource)) in requests.iter().enumerate() {
            for (k, context) in contexts.iter().enumerate() {
                n += 1;
                let mut line =
                    json!({"id": ids[(i + j + k) % ids.len()], "principal": p, "action": action});
                if let Some(r) = resource {
                    line["resource"] = json!(r);
                }
                if let Some(c) = context {
                    line["context"] = c.clone();
                }
                let text = line.to_string();
                line["identityPolicies"] = json!([]);
                let with_empty = line.to_string();
                let e1 = w1.answer(&text, n, &mut fast);
                let e2 = w2.answer(&with_empty, n, &mut full);
                assert_eq!(e1, e2, "{text}");
            }
        }
    }
    let (fast, full) = (
        String::from_utf8(fast).unwrap(),
        String::from_utf8(full).unwrap(),
    );
    for (a, b) in fast.lines().zip(full.lines()) {
        assert_eq!(a, b);
    }
    assert_eq!(fast.lines().count(), n);
    // The lines exercise every kind of answer.
    for word in [
        "allowed",
        "explicitDeny",
        "implicitDeny",
        "no user or role",
        "never carry",
        "is not in the request context",
        "must be a string",
    ] {
        assert!(fast.contains(word), "{word}");
    }
}

/// Blocks: line numbers count blank lines, CRLF endings and a last line
/// without newline are read, a line that is not UTF-8 stops the block.
#[test]
fn blocks_number_their_lines() {
    let base = Context::new();
    let mut w = BatchWorker::new(None, &base);
    let block = b"{\"id\": 1, \"principal\": \"p\", \"action\": \"s3:GetObject\"}\r\n\n  \n{\"id\": 2\n{\"id\": 3, \"principal\": \"p\", \"action\": \"s3:GetObject\"}";
    let mut out = Vec::new();
    let count = w.answer_block(block, 10, &mut out).unwrap();
    assert_eq!(
        count,
        BlockCount {
            requests: 3,
            errors: 1
        }
    );
    let answers: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[1]["line"], 13);
    assert_eq!(answers[2]["id"], 3);
    let mut out = Vec::new();
    assert_eq!(
        w.answer_block(b"\n\n\xff\n", 1, &mut out),
        Err(worker::NotUtf8(3))
    );
}
