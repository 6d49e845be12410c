/**
 * The vendor kit's model-based paths (rm-sequencer/testing): generated for a protocol, they
 * cover the machine as the project's own model tests do, replay cleanly against a faithful
 * device (the simulator, the MakAir emulator through the MakAir adapter), and catch devices
 * that do not do what they confirm.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { SimulatedVentilator, SimWorld } from '../../hal/simulated/index.js';
import { MakAirVentilator } from '../../hal/makair/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import { MakAirEmulator } from '../../emulators/index.js';
import type { DeviceFault, DeviceInfo, Ventilator } from '../../hal/port.js';
import { ProtocolSchema, type MonitorSample, type VentSettings } from '../../machines/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { generateModelPaths, modelPathSuite, runModelPath, simulatedSubject, type PathSubject } from '../../testing/index.js';
import { Lockstep, MAKAIR_BASELINE, world } from '../emulators/support/rig.js';

const BASELINE: VentSettings = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };
const SI = ProtocolSchema.parse({ maneuver: 'sustained-inflation', holdS: 20, assessS: 30 });
const HP = ProtocolSchema.parse({ maneuver: 'high-pressure-pcv', peepCmH2O: 25, peakCmH2O: 40, holdS: 60, assessS: 30, peakLimitCmH2O: 45 });

const siSet = generateModelPaths(SI, BASELINE);

describe('generateModelPaths', () => {
  it('covers every state, every transition its protocol can take, and an abort from every running state', () => {
    const c = siSet.coverage;
    expect(c.unreached).toEqual([]);
    expect(c.statesReached).toBe(c.statesDeclared);
    // Not reachable with this protocol: a TICK past the apply/confirm deadline (with vitalsStaleS 10 <= applyTimeoutS 10
    // the vitals are always stale first), and the post-RM step's limits exit (postRmPeep 'baseline': nothing but the
    // baseline is set after the RM, and the baseline is the clinician's own setting).
    expect(c.untaken).toEqual(['active --TICK[1]-->', 'active --TICK[2]-->', 'sustainedInflation.active.assessment.dwelling --always[0]-->']);
    const fromStates = new Set(siSet.paths.filter((p) => p.title.startsWith('abort')).map((p) => p.title.replace(/^abort \([^)]+\) from /, '')));
    for (const s of ['idle', 'completed']) expect(fromStates).toContain(s);
    expect([...fromStates].filter((s) => s.startsWith('active')).length).toBeGreaterThanOrEqual(4);
    // Every abort reason the monitor knows is exercised.
    const reasons = new Set(siSet.paths.map((p) => p.final.abortReason).filter(Boolean));
    for (const r of ['hypotension', 'desaturation', 'heart-rate', 'overdistention', 'stale-vitals', 'stale-ventilator', 'device-fault', 'operator-abort', 'delivery-mismatch']) expect(reasons).toContain(r);
    // Paths are data: JSON round trip, ids unique.
    expect(JSON.parse(JSON.stringify(siSet))).toEqual(siSet);
    expect(new Set(siSet.paths.map((p) => p.id)).size).toBe(siSet.paths.length);
  });

  it('after pre-oxygenation the wean of FiO2 at the end (finalFio2) is in use and covered: down to the baseline FiO2 and the step back', () => {
    const set = generateModelPaths(ProtocolSchema.parse({ maneuver: 'sustained-inflation', holdS: 20, assessS: 30, preoxygenation: { when: 'always', maxS: 120 }, finalFio2: { weanStepFio2: 0.2 } }), BASELINE);
    const c = set.coverage;
    expect(c.unreached).toEqual([]);
    expect(c.untaken.filter((t) => /wean/.test(t))).toEqual([]);
    expect(set.paths.some((p) => p.final.state === 'completed' && p.states.includes('active.weanBack.applying'))).toBe(true);
    // keep: the wean is not in use, so it is not counted.
    const keep = generateModelPaths(ProtocolSchema.parse({ maneuver: 'sustained-inflation', holdS: 20, assessS: 30, preoxygenation: { when: 'always', maxS: 120 }, finalFio2: { afterPreoxygenation: 'keep' } }), BASELINE);
    expect(keep.coverage.statesDeclared).toBe(c.statesDeclared - 6);
    expect(keep.coverage.unreached).toEqual([]);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(generateModelPaths(SI, BASELINE))).toBe(JSON.stringify(siSet));
  });
});

// Every generated path, as a vendor's generated test file runs them, against the simulator.
modelPathSuite('SimulatedVentilator', siSet, simulatedSubject(BASELINE));

describe('model paths against the MakAir adapter and its emulator (in process, virtual time)', () => {
  it('every high-pressure PCV path replays cleanly', async () => {
    const set = generateModelPaths(HP, MAKAIR_BASELINE);
    const failures: string[] = [];
    for (const path of set.paths) {
      const lock = new Lockstep();
      const [host, dev] = transportPair();
      const emulator = new MakAirEmulator({ transport: dev, world: world(lock.device, MAKAIR_BASELINE), clock: lock.device });
      emulator.start();
      const ventilator = new MakAirVentilator({ transport: host, clock: lock.host, fio2: 0.4 });
      const subject: PathSubject = { ventilator, advance: (ms) => lock.advance(ms, 50), teardown: async () => {
          await emulator.close();
          await dev.close();
        },
      };
      const run = await runModelPath(set, path, subject, { stepMs: 50 });
      if (!run.ok) failures.push(`${path.id} ${path.title}: ${run.problems.join('; ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

/** A simulated ventilator that confirms every change but keeps its first PEEP: what a readback-less device might do. */
class StuckPeep implements Ventilator {
  private readonly inner: SimulatedVentilator;
  private stuckAt: number | null = null;
  constructor(inner: SimulatedVentilator) {
    this.inner = inner;
  }
  get samples$(): Subject<MonitorSample> {
    return this.inner.samples$ as Subject<MonitorSample>;
  }
  get faults$(): Subject<DeviceFault> {
    return this.inner.faults$ as Subject<DeviceFault>;
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  identify(): Promise<DeviceInfo> {
    return this.inner.identify();
  }
  async readSettings(): Promise<VentSettings> {
    const s = await this.inner.readSettings();
    this.stuckAt ??= s.peepCmH2O;
    return { ...s, peepCmH2O: this.stuckAt };
  }
  async apply(change: Partial<VentSettings>): Promise<VentSettings> {
    const s = await this.inner.apply(change);
    return { ...s, peepCmH2O: change.peepCmH2O ?? s.peepCmH2O }; // claims what was asked
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('model paths catch a device that does not do what it confirms', () => {
  it('a device that refuses every change after the first: the abort restore fails and the paths say where', async () => {
    let fail = false;
    const failures = [];
    for (const path of siSet.paths.slice(0, 40)) {
      const clock = new VirtualClock(0);
      const inner = new SimulatedVentilator({ world: new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: BASELINE }) });
      let applied = 0;
      const refusing = Object.assign(Object.create(inner) as SimulatedVentilator, {
        apply: (change: Partial<VentSettings>) => (++applied > 1 ? Promise.reject(Object.assign(new Error('refused by the device'), { code: 'refused' })) : inner.apply(change)),
      });
      const run = await runModelPath(siSet, path, { ventilator: refusing, advance: async (ms) => void clock.advanceBy(ms) });
      if (!run.ok) failures.push(run.problems.join('; '));
      fail ||= !run.ok;
    }
    expect(fail).toBe(true);
    expect(failures.join('\n')).toMatch(/the machine is in (aborting|failsafe)[^,]*, the model was in/);
  });

  it('a device that confirms a PEEP it never sets: its readback disagrees with its confirmation', async () => {
    const failures: string[] = [];
    for (const path of siSet.paths.filter((p) => p.final.state === 'completed' || p.final.state === 'finished')) {
      const clock = new VirtualClock(0);
      const inner = new SimulatedVentilator({ world: new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: BASELINE }) });
      const run = await runModelPath(siSet, path, { ventilator: new StuckPeep(inner), advance: async (ms) => void clock.advanceBy(ms) });
      if (!run.ok) failures.push(run.problems.join('; '));
    }
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.join('\n')).toMatch(/the device confirmed .* for "Sustained inflation.*" but reads back .*peepCmH2O":10/);
  });
});
