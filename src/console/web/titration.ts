/**
 * What the PEEP titration found, in words and rows: one pure function from the session model
 * to the titration panel (each method's PEEP and what it rests on, which one decided and why,
 * whether they disagree; the FiO2 step; the lung-protective limits measured at the final
 * step, per kg of predicted body weight). No DOM here, so it is unit-tested like `nowView`.
 */
import type { TitrationMethod } from '../../../machines/titration.js';
import type { SessionModel } from '../wire.js';

/** What each method is called on screen. */
export const METHOD_TITLES: Record<TitrationMethod, string> = {
  spo2: 'SpO2 (derecruitment)',
  compliance: 'Best compliance',
  'driving-pressure': 'Lowest driving pressure',
};

export interface MethodRow {
  method: TitrationMethod;
  title: string;
  /** "12.5 cmH2O" or "-" (no data for the method). */
  peep: string;
  /** What the PEEP rests on (the method's own words), and whether it saw derecruitment. */
  basis: string;
  decided: boolean;
}

export interface LimitRow {
  name: 'Plateau' | 'Driving pressure' | 'Vt per kg PBW';
  /** "27 cmH2O" or "not measured". */
  value: string;
  /** "≤ 30 cmH2O". */
  limit: string;
  /** null: not measured (nothing to compare). */
  within: boolean | null;
}

export interface TitrationView {
  /** "PEEP titration", or "Lung-protective limits" for a maneuver that titrates nothing (its final limits only). */
  title: string;
  /** "FiO2 0.6 -> 0.4 before the decremental phase ..." (null: no FiO2 step ran). */
  fio2: string | null;
  methods: MethodRow[];
  /** Why the deciding method decided (null: no note). */
  decision: string | null;
  /** Shown as a warning when the methods disagree by more than one decremental step. */
  disagree: string | null;
  fallback: string | null;
  /** What the lung-protective limits changed before the final step. */
  limitsNote: string | null;
  /** "Patient: male, 175 cm, PBW 70.6 kg" or that no size was given (Vt/kg cannot be checked). */
  patient: string;
  /** The final step's measured limits (null until measured). */
  limits: { rows: LimitRow[]; within: boolean; text: string } | null;
}

const fmt = (v: number | null, unit: string): string => (v === null ? 'not measured' : `${Math.round(v * 10) / 10} ${unit}`);

/** The titration panel's content (null: nothing titrated yet, or the maneuver does not titrate). */
export function titrationView(m: SessionModel | null): TitrationView | null {
  if (!m) return null;
  const t = m.titration?.summary ?? m.summary?.titration ?? null;
  if (!t) return null;
  const measured = t.limitsMeasured;
  if (!t.methods.length && t.fio2TitratedTo === null && !measured) return null;
  const baselineFio2 = m.info.baseline.fio2;
  const p = m.info.patient ?? m.summary?.patient ?? null;
  const f = m.info.protocol.maneuver === 'staircase' ? m.info.protocol.fio2Titration : null;
  const target = f ? ` (SpO2 target ${f.targetMinPct}-${f.targetMaxPct}%)` : '';
  return {
    title: t.methods.length || t.fio2TitratedTo !== null ? 'PEEP titration' : 'Lung-protective limits',
    fio2:
      t.fio2TitratedTo === null
        ? null
        : `FiO2 ${baselineFio2} → ${t.fio2TitratedTo} before the decremental phase${target}${t.spo2Blind ? '; SpO2 stayed above the target at the lowest FiO2, so SpO2 cannot show derecruitment' : ''}; FiO2 ${baselineFio2} again in the final settings.`,
    methods: t.methods.map((r) => ({
      method: r.method,
      title: METHOD_TITLES[r.method],
      peep: r.peepCmH2O === null ? '-' : `${r.peepCmH2O} cmH2O`,
      basis: `${r.detail}${r.sawDerecruitment ? '' : ' (no derecruitment seen)'}`,
      decided: r.method === t.decidedBy,
    })),
    decision: t.decidedBy ? `${METHOD_TITLES[t.decidedBy]} decided${t.decisionNote ? `: ${t.decisionNote}` : ''}` : t.decisionNote,
    disagree: t.methodsDisagree ? 'The methods disagree by more than one decremental step: check the trial before accepting the PEEP.' : null,
    fallback: t.fallback ? `Desaturation at PEEP ${t.fallback.atPeepCmH2O} cmH2O (SpO2 ${t.fallback.spo2Pct ?? '?'}%): re-recruited and set the last PEEP that held.` : null,
    limitsNote: t.limitsNote,
    patient: p ? `Patient: ${p.sex}, ${p.heightCm} cm, PBW ${p.pbwKg} kg` : 'Patient size not given: Vt per kg PBW cannot be checked',
    limits: measured
      ? {
          rows: [
            { name: 'Plateau', value: fmt(measured.plateauCmH2O, 'cmH2O'), limit: `≤ ${measured.limits.plateauMaxCmH2O} cmH2O`, within: measured.plateauCmH2O === null ? null : measured.plateauCmH2O <= measured.limits.plateauMaxCmH2O },
            { name: 'Driving pressure', value: fmt(measured.drivingPressureCmH2O, 'cmH2O'), limit: `≤ ${measured.limits.drivingPressureMaxCmH2O} cmH2O`, within: measured.drivingPressureCmH2O === null ? null : measured.drivingPressureCmH2O <= measured.limits.drivingPressureMaxCmH2O },
            { name: 'Vt per kg PBW', value: fmt(measured.tidalVolumeMlPerKg, 'mL/kg'), limit: `≤ ${measured.limits.tidalVolumeMaxMlPerKg} mL/kg`, within: measured.tidalVolumeMlPerKg === null ? null : measured.tidalVolumeMlPerKg <= measured.limits.tidalVolumeMaxMlPerKg },
          ],
          within: measured.within,
          text: measured.within ? 'Final settings within the lung-protective limits' : `Final settings BEYOND the lung-protective limits: ${measured.exceeded.join(', ')}`,
        }
      : null,
  };
}
