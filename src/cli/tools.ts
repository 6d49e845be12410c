/** Small commands: validate, schema, replay, report. */
import { readFileSync, writeFileSync } from 'node:fs';
import { isValidationError, parseOrThrow } from '../../common/validation.js';
import { jsonSchemaOf, ProtocolSchema, SCHEMA_NAMES, type SchemaName } from '../../machines/index.js';
import { JournalError, readJournal, type ParsedJournal } from '../journal/read.js';
import { replayJournal } from '../journal/replay.js';
import { renderReport } from '../report/html.js';
import { CliError, EXIT } from './exitCodes.js';
import type { RunIo } from './run.js';

export function validateCommand(path: string, io: RunIo): number {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read ${path} as JSON: ${(e as Error).message}`);
  }
  try {
    const p = parseOrThrow(ProtocolSchema, input, 'protocol');
    io.stdout(`${path}: valid ${p.maneuver} protocol\n`);
    return EXIT.completed;
  } catch (e) {
    if (isValidationError(e)) throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

export function schemaCommand(name: string, io: RunIo): number {
  if (!(SCHEMA_NAMES as string[]).includes(name)) throw new CliError(`unknown schema "${name}": must be one of ${SCHEMA_NAMES.join(', ')}`);
  io.stdout(`${JSON.stringify(jsonSchemaOf(name as SchemaName), null, 2)}\n`);
  return EXIT.completed;
}

/** Reads a journal; an unreadable or foreign file is bad input (exit 2). */
export function loadJournal(path: string): ParsedJournal {
  try {
    return readJournal(path);
  } catch (e) {
    if (e instanceof JournalError) throw new CliError(e.message);
    throw e;
  }
}

export function replayCommand(path: string, flags: { json?: boolean }, io: RunIo): number {
  const journal = loadJournal(path);
  const r = replayJournal(journal);
  if (flags.json) {
    io.stdout(`${JSON.stringify(r, null, 2)}\n`);
  } else {
    io.stdout(
      [
        `journal: ${path} (${journal.inputs.length} inputs${journal.torn ? `, ${journal.torn} torn line(s) skipped` : ''})`,
        `commands: recorded ${r.commandsRecorded}, replayed ${r.commandsReplayed}`,
        `state changes: recorded ${r.statesRecorded}, replayed ${r.statesReplayed}`,
        `outcome: recorded ${r.outcomeRecorded ?? '(none: session did not finish)'}, replayed ${r.outcomeReplayed}`,
        `final PEEP: recorded ${r.finalPeepRecorded ?? '-'}, replayed ${r.finalPeepReplayed ?? '-'}`,
        r.approximate ? 'note: the journal is decimated; replay is approximate' : '',
        r.identical ? 'SAME DECISIONS' : `DIFFERENT DECISIONS:\n  ${r.differences.join('\n  ')}`,
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  }
  return r.identical ? EXIT.completed : EXIT.replayMismatch;
}

export function reportCommand(path: string, flags: { out?: string }, io: RunIo): number {
  const journal = loadJournal(path);
  const out = flags.out ?? path.replace(/\.[^./]*$/, '') + '.html';
  try {
    writeFileSync(out, renderReport(journal));
  } catch (e) {
    throw new CliError(`cannot write report ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.stdout(`report written to ${out}\n`);
  return EXIT.completed;
}
