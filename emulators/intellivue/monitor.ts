/**
 * The emulated IntelliVue: the monitor side of Data Export, driven by the simulated patient.
 * It answers any client's association (one at a time; a second client is refused), sends the
 * MDS Create event report, answers extended polls of the numerics (SpO2, perfusion index, pleth
 * pulse rate, ECG heart rate, ABP sys/dia/mean, NBP with the time of its last measurement) and
 * of the alert monitor (technical alarms: INOPs), releases on request, and drops a client that
 * has been silent for `idleTimeoutMs` (the association's keep-alive).
 *
 * Faults a person can raise (see control.ts): INOPs, an arterial line flush, questionable
 * values, demo data, a dropped association, silence, refused associations.
 */
import { Subject } from 'rxjs';
import { every, type Clock } from '../../common/clock.js';
import type { SimWorld } from '../../hal/simulated/world.js';
import type { EmulatorEvent } from '../types.js';
import { abortMessage, alertsReply, associationAccept, associationRefuse, emptyReply, float32, mdsCreateReport, NOM, numericsReply, readClientPdu, releaseAnswer, type NumericOut, type TechAlarmOut } from './pdu.js';

/** Physiological ids used (low 16 bits of NOM_*). */
const ID = {
  spo2: 0x4bb8,
  pi: 0x4bb0,
  plethRate: 0x4822,
  hr: 0x4182,
  abp: 0x4a14,
  abpSys: 0x4a15,
  abpDia: 0x4a16,
  abpMean: 0x4a17,
  nbp: 0x4a04,
  nbpSys: 0x4a05,
  nbpDia: 0x4a06,
  nbpMean: 0x4a07,
  ecgLeads: 0x0100,
} as const;

const STATE = { invalid: 0x8000, questionable: 0x4000, unavailable: 0x2000, calibrating: 0x1000, test: 0x0800, demo: 0x0400 } as const;

/** INOPs the emulator can raise: what they silence and how the monitor names them. */
export const INOPS = {
  spo2: { silences: 'spo2', source: ID.spo2, code: 308, text: 'SpO2 NO SENSOR', state: STATE.invalid },
  'spo2-nonpulsatile': { silences: 'spo2', source: ID.spo2, code: 442, text: 'SpO2 NON-PULSATILE', state: STATE.invalid },
  abp: { silences: 'abp', source: ID.abp, code: 336, text: 'ABP NO TRANSDUCER', state: STATE.invalid | STATE.unavailable },
  'abp-zero': { silences: 'abp', source: ID.abp, code: 6170, text: 'ABP ZERO RUNNING', state: STATE.calibrating },
  ecg: { silences: 'ecg', source: ID.ecgLeads, code: 274, text: 'LEADS OFF', state: STATE.invalid },
} as const;

export type InopName = keyof typeof INOPS;
export type QuestionableField = 'spo2' | 'abp' | 'hr';

export interface IntelliVueEmulatorOptions {
  clock: Clock;
  world: SimWorld;
  /** Sends one message to a client (`peer` names it: "udp 127.0.0.1:50123", "serial"). */
  send: (message: Uint8Array, peer: string) => void;
  /** A client silent for this long loses its association (default 10000 ms). */
  idleTimeoutMs?: number;
  /** Numerics per poll reply message; more go into linked results (default: all in one). */
  numericsPerMessage?: number;
  /** Minutes between NBP measurements (default 5). */
  nbpIntervalMin?: number;
}

export interface IntelliVueEmulatorStatus {
  peer: string | null;
  associations: number;
  refused: number;
  polls: number;
  badMessages: number;
  inops: InopName[];
  questionable: QuestionableField[];
  demo: boolean;
  silent: boolean;
  flushing: boolean;
}

/**
 * @example
 * const monitor = new IntelliVueEmulator({ clock, world, send: (m, peer) => socket.send(m, port, host) });
 * socket.on('message', (m, r) => monitor.receive(new Uint8Array(m), `udp ${r.address}:${r.port}`));
 * monitor.start();
 * monitor.raiseInop('spo2');
 */
export class IntelliVueEmulator {
  private readonly eventsSubject = new Subject<EmulatorEvent>();
  readonly events$ = this.eventsSubject.asObservable();
  private readonly startedAt: number;
  private peer: string | null = null;
  private lastHeardAt = 0;
  private counters = { associations: 0, refused: 0, polls: 0, badMessages: 0 };
  private invoke = 0;
  private seq = 0;
  private refuseNext = 0;
  private silent = false;
  private demo = false;
  private flushUntil = -Infinity;
  private readonly inops = new Set<InopName>();
  private readonly questionable = new Set<QuestionableField>();
  private nbp: { sys: number; dia: number; mean: number; at: number } | null = null;
  private stopWatch: (() => void) | null = null;

  constructor(private readonly o: IntelliVueEmulatorOptions) {
    if (typeof o?.send !== 'function') throw new TypeError('IntelliVueEmulator option send must be a function');
    const idle = o.idleTimeoutMs ?? 10_000;
    if (!(idle > 0)) throw new TypeError(`IntelliVueEmulator option idleTimeoutMs must be positive (got ${String(o.idleTimeoutMs)})`);
    this.startedAt = o.clock.now();
  }

  start(): void {
    this.o.world.start();
    this.stopWatch ??= every(this.o.clock, 500, () => this.watch());
    this.log('boot', 'IntelliVue emulator ready for Data Export associations');
  }

  async close(): Promise<void> {
    this.stopWatch?.();
    this.stopWatch = null;
    this.eventsSubject.complete();
  }

  /** One message from a client. */
  receive(message: Uint8Array, peer: string): void {
    if (this.silent) return;
    const pdu = readClientPdu(message);
    if (!pdu) {
      this.counters.badMessages++;
      return;
    }
    if (pdu.t === 'associate') {
      this.onAssociate(peer);
      return;
    }
    if (peer !== this.peer) return; // not associated: a monitor ignores it
    this.lastHeardAt = this.o.clock.now();
    switch (pdu.t) {
      case 'release':
        this.o.send(releaseAnswer(), peer);
        this.log('link', `${peer} released the association`);
        this.peer = null;
        return;
      case 'abort':
        this.log('link', `${peer} aborted the association`);
        this.peer = null;
        return;
      case 'event-result':
        return;
      case 'poll':
        this.onPoll(pdu, peer);
        return;
      case 'other':
        this.log('ignored', `${peer}: ${pdu.what}`);
        return;
    }
  }

  raiseInop(name: InopName): void {
    this.inops.add(name);
    this.log('alarm', `INOP ${INOPS[name].text}`);
  }

  clearInop(name: InopName): void {
    this.inops.delete(name);
  }

  /** The arterial line is flushed: ABP reads the flush bag pressure (300 mmHg) for `ms`. */
  flush(ms: number): void {
    this.flushUntil = this.o.clock.now() + ms;
    this.log('fault', `arterial line flush for ${ms / 1000} s`);
  }

  setQuestionable(field: QuestionableField, on: boolean): void {
    if (on) this.questionable.add(field);
    else this.questionable.delete(field);
  }

  setDemo(on: boolean): void {
    this.demo = on;
  }

  setSilent(on: boolean): void {
    this.silent = on;
  }

  /** Refuse the next `n` association requests. */
  refuse(n: number): void {
    this.refuseNext = n;
  }

  /** Aborts the current association (the monitor drops the client). */
  dropAssociation(): void {
    if (!this.peer) return;
    this.o.send(abortMessage(), this.peer);
    this.log('link', `association with ${this.peer} aborted by the monitor`);
    this.peer = null;
  }

  clear(): void {
    this.inops.clear();
    this.questionable.clear();
    this.demo = false;
    this.silent = false;
    this.refuseNext = 0;
    this.flushUntil = -Infinity;
  }

  status(): IntelliVueEmulatorStatus {
    return {
      peer: this.peer,
      ...this.counters,
      inops: [...this.inops],
      questionable: [...this.questionable],
      demo: this.demo,
      silent: this.silent,
      flushing: this.o.clock.now() < this.flushUntil,
    };
  }

  private log(kind: EmulatorEvent['kind'], message: string): void {
    this.eventsSubject.next({ t: this.o.clock.now(), kind, message });
  }

  private rel(): number {
    return (Math.round((this.o.clock.now() - this.startedAt) * 8) >>> 0) >>> 0;
  }

  private watch(): void {
    if (this.peer && this.o.clock.now() - this.lastHeardAt > (this.o.idleTimeoutMs ?? 10_000)) {
      this.log('link', `${this.peer} silent for ${((this.o.idleTimeoutMs ?? 10_000) / 1000).toFixed(0)} s: association dropped`);
      this.o.send(abortMessage(), this.peer);
      this.peer = null;
    }
  }

  private onAssociate(peer: string): void {
    if (this.refuseNext > 0 || (this.peer !== null && this.peer !== peer)) {
      if (this.refuseNext > 0) this.refuseNext--;
      this.counters.refused++;
      this.o.send(associationRefuse(), peer);
      this.log('refused', `association from ${peer} refused`);
      return;
    }
    this.peer = peer;
    this.lastHeardAt = this.o.clock.now();
    this.counters.associations++;
    this.o.send(associationAccept(), peer);
    this.o.send(mdsCreateReport(this.nextInvoke(), this.rel()), peer);
    this.log('link', `associated with ${peer}`);
  }

  private nextInvoke(): number {
    this.invoke = (this.invoke + 1) & 0xffff;
    return this.invoke;
  }

  private onPoll(p: { invoke: number; pollNo: number; objCode: number; attrGrp: number }, peer: string): void {
    this.counters.polls++;
    const now = this.o.clock.now();
    const common = { invoke: p.invoke, pollNo: p.pollNo, seq: (this.seq = (this.seq + 1) & 0xffff), relTime: this.rel(), absMs: now, attrGrp: p.attrGrp };
    if (p.objCode === NOM.MOC_VMO_METRIC_NU) {
      for (const m of numericsReply({ ...common, numerics: this.numerics(now), ...(this.o.numericsPerMessage ? { perMessage: this.o.numericsPerMessage } : {}) })) this.o.send(m, peer);
    } else if (p.objCode === NOM.MOC_VMO_AL_MON) {
      this.o.send(alertsReply({ ...common, alarms: this.alarms() }), peer);
    } else {
      this.o.send(emptyReply({ ...common, objCode: p.objCode }), peer);
    }
  }

  private alarms(): TechAlarmOut[] {
    return [...this.inops].map((n) => ({ source: INOPS[n].source, code: INOPS[n].code, type: 2, text: INOPS[n].text }));
  }

  private silencedState(what: 'spo2' | 'abp' | 'ecg'): number {
    let s = 0;
    for (const n of this.inops) if (INOPS[n].silences === what) s |= INOPS[n].state;
    return s;
  }

  private numerics(now: number): NumericOut[] {
    const { world } = this.o;
    world.catchUp();
    const v = world.monitor.vitals(now);
    const rel = this.rel();
    const flag = (q: QuestionableField | null): number => (this.demo ? STATE.demo : 0) | (q && this.questionable.has(q) ? STATE.questionable : 0);
    const out: NumericOut[] = [];
    const value = (x: number | undefined, decimals: number, silenced: number): number => (x === undefined || silenced & (STATE.invalid | STATE.unavailable) ? 0x007fffff : float32(x, decimals));
    const spo2Off = this.silencedState('spo2');
    if (v.spo2Pct !== undefined || spo2Off) {
      out.push({ handle: 1, label: 0x00024bb8, relTime: rel, values: [{ physio: ID.spo2, state: flag('spo2') | spo2Off, unit: NOM.DIM_PERCENT, float: value(v.spo2Pct, 0, spo2Off) }] });
      out.push({ handle: 2, label: 0x00024bb0, relTime: rel, values: [{ physio: ID.pi, state: flag(null) | spo2Off, unit: NOM.DIM_DIMLESS, float: value(2.4, 1, spo2Off) }] });
      out.push({ handle: 3, label: 0x00024822, relTime: rel, values: [{ physio: ID.plethRate, state: flag(null) | spo2Off, unit: NOM.DIM_BEAT_PER_MIN, float: value(v.hrBpm, 0, spo2Off) }] });
    }
    const ecgOff = this.silencedState('ecg');
    if (v.hrBpm !== undefined || ecgOff) {
      out.push({ handle: 4, label: 0x00024182, relTime: rel, values: [{ physio: ID.hr, state: flag('hr') | ecgOff, unit: NOM.DIM_BEAT_PER_MIN, float: value(v.hrBpm, 0, ecgOff) }] });
    }
    const abpOff = this.silencedState('abp');
    const flushing = now < this.flushUntil;
    if (v.mapMmHg !== undefined || abpOff || flushing) {
      const sys = flushing ? 300 : v.sbpMmHg;
      const mean = flushing ? 300 : v.mapMmHg;
      const dia = flushing ? 300 : mean !== undefined && sys !== undefined ? Math.max(0, (3 * mean - sys) / 2) : undefined;
      const st = flag('abp') | abpOff;
      out.push({
        handle: 5,
        label: 0x00024a14,
        relTime: rel,
        values: [
          { physio: ID.abpSys, state: st, unit: NOM.DIM_MMHG, float: value(sys, 0, abpOff) },
          { physio: ID.abpDia, state: st, unit: NOM.DIM_MMHG, float: value(dia, 0, abpOff) },
          { physio: ID.abpMean, state: st, unit: NOM.DIM_MMHG, float: value(mean, 0, abpOff) },
        ],
      });
    }
    // NBP: one cuff measurement every few minutes, sent with the time it was taken.
    const nbpEvery = (this.o.nbpIntervalMin ?? 5) * 60_000;
    if (v.mapMmHg !== undefined && v.sbpMmHg !== undefined && (!this.nbp || now - this.nbp.at >= nbpEvery)) {
      this.nbp = { sys: Math.round(v.sbpMmHg), mean: Math.round(v.mapMmHg), dia: Math.round((3 * v.mapMmHg - v.sbpMmHg) / 2), at: now };
    }
    if (this.nbp) {
      const nbpRel = (Math.round((this.nbp.at - this.startedAt) * 8) >>> 0) >>> 0;
      out.push({
        handle: 6,
        label: 0x00024a04,
        relTime: nbpRel,
        absMs: this.nbp.at,
        values: [
          { physio: ID.nbpSys, state: flag(null), unit: NOM.DIM_MMHG, float: float32(this.nbp.sys, 0) },
          { physio: ID.nbpDia, state: flag(null), unit: NOM.DIM_MMHG, float: float32(this.nbp.dia, 0) },
          { physio: ID.nbpMean, state: flag(null), unit: NOM.DIM_MMHG, float: float32(this.nbp.mean, 0) },
        ],
      });
    }
    return out;
  }
}
