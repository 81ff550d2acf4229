//! `examples/github-actions/iamctl.yml` is YAML that the same parser as the
//! configuration reads, and it runs the commands the README says it runs.

use saphyr_parser::{Event, Parser};

#[test]
fn github_actions_example_parses_and_runs_the_iamctl_commands() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/github-actions/iamctl.yml");
    let text = std::fs::read_to_string(&path).expect("the workflow example");
    let mut parser = Parser::new_from_str(&text);
    let mut scalars = Vec::new();
    let mut top_keys = Vec::new();
    // One entry per open collection: for mappings, whether a key comes next.
    let mut stack: Vec<Option<bool>> = Vec::new();
    while let Some(event) = parser.next_event() {
        let (event, _) = event.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value_done = |stack: &mut Vec<Option<bool>>| {
            if let Some(Some(key_next)) = stack.last_mut() {
                *key_next = !*key_next;
            }
        };
        match event {
            Event::MappingStart(..) => stack.push(Some(true)),
            Event::SequenceStart(..) => stack.push(None),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                value_done(&mut stack);
            }
            Event::Scalar(s, ..) => {
                if stack.len() == 1 && stack[0] == Some(true) {
                    top_keys.push(s.to_string());
                }
                value_done(&mut stack);
                scalars.push(s.to_string());
            }
            _ => {}
        }
    }
    for key in ["name", "on", "concurrency", "permissions", "jobs"] {
        assert!(
            top_keys.iter().any(|k| k == key),
            "no top-level `{key}`: {top_keys:?}"
        );
    }
    let all = scalars.join("\n");
    for needle in [
        "pull_request",
        "schedule",
        "iamctl validate",
        "iamctl plan \"$CONFIG_DIR\" --format markdown --detailed-exitcode --out plan.json",
        "iamctl apply \"$CONFIG_DIR\" --yes",
        "iamctl cleanup \"$CONFIG_DIR\" --yes",
        "aws-actions/configure-aws-credentials@v4",
        "actions/github-script@v7",
        "id-token",
        "cancel-in-progress",
    ] {
        assert!(all.contains(needle), "the workflow lacks `{needle}`");
    }
}
