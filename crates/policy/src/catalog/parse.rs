//! Decoding `data/iam-actions.txt`: one record a line, tab-separated fields.
//! The format is described in `scripts/gen-action-data`.

use super::{
    AccessLevel, Action, ActionResource, Catalog, ConditionValueType, KeyTable, ResourceType,
    Service,
};

pub(super) fn parse(text: &str) -> Result<Catalog, String> {
    let mut catalog = Catalog {
        services: Vec::new(),
        global_keys: KeyTable::default(),
        source: String::new(),
        action_count: 0,
    };
    // Per-service numbered keys and resource types, in order of their lines.
    let mut keys: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
        let mut fields = line.split('\t');
        let tag = fields.next().unwrap_or_default();
        let fields: Vec<&str> = fields.collect();
        let field = |i: usize| fields.get(i).copied().ok_or_else(|| bad("too few fields"));
        match tag {
            "" => {}
            "#" => {
                if field(0)? != "iamctl-actions" || field(1)? != "1" {
                    return Err(bad("not iamctl action data version 1"));
                }
                catalog.source = field(2)?.to_owned();
            }
            "G" => {
                let value_type = value_type(field(1)?).ok_or_else(|| bad("type"))?;
                catalog.global_keys.push(field(0)?.to_owned(), value_type);
            }
            "S" => {
                keys.clear();
                let prefix = field(0)?.to_ascii_lowercase();
                if let Some(i) = catalog.services.iter().position(|s| s.prefix == prefix) {
                    // A later service line (the supplement) adds to the
                    // service: its records follow; its `K` numbers start anew.
                    let service = catalog.services.remove(i);
                    catalog.services.push(service);
                    continue;
                }
                catalog.services.push(Service {
                    prefix: field(0)?.to_ascii_lowercase(),
                    name: field(1)?.to_owned(),
                    actions: Vec::new(),
                    action_keys: Vec::new(),
                    resource_types: Vec::new(),
                    condition_keys: KeyTable::default(),
                });
            }
            _ => {
                let service = catalog
                    .services
                    .last_mut()
                    .ok_or_else(|| bad("record before the first service"))?;
                let key = |i: &str| -> Result<String, String> {
                    i.parse::<usize>()
                        .ok()
                        .and_then(|i| keys.get(i))
                        .cloned()
                        .ok_or_else(|| bad("condition key number"))
                };
                let key_list = |list: &str| -> Result<Vec<String>, String> {
                    list.split(',').filter(|s| !s.is_empty()).map(key).collect()
                };
                match tag {
                    "K" => {
                        let value_type = value_type(field(1)?).ok_or_else(|| bad("type"))?;
                        keys.push(field(0)?.to_owned());
                        service
                            .condition_keys
                            .push(field(0)?.to_owned(), value_type);
                    }
                    "R" => service.resource_types.push(ResourceType {
                        name: field(0)?.to_owned(),
                        arn_pattern: field(1)?.to_owned(),
                        condition_keys: key_list(field(2)?)?,
                    }),
                    "A" => {
                        let access_level = match field(1)? {
                            "L" => AccessLevel::List,
                            "R" => AccessLevel::Read,
                            "W" => AccessLevel::Write,
                            "P" => AccessLevel::PermissionsManagement,
                            "T" => AccessLevel::Tagging,
                            _ => return Err(bad("access level")),
                        };
                        let mut resource_types = Vec::new();
                        for item in field(2)?.split(',').filter(|s| !s.is_empty()) {
                            let mut parts = item.split(';');
                            let reference = parts.next().unwrap_or_default();
                            let (index, required) = match reference.strip_suffix('*') {
                                Some(index) => (index, true),
                                None => (reference, false),
                            };
                            let resource = index
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| service.resource_types.get(i))
                                .ok_or_else(|| bad("resource type number"))?;
                            resource_types.push(ActionResource {
                                name: resource.name.clone(),
                                required,
                                condition_keys: parts.map(key).collect::<Result<_, _>>()?,
                            });
                        }
                        service.actions.push(Action {
                            name: field(0)?.to_owned(),
                            access_level,
                            resource_types,
                            condition_keys: key_list(field(3)?)?,
                        });
                    }
                    _ => return Err(bad("unknown record")),
                }
            }
        }
    }
    catalog.services.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    for service in &mut catalog.services {
        service
            .actions
            .sort_by_cached_key(|a| a.name.to_ascii_lowercase());
        service
            .actions
            .dedup_by(|a, b| a.name.eq_ignore_ascii_case(&b.name));
        service.action_keys = service
            .actions
            .iter()
            .map(|a| a.name.to_ascii_lowercase())
            .collect();
        catalog.action_count += service.actions.len();
    }
    Ok(catalog)
}

fn value_type(name: &str) -> Option<ConditionValueType> {
    ConditionValueType::parse(name)
}
