//! Profiling aid: `who_can('*')` and `access` over a snapshot file, timed by stage.
//!
//!   cargo run --release -p iamctl-policy --example prof_who_can -- SNAPSHOT.json
use iamctl_policy::account::Account;
use iamctl_policy::analysis;
use iamctl_policy::catalog::catalog;
use iamctl_policy::eval::Context;
use iamctl_policy::snapshot::Snapshot;

fn main() {
    let path = std::env::args().nth(1).expect("snapshot path");
    if let Some(n) = std::env::args().nth(2) {
        // Loads only, `n` times (to profile the load).
        let text = std::fs::read_to_string(&path).expect("read");
        let t = std::time::Instant::now();
        for _ in 0..n.parse::<usize>().expect("a count") {
            let snapshot = Snapshot::from_json(&text).expect("snapshot");
            std::hint::black_box(Account::from_snapshot(&snapshot));
        }
        eprintln!("loads {:?}", t.elapsed());
        return;
    }
    let t = std::time::Instant::now();
    let snapshot =
        Snapshot::from_json(&std::fs::read_to_string(path).expect("read")).expect("snapshot");
    let account = Account::from_snapshot(&snapshot);
    eprintln!("load {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let actions = catalog().expand("*");
    eprintln!("catalog {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let grants = analysis::who_can(&account, &actions, None, &Context::new(), None);
    eprintln!("who_can {:?} ({} grants)", t.elapsed(), grants.len());
}
