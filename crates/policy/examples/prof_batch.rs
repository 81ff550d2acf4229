//! One `simulate --batch` worker over a snapshot, on one thread, timed
//! after the load: the loop `perf record` looks at. Not a benchmark of what a
//! user sees (`scripts/bench-engine` is).
//!
//! `cargo run --release -p iamctl-policy --example prof_batch -- SNAPSHOT LINES [REPEAT]`

use std::time::Instant;

use iamctl_policy::account::Account;
use iamctl_policy::eval::Context;
use iamctl_policy::simulate::BatchWorker;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(snapshot), Some(lines)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: prof_batch SNAPSHOT LINES [REPEAT]");
        std::process::exit(2);
    };
    let repeat: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(1);
    let t = Instant::now();
    let text = std::fs::read_to_string(snapshot).expect("snapshot");
    let snapshot = iamctl_policy::snapshot::Snapshot::from_json(&text).expect("snapshot");
    let account = Account::from_snapshot(&snapshot);
    let load = t.elapsed();
    let input = std::fs::read(lines).expect("lines");
    let base = Context::new();
    let mut worker = BatchWorker::new(Some(&account), &base);
    let mut out = Vec::with_capacity(input.len() * 2);
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..repeat {
        out.clear();
        n += worker
            .answer_block(&input, 1, &mut out)
            .expect("UTF-8")
            .requests;
    }
    let took = t.elapsed();
    eprintln!(
        "load {:.3} s; {n} lines in {:.3} s on one thread = {:.2} M lines/s; {} bytes out",
        load.as_secs_f64(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64() / 1e6,
        out.len()
    );
}
