/**
 * Replay: re-runs the maneuver machine on the journaled inputs and compares its decisions
 * (commands, state changes, outcome) with what the journal recorded. The machine is a pure
 * function of its event log, so an undecimated journal must replay exactly.
 */
import { createActor } from 'xstate';
import { machineFor, outcomeOf, stateName, type ApplyCommand } from '../../machines/index.js';
import { digestStates } from './failsafeDigest.js';
import type { ParsedJournal } from './read.js';

export interface ReplayResult {
  identical: boolean;
  commandsRecorded: number;
  commandsReplayed: number;
  statesRecorded: number;
  statesReplayed: number;
  outcomeRecorded: string | null;
  outcomeReplayed: string;
  finalPeepRecorded: number | null;
  finalPeepReplayed: number | null;
  differences: string[];
  approximate: boolean;
}

const sameCommand = (a: ApplyCommand, b: ApplyCommand): boolean =>
  a.seq === b.seq && a.purpose === b.purpose && JSON.stringify(a.settings) === JSON.stringify(b.settings);

export function replayJournal(j: ParsedJournal): ReplayResult {
  if (!j.baseline) throw new Error('journal has no device/baseline line: the session never connected');
  const resolution = (j.lines.find((l) => l.event === 'device')?.['device'] as { capabilities?: { pressureResolutionCmH2O?: number } } | undefined)?.capabilities?.pressureResolutionCmH2O;
  // The patient size changes the decisions (Vt/kg limits): replay with the one journaled.
  const patient = (j.lines.find((l) => l.event === 'device')?.['patient'] as { heightCm: number; sex: 'male' | 'female' } | undefined) ?? undefined;
  const actor = createActor(machineFor(j.protocol.maneuver), {
    input: {
      protocol: j.protocol,
      baseline: j.baseline,
      ...(resolution !== undefined ? { pressureToleranceCmH2O: resolution } : {}),
      ...(patient ? { patient: { heightCm: patient.heightCm, sex: patient.sex } } : {}),
    },
  });
  const commands: ApplyCommand[] = [];
  const states: string[] = [];
  actor.on('command.apply', (c) => commands.push(c));
  actor.subscribe((s) => {
    const name = stateName(s.value);
    if (states[states.length - 1] !== name) states.push(name);
  });
  actor.start();
  for (const e of j.inputs) {
    if (actor.getSnapshot().status === 'done') break;
    actor.send(e);
  }
  const snap = actor.getSnapshot();
  // A failsafe's retries are journaled as a digest (failsafeDigest.ts): compare up to its entry.
  const failsafe = j.states.some((s) => s.startsWith('failsafe'));
  const recordedStates = digestStates(j.states);
  const replayedStates = digestStates(states);
  const differences: string[] = [];
  const n = failsafe ? j.commands.length : Math.max(j.commands.length, commands.length);
  for (let i = 0; i < n; i++) {
    const a = j.commands[i];
    const b = commands[i];
    if (!a || !b || !sameCommand(a, b)) {
      differences.push(`command ${i + 1}: recorded ${a ? `${a.label} ${JSON.stringify(a.settings)}` : 'none'}, replayed ${b ? `${b.label} ${JSON.stringify(b.settings)}` : 'none'}`);
    }
  }
  if (JSON.stringify(recordedStates) !== JSON.stringify(replayedStates)) {
    const i = recordedStates.findIndex((s, k) => replayedStates[k] !== s);
    differences.push(`state sequence differs at change ${i + 1}: recorded ${recordedStates[i] ?? 'none'}, replayed ${replayedStates[i] ?? 'none'}`);
  }
  const recordedSummary = j.outcome?.summary as { outcome?: string; finalPeepCmH2O?: number | null; state?: string } | undefined;
  const outcomeReplayed = outcomeOf(stateName(snap.value));
  if (recordedSummary && recordedSummary.outcome !== outcomeReplayed) {
    differences.push(`outcome: recorded ${recordedSummary.outcome}, replayed ${outcomeReplayed}`);
  }
  if (recordedSummary && (recordedSummary.finalPeepCmH2O ?? null) !== snap.context.titration.finalPeepCmH2O) {
    differences.push(`final PEEP: recorded ${recordedSummary.finalPeepCmH2O}, replayed ${snap.context.titration.finalPeepCmH2O}`);
  }
  return {
    identical: differences.length === 0,
    commandsRecorded: j.commands.length,
    commandsReplayed: commands.length,
    statesRecorded: recordedStates.length,
    statesReplayed: replayedStates.length,
    outcomeRecorded: recordedSummary?.outcome ?? null,
    outcomeReplayed,
    finalPeepRecorded: recordedSummary?.finalPeepCmH2O ?? null,
    finalPeepReplayed: snap.context.titration.finalPeepCmH2O,
    differences,
    approximate: j.decimated,
  };
}
