/**
 * One full staircase on the simulator: virtual time / wall time. Two reference rows say where
 * the time goes: the simulated patient alone over the same virtual time, and the maneuver
 * machine alone fed the events one session recorded.
 */
import { createActor } from 'xstate';
import { VirtualClock } from '../common/clock.js';
import { defaultProtocol, machineFor, type ManeuverEvent } from '../machines/index.js';
import { BUILTIN_PROFILES, SimMonitor, SimPatient } from '../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../src/cli/inputs.js';
import { runSession } from '../src/runner/drive.js';
import { openSimulatedSession } from '../src/runner/simulated.js';
import { fmt, summarize, type BenchRow } from './stats.js';

export async function benchStaircase(runs = 40): Promise<BenchRow[]> {
  const protocol = defaultProtocol('staircase');
  const walls: number[] = [];
  const recorded: ManeuverEvent[] = [];
  let virtualMs = 0;
  for (let i = 0; i < runs + 5; i++) {
    const clock = new VirtualClock(0);
    const { session } = await openSimulatedSession({ maneuver: 'staircase', protocol, profile: BUILTIN_PROFILES['moderate-ards'], seed: 1 + (i % 5), clock, baseline: DEFAULT_SIM_BASELINE, session: { onCompleted: 'end', onFailsafe: 'end' } });
    if (i === 0) session.telemetry$.subscribe((e) => e.kind === 'input' && recorded.push(e.event));
    const t = performance.now();
    await runSession(session);
    const wall = performance.now() - t;
    await session.close();
    if (i >= 5) {
      walls.push(wall);
      virtualMs = clock.now();
    }
  }
  const s = summarize(walls);
  const ratio = virtualMs / s.p50;
  // The simulated patient alone over the same virtual time (1 s steps, one monitor reading each).
  const simWalls: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = new SimPatient(BUILTIN_PROFILES['moderate-ards'], { seed: 1, settings: DEFAULT_SIM_BASELINE });
    const m = new SimMonitor(p, { seed: 2 });
    const t = performance.now();
    for (let k = 0; k < virtualMs / 1000; k++) {
      p.advance(1000);
      m.vitals(p.timeMs);
    }
    simWalls.push(performance.now() - t);
  }
  const sim = summarize(simWalls);
  // The machine alone: the same events, sent to a fresh actor (no HAL, no RxJS, no validation).
  const machineWalls: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const actor = createActor(machineFor('staircase'), { input: { protocol, baseline: DEFAULT_SIM_BASELINE, pressureToleranceCmH2O: 0.5 } });
    actor.start();
    const t = performance.now();
    for (const e of recorded) actor.send(e);
    if (i >= 5) machineWalls.push(performance.now() - t);
    actor.stop();
  }
  const machine = summarize(machineWalls);
  return [
    {
      name: 'staircase on the simulator (session + machine + sim), virtual/wall',
      figure: `${fmt(ratio / 1000, 1)}k x (${fmt(virtualMs / 60000, 1)} min in ${fmt(s.p50, 1)} ms p50, ${fmt(s.min, 1)} min)`,
      target: '>= 100k x',
      ratio: ratio / 100_000,
    },
    {
      name: `maneuver machine alone (XState actor), the ${recorded.length} events of one staircase session`,
      figure: `${fmt(machine.p50, 2)} ms p50 (${fmt((machine.p50 * 1000) / Math.max(1, recorded.length), 2)} us/event, ${fmt((100 * machine.p50) / s.p50, 0)} % of the session)`,
      target: 'reference',
      ratio: Number.NaN,
    },
    {
      name: 'full session cost / simulated patient alone on the same virtual time (staircase, moderate ARDS)',
      figure: `${fmt(s.p50 / sim.p50, 1)} x (${fmt(s.p50, 2)} ms / ${fmt(sim.p50, 2)} ms p50)`,
      target: '<= 3 x',
      ratio: 3 / (s.p50 / sim.p50),
    },
    {
      name: 'simulated patient alone, same virtual time',
      figure: `${fmt(sim.p50, 2)} ms p50 (${fmt(virtualMs / sim.p50 / 1e6, 2)}M x)`,
      target: 'reference',
      ratio: Number.NaN,
    },
  ];
}
