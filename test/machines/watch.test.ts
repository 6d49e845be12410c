/**
 * Issue 19 item 2: the post-maneuver watch reducer. Samples as a monitor and a ventilator send
 * them (SpO2/MAP every 2 s, ventilator every 3 s), with a little noise; time as data.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SAFETY,
  DEFAULT_WATCH_CONFIG,
  startWatch,
  stepWatch,
  trustedSample,
  watchSummary,
  WatchConfigSchema,
  type VentSettings,
  type WatchConfig,
  type WatchFinding,
  type WatchState,
} from '../../machines/index.js';

const SETTINGS: VentSettings = { mode: 'PCV', peepCmH2O: 16, peakCmH2O: 31, rateBpm: 20, fio2: 0.4 };
const BASELINE = { spo2Pct: 93, mapMmHg: 80, sbpMmHg: 115, hrBpm: 90, complianceMlPerCmH2O: 33 };
const T0 = 1_000_000;

type Patient = (tS: number) => { spo2: number | null; map: number; peep: number; compliance: number | null };
const stable: Patient = () => ({ spo2: 95, map: 80, peep: 16, compliance: 35 });

/** Runs the watch over `patient` (time in seconds into the watch) until it ends or `untilS`. */
function run(patient: Patient, config: Partial<WatchConfig> = {}, untilS = 1900, reference?: { spo2Pct: number | null; complianceMlPerCmH2O: number | null }) {
  let s: WatchState = startWatch({ config: { ...DEFAULT_WATCH_CONFIG, ...config }, startedAt: T0, settings: SETTINGS, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55, ...(reference ? { reference } : {}) });
  const found: WatchFinding[] = [];
  let k = 0;
  for (let tS = 1; tS <= untilS && s.status === 'watching'; tS++) {
    const now = T0 + tS * 1000;
    const p = patient(tS);
    const noise = ((k++ * 7919) % 5) - 2; // deterministic -2..2
    if (tS % 2 === 0) {
      const v: Record<string, number> = { mapMmHg: p.map + noise * 0.5, hrBpm: 90 };
      if (p.spo2 !== null) v['spo2Pct'] = Math.round(p.spo2 + noise * 0.3);
      const r = stepWatch(s, { type: 'SAMPLE', now, sample: trustedSample(now, 'monitor', v) });
      s = r.state;
      found.push(...r.findings);
    } else if (tS % 3 === 0) {
      const v: Record<string, number> = { peepCmH2O: p.peep, peakCmH2O: p.peep + 15, tidalVolumeMl: 450 };
      if (p.compliance !== null) v['complianceMlPerCmH2O'] = p.compliance * (1 + noise * 0.005);
      const r = stepWatch(s, { type: 'SAMPLE', now, sample: trustedSample(now, 'vent', v) });
      s = r.state;
      found.push(...r.findings);
    } else {
      const r = stepWatch(s, { type: 'TICK', now });
      s = r.state;
      found.push(...r.findings);
    }
  }
  return { s, found, summary: watchSummary(s), advisories: found.filter((f) => f.kind === 'advisory'), alarms: found.filter((f) => f.kind === 'alarm') };
}

describe('post-maneuver watch', () => {
  it('a stable patient: 30 min, nothing raised, ended by time at exactly 30 min', () => {
    const r = run(stable);
    expect(r.found).toEqual([]);
    expect(r.s.status).toBe('ended');
    expect(r.summary.endedBy).toBe('time');
    expect(r.summary.watchedMs).toBe(30 * 60_000);
    expect(r.summary.derecruitmentSuspected).toBe(false);
    expect(r.summary.best.spo2Pct).toBe(95);
    expect(r.summary.spo2Blind).toBe(false);
  });

  it('SpO2 above 97% through the watch is reported blind (the flat top hides derecruitment)', () => {
    expect(run((t) => ({ ...stable(t), spo2: 99 })).summary.spo2Blind).toBe(true);
  });

  it('a sustained SpO2 fall of 3 points raises one advisory with its evidence, after the sustain time', () => {
    const r = run((t) => ({ ...stable(t), spo2: t >= 600 ? 92 : 95 }));
    const a = r.advisories.filter((f) => f.kind === 'advisory' && f.cause === 'spo2-fall');
    expect(a).toHaveLength(1);
    const adv = a[0]!;
    if (adv.kind !== 'advisory') throw new Error('advisory expected');
    expect(adv.message).toMatch(/derecruitment suspected: consider re-recruitment/);
    expect(adv.evidence['bestPct']).toBe(95);
    expect(adv.evidence['currentPct']).toBe(92);
    // the median needs half a window to move, then the fall must hold 120 s
    expect(adv.at - T0).toBeGreaterThanOrEqual((600 + 120) * 1000);
    expect(adv.at - T0).toBeLessThanOrEqual((600 + 60 + 120 + 4) * 1000);
    expect(adv.evidence['heldS']).toBeGreaterThanOrEqual(120);
    expect(r.summary.derecruitmentSuspected).toBe(true);
  });

  it('a fall shorter than the sustain time, or smaller than the threshold, raises nothing', () => {
    expect(run((t) => ({ ...stable(t), spo2: t >= 600 && t < 690 ? 91 : 95 })).advisories).toEqual([]);
    expect(run((t) => ({ ...stable(t), spo2: t >= 600 ? 94 : 95 })).advisories).toEqual([]);
  });

  it('the threshold and sustain time are configurable', () => {
    const r = run((t) => ({ ...stable(t), spo2: t >= 600 ? 94 : 95 }), { spo2FallPts: 1, spo2SustainS: 30 });
    expect(r.advisories.map((a) => a.kind === 'advisory' && a.cause)).toEqual(['spo2-fall']);
  });

  it('a sustained compliance fall of 12% raises an advisory; 7% does not', () => {
    const r = run((t) => ({ ...stable(t), compliance: t >= 300 ? 35 * 0.88 : 35 }));
    const a = r.advisories[0];
    expect(a?.kind === 'advisory' && a.cause).toBe('compliance-fall');
    if (a?.kind !== 'advisory') throw new Error('advisory expected');
    expect(a.evidence['fallPct']).toBeCloseTo(12, 0);
    expect(run((t) => ({ ...stable(t), compliance: t >= 300 ? 35 * 0.93 : 35 })).advisories).toEqual([]);
  });

  it('the reference at the end of the maneuver counts from the start of the watch', () => {
    const r = run((t) => ({ ...stable(t), spo2: 92 }), {}, 400, { spo2Pct: 95, complianceMlPerCmH2O: 35 });
    expect(r.advisories.map((a) => a.kind === 'advisory' && a.cause)).toEqual(['spo2-fall']);
  });

  // ventilator samples come at odd multiples of 3 s: 303, 309, 315 (lost), 321 (back)
  it('a disconnection (PEEP lost for 20 s) raises a peep-lost advisory, recorded with its times and lowest PEEP', () => {
    const r = run((t) => ({ ...stable(t), peep: t >= 300 && t < 320 ? 0.4 : 16 }));
    const a = r.advisories.find((f) => f.kind === 'advisory' && f.cause === 'peep-lost');
    if (a?.kind !== 'advisory') throw new Error('peep-lost advisory expected');
    expect(a.message).toMatch(/PEEP lost since \+5:03 into the watch \(measured 0.4 cmH2O, set 16\)/);
    expect(a.evidence['setPeepCmH2O']).toBe(16);
    expect(r.summary.peepLosses).toEqual([{ from: T0 + 303_000, to: T0 + 321_000, lowestCmH2O: 0.4 }]);
    // the guard that would abort a maneuver (delivery mismatch) is an alarm here
    expect(r.alarms.some((f) => f.kind === 'alarm' && f.guard === 'deliveryMismatch')).toBe(true);
  });

  it('one breath without PEEP (shorter than peepLossMinS) is not a loss of PEEP', () => {
    const r = run((t) => ({ ...stable(t), peep: t === 300 ? 0 : 16 }));
    expect(r.advisories).toEqual([]);
    expect(r.summary.peepLosses).toEqual([]);
  });

  it('compliance during a loss of PEEP is ignored (it is not the lung at the set PEEP)', () => {
    const r = run((t) => ({ ...stable(t), peep: t >= 300 && t < 420 ? 0 : 16, compliance: t >= 300 && t < 420 ? 10 : 35 }));
    expect(r.advisories.map((a) => a.kind === 'advisory' && a.cause)).toEqual(['peep-lost']);
  });

  it('guards that would abort a maneuver raise alarms, once per episode, and again after they cleared', () => {
    const r = run((t) => ({ ...stable(t), map: (t >= 300 && t < 340) || (t >= 900 && t < 940) ? 45 : 80 }));
    const critical = r.alarms.filter((f) => f.kind === 'alarm' && f.guard === 'mapCritical');
    expect(critical).toHaveLength(2);
    expect(critical[0]!.message).toMatch(/MAP .* below the critical 50 .*post-maneuver watch, \+5:00.*changes nothing/);
    expect(r.advisories).toEqual([]);
  });

  it('stale vitals raise one alarm while they stay stale', () => {
    const r = run((t) => ({ ...stable(t), spo2: t >= 300 && t < 400 ? null : 95 }));
    const stale = r.alarms.filter((f) => f.kind === 'alarm' && f.guard === 'vitalsStale');
    expect(stale).toHaveLength(1);
    expect(stale[0]!.message).toMatch(/no fresh SpO2/);
  });

  it('END stops the watch (operator); later events change nothing; duration 0 disables it', () => {
    let s = startWatch({ config: DEFAULT_WATCH_CONFIG, startedAt: T0, settings: SETTINGS, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55 });
    s = stepWatch(s, { type: 'END', now: T0 + 5000, by: 'operator' }).state;
    expect(watchSummary(s)).toMatchObject({ endedBy: 'operator', watchedMs: 5000 });
    const after = stepWatch(s, { type: 'SAMPLE', now: T0 + 6000, sample: trustedSample(T0 + 6000, 'm', { mapMmHg: 30 }) });
    expect(after.state).toBe(s);
    expect(after.findings).toEqual([]);
    const off = startWatch({ config: { ...DEFAULT_WATCH_CONFIG, durationMin: 0 }, startedAt: T0, settings: SETTINGS, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55 });
    expect(off.status).toBe('ended');
    expect(watchSummary(off).endedBy).toBe('disabled');
  });

  it('an event from the past is ignored (time never runs backwards)', () => {
    let s = startWatch({ config: DEFAULT_WATCH_CONFIG, startedAt: T0, settings: SETTINGS, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55 });
    s = stepWatch(s, { type: 'TICK', now: T0 + 10_000 }).state;
    expect(stepWatch(s, { type: 'TICK', now: T0 + 5000 }).state).toBe(s);
  });

  it('bad configuration is refused naming the field and its range', () => {
    const r = WatchConfigSchema.safeParse({ durationMin: 300 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/durationMin.*between 0 and 240 min/);
    expect(WatchConfigSchema.safeParse({ spo2FallPts: 2, bogus: 1 }).success).toBe(false);
  });
});
