use crate::harness::*;

async fn members(env: &Env, g: &str) -> Vec<String> {
    let out = env.iam.get_group().group_name(g).send().await.unwrap();
    out.users()
        .iter()
        .map(|u| u.user_name().to_string())
        .collect()
}

#[tokio::test]
async fn group_lifecycle() {
    let env = Env::new().await;
    env.ok(&["group", "create", "ops", "--path", "/teams/"]);
    env.ok(&["user", "create", "u"]);
    env.ok(&["group", "add-user", "ops", "u"]);
    assert_eq!(members(&env, "ops").await, ["u"]);
    env.ok(&["group", "attach", "ops", "ReadOnlyAccess"]);
    let pf = env.file("p.json", POLICY);
    env.ok(&["group", "put-policy", "ops", "extra", "--document", &pf]);
    let show = env.ok(&["group", "show", "ops", "--output", "json"]).json();
    assert_eq!(show["Users"][0], "u");
    assert_eq!(show["Group"]["Path"], "/teams/");
    assert_eq!(show["InlinePolicies"][0], "extra");
    let list = env.ok(&["group", "list", "--output", "json"]).json();
    assert_eq!(list["Groups"][0]["GroupName"], "ops");
    env.ok(&["group", "remove-user", "ops", "u"]);
    assert!(members(&env, "ops").await.is_empty());
    env.ok(&["group", "add-user", "ops", "u"]);
    env.ok(&["group", "delete", "ops", "--yes"]);
    let gs = env.iam.list_groups().send().await.unwrap();
    assert!(gs.groups().is_empty());
    assert!(
        env.user_exists("u").await,
        "members are removed, not deleted"
    );
}

#[tokio::test]
async fn group_delete_refuses_foreign_members_without_force() {
    let env = Env::new().await;
    env.ok(&["group", "create", "mixed"]);
    env.iam
        .create_user()
        .user_name("outsider")
        .send()
        .await
        .unwrap();
    env.ok(&["group", "add-user", "mixed", "outsider"]);
    let o = env.fails(&["group", "delete", "mixed", "--yes"], 1);
    assert!(o.stderr.contains("outsider"), "{}", o.stderr);
    assert_eq!(members(&env, "mixed").await, ["outsider"]);
    env.ok(&["group", "delete", "mixed", "--yes", "--force"]);
    assert!(env.user_exists("outsider").await);
}
