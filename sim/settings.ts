/**
 * Validation of the settings the ventilator applies to the simulated patient.
 */
import { z } from 'zod';
import { bounded, parseOrThrow } from '../common/validation.js';
import type { SimSettings } from './types.js';

/**
 * What the simulator accepts (wider than what the controller may command).
 *
 * @example
 * SimSettingsSchema.safeParse({ mode: 'CPAP', peepCmH2O: 40, peakCmH2O: 40, rateBpm: 0, fio2: 1 }).success; // true
 */
export const SimSettingsSchema = z
  .object({
    mode: z.enum(['CPAP', 'PCV', 'VC']),
    peepCmH2O: bounded(0, 50, 'cmH2O'),
    peakCmH2O: bounded(0, 80, 'cmH2O'),
    rateBpm: bounded(0, 60, '/min'),
    fio2: bounded(0.21, 1),
    tidalVolumeMl: bounded(20, 2000, 'mL').optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.mode !== 'CPAP' && s.peakCmH2O < s.peepCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['peakCmH2O'], message: `must not be below peepCmH2O (${s.peepCmH2O} cmH2O)` });
    }
    if (s.mode !== 'CPAP' && s.rateBpm < 1) {
      ctx.addIssue({ code: 'custom', path: ['rateBpm'], message: `must be at least 1 /min in ${s.mode}` });
    }
    if (s.mode === 'VC' && s.tidalVolumeMl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tidalVolumeMl'], message: 'is required in VC mode (20-2000 mL)' });
    }
  });

/**
 * Validates settings; throws `ValidationError` naming field, value and allowed range.
 *
 * @example
 * parseSettings({ mode: 'PCV', peepCmH2O: 20, peakCmH2O: 35, rateBpm: 20, fio2: 0.6 });
 */
export function parseSettings(input: unknown): SimSettings {
  const s = parseOrThrow(SimSettingsSchema, input, 'simulator settings');
  const out: SimSettings = { mode: s.mode, peepCmH2O: s.peepCmH2O, peakCmH2O: s.mode === 'CPAP' ? s.peepCmH2O : s.peakCmH2O, rateBpm: s.rateBpm, fio2: s.fio2 };
  if (s.tidalVolumeMl !== undefined) out.tidalVolumeMl = s.tidalVolumeMl;
  return out;
}
