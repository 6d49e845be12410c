/**
 * Replays a model path (testing/paths.ts) against a real `Ventilator`: the maneuver machine
 * runs the path's patient, clock and operator events, and every command it emits goes to the
 * vendor's device. Where the model had a faithful device confirm a command, the device's own
 * answer is used instead (its readback, or its typed error); where the model injected a device
 * misbehaviour (a refusal, a wrong readback, a lost link), that event is sent as in the model
 * and the device must then carry out what the machine commands next: the restore of the
 * baseline. Vitals are the path's (the model decides what the patient does); the device is real.
 *
 * After each event the machine must be where the model was, and a device confirmation must
 * agree with the device's readback; at the end the device must hold
 * the settings the machine last verified, the device must not have reported a fault, and every
 * command must have been answered within `applyWithinMs`.
 */
import { createActor } from 'xstate';
import type { Ventilator, DeviceFault } from '../hal/port.js';
import { VentilatorError } from '../hal/errors.js';
import { machineFor, settingsMatch, stateName, type ApplyCommand, type ApplyErrorCode, type ManeuverEvent, type VentSettings } from '../machines/index.js';
import { checkInvariants } from './model.js';
import type { ModelPath, ModelPathSet } from './paths.js';

/** The device a path runs against (`ConformanceSubject` of `rm-sequencer/conformance` fits). */
export interface PathSubject {
  ventilator: Ventilator;
  /** Advances the device's time by `ms` and lets pending I/O settle (a real wait on hardware). */
  advance: (ms: number) => Promise<void>;
  teardown?: () => Promise<void> | void;
}

export interface PathRunOptions {
  /** How long the device has to answer each command (default 10 000 ms of device time). */
  applyWithinMs?: number;
  /** Device-time step while waiting (default 100 ms). */
  stepMs?: number;
}

export interface PathRun {
  ok: boolean;
  /** What went wrong, in words, empty when `ok`. */
  problems: string[];
  /** Where the machine ended. */
  state: string;
  abortReason: string | null;
  /** Commands the machine sent to the device. */
  commands: number;
  /** The device's settings at the end (null when they could not be read). */
  deviceSettings: VentSettings | null;
}

const APPLY_ERROR_CODES: ReadonlySet<string> = new Set<ApplyErrorCode>(['refused', 'out-of-range', 'timeout', 'disconnected', 'not-permitted']);

type Answer = { done: false } | { done: true; readback: VentSettings } | { done: true; error: { code: ApplyErrorCode; message: string } };

/** Waits for `cond` while advancing the device, at most `withinMs` of device time. */
async function until(subject: PathSubject, cond: () => boolean, withinMs: number, stepMs: number): Promise<boolean> {
  for (let t = 0; !cond() && t < withinMs; t += stepMs) await subject.advance(stepMs);
  return cond();
}

/** Awaits a device promise while advancing the device's time. */
async function settle<T>(subject: PathSubject, p: Promise<T>, withinMs: number, stepMs: number): Promise<T> {
  let done = false;
  const guarded = p.finally(() => (done = true));
  guarded.catch(() => undefined);
  await until(subject, () => done, withinMs, stepMs);
  return done ? guarded : Promise.reject(new Error(`no answer within ${withinMs} ms`));
}

/**
 * @example
 * import { generateModelPaths, runModelPath } from 'rm-sequencer/testing';
 * const set = generateModelPaths(protocol, baseline);
 * const run = await runModelPath(set, set.paths[0], { ventilator, advance: async (ms) => clock.advanceBy(ms) });
 * if (!run.ok) console.error(run.problems.join('\n'));
 */
export async function runModelPath(set: Pick<ModelPathSet, 'protocols' | 'baseline' | 'patient'>, path: ModelPath, subject: PathSubject, options: PathRunOptions = {}): Promise<PathRun> {
  const within = options.applyWithinMs ?? 10_000;
  const stepMs = options.stepMs ?? 100;
  const protocol = set.protocols[path.protocol];
  if (!protocol) throw new RangeError(`path ${path.id} names protocol variant ${path.protocol}; the set has ${set.protocols.length}`);
  const problems: string[] = [];
  const v = subject.ventilator;
  const faults: DeviceFault[] = [];
  const faultSub = v.faults$.subscribe((f) => faults.push(f));
  const commands: ApplyCommand[] = [];
  const answers = new Map<number, Answer>();
  let chain: Promise<unknown> = Promise.resolve();
  let deviceSettings: VentSettings | null = null;
  let state = 'idle';
  let abortReason: string | null = null;
  try {
    await settle(subject, v.connect(), within, stepMs);
    // Every path starts with the device at the path's baseline, verified.
    const current = await v.readSettings();
    if (!settingsMatch(set.baseline, current)) {
      const put = await settle(subject, v.apply(set.baseline), within, stepMs).catch((e: unknown) => e);
      if (put instanceof Error || !settingsMatch(set.baseline, await v.readSettings())) {
        problems.push(`the device could not be put at the path's baseline ${JSON.stringify(set.baseline)}: ${put instanceof Error ? put.message : 'its readback differs'}`);
        return { ok: false, problems, state, abortReason, commands: 0, deviceSettings: current };
      }
    }
    const actor = createActor(machineFor(protocol.maneuver), { input: { protocol, baseline: set.baseline, patient: set.patient } });
    actor.on('command.apply', (cmd) => {
      commands.push(cmd);
      answers.set(cmd.seq, { done: false });
      // One command at a time, in the order the machine sent them (as the session runner does).
      chain = chain.then(() =>
        v.apply(cmd.settings).then(
          (readback) => answers.set(cmd.seq, { done: true, readback }),
          (e: unknown) => {
            const code = e instanceof VentilatorError && APPLY_ERROR_CODES.has(e.code) ? (e.code as ApplyErrorCode) : 'refused';
            answers.set(cmd.seq, { done: true, error: { code, message: (e as Error).message } });
          },
        ),
      );
    });
    actor.start();
    for (let i = 0; i < path.events.length; i++) {
      let e = path.events[i]!;
      if (e.type === 'APPLIED') {
        const cmd = commands.find((c) => c.seq === (e as { seq: number }).seq);
        // A faithful confirmation in the model: the device answers instead.
        if (cmd && settingsMatch(cmd.settings, e.readback)) {
          const seq = cmd.seq;
          const answered = await until(subject, () => answers.get(seq)?.done === true, within, stepMs);
          const a = answers.get(seq)!;
          if (!answered || !a.done) {
            problems.push(`event ${i + 1}: the device did not answer "${cmd.label}" (command ${seq}) within ${within} ms`);
            break;
          }
          e = 'readback' in a ? { type: 'APPLIED', now: e.now, seq, readback: a.readback } : { type: 'APPLY_FAILED', now: e.now, seq, ...a.error };
          // What the device confirmed is what it reads back (a confirmation is not a wish).
          if ('readback' in a) {
            const read = await settle(subject, v.readSettings(), within, stepMs).catch((err: unknown) => err as Error);
            if (read instanceof Error || !settingsMatch(a.readback, read)) {
              problems.push(`event ${i + 1}: the device confirmed ${JSON.stringify(a.readback)} for "${cmd.label}" but reads back ${read instanceof Error ? `nothing (${read.message})` : JSON.stringify(read)}`);
              break;
            }
          }
        }
      }
      actor.send(e);
      const snap = actor.getSnapshot();
      state = stateName(snap.value);
      try {
        checkInvariants(snap, commands);
      } catch (err) {
        problems.push(`event ${i + 1} (${e.type}): ${(err as Error).message}`);
        break;
      }
      const expected = path.states[i];
      if (expected !== undefined && state !== expected) {
        const why = e.type === 'APPLY_FAILED' ? ` (the device refused: ${e.message})` : e.type === 'APPLIED' ? ` (the device read back ${JSON.stringify(e.readback)})` : '';
        problems.push(`event ${i + 1} (${e.type}): the machine is in ${state}, the model was in ${expected}${why}`);
        break;
      }
    }
    const end = actor.getSnapshot();
    abortReason = end.context.abort?.reason ?? null;
    // Every command the machine sent has been answered before the device is judged.
    const allAnswered = await until(subject, () => [...answers.values()].every((a) => a.done), within, stepMs);
    if (!allAnswered) problems.push(`the device left a command unanswered after ${within} ms`);
    deviceSettings = await v.readSettings().catch((err: unknown) => {
      problems.push(`the device's settings could not be read at the end: ${(err as Error).message}`);
      return null;
    });
    const verified = end.context.verified;
    if (problems.length === 0 && verified && deviceSettings && !settingsMatch(verified, deviceSettings)) {
      problems.push(`the machine verified ${JSON.stringify(verified)}, the device holds ${JSON.stringify(deviceSettings)}`);
    }
    if (problems.length === 0 && (state !== path.final.state || abortReason !== path.final.abortReason)) {
      problems.push(`ended in ${state}${abortReason ? ` (${abortReason})` : ''}, the model in ${path.final.state}${path.final.abortReason ? ` (${path.final.abortReason})` : ''}`);
    }
    actor.stop();
  } finally {
    faultSub.unsubscribe();
    for (const f of faults) problems.push(`the device reported a fault: ${f.code}: ${f.message}`);
    await v.close().catch((err: unknown) => problems.push(`close failed: ${(err as Error).message}`));
    await subject.teardown?.();
  }
  return { ok: problems.length === 0, problems, state, abortReason, commands: commands.length, deviceSettings };
}
