/**
 * `rmseq screen --by-hand`: the recruitability screen as a guided procedure at the terminal, for
 * a ventilator that cannot drop PEEP for one breath on command (MakAir, MEDIBUS, any guided
 * run). The controller is not connected to the ventilator here: the person does each step on it
 * and types what it showed. Every answer is checked at once against the same schema as
 * `--readings` (field, value and allowed range); a wrong answer is asked again, at most
 * `maxAttempts` times. Nothing is computed until the person confirms PEEP is back at the high
 * PEEP. Every wait is bounded (`answerTimeoutMs` per answer); an ended or timed-out input
 * computes nothing.
 */
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { ReleaseReadingsSchema, type ReleaseReadings } from '../../machines/index.js';
import { lineQueue } from './stdinLines.js';

/** One question: the field it fills, what to do on the ventilator first, and the question. */
interface Question {
  field: keyof ReleaseReadings;
  /** What to do on the ventilator before answering (printed once). */
  todo: (r: Partial<ReleaseReadings>) => string | null;
  ask: (r: Partial<ReleaseReadings>) => string;
  /** Shown in brackets; an empty answer takes it (a field without one must be answered). */
  emptyMeans?: { label: string; value: number | null };
}

const QUESTIONS: readonly Question[] = [
  {
    field: 'highPeepCmH2O',
    todo: () =>
      'Set volume control, Vt 6 mL/kg predicted body weight, and PEEP at the high level (15 cmH2O unless your protocol says otherwise); let it settle for a few minutes.',
    ask: () => 'High PEEP set, cmH2O',
    emptyMeans: { label: '15', value: 15 },
  },
  { field: 'lowPeepCmH2O', todo: () => null, ask: () => 'Low PEEP for the release breath, cmH2O', emptyMeans: { label: '5', value: 5 } },
  { field: 'tidalVolumeMl', todo: () => null, ask: () => 'Set tidal volume, mL' },
  {
    field: 'releaseExpiredVolumeMl',
    todo: (r) =>
      `Drop PEEP from ${r.highPeepCmH2O} to ${r.lowPeepCmH2O} cmH2O for ONE breath: read the expired volume of that first expiration to the low PEEP. ` +
      'Do an end-inspiratory hold on the next breath (at the low PEEP) for its plateau pressure.',
    ask: () => 'Expired volume of the release breath, mL',
  },
  { field: 'lowPlateauCmH2O', todo: () => null, ask: (r) => `Plateau pressure of the first breath at PEEP ${r.lowPeepCmH2O}, cmH2O` },
  {
    field: 'airwayOpeningPressureCmH2O',
    todo: () => null,
    ask: () => 'Airway opening pressure, if a low-flow inflation showed complete airway closure, cmH2O',
    emptyMeans: { label: 'none', value: null },
  },
];

/** What the procedure gave: the readings (validated) once PEEP is confirmed back, or why not. */
export type ByHandResult =
  | { ok: true; readings: ReleaseReadings; returnConfirmedAt: number }
  | { ok: false; kind: 'bad-input' | 'no-answer'; reason: string };

export interface ByHandOptions {
  lines$: Observable<string>;
  write: (s: string) => void;
  /** Longest wait for one answer (default 10 min). */
  answerTimeoutMs?: number;
  /** Wrong answers allowed per question before the procedure ends (default 3). */
  maxAttempts?: number;
  /** Wall-clock time in ms (injected in tests). */
  now?: () => number;
}

const FIELDS = (ReleaseReadingsSchema as unknown as { innerType?: () => z.ZodObject<z.ZodRawShape> }).innerType?.() ?? null;

/** The schema of one field (the object inside the cross-field checks). */
function fieldSchema(field: keyof ReleaseReadings): z.ZodType {
  const shape = FIELDS?.shape ?? (ReleaseReadingsSchema as unknown as z.ZodObject<z.ZodRawShape>).shape;
  return shape[field] as z.ZodType;
}

/** Parses one typed answer; null on an empty answer for a field that has a meaning for it. */
function parseAnswer(q: Question, text: string): { ok: true; value: number | null } | { ok: false; message: string } {
  const t = text.trim();
  if (t === '' && q.emptyMeans) return { ok: true, value: q.emptyMeans.value };
  if (t === '') return { ok: false, message: `${q.field}: an answer is required` };
  if (q.emptyMeans?.value === null && /^(none|no|-)$/i.test(t)) return { ok: true, value: null };
  // Only plain decimal numbers: '1e3', '0x10', '12abc' are typing errors, not numbers.
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
  const r = fieldSchema(q.field).safeParse(Number.isNaN(n) ? t : n);
  if (r.success) return { ok: true, value: r.data as number | null };
  return { ok: false, message: `${q.field} = ${JSON.stringify(t)}: ${r.error.issues[0]?.message ?? 'not allowed'}` };
}

/**
 * Runs the procedure: prints each step, asks each reading, validates it, asks for the return to
 * the high PEEP. Resolves with the readings or why there are none.
 */
export async function askReleaseReadings(o: ByHandOptions): Promise<ByHandResult> {
  const timeoutMs = o.answerTimeoutMs ?? 10 * 60_000;
  const maxAttempts = o.maxAttempts ?? 3;
  const now = o.now ?? Date.now;
  const lines = lineQueue(o.lines$);
  const next = (): Promise<string | null> => lines.next(timeoutMs);
  const noAnswer = (what: string): ByHandResult => ({
    ok: false,
    kind: 'no-answer',
    reason: `no answer to "${what}" (input ended or ${Math.round(timeoutMs / 1000)} s passed): nothing computed. Check that PEEP is back at the high PEEP on the ventilator.`,
  });
  try {
    o.write('Recruitability screen by hand (R/I, Chen 2020). Do each step on the ventilator, then type what it shows and press Enter.\n');
    const r: Partial<ReleaseReadings> = {};
    let step = 1;
    for (const q of QUESTIONS) {
      const todo = q.todo(r);
      if (todo) o.write(`\n${step++}. ${todo}\n`);
      let attempts = 0;
      for (;;) {
        o.write(`   ${q.ask(r)}${q.emptyMeans ? ` [${q.emptyMeans.label}]` : ''}: `);
        const line = await next();
        if (line === null) return noAnswer(q.ask(r));
        const a = parseAnswer(q, line);
        const value = a.ok ? a.value : undefined;
        // The cross-field checks (low PEEP below high, plateau above low PEEP) as soon as both are known.
        const cross = a.ok ? crossProblem({ ...r, [q.field]: value }, q.field) : null;
        if (a.ok && cross === null) {
          (r as Record<string, number | null>)[q.field] = value as number | null;
          break;
        }
        attempts++;
        const message = a.ok ? cross! : a.message;
        if (attempts >= maxAttempts) return { ok: false, kind: 'bad-input', reason: `${message} (${attempts} wrong answers): nothing computed. Check that PEEP is back at the high PEEP on the ventilator.` };
        o.write(`   ${message}; try again\n`);
      }
    }
    const readings = ReleaseReadingsSchema.parse(r);
    o.write(`\n${step}. Set PEEP back to ${readings.highPeepCmH2O} cmH2O now.\n`);
    for (;;) {
      o.write(`   Is PEEP back at ${readings.highPeepCmH2O} cmH2O on the ventilator? [y/n]: `);
      const line = await next();
      if (line === null) return noAnswer(`Is PEEP back at ${readings.highPeepCmH2O} cmH2O`);
      const a = line.trim().toLowerCase();
      if (a === 'y' || a === 'yes') return { ok: true, readings, returnConfirmedAt: now() };
      o.write(a === 'n' || a === 'no' ? `   Set PEEP to ${readings.highPeepCmH2O} cmH2O on the ventilator, then answer y.\n` : '   answer y or n\n');
    }
  } finally {
    lines.close();
  }
}

/** The whole schema's cross-field problem for the field just answered, when there is one. */
function crossProblem(r: Partial<ReleaseReadings>, field: keyof ReleaseReadings): string | null {
  if (field === 'lowPeepCmH2O' && r.lowPeepCmH2O !== undefined && r.highPeepCmH2O !== undefined && r.lowPeepCmH2O >= r.highPeepCmH2O) {
    return `lowPeepCmH2O = ${r.lowPeepCmH2O}: must be below highPeepCmH2O (${r.highPeepCmH2O} cmH2O)`;
  }
  if (field === 'lowPlateauCmH2O' && r.lowPlateauCmH2O !== undefined && r.lowPeepCmH2O !== undefined && r.lowPlateauCmH2O <= r.lowPeepCmH2O) {
    return `lowPlateauCmH2O = ${r.lowPlateauCmH2O}: must be above lowPeepCmH2O (${r.lowPeepCmH2O} cmH2O)`;
  }
  if (field === 'releaseExpiredVolumeMl' && r.releaseExpiredVolumeMl !== undefined && r.tidalVolumeMl !== undefined && r.releaseExpiredVolumeMl < r.tidalVolumeMl) {
    return `releaseExpiredVolumeMl = ${r.releaseExpiredVolumeMl}: the release breath expires at least the tidal volume (${r.tidalVolumeMl} mL); check the reading`;
  }
  return null;
}
