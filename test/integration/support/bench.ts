/**
 * A test bench over real pseudo-terminals: an emulated device (MakAir or MEDIBUS) and an
 * emulated patient monitor on the device ends of two socat pairs, one simulated patient behind
 * both, everything on one sped-up wall clock. The session under test opens the host ends
 * through `openDeviceSession` and `openLineVitals`, exactly as `rmseq run --device` does.
 */
import { WallClock } from '../../../common/clock.js';
import type { GuidedPrompt } from '../../../hal/guided/index.js';
import type { MedibusFamily } from '../../../hal/medibus/index.js';
import { ReopeningTransport } from '../../../hal/serial/reopening.js';
import { SerialTransport, type ByteTransport } from '../../../hal/serial/transport.js';
import { SimWorld } from '../../../hal/simulated/world.js';
import { ProtocolSchema, type ManeuverKind, type Protocol, type ProtocolInput, type VentSettings } from '../../../machines/index.js';
import { BUILTIN_PROFILES, type BuiltinProfileName } from '../../../sim/index.js';
import { executeControl, MakAirEmulator, MedibusEmulator, parseControlLine, VitalsFeedEmulator } from '../../../emulators/index.js';
import { defaultLineSettings, openDeviceSession, openLineVitals, type DeviceSession, type DeviceSessionOptions } from '../../../src/runner/device.js';
import { runSession } from '../../../src/runner/drive.js';
import type { SessionSummary, TelemetryEvent } from '../../../src/runner/telemetry.js';
import { ptyPair, within, type PtyPair } from './pty.js';

/**
 * Timeouts measured on a sped-up clock shrink in real time: at 30x, the MakAir adapter's 1 s
 * link timeout would be 33 ms, and a test machine busy with other test files (socat starved,
 * a GC pause) can stall a pseudo-terminal for hundreds of milliseconds. The benches widen every
 * timeout such a stall could trip to about 1 s of real time at their speed (25x-30x); the
 * fault tests choose fault durations beyond them. Values in milliseconds of the emulated clock.
 */
export const WIDE = {
  makairLinkMs: 25_000,
  makairApplyDeadlineMs: 30_000,
  medibusSilenceMs: 25_000,
  medibusResponseMs: 25_000,
  vitalsLostMs: 30_000,
  connectMs: 40_000,
  // Beyond the 30-s baseline window the session waits to fill before it starts.
  warmupMs: 45_000,
} as const;

/**
 * The protocol's safety timings, widened the same way (seconds of the emulated clock). The
 * ventilator watchdog (30 s) stays behind the adapters' own link timeouts (25 s), so a lost
 * link is reported as such.
 */
export const WIDE_SAFETY = { vitalsStaleS: 30, ventilatorStaleS: 30, applyTimeoutS: 30, restoreTimeoutS: 30 } as const;

/** The session and MakAir link options every bench opens its session with: the timeouts widened (WIDE), the session ending by itself. */
export const WIDE_SESSION = {
  connectTimeoutMs: WIDE.connectMs,
  session: { onCompleted: 'end', onFailsafe: 'end', warmupTimeoutMs: WIDE.warmupMs },
  makair: { linkTimeoutMs: WIDE.makairLinkMs, applyDeadlineMs: WIDE.makairApplyDeadlineMs },
} as const satisfies Partial<DeviceSessionOptions>;

export const DEVICE_BASELINE: VentSettings = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };

/** The protocol a bench session runs: `protocol` as `maneuver`, its safety timings widened (WIDE_SAFETY) unless it sets them. */
export function benchProtocol(o: { maneuver: ManeuverKind; protocol: ProtocolInput }): Protocol {
  return ProtocolSchema.parse({ ...o.protocol, maneuver: o.maneuver, safety: { ...WIDE_SAFETY, ...(o.protocol.safety ?? {}) } });
}

/**
 * What every bench does the same way once its emulators run: one sped-up clock, a list of
 * closers run in order by `close()` (each one's failure ignored, so the rest still run), a
 * session run to its end under a wall-clock guard, and a hook on the session's states.
 */
export abstract class SessionBench {
  protected closers: Array<() => Promise<void>> = [];

  protected constructor(readonly clock: WallClock) {}

  /** Collects the session's telemetry from now on, and closes the session first when the bench closes. */
  protected adopt(ds: DeviceSession): TelemetryEvent[] {
    const telemetry: TelemetryEvent[] = [];
    ds.session.telemetry$.subscribe((e) => telemetry.push(e));
    this.closers.unshift(() => ds.close());
    return telemetry;
  }

  /** Runs the session to its end (the wall-clock limit is a guard). */
  run(ds: DeviceSession, limitMs: number): Promise<SessionSummary> {
    return within(runSession(ds.session), limitMs, 'session');
  }

  /** Calls `fn` once, when the session first enters a state `match` accepts (state name such as `active.highPressure.dwelling`, step label). */
  when(ds: DeviceSession, match: (state: string, step: string | null) => boolean, fn: () => void): void {
    let fired = false;
    const sub = ds.session.telemetry$.subscribe((e) => {
      if (fired || e.kind !== 'state' || !match(e.state, e.step)) return;
      fired = true;
      queueMicrotask(() => sub.unsubscribe());
      fn();
    });
  }

  async close(): Promise<void> {
    for (const c of this.closers) await c().catch(() => undefined);
    this.closers = [];
  }
}

export type BenchDevice = { protocol: 'makair' } | { protocol: 'medibus'; family: MedibusFamily };

export interface BenchOptions {
  dir: string;
  name: string;
  device: BenchDevice;
  /** Wall clock speed-up (both ends share the clock). */
  speed: number;
  baseline?: VentSettings;
  profile?: BuiltinProfileName;
  seed?: number;
}

export class Bench extends SessionBench {
  readonly world: SimWorld;
  readonly emulator: MakAirEmulator | MedibusEmulator;
  readonly feed: VitalsFeedEmulator;

  private constructor(
    readonly o: BenchOptions,
    readonly pairs: { device: PtyPair; vitals: PtyPair },
    devicePort: ByteTransport,
    vitalsPort: SerialTransport,
  ) {
    super(new WallClock(o.speed));
    const settings = o.baseline ?? DEVICE_BASELINE;
    this.world = new SimWorld({ profile: BUILTIN_PROFILES[o.profile ?? 'moderate-ards'], seed: o.seed ?? 1, clock: this.clock, settings });
    this.emulator =
      o.device.protocol === 'makair'
        ? new MakAirEmulator({ transport: devicePort, clock: this.clock, world: this.world, dataPeriodMs: 250 })
        : new MedibusEmulator({ transport: devicePort, clock: this.clock, world: this.world, family: o.device.family, hostSilenceTimeoutMs: WIDE.medibusSilenceMs });
    this.feed = new VitalsFeedEmulator({ transport: vitalsPort, clock: this.clock, world: this.world, ageMs: 200 });
    this.closers.push(
      async () => {
        await this.emulator.close();
        await this.feed.close();
        await devicePort.close();
        await vitalsPort.close();
        this.clock.clearAll();
      },
      () => pairs.device.close(),
      () => pairs.vitals.close(),
    );
  }

  /** Two PTY pairs, the emulators on their device ends, started. */
  static async start(o: BenchOptions): Promise<Bench> {
    const device = await ptyPair(o.dir, `${o.name}-device`);
    const vitals = await ptyPair(o.dir, `${o.name}-vitals`);
    const line = o.device.protocol === 'makair' ? defaultLineSettings({ protocol: 'makair' }) : defaultLineSettings(o.device);
    // The emulator's end reopens too, so a replugged cable (replugDevice) brings both ends back.
    const openDevice = () => SerialTransport.open({ path: device.device, ...line });
    const devicePort = new ReopeningTransport(await openDevice(), openDevice, new WallClock(1), { initialMs: 50, maxMs: 500 });
    const vitalsPort = await SerialTransport.open({ path: vitals.device, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
    const bench = new Bench(o, { device, vitals }, devicePort, vitalsPort);
    bench.emulator.start();
    bench.feed.start();
    return bench;
  }

  get hostPath(): string {
    return this.pairs.device.host;
  }

  /**
   * Pulls the device cable and plugs it back: the socat pair dies (both ends lose the port)
   * and a new one comes up under the same paths after `downMs` of wall time.
   */
  async replugDevice(downMs: number): Promise<void> {
    await this.pairs.device.close();
    await new Promise((r) => setTimeout(r, downMs));
    this.pairs.device = await ptyPair(this.o.dir, `${this.o.name}-device`);
  }

  /** Opens the session on the host ends, as `rmseq run --device ... --vitals line:...` does. */
  async openSession(o: {
    maneuver: ManeuverKind;
    protocol: ProtocolInput;
    guided?: DeviceSessionOptions['guided'];
  }): Promise<{ ds: DeviceSession; telemetry: TelemetryEvent[]; protocol: Protocol }> {
    const vitals = await openLineVitals({ path: this.pairs.vitals.host }, { clock: this.clock, lostAfterMs: WIDE.vitalsLostMs });
    const protocol = benchProtocol(o);
    const device = this.o.device.protocol === 'makair'
      ? { protocol: 'makair' as const, path: this.hostPath, fio2: (this.o.baseline ?? DEVICE_BASELINE).fio2 }
      : { protocol: 'medibus' as const, path: this.hostPath, family: this.o.device.family };
    const ds = await openDeviceSession({
      device,
      maneuver: o.maneuver,
      protocol,
      vitals,
      clock: this.clock,
      ...WIDE_SESSION,
      medibus: { timing: { silenceTimeoutMs: WIDE.medibusSilenceMs, responseTimeoutMs: WIDE.medibusResponseMs }, reconnectMs: 2000 },
      ...(o.guided ? { guided: o.guided } : {}),
    });
    const telemetry = this.adopt(ds);
    return { ds, telemetry, protocol };
  }

  /**
   * Types `line` on the emulator's control channel (as on `rmseq emulate`'s stdin) `delayMs`
   * from now on the bench clock; returns when it was typed (NaN until then).
   */
  controlAfter(line: string, delayMs: number): () => number {
    let at = Number.NaN;
    const parsed = parseControlLine(line);
    if (!parsed.ok) throw new Error(parsed.error);
    this.clock.setTimeout(() => {
      executeControl(parsed.command, { emulator: this.emulator });
      at = this.clock.now();
    }, delayMs);
    return () => at;
  }
}

/** The settings the emulated patient receives, rounded for comparison. */
export function patientNow(bench: Bench): VentSettings {
  const s = bench.world.patient.settings();
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { ...s, peepCmH2O: r(s.peepCmH2O), peakCmH2O: r(s.peakCmH2O) };
}

/** Turns the knob `delayMs` after each waiting prompt; records when. */
export function therapist(bench: Bench, prompts$: { subscribe(fn: (p: GuidedPrompt | null) => void): unknown }, delayMs: number) {
  const turns: Array<{ prompt: GuidedPrompt; promptedAt: number; turnedAt: number | null }> = [];
  prompts$.subscribe((p) => {
    if (!p || p.status !== 'waiting') return;
    const entry = { prompt: p, promptedAt: bench.clock.now(), turnedAt: null as number | null };
    turns.push(entry);
    bench.clock.setTimeout(() => {
      bench.emulator.turnKnob(p.settings);
      entry.turnedAt = bench.clock.now();
    }, delayMs);
  });
  return turns;
}
