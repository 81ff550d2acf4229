//! `who-can` and `access` over the organisation.

use serde_json::json;

use super::*;

#[test]
fn who_can_answers_over_every_account() {
    let o = org(json!([deny_delete()]), &[]);
    let actions = crate::catalog::catalog().expand("s3:DeleteBucket");
    let grants = who_can(&o, &actions, Some(BUCKET), &Context::new());
    let who: Vec<String> = grants
        .iter()
        .map(|g| {
            let m = &o.members[g.member];
            format!("{}:{}", m.name, m.account.principals[g.principal].name)
        })
        .collect();
    // prod's alice is denied by the SCP; its service-linked role is not.
    assert_eq!(
        who,
        [
            "management:alice",
            "management:AWSServiceRoleForX",
            "prod:AWSServiceRoleForX",
            "dev:alice",
            "dev:AWSServiceRoleForX"
        ],
        "the bucket is unknown and has no account: each principal asks in its own account"
    );
}

#[test]
fn access_applies_scps_and_lists_cross_account_resources() {
    let dev_alice = format!("arn:aws:iam::{DEV}:user/alice");
    let shared = bucket(
        BUCKET,
        json!([{"Effect": "Allow", "Principal": {"AWS": dev_alice}, "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [BUCKET, format!("{BUCKET}/*")]}]),
    );
    let o = org(json!([deny_delete()]), &[(PROD, shared)]);
    let (m, p) = o.principal("alice", Some("prod")).unwrap();
    let a = access(&o, m, p, &Context::new());
    let s3 = &a.own.services["s3"];
    assert!(
        !s3.values().flatten().any(|x| x == "DeleteBucket"),
        "the SCP denies it"
    );
    let (m, p) = o.principal("alice", Some("dev")).unwrap();
    let a = access(&o, m, p, &Context::new());
    assert!(a.own.services["s3"]
        .values()
        .flatten()
        .any(|x| x == "DeleteBucket"));
    assert_eq!(a.cross_account[BUCKET], ["s3:GetObject", "s3:ListBucket"]);
}
