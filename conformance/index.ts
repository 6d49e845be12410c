/**
 * The conformance suite every `Ventilator` adapter must pass, shipped as
 * `rm-sequencer/conformance` (vitest is a peer dependency). Vendors run it against their
 * adapter in a vitest file (see README "For device vendors" and docs/integration.md):
 *
 * @example
 * import { ventilatorConformance } from 'rm-sequencer/conformance';
 * ventilatorConformance('my ventilator', async () => ({ ventilator: new MyVentilator(clock), advance: async (ms) => clock.advanceBy(ms) }));
 *
 * `advance(ms)` moves the adapter's clock (a VirtualClock's `advanceBy` plus a few event-loop
 * turns, or a real wait for a device on the wall clock).
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DisconnectedError, NotPermittedError, OutOfRangeError, VentilatorError } from '../hal/errors.js';
import type { Ventilator, VentilatorCapabilities } from '../hal/port.js';
import { settingsMatch, type MonitorSample, type VentSettings } from '../machines/index.js';

export { WallClockSubject } from './wallClock.js';

export interface ConformanceSubject {
  ventilator: Ventilator;
  /** Advances the adapter's time by `ms` and lets pending I/O settle. */
  advance: (ms: number) => Promise<void>;
  /** Takes the link down (optional: adapters whose transport can be cut). */
  cutLink?: () => Promise<void> | void;
  /** Live timers left on the adapter's clock (optional: virtual clocks). */
  pendingTimers?: () => number;
  teardown?: () => Promise<void> | void;
}

export interface ConformanceOptions {
  /** How long to wait for a confirmation in `advance` steps. */
  applyWithinMs?: number;
  /** Minimum samples expected over 10 s. */
  minSamplesPer10s?: number;
}

/** Resolves `p` while advancing the clock in steps (adapters confirm on their clock). */
export async function settle<T>(subject: ConformanceSubject, p: Promise<T>, withinMs: number, stepMs = 100): Promise<T> {
  let done = false;
  const guarded = p.finally(() => (done = true));
  // Handled at once, so an apply that rejects before the first advance is no unhandled rejection.
  guarded.catch(() => undefined);
  for (let t = 0; t < withinMs && !done; t += stepMs) await subject.advance(stepMs);
  return guarded;
}

/** A setting change within the device's ranges that differs from the current one. */
function pickChange(current: VentSettings, caps: VentilatorCapabilities): Partial<VentSettings> {
  const [lo, hi] = caps.ranges.peepCmH2O;
  const target = current.peepCmH2O + 2 <= Math.min(hi, 20) ? current.peepCmH2O + 2 : Math.max(lo, current.peepCmH2O - 2);
  return { peepCmH2O: target };
}

/**
 * Complete settings at the edges of the capability ranges, one per mode and edge: where a
 * device has limits that depend on the mode, some of these are refused by `checkSettings`.
 */
function edgeSettings(current: VentSettings, caps: VentilatorCapabilities): VentSettings[] {
  const out: VentSettings[] = [];
  const [plo, phi] = caps.ranges.peakCmH2O;
  const vt = caps.ranges.tidalVolumeMl;
  for (const mode of caps.modes) {
    for (const peakCmH2O of [plo, phi]) {
      const peep = Math.max(caps.ranges.peepCmH2O[0], Math.min(current.peepCmH2O, peakCmH2O - 1));
      out.push({ ...current, mode, peepCmH2O: peep, peakCmH2O, ...(mode === 'VC' && vt ? { tidalVolumeMl: current.tidalVolumeMl ?? Math.round((vt[0] + vt[1]) / 2) } : {}) });
    }
  }
  return out;
}

export function ventilatorConformance(name: string, make: () => Promise<ConformanceSubject>, options: ConformanceOptions = {}): void {
  const within = options.applyWithinMs ?? 10_000;
  const minSamples = options.minSamplesPer10s ?? 3;

  describe(`Ventilator conformance: ${name}`, () => {
    it('connects, identifies itself and reports capabilities with sane ranges', async () => {
      const s = await make();
      try {
        await settle(s, s.ventilator.connect(), within);
        const info = await s.ventilator.identify();
        expect(info.vendor).toBeTruthy();
        expect(info.model).toBeTruthy();
        const r = info.capabilities.ranges;
        for (const [lo, hi] of [r.peepCmH2O, r.peakCmH2O, r.rateBpm, r.fio2]) expect(lo).toBeLessThanOrEqual(hi);
        expect(info.capabilities.modes.length).toBeGreaterThan(0);
        const settings = await s.ventilator.readSettings();
        expect(info.capabilities.modes).toContain(settings.mode);
      } finally {
        await s.ventilator.close();
        await s.teardown?.();
      }
    });

    it('applies a setting and reads it back (or refuses remote setting with NotPermittedError)', async () => {
      const s = await make();
      try {
        await settle(s, s.ventilator.connect(), within);
        const caps = (await s.ventilator.identify()).capabilities;
        const before = await s.ventilator.readSettings();
        const change = pickChange(before, caps);
        if (!caps.remoteSetting) {
          await expect(settle(s, s.ventilator.apply(change), within)).rejects.toBeInstanceOf(NotPermittedError);
          expect(settingsMatch(before, await s.ventilator.readSettings())).toBe(true);
          return;
        }
        const confirmed = await settle(s, s.ventilator.apply(change), within);
        expect(confirmed.peepCmH2O).toBeCloseTo(change.peepCmH2O!, 1);
        // What apply resolves with is the complete settings the device confirmed, and a readback says the same.
        expect(settingsMatch({ ...before, ...change }, confirmed)).toBe(true);
        const readback = await s.ventilator.readSettings();
        expect(settingsMatch({ ...before, ...change }, readback)).toBe(true);
        expect(settingsMatch(confirmed, readback)).toBe(true);
        // Back to where it was: the restore path every abort takes.
        const restored = await settle(s, s.ventilator.apply(before), within);
        expect(settingsMatch(before, restored)).toBe(true);
        expect(settingsMatch(before, await s.ventilator.readSettings())).toBe(true);
      } finally {
        await s.ventilator.close();
        await s.teardown?.();
      }
    });

    it('rejects out-of-range settings with OutOfRangeError and changes nothing', async () => {
      const s = await make();
      try {
        await settle(s, s.ventilator.connect(), within);
        const caps = (await s.ventilator.identify()).capabilities;
        const before = await s.ventilator.readSettings();
        const err = await settle(s, s.ventilator.apply({ peepCmH2O: caps.ranges.peepCmH2O[1] + 10 }), within).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(caps.remoteSetting ? OutOfRangeError : VentilatorError);
        expect((err as VentilatorError).code).toBe(caps.remoteSetting ? 'out-of-range' : 'not-permitted');
        const fio2Err = await settle(s, s.ventilator.apply({ fio2: 1.5 }), within).catch((e: unknown) => e);
        expect(fio2Err).toBeInstanceOf(VentilatorError);
        await s.advance(1000);
        expect(settingsMatch(before, await s.ventilator.readSettings())).toBe(true);
      } finally {
        await s.ventilator.close();
        await s.teardown?.();
      }
    });

    it('checks mode-dependent limits consistently: what checkSettings refuses, apply refuses too, and nothing changes', async () => {
      const s = await make();
      try {
        await settle(s, s.ventilator.connect(), within);
        const caps = (await s.ventilator.identify()).capabilities;
        const before = await s.ventilator.readSettings();
        for (const candidate of edgeSettings(before, caps)) {
          const problems = s.ventilator.checkSettings?.(candidate) ?? [];
          expect(Array.isArray(problems)).toBe(true);
          for (const p of problems) expect(typeof p === 'string' && p.length > 0).toBe(true);
          if (problems.length === 0 || !caps.remoteSetting) continue;
          const err = await settle(s, s.ventilator.apply(candidate), within).catch((e: unknown) => e);
          expect(err, `apply(${JSON.stringify(candidate)}) after checkSettings said: ${problems.join('; ')}`).toBeInstanceOf(VentilatorError);
          expect((err as VentilatorError).code).toBe('out-of-range');
        }
        // checkSettings sends nothing; the refused applies changed nothing.
        await s.advance(1000);
        expect(settingsMatch(before, await s.ventilator.readSettings())).toBe(true);
      } finally {
        await s.ventilator.close();
        await s.teardown?.();
      }
    });

    it('keeps samples flowing, timestamped and with a source', async () => {
      const s = await make();
      try {
        await settle(s, s.ventilator.connect(), within);
        const got: MonitorSample[] = [];
        const sub = s.ventilator.samples$.subscribe((x) => got.push(x));
        for (let i = 0; i < 100; i++) await s.advance(100);
        sub.unsubscribe();
        expect(got.length).toBeGreaterThanOrEqual(minSamples);
        for (let i = 1; i < got.length; i++) expect(got[i]!.t).toBeGreaterThanOrEqual(got[i - 1]!.t);
        for (const x of got) {
          expect(x.source).toBeTruthy();
          expect(Object.keys(x).length).toBeGreaterThan(2);
        }
      } finally {
        await s.ventilator.close();
        await s.teardown?.();
      }
    });

    it('surfaces a lost link as a typed error and a link-lost fault', async (ctx) => {
      const s = await make();
      if (!s.cutLink) {
        await s.ventilator.close();
        await s.teardown?.();
        ctx.skip();
        return;
      }
      try {
        await settle(s, s.ventilator.connect(), within);
        const caps = (await s.ventilator.identify()).capabilities;
        const before = await s.ventilator.readSettings();
        const fault = firstValueFrom(s.ventilator.faults$);
        await s.cutLink();
        await settle(s, fault, 30_000, 250);
        const f = await fault;
        expect(f.code).toBe('link-lost');
        expect(typeof f.t === 'number' && Number.isFinite(f.t)).toBe(true);
        expect(f.message.length).toBeGreaterThan(0);
        const err = await settle(s, s.ventilator.apply(pickChange(before, caps)), within).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VentilatorError);
        expect(['disconnected', 'timeout', 'not-permitted']).toContain((err as VentilatorError).code);
        if (caps.remoteSetting) expect(err).toBeInstanceOf(DisconnectedError);
      } finally {
        await s.ventilator.close();
        await s.teardown?.();
      }
    });

    it('closes cleanly: streams complete, timers stop, later calls fail', async () => {
      const s = await make();
      await settle(s, s.ventilator.connect(), within);
      const samplesDone = lastValueFrom(s.ventilator.samples$.pipe(toArray()));
      const faultsDone = lastValueFrom(s.ventilator.faults$.pipe(toArray()));
      await s.ventilator.close();
      await expect(samplesDone).resolves.toBeInstanceOf(Array);
      await expect(faultsDone).resolves.toBeInstanceOf(Array);
      if (s.pendingTimers) expect(s.pendingTimers()).toBe(0);
      await expect(s.ventilator.apply({ peepCmH2O: 10 })).rejects.toBeInstanceOf(VentilatorError);
      await expect(s.ventilator.readSettings()).rejects.toBeInstanceOf(VentilatorError);
      // A second close is harmless (abort paths and shutdown both close).
      await expect(s.ventilator.close()).resolves.toBeUndefined();
      await s.teardown?.();
    });
  });
}
