/** Wiring a session onto the built-in simulator (one patient, its ventilator and its monitor). */
import type { Clock } from '../../common/clock.js';
import { SimulatedVentilator, SimulatedVitals, SimWorld } from '../../hal/simulated/index.js';
import type { RunnableKind, Protocol, VentSettings } from '../../machines/index.js';
import { profilePatientSize, type MonitorOptions, type PatientProfile } from '../../sim/index.js';
import { GUIDED_DEADLINE_MARGIN_S, GUIDED_TIMEOUT_DEFAULT_MS, GuidedVentilator } from '../../hal/guided/index.js';
import { APPLY_TIMEOUT_MAX_S, ProtocolSchema, RESTORE_TIMEOUT_MAX_S } from '../../machines/index.js';
import { Session, type SessionOptions } from './session.js';
import type { EngineKind } from './engine.js';

/**
 * A person needs minutes, not seconds: in guided mode the machine's confirmation deadlines
 * are stretched past the guided timeout, so the instruction's own TimeoutError arrives first.
 */
export function guidedProtocol(protocol: Protocol, guidedTimeoutMs: number): Protocol {
  const s = Math.ceil(guidedTimeoutMs / 1000);
  return ProtocolSchema.parse({
    ...protocol,
    safety: {
      ...protocol.safety,
      applyTimeoutS: Math.min(APPLY_TIMEOUT_MAX_S, Math.max(protocol.safety.applyTimeoutS, s + GUIDED_DEADLINE_MARGIN_S)),
      restoreTimeoutS: RESTORE_TIMEOUT_MAX_S,
    },
  });
}

export interface SimulatedSessionOptions {
  maneuver: RunnableKind;
  protocol: Protocol;
  profile: PatientProfile;
  seed: number;
  clock: Clock;
  baseline: VentSettings;
  monitor?: Omit<MonitorOptions, 'seed'>;
  /**
   * Guided mode rehearsal: commands become instructions to the operator; the operator's
   * confirmation stands for turning the knob on the simulated ventilator.
   */
  guided?: { timeoutMs?: number };
  session?: Partial<Pick<SessionOptions, 'onCompleted' | 'onFailsafe' | 'tickMs' | 'warmupTimeoutMs' | 'checklist' | 'engine'>>;
  /** Height and sex for the maneuver (default: the profile's). */
  patient?: SessionOptions['patient'];
}

export interface SimulatedSession {
  session: Session;
  world: SimWorld;
  /** The simulated device (under the guided wrapper in guided mode). */
  ventilator: SimulatedVentilator;
  vitals: SimulatedVitals;
  guided: GuidedVentilator | null;
}

/**
 * @example
 * const { session } = await openSimulatedSession({ maneuver: 'staircase', protocol, profile, seed: 1, clock: new VirtualClock(), baseline });
 * const summary = await runSession(session);
 */
export async function openSimulatedSession(o: SimulatedSessionOptions): Promise<SimulatedSession> {
  const world = new SimWorld({ profile: o.profile, seed: o.seed, clock: o.clock, settings: o.baseline, ...(o.monitor ? { monitor: o.monitor } : {}) });
  const ventilator = new SimulatedVentilator({ world });
  const vitals = new SimulatedVitals({ world });
  const guided = o.guided
    ? new GuidedVentilator({ device: ventilator, clock: o.clock, ...(o.guided.timeoutMs ? { timeoutMs: o.guided.timeoutMs } : {}), actuator: (s) => ventilator.apply(s) })
    : null;
  const protocol = guided ? guidedProtocol(o.protocol, o.guided?.timeoutMs ?? GUIDED_TIMEOUT_DEFAULT_MS) : o.protocol;
  const patient = o.patient ?? profilePatientSize(o.profile);
  const session = await Session.open({ maneuver: o.maneuver, protocol, ventilator: guided ?? ventilator, vitals, clock: o.clock, patient, ...(o.session ?? {}) });
  return { session, world, ventilator, vitals, guided };
}

/**
 * The engine of batch runs (cohorts, benchmarks): the machine's pure transition function
 * (src/runner/engine.ts). Interactive and device sessions keep the actor.
 */
export const BATCH_ENGINE: EngineKind = 'transition';

/**
 * A simulated session for a batch run: the batch engine, and the session ends at completion
 * and in failsafe (nobody is there to acknowledge). Cohort patients go through this one function.
 *
 * @example
 * const { session } = await openBatchSession({ maneuver: 'staircase', protocol, profile, seed: 1, clock: new VirtualClock(), baseline });
 * const summary = await runSession(session);
 */
export function openBatchSession(o: SimulatedSessionOptions): Promise<SimulatedSession> {
  return openSimulatedSession({ ...o, session: { onCompleted: 'end', onFailsafe: 'end', engine: BATCH_ENGINE, ...(o.session ?? {}) } });
}
