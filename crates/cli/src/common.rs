//! Helpers shared by commands: our ownership tag, reading policy documents,
//! resolving policy names to ARNs.

use crate::ctx::Ctx;
use crate::error::{CmdResult, CommandError};
use iamctl_aws::Tag;
use iamctl_policy::snapshot::{Snapshot, SnapshotError};
use iamctl_policy::{DocumentKind, PolicyDocument};
use std::io::Read;

use iamctl_policy::MANAGED_BY;

pub fn is_managed(tags: &[Tag]) -> bool {
    tags.iter()
        .any(|t| iamctl_policy::is_managed_by_tag(&t.key, &t.value))
}

/// `--tag K=V` values, validated, plus `managed-by=iamctl`.
pub fn tags_with_managed(raw: &[String]) -> CmdResult<Vec<Tag>> {
    let mut tags = vec![Tag {
        key: MANAGED_BY.0.into(),
        value: MANAGED_BY.1.into(),
    }];
    for r in raw {
        let (key, value) = iamctl_policy::parse_tag(r)?;
        if key == MANAGED_BY.0 {
            return Err(CommandError::invalid(format!(
                "tag `{key}` is set by iamctl itself and cannot be given"
            )));
        }
        tags.retain(|t| t.key != key);
        tags.push(Tag { key, value });
    }
    if tags.len() > 50 {
        return Err(CommandError::invalid(format!(
            "{} tags given; IAM allows 50 per entity",
            tags.len()
        )));
    }
    Ok(tags)
}

/// Read a policy document from a file, or stdin for `-`, and validate it.
pub fn read_document(arg: &str, kind: DocumentKind) -> CmdResult<PolicyDocument> {
    let (origin, text) = if arg == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        ("<stdin>".to_string(), s)
    } else {
        let text = std::fs::read_to_string(arg)
            .map_err(|e| CommandError::invalid(format!("cannot read `{arg}`: {e}")))?;
        (arg.to_string(), text)
    };
    Ok(PolicyDocument::parse(&origin, &text, kind)?)
}

/// Read a managed policy document (a file, or `-`) as [`read_document`] does, then
/// lint it as an identity-based policy unless `no_lint`: every finding is shown on
/// stderr as `file:line:col: SEVERITY CODE: message`, and any `ERROR` stops the
/// command (exit 3) before AWS is asked for anything.
pub fn read_linted_document(
    ctx: &Ctx,
    arg: &str,
    kind: DocumentKind,
    no_lint: bool,
) -> CmdResult<PolicyDocument> {
    let (origin, text) = if arg == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        ("<stdin>".to_string(), s)
    } else {
        let text = std::fs::read_to_string(arg)
            .map_err(|e| CommandError::invalid(format!("cannot read `{arg}`: {e}")))?;
        (arg.to_string(), text)
    };
    let doc = PolicyDocument::parse(&origin, &text, kind)?;
    if no_lint {
        return Ok(doc);
    }
    use iamctl_policy::lint::{lint, PolicyType, Severity};
    let report = lint(&origin, &text, PolicyType::Identity);
    for f in &report.findings {
        ctx.status(format!(
            "{origin}:{}:{}: {} {}: {}",
            f.line,
            f.column,
            f.severity.as_str(),
            f.code.as_str(),
            f.message
        ));
    }
    let errors = report.count(Severity::Error);
    if errors > 0 {
        return Err(CommandError::invalid_help(
            format!("`{origin}` has {errors} lint error(s); nothing was changed"),
            "fix the document (see `iamctl policy lint`), or pass `--no-lint` to skip the checks",
        ));
    }
    Ok(doc)
}

/// Check a policy reference's syntax without calling AWS.
pub fn check_policy_ref(s: &str) -> CmdResult<()> {
    if s.contains('/') && !s.starts_with("arn:") {
        // An AWS-managed policy under a path: `service-role/AWSLambdaBasicExecutionRole`.
        iamctl_policy::validate_arn(&format!("arn:aws:iam::aws:policy/{s}"))?;
        return Ok(());
    }
    iamctl_policy::validate_policy_arn_or_name(s)?;
    Ok(())
}

/// The policy at `arn`, or `None` when there is none.
async fn policy_if_exists(ctx: &Ctx, arn: &str) -> CmdResult<Option<iamctl_aws::Policy>> {
    match ctx.aws().await.get_policy(arn).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A customer-managed policy of this account named `name` under any path (one
/// paginated ListPolicies).
async fn local_policy_under_a_path(ctx: &Ctx, name: &str) -> CmdResult<Option<String>> {
    let local = ctx
        .aws()
        .await
        .list_policies(iamctl_aws::PolicyScope::Local, false)
        .await?;
    Ok(local
        .into_iter()
        .find(|p| p.policy_name == name)
        .map(|p| p.arn))
}

/// `arn:PARTITION:iam::ACCOUNT:policy/NAME` for this account.
async fn root_policy_arn(ctx: &Ctx, name: &str) -> CmdResult<String> {
    let id = ctx.identity().await?;
    let partition = ctx.partition().await?;
    Ok(format!("arn:{partition}:iam::{}:policy/{name}", id.account))
}

/// Turn an ARN or a policy name into an ARN: a customer-managed policy of this
/// account at the root path, then an AWS-managed one, then a customer-managed one
/// under any path.
pub async fn resolve_policy(ctx: &Ctx, s: &str) -> CmdResult<String> {
    check_policy_ref(s)?;
    if s.starts_with("arn:") {
        // An ARN must name a policy that exists: found now, before any change.
        ctx.aws().await.get_policy(s).await?;
        return Ok(s.to_string());
    }
    let partition = ctx.partition().await?;
    let aws_managed = format!("arn:{partition}:iam::aws:policy/{s}");
    if s.contains('/') {
        // `service-role/NAME`: only AWS-managed policies are named with a path.
        ctx.aws().await.get_policy(&aws_managed).await?;
        return Ok(aws_managed);
    }
    for arn in [root_policy_arn(ctx, s).await?, aws_managed] {
        if policy_if_exists(ctx, &arn).await?.is_some() {
            return Ok(arn);
        }
    }
    local_policy_under_a_path(ctx, s).await?.ok_or_else(|| {
        CommandError::failure_help(
            format!("policy `{s}` does not exist"),
            "give a policy ARN, or the name of a customer-managed or AWS-managed policy",
        )
    })
}

/// A customer-managed policy given by ARN or by name: by name, the root path
/// first, then any path. "does not exist" when there is none.
pub async fn local_policy(ctx: &Ctx, name_or_arn: &str) -> CmdResult<iamctl_aws::Policy> {
    let aws = ctx.aws().await;
    if name_or_arn.starts_with("arn:") {
        iamctl_policy::validate_policy_arn_or_name(name_or_arn)?;
        return Ok(aws.get_policy(name_or_arn).await?);
    }
    iamctl_policy::validate_name(iamctl_policy::EntityKind::Policy, name_or_arn)?;
    if let Some(p) = policy_if_exists(ctx, &root_policy_arn(ctx, name_or_arn).await?).await? {
        return Ok(p);
    }
    match local_policy_under_a_path(ctx, name_or_arn).await? {
        Some(arn) => Ok(aws.get_policy(&arn).await?),
        None => Err(CommandError::failure_help(
            format!("policy `{name_or_arn}` does not exist"),
            "give the name or ARN of a customer-managed policy of this account",
        )),
    }
}

/// Show a date as `YYYY-MM-DD HH:MM` for tables.
pub fn short_date(s: &str) -> String {
    if s.len() >= 16 {
        s[..16].replace('T', " ")
    } else {
        s.to_string()
    }
}

/// A snapshot file (`iamctl account snapshot`, `aws iam
/// get-account-authorization-details`), read once into the typed
/// [`Snapshot`]; errors name the file, line and column.
pub fn read_snapshot(path: &std::path::Path) -> CmdResult<Snapshot> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    Snapshot::from_json(&text).map_err(|e| match e {
        SnapshotError::Json { .. } => CommandError::invalid(format!("`{}`:{e}", path.display())),
        e => CommandError::invalid(format!("`{}`: {e}", path.display())),
    })
}

/// A snapshot file of either kind, told apart by its content: an account
/// snapshot, or an organisation snapshot (`"Kind": "organization"`); errors
/// name the file, line and column.
pub fn read_any_snapshot(
    path: &std::path::Path,
) -> CmdResult<iamctl_policy::snapshot::org::Loaded> {
    use iamctl_policy::snapshot::org::{load, OrgError};
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    load(&text).map_err(|e| match e {
        OrgError::Snapshot(SnapshotError::Json { .. }) => {
            CommandError::invalid(format!("`{}`:{e}", path.display()))
        }
        e => CommandError::invalid(format!("`{}`: {e}", path.display())),
    })
}
