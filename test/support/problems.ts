/** Validation problems as the CLI prints them ("field = value: message"), for assertions. */
import type { z } from 'zod';
import { parseOrThrow, ValidationError } from '../../common/validation.js';
import { ProtocolSchema } from '../../machines/index.js';

/**
 * @example
 * problems({ maneuver: 'staircase', peakLimitCmH2O: 61 }); // ['peakLimitCmH2O = 61: must be between 30 and 60 cmH2O']
 */
export function problems(input: unknown, schema: z.ZodType = ProtocolSchema): string[] {
  try {
    parseOrThrow(schema, input, 'config');
  } catch (e) {
    if (e instanceof ValidationError) return e.problems.map((p) => `${p.field} = ${JSON.stringify(p.value)}: ${p.message}`);
    throw e;
  }
  return [];
}
