/**
 * Where sessions come from: the built-in simulator (`simulatedSource`) or a ventilator on a
 * serial port with a patient-monitor feed (`deviceSource`). Both the CLI (`rmseq run`: one
 * session) and the console (one session per maneuver) open their sessions through a
 * `SessionSource`; `journalSession` and `journaled` write a session to the audit journal.
 */
import { VirtualClock, WallClock, type Clock } from '../../common/clock.js';
import { GUIDED_TIMEOUT_DEFAULT_MS, GUIDED_TIMEOUT_MAX_MS, type GuidedVentilator } from '../../hal/guided/index.js';
import type { DeviceInfo, VentilatorCapabilities } from '../../hal/port.js';
import type { SimWorld } from '../../hal/simulated/index.js';
import type { SerialSettings } from '../../hal/serial/config.js';
import type { SerialBinding } from '../../hal/serial/transport.js';
import type { ChecklistConfirmation, RunnableKind, PatientSize, Protocol, VentSettings } from '../../machines/index.js';
import type { MonitorOptions, PatientProfile } from '../../sim/index.js';
import { failsafeDigest } from '../journal/failsafeDigest.js';
import { identityOf, type DeviceIdentity } from '../journal/identity.js';
import type { Journal, SessionHeader } from '../journal/journal.js';
import { MAKAIR_WIRE_TIMING } from '../../hal/makair/index.js';
import { MEDIBUS_TIMING } from '../../hal/medibus/index.js';
import { openDeviceSession, type DeviceSessionOptions, type DeviceSpec } from './device.js';
import { announceMonitor, describeVitalsTarget, openVitals, type VitalsTarget } from './vitals.js';
import { guardJournal } from './journalGuard.js';
import type { Session, SessionOptions } from './session.js';
import { openSimulatedSession } from './simulated.js';

/** What a session does at `completed` and in `failsafe`: end at once, or wait for the operator. */
export type SessionPolicy = Required<Pick<SessionOptions, 'onCompleted' | 'onFailsafe'>>;

/** The console's policy: the operator repeats or ends a completed maneuver, and acknowledges a failsafe. */
export const WAITING_POLICY: SessionPolicy = { onCompleted: 'wait', onFailsafe: 'wait' };

/** What the journal header and a run's result record about the patient or the device. */
export interface SessionRecord {
  /** Journal header fields: the patient and seed, or the device, its identity, line and monitor feed. */
  header: Pick<SessionHeader, 'patient' | 'seed' | 'device' | 'deviceIdentity'> & Record<string, unknown>;
  /** The same in short, for `rmseq run --json`. */
  result: Record<string, unknown>;
}

export interface OpenedSession {
  session: Session;
  /** The instruction channel in guided mode (null when the controller sets the ventilator itself). */
  guided: GuidedVentilator | null;
  /** For people, once open: "simulated patient moderate-ards (seed 1)", "Dräger Evita on /dev/ttyUSB1 (guided)". */
  description: string;
  record: SessionRecord;
  /** The ventilator's identity and capabilities, which crash recovery checks (null on the simulator). */
  device: { identity: DeviceIdentity; capabilities: VentilatorCapabilities } | null;
  /** Closes the session and stops whatever feeds it (simulator timers, ports). */
  dispose(): Promise<void>;
  /** The simulated patient's world (simulator only): scripted circuit events for the post-maneuver watch. */
  world?: SimWorld;
}

/** What the operator gave at the start of one session. */
export interface SessionStart {
  /** The operator checklist as confirmed (who, when, which items); absent: nothing confirmed. */
  checklist?: ChecklistConfirmation;
}

/**
 * The checklist options of a session: on a device or a wall-clock run the checklist is required
 * (absent = nothing confirmed: the start is blocked); on a virtual-clock simulator run it is
 * checked only when one was given. The confirmation goes to the journal header.
 */
function checklistOf(required: boolean, start: SessionStart | undefined): { session: { checklist?: readonly string[] }; header: Record<string, unknown> } {
  const c = start?.checklist;
  const session = c ? { checklist: c.items } : required ? { checklist: [] as string[] } : {};
  const header = c ? { checklist: { items: c.items, by: c.by, at: new Date(c.at).toISOString() } } : {};
  return { session, header };
}

export interface SessionSource {
  /** For people: "simulated patient moderate-ards (seed 1)". */
  readonly description: string;
  readonly simulated: boolean;
  readonly guided: boolean;
  /** Session clock speed relative to real time (on the wall clock). */
  readonly speed: number;
  /** The ventilator settings sessions will start from, when known in advance (plan previews). */
  readonly baseline?: VentSettings;
  /**
   * Whether a session needs the operator checklist confirmed before it starts (devices and
   * wall-clock runs; a virtual-clock simulator run checks one only when given).
   */
  readonly checklistRequired: boolean;
  /** Opens a session for a validated protocol, with the source's clock and policy. */
  open(maneuver: RunnableKind, protocol: Protocol, start?: SessionStart): Promise<OpenedSession>;
}

/**
 * A guided timeout the operator gives in real seconds, on a session clock `speed` times
 * faster, capped below the machine's apply deadline (`GUIDED_TIMEOUT_MAX_MS`).
 *
 * @example
 * guidedTimeoutOnSessionClock(120_000, 10); // 590_000 (capped)
 */
export function guidedTimeoutOnSessionClock(realMs: number, speed: number): number {
  return Math.min(GUIDED_TIMEOUT_MAX_MS, realMs * speed);
}

/** Stops what is left on a wall clock (a virtual clock stops with its driver). */
const clearClock = (clock: Clock): void => {
  if (clock instanceof WallClock) clock.clearAll();
};

export interface SimulatedSourceOptions {
  patientName: string;
  profile: PatientProfile;
  seed: number;
  baseline: VentSettings;
  /** Wall clock speed (1 = real time). */
  speed: number;
  /**
   * The session clock: the wall clock at `speed` (default), or a virtual clock whose timers
   * `runSession` runs back to back (batch runs; `speed` does not apply).
   */
  clock?: 'wall' | 'virtual';
  /** Guided-mode rehearsal: every setting becomes an instruction the operator confirms. */
  guided: boolean;
  /**
   * Time the operator has to carry out a guided instruction, on the session clock. Default:
   * `GUIDED_TIMEOUT_DEFAULT_MS` of real time, capped below the machine's apply deadline.
   */
  guidedTimeoutMs?: number;
  /** The simulated monitor's faults (artifacts, dropouts). */
  monitor?: Omit<MonitorOptions, 'seed'>;
  /** The patient's height and sex (predicted body weight); default: the profile's. */
  patient?: PatientSize;
  /** Default: `WAITING_POLICY` (the console's). */
  policy?: SessionPolicy;
}

/**
 * @example
 * const source = simulatedSource({ patientName: 'moderate-ards', profile, seed: 1, baseline: DEFAULT_SIM_BASELINE, speed: 1, guided: false });
 * const { session } = await source.open('staircase', defaultProtocol('staircase'));
 */
export function simulatedSource(o: SimulatedSourceOptions): SessionSource {
  const guidedTimeoutMs = o.guidedTimeoutMs ?? guidedTimeoutOnSessionClock(GUIDED_TIMEOUT_DEFAULT_MS, o.speed);
  const description = `simulated patient ${o.patientName} (seed ${o.seed})`;
  return {
    description,
    simulated: true,
    guided: o.guided,
    speed: o.speed,
    baseline: o.baseline,
    checklistRequired: o.clock !== 'virtual',
    async open(maneuver, protocol, start) {
      const checklist = checklistOf(o.clock !== 'virtual', start);
      const clock = o.clock === 'virtual' ? new VirtualClock(0) : new WallClock(o.speed);
      const opened = await openSimulatedSession({
        maneuver,
        protocol,
        profile: o.profile,
        seed: o.seed,
        clock,
        baseline: o.baseline,
        ...(o.monitor ? { monitor: o.monitor } : {}),
        ...(o.patient ? { patient: o.patient } : {}),
        session: { ...(o.policy ?? WAITING_POLICY), ...checklist.session },
        ...(o.guided ? { guided: { timeoutMs: guidedTimeoutMs } } : {}),
      });
      return {
        session: opened.session,
        guided: opened.guided,
        description,
        record: {
          header: { patient: { name: o.patientName, profile: o.profile }, seed: o.seed, device: 'simulator', ...checklist.header },
          result: { patient: o.patientName, seed: o.seed, device: 'simulator' },
        },
        device: null,
        world: opened.world,
        async dispose() {
          await opened.session.close();
          clearClock(clock);
        },
      };
    },
  };
}

export interface DeviceSourceOptions {
  device: DeviceSpec;
  /** The ventilator's line (path and settings). */
  serial: SerialSettings;
  /** The patient monitor's line feed. */
  vitals: VitalsTarget;
  /**
   * The device sessions must be on: what answered when the source was made (the console's
   * probe). A session refuses another device (model and id). Absent: whichever answers.
   */
  info?: DeviceInfo;
  /** The settings sessions will start from, when read in advance (plan previews). */
  baseline?: VentSettings;
  /** Guided mode: always for MEDIBUS (read-only); on request for a MakAir. */
  guided: boolean;
  /** Time the operator has to carry out an instruction (at most `GUIDED_TIMEOUT_MAX_MS`). */
  guidedTimeoutMs: number;
  /** Wall clock speed (default 1; only an emulator at the same speed can keep up with more). */
  speed?: number;
  /** Default: `WAITING_POLICY` (the console's). */
  policy?: SessionPolicy;
  /** serialport binding (tests); the OS binding by default. */
  binding?: SerialBinding;
  /** The patient's height and sex (predicted body weight: tidal volumes limited per kg). */
  patient?: PatientSize;
}

/**
 * The adapters' wire timings on a session clock `speed` times faster than real time: each
 * multiplied by the speed, so that it stays the same in real time. `--speed` speeds up the
 * patient and the protocol, not a serial line or the scheduling of the processes at its ends:
 * at x4 the MakAir's 1-s telemetry watchdog would otherwise fire after 0.25 s of real silence,
 * which a loaded machine's scheduler alone can cause. The clinical deadlines (apply, restore,
 * guided instructions) stay on the session clock.
 *
 * @example
 * wireTimingAtSpeed(4).makair; // { linkTimeoutMs: 4000, ackTimeoutMs: 2000, maxAckTimeoutMs: 16000 }
 */
export function wireTimingAtSpeed(speed: number): Required<Pick<DeviceSessionOptions, 'makair' | 'medibus'>> {
  if (!(Number.isFinite(speed) && speed > 0)) throw new TypeError(`speed must be a positive number (got ${String(speed)})`);
  return {
    makair: {
      linkTimeoutMs: MAKAIR_WIRE_TIMING.linkTimeoutMs * speed,
      ackTimeoutMs: MAKAIR_WIRE_TIMING.ackTimeoutMs * speed,
      maxAckTimeoutMs: MAKAIR_WIRE_TIMING.maxAckTimeoutMs * speed,
    },
    medibus: { timing: { silenceTimeoutMs: MEDIBUS_TIMING.silenceTimeoutMs * speed, responseTimeoutMs: MEDIBUS_TIMING.responseTimeoutMs * speed } },
  };
}

/**
 * A ventilator on a serial port: each session opens the port and the monitor feed afresh on
 * the wall clock, and closes them on `dispose`.
 *
 * @example
 * const source = deviceSource({ device: { protocol: 'makair', path: '/dev/ttyUSB0', fio2: 0.4 }, serial, vitals, info, baseline, guided: false, guidedTimeoutMs: GUIDED_TIMEOUT_DEFAULT_MS });
 */
export function deviceSource(o: DeviceSourceOptions): SessionSource {
  const speed = o.speed ?? 1;
  const name = o.info ? `${o.info.vendor} ${o.info.model}` : `${o.device.protocol === 'makair' ? 'MakAir' : 'MEDIBUS device'}`;
  return {
    description: `${name} on ${o.serial.path}${o.guided ? ' (guided)' : ''}`,
    simulated: false,
    guided: o.guided,
    speed,
    ...(o.baseline ? { baseline: o.baseline } : {}),
    checklistRequired: true,
    async open(maneuver, protocol, start) {
      const checklist = checklistOf(true, start);
      const clock = new WallClock(speed);
      const binding = o.binding ? { binding: o.binding } : {};
      let ds: Awaited<ReturnType<typeof openDeviceSession>>;
      let vitals: Awaited<ReturnType<typeof openVitals>>;
      try {
        vitals = await openVitals(o.vitals, { clock, ...binding });
        const { path: _path, ...line } = o.serial;
        ds = await openDeviceSession({
          device: o.device,
          serial: line,
          maneuver,
          protocol,
          vitals,
          clock,
          ...wireTimingAtSpeed(speed),
          // The device the source was made for, not another one plugged in since.
          ...(o.info ? { expect: { model: o.info.model, ...(o.info.id !== undefined ? { id: o.info.id } : {}) } } : {}),
          ...(o.guided ? { guided: { timeoutMs: o.guidedTimeoutMs } } : {}),
          session: { ...(o.policy ?? WAITING_POLICY), ...(o.patient ? { patient: o.patient } : {}), ...checklist.session },
          ...binding,
        });
      } catch (e) {
        clock.clearAll(); // openDeviceSession closed the ports it opened, the monitor feed included
        throw e;
      }
      // What the monitor says about its values (an INOP, questionable data) becomes a session alarm.
      announceMonitor(vitals, ds.session);
      const device = `${o.device.protocol}:${o.device.path}`;
      const identity = identityOf(o.device.protocol, o.device.path, ds.device);
      return {
        session: ds.session,
        guided: ds.guided,
        description: `${ds.device.vendor} ${ds.device.model} on ${ds.serial.path}${ds.guided ? ' (guided)' : ''}`,
        record: {
          header: { device, deviceIdentity: identity, deviceInfo: ds.device, serial: ds.serial, vitals: describeVitalsTarget(o.vitals), ...checklist.header },
          result: { device, deviceModel: `${ds.device.vendor} ${ds.device.model}` },
        },
        device: { identity, capabilities: ds.device.capabilities },
        async dispose() {
          await ds.close();
          clock.clearAll();
        },
      };
    },
  };
}

/** What the journal header says beyond the session's own record. */
export interface JournalContext {
  versions: Record<string, string>;
  maneuver: RunnableKind;
  protocol: Protocol;
  argv?: string[];
}

/**
 * Writes an opened session to the audit journal: the header (with the session's record and
 * clock), then its telemetry; a journal that cannot be written aborts the maneuver.
 */
export function journalSession(journal: Journal, opened: OpenedSession, c: JournalContext): void {
  const clock = opened.session.clock instanceof VirtualClock ? 'virtual' : 'wall';
  journal.header({ versions: c.versions, maneuver: c.maneuver, protocol: c.protocol, ...opened.record.header, clock, ...(c.argv ? { argv: c.argv } : {}) });
  journal.attach(opened.session.telemetry$.pipe(failsafeDigest()));
  guardJournal(journal, opened.session); // disk full: abort once, restore, verify
}

/**
 * Writes every session of `source` to the audit journal as it opens.
 *
 * @example
 * const source = journaled(simulatedSource({ ... }), Journal.open('console.jsonl'), () => ({ versions: versions() }));
 */
export function journaled(source: SessionSource, journal: Journal, context: () => Omit<JournalContext, 'maneuver' | 'protocol'>): SessionSource {
  return {
    ...source,
    async open(maneuver, protocol, start) {
      const opened = await source.open(maneuver, protocol, start);
      journalSession(journal, opened, { ...context(), maneuver, protocol });
      return opened;
    },
  };
}
