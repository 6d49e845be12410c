/**
 * What the guards get from a poll: SpO2, arterial MAP/SBP and ECG heart rate, in the
 * controller's units, with every value the monitor does not vouch for marked invalid.
 *
 * - A value counts only with a clean measurement state (none of invalid, questionable,
 *   unavailable, calibration ongoing, test data, demo data), a finite FLOAT, a known unit, and
 *   no technical alarm (INOP) active on its source. Otherwise its field goes into `invalid`
 *   (value included when there is one, so the journal shows what was refused): the guards do
 *   not count it, and the staleness clock of that vital runs from its last valid value at once.
 * - Demo or test data is refused outright: `refused` says so, and the host reports a fault.
 * - Arterial pressure comes from ABP, else ART; without a pulse pressure (systolic - diastolic
 *   below 5 mmHg: a flush, a clotted or damped line) MAP and SBP are invalid.
 * - NBP is decoded (with its own time) but never
 *   stands in for a missing or invalid arterial line: MAP/SBP then simply have no valid value.
 * - HR is the ECG heart rate; the pleth pulse rate and perfusion index are decoded for the
 *   record only.
 */
import type { MonitorSample, SampleField } from '../../machines/types.js';
import { ALERT_TYPE, DIM, EVT, MSMT, MSMT_NOT_VALID, PHYSIO } from './constants.js';
import type { NumericValue, TechnicalAlarm } from './observations.js';

const KPA_TO_MMHG = 760 / 101.325;

/** Below this systolic-diastolic difference an arterial line shows no pulse: its values are not counted. */
export const MIN_PULSE_PRESSURE_MMHG = 5;

/** Which sources a technical alarm silences, by the watched field. */
const INOP_SOURCES: Record<'spo2Pct' | 'pressure' | 'hrBpm', readonly number[]> = {
  spo2Pct: [PHYSIO.spo2, PHYSIO.perfusionIndex, PHYSIO.plethRate, PHYSIO.pleth],
  pressure: [PHYSIO.abp, PHYSIO.abpSys, PHYSIO.abpDia, PHYSIO.abpMean, PHYSIO.art, PHYSIO.artSys, PHYSIO.artDia, PHYSIO.artMean],
  hrBpm: [PHYSIO.ecgHr],
};

/** ECG lead sources (NOM_ECG_LEAD_*, NOM_ECG_ELEC_POTL_*): leads off silences the ECG heart rate. */
const isEcgLeadSource = (s: number): boolean => s > 0 && s < 0x0400;

export interface PollReadings {
  /** The values the guards may see (some of them marked invalid). */
  sample: Omit<MonitorSample, 't' | 'source'>;
  /** Oldest age among the values used, from the monitor's relative time stamps (ms). */
  ageMs: number;
  /** Why each invalid field is invalid. */
  reasons: Partial<Record<SampleField, string>>;
  /** Demo or test data seen: the reason, else null. */
  refused: string | null;
  /** Decoded for the record, never used by the guards. */
  other: { plethRateBpm?: number; perfusionIndex?: number; nbp?: { sysMmHg: number | null; meanMmHg: number | null; absTimeMs: number | null } };
}

export function describeState(state: number): string {
  const names: Array<[number, string]> = [
    [MSMT.invalid, 'invalid'],
    [MSMT.questionable, 'questionable'],
    [MSMT.unavailable, 'unavailable'],
    [MSMT.calibrationOngoing, 'calibration ongoing'],
    [MSMT.testData, 'test data'],
    [MSMT.demoData, 'demo data'],
  ];
  return names.filter(([bit]) => state & bit).map(([, n]) => n).join(', ');
}

function inUnit(n: NumericValue, kind: 'percent' | 'pressure' | 'rate'): number | null {
  if (n.value === null) return null;
  if (kind === 'percent') return n.unit === DIM.percent ? n.value : null;
  if (kind === 'rate') return n.unit === DIM.beatsPerMin ? n.value : null;
  if (n.unit === DIM.mmHg) return n.value;
  if (n.unit === DIM.kPa) return n.value * KPA_TO_MMHG;
  return null;
}

/** The INOPs active on each watched field (technical alarms only; physiological alarms are not INOPs). */
export function inopsByField(alarms: readonly TechnicalAlarm[]): Partial<Record<'spo2Pct' | 'pressure' | 'hrBpm', string>> {
  const out: Partial<Record<'spo2Pct' | 'pressure' | 'hrBpm', string>> = {};
  for (const a of alarms) {
    if (!(a.type === ALERT_TYPE.lowTech || a.type === ALERT_TYPE.medTech || a.type === ALERT_TYPE.highTech)) continue;
    const name = `INOP ${EVT[a.code] ?? `code ${a.code}`} (source 0x${a.source.toString(16)})`;
    for (const [field, sources] of Object.entries(INOP_SOURCES) as Array<[keyof typeof INOP_SOURCES, readonly number[]]>) {
      if (sources.includes(a.source) || (field === 'hrBpm' && isEcgLeadSource(a.source))) out[field] ??= name;
    }
  }
  return out;
}

/**
 * Maps one poll's numerics and the active technical alarms to sample values.
 *
 * @example
 * const r = mapReadings(numerics, alarms, reply.relTime);
 * if (r.refused) reportFault(r.refused);
 * samples$.next({ t: now - r.ageMs, source: 'intellivue', ...r.sample });
 */
export function mapReadings(numerics: readonly NumericValue[], alarms: readonly TechnicalAlarm[], replyRelTime: number): PollReadings {
  const byId = new Map<number, NumericValue>();
  for (const n of numerics) if (!byId.has(n.physioId)) byId.set(n.physioId, n);
  const inops = inopsByField(alarms);
  const sample: { -readonly [K in keyof PollReadings['sample']]: PollReadings['sample'][K] } = {};
  const invalid: SampleField[] = [];
  const reasons: Partial<Record<SampleField, string>> = {};
  let refused: string | null = null;
  let ageMs = 0;
  const arterial = byId.has(PHYSIO.abpMean) || byId.has(PHYSIO.abpSys) ? 'abp' : 'art';
  const plan: Array<[SampleField, number, 'percent' | 'pressure' | 'rate', 'spo2Pct' | 'pressure' | 'hrBpm']> = [
    ['spo2Pct', PHYSIO.spo2, 'percent', 'spo2Pct'],
    ['mapMmHg', arterial === 'abp' ? PHYSIO.abpMean : PHYSIO.artMean, 'pressure', 'pressure'],
    ['sbpMmHg', arterial === 'abp' ? PHYSIO.abpSys : PHYSIO.artSys, 'pressure', 'pressure'],
    ['hrBpm', PHYSIO.ecgHr, 'rate', 'hrBpm'],
  ];
  // An arterial pressure without a pulse (systolic = diastolic: a flush, a clotted or damped line) is not a blood pressure.
  const sysN = byId.get(arterial === 'abp' ? PHYSIO.abpSys : PHYSIO.artSys);
  const diaN = byId.get(arterial === 'abp' ? PHYSIO.abpDia : PHYSIO.artDia);
  const flat = sysN?.value != null && diaN?.value != null && !(sysN.state & MSMT_NOT_VALID) && !(diaN.state & MSMT_NOT_VALID) && sysN.value - diaN.value < MIN_PULSE_PRESSURE_MMHG;
  for (const [field, id, kind, group] of plan) {
    const n = byId.get(id);
    if (!n) continue;
    if (n.state & (MSMT.demoData | MSMT.testData)) refused ??= `the monitor sends ${n.state & MSMT.demoData ? 'DEMO' : 'TEST'} data (${field}, measurement state 0x${n.state.toString(16)}): not a patient, refused`;
    const v = inUnit(n, kind);
    if (v !== null) sample[field] = Math.round(v * 100) / 100;
    const problems = [
      inops[group],
      flat && group === 'pressure' ? `no pulse pressure (systolic ${sysN!.value}, diastolic ${diaN!.value}): flush, clotted or damped line` : undefined,
      n.state & MSMT_NOT_VALID ? describeState(n.state) : undefined,
      n.special ? `value ${n.special}` : undefined,
      !n.special && v === null ? `unit 0x${n.unit.toString(16)} not ${kind === 'percent' ? '%' : kind === 'rate' ? '/min' : 'mmHg or kPa'}` : undefined,
    ].filter((x): x is string => x !== undefined);
    const why = problems.length ? problems.join(', ') : null;
    if (why) {
      invalid.push(field);
      reasons[field] = why;
    } else if (n.relTime !== null) {
      const age = ((replyRelTime - n.relTime) >>> 0) / 8;
      if (age <= 60_000) ageMs = Math.max(ageMs, age);
    }
  }
  // An INOP on a watched vital whose numeric the monitor no longer sends at all: still named.
  for (const [field, group] of [['spo2Pct', 'spo2Pct'], ['mapMmHg', 'pressure'], ['sbpMmHg', 'pressure'], ['hrBpm', 'hrBpm']] as const) {
    if (inops[group] && !invalid.includes(field) && sample[field] === undefined) {
      invalid.push(field);
      reasons[field] = inops[group];
    }
  }
  if (invalid.length) sample.invalid = invalid;
  const other: PollReadings['other'] = {};
  const pr = byId.get(PHYSIO.plethRate);
  if (pr && !(pr.state & MSMT_NOT_VALID) && pr.value !== null) other.plethRateBpm = pr.value;
  const pi = byId.get(PHYSIO.perfusionIndex);
  if (pi && !(pi.state & MSMT_NOT_VALID) && pi.value !== null) other.perfusionIndex = pi.value;
  const nbpSys = byId.get(PHYSIO.nbpSys);
  const nbpMean = byId.get(PHYSIO.nbpMean);
  if (nbpSys || nbpMean) {
    const ok = (n: NumericValue | undefined): number | null => (n && !(n.state & MSMT_NOT_VALID) ? inUnit(n, 'pressure') : null);
    other.nbp = { sysMmHg: ok(nbpSys), meanMmHg: ok(nbpMean), absTimeMs: (nbpMean ?? nbpSys)!.absTimeMs };
  }
  return { sample, ageMs, reasons, refused, other };
}
