//! Questions over a whole account: who can perform an action, and what one
//! principal can do. Both run the evaluation engine over every principal of
//! an [`Account`] and every action the catalog expands a pattern to.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::account::{Account, Entity, Source};
use crate::catalog::{catalog, AccessLevel, Action, Service};
use crate::eval::{decision, evaluate, Context, Decision, Policy, Request, ResourcePredicate};

/// A statement that allowed something, and how it reached the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Because {
    pub policy: String,
    pub sid: Option<String>,
    pub statement: usize,
    /// `None` for a resource-based policy.
    pub via: Option<Source>,
}

/// One principal allowed one action.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Index into [`Account::principals`].
    pub principal: usize,
    /// `service:Action`, canonical spelling.
    pub action: String,
    pub because: Vec<Because>,
}

/// The predicate for "some resource this action acts on": a pattern that
/// can name one of its resource types; `*` alone for actions without
/// resource-level permissions.
pub fn resource_predicate(service: &'static Service, action: &'static Action) -> ResourcePredicate {
    if action.resource_types.is_empty() {
        return Arc::new(|pattern: &str| pattern.bytes().all(|b| b == b'*'));
    }
    let types: Vec<_> = action
        .resource_types
        .iter()
        .filter_map(|r| service.resource_type(&r.name))
        .collect();
    Arc::new(move |pattern: &str| pattern == "*" || types.iter().any(|t| t.could_match(pattern)))
}

fn because(
    account: &Account,
    entity: &Entity,
    policy: &str,
    sid: Option<&str>,
    index: usize,
) -> Because {
    let via = entity
        .identity
        .iter()
        .find(|a| account.policies[a.policy].name == policy)
        .map(|a| a.source.clone());
    Because {
        policy: policy.to_owned(),
        sid: sid.map(str::to_owned),
        statement: index,
        via,
    }
}

/// The base request of a principal: its own context keys on top of `base`.
pub fn principal_request(
    account: &Account,
    entity: &Entity,
    base: &Context,
    resource: &str,
) -> Request {
    let mut ctx = base.clone();
    account.principal_context(entity, &mut ctx);
    Request::new(
        account.request_principal(entity),
        "iam:none",
        resource,
        None,
        ctx,
    )
}

/// Every principal allowed each action, on `resource` or, without one, on
/// some resource the action takes. `resource_policy` is the resource's own
/// policy, if any.
pub fn who_can(
    account: &Account,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    base: &Context,
    resource_policy: Option<&Policy>,
) -> Vec<Grant> {
    let mut requests: Vec<Request> = account
        .principals
        .iter()
        .map(|e| principal_request(account, e, base, resource.unwrap_or("*")))
        .collect();
    let sets: Vec<_> = account
        .principals
        .iter()
        .map(|e| {
            let mut set = account.policy_set(e);
            // `who-can sts:AssumeRole ROLE`: the role's trust policy decides
            // too, unless the caller gave a resource policy.
            set.resource = resource_policy.or_else(|| {
                let resource = resource?;
                actions.iter().find_map(|(service, action)| {
                    account.implied_resource_policy(
                        &format!("{}:{}", service.prefix, action.name),
                        resource,
                    )
                })
            });
            set
        })
        .collect();
    // Both cores: each thread takes a contiguous share of the principals.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(requests.len().max(1));
    let share = requests.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<(usize, Grant)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .chunks_mut(share)
            .enumerate()
            .map(|(part, requests)| {
                let sets = &sets;
                scope.spawn(move || {
                    who_can_part(account, actions, resource, requests, part * share, sets)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("who-can worker"))
            .collect()
    });
    // In action order, then principal order, as one thread would give them.
    let mut grants: Vec<(usize, Grant)> = parts.drain(..).flatten().collect();
    grants.sort_by_key(|(action, g)| (*action, g.principal));
    grants.into_iter().map(|(_, g)| g).collect()
}

/// The service parts of a policy's `Allow` actions, lower-cased, each once
/// (`None`: some statement can allow any service), read once per policy.
/// When no `Allow` statement can name an action of a service, no action of
/// the service is allowed by the policy and its evaluation can be skipped.
struct AllowedServices(Option<Vec<String>>);

impl AllowedServices {
    fn of(policy: &Policy) -> AllowedServices {
        let mut services: Vec<String> = Vec::new();
        for st in &policy.statements {
            if st.effect != crate::eval::Effect::Allow {
                continue;
            }
            if st.actions.not {
                return AllowedServices(None);
            }
            for t in &st.actions.text {
                let t = t.to_ascii_lowercase();
                match t.split_once(':') {
                    Some((service, _)) if !services.iter().any(|s| s == service) => {
                        services.push(service.to_owned());
                    }
                    Some(_) => {}
                    None if t == "*" => return AllowedServices(None),
                    None => {}
                }
            }
        }
        AllowedServices(Some(services))
    }

    /// Whether an `Allow` statement can name some action of the service
    /// `prefix` (lowercase).
    fn may_allow(&self, prefix: &str) -> bool {
        match &self.0 {
            None => true,
            Some(services) => services
                .iter()
                .any(|service| crate::catalog::glob::wildcard_match(service, prefix)),
        }
    }
}

/// [`who_can`] for the principals `first..first + requests.len()`: the
/// grants with the index of their action.
fn who_can_part(
    account: &Account,
    actions: &[(&'static Service, &'static Action)],
    resource: Option<&str>,
    requests: &mut [Request],
    first: usize,
    sets: &[crate::eval::PolicySet<'_>],
) -> Vec<(usize, Grant)> {
    let mut grants = Vec::new();
    let mut service_seen: Option<&str> = None;
    let mut may: Vec<bool> = vec![true; requests.len()];
    // Per service, each distinct policy (by address) is checked once, not
    // once per principal it reaches.
    let mut policy_may: std::collections::HashMap<*const Policy, bool> =
        std::collections::HashMap::new();
    let mut allowed: std::collections::HashMap<*const Policy, AllowedServices> =
        std::collections::HashMap::new();
    for (a, (service, action)) in actions.iter().enumerate() {
        if service_seen != Some(service.prefix.as_str()) {
            service_seen = Some(service.prefix.as_str());
            policy_may.clear();
            for (k, m) in may.iter_mut().enumerate() {
                let set = &sets[first + k];
                *m = set.identity.iter().copied().chain(set.resource).any(|p| {
                    *policy_may.entry(p as *const Policy).or_insert_with(|| {
                        allowed
                            .entry(p as *const Policy)
                            .or_insert_with(|| AllowedServices::of(p))
                            .may_allow(&service.prefix)
                    })
                });
            }
        }
        let name = format!("{}:{}", service.prefix, action.name);
        let predicate = resource
            .is_none()
            .then(|| resource_predicate(service, action));
        // Allowed without any policy.
        let always = crate::eval::caller_identity(&name.to_ascii_lowercase());
        for (k, req) in requests.iter_mut().enumerate() {
            if !may[k] && !always {
                continue;
            }
            let i = first + k;
            req.set_action(&name);
            req.set_any_resource(predicate.clone());
            // The cheap decision first; the statements only for grants.
            if decision(req, &sets[i]) != Decision::Allowed {
                continue;
            }
            let evaluation = evaluate(req, &sets[i]);
            if evaluation.decision == Decision::Allowed {
                let entity = &account.principals[i];
                grants.push((
                    a,
                    Grant {
                        principal: i,
                        action: name.clone(),
                        because: evaluation
                            .matched
                            .iter()
                            .filter(|m| m.layer != crate::eval::Layer::PermissionsBoundary)
                            .map(|m| because(account, entity, m.policy, m.sid, m.index))
                            .collect(),
                    },
                ));
            }
        }
    }
    grants
}

/// Notes that explain a decision: condition keys the policies test but the
/// request lacks, and among them those the action never carries at all (by
/// the service reference), which usually means a mistyped or misplaced key.
pub fn context_notes(req: &Request, set: &crate::eval::PolicySet<'_>) -> Vec<crate::eval::Note> {
    use crate::eval::Note;
    let action = catalog().lookup(&req.action);
    crate::eval::missing_context_keys(req, set)
        .into_iter()
        .map(|key| match action {
            Some((service, a)) if !key_sent(service, a, &key) => Note::KeyNeverSent {
                key,
                action: format!("{}:{}", service.prefix, a.name),
            },
            _ => Note::MissingContextKey(key),
        })
        .collect()
}

/// [`context_notes`] for keys already found missing, remembering per
/// action and key whether the action can carry the key (one worker of a
/// batch keeps one).
#[derive(Debug, Default)]
pub struct NoteCache {
    /// `action\0key`, the action lower-cased → its canonical name when the
    /// action never carries the key.
    never_sent: std::collections::HashMap<String, Option<String>>,
    key: String,
}

impl NoteCache {
    pub fn new() -> NoteCache {
        NoteCache::default()
    }

    /// The note for condition key `key`, missing from a request for
    /// `action`, as [`context_notes`] words it.
    pub fn note(&mut self, action: &str, key: &str) -> crate::eval::Note {
        use crate::eval::Note;
        self.key.clear();
        self.key.push_str(action);
        self.key.make_ascii_lowercase();
        self.key.push('\0');
        self.key.push_str(key);
        if !self.never_sent.contains_key(self.key.as_str()) {
            let never = match catalog().lookup(action) {
                Some((service, a)) if !key_sent(service, a, key) => {
                    Some(format!("{}:{}", service.prefix, a.name))
                }
                _ => None,
            };
            self.never_sent.insert(self.key.clone(), never);
        }
        match &self.never_sent[self.key.as_str()] {
            Some(action) => Note::KeyNeverSent {
                key: key.to_owned(),
                action: action.clone(),
            },
            None => Note::MissingContextKey(key.to_owned()),
        }
    }
}

/// Whether requests for `action` can carry `key`: global keys always may;
/// service keys when the action, one of its resource types, or the service
/// lists them.
fn key_sent(service: &Service, action: &Action, key: &str) -> bool {
    let Some(info) = catalog().condition_key(key) else {
        // Unknown to the reference: do not claim anything.
        return true;
    };
    if info.global {
        return true;
    }
    let listed = |keys: &[String]| keys.iter().any(|k| k.eq_ignore_ascii_case(&info.key));
    listed(&action.condition_keys)
        || action.resource_types.iter().any(|r| {
            listed(&r.condition_keys)
                || service
                    .resource_type(&r.name)
                    .is_some_and(|t| listed(&t.condition_keys))
        })
}

/// Permissions that let a principal raise its own privileges or reach
/// others' (after Rhino Security Labs' and AWS's lists).
pub const RISKY: &[(&str, &str)] = &[
    (
        "iam:CreatePolicyVersion",
        "can rewrite a managed policy, including its own",
    ),
    (
        "iam:SetDefaultPolicyVersion",
        "can switch a managed policy to a more permissive version",
    ),
    (
        "iam:AttachUserPolicy",
        "can attach any managed policy to a user",
    ),
    (
        "iam:AttachGroupPolicy",
        "can attach any managed policy to a group",
    ),
    (
        "iam:AttachRolePolicy",
        "can attach any managed policy to a role",
    ),
    ("iam:PutUserPolicy", "can write inline policies on users"),
    ("iam:PutGroupPolicy", "can write inline policies on groups"),
    ("iam:PutRolePolicy", "can write inline policies on roles"),
    (
        "iam:AddUserToGroup",
        "can join groups with more permissions",
    ),
    ("iam:CreateAccessKey", "can create keys for other users"),
    (
        "iam:CreateLoginProfile",
        "can set console passwords for other users",
    ),
    (
        "iam:UpdateLoginProfile",
        "can change other users' console passwords",
    ),
    (
        "iam:UpdateAssumeRolePolicy",
        "can let itself assume any role",
    ),
    ("iam:PassRole", "can hand roles to services it launches"),
    (
        "iam:DeleteUserPermissionsBoundary",
        "can lift a user's permissions boundary",
    ),
    (
        "iam:DeleteRolePermissionsBoundary",
        "can lift a role's permissions boundary",
    ),
    (
        "iam:PutUserPermissionsBoundary",
        "can replace a user's permissions boundary",
    ),
    (
        "iam:PutRolePermissionsBoundary",
        "can replace a role's permissions boundary",
    ),
    ("sts:AssumeRole", "can assume roles that trust it"),
    (
        "lambda:UpdateFunctionCode",
        "can run code as a function's role",
    ),
    (
        "ec2:RunInstances",
        "can run instances with a role (with iam:PassRole)",
    ),
    (
        "glue:UpdateDevEndpoint",
        "can run code as a Glue endpoint's role",
    ),
    (
        "cloudformation:CreateStack",
        "can create anything a passed role may",
    ),
];

/// What one principal can do: per service, the allowed actions by access
/// level, and the risky permissions among them.
#[derive(Debug, Clone, Default)]
pub struct AccessSummary {
    /// Service prefix → access level → allowed actions (canonical names).
    pub services: BTreeMap<String, BTreeMap<AccessLevel, Vec<String>>>,
    /// Service prefix → number of actions the service has per level.
    pub totals: BTreeMap<String, BTreeMap<AccessLevel, usize>>,
    /// Risky permissions held: (action, why).
    pub risky: Vec<(String, &'static str)>,
    /// Number of actions evaluated.
    pub evaluated: usize,
}

/// Summarises the access of one principal over every action AWS documents.
pub fn access(account: &Account, entity: &Entity, base: &Context) -> AccessSummary {
    let mut req = principal_request(account, entity, base, "*");
    let set = account.policy_set(entity);
    let mut summary = AccessSummary::default();
    let mut name = String::new();
    for service in catalog().services() {
        for action in service.actions() {
            name.clear();
            name.push_str(&service.prefix);
            name.push(':');
            name.push_str(&action.name);
            // Cheap pre-check: skip actions no identity statement names.
            req.set_action(&name);
            summary.evaluated += 1;
            *summary
                .totals
                .entry(service.prefix.clone())
                .or_default()
                .entry(action.access_level)
                .or_default() += 1;
            if !set
                .identity
                .iter()
                .any(|p| p.statements.iter().any(|s| s.covers_action(&req)))
            {
                continue;
            }
            req.set_any_resource(Some(resource_predicate(service, action)));
            if decision(&req, &set) == Decision::Allowed {
                summary
                    .services
                    .entry(service.prefix.clone())
                    .or_default()
                    .entry(action.access_level)
                    .or_default()
                    .push(action.name.clone());
                if let Some((_, why)) = RISKY.iter().find(|(a, _)| a.eq_ignore_ascii_case(&name)) {
                    summary.risky.push((name.clone(), why));
                }
            }
        }
    }
    summary
        .totals
        .retain(|k, _| summary.services.contains_key(k));
    summary
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::account::Account;
    use crate::eval::{Note, Policy, PolicySet, Principal};

    fn account() -> Account {
        let doc = |st: serde_json::Value| json!({"Version": "2012-10-17", "Statement": st});
        Account::from_snapshot(&json!({
            "UserDetailList": [
                {"UserName": "alice", "Arn": "arn:aws:iam::111111111111:user/alice", "Path": "/",
                 "GroupList": ["readers"], "AttachedManagedPolicies": [], "UserPolicyList": [
                    {"PolicyName": "own-keys", "PolicyDocument": doc(json!([{"Effect": "Allow",
                        "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::*:user/${aws:username}"}]))}]},
                {"UserName": "bob", "Arn": "arn:aws:iam::111111111111:user/bob", "Path": "/",
                 "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": []}
            ],
            "GroupDetailList": [
                {"GroupName": "readers", "Arn": "arn:aws:iam::111111111111:group/readers",
                 "GroupPolicyList": [], "AttachedManagedPolicies": [
                    {"PolicyName": "read", "PolicyArn": "arn:aws:iam::111111111111:policy/read"}]}
            ],
            "RoleDetailList": [
                {"RoleName": "admin", "Arn": "arn:aws:iam::111111111111:role/admin", "Path": "/",
                 "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}])),
                 "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}],
                 "AttachedManagedPolicies": []}
            ],
            "Policies": [
                {"PolicyName": "read", "Arn": "arn:aws:iam::111111111111:policy/read", "DefaultVersionId": "v1",
                 "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": doc(json!([
                    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]))}]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn who_can_names_principals_and_the_group_they_get_it_through() {
        let account = account();
        let actions = catalog().expand("s3:GetObject");
        let grants = who_can(
            &account,
            &actions,
            Some("arn:aws:s3:::data/x"),
            &Context::new(),
            None,
        );
        let names: Vec<&str> = grants
            .iter()
            .map(|g| account.principals[g.principal].name.as_str())
            .collect();
        assert_eq!(names, ["alice", "admin"]);
        let alice = &grants[0];
        assert_eq!(alice.because[0].via, Some(Source::Group("readers".into())));
        assert_eq!(alice.because[0].sid.as_deref(), Some("Read"));
        // Another bucket: only the admin role.
        let grants = who_can(
            &account,
            &actions,
            Some("arn:aws:s3:::other/x"),
            &Context::new(),
            None,
        );
        assert_eq!(grants.len(), 1);
    }

    #[test]
    fn who_can_without_a_resource_means_some_resource_of_the_action() {
        let account = account();
        // `s3:ListBucket` takes buckets; alice's policy names objects only.
        let grants = who_can(
            &account,
            &catalog().expand("s3:ListBucket"),
            None,
            &Context::new(),
            None,
        );
        assert_eq!(grants.len(), 1);
        assert_eq!(account.principals[grants[0].principal].name, "admin");
        // `iam:CreateAccessKey` on her own user counts.
        let grants = who_can(
            &account,
            &catalog().expand("iam:CreateAccessKey"),
            None,
            &Context::new(),
            None,
        );
        assert_eq!(grants.len(), 2);
        // Wildcards expand: every iam action for the admin.
        let iam = catalog().expand("iam:*");
        let grants = who_can(&account, &iam, None, &Context::new(), None);
        let admin = grants
            .iter()
            .filter(|g| account.principals[g.principal].name == "admin")
            .count();
        assert_eq!(admin, iam.len());
    }

    /// The per-service pre-check and the threads change nothing: `who_can`
    /// over every action gives what evaluating every (principal, action)
    /// pair gives, in action order then principal order.
    #[test]
    fn who_can_everything_equals_evaluating_every_pair() {
        let account = account();
        let all = catalog().expand("*");
        let base = Context::new();
        for resource in [None, Some("arn:aws:s3:::data/x")] {
            let fast: Vec<(String, usize)> = who_can(&account, &all, resource, &base, None)
                .into_iter()
                .map(|g| (g.action, g.principal))
                .collect();
            let mut slow = Vec::new();
            for (service, action) in &all {
                let name = format!("{}:{}", service.prefix, action.name);
                for (i, e) in account.principals.iter().enumerate() {
                    let mut req = principal_request(&account, e, &base, resource.unwrap_or("*"));
                    req.set_action(&name);
                    req.set_any_resource(
                        resource
                            .is_none()
                            .then(|| resource_predicate(service, action)),
                    );
                    if evaluate(&req, &account.policy_set(e)).decision == Decision::Allowed {
                        slow.push((name.clone(), i));
                    }
                }
            }
            assert!(!slow.is_empty());
            let first = fast.iter().zip(&slow).position(|(a, b)| a != b);
            assert!(
                fast == slow,
                "{resource:?}: {} against {} grants; first difference at {first:?}: {:?} against {:?}",
                fast.len(),
                slow.len(),
                first.map(|i| &fast[i]),
                first.map(|i| &slow[i])
            );
        }
    }

    #[test]
    fn access_summarises_levels_and_flags_risky_permissions() {
        let account = account();
        let alice = account.principal("alice").unwrap();
        let summary = access(&account, alice, &Context::new());
        assert_eq!(summary.services["s3"][&AccessLevel::Read], ["GetObject"]);
        assert!(summary
            .risky
            .iter()
            .any(|(a, _)| a == "iam:CreateAccessKey"));
        let bob = account.principal("bob").unwrap();
        assert!(access(&account, bob, &Context::new()).services.is_empty());
        let admin = account.principal("admin").unwrap();
        let summary = access(&account, admin, &Context::new());
        assert!(summary.risky.iter().any(|(a, _)| a == "iam:PassRole"));
        assert_eq!(summary.evaluated, catalog().action_count());
    }

    #[test]
    fn context_notes_name_missing_keys_and_keys_the_action_never_sends() {
        let p = Policy::from_json(
            "p",
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {"StringEquals": {"ec2:Region": "eu-west-1", "aws:PrincipalTag/team": "data"}}}]}),
        )
        .unwrap();
        let set = PolicySet {
            identity: vec![&p],
            ..PolicySet::default()
        };
        let req = Request::new(
            Principal::parse("arn:aws:iam::111111111111:user/alice"),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            None,
            Context::new(),
        );
        let notes = context_notes(&req, &set);
        assert_eq!(
            notes,
            vec![
                Note::KeyNeverSent {
                    key: "ec2:Region".into(),
                    action: "s3:GetObject".into()
                },
                Note::MissingContextKey("aws:PrincipalTag/team".into()),
            ]
        );
    }
}
