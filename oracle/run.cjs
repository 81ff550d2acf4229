#!/usr/bin/env node
// Independent IAM evaluation oracle for iamctl's differential tests.
//
// Reads JSON lines in iamctl's `simulate --batch` format on stdin and writes one
// JSON line per input line: {"id", "decision": "allowed"|"explicitDeny"|"implicitDeny"}
// or {"id", "error"}. Decisions come from @cloud-copilot/iam-simulate (AGPL-3.0),
// which is only ever run here, as a separate process; none of its code is copied.
//
//   node oracle/run.cjs < cases.jsonl              validated runSimulation per line
//   node oracle/run.cjs --unsafe < cases.jsonl     runUnsafeSimulation once per line (the
//                                                  fastest entry point, no validation): a
//                                                  whole-process comparison at its best
//   node oracle/run.cjs --bench SECONDS < cases    loop runUnsafeSimulation for SECONDS,
//                                                  print {"evaluations","seconds","perSecond"}
'use strict';

const { runSimulation, runUnsafeSimulation } = require('@cloud-copilot/iam-simulate');

const DECISIONS = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny'
};

function accountOf(arn) {
  if (typeof arn !== 'string') return undefined;
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

function orgPolicies(levels, prefix) {
  return (levels || []).map((docs, i) => ({
    orgIdentifier: `level${i}`,
    policies: (docs || []).map((policy, j) => ({ name: `${prefix}${i}-${j}`, policy }))
  }));
}

// Our batch line -> iam-simulate's Simulation object.
function toSimulation(c) {
  const principalAccount = accountOf(c.principal);
  const sim = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: {
        resource: c.resource,
        accountId: c.resourceAccount ?? accountOf(c.resource) ?? principalAccount
      },
      contextVariables: c.context || {}
    },
    identityPolicies: (c.identityPolicies || []).map((policy, i) => ({
      name: `identity${i}`,
      policy
    })),
    serviceControlPolicies: orgPolicies(c.serviceControlPolicies, 'scp'),
    resourceControlPolicies: orgPolicies(c.resourceControlPolicies, 'rcp')
  };
  if (c.permissionBoundary !== undefined && c.permissionBoundary !== null) {
    sim.permissionBoundaryPolicies = [{ name: 'boundary', policy: c.permissionBoundary }];
  }
  if (c.resourcePolicy !== undefined && c.resourcePolicy !== null) {
    sim.resourcePolicy = c.resourcePolicy;
  }
  if (c.sessionPolicy !== undefined && c.sessionPolicy !== null) {
    sim.sessionPolicy = c.sessionPolicy;
  }
  return sim;
}

function readLines() {
  const text = require('fs').readFileSync(0, 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '');
}

async function evaluate(lines) {
  const out = [];
  for (const line of lines) {
    let c;
    try {
      c = JSON.parse(line);
    } catch (e) {
      out.push(JSON.stringify({ id: null, error: `bad JSON line: ${e.message}` }));
      continue;
    }
    try {
      const r = await runSimulation(toSimulation(c), {});
      if (r.resultType === 'error') {
        out.push(JSON.stringify({ id: c.id, error: JSON.stringify(r.errors) }));
        continue;
      }
      const res = { id: c.id, decision: DECISIONS[r.overallResult] ?? r.overallResult };
      const ignored = r.resultType === 'single' ? r.result.ignoredContextKeys : undefined;
      if (ignored && ignored.length > 0) res.ignoredContextKeys = ignored;
      out.push(JSON.stringify(res));
    } catch (e) {
      out.push(JSON.stringify({ id: c.id, error: `exception: ${e && e.message}` }));
    }
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}

function evaluateUnsafe(lines) {
  const out = [];
  for (const line of lines) {
    let c;
    try {
      c = JSON.parse(line);
      const r = runUnsafeSimulation(toSimulation(c), {});
      out.push(JSON.stringify({ id: c.id, decision: DECISIONS[r] ?? r }));
    } catch (e) {
      out.push(JSON.stringify({ id: c ? c.id : null, error: `exception: ${e && e.message}` }));
    }
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}

function bench(lines, seconds) {
  // runUnsafeSimulation throws on some shapes that runSimulation accepts (a
  // resource policy loaded without a name); those cases are left out and
  // their ids reported, so the caller can leave them out of its own run.
  const sims = [];
  const excluded = [];
  for (const l of lines) {
    const c = JSON.parse(l);
    const s = toSimulation(c);
    try {
      runUnsafeSimulation(s, {});
      sims.push(s);
    } catch (e) {
      excluded.push(c.id);
    }
  }
  if (sims.length === 0) throw new Error('no usable cases on stdin');
  const limit = seconds * 1000;
  const start = process.hrtime.bigint();
  let n = 0;
  let elapsedMs = 0;
  let sink = 0;
  for (;;) {
    for (const s of sims) {
      if (runUnsafeSimulation(s, {}) === 'Allowed') sink++;
    }
    n += sims.length;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsedMs >= limit) break;
  }
  const secs = elapsedMs / 1000;
  if (sink < 0) throw new Error('unreachable');
  process.stdout.write(
    JSON.stringify({ evaluations: n, seconds: secs, perSecond: n / secs, excluded }) + '\n'
  );
}

const args = process.argv.slice(2);
const lines = readLines();
if (args[0] === '--bench') {
  const seconds = Number(args[1] ?? '3');
  if (!(seconds > 0)) {
    process.stderr.write('usage: run.cjs [--bench SECONDS] < cases.jsonl\n');
    process.exit(2);
  }
  bench(lines, seconds);
} else if (args[0] === '--unsafe' && args.length === 1) {
  evaluateUnsafe(lines);
} else if (args.length === 0) {
  evaluate(lines).catch((e) => {
    process.stderr.write(String(e && e.stack) + '\n');
    process.exit(1);
  });
} else {
  process.stderr.write('usage: run.cjs [--bench SECONDS] < cases.jsonl\n');
  process.exit(2);
}
