/**
 * Patient size: predicted body weight (ARDSnet 2000) from height and sex. Tidal volumes are
 * limited and shown in mL/kg PBW.
 */
import { z } from 'zod';
import { bounded } from '../common/validation.js';

export const SEXES = ['male', 'female'] as const;
export type Sex = (typeof SEXES)[number];

/** Height and sex: an input of every maneuver (profile on the simulator, flags on a device). */
export const PatientSizeSchema = z
  .object({
    heightCm: bounded(130, 230, 'cm'),
    sex: z.enum(SEXES, { error: 'must be male or female' }),
  })
  .strict();
export type PatientSize = z.output<typeof PatientSizeSchema>;

/**
 * Predicted body weight, ARDSnet: male 50 + 0.91 (height - 152.4); female 45.5 + 0.91 (height - 152.4).
 * Rounded to 0.1 kg.
 *
 * @example
 * predictedBodyWeightKg({ heightCm: 174.4, sex: 'male' }); // 70
 */
export function predictedBodyWeightKg(size: PatientSize): number {
  const base = size.sex === 'male' ? 50 : 45.5;
  return Math.round((base + 0.91 * (size.heightCm - 152.4)) * 10) / 10;
}

/** The height that gives `pbwKg` for `sex` (inverse of the ARDSnet formula), rounded to 0.1 cm. */
export function heightForPbw(pbwKg: number, sex: Sex): number {
  const base = sex === 'male' ? 50 : 45.5;
  return Math.round((152.4 + (pbwKg - base) / 0.91) * 10) / 10;
}
