/**
 * Preconditions checked before a maneuver starts (and before a repeat). A `block` issue
 * keeps the maneuver from starting; a `warn` issue is recorded and shown.
 */
import type { SafetyConfig } from './config/safety.js';
import { unconfirmedItems } from './checklist.js';
import { evaluateSample } from './safety/rules.js';
import type { BaselineVitals, LatestValues, PreconditionIssue, VentSettings } from './types.js';

export interface PreconditionInput {
  now: number;
  latest: LatestValues;
  baseline: VentSettings;
  safety: SafetyConfig;
  peakLimitCmH2O: number;
  /** A device or link fault seen before the start. */
  fault: { code: string; message: string } | null;
  /**
   * The baseline vitals a start would use (the medians of the baseline window; on a repeat
   * the first maneuver's). Null when the window holds no SpO2 or MAP.
   */
  baselineVitals?: BaselineVitals | null;
  /** Height and sex were given (false: Vt per kg PBW cannot be limited; a warning). Absent: not checked. */
  patientSizeKnown?: boolean;
  /**
   * The operator checklist items confirmed (machines/checklist.ts). Absent: the checklist is
   * not required (virtual-clock simulator runs); an array: every item must be in it.
   */
  checklist?: readonly string[];
  /**
   * The maneuver will pre-oxygenate first (machines/preoxygenation.ts): SpO2 below the floor does
   * not block the start (a warning says so), nor does SpO2 below the critical floor down to
   * `hardFloorSpo2Pct` (raising FiO2 is the treatment for it); the steps start only when SpO2 on
   * the raised FiO2 settles at `minSpo2Pct` or above.
   */
  preoxygenation?: { fio2: number; minSpo2Pct: number; hardFloorSpo2Pct: number };
}

/**
 * Every precondition issue at `now`. Start only when none has severity `block`.
 *
 * @example
 * const issues = checkPreconditions({ now, latest, baseline, safety, peakLimitCmH2O: 55, fault: null });
 * const canStart = issues.every((i) => i.severity !== 'block');
 */
export function checkPreconditions(input: PreconditionInput): PreconditionIssue[] {
  const { now, latest, baseline, safety } = input;
  const issues: PreconditionIssue[] = [];
  const maxAgeMs = safety.vitalsStaleS * 1000;

  if (input.fault) {
    issues.push({ code: 'device-fault', severity: 'block', message: `device fault before start: ${input.fault.code} (${input.fault.message})` });
  }
  if (latest.spo2Pct === null || latest.mapMmHg === null) {
    const missing = [latest.spo2Pct === null ? 'SpO2' : null, latest.mapMmHg === null ? 'MAP' : null].filter(Boolean).join(' and ');
    issues.push({ code: 'vitals-missing', severity: 'block', message: `no ${missing} received yet` });
  } else {
    for (const [label, at] of [
      ['SpO2', latest.spo2At],
      ['MAP', latest.mapAt],
    ] as const) {
      if (at !== null && now - at > maxAgeMs) {
        issues.push({ code: 'vitals-stale', severity: 'block', message: `${label} is ${((now - at) / 1000).toFixed(1)} s old (limit ${safety.vitalsStaleS} s)` });
      }
    }
  }

  const b = baseline;
  const settingProblems: string[] = [];
  if (!(b.peepCmH2O >= 0 && b.peepCmH2O <= safety.baselinePeepMaxCmH2O)) settingProblems.push(`PEEP ${b.peepCmH2O} outside 0-${safety.baselinePeepMaxCmH2O} cmH2O`);
  if (!(b.peakCmH2O >= b.peepCmH2O && b.peakCmH2O <= safety.baselinePeakMaxCmH2O)) settingProblems.push(`peak ${b.peakCmH2O} outside PEEP-${safety.baselinePeakMaxCmH2O} cmH2O`);
  if (!(b.fio2 >= 0.21 && b.fio2 <= 1)) settingProblems.push(`FiO2 ${b.fio2} outside 0.21-1`);
  if (!(b.rateBpm >= 0 && b.rateBpm <= 40)) settingProblems.push(`rate ${b.rateBpm} outside 0-40 /min`);
  for (const m of settingProblems) issues.push({ code: 'baseline-out-of-range', severity: 'block', message: `baseline ${m}` });

  const bv = input.baselineVitals ?? null;
  if (bv?.window) {
    const { spo2, map } = bv.window.samples;
    if (spo2 < safety.baselineMinSamples || map < safety.baselineMinSamples) {
      issues.push({
        code: 'baseline-insufficient',
        severity: 'block',
        message: `baseline window (${safety.baselineWindowS} s) holds ${spo2} SpO2 and ${map} MAP samples; at least ${safety.baselineMinSamples} of each are needed for a robust baseline`,
      });
    }
  } else if (input.baselineVitals === null && latest.spo2Pct !== null && latest.mapMmHg !== null) {
    issues.push({ code: 'baseline-insufficient', severity: 'block', message: `no SpO2 or MAP sample in the last ${safety.baselineWindowS} s for a baseline` });
  }
  if (latest.peakAt === null || latest.peepAt === null) {
    const missing = [latest.peakAt === null ? 'peak pressure' : null, latest.peepAt === null ? 'PEEP' : null].filter(Boolean).join(' and ');
    issues.push({
      code: 'ventilator-measurements-missing',
      severity: 'block',
      message: `the ventilator has reported no measured ${missing}: the overdistention and delivery checks would be blind`,
    });
  }

  if (safety.requireHrAndSbp && latest.spo2Pct !== null && latest.mapMmHg !== null && (latest.hrBpm === null || latest.sbpMmHg === null)) {
    const missing = [latest.hrBpm === null ? 'heart rate' : null, latest.sbpMmHg === null ? 'systolic pressure' : null].filter(Boolean).join(' and ');
    issues.push({ code: 'vitals-missing', severity: 'block', message: `no ${missing} received yet: the heart-rate and systolic-pressure guards would be blind (safety.requireHrAndSbp)` });
  }
  const startMap = bv?.mapMmHg ?? latest.mapMmHg;
  if (startMap !== null && startMap < safety.startMapMinMmHg) {
    issues.push({
      code: 'baseline-out-of-range',
      severity: 'block',
      message: `baseline MAP ${Math.round(startMap * 10) / 10} mmHg below ${safety.startMapMinMmHg} (ART 2017 excluded MAP < 65): stabilise the circulation first (safety.startMapMinMmHg)`,
    });
  }

  if (latest.spo2Pct !== null && latest.mapMmHg !== null) {
    // Only absolute limits apply before the start: the baseline is what "fall" is measured from.
    // Both the latest values and the baseline medians must be within them.
    const candidates = [
      { spo2Pct: latest.spo2Pct, mapMmHg: latest.mapMmHg, sbpMmHg: latest.sbpMmHg, hrBpm: latest.hrBpm },
      ...(bv ? [{ spo2Pct: bv.spo2Pct, mapMmHg: bv.mapMmHg, sbpMmHg: bv.sbpMmHg, hrBpm: bv.hrBpm }] : []),
    ];
    const seen = new Set<string>();
    for (const c of candidates) {
      const sample = {
        checked: true as const,
        t: now,
        source: 'precondition',
        spo2Pct: c.spo2Pct,
        mapMmHg: c.mapMmHg,
        ...(c.sbpMmHg !== null ? { sbpMmHg: c.sbpMmHg } : {}),
        ...(c.hrBpm !== null ? { hrBpm: c.hrBpm } : {}),
      };
      const self = { spo2Pct: c.spo2Pct, mapMmHg: c.mapMmHg, sbpMmHg: c.sbpMmHg, hrBpm: c.hrBpm, complianceMlPerCmH2O: null };
      for (const v of evaluateSample({ sample, baseline: self, safety, peakLimitCmH2O: input.peakLimitCmH2O })) {
        if (seen.has(v.guard)) continue;
        seen.add(v.guard);
        if (input.preoxygenation && (v.guard === 'spo2BelowFloor' || (v.guard === 'spo2Critical' && c.spo2Pct >= input.preoxygenation.hardFloorSpo2Pct))) {
          if (v.guard === 'spo2Critical') continue; // the spo2BelowFloor warning below says what happens
          const po = input.preoxygenation;
          issues.push({
            code: 'spo2-low-preoxygenation-first',
            severity: 'warn',
            message: `SpO2 ${c.spo2Pct}% below the ${safety.spo2FloorPct}% floor: pre-oxygenation with FiO2 ${po.fio2} first; the RM starts only if SpO2 settles at ${po.minSpo2Pct}% or above (${
              c.spo2Pct < safety.spo2CriticalPct
                ? `until it settles, below ${Math.max(po.hardFloorSpo2Pct, Math.min(safety.spo2CriticalPct, c.spo2Pct - safety.spo2FallMaxPts))}%: abort; then below ${safety.spo2CriticalPct}%`
                : `below ${safety.spo2CriticalPct}% at any time: abort`
            })`,
          });
          continue;
        }
        issues.push({ code: 'vitals-violate-guard', severity: 'block', message: `${v.message} before the start (${v.guard})` });
      }
    }
    const spo2 = bv?.spo2Pct ?? latest.spo2Pct;
    if (spo2 > safety.spo2DetectCeilingPct) {
      issues.push({
        code: 'spo2-too-high-to-detect-derecruitment',
        severity: safety.blockOnHighBaselineSpo2 ? 'block' : 'warn',
        message: `baseline SpO2 ${spo2}% above ${safety.spo2DetectCeilingPct}%: derecruitment may not show; lower FiO2 for SpO2 90-92% first`,
      });
    }
  }
  if (input.checklist !== undefined) {
    const open = unconfirmedItems(input.checklist);
    if (open.length > 0) {
      issues.push({
        code: 'checklist-not-confirmed',
        severity: 'block',
        message: `operator checklist not confirmed: ${open.map((i) => `${i.id} (${i.text})`).join('; ')}`,
      });
    }
  }
  if (input.patientSizeKnown === false) {
    issues.push({
      code: 'patient-size-missing',
      severity: 'warn',
      message: 'no height and sex given: tidal volume per kg predicted body weight is not limited (plateau and driving pressure still are)',
    });
  }
  return issues;
}

export function blocks(issues: readonly PreconditionIssue[]): boolean {
  return issues.some((i) => i.severity === 'block');
}
