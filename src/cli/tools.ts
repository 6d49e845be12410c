/** Small commands: validate, schema, replay, report. */
import { writeFileSync } from 'node:fs';
import { jsonSchemaOf, SCHEMA_NAMES, type SchemaName } from '../../machines/index.js';
import { replayJournal } from '../journal/replay.js';
import { renderJournalReport } from '../report/html.js';
import { CliError, EXIT } from './exitCodes.js';
import { loadJournal, loadJournalKey, loadJournalSessions } from './journalFiles.js';
import { intFlag, readProtocolFile } from './inputs.js';
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

/**
 * `rmseq report <journal> [--session N]`: every session of the journal under an index at the
 * top (a console writes one per maneuver), or the one asked for (1 = the oldest).
 */
export function reportCommand(path: string, flags: { out?: string; journalKey?: string; session?: string }, io: RunIo): number {
  const sessions = loadJournalSessions(path, { key: loadJournalKey(flags.journalKey) });
  const journal = sessions[sessions.length - 1]!;
  let session: number | undefined;
  try {
    session = flags.session !== undefined ? intFlag('session', flags.session, 1, sessions.length, 1) : undefined;
  } catch (e) {
    if (e instanceof CliError) throw new CliError(`${e.message} (journal ${path} holds ${sessions.length} session${sessions.length === 1 ? '' : 's'})`);
    throw e;
  }
  const out = flags.out ?? path.replace(/\.[^./]*$/, '') + '.html';
  try {
    writeFileSync(out, renderJournalReport(sessions, session !== undefined ? { session } : {}));
  } catch (e) {
    throw new CliError(`cannot write report ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (journal.integrity.problem) io.stderr(`WARNING: journal ${path} cannot be trusted: ${journal.integrity.problem}. The report says so at its top.\n`);
  const what = session !== undefined ? `session ${session} of ${sessions.length}` : sessions.length > 1 ? `all ${sessions.length} sessions, with an index` : '1 session';
  io.stdout(`report written to ${out} (${what})\n`);
  return EXIT.completed;
}
