//! `eval::decision` (the allocation-free decision) must give exactly what
//! `eval::evaluate` gives, on every generated case of the differential test.

#[path = "../../cli/tests/it/casegen.rs"]
mod casegen;

use iamctl_policy::eval::{decision, evaluate};
use iamctl_policy::simulate::BatchRequest;

#[test]
fn decision_equals_evaluate_on_every_generated_case() {
    let cases = casegen::generate(casegen::DEFAULT_SEED, 12_000);
    let mut checked = 0;
    for line in casegen::to_jsonl(&cases).lines() {
        let req = BatchRequest::parse(line).expect("generated cases compile");
        let set = req.policy_set();
        assert_eq!(
            decision(&req.request, &set),
            evaluate(&req.request, &set).decision,
            "{line}"
        );
        checked += 1;
    }
    assert_eq!(checked, 12_000);
}
