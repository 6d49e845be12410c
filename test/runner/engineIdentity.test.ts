/**
 * Decision identity of the two engines (src/runner/engine.ts): the batch path (the machine's
 * pure transition function) and the XState actor make the same decisions, event for event, on a
 * seeded cohort through every maneuver, on every built-in profile, and on the device failures
 * and operator actions a cohort does not produce (refusal, failsafe, confirmation, repeat, a
 * device fault). Compared: the whole telemetry (inputs, state sequence, commands with their
 * sequence numbers, readbacks, abort records, titration, the outcome summary with the final
 * settings) and the journal lines written from it (all but wall time, session id and chain).
 * The cohort's own results are compared too, so the cohort (which runs the batch engine) counts
 * exactly what the actor would have.
 */
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { VirtualClock } from '../../common/clock.js';
import { RefusedError } from '../../hal/errors.js';
import { defaultProtocol, machineFor, MANEUVERS, ProtocolSchema, stateName, trustedSample, type ManeuverKind, type ManeuverMachine, type Protocol } from '../../machines/index.js';
import { BUILTIN_PROFILES, generateCohort, type PatientProfile } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { withTitratedFio2 } from '../../src/cohort/fio2.js';
import { DEFAULT_FIO2_TARGET_SAO2_PCT, runCohortPatient } from '../../src/cohort/patient.js';
import { Journal } from '../../src/journal/journal.js';
import { runSession } from '../../src/runner/drive.js';
import { assertTimeAsData, createEngine, type EngineKind } from '../../src/runner/engine.js';
import { Session } from '../../src/runner/session.js';
import { BATCH_ENGINE, openBatchSession, openSimulatedSession } from '../../src/runner/simulated.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';
import { BASELINE, NORMAL_VITALS } from '../support/driver.js';
import { FakeVentilator } from '../support/fakeVentilator.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';

interface Run {
  telemetry: TelemetryEvent[];
  journal: Array<Record<string, unknown>>;
  state: string;
}

/** Journal lines without what differs between any two runs (wall time, session id, hash chain). */
function journalOf(session: Session, lines: string[]): Journal {
  const journal = Journal.discarding({ destination: { write: (l: string) => void lines.push(l) } });
  journal.header({ versions: {}, maneuver: session.options.maneuver, protocol: session.options.protocol, clock: 'virtual' });
  journal.attach(session.telemetry$);
  return journal;
}
const normalized = (lines: string[]): Array<Record<string, unknown>> =>
  lines.map((l) => {
    const { time: _t, session: _s, chain: _c, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });

async function record(session: Session, drive: (s: Session) => Promise<unknown> = runSession): Promise<Run> {
  const telemetry: TelemetryEvent[] = [];
  const lines: string[] = [];
  session.telemetry$.subscribe((e) => telemetry.push(e));
  const journal = journalOf(session, lines);
  await drive(session);
  const state = session.state;
  await session.close();
  journal.close();
  return { telemetry, journal: normalized(lines), state };
}

async function simulated(engine: EngineKind, maneuver: ManeuverKind, profile: PatientProfile, seed: number, protocol: Protocol = defaultProtocol(maneuver)): Promise<Run> {
  const baseline = withTitratedFio2(profile, seed, DEFAULT_SIM_BASELINE, DEFAULT_FIO2_TARGET_SAO2_PCT);
  const { session } = await openSimulatedSession({ maneuver, protocol, profile, seed, clock: new VirtualClock(0), baseline, session: { onCompleted: 'end', onFailsafe: 'end', engine } });
  expect(session.options.engine).toBe(engine);
  return record(session);
}

/** What the decisions are, named (the whole telemetry is compared as well). */
function decisions(r: Run) {
  const states = r.telemetry.flatMap((e) => (e.kind === 'state' ? [e.state] : []));
  const commands = r.telemetry.flatMap((e) => (e.kind === 'command' ? [e.command] : []));
  const guards = r.telemetry.flatMap((e) => (e.kind === 'guard' ? [e.abort] : []));
  const outcome = r.telemetry.find((e) => e.kind === 'outcome');
  const summary = outcome?.kind === 'outcome' ? outcome.summary : null;
  return { states, commands, guards, abortReason: summary?.abort?.reason ?? null, finalSettings: summary?.verifiedSettings ?? null, finalPeep: summary?.finalPeepCmH2O ?? null, outcome: summary?.outcome ?? null };
}

function expectSameDecisions(actor: Run, fast: Run): void {
  expect(decisions(fast)).toEqual(decisions(actor));
  // Event for event: every input, state, command, readback, alarm and the summary, in order.
  expect(fast.telemetry.length).toBe(actor.telemetry.length);
  for (let i = 0; i < actor.telemetry.length; i++) expect(fast.telemetry[i], `telemetry event ${i}`).toEqual(actor.telemetry[i]);
  expect(fast.journal).toEqual(actor.journal);
  expect(fast.state).toBe(actor.state);
}

describe('engine identity: the batch (transition) engine decides exactly as the actor', () => {
  const cohort = generateCohort({ n: 10, seed: 20 });
  const outcomes: Record<string, number> = {};

  for (const maneuver of MANEUVERS) {
    // The staircase is the longest (about 25 simulated minutes): 6 patients keep the file short.
    const patients = maneuver === 'staircase' ? cohort.slice(0, 6) : cohort;
    it(`${maneuver}: ${patients.length} seeded cohort patients, event for event`, async () => {
      for (const p of patients) {
        const actor = await simulated('actor', maneuver, p.profile, p.seed);
        const fast = await simulated('transition', maneuver, p.profile, p.seed);
        expectSameDecisions(actor, fast);
        const o = decisions(actor);
        outcomes[`${o.outcome}${o.abortReason ? `/${o.abortReason}` : ''}`] = (outcomes[`${o.outcome}${o.abortReason ? `/${o.abortReason}` : ''}`] ?? 0) + 1;
      }
    });
  }

  it('every built-in profile through the staircase', async () => {
    const protocol = defaultProtocol('staircase');
    for (const [name, profile] of Object.entries(BUILTIN_PROFILES)) {
      const actor = await simulated('actor', 'staircase', profile, 3, protocol);
      const fast = await simulated('transition', 'staircase', profile, 3, protocol);
      expectSameDecisions(actor, fast);
      const o = decisions(actor);
      outcomes[`${o.outcome}${o.abortReason ? `/${o.abortReason}` : ''}`] = (outcomes[`${o.outcome}${o.abortReason ? `/${o.abortReason}` : ''}`] ?? 0) + 1;
      expect(o.states.length, name).toBeGreaterThan(2);
    }
  });

  it('the cases compared include completed and aborted runs (desaturation or hypotension)', () => {
    const keys = Object.keys(outcomes);
    expect(keys).toContain('completed');
    expect(keys.some((k) => k.startsWith('aborted/'))).toBe(true);
  });

  it('the cohort counts the same results on either engine (and the batch engine is its default)', async () => {
    const protocol = defaultProtocol('staircase');
    for (const [index, patient] of cohort.slice(0, 4).entries()) {
      const actor = await runCohortPatient({ index, patient, maneuver: 'staircase', protocol, baseline: DEFAULT_SIM_BASELINE, engine: 'actor' });
      const fast = await runCohortPatient({ index, patient, maneuver: 'staircase', protocol, baseline: DEFAULT_SIM_BASELINE });
      expect(fast).toEqual(actor);
    }
    const { session } = await openBatchSession({ maneuver: 'staircase', protocol, profile: cohort[0]!.profile, seed: 1, clock: new VirtualClock(0), baseline: DEFAULT_SIM_BASELINE });
    expect(BATCH_ENGINE).toBe('transition');
    expect(session.options.engine).toBe('transition');
    expect(session.options).toMatchObject({ onCompleted: 'end', onFailsafe: 'end' });
    await session.close();
  });

  /** A session on the in-memory ventilator with scripted vitals (device failures, operator actions). */
  async function scripted(engine: EngineKind, protocol: Protocol, drive: (s: Session, clock: VirtualClock, vent: FakeVentilator) => Promise<unknown>, vitals: (now: number) => Record<string, number> = () => ({ ...NORMAL_VITALS }), options: Partial<Parameters<typeof Session.open>[0]> = {}): Promise<Run> {
    const clock = new VirtualClock(0);
    const ventilator = new FakeVentilator({ ...BASELINE }, clock, undefined, 200);
    const source = new ScriptedVitals(clock, vitals);
    const session = await Session.open({ maneuver: protocol.maneuver, protocol, ventilator, vitals: source, clock, engine, ...options });
    return record(session, (s) => drive(s, clock, ventilator));
  }

  it('a refused command, a restore that never verifies (failsafe, acknowledged), a device fault', async () => {
    const refuse = async (s: Session, clock: VirtualClock, vent: FakeVentilator): Promise<void> => {
      s.begin();
      while (!s.state.startsWith('active') && clock.now() < 120_000) clock.runNext();
      vent.failWith = new RefusedError('mode not allowed now');
      for (let i = 0; i < 5000 && !s.isFinished && !s.state.startsWith('failsafe'); i++) {
        if (s.inflight > 0) await new Promise((r) => setImmediate(r));
        clock.runNext();
      }
      // Still refused: every restore fails and the session is in failsafe; the operator acknowledges.
      s.operator('ack');
      for (let i = 0; i < 50 && s.inflight > 0; i++) await new Promise((r) => setImmediate(r));
    };
    const protocol = defaultProtocol('high-pressure-pcv');
    const a = await scripted('actor', protocol, refuse, undefined, { onFailsafe: 'wait' });
    const f = await scripted('transition', protocol, refuse, undefined, { onFailsafe: 'wait' });
    expectSameDecisions(a, f);
    expect(decisions(a).states.some((s) => s.startsWith('failsafe'))).toBe(true);
    expect(a.state).toBe('halted');

    const fault = async (s: Session, clock: VirtualClock): Promise<unknown> => {
      let armed = false;
      s.telemetry$.subscribe((e) => {
        if (e.kind === 'state' && e.state.startsWith('active') && !armed) {
          armed = true;
          clock.setTimeout(() => s.injectFault('journal-failure', 'disk full'), 3000);
        }
      });
      return runSession(s);
    };
    const sa = defaultProtocol('sustained-inflation');
    const fa = await scripted('actor', sa, fault);
    const ff = await scripted('transition', sa, fault);
    expectSameDecisions(fa, ff);
    expect(decisions(fa).abortReason).not.toBeNull();
  });

  it('steps confirmed by the operator, a completed run repeated, then ended', async () => {
    const protocol = ProtocolSchema.parse({ ...defaultProtocol('sustained-inflation'), confirmEachStep: true, repeat: { maxRepeats: 1, minIntervalS: 0 } });
    const drive = async (s: Session, clock: VirtualClock): Promise<void> => {
      s.begin();
      let repeated = false;
      for (let i = 0; i < 20_000 && !s.isFinished; i++) {
        if (s.inflight > 0) await new Promise((r) => setImmediate(r));
        if (s.context.run.awaitingSince !== null && clock.now() - s.context.run.awaitingSince >= 5000) s.operator('confirm');
        if (s.state === 'completed') {
          s.operator(repeated ? 'end' : 'repeat');
          repeated = true;
        }
        clock.runNext();
      }
    };
    const a = await scripted('actor', protocol, drive, undefined, { onCompleted: 'wait' });
    const f = await scripted('transition', protocol, drive, undefined, { onCompleted: 'wait' });
    expectSameDecisions(a, f);
    const inputs = a.telemetry.flatMap((e) => (e.kind === 'input' ? [e.event.type] : []));
    expect(inputs).toContain('OPERATOR_CONFIRM');
    expect(inputs).toContain('OPERATOR_REPEAT');
    expect(a.state).toBe('finished');
  });

  it('engine level: an event sent from inside a handler waits for the current one; nothing is processed after the end', () => {
    // The ventilator confirms synchronously, from inside the command handler (re-entrant sends),
    // and the script keeps sending after the machine is done.
    const trace = (kind: EngineKind): unknown[] => {
      const out: unknown[] = [];
      let now = 0;
      const protocol = defaultProtocol('sustained-inflation');
      const engine = createEngine(
        kind,
        machineFor('sustained-inflation'),
        { protocol, baseline: BASELINE, pressureToleranceCmH2O: 0.1 },
        {
          emitted: (cmd) => {
            out.push(['command', cmd.seq, cmd.purpose]);
            engine.send({ type: 'APPLIED', now, seq: cmd.seq, readback: cmd.settings });
            out.push(['after-send', stateName(engine.getSnapshot().value)]);
          },
          snapshot: (snap) => out.push(['state', stateName(snap.value), snap.status, snap.context.pending?.seq ?? null]),
          error: (err) => out.push(['error', String(err)]),
        },
      );
      // Sent before the start: both wait for it and take them in order.
      engine.send({ type: 'SAMPLE', now, sample: trustedSample(now, 'test', { spo2Pct: 95 }) });
      engine.send({ type: 'SAMPLE', now, sample: trustedSample(now, 'test', { spo2Pct: 91 }) });
      out.push(['before-start', engine.getSnapshot().context.latest.spo2Pct]);
      engine.start();
      out.push(['started', engine.getSnapshot().context.latest.spo2Pct]);
      for (now = 1000; now <= 40_000; now += 1000) engine.send({ type: 'SAMPLE', now, sample: trustedSample(now, 'test', { ...NORMAL_VITALS, peakCmH2O: 30, peepCmH2O: 10 }) });
      engine.send({ type: 'START', now });
      for (let i = 0; i < 400 && engine.getSnapshot().status === 'active'; i++, now += 1000) {
        engine.send({ type: 'SAMPLE', now, sample: trustedSample(now, 'test', { ...NORMAL_VITALS, ...(i === 20 ? { mapMmHg: 40 } : {}) }) });
      }
      // After the end: ignored by both (XState warns once for it).
      engine.send({ type: 'OPERATOR_ABORT', now });
      out.push(['final', stateName(engine.getSnapshot().value), engine.getSnapshot().status]);
      engine.stop();
      out.push(['stopped', engine.getSnapshot().status]);
      return out;
    };
    const actor = trace('actor');
    expect(trace('transition')).toEqual(actor);
    expect(actor).toContainEqual(['started', 91]);
    expect(actor.some((x) => Array.isArray(x) && x[0] === 'command')).toBe(true);
    expect(actor.filter((x) => Array.isArray(x) && x[0] === 'state').length).toBeGreaterThan(10);
  });

  it('refuses a machine that needs a scheduler or child actors', () => {
    const delayed = setup({}).createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    expect(() => assertTimeAsData(delayed)).toThrow(/state '.*a'.*delayed transitions/);
    const invoking = setup({ actors: { child: setup({}).createMachine({}) } }).createMachine({ initial: 'a', states: { a: { invoke: { src: 'child' } } } });
    expect(() => assertTimeAsData(invoking)).toThrow(/invokes an actor/);
    expect(() => createEngine('transition', delayed as unknown as ManeuverMachine, {} as never, { emitted: () => {}, snapshot: () => {}, error: () => {} })).toThrow(/delayed transitions/);
  });
});
