//! Saved plans: the plan file `plan --out` writes and `apply --plan`
//! reads, bound to the configuration tree, and how a saved plan differs from
//! a fresh one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Plan;

/// The version of the plan file format `plan --out` writes. 3: conflicts
/// and warnings are objects (`kind`, its fields, `message`), no longer
/// strings; a plan may hold `delete-group`.
pub const PLAN_FORMAT_VERSION: u32 = 3;

/// What `plan --out` saves and `apply --plan` reads: the plans, bound to the
/// configuration tree they were made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Always `iamctl-plan`.
    pub format: String,
    /// [`PLAN_FORMAT_VERSION`].
    pub version: u32,
    /// [`config_digest`] of the configuration directory.
    pub config_sha256: String,
    /// The instant the plan was made as of (RFC 3339).
    pub at: String,
    pub plans: Vec<Plan>,
    /// The Identity Center instance's plan, when the configuration has
    /// `settings.identity_center`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_center: Option<crate::identity_center::change::IcPlan>,
}

impl PlanFile {
    pub fn new(config_sha256: String, at: String, plans: Vec<Plan>) -> PlanFile {
        PlanFile {
            format: "iamctl-plan".to_owned(),
            version: PLAN_FORMAT_VERSION,
            config_sha256,
            at,
            plans,
            identity_center: None,
        }
    }

    /// Reads a saved plan, refusing other formats and versions.
    pub fn parse(text: &str) -> Result<PlanFile, String> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| format!("{}:{}: not JSON: {e}", e.line(), e.column()))?;
        if v.get("format").and_then(Value::as_str) != Some("iamctl-plan") {
            return Err(
                "not a plan saved by this version of `iamctl plan --out` (no `format: iamctl-plan`)"
                    .to_owned(),
            );
        }
        match v.get("version").and_then(Value::as_u64) {
            Some(n) if n == u64::from(PLAN_FORMAT_VERSION) => {}
            other => {
                return Err(format!(
                    "plan format version {}, this iamctl reads version {PLAN_FORMAT_VERSION}",
                    other.map_or_else(|| "missing".to_owned(), |n| n.to_string())
                ))
            }
        }
        serde_json::from_value(v).map_err(|e| format!("not a valid plan: {e}"))
    }
}

/// SHA-256 of a configuration tree: each file's path (relative, `/`
/// separated) and contents, in path order, each length-prefixed.
pub fn config_digest(files: &[(String, Vec<u8>)]) -> String {
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = Vec::new();
    for (path, body) in files {
        data.extend_from_slice(&(path.len() as u64).to_be_bytes());
        data.extend_from_slice(path.as_bytes());
        data.extend_from_slice(&(body.len() as u64).to_be_bytes());
        data.extend_from_slice(body);
    }
    sha256::hex(&data)
}

/// FIPS 180-4 SHA-256, for [`config_digest`] (no dependency for 40 lines).
pub(crate) mod sha256 {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub(crate) fn hex(data: &[u8]) -> String {
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut msg = data.to_vec();
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
        for block in msg.chunks_exact(64) {
            let mut w = [0u32; 64];
            for (i, word) in block.chunks_exact(4).enumerate() {
                w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
            for i in 0..64 {
                let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
                let ch = (e & f) ^ (!e & g);
                let t1 = hh
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
                let maj = (a & b) ^ (a & c) ^ (b & c);
                let t2 = s0.wrapping_add(maj);
                hh = g;
                g = f;
                f = e;
                e = d.wrapping_add(t1);
                d = c;
                c = b;
                b = a;
                a = t1.wrapping_add(t2);
            }
            for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
                *x = x.wrapping_add(y);
            }
        }
        h.iter().map(|x| format!("{x:08x}")).collect()
    }
}

/// Why a saved plan is not what a fresh plan of the same configuration
/// would do: the first difference, or `None` when they are the same.
pub fn first_difference(saved: &Plan, fresh: &Plan) -> Option<String> {
    if saved.account_id != fresh.account_id {
        return Some(format!(
            "the saved plan names account `{}`, the configuration `{}`",
            saved.account_id, fresh.account_id
        ));
    }
    for (i, pair) in saved.changes.iter().zip(&fresh.changes).enumerate() {
        if pair.0 != pair.1 {
            return Some(format!(
                "change {} of the saved plan is `{}`, a fresh plan has `{}` there",
                i + 1,
                pair.0.summary(),
                pair.1.summary()
            ));
        }
    }
    let n = fresh.changes.len();
    if let Some(extra) = saved.changes.get(n) {
        return Some(format!(
            "change {} of the saved plan, `{}`, is not in a fresh plan (which has {n} change(s))",
            n + 1,
            extra.summary()
        ));
    }
    if let Some(missing) = fresh.changes.get(saved.changes.len()) {
        return Some(format!(
            "a fresh plan also has `{}`, which the saved plan lacks",
            missing.summary()
        ));
    }
    if saved.conflicts != fresh.conflicts {
        return Some("the saved plan's conflicts differ from a fresh plan's".to_owned());
    }
    None
}
