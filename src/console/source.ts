/**
 * Where the console's sessions come from. The server asks a `SessionSource` for one session
 * per maneuver; the built-in simulator is one source (a device adapter would be another,
 * with the same interface).
 */
import { WallClock } from '../../common/clock.js';
import type { GuidedVentilator } from '../../hal/guided/ventilator.js';
import type { ManeuverKind, Protocol, VentSettings } from '../../machines/index.js';
import type { PatientProfile } from '../../sim/index.js';
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

/** The longest a guided instruction may wait: the machine's apply deadline is 600 s. */
const GUIDED_TIMEOUT_MAX_MS = 590_000;

/**
 * @example
 * const source = simulatedSource({ patientName: 'moderate-ards', profile, seed: 1, baseline: DEFAULT_SIM_BASELINE, speed: 1, guided: false });
 * const { session } = await source.open('staircase', defaultProtocol('staircase'));
 */
export function simulatedSource(o: SimulatedSourceOptions): SessionSource {
  const guidedTimeoutMs = o.guidedTimeoutMs ?? Math.min(GUIDED_TIMEOUT_MAX_MS, 120_000 * o.speed);
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
