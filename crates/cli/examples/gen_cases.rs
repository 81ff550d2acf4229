//! Print the differential test's IAM authorization cases as JSON lines, in
//! `iamctl simulate --batch`'s format, for benchmarks and for the oracle:
//!
//! ```sh
//! cargo run -p iamctl --example gen_cases -- [N] [SEED] > cases.jsonl
//! node oracle/run.cjs --bench 3 < cases.jsonl
//! ```

#[path = "../tests/it/casegen.rs"]
mod casegen;

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = match args.next().map(|a| a.parse()) {
        None => 5000,
        Some(Ok(n)) => n,
        Some(Err(_)) => usage(),
    };
    let seed: u64 = match args.next().map(|a| a.parse()) {
        None => casegen::DEFAULT_SEED,
        Some(Ok(s)) => s,
        Some(Err(_)) => usage(),
    };
    let cases = casegen::generate(seed, n);
    let mut out = std::io::stdout().lock();
    if out.write_all(casegen::to_jsonl(&cases).as_bytes()).is_err() {
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: gen_cases [N] [SEED]");
    std::process::exit(2);
}
