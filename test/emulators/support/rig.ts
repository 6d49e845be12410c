/**
 * In-process rigs for the emulator tests: a device emulator and a host adapter over
 * `transportPair()`, each on its own VirtualClock, advanced in lockstep (so the host's clock
 * holds only the adapter's timers and the conformance suite can count them).
 */
import { VirtualClock } from '../../../common/clock.js';
import { MakAirVentilator, type MakAirVentilatorOptions } from '../../../hal/makair/index.js';
import type { DeviceFault } from '../../../hal/port.js';
import { transportPair } from '../../../hal/serial/transport.js';
import { SimWorld } from '../../../hal/simulated/world.js';
import { MakAirEmulator } from '../../../emulators/index.js';
import { BUILTIN_PROFILES, type BuiltinProfileName } from '../../../sim/index.js';
import type { VentSettings } from '../../../machines/types.js';

export const MAKAIR_BASELINE: VentSettings = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };

/**
 * Lets queued microtasks run: `transportPair()` delivers bytes in microtasks, so nothing here
 * needs the event loop. Staying inside one microtask drain also keeps a promise that rejects
 * at once (an out-of-range apply) from being seen as unhandled before its caller attaches a
 * handler (the conformance suite attaches it after its first `advance`).
 */
export async function settle(rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export class Lockstep {
  readonly device = new VirtualClock(0);
  readonly host = new VirtualClock(0);

  /** Advances both clocks by `ms`, in steps, letting the wire deliver after each. */
  async advance(ms: number, stepMs = 20): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      const dt = Math.min(stepMs, ms - done);
      this.device.advanceBy(dt);
      await settle();
      this.host.advanceBy(dt);
      await settle();
    }
  }

  /** Advances until `p` settles (or `withinMs` passes) and returns its outcome. */
  async until<T>(p: Promise<T>, withinMs: number, stepMs = 20): Promise<T> {
    let done = false;
    const guarded = p.finally(() => (done = true));
    guarded.catch(() => undefined);
    for (let t = 0; t < withinMs && !done; t += stepMs) await this.advance(stepMs, stepMs);
    return guarded;
  }
}

export function world(clock: VirtualClock, settings: VentSettings, profile: BuiltinProfileName = 'moderate-ards', seed = 1): SimWorld {
  return new SimWorld({ profile: BUILTIN_PROFILES[profile], seed, clock, settings });
}

/** Records how a promise settles, without an unhandled rejection while time is advanced. */
export function track<T>(p: Promise<T>): { readonly state: 'pending' | 'resolved' | 'rejected'; readonly value?: T; readonly error?: unknown } {
  const s: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  p.then(
    (value) => Object.assign(s, { state: 'resolved', value }),
    (error: unknown) => Object.assign(s, { state: 'rejected', error }),
  );
  return s;
}

/**
 * One VirtualClock driven for a test: `advance` moves it in steps, letting the wire deliver after
 * each; `run` advances until a promise settles (at most `withinMs`) and returns how it settled.
 */
export function clockDriver(clock: VirtualClock): {
  advance(ms: number, stepMs?: number): Promise<void>;
  run<T>(p: Promise<T>, withinMs?: number): Promise<ReturnType<typeof track<T>>>;
} {
  const advance = async (ms: number, stepMs = 20): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      clock.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
  const run = async <T>(p: Promise<T>, withinMs = 30_000) => {
    const t = track(p);
    for (let d = 0; d < withinMs && t.state === 'pending'; d += 100) await advance(100);
    return t;
  };
  return { advance, run };
}

/**
 * A MakAir emulator (baseline MAKAIR_BASELINE) and a MakAirVentilator on one VirtualClock over
 * `transportPair()`, the adapter's faults recorded. Nothing runs until `connect()`: subscribe to
 * the emulator's events or the wire first. `advance` steps the clock by `stepMs` unless told
 * otherwise (each test file keeps the step it was written with). `connect()` starts the emulator,
 * connects the adapter and advances 3.1 s (boot, then the first state snapshot at 3 s); the
 * caller checks how the connect settled.
 */
export function makairOnOneClock(vent: Omit<MakAirVentilatorOptions, 'transport' | 'clock'>, stepMs: number) {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
  const ventilator = new MakAirVentilator({ transport: host, clock, ...vent });
  const faults: DeviceFault[] = [];
  ventilator.faults$.subscribe((f) => faults.push(f));
  const driver = clockDriver(clock);
  const advance = (ms: number, step = stepMs): Promise<void> => driver.advance(ms, step);
  const connect = async (): Promise<ReturnType<typeof track<void>>> => {
    emulator.start();
    const c = track(ventilator.connect());
    await advance(3100);
    return c;
  };
  return { clock, host, device, emulator, vent: ventilator, faults, advance, connect };
}
