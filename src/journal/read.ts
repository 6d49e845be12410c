/** Reading a journal back: line by line, validated, tolerant of a torn last line. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ProtocolSchema, type ManeuverEvent, type ApplyCommand, type VentSettings } from '../../machines/index.js';
import { JOURNAL_FORMAT } from './journal.js';

const LineSchema = z.object({ line: z.number().int(), event: z.string() }).passthrough();
export type JournalLine = z.output<typeof LineSchema> & Record<string, unknown>;

export interface ParsedJournal {
  lines: JournalLine[];
  /** Lines that were not JSON (a crash can tear the last line). */
  torn: number;
  header: JournalLine & { maneuver: string; protocol: unknown; seed?: number; patient?: unknown };
  protocol: ReturnType<typeof ProtocolSchema.parse>;
  baseline: VentSettings | null;
  inputs: ManeuverEvent[];
  commands: ApplyCommand[];
  states: string[];
  outcome: (JournalLine & { summary: Record<string, unknown> }) | null;
  /** A successful crash recovery appended to an unfinished session (rmseq recover). */
  recovered: JournalLine | null;
  decimated: boolean;
}

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/**
 * Parses the last session of a journal file (a journal may hold several sessions, appended).
 *
 * @example
 * const j = readJournal('session.jsonl'); console.log(j.outcome?.summary.outcome);
 */
export function readJournal(path: string): ParsedJournal {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new JournalError(`cannot read journal ${path}: ${(e as Error).message}`);
  }
  const all: JournalLine[] = [];
  let torn = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      const parsed = LineSchema.safeParse(JSON.parse(raw));
      if (parsed.success) all.push(parsed.data as JournalLine);
      else torn++;
    } catch {
      torn++;
    }
  }
  const start = all.map((l) => l.event).lastIndexOf('session-start');
  if (start < 0) throw new JournalError(`${path} has no session-start line: not an rm-sequencer journal`);
  const lines = all.slice(start);
  const header = lines[0] as ParsedJournal['header'];
  if (header['format'] !== JOURNAL_FORMAT) throw new JournalError(`${path}: unknown journal format ${String(header['format'])}`);
  const protocol = ProtocolSchema.parse(header.protocol);
  const device = lines.find((l) => l.event === 'device');
  return {
    lines,
    torn,
    header,
    protocol,
    baseline: (device?.['baseline'] as VentSettings | undefined) ?? null,
    inputs: lines.filter((l) => l.event === 'input').map((l) => l['input'] as ManeuverEvent),
    commands: lines.filter((l) => l.event === 'command').map((l) => l['command'] as ApplyCommand),
    states: lines.filter((l) => l.event === 'state').map((l) => String(l['state'])),
    outcome: (lines.find((l) => l.event === 'outcome') as ParsedJournal['outcome']) ?? null,
    recovered: lines.find((l) => l.event === 'recover-outcome' && l['restored'] === true) ?? null,
    decimated: lines.some((l) => l.event === 'input' && typeof l['decimate'] === 'number' && (l['decimate'] as number) > 1),
  };
}
