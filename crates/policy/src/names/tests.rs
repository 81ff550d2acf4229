//! Tests for the IAM name, path, tag, alias and ARN rules.

use super::*;
use miette::Diagnostic;
use proptest::prelude::*;

const ALL_KINDS: [EntityKind; 6] = [
    EntityKind::User,
    EntityKind::Group,
    EntityKind::Role,
    EntityKind::Policy,
    EntityKind::InstanceProfile,
    EntityKind::RoleSessionName,
];

fn code(err: &NameError) -> String {
    err.code().map(|c| c.to_string()).unwrap_or_default()
}

fn help(err: &NameError) -> String {
    err.help().map(|h| h.to_string()).unwrap_or_default()
}

// --- names -----------------------------------------------------------------

#[test]
fn kind_strings() {
    let strings: Vec<_> = ALL_KINDS.iter().map(EntityKind::as_str).collect();
    assert_eq!(
        strings,
        [
            "user",
            "group",
            "role",
            "policy",
            "instance profile",
            "role session name"
        ]
    );
    assert_eq!(EntityKind::InstanceProfile.to_string(), "instance profile");
}

#[test]
fn accepts_every_allowed_character() {
    let name = "AZaz09_+=,.@-";
    for kind in ALL_KINDS {
        assert_eq!(validate_name(kind, name), Ok(()), "{kind}");
    }
}

#[test]
fn length_boundaries() {
    for (kind, max) in [
        (EntityKind::User, 64),
        (EntityKind::Group, 128),
        (EntityKind::Role, 64),
        (EntityKind::InstanceProfile, 128),
        (EntityKind::RoleSessionName, 64),
        (EntityKind::Policy, 128),
    ] {
        assert_eq!(kind.max_len(), max);
        assert_eq!(validate_name(kind, &"a".repeat(max)), Ok(()), "{kind}");
        assert_eq!(
            validate_name(kind, &"a".repeat(max + 1)),
            Err(NameError::NameTooLong {
                kind,
                name: "a".repeat(max + 1),
                len: max + 1
            }),
            "{kind}"
        );
    }
}

#[test]
fn short_names() {
    for kind in ALL_KINDS {
        assert_eq!(validate_name(kind, ""), Err(NameError::EmptyName { kind }));
    }
    for kind in ALL_KINDS
        .into_iter()
        .filter(|k| *k != EntityKind::RoleSessionName)
    {
        assert_eq!(validate_name(kind, "a"), Ok(()), "{kind}");
    }
    assert_eq!(
        validate_name(EntityKind::RoleSessionName, "a"),
        Err(NameError::NameTooShort {
            kind: EntityKind::RoleSessionName,
            name: "a".into(),
            len: 1
        })
    );
    assert_eq!(validate_name(EntityKind::RoleSessionName, "ab"), Ok(()));
}

#[test]
fn bad_characters_message() {
    let err = validate_name(EntityKind::User, "bad name!").unwrap_err();
    assert_eq!(
        err,
        NameError::NameCharacters {
            kind: EntityKind::User,
            name: "bad name!".into(),
            invalid: vec!['!', ' '],
        }
    );
    assert_eq!(
        err.to_string(),
        "user name `bad name!` contains `!` and ` `, which IAM does not allow"
    );
    assert_eq!(
        help(&err),
        "a user name is 1 to 64 characters: ASCII letters, digits and `_+=,.@-`"
    );
    assert_eq!(code(&err), "iamctl::invalid_name");
}

#[test]
fn bad_characters_are_listed_once_each() {
    let err = validate_name(EntityKind::Role, "a/b/c:d/é").unwrap_err();
    assert_eq!(
        err.to_string(),
        "role name `a/b/c:d/é` contains `/`, `:` and `é`, which IAM does not allow"
    );
    for name in [
        "tab\there",
        "new\nline",
        "back`tick",
        "ünïcode",
        "a*b",
        "x#y",
        "semi;colon",
    ] {
        assert!(
            matches!(
                validate_name(EntityKind::Group, name),
                Err(NameError::NameCharacters { .. })
            ),
            "{name:?}"
        );
    }
}

#[test]
fn control_characters_and_backticks_are_shown_safely() {
    let err = validate_name(EntityKind::User, "a\nb`").unwrap_err();
    assert_eq!(
        err.to_string(),
        "user name `a\\nb`` contains `` ` `` and `\\n`, which IAM does not allow"
    );
}

#[test]
fn length_messages() {
    let err = validate_name(EntityKind::Policy, &"p".repeat(129)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "policy name `{}` is 129 characters, above the 128 that IAM allows",
            "p".repeat(129)
        )
    );
    assert_eq!(
        help(&err),
        "a policy name is 1 to 128 characters: ASCII letters, digits and `_+=,.@-`"
    );
    let err = validate_name(EntityKind::InstanceProfile, "").unwrap_err();
    assert_eq!(err.to_string(), "instance profile name cannot be empty");
    assert!(help(&err).starts_with("an instance profile name is 1 to 128 characters"));
    let err = validate_name(EntityKind::RoleSessionName, "x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "role session name `x` is 1 characters, below the 2 that IAM requires"
    );
    assert!(help(&err).starts_with("a role session name is 2 to 64 characters"));
}

// --- paths -----------------------------------------------------------------

#[test]
fn valid_paths() {
    for path in [
        "/",
        "/a/",
        "/division_abc/subdivision_xyz/",
        "/!~/",
        "/a//b/",
    ] {
        assert_eq!(validate_path(path), Ok(()), "{path}");
    }
    let longest = format!("/{}/", "a".repeat(510));
    assert_eq!(longest.len(), 512);
    assert_eq!(validate_path(&longest), Ok(()));
}

#[test]
fn invalid_paths() {
    assert_eq!(validate_path(""), Err(NameError::EmptyPath));
    let too_long = format!("/{}/", "a".repeat(511));
    assert_eq!(
        validate_path(&too_long),
        Err(NameError::PathTooLong {
            path: too_long.clone(),
            len: 513
        })
    );
    for path in ["a/", "/a", "a", "//a"] {
        assert_eq!(
            validate_path(path),
            Err(NameError::PathSlashes { path: path.into() }),
            "{path}"
        );
    }
    assert_eq!(
        validate_path("/my team/é/"),
        Err(NameError::PathCharacters {
            path: "/my team/é/".into(),
            invalid: vec!['é', ' '],
        })
    );
    assert!(matches!(
        validate_path("/a\u{7f}/"),
        Err(NameError::PathCharacters { .. })
    ));
    let err = validate_path("x").unwrap_err();
    assert_eq!(err.to_string(), "IAM path `x` must start and end with `/`");
    assert_eq!(code(&err), "iamctl::invalid_path");
    assert!(help(&err).contains("1 to 512"));
}

// --- tags ------------------------------------------------------------------

#[test]
fn parse_tag_splits_at_the_first_equals() {
    assert_eq!(parse_tag("team=ops"), Ok(("team".into(), "ops".into())));
    assert_eq!(parse_tag("expr=a=b"), Ok(("expr".into(), "a=b".into())));
    assert_eq!(parse_tag("empty="), Ok(("empty".into(), String::new())));
    assert_eq!(
        parse_tag("Cost Centre=R&D 42"),
        Err(NameError::TagValueCharacters {
            key: "Cost Centre".into(),
            value: "R&D 42".into(),
            invalid: vec!['&'],
        })
    );
}

#[test]
fn parse_tag_errors() {
    let err = parse_tag("team").unwrap_err();
    assert_eq!(
        err,
        NameError::TagWithoutEquals {
            input: "team".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "tag `team` has no `=` between key and value"
    );
    assert_eq!(code(&err), "iamctl::invalid_tag");
    assert_eq!(
        parse_tag("=value"),
        Err(NameError::EmptyTagKey {
            value: "value".into()
        })
    );
    assert!(matches!(
        parse_tag("aws:createdBy=me"),
        Err(NameError::ReservedTagKey { .. })
    ));
}

#[test]
fn valid_tags() {
    for (key, value) in [
        ("Name", "web server"),
        ("a", ""),
        ("path/to:thing", "x_y.z:/=+-@"),
        ("Projekt", "Größe"),
        ("日本", "値"),
        ("nbsp\u{a0}key", "١٢٣"),
        ("awsome", "aws:is fine in values"),
        ("aws", "x"),
    ] {
        assert_eq!(validate_tag(key, value), Ok(()), "{key}={value}");
    }
}

#[test]
fn tag_length_boundaries() {
    assert_eq!(validate_tag(&"k".repeat(128), &"v".repeat(256)), Ok(()));
    // Lengths are counted in characters, not bytes.
    assert_eq!(validate_tag(&"é".repeat(128), &"ü".repeat(256)), Ok(()));
    assert_eq!(
        validate_tag(&"k".repeat(129), ""),
        Err(NameError::TagKeyTooLong {
            key: "k".repeat(129),
            len: 129
        })
    );
    assert_eq!(
        validate_tag("k", &"v".repeat(257)),
        Err(NameError::TagValueTooLong {
            key: "k".into(),
            value: "v".repeat(257),
            len: 257
        })
    );
}

#[test]
fn tag_character_rules() {
    assert_eq!(
        validate_tag("a*b", "v"),
        Err(NameError::TagKeyCharacters {
            key: "a*b".into(),
            invalid: vec!['*'],
        })
    );
    // Tabs and newlines are whitespace, but not the separators IAM allows.
    assert_eq!(
        validate_tag("k", "line\nbreak\t"),
        Err(NameError::TagValueCharacters {
            key: "k".into(),
            value: "line\nbreak\t".into(),
            invalid: vec!['\n', '\t'],
        })
    );
    for value in ["a,b", "50%", "x!", "#1", "(x)", "a\"b"] {
        assert!(validate_tag("k", value).is_err(), "{value}");
    }
    let err = validate_tag("k", "x!").unwrap_err();
    assert_eq!(
        err.to_string(),
        "value `x!` of tag `k` contains `!`, which IAM does not allow"
    );
}

#[test]
fn reserved_tag_prefix_in_any_case() {
    for key in ["aws:x", "AWS:x", "Aws:cloudformation:stack-name", "aws:"] {
        let err = validate_tag(key, "v").unwrap_err();
        assert_eq!(err, NameError::ReservedTagKey { key: key.into() });
        assert!(help(&err).contains("`aws:`"));
    }
    assert_eq!(
        validate_tag("aws:x", "v").unwrap_err().to_string(),
        "tag key `aws:x` starts with `aws:`, which AWS reserves for its own tags"
    );
    // Short or non-ASCII keys must not trip up the prefix check.
    assert_eq!(validate_tag("aé", "v"), Ok(()));
    assert_eq!(validate_tag("aws", "v"), Ok(()));
}

// --- account alias ---------------------------------------------------------

#[test]
fn valid_account_aliases() {
    for alias in ["abc", "my-company", "a1-b2-c3", "123", &"a".repeat(63)] {
        assert_eq!(validate_account_alias(alias), Ok(()), "{alias}");
    }
}

#[test]
fn invalid_account_aliases() {
    assert_eq!(
        validate_account_alias("ab"),
        Err(NameError::AccountAliasLength {
            alias: "ab".into(),
            len: 2
        })
    );
    assert_eq!(
        validate_account_alias(""),
        Err(NameError::AccountAliasLength {
            alias: String::new(),
            len: 0
        })
    );
    assert_eq!(
        validate_account_alias(&"a".repeat(64)),
        Err(NameError::AccountAliasLength {
            alias: "a".repeat(64),
            len: 64
        })
    );
    assert_eq!(
        validate_account_alias("My_Co"),
        Err(NameError::AccountAliasCharacters {
            alias: "My_Co".into(),
            invalid: vec!['M', '_', 'C'],
        })
    );
    for alias in ["-abc", "abc-", "-"] {
        let expected = if alias.len() < 3 {
            NameError::AccountAliasLength {
                alias: alias.into(),
                len: alias.len(),
            }
        } else {
            NameError::AccountAliasEdgeHyphen {
                alias: alias.into(),
            }
        };
        assert_eq!(validate_account_alias(alias), Err(expected), "{alias}");
    }
    assert_eq!(
        validate_account_alias("my--co"),
        Err(NameError::AccountAliasDoubleHyphen {
            alias: "my--co".into()
        })
    );
    let err = validate_account_alias("my--co").unwrap_err();
    assert_eq!(err.to_string(), "account alias `my--co` contains `--`");
    assert_eq!(code(&err), "iamctl::invalid_account_alias");
}

// --- ARNs ------------------------------------------------------------------

#[test]
fn parses_arns() {
    let arn = validate_arn("arn:aws:iam::123456789012:role/ops/deploy").expect("valid");
    assert_eq!(
        arn,
        Arn {
            partition: "aws".into(),
            service: "iam".into(),
            region: String::new(),
            account: "123456789012".into(),
            resource: "role/ops/deploy".into(),
        }
    );
    assert_eq!(arn.resource_type(), "role");
    assert_eq!(arn.resource_name(), "deploy");
    assert_eq!(arn.to_string(), "arn:aws:iam::123456789012:role/ops/deploy");
    assert_eq!("arn:aws:iam::123456789012:role/ops/deploy".parse(), Ok(arn));
}

#[test]
fn arn_variants_round_trip() {
    for (text, resource_type, resource_name) in [
        (
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "policy",
            "ReadOnlyAccess",
        ),
        (
            "arn:aws:s3:::my-bucket-name",
            "my-bucket-name",
            "my-bucket-name",
        ),
        ("arn:aws:s3:::my-bucket/alice/*", "my-bucket", "*"),
        (
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:build:live",
            "function",
            "build:live",
        ),
        (
            "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts",
            "alerts",
            "alerts",
        ),
        (
            "arn:aws-iso-b:ec2:us-isob-east-1::image/ami-1",
            "image",
            "ami-1",
        ),
        ("arn:aws-eusc:iam::123456789012:user/x", "user", "x"),
        ("arn:aws-iso-f:iam::123456789012:root", "root", "root"),
    ] {
        let arn = validate_arn(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(arn.to_string(), text);
        assert_eq!(arn.resource_type(), resource_type, "{text}");
        assert_eq!(arn.resource_name(), resource_name, "{text}");
    }
}

#[test]
fn every_partition_is_accepted() {
    for partition in PARTITIONS {
        let text = format!("arn:{partition}:iam::123456789012:user/u");
        assert!(validate_arn(&text).is_ok(), "{text}");
    }
}

#[test]
fn invalid_arns() {
    let arn = |s: &str| s.to_owned();
    for text in [
        "",
        "arn",
        "role/x",
        "arn:aws:iam::123456789012",
        "ARN:aws:iam::123456789012:role/x",
    ] {
        assert_eq!(
            validate_arn(text),
            Err(NameError::NotAnArn { input: text.into() }),
            "{text}"
        );
    }
    assert!(
        validate_arn("arn:aws:iam::aws:p/x").is_ok(),
        "20 characters is enough"
    );
    assert_eq!(
        validate_arn("arn:aws:iam::aws:p/"),
        Err(NameError::ArnLength {
            arn: arn("arn:aws:iam::aws:p/"),
            len: 19
        })
    );
    let longest = format!("arn:aws:s3:::{}", "b".repeat(2048 - 13));
    assert!(validate_arn(&longest).is_ok());
    let too_long = format!("{longest}b");
    assert_eq!(
        validate_arn(&too_long),
        Err(NameError::ArnLength {
            arn: too_long.clone(),
            len: 2049
        })
    );
    assert_eq!(
        validate_arn("arn:amazon:iam::123456789012:user/x"),
        Err(NameError::ArnPartition {
            arn: arn("arn:amazon:iam::123456789012:user/x"),
            partition: "amazon".into()
        })
    );
    for service in ["", "IAM", "s_3"] {
        let text = format!("arn:aws:{service}::123456789012:user/x");
        assert_eq!(
            validate_arn(&text),
            Err(NameError::ArnService {
                arn: text.clone(),
                service: service.into()
            })
        );
    }
    assert_eq!(
        validate_arn("arn:aws:ec2:EU West:123456789012:instance/i-1"),
        Err(NameError::ArnRegion {
            arn: arn("arn:aws:ec2:EU West:123456789012:instance/i-1"),
            region: "EU West".into()
        })
    );
    for account in ["12345678901", "1234567890123", "12345678901x", "amazon"] {
        let text = format!("arn:aws:iam::{account}:user/someone");
        assert_eq!(
            validate_arn(&text),
            Err(NameError::ArnAccount {
                arn: text.clone(),
                account: account.into()
            }),
            "{account}"
        );
    }
    assert_eq!(
        validate_arn("arn:aws:iam::123456789012:"),
        Err(NameError::ArnResource {
            arn: arn("arn:aws:iam::123456789012:")
        })
    );
    let err = validate_arn("hello").unwrap_err();
    assert_eq!(err.to_string(), "`hello` is not an ARN");
    assert_eq!(code(&err), "iamctl::invalid_arn");
    let err = validate_arn("arn:amazon:iam::123456789012:user/x").unwrap_err();
    assert!(help(&err).contains("`aws-us-gov`"), "{}", help(&err));
}

#[test]
fn policy_refs() {
    assert_eq!(
        validate_policy_arn_or_name("ReadOnlyAccess"),
        Ok(PolicyRef::Name("ReadOnlyAccess".into()))
    );
    let Ok(PolicyRef::Arn(arn)) =
        validate_policy_arn_or_name("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
    else {
        panic!("expected a policy ARN");
    };
    assert_eq!(arn.resource_name(), "ViewOnlyAccess");
    assert!(matches!(
        validate_policy_arn_or_name("arn:aws:iam::123456789012:policy/mine"),
        Ok(PolicyRef::Arn(_))
    ));
    for text in [
        "arn:aws:iam::123456789012:role/mine",
        "arn:aws:s3:::bucket/policy/x",
        "arn:aws:iam::123456789012:policy/",
    ] {
        assert_eq!(
            validate_policy_arn_or_name(text),
            Err(NameError::NotAPolicyArn { arn: text.into() }),
            "{text}"
        );
    }
    assert!(matches!(
        validate_policy_arn_or_name("arn:aws:iam::1234:policy/mine"),
        Err(NameError::ArnAccount { .. })
    ));
    assert_eq!(
        validate_policy_arn_or_name(""),
        Err(NameError::EmptyName {
            kind: EntityKind::Policy
        })
    );
    assert!(matches!(
        validate_policy_arn_or_name("my policy"),
        Err(NameError::NameCharacters {
            kind: EntityKind::Policy,
            ..
        })
    ));
    assert_eq!(
        validate_policy_arn_or_name(&"p".repeat(128)),
        Ok(PolicyRef::Name("p".repeat(128)))
    );
}

#[test]
fn every_error_has_code_and_help() {
    let errors = [
        validate_name(EntityKind::User, ""),
        validate_name(EntityKind::User, "a b"),
        validate_name(EntityKind::User, &"a".repeat(65)),
        validate_name(EntityKind::RoleSessionName, "a"),
        validate_path(""),
        validate_path("a"),
        validate_path("/ /"),
        validate_path(&"/".repeat(513)),
        parse_tag("x").map(|_| ()),
        validate_tag("", ""),
        validate_tag("*", ""),
        validate_tag(&"k".repeat(129), ""),
        validate_tag("aws:k", ""),
        validate_tag("k", "*"),
        validate_tag("k", &"v".repeat(257)),
        validate_account_alias("a"),
        validate_account_alias("A12"),
        validate_account_alias("-ab"),
        validate_account_alias("a--b"),
        validate_arn("x").map(|_| ()),
        validate_arn("arn:aws:iam::aws:p/").map(|_| ()),
        validate_arn("arn:x:iam::123456789012:user/x").map(|_| ()),
        validate_arn("arn:aws:I::123456789012:user/x").map(|_| ()),
        validate_arn("arn:aws:iam:X:123456789012:user/x").map(|_| ()),
        validate_arn("arn:aws:iam::1:user/xxxxxxxxxx").map(|_| ()),
        validate_arn("arn:aws:iam::123456789012:").map(|_| ()),
        validate_policy_arn_or_name("arn:aws:iam::123456789012:user/x").map(|_| ()),
    ];
    for result in errors {
        let err = result.expect_err("should fail");
        assert!(code(&err).starts_with("iamctl::invalid_"), "{err}");
        assert!(!help(&err).is_empty(), "{err}");
        let message = err.to_string();
        // Messages start in lower case, save for the acronyms IAM and ARN.
        let first_word = message.split(' ').next().unwrap_or_default();
        assert!(
            ["IAM", "ARN"].contains(&first_word) || !first_word.starts_with(char::is_uppercase),
            "{message}"
        );
    }
}

// --- properties ------------------------------------------------------------

proptest! {
    #[test]
    fn any_allowed_string_up_to_64_is_a_valid_user_name(name in "[A-Za-z0-9_+=,.@-]{1,64}") {
        prop_assert_eq!(validate_name(EntityKind::User, &name), Ok(()));
        prop_assert_eq!(validate_name(EntityKind::Policy, &name), Ok(()));
    }

    #[test]
    fn longer_names_are_refused(name in "[A-Za-z0-9_+=,.@-]{65,200}") {
        let refused = matches!(
            validate_name(EntityKind::Role, &name),
            Err(NameError::NameTooLong { .. })
        );
        prop_assert!(refused);
    }

    #[test]
    fn a_name_with_a_foreign_character_is_refused(
        prefix in "[a-z]{0,10}",
        bad in "[^A-Za-z0-9_+=,.@-]",
        suffix in "[a-z]{0,10}",
    ) {
        let name = format!("{prefix}{bad}{suffix}");
        let refused = matches!(
            validate_name(EntityKind::User, &name),
            Err(NameError::NameCharacters { .. })
        );
        prop_assert!(refused);
    }

    #[test]
    fn validators_never_panic(s in any::<String>()) {
        for kind in ALL_KINDS {
            let _ = validate_name(kind, &s);
        }
        let _ = validate_path(&s);
        let _ = parse_tag(&s);
        let _ = validate_account_alias(&s);
        let _ = validate_arn(&s);
        let _ = validate_policy_arn_or_name(&s);
    }

    #[test]
    fn valid_arns_round_trip(
        partition in prop::sample::select(PARTITIONS),
        service in "[a-z0-9-]{1,20}",
        region in "[a-z0-9-]{0,15}",
        account in prop_oneof![Just(String::new()), Just("aws".to_owned()), "[0-9]{12}"],
        resource in "[a-zA-Z0-9/:*_.-]{20,40}",
    ) {
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let arn = validate_arn(&text);
        prop_assert!(arn.is_ok(), "{:?}", arn);
        prop_assert_eq!(arn.map(|a| a.to_string()), Ok(text));
    }

    #[test]
    fn parsed_tags_rebuild_their_input(key in "[a-zA-Z0-9 _.:/+@-]{1,20}", value in "[a-zA-Z0-9 _.:/=+@-]{0,20}") {
        prop_assume!(!key.to_ascii_lowercase().starts_with("aws:"));
        let input = format!("{key}={value}");
        prop_assert_eq!(parse_tag(&input), Ok((key, value)));
    }
}
