/** The simulated session most fault and shutdown tests start from: moderate ARDS, seed 1, default protocol, virtual clock. */
import { VirtualClock } from '../../common/clock.js';
import type { SimWorld } from '../../hal/simulated/world.js';
import { defaultProtocol, type ManeuverKind, type Protocol, type RunnableKind } from '../../machines/index.js';
import { BUILTIN_PROFILES, type PatientProfile } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { runSession } from '../../src/runner/drive.js';
import { openSimulatedSession } from '../../src/runner/simulated.js';
import type { SessionSummary } from '../../src/runner/telemetry.js';

export async function openModerateArds(maneuver: ManeuverKind, onFailsafe: 'end' | 'wait') {
  const clock = new VirtualClock(0);
  const sim = await openSimulatedSession({
    maneuver,
    protocol: defaultProtocol(maneuver),
    profile: BUILTIN_PROFILES['moderate-ards'],
    seed: 1,
    clock,
    baseline: DEFAULT_SIM_BASELINE,
    session: { onCompleted: 'end', onFailsafe },
  });
  return { clock, sim };
}

/**
 * One simulated session run to its end, as the profile and outcome tests run them: the default
 * simulator baseline, a fresh VirtualClock, the session ending on completion and on failsafe
 * (nothing waits for an operator), `protocol` defaulting to the maneuver's default. The session
 * is closed however the run ends; returns its summary and the simulated world.
 */
export async function runSimulated(o: { maneuver: RunnableKind; protocol?: Protocol; profile: PatientProfile; seed: number }): Promise<{ s: SessionSummary; world: SimWorld }> {
  const { session, world } = await openSimulatedSession({
    maneuver: o.maneuver,
    protocol: o.protocol ?? defaultProtocol(o.maneuver),
    profile: o.profile,
    seed: o.seed,
    clock: new VirtualClock(0),
    baseline: DEFAULT_SIM_BASELINE,
    session: { onCompleted: 'end', onFailsafe: 'end' },
  });
  try {
    return { s: await runSession(session), world };
  } finally {
    await session.close();
  }
}
