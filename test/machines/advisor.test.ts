/** Issue 19 item 3: the rescue-therapy advisor (indices and escalation criteria), advisory only. */
import { describe, expect, it } from 'vitest';
import { AdvisorInputSchema, oxygenationIndices, rescueAdvice, type AdvisorInput, type EscalationOption } from '../../machines/index.js';

const status = (i: AdvisorInput, option: EscalationOption) => rescueAdvice(i).options.find((o) => o.option === option)!.status;
const ALL_TRIED: AdvisorInput['tried'] = ['recruitment', 'prone', 'neuromuscular-blockade', 'pulmonary-vasodilators'];

describe('oxygenation indices', () => {
  it('P/F, S/F, OI = FiO2 x MAWP x 100 / PaO2 and OSI = FiO2 x MAWP x 100 / SpO2', () => {
    expect(oxygenationIndices({ fio2: 0.8, spo2Pct: 88, pao2MmHg: 62, mawpCmH2O: 24 })).toMatchObject({ pfRatio: 77.5, sfRatio: 110, oi: 31, osi: 21.8, pfEstimatedFromSf: null });
  });
  it('without PaO2: no P/F or OI, S/F with the Rice 2007 estimate of P/F; without MAWP: no OI or OSI', () => {
    const ix = oxygenationIndices({ fio2: 0.8, spo2Pct: 88 });
    expect(ix).toMatchObject({ pfRatio: null, oi: null, osi: null, sfRatio: 110, pfEstimatedFromSf: 54.8 });
    expect(ix.notes.join(' ')).toMatch(/no PaO2.*|no mean airway pressure/);
  });
  it('SpO2 above 97%: S/F and OSI are not valid', () => {
    const ix = oxygenationIndices({ fio2: 0.4, spo2Pct: 98, mawpCmH2O: 20 });
    expect(ix).toMatchObject({ sfRatio: null, osi: null });
    expect(ix.notes[0]).toMatch(/SpO2 98% > 97%/);
    expect(oxygenationIndices({ fio2: 0.4, spo2Pct: 97, mawpCmH2O: 20 }).sfRatio).toBe(242.5);
  });
});

describe('escalation options and their criteria', () => {
  it('prone positioning (PROSEVA): P/F < 150 with FiO2 >= 0.6 and PEEP >= 5', () => {
    expect(status({ fio2: 0.6, spo2Pct: 90, pao2MmHg: 84, peepCmH2O: 5 }, 'prone-positioning')).toBe('met'); // P/F 140
    expect(status({ fio2: 0.6, spo2Pct: 90, pao2MmHg: 90, peepCmH2O: 10 }, 'prone-positioning')).toBe('not-met'); // P/F exactly 150
    expect(status({ fio2: 0.55, spo2Pct: 90, pao2MmHg: 70, peepCmH2O: 10 }, 'prone-positioning')).toBe('not-met'); // FiO2 below 0.6
    expect(status({ fio2: 0.6, spo2Pct: 90, pao2MmHg: 84, peepCmH2O: 4 }, 'prone-positioning')).toBe('not-met');
    expect(status({ fio2: 0.6, spo2Pct: 90, pao2MmHg: 84 }, 'prone-positioning')).toBe('unknown'); // PEEP not known
    expect(status({ fio2: 0.6, spo2Pct: 85, peepCmH2O: 10 }, 'prone-positioning')).toBe('unknown'); // no PaO2
  });
  it('neuromuscular blockade (ACURASYS): P/F < 150 with PEEP >= 5', () => {
    expect(status({ fio2: 0.5, spo2Pct: 90, pao2MmHg: 70, peepCmH2O: 8 }, 'neuromuscular-blockade')).toBe('met');
    expect(status({ fio2: 0.5, spo2Pct: 90, pao2MmHg: 80, peepCmH2O: 8 }, 'neuromuscular-blockade')).toBe('not-met');
  });
  it('inhaled pulmonary vasodilators: refractory hypoxaemia, P/F < 100 or OI > 30', () => {
    expect(status({ fio2: 1, spo2Pct: 88, pao2MmHg: 90 }, 'pulmonary-vasodilators')).toBe('met');
    expect(status({ fio2: 0.8, spo2Pct: 88, pao2MmHg: 96, mawpCmH2O: 40 }, 'pulmonary-vasodilators')).toBe('met'); // P/F 120, OI 33.3
    expect(status({ fio2: 0.8, spo2Pct: 88, pao2MmHg: 96, mawpCmH2O: 20 }, 'pulmonary-vasodilators')).toBe('not-met'); // OI 16.7
    expect(status({ fio2: 0.8, spo2Pct: 88 }, 'pulmonary-vasodilators')).toBe('unknown');
  });
  it('corticosteroids (DEXA-ARDS): P/F <= 200 on PEEP >= 10 and FiO2 >= 0.5', () => {
    expect(status({ fio2: 0.5, spo2Pct: 92, pao2MmHg: 100, peepCmH2O: 10 }, 'corticosteroids')).toBe('met'); // P/F exactly 200
    expect(status({ fio2: 0.5, spo2Pct: 92, pao2MmHg: 100, peepCmH2O: 8 }, 'corticosteroids')).toBe('not-met');
  });
  it('conservative fluids (FACTT): no shock, MAP >= 60 without vasopressors', () => {
    expect(status({ fio2: 0.5, spo2Pct: 92, mapMmHg: 70, vasopressors: false }, 'conservative-fluids')).toBe('met');
    expect(status({ fio2: 0.5, spo2Pct: 92, mapMmHg: 70, vasopressors: true }, 'conservative-fluids')).toBe('not-met');
    expect(status({ fio2: 0.5, spo2Pct: 92, mapMmHg: 55 }, 'conservative-fluids')).toBe('not-met');
    expect(status({ fio2: 0.5, spo2Pct: 92, mapMmHg: 70 }, 'conservative-fluids')).toBe('unknown');
  });
  it('ECMO: P/F < 50 on FiO2 1.0 or OI > 40, after the others failed or were unsuitable', () => {
    expect(status({ fio2: 1, spo2Pct: 80, pao2MmHg: 45, tried: ALL_TRIED }, 'ecmo')).toBe('met');
    expect(status({ fio2: 0.9, spo2Pct: 85, pao2MmHg: 64, mawpCmH2O: 30, tried: ALL_TRIED }, 'ecmo')).toBe('met'); // OI 42.2
    expect(status({ fio2: 1, spo2Pct: 80, pao2MmHg: 45, tried: ['recruitment'] }, 'ecmo')).toBe('not-met');
    expect(status({ fio2: 1, spo2Pct: 80, pao2MmHg: 45 }, 'ecmo')).toBe('unknown'); // what was tried not known
    expect(status({ fio2: 0.8, spo2Pct: 80, pao2MmHg: 38, mawpCmH2O: 15, tried: ALL_TRIED }, 'ecmo')).toBe('not-met'); // P/F 47.5 but on FiO2 0.8, OI 31.6
  });
  it('every option names its criteria, its reason with the numbers and a source; the advice says it is advisory only', () => {
    const a = rescueAdvice({ fio2: 0.7, spo2Pct: 86, pao2MmHg: 55, mawpCmH2O: 25, peepCmH2O: 14, mapMmHg: 68 });
    expect(a.advisoryOnly).toBe(true);
    expect(a.notice).toMatch(/never acts on the ventilator/);
    expect(a.options.map((o) => o.option)).toEqual(['prone-positioning', 'neuromuscular-blockade', 'pulmonary-vasodilators', 'corticosteroids', 'conservative-fluids', 'ecmo']);
    for (const o of a.options) {
      expect(o.criteria.length).toBeGreaterThan(10);
      expect(o.source.length).toBeGreaterThan(2);
      expect(o.reason).toMatch(/\d/);
    }
    expect(JSON.parse(JSON.stringify(a))).toEqual(a); // data only: nothing in it can act
  });
});

describe('advisor input validation', () => {
  it.each([
    [{ fio2: 1.5, spo2Pct: 90 }, /fio2.*between 0.21 and 1/],
    [{ fio2: 0.5, spo2Pct: 40 }, /spo2Pct.*between 50 and 100 %/],
    [{ fio2: 0.5, spo2Pct: 90, pao2MmHg: 5 }, /pao2MmHg.*between 20 and 700 mmHg/],
    [{ fio2: 0.5, spo2Pct: 90, mawpCmH2O: 90 }, /mawpCmH2O.*between 1 and 60 cmH2O/],
    [{ fio2: 0.5, spo2Pct: 90, tried: ['yoga'] }, /tried/],
    [{ fio2: 0.5, spo2Pct: 90, extra: 1 }, /extra/],
  ])('%j is refused naming the field and the range', (input, message) => {
    const r = AdvisorInputSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});
