//! Policy documents that iamctl generates rather than reads.
//!
//! Each builder returns a [`PolicyDocument`] that is valid by construction;
//! the tests check that by parsing the compact form of every one of them.

use serde_json::{json, Map, Value};

use crate::document::PolicyDocument;

const VERSION: &str = "2012-10-17";
const MFA_KEY: &str = "aws:MultiFactorAuthPresent";

/// A trust policy letting `principals` assume the role.
///
/// Entries ending in `.amazonaws.com` are service principals; anything else
/// (a principal ARN or a 12-digit account ID) is an `AWS` principal. Each
/// type is a string when it has one entry and an array when it has several;
/// repeated entries are dropped. With `require_mfa`, the statement demands
/// that the caller signed in with MFA.
///
/// `principals` should not be empty: with no principal the document trusts
/// nobody, and IAM (like [`PolicyDocument::parse`]) refuses it.
pub fn trust_for_principals(principals: &[String], require_mfa: bool) -> PolicyDocument {
    let mut aws = Vec::new();
    let mut services = Vec::new();
    for principal in principals {
        let list = if principal.ends_with(".amazonaws.com") {
            &mut services
        } else {
            &mut aws
        };
        if !list.contains(&principal.as_str()) {
            list.push(principal.as_str());
        }
    }
    let mut principal = Map::new();
    if !aws.is_empty() {
        principal.insert("AWS".to_owned(), one_or_many(&aws));
    }
    if !services.is_empty() {
        principal.insert("Service".to_owned(), one_or_many(&services));
    }
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    });
    if require_mfa {
        statement["Condition"] = json!({ "Bool": { MFA_KEY: "true" } });
    }
    PolicyDocument::from_value(json!({
        "Version": VERSION,
        "Statement": [statement],
    }))
}

fn one_or_many(items: &[&str]) -> Value {
    match items {
        [one] => json!(one),
        many => json!(many),
    }
}

/// A copy of `doc` in which every `Allow` statement whose `Action` includes
/// `sts:AssumeRole` also requires MFA, merged into any existing `Condition`.
pub fn add_mfa_condition(doc: &PolicyDocument) -> PolicyDocument {
    let mut value = doc.value.clone();
    match value.get_mut("Statement") {
        Some(Value::Array(statements)) => statements.iter_mut().for_each(require_mfa),
        Some(statement) => require_mfa(statement),
        None => {}
    }
    PolicyDocument::from_value(value)
}

fn require_mfa(statement: &mut Value) {
    let Some(statement) = statement.as_object_mut() else {
        return;
    };
    let is_assume_role = |action: &Value| {
        action
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case("sts:AssumeRole"))
    };
    let allows_assume_role = statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && match statement.get("Action") {
            Some(Value::Array(actions)) => actions.iter().any(is_assume_role),
            Some(action) => is_assume_role(action),
            None => false,
        };
    if !allows_assume_role {
        return;
    }
    let condition = statement.entry("Condition").or_insert_with(|| json!({}));
    // A malformed `Condition` is left alone for validation to report.
    let Some(operators) = condition.as_object_mut() else {
        return;
    };
    let bool_keys = operators.entry("Bool").or_insert_with(|| json!({}));
    if let Some(bool_keys) = bool_keys.as_object_mut() {
        bool_keys.insert(MFA_KEY.to_owned(), json!("true"));
    }
}

/// How much of their own prefix [`s3_user_policy`] lets a user touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Access {
    /// List and download.
    Read,
    /// List, download, upload and delete.
    ReadWrite,
}

/// An inline policy confining `user` to the `{user}/` prefix of `bucket`.
///
/// It may list only its own prefix, read (and with [`S3Access::ReadWrite`],
/// write and delete) objects under it, and find the bucket's region, which
/// clients such as WinSCP ask for before anything else.
pub fn s3_user_policy(
    partition: &str,
    bucket: &str,
    user: &str,
    access: S3Access,
) -> PolicyDocument {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let objects = match access {
        S3Access::Read => json!("s3:GetObject"),
        S3Access::ReadWrite => json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
    };
    PolicyDocument::from_value(json!({
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {
                    "StringLike": { "s3:prefix": [format!("{user}/"), format!("{user}/*")] }
                }
            },
            {
                "Sid": "ObjectsInOwnPrefix",
                "Effect": "Allow",
                "Action": objects,
                "Resource": format!("{bucket_arn}/{user}/*"),
            },
            {
                "Sid": "LocateBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": bucket_arn,
            }
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentKind;

    fn reparse(doc: &PolicyDocument, kind: DocumentKind) -> PolicyDocument {
        match PolicyDocument::parse("<generated>", &doc.to_compact(), kind) {
            Ok(parsed) => parsed,
            Err(err) => panic!(
                "generated policy does not parse: {err}\n{}",
                doc.to_pretty()
            ),
        }
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn trust_for_one_account() {
        let doc = trust_for_principals(&strings(&["123456789012"]), false);
        let parsed = reparse(&doc, DocumentKind::Trust);
        assert_eq!(parsed, doc);
        assert_eq!(
            doc.to_compact(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}"#
        );
    }

    #[test]
    fn trust_for_one_service() {
        let doc = trust_for_principals(&strings(&["ec2.amazonaws.com"]), false);
        reparse(&doc, DocumentKind::Trust);
        assert_eq!(
            doc.value["Statement"][0]["Principal"],
            json!({ "Service": "ec2.amazonaws.com" })
        );
    }

    #[test]
    fn trust_for_mixed_principals_uses_arrays_for_several() {
        let doc = trust_for_principals(
            &strings(&[
                "lambda.amazonaws.com",
                "arn:aws:iam::123456789012:role/ci",
                "210987654321",
                "arn:aws:iam::123456789012:role/ci",
            ]),
            false,
        );
        reparse(&doc, DocumentKind::Trust);
        assert_eq!(
            doc.value["Statement"][0]["Principal"],
            json!({
                "AWS": ["arn:aws:iam::123456789012:role/ci", "210987654321"],
                "Service": "lambda.amazonaws.com",
            })
        );
        assert!(doc.value["Statement"][0].get("Condition").is_none());
    }

    #[test]
    fn trust_with_mfa() {
        let doc = trust_for_principals(&strings(&["123456789012"]), true);
        reparse(&doc, DocumentKind::Trust);
        let statement = &doc.value["Statement"][0];
        assert_eq!(statement["Action"], "sts:AssumeRole");
        assert_eq!(
            statement["Condition"],
            json!({ "Bool": { "aws:MultiFactorAuthPresent": "true" } })
        );
    }

    #[test]
    fn trust_without_principals_is_refused_by_validation() {
        let doc = trust_for_principals(&[], false);
        assert!(doc.validate("<generated>", DocumentKind::Trust).is_err());
    }

    #[test]
    fn mfa_added_to_assume_role_allows_only() {
        let text = r#"{
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": ["sts:TagSession", "sts:AssumeRole"],
                 "Condition": {"StringEquals": {"sts:ExternalId": "x"}, "Bool": {"aws:SecureTransport": "true"}}},
                {"Effect": "Deny", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:TagSession"}
            ]
        }"#;
        let doc = PolicyDocument::parse("trust.json", text, DocumentKind::Trust).expect("valid");
        let with_mfa = add_mfa_condition(&doc);
        reparse(&with_mfa, DocumentKind::Trust);
        let statements = &with_mfa.value["Statement"];
        assert_eq!(
            statements[0]["Condition"],
            json!({ "Bool": { "aws:MultiFactorAuthPresent": "true" } })
        );
        assert_eq!(
            statements[1]["Condition"],
            json!({
                "StringEquals": { "sts:ExternalId": "x" },
                "Bool": { "aws:SecureTransport": "true", "aws:MultiFactorAuthPresent": "true" },
            })
        );
        assert!(statements[2].get("Condition").is_none());
        assert!(statements[3].get("Condition").is_none());
        // The input is untouched, and adding MFA twice changes nothing.
        assert!(doc.value["Statement"][0].get("Condition").is_none());
        assert_eq!(add_mfa_condition(&with_mfa), with_mfa);
    }

    #[test]
    fn mfa_added_to_a_lone_statement_object() {
        let text =
            r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}"#;
        let doc = PolicyDocument::parse("trust.json", text, DocumentKind::Trust).expect("valid");
        let with_mfa = add_mfa_condition(&doc);
        assert_eq!(
            with_mfa.value["Statement"]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
            "true"
        );
        assert_eq!(
            add_mfa_condition(&trust_for_principals(&strings(&["123456789012"]), false)),
            trust_for_principals(&strings(&["123456789012"]), true)
        );
    }

    #[test]
    fn s3_read_policy_shape() {
        let doc = s3_user_policy("aws", "shared-files", "alice", S3Access::Read);
        reparse(&doc, DocumentKind::UserInline);
        assert_eq!(
            doc.value,
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ListOwnPrefix",
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": "arn:aws:s3:::shared-files",
                        "Condition": { "StringLike": { "s3:prefix": ["alice/", "alice/*"] } }
                    },
                    {
                        "Sid": "ObjectsInOwnPrefix",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::shared-files/alice/*"
                    },
                    {
                        "Sid": "LocateBucket",
                        "Effect": "Allow",
                        "Action": "s3:GetBucketLocation",
                        "Resource": "arn:aws:s3:::shared-files"
                    }
                ]
            })
        );
    }

    #[test]
    fn s3_read_write_policy_shape() {
        let doc = s3_user_policy("aws-cn", "b", "bob@example.com", S3Access::ReadWrite);
        reparse(&doc, DocumentKind::UserInline);
        let statements = &doc.value["Statement"];
        assert_eq!(
            statements[1]["Action"],
            json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        );
        assert_eq!(
            statements[1]["Resource"],
            "arn:aws-cn:s3:::b/bob@example.com/*"
        );
        assert_eq!(statements[0]["Resource"], "arn:aws-cn:s3:::b");
        assert_eq!(
            statements[0]["Condition"]["StringLike"]["s3:prefix"],
            json!(["bob@example.com/", "bob@example.com/*"])
        );
        assert_eq!(statements[2]["Sid"], "LocateBucket");
    }

    #[test]
    fn s3_policy_fits_every_inline_quota_for_long_names() {
        let bucket = "b".repeat(63);
        let user = "u".repeat(64);
        let doc = s3_user_policy("aws-us-gov", &bucket, &user, S3Access::ReadWrite);
        for kind in [
            DocumentKind::UserInline,
            DocumentKind::GroupInline,
            DocumentKind::RoleInline,
            DocumentKind::Managed,
        ] {
            reparse(&doc, kind);
        }
    }
}
