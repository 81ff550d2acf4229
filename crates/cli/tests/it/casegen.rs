//! A deterministic generator of IAM authorization cases in `iamctl simulate --batch`'s
//! line format, for the differential test against the independent oracle
//! (`oracle/run.cjs`) and for benchmarks (`cargo run --example gen_cases`).
//!
//! Every case is self-contained: principal, action, resource, request context and
//! every policy that applies. The shapes follow AWS's documented evaluation logic
//! (identity, resource, boundary, session, SCP and RCP policies, same- and
//! cross-account, every condition operator family with IfExists and set operators,
//! policy variables). Actions and condition keys are real ones, valid for the
//! action, so the oracle's validation accepts every case and drops no context key.

#![allow(dead_code)]

use serde_json::{json, Map, Value};

/// The seed of the differential test and of the benchmark.
pub const DEFAULT_SEED: u64 = 0x1a3c_7e11;

/// The principals' account.
pub const ACCT: &str = "111111111111";
/// Another account: cross-account resources and foreign principals.
pub const OTHER: &str = "222222222222";

/// One generated case: its id, the names of deliberate differences it exercises
/// (empty for most), and the batch line.
pub struct Case {
    pub id: String,
    pub tags: Vec<&'static str>,
    pub line: Value,
}

/// Policy variables in a document whose `Version` is 2008-10-17 or absent: AWS
/// treats them as literal text; iam-simulate substitutes them anyway.
pub const TAG_VERSION_2008_VARIABLES: &str = "version-2008-variables";

/// A wildcard in the resource-type part of a non-S3 ARN pattern
/// (`arn:aws:iam::1:*rvice/ci`, `...:fu?ction:f`): AWS matches the segment as a
/// whole; iam-simulate anchors the resource type.
pub const TAG_WILDCARD_IN_RESOURCE_TYPE: &str = "wildcard-in-resource-type";

/// Whether an ARN pattern puts a wildcard inside the resource-type part (before
/// the first '/' or ':' of the resource), other than one trailing '*'.
pub fn wildcard_in_resource_type(pattern: &str) -> bool {
    let Some(p) = arn_parts(pattern) else {
        return false;
    };
    if p[2] == "s3" {
        return false;
    }
    let rest = &p[5];
    let head = rest.find(['/', ':']).map_or(rest.as_str(), |i| &rest[..i]);
    let trailing_star = head.len() == rest.len()
        && rest.ends_with('*')
        && !rest[..rest.len() - 1].contains(['*', '?']);
    !trailing_star && head.contains(['*', '?'])
}

/// splitmix64: small, fast, and the same sequence on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// `lo..=hi`
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Str,
    Num,
    Date,
    Bool,
    Ip,
    Arn,
    Multi,
    Bin,
}

/// A condition key: how likely it is in the request, the values a request may
/// carry, and the values a policy may compare it with.
struct Key {
    name: &'static str,
    kind: Kind,
    presence: f64,
    ctx: &'static [&'static str],
    cond: &'static [&'static str],
}

const fn key(
    name: &'static str,
    kind: Kind,
    presence: f64,
    ctx: &'static [&'static str],
    cond: &'static [&'static str],
) -> Key {
    Key {
        name,
        kind,
        presence,
        ctx,
        cond,
    }
}

/// Global keys every action accepts.
const GLOBAL_KEYS: &[Key] = &[
    key(
        "aws:PrincipalTag/team",
        Kind::Str,
        0.6,
        &["data", "web", "Data"],
        &["data", "web", "DATA", "d*", "w?b"],
    ),
    key(
        "aws:PrincipalTag/x",
        Kind::Str,
        0.7,
        &["x1", "dflt"],
        &["x1", "dflt", "x*"],
    ),
    key(
        "aws:RequestedRegion",
        Kind::Str,
        0.5,
        &["us-east-1", "eu-west-1", "us-west-2"],
        &["us-east-1", "eu-west-1", "us-*", "eu-*"],
    ),
    key(
        "aws:PrincipalOrgID",
        Kind::Str,
        0.4,
        &["o-abc123", "o-zzz999"],
        &["o-abc123", "O-ABC123", "o-*"],
    ),
    key(
        "aws:SourceVpce",
        Kind::Str,
        0.3,
        &["vpce-1a2b3c4d", "vpce-99999999"],
        &["vpce-1a2b3c4d", "vpce-9*"],
    ),
    key(
        "aws:UserAgent",
        Kind::Str,
        0.2,
        &["aws-cli/2.15.0", "Boto3/1.34.0"],
        &["aws-cli/*", "Boto3/1.34.0", "*cli*"],
    ),
    key(
        "aws:SourceAccount",
        Kind::Str,
        0.2,
        &[ACCT, OTHER],
        &[ACCT, OTHER],
    ),
    key(
        "aws:RequestTag/team",
        Kind::Str,
        0.3,
        &["data", "web"],
        &["data", "web", "${aws:PrincipalTag/team}"],
    ),
    key(
        "aws:ResourceTag/env",
        Kind::Str,
        0.4,
        &["prod", "dev", "Prod"],
        &["prod", "dev", "p*"],
    ),
    key(
        "aws:SourceIp",
        Kind::Ip,
        0.6,
        &[
            "203.0.113.7",
            "198.51.100.23",
            "10.1.2.3",
            "2001:db8::7",
            "2001:db8:ffff::1",
            "fe80::1",
        ],
        &[
            "203.0.113.0/24",
            "198.51.100.0/22",
            "10.0.0.0/8",
            "203.0.113.7/32",
            "203.0.113.7",
            "2001:db8::/32",
            "2001:db8::/112",
            "0.0.0.0/0",
            "::/0",
        ],
    ),
    key(
        "aws:CurrentTime",
        Kind::Date,
        0.5,
        &[
            "2026-03-21T11:36:28Z",
            "2025-12-31T23:59:59Z",
            "2026-06-01T00:00:00Z",
        ],
        &[
            "2026-03-21T11:36:28Z",
            "2026-01-01T00:00:00Z",
            "2026-03-21",
            "1774093000",
            "2026-04-01T00:00:00+02:00",
        ],
    ),
    key(
        "aws:EpochTime",
        Kind::Date,
        0.3,
        &["1774093000", "1767225599"],
        &[
            "1774093000",
            "1770000000",
            "2026-03-21T11:36:40Z",
            "2025-01-01",
        ],
    ),
    key(
        "aws:TokenIssueTime",
        Kind::Date,
        0.2,
        &["2026-03-21T10:00:00Z"],
        &["2026-03-21T09:00:00Z", "2026-03-21T10:00:00Z", "1774087200"],
    ),
    key(
        "aws:MultiFactorAuthPresent",
        Kind::Bool,
        0.5,
        &["true", "false"],
        &["true", "false"],
    ),
    key(
        "aws:SecureTransport",
        Kind::Bool,
        0.5,
        &["true", "false"],
        &["true", "false"],
    ),
    key(
        "aws:ViaAWSService",
        Kind::Bool,
        0.2,
        &["true", "false"],
        &["true", "false"],
    ),
    key(
        "aws:MultiFactorAuthAge",
        Kind::Num,
        0.4,
        &["30", "3600", "86400", "3600.5"],
        &["3600", "300", "86400", "0", "3600.0"],
    ),
    key(
        "aws:SourceArn",
        Kind::Arn,
        0.3,
        &[
            "arn:aws:sns:us-east-1:111111111111:alerts",
            "arn:aws:s3:::source-bucket",
            "arn:aws:lambda:us-east-1:222222222222:function:f",
        ],
        &[
            "arn:aws:sns:us-east-1:111111111111:alerts",
            "arn:aws:sns:*:111111111111:*",
            "arn:aws:s3:::source-*",
            "arn:aws:lambda:us-east-1:222222222222:function:*",
            "arn:aws:*:*:111111111111:*",
            "arn:aws:lambda:*:*:function:f",
            "arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:*",
        ],
    ),
    key(
        "aws:TagKeys",
        Kind::Multi,
        0.4,
        &["team", "env", "Team", "cost"],
        &["team", "env", "cost", "t*", "Team"],
    ),
    key(
        "aws:PrincipalOrgPaths",
        Kind::Multi,
        0.3,
        &[
            "o-abc123/r-ab12/ou-ab12-11111111/",
            "o-abc123/r-ab12/ou-ab12-22222222/",
        ],
        &[
            "o-abc123/r-ab12/ou-ab12-11111111/",
            "o-abc123/r-ab12/*",
            "o-zzz999/*",
        ],
    ),
    key(
        "aws:CalledVia",
        Kind::Multi,
        0.2,
        &["cloudformation.amazonaws.com", "athena.amazonaws.com"],
        &[
            "cloudformation.amazonaws.com",
            "athena.amazonaws.com",
            "*.amazonaws.com",
        ],
    ),
    key(
        "aws:PrincipalServiceNamesList",
        Kind::Multi,
        0.1,
        &["ec2.amazonaws.com", "lambda.amazonaws.com"],
        &["ec2.amazonaws.com", "lambda.amazonaws.com"],
    ),
    key(
        "aws:RequestTag/blob",
        Kind::Bin,
        0.2,
        &["QmluYXJ5VmFsdWU=", "T3RoZXI="],
        &["QmluYXJ5VmFsdWU=", "T3RoZXI=", "Zm9v"],
    ),
];

/// One action we generate requests for, with the service keys it accepts.
struct Profile {
    action: &'static str,
    /// Other real actions of the same service (non-matching exact patterns).
    siblings: &'static [&'static str],
    /// Resource ARNs; `{a}` is the resource account, `{r}` a region, `{u}` the
    /// principal's name. "*" for actions that only take "*".
    resources: &'static [&'static str],
    /// Whether the resource can carry a resource-based policy.
    resource_policy: bool,
    /// Whether resource control policies cover the service.
    rcp: bool,
    keys: &'static [Key],
}

const S3_OBJECT_RESOURCES: &[&str] = &[
    "arn:aws:s3:::data-bucket/{u}/report.csv",
    "arn:aws:s3:::data-bucket/team/a/b.txt",
    "arn:aws:s3:::data-bucket/dflt/file.bin",
    "arn:aws:s3:::data-bucket/x1/notes:v2.txt",
    "arn:aws:s3:::data-bucket/data/2026/03/log.gz",
    "arn:aws:s3:::logs-bucket/a?c$d",
    "arn:aws:s3:::logs-bucket/{u}",
];

const PROFILES: &[Profile] = &[
    Profile {
        action: "s3:GetObject",
        siblings: &["s3:GetObjectAcl", "s3:PutObject", "s3:ListBucket"],
        resources: S3_OBJECT_RESOURCES,
        resource_policy: true,
        rcp: true,
        keys: &[key(
            "s3:ExistingObjectTag/classification",
            Kind::Str,
            0.4,
            &["secret", "public"],
            &["secret", "public", "SECRET"],
        )],
    },
    Profile {
        action: "s3:PutObject",
        siblings: &["s3:GetObject", "s3:DeleteObject", "s3:PutObjectAcl"],
        resources: S3_OBJECT_RESOURCES,
        resource_policy: true,
        rcp: true,
        keys: &[
            key(
                "s3:x-amz-acl",
                Kind::Str,
                0.4,
                &["private", "public-read", "bucket-owner-full-control"],
                &["private", "public-*", "bucket-owner-full-control"],
            ),
            key(
                "s3:x-amz-server-side-encryption",
                Kind::Str,
                0.5,
                &["AES256", "aws:kms"],
                &["AES256", "aws:kms", "aws:kms*"],
            ),
        ],
    },
    Profile {
        action: "s3:ListBucket",
        siblings: &[
            "s3:ListBucketVersions",
            "s3:GetBucketLocation",
            "s3:GetObject",
        ],
        resources: &["arn:aws:s3:::data-bucket", "arn:aws:s3:::logs-bucket"],
        resource_policy: true,
        rcp: true,
        keys: &[
            key(
                "s3:prefix",
                Kind::Str,
                0.7,
                &["{u}/", "{u}/docs/", "home/bob/", ""],
                &[
                    "${aws:username}/*",
                    "{u}/*",
                    "home/*",
                    "",
                    "${aws:username}/",
                ],
            ),
            key(
                "s3:max-keys",
                Kind::Num,
                0.4,
                &["10", "1000"],
                &["100", "1000", "10"],
            ),
        ],
    },
    Profile {
        action: "s3:ListAllMyBuckets",
        siblings: &["s3:ListBucket", "s3:GetObject"],
        resources: &["*"],
        resource_policy: false,
        rcp: false,
        keys: &[],
    },
    Profile {
        action: "ec2:StopInstances",
        siblings: &[
            "ec2:StartInstances",
            "ec2:TerminateInstances",
            "ec2:DescribeInstances",
        ],
        resources: &[
            "arn:aws:ec2:{r}:{a}:instance/i-0abc1234",
            "arn:aws:ec2:{r}:{a}:instance/i-0def5678",
        ],
        resource_policy: false,
        rcp: false,
        keys: &[
            key(
                "ec2:InstanceType",
                Kind::Str,
                0.5,
                &["t3.micro", "m5.large"],
                &["t3.*", "m5.large", "T3.MICRO"],
            ),
            key(
                "ec2:ResourceTag/env",
                Kind::Str,
                0.4,
                &["prod", "dev"],
                &["prod", "dev", "${aws:PrincipalTag/team}"],
            ),
        ],
    },
    Profile {
        action: "ec2:DescribeInstances",
        siblings: &["ec2:StopInstances", "ec2:DescribeVpcs"],
        resources: &["*"],
        resource_policy: false,
        rcp: false,
        keys: &[],
    },
    Profile {
        action: "iam:GetUser",
        siblings: &["iam:DeleteUser", "iam:TagUser", "iam:ListUsers"],
        resources: &[
            "arn:aws:iam::{a}:user/{u}",
            "arn:aws:iam::{a}:user/dev/bob",
            "arn:aws:iam::{a}:user/carol",
        ],
        resource_policy: false,
        rcp: false,
        keys: &[key(
            "iam:ResourceTag/team",
            Kind::Str,
            0.4,
            &["data", "web"],
            &["data", "${aws:PrincipalTag/team}"],
        )],
    },
    Profile {
        action: "iam:TagUser",
        siblings: &["iam:UntagUser", "iam:GetUser"],
        resources: &["arn:aws:iam::{a}:user/{u}", "arn:aws:iam::{a}:user/dev/bob"],
        resource_policy: false,
        rcp: false,
        keys: &[],
    },
    Profile {
        action: "iam:PassRole",
        siblings: &["iam:GetRole", "iam:CreateRole"],
        resources: &[
            "arn:aws:iam::{a}:role/app-role",
            "arn:aws:iam::{a}:role/service/ci",
        ],
        resource_policy: false,
        rcp: false,
        keys: &[key(
            "iam:PassedToService",
            Kind::Str,
            0.7,
            &["ec2.amazonaws.com", "lambda.amazonaws.com"],
            &[
                "ec2.amazonaws.com",
                "*.amazonaws.com",
                "lambda.amazonaws.com",
            ],
        )],
    },
    Profile {
        action: "dynamodb:GetItem",
        siblings: &["dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"],
        resources: &[
            "arn:aws:dynamodb:{r}:{a}:table/Users",
            "arn:aws:dynamodb:{r}:{a}:table/data-orders",
        ],
        resource_policy: true,
        rcp: true,
        keys: &[
            key(
                "dynamodb:LeadingKeys",
                Kind::Multi,
                0.6,
                &["{u}", "bob", "u-1"],
                &["${aws:username}", "{u}", "bob", "u-*"],
            ),
            key(
                "dynamodb:Attributes",
                Kind::Multi,
                0.3,
                &["id", "name", "email"],
                &["id", "name", "email"],
            ),
            key(
                "dynamodb:Select",
                Kind::Str,
                0.3,
                &["ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES"],
                &["SPECIFIC_ATTRIBUTES", "ALL_*"],
            ),
        ],
    },
    Profile {
        action: "sqs:SendMessage",
        siblings: &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"],
        resources: &["arn:aws:sqs:{r}:{a}:jobs", "arn:aws:sqs:{r}:{a}:jobs-dlq"],
        resource_policy: true,
        rcp: true,
        keys: &[],
    },
    Profile {
        action: "sns:Publish",
        siblings: &["sns:Subscribe", "sns:GetTopicAttributes"],
        resources: &[
            "arn:aws:sns:{r}:{a}:alerts",
            "arn:aws:sns:{r}:{a}:data-events",
        ],
        resource_policy: true,
        rcp: false,
        keys: &[],
    },
    Profile {
        action: "lambda:InvokeFunction",
        siblings: &["lambda:GetFunction", "lambda:UpdateFunctionCode"],
        resources: &[
            "arn:aws:lambda:{r}:{a}:function:resize",
            "arn:aws:lambda:{r}:{a}:function:data-etl",
        ],
        resource_policy: true,
        rcp: false,
        keys: &[],
    },
    Profile {
        action: "logs:PutLogEvents",
        siblings: &["logs:CreateLogStream", "logs:GetLogEvents"],
        resources: &[
            "arn:aws:logs:{r}:{a}:log-group:app:log-stream:web-1",
            "arn:aws:logs:{r}:{a}:log-group:/aws/lambda/x:log-stream:2026/03/21",
        ],
        resource_policy: false,
        rcp: false,
        keys: &[],
    },
    Profile {
        action: "secretsmanager:GetSecretValue",
        siblings: &[
            "secretsmanager:DescribeSecret",
            "secretsmanager:PutSecretValue",
        ],
        resources: &[
            "arn:aws:secretsmanager:{r}:{a}:secret:db-pass-AbCdEf",
            "arn:aws:secretsmanager:{r}:{a}:secret:data/api-key-123456",
        ],
        resource_policy: true,
        rcp: true,
        keys: &[],
    },
];

const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];
const OTHER_SERVICES: &[&str] = &["ec2", "sqs", "kms", "s3", "iam", "dynamodb"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum PrincipalKind {
    User,
    Session,
    Root,
}

/// What a generated request looks like, for building policies around it.
struct Req {
    profile: &'static Profile,
    kind: PrincipalKind,
    /// "alice", "bob" (user) or the role's session name.
    name: String,
    principal: String,
    /// The role ARN behind a session.
    role_arn: Option<String>,
    resource: String,
    resource_account: String,
    context: Map<String, Value>,
    tags: Vec<&'static str>,
}

impl Req {
    fn cross_account(&self) -> bool {
        self.resource_account != ACCT
    }
    fn service(&self) -> &'static str {
        self.profile.action.split(':').next().unwrap_or("")
    }
}

fn fill(s: &str, acct: &str, region: &str, user: &str) -> String {
    s.replace("{a}", acct)
        .replace("{r}", region)
        .replace("{u}", user)
}

/// Generate `n` cases from `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    // Every twelfth case is one of the shapes of issue 9's rules, drawn from
    // a stream of its own so that the other cases stay as they were.
    let mut rules = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            let case = one_case(&mut rng, i);
            if i % 12 == 11 {
                rule_case(&mut rules, i)
            } else {
                case
            }
        })
        .collect()
}

/// A case of one of the rules AWS documents beyond the basic flowchart:
/// service principals, `sts:GetCallerIdentity`, trust and key policies that
/// must allow explicitly, a role ARN named by a resource policy (bounded),
/// `NotPrincipal` with `Allow`, and policy variables in `Bool`.
fn rule_case(rng: &mut Rng, i: usize) -> Case {
    let v = |st: Vec<Value>| json!({"Version": "2012-10-17", "Statement": st});
    let alice = format!("arn:aws:iam::{ACCT}:user/alice");
    let bob = format!("arn:aws:iam::{ACCT}:user/bob");
    let role = format!("arn:aws:iam::{ACCT}:role/Dev");
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/Dev/s1");
    let root = format!("arn:aws:iam::{ACCT}:root");
    let mut line = json!({"id": format!("c{i:05}")});
    let allow = |action: &str| json!({"Effect": "Allow", "Action": action, "Resource": "*"});
    let deny = |action: &str| json!({"Effect": "Deny", "Action": action, "Resource": "*"});
    match rng.below(7) {
        0 => {
            let service = *rng.pick(&["cloudtrail.amazonaws.com", "config.amazonaws.com"]);
            let named = *rng.pick(&["cloudtrail.amazonaws.com", "config.amazonaws.com", "*"]);
            let principal = if named == "*" {
                json!("*")
            } else {
                json!({"Service": named})
            };
            let mut st = vec![json!({"Effect": "Allow", "Principal": principal,
                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"})];
            if rng.chance(0.3) {
                st.push(
                    json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                    "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                );
            }
            line["principal"] = json!(service);
            line["action"] = json!("s3:PutObject");
            line["resource"] = json!("arn:aws:s3:::logs/AWSLogs/x");
            line["resourceAccount"] = json!(ACCT);
            line["context"] = json!({"aws:SecureTransport": *rng.pick(&["true", "false"])});
            line["resourcePolicy"] = v(st);
        }
        1 => {
            line["principal"] = json!(if rng.chance(0.5) { &alice } else { &session });
            line["action"] = json!("sts:GetCallerIdentity");
            line["resource"] = json!("*");
            let ids: Vec<Value> = match rng.below(3) {
                0 => vec![],
                1 => vec![v(vec![deny("sts:*")])],
                _ => vec![v(vec![allow("*"), deny("*")])],
            };
            line["identityPolicies"] = json!(ids);
        }
        2 | 3 => {
            let kms = rng.chance(0.5);
            let (action, resource) = if kms {
                (
                    "kms:Decrypt",
                    format!("arn:aws:kms:us-east-1:{ACCT}:key/1234abcd"),
                )
            } else {
                (
                    *rng.pick(&["sts:AssumeRole", "sts:TagSession"]),
                    format!("arn:aws:iam::{ACCT}:role/Admin"),
                )
            };
            let requester = if rng.chance(0.6) { &alice } else { &session };
            let named = match rng.below(5) {
                0 => json!({"AWS": requester}),
                1 => json!({"AWS": bob}),
                2 => json!({"AWS": root}),
                3 => json!({"AWS": ACCT}),
                _ => json!({"Service": "ec2.amazonaws.com"}),
            };
            let mut st = json!({"Effect": "Allow", "Principal": named,
                "Action": if kms { "kms:*" } else { "sts:*" }});
            if kms {
                st["Resource"] = json!("*");
            }
            line["principal"] = json!(requester);
            line["action"] = json!(action);
            line["resource"] = json!(resource);
            if rng.chance(0.7) {
                line["identityPolicies"] =
                    json!([v(vec![allow(if kms { "kms:*" } else { "sts:*" })])]);
            }
            line["resourcePolicy"] = v(vec![st]);
        }
        4 => {
            line["principal"] = json!(if rng.chance(0.5) { &role } else { &session });
            line["action"] = json!("s3:GetObject");
            line["resource"] = json!("arn:aws:s3:::data/k");
            line["resourcePolicy"] = v(vec![json!({"Effect": "Allow",
                "Principal": {"AWS": *rng.pick(&[role.as_str(), session.as_str(), ACCT])},
                "Action": "s3:*", "Resource": "*"})]);
            if rng.chance(0.6) {
                line["permissionBoundary"] =
                    v(vec![allow(rng.pick::<&str>(&["ec2:*", "s3:Get*"]))]);
            }
            if rng.chance(0.5) {
                line["identityPolicies"] = json!([v(vec![allow("s3:GetObject")])]);
            }
        }
        5 => {
            line["principal"] = json!(if rng.chance(0.5) { &alice } else { &session });
            line["action"] = json!("s3:GetObject");
            line["resource"] = json!("arn:aws:s3:::data/k");
            let listed = match rng.below(4) {
                0 => json!(ACCT),
                1 => json!([role, ACCT]),
                2 => json!(bob),
                _ => json!([alice, session]),
            };
            line["resourcePolicy"] = v(vec![json!({"Effect": "Allow",
                "NotPrincipal": {"AWS": listed}, "Action": "s3:*", "Resource": "*"})]);
        }
        _ => {
            line["principal"] = json!(alice);
            line["action"] = json!("s3:GetObject");
            line["resource"] = json!("arn:aws:s3:::data/k");
            let mut ctx = serde_json::Map::new();
            ctx.insert(
                "aws:SecureTransport".into(),
                json!(*rng.pick(&["true", "false"])),
            );
            ctx.insert(
                "aws:PrincipalTag/tls".into(),
                json!(*rng.pick(&["true", "false", "TRUE"])),
            );
            line["context"] = Value::Object(ctx);
            line["identityPolicies"] = json!([v(vec![
                json!({"Effect": "Allow", "Action": "s3:*",
                "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/tls}"}}})
            ])]);
        }
    }
    let tags = semantic_tags(&line);
    Case {
        id: format!("c{i:05}"),
        tags,
        line,
    }
}

/// The batch lines of [`generate`], one JSON object per line.
pub fn to_jsonl(cases: &[Case]) -> String {
    let mut s = String::new();
    for c in cases {
        s.push_str(&c.line.to_string());
        s.push('\n');
    }
    s
}

fn one_case(rng: &mut Rng, i: usize) -> Case {
    let profile = rng.pick(PROFILES);
    let kind = match rng.below(100) {
        0..=54 => PrincipalKind::User,
        55..=94 => PrincipalKind::Session,
        _ => PrincipalKind::Root,
    };
    let (name, principal, role_arn) = match kind {
        PrincipalKind::User => {
            let (n, path) = *rng.pick(&[("alice", ""), ("bob", "dev/"), ("alice", "team/")]);
            (
                n.to_string(),
                format!("arn:aws:iam::{ACCT}:user/{path}{n}"),
                None,
            )
        }
        PrincipalKind::Session => {
            let (role, sess) =
                *rng.pick(&[("Dev", "alice"), ("app-role", "i-0abc"), ("Dev", "bob")]);
            (
                sess.to_string(),
                format!("arn:aws:sts::{ACCT}:assumed-role/{role}/{sess}"),
                Some(format!("arn:aws:iam::{ACCT}:role/{role}")),
            )
        }
        PrincipalKind::Root => (
            "root".to_string(),
            format!("arn:aws:iam::{ACCT}:root"),
            None,
        ),
    };
    let resource_account = if profile.resources[0] != "*" && rng.chance(0.3) {
        OTHER.to_string()
    } else {
        ACCT.to_string()
    };
    let region = *rng.pick(REGIONS);
    let resource = fill(
        rng.pick::<&str>(profile.resources),
        &resource_account,
        region,
        &name,
    );

    let mut context = Map::new();
    let principal_arn = role_arn.clone().unwrap_or_else(|| principal.clone());
    context.insert("aws:PrincipalArn".into(), json!(principal_arn));
    context.insert("aws:PrincipalAccount".into(), json!(ACCT));
    match kind {
        PrincipalKind::User => {
            context.insert("aws:username".into(), json!(name));
            context.insert(
                "aws:userid".into(),
                json!(format!("AIDAEXAMPLE{}", name.to_uppercase())),
            );
            context.insert("aws:PrincipalType".into(), json!("User"));
        }
        PrincipalKind::Session => {
            context.insert("aws:userid".into(), json!(format!("AROAEXAMPLE:{name}")));
            context.insert("aws:PrincipalType".into(), json!("AssumedRole"));
        }
        PrincipalKind::Root => {
            context.insert("aws:userid".into(), json!(ACCT));
            context.insert("aws:PrincipalType".into(), json!("Account"));
        }
    }
    // S3 objects and buckets have no aws:ResourceTag (iam-simulate drops it), nor has "*".
    let no_resource_tag = profile.action.starts_with("s3:") || profile.resources[0] == "*";
    for k in GLOBAL_KEYS.iter().chain(profile.keys) {
        if no_resource_tag && k.name.starts_with("aws:ResourceTag/") {
            continue;
        }
        if rng.chance(k.presence) {
            context.insert(k.name.into(), context_value(rng, k, &name));
        }
    }

    let mut req = Req {
        profile,
        kind,
        name,
        principal,
        role_arn,
        resource,
        resource_account,
        context,
        tags: Vec::new(),
    };

    let mut line = Map::new();
    line.insert("id".into(), json!(format!("c{i:05}")));
    line.insert("principal".into(), json!(req.principal));
    line.insert("action".into(), json!(profile.action));
    line.insert("resource".into(), json!(req.resource));
    if req.resource.starts_with("arn:aws:s3:") || req.resource == "*" || rng.chance(0.5) {
        line.insert("resourceAccount".into(), json!(req.resource_account));
    }

    // Identity policies: usually one or two; root has none (none can be attached).
    let n_identity = if kind == PrincipalKind::Root {
        0
    } else {
        *rng.pick(&[0, 1, 1, 2, 2, 3])
    };
    let identity: Vec<Value> = (0..n_identity)
        .map(|_| identity_document(rng, &mut req, 0.8))
        .collect();
    let mut has_resource_policy = false;
    let resource_policy =
        if profile.resource_policy && rng.chance(if req.cross_account() { 0.95 } else { 0.45 }) {
            has_resource_policy = true;
            Some(resource_document(rng, &mut req))
        } else {
            None
        };
    let boundary = if kind != PrincipalKind::Root && rng.chance(0.25) {
        Some(identity_document(rng, &mut req, 0.8))
    } else {
        None
    };
    let session = if kind == PrincipalKind::Session && rng.chance(0.35) {
        Some(identity_document(rng, &mut req, 0.8))
    } else {
        None
    };
    let scps = if rng.chance(0.3) {
        Some(scp_levels(rng, &mut req))
    } else {
        None
    };
    let rcps = if profile.rcp && rng.chance(if has_resource_policy { 0.3 } else { 0.15 }) {
        Some(rcp_levels(rng, &mut req))
    } else {
        None
    };

    line.insert("context".into(), Value::Object(req.context.clone()));
    line.insert("identityPolicies".into(), Value::Array(identity));
    if let Some(d) = boundary {
        line.insert("permissionBoundary".into(), d);
    }
    if let Some(d) = resource_policy {
        line.insert("resourcePolicy".into(), d);
    }
    if let Some(d) = session {
        line.insert("sessionPolicy".into(), d);
    }
    if let Some(d) = scps {
        line.insert("serviceControlPolicies".into(), d);
    }
    if let Some(d) = rcps {
        line.insert("resourceControlPolicies".into(), d);
    }
    let line = Value::Object(line);
    req.tags.extend(semantic_tags(&line));
    req.tags.sort_unstable();
    req.tags.dedup();
    Case {
        id: format!("c{i:05}"),
        tags: req.tags,
        line,
    }
}

/// Date condition values written as epoch seconds: AWS accepts them
/// ("a date in epoch (UNIX) time"); iam-simulate misreads them.
pub const TAG_EPOCH_DATE: &str = "epoch-date-values";

/// A `NotPrincipal` Deny that lists some but not all of the identities a
/// request is made as (account, role, session), or a principal with a
/// permissions boundary: AWS checks each identity and denies unless all are
/// listed, and always denies principals with a boundary; iam-simulate exempts
/// a principal when any entry matches it.
pub const TAG_NOTPRINCIPAL_IDENTITIES: &str = "notprincipal-every-identity";

/// A same-account resource-based policy that names the role session itself
/// (or `*`) while a session policy is in force: AWS adds those permissions
/// after the session policy, unlimited by it; iam-simulate limits them.
pub const TAG_SESSION_ARN_GRANT: &str = "session-arn-grant-not-limited-by-session-policy";

/// A policy variable with a default (`${aws:PrincipalTag/x, 'dflt'}`) whose key
/// is missing: AWS substitutes the default; iam-simulate treats the variable as
/// unresolved.
pub const TAG_VARIABLE_DEFAULT: &str = "variable-default-value";

/// A `NotResource` pattern whose policy variable cannot be resolved: AWS only
/// says the statement "might" be invalid; we let the pattern match nothing, and
/// iam-simulate answers inconsistently.
pub const TAG_UNRESOLVED_IN_NOT_RESOURCE: &str = "unresolved-variable-in-not-resource";

/// An `IpAddress`/`NotIpAddress` range with a zero prefix (`0.0.0.0/0`, `::/0`),
/// which holds every address; iam-simulate matches none.
pub const TAG_ZERO_PREFIX_CIDR: &str = "zero-prefix-cidr";

/// A `Resource`/`NotResource` pattern whose resource part begins with a policy
/// variable (`arn:aws:sns:us-east-1:111111111111:${aws:username}-events`):
/// AWS substitutes it like any other; iam-simulate never matches it.
pub const TAG_VARIABLE_LEADS_RESOURCE: &str = "variable-leads-resource-part";

/// A `?` in a resource pattern while the requested resource part has colons:
/// we keep `?` inside its colon-separated segment, as AWS describes wildcards;
/// iam-simulate lets it match a colon.
pub const TAG_QUESTION_MARK_ACROSS_COLON: &str = "question-mark-across-colon";

/// A negated condition operator (`StringNotEquals`, `StringNotLike`,
/// `ArnNotLike`, ...) whose policy value holds a variable with no value:
/// "Inverted condition operators like StringNotEquals or StringNotLike do
/// match against a null value" (reference_policies_variables); iam-simulate
/// does not match them.
pub const TAG_INVERTED_NULL_VARIABLE: &str = "inverted-operator-null-variable";

/// A request by the account's root user: "all requests are implicitly denied
/// with the exception of the AWS account root user, which has full access"
/// (reference_policies_evaluation-logic_policy-eval-denyallow), so it needs no
/// identity-based policy; iam-simulate requires one.
pub const TAG_ROOT_FULL_ACCESS: &str = "root-user-full-access";

/// `NotIpAddress` with a request address of the other family than a range in
/// the policy (an IPv6 `aws:SourceIp` against `203.0.113.0/24`): the address is
/// not in the range, so "All IP addresses except the specified IP address or
/// range" (reference_policies_elements_condition_operators) matches it;
/// iam-simulate does not.
pub const TAG_NOT_IP_OTHER_FAMILY: &str = "not-ip-address-other-family";

/// The variables of a text: (lower-cased key, has default).
fn variables(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + end];
        rest = &rest[start + end + 1..];
        if matches!(inner.trim(), "*" | "?" | "$") {
            continue;
        }
        let (key, default) = match inner.split_once(',') {
            Some((k, _)) => (k, true),
            None => (inner, false),
        };
        out.push((key.trim().to_ascii_lowercase(), default));
    }
    out
}

fn documents(line: &Value) -> Vec<&Value> {
    let mut docs: Vec<&Value> = Vec::new();
    docs.extend(line["identityPolicies"].as_array().into_iter().flatten());
    for key in ["permissionBoundary", "resourcePolicy", "sessionPolicy"] {
        if !line[key].is_null() {
            docs.push(&line[key]);
        }
    }
    for key in ["serviceControlPolicies", "resourceControlPolicies"] {
        for level in line[key].as_array().into_iter().flatten() {
            docs.extend(level.as_array().into_iter().flatten());
        }
    }
    docs
}

fn statements(doc: &Value) -> Vec<&Value> {
    match &doc["Statement"] {
        Value::Array(items) => items.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    }
}

fn string_list(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The tags a case earns by its shape, whatever part of the generator made it.
pub fn semantic_tags(line: &Value) -> Vec<&'static str> {
    let mut tags = Vec::new();
    let principal = line["principal"].as_str().unwrap_or("");
    if principal.ends_with(":root") {
        tags.push(TAG_ROOT_FULL_ACCESS);
    }
    for doc in documents(line) {
        for st in statements(doc) {
            for (op, keys) in st["Condition"].as_object().into_iter().flatten() {
                if !op.contains("NotIpAddress") {
                    continue;
                }
                for (key, values) in keys.as_object().into_iter().flatten() {
                    let families: Vec<bool> = string_list(values)
                        .iter()
                        .map(|v| v.contains(':'))
                        .collect();
                    let other = line["context"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                        .flat_map(|(_, v)| string_list(v))
                        .any(|ip| families.iter().any(|f| *f != ip.contains(':')));
                    if other {
                        tags.push(TAG_NOT_IP_OTHER_FAMILY);
                    }
                }
            }
        }
    }
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    let account = parts.get(4).copied().unwrap_or("");
    let role_name = principal
        .split_once(":assumed-role/")
        .and_then(|(_, r)| r.split('/').next());
    for doc in documents(line) {
        for st in statements(doc) {
            let Some(cond) = st["Condition"].as_object() else {
                continue;
            };
            for (op, keys) in cond {
                if !op.contains("Date") {
                    continue;
                }
                for (key, values) in keys.as_object().into_iter().flatten() {
                    let values = match values {
                        Value::Array(a) => a.iter().collect(),
                        v => vec![v],
                    };
                    // The context value this operator compares, in epoch seconds.
                    let epoch_context = line["context"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                        .flat_map(|(_, v)| match v {
                            Value::Array(a) => a.iter().collect(),
                            v => vec![v],
                        })
                        .any(|v| {
                            v.as_str().is_some_and(|s| {
                                !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
                            })
                        });
                    if epoch_context {
                        tags.push(TAG_EPOCH_DATE);
                    }
                    if values.iter().any(|v| match v {
                        Value::Number(_) => true,
                        Value::String(s) => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
                        _ => false,
                    }) {
                        tags.push(TAG_EPOCH_DATE);
                    }
                }
            }
        }
    }
    let context_keys: Vec<String> = line["context"]
        .as_object()
        .map(|m| m.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let missing = |key: &str| !context_keys.iter().any(|k| k == key);
    // A variable has no value when its key is absent or multivalued.
    let single_valued = |key: &str| {
        line["context"]
            .as_object()
            .into_iter()
            .flatten()
            .any(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_array())
    };
    for doc in documents(line) {
        if doc["Version"] != "2012-10-17" {
            continue;
        }
        for st in statements(doc) {
            for (op, keys) in st["Condition"].as_object().into_iter().flatten() {
                let base = op.rsplit(':').next().unwrap_or(op);
                if !(base.starts_with("StringNot") || base.starts_with("ArnNot")) {
                    continue;
                }
                let null_variable = keys.as_object().into_iter().flatten().any(|(_, v)| {
                    string_list(v).iter().any(|text| {
                        variables(text)
                            .iter()
                            .any(|(k, default)| !default && !single_valued(k))
                    })
                });
                if null_variable {
                    tags.push(TAG_INVERTED_NULL_VARIABLE);
                }
            }
        }
    }
    for doc in documents(line) {
        let versioned = doc["Version"] == "2012-10-17";
        let text = doc.to_string();
        if versioned && variables(&text).iter().any(|(k, d)| *d && missing(k)) {
            tags.push(TAG_VARIABLE_DEFAULT);
        }
        if text.contains("/0\"") {
            tags.push(TAG_ZERO_PREFIX_CIDR);
        }
        let request_resource = line["resource"].as_str().unwrap_or("");
        let multi_segment = request_resource
            .splitn(6, ':')
            .nth(5)
            .is_some_and(|r| r.contains(':'));
        for st in statements(doc) {
            let patterns: Vec<&str> = string_list(&st["Resource"])
                .into_iter()
                .chain(string_list(&st["NotResource"]))
                .collect();
            if versioned
                && patterns
                    .iter()
                    .any(|p| p.splitn(6, ':').nth(5).is_some_and(|r| r.starts_with("${")))
            {
                tags.push(TAG_VARIABLE_LEADS_RESOURCE);
            }
            if multi_segment && patterns.iter().any(|p| p.contains('?')) {
                tags.push(TAG_QUESTION_MARK_ACROSS_COLON);
            }
            if versioned
                && string_list(&st["NotResource"])
                    .iter()
                    .any(|r| variables(r).iter().any(|(k, _)| missing(k)))
            {
                tags.push(TAG_UNRESOLVED_IN_NOT_RESOURCE);
            }
        }
    }
    let has_boundary = !line["permissionBoundary"].is_null();
    let mut not_principal_docs: Vec<&Value> = Vec::new();
    if !line["resourcePolicy"].is_null() {
        not_principal_docs.push(&line["resourcePolicy"]);
    }
    for level in line["resourceControlPolicies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        not_principal_docs.extend(level.as_array().into_iter().flatten());
    }
    for doc in not_principal_docs {
        for st in statements(doc) {
            let Some(np) = st.get("NotPrincipal") else {
                continue;
            };
            if has_boundary {
                tags.push(TAG_NOTPRINCIPAL_IDENTITIES);
                continue;
            }
            let entries: Vec<&str> = match np {
                Value::String(s) => vec![s.as_str()],
                Value::Object(m) => m.values().flat_map(string_list).collect(),
                _ => Vec::new(),
            };
            if entries.contains(&"*") {
                continue;
            }
            let root = format!("arn:aws:iam::{account}:root");
            let mut identities = vec![entries.contains(&principal)];
            if let Some(role) = role_name {
                identities.push(entries.iter().any(|e| {
                    e.starts_with(&format!("arn:aws:iam::{account}:role/"))
                        && e.rsplit('/').next() == Some(role)
                }));
            }
            identities.push(entries.iter().any(|e| *e == account || *e == root));
            let listed = identities.iter().filter(|l| **l).count();
            if listed > 0 && listed < identities.len() {
                tags.push(TAG_NOTPRINCIPAL_IDENTITIES);
            }
        }
    }
    let same_account = line["resourceAccount"]
        .as_str()
        .is_none_or(|a| a == account);
    if !line["sessionPolicy"].is_null() && same_account && !line["resourcePolicy"].is_null() {
        for st in statements(&line["resourcePolicy"]) {
            if st["Effect"] != "Allow" {
                continue;
            }
            let names_session = match &st["Principal"] {
                Value::String(s) => s == "*",
                Value::Object(m) => m
                    .get("AWS")
                    .map(string_list)
                    .unwrap_or_default()
                    .iter()
                    .any(|e| *e == "*" || *e == principal),
                _ => false,
            };
            if names_session {
                tags.push(TAG_SESSION_ARN_GRANT);
            }
        }
    }
    tags
}

fn context_value(rng: &mut Rng, k: &Key, user: &str) -> Value {
    let one = |rng: &mut Rng| fill(rng.pick::<&str>(k.ctx), ACCT, "us-east-1", user);
    if k.kind == Kind::Multi {
        let n = *rng.pick(&[0, 1, 1, 2, 2, 3]);
        let mut vs: Vec<String> = Vec::new();
        for _ in 0..n {
            let v = one(rng);
            if !vs.contains(&v) {
                vs.push(v);
            }
        }
        json!(vs)
    } else {
        json!(one(rng))
    }
}

fn document(rng: &mut Rng, req: &mut Req, statements: Vec<Map<String, Value>>) -> Value {
    document_v(rng, req, statements, false)
}

/// `v2012`: the document must say 2012-10-17 (resource control policies).
fn document_v(
    rng: &mut Rng,
    req: &mut Req,
    statements: Vec<Map<String, Value>>,
    v2012: bool,
) -> Value {
    let mut d = Map::new();
    let version = match rng.below(100) {
        _ if v2012 => Some("2012-10-17"),
        0..=93 => Some("2012-10-17"),
        94..=96 => Some("2008-10-17"),
        _ => None,
    };
    if let Some(v) = version {
        d.insert("Version".into(), json!(v));
    }
    let with_sid = rng.chance(0.5);
    let stmts: Vec<Value> = statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut m = Map::new();
            if with_sid {
                m.insert("Sid".into(), json!(format!("S{i}")));
            }
            m.extend(s);
            Value::Object(m)
        })
        .collect();
    let body = if stmts.len() == 1 && rng.chance(0.3) {
        stmts.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(stmts)
    };
    if version != Some("2012-10-17") && body.to_string().contains("${") {
        req.tags.push(TAG_VERSION_2008_VARIABLES);
    }
    d.insert("Statement".into(), body);
    Value::Object(d)
}

/// An identity-style document (identity policy, boundary, session policy).
/// `p_allow` is the share of Allow statements.
fn identity_document(rng: &mut Rng, req: &mut Req, p_allow: f64) -> Value {
    let n = rng.range(1, 4);
    let stmts = (0..n)
        .map(|_| {
            let allow = rng.chance(p_allow);
            statement(rng, req, allow, None)
        })
        .collect();
    document(rng, req, stmts)
}

fn statement(
    rng: &mut Rng,
    req: &mut Req,
    allow: bool,
    principal: Option<(&'static str, Value)>,
) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
    if let Some((k, v)) = principal {
        s.insert(k.into(), v);
    }
    // Actions: mostly matching patterns, NotAction now and then.
    if rng.chance(0.12) {
        let pats = (0..rng.range(1, 2))
            .map(|_| {
                let m = rng.chance(0.3);
                action_pattern(rng, req, m)
            })
            .collect::<Vec<_>>();
        s.insert("NotAction".into(), one_or_many(rng, pats));
    } else {
        let matching = rng.chance(0.9);
        let mut pats = vec![action_pattern(rng, req, matching)];
        if rng.chance(0.3) {
            pats.push(action_pattern(rng, req, false));
        }
        if rng.chance(0.5) {
            pats.reverse();
        }
        s.insert("Action".into(), one_or_many(rng, pats));
    }
    if rng.chance(0.1) {
        let pats = (0..rng.range(1, 2))
            .map(|_| {
                let m = rng.chance(0.3);
                resource_pattern(rng, req, m)
            })
            .collect::<Vec<_>>();
        tag_resource_patterns(req, &pats);
        s.insert("NotResource".into(), one_or_many(rng, pats));
    } else {
        let matching = rng.chance(0.9);
        let mut pats = vec![resource_pattern(rng, req, matching)];
        if rng.chance(0.25) {
            pats.push(resource_pattern(rng, req, false));
        }
        tag_resource_patterns(req, &pats);
        s.insert("Resource".into(), one_or_many(rng, pats));
    }
    // Deny statements carry conditions more often: an unconditional deny of a
    // matching action/resource would dominate the spread.
    if rng.chance(if allow { 0.35 } else { 0.85 }) {
        s.insert("Condition".into(), condition(rng, req));
    }
    s
}

fn tag_resource_patterns(req: &mut Req, pats: &[String]) {
    if pats.iter().any(|p| wildcard_in_resource_type(p)) {
        req.tags.push(TAG_WILDCARD_IN_RESOURCE_TYPE);
    }
}

fn one_or_many(rng: &mut Rng, mut xs: Vec<String>) -> Value {
    if xs.len() == 1 && rng.chance(0.6) {
        json!(xs.remove(0))
    } else {
        json!(xs)
    }
}

fn flip_case(rng: &mut Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            if rng.chance(0.4) {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn action_pattern(rng: &mut Rng, req: &Req, matching: bool) -> String {
    let action = req.profile.action;
    let (svc, name) = action.split_once(':').unwrap_or((action, ""));
    if matching {
        match rng.below(9) {
            0 | 1 => action.to_string(),
            2 => flip_case(rng, action),
            3 => "*".to_string(),
            4 => format!("{svc}:*"),
            5 => {
                let cut = rng.range(1, name.len() - 1);
                format!("{svc}:{}*", &name[..cut])
            }
            6 => {
                let at = rng.below(name.len());
                let mut n: Vec<char> = name.chars().collect();
                n[at] = '?';
                format!("{svc}:{}", n.into_iter().collect::<String>())
            }
            7 => {
                let cut = rng.range(1, name.len() - 1);
                format!("{svc}:*{}", &name[cut..])
            }
            _ => format!("{}:{}*", flip_case(rng, svc), name.to_lowercase()),
        }
    } else {
        match rng.below(4) {
            0 | 1 => rng.pick(req.profile.siblings).to_string(),
            2 => {
                let other = *rng.pick(OTHER_SERVICES);
                if other == svc {
                    format!("{svc}:{name}X")
                } else {
                    format!("{other}:*")
                }
            }
            _ => format!("{svc}:{}?", name),
        }
    }
}

/// Split an ARN in its six parts (the last keeps its colons).
fn arn_parts(arn: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6).then(|| parts.iter().map(|s| s.to_string()).collect())
}

/// A resource pattern; a wildcard inside the resource type (a deliberate
/// difference, skipped by the comparison) only now and then.
fn resource_pattern(rng: &mut Rng, req: &Req, matching: bool) -> String {
    let mut p = resource_pattern_once(rng, req, matching);
    for _ in 0..8 {
        if !wildcard_in_resource_type(&p) || rng.chance(0.05) {
            break;
        }
        p = resource_pattern_once(rng, req, matching);
    }
    p
}

fn resource_pattern_once(rng: &mut Rng, req: &Req, matching: bool) -> String {
    let res = &req.resource;
    let Some(mut p) = arn_parts(res) else {
        // "*" requests: only "*" or an ARN-shaped pattern (which does not match).
        return if matching {
            "*".to_string()
        } else {
            format!("arn:aws:{}:::*", req.service())
        };
    };
    if matching {
        match rng.below(12) {
            0..=2 => res.clone(),
            3 => "*".to_string(),
            4 => {
                // A wildcard for one of region, account, resource.
                let seg = *rng.pick(&[3usize, 4, 5]);
                if !p[seg].is_empty() || seg == 5 {
                    p[seg] = "*".into();
                }
                p.join(":")
            }
            5 => {
                // A prefix of the resource part.
                let cut = rng.range(0, p[5].len().saturating_sub(1));
                p[5] = format!("{}*", &p[5][..cut]);
                p.join(":")
            }
            6 => {
                // One '?' in the resource part.
                let chars: Vec<char> = p[5].chars().collect();
                let at = rng.below(chars.len());
                p[5] = chars
                    .iter()
                    .enumerate()
                    .map(|(i, c)| if i == at { '?' } else { *c })
                    .collect();
                p.join(":")
            }
            7 => {
                if !p[3].is_empty() {
                    p[3] = format!("{}*", &p[3][..3]);
                }
                p[5] = format!("*{}", &p[5][p[5].len() / 2..]);
                p.join(":")
            }
            _ => variable_resource(rng, req, &mut p),
        }
    } else {
        match rng.below(7) {
            0 => {
                // Another account or region.
                if !p[4].is_empty() {
                    p[4] = if p[4] == ACCT {
                        OTHER.into()
                    } else {
                        ACCT.into()
                    };
                } else {
                    p[5] = format!("other-{}", p[5]);
                }
                p.join(":")
            }
            1 => {
                // ARNs are case-sensitive.
                p[5] = flip_case(rng, &p[5]);
                if p[5] == res.splitn(6, ':').nth(5).unwrap_or_default() {
                    p[5] = p[5].to_uppercase();
                }
                p.join(":")
            }
            2 => {
                p[5] = format!("{}x", p[5]);
                p.join(":")
            }
            3 => {
                p[2] = (*rng.pick(OTHER_SERVICES)).into();
                p.join(":")
            }
            4 => {
                // "${*}" is a literal '*', not a wildcard.
                let cut = p[5].len() / 2;
                p[5] = format!("{}${{*}}", &p[5][..cut]);
                p.join(":")
            }
            5 => {
                if p[3].is_empty() {
                    p[5] = format!("{}/?*", p[5]);
                } else {
                    p[3] = "ap-south-1".into();
                }
                p.join(":")
            }
            _ => variable_resource(rng, req, &mut p),
        }
    }
}

/// A resource pattern with a policy variable in place of the part of the
/// resource that usually carries it.
fn variable_resource(rng: &mut Rng, req: &Req, p: &mut [String]) -> String {
    let rest = p[5].clone();
    let (head, tail) = match rest.rsplit_once('/') {
        Some((h, t)) => (format!("{h}/"), t.to_string()),
        None => match rest.rsplit_once(':') {
            Some((h, t)) => (format!("{h}:"), t.to_string()),
            // Keep the first character before the variable: a variable that
            // begins the resource part is a deliberate difference, compared
            // with the oracle less often that way.
            None => {
                let first = rest.chars().next().map_or(0, char::len_utf8);
                (rest[..first].to_string(), rest[first..].to_string())
            }
        },
    };
    p[5] = match rng.below(8) {
        0 | 1 => {
            // ${aws:username} where the user's name is.
            if rest.contains(&req.name) {
                rest.replacen(&req.name, "${aws:username}", 1)
            } else {
                format!("{head}${{aws:username}}*")
            }
        }
        2 => format!("{head}${{aws:PrincipalTag/team}}*"),
        3 => {
            // A default for a missing key: data-bucket/dflt/file.bin
            if rest.contains("dflt") {
                rest.replacen("dflt", "${aws:PrincipalTag/x, 'dflt'}", 1)
            } else {
                format!("{head}${{aws:PrincipalTag/x, '{tail}'}}")
            }
        }
        4 => {
            // Escapes for characters the resource may hold literally.
            rest.chars()
                .map(|c| match c {
                    '?' => "${?}".to_string(),
                    '$' => "${$}".to_string(),
                    c => c.to_string(),
                })
                .collect()
        }
        5 => format!("{head}${{aws:PrincipalTag/missing}}{tail}"),
        6 => format!("{head}*${{aws:PrincipalAccount}}*"),
        _ => {
            if p[4].is_empty() {
                format!("{head}${{aws:userid}}")
            } else {
                p[4] = "${aws:PrincipalAccount}".into();
                rest
            }
        }
    };
    p.join(":")
}

fn principal_element(rng: &mut Rng, req: &Req, matching: bool) -> (&'static str, Value) {
    let acct = ACCT;
    let caller = match req.kind {
        PrincipalKind::Session if rng.chance(0.5) => req.role_arn.clone().unwrap_or_default(),
        _ => req.principal.clone(),
    };
    let v = if matching {
        match rng.below(8) {
            0 => json!("*"),
            1 => json!({"AWS": "*"}),
            2 => json!({"AWS": acct}),
            3 => json!({"AWS": format!("arn:aws:iam::{acct}:root")}),
            4 | 5 => json!({"AWS": caller}),
            6 => json!({"AWS": [format!("arn:aws:iam::{OTHER}:root"), caller]}),
            _ => json!({"AWS": caller, "Service": "lambda.amazonaws.com"}),
        }
    } else {
        match rng.below(5) {
            0 => json!({"Service": "ec2.amazonaws.com"}),
            1 => json!({"AWS": OTHER}),
            2 => json!({"AWS": format!("arn:aws:iam::{acct}:user/carol")}),
            3 => json!({"AWS": format!("arn:aws:iam::{acct}:role/Other")}),
            _ => json!({"AWS": format!("arn:aws:sts::{acct}:assumed-role/Dev/someone-else")}),
        }
    };
    ("Principal", v)
}

fn resource_document(rng: &mut Rng, req: &mut Req) -> Value {
    let n = rng.range(1, 3);
    let mut stmts = Vec::new();
    for _ in 0..n {
        let allow = rng.chance(0.8);
        if !allow && rng.chance(0.3) {
            // Deny everyone but the listed principals.
            let keep = if rng.chance(0.5) {
                req.principal.clone()
            } else {
                format!("arn:aws:iam::{ACCT}:user/carol")
            };
            let np = json!({"AWS": [keep, format!("arn:aws:iam::{ACCT}:root")]});
            stmts.push(statement(rng, req, false, Some(("NotPrincipal", np))));
        } else {
            let matching = rng.chance(0.85);
            let p = principal_element(rng, req, matching);
            stmts.push(statement(rng, req, allow, Some(p)));
        }
    }
    document(rng, req, stmts)
}

fn full_access() -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("Effect".into(), json!("Allow"));
    s.insert("Action".into(), json!("*"));
    s.insert("Resource".into(), json!("*"));
    s
}

/// SCP levels, root first. Most levels keep FullAWSAccess; some allow only
/// other services (an allow missing at that level); denies with conditions.
fn scp_levels(rng: &mut Rng, req: &mut Req) -> Value {
    let levels = rng.range(1, 3);
    let mut out = Vec::new();
    for _ in 0..levels {
        let mut docs = Vec::new();
        let svc = req.service();
        let first = match rng.below(10) {
            0..=5 => full_access(),
            6 | 7 => {
                let mut s = full_access();
                s.insert("Action".into(), json!([format!("{svc}:*"), "sts:*"]));
                s
            }
            8 => {
                let mut s = full_access();
                s.insert("Action".into(), json!(["kms:*", "cloudwatch:*"]));
                s
            }
            _ => statement(rng, req, true, None),
        };
        let mut stmts = vec![first];
        if rng.chance(0.35) {
            stmts.push(statement(rng, req, false, None));
        }
        docs.push(document(rng, req, stmts));
        if rng.chance(0.2) {
            let allow = rng.chance(0.5);
            let s = statement(rng, req, allow, None);
            docs.push(document(rng, req, vec![s]));
        }
        out.push(Value::Array(docs));
    }
    Value::Array(out)
}

/// RCP levels: denies with Principal "*" (RCPFullAWSAccess is implicit).
fn rcp_levels(rng: &mut Rng, req: &mut Req) -> Value {
    let levels = rng.range(1, 2);
    let svc = req.service();
    let mut out = Vec::new();
    for _ in 0..levels {
        let mut s = Map::new();
        s.insert("Effect".into(), json!("Deny"));
        s.insert("Principal".into(), json!("*"));
        s.insert(
            "Action".into(),
            json!(if rng.chance(0.5) {
                format!("{svc}:*")
            } else {
                req.profile.action.to_string()
            }),
        );
        s.insert("Resource".into(), json!("*"));
        let cond = match rng.below(4) {
            0 => json!({"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}),
            1 => json!({"Bool": {"aws:SecureTransport": "false"}}),
            2 => json!({"StringNotEquals": {"aws:PrincipalAccount": ACCT}}),
            _ => condition(rng, req),
        };
        s.insert("Condition".into(), cond);
        out.push(json!([document_v(rng, req, vec![s], true)]));
    }
    Value::Array(out)
}

/// The keys a condition may name for this request: global, service, principal.
fn condition_keys(req: &Req) -> Vec<&'static Key> {
    GLOBAL_KEYS.iter().chain(req.profile.keys).collect()
}

const PRINCIPAL_KEYS: &[Key] = &[
    key(
        "aws:username",
        Kind::Str,
        1.0,
        &[],
        &["alice", "bob", "Alice", "al*", "${aws:PrincipalTag/team}"],
    ),
    key(
        "aws:PrincipalAccount",
        Kind::Str,
        1.0,
        &[],
        &[ACCT, OTHER, "1111*"],
    ),
    key(
        "aws:PrincipalType",
        Kind::Str,
        1.0,
        &[],
        &["User", "AssumedRole", "Account"],
    ),
    key(
        "aws:userid",
        Kind::Str,
        1.0,
        &[],
        &["AROAEXAMPLE:*", "AIDAEXAMPLEALICE", "*:${aws:username}"],
    ),
    key(
        "aws:PrincipalArn",
        Kind::Arn,
        1.0,
        &[],
        &[
            "arn:aws:iam::111111111111:user/alice",
            "arn:aws:iam::111111111111:role/Dev",
            "arn:aws:iam::111111111111:*",
            "arn:aws:iam::*:role/Dev",
            "arn:aws:iam::222222222222:*",
            "arn:aws:iam::111111111111:user/*/${aws:username}",
            "arn:aws:iam::${aws:PrincipalAccount}:role/*",
        ],
    ),
];

fn condition(rng: &mut Rng, req: &Req) -> Value {
    let mut keys = condition_keys(req);
    keys.extend(PRINCIPAL_KEYS.iter());
    let mut ops: Map<String, Value> = Map::new();
    let n_entries = *rng.pick(&[1, 1, 1, 2, 2, 3]);
    for _ in 0..n_entries {
        // Prefer keys the request carries; sometimes a missing one.
        let k = if rng.chance(0.75) {
            let present: Vec<&&Key> = keys
                .iter()
                .filter(|k| req.context.contains_key(k.name))
                .collect();
            if present.is_empty() {
                *rng.pick(&keys)
            } else {
                **rng.pick(&present)
            }
        } else {
            *rng.pick(&keys)
        };
        let (op, values) = operator_and_values(rng, k, req);
        let entry = ops.entry(op).or_insert_with(|| json!({}));
        if let Some(m) = entry.as_object_mut() {
            m.insert(k.name.to_string(), values);
        }
    }
    Value::Object(ops)
}

fn cond_values(rng: &mut Rng, k: &Key, req: &Req, max: usize) -> Vec<String> {
    let n = rng.range(1, max);
    let mut vs: Vec<String> = Vec::new();
    for _ in 0..n {
        // The request's own value now and then, so equality holds.
        let v = match req.context.get(k.name) {
            Some(Value::String(s)) if rng.chance(0.35) => s.clone(),
            Some(Value::Array(a)) if !a.is_empty() && rng.chance(0.35) => a[rng.below(a.len())]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            _ => fill(rng.pick::<&str>(k.cond), ACCT, "us-east-1", &req.name),
        };
        if !vs.contains(&v) {
            vs.push(v);
        }
    }
    vs
}

fn values_json(rng: &mut Rng, vs: Vec<String>) -> Value {
    if vs.len() == 1 && rng.chance(0.6) {
        json!(vs[0])
    } else {
        json!(vs)
    }
}

fn operator_and_values(rng: &mut Rng, k: &Key, req: &Req) -> (String, Value) {
    if rng.chance(0.1) {
        let v = if rng.chance(0.5) { "true" } else { "false" };
        return ("Null".into(), json!(v));
    }
    let if_exists = rng.chance(0.25);
    let base: String = match k.kind {
        Kind::Str => (*rng.pick(&[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringLike",
            "StringNotLike",
        ]))
        .into(),
        Kind::Num => (*rng.pick(&[
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ]))
        .into(),
        Kind::Date => (*rng.pick(&[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ]))
        .into(),
        Kind::Bool => "Bool".into(),
        Kind::Ip => (*rng.pick(&["IpAddress", "NotIpAddress"])).into(),
        Kind::Arn => (*rng.pick(&[
            "ArnEquals",
            "ArnLike",
            "ArnNotEquals",
            "ArnNotLike",
            "StringLike",
        ]))
        .into(),
        Kind::Bin => "BinaryEquals".into(),
        Kind::Multi => {
            let set = *rng.pick(&["ForAllValues:", "ForAnyValue:"]);
            let op = *rng.pick(&[
                "StringEquals",
                "StringLike",
                "StringNotEquals",
                "StringNotLike",
                "StringEqualsIgnoreCase",
            ]);
            format!("{set}{op}")
        }
    };
    let max = match k.kind {
        Kind::Bool | Kind::Num | Kind::Date => 2,
        _ => 3,
    };
    let vs = cond_values(rng, k, req, max);
    let op = if if_exists {
        format!("{base}IfExists")
    } else {
        base
    };
    (op, values_json(rng, vs))
}
