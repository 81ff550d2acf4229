//! Scripted faults for the memory backend: which call fails, and how.
//!
//! A schedule is deterministic: explicit faults by call index or by the
//! n-th call of an API, plus optionally faults drawn from a seeded generator
//! (at a rate, up to a budget, so that repeated applies converge). It also
//! carries changes made "meanwhile" by someone else, before a given call.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::MemoryAccount;

/// What happens to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// No effect; the call answers `Throttled`.
    Throttled,
    /// The call takes effect, then its reply is lost: the caller sees
    /// `Other` and cannot tell whether it happened.
    LostReply,
    /// Someone else removed what the call is about just before it: a
    /// removal finds it gone (usually `NotFound`), any other call finds its
    /// entity deleted.
    NotFound,
}

impl Fault {
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Throttled => "throttled",
            Fault::LostReply => "lost reply",
            Fault::NotFound => "not found",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fault the backend injected: the call's index (0-based, over every
/// backend call), its API name and the fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    pub index: usize,
    pub api: &'static str,
    pub fault: Fault,
}

/// SplitMix64: small, seeded, good enough to pick faults.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

#[derive(Debug, Clone)]
struct Random {
    rng: Rng,
    /// Chance per call, in thousandths.
    per_mille: u32,
    /// Faults left to draw.
    budget: usize,
    kinds: Vec<Fault>,
    /// When set, only calls of these APIs (or trait methods) draw faults.
    only: Option<BTreeSet<String>>,
    /// Calls of these APIs (or trait methods) never draw faults.
    except: BTreeSet<String>,
    /// Calls before this index never draw faults.
    from: usize,
}

/// A change someone else makes to the account.
pub type Meanwhile = Box<dyn FnOnce(&mut MemoryAccount) + Send>;

/// Which calls fail and how; deterministic.
#[derive(Default)]
pub struct FaultSchedule {
    at: BTreeMap<usize, Fault>,
    /// (API or method name, n-th call of it counted from 0, fault).
    on: Vec<(String, usize, Fault)>,
    random: Option<Random>,
    meanwhile: BTreeMap<usize, Vec<Meanwhile>>,
}

impl fmt::Debug for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultSchedule")
            .field("at", &self.at)
            .field("on", &self.on)
            .field("random", &self.random)
            .field("meanwhile", &self.meanwhile.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl FaultSchedule {
    /// No faults.
    pub fn none() -> FaultSchedule {
        FaultSchedule::default()
    }

    /// The call of this index (0-based, over all calls) fails so.
    pub fn at(mut self, index: usize, fault: Fault) -> FaultSchedule {
        self.at.insert(index, fault);
        self
    }

    /// The `nth` (0-based) call of `api` fails so. `api` is an IAM API name
    /// (`DetachRolePolicy`, `CreatePolicyVersion`) or a backend method name
    /// (`detach`, `create_policy_version`).
    pub fn on(mut self, api: &str, nth: usize, fault: Fault) -> FaultSchedule {
        self.on.push((api.to_owned(), nth, fault));
        self
    }

    /// Each call fails with chance `per_mille`/1000, the fault drawn from
    /// `kinds`, at most `budget` times in all; seeded, so the same calls
    /// fail the same way. `NotFound` is only drawn for removals (detach,
    /// delete, remove, untag): a concurrent deletion of what apply means to
    /// remove anyway.
    pub fn random(mut self, seed: u64, per_mille: u32, budget: usize, kinds: &[Fault]) -> Self {
        self.random = Some(Random {
            rng: Rng::new(seed),
            per_mille,
            budget,
            kinds: kinds.to_vec(),
            only: None,
            except: BTreeSet::new(),
            from: 0,
        });
        self
    }

    /// Restricts random faults to calls of these APIs or methods.
    pub fn only(mut self, apis: &[&str]) -> FaultSchedule {
        if let Some(r) = &mut self.random {
            r.only = Some(apis.iter().map(|a| (*a).to_owned()).collect());
        }
        self
    }

    /// Keeps random faults off calls of these APIs or methods.
    pub fn except(mut self, apis: &[&str]) -> FaultSchedule {
        if let Some(r) = &mut self.random {
            r.except.extend(apis.iter().map(|a| (*a).to_owned()));
        }
        self
    }

    /// Random faults only from the call of this index on: with a rate of
    /// 1000 and a budget of one, the first call from there that may fail so
    /// does (a removal, for `NotFound`).
    pub fn from_call(mut self, index: usize) -> FaultSchedule {
        if let Some(r) = &mut self.random {
            r.from = index;
        }
        self
    }

    /// Before the call of this index, someone else changes the account.
    pub fn meanwhile(
        mut self,
        index: usize,
        change: impl FnOnce(&mut MemoryAccount) + Send + 'static,
    ) -> FaultSchedule {
        self.meanwhile
            .entry(index)
            .or_default()
            .push(Box::new(change));
        self
    }

    /// Random faults not drawn yet.
    pub fn budget_left(&self) -> usize {
        self.random.as_ref().map_or(0, |r| r.budget)
    }

    /// The changes due before call `index`.
    pub(crate) fn take_meanwhile(&mut self, index: usize) -> Vec<Meanwhile> {
        self.meanwhile.remove(&index).unwrap_or_default()
    }

    /// The same schedule with call indexes counted from `start`.
    pub(crate) fn shifted(mut self, start: usize) -> FaultSchedule {
        self.at = self.at.into_iter().map(|(i, f)| (i + start, f)).collect();
        self.meanwhile = self
            .meanwhile
            .into_iter()
            .map(|(i, m)| (i + start, m))
            .collect();
        if let Some(r) = &mut self.random {
            r.from += start;
        }
        self
    }

    /// The fault of call `index`, the `api`'s n-th call and the `method`'s
    /// n-th call; `removal` says whether the call removes something.
    pub(crate) fn decide(
        &mut self,
        index: usize,
        api: (&str, usize),
        method: (&str, usize),
        removal: bool,
    ) -> Option<Fault> {
        if let Some(f) = self.at.remove(&index) {
            return Some(f);
        }
        if let Some(i) = self.on.iter().position(|(name, n, _)| {
            (name == api.0 && *n == api.1) || (name == method.0 && *n == method.1)
        }) {
            return Some(self.on.remove(i).2);
        }
        let r = self.random.as_mut()?;
        if r.budget == 0 || r.kinds.is_empty() || index < r.from {
            return None;
        }
        if let Some(only) = &r.only {
            if !only.contains(api.0) && !only.contains(method.0) {
                return None;
            }
        }
        if r.except.contains(api.0) || r.except.contains(method.0) {
            return None;
        }
        // Both numbers drawn whatever happens, so that one call's
        // eligibility does not shift the faults of the next.
        let roll = r.rng.below(1000) as u32;
        let pick = r.rng.below(r.kinds.len() as u64) as usize;
        if roll >= r.per_mille {
            return None;
        }
        let fault = r.kinds[pick];
        if fault == Fault::NotFound && !removal {
            return None;
        }
        r.budget -= 1;
        Some(fault)
    }
}
