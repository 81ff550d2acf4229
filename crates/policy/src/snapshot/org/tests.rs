use serde_json::json;

use super::*;

fn sample() -> serde_json::Value {
    json!({
        "FormatVersion": 1, "Kind": "organization",
        "OrganizationId": "o-abc", "ManagementAccountId": "111111111111", "RootId": "r-1",
        "OrganizationalUnits": [
            {"Id": "ou-w", "Name": "workloads", "ParentId": "r-1"},
            {"Id": "ou-p", "Name": "prod", "ParentId": "ou-w"}
        ],
        "Accounts": [
            {"Id": "111111111111", "Name": "management", "ParentId": "r-1", "Iam": {}},
            {"Id": "222222222222", "Name": "prod", "ParentId": "ou-p",
             "Iam": {"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::222222222222:user/u"}]},
             "ResourcePolicies": [{"Arn": "arn:aws:s3:::b", "Service": "s3",
                "Document": {"Version": "2012-10-17", "Statement": []},
                "PublicAccessBlock": {"RestrictPublicBuckets": true}}]}
        ],
        "OrganizationPolicies": [
            {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY",
             "Document": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
             "Targets": ["r-1", "ou-w", "ou-p", "111111111111", "222222222222"]}
        ]
    })
}

#[test]
fn reads_an_organisation_and_writes_it_back() {
    let Loaded::Organization(org) = load(&sample().to_string()).unwrap() else {
        panic!("not an organisation")
    };
    assert_eq!(org.accounts.len(), 2);
    assert_eq!(org.ou_path("ou-p"), "/workloads/prod");
    assert_eq!(org.ou_path("r-1"), "/");
    assert!(org.organization_policies[0].document.json().is_some());
    let again = OrgSnapshot::from_json(&org.to_json()).unwrap();
    assert_eq!(again, org);
    assert_eq!(org.account("prod").unwrap().id, "222222222222");
    assert_eq!(org.account_of("u", None).unwrap().name, "prod");
    assert_eq!(
        org.account_of("u", Some("management")).unwrap().name,
        "management"
    );
    assert!(org.account_of("nobody", None).is_none());
}

#[test]
fn an_account_snapshot_still_loads_as_one() {
    let text = r#"{"UserDetailList": []}"#;
    assert!(matches!(load(text).unwrap(), Loaded::Account(_)));
}

#[test]
fn errors_name_line_and_column() {
    let text = "{\"Kind\": \"organization\",\n \"Accounts\": [{\"Id\": 5}]}";
    let e = load(text).unwrap_err();
    assert!(e.to_string().starts_with("2:"), "{e}");
    let e = load(r#"{"Kind": "galaxy"}"#).unwrap_err();
    assert_eq!(e, OrgError::Kind("galaxy".into()));
    let e = load(r#"{"Kind": "organization", "FormatVersion": 2}"#).unwrap_err();
    assert!(e.to_string().contains("FormatVersion` is 2"), "{e}");
}

#[test]
fn a_broken_tree_is_refused() {
    let mut v = sample();
    v["Accounts"][1]["ParentId"] = json!("ou-nope");
    assert!(matches!(
        load(&v.to_string()),
        Err(OrgError::UnknownParent { .. })
    ));
    let mut v = sample();
    v["OrganizationalUnits"][0]["ParentId"] = json!("ou-p");
    assert!(matches!(load(&v.to_string()), Err(OrgError::Cycle(_))));
}

#[test]
fn merge_unions_accounts_and_names_conflicts() {
    let org = OrgSnapshot::from_json(&sample().to_string()).unwrap();
    let mut a = org.clone();
    a.accounts[1].iam = None;
    a.failures.push(Failure {
        account: "222222222222".into(),
        region: None,
        message: "access denied".into(),
    });
    let mut b = org.clone();
    b.accounts[0].iam = None;
    let merged = merge(vec![a, b]).unwrap().unwrap();
    assert!(merged.accounts.iter().all(|a| a.iam.is_some()));
    assert!(merged.failures.is_empty(), "{:?}", merged.failures);

    let mut c = org.clone();
    c.accounts[1].resource_policies.clear();
    let e = merge(vec![org.clone(), c]).unwrap_err();
    assert!(
        e.to_string().contains("`222222222222` (`prod`)"),
        "names the account: {e}"
    );
    let mut d = org.clone();
    d.organization_id = "o-other".into();
    assert!(matches!(
        merge(vec![org, d]),
        Err(OrgError::DifferentOrganizations(..))
    ));
}
