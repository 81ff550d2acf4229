//! Breadth-first search over the attacker's states, shared by every
//! starting principal: a state's hops are worked out once, when a search
//! first reaches it.

use std::collections::{HashMap, VecDeque};

use super::graph::Graph;
use super::hops::{self, Out, State};
use super::{EscalationPath, Step};

struct Node {
    state: State,
    out: Option<Out>,
    /// The state each hop leads to.
    to: Vec<usize>,
}

/// Every state met so far, and what each can do.
struct Memo<'g, 'a> {
    g: &'g Graph<'a>,
    nodes: Vec<Node>,
    /// States with groups joined.
    index: HashMap<State, usize>,
    /// States without (nearly all): by principal, then MFA and source
    /// identity as two bits, found without hashing.
    plain: Vec<[Option<usize>; 4]>,
}

impl<'g, 'a> Memo<'g, 'a> {
    fn intern(&mut self, state: State) -> usize {
        let bits = usize::from(state.mfa) | usize::from(state.source) << 1;
        let found = if state.joined.is_empty() {
            self.plain[state.principal][bits]
        } else {
            self.index.get(&state).copied()
        };
        if let Some(i) = found {
            return i;
        }
        let i = self.nodes.len();
        if state.joined.is_empty() {
            self.plain[state.principal][bits] = Some(i);
        } else {
            self.index.insert(state.clone(), i);
        }
        self.nodes.push(Node {
            state,
            out: None,
            to: Vec::new(),
        });
        i
    }

    /// Works out the hops of node `i`, once.
    fn expand(&mut self, i: usize) {
        if self.nodes[i].out.is_some() {
            return;
        }
        let out = hops::out(self.g, &self.nodes[i].state);
        let to = out.hops.iter().map(|h| self.intern(h.to.clone())).collect();
        self.nodes[i].out = Some(out);
        self.nodes[i].to = to;
    }

    fn out(&self, i: usize) -> &Out {
        self.nodes[i].out.as_ref().expect("expanded")
    }
}

/// The shortest path of each starting principal.
pub(super) fn paths(g: &Graph<'_>, starts: &[usize], target: Option<usize>) -> Vec<EscalationPath> {
    let mut memo = Memo {
        g,
        nodes: Vec::new(),
        index: HashMap::new(),
        plain: vec![[None; 4]; g.account.principals.len()],
    };
    let mut parent = Parents::default();
    let mut out = Vec::new();
    for &s in starts {
        if (target.is_none() && g.admin[s]) || target == Some(s) {
            continue;
        }
        let start = memo.intern(State {
            principal: s,
            joined: Vec::new(),
            mfa: hops::can_enable_mfa(g, s, &[]),
            source: false,
        });
        let found = search(&mut memo, &mut parent, start, target, false)
            .or_else(|| search(&mut memo, &mut parent, start, target, true));
        if let Some(steps) = found {
            out.push(EscalationPath {
                principal: g.arn(s).to_owned(),
                target: target.map_or_else(|| "admin".to_owned(), |t| g.arn(t).to_owned()),
                if_resource_exists: steps.iter().any(|x| x.if_resource_exists),
                steps,
            });
        }
    }
    out
}

/// The state each state of one search was entered from (and by which
/// hop), kept between searches: an entry counts only when stamped with the
/// current search.
#[derive(Default)]
struct Parents {
    search: u32,
    /// (search, previous state, hop index); `usize::MAX` for the start.
    entries: Vec<(u32, usize, usize)>,
}

impl Parents {
    fn begin(&mut self, start: usize) {
        self.search += 1;
        self.set(start, usize::MAX, 0);
    }

    fn get(&self, z: usize) -> Option<(usize, usize)> {
        match self.entries.get(z) {
            Some(&(s, from, hop)) if s == self.search => Some((from, hop)),
            _ => None,
        }
    }

    fn set(&mut self, z: usize, from: usize, hop: usize) {
        if self.entries.len() <= z {
            self.entries.resize(z + 1, (0, 0, 0));
        }
        self.entries[z] = (self.search, from, hop);
    }
}

/// Breadth-first from `start`: the fewest hops to the target. Hops that
/// need a resource the snapshot cannot show only when `conditional`.
fn search(
    memo: &mut Memo<'_, '_>,
    parent: &mut Parents,
    start: usize,
    target: Option<usize>,
    conditional: bool,
) -> Option<Vec<Step>> {
    // A state is entered once.
    parent.begin(start);
    let mut queue = VecDeque::from([start]);
    while let Some(z) = queue.pop_front() {
        memo.expand(z);
        let chain = chain(parent, z);
        if let Some(steps) = reached(memo, &chain, start, target) {
            return Some(steps);
        }
        for hi in 0..memo.nodes[z].to.len() {
            let to = memo.nodes[z].to[hi];
            let hop = &memo.out(z).hops[hi];
            if parent.get(to).is_some() || (hop.step.if_resource_exists && !conditional) {
                continue;
            }
            parent.set(to, z, hi);
            queue.push_back(to);
        }
    }
    None
}

/// The states from the start to `z` and the hop into each (none for the
/// start).
fn chain(parent: &Parents, z: usize) -> Vec<(usize, Option<usize>)> {
    let mut out = vec![];
    let mut cur = z;
    loop {
        match parent.get(cur) {
            Some((from, hop)) if from != usize::MAX => {
                out.push((cur, Some(hop)));
                cur = from;
            }
            _ => {
                out.push((cur, None));
                break;
            }
        }
    }
    out.reverse();
    out
}

/// The steps, when the last state of `chain` is the target: an
/// administrator (or a principal an earlier state wrote into one), or the
/// principal asked for.
fn reached(
    memo: &Memo<'_, '_>,
    chain: &[(usize, Option<usize>)],
    start: usize,
    target: Option<usize>,
) -> Option<Vec<Step>> {
    let g = memo.g;
    let (z, _) = *chain.last()?;
    let state = &memo.nodes[z].state;
    let write = match target {
        Some(t) if z != start && state.principal == t => None,
        Some(_) => return None,
        None if z != start && memo.out(z).admin => None,
        None if !g.gained[state.principal] => return None,
        // A write by a state on the path (or this one) that reaches this
        // state: it happens right after its writer is reached.
        None => Some(chain.iter().enumerate().find_map(|(at, &(a, _))| {
            let w = memo
                .out(a)
                .writes
                .iter()
                .find(|w| hops::touches(g, state, w.target))?;
            let mut s = w.step.clone();
            s.effect.push_str(&hops::holder(g, state, w.target));
            Some((at, s))
        })?),
    };
    let mut steps: Vec<Step> = Vec::new();
    for w in 1..chain.len() {
        let (from, _) = chain[w - 1];
        let hop = &memo.out(from).hops[chain[w].1?];
        steps.push(hops::name_deferred(g, &memo.nodes[from].state, hop));
    }
    if let Some((at, s)) = write {
        steps.insert(at, s);
    }
    Some(steps)
}
