/**
 * The simulated patient: lung units, breath mechanics, gas exchange and circulation,
 * integrated in virtual time. Pure and deterministic for a seed: the same seed and the same
 * calls give the same trajectory.
 */
import { ALVEOLAR_CO2_CONSTANT, CMH2O_PER_MMHG, CO2_STORE_ML_PER_MMHG, FIO2_WASH_IN_S, MAX_STEP_MS } from './constants.js';
import { computeBreath, emptyBreath, type BreathState } from './breath.js';
import { Circulation } from './circulation.js';
import { buildLungUnits, type LungUnits } from './lungUnits.js';
import type { PvCurve } from './mechanics.js';
import { alveolarPo2MmHg, arterialPo2WithLowVqMmHg, severinghausSaturation } from './oxygen.js';
import { computePerfusion, emptyPerfusion, type PerfusionState } from './perfusion.js';
import { compressLung, pneumothoraxOccurs, PNEUMOTHORAX_TENSION_TIME_CONSTANT_S } from './pneumothorax.js';
import { parseProfile, type PatientProfile } from './profile.js';
import { SeededRandom, STREAM } from './random.js';
import { releaseBreath, type ReleaseBreath } from './recruitability.js';
import { settleRecruitment, stepRecruitment } from './recruitment.js';
import { parseSettings } from './settings.js';
import type { BreathOutput, GasExchange, Hemodynamics, PatientEvent, PatientOptions, SimSettings } from './types.js';

/** Iterations allowed to find the steady state for the initial settings. */
const SETTLE_ITERATIONS = 60;

/**
 * A virtual patient on a ventilator.
 *
 * @example
 * const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], {
 *   seed: 1,
 *   settings: { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 },
 * });
 * patient.setSettings({ mode: 'PCV', peepCmH2O: 20, peakCmH2O: 35, rateBpm: 20, fio2: 0.6 });
 * for (let s = 0; s < 120; s++) patient.advance(1000);
 * patient.gas().pfRatio;
 */
export class SimPatient {
  readonly profile: PatientProfile;
  private readonly units: LungUnits;
  private readonly curve: PvCurve;
  private readonly b: BreathState = emptyBreath();
  private readonly perf: PerfusionState = emptyPerfusion();
  private readonly circ: Circulation;
  private readonly ptxRng: SeededRandom;
  private readonly eventLog: PatientEvent[] = [];
  private current: SimSettings;
  private t = 0;
  private dirty = true;
  private paco2MmHg = 40;
  private fio2Alveolar: number;
  private ptxActive = false;
  private ptxTensionMmHg = 0;
  private gasCache: Readonly<GasExchange> | null = null;

  constructor(profile: PatientProfile, options: PatientOptions) {
    this.profile = parseProfile(profile);
    if (!Number.isInteger(options.seed)) throw new TypeError(`seed must be an integer (got ${options.seed})`);
    this.current = parseSettings(options.settings);
    this.units = buildLungUnits(this.profile, options.seed);
    this.ptxRng = new SeededRandom(options.seed, STREAM.pneumothorax);
    let patent = 0;
    for (let l = 0; l < this.units.patentCount.length; l++) patent += this.units.patentCount[l] as number;
    const lung = this.profile.lung;
    this.curve = {
      unitComplianceMlPerCmH2O: lung.openLungComplianceMlPerCmH2O / Math.max(1, patent),
      overdistentionOnsetCmH2O: lung.overdistentionOnsetCmH2O,
      overdistentionScaleCmH2O: lung.overdistentionScaleCmH2O,
    };
    for (let it = 0; it < SETTLE_ITERATIONS; it++) {
      this.refresh();
      if (settleRecruitment(this.units, this.b.inspAlveolarCmH2O, this.b.expAlveolarCmH2O, this.b.inspFraction) === 0) break;
      this.dirty = true;
    }
    this.refresh();
    this.fio2Alveolar = this.current.fio2;
    const va = this.alveolarVentilationLMin();
    if (va > 0) this.paco2MmHg = Math.min(150, (ALVEOLAR_CO2_CONSTANT * this.vco2MlMin()) / va);
    this.circ = new Circulation(this.profile);
    this.circ.initialise(this.pleuralMmHg(), this.perf.relativePvr);
  }

  /** Simulated time since creation. */
  get timeMs(): number {
    return this.t;
  }

  /** The ventilator applies new settings now (validated; throws ValidationError). */
  setSettings(s: SimSettings): void {
    this.current = parseSettings(s);
    this.dirty = true;
    this.gasCache = null;
  }

  settings(): SimSettings {
    return { ...this.current };
  }

  /** The current ventilation mode (no copy of the settings). */
  get mode(): SimSettings['mode'] {
    return this.current.mode;
  }

  /** Integrates physiology by `dtMs` of virtual time, in steps of at most 1 s. */
  advance(dtMs: number): void {
    if (!(dtMs >= 0) || !Number.isFinite(dtMs)) throw new RangeError(`advance needs a finite dtMs >= 0 (got ${dtMs})`);
    let left = dtMs;
    while (left > 0) {
      const step = left > MAX_STEP_MS ? MAX_STEP_MS : left;
      this.stepOnce(step / 1000);
      left -= step;
      this.t += step;
    }
    this.gasCache = null;
  }

  breath(): BreathOutput {
    this.refresh();
    const b = this.b;
    let open = 0;
    let patent = 0;
    for (let l = 0; l < this.units.openCount.length; l++) {
      open += this.units.openCount[l] as number;
      patent += this.units.patentCount[l] as number;
    }
    return {
      tidalVolumeMl: b.tidalVolumeMl,
      peakCmH2O: b.peakCmH2O,
      plateauCmH2O: b.plateauCmH2O,
      peepCmH2O: b.peepCmH2O,
      meanAirwayPressureCmH2O: b.meanAirwayPressureCmH2O,
      staticComplianceMlPerCmH2O: b.staticComplianceMlPerCmH2O,
      dynamicComplianceMlPerCmH2O: b.dynamicComplianceMlPerCmH2O,
      recruitedFraction: patent > 0 ? open / patent : 0,
    };
  }

  gas(): GasExchange {
    if (this.gasCache) return this.gasCache;
    this.refresh();
    const g = this.profile.gas;
    const shunt = g.fixedShuntFraction + (1 - g.fixedShuntFraction) * this.perf.unitShuntFraction;
    const pAO2 = Math.max(0, alveolarPo2MmHg(this.fio2Alveolar, this.paco2MmHg, g.respiratoryQuotient, g.barometricPressureMmHg));
    const co = Math.max(0.5, this.circ.cardiacOutputLMin);
    const avDiff = Math.min(12, g.oxygenConsumptionMlPerMin / (co * 10));
    const pIO2 = this.fio2Alveolar * (g.barometricPressureMmHg - 47);
    const pao2 = arterialPo2WithLowVqMmHg(shunt, g.lowVqPerfusionFraction, g.lowVqRatio, pAO2, pIO2, g.hemoglobinGPerDl, avDiff);
    this.gasCache = Object.freeze({
      shuntFraction: shunt,
      pao2MmHg: pao2,
      sao2Pct: 100 * severinghausSaturation(pao2),
      paco2MmHg: this.paco2MmHg,
      pfRatio: pao2 / this.current.fio2,
      deadSpaceFraction: this.deadSpaceFraction(),
    });
    return this.gasCache;
  }

  hemodynamics(): Hemodynamics {
    const c = this.circ;
    const map = c.mapMmHg;
    const pp = c.pulsePressureMmHg;
    return {
      mapMmHg: map,
      sbpMmHg: map + (2 * pp) / 3,
      dbpMmHg: map - pp / 3,
      hrBpm: c.hrBpm,
      cardiacOutputLMin: c.cardiacOutputLMin,
      strokeVolumeMl: c.strokeVolumeMl,
      cvpMmHg: c.cvpMmHg,
    };
  }

  /**
   * What a one-breath drop of PEEP to `lowPeepCmH2O` would expire and measure now (the R/I test,
   * sim/recruitability.ts). The lung is not changed; in volume control the set Vt is used, in
   * PCV the present breath's.
   */
  releaseBreath(lowPeepCmH2O: number): ReleaseBreath {
    this.refresh();
    const s = this.current;
    const vt = s.mode === 'VC' ? (s.tidalVolumeMl ?? this.b.tidalVolumeMl) : this.b.tidalVolumeMl;
    return releaseBreath(this.units, this.curve, s.peepCmH2O, lowPeepCmH2O, vt, s.mode === 'VC' ? s.peakCmH2O : Math.max(s.peakCmH2O, s.peepCmH2O + 40));
  }

  events(): readonly PatientEvent[] {
    return this.eventLog.slice();
  }

  private stepOnce(dtS: number): void {
    this.refresh();
    const b = this.b;
    if (stepRecruitment(this.units, b.inspAlveolarCmH2O, b.expAlveolarCmH2O, b.inspFraction, dtS) > 0) {
      this.dirty = true;
      this.refresh();
    }
    this.stepPneumothorax(dtS);
    this.stepCo2(dtS);
    this.fio2Alveolar += (this.current.fio2 - this.fio2Alveolar) * (1 - Math.exp(-dtS / FIO2_WASH_IN_S));
    this.circ.step(dtS, this.pleuralMmHg(), this.perf.relativePvr);
  }

  private stepPneumothorax(dtS: number): void {
    const risk = this.profile.risks.pneumothorax;
    if (!risk.enabled) return;
    if (!this.ptxActive && pneumothoraxOccurs(this.profile, this.b.inspAlveolarCmH2O, dtS, this.ptxRng)) {
      this.ptxActive = true;
      const n = compressLung(this.units, risk.collapseFraction, this.ptxRng);
      this.eventLog.push({
        tMs: this.t,
        kind: 'pneumothorax',
        detail: `at an alveolar pressure of ${this.b.inspAlveolarCmH2O.toFixed(1)} cmH2O; ${n} units compressed`,
      });
      this.dirty = true;
      this.refresh();
    }
    if (this.ptxActive) {
      this.ptxTensionMmHg += (risk.tensionMmHg - this.ptxTensionMmHg) * (1 - Math.exp(-dtS / PNEUMOTHORAX_TENSION_TIME_CONSTANT_S));
    }
  }

  private stepCo2(dtS: number): void {
    const va = this.alveolarVentilationLMin();
    const vco2 = this.vco2MlMin();
    if (va > 1e-6) {
      const target = (ALVEOLAR_CO2_CONSTANT * vco2) / va;
      const ratePerMin = va / (ALVEOLAR_CO2_CONSTANT * CO2_STORE_ML_PER_MMHG);
      this.paco2MmHg = target + (this.paco2MmHg - target) * Math.exp((-ratePerMin * dtS) / 60);
    } else {
      this.paco2MmHg += (vco2 / CO2_STORE_ML_PER_MMHG) * (dtS / 60);
    }
    if (this.paco2MmHg > 150) this.paco2MmHg = 150;
  }

  private refresh(): void {
    if (!this.dirty) return;
    const lung = this.profile.lung;
    computeBreath(this.current, this.units.openCount, this.units.spCmH2O, this.curve, lung.airwayResistanceCmH2OPerLPerS, this.b);
    computePerfusion(this.units, this.b.meanAlveolarCmH2O, this.b.peepCmH2O, this.b.plateauCmH2O, this.curve, this.profile.gas, this.perf);
    this.dirty = false;
  }

  private vco2MlMin(): number {
    return this.profile.gas.oxygenConsumptionMlPerMin * this.profile.gas.respiratoryQuotient;
  }

  private deadSpaceFraction(): number {
    const vt = this.b.tidalVolumeMl;
    if (vt <= 0) return 1;
    const g = this.profile.gas;
    const alveolar = Math.max(0, vt - g.anatomicDeadSpaceMl);
    const wastedFraction = g.alveolarDeadSpaceFraction + (1 - g.alveolarDeadSpaceFraction) * this.perf.distentionDeadSpaceFraction;
    return Math.min(1, (g.anatomicDeadSpaceMl + alveolar * wastedFraction) / vt);
  }

  private alveolarVentilationLMin(): number {
    const vt = this.b.tidalVolumeMl;
    if (vt <= 0 || this.current.mode === 'CPAP') return 0;
    return (vt * (1 - this.deadSpaceFraction()) * this.current.rateBpm) / 1000;
  }

  /** Mean pleural pressure (mmHg above its value at relaxation volume), tension included. */
  private pleuralMmHg(): number {
    return this.b.meanLungVolumeMl / this.profile.lung.chestWallComplianceMlPerCmH2O / CMH2O_PER_MMHG + this.ptxTensionMmHg;
  }
}
