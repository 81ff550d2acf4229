use crate::harness::*;

async fn trust(env: &Env, role: &str) -> serde_json::Value {
    let r = env.iam.get_role().role_name(role).send().await.unwrap();
    let raw = r
        .role()
        .unwrap()
        .assume_role_policy_document()
        .unwrap()
        .to_string();
    decode_policy(&raw)
}

#[tokio::test]
async fn role_create_with_mfa_trust_two_policies_then_delete() {
    let env = Env::new().await;
    let user_arn = format!("arn:aws:iam::{}:user/ops", env.account);
    let f = env.file("p.json", POLICY);
    env.ok(&["policy", "create", "s3-read", "--document", &f]);
    env.ok(&[
        "role",
        "create",
        "admin",
        "--trust-principal",
        &user_arn,
        "--require-mfa",
        "--max-session-duration",
        "7200",
        "--attach",
        "s3-read",
        "--attach",
        "IAMReadOnlyAccess",
        "--description",
        "seed 001",
    ]);
    let t = trust(&env, "admin").await;
    let st = &t["Statement"][0];
    assert_eq!(st["Action"], "sts:AssumeRole");
    assert_eq!(st["Principal"]["AWS"], user_arn.as_str());
    assert_eq!(
        st["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
        "true"
    );
    let r = env.iam.get_role().role_name("admin").send().await.unwrap();
    assert_eq!(r.role().unwrap().max_session_duration(), Some(7200));
    let att = env
        .iam
        .list_attached_role_policies()
        .role_name("admin")
        .send()
        .await
        .unwrap();
    assert_eq!(att.attached_policies().len(), 2);

    let show = env
        .ok(&["role", "show", "admin", "--output", "json"])
        .json();
    assert_eq!(
        show["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["Bool"]
            ["aws:MultiFactorAuthPresent"],
        "true"
    );
    let list = env.ok(&["role", "list", "--output", "json"]).json();
    assert_eq!(list["Roles"][0]["RoleName"], "admin");

    // update-trust from a file.
    let tf = env.file(
        "trust.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    env.ok(&["role", "update-trust", "admin", "--trust", &tf]);
    assert_eq!(
        trust(&env, "admin").await["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );

    // Delete removes instance profiles, inline and attached policies.
    env.iam
        .create_instance_profile()
        .instance_profile_name("admin-ip")
        .send()
        .await
        .unwrap();
    env.iam
        .add_role_to_instance_profile()
        .instance_profile_name("admin-ip")
        .role_name("admin")
        .send()
        .await
        .unwrap();
    env.iam
        .put_role_policy()
        .role_name("admin")
        .policy_name("inline")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap();
    env.ok(&["role", "delete", "admin", "--yes"]);
    assert!(env.role_names().await.is_empty());
    let ips = env.iam.list_instance_profiles().send().await.unwrap();
    assert!(ips.instance_profiles().is_empty());
}

#[tokio::test]
async fn role_attach_detach_and_assume() {
    let env = Env::new().await;
    env.ok(&[
        "role",
        "create",
        "worker",
        "--trust-principal",
        &env.account,
    ]);
    env.ok(&["role", "attach", "worker", "ReadOnlyAccess"]);
    let att = env
        .iam
        .list_attached_role_policies()
        .role_name("worker")
        .send()
        .await
        .unwrap();
    assert_eq!(
        att.attached_policies()[0].policy_name(),
        Some("ReadOnlyAccess")
    );
    env.ok(&["role", "detach", "worker", "ReadOnlyAccess"]);
    let att = env
        .iam
        .list_attached_role_policies()
        .role_name("worker")
        .send()
        .await
        .unwrap();
    assert!(att.attached_policies().is_empty());

    let o = env.ok(&[
        "role",
        "assume",
        "worker",
        "--session-name",
        "ci-run",
        "--format",
        "json",
        "--duration",
        "900",
    ]);
    let c = o.json();
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(c["SessionToken"].as_str().is_some());
    let secret = c["SecretAccessKey"].as_str().unwrap();
    assert!(!o.stderr.contains(secret));
    // The credentials work, in the role's account.
    let arn = format!("arn:aws:iam::{}:role/worker", env.account);
    let o = env.ok(&["role", "assume", &arn, "--format", "env"]);
    assert!(
        o.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        o.stdout
    );
}

#[tokio::test]
async fn role_delete_refuses_foreign_role() {
    let env = Env::new().await;
    env.iam
        .create_role()
        .role_name("theirs")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
    let o = env.fails(&["role", "delete", "theirs", "--yes"], 1);
    assert!(o.stderr.contains("not managed by iamctl"), "{}", o.stderr);
    assert_eq!(env.role_names().await, ["theirs"]);
}

#[tokio::test]
async fn role_assume_with_mfa_and_refusing_to_delete_own_role() {
    let env = Env::new().await;
    env.ok(&[
        "role",
        "create",
        "mfa-only",
        "--trust-principal",
        &env.account,
        "--require-mfa",
        "--attach",
        "AdministratorAccess",
    ]);
    let serial = format!("arn:aws:iam::{}:mfa/ops", env.account);
    let o = env.ok(&[
        "role",
        "assume",
        "mfa-only",
        "--mfa-serial",
        &serial,
        "--token-code",
        "123456",
        "--format",
        "json",
    ]);
    let c = o.json();
    // A token code that is not six digits never reaches AWS.
    env.fails(
        &[
            "role",
            "assume",
            "mfa-only",
            "--mfa-serial",
            &serial,
            "--token-code",
            "12ab",
        ],
        3,
    );
    // Running as a session of the role, iamctl will not delete that role.
    let vars = [
        ("AWS_ACCESS_KEY_ID", c["AccessKeyId"].as_str()),
        ("AWS_SECRET_ACCESS_KEY", c["SecretAccessKey"].as_str()),
        ("AWS_SESSION_TOKEN", c["SessionToken"].as_str()),
    ];
    let who = env.run_env(&["whoami", "--output", "json"], &vars);
    assert!(
        who.json()["Arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/mfa-only/"),
        "{}",
        who.stdout
    );
    let o = env.run_env(&["role", "delete", "mfa-only", "--yes"], &vars);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("running as a session of it"),
        "{}",
        o.stderr
    );
    assert_eq!(env.role_names().await, ["mfa-only"]);
}
