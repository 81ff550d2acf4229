//! The documentation corpus: cases written from AWS's documentation, each
//! with the page (`url`) and the sentence that decides it (`quote`), held
//! against the engine. `tests/doc_corpus/gen.py` writes them; a case that
//! disagrees fails the test, named with its page and sentence.

use std::collections::BTreeSet;

use iamctl_policy::eval::decision;
use iamctl_policy::simulate::BatchRequest;
use serde_json::Value;

const CASES: &str = include_str!("doc_corpus/cases.jsonl");

struct Case {
    id: String,
    url: String,
    quote: String,
    expect: String,
    request: Value,
}

fn cases() -> Vec<Case> {
    CASES
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let mut v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("cases.jsonl:{}: not JSON: {e}", n + 1));
            let obj = v.as_object_mut().unwrap();
            let mut take = |k: &str| {
                obj.remove(k)
                    .and_then(|x| x.as_str().map(str::to_owned))
                    .unwrap_or_else(|| panic!("cases.jsonl:{}: no `{k}`", n + 1))
            };
            let (url, quote, expect) = (take("url"), take("quote"), take("expect"));
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            Case {
                id,
                url,
                quote,
                expect,
                request: v,
            }
        })
        .collect()
}

#[test]
fn every_documented_case_is_decided_as_the_documentation_says() {
    let cases = cases();
    let mut failures = Vec::new();
    for c in &cases {
        let req = match BatchRequest::from_json(&c.request) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: cannot be read: {}", c.id, e.message));
                continue;
            }
        };
        let got = req.evaluate().decision;
        let fast = decision(&req.request, &req.policy_set());
        if got.as_str() != c.expect || fast != got {
            failures.push(format!(
                "{}: expected {}, got {} (decision(): {})\n    {}\n    \"{}\"",
                c.id,
                c.expect,
                got.as_str(),
                fast.as_str(),
                c.url,
                c.quote
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documentation cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_corpus_is_large_cited_and_covers_every_rule() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut ids = BTreeSet::new();
    for c in &cases {
        assert!(ids.insert(c.id.clone()), "duplicate id `{}`", c.id);
        assert!(
            c.url.starts_with("https://docs.aws.amazon.com/"),
            "{}: not an AWS documentation page: {}",
            c.id,
            c.url
        );
        assert!(c.quote.len() >= 20, "{}: quote too short", c.id);
        assert!(
            ["allowed", "explicitDeny", "implicitDeny"].contains(&c.expect.as_str()),
            "{}: expect `{}`",
            c.id,
            c.expect
        );
    }
    // Every area of issue 9, by case-id prefix, with at least this many cases.
    let areas = [
        ("flow-", 10),
        ("same-", 15),
        ("cross-", 6),
        ("trust-", 5),            // rule 1
        ("kms-", 4),              // rule 1
        ("service-", 5),          // rule 2
        ("gci-", 3),              // rule 3
        ("np-", 8),               // rule 4 and NotPrincipal
        ("same-role-", 4),        // rule 5
        ("var-cond-inverted", 1), // rule 6
        ("var-deny-", 3),         // rule 6
        ("var-bool", 3),          // rule 7
        ("boundary-", 4),
        ("session-", 4),
        ("scp-", 5),
        ("rcp-", 3),
        ("notaction-", 4),
        ("notresource-", 4),
        ("str-", 10),
        ("num-", 6),
        ("date-", 6),
        ("bool-", 3),
        ("binary-", 2),
        ("ip-", 5),
        ("arn-", 5),
        ("ifexists-", 4),
        ("null-", 4),
        ("forall-", 4),
        ("forany-", 4),
        ("var-", 20),
    ];
    for (prefix, min) in areas {
        let n = cases.iter().filter(|c| c.id.starts_with(prefix)).count();
        assert!(n >= min, "`{prefix}*`: {n} case(s), want at least {min}");
    }
}

/// Rule 8, a refusal rather than a decision:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>
/// "You must use the Principal element in resource-based policies."
#[test]
fn statement_without_principal_is_refused_in_a_resource_policy() {
    let line = serde_json::json!({
        "id": "rule8", "principal": "arn:aws:iam::111122223333:user/alice",
        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "resourcePolicy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    });
    let err = BatchRequest::from_json(&line).unwrap_err();
    assert!(err.message.contains("`Principal`"), "{}", err.message);
    // The same statement as an identity policy is fine.
    let mut ok = line.clone();
    let doc = ok
        .as_object_mut()
        .unwrap()
        .remove("resourcePolicy")
        .unwrap();
    ok["identityPolicies"] = serde_json::json!([doc]);
    assert!(BatchRequest::from_json(&ok).is_ok());
}
