//! What is being asked: who, which action, on what, and the request context.

use super::pattern::{split_arn, ArnParts};

/// The values of one context key.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextEntry {
    /// The key as given (for messages); lookups use the lower-cased form.
    pub key: String,
    pub values: Vec<String>,
    /// Given as a list (a multivalued key such as `aws:TagKeys`), even if it
    /// holds one value or none.
    pub multi: bool,
    /// Each value read once in every form an operator compares it as.
    pub(crate) typed: Vec<Typed>,
}

/// A context value read as each kind of operator reads it, so evaluation
/// never parses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Typed {
    /// The value itself, inline when short (what evaluation compares).
    pub raw: compact_str::CompactString,
    pub lower: compact_str::CompactString,
    pub number: Option<f64>,
    pub date: Option<jiff::Timestamp>,
    pub ip: Option<std::net::IpAddr>,
}

impl Typed {
    fn new(v: &str) -> Typed {
        let t = v.trim();
        Typed {
            raw: compact_str::CompactString::from(v),
            lower: if v.is_ascii() {
                let mut lower = compact_str::CompactString::from(v);
                lower.make_ascii_lowercase();
                lower
            } else {
                compact_str::CompactString::from(v.to_lowercase())
            },
            number: super::condition::number(t),
            date: if t
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_digit() || b == b'-')
            {
                super::condition::parse_date(t)
            } else {
                None
            },
            ip: t.parse().ok(),
        }
    }
}

/// The request context: condition keys and their values. Keys are
/// case-insensitive, values are not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// (hash of the lower-cased key, lower-cased key, entry), in insertion
    /// order. The hash spares most string comparisons on lookup.
    entries: Vec<(u64, compact_str::CompactString, ContextEntry)>,
    /// Keys that hold where `entries` has no value for them, shared rather
    /// than copied (a principal's own keys, over the lines of a batch).
    defaults: Option<std::sync::Arc<Context>>,
}

/// FNV-1a of a (lower-cased) key.
pub(crate) fn key_hash(lower_key: &str) -> u64 {
    lower_key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key, replacing any earlier value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.insert(key, vec![value.into()], false);
    }

    /// Sets a multivalued key, replacing any earlier value.
    pub fn set_multi(&mut self, key: &str, values: Vec<String>) {
        self.insert(key, values, true);
    }

    /// Sets a key only if it has no value yet.
    pub fn set_default(&mut self, key: &str, value: impl Into<String>) {
        if self.get(&key.to_ascii_lowercase()).is_none() {
            self.set(key, value);
        }
    }

    /// Adds every key of `other` that this context has no value for, as
    /// [`Context::set_default`] would one by one, without reading the values
    /// again.
    pub fn extend_defaults(&mut self, other: &Context) {
        for (hash, lower, entry) in other.entries_hashed() {
            if self.get_hashed(hash, lower).is_none() {
                self.entries.push((hash, lower.into(), entry.clone()));
            }
        }
    }

    fn insert(&mut self, key: &str, values: Vec<String>, multi: bool) {
        let mut lower = compact_str::CompactString::from(key);
        lower.make_ascii_lowercase();
        let entry = ContextEntry {
            key: key.to_owned(),
            typed: values.iter().map(|v| Typed::new(v)).collect(),
            values,
            multi,
        };
        let hash = key_hash(&lower);
        match self
            .entries
            .iter_mut()
            .find(|(h, k, _)| *h == hash && *k == lower)
        {
            Some(slot) => slot.2 = entry,
            None => self.entries.push((hash, lower, entry)),
        }
    }

    /// Looks up a lower-cased key.
    pub fn get(&self, lower_key: &str) -> Option<&ContextEntry> {
        self.get_hashed(key_hash(lower_key), lower_key)
    }

    /// [`Context::get`] with the key's [`key_hash`] already known.
    pub(crate) fn get_hashed(&self, hash: u64, lower_key: &str) -> Option<&ContextEntry> {
        match self
            .entries
            .iter()
            .find(|(h, k, _)| *h == hash && k == lower_key)
        {
            Some((_, _, e)) => Some(e),
            None => self.defaults.as_ref()?.get_hashed(hash, lower_key),
        }
    }

    /// Every key with its values: this context's own, then those of its
    /// defaults that it does not set.
    pub fn entries(&self) -> impl Iterator<Item = &ContextEntry> {
        self.entries_hashed().map(|(_, _, e)| e)
    }

    /// [`Context::entries`] with each key's hash and lower-cased form.
    fn entries_hashed(&self) -> Box<dyn Iterator<Item = (u64, &str, &ContextEntry)> + '_> {
        let own = self.entries.iter().map(|(h, k, e)| (*h, k.as_str(), e));
        match &self.defaults {
            None => Box::new(own),
            Some(d) => Box::new(
                own.chain(
                    d.entries_hashed()
                        .filter(|(h, k, _)| self.get_own(*h, k).is_none()),
                ),
            ),
        }
    }

    fn get_own(&self, hash: u64, lower_key: &str) -> Option<&ContextEntry> {
        self.entries
            .iter()
            .find(|(h, k, _)| *h == hash && k == lower_key)
            .map(|(_, _, e)| e)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.defaults.as_ref().is_none_or(|d| d.is_empty())
    }

    /// Makes `defaults` hold for every key this context does not set, as
    /// [`Context::extend_defaults`] would, without copying them. Replaces
    /// earlier defaults.
    pub fn set_defaults(&mut self, defaults: Option<std::sync::Arc<Context>>) {
        self.defaults = defaults;
    }

    /// Removes this context's own keys, keeping its defaults and its memory.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// What kind of identity makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `arn:aws:iam::111122223333:user/path/name`
    User,
    /// `arn:aws:iam::111122223333:role/path/name` (as a trust-policy subject)
    Role,
    /// `arn:aws:sts::111122223333:assumed-role/name/session`
    RoleSession,
    /// `arn:aws:sts::111122223333:federated-user/name`
    FederatedUser,
    /// `arn:aws:iam::111122223333:root`
    Root,
    /// A service principal such as `ec2.amazonaws.com`.
    Service,
    /// Anything else: compared by its text only.
    Other,
}

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub arn: String,
    pub kind: PrincipalKind,
    /// The 12-digit account (empty for services).
    pub account: String,
    /// For a role session, the role's name (the role's ARN may carry a path
    /// that the session ARN does not show).
    pub role_name: Option<String>,
    /// For a role session, the role's ARN when known (from a snapshot).
    pub role_arn: Option<String>,
}

impl Principal {
    /// Reads a principal from its ARN (or a service principal name).
    pub fn parse(text: &str) -> Principal {
        let mut principal = Principal {
            arn: text.to_owned(),
            kind: PrincipalKind::Other,
            account: String::new(),
            role_name: None,
            role_arn: None,
        };
        let Some(["arn", _partition, service, _region, account, resource]) = split_arn(text) else {
            if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
                principal.kind = PrincipalKind::Service;
            }
            return principal;
        };
        principal.account = account.to_owned();
        principal.kind = match (service, resource) {
            ("iam", "root") => PrincipalKind::Root,
            ("iam", r) if r.starts_with("user/") => PrincipalKind::User,
            ("iam", r) if r.starts_with("role/") => PrincipalKind::Role,
            ("sts", r) if r.starts_with("assumed-role/") => {
                let mut parts = r.splitn(3, '/');
                parts.next();
                principal.role_name = parts.next().map(str::to_owned);
                PrincipalKind::RoleSession
            }
            ("sts", r) if r.starts_with("federated-user/") => PrincipalKind::FederatedUser,
            _ => PrincipalKind::Other,
        };
        principal
    }
}

/// One authorization request.
#[derive(Clone)]
pub struct Request {
    pub principal: Principal,
    /// `service:Action` as given.
    pub action: String,
    /// The lower-cased action, for matching.
    pub(crate) action_lower: String,
    /// The action's service, as [`super::model::service_bit`].
    pub(crate) service_bit: u64,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The account that owns the resource.
    pub resource_account: String,
    pub context: Context,
    /// Set by [`Request::on_any_resource`].
    pub(crate) any_resource: Option<ResourcePredicate>,
}

/// Whether a `Resource` pattern, as written, can name a resource the action
/// acts on.
pub type ResourcePredicate = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

impl Request {
    /// `resource_account` defaults to the account in the resource ARN, else
    /// the principal's.
    pub fn new(
        principal: Principal,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        context: Context,
    ) -> Request {
        let resource_account = match resource_account {
            Some(a) => a.to_owned(),
            None => match split_arn(resource) {
                Some(parts) if !parts[4].is_empty() => parts[4].to_owned(),
                _ => principal.account.clone(),
            },
        };
        Request {
            principal,
            action: action.to_owned(),
            action_lower: action.to_ascii_lowercase(),
            service_bit: super::model::service_bit(&action.to_ascii_lowercase()),
            resource: resource.to_owned(),
            resource_account,
            context,
            any_resource: None,
        }
    }

    /// Changes the action (to evaluate many actions for one principal
    /// without rebuilding the request).
    pub fn set_action(&mut self, action: &str) {
        self.action.clear();
        self.action.push_str(action);
        self.action_lower.clear();
        self.action_lower.push_str(action);
        self.action_lower.make_ascii_lowercase();
        self.service_bit = super::model::service_bit(&self.action_lower);
    }

    /// Asks about another action and resource for the same principal and
    /// context, as [`Request::new`] would, reusing the request's memory.
    pub fn reset(&mut self, action: &str, resource: &str, resource_account: Option<&str>) {
        self.set_action(action);
        self.resource.clear();
        self.resource.push_str(resource);
        self.resource_account.clear();
        match resource_account {
            Some(a) => self.resource_account.push_str(a),
            None => match split_arn(resource) {
                Some(parts) if !parts[4].is_empty() => self.resource_account.push_str(parts[4]),
                _ => self.resource_account.push_str(&self.principal.account),
            },
        }
        self.any_resource = None;
    }

    /// Replaces the predicate of [`Request::on_any_resource`].
    pub fn set_any_resource(&mut self, could_denote: Option<ResourcePredicate>) {
        if could_denote.is_some() {
            self.resource = "*".to_owned();
        }
        self.any_resource = could_denote;
    }

    /// Asks whether the action is allowed on *some* resource rather than on
    /// one: an `Allow` statement counts when `could_denote` accepts one of
    /// its `Resource` patterns (e.g. the pattern can name an S3 object, for
    /// `s3:GetObject`), a `Deny` only when its `Resource` is `*`. Used by
    /// `who-can` and `access` when no resource is given.
    pub fn on_any_resource(mut self, could_denote: ResourcePredicate) -> Request {
        self.resource = "*".to_owned();
        self.any_resource = Some(could_denote);
        self
    }

    pub(crate) fn resource_parts(&self) -> ArnParts<'_> {
        ArnParts::new(&self.resource)
    }

    /// Whether principal and resource belong to the same account.
    pub fn same_account(&self) -> bool {
        self.principal.account == self.resource_account
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("principal", &self.principal)
            .field("action", &self.action)
            .field("resource", &self.resource)
            .field("resource_account", &self.resource_account)
            .field("context", &self.context)
            .field("any_resource", &self.any_resource.is_some())
            .finish()
    }
}
