//! IAM identifiers: entity names, paths, tags, ARNs and the account alias.
//!
//! Every check follows the constraints published in the IAM API reference, so
//! that we can refuse bad input before a request ever leaves the machine and
//! explain precisely what is wrong with it. All failures are [`NameError`]s.

use std::fmt;
use std::str::FromStr;

use miette::Diagnostic;
use thiserror::Error;

/// The kinds of IAM entity whose names share the `[\w+=,.@-]` character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Group,
    Role,
    Policy,
    InstanceProfile,
    RoleSessionName,
}

impl EntityKind {
    /// The kind as it reads in a sentence, e.g. `"instance profile"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
            EntityKind::InstanceProfile => "instance profile",
            EntityKind::RoleSessionName => "role session name",
        }
    }

    /// The fewest characters IAM accepts for a name of this kind.
    pub fn min_len(&self) -> usize {
        match self {
            EntityKind::RoleSessionName => 2,
            _ => 1,
        }
    }

    /// The most characters IAM accepts for a name of this kind: 64 for users,
    /// roles and session names, 128 for groups, policies and instance profiles
    /// (the IAM API reference, `CreateGroup`, `CreatePolicy` and
    /// `CreateInstanceProfile`: "Maximum length of 128").
    pub fn max_len(&self) -> usize {
        match self {
            EntityKind::Policy | EntityKind::Group | EntityKind::InstanceProfile => 128,
            _ => 64,
        }
    }

    /// How to refer to one value of this kind: "user name", but a role
    /// session name is already a name.
    fn noun(&self) -> &'static str {
        match self {
            EntityKind::User => "user name",
            EntityKind::Group => "group name",
            EntityKind::Role => "role name",
            EntityKind::Policy => "policy name",
            EntityKind::InstanceProfile => "instance profile name",
            EntityKind::RoleSessionName => "role session name",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an IAM name, path, tag, ARN or account alias was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
pub enum NameError {
    #[error("{} cannot be empty", .kind.noun())]
    #[diagnostic(code(iamctl::invalid_name), help("{}", name_rules(*.kind)))]
    EmptyName { kind: EntityKind },

    #[error("{} `{}` is {len} characters, below the {} that IAM requires", .kind.noun(), shown(.name), .kind.min_len())]
    #[diagnostic(code(iamctl::invalid_name), help("{}", name_rules(*.kind)))]
    NameTooShort {
        kind: EntityKind,
        name: String,
        len: usize,
    },

    #[error("{} `{}` is {len} characters, above the {} that IAM allows", .kind.noun(), shown(.name), .kind.max_len())]
    #[diagnostic(code(iamctl::invalid_name), help("{}", name_rules(*.kind)))]
    NameTooLong {
        kind: EntityKind,
        name: String,
        len: usize,
    },

    #[error("{} `{}` contains {}, which IAM does not allow", .kind.noun(), shown(.name), list_chars(.invalid))]
    #[diagnostic(code(iamctl::invalid_name), help("{}", name_rules(*.kind)))]
    NameCharacters {
        kind: EntityKind,
        name: String,
        invalid: Vec<char>,
    },

    #[error("IAM path cannot be empty")]
    #[diagnostic(code(iamctl::invalid_path), help("{PATH_RULES}"))]
    EmptyPath,

    #[error("IAM path `{}` is {len} characters, above the 512 that IAM allows", shown(.path))]
    #[diagnostic(code(iamctl::invalid_path), help("{PATH_RULES}"))]
    PathTooLong { path: String, len: usize },

    #[error("IAM path `{}` must start and end with `/`", shown(.path))]
    #[diagnostic(code(iamctl::invalid_path), help("{PATH_RULES}"))]
    PathSlashes { path: String },

    #[error("IAM path `{}` contains {}, which IAM does not allow", shown(.path), list_chars(.invalid))]
    #[diagnostic(code(iamctl::invalid_path), help("{PATH_RULES}"))]
    PathCharacters { path: String, invalid: Vec<char> },

    #[error("tag `{}` has no `=` between key and value", shown(.input))]
    #[diagnostic(
        code(iamctl::invalid_tag),
        help("write a tag as `KEY=VALUE`; `KEY=` gives the tag an empty value")
    )]
    TagWithoutEquals { input: String },

    #[error("tag key cannot be empty (the tag's value is `{}`)", shown(.value))]
    #[diagnostic(code(iamctl::invalid_tag), help("{TAG_KEY_RULES}"))]
    EmptyTagKey { value: String },

    #[error("tag key `{}` is {len} characters, above the 128 that IAM allows", shown(.key))]
    #[diagnostic(code(iamctl::invalid_tag), help("{TAG_KEY_RULES}"))]
    TagKeyTooLong { key: String, len: usize },

    #[error("tag key `{}` contains {}, which IAM does not allow", shown(.key), list_chars(.invalid))]
    #[diagnostic(code(iamctl::invalid_tag), help("{TAG_KEY_RULES}"))]
    TagKeyCharacters { key: String, invalid: Vec<char> },

    #[error("tag key `{}` starts with `aws:`, which AWS reserves for its own tags", shown(.key))]
    #[diagnostic(
        code(iamctl::invalid_tag),
        help("choose a key without the `aws:` prefix (in any letter case)")
    )]
    ReservedTagKey { key: String },

    #[error("value `{}` of tag `{}` is {len} characters, above the 256 that IAM allows", shown(.value), shown(.key))]
    #[diagnostic(code(iamctl::invalid_tag), help("{TAG_VALUE_RULES}"))]
    TagValueTooLong {
        key: String,
        value: String,
        len: usize,
    },

    #[error("value `{}` of tag `{}` contains {}, which IAM does not allow", shown(.value), shown(.key), list_chars(.invalid))]
    #[diagnostic(code(iamctl::invalid_tag), help("{TAG_VALUE_RULES}"))]
    TagValueCharacters {
        key: String,
        value: String,
        invalid: Vec<char>,
    },

    #[error("account alias `{}` is {len} characters; IAM requires 3 to 63", shown(.alias))]
    #[diagnostic(code(iamctl::invalid_account_alias), help("{ALIAS_RULES}"))]
    AccountAliasLength { alias: String, len: usize },

    #[error("account alias `{}` contains {}, which IAM does not allow", shown(.alias), list_chars(.invalid))]
    #[diagnostic(code(iamctl::invalid_account_alias), help("{ALIAS_RULES}"))]
    AccountAliasCharacters { alias: String, invalid: Vec<char> },

    #[error("account alias `{}` starts or ends with `-`", shown(.alias))]
    #[diagnostic(code(iamctl::invalid_account_alias), help("{ALIAS_RULES}"))]
    AccountAliasEdgeHyphen { alias: String },

    #[error("account alias `{}` contains `--`", shown(.alias))]
    #[diagnostic(code(iamctl::invalid_account_alias), help("{ALIAS_RULES}"))]
    AccountAliasDoubleHyphen { alias: String },

    #[error("`{}` is not an ARN", shown(.input))]
    #[diagnostic(code(iamctl::invalid_arn), help("{ARN_SHAPE}"))]
    NotAnArn { input: String },

    #[error("ARN `{}` is {len} characters; IAM accepts 20 to 2048", shown(.arn))]
    #[diagnostic(code(iamctl::invalid_arn), help("{ARN_SHAPE}"))]
    ArnLength { arn: String, len: usize },

    #[error("ARN `{}` names partition `{}`, which AWS does not have", shown(.arn), shown(.partition))]
    #[diagnostic(
        code(iamctl::invalid_arn),
        help("the partition is one of {}", list_words(PARTITIONS))
    )]
    ArnPartition { arn: String, partition: String },

    #[error("ARN `{}` names service `{}`, which is not a service prefix", shown(.arn), shown(.service))]
    #[diagnostic(
        code(iamctl::invalid_arn),
        help("a service prefix is non-empty and uses lowercase letters, digits and `-`, like `iam` or `s3`")
    )]
    ArnService { arn: String, service: String },

    #[error("ARN `{}` names region `{}`, which is not a region", shown(.arn), shown(.region))]
    #[diagnostic(
        code(iamctl::invalid_arn),
        help("a region uses lowercase letters, digits and `-`, like `eu-west-1`; global services such as IAM leave it empty")
    )]
    ArnRegion { arn: String, region: String },

    #[error("ARN `{}` names account `{}`, which is not an account ID", shown(.arn), shown(.account))]
    #[diagnostic(
        code(iamctl::invalid_arn),
        help("the account is 12 digits, `aws` for AWS managed policies, or empty for some services such as S3")
    )]
    ArnAccount { arn: String, account: String },

    #[error("ARN `{}` has no resource", shown(.arn))]
    #[diagnostic(code(iamctl::invalid_arn), help("{ARN_SHAPE}"))]
    ArnResource { arn: String },

    #[error("ARN `{}` does not name an IAM policy", shown(.arn))]
    #[diagnostic(
        code(iamctl::invalid_arn),
        help("policy ARNs look like `arn:aws:iam::123456789012:policy/NAME` or `arn:aws:iam::aws:policy/NAME`; anything not starting with `arn:` is taken as a policy name")
    )]
    NotAPolicyArn { arn: String },
}

const NAME_CHARS: &str = "ASCII letters, digits and `_+=,.@-`";
const PATH_RULES: &str = "an IAM path is 1 to 512 characters, starts and ends with `/`, and uses printable ASCII characters other than space, like `/` or `/engineering/`";
const TAG_KEY_RULES: &str = "a tag key is 1 to 128 characters: letters, digits, spaces and `_.:/=+-@`, and cannot start with `aws:`";
const TAG_VALUE_RULES: &str =
    "a tag value is 0 to 256 characters: letters, digits, spaces and `_.:/=+-@`";
const ALIAS_RULES: &str = "an account alias is 3 to 63 characters: lowercase letters, digits and single hyphens, neither first nor last";
const ARN_SHAPE: &str = "ARNs look like `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, e.g. `arn:aws:iam::123456789012:role/deploy`";

/// The partitions AWS has.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

fn name_rules(kind: EntityKind) -> String {
    let noun = kind.noun();
    // Only "instance profile name" needs "an"; "user" sounds like "you".
    let article = if noun.starts_with('i') { "an" } else { "a" };
    format!(
        "{article} {noun} is {} to {} characters: {NAME_CHARS}",
        kind.min_len(),
        kind.max_len(),
    )
}

/// Shows a user's value with control characters escaped, so that a stray
/// newline or escape sequence cannot garble the message.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
fn list_chars(chars: &[char]) -> String {
    let quoted: Vec<String> = chars
        .iter()
        .map(|&c| {
            if c == '`' {
                "`` ` ``".to_owned()
            } else {
                format!("`{}`", shown(c.encode_utf8(&mut [0; 4])))
            }
        })
        .collect();
    join_and(&quoted)
}

fn list_words(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    join_and(&quoted)
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The distinct characters of `s` that `allowed` refuses: visible ones first,
/// in order of appearance, then whitespace, which is the hardest to spot.
fn invalid_chars(s: &str, allowed: impl Fn(char) -> bool) -> Vec<char> {
    let mut visible = Vec::new();
    let mut blank = Vec::new();
    for c in s.chars().filter(|&c| !allowed(c)) {
        let list = if c.is_whitespace() {
            &mut blank
        } else {
            &mut visible
        };
        if !list.contains(&c) {
            list.push(c);
        }
    }
    visible.extend(blank);
    visible
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Checks an IAM user, group, role, policy or instance profile name, or a role
/// session name.
pub fn validate_name(kind: EntityKind, name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::EmptyName { kind });
    }
    let invalid = invalid_chars(name, is_name_char);
    if !invalid.is_empty() {
        return Err(NameError::NameCharacters {
            kind,
            name: name.to_owned(),
            invalid,
        });
    }
    let len = name.chars().count();
    if len < kind.min_len() {
        return Err(NameError::NameTooShort {
            kind,
            name: name.to_owned(),
            len,
        });
    }
    if len > kind.max_len() {
        return Err(NameError::NameTooLong {
            kind,
            name: name.to_owned(),
            len,
        });
    }
    Ok(())
}

/// Checks an IAM path such as `/` or `/division/team/`.
pub fn validate_path(path: &str) -> Result<(), NameError> {
    if path.is_empty() {
        return Err(NameError::EmptyPath);
    }
    let len = path.chars().count();
    if len > 512 {
        return Err(NameError::PathTooLong {
            path: path.to_owned(),
            len,
        });
    }
    let invalid = invalid_chars(path, |c| ('\u{21}'..='\u{7E}').contains(&c));
    if !invalid.is_empty() {
        return Err(NameError::PathCharacters {
            path: path.to_owned(),
            invalid,
        });
    }
    if !path.starts_with('/') || !path.ends_with('/') {
        return Err(NameError::PathSlashes {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// The tag on everything iamctl creates, by which it knows what it owns:
/// `managed-by=iamctl`. The one definition; every crate uses this.
pub const MANAGED_BY: (&str, &str) = ("managed-by", "iamctl");

/// Whether `(key, value)` is iamctl's ownership tag.
pub fn is_managed_by_tag(key: &str, value: &str) -> bool {
    key == MANAGED_BY.0 && value == MANAGED_BY.1
}

/// Whether `s` is an AWS account ID: exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks one principal given to a trust policy by hand
/// (`role create --trust-principal`): an account ID, a service
/// (`*.amazonaws.com`), `*`, or an ARN.
pub fn validate_trust_principal(p: &str) -> Result<(), NameError> {
    let service = p.ends_with(".amazonaws.com") && !p.contains(char::is_whitespace);
    if is_account_id(p) || service || p == "*" {
        return Ok(());
    }
    validate_arn(p).map(|_| ())
}

/// Splits `KEY=VALUE` at the first `=` and checks both halves with
/// [`validate_tag`]. `KEY=` gives an empty value.
pub fn parse_tag(s: &str) -> Result<(String, String), NameError> {
    let Some((key, value)) = s.split_once('=') else {
        return Err(NameError::TagWithoutEquals {
            input: s.to_owned(),
        });
    };
    validate_tag(key, value)?;
    Ok((key.to_owned(), value.to_owned()))
}

/// Letters, digits and separators (`\p{L}`, `\p{N}`, `\p{Z}`) and `_.:/=+-@`.
fn is_tag_char(c: char) -> bool {
    // `\p{Z}` is exactly the whitespace characters that are not controls.
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// Checks a tag key (1 to 128 characters, not starting with `aws:`) and its
/// value (0 to 256 characters).
pub fn validate_tag(key: &str, value: &str) -> Result<(), NameError> {
    if key.is_empty() {
        return Err(NameError::EmptyTagKey {
            value: value.to_owned(),
        });
    }
    let invalid = invalid_chars(key, is_tag_char);
    if !invalid.is_empty() {
        return Err(NameError::TagKeyCharacters {
            key: key.to_owned(),
            invalid,
        });
    }
    let len = key.chars().count();
    if len > 128 {
        return Err(NameError::TagKeyTooLong {
            key: key.to_owned(),
            len,
        });
    }
    if key
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"aws:"))
    {
        return Err(NameError::ReservedTagKey {
            key: key.to_owned(),
        });
    }
    let invalid = invalid_chars(value, is_tag_char);
    if !invalid.is_empty() {
        return Err(NameError::TagValueCharacters {
            key: key.to_owned(),
            value: value.to_owned(),
            invalid,
        });
    }
    let len = value.chars().count();
    if len > 256 {
        return Err(NameError::TagValueTooLong {
            key: key.to_owned(),
            value: value.to_owned(),
            len,
        });
    }
    Ok(())
}

/// Checks an account alias: 3 to 63 lowercase letters, digits and single
/// hyphens, beginning and ending with a letter or digit.
pub fn validate_account_alias(s: &str) -> Result<(), NameError> {
    let invalid = invalid_chars(s, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    });
    if !invalid.is_empty() {
        return Err(NameError::AccountAliasCharacters {
            alias: s.to_owned(),
            invalid,
        });
    }
    let len = s.chars().count();
    if !(3..=63).contains(&len) {
        return Err(NameError::AccountAliasLength {
            alias: s.to_owned(),
            len,
        });
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err(NameError::AccountAliasEdgeHyphen {
            alias: s.to_owned(),
        });
    }
    if s.contains("--") {
        return Err(NameError::AccountAliasDoubleHyphen {
            alias: s.to_owned(),
        });
    }
    Ok(())
}

/// An Amazon Resource Name, split into its six fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl Arn {
    /// The resource type: the resource up to its first `/` or `:`, e.g.
    /// `role` for `role/ops/deploy`. A resource without either separator is
    /// its own type (an S3 bucket, say).
    pub fn resource_type(&self) -> &str {
        match self.resource.find(['/', ':']) {
            Some(i) => &self.resource[..i],
            None => &self.resource,
        }
    }

    /// The resource name: what follows the last `/`, e.g. `deploy` for
    /// `role/ops/deploy`. Without a `/`, what follows the first `:`
    /// (`function:build` gives `build`), or else the whole resource.
    pub fn resource_name(&self) -> &str {
        if let Some(i) = self.resource.rfind('/') {
            &self.resource[i + 1..]
        } else if let Some(i) = self.resource.find(':') {
            &self.resource[i + 1..]
        } else {
            &self.resource
        }
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

impl FromStr for Arn {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        validate_arn(s)
    }
}

/// Parses and checks an ARN of the form
/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
pub fn validate_arn(s: &str) -> Result<Arn, NameError> {
    let not_an_arn = || NameError::NotAnArn {
        input: s.to_owned(),
    };
    let rest = s.strip_prefix("arn:").ok_or_else(not_an_arn)?;
    let mut fields = rest.splitn(5, ':');
    let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(not_an_arn());
    };

    let len = s.chars().count();
    if !(20..=2048).contains(&len) {
        return Err(NameError::ArnLength {
            arn: s.to_owned(),
            len,
        });
    }
    if !PARTITIONS.contains(&partition) {
        return Err(NameError::ArnPartition {
            arn: s.to_owned(),
            partition: partition.to_owned(),
        });
    }
    let lower_dash = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if service.is_empty() || !service.chars().all(lower_dash) {
        return Err(NameError::ArnService {
            arn: s.to_owned(),
            service: service.to_owned(),
        });
    }
    if !region.chars().all(lower_dash) {
        return Err(NameError::ArnRegion {
            arn: s.to_owned(),
            region: region.to_owned(),
        });
    }
    let account_ok = account.is_empty() || account == "aws" || is_account_id(account);
    if !account_ok {
        return Err(NameError::ArnAccount {
            arn: s.to_owned(),
            account: account.to_owned(),
        });
    }
    if resource.is_empty() {
        return Err(NameError::ArnResource { arn: s.to_owned() });
    }
    Ok(Arn {
        partition: partition.to_owned(),
        service: service.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        resource: resource.to_owned(),
    })
}

/// A managed policy, given either by ARN or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyRef {
    Arn(Arn),
    Name(String),
}

/// Reads a command-line policy reference: anything starting with `arn:` must
/// be an IAM policy ARN; anything else must be a valid policy name.
pub fn validate_policy_arn_or_name(s: &str) -> Result<PolicyRef, NameError> {
    if s.starts_with("arn:") {
        let arn = validate_arn(s)?;
        if arn.service != "iam"
            || !arn.resource.starts_with("policy/")
            || arn.resource_name().is_empty()
        {
            return Err(NameError::NotAPolicyArn { arn: s.to_owned() });
        }
        Ok(PolicyRef::Arn(arn))
    } else {
        validate_name(EntityKind::Policy, s)?;
        Ok(PolicyRef::Name(s.to_owned()))
    }
}

#[cfg(test)]
mod tests;
