//! Seed 000 (connector) and seed 002 (prefix-scoped S3 users).

use crate::harness::*;

#[tokio::test]
async fn connector_deploy_with_flags_creates_user_policy_attachment_and_key() {
    let env = Env::new().await;
    let pf = env.file("connector.json", POLICY);
    let kf = env.path("connector.csv");
    env.ok(&[
        "connector",
        "deploy",
        "--policy-file",
        &pf,
        "--credentials-file",
        kf.to_str().unwrap(),
        "--yes",
    ]);
    // The default name comes from the (fixed) clock, as seed 000 names it.
    let name = "iSaas-connector-26-03-21-11-36-28";
    assert!(env.user_exists(name).await);
    assert_eq!(
        env.attached_user_policies(name).await,
        vec![env.policy_arn(name)]
    );
    let keys = env.access_key_ids(name).await;
    assert_eq!(keys.len(), 1);
    let text = std::fs::read_to_string(&kf).unwrap();
    assert!(text.contains(&keys[0].0));
    env.assert_secret_not_printed(&secret_from_csv(&text));
    let tags = env
        .iam
        .list_user_tags()
        .user_name(name)
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "managed-by" && t.value() == "iamctl"));

    // Seed 000's list, then its delete (with the policy).
    let m = env.ok(&["managed", "list"]);
    assert!(
        m.stdout.contains(&format!(
            "- {name}\n    Policies:\n        - {}",
            env.policy_arn(name)
        )),
        "{}",
        m.stdout
    );
    env.ok(&["user", "delete", name, "--delete-policies", "--yes"]);
    assert!(env.user_names().await.is_empty());
    assert!(env.policy_names().await.is_empty());
}

#[tokio::test]
async fn connector_deploy_needs_yes_without_a_terminal_and_changes_nothing() {
    let env = Env::new().await;
    let pf = env.file("connector.json", POLICY);
    let kf = env.path("c.csv");
    let o = env.fails(
        &[
            "connector",
            "deploy",
            "--name",
            "c1",
            "--policy-file",
            &pf,
            "--credentials-file",
            kf.to_str().unwrap(),
        ],
        2,
    );
    assert!(o.stderr.contains("--yes"), "{}", o.stderr);
    assert!(env.user_names().await.is_empty());
    assert!(!kf.exists());
}

#[tokio::test]
async fn connector_init_deploys_the_bundle() {
    let env = Env::new().await;
    env.file("policies/iSaas-s3-unit-user-policy.json", POLICY);
    env.file("policies/isaas-s3-space-user-policy.json", POLICY);
    let dir = env.path("policies");
    env.ok(&["connector", "init", dir.to_str().unwrap()]);
    let o = env.ok(&[
        "connector",
        "init",
        dir.to_str().unwrap(),
        "--skip-existing",
    ]);
    assert!(
        o.stderr
            .contains("Policy iSaas-s3-unit-user-policy already exists. Skipping deployment."),
        "{}",
        o.stderr
    );
    let mut names = env.policy_names().await;
    names.sort();
    assert_eq!(
        names,
        ["iSaas-s3-unit-user-policy", "isaas-s3-space-user-policy"]
    );
}

async fn put(env: &Env, bucket: &str, key: &str) {
    env.s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
}

async fn keys(env: &Env, bucket: &str) -> Vec<String> {
    let out = env
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut k: Vec<String> = out
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    k.sort();
    k
}

#[tokio::test]
async fn s3_user_create_scopes_the_user_to_its_prefix() {
    let env = Env::new().await;
    let bucket = format!("shared-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let kf = env.path("alex.csv");
    env.ok(&[
        "s3-user",
        "create",
        "--bucket",
        &bucket,
        "--user",
        "alex",
        "--credentials-file",
        kf.to_str().unwrap(),
    ]);
    let pname = format!("s3-user-alex-{bucket}");
    assert_eq!(
        env.attached_user_policies("alex").await,
        vec![env.policy_arn(&pname)]
    );
    let v = env
        .iam
        .get_policy_version()
        .policy_arn(env.policy_arn(&pname))
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let raw = v.policy_version().unwrap().document().unwrap().to_string();
    let doc = decode_policy(&raw);
    let st = doc["Statement"].as_array().unwrap();
    let list = st
        .iter()
        .find(|s| s["Action"] == "s3:ListBucket")
        .expect("ListBucket statement");
    assert_eq!(list["Resource"], format!("arn:aws:s3:::{bucket}"));
    assert_eq!(
        list["Condition"]["StringLike"]["s3:prefix"],
        serde_json::json!(["alex/", "alex/*"])
    );
    let get = st
        .iter()
        .find(|s| s["Action"] == "s3:GetObject")
        .expect("read-only GetObject statement");
    assert_eq!(get["Resource"], format!("arn:aws:s3:::{bucket}/alex/*"));
    let text = std::fs::read_to_string(&kf).unwrap();
    assert!(text.starts_with("Access key ID,Secret access key\n"));
    env.assert_secret_not_printed(&secret_from_csv(&text));
}

#[tokio::test]
async fn s3_user_on_a_missing_bucket_changes_nothing() {
    let env = Env::new().await;
    let kf = env.path("x.csv");
    let o = env.fails(
        &[
            "s3-user",
            "create",
            "--bucket",
            "no-such-bucket-iamctl",
            "--user",
            "x",
            "--credentials-file",
            kf.to_str().unwrap(),
        ],
        1,
    );
    assert!(
        o.stderr
            .contains("bucket `no-such-bucket-iamctl` does not exist"),
        "{}",
        o.stderr
    );
    assert!(env.user_names().await.is_empty());
    assert!(!kf.exists());
}

#[tokio::test]
async fn s3_user_delete_removes_user_policy_and_only_its_objects() {
    let env = Env::new().await;
    let bucket = format!("files-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let kf = env.path("jaime.csv");
    env.ok(&[
        "s3-user",
        "create",
        "--bucket",
        &bucket,
        "--user",
        "jaime",
        "--access",
        "read-write",
        "--credentials-file",
        kf.to_str().unwrap(),
    ]);
    for k in [
        "jaime/a.txt",
        "jaime/deep/b.txt",
        "jaime-other/c.txt",
        "alex/d.txt",
        "jaime",
    ] {
        put(&env, &bucket, k).await;
    }
    env.ok(&[
        "s3-user",
        "delete",
        "--bucket",
        &bucket,
        "--user",
        "jaime",
        "--delete-objects",
        "--yes",
    ]);
    assert!(!env.user_exists("jaime").await);
    assert!(env.policy_names().await.is_empty());
    assert_eq!(
        keys(&env, &bucket).await,
        ["alex/d.txt", "jaime", "jaime-other/c.txt"]
    );
}

#[tokio::test]
async fn s3_user_delete_in_a_versioned_bucket_removes_every_version() {
    let env = Env::new().await;
    let bucket = format!("versioned-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    env.s3
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let kf = env.path("v.csv");
    env.ok(&[
        "s3-user",
        "create",
        "--bucket",
        &bucket,
        "--user",
        "v",
        "--credentials-file",
        kf.to_str().unwrap(),
    ]);
    put(&env, &bucket, "v/a.txt").await;
    put(&env, &bucket, "v/a.txt").await;
    env.s3
        .delete_object()
        .bucket(&bucket)
        .key("v/a.txt")
        .send()
        .await
        .unwrap();
    put(&env, &bucket, "w/keep.txt").await;
    env.ok(&[
        "s3-user",
        "delete",
        "--bucket",
        &bucket,
        "--user",
        "v",
        "--delete-objects",
        "--yes",
    ]);
    let vs = env
        .s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let left: Vec<&str> = vs
        .versions()
        .iter()
        .filter_map(|v| v.key())
        .chain(vs.delete_markers().iter().filter_map(|m| m.key()))
        .collect();
    assert_eq!(left, ["w/keep.txt"]);
}

/// Issue 11 item 12: a missing bucket is one clear error saying the bucket must
/// exist, before anything is created; without --credentials-file the secret goes
/// to stdout, as `key create` does.
#[tokio::test]
async fn s3_user_on_a_missing_bucket_says_so_and_key_may_go_to_stdout() {
    let env = Env::new().await;
    let missing = format!("missing-{}", env.account);
    let o = env.fails(
        &[
            "s3-user", "create", "--bucket", &missing, "--user", "nobody",
        ],
        1,
    );
    assert!(
        o.stderr
            .contains(&format!("bucket `{missing}` does not exist"))
            && o.stderr.contains("nothing was created")
            && o.stderr.contains("--create-bucket"),
        "{}",
        o.stderr
    );
    assert!(!env.user_exists("nobody").await);
    // --create-bucket: made private and encrypted, then the user.
    env.ok(&[
        "s3-user",
        "create",
        "--bucket",
        &missing,
        "--user",
        "made",
        "--create-bucket",
        "--credentials-file",
        &env.path("made.csv").display().to_string(),
    ]);
    assert!(env.user_exists("made").await);
    let pab = env
        .s3
        .get_public_access_block()
        .bucket(&missing)
        .send()
        .await
        .unwrap();
    let conf = pab.public_access_block_configuration().unwrap();
    assert_eq!(conf.block_public_policy(), Some(true));
    env.s3
        .get_bucket_encryption()
        .bucket(&missing)
        .send()
        .await
        .unwrap();
    let bucket = format!("present-{}", env.account);
    env.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let o = env.ok(&[
        "s3-user", "create", "--bucket", &bucket, "--user", "out", "--format", "env",
    ]);
    let secret = o
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_SECRET_ACCESS_KEY="))
        .expect("secret on stdout")
        .to_string();
    assert!(!o.stderr.contains(&secret));
    assert_eq!(env.access_key_ids("out").await.len(), 1);
}
