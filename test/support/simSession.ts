/** The simulated session most fault and shutdown tests start from: moderate ARDS, seed 1, default protocol, virtual clock. */
import { VirtualClock } from '../../common/clock.js';
import { defaultProtocol, type ManeuverKind } from '../../machines/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { openSimulatedSession } from '../../src/runner/simulated.js';

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
