/**
 * One full staircase on the simulator: virtual time / wall time, on the batch engine (the
 * machine's pure transition function, what cohorts run) and on the XState actor (interactive and
 * device sessions). Reference rows say where the time goes: the simulated patient alone over the
 * same virtual time, and the maneuver machine alone fed the events one session recorded, on
 * each engine.
 */
import { VirtualClock } from '../common/clock.js';
import { defaultProtocol, machineFor, type ManeuverEvent } from '../machines/index.js';
import { BUILTIN_PROFILES, SimMonitor, SimPatient } from '../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../src/cli/inputs.js';
import { runSession } from '../src/runner/drive.js';
import { createEngine, TransitionEngine, type EngineKind, type MachineEngine } from '../src/runner/engine.js';
import { openSimulatedSession } from '../src/runner/simulated.js';
import { fmt, summarize, type BenchRow } from './stats.js';

/**
 * Staircase sessions on both engines, interleaved run by run so that the load of a shared
 * machine drifts over both alike (the comparison is within one run, not across runs).
 */
async function sessions(runs: number, recorded: ManeuverEvent[]): Promise<Record<EngineKind, { p50: number; min: number }> & { virtualMs: number }> {
  const protocol = defaultProtocol('staircase');
  const walls: Record<EngineKind, number[]> = { actor: [], transition: [] };
  let virtualMs = 0;
  for (let i = 0; i < 2 * (runs + 5); i++) {
    const engine: EngineKind = i % 2 === 0 ? 'transition' : 'actor';
    const clock = new VirtualClock(0);
    const { session } = await openSimulatedSession({ maneuver: 'staircase', protocol, profile: BUILTIN_PROFILES['moderate-ards'], seed: 1 + (Math.floor(i / 2) % 5), clock, baseline: DEFAULT_SIM_BASELINE, session: { onCompleted: 'end', onFailsafe: 'end', engine } });
    if (i === 0) session.telemetry$.subscribe((e) => e.kind === 'input' && recorded.push(e.event));
    const t = performance.now();
    await runSession(session);
    const wall = performance.now() - t;
    await session.close();
    if (i >= 10) {
      walls[engine].push(wall);
      virtualMs = clock.now();
    }
  }
  const a = summarize(walls.actor);
  const b = summarize(walls.transition);
  return { actor: { p50: a.p50, min: a.min }, transition: { p50: b.p50, min: b.min }, virtualMs };
}

/** The machine alone: the recorded events sent to a fresh engine (no HAL, no RxJS, no validation), engines interleaved. */
type AloneKind = EngineKind | 'macrostep';
function machineAlone(recorded: readonly ManeuverEvent[], runs: number): Record<AloneKind, number> {
  const protocol = defaultProtocol('staircase');
  const kinds: AloneKind[] = ['transition', 'actor', 'macrostep'];
  const walls: Record<AloneKind, number[]> = { actor: [], transition: [], macrostep: [] };
  for (let i = 0; i < kinds.length * (runs + 5); i++) {
    const kind = kinds[i % kinds.length]!;
    const input = { protocol, baseline: DEFAULT_SIM_BASELINE, pressureToleranceCmH2O: 0.5 };
    const handlers = { emitted: () => {}, snapshot: () => {}, error: (err: unknown) => { throw err; } };
    // 'macrostep': the transition engine with XState's macrostep for every event (no quiescent step).
    const e: MachineEngine = kind === 'macrostep' ? new TransitionEngine(machineFor('staircase'), input, handlers, { quiescent: false }) : createEngine(kind, machineFor('staircase'), input, handlers);
    e.start();
    const t = performance.now();
    for (const ev of recorded) e.send(ev);
    if (i >= kinds.length * 5) walls[kind].push(performance.now() - t);
    e.stop();
  }
  return { actor: summarize(walls.actor).p50, transition: summarize(walls.transition).p50, macrostep: summarize(walls.macrostep).p50 };
}

export async function benchStaircase(runs = 40): Promise<BenchRow[]> {
  const recorded: ManeuverEvent[] = [];
  const both = await sessions(runs, recorded);
  const batch = both.transition;
  const actor = both.actor;
  const virtualMs = both.virtualMs;
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
  const alone = machineAlone(recorded, runs);
  const machineActor = alone.actor;
  const machineTransition = alone.transition;
  const perEvent = (ms: number): string => fmt((ms * 1000) / Math.max(1, recorded.length), 2);
  return [
    {
      name: 'staircase on the simulator (session + machine + sim), virtual/wall, batch engine',
      figure: `${fmt(virtualMs / batch.p50 / 1000, 1)}k x (${fmt(virtualMs / 60000, 1)} min in ${fmt(batch.p50, 1)} ms p50, ${fmt(batch.min, 1)} min; actor engine ${fmt(actor.p50, 1)} ms p50)`,
      target: '>= 100k x',
      ratio: virtualMs / batch.p50 / 100_000,
    },
    {
      name: `maneuver machine alone, the ${recorded.length} events of one staircase session`,
      figure: `batch engine ${fmt(machineTransition, 2)} ms p50 (${perEvent(machineTransition)} us/event; ${fmt((100 * machineTransition) / batch.p50, 0)} % of the batch session); XState actor ${fmt(machineActor, 2)} ms p50 (${perEvent(machineActor)} us/event); pure transition, XState macrostep for every event ${fmt(alone.macrostep, 2)} ms p50 (${perEvent(alone.macrostep)} us/event)`,
      target: 'reference',
      ratio: Number.NaN,
    },
    {
      name: 'full session cost / simulated patient alone on the same virtual time (staircase, moderate ARDS)',
      figure: `${fmt(batch.p50 / sim.p50, 1)} x batch engine (${fmt(batch.p50, 2)} ms / ${fmt(sim.p50, 2)} ms p50); actor engine ${fmt(actor.p50 / sim.p50, 1)} x`,
      target: '<= 3 x',
      ratio: 3 / (batch.p50 / sim.p50),
    },
    {
      name: 'simulated patient alone, same virtual time',
      figure: `${fmt(sim.p50, 2)} ms p50 (${fmt(virtualMs / sim.p50 / 1e6, 2)}M x)`,
      target: 'reference',
      ratio: Number.NaN,
    },
  ];
}
