/** Small commands: validate, schema, replay, report. */
import { writeFileSync } from 'node:fs';
import { jsonSchemaOf, SCHEMA_NAMES, type SchemaName } from '../../machines/index.js';
import { replayJournal } from '../journal/replay.js';
import { renderReport } from '../report/html.js';
import { CliError, EXIT } from './exitCodes.js';
import { loadJournal, loadJournalKey } from './journalFiles.js';
import { readProtocolFile } from './inputs.js';
import type { RunIo } from './run.js';

export function validateCommand(path: string, io: RunIo): number {
  const p = readProtocolFile(path);
  io.stdout(`${path}: valid ${p.maneuver} protocol\n`);
  return EXIT.completed;
}

export function schemaCommand(name: string, io: RunIo): number {
  if (!(SCHEMA_NAMES as string[]).includes(name)) throw new CliError(`unknown schema "${name}": must be one of ${SCHEMA_NAMES.join(', ')}`);
  io.stdout(`${JSON.stringify(jsonSchemaOf(name as SchemaName), null, 2)}\n`);
  return EXIT.completed;
}

export function replayCommand(path: string, flags: { json?: boolean; journalKey?: string }, io: RunIo): number {
  const journal = loadJournal(path, { key: loadJournalKey(flags.journalKey), intact: true });
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

export function reportCommand(path: string, flags: { out?: string; journalKey?: string }, io: RunIo): number {
  const journal = loadJournal(path, { key: loadJournalKey(flags.journalKey) });
  const out = flags.out ?? path.replace(/\.[^./]*$/, '') + '.html';
  try {
    writeFileSync(out, renderReport(journal));
  } catch (e) {
    throw new CliError(`cannot write report ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (journal.integrity.problem) io.stderr(`WARNING: journal ${path} cannot be trusted: ${journal.integrity.problem}. The report says so at its top.\n`);
  io.stdout(`report written to ${out}\n`);
  return EXIT.completed;
}
