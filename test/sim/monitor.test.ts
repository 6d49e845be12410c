import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, DEFAULT_MONITOR_NOISE, SimMonitor, SimPatient, type MonitorOptions, type MonitorVitals, type SimSettings } from '../../sim/index.js';

const BASELINE: SimSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
const QUIET = { enabled: false } as const;

/** One patient + monitor, read at 1 Hz for `seconds`; `change` runs at 60 s. */
function record(options: MonitorOptions, seconds: number, change?: (p: SimPatient) => void): { vitals: MonitorVitals[]; sao2: number[]; map: number[] } {
  const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], { seed: 4, settings: BASELINE });
  const monitor = new SimMonitor(patient, options);
  const out = { vitals: [] as MonitorVitals[], sao2: [] as number[], map: [] as number[] };
  for (let s = 1; s <= seconds; s++) {
    if (s === 60) change?.(patient);
    patient.advance(1000);
    out.vitals.push(monitor.vitals(patient.timeMs));
    out.sao2.push(patient.gas().sao2Pct);
    out.map.push(patient.hemodynamics().mapMmHg);
  }
  return out;
}

const desaturate = (p: SimPatient): void => p.setSettings({ ...BASELINE, fio2: 0.3 });

describe('SimMonitor vitals', () => {
  it('shows SpO2 as an integer averaged over the last 8 s of true saturation (sensor delay)', () => {
    const { vitals, sao2 } = record({ seed: 1, noise: QUIET }, 120, desaturate);
    vitals.forEach((v, i) => {
      const window = sao2.slice(Math.max(0, i - 7), i + 1);
      expect(v.spo2Pct).toBe(Math.round(window.reduce((a, b) => a + b, 0) / window.length));
    });
    expect(Number.isInteger(vitals[100]?.spo2Pct)).toBe(true);
    expect(vitals[119]?.spo2Pct).toBeLessThanOrEqual((vitals[50]?.spo2Pct ?? 0) - 4);
  });

  it('lags behind a fall in saturation by several seconds, more with a longer averaging time', () => {
    const lagS = (avg: number): number => {
      const { vitals, sao2 } = record({ seed: 1, noise: QUIET, spo2AveragingS: avg }, 120, desaturate);
      const threshold = (sao2[58] as number) - 3;
      const trueAt = sao2.findIndex((s) => s < threshold);
      const shownAt = vitals.findIndex((v) => (v.spo2Pct ?? 100) < threshold - 0.5);
      return shownAt - trueAt;
    };
    expect(lagS(8)).toBeGreaterThanOrEqual(3);
    expect(lagS(16)).toBeGreaterThan(lagS(8));
  });

  it('adds seeded noise: the same seed reads the same, another seed differently, spread as configured', () => {
    const a = record({ seed: 7 }, 300);
    expect(record({ seed: 7 }, 300).vitals).toEqual(a.vitals);
    expect(record({ seed: 8 }, 300).vitals).not.toEqual(a.vitals);
    const errors = a.vitals.map((v, i) => (v.mapMmHg as number) - (a.map[i] as number));
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
    const sd = Math.sqrt(errors.reduce((x, y) => x + (y - mean) ** 2, 0) / errors.length);
    expect(Math.abs(mean)).toBeLessThan(0.3);
    expect(sd).toBeGreaterThan(0.8 * DEFAULT_MONITOR_NOISE.mapMmHg);
    expect(sd).toBeLessThan(1.2 * DEFAULT_MONITOR_NOISE.mapMmHg);
  });

  it('never drops a field unless dropouts are enabled', () => {
    const { vitals } = record({ seed: 3 }, 1800);
    expect(vitals.every((v) => v.spo2Pct !== undefined && v.mapMmHg !== undefined && v.sbpMmHg !== undefined && v.hrBpm !== undefined)).toBe(true);
  });

  it('drops exactly the scheduled sensor during a scheduled dropout (exercises the stale-vitals guard)', () => {
    const { vitals } = record({ seed: 3, dropouts: { enabled: true, ratePerMin: 0, scheduled: [{ sensor: 'spo2', fromMs: 100_000, toMs: 115_000 }] } }, 200);
    vitals.forEach((v, i) => {
      const t = (i + 1) * 1000;
      expect(v.spo2Pct === undefined).toBe(t >= 100_000 && t < 115_000);
      expect(v.mapMmHg).toBeDefined();
      expect(v.hrBpm).toBeDefined();
    });
  });

  it('random dropouts (when enabled) include gaps longer than a 10 s stale limit, per sensor', () => {
    const { vitals } = record({ seed: 11, dropouts: { enabled: true } }, 3600);
    const longestGapS = (has: (v: MonitorVitals) => boolean): number => {
      let longest = 0;
      let run = 0;
      for (const v of vitals) {
        run = has(v) ? 0 : run + 1;
        longest = Math.max(longest, run);
      }
      return longest;
    };
    expect(longestGapS((v) => v.spo2Pct !== undefined)).toBeGreaterThan(10);
    expect(longestGapS((v) => v.mapMmHg !== undefined)).toBeGreaterThan(10);
    const missing = vitals.filter((v) => v.spo2Pct === undefined).length / vitals.length;
    expect(missing).toBeGreaterThan(0.005);
    expect(missing).toBeLessThan(0.2);
  });

  it('artifacts (when enabled) are implausible spikes and drops; without them readings stay physiological', () => {
    const implausible = (v: MonitorVitals): boolean =>
      (v.mapMmHg !== undefined && (v.mapMmHg > 250 || v.mapMmHg < 10)) || (v.hrBpm !== undefined && (v.hrBpm === 0 || v.hrBpm > 250)) || (v.spo2Pct !== undefined && v.spo2Pct < 60);
    const clean = record({ seed: 5 }, 1800);
    expect(clean.vitals.some(implausible)).toBe(false);
    const noisy = record({ seed: 5, artifacts: { enabled: true } }, 1800);
    const bad = noisy.vitals.filter(implausible);
    expect(bad.length).toBeGreaterThan(5);
    expect(bad.length).toBeLessThan(300);
    const scheduled = record({ seed: 5, artifacts: { enabled: true, ratePerMin: 0, scheduled: [{ sensor: 'arterial', fromMs: 30_000, toMs: 33_000 }] } }, 60);
    expect(scheduled.vitals.map((v, i) => (implausible(v) ? i + 1 : 0)).filter((t) => t > 0)).toEqual([30, 31, 32]);
  });

  it('rejects bad options naming them', () => {
    const patient = new SimPatient(BUILTIN_PROFILES.healthy, { seed: 1, settings: BASELINE });
    expect(() => new SimMonitor(patient, { seed: 1, spo2AveragingS: 0 })).toThrow(/spo2AveragingS/);
    expect(() => new SimMonitor(patient, { seed: 1, noise: { mapMmHg: -1 } })).toThrow(/noise\.mapMmHg/);
    expect(() => new SimMonitor(patient, { seed: 1, dropouts: { enabled: true, meanDurationS: 0 } })).toThrow(/meanDurationS/);
    expect(() => new SimMonitor(patient, { seed: Number.NaN })).toThrow(/seed/);
  });
});

describe('SimMonitor ventilator display', () => {
  it('without noise reads the breath: PCV peak with a small overshoot, static compliance from plateau', () => {
    const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], { seed: 1, settings: BASELINE });
    const monitor = new SimMonitor(patient, { seed: 1, noise: QUIET });
    const b = patient.breath();
    const v = monitor.ventilator(0);
    expect(v.tidalVolumeMl).toBe(420);
    expect(v.plateauCmH2O).toBeCloseTo(b.plateauCmH2O, 1);
    expect(v.complianceMlPerCmH2O).toBeCloseTo(b.staticComplianceMlPerCmH2O, 0);
    patient.setSettings({ mode: 'PCV', peepCmH2O: 40, peakCmH2O: 55, rateBpm: 20, fio2: 0.6 });
    expect(monitor.ventilator(1).peakCmH2O).toBe(55.5);
  });

  it('with noise stays close to the truth', () => {
    const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], { seed: 1, settings: BASELINE });
    const monitor = new SimMonitor(patient, { seed: 1 });
    const c = patient.breath().staticComplianceMlPerCmH2O;
    const readings = Array.from({ length: 200 }, (_, i) => monitor.ventilator(i * 1000).complianceMlPerCmH2O);
    const mean = readings.reduce((a, b) => a + b, 0) / readings.length;
    expect(Math.abs(mean - c) / c).toBeLessThan(0.02);
    expect(Math.min(...readings)).toBeGreaterThan(0.8 * c);
  });
});
