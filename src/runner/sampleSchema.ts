/** Samples are validated at the edge before they reach a machine. */
import { z } from 'zod';
import { SAMPLE_FIELDS, type MonitorSample } from '../../machines/index.js';
import { toProblems, describeProblem } from '../../common/validation.js';

const value = z.number();

export const MonitorSampleSchema = z
  .object({
    t: z.number().finite(),
    source: z.string().min(1).max(64),
    spo2Pct: value.optional(),
    mapMmHg: value.optional(),
    sbpMmHg: value.optional(),
    hrBpm: value.optional(),
    peakCmH2O: value.optional(),
    plateauCmH2O: value.optional(),
    peepCmH2O: value.optional(),
    tidalVolumeMl: value.optional(),
    complianceMlPerCmH2O: value.optional(),
    expiredVolumeMl: value.optional(),
    invalid: z.array(z.enum(SAMPLE_FIELDS)).max(SAMPLE_FIELDS.length).optional(),
  })
  .strict();

/** The sample if its shape is valid, else the problems (a rejected sample is never fresh). */
export function checkSampleShape(input: unknown): { sample: MonitorSample } | { problems: string } {
  const r = MonitorSampleSchema.safeParse(input);
  if (r.success) return { sample: r.data as MonitorSample };
  return { problems: toProblems(r.error, input).map(describeProblem).join('; ') };
}
