/**
 * Cost guard: a 25-minute staircase (1,500 x advance(1000) + vitals() + ventilator()) must stay
 * far below real time. Measured ~2 ms of CPU compiled and ~3 ms under vitest (docs/simulator.md);
 * the bound here is loose so that only a real regression (e.g. an accidental O(n^2)) fails.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, SimMonitor, SimPatient, type SimSettings } from '../../sim/index.js';

const BASELINE: SimSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
const pcv = (peep: number, peak = peep + 15): SimSettings => ({ mode: 'PCV', peepCmH2O: peep, peakCmH2O: peak, rateBpm: 20, fio2: 0.6 });
const SCHEDULE: Array<[number, SimSettings]> = [
  [0, pcv(20)], [120, pcv(30)], [240, pcv(40)],
  [360, pcv(25)], [540, pcv(22.5)], [720, pcv(20)], [900, pcv(17.5)], [1080, pcv(15)],
  [1260, pcv(40, 55)], [1320, { ...BASELINE, peepCmH2O: 17.5, peakCmH2O: 37.5 }],
];

function staircaseCpuMs(seed: number): number {
  const start = process.cpuUsage();
  const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], { seed, settings: BASELINE });
  const monitor = new SimMonitor(patient, { seed });
  let k = 0;
  let checksum = 0;
  for (let s = 0; s < 1500; s++) {
    const next = SCHEDULE[k];
    if (next && next[0] === s) {
      patient.setSettings(next[1]);
      k++;
    }
    patient.advance(1000);
    checksum += monitor.vitals(patient.timeMs).spo2Pct ?? 0;
    checksum += monitor.ventilator(patient.timeMs).peakCmH2O;
  }
  const used = process.cpuUsage(start);
  expect(checksum).toBeGreaterThan(0);
  return (used.user + used.system) / 1000;
}

describe('simulator cost', () => {
  it('runs a 25-minute staircase with 1 Hz readings in a few ms of CPU (>= 100,000x real time)', () => {
    for (let i = 0; i < 5; i++) staircaseCpuMs(i);
    const runs = Array.from({ length: 20 }, (_, i) => staircaseCpuMs(100 + i)).sort((a, b) => a - b);
    const median = runs[10] as number;
    expect(median, `median CPU per 25-min staircase: ${median.toFixed(2)} ms`).toBeLessThan(15);
  });
});
