//! `iamctl check`: guard rails decided offline with the evaluation engine.
//! PASS exits 0, FAIL exits 4 with the reasons (and the request that proves
//! each) on stdout.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use iamctl_policy::check::{self, CheckType, Doc, Report, Verdict};

use crate::ctx::{Ctx, OutputFormat};
use crate::error::{CmdResult, CommandError};
use crate::sarif;

#[derive(Subcommand, Debug)]
pub enum CheckCommand {
    /// FAIL when NEW allows any request BASE does not, with witness requests.
    #[command(name = "no-new-access")]
    NoNewAccess(NoNewAccessArgs),
    /// FAIL when the policy grants any of the actions, naming the statement.
    #[command(name = "access-not-granted")]
    AccessNotGranted(AccessNotGrantedArgs),
    /// FAIL when a resource-based or trust policy lets any account in without a
    /// condition that restricts who.
    #[command(name = "no-public-access")]
    NoPublicAccess(NoPublicAccessArgs),
}

/// What kind of policy is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Identity,
    Resource,
    Trust,
    Scp,
}

impl From<Kind> for CheckType {
    fn from(k: Kind) -> CheckType {
        match k {
            Kind::Identity => CheckType::Identity,
            Kind::Resource => CheckType::Resource,
            Kind::Trust => CheckType::Trust,
            Kind::Scp => CheckType::Scp,
        }
    }
}

#[derive(Args, Debug)]
pub struct NoNewAccessArgs {
    /// The policy as it is now.
    #[arg(long, value_name = "OLD")]
    pub base: PathBuf,
    /// The policy as it would become (`-` for stdin).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[arg(long = "type", value_enum, default_value = "identity")]
    pub kind: Kind,
}

#[derive(Args, Debug)]
pub struct AccessNotGrantedArgs {
    /// The policy file.
    pub policy: PathBuf,
    /// Actions that must not be granted (wildcards expand over AWS's action list).
    #[arg(long = "action", value_name = "ACTION", required = true)]
    pub actions: Vec<String>,
    /// Resources to check them on (default: every resource the search covers).
    #[arg(long = "resource", value_name = "ARN")]
    pub resources: Vec<String>,
    #[arg(long = "type", value_enum, default_value = "identity")]
    pub kind: Kind,
}

#[derive(Args, Debug)]
pub struct NoPublicAccessArgs {
    /// The resource-based or trust policy file.
    pub policy: PathBuf,
    /// Access Analyzer's resource type, e.g. `AWS::S3::Bucket`, `AWS::SQS::Queue`,
    /// `AWS::KMS::Key`, `AWS::IAM::AssumeRolePolicyDocument`.
    #[arg(long, value_name = "TYPE")]
    pub resource_type: String,
}

pub fn run(ctx: &Ctx, cmd: CheckCommand) -> CmdResult {
    match cmd {
        CheckCommand::NoNewAccess(a) => {
            let old = read(&a.base)?;
            let new = read(&a.new)?;
            let report = check::no_new_access(&old, &new, a.kind.into());
            finish(ctx, "no-new-access", &report)
        }
        CheckCommand::AccessNotGranted(a) => {
            let doc = read(&a.policy)?;
            let report = check::access_not_granted(&doc, a.kind.into(), &a.actions, &a.resources)
                .map_err(invalid)?;
            finish(ctx, "access-not-granted", &report)
        }
        CheckCommand::NoPublicAccess(a) => {
            let doc = read(&a.policy)?;
            let report = check::no_public_access(&doc, &a.resource_type).map_err(invalid)?;
            finish(ctx, "no-public-access", &report)
        }
    }
}

fn invalid(e: check::CheckError) -> CommandError {
    CommandError {
        kind: crate::error::Kind::InvalidInput,
        report: miette::Report::new(e),
    }
}

/// Reads a policy file (`-`: stdin, named `<stdin>`).
fn read(path: &Path) -> CmdResult<Doc> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        return Doc::parse("<stdin>", &text).map_err(invalid);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    Doc::parse(&path.display().to_string(), &text).map_err(invalid)
}

/// The SARIF rule of each check.
pub fn rule(check: &str) -> sarif::Rule {
    let (id, description) = match check {
        "no-new-access" => (
            "NO_NEW_ACCESS",
            "the new policy allows a request the base policy does not",
        ),
        "access-not-granted" => (
            "ACCESS_GRANTED",
            "the policy grants an action it must not grant",
        ),
        _ => (
            "PUBLIC_ACCESS",
            "the policy lets any account in without a condition that restricts who",
        ),
    };
    sarif::Rule {
        id: id.to_owned(),
        description: description.to_owned(),
    }
}

fn finish(ctx: &Ctx, name: &str, report: &Report) -> CmdResult {
    match ctx.output {
        OutputFormat::Sarif => {
            let rule = rule(name);
            let findings: Vec<sarif::Finding> = report
                .reasons
                .iter()
                .map(|r| sarif::Finding {
                    rule: rule.id.clone(),
                    level: sarif::Level::Error,
                    message: match &r.simulate {
                        Some(cmd) => format!("{}; see: {cmd}", r.message),
                        None => r.message.clone(),
                    },
                    file: r
                        .statement
                        .as_ref()
                        .map_or_else(String::new, |s| s.file.clone()),
                    line: r.statement.as_ref().map_or(1, |s| s.line),
                    column: r.statement.as_ref().map_or(1, |s| s.column),
                })
                .collect();
            sarif::print(&[rule], &findings)?;
        }
        OutputFormat::Json => ctx.emit(report, |_| String::new())?,
        _ => {
            let mut out = format!("{name}: {}\n", report.verdict);
            for r in &report.reasons {
                match &r.statement {
                    Some(s) => out.push_str(&format!(
                        "{}:{}:{}: {}\n",
                        s.file, s.line, s.column, r.message
                    )),
                    None => out.push_str(&format!("{}\n", r.message)),
                }
                if let Some(cmd) = &r.simulate {
                    out.push_str(&format!("    {cmd}\n"));
                }
            }
            if let Some(n) = report.actions_with_new_access {
                if n > report.reasons.len() {
                    out.push_str(&format!(
                        "... and {} more action(s) with new access\n",
                        n - report.reasons.len()
                    ));
                }
            }
            crate::ctx::print_out(&out)?;
        }
    }
    ctx.status(format!(
        "searched {} action(s), {} request(s)",
        report.searched.actions, report.searched.requests
    ));
    match report.verdict {
        Verdict::Pass => Ok(()),
        Verdict::Fail => Err(CommandError::check_failed(format!(
            "{name}: FAIL ({} reason(s))",
            report.reasons.len()
        ))),
    }
}
