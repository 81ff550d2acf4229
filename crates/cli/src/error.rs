//! One error type for every command; its kind picks the exit code.

use iamctl_aws::{AwsError, ErrorKind as AwsKind};

/// Exit codes, as documented in `iamctl --help`.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INVALID_INPUT: u8 = 3;
    /// `check`: the policy failed the check.
    pub const CHECK_FAILED: u8 = 4;
    /// `apply`: every IAM change was applied but the master copy was not written.
    pub const MASTER_COPY_FAILED: u8 = 5;
    /// `apply`, `cleanup`: interrupted (Ctrl-C, SIGTERM); what was done is said.
    pub const INTERRUPTED: u8 = 130;
}

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  failure: AWS refused or failed (not found, access denied, conflict, throttled), or a
     safety check stopped the command (not managed by iamctl without --force, own identity)
  2  usage: bad flags, or a destructive command needed --yes and had no terminal to ask
  3  invalid input: names, ARNs, tags, policy JSON or limits, found before anything changed
  4  check failed: `iamctl check` or `plan --check` found what it checks for (FAIL)
  5  apply: every IAM change was applied, but the master copy was not written
130  interrupted (Ctrl-C, SIGTERM): apply and cleanup say what was done and release their locks";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Failure,
    Usage,
    InvalidInput,
    /// `check` answered FAIL.
    CheckFailed,
    /// Nothing to print; exit with this code (`plan --detailed-exitcode`).
    Silent(u8),
}

#[derive(Debug)]
pub struct CommandError {
    pub kind: Kind,
    pub report: miette::Report,
}

impl CommandError {
    pub fn failure(msg: impl Into<String>) -> Self {
        CommandError {
            kind: Kind::Failure,
            report: miette::miette!("{}", msg.into()),
        }
    }
    pub fn usage(msg: impl Into<String>) -> Self {
        CommandError {
            kind: Kind::Usage,
            report: miette::miette!("{}", msg.into()),
        }
    }
    pub fn invalid(msg: impl Into<String>) -> Self {
        CommandError {
            kind: Kind::InvalidInput,
            report: miette::miette!("{}", msg.into()),
        }
    }
    /// `check` answered FAIL (exit 4).
    pub fn check_failed(msg: impl Into<String>) -> Self {
        CommandError {
            kind: Kind::CheckFailed,
            report: miette::miette!("{}", msg.into()),
        }
    }
    /// A failure with a help line.
    pub fn failure_help(msg: impl Into<String>, help: impl Into<String>) -> Self {
        CommandError {
            kind: Kind::Failure,
            report: miette::miette!(help = help.into(), "{}", msg.into()),
        }
    }
    pub fn invalid_help(msg: impl Into<String>, help: impl Into<String>) -> Self {
        CommandError {
            kind: Kind::InvalidInput,
            report: miette::miette!(help = help.into(), "{}", msg.into()),
        }
    }
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Failure => exit::FAILURE,
            Kind::Usage => exit::USAGE,
            Kind::InvalidInput => exit::INVALID_INPUT,
            Kind::CheckFailed => exit::CHECK_FAILED,
            Kind::Silent(code) => code,
        }
    }

    /// Exit with `code` and print nothing more.
    pub fn silent(code: u8) -> Self {
        CommandError {
            kind: Kind::Silent(code),
            report: miette::miette!(""),
        }
    }
}

impl From<AwsError> for CommandError {
    fn from(e: AwsError) -> Self {
        let kind = match e.kind() {
            AwsKind::InvalidInput => Kind::InvalidInput,
            _ => Kind::Failure,
        };
        CommandError {
            kind,
            report: miette::Report::new(e),
        }
    }
}

/// A failed call of the IaC engine's backend, shown as the AWS error it was
/// (same code, message and help).
impl From<iamctl_iac::BackendError> for CommandError {
    fn from(e: iamctl_iac::BackendError) -> Self {
        use iamctl_iac::ErrorKind as B;
        let (kind, code) = match e.kind {
            B::NotFound => (Kind::Failure, "not_found"),
            B::AlreadyExists => (Kind::Failure, "already_exists"),
            B::LimitExceeded => (Kind::Failure, "limit_exceeded"),
            B::DeleteConflict => (Kind::Failure, "delete_conflict"),
            B::AccessDenied => (Kind::Failure, "access_denied"),
            B::Throttled => (Kind::Failure, "throttled"),
            B::InvalidInput => (Kind::InvalidInput, "invalid_input"),
            B::Connection => (Kind::Failure, "connection"),
            B::Other => (Kind::Failure, "other"),
            B::Interrupted => (Kind::Silent(exit::INTERRUPTED), "interrupted"),
        };
        let code = format!("iamctl::aws::{code}");
        let report = match e.help {
            Some(help) => miette::miette!(code = code, help = help, "{}", e.message),
            None => miette::miette!(code = code, "{}", e.message),
        };
        CommandError { kind, report }
    }
}

impl From<iamctl_policy::NameError> for CommandError {
    fn from(e: iamctl_policy::NameError) -> Self {
        CommandError {
            kind: Kind::InvalidInput,
            report: miette::Report::new(e),
        }
    }
}

impl From<iamctl_policy::DocumentError> for CommandError {
    fn from(e: iamctl_policy::DocumentError) -> Self {
        CommandError {
            kind: Kind::InvalidInput,
            report: miette::Report::new(e),
        }
    }
}

impl From<std::io::Error> for CommandError {
    fn from(e: std::io::Error) -> Self {
        CommandError::failure(format!("i/o error: {e}"))
    }
}

pub type CmdResult<T = ()> = Result<T, CommandError>;

/// How an error reads on stderr. Without a source span it is one line,
/// `error: ...`, and a `help:` line when there is help; with a span (a policy
/// document) miette draws the file excerpt. Diagnostic codes are for programs and
/// stay out of the text.
pub fn render(report: &miette::Report) -> String {
    use miette::Diagnostic;
    let diag: &dyn Diagnostic = report.as_ref();
    if diag.labels().is_none() {
        let mut s = format!("error: {report}\n");
        if let Some(help) = diag.help() {
            for (i, line) in help.to_string().lines().enumerate() {
                let lead = if i == 0 { "  help: " } else { "        " };
                s.push_str(&format!("{lead}{line}\n"));
            }
        }
        return s;
    }
    let full = format!("{report:?}");
    match diag.code().map(|c| c.to_string()) {
        Some(code) => full
            .strip_prefix(&code)
            .map(|rest| rest.trim_start_matches('\n').to_string())
            .unwrap_or(full),
        None => full,
    }
}

impl Kind {
    /// The word `--output json` uses for the kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Failure => "failure",
            Kind::Usage => "usage",
            Kind::InvalidInput => "invalid_input",
            Kind::CheckFailed => "check_failed",
            Kind::Silent(_) => "silent",
        }
    }
}

/// A failed command as its one JSON document (`--output json`):
/// `{"result": "failed", "error": {"kind", "code"?, "message", "hints",
/// "location"?, "exit_code"}}`; docs/output.md describes it.
pub fn json(kind: Kind, report: &miette::Report, exit_code: u8) -> serde_json::Value {
    use miette::Diagnostic;
    let diag: &dyn Diagnostic = report.as_ref();
    let hints: Vec<String> = diag
        .help()
        .map(|h| h.to_string().lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let message = report.to_string();
    let mut error = serde_json::json!({
        "kind": kind.as_str(),
        "message": message,
        "hints": hints,
        "exit_code": exit_code,
    });
    if let Some(code) = diag.code() {
        error["code"] = serde_json::json!(code.to_string());
    }
    let place = diag.labels().and_then(|mut l| l.next()).and_then(|label| {
        let contents = diag.source_code()?.read_span(label.inner(), 0, 0).ok()?;
        Some(serde_json::json!({
            "file": contents.name(),
            "line": contents.line() + 1,
            "column": contents.column() + 1,
        }))
    });
    if let Some(place) = place {
        error["location"] = place;
    }
    serde_json::json!({"result": "failed", "error": error})
}

/// Whether the command line asks for `--output json` (read before, or
/// without, clap: a usage error is answered in JSON too).
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    let mut json = false;
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        match a.as_ref() {
            "--" => break,
            "--output" => json = it.next().is_some_and(|v| v == "json"),
            other => {
                if let Some(v) = other.strip_prefix("--output=") {
                    json = v == "json";
                }
            }
        }
    }
    json
}

/// A usage error of clap's in our words: its message (without `error: `,
/// the usage and the `--help` line) and its tips as hints.
pub fn from_clap(e: &clap::Error) -> CommandError {
    let text = e.render().to_string();
    let mut message = Vec::new();
    let mut hints = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if let Some(tip) = line.strip_prefix("tip: ") {
            hints.push(tip.to_owned());
        } else if !line.is_empty() {
            message.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    let message = message.join(" ");
    match hints.is_empty() {
        true => CommandError::usage(message),
        false => CommandError {
            kind: Kind::Usage,
            report: miette::miette!(help = hints.join("\n"), "{message}"),
        },
    }
}
