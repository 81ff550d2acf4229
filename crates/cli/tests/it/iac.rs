//! IAM as code against moto with two target accounts: `plan`, `apply` and
//! `cleanup` of a configuration written per test. iamctl runs as the test's
//! own account and assumes the deployer role into two fresh accounts (moto's
//! AssumeRole acts in whatever account the role ARN names); every check reads
//! those accounts through the SDK.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client;
use serde_json::{json, Value};

use crate::harness::*;

/// A target account: its id, an IAM client and credentials acting in it.
struct Account {
    id: String,
    iam: Client,
    creds: [String; 3],
}

impl Account {
    async fn new(endpoint: &str) -> Account {
        let id = next_account();
        let base = sdk_config(endpoint, "testing", "testing", None).await;
        let out = aws_sdk_sts::Client::new(&base)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{id}:role/iamctl-check"))
            .role_session_name("iamctl-check")
            .send()
            .await
            .expect("assume a role into a target account");
        let c = out.credentials().expect("credentials");
        let creds = [
            c.access_key_id().to_string(),
            c.secret_access_key().to_string(),
            c.session_token().to_string(),
        ];
        let conf = sdk_config(endpoint, &creds[0], &creds[1], Some(&creds[2])).await;
        Account {
            id,
            iam: Client::new(&conf),
            creds,
        }
    }

    /// Environment variables that make iamctl act as this account.
    fn vars(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("AWS_ACCESS_KEY_ID", Some(self.creds[0].as_str())),
            ("AWS_SECRET_ACCESS_KEY", Some(self.creds[1].as_str())),
            ("AWS_SESSION_TOKEN", Some(self.creds[2].as_str())),
        ]
    }

    fn arn(&self, kind: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:{kind}/{name}", self.id)
    }

    /// The ARN of a policy iamctl made for `team`: under the IAM path of
    /// ours (`settings.iam_path`, default `/iamctl/`), `/iamctl/<team>/`.
    fn ours(&self, team: &str, name: &str) -> String {
        self.arn("policy", &format!("iamctl/{team}/{name}"))
    }

    /// The ARN of the customer-managed policy of that name, wherever it is.
    async fn local_arn(&self, name: &str) -> String {
        let out = self
            .iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .expect("ListPolicies");
        out.policies()
            .iter()
            .find(|p| p.policy_name() == Some(name))
            .and_then(|p| p.arn().map(str::to_owned))
            .unwrap_or_else(|| self.arn("policy", name))
    }

    async fn users(&self) -> Vec<String> {
        let out = self.iam.list_users().send().await.expect("ListUsers");
        let mut v: Vec<String> = out
            .users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect();
        v.sort();
        v
    }

    async fn user_tags(&self, name: &str) -> BTreeMap<String, String> {
        let out = self
            .iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .expect("ListUserTags");
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    }

    async fn role_tags(&self, name: &str) -> BTreeMap<String, String> {
        let out = self
            .iam
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .expect("ListRoleTags");
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    }

    async fn policy_tags(&self, name: &str) -> BTreeMap<String, String> {
        let out = self
            .iam
            .list_policy_tags()
            .policy_arn(self.local_arn(name).await)
            .send()
            .await
            .expect("ListPolicyTags");
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    }

    /// Attached policies' ARNs, sorted; `kind` is user, role or group.
    async fn attached(&self, kind: &str, name: &str) -> Vec<String> {
        let mut v: Vec<String> = match kind {
            "user" => self
                .iam
                .list_attached_user_policies()
                .user_name(name)
                .send()
                .await
                .expect("ListAttachedUserPolicies")
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
            "role" => self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .expect("ListAttachedRolePolicies")
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
            _ => self
                .iam
                .list_attached_group_policies()
                .group_name(name)
                .send()
                .await
                .expect("ListAttachedGroupPolicies")
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
        };
        v.sort();
        v
    }

    async fn trust(&self, role: &str) -> Value {
        let r = self
            .iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .expect("GetRole");
        decode_policy(
            r.role()
                .expect("role")
                .assume_role_policy_document()
                .expect("trust"),
        )
    }

    async fn members(&self, group: &str) -> Vec<String> {
        let g = self
            .iam
            .get_group()
            .group_name(group)
            .send()
            .await
            .expect("GetGroup");
        let mut v: Vec<String> = g
            .users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect();
        v.sort();
        v
    }

    /// The default version's document and every version id of a local policy.
    async fn policy(&self, name: &str) -> (Value, Vec<String>) {
        let arn = self.local_arn(name).await;
        let versions = self
            .iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .expect("ListPolicyVersions");
        let mut ids = Vec::new();
        let mut default = String::new();
        for v in versions.versions() {
            let id = v.version_id().unwrap_or_default().to_string();
            if v.is_default_version() {
                default = id.clone();
            }
            ids.push(id);
        }
        ids.sort();
        let v = self
            .iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(&default)
            .send()
            .await
            .expect("GetPolicyVersion");
        let doc = decode_policy(
            v.policy_version()
                .and_then(|v| v.document())
                .expect("document"),
        );
        (doc, ids)
    }

    async fn local_policies(&self) -> Vec<String> {
        let out = self
            .iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .expect("ListPolicies");
        let mut v: Vec<String> = out
            .policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string))
            .collect();
        v.sort();
        v
    }

    /// Everything IaC could touch: users, roles, groups and local policies
    /// with their tags, attachments, memberships, trust and documents.
    async fn dump(&self) -> Value {
        let mut users = serde_json::Map::new();
        for u in self.users().await {
            let groups = self
                .iam
                .list_groups_for_user()
                .user_name(&u)
                .send()
                .await
                .expect("ListGroupsForUser");
            let mut groups: Vec<String> = groups
                .groups()
                .iter()
                .map(|g| g.group_name().to_string())
                .collect();
            groups.sort();
            let inline = self
                .iam
                .list_user_policies()
                .user_name(&u)
                .send()
                .await
                .expect("ListUserPolicies");
            users.insert(
                u.clone(),
                json!({
                    "tags": self.user_tags(&u).await,
                    "groups": groups,
                    "attached": self.attached("user", &u).await,
                    "inline": inline.policy_names(),
                }),
            );
        }
        let mut roles = serde_json::Map::new();
        let list = self.iam.list_roles().send().await.expect("ListRoles");
        let mut names: Vec<String> = list
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect();
        names.sort();
        for r in names {
            roles.insert(
                r.clone(),
                json!({
                    "tags": self.role_tags(&r).await,
                    "trust": self.trust(&r).await,
                    "attached": self.attached("role", &r).await,
                }),
            );
        }
        let mut groups = serde_json::Map::new();
        let list = self.iam.list_groups().send().await.expect("ListGroups");
        let mut names: Vec<String> = list
            .groups()
            .iter()
            .map(|g| g.group_name().to_string())
            .collect();
        names.sort();
        for g in names {
            groups.insert(
                g.clone(),
                json!({
                    "members": self.members(&g).await,
                    "attached": self.attached("group", &g).await,
                }),
            );
        }
        let mut policies = serde_json::Map::new();
        for p in self.local_policies().await {
            let (doc, versions) = self.policy(&p).await;
            policies.insert(
                p.clone(),
                json!({"tags": self.policy_tags(&p).await, "document": doc, "versions": versions}),
            );
        }
        json!({"users": users, "roles": roles, "groups": groups, "policies": policies})
    }
}

/// One test: the caller's account (the harness's `Env`), two target
/// accounts, and the configuration directory `cfg` in the test's dir.
struct Iac {
    env: Env,
    dev: Account,
    prod: Account,
}

const POLICIES: &str = r#"aws-policies:
  ec2.full:
    description: "EC2"
    custom_statements:
      - sid: Ec2
        effect: Allow
        actions: ["ec2:*"]
        resources: ["*"]
  s3.read:
    description: "Read the data bucket"
    managed_policies:
      - "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    custom_statements:
      - sid: Data
        effect: Allow
        actions: ["s3:GetObject"]
        resources: ["arn:aws:s3:::data/*"]
"#;

const USERS: &str = r#"users:
  alice@example.com:
    tags:
      cost-centre: "42"
  bob@example.com: {}
"#;

const ROLES: &str = r#"roles:
  operator:
    description: "Runs EC2"
    trust:
      users: [alice@example.com]
      require_mfa: true
"#;

const GROUPS: &str = "groups:\n  readers:\n    members: [alice@example.com, bob@example.com]\n";

const PERMANENT: &str = r#"permanent-access:
  - description: operators run EC2
    roles: [operator]
    environments: [dev, prod]
    grants: [ec2.full]
  - description: readers read
    groups: [readers]
    environments: [dev, prod]
    grants: [s3.read]
  - description: alice runs EC2 in dev
    users: [alice@example.com]
    environments: [dev]
    grants: [ec2.full]
"#;

impl Iac {
    async fn new() -> Iac {
        let env = Env::new().await;
        let dev = Account::new(&env.endpoint).await;
        let prod = Account::new(&env.endpoint).await;
        Iac { env, dev, prod }
    }

    /// Writes `cfg/<rel>`.
    fn write(&self, rel: &str, text: &str) {
        self.env.file(&format!("cfg/{rel}"), text);
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.env.path(&format!("cfg/{rel}"))).expect("remove");
    }

    fn accounts_yaml(&self) -> String {
        format!(
            "aws-accounts:\n  dev: \"{}\"\n  prod: \"{}\"\n",
            self.dev.id, self.prod.id
        )
    }

    /// Team `core`: two policies, two users, a role with MFA trust, a group,
    /// and permanent grants in both environments.
    fn base(&self) {
        self.write("aws-accounts/core.yaml", &self.accounts_yaml());
        self.write("aws-policies/core.yaml", POLICIES);
        self.write("users/core.yaml", USERS);
        self.write("roles/core.yaml", ROLES);
        self.write("groups/core.yaml", GROUPS);
        self.write("permanent-access/core.yaml", PERMANENT);
    }

    fn run(&self, args: &[&str]) -> Out {
        self.env.run(args)
    }

    fn ok(&self, args: &[&str]) -> Out {
        self.env.ok(args)
    }

    fn fails(&self, args: &[&str], code: i32) -> Out {
        self.env.fails(args, code)
    }

    async fn dumps(&self) -> (Value, Value) {
        (self.dev.dump().await, self.prod.dump().await)
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Text with miette's wrapping undone: each line trimmed of its gutter and
/// joined with single spaces.
fn flat(text: &str) -> String {
    text.lines()
        .map(|l| l.trim().trim_start_matches('|').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

const READONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

#[tokio::test]
async fn plan_formats_detailed_exitcode_and_saved_plans() {
    let t = Iac::new().await;
    t.base();
    let (dev, prod) = (&t.dev.id, &t.prod.id);

    // Text: creations per account and the effective access lines.
    let o = t.ok(&["plan", "cfg"]);
    let out = &o.stdout;
    assert!(
        out.contains(&format!(
            "account {dev} (dev): 12 to add, 0 to change, 0 to destroy"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "account {prod} (prod): 11 to add, 0 to change, 0 to destroy"
        )),
        "{out}"
    );
    for line in [
        "  + create policy core-ec2-full at path /iamctl/core/\n",
        "  + create policy core-s3-read at path /iamctl/core/\n",
        "  + create user alice at path /\n",
        "  + create user bob at path /\n",
        "  + create role operator at path /\n",
        "  + create group readers at path /iamctl/core/\n",
        "  + attach core-ec2-full to role operator\n",
        "  + attach AmazonS3ReadOnlyAccess to group readers\n",
        "  + add user bob to group readers\n",
        "    role operator gains ",
        "    user bob gains ",
        "    user alice gains ",
        "\"aws:MultiFactorAuthPresent\": \"true\"\n",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // The effective access, summarised per service and access level over the
    // whole catalog: ec2:* is write access to EC2, the risky actions named.
    let line = |who: &str, part: &str| -> String {
        part.lines()
            .find(|l| l.starts_with(&format!("    {who} gains")))
            .unwrap_or_else(|| panic!("no access line for {who} in:\n{part}"))
            .to_string()
    };
    let dev_part = &out[..out.find(&format!("account {prod}")).expect("prod")];
    let operator = line("role operator", dev_part);
    assert!(operator.contains("write access to ec2 ("), "{operator}");
    assert!(!operator.contains("s3"), "{operator}");
    assert!(
        dev_part.contains("      risky: ec2:RunInstances (can run instances with a role"),
        "{dev_part}"
    );
    let bob = line("user bob", dev_part);
    assert!(bob.contains("read access to s3 ("), "{bob}");
    assert!(!bob.contains("write"), "{bob}");
    // alice runs EC2 in dev only.
    let prod_part = &out[out.find(&format!("account {prod}")).expect("prod")..];
    assert!(line("user alice", dev_part).contains("write access to ec2"));
    assert!(!line("user alice", prod_part).contains("ec2"), "{out}");
    assert!(o.stderr.contains("read 2 account(s)"), "{}", o.stderr);

    // --detailed-exitcode: 2 with changes.
    t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);

    // Markdown for a pull request.
    let md = t.ok(&["plan", "cfg", "--format", "markdown"]).stdout;
    assert!(md.starts_with("### iamctl plan\n"), "{md}");
    assert!(
        md.contains(&format!("| dev | `{dev}` | 12 | 0 | 0 |")),
        "{md}"
    );
    assert!(
        md.contains(&format!("| prod | `{prod}` | 11 | 0 | 0 |")),
        "{md}"
    );
    assert!(md.contains("<details><summary><b>dev</b>"), "{md}");
    assert!(
        md.contains("```diff\n+ create policy core-ec2-full at path /iamctl/core/\n"),
        "{md}"
    );
    assert!(md.contains("- role operator **gains** "), "{md}");
    assert!(md.contains("#### dev ("), "{md}");

    // JSON, and --out saves the same document.
    let o = t.ok(&["plan", "cfg", "--output", "json", "--out", "saved.json"]);
    let file = o.json();
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(t.env.path("saved.json")).expect("saved"))
            .expect("saved JSON");
    assert_eq!(file, saved);
    assert_eq!(file["format"], "iamctl-plan");
    assert_eq!(file["version"], 3);
    assert_eq!(file["config_sha256"].as_str().expect("digest").len(), 64);
    let plans = file["plans"].as_array().expect("an array of plans");
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["environment"], "dev");
    assert_eq!(plans[0]["account_id"], dev.as_str());
    assert_eq!(plans[1]["environment"], "prod");
    assert!(plans[0]["fingerprint"].is_string());
    let ops: Vec<&str> = plans[0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["op"].as_str().expect("op"))
        .collect();
    for op in [
        "create-policy",
        "create-user",
        "create-role",
        "create-group",
        "attach",
        "add-member",
    ] {
        assert!(ops.contains(&op), "{op} not in {ops:?}");
    }
    // Full detail in JSON: every action, per service and level.
    let operator = plans[0]["access"]
        .as_array()
        .expect("access")
        .iter()
        .find(|a| a["principal"] == "role operator" && a["change"] == "gains")
        .expect("role operator gains");
    assert!(operator["actions"]["ec2"]["Write"]
        .as_array()
        .expect("ec2 writes")
        .contains(&json!("RunInstances")));
    assert_eq!(plans[0]["conflicts"], json!([]));

    // The configuration changes after the plan: the saved plan is refused,
    // nothing is applied; with the configuration it was made from, it applies.
    t.write(
        "users/core.yaml",
        &format!("{USERS}  extra@example.com: {{}}\n"),
    );
    let o = t.fails(&["apply", "cfg", "--plan", "saved.json", "--yes"], 1);
    assert!(
        flat(&o.stderr).contains("was made from another configuration than `cfg`"),
        "{}",
        o.stderr
    );
    assert!(
        flat(&o.stderr).contains("nothing was applied"),
        "{}",
        o.stderr
    );
    assert!(t.dev.users().await.is_empty());
    t.write("users/core.yaml", USERS);
    let o = t.ok(&["apply", "cfg", "--plan", "saved.json", "--yes"]);
    assert!(
        o.stderr
            .contains("applied 23 of 23 change(s) in 2 account(s)"),
        "{}",
        o.stderr
    );
    for a in [&t.dev, &t.prod] {
        assert_eq!(a.users().await, ["alice", "bob"]);
        assert_eq!(a.members("readers").await, ["alice", "bob"]);
    }
    t.write(
        "users/core.yaml",
        &format!("{USERS}  extra@example.com: {{}}\n"),
    );
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    assert!(
        o.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("  + create user extra at path /\n"),
        "{}",
        o.stdout
    );

    // A plan whose account changed outside since: refused, nothing applied.
    t.ok(&["plan", "cfg", "--out", "stale.json"]);
    t.prod
        .iam
        .tag_user()
        .user_name("bob")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("note")
                .value("changed outside")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("TagUser");
    let before = t.dumps().await;
    let o = t.fails(&["apply", "cfg", "--plan", "stale.json", "--yes"], 1);
    assert!(
        o.stderr.contains(&format!(
            "account `{prod}` (prod) changed since the plan was made; nothing was applied"
        )),
        "{}",
        o.stderr
    );
    assert_eq!(t.dumps().await, before);
    assert!(!t.dev.users().await.contains(&"extra".to_string()));

    // A fresh plan of the same changes applies, one environment at a time
    // with `--env`: the other account is untouched until its turn.
    t.ok(&["plan", "cfg", "--out", "fresh.json"]);
    let o = t.ok(&[
        "apply",
        "cfg",
        "--plan",
        "fresh.json",
        "--env",
        "dev",
        "--yes",
    ]);
    assert!(
        o.stderr
            .contains("applied 1 of 1 change(s) in 1 account(s)"),
        "{}",
        o.stderr
    );
    assert_eq!(t.prod.users().await, ["alice", "bob"]);
    t.ok(&[
        "apply",
        "cfg",
        "--plan",
        "fresh.json",
        "--env",
        "prod",
        "--yes",
    ]);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    for a in [&t.dev, &t.prod] {
        assert_eq!(a.users().await, ["alice", "bob", "extra"]);
    }
}

#[tokio::test]
async fn apply_creates_everything_in_both_accounts_and_converges() {
    let t = Iac::new().await;
    t.base();
    let empty = t.dumps().await;

    // No --yes and no terminal: usage, nothing changed.
    let o = t.fails(&["apply", "cfg"], 2);
    assert!(
        o.stderr
            .contains("refusing without confirmation: pass `--yes` (no terminal to ask on)"),
        "{}",
        o.stderr
    );
    assert_eq!(t.dumps().await, empty);

    let o = t.ok(&["apply", "cfg", "--yes"]);
    assert!(
        o.stderr
            .contains("applied 23 of 23 change(s) in 2 account(s)"),
        "{}",
        o.stderr
    );
    for a in [&t.dev, &t.prod] {
        let in_dev = a.id == t.dev.id;
        assert_eq!(a.users().await, ["alice", "bob"]);
        assert_eq!(
            a.user_tags("alice").await,
            tags(&[
                ("cost-centre", "42"),
                ("iamctl:key", "alice@example.com"),
                ("iamctl:team", "core"),
                ("managed-by", "iamctl"),
            ])
        );
        assert_eq!(a.user_tags("bob").await["managed-by"], "iamctl");
        assert_eq!(a.user_tags("bob").await["iamctl:team"], "core");

        // The role: trust in alice with MFA, tagged, one policy.
        let trust = a.trust("operator").await;
        let st = &trust["Statement"][0];
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(st["Action"], "sts:AssumeRole");
        assert_eq!(st["Principal"]["AWS"], a.arn("user", "alice"));
        assert_eq!(
            st["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
            "true"
        );
        assert_eq!(a.role_tags("operator").await["iamctl:team"], "core");
        assert_eq!(a.role_tags("operator").await["managed-by"], "iamctl");
        assert_eq!(
            a.attached("role", "operator").await,
            [a.ours("core", "core-ec2-full")]
        );

        // Policies, their documents and tags.
        assert_eq!(a.local_policies().await, ["core-ec2-full", "core-s3-read"]);
        let (doc, versions) = a.policy("core-ec2-full").await;
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Ec2", "Effect": "Allow", "Action": ["ec2:*"], "Resource": ["*"]}
            ]})
        );
        assert_eq!(versions, ["v1"]);
        let (doc, _) = a.policy("core-s3-read").await;
        assert_eq!(
            doc["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::data/*"])
        );
        assert_eq!(
            a.policy_tags("core-s3-read").await,
            tags(&[
                ("iamctl:key", "s3.read"),
                ("iamctl:team", "core"),
                ("managed-by", "iamctl"),
            ])
        );

        // The group: members and both policies of the grant.
        assert_eq!(a.members("readers").await, ["alice", "bob"]);
        let mut want = vec![a.ours("core", "core-s3-read"), READONLY.to_string()];
        want.sort();
        assert_eq!(a.attached("group", "readers").await, want);

        // alice's own grant only in dev.
        let alice: Vec<String> = if in_dev {
            vec![a.ours("core", "core-ec2-full")]
        } else {
            vec![]
        };
        assert_eq!(a.attached("user", "alice").await, alice);
        assert!(a.attached("user", "bob").await.is_empty());
    }
    // Nothing in the caller's own account.
    assert!(t.env.user_names().await.is_empty());
    assert!(t.env.policy_names().await.is_empty());

    // Idempotent: the plan is empty, and so is a second apply.
    let applied = t.dumps().await;
    let o = t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    assert!(o.stdout.contains(&format!(
        "account {} (dev): 0 to add, 0 to change, 0 to destroy",
        t.dev.id
    )));
    assert!(o
        .stdout
        .contains("no changes: every account matches the configuration"));
    let o = t.ok(&["apply", "cfg", "--yes"]);
    assert!(o.stderr.contains("no changes"), "{}", o.stderr);
    assert_eq!(t.dumps().await, applied);
}

#[tokio::test]
async fn drift_made_outside_is_planned_back_and_restored() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    let applied = t.dumps().await;
    let d = &t.dev;
    let ec2 = d.ours("core", "core-ec2-full");

    // Outside iamctl, in dev: four new versions of a policy (five in all),
    // the last one the default with another document; a detached policy; a
    // trust policy without MFA; a deleted user.
    let drifted = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}"#;
    for i in 0..4 {
        d.iam
            .create_policy_version()
            .policy_arn(&ec2)
            .policy_document(drifted)
            .set_as_default(i == 3)
            .send()
            .await
            .expect("CreatePolicyVersion");
    }
    d.iam
        .detach_role_policy()
        .role_name("operator")
        .policy_arn(&ec2)
        .send()
        .await
        .expect("DetachRolePolicy");
    let open_trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#,
        d.arn("user", "alice")
    );
    d.iam
        .update_assume_role_policy()
        .role_name("operator")
        .policy_document(&open_trust)
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    d.iam
        .remove_user_from_group()
        .group_name("readers")
        .user_name("bob")
        .send()
        .await
        .expect("RemoveUserFromGroup");
    d.iam
        .delete_user()
        .user_name("bob")
        .send()
        .await
        .expect("DeleteUser");

    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    let out = &o.stdout;
    for line in [
        // v1 still holds the configuration's document: it becomes the
        // default again, no sixth version pushed (issue 12.9).
        "  ~ update policy core-ec2-full (make v1, which holds this document, the default version)\n",
        "  + attach core-ec2-full to role operator\n",
        "  ~ update trust policy of role operator\n",
        "  + create user bob at path /\n",
        "  + add user bob to group readers\n",
        "      -       \"Action\": \"ec2:Describe*\",\n",
        "      +           \"aws:MultiFactorAuthPresent\": \"true\"\n",
        "    role operator gains ",
        "    user bob gains ",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(
        out.contains(&format!(
            "account {} (prod): 0 to add, 0 to change, 0 to destroy",
            t.prod.id
        )),
        "{out}"
    );

    t.ok(&["apply", "cfg", "--yes"]);
    let (doc, versions) = d.policy("core-ec2-full").await;
    assert_eq!(doc, applied.0["policies"]["core-ec2-full"]["document"]);
    assert_eq!(versions.len(), 5, "{versions:?}");
    assert!(versions.contains(&"v1".to_string()), "{versions:?}");
    assert_eq!(d.attached("role", "operator").await, [ec2]);
    assert_eq!(
        d.trust("operator").await["Statement"][0]["Condition"]["Bool"]
            ["aws:MultiFactorAuthPresent"],
        "true"
    );
    assert_eq!(d.members("readers").await, ["alice", "bob"]);
    assert_eq!(d.user_tags("bob").await["managed-by"], "iamctl");
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    // Everything but the policy's version history is as first applied.
    let mut now = t.dumps().await;
    now.0["policies"]["core-ec2-full"]["versions"] =
        applied.0["policies"]["core-ec2-full"]["versions"].clone();
    assert_eq!(now, applied);
}

/// Creates an untagged user, role and policy in `a`, as someone else would.
async fn outsiders(a: &Account) {
    a.iam
        .create_user()
        .user_name("outsider")
        .send()
        .await
        .expect("CreateUser");
    a.iam
        .create_role()
        .role_name("outsider-role")
        .assume_role_policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"sts:AssumeRole"}}]}}"#,
            a.id
        ))
        .send()
        .await
        .expect("CreateRole");
    a.iam
        .create_policy()
        .policy_name("outsider-policy")
        .policy_document(POLICY)
        .send()
        .await
        .expect("CreatePolicy");
    a.iam
        .attach_user_policy()
        .user_name("outsider")
        .policy_arn(a.arn("policy", "outsider-policy"))
        .send()
        .await
        .expect("AttachUserPolicy");
}

#[tokio::test]
async fn removal_deletes_only_what_is_ours_and_adopt_takes_over() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    outsiders(&t.dev).await;
    // Someone attached our policy to their own user and role too.
    let ec2 = t.dev.ours("core", "core-ec2-full");
    t.dev
        .iam
        .attach_user_policy()
        .user_name("outsider")
        .policy_arn(&ec2)
        .send()
        .await
        .expect("AttachUserPolicy");
    t.dev
        .iam
        .attach_role_policy()
        .role_name("outsider-role")
        .policy_arn(&ec2)
        .send()
        .await
        .expect("AttachRolePolicy");

    // The YAML loses policy ec2.full (and its grants), user bob, role
    // operator and the group's grant.
    t.write(
        "aws-policies/core.yaml",
        &POLICIES.replace(
            "  ec2.full:\n    description: \"EC2\"\n    custom_statements:\n      - sid: Ec2\n        effect: Allow\n        actions: [\"ec2:*\"]\n        resources: [\"*\"]\n",
            "",
        ),
    );
    t.write(
        "users/core.yaml",
        "users:\n  alice@example.com:\n    tags:\n      cost-centre: \"42\"\n",
    );
    t.remove("roles/core.yaml");
    t.write(
        "groups/core.yaml",
        "groups:\n  readers:\n    members: [alice@example.com]\n",
    );
    t.remove("permanent-access/core.yaml");

    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    let out = &o.stdout;
    for line in [
        "  - detach core-ec2-full from user alice\n",
        "  - detach core-ec2-full from user outsider\n",
        "  - detach core-ec2-full from role outsider-role\n",
        "  - detach core-s3-read from group readers\n",
        "  - detach AmazonS3ReadOnlyAccess from group readers\n",
        "  - remove user bob from group readers\n",
        "  - delete user bob (and its keys, password, MFA devices, memberships, policies)\n",
        "  - delete role operator (and its instance profiles and policies)\n",
        "  - delete policy core-ec2-full\n",
        "    user alice loses ",
        "    role operator loses ",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains("outsider-policy"), "{out}");
    assert!(!out.contains("delete user outsider"), "{out}");
    // The detach comes before the delete.
    assert!(
        out.find("detach core-ec2-full from user outsider").unwrap()
            < out.find("delete policy core-ec2-full").unwrap()
    );

    t.ok(&["apply", "cfg", "--yes"]);
    for a in [&t.dev, &t.prod] {
        assert!(a.users().await.contains(&"alice".to_string()));
        assert!(!a.users().await.contains(&"bob".to_string()));
        assert!(a.dump().await["roles"].get("operator").is_none());
        assert!(!a
            .local_policies()
            .await
            .contains(&"core-ec2-full".to_string()));
        assert!(a
            .local_policies()
            .await
            .contains(&"core-s3-read".to_string()));
        assert!(a.attached("group", "readers").await.is_empty());
        assert_eq!(a.members("readers").await, ["alice"]);
        assert!(a.attached("user", "alice").await.is_empty());
    }
    // What is not ours is untouched (only our deleted policy left it).
    let d = t.dev.dump().await;
    assert_eq!(
        d["users"]["outsider"],
        json!({"tags": {}, "groups": [], "attached": [t.dev.arn("policy", "outsider-policy")], "inline": []})
    );
    assert!(d["roles"]["outsider-role"]["attached"] == json!([]));
    assert!(d["policies"]["outsider-policy"].is_object());
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);

    // A desired name that exists untagged is a conflict without --adopt:
    // plan says so; apply leaves that user alone, applies what does not
    // depend on it (issue 12.7) and fails.
    t.write(
        "users/core.yaml",
        "users:\n  alice@example.com:\n    tags:\n      cost-centre: \"42\"\n  outsider: {}\n  newbie: {}\n",
    );
    let o = t.fails(&["plan", "cfg"], 1);
    assert!(
        o.stdout.contains(
            "conflict: user `outsider` exists and is not managed by iamctl: pass `--adopt`"
        ),
        "{}",
        o.stdout
    );
    let before = t.dev.dump().await;
    let o = t.fails(&["apply", "cfg", "--yes"], 1);
    assert!(
        flat(&o.stderr).contains("1 conflict(s) left unresolved; every other change was applied"),
        "{}",
        o.stderr
    );
    assert_eq!(
        t.dev.dump().await["users"]["outsider"],
        before["users"]["outsider"]
    );
    assert_eq!(t.dev.users().await, ["alice", "newbie", "outsider"]);

    // With --adopt: tagged as ours, and the rest applied.
    let o = t.ok(&["apply", "cfg", "--yes", "--adopt"]);
    assert!(
        o.stderr.contains(
            "  ~ tag user outsider iamctl:key=outsider,iamctl:team=core,managed-by=iamctl\n"
        ),
        "{}",
        o.stderr
    );
    assert_eq!(t.dev.user_tags("outsider").await["managed-by"], "iamctl");
    assert_eq!(t.dev.users().await, ["alice", "newbie", "outsider"]);
    assert_eq!(t.prod.users().await, ["alice", "newbie", "outsider"]);
    // Adopted means managed: its foreign policy is no longer wanted on it.
    assert!(t.dev.attached("user", "outsider").await.is_empty());
    assert!(t
        .dev
        .local_policies()
        .await
        .contains(&"outsider-policy".to_string()));
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

const TEMPORARY: &str = r#"temporary-access:
  - description: Debug production
    expiration_date: "2026-03-23T00:00:00Z"
    user: bob@example.com
    environment: prod
    grant: ec2.full
  - description: Read the data for a while
    expiration_date: 2026-03-25
    user: bob@example.com
    environment: prod
    grant: s3.read
"#;

#[tokio::test]
async fn temporary_access_is_enforced_by_aws_and_cleaned_up() {
    let t = Iac::new().await;
    t.base();
    t.write("temporary-access/core.yaml", TEMPORARY);
    let o = t.ok(&["plan", "cfg"]);
    assert!(
        o.stdout
            .contains("    user bob gains until 2026-03-23T00:00:00Z: "),
        "{}",
        o.stdout
    );
    t.ok(&["apply", "cfg", "--yes"]);
    let p = &t.prod;
    let ec2 = "core-ec2-full-bob-temporary";
    let s3 = "core-s3-read-bob-temporary";
    let s3_copy = "core-s3-read-bob-AmazonS3ReadOnlyAccess-temporary";
    let mut want = vec![
        p.ours("core", ec2),
        p.ours("core", s3),
        p.ours("core", s3_copy),
    ];
    want.sort();
    assert_eq!(p.attached("user", "bob").await, want);
    assert!(t.dev.attached("user", "bob").await.is_empty());

    // Every statement holds only until the expiry, which the tags record.
    for (name, until) in [
        (ec2, "2026-03-23T00:00:00Z"),
        (s3, "2026-03-25T23:59:59Z"),
        (s3_copy, "2026-03-25T23:59:59Z"),
    ] {
        let (doc, _) = p.policy(name).await;
        let sts = doc["Statement"].as_array().expect("statements");
        assert!(!sts.is_empty());
        for st in sts {
            assert_eq!(
                st["Condition"]["DateLessThan"]["aws:CurrentTime"], until,
                "{name}: {doc}"
            );
        }
        let tg = p.policy_tags(name).await;
        assert_eq!(tg["iamctl:expires"], until, "{name}");
        assert_eq!(tg["iamctl:grantee"], "user/bob", "{name}");
        assert_eq!(tg["managed-by"], "iamctl", "{name}");
    }
    // The copy of the AWS-managed policy keeps its actions.
    let (doc, _) = p.policy(s3_copy).await;
    assert!(doc.to_string().contains("s3:Get*"), "{doc}");
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);

    // AWS itself (here: our engine on a snapshot) stops allowing at the expiry.
    let snap = t.env.path("prod.json").display().to_string();
    let o = t
        .env
        .run_env(&["account", "snapshot", "-o", &snap], &p.vars());
    assert_eq!(o.code, 0, "{}", o.stderr);
    let sim = |at: &str| {
        let o = t.env.run(&[
            "simulate",
            "--snapshot",
            &snap,
            "--principal",
            "bob",
            "--action",
            "ec2:RunInstances",
            "--resource",
            "*",
            "--at",
            at,
            "--output",
            "json",
        ]);
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        o.json()["decision"].as_str().expect("decision").to_owned()
    };
    assert_eq!(sim("2026-03-22T23:59:59Z"), "allowed");
    assert_eq!(sim("2026-03-23T00:00:00Z"), "implicitDeny");
    assert_eq!(sim("2026-03-24T00:00:00Z"), "implicitDeny");

    // Cleanup before the expiry changes nothing.
    let before = t.dumps().await;
    let o = t.ok(&["cleanup", "cfg", "--yes"]);
    assert!(
        o.stderr
            .contains("nothing expired as of 2026-03-21T11:36:28Z"),
        "{}",
        o.stderr
    );
    assert_eq!(t.dumps().await, before);

    // Without --yes and no terminal: refused, nothing changed.
    t.fails(&["cleanup", "cfg", "--at", "2026-03-24T00:00:00Z"], 2);
    assert_eq!(t.dumps().await, before);

    // After the first expiry: only that grant goes (detach, then delete).
    let o = t.ok(&["cleanup", "cfg", "--at", "2026-03-24T00:00:00Z", "--yes"]);
    assert!(
        o.stderr.contains(&format!(
            "  - detach {ec2} from user bob\n  - delete policy {ec2}\n"
        )),
        "{}",
        o.stderr
    );
    let mut want = vec![p.ours("core", s3), p.ours("core", s3_copy)];
    want.sort();
    assert_eq!(p.attached("user", "bob").await, want);
    assert!(!p.local_policies().await.contains(&ec2.to_string()));

    // The YAML entry of the second grant is gone before it expires; cleanup
    // after its expiry still finds its policies by their tags.
    t.remove("temporary-access/core.yaml");
    t.ok(&["cleanup", "cfg", "--at", "2026-03-25T23:59:58Z", "--yes"]);
    assert_eq!(p.attached("user", "bob").await, want);
    t.ok(&["cleanup", "cfg", "--at", "2026-03-26T00:00:00Z", "--yes"]);
    assert!(p.attached("user", "bob").await.is_empty());
    assert_eq!(p.local_policies().await, ["core-ec2-full", "core-s3-read"]);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// A stand-in STS that records what it was asked, and either denies every
/// request or (`wrong_account`) hands out a session that says it is in
/// account 999999999999.
struct DenyingSts {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn denying_sts() -> DenyingSts {
    fake_sts(false)
}

fn fake_sts(wrong_account: bool) -> DenyingSts {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then Content-Length bytes of body.
            let body_start = loop {
                let Ok(n) = s.read(&mut chunk) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(start) = body_start else { continue };
            let head = String::from_utf8_lossy(&buf[..start]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < start + len {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            seen.lock()
                .expect("requests")
                .push(String::from_utf8_lossy(&buf[start..]).into_owned());
            let asked = String::from_utf8_lossy(&buf[start..]).into_owned();
            let ns = "https://sts.amazonaws.com/doc/2011-06-15/";
            let (status, body) = if !wrong_account {
                ("403 Forbidden", format!("<ErrorResponse xmlns=\"{ns}\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>r1</RequestId></ErrorResponse>"))
            } else if asked.contains("Action=AssumeRole") {
                ("200 OK", format!("<AssumeRoleResponse xmlns=\"{ns}\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>fake</SecretAccessKey><SessionToken>fake</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:iamctl</AssumedRoleId><Arn>arn:aws:sts::999999999999:assumed-role/IAMAsCodeDeployer/iamctl</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></AssumeRoleResponse>"))
            } else {
                ("200 OK", format!("<GetCallerIdentityResponse xmlns=\"{ns}\"><GetCallerIdentityResult><Arn>arn:aws:sts::999999999999:assumed-role/IAMAsCodeDeployer/iamctl</Arn><UserId>AROAFAKE:iamctl</UserId><Account>999999999999</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></GetCallerIdentityResponse>"))
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    DenyingSts { url, requests }
}

#[tokio::test]
async fn bad_config_and_assume_role_failure_change_nothing() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    // Every bad configuration below would also create user newbie.
    t.write(
        "users/core.yaml",
        &format!("{USERS}  newbie@example.com: {{}}\n"),
    );
    let before = (t.dumps().await, t.env.state().await);
    let temporary = |date: &str| {
        format!(
            "temporary-access:\n  - description: debug\n    expiration_date: {date}\n    user: bob@example.com\n    environment: prod\n    grant: ec2.full\n"
        )
    };
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "unknown grant",
            "permanent-access/core.yaml",
            PERMANENT.replace("grants: [s3.read]", "grants: [s3.reed]"),
            "unknown grant `s3.reed`",
        ),
        (
            "bad date",
            "temporary-access/core.yaml",
            temporary("30/11/2026"),
            "bad expiration date",
        ),
        (
            "expiry too far",
            "temporary-access/core.yaml",
            temporary("2026-04-30"),
            "expiration date `2026-04-30` is more than 6 days after",
        ),
        (
            "malformed YAML",
            "groups/core.yaml",
            "groups:\n  readers:\n    members: [alice@example.com\n  writers: {}\n".into(),
            "malformed YAML",
        ),
        (
            "unknown policy key",
            "aws-policies/core.yaml",
            POLICIES.replace(
                "    custom_statements:\n      - sid: Data",
                "    custom_statement:\n      - sid: Data",
            ),
            "unknown key `custom_statement` in policy `s3.read`",
        ),
        (
            "unknown policy key for a boundary",
            "roles/core.yaml",
            format!("{ROLES}    permissions_boundary: ec2.ful\n"),
            "unknown policy key `ec2.ful` for a permissions boundary",
        ),
    ];
    for (what, file, text, message) in &cases {
        let good = std::fs::read_to_string(t.env.path(&format!("cfg/{file}"))).ok();
        t.write(file, text);
        for args in [
            &["plan", "cfg"][..],
            &["apply", "cfg", "--yes"][..],
            &["cleanup", "cfg", "--yes", "--at", "2026-04-01T00:00:00Z"][..],
        ] {
            let o = t.run(args);
            assert_eq!(o.code, 3, "{what}: {args:?}:\n{}{}", o.stdout, o.stderr);
            let err = flat(&o.stderr);
            assert!(
                err.contains(message),
                "{what}: {args:?}: no {message:?} in:\n{}",
                o.stderr
            );
            assert!(
                err.contains("no account was read or changed"),
                "{what}: {}",
                o.stderr
            );
            assert!(
                o.stderr.contains(&format!("[{file}:")),
                "{what}: {}",
                o.stderr
            );
        }
        match good {
            Some(g) => t.write(file, &g),
            None => t.remove(file),
        }
    }
    assert_eq!((t.dumps().await, t.env.state().await), before);

    // AssumeRole denied: exit 1, the environment and account named, nothing
    // changed anywhere, and no fallback to the caller's own account.
    let sts = denying_sts();
    let vars = [("AWS_ENDPOINT_URL_STS", Some(sts.url.as_str()))];
    for args in [
        &["plan", "cfg"][..],
        &["apply", "cfg", "--yes"][..],
        &["cleanup", "cfg", "--yes", "--at", "2026-04-01T00:00:00Z"][..],
    ] {
        let o = t.env.run_env(args, &vars);
        assert_eq!(o.code, 1, "{args:?}:\n{}{}", o.stdout, o.stderr);
        let named = [("dev", &t.dev.id), ("prod", &t.prod.id)]
            .iter()
            .any(|(e, id)| {
                o.stderr
                    .contains(&format!("environment `{e}` (account `{id}`)"))
            });
        assert!(named, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains("never falls back"), "{}", o.stderr);
        assert!(o.stderr.contains("`sts:AssumeRole`"), "{}", o.stderr);
    }
    // A session that turns out to be in another account is refused too.
    let elsewhere = fake_sts(true);
    let vars = [("AWS_ENDPOINT_URL_STS", Some(elsewhere.url.as_str()))];
    let o = t.env.run_env(&["plan", "cfg"], &vars);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("gave a session in account `999999999999`"),
        "{}",
        o.stderr
    );
    assert_eq!((t.dumps().await, t.env.state().await), before);
    let asked = sts.requests.lock().expect("requests").clone();
    assert!(
        asked.iter().any(|r| r.contains("Action=AssumeRole")
            && r.contains(&format!(
                "RoleArn=arn%3Aaws%3Aiam%3A%3A{}%3Arole%2FIAMAsCodeDeployer",
                t.dev.id
            ))),
        "{asked:?}"
    );

    // Fixed, the same configuration applies.
    t.ok(&["apply", "cfg", "--yes"]);
    assert!(t.prod.users().await.contains(&"newbie".to_string()));
}

#[tokio::test]
async fn env_team_and_deployer_role_select_what_is_planned() {
    let t = Iac::new().await;
    t.base();
    // dev's deployer role takes an external id.
    t.write(
        "aws-accounts/core.yaml",
        &format!(
            "aws-accounts:\n  dev:\n    account_id: \"{}\"\n    external_id: dev-ext-1\n  prod: \"{}\"\n",
            t.dev.id, t.prod.id
        ),
    );
    // A second team, in dev only.
    t.write(
        "aws-accounts/data.yaml",
        &format!(
            "aws-accounts:\n  dev:\n    account_id: \"{}\"\n    external_id: dev-ext-1\n",
            t.dev.id
        ),
    );
    t.write(
        "aws-policies/data.yaml",
        "aws-policies:\n  lake:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:PutObject\"]\n        resources: [\"arn:aws:s3:::lake/*\"]\n",
    );
    t.write("users/data.yaml", "users:\n  carol@example.com: {}\n");
    t.write(
        "permanent-access/data.yaml",
        "permanent-access:\n  - users: [carol@example.com]\n    environments: [dev]\n    grants: [lake]\n",
    );

    // --env: only prod is read, planned and applied.
    let o = t.ok(&["plan", "cfg", "--env", "prod"]);
    assert!(o.stdout.contains(&format!("account {} (prod)", t.prod.id)));
    assert!(!o.stdout.contains("(dev)"), "{}", o.stdout);
    assert!(o.stderr.contains("read 1 account(s)"), "{}", o.stderr);
    // Issue 20.6: which account, and through which role (not the caller's).
    let through = format!(
        "  prod: account {0} through the role arn:aws:iam::{0}:role/IAMAsCodeDeployer\n",
        t.prod.id
    );
    assert!(o.stderr.contains(&through), "{}", o.stderr);
    let applied = t.ok(&["apply", "cfg", "--env", "prod", "--yes"]);
    assert!(applied.stderr.contains(&through), "{}", applied.stderr);
    assert_eq!(t.prod.users().await, ["alice", "bob"]);
    assert!(t.dev.users().await.is_empty());
    let o = t.fails(&["plan", "cfg", "--env", "staging"], 3);
    assert!(
        o.stderr.contains("no account for environment `staging`"),
        "{}",
        o.stderr
    );

    // --team: only that team's resources.
    let o = t.ok(&["plan", "cfg", "--team", "data"]);
    assert!(
        o.stdout.contains("  + create user carol at path /\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("    user carol gains s3:PutObject on arn:aws:s3:::lake/*\n"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("alice"), "{}", o.stdout);
    assert!(!o.stdout.contains("(prod)"), "{}", o.stdout);
    t.ok(&["apply", "cfg", "--team", "data", "--yes"]);
    assert_eq!(t.dev.users().await, ["carol"]);
    assert_eq!(t.dev.local_policies().await, ["data-lake"]);
    assert_eq!(t.dev.user_tags("carol").await["iamctl:team"], "data");
    t.ok(&["plan", "cfg", "--team", "data", "--detailed-exitcode"]);

    // Team core in dev leaves team data's resources alone.
    let o = t.ok(&["plan", "cfg", "--team", "core", "--env", "dev"]);
    assert!(!o.stdout.contains("carol"), "{}", o.stdout);
    assert!(!o.stdout.contains("data-lake"), "{}", o.stdout);
    t.ok(&["apply", "cfg", "--team", "core", "--env", "dev", "--yes"]);
    assert_eq!(t.dev.users().await, ["alice", "bob", "carol"]);
    assert_eq!(
        t.dev.local_policies().await,
        ["core-ec2-full", "core-s3-read", "data-lake"]
    );
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    let o = t.fails(&["plan", "cfg", "--team", "nobody"], 3);
    assert!(o.stderr.contains("no team `nobody`"), "{}", o.stderr);

    // --deployer-role: accepted (moto lets any role be assumed) ...
    t.ok(&[
        "plan",
        "cfg",
        "--deployer-role",
        "OtherDeployer",
        "--detailed-exitcode",
    ]);
    // ... and it is the role asked for, with the environment's external id.
    let sts = denying_sts();
    let vars = [("AWS_ENDPOINT_URL_STS", Some(sts.url.as_str()))];
    let o = t.env.run_env(
        &[
            "plan",
            "cfg",
            "--deployer-role",
            "OtherDeployer",
            "--env",
            "dev",
        ],
        &vars,
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let asked = sts.requests.lock().expect("requests").clone();
    let role = format!(
        "RoleArn=arn%3Aaws%3Aiam%3A%3A{}%3Arole%2FOtherDeployer",
        t.dev.id
    );
    assert!(asked.iter().any(|r| r.contains(&role)), "{asked:?}");
    assert!(
        asked.iter().all(|r| !r.contains("IAMAsCodeDeployer")),
        "{asked:?}"
    );
    assert!(
        asked.iter().any(|r| r.contains("ExternalId=dev-ext-1")),
        "{asked:?}"
    );
}

#[tokio::test]
async fn seed001_example_applies_with_its_master_copy() {
    let t = Iac::new().await;
    // The shipped example, its account replaced by a fresh one.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac/seed001");
    for rel in [
        "settings.yaml",
        "users/platform.yaml",
        "roles/platform.yaml",
        "aws-policies/platform.yaml",
        "permanent-access/platform.yaml",
    ] {
        t.write(
            rel,
            &std::fs::read_to_string(root.join(rel)).expect("example"),
        );
    }
    t.write(
        "aws-accounts/platform.yaml",
        &format!("aws-accounts:\n  sandbox: \"{}\"\n", t.dev.id),
    );
    // The master copy's bucket lives in the caller's account, and does not
    // exist yet: apply creates it, private.
    assert!(t
        .env
        .s3
        .head_bucket()
        .bucket("iam-master-copy")
        .send()
        .await
        .is_err());
    let o = t.ok(&["plan", "cfg"]);
    assert!(
        o.stdout.contains("    role operator gains "),
        "{}",
        o.stdout
    );
    let o = t.ok(&["apply", "cfg", "--yes"]);
    assert!(
        o.stderr
            .contains("master copy: created bucket `iam-master-copy`"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("master copy:"), "{}", o.stderr);
    let s3 = &t.env.s3;
    let bpa = s3
        .get_public_access_block()
        .bucket("iam-master-copy")
        .send()
        .await
        .expect("GetPublicAccessBlock");
    let c = bpa
        .public_access_block_configuration()
        .expect("configuration");
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = s3
        .get_bucket_encryption()
        .bucket("iam-master-copy")
        .send()
        .await
        .expect("GetBucketEncryption");
    let rule = &enc
        .server_side_encryption_configuration()
        .expect("encryption")
        .rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .expect("default")
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    // Versioning: moto's GetBucketVersioning answer does not decode in the
    // SDK, so the objects' version ids say it (`null` when unversioned).
    let versions = s3
        .list_object_versions()
        .bucket("iam-master-copy")
        .send()
        .await
        .expect("ListObjectVersions");
    assert!(!versions.versions().is_empty());
    assert!(versions
        .versions()
        .iter()
        .all(|v| v.version_id().is_some_and(|id| id != "null")));
    let tags = s3
        .get_bucket_tagging()
        .bucket("iam-master-copy")
        .send()
        .await
        .expect("GetBucketTagging");
    assert!(tags
        .tag_set()
        .iter()
        .any(|t| t.key() == "managed-by" && t.value() == "iamctl"));
    let d = &t.dev;
    assert_eq!(d.users().await, ["alice", "bob", "carol"]);
    let trust = d.trust("operator").await;
    let st = &trust["Statement"][0];
    let mut who: Vec<String> = st["Principal"]["AWS"]
        .as_array()
        .expect("three principals")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    who.sort();
    assert_eq!(
        who,
        [
            d.arn("user", "alice"),
            d.arn("user", "bob"),
            d.arn("user", "carol")
        ]
    );
    assert_eq!(
        st["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
        "true"
    );
    let mut want = vec![
        d.ours("platform", "platform-deny-iam-user-creation"),
        d.ours("platform", "platform-s3-read-ec2-full"),
    ];
    want.sort();
    assert_eq!(d.attached("role", "operator").await, want);
    let objects = t
        .env
        .s3
        .list_objects_v2()
        .bucket("iam-master-copy")
        .prefix("seed001/")
        .send()
        .await
        .expect("ListObjectsV2");
    let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert!(
        keys.contains(&"seed001/20260321T113628Z/config/roles/platform.yaml"),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"seed001/20260321T113628Z/snapshots/sandbox.json"),
        "{keys:?}"
    );
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    // Nothing landed in the caller's own IAM.
    assert!(t.env.user_names().await.is_empty());
}

#[tokio::test]
async fn grants_of_our_policies_end_when_their_principal_leaves_the_yaml() {
    let t = Iac::new().await;
    t.base();
    // `legacy` exists in both accounts, made by someone else.
    for a in [&t.dev, &t.prod] {
        a.iam
            .create_user()
            .user_name("legacy")
            .send()
            .await
            .expect("CreateUser");
    }
    t.write(
        "users/core.yaml",
        &format!("{USERS}  legacy:\n    existing: true\n"),
    );
    t.write(
        "permanent-access/core.yaml",
        &format!(
            "{PERMANENT}  - description: legacy reads\n    users: [legacy]\n    environments: [dev, prod]\n    grants: [s3.read]\n"
        ),
    );
    t.ok(&["apply", "cfg", "--yes"]);
    let mut both = vec![t.prod.ours("core", "core-s3-read"), READONLY.to_string()];
    both.sort();
    assert_eq!(t.prod.attached("user", "legacy").await, both);
    // Someone attaches our EC2 policy to their own user by hand.
    outsiders(&t.dev).await;
    t.dev
        .iam
        .attach_user_policy()
        .user_name("outsider")
        .policy_arn(t.dev.ours("core", "core-ec2-full"))
        .send()
        .await
        .expect("AttachUserPolicy");

    // legacy and the group leave the configuration, with their grants.
    t.write("users/core.yaml", USERS);
    t.remove("groups/core.yaml");
    t.write(
        "permanent-access/core.yaml",
        &PERMANENT.replace(
            "  - description: readers read\n    groups: [readers]\n    environments: [dev, prod]\n    grants: [s3.read]\n",
            "",
        ),
    );
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    let out = &o.stdout;
    for line in [
        "  - detach core-s3-read from user legacy, and its record removed from the user's tags\n",
        // Made by iamctl under /iamctl/core/: ours, so deleted with what it
        // holds (members, attached and inline policies).
        "  - delete group readers (and its memberships and policies)\n",
        "  - detach core-ec2-full from user outsider\n",
        "    user outsider loses ",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(
        !out.contains("group `readers` is not in the configuration"),
        "{out}"
    );
    // legacy keeps s3:GetObject through AmazonS3ReadOnlyAccess: no loss shown.
    // iamctl attached AmazonS3ReadOnlyAccess to legacy, and recorded it
    // there: it goes too (issue 8).
    assert!(
        out.contains("  - detach AmazonS3ReadOnlyAccess from user legacy, and its record removed from the user's tags\n"),
        "{out}"
    );
    assert!(out.contains("    user legacy loses "), "{out}");
    t.ok(&["apply", "cfg", "--yes"]);
    for a in [&t.dev, &t.prod] {
        assert!(a.attached("user", "legacy").await.is_empty());
        let gone = a.iam.get_group().group_name("readers").send().await;
        assert!(
            gone.as_ref().is_err_and(|e| e
                .as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception())),
            "{gone:?}"
        );
        assert!(a.user_tags("legacy").await.is_empty());
    }
    assert_eq!(
        t.dev.attached("user", "outsider").await,
        [t.dev.arn("policy", "outsider-policy")]
    );
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

#[tokio::test]
async fn s3_users_inline_policies_follow_the_yaml() {
    let t = Iac::new().await;
    t.write("aws-accounts/core.yaml", &t.accounts_yaml());
    let s3_user = |access: &str| {
        format!("s3-users:\n  - bucket: shared\n    user: alex@example.com\n    access: {access}\n")
    };
    t.write("s3-users/core.yaml", &s3_user("read-write"));
    let o = t.ok(&["apply", "cfg", "--yes"]);
    assert!(
        o.stderr
            .lines()
            .any(|l| l.starts_with("    user alex gains ")
                && l.contains("s3:PutObject on arn:aws:s3:::shared/alex/*")),
        "{}",
        o.stderr
    );
    let inline = |a: &Account| {
        let iam = a.iam.clone();
        async move {
            let out = iam
                .get_user_policy()
                .user_name("alex")
                .policy_name("s3-user-alex-shared")
                .send()
                .await
                .expect("GetUserPolicy");
            decode_policy(out.policy_document())
        }
    };
    for a in [&t.dev, &t.prod] {
        assert_eq!(a.user_tags("alex").await["managed-by"], "iamctl");
        assert!(inline(a).await.to_string().contains("s3:PutObject"));
    }
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);

    // Read only: the inline policy is rewritten.
    t.write("s3-users/core.yaml", &s3_user("read"));
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    assert!(
        o.stdout
            .contains("  ~ update inline policy s3-user-alex-shared of user alex\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .lines()
            .any(|l| l.starts_with("    user alex loses ")
                && l.contains("s3:PutObject on arn:aws:s3:::shared/alex/*")),
        "{}",
        o.stdout
    );
    t.ok(&["apply", "cfg", "--yes"]);
    for a in [&t.dev, &t.prod] {
        assert!(!inline(a).await.to_string().contains("s3:PutObject"));
    }

    // Drift: the inline policy deleted and another added outside.
    t.dev
        .iam
        .delete_user_policy()
        .user_name("alex")
        .policy_name("s3-user-alex-shared")
        .send()
        .await
        .expect("DeleteUserPolicy");
    t.dev
        .iam
        .put_user_policy()
        .user_name("alex")
        .policy_name("extra")
        .policy_document(POLICY)
        .send()
        .await
        .expect("PutUserPolicy");
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    assert!(
        o.stdout
            .contains("  + put inline policy s3-user-alex-shared on user alex\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("  - delete inline policy extra of user alex\n"),
        "{}",
        o.stdout
    );
    t.ok(&["apply", "cfg", "--yes"]);
    assert!(inline(&t.dev).await.to_string().contains("s3:GetObject"));
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);

    // Removed from the YAML: the user goes, with its inline policy.
    t.remove("s3-users/core.yaml");
    t.ok(&["apply", "cfg", "--yes"]);
    for a in [&t.dev, &t.prod] {
        assert!(a.users().await.is_empty());
    }
}

/// Issue 12.2: AWS-managed documents read after GetAccountAuthorizationDetails
/// arrive in completion order; the account's fingerprint must not depend on
/// it. With several AWS-managed policies attached, a saved plan applies every
/// time.
#[tokio::test]
async fn saved_plans_apply_every_time_with_aws_managed_policies_attached() {
    let t = Iac::new().await;
    t.base();
    t.write(
        "aws-policies/core.yaml",
        &format!(
            "{POLICIES}  many.read:\n    managed_policies:\n      - arn:aws:iam::aws:policy/ReadOnlyAccess\n      - arn:aws:iam::aws:policy/IAMReadOnlyAccess\n      - arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess\n      - arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess\n"
        ),
    );
    t.write(
        "permanent-access/core.yaml",
        &format!(
            "{PERMANENT}  - description: bob reads\n    users: [bob@example.com]\n    environments: [dev]\n    grants: [many.read]\n"
        ),
    );
    t.ok(&["apply", "cfg", "--yes"]);
    assert_eq!(t.dev.attached("user", "bob").await.len(), 4);
    let mut applied = 0;
    for i in 0..10 {
        let file = format!("plan{i}.json");
        t.ok(&["plan", "cfg", "--env", "dev", "--out", &file]);
        let o = t.run(&["apply", "cfg", "--plan", &file, "--env", "dev", "--yes"]);
        if o.code == 0 {
            applied += 1;
        } else {
            eprintln!("{}", o.stderr);
        }
    }
    assert_eq!(applied, 10);
}

/// Issue 12.1: a saved plan does only what a fresh plan of the same
/// configuration does. Changes appended to the file are refused, naming the
/// first difference, and nothing changes in the account.
#[tokio::test]
async fn a_tampered_saved_plan_is_refused_and_changes_nothing() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    // Someone else's user, untagged: not iamctl's to delete.
    t.dev
        .iam
        .create_user()
        .user_name("victim")
        .send()
        .await
        .expect("CreateUser");
    // A pending change, so the saved plan is not empty.
    t.write(
        "users/core.yaml",
        &format!("{USERS}  carol@example.com: {{}}\n"),
    );
    t.ok(&["plan", "cfg", "--out", "plan.json"]);
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(t.env.path("plan.json")).expect("plan"))
            .expect("JSON");
    let before = t.dumps().await;
    let tampered = [
        json!({"op": "delete-user", "name": "victim"}),
        json!({"op": "attach", "kind": "user", "name": "alice", "arn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        json!({"op": "create-user", "name": "mallory", "path": "/", "tags": {"managed-by": "iamctl", "iamctl:team": "core", "iamctl:key": "mallory"}}),
        json!({"op": "update-trust", "name": "operator", "old": {}, "new": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]}}),
    ];
    let summaries = [
        "delete user victim",
        "attach AdministratorAccess to user alice",
        "create user mallory",
        "update trust policy of role operator",
    ];
    for (change, summary) in tampered.iter().zip(summaries) {
        let mut file = original.clone();
        let changes = file["plans"][0]["changes"].as_array_mut().expect("changes");
        let n = changes.len();
        changes.push(change.clone());
        std::fs::write(t.env.path("tampered.json"), file.to_string()).expect("write");
        let o = t.fails(&["apply", "cfg", "--plan", "tampered.json", "--yes"], 1);
        let err = flat(&o.stderr);
        assert!(
            err.contains(&format!(
                "the saved plan for `dev` is not what the configuration plans: change {} of the saved plan, `{summary}",
                n + 1
            )),
            "{err}"
        );
        assert!(err.contains("nothing was applied"), "{err}");
        assert_eq!(t.dumps().await, before, "{summary} changed the account");
    }
    // A change swapped for another in place is refused too.
    let mut file = original.clone();
    file["plans"][0]["changes"][0] = tampered[1].clone();
    std::fs::write(t.env.path("tampered.json"), file.to_string()).expect("write");
    let o = t.fails(&["apply", "cfg", "--plan", "tampered.json", "--yes"], 1);
    assert!(
        flat(&o.stderr).contains("change 1 of the saved plan is `attach AdministratorAccess to user alice`, a fresh plan has `create user carol` there"),
        "{}",
        o.stderr
    );
    // Another format version is refused before any account is read.
    let mut file = original.clone();
    file["version"] = json!(1);
    std::fs::write(t.env.path("old.json"), file.to_string()).expect("write");
    let o = t.fails(&["apply", "cfg", "--plan", "old.json", "--yes"], 3);
    assert!(
        flat(&o.stderr).contains("plan format version 1, this iamctl reads version 3"),
        "{}",
        o.stderr
    );
    assert_eq!(t.dumps().await, before);
    // The untampered plan applies, exactly.
    let o = t.ok(&["apply", "cfg", "--plan", "plan.json", "--yes"]);
    assert!(
        o.stderr
            .contains("applied 2 of 2 change(s) in 2 account(s)"),
        "{}",
        o.stderr
    );
    assert_eq!(t.dev.users().await, ["alice", "bob", "carol", "victim"]);
    assert!(t
        .dev
        .attached("user", "alice")
        .await
        .iter()
        .all(|a| !a.contains("AdministratorAccess")));
}

/// A fake S3 that knows every bucket (HEAD answers 200) and refuses every
/// write with AccessDenied.
fn refusing_s3() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let start = loop {
                let Ok(n) = s.read(&mut chunk) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(start) = start else { continue };
            let head = String::from_utf8_lossy(&buf[..start]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < start + len {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            if head.contains("/locks/") {
                // The apply's lock objects are accepted: only the copy fails.
                let reply = if head.starts_with("put ") {
                    "HTTP/1.1 200 OK\r\nETag: \"1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else if head.starts_with("delete ") {
                    "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: 70\r\nConnection: close\r\n\r\n<Error><Code>NoSuchKey</Code><Message>none</Message></Error>        "
                };
                let _ = write!(s, "{reply}");
            } else if head.starts_with("head ") {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nx-amz-bucket-region: us-east-1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            } else {
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>r1</RequestId></Error>";
                let _ = write!(
                    s,
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        }
    });
    url
}

/// Issue 8.4: a master copy that cannot be written has its own exit status,
/// and the IAM changes apply made stand.
#[tokio::test]
async fn a_failed_master_copy_upload_exits_5_and_the_iam_changes_stand() {
    let t = Iac::new().await;
    t.base();
    t.write(
        "settings.yaml",
        "settings:\n  master_copy: s3://iamctl-refused-copy/prefix/\n",
    );
    let s3 = refusing_s3();
    let o = t.env.run_env(
        &["apply", "cfg", "--yes", "--output", "json"],
        &[("AWS_ENDPOINT_URL_S3", Some(&s3))],
    );
    assert_eq!(o.code, 5, "{}\n{}", o.stdout, o.stderr);
    // With `--output json` the one document says so too.
    let doc: Value = serde_json::from_str(&o.stdout).expect("one JSON document");
    assert_eq!(doc["result"], "failed", "{doc}");
    assert_eq!(doc["exit_code"], 5, "{doc}");
    assert_eq!(doc["master_copy_written"], false, "{doc}");
    let err = flat(&o.stderr);
    assert!(err.contains("applied 23 of 23 change(s)"), "{err}");
    assert!(
        err.contains("the master copy was not written to `s3://iamctl-refused-copy/prefix/`; the IAM changes were applied and stand (exit 5)"),
        "{err}"
    );
    assert_eq!(t.dev.users().await, ["alice", "bob"]);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// Issue 8.2: seed 004's example (its typo fixed, nothing added), with its
/// users and role existing in the accounts as the seed requires, plans in a
/// page a reviewer reads: under 150 lines of text, markdown under GitHub's
/// 65,536 characters, and the CI role's PowerUserAccess (an Allow with
/// `NotAction`) shown as write access to nearly every service.
#[tokio::test]
async fn seed004_plans_in_a_page_and_names_the_ci_roles_new_write_access() {
    let t = Iac::new().await;
    let acceptance = Account::new(&t.env.endpoint).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/iac/seed004");
    for rel in [
        "aws-policies/example-team.yaml",
        "permanent-access/example-team.yaml",
        "temporary-access/example-team.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(rel)).expect("example");
        // The expiry within six days of the tests' clock (2026-03-21).
        t.write(rel, &text.replace("2025-11-30", "2026-03-24"));
    }
    t.write(
        "aws-accounts/example-team.yaml",
        &format!(
            "aws-accounts:\n  nonprod: \"{}\"\n  acceptance: \"{}\"\n  prod: \"{}\"\n",
            t.dev.id, acceptance.id, t.prod.id
        ),
    );
    for a in [&t.dev, &acceptance, &t.prod] {
        for u in ["user1", "user2", "developer"] {
            a.iam
                .create_user()
                .user_name(u)
                .send()
                .await
                .expect("CreateUser");
        }
        a.iam
            .create_role()
            .role_name("github-actions-deployer")
            .assume_role_policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]}).to_string(),
            )
            .send()
            .await
            .expect("CreateRole");
    }
    let text = t.ok(&["plan", "cfg"]).stdout;
    let lines = text.lines().count();
    assert!(lines < 150, "{lines} lines:\n{text}");
    let ci = text
        .lines()
        .find(|l| l.starts_with("    role github-actions-deployer gains "))
        .unwrap_or_else(|| panic!("no line for the CI role:\n{text}"));
    assert!(ci.contains("write access to "), "{ci}");
    assert!(ci.contains("including ec2, s3, lambda"), "{ci}");
    let services: usize = ci
        .split("write access to ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a number of services");
    assert!(services > 300, "{ci}");
    assert!(text.contains("      risky: "), "{text}");
    // ReadOnlyAccess: read and list, no write to speak of.
    let user1 = text
        .lines()
        .find(|l| l.starts_with("    user user1 gains "))
        .expect("user1");
    assert!(user1.contains("read access to "), "{user1}");
    // The temporary break-glass says until when.
    assert!(
        text.contains("    user developer gains until 2026-03-24T23:59:59Z: "),
        "{text}"
    );
    let md = t.ok(&["plan", "cfg", "--format", "markdown"]).stdout;
    assert!(md.len() < 65_536, "{} bytes", md.len());
    assert!(
        md.contains("- role github-actions-deployer **gains** "),
        "{md}"
    );
    // Full detail in JSON: every action of every service.
    let json = t.ok(&["plan", "cfg", "--format", "json"]).json();
    let nonprod = json["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["environment"] == "nonprod")
        .expect("nonprod");
    let ci = nonprod["access"]
        .as_array()
        .expect("access")
        .iter()
        .find(|a| a["principal"] == "role github-actions-deployer")
        .expect("the CI role");
    assert!(ci["actions"]["ec2"]["Write"]
        .as_array()
        .expect("ec2 writes")
        .contains(&json!("RunInstances")));
    assert!(ci["actions"]
        .get("iam")
        .is_none_or(|iam| iam.get("Permissions management").is_none()));
    // It applies, and then there is nothing to plan.
    t.ok(&["apply", "cfg", "--yes"]);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// Issue 8: removing users from a grant detaches exactly what iamctl
/// attached to them, AWS-managed policies included (recorded in a tag on the
/// principal, which iamctl does not own), and never a hand-made attachment of
/// the same policy. Afterwards each user holds what it held before iamctl.
#[tokio::test]
async fn removing_a_grant_restores_existing_users_to_what_they_had() {
    let t = Iac::new().await;
    const RO: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let d = &t.dev;
    for u in ["user1", "user2", "user3"] {
        d.iam
            .create_user()
            .user_name(u)
            .send()
            .await
            .expect("CreateUser");
    }
    // user2 has ReadOnlyAccess by hand, before iamctl.
    d.iam
        .attach_user_policy()
        .user_name("user2")
        .policy_arn(RO)
        .send()
        .await
        .expect("AttachUserPolicy");
    let before = d.dump().await;
    t.write(
        "aws-accounts/example-team.yaml",
        &format!("aws-accounts:\n  nonprod: \"{}\"\n", d.id),
    );
    t.write(
        "aws-policies/example-team.yaml",
        "aws-policies:\n  developers.read-only:\n    description: \"Read Only access for developers\"\n    managed_policies:\n      - \"arn:aws:iam::aws:policy/ReadOnlyAccess\"\n    custom_statements:\n      - effect: \"Allow\"\n        actions: [\"s3:ListBucket\", \"ec2:DescribeInstances\"]\n        resources: [\"*\"]\n",
    );
    let grant = |users: &str| {
        format!("permanent-access:\n  - description: Team read-only access\n    users: [{users}]\n    environments: [nonprod]\n    grants: [developers.read-only]\n")
    };
    t.write(
        "permanent-access/example-team.yaml",
        &grant("user1@example.com, user2@example.com"),
    );
    t.ok(&["apply", "cfg", "--yes"]);
    let custom = d.ours("example-team", "example-team-developers-read-only");
    let mut want = vec![RO.to_string(), custom.clone()];
    want.sort();
    assert_eq!(d.attached("user", "user1").await, want);
    assert_eq!(d.attached("user", "user2").await, want);
    // The record is on user1 only: user2's ReadOnlyAccess is not iamctl's.
    assert_eq!(
        d.user_tags("user1").await,
        tags(&[
            ("iamctl:attached:aws/ReadOnlyAccess", RO),
            (
                "iamctl:attached:local/iamctl/example-team/example-team-developers-read-only",
                &custom
            )
        ])
    );
    assert_eq!(
        d.user_tags("user2").await,
        tags(&[(
            "iamctl:attached:local/iamctl/example-team/example-team-developers-read-only",
            &custom
        )])
    );
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);

    // The grant moves to user3.
    t.write(
        "permanent-access/example-team.yaml",
        &grant("user3@example.com"),
    );
    let o = t.ok(&["plan", "cfg"]);
    assert!(
        o.stdout
            .contains("  - detach ReadOnlyAccess from user user1, and its record removed from the user's tags\n"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("detach ReadOnlyAccess from user user2"),
        "{}",
        o.stdout
    );
    t.ok(&["apply", "cfg", "--yes"]);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    let after = d.dump().await;
    for u in ["user1", "user2"] {
        assert_eq!(after["users"][u], before["users"][u], "{u}");
    }
    assert_eq!(d.attached("user", "user3").await, want);
}

/// Issue 12.5: what the YAML stops saying is planned and converges: a tag
/// removed, a user's and a group's path, a role's description and maximum
/// session duration, a policy's path; a managed-policy ARN that does not
/// exist is reported as such.
#[tokio::test]
async fn yaml_changes_to_tags_paths_role_settings_and_policy_paths_converge() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    assert_eq!(
        t.dev
            .user_tags("alice")
            .await
            .get("cost-centre")
            .map(String::as_str),
        Some("42")
    );
    t.write(
        "users/core.yaml",
        "users:\n  alice@example.com: {}\n  bob@example.com: {}\n",
    );
    t.write(
        "roles/core.yaml",
        "roles:\n  operator:\n    description: \"Runs EC2 now\"\n    max_session_duration: 7200\n    trust:\n      users: [alice@example.com]\n      require_mfa: true\n",
    );
    t.write(
        "aws-policies/core.yaml",
        &POLICIES.replace(
            "  ec2.full:\n    description: \"EC2\"\n",
            "  ec2.full:\n    description: \"EC2\"\n    path: /p/\n",
        ),
    );
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    for line in [
        "  ~ untag user alice cost-centre\n",
        "  ~ update role operator (description \"Runs EC2 now\", maximum session 7200 s)\n",
        &format!(
            "  ~ move policy core-ec2-full from {} to arn:aws:iam::{}:policy/p/core-ec2-full (deleted and made anew)\n",
            t.dev.ours("core", "core-ec2-full"),
            t.dev.id
        ),
    ] {
        assert!(o.stdout.contains(line), "missing {line:?} in:\n{}", o.stdout);
    }
    t.ok(&["apply", "cfg", "--yes"]);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
    let d = &t.dev;
    assert!(!d.user_tags("alice").await.contains_key("cost-centre"));
    let role = d
        .iam
        .get_role()
        .role_name("operator")
        .send()
        .await
        .expect("GetRole");
    let role = role.role().expect("role");
    assert_eq!(role.description(), Some("Runs EC2 now"));
    assert_eq!(role.max_session_duration(), Some(7200));
    let moved = format!("arn:aws:iam::{}:policy/p/core-ec2-full", d.id);
    assert!(d.attached("role", "operator").await.contains(&moved));
    assert!(d.attached("user", "alice").await.contains(&moved));
    assert!(!d.local_policies().await.is_empty());

    // Paths of a user and a group. (moto keeps tags by ARN, so a user moved
    // to another path loses its tags there, and it ignores a group's new
    // path: the account is checked, not a second plan.)
    t.write(
        "users/core.yaml",
        "users:\n  alice@example.com: {}\n  bob@example.com:\n    path: /team/\n",
    );
    t.write(
        "groups/core.yaml",
        "groups:\n  readers:\n    path: /g/\n    members: [alice@example.com, bob@example.com]\n",
    );
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    for line in [
        "  ~ move user bob to path /team/\n",
        "  ~ move group readers to path /g/\n",
    ] {
        assert!(
            o.stdout.contains(line),
            "missing {line:?} in:\n{}",
            o.stdout
        );
    }
    t.ok(&["apply", "cfg", "--yes"]);
    let bob = d
        .iam
        .get_user()
        .user_name("bob")
        .send()
        .await
        .expect("GetUser");
    assert_eq!(bob.user().expect("user").path(), "/team/");
    t.write("users/core.yaml", USERS);
    t.write("groups/core.yaml", GROUPS);

    // A grant of an AWS-managed policy that does not exist: a conflict
    // naming the policy, not a missing user.
    t.write(
        "aws-policies/core.yaml",
        &format!("{POLICIES}  nothing:\n    managed_policies: [\"arn:aws:iam::aws:policy/NoSuchPolicyEver\"]\n"),
    );
    t.write(
        "permanent-access/core.yaml",
        &format!("{PERMANENT}  - description: nothing\n    users: [alice@example.com]\n    environments: [dev]\n    grants: [nothing]\n"),
    );
    let o = t.fails(&["plan", "cfg"], 1);
    assert!(
        o.stdout.contains("conflict: AWS-managed policy `arn:aws:iam::aws:policy/NoSuchPolicyEver`, granted to user `alice`, does not exist"),
        "{}",
        o.stdout
    );
}

/// Issue 12.3: a directory holding only team `beta` leaves team `core`'s
/// resources alone and says so; `--prune-teams` removes them.
#[tokio::test]
async fn a_team_without_files_is_reported_and_pruned_only_when_asked() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    let before = t.dumps().await;
    for rel in [
        "aws-accounts/core.yaml",
        "aws-policies/core.yaml",
        "users/core.yaml",
        "roles/core.yaml",
        "groups/core.yaml",
        "permanent-access/core.yaml",
    ] {
        t.remove(rel);
    }
    t.write("aws-accounts/beta.yaml", &t.accounts_yaml());
    t.write("users/beta.yaml", "users:\n  carol@example.com: {}\n");
    let o = t.fails(&["plan", "cfg", "--detailed-exitcode"], 2);
    assert!(
        // Two users, a role, two policies (by their tags) and the group
        // `readers` (by its path, /iamctl/core/).
        o.stdout.contains("  warning: team `core` owns 6 resource(s) and has no files; they are left alone (pass `--prune-teams` to remove them)\n"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("  - delete"), "{}", o.stdout);
    t.ok(&["apply", "cfg", "--yes"]);
    let mut now = t.dumps().await;
    for a in [&mut now.0, &mut now.1] {
        a["users"].as_object_mut().expect("users").remove("carol");
    }
    assert_eq!(now, before);
    let o = t.fails(&["plan", "cfg", "--prune-teams", "--detailed-exitcode"], 2);
    assert!(o.stdout.contains("  - delete user alice"), "{}", o.stdout);
    assert!(
        o.stdout.contains("  - delete group readers"),
        "{}",
        o.stdout
    );
    t.ok(&["apply", "cfg", "--prune-teams", "--yes"]);
    assert_eq!(t.dev.users().await, ["carol"]);
    assert!(t.dev.local_policies().await.is_empty());
    let groups = t.dev.iam.list_groups().send().await.expect("ListGroups");
    assert!(groups.groups().is_empty(), "{groups:?}");
}

/// Issue 12.8: one apply per account at a time, by a lock object written
/// with an S3 conditional write in the master-copy bucket. A live lock is
/// refused naming its holder (or waited for with `--lock-timeout`), an
/// expired one taken over, and two applies at once end with one waiting
/// and no duplicate policy version.
#[tokio::test]
async fn applies_take_a_lock_per_account() {
    let t = Iac::new().await;
    t.base();
    let bucket = format!("iamctl-locks-{}", t.dev.id);
    t.write(
        "settings.yaml",
        &format!("settings:\n  master_copy: s3://{bucket}/copy/\n"),
    );
    t.ok(&["apply", "cfg", "--yes"]);
    let s3 = &t.env.s3;
    let key = format!("copy/locks/{}.json", t.dev.id);
    let put_lock = |expires: &'static str| {
        let body = json!({"holder": "someone else", "command": "apply", "environment": "dev",
            "account_id": t.dev.id, "started": "2026-03-21T11:00:00Z", "expires": expires});
        s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(body.to_string().into_bytes().into())
            .send()
    };
    let locks = || async {
        s3.list_objects_v2()
            .bucket(&bucket)
            .prefix("copy/locks/")
            .send()
            .await
            .expect("ListObjectsV2")
            .contents()
            .len()
    };
    assert_eq!(locks().await, 0, "released after the apply");

    // A live lock: refused, naming the holder; nothing changed.
    put_lock("2999-01-01T00:00:00Z").await.expect("PutObject");
    t.write(
        "users/core.yaml",
        &format!("{USERS}  carol@example.com: {{}}\n"),
    );
    let before = t.dumps().await;
    let o = t.fails(&["apply", "cfg", "--yes"], 1);
    assert!(
        flat(&o.stderr).contains(&format!(
            "account `{}` (dev) is locked by someone else (apply since 2026-03-21T11:00:00Z, until 2999-01-01T00:00:00Z); nothing was done",
            t.dev.id
        )),
        "{}",
        o.stderr
    );
    // Issue 20.6: with `--output json`, the refusal is the one document.
    let o = t.fails(&["--output", "json", "apply", "cfg", "--yes"], 1);
    let e = &o.json()["error"];
    assert_eq!(o.json()["result"], "failed", "{}", o.stdout);
    assert!(
        flat(e["message"].as_str().unwrap_or_default()).contains("(dev) is locked by someone else"),
        "{e}"
    );
    assert_eq!(t.dumps().await, before);

    // An expired one (its holder died): taken over.
    put_lock("2000-01-01T00:00:00Z").await.expect("PutObject");
    let o = t.ok(&["apply", "cfg", "--yes"]);
    assert!(
        o.stderr
            .contains("the lock of someone else expired; taking it over"),
        "{}",
        o.stderr
    );
    assert_eq!(locks().await, 0);

    // Two applies at once, each changing the same policy: one waits for the
    // other, both succeed, and the policy has one version per change.
    t.write(
        "aws-policies/core.yaml",
        &POLICIES.replace("actions: [\"ec2:*\"]", "actions: [\"ec2:Describe*\"]"),
    );
    let outs: Vec<Out> = std::thread::scope(|sc| {
        let a = sc.spawn(|| t.run(&["apply", "cfg", "--yes", "--lock-timeout", "120s"]));
        let b = sc.spawn(|| t.run(&["apply", "cfg", "--yes", "--lock-timeout", "120s"]));
        vec![a.join().expect("a"), b.join().expect("b")]
    });
    for o in &outs {
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let (_, versions) = t.dev.policy("core-ec2-full").await;
    assert_eq!(versions, ["v1", "v2"]);
    assert_eq!(locks().await, 0);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// Issue 8.3 (in part): plan reads the tags (ListPolicyTags, one call each)
/// only of the policies that can be the configuration's teams' (named
/// `<team>-...`, named by the configuration, or under `/iamctl/`), not of
/// every customer-managed policy in the account.
#[tokio::test]
async fn plan_reads_the_tags_only_of_policies_that_can_be_ours() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    let requests = |stderr: &str| -> usize {
        stderr
            .lines()
            .find_map(|l| {
                l.strip_prefix("read 2 account(s): 2 page(s) of GetAccountAuthorizationDetails, ")
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or_else(|| panic!("no count in {stderr}"))
    };
    let before = requests(&t.ok(&["plan", "cfg"]).stderr);
    for i in 0..20 {
        t.dev
            .iam
            .create_policy()
            .policy_name(format!("pop-p{i}"))
            .policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}).to_string(),
            )
            .send()
            .await
            .expect("CreatePolicy");
    }
    let after = requests(&t.ok(&["plan", "cfg", "--detailed-exitcode"]).stderr);
    assert_eq!(after, before);
    // --prune-teams reads them all (another team's may be among them).
    let all = requests(&t.ok(&["plan", "cfg", "--prune-teams"]).stderr);
    assert!(all >= before + 20, "{all} requests, {before} before");
}

/// Issue 11 item 9: `apply` and `cleanup` with `--output json` print one JSON
/// document: per account what was applied (removed), failed and blocked.
#[tokio::test]
async fn apply_and_cleanup_print_one_json_document() {
    let t = Iac::new().await;
    t.base();
    t.write("temporary-access/core.yaml", TEMPORARY);
    let o = t.ok(&["apply", "cfg", "--yes", "--output", "json"]);
    let doc: Value = serde_json::from_str(&o.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["command"], "apply", "{doc}");
    assert_eq!(doc["result"], "ok", "{doc}");
    let accounts = doc["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 2, "{doc}");
    let prod = accounts
        .iter()
        .find(|a| a["environment"] == "prod")
        .expect("prod");
    assert_eq!(prod["account_id"], t.prod.id.as_str());
    let applied: Vec<&str> = prod["applied"]
        .as_array()
        .expect("applied")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(applied.len(), prod["planned"].as_u64().unwrap() as usize);
    assert!(
        applied.contains(&"create policy core-ec2-full-bob-temporary"),
        "{applied:?}"
    );
    assert_eq!(prod["failed"], json!([]));
    assert_eq!(prod["blocked"], json!([]));

    // Nothing to do: still one document, every account with nothing applied.
    let o = t.ok(&["apply", "cfg", "--yes", "--output", "json"]);
    let doc: Value = serde_json::from_str(&o.stdout).expect("JSON");
    assert!(doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["applied"] == json!([])));

    // Cleanup after the first expiry: what it removed.
    let o = t.ok(&[
        "cleanup",
        "cfg",
        "--at",
        "2026-03-24T00:00:00Z",
        "--yes",
        "--output",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&o.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["command"], "cleanup", "{doc}");
    let prod = doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["environment"] == "prod")
        .expect("prod")
        .clone();
    let mut removed: Vec<&str> = prod["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        [
            "delete policy core-ec2-full-bob-temporary",
            "detach core-ec2-full-bob-temporary from user bob"
        ],
        "{doc}"
    );
}

/// Issue 10 item 4: a change that lets a principal become administrator is
/// said first in the plan, with its path; a harmless change says nothing.
#[tokio::test]
async fn plan_warns_first_of_a_new_escalation_path() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);

    // Harmless: bob gets EC2 in dev.
    t.write(
        "permanent-access/core.yaml",
        &format!("{PERMANENT}  - description: bob runs EC2\n    users: [bob@example.com]\n    environments: [dev]\n    grants: [ec2.full]\n"),
    );
    let o = t.ok(&["plan", "cfg"]);
    assert!(o.stdout.starts_with("account "), "{}", o.stdout);
    assert!(!o.stdout.contains("escalation"), "{}", o.stdout);

    // alice may write new versions of a policy attached to herself.
    t.write(
        "aws-policies/core.yaml",
        &format!("{POLICIES}  team.dev:\n    description: \"Team\"\n    custom_statements:\n      - sid: Versions\n        effect: Allow\n        actions: [\"iam:CreatePolicyVersion\"]\n        resources: [\"arn:aws:iam::*:policy/iamctl/core/core-team-dev\"]\n"),
    );
    t.write(
        "permanent-access/core.yaml",
        &format!("{PERMANENT}  - description: alice edits her policy\n    users: [alice@example.com]\n    environments: [dev]\n    grants: [team.dev]\n"),
    );
    let o = t.ok(&["plan", "cfg"]);
    let first = o.stdout.lines().next().unwrap_or_default();
    let want = format!(
        "warning: new escalation path in account {} (dev): user alice can become admin: iam:CreatePolicyVersion on policy/iamctl/core/core-team-dev (makes an administrator version of `arn:aws:iam::{}:policy/iamctl/core/core-team-dev` the default, attached to `alice`",
        t.dev.id, t.dev.id
    );
    assert!(first.starts_with(&want), "{}", o.stdout);
    // Only dev: prod grants alice nothing new.
    assert_eq!(
        o.stdout.matches("new escalation path").count(),
        1,
        "{}",
        o.stdout
    );
    let o = t.ok(&["plan", "cfg", "--format", "json"]);
    let doc: Value = serde_json::from_str(&o.stdout).expect("JSON");
    let dev = doc["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["environment"] == "dev")
        .unwrap();
    assert_eq!(
        dev["escalations"].as_array().map(Vec::len),
        Some(1),
        "{doc}"
    );
}

/// Issue 10 item 1: `plan --check` runs the checks on every policy document
/// the plan would write; a FAIL exits 4 after the plan, naming the policy and
/// the request it newly allows.
#[tokio::test]
async fn plan_check_fails_on_new_or_public_access_after_printing_the_plan() {
    let t = Iac::new().await;
    t.base();
    t.ok(&["apply", "cfg", "--yes"]);
    let checks = [
        "plan",
        "cfg",
        "--check",
        "no-new-access",
        "--check",
        "no-public-access",
    ];
    let o = t.ok(&checks);
    assert!(
        o.stdout.contains("checks: no policy document to check"),
        "{}",
        o.stdout
    );

    // Narrowing EC2 to Describe* adds nothing: PASS.
    t.write(
        "aws-policies/core.yaml",
        &POLICIES.replace(r#"actions: ["ec2:*"]"#, r#"actions: ["ec2:Describe*"]"#),
    );
    let o = t.ok(&checks);
    let out = flat(&o.stdout);
    assert!(
        out.contains(&format!(
            "check no-new-access: dev ({}): policy core-ec2-full: PASS",
            t.dev.id
        )),
        "{out}"
    );

    // Adding iam:PassRole is new access: FAIL, after the plan.
    t.write(
        "aws-policies/core.yaml",
        &POLICIES.replace(
            r#"actions: ["ec2:*"]"#,
            r#"actions: ["ec2:*", "iam:PassRole"]"#,
        ),
    );
    let o = t.fails(&checks, 4);
    let out = flat(&o.stdout);
    let plan_at = out
        .find("~ update policy core-ec2-full")
        .expect("the plan first");
    let fail = format!(
        "check no-new-access: prod ({}): policy core-ec2-full: FAIL",
        t.prod.id
    );
    let fail_at = out.find(&fail).unwrap_or_else(|| panic!("{out}"));
    assert!(plan_at < fail_at, "{out}");
    assert!(
        out[fail_at..].contains("request: iam:PassRole on "),
        "{out}"
    );
    assert!(
        o.stderr.contains("plan --check: 2 policy document(s) FAIL"),
        "{}",
        o.stderr
    );
    // Without --check the same plan exits 0.
    t.ok(&["plan", "cfg"]);

    // A role anyone may assume: no-public-access FAILs on its trust policy.
    t.write("aws-policies/core.yaml", POLICIES);
    t.write(
        "roles/core.yaml",
        &format!("{ROLES}  public:\n    description: \"Anyone\"\n    trust:\n      principals: [\"*\"]\n"),
    );
    let o = t.fails(&["plan", "cfg", "--check", "no-public-access"], 4);
    let out = flat(&o.stdout);
    assert!(
        out.contains(&format!(
            "check no-public-access: dev ({}): trust policy of role public: FAIL",
            t.dev.id
        )),
        "{out}"
    );
    // Nothing was changed by any of it.
    t.write("roles/core.yaml", ROLES);
    t.ok(&["plan", "cfg", "--detailed-exitcode"]);
}

/// Issue 11 item 17: plan diffs are coloured on a terminal only: not when
/// piped, not with `NO_COLOR`, not with `--no-color`.
#[tokio::test]
async fn plan_colours_only_on_a_terminal() {
    let t = Iac::new().await;
    t.base();
    // Piped, colour otherwise allowed: no escape codes.
    let o = t.env.run_env(
        &["plan", "cfg"],
        &[("NO_COLOR", None), ("TERM", Some("xterm"))],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("  + create user alice"), "{}", o.stdout);
    assert!(!o.stdout.contains('\x1b'), "{:?}", o.stdout);

    // On a terminal: + green.
    let run_pty = |args: &[&str], no_color: bool| {
        let mut cmd = t.env.pty_command(args);
        cmd.env_remove("NO_COLOR").env("TERM", "xterm");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
        p.exp_eof().unwrap()
    };
    let out = run_pty(&["plan", "cfg"], false);
    assert!(out.contains("\x1b[32m  + create user alice"), "{out:?}");
    let out = run_pty(&["plan", "cfg"], true);
    assert!(out.contains("  + create user alice"), "{out:?}");
    assert!(!out.contains("\x1b[32m"), "{out:?}");
    let out = run_pty(&["plan", "cfg", "--no-color"], false);
    assert!(out.contains("  + create user alice"), "{out:?}");
    assert!(!out.contains("\x1b[32m"), "{out:?}");
}
