/** The titration on the console: telemetry -> page model -> what the titration panel and the plan show. */
import { describe, expect, it } from 'vitest';
import { defaultProtocol, plannedDurationMs, ProtocolSchema, type ManeuverContext } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { applyEvent, newSessionModel } from '../../src/console/model.js';
import { displayPlan } from '../../src/console/plans.js';
import { planIndexOf, Translator } from '../../src/console/translate.js';
import { nowView } from '../../src/console/web/status.js';
import { titrationView } from '../../src/console/web/titration.js';
import type { ConsoleEvent, SessionModel } from '../../src/console/wire.js';
import type { TitrationSummary } from '../../src/runner/telemetry.js';

const limits = { plateauMaxCmH2O: 30, drivingPressureMaxCmH2O: 15, tidalVolumeMaxMlPerKg: 8 };

function decided(over: Partial<TitrationSummary> = {}): TitrationSummary {
  return {
    fio2TitratedTo: 0.4,
    spo2Blind: false,
    methods: [
      { method: 'spo2', peepCmH2O: 14.5, basisPeepCmH2O: 12, sawDerecruitment: true, derecruitmentPeepCmH2O: 12, detail: 'SpO2 fell 3 points at PEEP 12' },
      { method: 'compliance', peepCmH2O: 16, basisPeepCmH2O: 14, sawDerecruitment: true, derecruitmentPeepCmH2O: 12, detail: 'best compliance 41 mL/cmH2O at PEEP 14' },
      { method: 'driving-pressure', peepCmH2O: 14, basisPeepCmH2O: 14, sawDerecruitment: false, derecruitmentPeepCmH2O: null, detail: 'lowest driving pressure 11 cmH2O at PEEP 14' },
    ],
    decidedBy: 'spo2',
    decisionNote: 'SpO2 saw derecruitment',
    derecruitmentSeen: true,
    methodsDisagree: false,
    fallback: null,
    titratedPeepCmH2O: 14.5,
    limitsNote: null,
    limitsPredicted: null,
    limitsMeasured: null,
    ...over,
  };
}

function info(patient: SessionModel['info']['patient'] = { heightCm: 175, sex: 'male', pbwKg: 70.6 }): SessionModel['info'] {
  const protocol = defaultProtocol('staircase');
  return {
    id: 1, t0: 0, maneuver: 'staircase', protocol, plan: displayPlan(protocol, DEFAULT_SIM_BASELINE), plannedMs: 0, baseline: DEFAULT_SIM_BASELINE,
    device: { vendor: 'sim', model: 'sim', protocol: 'sim' }, guided: false, thresholds: {} as SessionModel['info']['thresholds'], patient,
  };
}

function translated(events: Parameters<Translator['on']>[0][]): { model: SessionModel; out: ConsoleEvent[] } {
  const model = newSessionModel(info());
  const out: ConsoleEvent[] = [];
  const tr = new Translator(model.info, () => ({}) as ManeuverContext, { row: () => {}, event: (e) => out.push(e) });
  for (const e of events) tr.on(e);
  for (const e of out) applyEvent(model, e);
  return { model, out };
}

describe('titration telemetry on the console', () => {
  it('the decision reaches the page model, with a log line naming each method and the one that decided', () => {
    const { model, out } = translated([{ kind: 'titration', t: 5000, stage: 'decided', titration: decided() }]);
    expect(model.titration).toEqual({ stage: 'decided', t: 5000, summary: decided() });
    const log = out.find((e) => e.kind === 'log');
    expect(log?.kind === 'log' && log.entry.text).toBe('Titration decided: spo2 14.5 (decides), compliance 16, driving-pressure 14; SpO2 saw derecruitment');
  });

  it('the measured limits replace the decision; beyond a limit the log line is a warning naming it', () => {
    const measured = decided({ limitsMeasured: { source: 'measured', plateauCmH2O: 32, drivingPressureCmH2O: 17.5, tidalVolumeMlPerKg: 7.1, limits, within: false, exceeded: ['plateau 32 > 30 cmH2O', 'driving pressure 17.5 > 15 cmH2O'] } });
    const { model, out } = translated([
      { kind: 'titration', t: 5000, stage: 'decided', titration: decided() },
      { kind: 'titration', t: 9000, stage: 'measured', titration: measured },
    ]);
    expect(model.titration?.stage).toBe('measured');
    expect(model.titration?.summary.limitsMeasured?.plateauCmH2O).toBe(32);
    const logs = out.flatMap((e) => (e.kind === 'log' ? [e.entry] : []));
    expect(logs[1]).toEqual({ t: 9000, level: 'warn', text: 'Final step measured: plateau 32 (limit 30), driving pressure 17.5 (limit 15) cmH2O, Vt 7.1 mL/kg PBW (limit 8): BEYOND: plateau 32 > 30 cmH2O, driving pressure 17.5 > 15 cmH2O' });
  });

  it('a new run (repeat) starts without the last run\'s titration', () => {
    const { model } = translated([{ kind: 'titration', t: 5000, stage: 'decided', titration: decided() }]);
    applyEvent(model, { kind: 'started', t: 6000, baselineVitals: null });
    expect(model.titration).toBeNull();
    expect(titrationView(model)).toBeNull();
  });
});

describe('titration panel', () => {
  it('shows nothing before the titration decided', () => {
    expect(titrationView(newSessionModel(info()))).toBeNull();
  });

  it('lists each method with its PEEP and what it rests on, marks the one that decided and why', () => {
    const m = newSessionModel(info());
    applyEvent(m, { kind: 'titration', t: 1, stage: 'decided', titration: decided() });
    const v = titrationView(m);
    expect(v?.methods.map((r) => [r.title, r.peep, r.decided])).toEqual([
      ['SpO2 (derecruitment)', '14.5 cmH2O', true],
      ['Best compliance', '16 cmH2O', false],
      ['Lowest driving pressure', '14 cmH2O', false],
    ]);
    expect(v?.methods[2]?.basis).toBe('lowest driving pressure 11 cmH2O at PEEP 14 (no derecruitment seen)');
    expect(v?.decision).toBe('SpO2 (derecruitment) decided: SpO2 saw derecruitment');
    expect(v?.title).toBe('PEEP titration');
    expect(v?.disagree).toBeNull();
    expect(v?.limits).toBeNull();
    expect(v?.fio2).toBe('FiO2 0.6 → 0.4 before the decremental phase (SpO2 target 90-92%); FiO2 0.6 again in the final settings.');
  });

  it('flags methods that disagree by more than one step, and a SpO2 that could not see derecruitment', () => {
    const m = newSessionModel(info());
    applyEvent(m, { kind: 'titration', t: 1, stage: 'decided', titration: decided({ methodsDisagree: true, spo2Blind: true, methods: decided().methods.map((r) => (r.method === 'spo2' ? { ...r, peepCmH2O: null } : r)) }) });
    const v = titrationView(m);
    expect(v?.disagree).toMatch(/disagree by more than one decremental step/);
    expect(v?.fio2).toMatch(/SpO2 cannot show derecruitment/);
    expect(v?.methods[0]?.peep).toBe('-');
  });

  it('at the final step shows plateau, driving pressure and Vt per kg PBW against their limits, and the PBW', () => {
    const m = newSessionModel(info());
    applyEvent(m, { kind: 'titration', t: 1, stage: 'measured', titration: decided({ limitsMeasured: { source: 'measured', plateauCmH2O: 24.3, drivingPressureCmH2O: 9.8, tidalVolumeMlPerKg: 8.4, limits, within: false, exceeded: ['Vt 8.4 > 8 mL/kg PBW'] } }) });
    const v = titrationView(m);
    expect(v?.limits?.rows).toEqual([
      { name: 'Plateau', value: '24.3 cmH2O', limit: '≤ 30 cmH2O', within: true },
      { name: 'Driving pressure', value: '9.8 cmH2O', limit: '≤ 15 cmH2O', within: true },
      { name: 'Vt per kg PBW', value: '8.4 mL/kg', limit: '≤ 8 mL/kg', within: false },
    ]);
    expect(v?.limits?.text).toBe('Final settings BEYOND the lung-protective limits: Vt 8.4 > 8 mL/kg PBW');
    expect(v?.patient).toBe('Patient: male, 175 cm, PBW 70.6 kg');
  });

  it('says when Vt per kg cannot be checked (no patient size) and when a value was not measured', () => {
    const m = newSessionModel(info(null));
    applyEvent(m, { kind: 'titration', t: 1, stage: 'measured', titration: decided({ limitsMeasured: { source: 'measured', plateauCmH2O: null, drivingPressureCmH2O: 10, tidalVolumeMlPerKg: null, limits, within: true, exceeded: [] } }) });
    const v = titrationView(m);
    expect(v?.patient).toMatch(/not given/);
    expect(v?.limits?.rows.map((r) => [r.value, r.within])).toEqual([['not measured', null], ['10 cmH2O', true], ['not measured', null]]);
    expect(v?.limits?.text).toBe('Final settings within the lung-protective limits');
  });

  it('a maneuver that titrates nothing shows only its final limits, under its own title', () => {
    const m = newSessionModel(info());
    applyEvent(m, { kind: 'titration', t: 1, stage: 'measured', titration: decided({ methods: [], decidedBy: null, decisionNote: null, fio2TitratedTo: null, limitsMeasured: { source: 'measured', plateauCmH2O: 20, drivingPressureCmH2O: 10, tidalVolumeMlPerKg: 6, limits, within: true, exceeded: [] } }) });
    const v = titrationView(m);
    expect(v?.title).toBe('Lung-protective limits');
    expect(v?.methods).toEqual([]);
    expect(v?.decision).toBeNull();
    expect(v?.fio2).toBeNull();
    expect(v?.limits?.within).toBe(true);
  });

  it('after the session ended, falls back on the summary\'s titration (a page opened late)', () => {
    const m = newSessionModel(info());
    m.summary = { titration: decided(), patient: null } as unknown as SessionModel['summary'];
    expect(titrationView(m)?.methods).toHaveLength(3);
  });
});

describe('FiO2 titration step in the plan and as the running step', () => {
  const protocol = defaultProtocol('staircase');
  const plan = displayPlan(protocol, DEFAULT_SIM_BASELINE);
  const fio2Rows = plan.flatMap((p, i) => (p.phase === 'fio2' ? [i] : []));

  it('lists the FiO2 steps between the incremental and the decremental phase, each with its SpO2 target, if needed', () => {
    expect(fio2Rows.length).toBeGreaterThan(0);
    expect(plan[fio2Rows[0]! - 1]?.phase).toBe('incremental');
    expect(plan[fio2Rows[fio2Rows.length - 1]! + 1]?.phase).toBe('decremental');
    for (const i of fio2Rows) {
      expect(plan[i]?.label).toMatch(/for SpO2 90-92%/);
      expect(plan[i]?.conditional).toBe(true);
    }
    expect(planIndexOf(plan, 'fio2', 0)).toBe(fio2Rows[0]);
    expect(planIndexOf(plan, 'decremental', 0)).toBe(fio2Rows[fio2Rows.length - 1]! + 1);
  });

  it('no FiO2 rows when the FiO2 titration is off', () => {
    const off = ProtocolSchema.parse({ maneuver: 'staircase', fio2Titration: { enabled: false } });
    expect(displayPlan(off, DEFAULT_SIM_BASELINE).some((p) => p.phase === 'fio2')).toBe(false);
    expect(plannedDurationMs(protocol, DEFAULT_SIM_BASELINE, { fio2Steps: true })).toBeGreaterThan(plannedDurationMs(off, DEFAULT_SIM_BASELINE, { fio2Steps: true }));
  });

  it('the running FiO2 step says what it is for and its SpO2 target', () => {
    const m = newSessionModel(info());
    const row = plan[fio2Rows[0]!]!;
    m.step = { state: 'active.fio2.dwelling', outcome: 'running', phase: 'fio2', label: row.label, stepIndex: 0, planIndex: fio2Rows[0]!, dwellEndsAt: 60_000, settings: row.settings };
    const v = nowView(m, false);
    expect(v.headline).toBe(row.label);
    expect(v.detail).toMatch(/FiO2 titration: FiO2 is lowered in steps of 0.1 \(not below 0.21\) until SpO2 is within the target 90-92%/);
    expect(v.countdownTo).toBe(60_000);
  });
});
