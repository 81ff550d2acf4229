//! Profiling aid: a snapshot file's load, by stage (read, parse into the
//! typed `Snapshot`, compile into the engine's `Account`), best of N runs.
//!
//!   cargo run --release -p iamctl-policy --example prof_snapshot -- SNAPSHOT.json [N]
use std::time::{Duration, Instant};

use iamctl_policy::account::Account;
use iamctl_policy::snapshot::Snapshot;

fn main() {
    let path = std::env::args().nth(1).expect("snapshot path");
    let n: usize = std::env::args()
        .nth(2)
        .map_or(10, |n| n.parse().expect("a count"));
    let mut best = [Duration::MAX; 3];
    for _ in 0..n {
        let t = Instant::now();
        let text = std::fs::read_to_string(&path).expect("read");
        let read = t.elapsed();
        let t = Instant::now();
        let snapshot = Snapshot::from_json(&text).expect("snapshot");
        let parse = t.elapsed();
        let t = Instant::now();
        let account = Account::from_snapshot(&snapshot);
        let compile = t.elapsed();
        std::hint::black_box(&account);
        for (b, d) in best.iter_mut().zip([read, parse, compile]) {
            *b = (*b).min(d);
        }
    }
    eprintln!(
        "best of {n}: read {:?}, parse {:?}, compile {:?}",
        best[0], best[1], best[2]
    );
}
