/**
 * The bedside monitor and ventilator display: reads a SimPatient the way real sensors do.
 * SpO2 is averaged over several seconds (the oximeter's sensor delay) and shown as an
 * integer; every value carries seeded noise; dropouts (missing fields) and artifacts
 * (implausible values) can be switched on to exercise the controller's guards.
 */
import type { SimPatient } from './patient.js';
import { SeededRandom, STREAM } from './random.js';
import { FaultProcess, type FaultOptions } from './sensorFaults.js';

/** Standard deviations of the measurement noise. */
export interface MonitorNoise {
  spo2Pct: number;
  mapMmHg: number;
  sbpMmHg: number;
  hrBpm: number;
  pressureCmH2O: number;
  tidalVolumePct: number;
}

/** Default noise: oximeter 0.8 % per raw sample (before averaging), arterial line 1 mmHg, ECG 1 /min, ventilator 0.2 cmH2O and 1 % of Vt. */
export const DEFAULT_MONITOR_NOISE: MonitorNoise = { spo2Pct: 0.8, mapMmHg: 1, sbpMmHg: 1.5, hrBpm: 1, pressureCmH2O: 0.2, tidalVolumePct: 1 };
/** Oximeter averaging window (typical bedside setting 8 s). */
export const DEFAULT_SPO2_AVERAGING_S = 8;
/** Default random dropout episodes: rate per sensor and mean length (longer than a 10 s stale limit, often). */
export const DEFAULT_DROPOUT = { ratePerMin: 0.2, meanDurationS: 12 } as const;
/** Default random artifact episodes per sensor: rate per minute and mean length. */
export const DEFAULT_ARTIFACT = { ratePerMin: 0.3, meanDurationS: 3 } as const;
/** Overshoot of the measured peak above the set pressure in PCV. */
const PCV_PEAK_OVERSHOOT_CMH2O = 0.5;

/**
 * Monitor configuration. Noise is on by default; dropouts and artifacts are off unless enabled.
 *
 * @example
 * const options: MonitorOptions = { seed: 3, spo2AveragingS: 10, dropouts: { enabled: true, ratePerMin: 0.5 }, artifacts: { enabled: true } };
 */
export interface MonitorOptions {
  seed: number;
  /** Oximeter averaging window (default 8 s). */
  spo2AveragingS?: number;
  /** Noise standard deviations; `enabled: false` gives exact readings (SpO2 still averaged and rounded). */
  noise?: Partial<MonitorNoise> & { enabled?: boolean };
  dropouts?: FaultOptions;
  artifacts?: FaultOptions;
}

/** What the bedside monitor shows; a missing field is a dropout of that sensor. */
export interface MonitorVitals {
  spo2Pct?: number;
  mapMmHg?: number;
  sbpMmHg?: number;
  hrBpm?: number;
}

/** What the ventilator displays for the current breath. */
export interface VentilatorReading {
  peakCmH2O: number;
  plateauCmH2O: number;
  peepCmH2O: number;
  tidalVolumeMl: number;
  /** Static compliance: tidal volume / (plateau - PEEP) as measured (CPAP: a 10 cmH2O test breath). */
  complianceMlPerCmH2O: number;
}

const RING = 1024;

/**
 * @example
 * const monitor = new SimMonitor(patient, { seed: 1, dropouts: { enabled: true, scheduled: [{ sensor: 'spo2', fromMs: 60_000, toMs: 75_000 }] } });
 * patient.advance(1000);
 * const v = monitor.vitals(patient.timeMs); // v.spo2Pct undefined during the dropout
 */
export class SimMonitor {
  private readonly noise: MonitorNoise;
  private readonly averagingMs: number;
  private readonly noiseRng: SeededRandom;
  private readonly artifactRng: SeededRandom;
  private readonly dropouts: FaultProcess;
  private readonly artifacts: FaultProcess;
  private readonly ringT = new Float64Array(RING);
  private readonly ringS = new Float64Array(RING);
  private ringHead = 0;
  private ringSize = 0;

  constructor(
    private readonly patient: SimPatient,
    options: MonitorOptions,
  ) {
    if (!Number.isInteger(options.seed)) throw new TypeError(`seed must be an integer (got ${options.seed})`);
    const avgS = options.spo2AveragingS ?? DEFAULT_SPO2_AVERAGING_S;
    if (!(avgS >= 1 && avgS <= 60)) throw new TypeError(`spo2AveragingS must be between 1 and 60 s (got ${avgS})`);
    this.averagingMs = avgS * 1000;
    const enabled = options.noise?.enabled ?? true;
    const n = { ...DEFAULT_MONITOR_NOISE, ...options.noise };
    this.noise = enabled
      ? { spo2Pct: n.spo2Pct, mapMmHg: n.mapMmHg, sbpMmHg: n.sbpMmHg, hrBpm: n.hrBpm, pressureCmH2O: n.pressureCmH2O, tidalVolumePct: n.tidalVolumePct }
      : { spo2Pct: 0, mapMmHg: 0, sbpMmHg: 0, hrBpm: 0, pressureCmH2O: 0, tidalVolumePct: 0 };
    for (const [k, v] of Object.entries(this.noise)) {
      if (!(v >= 0 && Number.isFinite(v))) throw new TypeError(`noise.${k} must be a finite number >= 0 (got ${v})`);
    }
    this.noiseRng = new SeededRandom(options.seed, STREAM.monitorNoise);
    this.artifactRng = new SeededRandom(options.seed, STREAM.monitorArtifact);
    this.dropouts = new FaultProcess(options.dropouts, DEFAULT_DROPOUT.ratePerMin, DEFAULT_DROPOUT.meanDurationS, new SeededRandom(options.seed, STREAM.monitorDropout));
    this.artifacts = new FaultProcess(options.artifacts, DEFAULT_ARTIFACT.ratePerMin, DEFAULT_ARTIFACT.meanDurationS, this.artifactRng);
  }

  /** Vital signs at `nowMs` (the caller's clock, normally `patient.timeMs`). A missing field is a dropout. */
  vitals(nowMs: number): MonitorVitals {
    const sao2 = this.patient.gas().sao2Pct;
    this.pushSpo2(nowMs, sao2 + this.noise.spo2Pct * this.noiseRng.normal());
    const h = this.patient.hemodynamics();
    const mapNoise = this.noise.mapMmHg * this.noiseRng.normal();
    const sbpNoise = this.noise.sbpMmHg * this.noiseRng.normal();
    const hrNoise = this.noise.hrBpm * this.noiseRng.normal();
    this.dropouts.update(nowMs);
    this.artifacts.update(nowMs);
    const out: MonitorVitals = {};
    if (!this.dropouts.active('spo2', nowMs)) {
      out.spo2Pct = this.artifacts.active('spo2', nowMs) ? this.spo2Artifact() : Math.max(0, Math.min(100, Math.round(this.averagedSpo2(nowMs))));
    }
    if (!this.dropouts.active('arterial', nowMs)) {
      if (this.artifacts.active('arterial', nowMs)) {
        const flush = this.artifactRng.uniform() < 0.5;
        out.mapMmHg = flush ? 290 + 10 * this.artifactRng.uniform() : 2 * this.artifactRng.uniform();
        out.sbpMmHg = flush ? 300 : out.mapMmHg;
      } else {
        out.mapMmHg = round1(h.mapMmHg + mapNoise);
        out.sbpMmHg = round1(h.sbpMmHg + mapNoise + sbpNoise);
      }
    }
    if (!this.dropouts.active('ecg', nowMs)) {
      out.hrBpm = this.artifacts.active('ecg', nowMs) ? (this.artifactRng.uniform() < 0.5 ? 0 : 280 + this.artifactRng.int(40)) : Math.round(h.hrBpm + hrNoise);
    }
    return out;
  }

  /** Ventilator-measured breath values at `nowMs`. */
  ventilator(_nowMs: number): VentilatorReading {
    const b = this.patient.breath();
    const n = this.noise;
    const pcv = this.patient.mode === 'PCV';
    const peep = b.peepCmH2O + n.pressureCmH2O * this.noiseRng.normal();
    const plateau = b.plateauCmH2O + n.pressureCmH2O * this.noiseRng.normal();
    const peak = b.peakCmH2O + (pcv ? PCV_PEAK_OVERSHOOT_CMH2O : 0) + n.pressureCmH2O * this.noiseRng.normal();
    const vt = Math.max(0, b.tidalVolumeMl * (1 + (n.tidalVolumePct / 100) * this.noiseRng.normal()));
    const drive = plateau - peep;
    const compliance = b.tidalVolumeMl > 0 && drive > 0.5 ? vt / drive : b.staticComplianceMlPerCmH2O;
    return {
      peakCmH2O: round1(peak),
      plateauCmH2O: round1(plateau),
      peepCmH2O: round1(peep),
      tidalVolumeMl: Math.round(vt),
      complianceMlPerCmH2O: round1(compliance),
    };
  }

  private spo2Artifact(): number {
    // Motion or poor perfusion: a falsely low reading, or the probe reporting 0.
    return this.artifactRng.uniform() < 0.5 ? 0 : 40 + this.artifactRng.int(20);
  }

  private pushSpo2(nowMs: number, value: number): void {
    this.ringT[this.ringHead] = nowMs;
    this.ringS[this.ringHead] = value;
    this.ringHead = (this.ringHead + 1) % RING;
    if (this.ringSize < RING) this.ringSize++;
  }

  private averagedSpo2(nowMs: number): number {
    let sum = 0;
    let n = 0;
    for (let k = 1; k <= this.ringSize; k++) {
      const i = (this.ringHead - k + RING) % RING;
      const t = this.ringT[i] as number;
      if (t <= nowMs - this.averagingMs || t > nowMs) break;
      sum += this.ringS[i] as number;
      n++;
    }
    return n > 0 ? sum / n : (this.ringS[(this.ringHead - 1 + RING) % RING] as number);
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
