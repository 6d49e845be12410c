/**
 * Reading a journal back: the hash chain checked, then line by line, validated (depth and
 * size limits, no duplicate keys), tolerant of a torn last line.
 */
import { z } from 'zod';
import { parseJsonStrict, readRegularText } from '../../common/jsonInput.js';
import { ProtocolSchema, type ManeuverEvent, type ApplyCommand, type VentSettings } from '../../machines/index.js';
import { readHead } from './head.js';
import { JOURNAL_FORMAT, JournalError, MAX_JOURNAL_BYTES, MAX_LINE_BYTES, splitLine, verifyChain, type ChainReport } from './chain.js';
import type { DeviceSettingsBaseline } from '../../hal/port.js';

export { JournalError } from './chain.js';

const LineSchema = z.object({ line: z.number().int(), event: z.string() }).passthrough();
export type JournalLine = z.output<typeof LineSchema> & Record<string, unknown>;

/** A captured device settings baseline as journaled (bounded: at most 64 settings, ids of 1-3 digits, whole values). */
export const DeviceSettingsBaselineSchema = z
  .object({
    protocol: z.string().min(1).max(32),
    settings: z.record(z.string().regex(/^\d{1,3}$/, 'a setting id of 1-3 digits'), z.number().int().min(-2_147_483_648).max(4_294_967_295)).refine((r) => Object.keys(r).length <= 64, 'at most 64 settings'),
  })
  .strict();

export interface ParsedJournal {
  lines: JournalLine[];
  /** Lines that were not JSON (a crash can tear the last line). */
  torn: number;
  header: JournalLine & { maneuver: string; protocol: unknown; seed?: number; patient?: unknown };
  protocol: ReturnType<typeof ProtocolSchema.parse>;
  baseline: VentSettings | null;
  /**
   * The device settings beyond `baseline` the adapter captured at the start (MakAir: alarm
   * thresholds, timings), for crash recovery; null when not recorded, or when the line does not
   * have the shape (`deviceSettingsProblem` says why).
   */
  deviceSettings: DeviceSettingsBaseline | null;
  deviceSettingsProblem: string | null;
  inputs: ManeuverEvent[];
  commands: ApplyCommand[];
  states: string[];
  outcome: (JournalLine & { summary: Record<string, unknown> }) | null;
  /** A successful crash recovery appended to an unfinished session (rmseq recover). */
  recovered: JournalLine | null;
  decimated: boolean;
  /** The hash chain of the whole file (every session in it). */
  integrity: Integrity;
}

export interface Integrity extends ChainReport {
  /** Why the chain cannot be trusted, in one sentence; null when intact. */
  problem: string | null;
  /** Why the end of the journal could not be checked against its head file (not a break). */
  headNote: string | null;
}

/** Checks the chain of a journal's text; a keyed journal read without its key is named as such. */
export function integrityOf(text: string, key?: Buffer, path?: string): Integrity {
  const head = path ? readHead(path, key) : null;
  const headNote = head?.problem ?? null;
  const r = verifyChain(text, key, head?.anchor ?? null);
  if (!r.broken && head?.altered) return { ...r, intact: false, problem: `the head file was altered: ${head.problem}`, headNote };
  if (!r.broken) return { ...r, problem: null, headNote };
  const keyed = !key && /^[^\n]*"integrity":"hmac-sha256"/.test(text);
  const problem = keyed
    ? 'the journal is keyed (HMAC): give its --journal-key to check it'
    : `hash chain broken at line ${r.broken.line}: ${r.broken.reason}`;
  return { ...r, problem, headNote };
}

/**
 * Parses the last session of a journal file (a journal may hold several sessions, appended).
 *
 * @example
 * const j = readJournal('session.jsonl'); console.log(j.outcome?.summary.outcome);
 */
export function readJournal(path: string, options: { key?: Buffer } = {}): ParsedJournal {
  const { parts, torn, integrity } = splitSessions(path, options);
  return sessionOf(path, parts[parts.length - 1]!, torn, integrity);
}

/**
 * Parses every session of a journal file, oldest first (a console writes one per maneuver
 * into one journal). Each carries the integrity of the whole file.
 *
 * @example
 * const sessions = readJournalSessions('console.jsonl'); console.log(sessions.length);
 */
export function readJournalSessions(path: string, options: { key?: Buffer } = {}): ParsedJournal[] {
  const { parts, torn, integrity } = splitSessions(path, options);
  return parts.map((lines) => sessionOf(path, lines, torn, integrity));
}

/** The file's lines, checked and parsed, cut at each session-start. */
function splitSessions(path: string, options: { key?: Buffer }): { parts: JournalLine[][]; torn: number; integrity: Integrity } {
  const text = readRegularText(path, MAX_JOURNAL_BYTES, 'journal', JournalError);
  const integrity = integrityOf(text, options.key, path);
  const all: JournalLine[] = [];
  let torn = 0;
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      const content = splitLine(raw)?.content ?? raw;
      const parsed = LineSchema.safeParse(parseJsonStrict(content, `journal ${path} line ${i + 1}`, { maxBytes: MAX_LINE_BYTES }));
      if (parsed.success) all.push(parsed.data as JournalLine);
      else torn++;
    } catch {
      torn++;
    }
  });
  const starts = all.flatMap((l, i) => (l.event === 'session-start' ? [i] : []));
  if (!starts.length) throw new JournalError(`${path} has no session-start line: not an rm-sequencer journal`);
  return { parts: starts.map((start, k) => all.slice(start, starts[k + 1] ?? all.length)), torn, integrity };
}

function sessionOf(path: string, lines: JournalLine[], torn: number, integrity: Integrity): ParsedJournal {
  const header = lines[0] as ParsedJournal['header'];
  if (header['format'] !== JOURNAL_FORMAT) throw new JournalError(`${path}: unknown journal format ${String(header['format'])}`);
  const protocol = ProtocolSchema.parse(header.protocol);
  const device = lines.find((l) => l.event === 'device');
  const captured = device?.['deviceSettings'] === undefined ? null : DeviceSettingsBaselineSchema.safeParse(device['deviceSettings']);
  return {
    lines,
    torn,
    header,
    protocol,
    baseline: (device?.['baseline'] as VentSettings | undefined) ?? null,
    deviceSettings: captured?.success ? captured.data : null,
    deviceSettingsProblem: captured && !captured.success ? `deviceSettings of the device line: ${captured.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ')}` : null,
    inputs: lines.filter((l) => l.event === 'input').map((l) => l['input'] as ManeuverEvent),
    commands: lines.filter((l) => l.event === 'command').map((l) => l['command'] as ApplyCommand),
    states: lines.filter((l) => l.event === 'state').map((l) => String(l['state'])),
    outcome: (lines.find((l) => l.event === 'outcome') as ParsedJournal['outcome']) ?? null,
    recovered: lines.find((l) => l.event === 'recover-outcome' && l['restored'] === true) ?? null,
    integrity,
    decimated: lines.some((l) => l.event === 'input' && typeof l['decimate'] === 'number' && (l['decimate'] as number) > 1),
  };
}
