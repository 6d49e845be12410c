/**
 * 24 h of simulated 50 Hz ventilator telemetry (plus 1 Hz vitals) through the session runner
 * and the journal (to /dev/null): heap and RSS growth after the first simulated hour.
 */
import { VirtualClock } from '../common/clock.js';
import { SimulatedVentilator, SimulatedVitals, SimWorld } from '../hal/simulated/index.js';
import { defaultProtocol } from '../machines/index.js';
import { BUILTIN_PROFILES } from '../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../src/cli/inputs.js';
import { Journal } from '../src/journal/journal.js';
import { Session } from '../src/runner/session.js';
import { fmt, type BenchRow } from './stats.js';

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

export async function benchMemory(hours = 24): Promise<BenchRow> {
  const clock = new VirtualClock(0);
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: DEFAULT_SIM_BASELINE });
  const ventilator = new SimulatedVentilator({ world, sampleMs: 20 });
  const vitals = new SimulatedVitals({ world });
  const session = await Session.open({ maneuver: 'sustained-inflation', protocol: defaultProtocol('sustained-inflation'), ventilator, vitals, clock, onCompleted: 'wait' });
  const journal = Journal.discarding();
  journal.header({ versions: {}, maneuver: 'sustained-inflation', protocol: defaultProtocol('sustained-inflation'), clock: 'virtual' });
  journal.attach(session.telemetry$);
  let samples = 0;
  session.telemetry$.subscribe((e) => {
    if (e.kind === 'input' && e.event.type === 'SAMPLE') samples++;
  });
  session.begin();
  const hourMs = 3_600_000;
  const runTo = async (t: number): Promise<void> => {
    while (clock.now() < t) {
      clock.advanceTo(Math.min(t, clock.now() + 1000));
      if (session.inflight > 0) await new Promise((r) => setImmediate(r));
    }
  };
  const t0 = performance.now();
  await runTo(hourMs);
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  await runTo(hours * hourMs);
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const rss1 = process.memoryUsage().rss;
  const wallS = (performance.now() - t0) / 1000;
  const state = session.state;
  journal.close();
  await session.close();
  // Live heap after a full GC is the leak measure; RSS moves by tens of MB with the
  // allocator whatever the program does, so it is reported but not judged.
  const heapGrowthMb = (heap1 - heap0) / 1e6;
  return {
    name: `${hours} h of 50 Hz telemetry through runner + journal (${(samples / 1e6).toFixed(2)}M samples, ${fmt(wallS, 0)} s wall, ends in ${state})`,
    figure: `live heap ${fmt(heapGrowthMb, 2)} MB growth from hour 1 to hour ${hours} (RSS ${fmt((rss1 - rss0) / 1e6, 1)} MB, allocator noise)${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: noisy)'}`,
    target: '< 10 MB',
    ratio: 10 / Math.max(0.01, Math.abs(heapGrowthMb)),
  };
}
