use crate::harness::*;

#[tokio::test]
async fn user_create_with_everything_then_delete() {
    let env = Env::new().await;
    env.ok(&["group", "create", "devs"]);
    let pfile = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "reader", "--document", &pfile]);
    let keyfile = env.path("alice.csv");
    env.ok(&[
        "user",
        "create",
        "alice",
        "--path",
        "/team/",
        "--tag",
        "team=data",
        "--attach",
        "reader",
        "--attach",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "--group",
        "devs",
        "--access-key",
        "--credentials-file",
        keyfile.to_str().unwrap(),
    ]);
    let u = env.iam.get_user().user_name("alice").send().await.unwrap();
    let u = u.user().unwrap();
    assert_eq!(u.path(), "/team/");
    let tags = env
        .iam
        .list_user_tags()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert!(
        tags.contains(&("managed-by".into(), "iamctl".into())),
        "{tags:?}"
    );
    assert!(tags.contains(&("team".into(), "data".into())), "{tags:?}");
    let mut attached = env.attached_user_policies("alice").await;
    attached.sort();
    let mut want = vec![
        "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string(),
        env.policy_arn("reader"),
    ];
    want.sort();
    assert_eq!(attached, want);
    let groups = env
        .iam
        .list_groups_for_user()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups()[0].group_name(), "devs");
    let keys = env.access_key_ids("alice").await;
    assert_eq!(keys.len(), 1);
    let text = std::fs::read_to_string(&keyfile).unwrap();
    assert!(text.starts_with("Access key ID,Secret access key\n"));
    assert!(text.contains(&keys[0].0));
    env.assert_secret_not_printed(&secret_from_csv(&text));

    // Listing shows it; JSON is one document.
    let list = env.ok(&["user", "list", "--output", "json"]).json();
    assert_eq!(list["Users"][0]["UserName"], "alice");
    let show = env
        .ok(&["user", "show", "alice", "--output", "json"])
        .json();
    assert_eq!(show["Groups"][0], "devs");

    // Delete removes what blocks it; --delete-policies removes our policy too.
    env.ok(&["user", "delete", "alice", "--delete-policies", "--yes"]);
    assert!(!env.user_exists("alice").await);
    assert!(
        env.policy_names().await.is_empty(),
        "our policy, attached nowhere else, is gone"
    );
}

#[tokio::test]
async fn user_delete_removes_every_blocker() {
    let env = Env::new().await;
    env.ok(&["user", "create", "bob"]);
    // Things iamctl did not make, added straight through the API.
    env.iam
        .create_login_profile()
        .user_name("bob")
        .password("Sup3r-s3cret-pw!")
        .send()
        .await
        .unwrap();
    env.iam
        .create_access_key()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    env.iam
        .put_user_policy()
        .user_name("bob")
        .policy_name("inline")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap();
    let mfa = env
        .iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("bob-mfa")
        .send()
        .await
        .unwrap();
    let serial = mfa
        .virtual_mfa_device()
        .unwrap()
        .serial_number()
        .to_string();
    env.iam
        .enable_mfa_device()
        .user_name("bob")
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    env.iam.upload_ssh_public_key().user_name("bob")
        .ssh_public_key_body("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDcGQ6dL3bWGNGLz3dfP0ugPQpJ9Ch1NQpbLvSc5GgcHDeBnK4oWMrSLZNLhmlkEqLgMJwdfk8EXt31VxGvZ8iXTRd1CyHJV+ZjcpQ3XLAanIeYObFZlJihNFEJVvfPw/3cfY5BhwqQmHIkv+FSU8ZGtS7ot1ERXJHoQ3oWJGCo/LeVQqqhcY62Ml9gY9bkqKpBYL6Ls8p6KDGtPLvIn0mO4WJdAabwQNZ/tEWL7MdcmdXcq5BjqQrf0YfmVHfmD7lZLBk4q4X35RmONvpEKSwRNQtsIlpVSQwiVsCH1jXJ4sa5/pNawsGfWgNxFhYBOAJYVQBAlzKnLHhR1LpiGRi7 test@example.com")
        .send().await.unwrap();
    // A self-signed test certificate (no private key kept), valid until 2126.
    env.iam
        .upload_signing_certificate()
        .user_name("bob")
        .certificate_body(include_str!("data/signing-cert.pem"))
        .send()
        .await
        .unwrap();
    let o = env.ok(&["user", "delete", "bob", "--yes", "--output", "json"]);
    assert!(!env.user_exists("bob").await);
    let removed = &o.json()["Removed"];
    assert_eq!(removed["LoginProfile"], true);
    for k in [
        "AccessKeys",
        "MfaDevices",
        "SshPublicKeys",
        "SigningCertificates",
        "InlinePolicies",
    ] {
        assert_eq!(
            removed[k].as_array().map(Vec::len),
            Some(1),
            "{k}: {removed}"
        );
    }
    let mfa = env.iam.list_virtual_mfa_devices().send().await.unwrap();
    assert!(
        mfa.virtual_mfa_devices().is_empty(),
        "the virtual MFA device is deleted too"
    );
}

#[tokio::test]
async fn user_delete_refuses_foreign_user_without_force_and_asks_for_yes() {
    let env = Env::new().await;
    env.iam
        .create_user()
        .user_name("legacy")
        .send()
        .await
        .unwrap();
    let o = env.fails(&["user", "delete", "legacy", "--yes"], 1);
    assert!(
        o.stderr.contains("user `legacy` is not managed by iamctl"),
        "{}",
        o.stderr
    );
    assert!(env.user_exists("legacy").await);
    // Without a terminal and without --yes nothing happens.
    let o = env.fails(&["user", "delete", "legacy", "--force"], 2);
    assert!(o.stderr.contains("--yes"), "{}", o.stderr);
    assert!(env.user_exists("legacy").await);
    env.ok(&["user", "delete", "legacy", "--force", "--yes"]);
    assert!(!env.user_exists("legacy").await);
}

#[tokio::test]
async fn user_delete_keeps_policies_used_elsewhere() {
    let env = Env::new().await;
    let pfile = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "shared", "--document", &pfile]);
    env.ok(&["user", "create", "a", "--attach", "shared"]);
    env.ok(&["user", "create", "b", "--attach", "shared"]);
    env.ok(&["user", "delete", "a", "--delete-policies", "--yes"]);
    assert_eq!(env.policy_names().await, vec!["shared".to_string()]);
    assert_eq!(
        env.attached_user_policies("b").await,
        vec![env.policy_arn("shared")]
    );
}

#[tokio::test]
async fn user_update_attach_detach_inline() {
    let env = Env::new().await;
    env.ok(&["user", "create", "carol"]);
    env.ok(&["user", "attach", "carol", "ReadOnlyAccess"]);
    assert_eq!(
        env.attached_user_policies("carol").await,
        vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string()]
    );
    env.ok(&[
        "user",
        "detach",
        "carol",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]);
    assert!(env.attached_user_policies("carol").await.is_empty());
    let pfile = env.file("p.json", POLICY);
    env.ok(&["user", "put-policy", "carol", "extra", "--document", &pfile]);
    let inline = env
        .iam
        .list_user_policies()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    assert_eq!(inline.policy_names(), ["extra".to_string()]);
    env.ok(&["user", "delete-policy", "carol", "extra", "--yes"]);
    let inline = env
        .iam
        .list_user_policies()
        .user_name("carol")
        .send()
        .await
        .unwrap();
    assert!(inline.policy_names().is_empty());
    env.ok(&[
        "user",
        "update",
        "carol",
        "--new-name",
        "caroline",
        "--new-path",
        "/x/",
    ]);
    assert!(!env.user_exists("carol").await);
    let u = env
        .iam
        .get_user()
        .user_name("caroline")
        .send()
        .await
        .unwrap();
    assert_eq!(u.user().unwrap().path(), "/x/");
}

#[tokio::test]
async fn whoami_names_the_test_account() {
    let env = Env::new().await;
    let w = env.ok(&["whoami", "--output", "json"]).json();
    assert_eq!(w["Account"], env.account.as_str());
}

#[tokio::test]
async fn user_create_access_key_without_file_goes_to_stdout() {
    let env = Env::new().await;
    let o = env.ok(&[
        "user",
        "create",
        "stdout-key",
        "--access-key",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let id = v["AccessKeyId"].as_str().unwrap();
    assert_eq!(env.access_key_ids("stdout-key").await[0].0, id);
    assert!(!o.stderr.contains(v["SecretAccessKey"].as_str().unwrap()));
}
