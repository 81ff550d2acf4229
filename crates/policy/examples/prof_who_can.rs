//! Profiling aid: `who_can('*')` and `access` over a snapshot file, timed by stage.
//!
//!   cargo run --release -p iamctl-policy --example prof_who_can -- SNAPSHOT.json
use iamctl_policy::account::Account;
use iamctl_policy::analysis;
use iamctl_policy::catalog::catalog;
use iamctl_policy::eval::Context;

fn main() {
    let path = std::env::args().nth(1).expect("snapshot path");
    let t = std::time::Instant::now();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let account = Account::from_snapshot(&doc).expect("snapshot");
    eprintln!("load {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let actions = catalog().expand("*");
    eprintln!("catalog {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let grants = analysis::who_can(&account, &actions, None, &Context::new(), None);
    eprintln!("who_can {:?} ({} grants)", t.elapsed(), grants.len());
}
