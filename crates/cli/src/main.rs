//! `iamctl`: manage AWS IAM from the command line.

mod commands;
mod common;
mod credfile;
mod ctx;
mod error;
mod sarif;

use clap::Parser;
use ctx::{Ctx, OutputFormat};
use error::{exit, CommandError, EXIT_CODES_HELP};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "iamctl",
    version,
    about = "Manage AWS IAM: users, access keys, policies, roles, groups and recipes",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
struct Cli {
    /// Named profile (else `AWS_PROFILE`); its credentials win over `AWS_ACCESS_KEY_ID`.
    #[arg(long, global = true, value_name = "P")]
    profile: Option<String>,
    /// AWS Region (else `AWS_REGION` or the profile's; IAM is global).
    #[arg(long, global = true, value_name = "R")]
    region: Option<String>,
    /// Endpoint for IAM, STS and S3 (else `AWS_ENDPOINT_URL`); S3 then uses path-style.
    #[arg(long, global = true, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Seconds to wait for a connection to AWS before failing (not retried).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 5.0)]
    connect_timeout: f64,
    /// `table` for people, `json` for one JSON document on stdout, `sarif` (policy lint, check, validate).
    #[arg(long, global = true, value_enum, default_value = "table")]
    output: OutputFormat,
    /// Answer yes to every confirmation (needed without a terminal).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    /// Say what a by-hand command would change (create, update, delete, attach,
    /// rotate, ...), read what it must, and change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    /// No colours.
    #[arg(long, global = true)]
    no_color: bool,
    /// MFA code for a role profile with `mfa_serial` (else asked on a terminal).
    #[arg(
        long,
        global = true,
        value_name = "CODE",
        env = "IAMCTL_MFA_CODE",
        hide_env_values = true
    )]
    mfa_code: Option<String>,
    /// More detail on stderr (-v, -vv). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: commands::Command,
}

fn init_tracing(verbose: u8, ansi: bool) {
    // The SDK's wire-level logs could show credentials: they stay off at every level.
    let filter = match verbose {
        0 => "iamctl=warn,iamctl_aws=warn,error",
        1 => "iamctl=info,iamctl_aws=info,aws_config=warn,error",
        _ => "iamctl=debug,iamctl_aws=debug,aws_config=info,warn",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
}

/// The clock: `IAMCTL_NOW` (RFC 3339) when set, else the system clock. Read once,
/// here, and passed down.
fn now() -> Result<jiff::Timestamp, CommandError> {
    match std::env::var("IAMCTL_NOW") {
        Ok(s) => s
            .parse()
            .map_err(|e| CommandError::usage(format!("`IAMCTL_NOW` is not a timestamp: {e}"))),
        Err(_) => Ok(jiff::Timestamp::now()),
    }
}

/// A closed stdout (`iamctl ... | head -1`) ends the command quietly, as other
/// command-line tools do. Rust ignores SIGPIPE, so a write to the closed pipe is an
/// error, and `println!` panics on it: this hook turns exactly that panic into a
/// quiet exit 0 and leaves every other panic to the default hook.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") || msg.contains("os error 32") {
            std::process::exit(i32::from(exit::SUCCESS));
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
        }
    };
    let color = !cli.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    init_tracing(cli.verbose, color);
    ctx::set_color(
        !cli.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::IsTerminal::is_terminal(&std::io::stdout()),
    );
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .build(),
        )
    }))
    .ok();
    if !(cli.connect_timeout.is_finite()
        && cli.connect_timeout > 0.0
        && cli.connect_timeout <= 3600.0)
    {
        eprint!(
            "{}",
            error::render(&miette::miette!(
                "`--connect-timeout` must be a number of seconds above 0 and at most 3600, not `{}`",
                cli.connect_timeout
            ))
        );
        return ExitCode::from(exit::USAGE);
    }
    let result = now().and_then(|now| {
        let mut ctx = Ctx::new(
            iamctl_aws::ConnectOptions {
                profile: cli.profile.clone(),
                region: cli.region.clone(),
                endpoint_url: cli.endpoint_url.clone(),
                connect_timeout: Some(std::time::Duration::from_secs_f64(cli.connect_timeout)),
                mfa: Some(ctx::MfaPrompt::shared(cli.mfa_code.clone())),
                now: Some(now.into()),
            },
            cli.output,
            cli.yes,
            now,
        );
        ctx.dry_run = cli.dry_run;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| CommandError::failure(format!("cannot start runtime: {e}")))?;
        let result = rt.block_on(commands::run(&ctx, cli.command));
        let retried = ctx.retried_attempts();
        if retried > 0 {
            eprintln!(
                "note: {retried} request attempt(s) were sent again by the SDK's adaptive retry (throttling or a transient failure)"
            );
        }
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e.kind, error::Kind::Silent(_)) {
                eprint!("{}", error::render(&e.report));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn help_documents_exit_codes() {
        let help = super::Cli::command().render_long_help().to_string();
        assert!(
            help.contains("Exit codes:") && help.contains("3  invalid input"),
            "{help}"
        );
    }
}
