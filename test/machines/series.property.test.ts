/**
 * The append-only lists of the fourth pass (issue 20; machines/series.ts): a step's measurement
 * window and the baseline window share one backing array between successive contexts.
 *  - No version ever observes a value appended after it: versions taken at random points, appended
 *    to and trimmed from in any order (including an older version appended to again, as XState's
 *    second look at an event does), each still reads exactly its own values.
 *  - `accumulate` and `recordHistory` give, version for version, what the copying code they
 *    replaced gave (kept here as the specification), for samples in and out of time order.
 *  - Over a whole recorded staircase and a recruitability screen: every snapshot kept reads, at
 *    the end, exactly what it serialised to when it was taken; and a snapshot persisted through
 *    JSON (plain arrays where the machine keeps Series) restores into an actor that goes on to
 *    the same contexts and commands as the actor that never stopped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, type AnyMachineSnapshot } from 'xstate';
import { VirtualClock } from '../../common/clock.js';
import {
  accumulate,
  appendTo,
  defaultProtocol,
  emptyAccumulator,
  emptyHistory,
  machineFor,
  recordHistory,
  Series,
  valuesOf,
  type CheckedSample,
  type ManeuverEvent,
  type ManeuverInput,
  type RunnableKind,
  type StepAccumulator,
  type Timed,
  type VitalsHistory,
} from '../../machines/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { runSession } from '../../src/runner/drive.js';
import { openSimulatedSession } from '../../src/runner/simulated.js';
import { checked } from '../support/checked.js';

/** A list's values read every way a reader can: length, at(i), iteration, toArray, JSON. */
function readsAs<T>(s: Series<T>, values: readonly T[]): void {
  expect(s.length).toBe(values.length);
  for (let i = 0; i < values.length; i++) expect(s.at(i)).toBe(values[i]);
  expect(s.at(values.length)).toBeUndefined();
  expect(s.at(-1)).toBe(values.at(-1));
  for (const i of [Number.NaN, -0, 0.7, -1.5, -values.length, -values.length - 1, values.length + 3]) expect(s.at(i)).toBe(values.at(i));
  expect([...s]).toEqual(values);
  expect(s.toArray()).toEqual(values);
  expect(JSON.stringify(s)).toBe(JSON.stringify(values));
}

describe('Series: no version sees a value appended after it', () => {
  type Op = { kind: 'append'; from: number; value: number } | { kind: 'drop'; from: number; k: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), from: fc.nat(), value: fc.integer({ min: -1000, max: 1000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), from: fc.nat(), k: fc.integer({ min: 0, max: 60 }) }) },
  );

  it('versions taken at random points, appended to and trimmed in any order, each read exactly their own values', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), fc.boolean(), (ops, mostlyLatest) => {
        const versions: Array<{ s: Series<number>; model: number[] }> = [{ s: Series.empty(), model: [] }];
        for (const o of ops) {
          // Mostly the newest version (the machine's path), else any older one (a branch).
          const i = mostlyLatest && o.from % 4 !== 0 ? versions.length - 1 : o.from % versions.length;
          const v = versions[i]!;
          versions.push(o.kind === 'append' ? { s: v.s.append(o.value), model: [...v.model, o.value] } : { s: v.s.dropFirst(o.k), model: v.model.slice(o.k) });
        }
        for (const v of versions) readsAs(v.s, v.model);
      }),
      { numRuns: 300 },
    );
  });

  it('long runs of appends and drops stay O(1) amortised: the backing array is shared, and compacted when mostly dropped', () => {
    let s = Series.empty<number>();
    const kept: Array<{ s: Series<number>; model: number[] }> = [];
    let model: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      s = s.append(i);
      model.push(i);
      if (model.length > 90) {
        s = s.dropFirst(1);
        model = model.slice(1);
      }
      if (i % 997 === 0) kept.push({ s, model: [...model] });
    }
    readsAs(s, model);
    for (const k of kept) readsAs(k.s, k.model);
    // Memory: the backing array holds at most about twice the 90 values kept, not the 20,000 appended.
    expect(s.retained).toBeLessThanOrEqual(2 * 90 + 2);
  });

  it('the baseline window of a session idle for three hours before the start keeps about its window, not every sample', () => {
    const windowMs = 60_000;
    let h = emptyHistory();
    for (let t = 0; t <= 3 * 3600_000; t += 1000) h = recordHistory(h, checked({ t, source: 'm', spo2Pct: 95, mapMmHg: 80, sbpMmHg: 120, hrBpm: 70 }), t, windowMs);
    for (const list of [h.spo2, h.map, h.sbp, h.hr]) {
      expect(list).toBeInstanceOf(Series);
      expect(list.length).toBe(61);
      expect((list as Series<Timed>).retained).toBeLessThanOrEqual(2 * 61 + 2);
      expect(list.at(0)![0]).toBe(3 * 3600_000 - windowMs);
    }
  });

  it('a plain array (a context restored from JSON) is appended to as a Series of its values; valuesOf reads both', () => {
    const plain = [1, 2, 3];
    const s = appendTo(plain, 4);
    expect(s).toBeInstanceOf(Series);
    readsAs(s, [1, 2, 3, 4]);
    expect(plain).toEqual([1, 2, 3]);
    expect(valuesOf(plain)).toBe(plain);
    expect(valuesOf(s)).toEqual([1, 2, 3, 4]);
    expect(valuesOf(undefined)).toEqual([]);
    readsAs(appendTo(undefined, 7), [7]);
    // A copy: writing to it changes no version.
    const a = s.toArray() as number[];
    a.push(99);
    readsAs(s, [1, 2, 3, 4]);
    readsAs(s.append(5), [1, 2, 3, 4, 5]);
  });
});

const num = fc.double({ min: -50, max: 700, noNaN: true });
const opt = (a: fc.Arbitrary<number>) => fc.option(a, { nil: undefined });
const sampleArb: fc.Arbitrary<CheckedSample> = fc
  .record({
    t: fc.integer({ min: 0, max: 400_000 }),
    spo2Pct: opt(fc.integer({ min: 50, max: 100 })),
    mapMmHg: opt(num),
    sbpMmHg: opt(num),
    hrBpm: opt(num),
    complianceMlPerCmH2O: opt(num),
    plateauCmH2O: opt(num),
    tidalVolumeMl: opt(num),
    peakCmH2O: opt(num),
    peepCmH2O: opt(num),
    expiredVolumeMl: opt(num),
  })
  .map((r) => checked({ source: 'p', ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) } as Parameters<typeof checked>[0]));

/** accumulate as it was before the fourth pass: every list copied with the new value. */
function accumulateBefore(acc: Record<string, unknown>, s: CheckedSample): Record<string, unknown> {
  const next = { ...acc };
  const add = (k: string, v: number) => (next[k] = [...((acc[k] as number[] | undefined) ?? []), v]);
  if (s.spo2Pct !== undefined) add('spo2', s.spo2Pct);
  if (s.mapMmHg !== undefined) add('map', s.mapMmHg);
  if (s.hrBpm !== undefined) add('hr', s.hrBpm);
  if (s.complianceMlPerCmH2O !== undefined) add('compliance', s.complianceMlPerCmH2O);
  if (s.plateauCmH2O !== undefined) add('plateau', s.plateauCmH2O);
  if (s.tidalVolumeMl !== undefined) add('vt', s.tidalVolumeMl);
  if (s.expiredVolumeMl !== undefined) {
    add('vte', s.expiredVolumeMl);
    add('vtePlateau', s.plateauCmH2O ?? Number.NaN);
    add('vtePeep', s.peepCmH2O ?? Number.NaN);
  }
  if (s.peakCmH2O !== undefined) next.peakMax = next.peakMax === null ? s.peakCmH2O : Math.max(next.peakMax as number, s.peakCmH2O);
  return next;
}

/** recordHistory as it was before the fourth pass: the lists filtered and copied. */
function recordHistoryBefore(h: Record<string, Timed[]>, sample: CheckedSample, now: number, windowMs: number): Record<string, Timed[]> {
  if (sample.spo2Pct === undefined && sample.mapMmHg === undefined && sample.sbpMmHg === undefined && sample.hrBpm === undefined) return h;
  const from = now - windowMs;
  const add = (list: Timed[], v: number | undefined) => {
    const kept = list.length && list[0]![0] < from ? list.filter(([t]) => t >= from) : list;
    return v === undefined ? kept : [...kept, [sample.t, v] as const];
  };
  return { spo2: add(h.spo2!, sample.spo2Pct), map: add(h.map!, sample.mapMmHg), sbp: add(h.sbp!, sample.sbpMmHg), hr: add(h.hr!, sample.hrBpm) };
}

/** The window with every list read as a plain array, keys in their order. */
const plain = (o: StepAccumulator | VitalsHistory): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Series ? valuesOf(v) : v]));
/** Same values, same keys in the same order (NaN included: toStrictEqual compares with Object.is). */
const same = (a: Record<string, unknown>, b: Record<string, unknown>) => {
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  expect(a).toStrictEqual(b);
};

describe('the windows kept in Series: what the copies gave, and older versions untouched', () => {
  it('accumulate, from any earlier version (a branch) or the newest, gives every version the old lists', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(sampleArb, fc.nat()), { minLength: 1, maxLength: 120 }), (steps) => {
        const versions: Array<{ acc: StepAccumulator; model: Record<string, unknown> }> = [{ acc: emptyAccumulator(), model: plain(emptyAccumulator()) }];
        for (const [s, pick] of steps) {
          const v = pick % 5 === 0 ? versions[pick % versions.length]! : versions.at(-1)!;
          versions.push({ acc: accumulate(v.acc, s), model: accumulateBefore(v.model, s) });
        }
        for (const v of versions) same(plain(v.acc), v.model);
      }),
      { numRuns: 200 },
    );
  });

  it('accumulate from a window restored from JSON (plain arrays) goes on as from the Series it was', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 40 }), fc.array(sampleArb, { maxLength: 40 }), (first, then) => {
        let a = emptyAccumulator();
        for (const s of first) a = accumulate(a, s);
        let b = JSON.parse(JSON.stringify(a)) as StepAccumulator;
        expect(Array.isArray(b.spo2)).toBe(true);
        for (const s of then) {
          a = accumulate(a, s);
          b = accumulate(b, s);
        }
        // Compared as JSON: JSON itself writes NaN as null and -0 as 0 (in both).
        expect(b.spo2).toBeInstanceOf(then.some((s) => s.spo2Pct !== undefined) ? Series : Array);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 200 },
    );
  });

  it('recordHistory, samples in and out of time order, from any earlier version, gives every version the old lists', () => {
    const windowMs = 60_000;
    fc.assert(
      fc.property(
        fc.array(fc.record({ s: sampleArb, dt: fc.integer({ min: -5_000, max: 20_000 }), late: fc.integer({ min: -90_000, max: 1_000 }), pick: fc.nat() }), { minLength: 1, maxLength: 150 }),
        (steps) => {
          const versions: Array<{ h: VitalsHistory; model: Record<string, Timed[]>; now: number }> = [{ h: emptyHistory(), model: { spo2: [], map: [], sbp: [], hr: [] }, now: 0 }];
          for (const { s, dt, late, pick } of steps) {
            const v = pick % 6 === 0 ? versions[pick % versions.length]! : versions.at(-1)!;
            const now = v.now + dt;
            // Mostly on time; sometimes late (an older timestamp), out of the window's order.
            const sample = { ...s, t: pick % 7 === 0 ? Math.max(0, now + late) : now };
            versions.push({ h: recordHistory(v.h, sample, now, windowMs), model: recordHistoryBefore(v.model, sample, now, windowMs), now });
          }
          for (const v of versions) same(plain(v.h), v.model);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** The machine's input and the events one simulated session fed it. */
async function recorded(maneuver: RunnableKind, seed: number): Promise<{ input: ManeuverInput; events: ManeuverEvent[] }> {
  const { session } = await openSimulatedSession({
    maneuver,
    protocol: defaultProtocol(maneuver),
    profile: BUILTIN_PROFILES['moderate-ards'],
    seed,
    clock: new VirtualClock(0),
    baseline: DEFAULT_SIM_BASELINE,
    session: { onCompleted: 'end', onFailsafe: 'end', engine: 'transition' },
  });
  const events: ManeuverEvent[] = [];
  session.telemetry$.subscribe((e) => e.kind === 'input' && events.push(e.event));
  const input: ManeuverInput = {
    protocol: session.options.protocol,
    baseline: session.baseline,
    pressureToleranceCmH2O: session.device.capabilities.pressureResolutionCmH2O,
    ...(session.options.patient ? { patient: session.options.patient } : {}),
  };
  await runSession(session);
  await session.close();
  return { input, events };
}

/** Whether a snapshot holds a non-empty window (a step's or the baseline's): a split there restores lists. */
function windowFilled(s: AnyMachineSnapshot): boolean {
  const c = s.context as { current: { acc: StepAccumulator } | null; run: { history: VitalsHistory | null } };
  return (c.current?.acc.spo2.length ?? 0) > 0 || (c.run.history?.spo2.length ?? 0) > 0;
}

describe.each([
  ['staircase', 1],
  ['recruitability-screen', 2],
] as const)('a recorded %s session (seed %i) through the machine', (maneuver, seed) => {
  it('every snapshot kept reads at the end what it serialised to when taken; a JSON-persisted snapshot restores and goes on identically', async () => {
    const { input, events } = await recorded(maneuver, seed);
    expect(events.length).toBeGreaterThan(100);
    const machine = machineFor(maneuver);
    const commands: unknown[] = [];
    const actor = createActor(machine, { input });
    actor.on('*', (e) => commands.push(e));
    actor.start();
    const kept: Array<{ snap: AnyMachineSnapshot; json: string }> = [];
    const contexts: string[] = [];
    const splits: Array<{ at: number; persisted: unknown; commands: number }> = [];
    const every = Math.floor(events.length / 8);
    events.forEach((e, i) => {
      actor.send(e);
      const snap = actor.getSnapshot();
      const json = JSON.stringify(snap.context);
      contexts.push(json);
      if (i % 7 === 0) kept.push({ snap, json });
      // Persisted where a window holds values (about eight times a run), as a store would: through JSON.
      if (i % every === 0 && windowFilled(snap)) splits.push({ at: i, persisted: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())), commands: commands.length });
    });
    actor.stop();
    expect(String(actor.getSnapshot().value)).not.toMatch(/abort|failsafe/);
    for (const k of kept) expect(JSON.stringify(k.snap.context)).toBe(k.json);
    expect(splits.length).toBeGreaterThan(2);
    for (const split of splits) {
      const restored = createActor(machine, { input, snapshot: split.persisted as never });
      const after: unknown[] = [];
      restored.on('*', (e) => after.push(e));
      restored.start();
      const c = restored.getSnapshot().context as { current: { acc: StepAccumulator } | null; run: { history: VitalsHistory | null } };
      // What JSON gave back: plain arrays where the machine kept Series.
      expect(Array.isArray(c.current?.acc.spo2 ?? c.run.history?.spo2)).toBe(true);
      for (let i = split.at + 1; i < events.length; i++) {
        restored.send(events[i]!);
        expect(JSON.stringify(restored.getSnapshot().context), `event ${i} after a restore at ${split.at}`).toBe(contexts[i]);
      }
      expect(after).toEqual(commands.slice(split.commands));
      restored.stop();
    }
  }, 60_000);
});
