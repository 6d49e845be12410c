/**
 * The rescue-therapy advisor: ADVISORY ONLY. From what is known of oxygenation it computes the
 * indices the clinical text uses (P/F, S/F, OI, OSI) and lists the escalation options with
 * their published entry criteria as met, not met or unknown. It has no command output and
 * nothing in it reaches a ventilator. Every criterion and its source: docs/advisor.md.
 */
import { z } from 'zod';
import { bounded } from '../common/validation.js';

/** Above this SpO2 the S/F ratio and OSI are not valid (the dissociation curve is flat; Rice 2007 used SpO2 <= 97 %). */
export const SF_VALID_MAX_SPO2_PCT = 97;

/**
 * What the advisor can be told. FiO2 and SpO2 are required; the rest improves it.
 *
 * @example
 * AdvisorInputSchema.parse({ fio2: 0.8, spo2Pct: 88, pao2MmHg: 62, mawpCmH2O: 24, peepCmH2O: 14 });
 */
export const AdvisorInputSchema = z
  .object({
    fio2: bounded(0.21, 1),
    spo2Pct: bounded(50, 100, '%'),
    pao2MmHg: bounded(20, 700, 'mmHg').optional(),
    /** Mean airway pressure (as the ventilator displays it). */
    mawpCmH2O: bounded(1, 60, 'cmH2O').optional(),
    peepCmH2O: bounded(0, 50, 'cmH2O').optional(),
    mapMmHg: bounded(20, 200, 'mmHg').optional(),
    /** Whether vasopressors are running (shock). */
    vasopressors: z.boolean().optional(),
    /** What was already tried or is unsuitable, for ECMO's "after those failed or were unsuitable". */
    tried: z.array(z.enum(['recruitment', 'prone', 'neuromuscular-blockade', 'pulmonary-vasodilators'])).optional(),
  })
  .strict();
export type AdvisorInput = z.output<typeof AdvisorInputSchema>;

export interface OxygenationIndices {
  /** PaO2/FiO2 (mmHg); null without a PaO2. */
  pfRatio: number | null;
  /** SpO2/FiO2; null when SpO2 > 97 % (not valid there). */
  sfRatio: number | null;
  /** P/F estimated from S/F (Rice 2007: S/F = 64 + 0.84 P/F); only without a PaO2. */
  pfEstimatedFromSf: number | null;
  /** Oxygenation index FiO2 x MAWP x 100 / PaO2; null without MAWP or PaO2. */
  oi: number | null;
  /** Oxygen saturation index FiO2 x MAWP x 100 / SpO2; null without MAWP or when SpO2 > 97 %. */
  osi: number | null;
  notes: string[];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * @example
 * oxygenationIndices({ fio2: 0.8, spo2Pct: 88, pao2MmHg: 62, mawpCmH2O: 24 }); // pfRatio 77.5, oi 31
 */
export function oxygenationIndices(input: AdvisorInput): OxygenationIndices {
  const i = AdvisorInputSchema.parse(input);
  const notes: string[] = [];
  const sfValid = i.spo2Pct <= SF_VALID_MAX_SPO2_PCT;
  if (!sfValid) notes.push(`SpO2 ${i.spo2Pct}% > ${SF_VALID_MAX_SPO2_PCT}%: S/F and OSI are not valid on the flat top of the dissociation curve (Rice 2007)`);
  const sf = sfValid ? i.spo2Pct / i.fio2 : null;
  const pf = i.pao2MmHg !== undefined ? i.pao2MmHg / i.fio2 : null;
  if (i.mawpCmH2O === undefined) notes.push('no mean airway pressure: OI and OSI need it');
  if (i.pao2MmHg === undefined) notes.push('no PaO2: P/F and OI need an arterial blood gas; S/F stands in where it is valid');
  return {
    pfRatio: pf === null ? null : r1(pf),
    sfRatio: sf === null ? null : r1(sf),
    pfEstimatedFromSf: pf === null && sf !== null ? r1((sf - 64) / 0.84) : null,
    oi: i.mawpCmH2O !== undefined && i.pao2MmHg !== undefined ? r1((i.fio2 * i.mawpCmH2O * 100) / i.pao2MmHg) : null,
    osi: i.mawpCmH2O !== undefined && sfValid ? r1((i.fio2 * i.mawpCmH2O * 100) / i.spo2Pct) : null,
    notes,
  };
}

export type CriteriaStatus = 'met' | 'not-met' | 'unknown';
export type EscalationOption = 'prone-positioning' | 'neuromuscular-blockade' | 'pulmonary-vasodilators' | 'corticosteroids' | 'conservative-fluids' | 'ecmo';

export interface EscalationAssessment {
  option: EscalationOption;
  label: string;
  status: CriteriaStatus;
  /** The published criterion, in words. */
  criteria: string;
  /** Why this status, with the numbers. */
  reason: string;
  /** Key into docs/advisor.md's source list. */
  source: string;
}

/** Three-valued AND: not met wins, then unknown. */
function all(...xs: CriteriaStatus[]): CriteriaStatus {
  return xs.includes('not-met') ? 'not-met' : xs.includes('unknown') ? 'unknown' : 'met';
}
/** Three-valued OR: met wins, then unknown. */
function any(...xs: CriteriaStatus[]): CriteriaStatus {
  return xs.includes('met') ? 'met' : xs.includes('unknown') ? 'unknown' : 'not-met';
}
const test = (v: number | null | undefined, ok: (v: number) => boolean): CriteriaStatus => (v === null || v === undefined ? 'unknown' : ok(v) ? 'met' : 'not-met');

export interface Advice {
  advisoryOnly: true;
  notice: string;
  indices: OxygenationIndices;
  options: EscalationAssessment[];
}

/** The advice for a finished run: why it was consulted and where each input came from. */
export interface RunAdvice extends Advice {
  /** Why the advisor was consulted. */
  trigger: string;
  /** Where each input came from. */
  inputsFrom: Record<string, string>;
  input: AdvisorInput;
}

export const ADVISORY_NOTICE = 'Advisory only: rm-sequencer never acts on the ventilator for these options; the clinical team decides.';

/**
 * The escalation options of the clinical text, each against its published entry criteria.
 *
 * @example
 * const advice = rescueAdvice({ fio2: 1, spo2Pct: 82, pao2MmHg: 45, mawpCmH2O: 28, peepCmH2O: 16, tried: ['recruitment', 'prone', 'neuromuscular-blockade', 'pulmonary-vasodilators'] });
 * advice.options.find((o) => o.option === 'ecmo')?.status; // 'met'
 */
export function rescueAdvice(input: AdvisorInput): Advice {
  const i = AdvisorInputSchema.parse(input);
  const ix = oxygenationIndices(i);
  const pf = ix.pfRatio;
  const pfText = pf !== null ? `P/F ${pf}` : ix.pfEstimatedFromSf !== null ? `no PaO2 (S/F ${ix.sfRatio} suggests P/F about ${ix.pfEstimatedFromSf}, Rice 2007: not a criterion)` : 'no PaO2';
  const peepText = i.peepCmH2O === undefined ? 'PEEP not known' : `PEEP ${i.peepCmH2O}`;
  const fio2Text = `FiO2 ${i.fio2}`;
  const pf150 = test(pf, (v) => v < 150);
  const tried = new Set(i.tried ?? []);
  const others = ['recruitment', 'prone', 'neuromuscular-blockade', 'pulmonary-vasodilators'] as const;
  const missing = others.filter((t) => !tried.has(t));

  const prone = all(pf150, test(i.fio2, (v) => v >= 0.6), test(i.peepCmH2O, (v) => v >= 5));
  const nmb = all(pf150, test(i.peepCmH2O, (v) => v >= 5));
  const refractory = any(test(pf, (v) => v < 100), test(ix.oi, (v) => v > 30));
  const steroids = all(test(pf, (v) => v <= 200), test(i.peepCmH2O, (v) => v >= 10), test(i.fio2, (v) => v >= 0.5));
  const noShock = all(test(i.mapMmHg, (v) => v >= 60), i.vasopressors === undefined ? 'unknown' : i.vasopressors ? 'not-met' : 'met');
  const ecmoOxygenation = any(all(test(pf, (v) => v < 50), test(i.fio2, (v) => v >= 0.99)), test(ix.oi, (v) => v > 40));
  const ecmoAfter: CriteriaStatus = i.tried === undefined ? 'unknown' : missing.length === 0 ? 'met' : 'not-met';
  const ecmo = all(ecmoOxygenation, ecmoAfter);
  const oiText = ix.oi === null ? 'OI not known (needs PaO2 and MAWP)' : `OI ${ix.oi}`;

  const options: EscalationAssessment[] = [
    { option: 'prone-positioning', label: 'Prone positioning (>= 16 h sessions)', status: prone, criteria: 'P/F < 150 mmHg with FiO2 >= 0.6 and PEEP >= 5 cmH2O (after 12-24 h of stabilisation)', reason: `${pfText}, ${fio2Text}, ${peepText}`, source: 'PROSEVA' },
    { option: 'neuromuscular-blockade', label: 'Neuromuscular blockade (48 h)', status: nmb, criteria: 'P/F < 150 mmHg with PEEP >= 5 cmH2O within 48 h (ACURASYS); ROSE (PEEP >= 8, lighter sedation in controls) found no mortality benefit', reason: `${pfText}, ${peepText}`, source: 'ACURASYS/ROSE' },
    { option: 'pulmonary-vasodilators', label: 'Inhaled pulmonary vasodilators (NO, prostacyclin)', status: refractory, criteria: 'rescue for refractory hypoxaemia (P/F < 100 mmHg or OI > 30); oxygenation improves, no mortality benefit', reason: `${pfText}, ${oiText}`, source: 'Gebistorf 2016/Esan 2010' },
    { option: 'corticosteroids', label: 'Corticosteroids (dexamethasone)', status: steroids, criteria: 'P/F <= 200 mmHg on PEEP >= 10 cmH2O and FiO2 >= 0.5 (DEXA-ARDS)', reason: `${pfText}, ${peepText}, ${fio2Text}`, source: 'DEXA-ARDS' },
    { option: 'conservative-fluids', label: 'Conservative fluid strategy', status: noShock, criteria: 'no shock: MAP >= 60 mmHg without vasopressors (FACTT)', reason: `${i.mapMmHg === undefined ? 'MAP not known' : `MAP ${i.mapMmHg} mmHg`}, ${i.vasopressors === undefined ? 'vasopressors not known' : i.vasopressors ? 'on vasopressors' : 'no vasopressors'}`, source: 'FACTT' },
    {
      option: 'ecmo',
      label: 'ECMO (referral to an ECMO centre)',
      status: ecmo,
      criteria: 'P/F < 50 mmHg on FiO2 1.0 or OI > 40, after prone positioning, high PEEP/recruitment, pulmonary vasodilators and neuromuscular blockade failed or were unsuitable (clinical text); EOLIA entry: P/F < 50 for > 3 h, or < 80 for > 6 h, or pH < 7.25 with PaCO2 >= 60 for > 6 h',
      reason: `${pfText}, ${fio2Text}, ${oiText}; ${i.tried === undefined ? 'what was tried is not known' : missing.length ? `not yet tried or ruled out: ${missing.join(', ')}` : 'the others were tried or unsuitable'}; durations (EOLIA) are not known here`,
      source: 'clinical.md/EOLIA',
    },
  ];
  return { advisoryOnly: true, notice: ADVISORY_NOTICE, indices: ix, options };
}
