/**
 * The quiescent step (src/runner/quiescent.ts) against XState's own macrostep, event for event:
 * the events of recorded cohort runs (every maneuver, several built-in profiles, completed and
 * aborted runs) replayed on the transition engine with and without the step, and on the actor;
 * after every event the state, status, context and emitted commands must be the same. Then
 * small machines built to hit each case the step must hand to XState.
 */
import { describe, expect, it } from 'vitest';
import { and, assign, createActor, emit, not, or, setup, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { VirtualClock } from '../../common/clock.js';
import { defaultProtocol, machineFor, MANEUVERS, stateName, type ManeuverEvent, type ManeuverInput, type ManeuverKind } from '../../machines/index.js';
import { BUILTIN_PROFILES, generateCohort, type PatientProfile } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { withTitratedFio2 } from '../../src/cohort/fio2.js';
import { DEFAULT_FIO2_TARGET_SAO2_PCT } from '../../src/cohort/patient.js';
import { runSession } from '../../src/runner/drive.js';
import { createEngine, TransitionEngine, type MachineEngine } from '../../src/runner/engine.js';
import { quiescentStep, supportsQuiescentStep } from '../../src/runner/quiescent.js';
import { openSimulatedSession } from '../../src/runner/simulated.js';

interface Recorded {
  maneuver: ManeuverKind;
  input: ManeuverInput;
  events: ManeuverEvent[];
  outcome: string;
}

/** One simulated session on the actor: its machine input and every event the machine received. */
async function recordRun(maneuver: ManeuverKind, profile: PatientProfile, seed: number): Promise<Recorded> {
  const baseline = withTitratedFio2(profile, seed, DEFAULT_SIM_BASELINE, DEFAULT_FIO2_TARGET_SAO2_PCT);
  const { session } = await openSimulatedSession({ maneuver, protocol: defaultProtocol(maneuver), profile, seed, clock: new VirtualClock(0), baseline, session: { onCompleted: 'end', onFailsafe: 'end', engine: 'actor' } });
  const events: ManeuverEvent[] = [];
  session.telemetry$.subscribe((e) => e.kind === 'input' && events.push(e.event));
  await runSession(session);
  const input: ManeuverInput = { protocol: session.options.protocol, baseline: session.baseline, pressureToleranceCmH2O: session.device.capabilities.pressureResolutionCmH2O };
  const outcome = `${session.state}${session.context.abort ? `/${session.context.abort.reason}` : ''}`;
  await session.close();
  return { maneuver, input, events, outcome };
}

/** What the machine is after every event (state, status, context) and what it emitted, in order. */
function replay(make: (h: Parameters<typeof createEngine>[3]) => MachineEngine, events: readonly ManeuverEvent[]): string[] {
  const out: string[] = [];
  const engine = make({
    emitted: (cmd) => out.push(`command ${JSON.stringify(cmd)}`),
    snapshot: () => undefined,
    error: (err) => out.push(`error ${String(err)}`),
  });
  engine.start();
  const show = (): string => {
    const s = engine.getSnapshot();
    return `${stateName(s.value)} ${s.status} ${JSON.stringify(s.context)}`;
  };
  out.push(show());
  for (const e of events) {
    engine.send(e);
    out.push(show());
  }
  engine.stop();
  return out;
}

function firstDifference(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('quiescent step: the same snapshot as XState, event for event', () => {
  const cohort = generateCohort({ n: 6, seed: 31 });
  const runs: Array<{ label: string; run: Promise<Recorded> }> = [];
  for (const maneuver of MANEUVERS) {
    for (const p of cohort.slice(0, 2)) runs.push({ label: `${maneuver}, cohort patient seed ${p.seed}`, run: recordRun(maneuver, p.profile, p.seed) });
  }
  for (const name of ['severe-ards', 'hypovolemic-ards', 'non-recruiter'] as const) {
    runs.push({ label: `staircase, ${name}`, run: recordRun('staircase', BUILTIN_PROFILES[name], 7) });
  }
  const outcomes = new Set<string>();
  let quiescent = 0;
  let total = 0;

  it.each(runs.map((r, i) => [r.label, i] as const))('%s', async (_label, i) => {
    const rec = await runs[i]!.run;
    outcomes.add(rec.outcome);
    const machine = machineFor(rec.maneuver);
    let engine: TransitionEngine | undefined;
    const fast = replay((h) => (engine = new TransitionEngine(machine, rec.input, h)), rec.events);
    const xstate = replay((h) => new TransitionEngine(machine, rec.input, h, { quiescent: false }), rec.events);
    const actor = replay((h) => createEngine('actor', machine, rec.input, h), rec.events);
    const d = firstDifference(fast, xstate);
    expect(d, d < 0 ? '' : `first difference after event ${d - 1}: ${JSON.stringify(rec.events[d - 1])}\nfast:   ${fast[d]?.slice(0, 400)}\nxstate: ${xstate[d]?.slice(0, 400)}`).toBe(-1);
    expect(firstDifference(xstate, actor)).toBe(-1);
    quiescent += engine!.counts.quiescent;
    total += engine!.counts.quiescent + engine!.counts.macrostep;
    expect(engine!.counts.quiescent + engine!.counts.macrostep).toBe(rec.events.length);
  });

  it('the runs compared end completed and aborted, and the step took most of their events', () => {
    expect([...outcomes].some((o) => o === 'completed' || o === 'finished')).toBe(true);
    expect([...outcomes].some((o) => o.startsWith('aborted/'))).toBe(true);
    // Samples and ticks that change nothing but the context are the bulk of every run.
    expect(quiescent / total).toBeGreaterThan(0.8);
  });
});

describe('quiescent step: what it hands to XState', () => {
  type Ctx = { n: number; log: string[] };
  const scopeOf = (machine: AnyStateMachine): AnyActorScope => {
    const self = createActor(machine);
    return { self, id: self.id, sessionId: self.sessionId, logger: () => undefined, system: self.system, defer: () => undefined, emit: () => undefined, stopChild: () => undefined, actionExecutor: () => undefined } as unknown as AnyActorScope;
  };
  /** The step's result, and XState's from the same snapshot (equal whenever the step answers). */
  const both = (machine: AnyStateMachine, events: EventObject[], last: EventObject & Record<string, unknown>) => {
    const scope = scopeOf(machine);
    let s = machine.getInitialSnapshot(scope) as AnyMachineSnapshot;
    for (const e of events) s = machine.transition(s, e, scope);
    const quick = quiescentStep(machine, s, last, scope);
    const xs = machine.transition(s, last, scope) as AnyMachineSnapshot;
    if (quick) {
      expect(quick.value).toEqual(xs.value);
      expect(quick.context).toEqual(xs.context);
      expect(quick.status).toBe(xs.status);
    }
    return { quick, xs, before: s };
  };
  const base = setup({
    types: { context: {} as Ctx, events: {} as { type: 'INC'; by?: number } | { type: 'GO' } | { type: 'NOOP' } | { type: 'P' } },
    guards: {
      small: ({ context }) => context.n < 3,
      big: ({ context }) => context.n >= 3,
      byGiven: ({ event }) => event.type === 'INC' && event.by !== undefined,
      atLeast: ({ context }, params: { min: number }) => context.n >= params.min,
      broken: () => {
        throw new Error('guard broke');
      },
    },
    actions: {
      inc: assign({ n: ({ context, event }) => context.n + (event.type === 'INC' ? (event.by ?? 1) : 1) }),
      note: assign(({ context }) => ({ log: [...context.log, `n=${context.n}`] })),
      shout: emit({ type: 'shout' }),
    },
  });

  it('takes a guarded assign-only transition (named, and/not combinators), in XState order, with the same context', () => {
    const m = base.createMachine({
      context: { n: 0, log: [] },
      initial: 'a',
      on: { INC: { actions: ['note', 'inc'] } },
      states: {
        a: {
          initial: 'x',
          states: { x: { on: { INC: [{ guard: and(['byGiven', not('big')]), actions: ['inc', 'note'] }] } } },
        },
        b: {},
      },
    });
    expect(supportsQuiescentStep(m)).toBe(true);
    const given = both(m, [], { type: 'INC', by: 2 });
    expect(given.quick?.context).toEqual({ n: 2, log: ['n=2'] });
    // Not enabled on the leaf: the root's transition, in its own action order.
    const plain = both(m, [], { type: 'INC' });
    expect(plain.quick?.context).toEqual({ n: 1, log: ['n=0'] });
    // No transition at all for the event: the snapshot itself.
    const none = both(m, [], { type: 'NOOP' });
    expect(none.quick).toBe(none.before);
    expect(none.xs.context).toBe(none.before.context);
  });

  it('and, or and not, nested, evaluate the same guards in XState\'s order with its short cuts, and select what XState selects', () => {
    // Guards g0..g3 read the bits of n; every call is logged, so the order and the short cuts show.
    const calls: string[] = [];
    const bit = (i: number) => ({ context }: { context: Ctx }) => {
      calls.push(`g${i}`);
      return ((context.n >> i) & 1) === 1;
    };
    const logic = setup({
      types: { context: {} as Ctx, events: {} as { type: 'INC' }, input: {} as { n: number } },
      guards: { g0: bit(0), g1: bit(1), g2: bit(2), g3: bit(3), inline: and(['g3', not('g0')]) },
      actions: { hit: assign({ log: ({ context }) => [...context.log, 'hit'] }), miss: assign({ log: ({ context }) => [...context.log, 'miss'] }) },
    });
    const expressions = [
      and(['g0', 'g1', 'g2']),
      or(['g0', 'g1', 'g2']),
      not('g3'),
      and([or(['g0', not('g1')]), 'g2', not(and(['g3', 'g0']))]),
      or([and(['g1', 'g2']), not(or(['g0', 'g3'])), 'inline']),
      and([]),
      or([]),
    ];
    for (const [x, guard] of expressions.entries()) {
      const m = logic.createMachine({ context: ({ input }) => ({ n: input.n, log: [] }), on: { INC: [{ guard, actions: 'hit' }, { actions: 'miss' }] } });
      for (let n = 0; n < 16; n++) {
        const scope = scopeOf(m);
        const s = m.getInitialSnapshot(scope, { n }) as AnyMachineSnapshot;
        calls.length = 0;
        const quick = quiescentStep(m, s, { type: 'INC' }, scope);
        const quickCalls = [...calls];
        calls.length = 0;
        const xs = m.transition(s, { type: 'INC' }, scope) as AnyMachineSnapshot;
        expect(quick, `expression ${x}, n = ${n}`).not.toBeNull();
        expect(quick!.context, `expression ${x}, n = ${n}`).toEqual(xs.context);
        expect(quickCalls, `expression ${x}, n = ${n}`).toEqual(calls);
      }
    }
  });

  it('hands over a target, a non-assign action, guard params, a throwing guard, and an enabled eventless transition', () => {
    const targeted = base.createMachine({ context: { n: 0, log: [] }, initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
    expect(both(targeted, [], { type: 'GO' }).quick).toBeNull();
    const emitting = base.createMachine({ context: { n: 0, log: [] }, on: { INC: { actions: ['inc', 'shout'] } } });
    expect(both(emitting, [], { type: 'INC' }).quick).toBeNull();
    const params = base.createMachine({ context: { n: 0, log: [] }, on: { INC: { guard: { type: 'atLeast', params: { min: 0 } }, actions: 'inc' } } });
    expect(both(params, [], { type: 'INC' }).quick).toBeNull();
    const broken = base.createMachine({ context: { n: 0, log: [] }, on: { INC: { guard: 'broken', actions: 'inc' } } });
    const scope = scopeOf(broken);
    const s0 = broken.getInitialSnapshot(scope);
    expect(quiescentStep(broken, s0, { type: 'INC' }, scope)).toBeNull();
    expect(() => broken.transition(s0, { type: 'INC' }, scope)).toThrow(/guard broke/);
    // The assign enables an eventless transition: XState must take it (n reaches 3 -> done).
    const always = base.createMachine({ context: { n: 2, log: [] }, initial: 'a', states: { a: { on: { INC: { actions: 'inc' } }, always: { guard: 'big', target: 'done' } }, done: { type: 'final' } } });
    const r = both(always, [], { type: 'INC' });
    expect(r.quick).toBeNull();
    expect(r.xs.value).toBe('done');
    // Below it, the eventless guard stays false and the step answers.
    const below = base.createMachine({ context: { n: 0, log: [] }, initial: 'a', states: { a: { on: { INC: { actions: 'inc' } }, always: { guard: 'big', target: 'done' } }, done: { type: 'final' } } });
    expect(both(below, [], { type: 'INC' }).quick?.context.n).toBe(1);
  });

  /** The same snapshot as XState's to the key: context and snapshot keys in the same order, the same values. */
  const sameSnapshot = (a: AnyMachineSnapshot, b: AnyMachineSnapshot): void => {
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect(JSON.stringify(a.context)).toBe(JSON.stringify(b.context));
    expect(Object.keys(a.context as object)).toEqual(Object.keys(b.context as object));
    expect(a.context).toStrictEqual(b.context);
    for (const k of Object.keys(b) as Array<keyof AnyMachineSnapshot>) if (k !== 'context') expect(a[k]).toEqual(b[k]);
  };

  it('builds the context and the snapshot XState builds, key for key, over a chain of steps and whatever came before', () => {
    type Wide = { a: number; b: string | null; c: number[]; d?: number; e?: string };
    const wide = setup({
      types: { context: {} as Wide, events: {} as { type: 'BUMP' } | { type: 'ADD' } | { type: 'REPLACE' } | { type: 'TWO' } },
      actions: {
        bump: assign(({ context }) => ({ a: context.a + 0.5, c: [...context.c, context.a] })),
        // A key the context does not have yet, in the middle of the partial: Object.assign's order.
        add: assign(({ context }) => ({ b: 'x', d: context.a, a: context.a + 1 })),
        replace: assign({ b: ({ context }) => (context.b === null ? 'y' : null) }),
        more: assign(() => ({ e: 'e' })),
      },
    });
    const m = wide.createMachine({
      context: { a: 0, b: null, c: [] },
      on: { BUMP: { actions: 'bump' }, ADD: { actions: 'add' }, REPLACE: { actions: 'replace' }, TWO: { actions: ['bump', 'more', 'replace', 'bump'] } },
    });
    const scope = scopeOf(m);
    const order = ['BUMP', 'BUMP', 'ADD', 'BUMP', 'REPLACE', 'TWO', 'BUMP', 'ADD', 'TWO', 'REPLACE'] as const;
    // The same chain twice: once each step fed its own result, once XState's (a snapshot the step did not build).
    for (const feedOwn of [true, false]) {
      let s = m.getInitialSnapshot(scope) as AnyMachineSnapshot;
      for (const type of order) {
        const quick = quiescentStep(m, s, { type }, scope);
        const xs = m.transition(s, { type }, scope) as AnyMachineSnapshot;
        expect(quick).not.toBeNull();
        sameSnapshot(quick!, xs);
        s = feedOwn ? quick! : xs;
      }
    }
    // A snapshot with another shape than XState's (an extra key) is copied whole, the key kept.
    const s0 = m.getInitialSnapshot(scope) as AnyMachineSnapshot;
    const odd = { ...s0, extra: 1 } as unknown as AnyMachineSnapshot;
    const q = quiescentStep(m, odd, { type: 'BUMP' }, scope) as AnyMachineSnapshot & { extra?: number };
    expect(q.extra).toBe(1);
    expect(q.context).toStrictEqual(m.transition(s0, { type: 'BUMP' }, scope).context);
  });

  it('two machines stepped in turn, and contexts with a symbol or a __proto__ key, still get XState\'s context', () => {
    const sym = Symbol('tag');
    const m1 = base.createMachine({ context: { n: 0, log: [] }, on: { INC: { actions: ['inc', 'note'] } } });
    const m2 = base.createMachine({ context: ({ input }: { input?: unknown }) => ({ log: ['other'], n: 10, ...(input ? { [sym]: 1 } : {}) } as Ctx), on: { INC: { actions: 'inc' } } });
    const sc1 = scopeOf(m1);
    const sc2 = scopeOf(m2);
    let a = m1.getInitialSnapshot(sc1) as AnyMachineSnapshot;
    let b = m2.getInitialSnapshot(sc2, true) as AnyMachineSnapshot;
    for (let i = 0; i < 4; i++) {
      const qa = quiescentStep(m1, a, { type: 'INC' }, sc1)!;
      sameSnapshot(qa, m1.transition(a, { type: 'INC' }, sc1) as AnyMachineSnapshot);
      const qb = quiescentStep(m2, b, { type: 'INC' }, sc2)!;
      const xb = m2.transition(b, { type: 'INC' }, sc2) as AnyMachineSnapshot;
      sameSnapshot(qb, xb);
      expect((qb.context as Record<symbol, unknown>)[sym]).toBe(1);
      a = qa;
      b = qb;
    }
    const proto = JSON.parse('{"n": 1, "log": [], "__proto__": {"polluted": true}}') as Ctx;
    const m3 = base.createMachine({ context: () => proto, on: { INC: { actions: 'inc' } } });
    const sc3 = scopeOf(m3);
    const s3 = m3.getInitialSnapshot(sc3) as AnyMachineSnapshot;
    const q3 = quiescentStep(m3, s3, { type: 'INC' }, sc3)!;
    const x3 = m3.transition(s3, { type: 'INC' }, sc3) as AnyMachineSnapshot;
    expect(Object.getPrototypeOf(q3.context)).toBe(Object.getPrototypeOf(x3.context));
    expect(q3.context).toStrictEqual(x3.context);
  });

  it('refuses machines with parallel states or wildcard events, XState events, and a machine that is not active', () => {
    const parallel = base.createMachine({ context: { n: 0, log: [] }, type: 'parallel', states: { p: { on: { INC: { actions: 'inc' } } }, q: {} } });
    expect(supportsQuiescentStep(parallel)).toBe(false);
    expect(both(parallel, [], { type: 'INC' }).quick).toBeNull();
    const wildcard = base.createMachine({ context: { n: 0, log: [] }, on: { '*': { actions: 'inc' } } });
    expect(supportsQuiescentStep(wildcard)).toBe(false);
    const m = base.createMachine({ context: { n: 0, log: [] }, on: { INC: { actions: 'inc' } } });
    const scope = scopeOf(m);
    const s0 = m.getInitialSnapshot(scope);
    expect(quiescentStep(m, s0, { type: 'xstate.stop' }, scope)).toBeNull();
    expect(quiescentStep(m, { ...s0, status: 'done' } as AnyMachineSnapshot, { type: 'INC' }, scope)).toBeNull();
  });
});
