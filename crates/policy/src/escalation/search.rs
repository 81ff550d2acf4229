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
    index: HashMap<State, usize>,
}

impl<'g, 'a> Memo<'g, 'a> {
    fn intern(&mut self, state: State) -> usize {
        if let Some(&i) = self.index.get(&state) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(state.clone(), i);
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
    };
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
        let found = search(&mut memo, start, target, false)
            .or_else(|| search(&mut memo, start, target, true));
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

/// Breadth-first from `start`: the fewest hops to the target. Hops that
/// need a resource the snapshot cannot show only when `conditional`.
fn search(
    memo: &mut Memo<'_, '_>,
    start: usize,
    target: Option<usize>,
    conditional: bool,
) -> Option<Vec<Step>> {
    // parent[state] = (previous state, hop index); a state is entered once.
    let mut parent: HashMap<usize, Option<(usize, usize)>> = HashMap::from([(start, None)]);
    let mut queue = VecDeque::from([start]);
    while let Some(z) = queue.pop_front() {
        memo.expand(z);
        let chain = chain(&parent, z);
        if let Some(steps) = reached(memo, &chain, start, target) {
            return Some(steps);
        }
        for (hi, &to) in memo.nodes[z].to.clone().iter().enumerate() {
            let hop = &memo.out(z).hops[hi];
            if parent.contains_key(&to) || (hop.step.if_resource_exists && !conditional) {
                continue;
            }
            parent.insert(to, Some((z, hi)));
            queue.push_back(to);
        }
    }
    None
}

/// The states from the start to `z` and the hop into each (none for the
/// start).
fn chain(parent: &HashMap<usize, Option<(usize, usize)>>, z: usize) -> Vec<(usize, Option<usize>)> {
    let mut out = vec![];
    let mut cur = z;
    loop {
        match parent.get(&cur).copied().flatten() {
            Some((from, hop)) => {
                out.push((cur, Some(hop)));
                cur = from;
            }
            None => {
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
