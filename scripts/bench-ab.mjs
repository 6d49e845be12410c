/**
 * Two builds of rm-sequencer compared in ONE process (issue 20): staircase sessions on the batch
 * engine, the maneuver machine alone fed the events one session recorded, and the simulated
 * patient alone over the same virtual time, the builds interleaved run by run so that the load
 * of a shared machine drifts over both alike. Only the ratios within one run mean anything.
 *
 *   node --expose-gc scripts/bench-ab.mjs <before dist dir> <after dist dir> [runs=100]
 *
 * e.g. build the commit before into a copy (`npx tsc -p tsconfig.build.json && cp -r dist /tmp/before`),
 * then this one, and compare `/tmp/before/dist` with `dist`. Both builds must record the same
 * events for the same seed (the script checks it): a change that alters decisions is not a speed change.
 * Times: wall p50 and p25, and the process's CPU time (user + system; less moved by other
 * processes on the machine than wall time is, but it counts V8's helper threads too).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';

const [beforeDir, afterDir, runsArg] = process.argv.slice(2);
if (!beforeDir || !afterDir) {
  console.error('usage: node --expose-gc scripts/bench-ab.mjs <before dist dir> <after dist dir> [runs]');
  process.exit(2);
}
const runs = Number(runsArg ?? 100);
if (!Number.isInteger(runs) || runs < 5 || runs > 10_000) {
  console.error(`runs: ${runsArg} is not an integer from 5 to 10000`);
  process.exit(2);
}

async function load(dir) {
  const r = resolve(dir);
  return {
    clock: await import(`${r}/common/clock.js`),
    machines: await import(`${r}/machines/index.js`),
    sim: await import(`${r}/sim/index.js`),
    inputs: await import(`${r}/src/cli/inputs.js`),
    drive: await import(`${r}/src/runner/drive.js`),
    engine: await import(`${r}/src/runner/engine.js`),
    simulated: await import(`${r}/src/runner/simulated.js`),
  };
}
const mods = { before: await load(beforeDir), after: await load(afterDir) };
const KINDS = ['before', 'after'];

const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)];
const cpuMs = (c) => (c.user + c.system) / 1000;

async function session(m, i, rec) {
  const clock = new m.clock.VirtualClock(0);
  const { session } = await m.simulated.openSimulatedSession({
    maneuver: 'staircase',
    protocol: m.machines.defaultProtocol('staircase'),
    profile: m.sim.BUILTIN_PROFILES['moderate-ards'],
    seed: 1 + (i % 5),
    clock,
    baseline: m.inputs.DEFAULT_SIM_BASELINE,
    session: { onCompleted: 'end', onFailsafe: 'end', engine: 'transition' },
  });
  if (rec) session.telemetry$.subscribe((e) => e.kind === 'input' && rec.push(e.event));
  const c0 = process.cpuUsage();
  const t = performance.now();
  await m.drive.runSession(session);
  const wall = performance.now() - t;
  const cpu = cpuMs(process.cpuUsage(c0));
  await session.close();
  return { wall, cpu, virtualMs: clock.now() };
}

function machineAlone(m, events) {
  const input = { protocol: m.machines.defaultProtocol('staircase'), baseline: m.inputs.DEFAULT_SIM_BASELINE, pressureToleranceCmH2O: 0.5 };
  const handlers = { emitted: () => {}, snapshot: () => {}, error: (err) => { throw err; } };
  const e = m.engine.createEngine('transition', m.machines.machineFor('staircase'), input, handlers);
  e.start();
  const c0 = process.cpuUsage();
  const t = performance.now();
  for (const ev of events) e.send(ev);
  const wall = performance.now() - t;
  const cpu = cpuMs(process.cpuUsage(c0));
  e.stop();
  return { wall, cpu };
}

function simAlone(m, virtualMs) {
  const p = new m.sim.SimPatient(m.sim.BUILTIN_PROFILES['moderate-ards'], { seed: 1, settings: m.inputs.DEFAULT_SIM_BASELINE });
  const monitor = new m.sim.SimMonitor(p, { seed: 2 });
  const t = performance.now();
  for (let k = 0; k < virtualMs / 1000; k++) {
    p.advance(1000);
    monitor.vitals(p.timeMs);
  }
  return performance.now() - t;
}

const recorded = { before: [], after: [] };
const S = { before: { wall: [], cpu: [] }, after: { wall: [], cpu: [] } };
const M = { before: { wall: [], cpu: [] }, after: { wall: [], cpu: [] } };
const SIM = [];
let virtualMs = 0;
const warmup = 5;
for (let i = 0; i < runs + warmup; i++) {
  const order = i % 2 ? [...KINDS].reverse() : KINDS;
  for (const k of order) {
    const r = await session(mods[k], i, i === 0 ? recorded[k] : null);
    virtualMs = r.virtualMs;
    if (i >= warmup) {
      S[k].wall.push(r.wall);
      S[k].cpu.push(r.cpu);
    }
  }
  if (i === 0 && JSON.stringify(recorded.before) !== JSON.stringify(recorded.after)) {
    throw new Error('the two builds recorded different events for the same session: not a speed change');
  }
  for (let r = 0; r < 3; r++) {
    for (const k of (i + r) % 2 ? [...KINDS].reverse() : KINDS) {
      const w = machineAlone(mods[k], recorded.before);
      if (i >= warmup) {
        M[k].wall.push(w.wall);
        M[k].cpu.push(w.cpu);
      }
    }
  }
  const w = simAlone(mods.before, virtualMs);
  if (i >= warmup) SIM.push(w);
}

const n = recorded.before.length;
const sim50 = pct(SIM, 0.5);
const sim25 = pct(SIM, 0.25);
const us = (ms) => ((1000 * ms) / n).toFixed(2);
console.log(`${runs} runs each, ${n} events, ${(virtualMs / 60000).toFixed(1)} min virtual; simulated patient alone ${sim50.toFixed(2)} ms p50 (${sim25.toFixed(2)} p25); load average ${loadavg()[0].toFixed(2)}`);
for (const k of KINDS) {
  const s = S[k];
  const m = M[k];
  console.log(
    `${k.padEnd(6)}: session ${pct(s.wall, 0.5).toFixed(2)} ms p50 = ${(pct(s.wall, 0.5) / sim50).toFixed(1)} x the patient alone (p25 ${(pct(s.wall, 0.25) / sim25).toFixed(1)} x), CPU ${pct(s.cpu, 0.5).toFixed(2)} ms; ` +
      `machine alone ${pct(m.wall, 0.5).toFixed(2)} ms p50 = ${us(pct(m.wall, 0.5))} us/event, CPU ${us(pct(m.cpu, 0.5))} us/event`,
  );
}
const ratio = (a, b) => (a / b).toFixed(3);
console.log(
  `after/before: session wall p50 ${ratio(pct(S.after.wall, 0.5), pct(S.before.wall, 0.5))}, p25 ${ratio(pct(S.after.wall, 0.25), pct(S.before.wall, 0.25))}, CPU ${ratio(pct(S.after.cpu, 0.5), pct(S.before.cpu, 0.5))}; ` +
    `machine alone wall p50 ${ratio(pct(M.after.wall, 0.5), pct(M.before.wall, 0.5))}, p25 ${ratio(pct(M.after.wall, 0.25), pct(M.before.wall, 0.25))}, CPU ${ratio(pct(M.after.cpu, 0.5), pct(M.before.cpu, 0.5))}`,
);
