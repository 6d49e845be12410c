/**
 * Abort decision latency in-process: from a guard-violating sample entering the runner to
 * the restore command reaching the HAL (`apply(baseline)` called), over many trials.
 */
import { Subject } from 'rxjs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { VirtualClock } from '../common/clock.js';
import type { DeviceFault, VitalsSource } from '../hal/port.js';
import { defaultProtocol, settingsMatch, type MonitorSample, type VentSettings } from '../machines/index.js';
import { Session } from '../src/runner/session.js';
import { FakeVentilator } from '../test/support/fakeVentilator.js';
import { fmt, summarize, type BenchRow } from './stats.js';

const BASELINE: VentSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
const NORMAL = { spo2Pct: 94, mapMmHg: 78, sbpMmHg: 115, hrBpm: 90 };

class PushVitals implements VitalsSource {
  readonly samples$ = new Subject<MonitorSample>();
  readonly faults$ = new Subject<DeviceFault>();
  async connect(): Promise<void> {}
  async close(): Promise<void> {
    this.samples$.complete();
    this.faults$.complete();
  }
}

async function trial(protocol: ReturnType<typeof defaultProtocol>): Promise<number> {
  const clock = new VirtualClock(0);
  const ventilator = new FakeVentilator({ ...BASELINE }, clock, undefined, 100);
  const vitals = new PushVitals();
  const session = await Session.open({ maneuver: 'sustained-inflation', protocol, ventilator, vitals, clock });
  let restoreAt = 0;
  const apply = ventilator.apply.bind(ventilator);
  ventilator.apply = (change) => {
    if (restoreAt === 0 && session.state.startsWith('aborting') && settingsMatch(BASELINE, { ...ventilator.settings, ...change } as VentSettings)) restoreAt = performance.now();
    return apply(change);
  };
  session.begin();
  for (let i = 0; i < 200 && !session.state.endsWith('dwelling'); i++) {
    vitals.samples$.next({ t: clock.now(), source: 'bench', ...NORMAL });
    clock.advanceBy(500);
    await yieldToEventLoop();
  }
  if (!session.state.endsWith('dwelling')) throw new Error(`latency trial did not reach the dwell (${session.state})`);
  const t0 = performance.now();
  vitals.samples$.next({ t: clock.now(), source: 'bench', ...NORMAL, mapMmHg: 45 });
  const latency = restoreAt - t0;
  await session.close();
  if (restoreAt === 0) throw new Error('the violating sample did not reach the HAL as a restore');
  return latency;
}

export async function benchAbortLatency(trials = 10_000): Promise<BenchRow> {
  const protocol = defaultProtocol('sustained-inflation');
  for (let i = 0; i < 200; i++) await trial(protocol);
  const ms: number[] = [];
  for (let i = 0; i < trials; i++) ms.push(await trial(protocol));
  const s = summarize(ms);
  return {
    name: `abort decision latency in-process (violating sample -> restore at the HAL), ${trials.toLocaleString('en')} trials`,
    figure: `p50 ${fmt(s.p50 * 1000, 0)} us, p99 ${fmt(s.p99 * 1000, 0)} us, max ${fmt(s.max, 2)} ms`,
    target: 'p99 < 1 ms',
    ratio: 1 / s.p99,
  };
}
