//! `write` and `load` are inverse: `load(write(c)) == c` (spans aside), for
//! the examples, for a directory using every key, and for random models
//! whose strings are the ones YAML likes to misread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::diag::HIDE_SPANS;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iac")
        .join(name)
}

/// The model without its places: settings and teams, every field.
fn shape(c: &Config) -> String {
    HIDE_SPANS.with(|h| h.set(true));
    let s = format!("{:#?}\n{:#?}", c.settings, c.teams);
    HIDE_SPANS.with(|h| h.set(false));
    s
}

/// Writes `files` into a new directory.
fn materialise(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// `load(write(c))`, with what loading it said.
fn round_trip(c: &Config) -> (Config, Vec<Diagnostic>, Vec<(String, String)>) {
    let files = write(c);
    let dir = materialise(&files);
    let (back, ds) = load(dir.path());
    (back, ds, files)
}

#[track_caller]
fn assert_round_trips(c: &Config) {
    let (back, ds, files) = round_trip(c);
    let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    assert_eq!(ds, vec![], "{shown}");
    assert_eq!(shape(&back), shape(c), "{shown}");
    // And writing again gives the same text.
    assert_eq!(write(&back), files);
}

#[test]
fn examples_round_trip() {
    for ex in ["seed001", "seed004"] {
        let (c, ds) = load(&example(ex));
        assert_eq!(ds, vec![], "{ex}");
        assert_round_trips(&c);
    }
}

/// Seed 004's example written back is its own text, but for the quoting of
/// strings that need none.
#[test]
fn seed004_is_written_as_the_seed_writes_it() {
    let (c, _) = load(&example("seed004"));
    let files: BTreeMap<String, String> = write(&c).into_iter().collect();
    assert_eq!(
        files["aws-accounts/example-team.yaml"],
        "aws-accounts:\n  acceptance: \"234567890123\"\n  nonprod: \"123456789012\"\n  prod: \"345678901234\"\n"
    );
    assert_eq!(
        files["temporary-access/example-team.yaml"],
        "temporary-access:\n  - description: Debug production database\n    expiration_date: 2025-11-30\n    user: developer@example.com\n    environment: prod\n    grant: dev.break-glass\n"
    );
}

const EVERYTHING: &[(&str, &str)] = &[
    (
        "settings.yaml",
        "settings:\n  deployer_role: Deployer\n  external_id: ext-1\n  region: eu-west-1\n  max_temporary_duration: 36h\n  master_copy: s3://copies/prefix/\n  iam_path: /platform/iac/\n  identity_center:\n    account: prod\n    region: us-east-1\n    identity_source: directory\n  organization:\n    account: prod\n",
    ),
    (
        "aws-accounts/t.yaml",
        "aws-accounts:\n  dev: \"011111111111\"\n  prod:\n    account_id: \"222222222222\"\n    deployer_role: Other\n    external_id: x-2\n    region: us-east-1\n",
    ),
    (
        "aws-policies/t.yaml",
        "aws-policies:\n  read.only:\n    description: \"reads: everything # not really\"\n    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    custom_statements:\n      - sid: One\n        effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"arn:aws:s3:::b/*\"]\n        conditions:\n          StringEquals:\n            aws:PrincipalTag/team: [\"a\", \"b\"]\n          Bool: {aws:SecureTransport: \"true\"}\n      - effect: Deny\n        not_actions: [\"iam:*\"]\n        not_resources: [\"*\"]\n  legacy:\n    name: legacy-reader\n    path: /old/\n    existing: true\n",
    ),
    (
        "permanent-access/t.yaml",
        "permanent-access:\n  - description: all\n    users: [ann@example.com, bo]\n    roles: [ci]\n    groups: [devs]\n    environments: [dev, prod]\n    grants: [read.only, legacy]\n  - users: [\"null\"]\n    environments: [dev]\n    grants: [read.only]\n  - description: people\n    sso_users: [bert@example.com]\n    sso_groups: [data]\n    environments: [prod]\n    permission_set: boto3\n",
    ),
    (
        "temporary-access/t.yaml",
        "temporary-access:\n  - description: x\n    expiration_date: 2026-03-22T18:00:00Z\n    role: ci\n    environment: prod\n    grant: read.only\n  - description: y\n    expiration_date: 2026-03-22T18:00:00Z\n    sso_user: bert@example.com\n    environment: prod\n    permission_set: boto3\n  - expiration_date: 2026-03-23\n    sso_group: data\n    environment: dev\n    permission_set: boto3\n",
    ),
    (
        "users/t.yaml",
        "users:\n  ann@example.com:\n    path: /team/\n    tags: {cost-centre: \"42\", empty: }\n    permissions_boundary: read.only\n    environments: [dev]\n  bo:\n    existing: true\n  carol: {}\n",
    ),
    (
        "roles/t.yaml",
        "roles:\n  ci:\n    existing: true\n  operator:\n    description: operates\n    path: /ops/\n    trust:\n      principals: [\"arn:aws:iam::111122223333:root\", ec2.amazonaws.com]\n      users: [ann@example.com]\n      require_mfa: true\n    max_session_duration: 3600\n    permissions_boundary: arn:aws:iam::aws:policy/PowerUserAccess\n    tags: {a: b}\n    environments: []\n",
    ),
    (
        "groups/t.yaml",
        "groups:\n  devs:\n    path: /g/\n    members: [ann@example.com, bo]\n    environments: [dev]\n  old:\n    existing: true\n",
    ),
    (
        "s3-users/t.yaml",
        "s3-users:\n  - bucket: shared-files\n    user: alex\n    access: read-write\n    environments: [prod]\n",
    ),
    (
        "org-policies/t.yaml",
        "org-policies:\n  deny-leave-org:\n    type: scp\n    description: Accounts cannot leave the organisation\n    custom_statements:\n      - {effect: Deny, actions: [\"organizations:LeaveOrganization\"], resources: [\"*\"]}\n    targets: [root, ou:/workloads, account:dev]\n",
    ),
    (
        "identity-center/t.yaml",
        "identity-center:\n  users:\n    bert@example.com: {given_name: Bert, family_name: Example, display_name: Bert Example, email: bert@example.com}\n  groups:\n    data:\n      description: Data team\n      members: [bert@example.com]\n  permission-sets:\n    boto3:\n      description: boto3\n      session_duration: 1h\n      grants: [read.only]\n      permissions_boundary: arn:aws:iam::aws:policy/PowerUserAccess\n",
    ),
];

#[test]
fn every_key_round_trips() {
    let files: Vec<(String, String)> = EVERYTHING
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let dir = materialise(&files);
    let (c, ds) = load(dir.path());
    assert_eq!(ds, vec![]);
    let t = &c.teams["t"];
    assert_eq!(
        t.policies["read.only"].custom_statements[0]
            .conditions
            .as_ref()
            .map(|c| c.value.clone()),
        Some(
            json!({"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}, "Bool": {"aws:SecureTransport": "true"}})
        )
    );
    assert_eq!(t.users["ann"].tags[1].1.value, "");
    assert_round_trips(&c);
    // Every key the loader accepts was used (the schema test lists them).
    let written: String = write(&c).into_iter().map(|(_, t)| t).collect();
    for k in keys::POLICY
        .iter()
        .chain(keys::STATEMENT)
        .chain(keys::PERMANENT)
        .chain(keys::USER)
        .chain(keys::ROLE)
        .chain(keys::TRUST)
        .chain(keys::GROUP)
        .chain(keys::S3_USER)
        .chain(keys::SETTINGS)
        .chain(keys::ENVIRONMENT)
        .chain(keys::IDENTITY_CENTER_SETTINGS)
        .chain(keys::IDENTITY_CENTER)
        .chain(keys::SSO_USER)
        .chain(keys::SSO_GROUP)
        .chain(keys::PERMISSION_SET)
        .chain(keys::SSO_PERMANENT)
        .chain(keys::SSO_TEMPORARY)
        .chain(keys::ORGANIZATION_SETTINGS)
        .chain(keys::ORG_POLICY)
    {
        assert!(written.contains(&format!("{k}:")), "{k} in {written}");
    }
}

#[test]
fn comments_stand_before_their_entry() {
    let (c, _) = load(&example("seed004"));
    let mut comments = Comments::default();
    comments.file(
        "aws-policies/example-team.yaml",
        "written by iamctl import\nfrom account 123456789012",
    );
    comments.entry(
        "aws-policies/example-team.yaml",
        "dev.break-glass",
        "existing: its document has a Principal",
    );
    comments.entry("permanent-access/example-team.yaml", "1", "the CI role");
    let files: BTreeMap<String, String> = write_with(&c, &comments).into_iter().collect();
    let policies = &files["aws-policies/example-team.yaml"];
    assert!(
        policies.starts_with(
            "# written by iamctl import\n# from account 123456789012\naws-policies:\n"
        ),
        "{policies}"
    );
    assert!(
        policies.contains("  # existing: its document has a Principal\n  dev.break-glass:\n"),
        "{policies}"
    );
    assert!(files["permanent-access/example-team.yaml"]
        .contains("  # the CI role\n  - description: CI/CD role access\n"));
    // Comments change nothing that is read.
    let dir = materialise(&files.into_iter().collect::<Vec<_>>());
    let (back, ds) = load(dir.path());
    assert_eq!(ds, vec![]);
    assert_eq!(shape(&back), shape(&c));
}

/// An account's policy document becomes `custom_statements` that make the
/// same policy again, or a reason why it cannot.
#[test]
fn documents_become_custom_statements() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"],
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}, "Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "*"}
    ]});
    let sts = statements_from_document(&doc).expect("statements");
    assert_eq!(sts.len(), 2);
    assert_eq!(sts[0].sid.as_ref().map(|s| s.value.as_str()), Some("Read"));
    assert_eq!(sts[1].not_actions[0].value, "iam:*");
    // Written as YAML and read back, they are still that policy.
    let mut c = Config::default();
    let mut t = Team {
        name: "t".into(),
        ..Team::default()
    };
    t.policies.insert(
        "k".into(),
        Policy {
            key: unplaced("k".to_owned()),
            description: None,
            managed_policies: Vec::new(),
            custom_statements: sts,
            name: None,
            path: None,
            existing: true,
        },
    );
    c.teams.insert("t".into(), t);
    let (back, ds, _) = round_trip(&c);
    assert_eq!(ds, vec![]);
    let again = policy_document(&back.teams["t"].policies["k"], None);
    assert!(iamctl_policy::PolicyDocument::from_value(again)
        .same_as(&iamctl_policy::PolicyDocument::from_value(doc)));
    // What `custom_statements` cannot hold.
    for (doc, why) in [
        (
            json!({"Version": "2012-10-17", "Id": "x", "Statement": []}),
            "has `Id`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
            "has `Principal`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": 10}}}]}),
            "not a string",
        ),
        (
            json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            "`Version` is `2008-10-17`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}),
            "not a string or a list",
        ),
    ] {
        let e = statements_from_document(&doc).expect_err(why);
        assert!(e.contains(why), "{e}");
    }
}

// ---------------------------------------------------------------------------
// Random models.

/// Strings YAML reads as something else unless quoted, and arbitrary ones.
fn text() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        "",
        " ",
        "null",
        "Null",
        "NULL",
        "~",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "123",
        "0123",
        "012345678901",
        "-1",
        "+1",
        "1e3",
        ".5",
        ".inf",
        ".nan",
        "0x1F",
        "0o17",
        "1_000",
        "2025-11-30",
        "12:30",
        "- a",
        "-",
        "a: b",
        "a:b",
        "#x",
        "a #b",
        "a#b",
        "'q'",
        "\"dq\"",
        "multi\nline",
        "tab\there",
        "cr\rlf",
        "é",
        "日本",
        "*star",
        "&amp",
        "!tag",
        "%p",
        "@at",
        "`tick",
        "{x}",
        "[x]",
        "x,y",
        "?",
        "? x",
        "|",
        ">",
        "\\back",
        " lead",
        "trail ",
        "\u{85}nel",
        "a\u{2028}b",
        "\u{feff}bom",
        "del\u{7f}",
        "<<",
        "=",
        "---",
        "...",
        "a: ",
        "key:\n  - x",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        3 => tricky,
        2 => "[ -~]{0,12}",
        1 => "\\PC{0,8}",
    ]
}

fn sp<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::file_only("generated"))
}

fn texts() -> impl Strategy<Value = Vec<Spanned<String>>> {
    prop::collection::vec(text().prop_map(sp), 0..3)
}

fn opt_text() -> impl Strategy<Value = Option<Spanned<String>>> {
    prop::option::of(text().prop_map(sp))
}

fn opt_texts() -> impl Strategy<Value = Option<Vec<Spanned<String>>>> {
    prop::option::of(texts())
}

/// Tags with distinct keys.
fn tags() -> impl Strategy<Value = Vec<(Spanned<String>, Spanned<String>)>> {
    prop::collection::btree_map(text(), text(), 0..3)
        .prop_map(|m| m.into_iter().map(|(k, v)| (sp(k), sp(v))).collect())
}

fn conditions() -> impl Strategy<Value = Option<Spanned<Value>>> {
    let value = prop_oneof![
        text().prop_map(Value::String),
        prop::collection::vec(text().prop_map(Value::String), 0..3).prop_map(Value::Array),
    ];
    let keys = prop::collection::btree_map(text(), value, 0..3)
        .prop_map(|m| Value::Object(m.into_iter().collect()));
    prop::option::of(
        prop::collection::btree_map(text(), keys, 0..3)
            .prop_map(|m| sp(Value::Object(m.into_iter().collect()))),
    )
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        opt_text(),
        opt_text(),
        texts(),
        texts(),
        texts(),
        texts(),
        conditions(),
    )
        .prop_map(
            |(sid, effect, actions, not_actions, resources, not_resources, conditions)| Statement {
                span: Span::file_only("generated"),
                sid,
                effect,
                actions,
                not_actions,
                resources,
                not_resources,
                conditions,
            },
        )
}

/// A policy's fields but its key: description, managed policies,
/// statements, name, path, existing.
type PolicyParts = (
    Option<Spanned<String>>,
    Vec<Spanned<String>>,
    Vec<Statement>,
    Option<Spanned<String>>,
    Option<Spanned<String>>,
    bool,
);

fn policy() -> impl Strategy<Value = PolicyParts> {
    (
        opt_text(),
        texts(),
        prop::collection::vec(statement(), 0..3),
        opt_text(),
        opt_text(),
        any::<bool>(),
    )
}

fn team() -> impl Strategy<Value = Team> {
    let accounts =
        prop::collection::btree_map(text(), (text(), opt_text(), opt_text(), opt_text()), 0..3);
    let policies = prop::collection::btree_map(text(), policy(), 0..3);
    let permanent = prop::collection::vec(
        (opt_text(), texts(), texts(), texts(), texts(), texts()),
        0..3,
    );
    let temporary = prop::collection::vec(
        (
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
        ),
        0..3,
    );
    let users = prop::collection::btree_map(
        text(),
        (any::<bool>(), opt_text(), tags(), opt_text(), opt_texts()),
        0..3,
    );
    let roles = prop::collection::btree_map(
        text(),
        (
            (any::<bool>(), opt_text(), opt_text()),
            prop::option::of((texts(), texts(), any::<bool>())),
            prop::option::of(any::<u32>()),
            (opt_text(), tags(), opt_texts()),
        ),
        0..3,
    );
    let groups = prop::collection::btree_map(
        text(),
        (any::<bool>(), opt_text(), texts(), opt_texts()),
        0..3,
    );
    let s3 = prop::collection::vec((opt_text(), opt_text(), opt_text(), opt_texts()), 0..3);
    (
        accounts, policies, permanent, temporary, users, roles, groups, s3,
    )
        .prop_map(
            |(accounts, policies, permanent, temporary, users, roles, groups, s3)| {
                let mut t = Team::default();
                for (name, (id, deployer_role, external_id, region)) in accounts {
                    t.accounts.insert(
                        name.clone(),
                        Environment {
                            name: sp(name),
                            account_id: sp(id),
                            deployer_role,
                            external_id,
                            region,
                        },
                    );
                }
                for (
                    key,
                    (description, managed_policies, custom_statements, name, path, existing),
                ) in policies
                {
                    t.policies.insert(
                        key.clone(),
                        Policy {
                            key: sp(key),
                            description,
                            managed_policies,
                            custom_statements,
                            name,
                            path,
                            existing,
                        },
                    );
                }
                for (description, users, roles, groups, environments, grants) in permanent {
                    t.permanent.push(PermanentGrant {
                        span: Span::file_only("generated"),
                        description,
                        users,
                        roles,
                        groups,
                        environments,
                        grants,
                    });
                }
                for (description, expiration_date, user, role, group, environment, grant) in
                    temporary
                {
                    t.temporary.push(TemporaryGrant {
                        span: Span::file_only("generated"),
                        description,
                        expiration_date,
                        user,
                        role,
                        group,
                        environment,
                        grant,
                    });
                }
                for (key, (existing, path, tags, permissions_boundary, environments)) in users {
                    let name = user_name(&key);
                    if t.users.contains_key(&name) {
                        continue; // two emails of one user: the loader refuses it
                    }
                    t.users.insert(
                        name.clone(),
                        User {
                            key: sp(key),
                            name,
                            existing,
                            path,
                            tags,
                            permissions_boundary,
                            environments,
                        },
                    );
                }
                for (
                    key,
                    ((existing, description, path), trust, max, (boundary, tags, environments)),
                ) in roles
                {
                    t.roles.insert(
                        key.clone(),
                        Role {
                            key: sp(key),
                            existing,
                            description,
                            path,
                            trust: trust.map(|(principals, users, require_mfa)| Trust {
                                span: Span::file_only("generated"),
                                principals,
                                users,
                                require_mfa,
                            }),
                            max_session_duration: max.map(sp),
                            permissions_boundary: boundary,
                            tags,
                            environments,
                        },
                    );
                }
                for (key, (existing, path, members, environments)) in groups {
                    t.groups.insert(
                        key.clone(),
                        Group {
                            key: sp(key),
                            existing,
                            path,
                            members,
                            environments,
                        },
                    );
                }
                for (bucket, user, access, environments) in s3 {
                    t.s3_users.push(S3User {
                        span: Span::file_only("generated"),
                        bucket,
                        user,
                        access,
                        environments,
                    });
                }
                t
            },
        )
}

fn config() -> impl Strategy<Value = Config> {
    let settings = (
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
    )
        .prop_map(
            |(
                deployer_role,
                external_id,
                region,
                max_temporary_duration,
                master_copy,
                iam_path,
            )| {
                Settings {
                    deployer_role,
                    external_id,
                    region,
                    max_temporary_duration,
                    master_copy,
                    iam_path,
                    identity_center: None,
                    organization: None,
                }
            },
        );
    let teams = prop::collection::btree_map("[a-z][a-z0-9-]{0,6}", team(), 1..3);
    (settings, teams).prop_map(|(settings, teams)| {
        let teams = teams
            .into_iter()
            .map(|(name, mut t)| {
                t.name = name.clone();
                (name, t)
            })
            .collect();
        Config {
            settings,
            teams,
            ..Config::default()
        }
    })
}

/// A team with nothing in it writes no file, and so is not read back.
fn without_empty_teams(mut c: Config) -> Config {
    c.teams.retain(|_, t| {
        !(t.accounts.is_empty()
            && t.policies.is_empty()
            && t.permanent.is_empty()
            && t.temporary.is_empty()
            && t.users.is_empty()
            && t.roles.is_empty()
            && t.groups.is_empty()
            && t.s3_users.is_empty())
    });
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_models_round_trip(c in config()) {
        let c = without_empty_teams(c);
        let (back, ds, files) = round_trip(&c);
        let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
        prop_assert_eq!(ds, vec![], "{}", shown);
        prop_assert_eq!(shape(&back), shape(&c), "{}", shown);
    }
}
