/**
 * `rmseq advise --fio2 .. --spo2 .. [--pao2 ..] [--mawp ..]`: the rescue-therapy advisor on its
 * own, and its text form after a failed `rmseq run`. Advisory only: nothing here reaches a
 * ventilator (this command opens no port at all).
 */
import { AdvisorInputSchema, rescueAdvice, type Advice, type AdvisorInput } from '../../machines/index.js';
import type { RunAdvice } from '../runner/advice.js';
import { CliError, EXIT } from './exitCodes.js';
import type { RunIo } from './io.js';

export interface AdviseFlags {
  fio2?: string;
  spo2?: string;
  pao2?: string;
  mawp?: string;
  peep?: string;
  map?: string;
  vasopressors?: string;
  tried?: string;
  json?: boolean;
}

const NUMBER = /^\d+(\.\d+)?$/;
const FIELD_FLAG: Record<string, string> = { fio2: '--fio2', spo2Pct: '--spo2', pao2MmHg: '--pao2', mawpCmH2O: '--mawp', peepCmH2O: '--peep', mapMmHg: '--map', vasopressors: '--vasopressors', tried: '--tried' };

/** Parses the advisor's flags (zod: each bad value named with its flag, value and range). */
export function adviseInput(flags: AdviseFlags): AdvisorInput {
  if (flags.fio2 === undefined || flags.spo2 === undefined) throw new CliError('--fio2 and --spo2 are required (e.g. rmseq advise --fio2 0.8 --spo2 88 --pao2 62 --mawp 24)');
  const num = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (!NUMBER.test(v)) throw new CliError(`${flag} = ${JSON.stringify(v)}: must be a number`);
    return Number(v);
  };
  const raw: Record<string, unknown> = { fio2: num('--fio2', flags.fio2), spo2Pct: num('--spo2', flags.spo2) };
  const add = (key: string, v: unknown) => v !== undefined && (raw[key] = v);
  add('pao2MmHg', num('--pao2', flags.pao2));
  add('mawpCmH2O', num('--mawp', flags.mawp));
  add('peepCmH2O', num('--peep', flags.peep));
  add('mapMmHg', num('--map', flags.map));
  if (flags.vasopressors !== undefined) {
    if (flags.vasopressors !== 'yes' && flags.vasopressors !== 'no') throw new CliError(`--vasopressors = ${JSON.stringify(flags.vasopressors)}: must be yes or no`);
    raw['vasopressors'] = flags.vasopressors === 'yes';
  }
  if (flags.tried !== undefined) raw['tried'] = flags.tried.split(',').map((t) => t.trim()).filter(Boolean);
  const r = AdvisorInputSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const value = i.path.length > 1 ? (raw[key] as unknown[])[Number(i.path[1])] : raw[key];
      const allowed = key === 'tried' ? 'one of recruitment, prone, neuromuscular-blockade, pulmonary-vasodilators' : i.message;
      return `${FIELD_FLAG[key] ?? key} = ${JSON.stringify(value)}: ${allowed}`;
    });
    throw new CliError(problems.join('; '));
  }
  return r.data;
}

const MARK = { met: 'MET    ', 'not-met': 'not met', unknown: 'unknown' } as const;

/** The advice as text: indices, each option with its status, criteria and reason, the notice. */
export function formatAdvice(a: Advice | RunAdvice): string {
  const ix = a.indices;
  const v = (x: number | null) => (x === null ? '-' : String(x));
  const lines = [`RESCUE-THERAPY ADVISOR: ${a.notice}`];
  if ('trigger' in a) lines.push(`  why now: ${a.trigger}`);
  lines.push(`  P/F ${v(ix.pfRatio)}  S/F ${v(ix.sfRatio)}${ix.pfEstimatedFromSf !== null ? ` (about P/F ${ix.pfEstimatedFromSf})` : ''}  OI ${v(ix.oi)}  OSI ${v(ix.osi)}`);
  for (const n of ix.notes) lines.push(`  note: ${n}`);
  if ('inputsFrom' in a) lines.push(`  inputs: ${Object.entries(a.inputsFrom).map(([k, from]) => `${k} ${String((a.input as Record<string, unknown>)[k])} (${from})`).join('; ')}`);
  for (const o of a.options) lines.push(`  [${MARK[o.status]}] ${o.label}: ${o.criteria}. Here: ${o.reason} [${o.source}]`);
  lines.push('  sources: docs/advisor.md');
  return lines.join('\n');
}

/** `rmseq advise`. */
export function adviseCommand(flags: AdviseFlags, io: RunIo): number {
  const input = adviseInput(flags);
  const advice = rescueAdvice(input);
  io.stdout(flags.json ? `${JSON.stringify({ input, ...advice }, null, 2)}\n` : `${formatAdvice(advice)}\n`);
  return EXIT.completed;
}
