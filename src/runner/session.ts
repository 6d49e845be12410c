/**
 * The session runner: one maneuver actor driven by one ventilator and one vitals source.
 *
 * The machine decides; the session executes. It feeds validated samples, clock ticks and
 * device faults to the actor, executes each `command.apply` on the HAL (after checking it
 * against the hard limits) with readback verification, and turns HAL failures into
 * `APPLY_FAILED` / `DEVICE_FAULT` events. Everything it does goes out on `telemetry$`.
 */
import { merge, Subject, type Subscription } from 'rxjs';
import { every, type Clock, type TimerHandle } from '../../common/clock.js';
import { applyErrorCode, VentilatorError } from '../../hal/errors.js';
import type { DeviceInfo, DeviceSettingsBaseline, Ventilator, VitalsSource } from '../../hal/port.js';
import { assertWithinCapabilities } from '../../hal/ranges.js';
import {
  checkCommandLimits,
  checkSample,
  machineFor,
  outcomeOf,
  settingsMatch,
  stateName,
  type ApplyCommand,
  type DeviceFaultCode,
  type ManeuverEvent,
  type ManeuverKind,
  type RunnableKind,
  type ManeuverMachine,
  type PatientSize,
  type Protocol,
  type VentSettings,
  predictedBodyWeightKg,
  PatientSizeSchema,
  restoreTargetOf,
} from '../../machines/index.js';
import { assertPlanFitsDevice } from './planCheck.js';
import { checkSampleShape } from './sampleSchema.js';
import { createEngine, type EngineKind, type MachineEngine } from './engine.js';

export { assertPlanFitsDevice };
import { finalFio2Summary, titrationSummary, type SessionSummary, type TelemetryEvent } from './telemetry.js';

export type OperatorAction = 'start' | 'confirm' | 'abort' | 'ack' | 'repeat' | 'end';

export interface SessionOptions {
  maneuver: RunnableKind;
  protocol: Protocol;
  ventilator: Ventilator;
  vitals: VitalsSource;
  clock: Clock;
  /** Clock tick period fed to the machine. */
  tickMs?: number;
  /** At `completed`: end the session (CLI) or wait for the operator to repeat or end (console). */
  onCompleted?: 'end' | 'wait';
  /** In `failsafe`: end the session at once (batch runs) or wait for the acknowledgement. */
  onFailsafe?: 'end' | 'wait';
  /**
   * Give up waiting for a full baseline window after this long and let the preconditions
   * report what is missing (default: the protocol's baseline window + 10 s).
   */
  warmupTimeoutMs?: number;
  /** Height and sex (PBW limits Vt in mL/kg). Without them Vt/kg is not limited and the start warns. */
  patient?: PatientSize;
  /**
   * The operator checklist items confirmed (machines/checklist.ts). Given: the start is
   * blocked until every item is in; absent: not checked. The session sources require it on
   * devices and wall-clock runs (src/runner/source.ts).
   */
  checklist?: readonly string[];
  /**
   * How the machine runs (src/runner/engine.ts): an XState actor (default), or its pure
   * transition function (batch runs: cohorts, benchmarks). Same machine, same decisions.
   */
  engine?: EngineKind;
}

/**
 * A device whose FiO2 cannot be set (MakAir: the oxygen supply sets it; its range is one value)
 * cannot carry out the FiO2 titration: the staircase runs without it (the SpO2 method may then be
 * blind and the compliance method decide, as the summary says). Null when nothing changes.
 */
export function withoutFio2TitrationIfFixed(protocol: Protocol, device: DeviceInfo): Protocol | null {
  if (protocol.maneuver !== 'staircase' || !protocol.fio2Titration.enabled) return null;
  const [lo, hi] = device.capabilities.ranges.fio2;
  if (hi - lo >= protocol.fio2Titration.stepFio2 - 1e-9) return null;
  return { ...protocol, fio2Titration: { ...protocol.fio2Titration, enabled: false } };
}

/**
 * A device whose FiO2 cannot be set (MakAir) cannot pre-oxygenate either: the maneuver runs
 * without it (the absolute SpO2 floor applies; the session alarms: raise FiO2 on the oxygen
 * supply first). Null when nothing changes.
 */
export function withoutPreoxygenationIfFixed(protocol: Protocol, device: DeviceInfo): Protocol | null {
  if (protocol.preoxygenation.when === 'never') return null;
  const [lo, hi] = device.capabilities.ranges.fio2;
  if (hi - lo >= 0.05 - 1e-9) return null;
  return { ...protocol, preoxygenation: { ...protocol.preoxygenation, when: 'never' } };
}

/**
 * @example
 * const session = await Session.open({ maneuver: 'staircase', protocol, ventilator, vitals, clock });
 * session.telemetry$.subscribe((e) => console.log(e.kind));
 * session.begin();
 * const summary = await session.done;
 */
export class Session {
  readonly telemetry$ = new Subject<TelemetryEvent>();
  readonly done: Promise<SessionSummary>;
  private resolveDone!: (s: SessionSummary) => void;
  private readonly actor: MachineEngine;
  private readonly subs: Subscription[] = [];
  private stopTicks: (() => void) | null = null;
  private warmup: TimerHandle | null = null;
  private lastState = '';
  /** The state value last named, and its name (onSnapshot). */
  private namedValue: unknown = undefined;
  private valueName = '';
  private finished = false;
  private waitingToStart = false;
  private inflightCount = 0;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastTickAt = Number.NEGATIVE_INFINITY;
  /** Restore failures already alarmed (the machine's `restore.failures` grows by one per failed attempt). */
  private restoreFailuresSeen = 0;
  private firstVitalsAt: number | null = null;
  private rejected = { shape: 0, future: 0 };
  private restoring: Promise<boolean> | null = null;
  private closing: Promise<void> | null = null;
  private directlyVerified = false;
  private readonly lastTitration: { methods: unknown; measured: unknown } = { methods: undefined, measured: undefined };

  private constructor(
    readonly options: Required<Omit<SessionOptions, 'tickMs' | 'warmupTimeoutMs' | 'patient' | 'checklist' | 'engine'>> & { engine: EngineKind; tickMs: number; warmupTimeoutMs: number; patient?: PatientSize; checklist?: readonly string[] },
    readonly device: DeviceInfo,
    readonly baseline: VentSettings,
    private readonly fio2Fixed = false,
    private readonly preoxFixed = false,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.actor = createEngine(
      options.engine,
      machineFor(options.maneuver),
      {
        protocol: options.protocol,
        baseline,
        pressureToleranceCmH2O: device.capabilities.pressureResolutionCmH2O,
        ...(options.patient ? { patient: options.patient } : {}),
        ...(options.checklist !== undefined ? { checklist: options.checklist } : {}),
      },
      { emitted: (cmd) => void this.execute(cmd), snapshot: () => this.onSnapshot(), error: (err) => this.fail(err) },
    );
  }

  /**
   * Connects both ports, identifies the device and reads the baseline settings. Throws
   * before anything is sent when the device cannot be reached or the baseline is outside
   * the device's ranges.
   */
  static async open(options: SessionOptions): Promise<Session> {
    if (options.protocol.maneuver !== options.maneuver) {
      throw new TypeError(`protocol is for ${options.protocol.maneuver}, not ${options.maneuver}`);
    }
    if (options.patient) PatientSizeSchema.parse(options.patient);
    await options.ventilator.connect();
    await options.vitals.connect();
    const device = await options.ventilator.identify();
    const baseline = await options.ventilator.readSettings();
    assertWithinCapabilities(baseline, device.capabilities);
    const noPreox = withoutPreoxygenationIfFixed(options.protocol, device);
    if (noPreox) options = { ...options, protocol: noPreox };
    assertPlanFitsDevice(options.protocol, baseline, device, options.ventilator);
    const fixedFio2 = withoutFio2TitrationIfFixed(options.protocol, device);
    if (fixedFio2) options = { ...options, protocol: fixedFio2 };
    const fio2Fixed = fixedFio2 !== null;
    return new Session(
      {
        onCompleted: 'end',
        onFailsafe: 'wait',
        ...options,
        tickMs: options.tickMs ?? 1000,
        engine: options.engine ?? 'actor',
        warmupTimeoutMs: options.warmupTimeoutMs ?? options.protocol.safety.baselineWindowS * 1000 + 10_000,
      },
      device,
      baseline,
      fio2Fixed,
      noPreox !== null,
    );
  }

  /** The readback tolerance the machine uses for this device. */
  get pressureToleranceCmH2O(): number {
    return this.context.pressureToleranceCmH2O;
  }

  get clock(): Clock {
    return this.options.clock;
  }
  get inflight(): number {
    return this.inflightCount;
  }
  get isFinished(): boolean {
    return this.finished;
  }
  get state(): string {
    return stateName(this.actor.getSnapshot().value);
  }
  get context() {
    return this.actor.getSnapshot().context;
  }

  /**
   * Starts streaming samples and ticks to the machine, and sends START as soon as fresh
   * SpO2, MAP and a ventilator measurement are in (or after the warm-up timeout, so the
   * preconditions say what is missing).
   */
  begin(): void {
    const { ventilator, vitals, clock } = this.options;
    this.actor.start();
    const patient = this.options.patient;
    this.emit({
      kind: 'session',
      t: clock.now(),
      device: this.device,
      baseline: this.baseline,
      maneuver: this.options.maneuver,
      ...(patient ? { patient: { ...patient, pbwKg: predictedBodyWeightKg(patient) } } : {}),
      ...deviceSettingsOf(ventilator),
    });
    this.subs.push(
      merge(ventilator.samples$, vitals.samples$).subscribe((raw) => this.receive(raw)),
      merge(ventilator.faults$, vitals.faults$).subscribe((f) => {
        this.emit({ kind: 'fault', t: clock.now(), code: f.code, message: f.message });
        this.send({ type: 'DEVICE_FAULT', now: clock.now(), code: f.code, message: f.message });
      }),
    );
    // The machine runs its clock checks on every event; a TICK is sent only when nothing else
    // arrived for longer than tickMs, so the checks run at least every 1.5 tickMs.
    // While the baseline is being restored (aborting, failsafe) the machine checks the
    // restore deadline only on TICK: a tick goes every tickMs there even while samples flow,
    // so an unconfirmed restore escalates at its deadline, not at the HAL's own timeout.
    this.stopTicks = every(clock, this.options.tickMs / 2, () => {
      const now = clock.now();
      const restoring = this.lastState.startsWith('aborting') || this.lastState.startsWith('failsafe');
      if (now - this.lastSentAt > this.options.tickMs || (restoring && now - this.lastTickAt >= this.options.tickMs)) this.send({ type: 'TICK', now });
    });
    this.waitingToStart = true;
    if (this.preoxFixed) {
      this.emit({ kind: 'alarm', t: clock.now(), priority: 'low', message: `${this.device.vendor} ${this.device.model} cannot set FiO2: no pre-oxygenation (raise FiO2 on the oxygen supply before a patient near the SpO2 floor has the RM; the absolute SpO2 floor applies)` });
    }
    if (this.options.protocol.maneuver === 'staircase' && !this.options.protocol.fio2Titration.enabled && this.fio2Fixed) {
      this.emit({ kind: 'alarm', t: clock.now(), priority: 'low', message: `${this.device.vendor} ${this.device.model} cannot set FiO2: the FiO2 titration before the decremental phase is skipped (set FiO2 for SpO2 90-92% on the oxygen supply first)` });
    }
    const safety = this.options.protocol.safety;
    this.emit({ kind: 'baseline', t: clock.now(), windowS: safety.baselineWindowS, minSamples: safety.baselineMinSamples, vitals: null });
    this.warmup = clock.setTimeout(() => this.waitingToStart && this.sendStart(), this.options.warmupTimeoutMs);
  }

  /** An operator action (from the CLI, a console or a signal handler). */
  operator(action: Exclude<OperatorAction, 'start'>, note?: string): void {
    const now = this.clock.now();
    this.emit({ kind: 'operator', t: now, action, ...(note ? { note } : {}) });
    const type = ({ confirm: 'OPERATOR_CONFIRM', abort: 'OPERATOR_ABORT', ack: 'OPERATOR_ACK', repeat: 'OPERATOR_REPEAT', end: 'OPERATOR_END' } as const)[action];
    if (type === 'OPERATOR_ABORT') this.send({ type, now, ...(note ? { note } : {}) });
    else this.send({ type, now });
  }

  /**
   * A fault from outside the device ports (the journal could not be written, say): journaled
   * and sent to the machine like a device fault, so it aborts once with its reason.
   */
  injectFault(code: DeviceFaultCode, message: string): void {
    const now = this.clock.now();
    this.emit({ kind: 'fault', t: now, code, message });
    this.send({ type: 'DEVICE_FAULT', now, code, message });
  }

  /** An alarm raised by the application around the session (the failsafe watch, say). */
  alarm(priority: 'high' | 'medium' | 'low', message: string): void {
    if (!this.telemetry$.closed) this.emit({ kind: 'alarm', t: this.clock.now(), priority, message });
  }

  /** True once the machine verified the baseline by readback, or a direct restore did. */
  get baselineVerified(): boolean {
    return this.context.restore.baselineVerified || this.directlyVerified;
  }

  /**
   * Restores the baseline directly on the HAL, bypassing the machine: the last resort when
   * the process must exit (uncaught error) or the machine cannot run. Verified by readback.
   *
   * Idempotent: concurrent calls share one restore; a baseline already verified (by the
   * machine or an earlier call) is not restored again; after `close()` the device is not
   * touched (the ports are gone) and the answer is what was verified before.
   */
  emergencyRestore(reason: string, attempts = 3): Promise<boolean> {
    if (this.baselineVerified) return Promise.resolve(true);
    if (this.closing) return Promise.resolve(false);
    this.restoring ??= this.restoreDirectly(reason, attempts).finally(() => {
      this.restoring = null;
    });
    return this.restoring;
  }

  private async restoreDirectly(reason: string, attempts: number): Promise<boolean> {
    const { ventilator } = this.options;
    for (let i = 1; i <= attempts && !this.closing; i++) {
      try {
        // The machine's restore target: the baseline, FiO2 kept at the pre-oxygenation FiO2 once raised.
        const target = restoreTargetOf(this.context);
        await ventilator.apply(target);
        const readback = await ventilator.readSettings();
        const ok = settingsMatch(target, readback, this.pressureToleranceCmH2O);
        this.alarm(ok ? 'medium' : 'high', `emergency restore (${reason}) attempt ${i}: ${ok ? 'baseline verified' : 'readback does not match'}`);
        if (ok) {
          this.directlyVerified = true;
          return true;
        }
      } catch (e) {
        this.alarm('high', `emergency restore (${reason}) attempt ${i} failed: ${(e as Error).message}`);
      }
    }
    return false;
  }

  /** Stops ticks and streams and closes both ports. Idempotent: later calls wait for the first. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    // A direct restore in flight finishes first: closing the ports under it would make it fail.
    await this.restoring?.catch(() => undefined);
    this.stopTicks?.();
    if (this.warmup) this.clock.clearTimeout(this.warmup);
    for (const s of this.subs) s.unsubscribe();
    this.actor.stop();
    await Promise.allSettled([this.options.ventilator.close(), this.options.vitals.close()]);
    this.telemetry$.complete();
  }

  /** The summary of where the session stands now. */
  summary(): SessionSummary {
    const snap = this.actor.getSnapshot();
    const c = snap.context;
    const state = stateName(snap.value);
    const end = this.clock.now();
    return {
      outcome: outcomeOf(state),
      maneuver: this.options.maneuver,
      state,
      finalPeepCmH2O: c.titration.finalPeepCmH2O,
      derecruitmentPeepCmH2O: c.titration.derecruitmentPeepCmH2O,
      abort: c.abort,
      baseline: c.baseline,
      baselineVerified: c.restore.baselineVerified,
      finalSettingsVerified: outcomeOf(state) === 'completed' && c.verified !== null,
      verifiedSettings: c.verified,
      steps: c.steps,
      response: c.run.response,
      preconditionIssues: c.run.preconditionIssues,
      restoreFailures: c.restore.failures,
      baselineVitals: c.run.baselineVitals,
      startedAt: c.run.startedAt,
      endedAt: end,
      durationMs: c.run.startedAt === null ? 0 : (c.run.completedAt ?? end) - c.run.startedAt,
      repeats: c.run.repeats,
      patient: c.run.patient ? { ...c.run.patient.size, pbwKg: c.run.patient.pbwKg } : null,
      titration: titrationSummary(c.titration),
      restoreSettings: restoreTargetOf(c),
      preoxygenation: c.run.preox ?? null,
      finalFio2: outcomeOf(state) === 'completed' ? finalFio2Summary(c.titration.finalFio2, c.steps) : null,
      ...(this.options.maneuver === 'recruitability-screen' ? { screen: c.run.screen?.result ?? null } : {}),
    };
  }

  /**
   * The one check at the edge: shape (zod), then `checkSample` against the receipt time on
   * the session's clock (plausibility, validity marks, a claimed time in the future). A
   * rejected sample is never fresh; rejections are counted and reported without flooding.
   */
  private receive(raw: unknown): void {
    const now = this.clock.now();
    const shape = checkSampleShape(raw);
    if ('problems' in shape) {
      this.reject('shape', now, shape.problems);
      return;
    }
    const r = checkSample(shape.sample, now, this.options.protocol.safety.maxFutureSkewS * 1000);
    if (!r.ok) {
      this.reject('future', now, r.message);
      return;
    }
    const s = r.sample;
    if (this.firstVitalsAt === null && (s.spo2Pct !== undefined || s.mapMmHg !== undefined)) this.firstVitalsAt = now;
    this.send({ type: 'SAMPLE', now, sample: s });
    if (this.waitingToStart && this.readyToStart(now)) this.sendStart();
  }

  /** The first rejection of a kind is reported, then every 100th (a broken source cannot flood the journal). */
  private reject(kind: 'shape' | 'future', now: number, problems: string): void {
    const count = ++this.rejected[kind];
    if (count === 1 || count % 100 === 0) {
      this.emit({ kind: 'rejected-sample', t: now, problems, reason: kind === 'shape' ? 'shape' : 'future-timestamp', count });
    }
  }

  /** Samples rejected at the edge so far, by cause. */
  get rejectedSamples(): Readonly<{ shape: number; future: number }> {
    return this.rejected;
  }

  /**
   * A full baseline window of vitals (its medians are the baseline), fresh SpO2 and MAP, and
   * the ventilator's measured peak and PEEP (the overdistention and delivery checks need them).
   */
  private readyToStart(now: number): boolean {
    const l = this.context.latest;
    const windowMs = this.options.protocol.safety.baselineWindowS * 1000;
    return (
      this.firstVitalsAt !== null &&
      now - this.firstVitalsAt >= windowMs &&
      l.spo2At !== null &&
      l.mapAt !== null &&
      l.peakAt !== null &&
      l.peepAt !== null
    );
  }

  private sendStart(): void {
    this.waitingToStart = false;
    if (this.warmup) this.clock.clearTimeout(this.warmup);
    this.emit({ kind: 'operator', t: this.clock.now(), action: 'start' });
    this.send({ type: 'START', now: this.clock.now() });
  }

  private send(event: ManeuverEvent): void {
    if (this.finished) return;
    this.lastSentAt = event.now;
    if (event.type === 'TICK') this.lastTickAt = event.now;
    this.emit({ kind: 'input', t: event.now, event });
    this.actor.send(event);
  }

  private emit(e: TelemetryEvent): void {
    this.telemetry$.next(e);
  }

  private async execute(cmd: ApplyCommand): Promise<void> {
    const { clock, ventilator, protocol } = this.options;
    this.emit({ kind: 'command', t: clock.now(), command: cmd });
    const violations = checkCommandLimits(cmd.settings, protocol.peakLimitCmH2O);
    if (violations.length) {
      const message = violations.map((v) => v.message).join('; ');
      this.emit({ kind: 'apply-error', t: clock.now(), seq: cmd.seq, code: 'out-of-range', message });
      this.send({ type: 'APPLY_FAILED', now: clock.now(), seq: cmd.seq, code: 'out-of-range', message: `not sent: ${message}` });
      return;
    }
    this.inflightCount++;
    try {
      await ventilator.apply(cmd.settings);
      const readback = await ventilator.readSettings();
      this.emit({ kind: 'readback', t: clock.now(), seq: cmd.seq, settings: readback, matches: settingsMatch(cmd.settings, readback, this.pressureToleranceCmH2O) });
      this.send({ type: 'APPLIED', now: clock.now(), seq: cmd.seq, readback });
    } catch (e) {
      const code = applyErrorCode(e);
      const message = e instanceof Error ? e.message : String(e);
      this.emit({ kind: 'apply-error', t: clock.now(), seq: cmd.seq, code: e instanceof VentilatorError ? e.code : code, message });
      this.send({ type: 'APPLY_FAILED', now: clock.now(), seq: cmd.seq, code, message });
    } finally {
      this.inflightCount--;
    }
  }

  private onSnapshot(): void {
    const snap = this.actor.getSnapshot();
    // Most events leave the state value as it was (the same object): named once per value.
    if (snap.value !== this.namedValue) {
      this.namedValue = snap.value;
      this.valueName = stateName(snap.value);
    }
    const state = this.valueName;
    const c = snap.context;
    this.alarmRestoreFailures(c.restore.failures, c.restore.attempts);
    // The titration's decision and the final step's limits, once each, for the console and the journal.
    const t = c.titration;
    if ((t.methods?.length ?? 0) > 0 && t.methods !== this.lastTitration.methods) {
      this.lastTitration.methods = t.methods;
      this.emit({ kind: 'titration', t: this.clock.now(), stage: 'decided', titration: titrationSummary(t) });
    }
    if (t.limitsMeasured && t.limitsMeasured !== this.lastTitration.measured) {
      this.lastTitration.measured = t.limitsMeasured;
      this.emit({ kind: 'titration', t: this.clock.now(), stage: 'measured', titration: titrationSummary(t) });
    }
    if (state !== this.lastState) {
      const entering = (prefix: string) => state.startsWith(prefix) && !this.lastState.startsWith(prefix);
      if (entering('active') && c.run.repeats === 0 && c.run.baselineVitals) {
        const safety = this.options.protocol.safety;
        this.emit({ kind: 'baseline', t: this.clock.now(), windowS: safety.baselineWindowS, minSamples: safety.baselineMinSamples, vitals: c.run.baselineVitals });
      }
      if (entering('aborting') && c.abort) this.emit({ kind: 'guard', t: this.clock.now(), abort: c.abort });
      if (entering('failsafe')) {
        this.emit({ kind: 'alarm', t: this.clock.now(), priority: 'high', message: `FAILSAFE: baseline could not be verified (${c.restore.failures.join('; ')}); check the ventilator now and acknowledge` });
      }
      this.lastState = state;
      const dwellEndsAt = c.current?.startedAt != null ? c.current.startedAt + c.current.dwellMs : null;
      this.emit({ kind: 'state', t: this.clock.now(), state, step: c.current?.label ?? null, stepIndex: c.stepIndex, dwellEndsAt });
      if (state === 'completed' && this.options.onCompleted === 'end') {
        // On the session's clock, so a virtual-time run ends at once, not at its next yield.
        this.clock.setTimeout(() => this.operator('end', 'session policy: end after completion'), 0);
      }
    }
    if (snap.status === 'done' || (state.startsWith('failsafe') && this.options.onFailsafe === 'end')) this.finish();
  }

  /**
   * Each failed restore attempt (not confirmed in time, refused, or read back wrong) is a HIGH
   * alarm at once, saying what comes next: another attempt, or FAILSAFE after the last one.
   */
  private alarmRestoreFailures(failures: readonly string[], attempts: number): void {
    if (failures.length === this.restoreFailuresSeen) return; // nothing new (every event but a failed restore)
    if (failures.length < this.restoreFailuresSeen) this.restoreFailuresSeen = 0; // a repeat starts afresh
    const max = this.options.protocol.safety.restoreAttempts;
    for (const f of failures.slice(this.restoreFailuresSeen)) {
      const n = Number(/^attempt (\d+)/.exec(f)?.[1] ?? attempts);
      // Past the last attempt the session is in FAILSAFE, which alarms on its own (and the
      // watch summarises its retries): one alarm per retry there would drown the rest.
      if (n > max) continue;
      const overdue = f.includes('no confirmation within');
      this.emit({
        kind: 'alarm',
        t: this.clock.now(),
        priority: 'high',
        message: `Baseline restore ${overdue ? 'not confirmed' : 'failed'} (attempt ${n} of ${max}): ${f.replace(/^attempt \d+: /, '')}; ${n >= max ? 'FAILSAFE now' : `attempt ${n + 1} of ${max} follows`}`,
      });
    }
    this.restoreFailuresSeen = failures.length;
  }

  private finish(): void {
    if (this.finished) return;
    const summary = this.summary();
    this.emit({ kind: 'outcome', t: this.clock.now(), summary });
    this.finished = true;
    this.stopTicks?.();
    for (const s of this.subs) s.unsubscribe();
    this.resolveDone(summary);
  }

  private fail(err: unknown): void {
    this.emit({ kind: 'alarm', t: this.clock.now(), priority: 'high', message: `machine error: ${(err as Error).message}` });
    void this.emergencyRestore('machine error').finally(() => this.finish());
  }
}

/** The device settings the adapter captured, as the session-start journal line carries them (none: nothing). */
function deviceSettingsOf(ventilator: Ventilator): { deviceSettings?: DeviceSettingsBaseline } {
  const captured = ventilator.deviceSettingsBaseline?.() ?? null;
  return captured ? { deviceSettings: captured } : {};
}
