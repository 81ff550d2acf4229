//! Guard rails decided offline with the evaluation engine, in the manner of
//! IAM Access Analyzer's custom policy checks, but each FAIL comes with the
//! request that proves it:
//!
//! - [`no_new_access`]: does a new version of a policy allow any request the
//!   old one does not?
//! - [`access_not_granted`]: does a policy grant any of some actions?
//! - [`no_public_access`]: does a resource-based or trust policy let anyone
//!   (any account, anonymous) in without a condition that restricts who?
//!
//! The search is finite and exact on what it covers: every action of the
//! catalog that an `Allow` statement of the policy under test names; for
//! each, one resource of each of its resource types plus a concrete ARN for
//! every `Resource` / `NotResource` pattern either document writes (wildcards
//! filled); for resource-based and trust policies every principal the
//! documents name plus a stranger account; and for the condition keys the
//! documents test, the values they mention (and neighbours: `n±1`, one second
//! either side of a date, an address outside each network, another string)
//! and their absence — the contexts that satisfy each `Allow` statement of
//! the new document, and those with one key changed.

mod err;
mod space;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::catalog::{catalog, Action, ResourceType, Service};
use crate::document::locate::Index;
use crate::document::{line_col, syntax_error};
use crate::eval::{
    decision, evaluate, Decision, Effect, Layer, Policy, PolicySet, Principal, Request,
};

pub use err::CheckError;
use space::{example, Assign, Space, FILLER};

/// What a policy is, which decides how it is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckType {
    /// Attached to a user, group or role: decides for a principal of the
    /// account.
    Identity,
    /// Attached to a resource: decides for the principals it names, whose
    /// own policies are taken to allow everything.
    Resource,
    /// A role's trust policy: like `Resource`, on the role.
    Trust,
    /// A service control policy: decides as the only SCP level, for a
    /// principal whose own policies allow everything.
    Scp,
}

impl CheckType {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckType::Identity => "identity",
            CheckType::Resource => "resource",
            CheckType::Trust => "trust",
            CheckType::Scp => "scp",
        }
    }
}

/// A policy document read for checking: its text (for positions), JSON and
/// compiled form.
#[derive(Debug)]
pub struct Doc {
    /// The file name (or `<stdin>`) as given: used in messages and commands.
    pub origin: String,
    text: String,
    value: Value,
    policy: Policy,
    index: Option<Index>,
}

impl Doc {
    /// Reads one document; errors name `origin`, line and column.
    pub fn parse(origin: &str, text: &str) -> Result<Doc, CheckError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value =
            serde_json::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
        let policy = Policy::from_json(origin, &value).map_err(|source| CheckError::Model {
            origin: origin.to_owned(),
            source,
        })?;
        Ok(Doc {
            origin: origin.to_owned(),
            index: Index::build(text),
            text: text.to_owned(),
            value,
            policy,
        })
    }

    /// The 1-based line and column where statement `i` starts.
    pub fn statement_position(&self, i: usize) -> (usize, usize) {
        let pointer = match self.value.get("Statement") {
            Some(Value::Array(_)) => format!("/Statement/{i}"),
            _ => "/Statement".to_owned(),
        };
        self.index
            .as_ref()
            .and_then(|idx| idx.get(&pointer))
            .map_or((1, 1), |s| line_col(&self.text, s.value.start))
    }

    /// Each statement's JSON text, in order.
    fn statement_texts(&self) -> Vec<String> {
        match self.value.get("Statement") {
            Some(Value::Array(items)) => items.iter().map(Value::to_string).collect(),
            Some(v) => vec![v.to_string()],
            None => Vec::new(),
        }
    }

    /// The texts of the statements whose `Action` / `NotAction` covers
    /// `action_lower`, sorted: two documents with the same ones decide every
    /// request for the action alike.
    fn covering(&self, texts: &[String], action_lower: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .policy
            .statements
            .iter()
            .zip(texts)
            .filter(|(st, _)| st.matches_action(action_lower))
            .map(|(_, t)| t.clone())
            .collect();
        out.sort();
        out
    }

    fn statement_ref(&self, i: usize) -> StatementRef {
        let (line, column) = self.statement_position(i);
        let st = &self.policy.statements[i];
        StatementRef {
            file: self.origin.clone(),
            index: i,
            sid: st.sid.clone(),
            line,
            column,
        }
    }
}

/// `PASS` or `FAIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "PASS")]
    Pass,
    #[serde(rename = "FAIL")]
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement of a checked document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    pub file: String,
    /// 0-based position in `Statement`.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "statement `{sid}`"),
            None => write!(f, "statement {}", self.index),
        }
    }
}

/// A concrete request: the witness of a FAIL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Witness {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub resource_account: String,
    /// Context keys and their values; keys not listed are absent.
    pub context: BTreeMap<String, Vec<String>>,
}

/// Why a check failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// A lowercase sentence, user values in backticks.
    pub message: String,
    /// The statement that allows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Witness>,
    /// The `iamctl simulate` command that shows the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulate: Option<String>,
}

/// How much was searched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Searched {
    /// Catalog actions considered (named by an `Allow` of the tested policy).
    pub actions: usize,
    /// Requests evaluated.
    pub requests: usize,
}

/// The answer of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    #[serde(rename = "result")]
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// For no-new-access: how many actions have new access in all (reasons
    /// show at most [`MAX_WITNESSES`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions_with_new_access: Option<usize>,
    pub searched: Searched,
}

impl Report {
    fn new(reasons: Vec<Reason>, searched: Searched) -> Report {
        Report {
            verdict: if reasons.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            reasons,
            actions_with_new_access: None,
            searched,
        }
    }
}

/// At most this many witnesses are reported (one per action).
pub const MAX_WITNESSES: usize = 20;

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn allow_all() -> Policy {
    Policy::from_text("allow-all", ALLOW_ALL).expect("the allow-all policy compiles")
}

/// The policies of one evaluation of a document of `kind`.
fn policy_set<'a>(kind: CheckType, doc: Option<&'a Policy>, all: &'a Policy) -> PolicySet<'a> {
    match kind {
        CheckType::Identity => PolicySet {
            identity: doc.into_iter().collect(),
            ..PolicySet::default()
        },
        CheckType::Scp => PolicySet {
            identity: vec![all],
            scps: vec![doc.into_iter().collect()],
            ..PolicySet::default()
        },
        CheckType::Resource | CheckType::Trust => PolicySet {
            identity: vec![all],
            resource: doc,
            ..PolicySet::default()
        },
    }
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_:/.=@+,%-".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The `iamctl simulate` command that evaluates `w` against `doc`.
pub fn simulate_command(kind: CheckType, doc: &str, w: &Witness) -> String {
    let mut s = format!(
        "iamctl simulate --principal {} --action {} --resource {}",
        quote(&w.principal),
        quote(&w.action),
        quote(&w.resource)
    );
    let all = format!("--policy <(echo {})", quote(ALLOW_ALL));
    match kind {
        CheckType::Identity => s.push_str(&format!(" --policy {}", quote(doc))),
        CheckType::Scp => s.push_str(&format!(" {all} --scp {}", quote(doc))),
        CheckType::Resource | CheckType::Trust => s.push_str(&format!(
            " --resource-account {} {all} --resource-policy {}",
            w.resource_account,
            quote(doc)
        )),
    }
    for (k, values) in &w.context {
        for v in values {
            s.push_str(&format!(" --context {}", quote(&format!("{k}={v}"))));
        }
    }
    s
}

/// Resources searched for one action, cached per resource type.
struct Resources {
    kind: CheckType,
    role: String,
    cache: BTreeMap<(String, String), Vec<String>>,
}

impl Resources {
    fn for_action(&mut self, space: &Space, service: &Service, action: &Action) -> Vec<String> {
        if self.kind == CheckType::Trust {
            return vec![self.role.clone()];
        }
        if action.resource_types.is_empty() {
            return vec!["*".to_owned()];
        }
        let mut out: Vec<String> = Vec::new();
        for r in &action.resource_types {
            let Some(t) = service.resource_type(&r.name) else {
                continue;
            };
            let list = self
                .cache
                .entry((service.prefix.clone(), t.name.clone()))
                .or_insert_with(|| type_resources(space, t));
            for arn in list.iter() {
                if !out.contains(arn) {
                    out.push(arn.clone());
                }
            }
        }
        if out.is_empty() {
            out.push("*".to_owned());
        }
        out
    }
}

fn type_resources(space: &Space, t: &ResourceType) -> Vec<String> {
    let mut out = vec![example(&t.arn_pattern, &space.account)];
    for inst in &space.instances {
        if t.could_match(inst) && !out.contains(inst) {
            out.push(inst.clone());
        }
    }
    out
}

/// One search: what `new` allows that `old` (nothing, when `None`) does not.
struct Search<'a> {
    kind: CheckType,
    new: &'a Doc,
    old: Option<&'a Doc>,
    space: Space,
    all: Policy,
    /// Keys the search must not change (set in `start`).
    fixed: Vec<bool>,
    start: Assign,
    searched: Searched,
}

/// A request `new` allows and `old` does not.
struct Found {
    req: Request,
    assign: Assign,
}

impl<'a> Search<'a> {
    fn new(kind: CheckType, new: &'a Doc, old: Option<&'a Doc>) -> Search<'a> {
        let docs: Vec<&Doc> = std::iter::once(new).chain(old).collect();
        let space = Space::new(
            &docs,
            matches!(kind, CheckType::Resource | CheckType::Trust),
        );
        let start = space.base();
        Search {
            kind,
            new,
            old,
            fixed: vec![false; space.keys.len()],
            start,
            space,
            all: allow_all(),
            searched: Searched::default(),
        }
    }

    fn principals(&self) -> Vec<Principal> {
        match self.kind {
            CheckType::Identity | CheckType::Scp => vec![Principal::parse(&format!(
                "arn:aws:iam::{}:user/{FILLER}",
                self.space.account
            ))],
            CheckType::Resource | CheckType::Trust => self.space.principals.clone(),
        }
    }

    fn resources(&self) -> Resources {
        Resources {
            kind: self.kind,
            role: format!("arn:aws:iam::{}:role/{FILLER}", self.space.owner),
            cache: BTreeMap::new(),
        }
    }

    fn resource_account(&self, principal: &Principal) -> Option<String> {
        match self.kind {
            CheckType::Identity | CheckType::Scp => Some(principal.account.clone()),
            CheckType::Resource | CheckType::Trust => Some(self.space.owner.clone()),
        }
    }

    /// The first request on `action` that `new` allows and `old` does not,
    /// over `resources` (or the searched ones) and `principals`.
    fn find(
        &mut self,
        name: &str,
        resources: &[String],
        principals: &[Principal],
    ) -> Option<Found> {
        let lower = name.to_ascii_lowercase();
        let allows: Vec<usize> = self
            .new
            .policy
            .statements
            .iter()
            .enumerate()
            .filter(|(_, st)| st.effect == Effect::Allow && st.matches_action(&lower))
            .map(|(i, _)| i)
            .collect();
        if allows.is_empty() {
            return None;
        }
        // The contexts: the base one, one satisfying each Allow, and those
        // with one key changed.
        let mut solved: Vec<Assign> = vec![self.start.clone()];
        for &i in &allows {
            if let Some(a) =
                self.space
                    .solve(&self.new.policy.statements[i], &self.start, &self.fixed)
            {
                if !solved.contains(&a) {
                    solved.push(a);
                }
            }
        }
        let contexts: Vec<(Assign, crate::eval::Context)> = solved
            .iter()
            .map(|a| (a.clone(), self.space.context(a)))
            .collect();
        let all = &self.all;
        let new_set = policy_set(self.kind, Some(&self.new.policy), all);
        let old_set = self
            .old
            .map(|o| policy_set(self.kind, Some(&o.policy), all));
        let old_allows = |req: &Request| {
            old_set
                .as_ref()
                .is_some_and(|s| decision(req, s) == Decision::Allowed)
        };
        // First the contexts as they are, then each with one key changed: to
        // leave the old policy's conditions, or to step around a `Deny` of
        // the new one.
        for vary in [false, true] {
            for principal in principals {
                let account = self.resource_account(principal);
                for resource in resources {
                    let mut req = Request::new(
                        principal.clone(),
                        name,
                        resource,
                        account.as_deref(),
                        crate::eval::Context::new(),
                    );
                    // Varied, the satisfying contexts come before the base one.
                    let order: Vec<&(Assign, crate::eval::Context)> = if vary {
                        contexts.iter().rev().collect()
                    } else {
                        contexts.iter().collect()
                    };
                    for (assign, ctx) in order {
                        if !vary {
                            req.context = ctx.clone();
                            self.searched.requests += 1;
                            if decision(&req, &new_set) == Decision::Allowed && !old_allows(&req) {
                                return Some(Found {
                                    req,
                                    assign: assign.clone(),
                                });
                            }
                            continue;
                        }
                        for (ki, key) in self.space.keys.iter().enumerate() {
                            if self.fixed[ki] {
                                continue;
                            }
                            let absent = (!key.always_present).then_some(None);
                            for option in absent.into_iter().chain((0..key.values.len()).map(Some))
                            {
                                if option == assign[ki] {
                                    continue;
                                }
                                let mut a = assign.clone();
                                a[ki] = option;
                                req.context = self.space.context(&a);
                                self.searched.requests += 1;
                                if decision(&req, &new_set) == Decision::Allowed
                                    && !old_allows(&req)
                                {
                                    return Some(Found { req, assign: a });
                                }
                            }
                        }
                    }
                }
            }
        }
        None
    }

    /// The statements of `new` that allow the request.
    fn allowing(&self, req: &Request) -> Vec<StatementRef> {
        let set = policy_set(self.kind, Some(&self.new.policy), &self.all);
        let layer = match self.kind {
            CheckType::Identity => Layer::Identity,
            CheckType::Scp => Layer::Scp(0),
            CheckType::Resource | CheckType::Trust => Layer::Resource,
        };
        evaluate(req, &set)
            .matched
            .iter()
            .filter(|m| m.layer == layer && m.effect == Effect::Allow)
            .map(|m| self.new.statement_ref(m.index))
            .collect()
    }

    fn witness(&self, found: &Found) -> Witness {
        Witness {
            principal: found.req.principal.arn.clone(),
            action: found.req.action.clone(),
            resource: found.req.resource.clone(),
            resource_account: found.req.resource_account.clone(),
            context: self.space.shown(&found.assign).into_iter().collect(),
        }
    }
}

fn describe(w: &Witness, kind: CheckType) -> String {
    let mut s = format!("`{}` on `{}`", w.action, w.resource);
    if matches!(kind, CheckType::Resource | CheckType::Trust) {
        s.push_str(&format!(" for `{}`", w.principal));
    }
    if !w.context.is_empty() {
        let ctx: Vec<String> = w
            .context
            .iter()
            .map(|(k, v)| format!("`{k}={}`", v.join(",")))
            .collect();
        s.push_str(&format!(" with {}", ctx.join(", ")));
    }
    s
}

fn statements_text(refs: &[StatementRef]) -> String {
    let names: Vec<String> = refs.iter().map(ToString::to_string).collect();
    names.join(", ")
}

/// Does `new` allow any request `old` does not? FAIL with witnesses: one
/// request per action, at most [`MAX_WITNESSES`].
pub fn no_new_access(old: &Doc, new: &Doc, kind: CheckType) -> Report {
    let mut search = Search::new(kind, new, Some(old));
    let mut resources = search.resources();
    let principals = search.principals();
    let mut reasons = Vec::new();
    let mut count = 0;
    let mut name = String::new();
    let (old_texts, new_texts) = (old.statement_texts(), new.statement_texts());
    // Policy variables depend on the version, so statements compare only
    // within one.
    let same_version = old.value.get("Version") == new.value.get("Version");
    for service in catalog().services() {
        for action in service.actions() {
            name.clear();
            name.push_str(&service.prefix);
            name.push(':');
            name.push_str(&action.name);
            let lower = name.to_ascii_lowercase();
            if !new
                .policy
                .statements
                .iter()
                .any(|st| st.effect == Effect::Allow && st.matches_action(&lower))
            {
                continue;
            }
            search.searched.actions += 1;
            // The same statements cover the action in both: no difference.
            if same_version && new.covering(&new_texts, &lower) == old.covering(&old_texts, &lower)
            {
                continue;
            }
            let list = resources.for_action(&search.space, service, action);
            let Some(found) = search.find(&name, &list, &principals) else {
                continue;
            };
            count += 1;
            if reasons.len() >= MAX_WITNESSES {
                continue;
            }
            let w = search.witness(&found);
            let allowing = search.allowing(&found.req);
            reasons.push(Reason {
                message: format!(
                    "`{}` allows {} ({}), which `{}` does not",
                    new.origin,
                    describe(&w, kind),
                    statements_text(&allowing),
                    old.origin
                ),
                statement: allowing.into_iter().next(),
                simulate: Some(simulate_command(kind, &new.origin, &w)),
                request: Some(w),
            });
        }
    }
    let mut report = Report::new(reasons, search.searched);
    report.actions_with_new_access = Some(count);
    report
}

/// How a statement covers an action: through a wildcard, or `NotAction`.
fn how_named(doc: &Doc, index: usize, action: &str) -> String {
    let st = &doc.policy.statements[index];
    match st.action_patterns() {
        None => {
            let listed = match doc
                .value
                .get("Statement")
                .and_then(|s| match s {
                    Value::Array(items) => items.get(index),
                    v => Some(v),
                })
                .and_then(|s| s.get("NotAction"))
            {
                Some(Value::Array(items)) => items.len(),
                Some(_) => 1,
                None => 0,
            };
            format!(" through `NotAction`, which lists {listed} action(s) and not `{action}`")
        }
        Some(patterns) => {
            let lower = action.to_ascii_lowercase();
            patterns
                .iter()
                .find(|p| {
                    p.contains(['*', '?'])
                        && crate::catalog::glob::wildcard_match(&p.to_ascii_lowercase(), &lower)
                })
                .map(|p| format!(" through the wildcard `{p}`"))
                .unwrap_or_default()
        }
    }
}

/// Does `doc` grant any of `actions` (patterns expand over the catalog) on
/// any of `resources` (or any resource the search covers)? FAIL naming the
/// statement that grants each.
pub fn access_not_granted(
    doc: &Doc,
    kind: CheckType,
    actions: &[String],
    resources: &[String],
) -> Result<Report, CheckError> {
    let mut names: Vec<(&Service, &Action)> = Vec::new();
    for pattern in actions {
        let expanded = catalog().expand(pattern);
        if expanded.is_empty() {
            return Err(CheckError::UnknownAction(pattern.clone()));
        }
        for pair in expanded {
            if !names
                .iter()
                .any(|(s, a)| std::ptr::eq(*s, pair.0) && std::ptr::eq(*a, pair.1))
            {
                names.push(pair);
            }
        }
    }
    let mut search = Search::new(kind, doc, None);
    for r in resources {
        if !search.space.instances.contains(r) {
            search.space.instances.push(r.clone());
        }
    }
    let mut cache = search.resources();
    let principals = search.principals();
    let mut reasons = Vec::new();
    for (service, action) in names {
        let name = format!("{}:{}", service.prefix, action.name);
        search.searched.actions += 1;
        let list = if resources.is_empty() {
            cache.for_action(&search.space, service, action)
        } else {
            resources.to_vec()
        };
        let Some(found) = search.find(&name, &list, &principals) else {
            continue;
        };
        let w = search.witness(&found);
        let allowing = search.allowing(&found.req);
        let how = allowing
            .first()
            .map(|s| how_named(doc, s.index, &name))
            .unwrap_or_default();
        reasons.push(Reason {
            message: format!(
                "{} of `{}` grants {}{how}",
                statements_text(&allowing),
                doc.origin,
                describe(&w, kind)
            ),
            statement: allowing.into_iter().next(),
            simulate: Some(simulate_command(kind, &doc.origin, &w)),
            request: Some(w),
        });
    }
    Ok(Report::new(reasons, search.searched))
}

/// Access Analyzer's resource types for `no-public-access`: the policy kind
/// and the services whose actions they take.
pub const RESOURCE_TYPES: &[(&str, CheckType, &[&str])] = &[
    ("AWS::S3::Bucket", CheckType::Resource, &["s3"]),
    ("AWS::S3::AccessPoint", CheckType::Resource, &["s3"]),
    (
        "AWS::S3::MultiRegionAccessPoint",
        CheckType::Resource,
        &["s3"],
    ),
    (
        "AWS::S3Express::DirectoryBucket",
        CheckType::Resource,
        &["s3express"],
    ),
    ("AWS::S3::Glacier", CheckType::Resource, &["glacier"]),
    (
        "AWS::S3Tables::TableBucket",
        CheckType::Resource,
        &["s3tables"],
    ),
    ("AWS::SQS::Queue", CheckType::Resource, &["sqs"]),
    ("AWS::SNS::Topic", CheckType::Resource, &["sns"]),
    ("AWS::KMS::Key", CheckType::Resource, &["kms"]),
    ("AWS::Lambda::Function", CheckType::Resource, &["lambda"]),
    (
        "AWS::Lambda::LayerVersion",
        CheckType::Resource,
        &["lambda"],
    ),
    (
        "AWS::SecretsManager::Secret",
        CheckType::Resource,
        &["secretsmanager"],
    ),
    ("AWS::ECR::Repository", CheckType::Resource, &["ecr"]),
    (
        "AWS::EFS::FileSystem",
        CheckType::Resource,
        &["elasticfilesystem"],
    ),
    (
        "AWS::OpenSearchService::Domain",
        CheckType::Resource,
        &["es"],
    ),
    ("AWS::Kinesis::Stream", CheckType::Resource, &["kinesis"]),
    (
        "AWS::Kinesis::StreamConsumer",
        CheckType::Resource,
        &["kinesis"],
    ),
    ("AWS::DynamoDB::Table", CheckType::Resource, &["dynamodb"]),
    ("AWS::DynamoDB::Stream", CheckType::Resource, &["dynamodb"]),
    (
        "AWS::ApiGateway::RestApi",
        CheckType::Resource,
        &["execute-api"],
    ),
    (
        "AWS::CodeArtifact::Domain",
        CheckType::Resource,
        &["codeartifact"],
    ),
    ("AWS::Backup::BackupVault", CheckType::Resource, &["backup"]),
    (
        "AWS::CloudTrail::Dashboard",
        CheckType::Resource,
        &["cloudtrail"],
    ),
    (
        "AWS::IAM::AssumeRolePolicyDocument",
        CheckType::Trust,
        &["sts"],
    ),
];

/// Condition keys that say who may come in (or from where), with the value
/// a stranger's request carries: a condition on one of them that the
/// stranger fails restricts the statement.
fn stranger_context(account: &str) -> Vec<(&'static str, String)> {
    vec![
        ("aws:PrincipalAccount", account.to_owned()),
        (
            "aws:PrincipalArn",
            format!("arn:aws:iam::{account}:user/{FILLER}"),
        ),
        ("aws:PrincipalOrgID", "o-iamctlstranger".to_owned()),
        (
            "aws:PrincipalOrgPaths",
            "o-iamctlstranger/r-iamctl/ou-iamctl-stranger/".to_owned(),
        ),
        ("aws:SourceAccount", account.to_owned()),
        ("aws:SourceOwner", account.to_owned()),
        (
            "aws:SourceArn",
            format!("arn:aws:iam::{account}:user/{FILLER}"),
        ),
        ("aws:SourceOrgID", "o-iamctlstranger".to_owned()),
        (
            "aws:SourceOrgPaths",
            "o-iamctlstranger/r-iamctl/ou-iamctl-stranger/".to_owned(),
        ),
        ("aws:SourceVpce", "vpce-iamctlstranger".to_owned()),
        ("aws:SourceVpc", "vpc-iamctlstranger".to_owned()),
        ("aws:userid", "AIDAIAMCTLSTRANGER".to_owned()),
        ("aws:username", "iamctl-stranger".to_owned()),
        ("aws:PrincipalIsAWSService", "false".to_owned()),
        ("aws:PrincipalServiceName", "iamctl-stranger".to_owned()),
        ("kms:CallerAccount", account.to_owned()),
        ("lambda:FunctionUrlAuthType", "NONE".to_owned()),
    ]
}

/// An address inside none of the networks the document mentions.
fn stranger_ip(doc: &Doc) -> String {
    let cidrs: Vec<(std::net::IpAddr, u8)> = {
        let mut out = Vec::new();
        let mut walk = vec![&doc.value];
        while let Some(v) = walk.pop() {
            match v {
                Value::Object(m) => walk.extend(m.values()),
                Value::Array(a) => walk.extend(a.iter()),
                Value::String(s) => {
                    let (ip, bits) = s.split_once('/').unwrap_or((s, ""));
                    if let Ok(ip) = ip.trim().parse::<std::net::IpAddr>() {
                        let max = if ip.is_ipv4() { 32 } else { 128 };
                        out.push((ip, bits.parse().unwrap_or(max)));
                    }
                }
                _ => {}
            }
        }
        out
    };
    let inside = |a: std::net::IpAddr| {
        cidrs.iter().any(|(net, bits)| match (net, a) {
            (std::net::IpAddr::V4(n), std::net::IpAddr::V4(x)) => {
                let mask = if *bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(*bits).min(32))
                };
                (u32::from(*n) & mask) == (u32::from(x) & mask)
            }
            (std::net::IpAddr::V6(n), std::net::IpAddr::V6(x)) => {
                let mask = if *bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(*bits).min(128))
                };
                (u128::from(*n) & mask) == (u128::from(x) & mask)
            }
            _ => false,
        })
    };
    ["198.51.100.77", "203.0.113.77", "192.0.2.77", "100.64.0.77"]
        .iter()
        .map(|s| s.parse::<std::net::IpAddr>().expect("literal address"))
        .find(|a| !inside(*a))
        .unwrap_or_else(|| "198.51.100.77".parse().expect("literal address"))
        .to_string()
}

/// Does `doc`, the policy of a resource of `resource_type`, let an
/// anonymous or any-account principal in without a condition that
/// restricts who (`aws:PrincipalOrgID`, `aws:SourceAccount`,
/// `aws:SourceVpce`, `aws:PrincipalAccount`, `aws:SourceArn`, ...)? FAIL
/// naming each statement that does.
pub fn no_public_access(doc: &Doc, resource_type: &str) -> Result<Report, CheckError> {
    let (canonical, kind, services) = RESOURCE_TYPES
        .iter()
        .find(|(t, _, _)| t.eq_ignore_ascii_case(resource_type))
        .ok_or_else(|| CheckError::UnknownResourceType(resource_type.to_owned()))?;
    let mut search = Search::new(*kind, doc, None);
    let stranger = Principal::parse(&format!(
        "arn:aws:iam::{}:user/{FILLER}",
        search.space.stranger
    ));
    // Fix the keys that say who the caller is to the stranger's values.
    let mut fixed_keys = stranger_context(&search.space.stranger);
    let ip = stranger_ip(doc);
    fixed_keys.push(("aws:SourceIp", ip));
    for (key, value) in &fixed_keys {
        let lower = key.to_ascii_lowercase();
        let i = match search.space.keys.iter().position(|k| k.lower == lower) {
            Some(i) => i,
            None => continue,
        };
        let k = &mut search.space.keys[i];
        let vi = match k.values.iter().position(|v| v == value) {
            Some(vi) => vi,
            None => {
                k.values.push(value.clone());
                k.values.len() - 1
            }
        };
        search.start[i] = Some(vi);
        search.fixed[i] = true;
    }
    let mut cache = search.resources();
    let mut reasons: Vec<Reason> = Vec::new();
    let mut seen = Vec::new();
    let principals = vec![stranger];
    for service in catalog().services() {
        if !services.contains(&service.prefix.as_str()) {
            continue;
        }
        for action in service.actions() {
            let name = format!("{}:{}", service.prefix, action.name);
            search.searched.actions += 1;
            let list = cache.for_action(&search.space, service, action);
            let Some(found) = search.find(&name, &list, &principals) else {
                continue;
            };
            let allowing = search.allowing(&found.req);
            if allowing.iter().all(|s| seen.contains(&s.index)) {
                continue;
            }
            seen.extend(allowing.iter().map(|s| s.index));
            let w = search.witness(&found);
            reasons.push(Reason {
                message: format!(
                    "{} of `{}` lets any account in: it allows {} without a condition that restricts who ({} is public)",
                    statements_text(&allowing),
                    doc.origin,
                    describe(&w, *kind),
                    canonical
                ),
                statement: allowing.into_iter().next(),
                simulate: Some(simulate_command(*kind, &doc.origin, &w)),
                request: Some(w),
            });
        }
    }
    Ok(Report::new(reasons, search.searched))
}
