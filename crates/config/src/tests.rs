use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;

const NOW: &str = "2026-03-21T11:36:28Z";

fn now() -> jiff::Timestamp {
    NOW.parse().expect("timestamp")
}

const ACCOUNTS: &str = "aws-accounts:\n  dev: \"111111111111\"\n  prod: \"222222222222\"\n";
const POLICIES: &str = "\
aws-policies:
  read.only:
    description: reads
    custom_statements:
      - effect: Allow
        actions: [\"s3:GetObject\"]
        resources: [\"arn:aws:s3:::b/*\"]
  admin:
    managed_policies:
      - arn:aws:iam::aws:policy/AdministratorAccess
";
const USERS: &str = "users:\n  ann@example.com: {}\n  bo: {}\n";

/// A directory with the base team `t` plus `extra` files (which replace base ones).
fn write(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = vec![
        ("aws-accounts/t.yaml", ACCOUNTS),
        ("aws-policies/t.yaml", POLICIES),
        ("users/t.yaml", USERS),
    ];
    for (name, text) in extra {
        files.retain(|(n, _)| n != name);
        files.push((name, text));
    }
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn diags(extra: &[(&str, &str)]) -> Vec<Diagnostic> {
    let dir = write(extra);
    check(dir.path(), now()).1
}

fn errors(extra: &[(&str, &str)]) -> Vec<Diagnostic> {
    diags(extra).into_iter().filter(|d| d.is_error()).collect()
}

/// The one diagnostic at `file:line:col`, whose message contains `text`.
#[track_caller]
fn assert_at(ds: &[Diagnostic], sev: Severity, file: &str, line: usize, col: usize, text: &str) {
    let found = ds.iter().any(|d| {
        d.severity == sev
            && d.file() == file
            && d.line() == line
            && d.column() == col
            && d.message.contains(text)
    });
    assert!(
        found,
        "no {sev:?} at {file}:{line}:{col} containing {text:?} in\n{ds:#?}"
    );
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iac")
        .join(name)
}

#[test]
fn base_fixture_is_clean() {
    assert_eq!(diags(&[]), vec![]);
}

#[test]
fn malformed_yaml_points_at_the_spot() {
    let ds = errors(&[(
        "permanent-access/t.yaml",
        "permanent-access:\n  - users: [ann@example.com\n    grants: [read.only]\n",
    )]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    let d = &ds[0];
    assert_eq!((d.file(), d.line()), ("permanent-access/t.yaml", 3));
    assert!(d.message.starts_with("malformed YAML: "), "{}", d.message);
    // Other files are still read and checked.
    let ds = errors(&[
        ("temporary-access/t.yaml", "temporary-access: [\n"),
        ("permanent-access/t.yaml", "permanent-access:\n  - users: [nobody]\n    environments: [dev]\n    grants: [read.only]\n"),
    ]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    // `nobody` is declared nowhere: seed 004's rule makes it an existing user.
    let all = diags(&[
        ("temporary-access/t.yaml", "temporary-access: [\n"),
        ("permanent-access/t.yaml", "permanent-access:\n  - users: [nobody]\n    environments: [dev]\n    grants: [read.only]\n"),
    ]);
    assert_at(
        &all,
        Severity::Note,
        "permanent-access/t.yaml",
        2,
        13,
        "user `nobody` is declared nowhere",
    );
}

#[test]
fn unknown_grant_names_the_policy_file_and_suggests() {
    let ds = errors(&[(
        "permanent-access/t.yaml",
        "permanent-access:\n  - users: [ann@example.com]\n    environments: [dev]\n    grants:\n      - read-only\n",
    )]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_at(
        &ds,
        Severity::Error,
        "permanent-access/t.yaml",
        5,
        9,
        "unknown grant `read-only`: `aws-policies/t.yaml` has no policy key `read-only`",
    );
    assert!(ds[0]
        .help
        .as_deref()
        .unwrap_or("")
        .contains("did you mean `read.only`?"));
}

#[test]
fn temporary_grant_rules() {
    let temp = |date: &str| {
        format!(
            "temporary-access:\n  - description: x\n    expiration_date: {date}\n    user: ann@example.com\n    environment: prod\n    grant: admin\n"
        )
    };
    // Bad format, and an impossible date.
    for bad in ["30/11/2026", "2026-02-30", "tomorrow"] {
        let ds = errors(&[("temporary-access/t.yaml", &temp(bad))]);
        assert_eq!(ds.len(), 1, "{bad}: {ds:#?}");
        assert_at(
            &ds,
            Severity::Error,
            "temporary-access/t.yaml",
            3,
            22,
            "bad expiration date",
        );
    }
    // Six days ahead is fine as a date (the whole day counts), seven is not.
    assert_eq!(
        errors(&[("temporary-access/t.yaml", &temp("2026-03-27"))]),
        vec![]
    );
    let ds = errors(&[("temporary-access/t.yaml", &temp("2026-03-28"))]);
    assert_at(
        &ds,
        Severity::Error,
        "temporary-access/t.yaml",
        3,
        22,
        "expiration date `2026-03-28` is more than 6 days after 2026-03-21T11:36:28Z",
    );
    // An instant is compared exactly.
    assert_eq!(
        errors(&[("temporary-access/t.yaml", &temp("2026-03-27T11:36:28Z"))]),
        vec![]
    );
    let ds = errors(&[("temporary-access/t.yaml", &temp("2026-03-27T11:36:29Z"))]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    // The maximum is configurable.
    let ds = errors(&[
        ("temporary-access/t.yaml", &temp("2026-03-23")),
        (
            "settings.yaml",
            "settings:\n  max_temporary_duration: 36h\n",
        ),
    ]);
    assert_at(
        &ds,
        Severity::Error,
        "temporary-access/t.yaml",
        3,
        22,
        "more than 1.50 days",
    );
    // Already expired: a warning, and not granted.
    let ds = diags(&[("temporary-access/t.yaml", &temp("2026-03-20"))]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_at(
        &ds,
        Severity::Warning,
        "temporary-access/t.yaml",
        3,
        22,
        "temporary grant expired at 2026-03-20T23:59:59Z",
    );
}

#[test]
fn unknown_environment_user_role_group() {
    let ds = errors(&[(
        "permanent-access/t.yaml",
        "permanent-access:\n  - users: [anne@example.com]\n    roles: [ci]\n    groups: [devs]\n    environments: [staging]\n    grants: [read.only]\n",
    )]);
    // Users and roles declared nowhere exist already (seed 004's rule); a
    // name close to a declared one is likely a typo: a warning.
    let all = diags(&[(
        "permanent-access/t.yaml",
        "permanent-access:\n  - users: [anne@example.com]\n    roles: [ci]\n    groups: [devs]\n    environments: [staging]\n    grants: [read.only]\n",
    )]);
    assert_at(
        &all,
        Severity::Warning,
        "permanent-access/t.yaml",
        2,
        13,
        "user `anne` (`anne@example.com`) is declared nowhere, but user `ann` is",
    );
    assert_at(
        &all,
        Severity::Note,
        "permanent-access/t.yaml",
        3,
        13,
        "role `ci` is declared nowhere: it must exist already in the accounts it is granted in",
    );
    assert_at(
        &ds,
        Severity::Error,
        "permanent-access/t.yaml",
        4,
        14,
        "unknown group `devs`",
    );
    assert_at(
        &ds,
        Severity::Error,
        "permanent-access/t.yaml",
        5,
        20,
        "unknown environment `staging`: `aws-accounts/t.yaml` does not map it to an account",
    );
    assert_eq!(ds.len(), 2, "{ds:#?}");
    let user = all
        .iter()
        .find(|d| d.message.contains("anne"))
        .expect("user");
    assert!(user
        .help
        .as_deref()
        .unwrap_or("")
        .starts_with("did you mean `ann`?"));
}

#[test]
fn unknown_policy_keys() {
    // A boundary naming a key that does not exist.
    let ds = errors(&[(
        "users/t.yaml",
        "users:\n  ann@example.com:\n    permissions_boundary: boundary\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "users/t.yaml",
        3,
        27,
        "unknown policy key `boundary` for a permissions boundary",
    );
    // A misspelt field of a policy.
    let ds = errors(&[(
        "aws-policies/t.yaml",
        "aws-policies:\n  read.only:\n    managed_policy:\n      - arn:aws:iam::aws:policy/ReadOnlyAccess\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "aws-policies/t.yaml",
        3,
        5,
        "unknown key `managed_policy` in policy `read.only`",
    );
    assert!(ds[0]
        .help
        .as_deref()
        .unwrap_or("")
        .starts_with("did you mean `managed_policies`?"));
}

#[test]
fn schema_problems_unknown_keys_and_wrong_types() {
    let ds = errors(&[(
        "temporary-access/t.yaml",
        "temporary-access:\n  - expiration_date: 2026-03-22\n    user: [ann]\n    environment: dev\n    grant: admin\n    reason: debugging\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "temporary-access/t.yaml",
        3,
        11,
        "`user` of temporary grant 1 must be a string, found a list",
    );
    assert_at(
        &ds,
        Severity::Error,
        "temporary-access/t.yaml",
        6,
        5,
        "unknown key `reason` in temporary grant 1",
    );
    let ds = errors(&[(
        "aws-accounts/t.yaml",
        "aws-accounts:\n  dev: \"111111111111\"\n  prod: \"222222222222\"\naccounts: {}\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "aws-accounts/t.yaml",
        4,
        1,
        "unknown key `accounts` at the top of a `aws-accounts` file",
    );
}

#[test]
fn duplicate_keys_are_errors() {
    let ds = errors(&[(
        "aws-policies/t.yaml",
        "aws-policies:\n  read.only:\n    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n  read.only:\n    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]\n  admin: {managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]}\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "aws-policies/t.yaml",
        4,
        3,
        "duplicate key `read.only`; it is first defined on line 2",
    );
    // Two spellings of one user.
    let ds = errors(&[(
        "users/t.yaml",
        "users:\n  ann@example.com: {}\n  ann@example.org: {}\n  bo: {}\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "users/t.yaml",
        3,
        3,
        "`ann@example.org` is user `ann` again",
    );
}

#[test]
fn names_paths_tags_and_accounts() {
    let ds = errors(&[
        ("users/t.yaml", "users:\n  ann@example.com:\n    path: team\n    tags:\n      aws:x: y\n  bo: {}\n  \"bad name\": {}\n"),
        ("aws-accounts/t.yaml", "aws-accounts:\n  dev: 12345\n  prod: \"222222222222\"\n"),
    ]);
    assert_at(
        &ds,
        Severity::Error,
        "users/t.yaml",
        3,
        11,
        "IAM path `team`",
    );
    assert_at(&ds, Severity::Error, "users/t.yaml", 5, 7, "aws:");
    assert_at(
        &ds,
        Severity::Error,
        "users/t.yaml",
        7,
        3,
        "user name `bad name`",
    );
    assert_at(
        &ds,
        Severity::Error,
        "aws-accounts/t.yaml",
        2,
        8,
        "account id `12345` is not 12 digits",
    );
}

#[test]
fn lint_findings_map_to_the_statement() {
    let ds = diags(&[(
        "aws-policies/t.yaml",
        "aws-policies:\n  read.only:\n    custom_statements:\n      - effect: Allow\n        actions:\n          - s3:GetObject\n          - s3:GetObjekt\n        resources: [\"arn:aws:s3:::b/*\"]\n  admin:\n    managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "aws-policies/t.yaml",
        7,
        13,
        "policy `t-read-only`: ",
    );
    let d = ds.iter().find(|d| d.line() == 7).expect("finding");
    assert!(d.message.contains("no action `GetObjekt`"), "{}", d.message);
}

#[test]
fn statement_structure() {
    let ds = errors(&[(
        "aws-policies/t.yaml",
        "aws-policies:\n  read.only:\n    custom_statements:\n      - effect: allow\n        resources: [\"*\"]\n  admin:\n    managed_policies: [ReadOnlyAccess]\n",
    )]);
    assert_at(
        &ds,
        Severity::Error,
        "aws-policies/t.yaml",
        4,
        17,
        "effect `allow` is neither `Allow` nor `Deny`",
    );
    assert_at(
        &ds,
        Severity::Error,
        "aws-policies/t.yaml",
        4,
        9,
        "needs exactly one of `actions` and `not_actions`",
    );
    assert_at(
        &ds,
        Severity::Error,
        "aws-policies/t.yaml",
        7,
        24,
        "managed policy `ReadOnlyAccess` is not an ARN",
    );
}

#[test]
fn diagnostics_are_sorted() {
    let ds = diags(&[
        (
            "permanent-access/t.yaml",
            "permanent-access:\n  - users: [x1]\n    environments: [e1]\n    grants: [g1]\n",
        ),
        ("groups/t.yaml", "groups:\n  devs:\n    members: [zed]\n"),
    ]);
    let keys: Vec<_> = ds
        .iter()
        .map(|d| (d.file().to_owned(), d.line(), d.column()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(ds.len(), 4, "{ds:#?}");
}

#[test]
fn missing_directory_and_empty_directory() {
    let (_, ds) = load(Path::new("/nonexistent/iamctl"));
    assert_eq!(ds.len(), 1);
    assert!(ds[0]
        .message
        .starts_with("cannot read configuration directory"));
    let empty = tempfile::tempdir().expect("tempdir");
    let (_, ds) = load(empty.path());
    assert!(
        ds[0].message.starts_with("no configuration found"),
        "{ds:#?}"
    );
}

#[test]
fn email_rule_and_policy_names() {
    assert_eq!(user_name("user@example.com"), "user");
    assert_eq!(user_name("github-actions"), "github-actions");
    assert_eq!(
        policy_name("example-team", "developers.read-only"),
        "example-team-developers-read-only"
    );
    assert_eq!(parse_duration("6d"), Some(518_400));
    assert_eq!(parse_duration("36h"), Some(129_600));
    assert_eq!(parse_duration("6"), Some(518_400));
    assert_eq!(parse_duration("6w"), None);
}

/// Seed 004's example exactly as the seed writes it (only its typo fixed:
/// the permanent grant `dev.read-only` is `developers.read-only`), with no
/// `users/` or `roles/` file: the users and the role it grants to exist
/// already, which validate notes and does not reject.
#[test]
fn seed004_example_loads_and_validates() {
    let (config, ds) = load(&example("seed004"));
    assert_eq!(ds, vec![]);
    assert_eq!(
        config.sources.keys().collect::<Vec<_>>(),
        [
            "aws-accounts/example-team.yaml",
            "aws-policies/example-team.yaml",
            "permanent-access/example-team.yaml",
            "temporary-access/example-team.yaml",
        ]
    );
    let team = config.team("example-team").expect("team");
    assert_eq!(team.accounts["prod"].account_id.value, "345678901234");
    assert_eq!(team.policies.len(), 2);
    assert_eq!(team.permanent[0].grants[0].value, "developers.read-only");
    assert!(team.users.is_empty() && team.roles.is_empty());
    // Before the grant's end (the seed's own time): no error, no warning,
    // one note per principal declared nowhere, at its first mention.
    let before: jiff::Timestamp = "2025-11-28T09:00:00Z".parse().expect("ts");
    let ds = validate(&config, before);
    let shown: Vec<(Severity, String, usize, usize)> = ds
        .iter()
        .map(|d| (d.severity, d.file().to_owned(), d.line(), d.column()))
        .collect();
    let note = |f: &str, l, c| (Severity::Note, f.to_owned(), l, c);
    assert_eq!(
        shown,
        [
            note("permanent-access/example-team.yaml", 4, 9),
            note("permanent-access/example-team.yaml", 5, 9),
            note("permanent-access/example-team.yaml", 14, 9),
            note("temporary-access/example-team.yaml", 4, 11),
        ],
        "{ds:#?}"
    );
    assert!(ds[0]
        .message
        .contains("user `user1` (`user1@example.com`) is declared nowhere"));
    assert!(ds[2].message.contains("role `github-actions-deployer`"));
    // Today (and at `NOW`) its one temporary grant, which ended on
    // 2025-11-30, is expired: a warning, still no error.
    for at in [now(), "2026-11-30T12:00:00Z".parse().expect("ts")] {
        let ds = validate(&config, at);
        assert!(ds.iter().all(|d| !d.is_error()), "{ds:#?}");
        assert_eq!(ds.len(), 5, "{ds:#?}");
        assert_at(
            &ds,
            Severity::Warning,
            "temporary-access/example-team.yaml",
            3,
            22,
            "expired",
        );
    }
    // The seed's README as written (`dev.read-only`) is rejected at the typo.
    let dir = tempfile::tempdir().expect("tempdir");
    for kind in TEAM_DIRS {
        let from = example("seed004").join(kind).join("example-team.yaml");
        if let Ok(text) = std::fs::read_to_string(&from) {
            let to = dir.path().join(kind);
            std::fs::create_dir_all(&to).expect("mkdir");
            let text = text.replace("- developers.read-only", "- dev.read-only");
            std::fs::write(to.join("example-team.yaml"), text).expect("write");
        }
    }
    let es: Vec<_> = check(dir.path(), before)
        .1
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_at(
        &es,
        Severity::Error,
        "permanent-access/example-team.yaml",
        10,
        9,
        "unknown grant `dev.read-only`",
    );
}

#[test]
fn seed001_example_is_clean() {
    let (config, ds) = check(&example("seed001"), now());
    // No errors; the linter rightly says that `ec2:*` on `*` is broad, and
    // that it completes the catalogue's escalation methods through instances.
    assert!(ds.iter().all(|d| !d.is_error()), "{ds:#?}");
    assert_eq!(ds.len(), 3, "{ds:#?}");
    assert_at(
        &ds,
        Severity::Warning,
        "aws-policies/platform.yaml",
        13,
        19,
        "`ec2-002` (ec2:ModifyInstanceAttribute",
    );
    assert_at(
        &ds,
        Severity::Warning,
        "aws-policies/platform.yaml",
        14,
        21,
        "(WRITE_ON_ALL_RESOURCES)",
    );
    let d = desired_state(&config, "sandbox", now()).expect("sandbox");
    assert_eq!(d.account_id, "111122223333");
    assert_eq!(d.deployer_role, "IAMAsCodeDeployer");
    assert_eq!(
        d.users.keys().collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );
    let role = &d.roles["operator"];
    assert_eq!(
        role.attached.iter().cloned().collect::<Vec<_>>(),
        [
            "arn:aws:iam::111122223333:policy/iamctl/platform/platform-deny-iam-user-creation",
            "arn:aws:iam::111122223333:policy/iamctl/platform/platform-s3-read-ec2-full",
        ]
    );
    let trust = role.trust.as_ref().expect("trust");
    assert_eq!(
        trust["Statement"][0]["Condition"],
        json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    );
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        json!([
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:user/bob",
            "arn:aws:iam::111122223333:user/carol"
        ])
    );
    assert_eq!(d.users["alice"].tags["managed-by"], "iamctl");
    assert_eq!(d.users["alice"].tags["team"], "platform");
    assert_eq!(d.users["alice"].tags["iamctl:key"], "alice@example.com");
    assert_eq!(
        config
            .settings
            .master_copy
            .as_ref()
            .map(|s| s.value.as_str()),
        Some("s3://iam-master-copy/seed001/")
    );
}

/// Seed 004's principals are required only in the accounts where something
/// is granted to them, each with the place of the grant.
#[test]
fn desired_state_of_seed004() {
    let (config, _) = check(&example("seed004"), now());
    let d = desired_state(&config, "nonprod", now()).expect("nonprod");
    assert_eq!(
        d.policies.keys().collect::<Vec<_>>(),
        ["example-team-developers-read-only"]
    );
    let p = &d.policies["example-team-developers-read-only"];
    assert_eq!(p.tags["managed-by"], "iamctl");
    assert_eq!(p.tags["iamctl:team"], "example-team");
    assert_eq!(p.tags["iamctl:key"], "developers.read-only");
    // Made under the IAM path of ours (settings `iam_path`, default `/iamctl/`).
    assert_eq!(p.path, "/iamctl/example-team/");
    assert!(!p.path_set);
    assert_eq!(d.iam_path, "/iamctl/");
    assert_eq!(d.users.keys().collect::<Vec<_>>(), ["user1", "user2"]);
    let user1 = &d.users["user1"];
    assert!(!user1.managed);
    assert!(user1.tags.is_empty());
    assert_eq!(user1.declared_at, None);
    assert_eq!(
        user1.required_by,
        ["permanent-access/example-team.yaml:4:9"]
    );
    assert_eq!(
        user1.attached.iter().cloned().collect::<Vec<_>>(),
        [
            "arn:aws:iam::123456789012:policy/iamctl/example-team/example-team-developers-read-only",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ]
    );
    let role = &d.roles["github-actions-deployer"];
    assert!(!role.managed);
    assert_eq!(
        role.required_by,
        ["permanent-access/example-team.yaml:14:9"]
    );
    assert_eq!(
        role.attached.iter().cloned().collect::<Vec<_>>(),
        ["arn:aws:iam::aws:policy/PowerUserAccess"]
    );
    // acceptance: the two users, not the role (granted in nonprod only).
    let acc = desired_state(&config, "acceptance", now()).expect("acceptance");
    assert_eq!(acc.users.keys().collect::<Vec<_>>(), ["user1", "user2"]);
    assert!(acc.roles.is_empty());
    assert!(desired_state(&config, "staging", now()).is_none());
    // prod at NOW: the break-glass grant has expired, so nothing needs
    // `developer` there (nor anyone else).
    let prod = desired_state(&config, "prod", now()).expect("prod");
    assert!(prod.users.is_empty() && prod.roles.is_empty(), "{prod:#?}");
    // Before the expiry it is a wrapper AWS stops honouring at 23:59:59Z.
    let before: jiff::Timestamp = "2025-11-28T09:00:00Z".parse().expect("ts");
    let prod = desired_state(&config, "prod", before).expect("prod");
    assert_eq!(prod.users.keys().collect::<Vec<_>>(), ["developer"]);
    assert_eq!(
        prod.users["developer"].required_by,
        ["temporary-access/example-team.yaml:4:11"]
    );
    let name = "example-team-dev-break-glass-developer-PowerUserAccess-temporary";
    let p = &prod.policies[name];
    assert_eq!(p.tags["iamctl:expires"], "2025-11-30T23:59:59Z");
    assert_eq!(p.tags["iamctl:grantee"], "user/developer");
    assert_eq!(
        p.body,
        PolicyBody::ExpiringCopyOf {
            source_arn: "arn:aws:iam::aws:policy/PowerUserAccess".into(),
            expires_at: "2025-11-30T23:59:59Z".parse().expect("ts"),
        }
    );
    assert_eq!(
        prod.users["developer"]
            .attached
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        [format!(
            "arn:aws:iam::345678901234:policy/iamctl/example-team/{name}"
        )]
    );
}

/// `settings.iam_path`: `/` keeps cloud-iam-self-serve's ARNs (policies and
/// groups at `/`); another path puts them under `<iam_path><team>/`; a
/// `path` written in the configuration wins; `existing` keys stay at `/`.
#[test]
fn iam_path_setting_places_what_iamctl_creates() {
    let files = |settings: &str| {
        let mut f = vec![
            ("aws-accounts/t.yaml", "aws-accounts:\n  dev: \"111111111111\"\n"),
            (
                "aws-policies/t.yaml",
                "aws-policies:\n  read:\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n  placed:\n    path: /mine/\n    custom_statements:\n      - effect: Allow\n        actions: [\"s3:GetObject\"]\n        resources: [\"*\"]\n  legacy:\n    existing: true\n",
            ),
            (
                "permanent-access/t.yaml",
                "permanent-access:\n  - groups: [devs]\n    environments: [dev]\n    grants: [read, placed, legacy]\n",
            ),
            ("groups/t.yaml", "groups:\n  devs:\n    members: []\n  old:\n    existing: true\n"),
        ];
        if !settings.is_empty() {
            f.push(("settings.yaml", settings));
        }
        write(&f)
    };
    let arns = |settings: &str| {
        let dir = files(settings);
        let (config, ds) = check(dir.path(), now());
        assert_eq!(ds, vec![], "{settings}");
        let d = desired_state(&config, "dev", now()).expect("dev");
        (
            d.groups["devs"]
                .attached
                .iter()
                .cloned()
                .collect::<Vec<_>>(),
            d.groups["devs"].path.clone(),
            d.groups["old"].path.clone(),
            d.iam_path.clone(),
        )
    };
    assert_eq!(
        arns(""),
        (
            vec![
                "arn:aws:iam::111111111111:policy/iamctl/t/t-read".to_owned(),
                "arn:aws:iam::111111111111:policy/mine/t-placed".to_owned(),
                "arn:aws:iam::111111111111:policy/t-legacy".to_owned(),
            ],
            "/iamctl/t/".to_owned(),
            "/".to_owned(),
            "/iamctl/".to_owned(),
        )
    );
    assert_eq!(
        arns("settings:\n  iam_path: /\n"),
        (
            vec![
                "arn:aws:iam::111111111111:policy/mine/t-placed".to_owned(),
                "arn:aws:iam::111111111111:policy/t-legacy".to_owned(),
                "arn:aws:iam::111111111111:policy/t-read".to_owned(),
            ],
            "/".to_owned(),
            "/".to_owned(),
            "/".to_owned(),
        )
    );
    assert_eq!(
        arns("settings:\n  iam_path: /platform/iac/\n").0[1],
        "arn:aws:iam::111111111111:policy/platform/iac/t/t-read"
    );
}

/// A bad `iam_path` is one error at its line and column (exit 3 in the CLI).
#[test]
fn bad_iam_path_is_one_error_at_its_place() {
    for (value, says) in [
        ("iamctl/", "must start and end with `/`"),
        ("/iamctl", "must start and end with `/`"),
        ("\"/i am/\"", "which IAM does not allow"),
    ] {
        let settings = format!("settings:\n  iam_path: {value}\n");
        let ds = diags(&[
            ("settings.yaml", settings.as_str()),
            (
                "aws-accounts/t.yaml",
                "aws-accounts:\n  dev: \"111111111111\"\n",
            ),
        ]);
        let errors: Vec<_> = ds
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{value}: {ds:#?}");
        assert_eq!(
            (
                &*errors[0].span.file,
                errors[0].span.line,
                errors[0].span.column
            ),
            ("settings.yaml", 2, 13),
            "{value}"
        );
        assert!(
            errors[0].message.starts_with("`iam_path`: IAM path"),
            "{}",
            errors[0].message
        );
        assert!(errors[0].message.contains(says), "{}", errors[0].message);
        assert!(errors[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("/iamctl/")));
    }
    let long = format!("/{}/", "a".repeat(511));
    let settings = format!("settings:\n  iam_path: {long}\n");
    let ds = errors(&[("settings.yaml", settings.as_str())]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert!(ds[0].message.contains("above the 512"), "{}", ds[0].message);
    // A valid path, but too long with the team's name after it.
    let settings = format!("settings:\n  iam_path: /{}/\n", "a".repeat(505));
    let ds = errors(&[
        ("settings.yaml", settings.as_str()),
        (
            "aws-accounts/longteam.yaml",
            "aws-accounts:\n  dev: \"111111111111\"\n",
        ),
        (
            "groups/longteam.yaml",
            "groups:\n  devs:\n    members: []\n",
        ),
    ]);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(
        (&*ds[0].span.file, ds[0].span.line),
        ("groups/longteam.yaml", 2)
    );
    assert!(
        ds[0]
            .message
            .starts_with("team `longteam` puts its policies and groups at IAM path"),
        "{}",
        ds[0].message
    );
}

/// `existing: true` declarations follow the same rule: in the desired state
/// only where a grant, membership or trust needs them.
#[test]
fn existing_principals_are_required_only_where_granted() {
    let users = "users:\n  ann@example.com:\n    existing: true\n    path: /people/\n  bo: {}\n";
    let roles = "roles:\n  ci:\n    existing: true\n    permissions_boundary: arn:aws:iam::aws:policy/PowerUserAccess\n";
    let grants = "permanent-access:\n  - users: [ann@example.com]\n    roles: [ci]\n    environments: [prod]\n    grants: [read.only]\n  - users: [ann]\n    environments: [prod]\n    grants: [admin]\n";
    let dir = write(&[
        ("users/t.yaml", users),
        ("roles/t.yaml", roles),
        ("permanent-access/t.yaml", grants),
    ]);
    let (config, ds) = check(dir.path(), now());
    assert_eq!(ds, vec![]);
    let dev = desired_state(&config, "dev", now()).expect("dev");
    assert_eq!(dev.users.keys().collect::<Vec<_>>(), ["bo"]);
    assert!(dev.roles.is_empty());
    let prod = desired_state(&config, "prod", now()).expect("prod");
    let ann = &prod.users["ann"];
    assert!(!ann.managed);
    assert_eq!(ann.path, "/people/");
    assert_eq!(ann.declared_at.as_deref(), Some("users/t.yaml:2:3"));
    assert_eq!(
        ann.required_by,
        [
            "permanent-access/t.yaml:2:13",
            "permanent-access/t.yaml:6:13"
        ]
    );
    assert_eq!(ann.attached.len(), 2);
    let ci = &prod.roles["ci"];
    assert_eq!(
        ci.permissions_boundary.as_deref(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    assert_eq!(ci.required_by, ["permanent-access/t.yaml:3:13"]);
    // A group's member is needed where the group is.
    let dir = write(&[
        ("users/t.yaml", users),
        (
            "groups/t.yaml",
            "groups:\n  devs:\n    members: [ann@example.com]\n    environments: [dev]\n",
        ),
    ]);
    let (config, ds) = check(dir.path(), now());
    assert_eq!(ds, vec![]);
    let dev = desired_state(&config, "dev", now()).expect("dev");
    assert_eq!(dev.users["ann"].required_by, ["groups/t.yaml:3:15"]);
    let prod = desired_state(&config, "prod", now()).expect("prod");
    assert!(!prod.users.contains_key("ann"));
}

#[test]
fn temporary_custom_statements_carry_the_expiry() {
    let dir = write(&[(
        "temporary-access/t.yaml",
        "temporary-access:\n  - expiration_date: 2026-03-22T18:00:00Z\n    user: bo\n    environment: dev\n    grant: read.only\n",
    )]);
    let (config, ds) = check(dir.path(), now());
    assert_eq!(ds, vec![]);
    let d = desired_state(&config, "dev", now()).expect("dev");
    let p = &d.policies["t-read-only-bo-temporary"];
    let PolicyBody::Document(doc) = &p.body else {
        panic!("a document")
    };
    assert_eq!(
        doc["Statement"][0]["Condition"],
        json!({"DateLessThan": {"aws:CurrentTime": "2026-03-22T18:00:00Z"}})
    );
    assert_eq!(p.tags["iamctl:expires"], "2026-03-22T18:00:00Z");
    // The same document passes the linter and IAM's structure checks.
    let text = serde_json::to_string(doc).expect("json");
    iamctl_policy::PolicyDocument::parse("t", &text, iamctl_policy::DocumentKind::Managed)
        .expect("valid");
    // After the instant, nothing.
    let later: jiff::Timestamp = "2026-03-22T18:00:00Z".parse().expect("ts");
    let d = desired_state(&config, "dev", later).expect("dev");
    assert!(!d.policies.contains_key("t-read-only-bo-temporary"));
    // The wrapper of a managed policy's document gets the same condition.
    let aws = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]});
    let copy = expiring_copy(&aws, later);
    assert_eq!(
        copy["Statement"][0]["Condition"],
        json!({"Bool": {"aws:SecureTransport": "true"}, "DateLessThan": {"aws:CurrentTime": "2026-03-22T18:00:00Z"}})
    );
}

#[test]
fn miette_renders_the_source_line() {
    let ds = errors(&[(
        "permanent-access/t.yaml",
        "permanent-access:\n  - users: [ann@example.com]\n    environments: [dev]\n    grants: [nope]\n",
    )]);
    let report = miette::Report::new(ds[0].clone());
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, report.as_ref())
        .expect("render");
    assert!(out.contains("permanent-access/t.yaml:4:14"), "{out}");
    assert!(out.contains("grants: [nope]"), "{out}");
}

/// The editor schema lists exactly the keys the loader accepts, and both
/// examples (which load cleanly) use only keys the schema knows.
#[test]
fn json_schema_matches_the_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/iamctl-config.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json");
    let defs = &schema["$defs"];
    let props = |def: &str| -> Vec<String> {
        let mut v: Vec<String> = defs[def]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("$defs/{def} has properties"))
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    };
    let sorted = |k: &[&str]| {
        let mut v: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    };
    for (def, k) in [
        ("environment", keys::ENVIRONMENT),
        ("policy", keys::POLICY),
        ("statement", keys::STATEMENT),
        ("permanentGrant", keys::PERMANENT),
        ("temporaryGrant", keys::TEMPORARY),
        ("user", keys::USER),
        ("role", keys::ROLE),
        ("trust", keys::TRUST),
        ("group", keys::GROUP),
        ("s3User", keys::S3_USER),
        ("settings", keys::SETTINGS),
        ("identityCenterSettings", keys::IDENTITY_CENTER_SETTINGS),
        ("identityCenter", keys::IDENTITY_CENTER),
        ("ssoUser", keys::SSO_USER),
        ("ssoGroup", keys::SSO_GROUP),
        ("permissionSet", keys::PERMISSION_SET),
        ("organizationSettings", keys::ORGANIZATION_SETTINGS),
        ("orgPolicy", keys::ORG_POLICY),
        (
            "ssoPermanentGrant",
            &[
                "description",
                "environments",
                "sso_users",
                "sso_groups",
                "permission_set",
            ],
        ),
        (
            "ssoTemporaryGrant",
            &[
                "description",
                "expiration_date",
                "environment",
                "sso_user",
                "sso_group",
                "permission_set",
            ],
        ),
    ] {
        assert_eq!(props(def), sorted(k), "$defs/{def}");
        assert_eq!(
            defs[def]["additionalProperties"],
            json!(false),
            "$defs/{def}"
        );
    }
    let mut top: Vec<String> = schema["properties"]
        .as_object()
        .expect("top properties")
        .keys()
        .cloned()
        .collect();
    top.sort();
    let mut want = sorted(TEAM_DIRS);
    want.push("settings".into());
    want.sort();
    assert_eq!(top, want);
    for ex in ["seed001", "seed004"] {
        let (_, ds) = load(&example(ex));
        assert_eq!(ds, vec![], "{ex}");
    }
}

#[test]
fn teams_reach_an_environment_the_same_way() {
    let other = "aws-accounts:\n  dev:\n    account_id: \"111111111111\"\n    external_id: x-1\n";
    let es = errors(&[("aws-accounts/u.yaml", other)]);
    assert_at(
        &es,
        Severity::Error,
        "aws-accounts/u.yaml",
        4,
        18,
        "environment `dev` has external_id `x-1` here but `(default)` in",
    );
}

/// Two environments mapped to one account would flip-flop (each apply undoes
/// the other's grants): rejected, naming both places, within a team and
/// across teams. One environment in two teams is fine.
#[test]
fn two_environments_of_one_account_are_rejected() {
    let accounts = "aws-accounts:\n  dev: \"111111111111\"\n  prod: \"222222222222\"\n  sandbox: \"111111111111\"\n";
    let es = errors(&[("aws-accounts/t.yaml", accounts)]);
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_at(
        &es,
        Severity::Error,
        "aws-accounts/t.yaml",
        4,
        12,
        "account `111111111111` is environment `dev` in aws-accounts/t.yaml:2:8, and environment `sandbox` here",
    );
    let other = "aws-accounts:\n  staging:\n    account_id: \"222222222222\"\n";
    let es = errors(&[("aws-accounts/u.yaml", other)]);
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_at(
        &es,
        Severity::Error,
        "aws-accounts/u.yaml",
        3,
        17,
        "account `222222222222` is environment `prod` in aws-accounts/t.yaml:3:9, and environment `staging` here",
    );
    // The same environment in two teams is one desired state: fine.
    let same = "aws-accounts:\n  prod: \"222222222222\"\n";
    assert_eq!(errors(&[("aws-accounts/u.yaml", same)]), vec![]);
}

/// Plan's conflict for a missing existing principal names the account, the
/// environment and the grant's place.
#[test]
fn missing_principal_names_account_and_place() {
    let (config, _) = check(&example("seed004"), now());
    let before: jiff::Timestamp = "2025-11-28T09:00:00Z".parse().expect("ts");
    let prod = desired_state(&config, "prod", before).expect("prod");
    let dev = &prod.users["developer"];
    assert_eq!(
        missing_principal(
            PrincipalKind::User,
            &dev.name,
            &dev.required_by,
            dev.declared_at.as_deref(),
            &prod.environment,
            &prod.account_id
        ),
        "user `developer` is granted in temporary-access/example-team.yaml:4:11, but account `345678901234` (environment `prod`) has no such user: create it there or remove the grant"
    );
    let two = ["a.yaml:1:1".to_owned(), "b.yaml:2:2".to_owned()];
    assert!(missing_principal(PrincipalKind::Role, "ci", &two, Some("roles/t.yaml:2:3"), "dev", "111111111111")
        .starts_with("role `ci` (declared `existing` at roles/t.yaml:2:3) is granted in a.yaml:1:1 (and 1 more place), but account"));
}
