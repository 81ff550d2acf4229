//! `iamctl`: manage AWS IAM from the command line.

mod aws_args;
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
    /// More detail on stderr (-v, -vv). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Before the command; each command that calls AWS also takes them after its name.
    #[command(flatten)]
    aws: aws_args::AwsArgs,
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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::SUCCESS;
            }
            if error::wants_json(&args) {
                print_json_error(&error::from_clap(&e));
            }
            return ExitCode::from(exit::USAGE);
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
    // The options given after the command win over those given before it.
    let aws = match cli.command.aws() {
        Some(after) => after.or(&cli.aws),
        None => cli.aws.clone(),
    };
    let connect_timeout = aws
        .connect_timeout
        .unwrap_or(aws_args::DEFAULT_CONNECT_TIMEOUT);
    if !(connect_timeout.is_finite() && connect_timeout > 0.0 && connect_timeout <= 3600.0) {
        return finish(
            Err(CommandError::usage(format!(
                "`--connect-timeout` must be a number of seconds above 0 and at most 3600, not `{}`",
                connect_timeout
            ))),
            cli.output,
        );
    }
    let result = now().and_then(|now| {
        let mut ctx = Ctx::new(
            iamctl_aws::ConnectOptions {
                profile: aws.profile.clone(),
                region: aws.region.clone(),
                endpoint_url: aws.endpoint_url.clone(),
                connect_timeout: Some(std::time::Duration::from_secs_f64(connect_timeout)),
                mfa: Some(ctx::MfaPrompt::shared(aws.mfa_code.clone())),
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
    finish(result, cli.output)
}

/// The one place a command's error becomes output: on stderr for people,
/// and with `--output json`, unless the command already wrote its document,
/// as one JSON document on stdout.
fn finish(result: Result<(), CommandError>, output: OutputFormat) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e.kind, error::Kind::Silent(_)) {
                eprint!("{}", error::render(&e.report));
                if output == OutputFormat::Json && !ctx::stdout_used() {
                    print_json_error(&e);
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn print_json_error(e: &CommandError) {
    let doc = error::json(e.kind, &e.report, e.exit_code());
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let _ = ctx::print_out(&format!("{text}\n"));
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Issue 20: the commands that never call AWS list no AWS option, and
    /// every other command lists all of them (after its name, as in `iamctl
    /// user list --profile p`).
    #[test]
    fn only_commands_that_call_aws_take_aws_options() {
        fn leaves(cmd: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
            let subs: Vec<_> = cmd
                .get_subcommands()
                .filter(|c| c.get_name() != "help")
                .collect();
            if subs.is_empty() {
                out.push((path.clone(), cmd.clone()));
            }
            for sub in subs {
                leaves(
                    sub,
                    format!("{path} {}", sub.get_name()).trim().to_owned(),
                    out,
                );
            }
        }
        let mut cmd = super::Cli::command();
        cmd.build();
        let mut all = Vec::new();
        leaves(&cmd, String::new(), &mut all);
        let offline = [
            "policy lint",
            "check no-new-access",
            "check access-not-granted",
            "check no-public-access",
            "validate",
            "snapshot merge",
            "completions",
            "man",
        ];
        for (path, mut leaf) in all {
            let help = leaf.render_long_help().to_string();
            for option in [
                "--profile",
                "--region",
                "--endpoint-url",
                "--connect-timeout",
            ] {
                let listed = help.contains(&format!("{option} <"));
                assert_eq!(
                    listed,
                    !offline.contains(&path.as_str()),
                    "`iamctl {path} --help` and {option}:\n{help}"
                );
            }
        }
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
