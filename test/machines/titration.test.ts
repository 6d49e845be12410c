/**
 * Issue 15: a titration that decides. PBW, lung-protective limits of the final settings,
 * methods side by side, re-recruitment only when needed, the desaturation fallback, the FiO2
 * titration and the post-RM PEEP of single-step maneuvers.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SAFETY,
  defaultProtocol,
  measuredLimits,
  methodsDisagree,
  predictedBodyWeightKg,
  protectiveSettings,
  PatientSizeSchema,
  titrationMethods,
  type StaircaseProtocol,
} from '../../machines/index.js';
import { BASELINE, Driver } from '../support/driver.js';

const LIMITS = (defaultProtocol('staircase') as StaircaseProtocol).lungProtection;

describe('predicted body weight (ARDSnet)', () => {
  it('male 50 + 0.91 (h - 152.4), female 45.5 + 0.91 (h - 152.4)', () => {
    expect(predictedBodyWeightKg({ heightCm: 174.4, sex: 'male' })).toBe(70);
    expect(predictedBodyWeightKg({ heightCm: 160, sex: 'female' })).toBe(52.4);
    expect(predictedBodyWeightKg({ heightCm: 152.4, sex: 'male' })).toBe(50);
  });
  it('height outside 130-230 cm and an unknown sex are refused with the range', () => {
    const r = PatientSizeSchema.safeParse({ heightCm: 90, sex: 'x' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('between 130 and 230 cm');
    expect(JSON.stringify(r.error?.issues)).toContain('male or female');
  });
});

describe('lung-protective final settings', () => {
  it('VC: keeps the baseline Vt when plateau, driving pressure and Vt/kg are within the limits', () => {
    const r = protectiveSettings(BASELINE, 15, 50, 70, LIMITS, 55, 5);
    expect(typeof r).toBe('object');
    if (typeof r === 'string') return;
    expect(r.settings).toEqual({ ...BASELINE, peepCmH2O: 15, peakCmH2O: 35, tidalVolumeMl: 420 });
    expect(r.predicted).toMatchObject({ plateauCmH2O: 23.4, drivingPressureCmH2O: 8.4, tidalVolumeMlPerKg: 6, within: true });
    expect(r.adjusted).toBeNull();
  });
  it('VC: lowers Vt to keep plateau <= 30 (never below 4 mL/kg), saying so', () => {
    // PEEP 20, compliance 30: 420 mL would give plateau 34; 9.5 x 30 = 285 mL (4.1 mL/kg) keeps it at 29.5.
    const r = protectiveSettings(BASELINE, 20, 30, 70, LIMITS, 55, 5);
    if (typeof r === 'string') throw new Error(r);
    expect(r.settings.tidalVolumeMl).toBe(280);
    expect(r.predicted.plateauCmH2O).toBeLessThanOrEqual(30);
    expect(r.adjusted).toContain('Vt lowered 420 -> 280 mL');
    // Stiffer: no Vt >= 4 mL/kg (280 mL) fits; the PEEP is refused with the reason.
    expect(protectiveSettings(BASELINE, 20, 25, 70, LIMITS, 55, 5)).toMatch(/no tidal volume of at least 4 mL\/kg/);
  });
  it('VC: Vt above 8 mL/kg PBW is lowered to the limit (a short patient on a 420 mL baseline)', () => {
    const pbw = predictedBodyWeightKg({ heightCm: 150, sex: 'female' }); // 43.3 kg: 420 mL = 9.7 mL/kg
    const r = protectiveSettings(BASELINE, 12, 60, pbw, LIMITS, 55, 5);
    if (typeof r === 'string') throw new Error(r);
    expect(r.settings.tidalVolumeMl! / pbw).toBeLessThanOrEqual(8);
    expect(r.predicted.within).toBe(true);
  });
  it('PCV: lowers the driving pressure to the limits; a PEEP at the plateau limit leaves no breath', () => {
    const pcv = { mode: 'PCV' as const, peepCmH2O: 10, peakCmH2O: 32, rateBpm: 20, fio2: 0.6 };
    const r = protectiveSettings(pcv, 18, 40, 70, LIMITS, 55, 5);
    if (typeof r === 'string') throw new Error(r);
    // Gap 22 -> min(14.5 (dp), 11.5 (plateau), 548/40 = 13.7 (Vt)) = 11.5
    expect(r.settings.peakCmH2O).toBe(29.5);
    expect(protectiveSettings(pcv, 30, 40, 70, LIMITS, 55, 5)).toMatch(/leaves no breath/);
  });
  it('measured: plateau, driving pressure and Vt/kg against the limits; without a plateau the measured peak bounds it', () => {
    const rec = { phase: 'final' as const, label: 'f', settings: { ...BASELINE, peepCmH2O: 20 }, startedAt: 0, endedAt: 1, spo2Pct: 95, mapMmHg: 80, hrBpm: 80, complianceMlPerCmH2O: 30, peakCmH2O: 38, plateauCmH2O: 34, tidalVolumeMl: 420 };
    expect(measuredLimits(rec, 70, LIMITS)).toMatchObject({ within: false, plateauCmH2O: 34, drivingPressureCmH2O: 14, tidalVolumeMlPerKg: 6, exceeded: ['plateau 34 > 30 cmH2O'] });
    expect(measuredLimits({ ...rec, plateauCmH2O: null }, 70, LIMITS)).toMatchObject({ plateauCmH2O: 38, within: false });
    expect(measuredLimits({ ...rec, plateauCmH2O: 28, tidalVolumeMl: 600 }, 70, LIMITS).exceeded).toEqual(['Vt 8.6 > 8 mL/kg PBW']);
  });
});

describe('PEEP methods side by side', () => {
  const opts = { spo2DropPts: 2, complianceDropPct: 5, finalMarginCmH2O: 2.5, complianceMarginCmH2O: 2, floorPeepCmH2O: 15, pbwKg: 70, spo2Blind: false, fallbackPeepCmH2O: null };
  const trial = [
    { peepCmH2O: 25, spo2Pct: 92, complianceMlPerCmH2O: 36 },
    { peepCmH2O: 22.5, spo2Pct: 92, complianceMlPerCmH2O: 40 },
    { peepCmH2O: 20, spo2Pct: 91, complianceMlPerCmH2O: 38 },
    { peepCmH2O: 17.5, spo2Pct: 89, complianceMlPerCmH2O: 33 },
  ];
  it('SpO2 derecruitment + 2.5, best compliance + 2, lowest driving pressure, each with its values', () => {
    const [spo2, compliance, dp] = titrationMethods(trial, opts);
    expect(spo2).toMatchObject({ method: 'spo2', peepCmH2O: 20, derecruitmentPeepCmH2O: 17.5, sawDerecruitment: true });
    expect(compliance).toMatchObject({ method: 'compliance', peepCmH2O: 24.5, basisPeepCmH2O: 22.5, sawDerecruitment: true, derecruitmentPeepCmH2O: 20 });
    expect(dp).toMatchObject({ method: 'driving-pressure', peepCmH2O: 22.5, sawDerecruitment: true });
    expect(dp!.detail).toContain('10.5 cmH2O at Vt 420 mL');
    // 20 vs 24.5 differ by more than one 2.5 step.
    expect(methodsDisagree([spo2!, compliance!, dp!], 2.5)).toBe(true);
    expect(methodsDisagree([spo2!, { ...compliance!, peepCmH2O: 22 }], 2.5)).toBe(false);
  });
  it('a blind SpO2 (above the target at the lowest FiO2) says it cannot see derecruitment', () => {
    const flat = trial.map((s) => ({ ...s, spo2Pct: 99 }));
    const [spo2] = titrationMethods(flat, { ...opts, spo2Blind: true });
    expect(spo2).toMatchObject({ sawDerecruitment: false, peepCmH2O: 17.5 });
    expect(spo2!.detail).toContain('cannot see derecruitment');
  });
});

/** A staircase whose patient derecruits (SpO2 falls) at PEEP <= `at`, with compliance `c(peep)`. */
async function staircase(opts: { protocol?: object; spo2?: (peep: number, phase: string | undefined, fio2: number) => number; compliance?: (peep: number) => number; plateauOffset?: number } = {}) {
  const d = new Driver('staircase', { protocol: opts.protocol ?? {} });
  d.vitals.complianceMlPerCmH2O = 40;
  d.start();
  await d.run(60 * 60_000, {
    until: (x) => {
      const cur = x.context.current;
      const peep = cur?.settings.peepCmH2O ?? 10;
      x.vitals.spo2Pct = opts.spo2 ? opts.spo2(peep, cur?.phase, cur?.settings.fio2 ?? 0.6) : 95;
      x.vitals.complianceMlPerCmH2O = opts.compliance ? opts.compliance(peep) : 40;
      if (opts.plateauOffset !== undefined) x.vitals.plateauCmH2O = peep + opts.plateauOffset;
      return x.snapshot.status === 'done' || x.state === 'completed' || x.state.startsWith('aborting');
    },
  });
  await d.run(30_000, { until: (x) => x.snapshot.status === 'done' || x.state === 'completed' });
  return d;
}

describe('staircase decision', () => {
  it('FiO2 is lowered until SpO2 is in 90-92% before the decremental phase, then restored in the final settings', async () => {
    // SpO2 = 94 at FiO2 0.6, 2 points lower per 0.1 FiO2; derecruitment at 17.5 costs 3 points.
    const d = await staircase({ spo2: (peep, phase, fio2) => Math.round(94 - (0.6 - fio2) * 20) - (phase === 'decremental' && peep <= 17.5 ? 3 : 0) });
    const fio2Steps = d.context.steps.filter((s) => s.phase === 'fio2').map((s) => [s.settings.fio2, s.spo2Pct]);
    expect(fio2Steps).toEqual([[0.5, 92]]);
    expect(d.context.titration.fio2TitratedTo).toBe(0.5);
    expect(d.context.steps.filter((s) => s.phase === 'decremental').every((s) => s.settings.fio2 === 0.5)).toBe(true);
    expect(d.state).toBe('completed');
    expect(d.context.titration).toMatchObject({ decidedBy: 'spo2', derecruitmentSeen: true, derecruitmentPeepCmH2O: 17.5, finalPeepCmH2O: 20 });
    expect(d.lastCommand?.settings.fio2).toBe(BASELINE.fio2);
    // The re-recruitment (derecruitment was seen) already has the baseline FiO2 back.
    expect(d.context.steps.find((s) => s.phase === 're-recruit')?.settings.fio2).toBe(BASELINE.fio2);
  });

  it('SpO2 above the target at the lowest FiO2: the SpO2 method is blind and the compliance method decides, saying so', async () => {
    const d = await staircase({ spo2: () => 99, compliance: (peep) => (peep === 20 ? 44 : peep > 20 ? 42 : 36) });
    expect(d.context.steps.filter((s) => s.phase === 'fio2').map((s) => s.settings.fio2)).toEqual([0.5, 0.4, 0.3, 0.21]);
    expect(d.context.titration.spo2Blind).toBe(true);
    expect(d.context.titration.decidedBy).toBe('compliance');
    expect(d.context.titration.decisionNote).toContain('SpO2 method could not decide');
    expect(d.context.titration.finalPeepCmH2O).toBe(22);
    // SpO2 saw nothing down to PEEP 10 (the trial goes on below the floor): 10 + 2.5.
    expect(d.context.titration.methods?.map((m) => [m.method, m.peepCmH2O])).toEqual([
      ['spo2', 12.5],
      ['compliance', 22],
      ['driving-pressure', 20],
    ]);
  });

  it('re-recruits only when derecruitment was seen (configurable: always)', async () => {
    const none = await staircase({ protocol: { fio2Titration: { enabled: false } } });
    expect(none.context.steps.map((s) => s.phase)).not.toContain('re-recruit');
    expect(none.state).toBe('completed');
    const always = await staircase({ protocol: { fio2Titration: { enabled: false }, reRecruit: { when: 'always' } } });
    expect(always.context.steps.map((s) => s.phase)).toContain('re-recruit');
    const seen = await staircase({ protocol: { fio2Titration: { enabled: false } }, spo2: (peep, phase) => (phase === 'decremental' && peep <= 20 ? 92 : 95) });
    expect(seen.context.steps.map((s) => s.phase).slice(-2)).toEqual(['re-recruit', 'final']);
  });

  it('a desaturation in the decremental phase (hemodynamics normal) re-recruits and sets the last PEEP that held', async () => {
    const d = await staircase({ protocol: { fio2Titration: { enabled: false } }, spo2: (peep, phase) => (phase === 'decremental' && peep <= 20 ? 83 : 95) });
    expect(d.state).toBe('completed');
    expect(d.context.titration.fallback).toMatchObject({ atPeepCmH2O: 20 });
    expect(d.context.titration.finalPeepCmH2O).toBe(22.5);
    const phases = d.context.steps.map((s) => [s.phase, s.settings.peepCmH2O, s.aborted ?? false]);
    expect(phases.slice(-3)).toEqual([['decremental', 20, true], ['re-recruit', 40, false], ['final', 22.5, false]]);
  });

  it('a desaturation with hypotension, or a second desaturation, still restores the baseline at once', async () => {
    const d = new Driver('staircase', { protocol: { fio2Titration: { enabled: false } } });
    d.start();
    await d.runUntilState('active.decremental.dwelling');
    d.vitals = { ...d.vitals, spo2Pct: 83, mapMmHg: 50 };
    await d.run(20_000, { until: (x) => x.state.startsWith('aborting') || x.snapshot.status === 'done' });
    expect(d.context.titration.fallback).toBeNull();
    expect(d.context.abort?.reason).toBe('hypotension');
    // Critical desaturation (below 80) is not derecruitment to re-recruit into: baseline at once.
    const c = new Driver('staircase', { protocol: { fio2Titration: { enabled: false } } });
    c.start();
    await c.runUntilState('active.decremental.dwelling');
    c.vitals.spo2Pct = 75;
    await c.run(5_000, { until: (x) => x.state.startsWith('aborting') });
    expect(c.context.abort).toMatchObject({ reason: 'desaturation', guard: 'spo2Critical' });
    // Desaturation again during the re-recruitment after a fallback: abort.
    const t = await staircase({ protocol: { fio2Titration: { enabled: false } }, spo2: (peep, phase) => (phase === 'decremental' && peep <= 20) || phase === 're-recruit' ? 83 : 95 });
    expect(t.context.titration.fallback).not.toBeNull();
    expect(t.context.abort?.reason).toBe('desaturation');
    expect(t.context.abort?.fromState).toMatch(/^re-recruit/);
  });

  it('a final PEEP beyond the plateau limit is lowered to the nearest PEEP within it; none within: ends at baseline saying why', async () => {
    // Compliance 22 mL/cmH2O: a 4 mL/kg breath (280 mL) needs 12.7 cmH2O; planned within 29.5 it fits only from PEEP 15 down.
    const d = await staircase({
      protocol: { fio2Titration: { enabled: false } },
      spo2: (peep, phase) => (phase === 'decremental' && peep <= 17.5 ? 92 : 95),
      compliance: () => 22,
      plateauOffset: 280 / 22,
    });
    expect(d.context.titration.titratedPeepCmH2O).toBe(20);
    expect(d.context.titration.finalPeepCmH2O).toBe(15);
    expect(d.context.titration.limitsNote).toContain('nearest PEEP within them: 15');
    expect(d.state).toBe('completed');
    const stiff = await staircase({ protocol: { fio2Titration: { enabled: false } }, compliance: () => 12 });
    expect(stiff.state).toBe('aborted');
    expect(stiff.context.abort).toMatchObject({ reason: 'overdistention', guard: 'noProtectiveFinalSetting' });
    expect(stiff.context.abort?.message).toContain('meets the lung-protective limits');
  });

  it('the final step measured beyond the limits ends at the baseline; within them it reports plateau, driving pressure and Vt/kg', async () => {
    // PHARLAP's trial (no extension below the floor): no derecruitment seen, floor 15 + 2.5.
    const ok = await staircase({ protocol: { fio2Titration: { enabled: false }, decremental: { extendToPeepCmH2O: 15 } } });
    expect(ok.context.titration.limitsMeasured).toMatchObject({ source: 'measured', plateauCmH2O: 25.5, drivingPressureCmH2O: 8, tidalVolumeMlPerKg: 6, within: true });
    const high = await staircase({ protocol: { fio2Titration: { enabled: false }, decremental: { extendToPeepCmH2O: 15 } }, plateauOffset: 14 });
    expect(high.state).toBe('aborted');
    expect(high.context.abort).toMatchObject({ reason: 'overdistention', guard: 'finalBeyondLungProtectiveLimits' });
    expect(high.context.titration.limitsMeasured?.exceeded).toEqual(['plateau 31.5 > 30 cmH2O']);
  });

  it('decremental PCV steps lower the driving pressure when Vt would exceed 8 mL/kg PBW', async () => {
    // Compliance 60: 15 cmH2O would give 900 mL (12.9 mL/kg); 560 / 60 = 9.3 -> 9.
    const d = await staircase({ protocol: { fio2Titration: { enabled: false } }, compliance: () => 60 });
    const dec = d.context.steps.filter((s) => s.phase === 'decremental');
    expect(dec.map((s) => s.settings.peakCmH2O - s.settings.peepCmH2O)).toEqual([9, 9, 9, 9, 9, 9, 9]);
    expect(dec[0]!.label).toContain('Vt <= 8 mL/kg PBW');
  });

  it('preconditions a clinician checks: MAP >= 65 at the start, heart rate and systolic pressure present', () => {
    const low = new Driver('staircase');
    low.vitals.mapMmHg = 62; // above the running floor (60), below the start limit (ART 2017: 65)
    low.start();
    expect(low.state).toBe('notStarted');
    expect(low.context.run.preconditionIssues.map((i) => i.message).join('; ')).toContain('baseline MAP 62 mmHg below 65');
    const noHr = new Driver('staircase');
    noHr.vitals = { spo2Pct: 94, mapMmHg: 78 };
    noHr.start();
    expect(noHr.state).toBe('notStarted');
    expect(noHr.context.run.preconditionIssues[0]?.message).toContain('no heart rate and systolic pressure received yet');
    const ok = new Driver('staircase');
    ok.vitals.mapMmHg = 65;
    ok.start();
    expect(ok.state).toMatch(/^active/);
  });

  it('without height and sex the start warns that Vt/kg is not limited', () => {
    const d = new Driver('staircase', { patient: null });
    d.start();
    expect(d.context.run.preconditionIssues).toContainEqual(expect.objectContaining({ code: 'patient-size-missing', severity: 'warn' }));
  });
});

describe('post-RM PEEP of single-step maneuvers', () => {
  it('sustained inflation ends at baseline PEEP + X when configured, within the limits', async () => {
    const d = new Driver('sustained-inflation', { protocol: { postRmPeep: { mode: 'baseline-plus', plusCmH2O: 5 } } });
    d.vitals.complianceMlPerCmH2O = 50;
    d.start();
    await d.run(10 * 60_000, { until: (x) => x.state === 'completed' || x.snapshot.status === 'done' });
    expect(d.state).toBe('completed');
    expect(d.lastCommand?.settings).toMatchObject({ peepCmH2O: 15, mode: 'VC', tidalVolumeMl: 420 });
    expect(d.context.titration.limitsMeasured?.within).toBe(true);
  });
  it('the default returns to the baseline (unchanged behaviour)', async () => {
    const d = new Driver('high-pressure-pcv');
    d.start();
    await d.run(10 * 60_000, { until: (x) => x.state === 'completed' });
    expect(d.lastCommand?.settings).toEqual(BASELINE);
    expect(DEFAULT_SAFETY.spo2FloorPct).toBe(85);
  });
});
