//! Where an organisation question's time goes, in process: read, parse,
//! compile, who-can, access (best of N).
//!
//! `cargo run --release -p iamctl-policy --example prof_org -- org.json [N]`
//! over a snapshot `scripts/gen-org` writes.

use std::time::{Duration, Instant};

use iamctl_policy::catalog::catalog;
use iamctl_policy::eval::Context;
use iamctl_policy::org::{access, who_can, Organization};
use iamctl_policy::snapshot::org::{load, Loaded};

fn best(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: prof_org ORG.json [N]");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let read = best(n, || {
        std::fs::read_to_string(&path).expect("read");
    });
    let text = std::fs::read_to_string(&path).expect("read");
    let parse = best(n, || {
        load(&text).expect("parse");
    });
    let Ok(Loaded::Organization(snap)) = load(&text) else {
        panic!("not an organisation snapshot")
    };
    let compile = best(n, || {
        Organization::from_snapshot(&snap);
    });
    let org = Organization::from_snapshot(&snap);
    let actions = catalog().expand("s3:GetObject");
    let base = Context::new();
    let mut grants = 0;
    let query = best(n, || {
        grants = who_can(
            &org,
            &actions,
            Some("arn:aws:s3:::acct042-bucket03/reports/q3.csv"),
            &base,
        )
        .len();
    });
    let (m, p) = org
        .principal("user007", Some("acct042"))
        .expect("principal");
    let one = best(n, || {
        access(&org, m, p, &base);
    });
    println!(
        "read {:?}  parse {:?}  compile {:?}  who-can {:?} ({grants} grants over {} principals)  access {:?}",
        read,
        parse,
        compile,
        query,
        org.principal_count(),
        one
    );
}
