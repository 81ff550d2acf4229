//! SARIF 2.1.0 output (`--output sarif`), so GitHub code scanning shows
//! findings on the lines of a pull request. Built with `serde-sarif`'s
//! types, which are generated from the SARIF 2.1.0 schema.

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::error::{CmdResult, CommandError};

/// The schema URI SARIF 2.1.0 logs name.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// How much a finding matters, in SARIF's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// One finding at a place in a file.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

/// A rule: its id and what it means.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
}

/// A file name as a URI reference: characters a URI cannot hold
/// (spaces, `<stdin>`'s brackets, backslashes) percent-encoded.
pub fn uri(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF log of one run of iamctl.
pub fn log(rules: &[Rule], findings: &[Finding]) -> Sarif {
    let descriptors: Vec<ReportingDescriptor> = rules
        .iter()
        .map(|r| {
            ReportingDescriptor::builder()
                .id(r.id.clone())
                .short_description(
                    MultiformatMessageString::builder()
                        .text(r.description.clone())
                        .build(),
                )
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("iamctl")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    let results: Vec<SarifResult> = findings
        .iter()
        .map(|f| {
            let region = Region::builder()
                .start_line(f.line.max(1) as i64)
                .start_column(f.column.max(1) as i64)
                .build();
            let location = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(ArtifactLocation::builder().uri(uri(&f.file)).build())
                        .region(region)
                        .build(),
                )
                .build();
            let mut result = SarifResult::builder()
                .rule_id(f.rule.clone())
                .level(match f.level {
                    Level::Error => ResultLevel::Error,
                    Level::Warning => ResultLevel::Warning,
                    Level::Note => ResultLevel::Note,
                })
                .message(Message::builder().text(f.message.clone()).build())
                .locations(vec![location])
                .build();
            if let Some(i) = rules.iter().position(|r| r.id == f.rule) {
                result.rule_index = Some(i as i64);
            }
            result
        })
        .collect();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// Prints the log on stdout.
pub fn print(rules: &[Rule], findings: &[Finding]) -> CmdResult {
    let text = serde_json::to_string_pretty(&log(rules, findings))
        .map_err(|e| CommandError::failure(format!("cannot encode SARIF: {e}")))?;
    crate::ctx::print_out(&format!("{text}\n"))
}
