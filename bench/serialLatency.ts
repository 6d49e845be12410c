/**
 * Abort decision latency over a real serial link: a MakAir emulator on one end of a socat
 * pseudo-terminal pair, the session (MakAirVentilator) on the other. From a guard-violating
 * vitals sample entering the runner to the first restore control frame arriving on the
 * device's end of the PTY. A PTY does not emulate the baud rate, so the figure is the
 * software's share plus the kernel's; the wire time at 115200 baud is added for reference.
 *
 * Measured twice: with the emulator in this process (it shares the event loop with the
 * session, as in the integration tests) and in a separate process (bench/emulatorProcess.ts,
 * as a real device is: the host's event loop carries only the host). Across processes the
 * arrival is stamped on CLOCK_MONOTONIC (process.hrtime), which both processes share.
 *
 * Each placement alternates, trial by trial on the same link, the host transport's two write
 * paths (hal/serial/directWrite.ts): small frames written with a non-blocking write(2) on the
 * port's fd from the event loop ("direct write"), and every frame through the binding's
 * thread-pool write ("queued path only", the path before it). For the restore frame it also
 * reports the hop from the adapter's `write()` to the bytes handed to the kernel (the direct
 * write(2) returning, or the binding's write callback).
 */
import { fork } from 'node:child_process';
import { Subject } from 'rxjs';
import { every, WallClock } from '../common/clock.js';
import { ControlFrameParser, ControlSetting, MakAirVentilator } from '../hal/makair/index.js';
import type { DeviceFault, Ventilator, VitalsSource } from '../hal/port.js';
import { SerialTransport, type WriteTiming } from '../hal/serial/transport.js';
import { SimWorld } from '../hal/simulated/world.js';
import { ProtocolSchema, type MonitorSample, type VentSettings } from '../machines/index.js';
import { BUILTIN_PROFILES } from '../sim/index.js';
import { MakAirEmulator } from '../emulators/index.js';
import { defaultLineSettings } from '../src/runner/device.js';
import { Session } from '../src/runner/session.js';
import { ptyPair, scratchDir, SOCAT } from '../test/integration/support/pty.js';
import { fmt, summarize, type BenchRow } from './stats.js';

const BASELINE: VentSettings = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };
const NORMAL = { spo2Pct: 94, mapMmHg: 78, sbpMmHg: 115, hrBpm: 90 };

class PushVitals implements VitalsSource {
  readonly samples$ = new Subject<MonitorSample>();
  readonly faults$ = new Subject<DeviceFault>();
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The adapter shared by every trial: sessions come and go, the link stays. */
function keepOpen(v: Ventilator): Ventilator {
  return new Proxy(v, { get: (t, k) => (k === 'close' ? async () => undefined : Reflect.get(t, k, t)) });
}

export type EmulatorPlacement = 'in-process' | 'separate process';

/** The host transport's write paths compared: `direct` is the default, `queued` the path before it. */
export const WRITE_PATHS = ['direct', 'queued'] as const;
export type HostWritePath = (typeof WRITE_PATHS)[number];

/** A restore frame (PEEP back to the baseline's 100 mmH2O) in the bytes of one write. */
function isRestoreFrame(bytes: Uint8Array): boolean {
  return new ControlFrameParser().push(bytes).some((f) => f.setting === ControlSetting.PEEP && f.value === 100);
}

/**
 * `trials` per write path, alternating on one link: one row per write path.
 */
export async function benchSerialLatency(trials = 100, placement: EmulatorPlacement = 'in-process', paths: readonly HostWritePath[] = WRITE_PATHS): Promise<BenchRow[]> {
  if (!SOCAT) throw new Error('socat is not installed');
  const scratch = scratchDir();
  const pair = await ptyPair(scratch.dir, 'bench-makair');
  const clock = new WallClock(20);
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: BASELINE });
  const line = defaultLineSettings({ protocol: 'makair' });
  const hr = (): number => Number(process.hrtime.bigint()) / 1e6;
  let armedAt = 0;
  let arrivedAt = 0;
  let stopDevice: () => Promise<void>;
  if (placement === 'in-process') {
    const devicePort = await SerialTransport.open({ path: pair.device, ...line });
    const emulator = new MakAirEmulator({ transport: devicePort, clock, world, replyDelayMs: 0 });
    emulator.start();
    // Watch the device's end of the wire for the restore frame (PEEP back to 100 mmH2O).
    const wire = new ControlFrameParser();
    devicePort.data$.subscribe((chunk) => {
      for (const f of wire.push(chunk)) if (armedAt && !arrivedAt && f.setting === ControlSetting.PEEP && f.value === 100) arrivedAt = hr();
    });
    stopDevice = async () => {
      await emulator.close();
      await devicePort.close();
    };
  } else {
    const child = fork(new URL('./emulatorProcess.js', import.meta.url), [pair.device], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`emulator process exited (${code}) before it was ready`)));
      child.on('message', (m: { ready?: boolean; restoreAt?: string }) => {
        if (m.ready) resolve();
        const at = m.restoreAt ? Number(BigInt(m.restoreAt)) / 1e6 : 0;
        if (at && armedAt && !arrivedAt && at >= armedAt) arrivedAt = at;
      });
    });
    stopDevice = async () => {
      if (child.connected) child.send({ stop: true });
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    };
  }
  // The restore frame's write, matched to its timing by the time write() was called (the
  // transport stamps it within the synchronous call, between these two readings).
  let restoreCall: [number, number] | null = null;
  let restoreTiming: WriteTiming | null = null;
  const hostPort = await SerialTransport.open({ path: pair.host, ...line }, undefined, {
    onWrite: (t) => {
      if (restoreCall && !restoreTiming && t.startedAt >= restoreCall[0] && t.startedAt <= restoreCall[1]) restoreTiming = t;
    },
  });
  const watched = new Proxy(hostPort, {
    get: (t, k) =>
      k === 'write'
        ? (bytes: Uint8Array) => {
            const before = performance.now();
            const p = t.write(bytes);
            if (armedAt && !restoreCall && isRestoreFrame(bytes)) restoreCall = [before, performance.now()];
            return p;
          }
        : Reflect.get(t, k, t),
  });
  const vent = new MakAirVentilator({ transport: watched, clock, fio2: 0.4, linkTimeoutMs: 20_000, applyDeadlineMs: 60_000 });
  await vent.connect();
  const protocol = ProtocolSchema.parse({ maneuver: 'high-pressure-pcv', safety: { vitalsStaleS: 30, applyTimeoutS: 60, restoreTimeoutS: 60 } });
  const by = new Map(paths.map((p) => [p, { share: [] as number[], toKernel: [] as number[], toDone: [] as number[], pathsSeen: new Map<string, number>() }]));
  let missed = 0;
  const warmup = 3 * paths.length;
  try {
    for (let i = 0; i < trials * paths.length + warmup; i++) {
      const path = paths[i % paths.length]!;
      hostPort.directWrite = path === 'direct';
      const vitals = new PushVitals();
      const session = await Session.open({ maneuver: 'high-pressure-pcv', protocol, ventilator: keepOpen(vent), vitals, clock });
      const stopVitals = every(clock, 1000, () => vitals.samples$.next({ t: clock.now(), source: 'bench', ...NORMAL }));
      // Bounded: a session that ends before the dwell (on a loaded machine the vitals can go
      // stale first) or never gets there is not a trial; it is counted and the next one starts.
      let limit: NodeJS.Timeout | undefined;
      const dwelling = await new Promise<boolean>((resolve) => {
        limit = setTimeout(() => resolve(false), 60_000);
        session.telemetry$.subscribe((e) => {
          if (e.kind === 'state' && e.state.endsWith('dwelling')) resolve(true);
          if (e.kind === 'outcome') resolve(false);
        });
        session.begin();
      });
      clearTimeout(limit);
      if (!dwelling) {
        stopVitals();
        await session.close();
        if (++missed > Math.max(3, trials / 10)) throw new Error(`${missed} trials did not reach the dwell`);
        i--;
        continue;
      }
      arrivedAt = 0;
      restoreCall = null;
      restoreTiming = null;
      armedAt = hr();
      vitals.samples$.next({ t: clock.now(), source: 'bench', ...NORMAL, mapMmHg: 45 });
      const summary = await session.done;
      stopVitals();
      await session.close();
      // Across processes the report comes over IPC after the fact: wait for it (bounded).
      for (let k = 0; k < 200 && !arrivedAt; k++) await new Promise((r) => setTimeout(r, 5));
      if (summary.outcome !== 'aborted' || !arrivedAt) throw new Error(`trial ${i}: ended ${summary.outcome}, restore frame ${arrivedAt ? 'seen' : 'not seen'}`);
      // The restore's write has drained by the time the session is done (the confirming report followed it).
      const timing = restoreTiming as WriteTiming | null;
      if (i >= warmup) {
        const b = by.get(path)!;
        b.share.push(arrivedAt - armedAt);
        if (timing) {
          b.toKernel.push(timing.toKernelMs);
          b.toDone.push(timing.toDoneMs);
          b.pathsSeen.set(timing.path, (b.pathsSeen.get(timing.path) ?? 0) + 1);
        }
      }
      armedAt = 0;
    }
  } finally {
    await vent.close();
    await stopDevice();
    clock.clearAll();
    await pair.close();
    scratch.cleanup();
  }
  const wireMs = (10 * 10 * 1000) / 115_200; // a 10-byte control frame, 10 bits a byte
  return paths.map((path) => {
    const b = by.get(path)!;
    const s = summarize(b.share);
    const k = summarize(b.toKernel);
    const d = summarize(b.toDone);
    const seen = [...b.pathsSeen].map(([p, n]) => `${p} ${n}`).join(', ');
    return {
      name: `abort decision latency over a PTY (violating sample -> restore frame on the device end), MakAir, emulator ${placement === 'in-process' ? 'in this process' : 'in a separate process'}, host writes: ${path === 'direct' ? 'direct write(2) on the fd when nothing is queued' : 'queued path only (thread-pool write, the path before)'}, ${trials} trials interleaved with the other write path`,
      figure:
        `p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms, max ${fmt(s.max, 2)} ms (+ ${fmt(wireMs, 2)} ms wire time at 115200 baud on a real line); ` +
        `restore frame write() -> bytes to the kernel p50 ${fmt(k.p50, 3)} ms, p99 ${fmt(k.p99, 3)} ms, max ${fmt(k.max, 3)} ms; write() -> drained p50 ${fmt(d.p50, 3)} ms, p99 ${fmt(d.p99, 3)} ms, max ${fmt(d.max, 3)} ms (${k.n} timed: ${seen || 'none'})` +
        `${missed ? `; ${missed} sessions did not reach the dwell and were run again` : ''}`,
      target: placement === 'in-process' ? 'wire time + 2 ms (software share p99 < 2 ms)' : 'software share p99 < 1 ms',
      ratio: (placement === 'in-process' ? 2 : 1) / s.p99,
    };
  });
}
