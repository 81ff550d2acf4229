//! The command tree: each command an `Args` struct and a function.

use crate::ctx::Ctx;
use crate::error::CmdResult;
use clap::Subcommand;

pub mod account;
pub mod analyze;
pub mod check;
pub mod connector;
pub mod deploy;
pub mod escalation;
pub mod group;
pub mod iac;
pub mod import;
pub mod key;
pub mod managed;
pub mod policy;
pub mod principal;
pub mod role;
pub mod s3user;
pub mod user;
pub mod whoami;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Who the current credentials are (STS GetCallerIdentity) and the account alias.
    Whoami,
    /// IAM users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Access keys (list shows last use).
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Managed policies and their versions.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Roles, their trust policies, and assuming them.
    #[command(subcommand)]
    Role(role::RoleCommand),
    /// Groups and their members.
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Account summary, alias, credential report and snapshot.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// What iamctl manages in this account (tagged `managed-by=iamctl`).
    #[command(subcommand)]
    Managed(managed::ManagedCommand),
    /// IAM users scoped to their own prefix of a shared S3 bucket.
    #[command(subcommand, name = "s3-user")]
    S3User(s3user::S3UserCommand),
    /// A policy bundle and a platform ("connector") user for an outside platform.
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
    /// Evaluate requests against policies offline, as AWS would decide them.
    Simulate(analyze::SimulateArgs),
    /// Every user and role allowed an action, and the statements that allow it.
    #[command(name = "who-can")]
    WhoCan(analyze::WhoCanArgs),
    /// What one user or role can do: services, access levels, risky permissions.
    Access(analyze::AccessArgs),
    /// Guard rails offline: no-new-access, access-not-granted, no-public-access (FAIL exits 4).
    #[command(subcommand)]
    Check(check::CheckCommand),
    /// Privilege escalation: who can gain more than they have, and the shortest path.
    Escalation(escalation::EscalationArgs),
    /// Check an IAM-as-code configuration directory offline (seed 004's layout).
    Validate(iac::ValidateArgs),
    /// Show what apply would change in each account, and who gains or loses what access.
    Plan(deploy::PlanArgs),
    /// Make every account match the configuration (bounded concurrency, adaptive retry).
    Apply(deploy::ApplyArgs),
    /// Remove temporary grants that have expired, found by their tags.
    Cleanup(deploy::CleanupArgs),
    /// Write the configuration that describes what an account holds (plan then shows no changes).
    Import(import::ImportArgs),
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

pub async fn run(ctx: &Ctx, cmd: Command) -> CmdResult {
    match cmd {
        Command::Whoami => whoami::run(ctx).await,
        Command::User(c) => user::run(ctx, c).await,
        Command::Key(c) => key::run(ctx, c).await,
        Command::Policy(c) => policy::run(ctx, c).await,
        Command::Role(c) => role::run(ctx, c).await,
        Command::Group(c) => group::run(ctx, c).await,
        Command::Account(c) => account::run(ctx, c).await,
        Command::Managed(c) => managed::run(ctx, c).await,
        Command::S3User(c) => s3user::run(ctx, c).await,
        Command::Connector(c) => connector::run(ctx, c).await,
        Command::Simulate(a) => analyze::simulate(ctx, a).await,
        Command::WhoCan(a) => analyze::who_can(ctx, a).await,
        Command::Access(a) => analyze::access(ctx, a).await,
        Command::Check(c) => check::run(ctx, c),
        Command::Escalation(a) => escalation::run(ctx, a).await,
        Command::Validate(a) => iac::validate(ctx, a),
        Command::Plan(a) => deploy::plan(ctx, a).await,
        Command::Apply(a) => deploy::apply(ctx, a).await,
        Command::Cleanup(a) => deploy::cleanup(ctx, a).await,
        Command::Import(a) => import::import(ctx, a).await,
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
