/**
 * The patient profile: every patient-specific parameter of the model, validated with zod.
 * Bad input fails with the field, the value and the allowed range (common/validation.ts).
 * Sources for the numbers: docs/simulator.md.
 */
import { z } from 'zod';
import { bounded, parseOrThrow } from '../common/validation.js';

const fraction = (): z.ZodNumber => bounded(0, 1, '(fraction)');

/** Lung mechanics and recruitment (Hickling 1998 layers, Bates & Irvin 2002 time dependence). */
export const LungProfileSchema = z
  .object({
    /** Superimposed (gravitational) pressure at the dependent base; zero at the top. */
    superimposedPressureMaxCmH2O: bounded(0, 25, 'cmH2O'),
    /** Respiratory-system compliance if every non-consolidated unit were open, in its linear range. */
    openLungComplianceMlPerCmH2O: bounded(10, 300, 'mL/cmH2O'),
    /** Transmural pressure above which a unit's compliance falls (overdistention). */
    overdistentionOnsetCmH2O: bounded(5, 50, 'cmH2O'),
    /** Scale of the exponential compliance fall above the onset. */
    overdistentionScaleCmH2O: bounded(2, 50, 'cmH2O'),
    /** Fraction of units that are collapsible and recruitable. */
    recruitableFraction: bounded(0, 0.8, '(fraction)'),
    /** Fraction of units that are consolidated and never open. */
    nonRecruitableFraction: bounded(0, 0.8, '(fraction)'),
    /** How strongly recruitable (collapsed) units concentrate in dependent layers (0: uniform). */
    dependentCollapseExponent: bounded(0, 8),
    /** How strongly consolidated units concentrate in dependent layers (0: uniform). */
    consolidationGravityExponent: bounded(0, 8).default(1),
    /** Tissue opening pressure of recruitable units (added to the layer's superimposed pressure). */
    openingPressureMeanCmH2O: bounded(0, 60, 'cmH2O'),
    openingPressureSdCmH2O: bounded(0, 20, 'cmH2O'),
    /** Tissue closing pressure of recruitable units (added to the layer's superimposed pressure). */
    closingPressureMeanCmH2O: bounded(-10, 40, 'cmH2O'),
    closingPressureSdCmH2O: bounded(0, 15, 'cmH2O'),
    /**
     * Between-patient spread (sd, cmH2O) of the recruitable units' tissue closing pressure: the
     * profile is a kind of patient, the seed picks one whose recruitable lung closes this much
     * higher or lower (normal, truncated at 2 sd). de Matos 2012: the PEEP keeping a recruited
     * lung open differs between patients with sd ~3 (24.6 +/- 2.9). 0: every seed the same lung.
     */
    patientClosingPressureSdCmH2O: bounded(0, 8, 'cmH2O').default(0),
    /** The same for the tissue opening pressure (de Matos 2012: opening pressure 59.6 +/- 5.9 cmH2O). */
    patientOpeningPressureSdCmH2O: bounded(0, 8, 'cmH2O').default(0),
    /**
     * Share of the recruitable units that open and close at lower pressures than the rest (a
     * second population, placed less dependently): Crotti 2001 found opening pressures spread
     * over 0-50 cmH2O (mode ~20) and closing pressures mostly 0-25, so part of the recruitable
     * lung opens below ~25 and closes between ~5 and 15 cmH2O. It is what the one-breath
     * release (R/I, Chen 2020) between PEEP 15 and 5 measures. 0: one population (the default).
     */
    lowPressureRecruitableShare: fraction().default(0),
    /** Tissue opening pressure of the low-pressure recruitable units: mean and sd. */
    lowPressureOpeningMeanCmH2O: bounded(0, 60, 'cmH2O').default(15),
    lowPressureOpeningSdCmH2O: bounded(0, 20, 'cmH2O').default(3),
    /** Tissue closing pressure mean of the low-pressure recruitable units (sd: closingPressureSdCmH2O). */
    lowPressureClosingMeanCmH2O: bounded(-10, 40, 'cmH2O').default(5),
    /** Placement of the low-pressure recruitable units, as dependentCollapseExponent (0: uniform). */
    lowPressureCollapseExponent: bounded(0, 8).default(1),
    /** Rank correlation between a unit's opening and closing pressure. */
    openClosePressureCorrelation: bounded(0, 0.99).default(0.6),
    /** Median opening speed s_o of the virtual trajectory (per cmH2O above opening pressure, per s). */
    openingRatePerCmH2OPerS: bounded(0.0005, 1, '/cmH2O/s'),
    /** Median closing speed s_c (per cmH2O below closing pressure, per s). */
    closingRatePerCmH2OPerS: bounded(0.00001, 0.1, '/cmH2O/s'),
    /** Log-normal spread (sd of ln) of the unit speeds. */
    rateSpreadLn: bounded(0, 1.5).default(0.5),
    airwayResistanceCmH2OPerLPerS: bounded(2, 50, 'cmH2O/L/s'),
    /** Chest-wall compliance: lung volume above relaxation raises pleural pressure by V / Ccw. */
    chestWallComplianceMlPerCmH2O: bounded(30, 400, 'mL/cmH2O'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.recruitableFraction + v.nonRecruitableFraction > 0.95) {
      ctx.addIssue({
        code: 'custom',
        path: ['recruitableFraction'],
        message: `recruitableFraction + nonRecruitableFraction must not exceed 0.95 (nonRecruitableFraction is ${v.nonRecruitableFraction})`,
      });
    }
    if (v.lowPressureClosingMeanCmH2O >= v.lowPressureOpeningMeanCmH2O) {
      ctx.addIssue({
        code: 'custom',
        path: ['lowPressureClosingMeanCmH2O'],
        message: `must be below lowPressureOpeningMeanCmH2O (${v.lowPressureOpeningMeanCmH2O} cmH2O)`,
      });
    }
    if (v.closingPressureMeanCmH2O >= v.openingPressureMeanCmH2O) {
      ctx.addIssue({
        code: 'custom',
        path: ['closingPressureMeanCmH2O'],
        message: `must be below openingPressureMeanCmH2O (${v.openingPressureMeanCmH2O} cmH2O)`,
      });
    }
  });

/** Gas exchange. */
export const GasProfileSchema = z
  .object({
    hemoglobinGPerDl: bounded(4, 20, 'g/dL'),
    oxygenConsumptionMlPerMin: bounded(80, 600, 'mL/min'),
    respiratoryQuotient: bounded(0.6, 1.1).default(0.8),
    /** Shunt that no recruitment removes (intracardiac, bronchial, consolidation outside the model). */
    fixedShuntFraction: bounded(0, 0.6, '(fraction)'),
    /**
     * Share of the perfusion of ventilated lung that passes low-V/Q units (V/Q `lowVqRatio`):
     * ARDS hypoxaemia is shunt plus low-V/Q units (Dantzker 1979, MIGET), which is why it
     * responds to FiO2 (Karbing 2007). The magnitude is a calibration choice (unverified). 0: none.
     */
    lowVqPerfusionFraction: bounded(0, 0.5, '(fraction)').default(0),
    /** V/Q ratio of those units (MIGET's low-V/Q range is 0.005-0.1). */
    lowVqRatio: bounded(0.005, 1).default(0.1),
    /** Perfusion a collapsed unit keeps relative to an open one (hypoxic pulmonary vasoconstriction). */
    collapsedPerfusionRatio: bounded(0.05, 1, '(fraction)'),
    /** Perfusion of the most dependent layer relative to the top layer. */
    dependentPerfusionRatio: bounded(1, 4),
    anatomicDeadSpaceMl: bounded(30, 400, 'mL'),
    /** Alveolar dead space at normal pressures, fraction of alveolar tidal volume. */
    alveolarDeadSpaceFraction: bounded(0, 0.7, '(fraction)'),
    /** Mean transmural alveolar pressure above which alveolar capillaries are compressed. */
    capillaryCompressionOnsetCmH2O: bounded(5, 50, 'cmH2O'),
    /** Pressure over which capillary resistance doubles above the onset. */
    capillaryCompressionScaleCmH2O: bounded(1, 50, 'cmH2O'),
    barometricPressureMmHg: bounded(400, 800, 'mmHg').default(760),
  })
  .strict();

/** Circulation: Guyton venous return, Starling heart, baroreflex. */
export const CirculationProfileSchema = z
  .object({
    /** Mean systemic filling pressure: the volume status (low = hypovolaemic). */
    meanSystemicFillingPressureMmHg: bounded(5, 40, 'mmHg'),
    venousReturnResistanceMmHgMinPerL: bounded(0.5, 6, 'mmHg min/L'),
    /** Plateau of the Starling curve. */
    strokeVolumeMaxMl: bounded(20, 200, 'mL'),
    /** Starling curve: SV = SVmax (1 - exp(-Pra_transmural / scale)). */
    preloadScaleMmHg: bounded(1, 15, 'mmHg'),
    /** Fraction of the pleural pressure rise passed on to the mean systemic filling pressure (abdomen). */
    abdominalTransmissionFraction: fraction(),
    /** How much capillary compression (pulmonary vascular resistance) lowers right-ventricular output. */
    rvAfterloadSensitivity: bounded(0, 5),
    /** Heart rate at the initial settings. */
    heartRateBpm: bounded(40, 150, '/min'),
    /** Mean arterial pressure at the initial settings (the baroreflex set point). */
    mapMmHg: bounded(50, 130, 'mmHg'),
    arterialComplianceMlPerMmHg: bounded(0.3, 4, 'mL/mmHg'),
    /** Multiplies the default baroreflex gains (0: no reflex). */
    baroreflexGain: bounded(0, 3).default(1),
  })
  .strict();

/** Optional complications. */
export const RiskProfileSchema = z
  .object({
    pneumothorax: z
      .object({
        enabled: z.boolean().default(false),
        /** Hazard per minute at a plateau of 40 cmH2O; it rises e-fold per 5 cmH2O and is zero below 30. */
        hazardPerMinAt40CmH2O: bounded(0, 1, '/min').default(0.001),
        /** Fraction of units the pneumothorax compresses. */
        collapseFraction: bounded(0.05, 0.8, '(fraction)').default(0.3),
        /** Extra pleural pressure of the (tension) pneumothorax once established. */
        tensionMmHg: bounded(0, 30, 'mmHg').default(10),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * A simulated patient. Stored as JSON in sim/profiles/, validated with this schema.
 *
 * @example
 * const profile = PatientProfileSchema.parse(JSON.parse(text));
 */
export const PatientProfileSchema = z
  .object({
    name: z
      .string({ error: 'must be a string' })
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'must be 1-64 lower-case letters, digits or dashes' }),
    description: z.string({ error: 'must be a string' }).max(500, { error: 'must be at most 500 characters' }).default(''),
    predictedBodyWeightKg: bounded(20, 150, 'kg'),
    /** Height and sex: the maneuver's patient size (PBW by the ARDSnet formula must match predictedBodyWeightKg within 1 kg). */
    heightCm: bounded(130, 230, 'cm').optional(),
    sex: z.enum(['male', 'female'], { error: 'must be male or female' }).optional(),
    lung: LungProfileSchema,
    gas: GasProfileSchema,
    circulation: CirculationProfileSchema,
    risks: RiskProfileSchema.prefault({}),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.heightCm === undefined) !== (v.sex === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.heightCm === undefined ? 'heightCm' : 'sex'], message: 'heightCm and sex must be given together' });
      return;
    }
    if (v.heightCm !== undefined && v.sex !== undefined) {
      const pbw = pbwOf(v.heightCm, v.sex);
      if (Math.abs(pbw - v.predictedBodyWeightKg) > 1) {
        ctx.addIssue({ code: 'custom', path: ['predictedBodyWeightKg'], message: `must match heightCm and sex (ARDSnet PBW ${pbw.toFixed(1)} kg) within 1 kg` });
      }
    }
  });

/** ARDSnet predicted body weight (the same formula as machines/patient.ts; sim imports nothing from machines). */
function pbwOf(heightCm: number, sex: 'male' | 'female'): number {
  return (sex === 'male' ? 50 : 45.5) + 0.91 * (heightCm - 152.4);
}

/**
 * The patient size a maneuver on this profile is given: its height and sex, or (when the
 * profile has none) the male height whose PBW is predictedBodyWeightKg.
 *
 * @example
 * profilePatientSize(BUILTIN_PROFILES['moderate-ards']); // { heightCm: 174.4, sex: 'male' }
 */
export function profilePatientSize(p: PatientProfile): { heightCm: number; sex: 'male' | 'female' } {
  if (p.heightCm !== undefined && p.sex !== undefined) return { heightCm: p.heightCm, sex: p.sex };
  return { heightCm: Math.round((152.4 + (p.predictedBodyWeightKg - 50) / 0.91) * 10) / 10, sex: 'male' };
}

/** A validated profile (defaults filled in). */
export type PatientProfile = z.output<typeof PatientProfileSchema>;
/** What a profile file may contain (fields with defaults may be omitted). */
export type PatientProfileInput = z.input<typeof PatientProfileSchema>;

/**
 * Validates a profile. Throws `ValidationError` naming every bad field, its value and the
 * allowed range; unknown fields are rejected.
 *
 * @example
 * const p = parseProfile(JSON.parse(fs.readFileSync('my-patient.json', 'utf8')));
 */
export function parseProfile(input: unknown): PatientProfile {
  return parseOrThrow(PatientProfileSchema, input, 'patient profile');
}
