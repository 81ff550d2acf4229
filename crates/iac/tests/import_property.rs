//! Random accounts (hand-made users, groups, roles, policies and attachments, and
//! policies and users of iamctl's, with names, tags, descriptions and
//! condition values YAML likes to misread) are imported; the files read back
//! are the same model, validate, and plan no changes against the account.
//! And random configurations (custom, managed and existing keys, users,
//! roles with trusts and settings, permanent and temporary grants, S3 users)
//! applied to an account (by apply, on a memory account) import back to files that
//! plan no changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iamctl_config::*;
use iamctl_iac::import::{import, Options, RoleSettings};
use iamctl_iac::memory::MemoryBackend;
use iamctl_iac::plan::{
    plan, role_settings, ActualAccount, Change, PlanOptions, TAG_ROLE_SETTINGS,
};
use iamctl_policy::templates::trust_for_principals;
use proptest::prelude::*;
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

fn now() -> jiff::Timestamp {
    "2026-03-21T11:36:28Z".parse().expect("timestamp")
}

/// IAM names (letters, digits, `+=,.@_-`) that YAML reads as something else.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "null",
            "Null",
            "true",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "123",
            "0123",
            "012345678901",
            "1e3",
            "-1",
            "+1",
            ".5",
            "0x1F",
            "1_000",
            "a.b",
            "a@b.c",
            "a+b",
            "a=b",
            "a,b",
            "_x",
            "-",
            "=",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9+=,.@_-]{1,12}",
    ]
}

/// Tag values IAM accepts (letters, digits, spaces, `_.:/=+-@`), tricky ones first.
fn tag_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "null",
            "true",
            "no",
            "123",
            "012345678901",
            "1e3",
            "2025-11-30",
            "12:30",
            "a: b",
            "a:b",
            "- a",
            "-1",
            "+1",
            ".5",
            "@x",
            "=",
            "a /b",
            " lead",
            "trail ",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9 _.:/=+@-]{0,12}",
    ]
}

/// Any text: descriptions and condition values.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        tag_value(),
        prop::sample::select(vec![
            "#x",
            "a #b",
            "'q'",
            "\"",
            "\\",
            "{a}",
            "[a]",
            "*",
            "&a",
            "!x",
            "%x",
            "|",
            ">",
            "line\nbreak",
            "tab\there",
            "é ü 😀",
            "a,b",
            "?",
        ])
        .prop_map(str::to_owned),
        any::<String>().prop_map(|s| s.chars().filter(|c| !c.is_control()).take(16).collect()),
    ]
}

/// Policy descriptions: what IAM accepts (tab, line breaks, printable ASCII,
/// U+00A1 to U+00FF).
fn description() -> impl Strategy<Value = String> {
    prop_oneof![
        tag_value(),
        prop::sample::select(vec![
            "#x",
            "a #b",
            "'q'",
            "\"",
            "\\",
            "{a}",
            "[a]",
            "*",
            "&a",
            "!x",
            "%x",
            "|",
            ">",
            "line\nbreak",
            "tab\there",
            "é ü ÿ",
            "a,b",
            "?",
            "\r\n",
        ])
        .prop_map(str::to_owned),
        "[\t\n\r\x20-\x7E\u{A1}-\u{FF}]{0,16}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["/", "/team/", "/a/b/", "/null/", "/123/"]).prop_map(str::to_owned)
}

fn statement() -> impl Strategy<Value = Value> {
    let actions = prop::sample::subsequence(
        vec![
            "s3:GetObject",
            "sqs:SendMessage",
            "ec2:Describe*",
            "sns:Publish",
        ],
        1..3,
    );
    let values = prop::collection::vec(text(), 1..3);
    (
        prop::option::of("[A-Za-z0-9]{1,6}"),
        any::<bool>(),
        actions,
        prop::option::of(values),
        any::<bool>(),
    )
        .prop_map(|(sid, not, actions, cond, one)| {
            let mut st = json!({"Effect": "Allow", "Resource": "*"});
            if let Some(sid) = sid {
                st["Sid"] = json!(sid);
            }
            let acts = if one {
                json!(actions[0])
            } else {
                json!(actions)
            };
            st[if not { "NotAction" } else { "Action" }] = acts;
            if let Some(vs) = cond {
                let v = if vs.len() == 1 && one {
                    json!(vs[0])
                } else {
                    json!(vs)
                };
                st["Condition"] = json!({"StringEquals": {"aws:PrincipalTag/team": v}});
            }
            st
        })
}

#[derive(Debug, Clone)]
struct PolicySpec {
    path: String,
    description: Option<String>,
    statements: Vec<Value>,
    /// iamctl's, of team `platform`, under this key.
    owned: Option<String>,
}

#[derive(Debug, Clone)]
struct UserSpec {
    path: String,
    tags: BTreeMap<String, String>,
    owned: bool,
    /// Index into the policies' ARNs (AWS-managed first).
    boundary: Option<usize>,
}

#[derive(Debug, Clone)]
struct RoleSpec {
    user: UserSpec,
    /// What CreateRole was given (iamctl's roles carry their digest in a tag).
    description: Option<String>,
    max_session_duration: Option<u32>,
    /// Indexes into [`TRUSTED`].
    trusted: BTreeSet<usize>,
    mfa: bool,
}

/// Principals a role of the configuration may trust.
const TRUSTED: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "123456789012",
    "210987654321",
    "arn:aws:iam::123456789012:root",
    "arn:aws:iam::123456789012:user/null",
    "arn:aws:iam::123456789012:role/team/true",
    "*",
];

#[derive(Debug, Clone)]
struct AccountSpec {
    policies: BTreeMap<String, PolicySpec>,
    users: BTreeMap<String, UserSpec>,
    roles: BTreeMap<String, RoleSpec>,
    groups: BTreeMap<String, String>,
    /// (principal index, policy index or AWS-managed name).
    attach: Vec<(usize, usize)>,
    members: Vec<(usize, usize)>,
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        path(),
        prop::option::of(description()),
        prop::collection::vec(statement(), 1..3),
        prop::option::of("[a-z][a-z0-9.-]{0,8}"),
    )
        .prop_map(|(path, description, statements, owned)| PolicySpec {
            path,
            description,
            statements,
            owned,
        })
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        path(),
        prop::collection::btree_map("[a-z][a-z0-9-]{0,6}", tag_value(), 0..3),
        any::<bool>(),
        prop::option::of(0..8usize),
    )
        .prop_map(|(path, tags, owned, boundary)| UserSpec {
            path,
            tags,
            owned,
            boundary,
        })
}

fn role_spec() -> impl Strategy<Value = RoleSpec> {
    (
        user_spec(),
        prop::collection::btree_set(0..TRUSTED.len(), 1..4),
        any::<bool>(),
        prop::option::of(description()),
        prop::option::of(prop::sample::select(vec![3600u32, 7200, 43200])),
    )
        .prop_map(
            |(user, trusted, mfa, description, max_session_duration)| RoleSpec {
                user,
                description,
                max_session_duration,
                trusted,
                mfa,
            },
        )
}

fn account_spec() -> impl Strategy<Value = AccountSpec> {
    (
        prop::collection::btree_map(name(), policy_spec(), 0..4),
        prop::collection::btree_map(name(), user_spec(), 0..4),
        prop::collection::btree_map(name(), role_spec(), 0..3),
        prop::collection::btree_map(name(), path(), 0..3),
        prop::collection::vec((0..16usize, 0..16usize), 0..8),
        prop::collection::vec((0..16usize, 0..16usize), 0..6),
    )
        .prop_map(
            |(policies, users, roles, groups, attach, members)| AccountSpec {
                policies,
                users,
                roles,
                groups,
                attach,
                members,
            },
        )
}

const AWS_MANAGED: &[&str] = &["ReadOnlyAccess", "PowerUserAccess"];

fn ours(key: &str) -> Tags {
    Tags::from([
        ("managed-by".into(), "iamctl".into()),
        ("iamctl:team".into(), "platform".into()),
        ("iamctl:key".into(), key.into()),
    ])
}

/// Statements with their `Sid`s unique, as IAM requires of a policy (a
/// repeated one gets the statement's index appended).
fn unique_sids(statements: &[Value]) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    statements
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let mut st = st.clone();
            if let Some(sid) = st.get("Sid").and_then(Value::as_str).map(str::to_owned) {
                if !seen.insert(sid.clone()) {
                    st["Sid"] = json!(format!("{sid}{i}"));
                    seen.insert(format!("{sid}{i}"));
                }
            }
            st
        })
        .collect()
}

/// The snapshot and policy tags of an account.
fn build(spec: &AccountSpec) -> (Value, HashMap<String, Tags>) {
    let a = ACCOUNT;
    let mut tags = HashMap::new();
    let mut arns: Vec<String> = AWS_MANAGED
        .iter()
        .map(|n| format!("arn:aws:iam::aws:policy/{n}"))
        .collect();
    let mut policies = Vec::new();
    let mut keys = BTreeSet::new();
    for (name, p) in &spec.policies {
        let arn = format!("arn:aws:iam::{a}:policy{}{name}", p.path);
        // One owner per key, as iamctl makes them.
        if let Some(key) = p.owned.as_ref().filter(|k| keys.insert((*k).clone())) {
            tags.insert(arn.clone(), ours(key));
        }
        let mut v = json!({"PolicyName": name, "Path": p.path, "Arn": arn, "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": {"Version": "2012-10-17", "Statement": unique_sids(&p.statements)}}]});
        if let Some(d) = &p.description {
            v["Description"] = json!(d);
        }
        policies.push(v);
        arns.push(arn);
    }
    let users: Vec<(&String, &UserSpec)> = spec.users.iter().collect();
    let groups: Vec<(&String, &String)> = spec.groups.iter().collect();
    let mut attached: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let roles: Vec<(&String, &RoleSpec)> = spec.roles.iter().collect();
    let principals = users.len() + groups.len() + roles.len();
    for (who, what) in &spec.attach {
        if principals == 0 {
            continue;
        }
        let (who, arn) = (who % principals, &arns[what % arns.len()]);
        // A user the configuration cannot name (`@`) is left out of the
        // import; plan would detach iamctl's policies from it, so iamctl's
        // are attached to nameable users only.
        if who < users.len() && users[who].0.contains('@') && tags.contains_key(arn) {
            continue;
        }
        attached.entry(who).or_default().insert(arn.clone());
    }
    let managed = |i: usize| -> Value {
        attached
            .get(&i)
            .into_iter()
            .flatten()
            .map(|arn| json!({"PolicyArn": arn, "PolicyName": arn.rsplit('/').next()}))
            .collect()
    };
    let mut member_of: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    if !groups.is_empty() {
        for (u, g) in &spec.members {
            if !users.is_empty() {
                member_of
                    .entry(u % users.len())
                    .or_default()
                    .insert(groups[g % groups.len()].0.clone());
            }
        }
    }
    let principal = |name: &str, u: &UserSpec, i: usize, kind: &str| {
        let mut t: Tags = u.tags.clone().into_iter().collect();
        // iamctl makes users from emails' local parts: never with `@`.
        if u.owned && !name.contains('@') {
            t.extend(ours(name));
        }
        let tag_list: Vec<Value> = t
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        let mut v = json!({"Path": u.path, "Arn": format!("arn:aws:iam::{a}:{kind}{}{name}", u.path),
            "Tags": tag_list, "AttachedManagedPolicies": managed(i)});
        if let Some(b) = u.boundary {
            let arn = &arns[b % arns.len()];
            v["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn});
        }
        v
    };
    let user_list: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(i, (name, u))| {
            let mut v = principal(name, u, i, "user");
            v["UserName"] = json!(name);
            v["GroupList"] = json!(member_of.get(&i).cloned().unwrap_or_default());
            v["UserPolicyList"] = json!([]);
            v
        })
        .collect();
    let role_list: Vec<Value> = roles
        .iter()
        .enumerate()
        .map(|(i, (name, r))| {
            let mut v = principal(name, &r.user, users.len() + groups.len() + i, "role");
            v["RoleName"] = json!(name);
            if r.user.owned && !name.contains('@') {
                let digest = role_settings(r.description.as_deref(), r.max_session_duration);
                v["Tags"]
                    .as_array_mut()
                    .expect("tags")
                    .push(json!({"Key": TAG_ROLE_SETTINGS, "Value": digest}));
            }
            v["RolePolicyList"] = json!([]);
            let trusted: Vec<String> = r.trusted.iter().map(|t| TRUSTED[*t].to_owned()).collect();
            v["AssumeRolePolicyDocument"] = trust_for_principals(&trusted, r.mfa).value;
            v
        })
        .collect();
    let group_list: Vec<Value> = groups
        .iter()
        .enumerate()
        .map(|(i, (name, path))| {
            json!({"GroupName": name, "Path": path, "Arn": format!("arn:aws:iam::{a}:group{path}{name}"),
                "GroupPolicyList": [], "AttachedManagedPolicies": managed(users.len() + i)})
        })
        .collect();
    // AWS-managed policies appear when attached, as in GetAccountAuthorizationDetails.
    let all: String = json!([user_list, group_list, role_list]).to_string();
    for n in AWS_MANAGED {
        let arn = format!("arn:aws:iam::aws:policy/{n}");
        if all.contains(&arn) {
            policies.push(json!({"PolicyName": n, "Path": "/", "Arn": arn, "DefaultVersionId": "v1",
                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                    "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}}]}));
        }
    }
    let snapshot = json!({"UserDetailList": user_list, "GroupDetailList": group_list,
        "RoleDetailList": role_list, "Policies": policies});
    (snapshot, tags)
}

/// The model without its places.
fn shape(c: &Config) -> String {
    format!("{:#?}\n{:#?}", c.settings, c.teams)
        .lines()
        .map(|l| match l.find("span: ") {
            Some(i) if l[..i].trim().is_empty() => format!("{}span: _,", &l[..i]),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_import(spec: &AccountSpec) -> Result<(), TestCaseError> {
    let (snapshot, tags) = build(spec);
    let actual = ActualAccount::from_snapshot(&typed(&snapshot), &tags);
    let o = Options {
        env: "test".into(),
        team: "imported".into(),
        account_id: ACCOUNT.into(),
        deployer_role: None,
        now: now(),
        // As GetRole answers: IAM's default maximum session is one hour.
        role_settings: spec
            .roles
            .iter()
            .map(|(name, r)| {
                let s = RoleSettings {
                    description: r.description.clone().filter(|d| !d.is_empty()),
                    max_session_duration: Some(r.max_session_duration.unwrap_or(3600)),
                };
                (name.clone(), s)
            })
            .collect(),
    };
    let imported = import(&actual, &typed(&snapshot), &o);
    let files = imported.files();
    let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in &files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let (back, ds) = check(dir.path(), now());
    let errors: Vec<String> = ds
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    prop_assert!(errors.is_empty(), "{errors:#?}\n{shown}");
    prop_assert_eq!(shape(&back), shape(&imported.config), "{}", shown);
    let desired = desired_state(&back, "test", now()).expect("test");
    let p = plan(&desired, &actual, &HashMap::new(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    prop_assert_eq!(changes, Vec::<String>::new(), "{}", shown);
    prop_assert_eq!(p.conflicts, Vec::<String>::new(), "{}", shown);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_accounts_import_to_the_same_model_and_plan_no_changes(spec in account_spec()) {
        check_import(&spec)?;
    }
}

// ---------------------------------------------------------------------------
// Random configurations applied (plan, then apply on a memory account), imported.

#[derive(Debug, Clone)]
enum KeySpec {
    Custom(Vec<Value>),
    Managed(Vec<usize>),
    Both(Vec<Value>, usize),
    /// Of the hand-made policy `legacy-reader` at `/old/`.
    Existing,
}

/// A role: name, trusted (indexes into [`TRUSTED`]), trusted users, MFA,
/// description, maximum session.
type ConfigRole = (
    String,
    BTreeSet<usize>,
    Vec<usize>,
    bool,
    Option<String>,
    Option<u32>,
);

#[derive(Debug, Clone)]
struct ConfigSpec {
    keys: BTreeMap<String, KeySpec>,
    /// (name, written as an email, path, tags)
    users: Vec<(String, bool, String, BTreeMap<String, String>)>,
    roles: Vec<ConfigRole>,
    /// (users, roles, keys)
    permanent: Vec<(Vec<usize>, Vec<usize>, Vec<usize>)>,
    /// (role or user, principal, key, hours from now, as a date)
    temporary: Vec<(bool, usize, usize, i64, bool)>,
    /// (user, read-write)
    s3: Option<(usize, bool)>,
}

fn key_spec() -> impl Strategy<Value = KeySpec> {
    prop_oneof![
        prop::collection::vec(statement(), 1..3).prop_map(KeySpec::Custom),
        prop::collection::vec(0..AWS_MANAGED.len(), 1..3).prop_map(KeySpec::Managed),
        (
            prop::collection::vec(statement(), 1..2),
            0..AWS_MANAGED.len()
        )
            .prop_map(|(s, m)| KeySpec::Both(s, m)),
        Just(KeySpec::Existing),
    ]
}

fn config_spec() -> impl Strategy<Value = ConfigSpec> {
    let user = (
        "[a-z][a-z0-9]{0,6}",
        any::<bool>(),
        path(),
        prop::collection::btree_map("[a-z][a-z0-9-]{0,6}", tag_value(), 0..2),
    );
    let role = (
        "r[a-z0-9]{0,6}",
        prop::collection::btree_set(0..TRUSTED.len(), 0..3),
        prop::collection::vec(0..8usize, 0..2),
        any::<bool>(),
        prop::option::of(description()),
        prop::option::of(prop::sample::select(vec![3600u32, 7200])),
    );
    let picks = || prop::collection::vec(0..8usize, 0..3);
    (
        prop::collection::btree_map("[a-z][a-z0-9.-]{0,6}", key_spec(), 1..4),
        prop::collection::vec(user, 0..3),
        prop::collection::vec(role, 0..3),
        prop::collection::vec(
            (picks(), picks(), prop::collection::vec(0..8usize, 1..3)),
            0..3,
        ),
        prop::collection::vec(
            (
                any::<bool>(),
                0..8usize,
                0..8usize,
                1..140i64,
                any::<bool>(),
            ),
            0..3,
        ),
        prop::option::of((0..8usize, any::<bool>())),
    )
        .prop_map(
            |(keys, users, roles, permanent, temporary, s3)| ConfigSpec {
                keys,
                users,
                roles,
                permanent,
                temporary,
                s3,
            },
        )
}

/// The configuration's files.
fn config_files(spec: &ConfigSpec) -> Vec<(String, String)> {
    let t = "platform";
    let mut team = Team {
        name: t.into(),
        ..Team::default()
    };
    let u = |s: &str| unplaced(s.to_owned());
    team.accounts.insert(
        "test".into(),
        Environment {
            name: u("test"),
            account_id: u(ACCOUNT),
            deployer_role: None,
            external_id: None,
            region: None,
        },
    );
    let keys: Vec<&String> = spec.keys.keys().collect();
    for (key, k) in &spec.keys {
        let mut p = Policy {
            key: u(key),
            description: None,
            managed_policies: Vec::new(),
            custom_statements: Vec::new(),
            name: None,
            path: None,
            existing: false,
        };
        let doc = |sts: &[Value]| {
            statements_from_document(&json!({"Version": "2012-10-17", "Statement": sts}))
                .expect("statements")
        };
        let managed = |i: usize| u(&format!("arn:aws:iam::aws:policy/{}", AWS_MANAGED[i]));
        match k {
            KeySpec::Custom(sts) => p.custom_statements = doc(sts),
            KeySpec::Managed(ms) => {
                let set: BTreeSet<usize> = ms.iter().copied().collect();
                p.managed_policies = set.into_iter().map(managed).collect();
            }
            KeySpec::Both(sts, m) => {
                p.custom_statements = doc(sts);
                p.managed_policies = vec![managed(*m)];
            }
            KeySpec::Existing => {
                p.existing = true;
                p.name = Some(u("legacy-reader"));
                p.path = Some(u("/old/"));
            }
        }
        team.policies.insert(key.clone(), p);
    }
    let mut names = BTreeSet::new();
    let users: Vec<(String, String)> = spec
        .users
        .iter()
        .filter(|(n, ..)| names.insert(n.clone()))
        .map(|(n, email, _, _)| {
            let written = if *email {
                format!("{n}@example.com")
            } else {
                n.clone()
            };
            (n.clone(), written)
        })
        .collect();
    for (n, email, path, tags) in &spec.users {
        if team.users.contains_key(n) {
            continue;
        }
        let written = if *email {
            format!("{n}@example.com")
        } else {
            n.clone()
        };
        team.users.insert(
            n.clone(),
            User {
                key: u(&written),
                name: n.clone(),
                existing: false,
                path: (path != "/").then(|| u(path)),
                tags: tags.iter().map(|(k, v)| (u(k), u(v))).collect(),
                permissions_boundary: None,
                environments: None,
            },
        );
    }
    let mut roles = Vec::new();
    for (n, trusted, trusted_users, mfa, description, max) in &spec.roles {
        if team.roles.contains_key(n) {
            continue;
        }
        let mut principals: Vec<_> = trusted.iter().map(|i| u(TRUSTED[*i])).collect();
        let by_users: BTreeSet<&String> = trusted_users
            .iter()
            .filter(|_| !users.is_empty())
            .map(|i| &users[i % users.len()].1)
            .collect();
        if principals.is_empty() && by_users.is_empty() {
            principals.push(u("ec2.amazonaws.com"));
        }
        team.roles.insert(
            n.clone(),
            Role {
                key: u(n),
                existing: false,
                description: description.as_deref().filter(|d| !d.is_empty()).map(u),
                path: None,
                trust: Some(Trust {
                    span: iamctl_config::Span::file_only(""),
                    principals,
                    users: by_users.into_iter().map(|w| u(w)).collect(),
                    require_mfa: *mfa,
                }),
                max_session_duration: max.map(unplaced),
                permissions_boundary: None,
                tags: Vec::new(),
                environments: None,
            },
        );
        roles.push(n.clone());
    }
    let pick = |list: &[String], ix: &[usize]| -> Vec<Spanned<String>> {
        let set: BTreeSet<&String> = ix
            .iter()
            .filter(|_| !list.is_empty())
            .map(|i| &list[i % list.len()])
            .collect();
        set.into_iter().map(|s| u(s)).collect()
    };
    let written: Vec<String> = users.iter().map(|(_, w)| w.clone()).collect();
    let key_names: Vec<String> = keys.iter().map(|k| (*k).clone()).collect();
    for (us, rs, ks) in &spec.permanent {
        let g = PermanentGrant {
            span: iamctl_config::Span::file_only(""),
            description: None,
            users: pick(&written, us),
            roles: pick(&roles, rs),
            groups: Vec::new(),
            environments: vec![u("test")],
            grants: pick(&key_names, ks),
        };
        if !g.users.is_empty() || !g.roles.is_empty() {
            team.permanent.push(g);
        }
    }
    for (role, who, key, hours, date) in &spec.temporary {
        let list = if *role { &roles } else { &written };
        if list.is_empty() {
            continue;
        }
        let until = now() + jiff::SignedDuration::from_hours(*hours);
        let until = if *date {
            until.strftime("%Y-%m-%d").to_string()
        } else {
            rfc3339(until)
        };
        let who = u(&list[who % list.len()]);
        team.temporary.push(TemporaryGrant {
            span: iamctl_config::Span::file_only(""),
            description: None,
            expiration_date: Some(u(&until)),
            user: (!role).then(|| who.clone()),
            role: role.then_some(who),
            group: None,
            environment: Some(u("test")),
            grant: Some(u(&key_names[key % key_names.len()])),
        });
    }
    if let (Some((i, rw)), false) = (spec.s3, users.is_empty()) {
        team.s3_users.push(S3User {
            span: iamctl_config::Span::file_only(""),
            bucket: Some(u("shared-files")),
            user: Some(u(&users[i % users.len()].1)),
            access: Some(u(if rw { "read-write" } else { "read" })),
            environments: None,
        });
    }
    let config = Config {
        teams: BTreeMap::from([(t.to_owned(), team)]),
        ..Config::default()
    };
    write(&config)
}

fn sources() -> HashMap<String, Value> {
    AWS_MANAGED
        .iter()
        .map(|n| {
            (
                format!("arn:aws:iam::aws:policy/{n}"),
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": format!("{}:Get*", n.to_lowercase()), "Resource": "*"}]}),
            )
        })
        .collect()
}

fn check_applied(spec: &ConfigSpec) -> Result<(), TestCaseError> {
    let files = config_files(spec);
    let shown_config: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in &files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let (config, ds) = check(dir.path(), now());
    // Configurations validate refuses are not applied.
    prop_assume!(ds.iter().all(|d| !d.is_error()));
    let desired = desired_state(&config, "test", now()).expect("test");
    let legacy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let before = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
        "Policies": [{"PolicyName": "legacy-reader", "Path": "/old/",
            "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/old/legacy-reader"), "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": legacy}]}]});
    let p = plan(
        &desired,
        &ActualAccount::from_snapshot(&typed(&before), &HashMap::new()),
        &sources(),
        &PlanOptions::default(),
    );
    prop_assert!(
        p.conflicts.is_empty(),
        "{:?}\n{}",
        p.conflicts,
        shown_config
    );
    // Applied by apply, on a memory account holding `before` and the
    // AWS-managed policies (listed in GetAccountAuthorizationDetails when
    // attached).
    let b = MemoryBackend::from_snapshot_with(Some(ACCOUNT), &typed(&before), &HashMap::new())
        .with_aws_policies(AWS_MANAGED.iter().map(|n| {
            let doc = sources()[&format!("arn:aws:iam::aws:policy/{n}")].clone();
            (*n, doc)
        }));
    let refused = b.make_changes(&p.changes);
    prop_assert!(
        refused.is_empty(),
        "IAM refuses: {:?}\n{}",
        refused,
        shown_config
    );
    let snapshot = b.snapshot();
    let tags = b.policy_tags_by_arn();
    // As GetRole answers: IAM's default maximum session is one hour.
    let settings: BTreeMap<String, RoleSettings> = b
        .state()
        .roles
        .values()
        .map(|r| {
            let s = RoleSettings {
                description: r.description.clone(),
                max_session_duration: Some(r.max_session_duration.unwrap_or(3600)),
            };
            (r.name.clone(), s)
        })
        .collect();
    let actual = ActualAccount::from_snapshot(&snapshot, &tags);
    let o = Options {
        env: "test".into(),
        team: "imported".into(),
        account_id: ACCOUNT.into(),
        deployer_role: None,
        now: now(),
        role_settings: settings,
    };
    let imported = import(&actual, &snapshot, &o);
    let files = imported.files();
    let shown: String = files.iter().map(|(p, t)| format!("== {p}\n{t}")).collect();
    prop_assert!(
        imported.warnings.is_empty(),
        "{:?}\n{}",
        imported.warnings,
        shown_config
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in &files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let (back, ds) = check(dir.path(), now());
    let errors: Vec<String> = ds
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    prop_assert!(errors.is_empty(), "{errors:#?}\n{shown}");
    prop_assert_eq!(shape(&back), shape(&imported.config), "{}", shown);
    let again = desired_state(&back, "test", now()).expect("test");
    let p = plan(&again, &actual, &sources(), &PlanOptions::default());
    let changes: Vec<String> = p.changes.iter().map(Change::summary).collect();
    prop_assert_eq!(
        changes,
        Vec::<String>::new(),
        "config:\n{}\nimported:\n{}",
        shown_config,
        shown
    );
    prop_assert_eq!(p.conflicts, Vec::<String>::new(), "{}", shown);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_configurations_applied_import_and_plan_no_changes(spec in config_spec()) {
        check_applied(&spec)?;
    }
}

/// The snapshot as iamctl reads it.
fn typed(v: &serde_json::Value) -> iamctl_policy::snapshot::Snapshot {
    iamctl_policy::snapshot::Snapshot::from_value(v).expect("a snapshot")
}
