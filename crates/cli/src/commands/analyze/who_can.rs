//! `who-can`: every principal of the account allowed an action.

use std::io::Write;

use iamctl_policy::account::{Account, Entity, Source};
use iamctl_policy::analysis::{self, Because, Grant};
use iamctl_policy::catalog::{catalog, Action, Service};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{base_context, load_resource_policy, load_source, Loaded, WhoCanArgs};
use crate::ctx::{table, Ctx};
use crate::error::{CmdResult, CommandError};

fn kind_word(e: &Entity) -> &'static str {
    e.kind.as_str()
}

fn via_text(b: &Because) -> String {
    match b.via {
        Some(Source::Group(g)) => format!("group {g}"),
        Some(Source::Direct) => "direct".into(),
        None => "resource policy".into(),
    }
}

/// The actions asked about.
type Actions = [(&'static Service, &'static Action)];

fn action_name(actions: &Actions, g: &Grant) -> String {
    let (service, action) = actions[g.action];
    format!("{}:{}", service.prefix, action.name)
}

pub async fn who_can(ctx: &Ctx, a: WhoCanArgs) -> CmdResult {
    if !a.action.contains(':') && a.action != "*" {
        return Err(CommandError::invalid(format!(
            "`{}` is not an action: write `service:Action`, e.g. `s3:GetObject` or `iam:*`",
            a.action
        )));
    }
    let actions = catalog().expand(&a.action);
    if actions.is_empty() {
        return Err(CommandError::invalid_help(
            format!("`{}` matches no action AWS documents", a.action),
            "check the service prefix and action name, e.g. `s3:GetObject`, `iam:Create*`",
        ));
    }
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| load_resource_policy(p, "resourcePolicy"))
        .transpose()?;
    let base = base_context(ctx, &a.source, true)?;
    let account = match load_source(ctx, &a.source, None).await? {
        Loaded::Account(account) => account,
        Loaded::Organization(org) => {
            if resource_policy.is_some() {
                return Err(CommandError::usage(
                    "`--resource-policy` is for account snapshots: an organisation snapshot holds the resources' policies",
                ));
            }
            let answered = super::org::who_can(ctx, &org, &actions, a.resource.as_deref(), &base);
            // Left for the OS to free at exit (see `load_source`).
            std::mem::forget(org);
            return answered;
        }
    };
    let grants = analysis::who_can(
        &account,
        &actions,
        a.resource.as_deref(),
        &base,
        resource_policy.as_ref(),
    );
    // Grouped by principal, in account order, each principal's actions in
    // action order (the sort is stable).
    let mut by_principal: Vec<&Grant> = grants.iter().collect();
    by_principal.sort_by_key(|g| g.principal);
    let groups: Vec<&[&Grant]> = by_principal
        .chunk_by(|x, y| x.principal == y.principal)
        .collect();
    // Per action: what the answer assumed about a policy it did not have.
    let assumed: Vec<Option<String>> = actions
        .iter()
        .map(|(service, action)| {
            analysis::key_policy_assumption(
                &format!("{}:{}", service.prefix, action.name),
                a.resource.as_deref(),
                resource_policy.is_some(),
            )
        })
        .collect();
    let mut allowed: Vec<usize> = grants.iter().map(|g| g.action).collect();
    allowed.dedup();
    ctx.status(format!(
        "{} principal(s) of {} allowed {} of {} action(s)",
        groups.len(),
        account.principals.len(),
        allowed.len(),
        actions.len()
    ));
    if ctx.json() {
        let rows = Rows {
            account: &account,
            actions: &actions,
            groups: &groups,
            assumed: &assumed,
        };
        return write_json(&rows);
    }
    ctx.emit(&(), |_| {
        let rows = groups
            .iter()
            .map(|gs| {
                let e = &account.principals[gs[0].principal];
                let actions = if gs.len() <= 3 {
                    gs.iter()
                        .map(|g| action_name(&actions, g))
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    format!("{} actions", gs.len())
                };
                let mut via: Vec<String> = gs
                    .iter()
                    .flat_map(|g| g.because.iter())
                    .map(|b| {
                        let sid = b.sid.map(|s| format!(" ({s})")).unwrap_or_default();
                        format!("{}{} [{}]", short_policy(b.policy), sid, via_text(b))
                    })
                    .collect();
                via.sort();
                via.dedup();
                vec![
                    e.name.clone(),
                    kind_word(e).to_owned(),
                    actions,
                    via.join("\n"),
                ]
            })
            .collect();
        let mut out = table(&["PRINCIPAL", "KIND", "ACTIONS", "ALLOWED BY"], rows);
        let mut notes: Vec<&String> = assumed.iter().flatten().collect();
        notes.dedup();
        if let Some(note) = notes.first().filter(|_| !groups.is_empty()) {
            out.push_str(&format!("\nassumed: {note}\n"));
        }
        out
    })
}

/// The JSON answer, written as it is serialised (no `Value` tree): what
/// `--output json` prints for any command, pretty, with a final newline.
fn write_json(rows: &Rows<'_, '_>) -> CmdResult {
    let stdout = std::io::stdout();
    crate::ctx::mark_stdout_used();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let written = serde_json::to_writer_pretty(&mut out, rows)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Err(CommandError::silent(crate::error::exit::SUCCESS))
        }
        Err(e) => Err(CommandError::failure(format!(
            "cannot write to stdout: {e}"
        ))),
    }
}

/// `[{"principal", "kind", "name", "actions": [{"action", "statements":
/// [{"policy", "sid", "statement", "via"}]}]}]`
struct Rows<'r, 'a> {
    account: &'r Account,
    actions: &'r Actions,
    groups: &'r [&'r [&'r Grant<'a>]],
    /// Per action, what the answer assumed.
    assumed: &'r [Option<String>],
}

impl Serialize for Rows<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.groups.len()))?;
        for gs in self.groups {
            let e = &self.account.principals[gs[0].principal];
            seq.serialize_element(&Row {
                entity: e,
                actions: self.actions,
                grants: gs,
                assumed: self.assumed,
            })?;
        }
        seq.end()
    }
}

struct Row<'r, 'a> {
    entity: &'r Entity,
    actions: &'r Actions,
    grants: &'r [&'r Grant<'a>],
    assumed: &'r [Option<String>],
}

impl Serialize for Row<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("principal", &self.entity.arn)?;
        map.serialize_entry("kind", kind_word(self.entity))?;
        map.serialize_entry("name", &self.entity.name)?;
        map.serialize_entry("actions", &ActionRows(self))?;
        map.end()
    }
}

struct ActionRows<'s, 'r, 'a>(&'s Row<'r, 'a>);

impl Serialize for ActionRows<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.grants.len()))?;
        for g in self.0.grants {
            seq.serialize_element(&ActionRow {
                action: action_name(self.0.actions, g),
                grant: g,
                assumed: self.0.assumed[g.action].as_deref(),
            })?;
        }
        seq.end()
    }
}

struct ActionRow<'r, 'a> {
    action: String,
    grant: &'r Grant<'a>,
    /// What the answer assumed (a KMS key policy it did not have).
    assumed: Option<&'r str>,
}

impl Serialize for ActionRow<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2 + usize::from(self.assumed.is_some())))?;
        map.serialize_entry("action", &self.action)?;
        map.serialize_entry("statements", &Statements(&self.grant.because))?;
        if let Some(a) = self.assumed {
            map.serialize_entry("assumed", a)?;
        }
        map.end()
    }
}

struct Statements<'r, 'a>(&'r [Because<'a>]);

impl Serialize for Statements<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&Statement(b))?;
        }
        seq.end()
    }
}

struct Statement<'r, 'a>(&'r Because<'a>);

impl Serialize for Statement<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = self.0;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("policy", b.policy)?;
        map.serialize_entry("sid", &b.sid)?;
        map.serialize_entry("statement", &b.statement)?;
        map.serialize_entry("via", &via_text(b))?;
        map.end()
    }
}

/// A policy name for a table: a managed policy's name, an inline policy as
/// `name (inline)`.
fn short_policy(name: &str) -> String {
    match name.split_once('#') {
        Some((_, inline)) => format!("{inline} (inline)"),
        None => name.rsplit('/').next().unwrap_or(name).to_owned(),
    }
}
