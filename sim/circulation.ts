/**
 * Circulation: Guyton venous return meeting a Starling heart, loaded by intrathoracic
 * pressure, with a baroreflex.
 *
 *   venous return  VR = (Pmsf - Pra) / Rvr,   Pra = Pra,tm + Ppl
 *   heart          CO = HR * SVmax,eff * (1 - exp(-Pra,tm / k)),  SVmax,eff = SVmax / (1 + b (PVRrel - 1))
 *   Pmsf           = Pmsf0 + a * Ppl + reflex venoconstriction   (a: abdominal transmission)
 *   MAP            = CO * SVR + Pra;  pulse pressure = SV / arterial compliance
 *
 * Ppl (mean pleural pressure) = mean lung volume above relaxation / chest-wall compliance.
 * A patient on the flat part of the Starling curve (high Pmsf, euvolaemic) keeps its cardiac
 * output until Ppl eats the preload reserve; a fluid-responsive one (low Pmsf) loses it at once.
 * Cardiac output follows its equilibrium with a few seconds' lag; the baroreflex moves heart
 * rate, systemic vascular resistance and venous tone towards the MAP at creation (set point).
 */
import type { PatientProfile } from './profile.js';

/** Baroreflex and transient constants (scaled by profile.circulation.baroreflexGain). */
export const CIRCULATION_DYNAMICS = {
  cardiacOutputTimeConstantS: 3,
  hrGainBpmPerMmHg: 1.0,
  hrTimeConstantS: 4,
  hrMaxRiseBpm: 60,
  hrMaxFallBpm: 25,
  svrGainPerMmHg: 0.015,
  svrTimeConstantS: 12,
  svrMaxRise: 0.6,
  svrMaxFall: 0.3,
  venousGainMmHgPerMmHg: 0.15,
  venousTimeConstantS: 25,
  venousMaxRiseMmHg: 5,
} as const;

/** Where venous return meets the heart: the transmural right atrial pressure (mmHg). */
export function equilibriumPraTmMmHg(fillingGradientMmHg: number, rvr: number, hrBpm: number, svMaxMl: number, k: number, guessMmHg = k): number {
  if (fillingGradientMmHg <= 0 || svMaxMl <= 0) return 0;
  const c = (hrBpm * svMaxMl) / 1000;
  let lo = 0;
  let hi = fillingGradientMmHg;
  let x = guessMmHg > 0 && guessMmHg < hi ? guessMmHg : Math.min(hi, k) * 0.5;
  for (let it = 0; it < 50; it++) {
    const e = Math.exp(-x / k);
    const f = (fillingGradientMmHg - x) / rvr - c * (1 - e);
    if (Math.abs(f) < 1e-10) break;
    if (f > 0) lo = x;
    else hi = x;
    const df = -1 / rvr - (c / k) * e;
    let next = x - f / df;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (hi - lo < 1e-9) break;
    x = next;
  }
  return x;
}

/**
 * Circulation state of one patient.
 *
 * @example
 * const circ = new Circulation(profile);
 * circ.initialise(pplMmHg, 1);
 * circ.step(1, pplMmHg, relativePvr);
 */
export class Circulation {
  private readonly c: PatientProfile['circulation'];
  private readonly gain: number;
  private coLMin = 0;
  private praMmHg = 0;
  private hrReflexBpm = 0;
  private svrReflex = 0;
  private venousReflexMmHg = 0;
  private svr0 = 0;
  private setPointMmHg = 0;
  private lastDtS = -1;
  private fCo = 0;
  private fHr = 0;
  private fSvr = 0;
  private fVen = 0;

  constructor(profile: PatientProfile) {
    this.c = profile.circulation;
    this.gain = profile.circulation.baroreflexGain;
  }

  private eqCoLMin = 0;
  private eqPraTmMmHg = 0;

  /** Sets eqCoLMin / eqPraTmMmHg: the equilibrium for the current reflex state. */
  private target(pplMmHg: number, relativePvr: number): void {
    const c = this.c;
    const pmsf = c.meanSystemicFillingPressureMmHg + c.abdominalTransmissionFraction * Math.max(0, pplMmHg) + this.venousReflexMmHg;
    const svMax = c.strokeVolumeMaxMl / (1 + c.rvAfterloadSensitivity * Math.max(0, relativePvr - 1));
    const gradient = pmsf - pplMmHg;
    const rvr = c.venousReturnResistanceMmHgMinPerL;
    const x = equilibriumPraTmMmHg(gradient, rvr, this.hrBpm, svMax, c.preloadScaleMmHg, this.eqPraTmMmHg);
    this.eqPraTmMmHg = x;
    this.eqCoLMin = Math.max(0, (gradient - x) / rvr);
  }

  /** Steady state at creation: no reflex activity; SVR chosen so that MAP equals the profile's. */
  initialise(pplMmHg: number, relativePvr: number): void {
    this.hrReflexBpm = 0;
    this.svrReflex = 0;
    this.venousReflexMmHg = 0;
    this.target(pplMmHg, relativePvr);
    this.coLMin = this.eqCoLMin;
    this.praMmHg = this.eqPraTmMmHg + pplMmHg;
    this.setPointMmHg = this.c.mapMmHg;
    this.svr0 = Math.max(1, this.c.mapMmHg - this.praMmHg) / Math.max(0.5, this.coLMin);
  }

  /** Integrates `dtS` seconds (exact exponential relaxation; stable for any step). */
  step(dtS: number, pplMmHg: number, relativePvr: number): void {
    const d = CIRCULATION_DYNAMICS;
    if (dtS !== this.lastDtS) {
      this.lastDtS = dtS;
      this.fCo = 1 - Math.exp(-dtS / d.cardiacOutputTimeConstantS);
      this.fHr = 1 - Math.exp(-dtS / d.hrTimeConstantS);
      this.fSvr = 1 - Math.exp(-dtS / d.svrTimeConstantS);
      this.fVen = 1 - Math.exp(-dtS / d.venousTimeConstantS);
    }
    const err = this.setPointMmHg - this.mapMmHg;
    const g = this.gain;
    const hrT = clamp(g * d.hrGainBpmPerMmHg * err, -d.hrMaxFallBpm, d.hrMaxRiseBpm);
    const svrT = clamp(g * d.svrGainPerMmHg * err, -d.svrMaxFall, d.svrMaxRise);
    const venT = clamp(g * d.venousGainMmHgPerMmHg * err, -d.venousMaxRiseMmHg, d.venousMaxRiseMmHg);
    this.hrReflexBpm += (hrT - this.hrReflexBpm) * this.fHr;
    this.svrReflex += (svrT - this.svrReflex) * this.fSvr;
    this.venousReflexMmHg += (venT - this.venousReflexMmHg) * this.fVen;
    this.target(pplMmHg, relativePvr);
    this.coLMin += (this.eqCoLMin - this.coLMin) * this.fCo;
    this.praMmHg = this.eqPraTmMmHg + pplMmHg;
  }

  get hrBpm(): number {
    return clamp(this.c.heartRateBpm + this.hrReflexBpm, 30, 200);
  }
  get cardiacOutputLMin(): number {
    return this.coLMin;
  }
  get strokeVolumeMl(): number {
    return (this.coLMin * 1000) / this.hrBpm;
  }
  get cvpMmHg(): number {
    return this.praMmHg;
  }
  get mapMmHg(): number {
    return this.coLMin * this.svr0 * (1 + this.svrReflex) + this.praMmHg;
  }
  get pulsePressureMmHg(): number {
    return this.strokeVolumeMl / this.c.arterialComplianceMlPerMmHg;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
