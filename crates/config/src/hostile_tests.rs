//! Pull-request YAML is untrusted input: alias bombs, deep nesting, huge
//! files and many keys each end quickly with one error at file:line.

use std::time::{Duration, Instant};

use super::*;

/// A directory holding one file `rel` with `text`.
fn dir_with(rel: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
    dir
}

/// Loads and validates, returning the errors and how long it took.
fn timed(dir: &std::path::Path) -> (Vec<Diagnostic>, Duration) {
    let start = Instant::now();
    let (_, ds) = check(dir, "2026-03-21T11:36:28Z".parse().expect("ts"));
    let took = start.elapsed();
    (ds.into_iter().filter(|d| d.is_error()).collect(), took)
}

/// The classic "billion laughs" in 12 lines: 9^9 (387 million) strings once
/// expanded. The loader stops at the first alias past its budget.
pub(crate) const ALIAS_BOMB: &str = "\
users:
  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
  j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]
  k: &k [*j,*j,*j,*j,*j,*j,*j,*j,*j]
";

#[test]
fn alias_bomb_is_refused_at_its_line() {
    assert_eq!(ALIAS_BOMB.lines().count(), 12);
    let dir = dir_with("users/t.yaml", ALIAS_BOMB);
    let (es, took) = timed(dir.path());
    assert_eq!(es.len(), 1, "{es:#?}");
    let e = &es[0];
    assert_eq!(e.file(), "users/t.yaml");
    // 9^6 = 531,441 nodes would be copied by the line of `g`; the budget of
    // 100,000 runs out on that line (`f` copies 9^5 = 59,049 per alias).
    assert!(e.message.contains("alias bomb"), "{}", e.message);
    assert!((6..=8).contains(&e.line()), "{e:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// Aliases a real configuration uses (a shared list of environments) are
/// fine and read as copies.
#[test]
fn modest_aliases_are_copies() {
    let text = "permanent-access:\n  - users: &people [ann, bo]\n    environments: &envs [dev]\n    grants: [x]\n  - users: *people\n    environments: *envs\n    grants: [y]\n";
    let dir = dir_with("permanent-access/t.yaml", text);
    let (config, ds) = load(dir.path());
    assert_eq!(ds, vec![]);
    let t = &config.teams["t"];
    assert_eq!(t.permanent[1].users.len(), 2);
    assert_eq!(t.permanent[1].environments[0].value, "dev");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    // 6,000 block sequences on one line (`- - - ... x`): 12 KB.
    let deep = format!("users:\n{}x\n", "- ".repeat(6000));
    let dir = dir_with("users/t.yaml", &deep);
    let (es, took) = timed(dir.path());
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_eq!((es[0].file(), es[0].line()), ("users/t.yaml", 2));
    assert!(
        es[0].message.contains("nest more than 256 deep"),
        "{}",
        es[0].message
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    // 6,000 flow lists: the parser's own limit, also an error at the spot.
    let deep = format!("users:\n  a: {}{}\n", "[".repeat(6000), "]".repeat(6000));
    let dir = dir_with("users/t.yaml", &deep);
    let (es, took) = timed(dir.path());
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_eq!((es[0].file(), es[0].line()), ("users/t.yaml", 2));
    assert!(took < Duration::from_secs(5), "{took:?}");
    // 2,000 block mappings, one per line, each a space deeper (2 MB).
    let mut deep = String::from("users:\n");
    for i in 0..2000 {
        deep.push_str(&" ".repeat(1 + i));
        deep.push_str("k:\n");
    }
    let dir = dir_with("users/t.yaml", &deep);
    let (es, took) = timed(dir.path());
    assert_eq!(es.len(), 1, "{es:#?}");
    assert!(
        es[0].message.contains("nest more than 256 deep"),
        "{}",
        es[0].message
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    // 255 levels are still read (no limit below what anyone writes).
    let ok = format!("users:\n{}x\n", "- ".repeat(250));
    let dir = dir_with("users/t.yaml", &ok);
    let (es, _) = timed(dir.path());
    assert!(es.iter().all(|e| !e.message.contains("deep")), "{es:#?}");
}

#[test]
fn a_50_mb_file_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("users/t.yaml");
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    let mut text = String::from("users:\n");
    let line = "  someone@example.com: {existing: true}\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    std::fs::write(&p, text).expect("write");
    let (es, took) = timed(dir.path());
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_eq!(es[0].file(), "users/t.yaml");
    assert!(
        es[0].message.contains("larger than 4 MiB"),
        "{}",
        es[0].message
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// 40,000 keys in one mapping, the last a repeat of the first: the
/// duplicate is found by a hash set, not by comparing every pair.
#[test]
fn many_keys_are_checked_in_linear_time() {
    let mut text = String::from("users:\n");
    for i in 0..40_000 {
        text.push_str(&format!("  u{i}: {{existing: true}}\n"));
    }
    text.push_str("  u0: {existing: true}\n");
    let dir = dir_with("users/t.yaml", &text);
    let start = Instant::now();
    let (config, ds) = load(dir.path());
    let took = start.elapsed();
    assert_eq!(ds.len(), 1, "{:#?}", &ds[..ds.len().min(3)]);
    assert_eq!((ds[0].line(), ds[0].column()), (40_002, 3));
    assert!(ds[0]
        .message
        .contains("duplicate key `u0`; it is first defined on line 2"));
    assert_eq!(config.teams["t"].users.len(), 40_000);
    // Quadratic comparison was 6.9 s here (800 million key comparisons).
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// A file just under the cap of realistic content is read in reasonable time.
#[test]
fn a_large_real_file_is_read() {
    let mut text = String::from("users:\n");
    let mut n = 0;
    while text.len() < 3 * 1024 * 1024 {
        text.push_str(&format!(
            "  user{n}@example.com:\n    path: /team/\n    tags: {{cost-centre: \"42\"}}\n"
        ));
        n += 1;
    }
    let dir = dir_with("users/t.yaml", &text);
    let start = Instant::now();
    let (config, ds) = load(dir.path());
    let took = start.elapsed();
    assert_eq!(ds, vec![]);
    assert_eq!(config.teams["t"].users.len(), n);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Many files just under the per-file cap: reading stops at 32 MiB in all.
#[test]
fn the_directory_as_a_whole_is_capped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("users:\n");
    let line = "  # padding padding padding padding padding padding padding\n";
    while text.len() + line.len() < 4 * 1024 * 1024 {
        text.push_str(line);
    }
    std::fs::create_dir_all(dir.path().join("users")).expect("mkdir");
    for i in 0..10 {
        std::fs::write(dir.path().join(format!("users/t{i}.yaml")), &text).expect("write");
    }
    let start = Instant::now();
    let (config, ds) = load(dir.path());
    let took = start.elapsed();
    // Files are read while less than 32 MiB have been: nine of just under
    // 4 MiB each are read, the tenth is refused.
    assert_eq!(config.sources.len(), 9, "{ds:#?}");
    let refused: Vec<_> = ds
        .iter()
        .filter(|d| d.message.contains("was not read"))
        .map(|d| d.file().to_owned())
        .collect();
    assert_eq!(refused, ["users/t9.yaml"]);
    assert!(took < Duration::from_secs(10), "{took:?}");
}
