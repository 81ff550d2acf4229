//! Any text as a `simulate --batch` line: reading it never panics, and a line
//! that compiles is evaluated (which never fails). The same text goes through
//! the linter as every kind of policy.
#![no_main]

use iamctl_policy::lint::{lint, PolicyType};
use iamctl_policy::simulate::{evaluation_to_json, BatchRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match BatchRequest::parse(text) {
        Ok(req) => {
            let evaluation = req.evaluate();
            let answer = evaluation_to_json(&req.id, &evaluation);
            assert!(answer.get("decision").is_some());
        }
        Err(e) => {
            let _ = e.to_json();
        }
    }
    for kind in [
        PolicyType::Identity,
        PolicyType::Resource,
        PolicyType::Trust,
        PolicyType::Scp,
        PolicyType::Rcp,
    ] {
        let report = lint("fuzz.json", text, kind);
        for f in &report.findings {
            assert!(f.line >= 1 && f.column >= 1, "{f:?}");
        }
    }
});
