/**
 * The post-maneuver watch, wired: after a completed maneuver the session's sample streams go
 * on feeding the pure watch reducer (machines/watch.ts) on the session's clock until the watch
 * ends (its time, or the operator). It reads samples only: it holds no reference to
 * `Ventilator.apply`, so it cannot change a setting. What it finds goes out on the session's
 * telemetry (journal, console, CLI): `watch` events, and its alarms as `alarm` events.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { merge, type Observable, type Subscription } from 'rxjs';
import { every, VirtualClock, type Clock } from '../../common/clock.js';
import {
  checkSample,
  startWatch,
  stepWatch,
  watchSummary,
  type BaselineVitals,
  type MonitorSample,
  type Protocol,
  type StepRecord,
  type VentSettings,
  type WatchConfig,
  type WatchEvent,
  type WatchFinding,
  type WatchState,
  type WatchSummary,
} from '../../machines/index.js';
import { checkSampleShape } from './sampleSchema.js';
import type { Session } from './session.js';
import type { SessionSummary, TelemetryEvent } from './telemetry.js';

/** What the watch reads: sample streams only (no settings can be written through this). */
export interface WatchPorts {
  clock: Clock;
  samples$: Observable<MonitorSample | unknown>;
  telemetry: { next(e: TelemetryEvent): void };
  protocol: Protocol;
}

export interface WatchRun {
  readonly done: Promise<WatchSummary>;
  /** Ends the watch now (the operator, a signal, the console moving on). */
  end(by: string): void;
  readonly state: WatchState;
}

/** The last step's medians at the final settings: the first reference of the watch. */
function finalReference(steps: readonly StepRecord[]): { spo2Pct: number | null; complianceMlPerCmH2O: number | null } | undefined {
  const last = steps[steps.length - 1];
  return last && !last.aborted ? { spo2Pct: last.spo2Pct, complianceMlPerCmH2O: last.complianceMlPerCmH2O } : undefined;
}

/**
 * Starts watching after a completed maneuver. Null when there is nothing to watch: the
 * maneuver did not complete with verified settings, or the watch is disabled (0 min).
 *
 * @example
 * const watch = watchAfter(session, summary, { ...DEFAULT_WATCH_CONFIG, durationMin: 30 });
 * if (watch) console.log(await driveWatch(watch, session.clock));
 */
export function watchAfter(session: Session, summary: SessionSummary, config: WatchConfig): WatchRun | null {
  const { ventilator, vitals, protocol, clock } = session.options;
  return startWatchOn({ clock, samples$: merge(ventilator.samples$, vitals.samples$), telemetry: session.telemetry$, protocol }, summary, config);
}

/** The same on bare ports (tests, the console). */
export function startWatchOn(ports: WatchPorts, summary: SessionSummary, config: WatchConfig): WatchRun | null {
  const settings: VentSettings | null = summary.verifiedSettings;
  if (summary.outcome !== 'completed' || !settings || config.durationMin <= 0) return null;
  const { clock, protocol, telemetry } = ports;
  const baseline: BaselineVitals | null = summary.baselineVitals;
  const reference = finalReference(summary.steps);
  let state = startWatch({ config, startedAt: clock.now(), settings, baseline, safety: protocol.safety, peakLimitCmH2O: protocol.peakLimitCmH2O, ...(reference ? { reference } : {}) });
  let resolve!: (s: WatchSummary) => void;
  const done = new Promise<WatchSummary>((r) => (resolve = r));
  const subs: Subscription[] = [];
  let stopTicks: (() => void) | null = null;
  let endTimer: ReturnType<Clock['setTimeout']> | null = null;
  const emit = (e: TelemetryEvent): void => telemetry.next(e);
  const finish = (): void => {
    stopTicks?.();
    if (endTimer) clock.clearTimeout(endTimer); // ended early: no timer left on a wall clock
    for (const s of subs) s.unsubscribe();
    const result = watchSummary(state);
    emit({ kind: 'watch', t: clock.now(), stage: 'ended', summary: result });
    resolve(result);
  };
  const feed = (e: WatchEvent): void => {
    if (state.status === 'ended') return;
    const r = stepWatch(state, e);
    state = r.state;
    for (const f of r.findings) report(f);
    if (state.status === 'ended') finish();
  };
  const report = (f: WatchFinding): void => {
    if (f.kind === 'alarm') emit({ kind: 'alarm', t: f.at, priority: f.priority, message: f.message });
    emit({ kind: 'watch', t: f.at, stage: 'finding', finding: f });
  };
  emit({ kind: 'watch', t: clock.now(), stage: 'started', plannedMs: state.endsAt - state.input.startedAt, settings, config: state.input.config });
  subs.push(
    ports.samples$.subscribe((raw) => {
      const now = clock.now();
      const shape = checkSampleShape(raw);
      if ('problems' in shape) return; // the edge check, as in the session: a malformed sample never counts
      const checked = checkSample(shape.sample, now, protocol.safety.maxFutureSkewS * 1000);
      if (checked.ok) feed({ type: 'SAMPLE', now, sample: checked.sample });
    }),
  );
  stopTicks = every(clock, 1000, () => feed({ type: 'TICK', now: clock.now() }));
  endTimer = clock.setTimeout(() => feed({ type: 'TICK', now: clock.now() }), state.endsAt - clock.now());
  return {
    done,
    end: (by) => feed({ type: 'END', now: clock.now(), by }),
    get state() {
      return state;
    },
  };
}

/**
 * Runs a watch to its end: on a virtual clock its timers back to back (30 minutes in
 * milliseconds); on the wall clock it just waits.
 */
export async function driveWatch(watch: WatchRun, clock: Clock): Promise<WatchSummary> {
  if (!(clock instanceof VirtualClock)) return watch.done;
  let n = 0;
  while (watch.state.status !== 'ended') {
    if (!clock.runNext()) throw new Error('post-maneuver watch stalled: no timer scheduled');
    if (++n % 4096 === 0) await yieldToEventLoop();
  }
  return watch.done;
}
