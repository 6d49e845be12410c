/**
 * Where the console's sessions come from. The server asks a `SessionSource` for one session
 * per maneuver: the built-in simulator (`simulatedSource`) or a ventilator on a serial port
 * with a patient-monitor feed (`deviceSource`). `journaled` writes each session to the audit
 * journal.
 */
import { WallClock } from '../../common/clock.js';
import { GUIDED_TIMEOUT_DEFAULT_MS, GUIDED_TIMEOUT_MAX_MS, type GuidedVentilator } from '../../hal/guided/ventilator.js';
import type { DeviceInfo } from '../../hal/port.js';
import type { SerialSettings } from '../../hal/serial/config.js';
import type { SerialBinding } from '../../hal/serial/transport.js';
import type { ManeuverKind, Protocol, VentSettings } from '../../machines/index.js';
import type { PatientProfile } from '../../sim/index.js';
import { failsafeDigest } from '../journal/failsafeDigest.js';
import type { Journal, SessionHeader } from '../journal/journal.js';
import { openDeviceSession, openLineVitals, type DeviceSpec } from '../runner/device.js';
import { guardJournal } from '../runner/journalGuard.js';
import type { Session } from '../runner/session.js';
import { openSimulatedSession } from '../runner/simulated.js';

export interface OpenedSession {
  session: Session;
  /** The instruction channel in guided mode (null when the controller sets the ventilator itself). */
  guided: GuidedVentilator | null;
  /** Closes the session and stops whatever feeds it (simulator timers, ports). */
  dispose(): Promise<void>;
}

export interface SessionSource {
  /** For people: "simulated patient moderate-ards (seed 1)". */
  readonly description: string;
  readonly simulated: boolean;
  readonly guided: boolean;
  /** Session clock speed relative to real time. */
  readonly speed: number;
  /** The ventilator settings sessions will start from, when known in advance (plan previews). */
  readonly baseline?: VentSettings;
  /**
   * Opens a session for a validated protocol. The console's sessions wait at `completed`
   * (the operator repeats or ends) and in `failsafe` (the operator acknowledges).
   */
  open(maneuver: ManeuverKind, protocol: Protocol): Promise<OpenedSession>;
}

export interface SimulatedSourceOptions {
  patientName: string;
  profile: PatientProfile;
  seed: number;
  baseline: VentSettings;
  /** Wall clock speed (1 = real time). */
  speed: number;
  /** Guided-mode rehearsal: every setting becomes an instruction the operator confirms. */
  guided: boolean;
  /**
   * Time the operator has to carry out a guided instruction, on the session clock. Default:
   * 2 real minutes, capped below the machine's 600 s apply deadline.
   */
  guidedTimeoutMs?: number;
}


/**
 * @example
 * const source = simulatedSource({ patientName: 'moderate-ards', profile, seed: 1, baseline: DEFAULT_SIM_BASELINE, speed: 1, guided: false });
 * const { session } = await source.open('staircase', defaultProtocol('staircase'));
 */
export function simulatedSource(o: SimulatedSourceOptions): SessionSource {
  const guidedTimeoutMs = o.guidedTimeoutMs ?? Math.min(GUIDED_TIMEOUT_MAX_MS, GUIDED_TIMEOUT_DEFAULT_MS * o.speed);
  return {
    description: `simulated patient ${o.patientName} (seed ${o.seed})`,
    simulated: true,
    guided: o.guided,
    speed: o.speed,
    baseline: o.baseline,
    async open(maneuver, protocol) {
      const clock = new WallClock(o.speed);
      const opened = await openSimulatedSession({
        maneuver,
        protocol,
        profile: o.profile,
        seed: o.seed,
        clock,
        baseline: o.baseline,
        ...(o.guided ? { guided: { timeoutMs: guidedTimeoutMs } } : {}),
        session: { onCompleted: 'wait', onFailsafe: 'wait' },
      });
      return {
        session: opened.session,
        guided: opened.guided,
        async dispose() {
          await opened.session.close();
          clock.clearAll();
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
  vitals: SerialSettings;
  /** What answered when the console started (`openDeviceVentilator`), and the settings it held. */
  info: DeviceInfo;
  baseline: VentSettings;
  /** Guided mode: always for MEDIBUS (read-only); on request for a MakAir. */
  guided: boolean;
  /** Time the operator has to carry out an instruction (at most 590 s). */
  guidedTimeoutMs: number;
  /** serialport binding (tests); the OS binding by default. */
  binding?: SerialBinding;
}

/**
 * A ventilator on a serial port: each maneuver opens the port and the monitor feed afresh on
 * the wall clock (refusing a device other than the one the console started on: model and id),
 * and closes them when the next maneuver starts or the console stops.
 *
 * @example
 * const source = deviceSource({ device: { protocol: 'makair', path: '/dev/ttyUSB0', fio2: 0.4 }, serial, vitals, info, baseline, guided: false, guidedTimeoutMs: 120_000 });
 */
export function deviceSource(o: DeviceSourceOptions): SessionSource {
  return {
    description: `${o.info.vendor} ${o.info.model} on ${o.serial.path}${o.guided ? ' (guided)' : ''}`,
    simulated: false,
    guided: o.guided,
    speed: 1,
    baseline: o.baseline,
    async open(maneuver, protocol) {
      const clock = new WallClock();
      const binding = o.binding ? { binding: o.binding } : {};
      const vitals = await openLineVitals(o.vitals, { clock, ...binding });
      const { path: _path, ...line } = o.serial;
      let ds: Awaited<ReturnType<typeof openDeviceSession>>;
      try {
        ds = await openDeviceSession({
          device: o.device,
          serial: line,
          maneuver,
          protocol,
          vitals,
          clock,
          // The device the console was started on, not another one plugged in since.
          expect: { model: o.info.model, ...(o.info.id !== undefined ? { id: o.info.id } : {}) },
          ...(o.guided ? { guided: { timeoutMs: o.guidedTimeoutMs } } : {}),
          session: { onCompleted: 'wait', onFailsafe: 'wait' },
          ...binding,
        });
      } catch (e) {
        clock.clearAll(); // openDeviceSession closed the ports it opened, the monitor feed included
        throw e;
      }
      return {
        session: ds.session,
        guided: ds.guided,
        async dispose() {
          await ds.close();
          clock.clearAll();
        },
      };
    },
  };
}

/**
 * Writes every session of `source` to the audit journal: a header, then its telemetry.
 *
 * @example
 * const source = journaled(simulatedSource({ ... }), Journal.open('console.jsonl'), () => ({ versions: versions(), device: 'simulator' }));
 */
export function journaled(source: SessionSource, journal: Journal, header: () => Omit<SessionHeader, 'maneuver' | 'protocol' | 'clock'>): SessionSource {
  return {
    ...source,
    async open(maneuver, protocol) {
      const opened = await source.open(maneuver, protocol);
      journal.header({ ...header(), maneuver, protocol, clock: 'wall' });
      journal.attach(opened.session.telemetry$.pipe(failsafeDigest()));
      guardJournal(journal, opened.session); // a journal that cannot be written aborts the maneuver
      return opened;
    },
  };
}
