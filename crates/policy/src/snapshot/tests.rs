use serde_json::json;

use super::*;

/// The shape `aws iam get-account-authorization-details` prints (every
/// field the AWS CLI gives, documents decoded), as `iamctl account
/// snapshot` also writes it.
fn cli_shaped() -> Value {
    json!({
        "UserDetailList": [{
            "Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE",
            "Arn": "arn:aws:iam::111122223333:user/alice",
            "CreateDate": "2024-01-01T00:00:00Z",
            "UserPolicyList": [{"PolicyName": "home", "PolicyDocument":
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}],
            "GroupList": ["devs"],
            "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess",
                "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary"},
            "Tags": [{"Key": "team", "Value": "a"}]
        }],
        "GroupDetailList": [{
            "Path": "/", "GroupName": "devs", "GroupId": "AGPAEXAMPLE",
            "Arn": "arn:aws:iam::111122223333:group/devs", "CreateDate": "2024-01-01T00:00:00Z",
            "GroupPolicyList": [], "AttachedManagedPolicies": []
        }],
        "RoleDetailList": [{
            "Path": "/", "RoleName": "ci", "RoleId": "AROAEXAMPLE",
            "Arn": "arn:aws:iam::111122223333:role/ci", "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "InstanceProfileList": [{"Path": "/", "InstanceProfileName": "ci",
                "InstanceProfileId": "AIPAEXAMPLE", "Arn": "arn:aws:iam::111122223333:instance-profile/ci",
                "CreateDate": "2024-01-01T00:00:00Z",
                "Roles": [{"Path": "/", "RoleName": "ci", "RoleId": "AROAEXAMPLE",
                    "Arn": "arn:aws:iam::111122223333:role/ci", "CreateDate": "2024-01-01T00:00:00Z"}]}],
            "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": [],
            "RoleLastUsed": {"LastUsedDate": "2024-02-01T00:00:00Z", "Region": "us-east-1"}
        }],
        "Policies": [{
            "PolicyName": "boundary", "PolicyId": "ANPAEXAMPLE",
            "Arn": "arn:aws:iam::111122223333:policy/boundary", "Path": "/",
            "DefaultVersionId": "v2", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 1,
            "IsAttachable": true, "CreateDate": "2024-01-01T00:00:00Z", "UpdateDate": "2024-01-02T00:00:00Z",
            "PolicyVersionList": [
                {"Document": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
                 "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": "2024-01-02T00:00:00Z"},
                {"Document": {"Version": "2012-10-17", "Statement": []},
                 "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2024-01-01T00:00:00Z"}
            ]
        }],
        "IsTruncated": false
    })
}

#[test]
fn reads_the_aws_cli_shape_and_writes_it_back() {
    let v = cli_shaped();
    let s = Snapshot::from_json(&v.to_string()).unwrap();
    assert_eq!(s.format_version, FORMAT_VERSION);
    let u = &s.user_detail_list[0];
    assert_eq!(u.user_name, "alice");
    assert_eq!(u.group_list, ["devs"]);
    assert_eq!(
        u.boundary_arn(),
        Some("arn:aws:iam::111122223333:policy/boundary")
    );
    assert_eq!(
        u.tags,
        [Tag {
            key: "team".into(),
            value: "a".into()
        }]
    );
    let r = &s.role_detail_list[0];
    assert_eq!(r.instance_profile_list[0].roles[0].role_name, "ci");
    assert_eq!(
        r.role_last_used.as_ref().unwrap().region.as_deref(),
        Some("us-east-1")
    );
    let p = &s.policies[0];
    assert_eq!(p.default_version().unwrap().version_id, "v2");
    assert_eq!(p.default_document().unwrap()["Statement"]["Action"], "*");
    assert_eq!(s.account_id(), Some("111122223333"));
    // Written back: the same document, but for the version it now carries
    // and what the AWS CLI adds of its own (`IsTruncated`).
    let mut expected = v;
    let obj = expected.as_object_mut().unwrap();
    obj.remove("IsTruncated");
    let mut written = s.to_value();
    assert_eq!(written["FormatVersion"], 1);
    written.as_object_mut().unwrap().remove("FormatVersion");
    assert_eq!(written, expected);
    // And read again: equal.
    assert_eq!(Snapshot::from_value(&s.to_value()).unwrap(), s);
}

/// "The policy document returned in this structure is URL-encoded compliant
/// with RFC 3986. You can use a URL decoding method to convert the policy
/// back to plain JSON text."
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html>
#[test]
fn url_encoded_documents_are_decoded_once_when_read() {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let encoded: String =
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string();
    let v = json!({"Policies": [{"Arn": "arn:aws:iam::111122223333:policy/p",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": encoded}]}],
        "RoleDetailList": [{"RoleName": "r", "AssumeRolePolicyDocument": text}]});
    let s = Snapshot::from_value(&v).unwrap();
    let want: Value = serde_json::from_str(text).unwrap();
    assert_eq!(s.policies[0].default_document(), Some(&want));
    let trust = s.role_detail_list[0].assume_role_policy_document.as_ref();
    assert_eq!(trust.and_then(Document::json), Some(&want));
    // Written decoded.
    assert_eq!(
        s.to_value()["Policies"][0]["PolicyVersionList"][0]["Document"],
        want
    );
    // Text that is not a document stays text, and reads as none.
    let bad = Document::new(json!("%7Bnot json"));
    assert_eq!(bad.json(), None);
    assert_eq!(bad.raw(), &json!("%7Bnot json"));
}

#[test]
fn the_format_version_is_checked() {
    let mut v = json!({"UserDetailList": []});
    assert_eq!(Snapshot::from_value(&v).unwrap().format_version, 1);
    v["FormatVersion"] = json!(1);
    assert!(Snapshot::from_value(&v).is_ok());
    v["FormatVersion"] = json!(2);
    let e = Snapshot::from_json(&v.to_string()).unwrap_err();
    assert_eq!(
        e,
        SnapshotError::Version {
            found: 2,
            supported: 1
        }
    );
    assert_eq!(
        e.to_string(),
        "the snapshot's `FormatVersion` is 2; this iamctl reads up to 1"
    );
}

#[test]
fn what_is_not_a_snapshot_is_refused_with_where() {
    assert_eq!(
        Snapshot::from_json("[1, 2]").unwrap_err(),
        SnapshotError::NotObject
    );
    assert_eq!(
        Snapshot::from_json(r#"{"Users": []}"#).unwrap_err(),
        SnapshotError::NoLists
    );
    assert_eq!(
        Snapshot::from_value(&json!({"Users": []})).unwrap_err(),
        SnapshotError::NoLists
    );
    // A field of the wrong type: the line and column of it.
    let text = "{\n  \"UserDetailList\": [\n    {\"UserName\": 5}\n  ]\n}";
    match Snapshot::from_json(text).unwrap_err() {
        SnapshotError::Json { line, message, .. } => {
            assert_eq!(line, 3);
            assert!(message.contains("invalid type"), "{message}");
        }
        e => panic!("{e:?}"),
    }
    // Not JSON at all.
    assert!(matches!(
        Snapshot::from_json("{\"Policies\": [").unwrap_err(),
        SnapshotError::Json { line: 1, .. }
    ));
    assert!(matches!(
        Snapshot::from_json("nope").unwrap_err(),
        SnapshotError::Json { .. }
    ));
}

#[test]
fn missing_policies_are_what_is_attached_but_absent() {
    let s = Snapshot::from_value(&cli_shaped()).unwrap();
    assert_eq!(
        s.missing_policies(),
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    );
}

#[test]
fn missing_policies_names_what_is_attached_but_absent() {
    let snap = json!({
        "UserDetailList": [{"AttachedManagedPolicies": [
            {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
            {"PolicyArn": "arn:aws:iam::1:policy/local"}]}],
        "GroupDetailList": [],
        "RoleDetailList": [{"AttachedManagedPolicies": [],
            "PermissionsBoundary": {"PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"}}],
        "Policies": [{"Arn": "arn:aws:iam::1:policy/local"}]
    });
    assert_eq!(
        Snapshot::from_value(&snap).unwrap().missing_policies(),
        [
            "arn:aws:iam::aws:policy/PowerUserAccess",
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        ]
    );
    let complete = json!({"UserDetailList": [], "Policies": []});
    assert!(Snapshot::from_value(&complete)
        .unwrap()
        .missing_policies()
        .is_empty());
}
