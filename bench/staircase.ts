/** One full staircase on the simulator: virtual time / wall time. */
import { VirtualClock } from '../common/clock.js';
import { defaultProtocol } from '../machines/index.js';
import { BUILTIN_PROFILES, SimMonitor, SimPatient } from '../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../src/cli/inputs.js';
import { runSession } from '../src/runner/drive.js';
import { openSimulatedSession } from '../src/runner/simulated.js';
import { fmt, summarize, type BenchRow } from './stats.js';

export async function benchStaircase(runs = 40): Promise<BenchRow[]> {
  const protocol = defaultProtocol('staircase');
  const walls: number[] = [];
  let virtualMs = 0;
  for (let i = 0; i < runs + 5; i++) {
    const clock = new VirtualClock(0);
    const { session } = await openSimulatedSession({ maneuver: 'staircase', protocol, profile: BUILTIN_PROFILES['moderate-ards'], seed: 1 + (i % 5), clock, baseline: DEFAULT_SIM_BASELINE, session: { onCompleted: 'end', onFailsafe: 'end' } });
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
  return [
    {
      name: 'staircase on the simulator (session + machine + sim), virtual/wall',
      figure: `${fmt(ratio / 1000, 1)}k x (${fmt(virtualMs / 60000, 1)} min in ${fmt(s.p50, 1)} ms p50, ${fmt(s.min, 1)} min)`,
      target: '>= 100k x',
      ratio: ratio / 100_000,
    },
    {
      name: 'simulated patient alone, same virtual time',
      figure: `${fmt(sim.p50, 2)} ms p50 (${fmt(virtualMs / sim.p50 / 1e6, 2)}M x)`,
      target: 'reference',
      ratio: Number.NaN,
    },
  ];
}
