/**
 * `IntelliVueVitalsSource`: the `VitalsSource` port over Philips IntelliVue Data Export, on a
 * `MessageTransport` (UDP or RS232/MIB). It associates with the monitor, answers its MDS
 * Create event report, polls the alert monitor and the numerics every second (the polls keep
 * the association alive), maps each poll to one sample (see mapping.ts), and re-associates with
 * backoff when the association is refused, aborted or falls silent. `close()` releases it.
 *
 * Faults (`vitals-source-lost`, once per outage): no association or no poll reply for
 * `lostAfterMs`, an abort by the monitor, the transport gone, or demo/test data (refused).
 */
import { Subject, type Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { MonitorSample, SampleField } from '../../machines/types.js';
import { DisconnectedError } from '../errors.js';
import type { DeviceFault, VitalsSource } from '../port.js';
import { ATTR_GRP, MOC } from './constants.js';
import { mapReadings, type PollReadings } from './mapping.js';
import { decodeDataMessage, encodeExtPollRequest, encodeMdsCreateResult, type ObservationPoll } from './messages.js';
import { numericsOf, technicalAlarmsOf, type TechnicalAlarm } from './observations.js';
import { classifySession, encodeAssociationRequest, encodeReleaseRequest } from './session.js';
import type { MessageTransport } from './transport.js';

export interface IntelliVueOptions {
  transport: MessageTransport;
  clock: Clock;
  /** Poll period (default 1000 ms). */
  pollPeriodMs?: number;
  /** Longest wait for the association answer, and then for the MDS Create event report (default 5000 ms). */
  associateTimeoutMs?: number;
  /** No poll reply (or no association) for this long is a lost source (default 5000 ms). */
  lostAfterMs?: number;
  /** `connect()` rejects when no association is up within this time (default 15000 ms). */
  connectTimeoutMs?: number;
  /** Re-association backoff: first wait and longest wait (defaults 1000 ms, 16000 ms). */
  backoffMs?: { initial: number; max: number };
  /** `source` of the samples (default 'intellivue'). */
  source?: string;
}

export type IntelliVueState = 'idle' | 'associating' | 'waiting-mds' | 'polling' | 'backoff' | 'closed';

export interface IntelliVueStats {
  associations: number;
  refusals: number;
  aborts: number;
  polls: number;
  replies: number;
  samples: number;
  /** Values not counted, by field (invalid/questionable/unavailable/calibrating/demo/test, special FLOAT, unknown unit, INOP). */
  invalidValues: Partial<Record<SampleField, number>>;
  /** Samples taken while an INOP was active on a watched vital. */
  inopSamples: number;
  /** Polls refused whole for demo or test data. */
  refusedPolls: number;
  /** Messages that could not be decoded (dropped). */
  decodeErrors: number;
  /** Error results from the monitor. */
  remoteErrors: number;
  lastProblem: string | null;
}

/** What happened, for the log (the CLI prints these). */
export interface IntelliVueEvent {
  t: number;
  kind: 'associated' | 'lost' | 'refused-data' | 'invalid' | 'valid';
  message: string;
}

/**
 * @example
 * const transport = await UdpMessageTransport.open('10.0.0.5', 24105);
 * const vitals = new IntelliVueVitalsSource({ transport, clock: new WallClock() });
 * await vitals.connect(); // associated, polling
 */
export class IntelliVueVitalsSource implements VitalsSource {
  private readonly samplesSubject = new Subject<MonitorSample>();
  private readonly faultsSubject = new Subject<DeviceFault>();
  private readonly eventsSubject = new Subject<IntelliVueEvent>();
  readonly samples$ = this.samplesSubject.asObservable();
  readonly faults$ = this.faultsSubject.asObservable();
  readonly events$ = this.eventsSubject.asObservable();
  readonly stats: IntelliVueStats = { associations: 0, refusals: 0, aborts: 0, polls: 0, replies: 0, samples: 0, invalidValues: {}, inopSamples: 0, refusedPolls: 0, decodeErrors: 0, remoteErrors: 0, lastProblem: null };
  /** The last poll's readings (including what the guards never use: NBP, pleth rate, PI). */
  lastReadings: PollReadings | null = null;
  private readonly o: Required<Omit<IntelliVueOptions, 'transport' | 'clock' | 'backoffMs'>> & { backoffMs: { initial: number; max: number } };
  private readonly transport: MessageTransport;
  private readonly clock: Clock;
  private stateValue: IntelliVueState = 'idle';
  private subs: Subscription[] = [];
  private timer: TimerHandle | null = null;
  private pollTimer: TimerHandle | null = null;
  private invokeId = 0;
  private pollNumber = 0;
  private numericInvoke = -1;
  private alertInvoke = -1;
  private linked = new Map<number, ObservationPoll[]>();
  private alarms: TechnicalAlarm[] = [];
  private lastReplyAt = 0;
  private backoff: number;
  private lostReported = false;
  private refusing = false;
  private invalidNow = '';
  private connectWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private releaseDone: (() => void) | null = null;

  constructor(options: IntelliVueOptions) {
    if (typeof options?.transport?.send !== 'function') throw new TypeError('IntelliVueVitalsSource option transport must be a MessageTransport');
    if (typeof options.clock?.setTimeout !== 'function') throw new TypeError('IntelliVueVitalsSource option clock must be a Clock');
    const positive = (name: string, v: number | undefined, dflt: number): number => {
      const x = v ?? dflt;
      if (!(x > 0) || !Number.isFinite(x)) throw new TypeError(`IntelliVueVitalsSource option ${name} must be a positive number of milliseconds (got ${String(v)})`);
      return x;
    };
    this.o = {
      pollPeriodMs: positive('pollPeriodMs', options.pollPeriodMs, 1000),
      associateTimeoutMs: positive('associateTimeoutMs', options.associateTimeoutMs, 5000),
      lostAfterMs: positive('lostAfterMs', options.lostAfterMs, 5000),
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 15_000),
      backoffMs: { initial: positive('backoffMs.initial', options.backoffMs?.initial, 1000), max: positive('backoffMs.max', options.backoffMs?.max, 16_000) },
      source: options.source ?? 'intellivue',
    };
    this.transport = options.transport;
    this.clock = options.clock;
    this.backoff = this.o.backoffMs.initial;
  }

  get state(): IntelliVueState {
    return this.stateValue;
  }

  /** Associates and starts polling; rejects with `DisconnectedError` when no association is up within `connectTimeoutMs`. */
  connect(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.reject(new DisconnectedError('IntelliVueVitalsSource is closed: create a new one'));
    if (this.stateValue === 'polling') return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (this.stateValue === 'idle') {
      this.subs.push(
        this.transport.messages$.subscribe((m) => this.onMessage(m)),
        this.transport.lost$.subscribe((e) => this.lose(`${this.transport.description} lost: ${e.message}`, false)),
      );
      this.lastReplyAt = this.clock.now();
      this.associate();
      const deadline = this.clock.setTimeout(() => {
        const waiters = this.connectWaiters;
        this.connectWaiters = [];
        for (const w of waiters) w.reject(new DisconnectedError(`no IntelliVue association on ${this.transport.description} within ${this.o.connectTimeoutMs / 1000} s${this.stats.lastProblem ? ` (${this.stats.lastProblem})` : ''}: is Data Export enabled on the monitor, and the address and port right?`));
      }, this.o.connectTimeoutMs);
      void p.then(() => this.clock.clearTimeout(deadline), () => undefined);
    }
    return p;
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    const wasAssociated = this.stateValue === 'polling' || this.stateValue === 'waiting-mds';
    this.stateValue = 'closed';
    this.clearTimers();
    if (wasAssociated) {
      // Release the association (bounded wait for the monitor's release response).
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimeout(resolve, Math.min(1000, this.o.associateTimeoutMs));
        this.releaseDone = () => {
          this.clock.clearTimeout(t);
          resolve();
        };
        this.transport.send(encodeReleaseRequest()).catch(() => this.releaseDone?.());
      });
    }
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    for (const w of this.connectWaiters) w.reject(new DisconnectedError('IntelliVueVitalsSource closed before it was associated'));
    this.connectWaiters = [];
    this.samplesSubject.complete();
    this.faultsSubject.complete();
    this.eventsSubject.complete();
    await this.transport.close();
  }

  private clearTimers(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
    this.timer = this.pollTimer = null;
  }

  private arm(ms: number, fn: () => void): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      fn();
    }, ms);
  }

  private send(msg: Uint8Array): void {
    this.transport.send(msg).catch((e: unknown) => {
      this.stats.lastProblem = `send failed: ${(e as Error).message}`;
    });
  }

  private associate(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'associating';
    this.linked.clear();
    this.alarms = [];
    // Armed before sending: an answer may arrive before send() returns.
    this.arm(this.o.associateTimeoutMs, () => this.retry(`no answer to the association request within ${this.o.associateTimeoutMs / 1000} s`));
    this.send(encodeAssociationRequest());
  }

  /** The association failed or was lost: report (once per outage, after `lostAfterMs`) and try again after the backoff. */
  private retry(problem: string): void {
    if (this.stateValue === 'closed') return;
    this.stats.lastProblem = problem;
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.stateValue = 'backoff';
    if (this.clock.now() - this.lastReplyAt >= this.o.lostAfterMs) this.reportLost(problem);
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.backoffMs.max);
    this.arm(wait, () => this.associate());
  }

  private lose(problem: string, reassociate = true): void {
    if (this.stateValue === 'closed') return;
    this.reportLost(problem);
    if (reassociate) this.retry(problem);
    else {
      this.clearTimers();
      this.stateValue = 'backoff';
    }
  }

  private reportLost(problem: string): void {
    if (this.lostReported) return;
    this.lostReported = true;
    const t = this.clock.now();
    this.eventsSubject.next({ t, kind: 'lost', message: problem });
    this.faultsSubject.next({ t, code: 'vitals-source-lost', message: `IntelliVue on ${this.transport.description}: ${problem}` });
  }

  private onMessage(msg: Uint8Array): void {
    if (this.stateValue === 'closed') {
      try {
        if (classifySession(msg).kind === 'release-response') this.releaseDone?.();
      } catch {
        // closing: nothing else matters
      }
      return;
    }
    try {
      const s = classifySession(msg);
      switch (s.kind) {
        case 'accept':
          if (this.stateValue !== 'associating') return;
          this.stateValue = 'waiting-mds';
          this.arm(this.o.associateTimeoutMs, () => this.retry(`association accepted, but no MDS Create event report within ${this.o.associateTimeoutMs / 1000} s`));
          return;
        case 'refuse':
          if (this.stateValue !== 'associating') return;
          this.stats.refusals++;
          this.retry('the monitor refused the association (is another client connected, or Data Export set to another interface?)');
          return;
        case 'abort':
          if (this.stateValue === 'backoff' || this.stateValue === 'idle') return;
          this.stats.aborts++;
          this.lose('the monitor aborted the association');
          return;
        case 'release-request':
        case 'release-response':
          if (this.stateValue === 'polling' || this.stateValue === 'waiting-mds') this.lose('the monitor released the association');
          return;
        case 'data':
          this.onData(msg);
          return;
      }
    } catch (e) {
      this.stats.decodeErrors++;
      this.stats.lastProblem = `undecodable message dropped: ${(e as Error).message}`;
    }
  }

  private onData(msg: Uint8Array): void {
    const m = decodeDataMessage(msg);
    if (m.kind === 'mds-create') {
      if (this.stateValue !== 'waiting-mds' && this.stateValue !== 'polling') return;
      if (m.confirmed) this.send(encodeMdsCreateResult(m.invokeId, m.mds, m.eventTime));
      if (this.stateValue === 'waiting-mds') this.startPolling();
      return;
    }
    if (m.kind === 'error') {
      this.stats.remoteErrors++;
      this.stats.lastProblem = `the monitor answered invoke ${m.invokeId} with error ${m.errorValue}`;
      return;
    }
    if (m.kind !== 'poll-reply' || this.stateValue !== 'polling') return;
    if (m.linked && m.linked.state !== 3) {
      // A linked result: part of a reply that continues.
      const acc = this.linked.get(m.invokeId) ?? [];
      if (acc.length < 10_000) acc.push(...m.reply.observations);
      this.linked.set(m.invokeId, acc);
      return;
    }
    const observations = [...(this.linked.get(m.invokeId) ?? []), ...m.reply.observations];
    this.linked.delete(m.invokeId);
    this.stats.replies++;
    this.lastReplyAt = this.clock.now();
    if (m.invokeId === this.alertInvoke) {
      this.alarms = observations.flatMap(technicalAlarmsOf);
      return;
    }
    if (m.invokeId !== this.numericInvoke) return;
    this.onNumerics(observations.flatMap(numericsOf), m.reply.relTime);
  }

  private startPolling(): void {
    this.stateValue = 'polling';
    this.stats.associations++;
    this.lastReplyAt = this.clock.now();
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.eventsSubject.next({ t: this.clock.now(), kind: 'associated', message: `associated with the IntelliVue on ${this.transport.description}` });
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.resolve();
    this.poll();
  }

  private poll(): void {
    this.pollTimer = null;
    if (this.stateValue !== 'polling') return;
    const silent = this.clock.now() - this.lastReplyAt;
    if (silent >= this.o.lostAfterMs) {
      this.lose(`no poll reply for ${(silent / 1000).toFixed(1)} s`);
      return;
    }
    this.alertInvoke = this.nextInvoke();
    this.send(encodeExtPollRequest({ invokeId: this.alertInvoke, pollNumber: this.nextPoll(), objType: MOC.alertMonitor, attrGroup: ATTR_GRP.alertMonitor }));
    this.numericInvoke = this.nextInvoke();
    this.send(encodeExtPollRequest({ invokeId: this.numericInvoke, pollNumber: this.nextPoll(), objType: MOC.vmoMetricNumeric, attrGroup: ATTR_GRP.all }));
    this.stats.polls++;
    this.pollTimer = this.clock.setTimeout(() => this.poll(), this.o.pollPeriodMs);
  }

  private nextInvoke(): number {
    this.invokeId = (this.invokeId + 1) & 0xffff;
    return this.invokeId;
  }

  private nextPoll(): number {
    this.pollNumber = (this.pollNumber + 1) & 0xffff;
    return this.pollNumber;
  }

  private onNumerics(numerics: ReturnType<typeof numericsOf>, relTime: number): void {
    const r = mapReadings(numerics, this.alarms, relTime);
    this.lastReadings = r;
    const now = this.clock.now();
    const sample: MonitorSample = { t: now - r.ageMs, source: this.o.source, ...r.sample };
    if (r.refused) {
      // Demo or test data: nothing of this poll counts, and the source is reported as not a patient.
      this.stats.refusedPolls++;
      sample.invalid = (['spo2Pct', 'mapMmHg', 'sbpMmHg', 'hrBpm'] as const).filter((f) => sample[f] !== undefined || r.sample.invalid?.includes(f));
      if (!this.refusing) {
        this.refusing = true;
        this.eventsSubject.next({ t: now, kind: 'refused-data', message: r.refused });
        this.faultsSubject.next({ t: now, code: 'vitals-source-lost', message: `IntelliVue on ${this.transport.description}: ${r.refused}` });
      }
    } else this.refusing = false;
    for (const f of sample.invalid ?? []) this.stats.invalidValues[f] = (this.stats.invalidValues[f] ?? 0) + 1;
    if (Object.values(r.reasons).some((why) => why?.includes('INOP'))) this.stats.inopSamples++;
    const described = Object.entries(r.reasons).map(([f, why]) => `${f}: ${why}`).join('; ');
    if (described !== this.invalidNow) {
      this.invalidNow = described;
      this.eventsSubject.next({ t: now, kind: described ? 'invalid' : 'valid', message: described || 'every value valid again' });
    }
    const hasAny = sample.spo2Pct !== undefined || sample.mapMmHg !== undefined || sample.sbpMmHg !== undefined || sample.hrBpm !== undefined || (sample.invalid?.length ?? 0) > 0;
    if (!hasAny) return;
    if (!r.refused) {
      this.lostReported = false;
      this.backoff = this.o.backoffMs.initial;
    }
    this.stats.samples++;
    this.samplesSubject.next(sample);
  }
}
