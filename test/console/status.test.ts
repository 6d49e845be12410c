/** What the now panel says about the vitals baseline window and a guard's persistence before an abort. */
import { describe, expect, it } from 'vitest';
import { defaultProtocol } from '../../machines/index.js';
import { newSessionModel } from '../../src/console/model.js';
import { heldText, nowView } from '../../src/console/web/status.js';
import type { SessionModel } from '../../src/console/wire.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';

function model(): SessionModel {
  return newSessionModel({ id: 1, t0: 0, maneuver: 'staircase', protocol: defaultProtocol('staircase'), plan: [], plannedMs: 0, baseline: DEFAULT_SIM_BASELINE, device: { vendor: 'sim', model: 'sim', protocol: 'sim' }, guided: false, thresholds: {} as SessionModel['info']['thresholds'], patient: null });
}

describe('now panel', () => {
  it('before the first step, says the vitals baseline window is being collected and how long it is', () => {
    expect(nowView(model(), false).detail).toMatch(/^Collecting the vitals baseline: 30 s of SpO2 and MAP/);
  });

  it('while aborting, says how long the guard condition held before it aborted', () => {
    const m = model();
    m.step = { ...m.step, state: 'aborting.restoring' };
    m.abort = { reason: 'hypotension', guard: 'mapBelowFloor', message: 'MAP 55 mmHg below 60', at: 1, heldMs: 5200, fromState: 'active.incremental.dwelling' };
    expect(nowView(m, false).detail).toContain('MAP 55 mmHg below 60 (the condition held for 5.2 s before the abort).');
  });

  it('completed after pre-oxygenation above the baseline FiO2: says where FiO2 ended (finalFio2), live and in the summary', () => {
    const m = model();
    m.step = { ...m.step, state: 'completed' };
    m.verified = { ...DEFAULT_SIM_BASELINE, peepCmH2O: 17.5, fio2: 0.8 };
    expect(nowView(m, false).detail).toContain('FiO2 ended at 0.8 (baseline 0.6): wean by SpO2.');
    m.verified = { ...DEFAULT_SIM_BASELINE, peepCmH2O: 17.5 };
    expect(nowView(m, false).detail).not.toContain('FiO2 ended');
    m.step = { ...m.step, state: 'finished' };
    m.summary = { outcome: 'completed', finalPeepCmH2O: 17.5, verifiedSettings: { ...DEFAULT_SIM_BASELINE, fio2: 0.8 }, durationMs: 1000, finalFio2: { message: 'FiO2 ended at 0.8 (baseline 0.6): wean by SpO2' } } as unknown as SessionModel['summary'];
    expect(nowView(m, false).detail).toContain('FiO2 ended at 0.8 (baseline 0.6): wean by SpO2.');
  });

  it('a critical limit aborts at once, and says so', () => {
    expect(heldText(0)).toBe('critical limit crossed: aborted at once');
  });
});
