//! The command tree: each command an `Args` struct and a function.

use crate::aws_args::{AwsArgs, AwsGroupArgs};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use clap::Subcommand;

pub mod account;
pub mod analyze;
pub mod check;
pub mod connector;
pub mod deploy;
pub mod escalation;
pub mod escalation_org;
pub mod group;
pub mod iac;
pub mod import;
pub mod key;
pub mod managed;
pub mod policy;
pub mod principal;
pub mod role;
pub mod s3user;
pub mod snapshot;
pub mod user;
pub mod whoami;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Who the current credentials are (STS GetCallerIdentity) and the account alias.
    Whoami {
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// IAM users.
    User {
        #[command(subcommand)]
        cmd: user::UserCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// Access keys (list shows last use).
    Key {
        #[command(subcommand)]
        cmd: key::KeyCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// Managed policies and their versions.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Roles, their trust policies, and assuming them.
    Role {
        #[command(subcommand)]
        cmd: role::RoleCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// Groups and their members.
    Group {
        #[command(subcommand)]
        cmd: group::GroupCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// Account summary, alias, credential report and snapshot.
    Account {
        #[command(subcommand)]
        cmd: account::AccountCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// What iamctl manages in this account (tagged `managed-by=iamctl`).
    Managed {
        #[command(subcommand)]
        cmd: managed::ManagedCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// IAM users scoped to their own prefix of a shared S3 bucket.
    #[command(name = "s3-user")]
    S3User {
        #[command(subcommand)]
        cmd: s3user::S3UserCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// A policy bundle and a platform ("connector") user for an outside platform.
    Connector {
        #[command(subcommand)]
        cmd: connector::ConnectorCommand,
        #[command(flatten)]
        aws: AwsGroupArgs,
    },
    /// Evaluate requests against policies offline, as AWS would decide them.
    Simulate {
        #[command(flatten)]
        args: analyze::SimulateArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Every user and role allowed an action, and the statements that allow it.
    #[command(name = "who-can")]
    WhoCan {
        #[command(flatten)]
        args: analyze::WhoCanArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// What one user or role can do: services, access levels, risky permissions.
    Access {
        #[command(flatten)]
        args: analyze::AccessArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Guard rails offline: no-new-access, access-not-granted, no-public-access (FAIL exits 4).
    #[command(subcommand)]
    Check(check::CheckCommand),
    /// Privilege escalation: who can gain more than they have, and the shortest path.
    Escalation {
        #[command(flatten)]
        args: escalation::EscalationArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Organisation snapshots: merge several collections into one.
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
    /// Check an IAM-as-code configuration directory offline (seed 004's layout).
    Validate(iac::ValidateArgs),
    /// Show what apply would change in each account, and who gains or loses what access.
    Plan {
        #[command(flatten)]
        args: deploy::PlanArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Make every account match the configuration (bounded concurrency, adaptive retry).
    Apply {
        #[command(flatten)]
        args: deploy::ApplyArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Remove temporary grants that have expired, found by their tags.
    Cleanup {
        #[command(flatten)]
        args: deploy::CleanupArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Write the configuration that describes what an account holds (plan then shows no changes).
    Import {
        #[command(flatten)]
        args: import::ImportArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    Man {
        /// Write `iamctl.1`, `iamctl-user.1`, `iamctl-user-create.1`, ... here.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<std::path::PathBuf>,
    },
}

impl Command {
    /// The AWS options given with the command (after its name); `None` for
    /// a command that never calls AWS.
    pub fn aws(&self) -> Option<AwsArgs> {
        use Command::*;
        match self {
            User { aws, .. } | Key { aws, .. } | Role { aws, .. } | Group { aws, .. } => {
                Some(aws.into())
            }
            Account { aws, .. } | Managed { aws, .. } | S3User { aws, .. } => Some(aws.into()),
            Connector { aws, .. } => Some(aws.into()),
            Whoami { aws } => Some(aws.clone()),
            Simulate { aws, .. } | WhoCan { aws, .. } | Access { aws, .. } => Some(aws.clone()),
            Escalation { aws, .. } | Plan { aws, .. } | Apply { aws, .. } => Some(aws.clone()),
            Cleanup { aws, .. } | Import { aws, .. } => Some(aws.clone()),
            Policy(c) => c.aws().cloned(),
            Check(_) | Snapshot(_) | Validate(_) | Completions { .. } | Man { .. } => None,
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: Command) -> CmdResult {
    match cmd {
        Command::Whoami { .. } => whoami::run(ctx).await,
        Command::User { cmd, .. } => user::run(ctx, cmd).await,
        Command::Key { cmd, .. } => key::run(ctx, cmd).await,
        Command::Policy(c) => policy::run(ctx, c).await,
        Command::Role { cmd, .. } => role::run(ctx, cmd).await,
        Command::Group { cmd, .. } => group::run(ctx, cmd).await,
        Command::Account { cmd, .. } => account::run(ctx, cmd).await,
        Command::Managed { cmd, .. } => managed::run(ctx, cmd).await,
        Command::S3User { cmd, .. } => s3user::run(ctx, cmd).await,
        Command::Connector { cmd, .. } => connector::run(ctx, cmd).await,
        Command::Simulate { args, .. } => analyze::simulate(ctx, args).await,
        Command::WhoCan { args, .. } => analyze::who_can(ctx, args).await,
        Command::Access { args, .. } => analyze::access(ctx, args).await,
        Command::Check(c) => check::run(ctx, c),
        Command::Escalation { args, .. } => escalation::run(ctx, args).await,
        Command::Snapshot(c) => snapshot::run(ctx, c),
        Command::Validate(a) => iac::validate(ctx, a),
        Command::Plan { args, .. } => deploy::plan(ctx, args).await,
        Command::Apply { args, .. } => deploy::apply(ctx, args).await,
        Command::Cleanup { args, .. } => deploy::cleanup(ctx, args).await,
        Command::Import { args, .. } => import::import(ctx, args).await,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = crate::Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "iamctl", &mut buf);
            crate::ctx::print_out(&String::from_utf8_lossy(&buf))
        }
        Command::Man { out_dir } => man(ctx, out_dir.as_deref()),
    }
}

/// `iamctl man`: the man page from the command tree (clap_mangen).
fn man(ctx: &Ctx, out_dir: Option<&std::path::Path>) -> CmdResult {
    use clap::CommandFactory;
    let cmd = crate::Cli::command();
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                crate::error::CommandError::failure(format!(
                    "cannot write man pages to `{}`: {e}",
                    dir.display()
                ))
            })?;
            ctx.status(format!("wrote man pages to `{}`", dir.display()));
            Ok(())
        }
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            crate::ctx::print_out(&String::from_utf8_lossy(&buf))
        }
    }
}
