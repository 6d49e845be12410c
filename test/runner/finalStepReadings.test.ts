/**
 * The final step's lung-protective check judges the final settings by what was measured AT the
 * final settings. With `assessS: 0` (no assessment dwell) the final step has no breath of its
 * own; the check used to fall back to the last reading of the step before (a re-recruitment at
 * plateau ~34), and aborted a patient whose final settings were within the limits for
 * "overdistention". Found when the recalibrated simulated lungs began to show derecruitment.
 */
import { describe, expect, it } from 'vitest';
import { defaultProtocol, type Protocol } from '../../machines/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { runSimulated } from '../support/simSession.js';

async function run(protocol: Protocol, seed: number) {
  return (await runSimulated({ maneuver: protocol.maneuver, protocol, profile: BUILTIN_PROFILES['moderate-ards'], seed })).s;
}

describe('the final step is judged on its own readings', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('moderate-ards seed %i, staircase with assessS 0: no overdistention abort borrowed from the step before', async (seed) => {
    const protocol = { ...defaultProtocol('staircase'), assessS: 0 } as Protocol;
    const s = await run(protocol, seed);
    const where = `seed ${seed}: ${s.outcome} ${s.abort?.guard ?? ''} ${s.abort?.message ?? ''}`;
    expect(s.abort?.guard, where).not.toBe('finalBeyondLungProtectiveLimits');
    if (s.outcome === 'completed' && s.titration.limitsMeasured) {
      // Whatever was measured belongs to the final settings: not above the final PCV peak.
      const fin = s.verifiedSettings;
      if (fin?.mode === 'PCV' && s.titration.limitsMeasured.plateauCmH2O !== null) {
        expect(s.titration.limitsMeasured.plateauCmH2O, where).toBeLessThanOrEqual(fin.peakCmH2O + 1);
      }
    }
  }, 60_000);

  it('with the default assessment the final step still measures its own breaths', async () => {
    const s = await run(defaultProtocol('staircase'), 1);
    expect(s.outcome).toBe('completed');
    expect(s.titration.limitsMeasured?.within).toBe(true);
    expect(s.titration.limitsMeasured?.plateauCmH2O).not.toBeNull();
  }, 60_000);
});
