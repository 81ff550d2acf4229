//! `check`: no-new-access, access-not-granted and no-public-access, decided
//! with the engine and proved by witnesses.

use iamctl_policy::check::{
    access_not_granted, no_new_access, no_public_access, CheckType, Doc, Verdict,
};
use serde_json::json;

fn doc(name: &str, statements: serde_json::Value) -> Doc {
    let text =
        serde_json::to_string_pretty(&json!({"Version": "2012-10-17", "Statement": statements}))
            .unwrap();
    Doc::parse(name, &text).unwrap()
}

fn actions(report: &iamctl_policy::check::Report) -> Vec<String> {
    report
        .reasons
        .iter()
        .filter_map(|r| r.request.as_ref().map(|w| w.action.clone()))
        .collect()
}

#[test]
fn a_wider_action_wildcard_fails_with_the_actions_it_adds() {
    let old = doc(
        "old.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]),
    );
    let new = doc(
        "new.json",
        json!([{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::data/*"}]),
    );
    let report = no_new_access(&old, &new, CheckType::Identity);
    assert_eq!(report.verdict, Verdict::Fail);
    let found = actions(&report);
    assert!(found.contains(&"s3:GetObjectAcl".to_owned()), "{found:?}");
    assert!(!found.contains(&"s3:GetObject".to_owned()), "{found:?}");
    let acl = report
        .reasons
        .iter()
        .find(|r| r.request.as_ref().unwrap().action == "s3:GetObjectAcl")
        .unwrap();
    let w = acl.request.as_ref().unwrap();
    assert!(w.resource.starts_with("arn:aws:s3:::data/"), "{w:?}");
    assert_eq!(acl.statement.as_ref().unwrap().sid.as_deref(), Some("Read"));
    assert_eq!(acl.statement.as_ref().unwrap().line, 4);
    let cmd = acl.simulate.as_ref().unwrap();
    assert!(cmd.starts_with("iamctl simulate --principal "), "{cmd}");
    assert!(
        cmd.contains("--action s3:GetObjectAcl") && cmd.contains("--policy new.json"),
        "{cmd}"
    );
    // The reverse direction narrows: PASS.
    let back = no_new_access(&new, &old, CheckType::Identity);
    assert_eq!(back.verdict, Verdict::Pass, "{:?}", back.reasons);
}

#[test]
fn splitting_statements_or_adding_a_narrowing_condition_passes() {
    let old = doc(
        "old.json",
        json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]}]),
    );
    let split = doc(
        "split.json",
        json!([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::a/*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
        ]),
    );
    let r = no_new_access(&old, &split, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.reasons);
    assert!(r.searched.actions >= 2 && r.searched.requests > 0);
    let narrowed = doc(
        "narrowed.json",
        json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "Bool": {"aws:SecureTransport": "true"}}}]),
    );
    let r = no_new_access(&old, &narrowed, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.reasons);
    // ... and dropping the condition again is new access, shown with a
    // context outside it.
    let r = no_new_access(&narrowed, &old, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Fail);
    let w = r.reasons[0].request.as_ref().unwrap();
    let ip = w.context.get("aws:SourceIp");
    let tls = w.context.get("aws:SecureTransport");
    assert!(
        ip.is_none_or(|v| !v[0].starts_with("10.")) || tls.is_none_or(|v| v[0] != "true"),
        "the witness must fall outside the old condition: {w:?}"
    );
}

#[test]
fn a_wider_resource_a_looser_condition_or_a_removed_deny_fail() {
    let old = doc(
        "old.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"}]),
    );
    let wider = doc(
        "wider.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}]),
    );
    let r = no_new_access(&old, &wider, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Fail);
    let w = r.reasons[0].request.as_ref().unwrap();
    assert!(!w.resource.starts_with("arn:aws:s3:::a/"), "{w:?}");

    let tagged = doc(
        "tagged.json",
        json!([{"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "data"}}}]),
    );
    let any_tag = doc(
        "any.json",
        json!([{"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
            "Condition": {"StringLike": {"aws:ResourceTag/team": "d*"}}}]),
    );
    let r = no_new_access(&tagged, &any_tag, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reasons);
    let w = r.reasons[0].request.as_ref().unwrap();
    let team = &w.context["aws:ResourceTag/team"][0];
    assert!(team.starts_with('d') && team != "data", "{w:?}");
    assert!(r.reasons[0]
        .simulate
        .as_ref()
        .unwrap()
        .contains("--context"));

    let with_deny = doc(
        "deny.json",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
               {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]),
    );
    let without = doc(
        "nodeny.json",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    let r = no_new_access(&with_deny, &without, CheckType::Identity);
    assert_eq!(actions(&r), ["s3:DeleteBucket"]);
    assert_eq!(r.actions_with_new_access, Some(1));
    assert_eq!(
        no_new_access(&without, &without, CheckType::Identity).verdict,
        Verdict::Pass
    );
}

#[test]
fn resource_policies_compare_the_principals_they_let_in() {
    let old = doc(
        "old.json",
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:q"}]),
    );
    let same_split = doc(
        "new.json",
        json!([{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
            "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:q"}]),
    );
    let r = no_new_access(&old, &same_split, CheckType::Resource);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.reasons);
    let everyone = doc(
        "everyone.json",
        json!([{"Effect": "Allow", "Principal": "*",
            "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:q"}]),
    );
    let r = no_new_access(&old, &everyone, CheckType::Resource);
    assert_eq!(r.verdict, Verdict::Fail);
    let w = r.reasons[0].request.as_ref().unwrap();
    assert!(!w.principal.contains("111122223333"), "{w:?}");
    assert!(r.reasons[0]
        .simulate
        .as_ref()
        .unwrap()
        .contains("--resource-policy everyone.json"));
}

#[test]
fn an_scp_that_drops_a_deny_fails() {
    let old = doc(
        "old-scp.json",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
               {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]),
    );
    let new = doc(
        "new-scp.json",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
    );
    let r = no_new_access(&old, &new, CheckType::Scp);
    assert_eq!(actions(&r), ["organizations:LeaveOrganization"]);
    assert!(
        r.searched.actions > 20_000,
        "every catalog action: {:?}",
        r.searched
    );
}

#[test]
fn access_not_granted_names_the_granting_statement() {
    let p = doc(
        "p.json",
        json!([
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            {"Sid": "Admin", "Effect": "Allow", "NotAction": ["s3:*", "ec2:*"], "Resource": "*"}
        ]),
    );
    let r = access_not_granted(&p, CheckType::Identity, &["s3:DeleteBucket".into()], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.reasons);
    let r = access_not_granted(&p, CheckType::Identity, &["s3:GetObject".into()], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.reasons[0].statement.as_ref().unwrap().sid.as_deref(),
        Some("Read")
    );
    assert!(
        r.reasons[0].message.contains("wildcard `s3:Get*`"),
        "{}",
        r.reasons[0].message
    );
    let r = access_not_granted(&p, CheckType::Identity, &["iam:CreateUser".into()], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.reasons[0].statement.as_ref().unwrap().sid.as_deref(),
        Some("Admin")
    );
    assert!(
        r.reasons[0].message.contains("`NotAction`, which lists 2"),
        "{}",
        r.reasons[0].message
    );
    assert!(access_not_granted(&p, CheckType::Identity, &["nosuch:Thing".into()], &[]).is_err());
}

#[test]
fn access_not_granted_counts_resources_and_conditional_grants() {
    let p = doc(
        "p.json",
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}}}]),
    );
    // Granted under a condition is still granted.
    let r = access_not_granted(&p, CheckType::Identity, &["s3:PutObject".into()], &[]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    let w = r.reasons[0].request.as_ref().unwrap();
    assert_eq!(w.context["aws:PrincipalTag/team"], ["ops"]);
    // Another bucket: not granted.
    let r = access_not_granted(
        &p,
        CheckType::Identity,
        &["s3:PutObject".into()],
        &["arn:aws:s3:::secrets/k".into()],
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Pass);
}

#[test]
fn public_bucket_and_trust_policies_fail_unless_a_condition_restricts_who() {
    let public = doc(
        "bucket.json",
        json!([{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site/*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]),
    );
    let r = no_public_access(&public, "AWS::S3::Bucket").unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.reasons[0].statement.as_ref().unwrap().sid.as_deref(),
        Some("Public")
    );
    for (key, op, value) in [
        ("aws:PrincipalOrgID", "StringEquals", "o-abc123"),
        ("aws:SourceVpce", "StringEquals", "vpce-1a2b3c"),
        ("aws:PrincipalAccount", "StringEquals", "111122223333"),
        (
            "aws:SourceArn",
            "ArnLike",
            "arn:aws:cloudfront::111122223333:distribution/E1",
        ),
        ("aws:SourceIp", "IpAddress", "10.1.0.0/16"),
    ] {
        let restricted = doc(
            "bucket.json",
            json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::site/*", "Condition": {op: {key: value}}}]),
        );
        let r = no_public_access(&restricted, "AWS::S3::Bucket").unwrap();
        assert_eq!(r.verdict, Verdict::Pass, "{key}: {:?}", r.reasons);
    }
    // A wildcard that lets every organization in does not restrict.
    let any_org = doc(
        "bucket.json",
        json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site/*", "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}]),
    );
    assert_eq!(
        no_public_access(&any_org, "AWS::S3::Bucket")
            .unwrap()
            .verdict,
        Verdict::Fail
    );
    let trust = doc(
        "trust.json",
        json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]),
    );
    let r = no_public_access(&trust, "AWS::IAM::AssumeRolePolicyDocument").unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.reasons[0].request.as_ref().unwrap().action,
        "sts:AssumeRole"
    );
    let own = doc(
        "trust.json",
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]),
    );
    assert_eq!(
        no_public_access(&own, "AWS::IAM::AssumeRolePolicyDocument")
            .unwrap()
            .verdict,
        Verdict::Pass
    );
    let key = doc(
        "key.json",
        json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}]),
    );
    assert_eq!(
        no_public_access(&key, "AWS::KMS::Key").unwrap().verdict,
        Verdict::Pass
    );
    let queue = doc(
        "queue.json",
        json!([{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]),
    );
    assert_eq!(
        no_public_access(&queue, "AWS::SQS::Queue").unwrap().verdict,
        Verdict::Fail
    );
    assert!(no_public_access(&queue, "AWS::Nope::Thing").is_err());
}

#[test]
fn bad_documents_are_refused_with_their_position() {
    let err = Doc::parse("bad.json", "{\n  \"Statement\": [\n}").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("bad.json"), "{text}");
}

#[test]
fn the_version_decides_whether_variables_are_variables() {
    let stmt = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]);
    let old = Doc::parse(
        "old.json",
        &json!({"Version": "2008-10-17", "Statement": stmt}).to_string(),
    )
    .unwrap();
    let new = Doc::parse(
        "new.json",
        &json!({"Version": "2012-10-17", "Statement": stmt}).to_string(),
    )
    .unwrap();
    // The same statement now reaches every user's home, not a literal path.
    let r = no_new_access(&old, &new, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.reasons);
    let w = r.reasons[0].request.as_ref().unwrap();
    assert_eq!(w.context["aws:username"], ["iamctl-witness"]);
}

#[test]
fn many_conditions_one_widened_network() {
    let conds = |nets: serde_json::Value| {
        json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
                "StringEquals": {"aws:PrincipalTag/team": ["a", "b"], "aws:RequestedRegion": ["eu-west-1", "us-east-1"]},
                "Bool": {"aws:SecureTransport": "true"},
                "IpAddress": {"aws:SourceIp": nets}}},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
        ])
    };
    let old = doc("old.json", conds(json!(["10.0.0.0/8", "192.168.0.0/16"])));
    let same = doc("same.json", conds(json!(["10.0.0.0/8", "192.168.0.0/16"])));
    let r = no_new_access(&old, &same, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(
        r.searched.requests, 0,
        "identical statements need no request"
    );
    let wider = doc(
        "wider.json",
        conds(json!(["10.0.0.0/8", "192.168.0.0/16", "203.0.113.0/24"])),
    );
    let r = no_new_access(&old, &wider, CheckType::Identity);
    assert_eq!(r.verdict, Verdict::Fail);
    let w = r.reasons[0].request.as_ref().unwrap();
    assert!(
        w.context["aws:SourceIp"][0].starts_with("203.0.113."),
        "{w:?}"
    );
    assert_eq!(w.context["aws:SecureTransport"], ["true"]);
}

#[test]
fn a_looser_deny_condition_is_new_access() {
    let scp = |op: &str, value: &str| {
        doc(
            "scp.json",
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
                   {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*",
                    "Condition": {op: {"aws:PrincipalTag/role": value}}}]),
        )
    };
    let old = scp("StringNotEquals", "admin");
    let new = scp("StringNotLike", "admin*");
    let r = no_new_access(&old, &new, CheckType::Scp);
    assert_eq!(actions(&r), ["s3:DeleteBucket"]);
    let w = r.reasons[0].request.as_ref().unwrap();
    let role = &w.context["aws:PrincipalTag/role"][0];
    assert!(role.starts_with("admin") && role != "admin", "{w:?}");
    assert_eq!(
        no_new_access(&new, &old, CheckType::Scp).verdict,
        Verdict::Pass
    );
}
