//! `iamctl role ...`

use super::principal::{self, AttachArgs, DeletePolicyArgs, PutPolicyArgs};
use crate::common::{is_managed, read_document};
use crate::credfile::{render_session, KeyFormat};
use crate::ctx::{arn_list, entity_table, fields, listing, tag_list, Ctx};
use crate::error::{CmdResult, CommandError};
use iamctl_aws::{PrincipalKind, Role};
use iamctl_policy::{templates, DocumentKind, EntityKind, PolicyDocument};

#[derive(clap::Subcommand, Debug)]
pub enum RoleCommand {
    /// Create a role with a trust policy (tagged `managed-by=iamctl`).
    Create(CreateArgs),
    /// List roles.
    List {
        #[arg(long, value_name = "P")]
        path_prefix: Option<String>,
    },
    /// A role with its trust policy, policies and instance profiles.
    Show { name: String },
    /// Replace the trust policy.
    UpdateTrust(TrustArgs),
    /// Delete a role, its instance profiles, inline and attached policies.
    Delete {
        name: String,
        /// Delete even if the role is not tagged `managed-by=iamctl`.
        #[arg(long)]
        force: bool,
    },
    /// Attach a managed policy.
    Attach(AttachArgs),
    /// Detach a managed policy.
    Detach(AttachArgs),
    /// Put an inline policy.
    PutPolicy(PutPolicyArgs),
    /// Delete an inline policy.
    DeletePolicy(DeletePolicyArgs),
    /// Assume a role and print temporary credentials (stdout).
    Assume(AssumeArgs),
}

/// Exactly one of `--trust` and `--trust-principal`: a missing trust names
/// both.
#[derive(clap::Args, Debug)]
#[group(skip)]
#[command(group(
    clap::ArgGroup::new("trust_source")
        .args(["trust", "trust_principal"])
        .required(true)
        .multiple(false)
))]
pub struct TrustSource {
    /// Trust policy document: a file, or `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<String>,
    /// Who may assume the role: an ARN, an account id, or a service
    /// (`ec2.amazonaws.com`); repeat for more.
    #[arg(long = "trust-principal", value_name = "ARN")]
    pub trust_principal: Vec<String>,
    /// Allow assuming only with MFA (`Bool aws:MultiFactorAuthPresent true`).
    #[arg(long)]
    pub require_mfa: bool,
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    pub name: String,
    #[command(flatten)]
    pub trust: TrustSource,
    /// Longest session, in seconds (3600 to 43200).
    #[arg(long, value_name = "SECS")]
    pub max_session_duration: Option<i32>,
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub new: principal::NewPrincipalArgs,
}

#[derive(clap::Args, Debug)]
pub struct TrustArgs {
    pub name: String,
    #[command(flatten)]
    pub trust: TrustSource,
}

#[derive(clap::Args, Debug)]
pub struct AssumeArgs {
    /// Role ARN, or the name of a role in this account.
    pub role: String,
    #[arg(long, value_name = "NAME", default_value = "iamctl")]
    pub session_name: String,
    /// MFA device serial (ARN) when the role requires MFA.
    #[arg(long, value_name = "ARN", requires = "token_code")]
    pub mfa_serial: Option<String>,
    /// The 6-digit code from the MFA device.
    #[arg(long, value_name = "CODE", requires = "mfa_serial")]
    pub token_code: Option<String>,
    /// Session length in seconds (900 to the role's maximum).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<i32>,
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// `env` (export lines) or `json` (the credential_process shape).
    #[arg(long, value_enum)]
    pub format: Option<AssumeFormat>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum AssumeFormat {
    Env,
    Json,
}

pub async fn run(ctx: &Ctx, cmd: RoleCommand) -> CmdResult {
    match cmd {
        RoleCommand::Create(a) => create(ctx, a).await,
        RoleCommand::List { path_prefix } => list(ctx, path_prefix.as_deref()).await,
        RoleCommand::Show { name } => show(ctx, &name).await,
        RoleCommand::UpdateTrust(a) => update_trust(ctx, a).await,
        RoleCommand::Delete { name, force } => delete(ctx, &name, force).await,
        RoleCommand::Attach(a) => principal::attach(ctx, PrincipalKind::Role, a).await,
        RoleCommand::Detach(a) => principal::detach(ctx, PrincipalKind::Role, a).await,
        RoleCommand::PutPolicy(a) => principal::put_policy(ctx, PrincipalKind::Role, a).await,
        RoleCommand::DeletePolicy(a) => principal::delete_policy(ctx, PrincipalKind::Role, a).await,
        RoleCommand::Assume(a) => assume(ctx, a).await,
    }
}

/// The trust policy from `--trust FILE` or `--trust-principal`, with MFA if asked.
fn trust_document(t: &TrustSource) -> CmdResult<PolicyDocument> {
    let doc = match &t.trust {
        Some(f) => read_document(f, DocumentKind::Trust)?,
        None => {
            for p in &t.trust_principal {
                iamctl_policy::names::validate_trust_principal(p)?;
            }
            templates::trust_for_principals(&t.trust_principal, false)
        }
    };
    Ok(if t.require_mfa {
        templates::add_mfa_condition(&doc)
    } else {
        doc
    })
}

async fn create(ctx: &Ctx, a: CreateArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Role, &a.name)?;
    let checked = a.new.check(PrincipalKind::Role)?;
    let trust = trust_document(&a.trust)?;
    if let Some(d) = a.max_session_duration {
        if !(3600..=43200).contains(&d) {
            return Err(CommandError::invalid(format!(
                "max session duration `{d}` is outside 3600..=43200 seconds"
            )));
        }
    }
    let aws = ctx.aws().await;
    let new = checked.resolve(ctx).await?;
    let arns = new.attach;
    let trust_json = trust.to_compact();
    if ctx.dry_run(format!(
        "create role `{}`{}, tagged managed-by=iamctl",
        a.name,
        if arns.is_empty() {
            String::new()
        } else {
            format!(" and attach {}", arns.join(", "))
        }
    )) {
        return Ok(());
    }
    let role = aws
        .create_role(&iamctl_aws::NewRole {
            name: &a.name,
            path: a.new.path.as_deref(),
            trust_policy: &trust_json,
            description: a.description.as_deref(),
            max_session_duration: a.max_session_duration,
            tags: &new.tags,
            boundary: new.boundary.as_deref(),
        })
        .await?;
    ctx.status(format!("created role `{}` ({})", role.role_name, role.arn));
    for (i, arn) in arns.iter().enumerate() {
        if let Err(e) = aws.attach_policy(PrincipalKind::Role, &a.name, arn).await {
            // Leave the account as it was: detach what was attached, delete the role.
            ctx.status(format!("failed; removing role `{}` again", a.name));
            for done in &arns[..i] {
                let _ = aws.detach_policy(PrincipalKind::Role, &a.name, done).await;
            }
            let _ = aws.delete_role(&a.name).await;
            return Err(e.into());
        }
        ctx.status(format!("attached `{arn}`"));
    }
    if ctx.json() {
        ctx.emit(&role, |_| String::new())?;
    }
    Ok(())
}

async fn list(ctx: &Ctx, path_prefix: Option<&str>) -> CmdResult {
    if let Some(p) = path_prefix {
        iamctl_policy::validate_path(p)?;
    }
    let roles = ctx.aws().await.list_roles(path_prefix).await?;
    if ctx.json() {
        // ListRoles returns neither tags nor permissions boundaries.
        let doc = listing("Roles", &roles, &["Tags", "PermissionsBoundary"])?;
        return ctx.emit(&doc, |_| String::new());
    }
    ctx.emit(&roles, |r| entity_table(r))
}

async fn show(ctx: &Ctx, name: &str) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Role, name)?;
    let aws = ctx.aws().await;
    let role = aws.get_role(name).await?;
    let (attached, inline, profiles) = tokio::try_join!(
        aws.list_attached(PrincipalKind::Role, name),
        aws.list_inline_policies(PrincipalKind::Role, name),
        aws.instance_profiles_for_role(name),
    )?;
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        role: Role,
        attached_policies: Vec<iamctl_aws::AttachedPolicy>,
        inline_policies: Vec<String>,
        instance_profiles: Vec<String>,
    }
    let out = Out {
        role,
        attached_policies: attached,
        inline_policies: inline,
        instance_profiles: profiles,
    };
    ctx.emit(&out, |o| {
        let mut s = fields(&[
            ("name", o.role.role_name.clone()),
            ("arn", o.role.arn.clone()),
            ("created", o.role.create_date.clone()),
            (
                "max session",
                o.role
                    .max_session_duration
                    .map(|d| format!("{d}s"))
                    .unwrap_or_default(),
            ),
            ("tags", tag_list(&o.role.tags)),
            ("policies", arn_list(&o.attached_policies)),
            ("inline", o.inline_policies.join(", ")),
            ("instance profiles", o.instance_profiles.join(", ")),
            ("trust policy", String::new()),
        ]);
        if let Some(d) = &o.role.assume_role_policy_document {
            s.push_str(&serde_json::to_string_pretty(d).unwrap_or_default());
        }
        s
    })
}

async fn update_trust(ctx: &Ctx, a: TrustArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Role, &a.name)?;
    let trust = trust_document(&a.trust)?;
    if ctx.dry_run(format!(
        "replace the trust policy of role `{}` with {}",
        a.name,
        trust.to_compact()
    )) {
        return Ok(());
    }
    ctx.aws()
        .await
        .update_trust(&a.name, &trust.to_compact())
        .await?;
    ctx.status(format!("updated the trust policy of role `{}`", a.name));
    ctx.changed(serde_json::json!({
        "RoleName": a.name,
        "AssumeRolePolicyDocument": serde_json::from_str::<serde_json::Value>(&trust.to_compact()).unwrap_or_default(),
    }))
}

async fn delete(ctx: &Ctx, name: &str, force: bool) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::Role, name)?;
    let aws = ctx.aws().await;
    let role = aws.get_role(name).await?;
    let me = ctx.identity().await?;
    // An assumed-role session's ARN is arn:aws:sts::ACCT:assumed-role/NAME/SESSION.
    if me.arn.contains(&format!(":assumed-role/{name}/")) {
        return Err(CommandError::failure(format!(
            "refusing to delete role `{name}`: iamctl is running as a session of it"
        )));
    }
    if !force && !is_managed(&role.tags) {
        return Err(CommandError::failure_help(
            format!("role `{name}` is not managed by iamctl (no tag `managed-by=iamctl`)"),
            "pass --force to delete it anyway",
        ));
    }
    let (attached, inline, profiles) = tokio::try_join!(
        aws.list_attached(PrincipalKind::Role, name),
        aws.list_inline_policies(PrincipalKind::Role, name),
        aws.instance_profiles_for_role(name),
    )?;
    ctx.status(format!(
        "role `{name}` has: attached policies [{}], inline policies [{}], instance profiles [{}]",
        arn_list(&attached),
        inline.join(", "),
        profiles.join(", ")
    ));
    if ctx.dry_run(format!("delete role `{name}` and remove all of the above")) {
        return Ok(());
    }
    ctx.confirm(&format!(
        "delete role `{name}` and remove all of the above?"
    ))?;
    for p in &profiles {
        aws.remove_instance_profile(name, p).await?;
    }
    for p in &inline {
        aws.delete_inline_policy(PrincipalKind::Role, name, p)
            .await?;
    }
    for p in &attached {
        aws.detach_policy(PrincipalKind::Role, name, &p.policy_arn)
            .await?;
    }
    aws.delete_role(name).await?;
    ctx.status(format!("deleted role `{name}`"));
    ctx.changed(serde_json::json!({
        "RoleName": name,
        "Deleted": true,
        "Removed": {
            "InstanceProfiles": profiles,
            "InlinePolicies": inline,
            "AttachedPolicies": attached.iter().map(|p| p.policy_arn.clone()).collect::<Vec<_>>(),
        },
    }))
}

async fn assume(ctx: &Ctx, a: AssumeArgs) -> CmdResult {
    iamctl_policy::validate_name(EntityKind::RoleSessionName, &a.session_name)?;
    if let Some(d) = a.duration {
        if !(900..=43200).contains(&d) {
            return Err(CommandError::invalid(format!(
                "duration `{d}` is outside 900..=43200 seconds"
            )));
        }
    }
    if let Some(s) = &a.mfa_serial {
        iamctl_policy::validate_arn(s)?;
    }
    if let Some(c) = &a.token_code {
        if c.len() != 6 || !c.chars().all(|c| c.is_ascii_digit()) {
            return Err(CommandError::invalid(format!(
                "MFA token code `{c}` is not 6 digits"
            )));
        }
    }
    let arn = if a.role.starts_with("arn:") {
        iamctl_policy::validate_arn(&a.role)?;
        a.role.clone()
    } else {
        iamctl_policy::validate_name(EntityKind::Role, &a.role)?;
        let id = ctx.identity().await?;
        format!(
            "arn:{}:iam::{}:role/{}",
            ctx.partition().await?,
            id.account,
            a.role
        )
    };
    let creds = ctx
        .aws()
        .await
        .assume_role(&iamctl_aws::AssumeRole {
            role_arn: &arn,
            session_name: &a.session_name,
            duration_seconds: a.duration,
            mfa_serial: a.mfa_serial.as_deref(),
            token_code: a.token_code.as_deref(),
            external_id: a.external_id.as_deref(),
        })
        .await?;
    let format = match a.format {
        Some(AssumeFormat::Json) => KeyFormat::Json,
        Some(AssumeFormat::Env) => KeyFormat::Env,
        None if ctx.json() => KeyFormat::Json,
        None => KeyFormat::Env,
    };
    print!("{}", render_session(&creds, format));
    ctx.status(format!(
        "assumed `{}` until {}",
        creds.assumed_role_arn, creds.expiration
    ));
    Ok(())
}
