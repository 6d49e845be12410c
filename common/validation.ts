/**
 * Validation at the edge: zod schemas with bounds that name their range, and errors that
 * name the field, the value and what is allowed. Shared by machines/, sim/, hal/ and src/
 * (pure; depends on zod only).
 */
import { z } from 'zod';

/**
 * A number bounded to [min, max] whose error message states the whole allowed range and the unit.
 *
 * @example
 * const peep = bounded(0, 50, 'cmH2O'); // "must be between 0 and 50 cmH2O"
 */
export function bounded(min: number, max: number, unit = ''): z.ZodNumber {
  const range = `must be between ${min} and ${max}${unit ? ` ${unit}` : ''}`;
  return z
    .number({ error: `must be a number (${range})` })
    .min(min, { error: range })
    .max(max, { error: range });
}

/** An integer bounded to [min, max], with the range in its message. */
export function boundedInt(min: number, max: number, unit = ''): z.ZodNumber {
  const range = `must be a whole number between ${min} and ${max}${unit ? ` ${unit}` : ''}`;
  return z
    .number({ error: `must be a number (${range})` })
    .int({ error: range })
    .min(min, { error: range })
    .max(max, { error: range });
}

/** One problem found in an input: where, what was there, and what is allowed. */
export interface FieldProblem {
  field: string;
  value: unknown;
  message: string;
}

/** Thrown when an input fails validation. `problems` lists every field at fault. */
export class ValidationError extends Error {
  readonly validation = true as const;
  constructor(
    readonly what: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(`invalid ${what}:\n${problems.map((p) => `  - ${describeProblem(p)}`).join('\n')}`);
    this.name = 'ValidationError';
  }
}

export function describeProblem(p: FieldProblem): string {
  const value = p.value === undefined ? 'missing' : safeJson(p.value);
  return `${p.field || '(root)'} = ${value}: ${p.message}`;
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join('');
}

/** Turns zod issues into problems that name field, value and allowed range. */
export function toProblems(error: z.ZodError, input: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({ field: fieldName(path), value: valueAt(input, path), message: 'unknown field (not allowed)' });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
      message = `${issue.discriminator ? `unknown ${issue.discriminator}` : 'matches no allowed shape'}`;
    }
    problems.push({ field: fieldName(issue.path), value: valueAt(input, issue.path), message });
  }
  return problems;
}

/**
 * Parses `input` with `schema`, or throws a `ValidationError` naming every bad field.
 *
 * @example
 * const protocol = parseOrThrow(StaircaseProtocolSchema, JSON.parse(text), 'protocol');
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(what, toProblems(result.error, input));
  return result.data;
}

export function isValidationError(e: unknown): e is ValidationError {
  return e instanceof ValidationError;
}
