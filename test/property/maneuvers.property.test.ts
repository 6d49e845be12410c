/**
 * Property tests: for any sequence of samples, clock jumps, device answers and operator
 * events, on any valid protocol,
 *  (a) no commanded PEEP or peak exceeds the protocol's bounds,
 *  (b) a sample that trips a guard while the maneuver runs (a critical limit, or a condition
 *      held past its alarm delay, judged here by an oracle of its own) leads to `aborting` on that event,
 *  (c) every run ends with the titrated/final settings applied and verified, or the baseline
 *      restored and verified, or in failsafe.
 */
import fc from 'fast-check';
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  checkCommandLimits,
  checkSample,
  deliveringAt,
  evaluateSample,
  machineFor,
  outcomeOf,
  ProtocolSchema,
  SAMPLE_RULES,
  settingsMatch,
  stateName,
  type ApplyCommand,
  type ManeuverEvent,
  type MonitorSample,
  type Protocol,
} from '../../machines/index.js';
import { BASELINE } from '../support/driver.js';

type Step =
  | { kind: 'sample'; dtMs: number; vitals: Partial<MonitorSample> }
  | { kind: 'tick'; dtMs: number }
  | { kind: 'applied-ok' | 'applied-wrong' | 'apply-failed' | 'fault' | 'abort' | 'confirm' | 'repeat' | 'end' | 'ack' | 'start' };

const vitals = fc.record(
  {
    spo2Pct: fc.oneof(fc.integer({ min: 88, max: 99 }), fc.integer({ min: 60, max: 100 }), fc.constant(Number.NaN)),
    mapMmHg: fc.oneof(fc.integer({ min: 65, max: 95 }), fc.integer({ min: 30, max: 120 })),
    sbpMmHg: fc.integer({ min: 60, max: 160 }),
    hrBpm: fc.oneof(fc.integer({ min: 70, max: 120 }), fc.integer({ min: 30, max: 190 })),
    peakCmH2O: fc.integer({ min: 10, max: 75 }),
    complianceMlPerCmH2O: fc.integer({ min: 15, max: 60 }),
  },
  { requiredKeys: [] },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('sample' as const), dtMs: fc.integer({ min: 0, max: 5000 }), vitals }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), dtMs: fc.integer({ min: 0, max: 40_000 }) }) },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      ...(['applied-ok', 'applied-ok', 'applied-ok', 'applied-wrong', 'apply-failed', 'fault', 'abort', 'confirm', 'repeat', 'end', 'ack', 'start'] as const),
    ).map((kind) => ({ kind })),
  },
);

const protocol: fc.Arbitrary<Protocol> = fc
  .oneof(
    fc.record({ maneuver: fc.constant('sustained-inflation'), peepCmH2O: fc.integer({ min: 30, max: 50 }), holdS: fc.integer({ min: 20, max: 30 }) }),
    fc.record({ maneuver: fc.constant('high-pressure-pcv'), peepCmH2O: fc.integer({ min: 25, max: 30 }), peakCmH2O: fc.integer({ min: 40, max: 45 }) }),
    fc.record({
      maneuver: fc.constant('staircase'),
      incrementalPeepsCmH2O: fc.uniqueArray(fc.integer({ min: 10, max: 40 }), { minLength: 1, maxLength: 4 }).map((a) => a.sort((x, y) => x - y)),
      drivingPressureCmH2O: fc.integer({ min: 5, max: 20 }),
      derecruitment: fc.record({ method: fc.constantFrom('spo2' as const, 'compliance' as const) }),
    }),
  )
  .chain((base) =>
    fc.record({ confirmEachStep: fc.boolean(), peakLimitCmH2O: fc.integer({ min: 45, max: 60 }) }).map((extra) => ({ ...base, ...extra })),
  )
  .map((input) => ProtocolSchema.safeParse({ ...input, repeat: { maxRepeats: 1, minIntervalS: 0 } }))
  .filter((r) => r.success)
  .map((r) => r.data as Protocol);

const NORMAL = { spo2Pct: 94, mapMmHg: 78, sbpMmHg: 115, hrBpm: 90, complianceMlPerCmH2O: 35 };

/** The oracle's alarm delay of a guard (written from the SafetyConfig, apart from the rule table). */
function delayMs(guard: string, p: Protocol): number {
  const s = p.safety;
  if (/Critical$/.test(guard)) return 0;
  if (guard === 'deliveryMismatch') return s.delivery.persistenceS * 1000;
  if (guard.startsWith('map') || guard.startsWith('sbp')) return s.persistenceS.hypotension * 1000;
  if (guard.startsWith('spo2')) return s.persistenceS.desaturation * 1000;
  if (guard.startsWith('hr')) return s.persistenceS.heartRate * 1000;
  return s.persistenceS.overdistention * 1000;
}

function runScenario(p: Protocol, steps: Step[], deviceAlive: boolean) {
  const actor = createActor(machineFor(p.maneuver), { input: { protocol: p, baseline: BASELINE } });
  const commands: ApplyCommand[] = [];
  actor.on('command.apply', (c) => commands.push(c));
  actor.start();
  let now = 0;
  // The oracle's own alarm conditions: guard -> since when it has held.
  const since = new Map<string, number>();
  const send = (e: ManeuverEvent) => {
    const before = actor.getSnapshot();
    if (before.status === 'done') return;
    const running = stateName(before.value).startsWith('active') && before.context.run.baselineVitals !== null;
    let expectAbort = false;
    if (e.type === 'SAMPLE' && running) {
      const violated = new Set(
        evaluateSample({
          sample: e.sample,
          baseline: before.context.run.baselineVitals!,
          safety: p.safety,
          peakLimitCmH2O: p.peakLimitCmH2O,
          delivering: deliveringAt(before.context, e.now),
        }).map((v) => v.guard),
      );
      for (const rule of SAMPLE_RULES) {
        if (!rule.fields.some((f) => e.sample[f] !== undefined)) continue;
        if (!violated.has(rule.guard)) {
          since.delete(rule.guard);
          continue;
        }
        const from = since.get(rule.guard) ?? e.now;
        since.set(rule.guard, from);
        const delay = delayMs(rule.guard, p);
        if (delay === 0 || e.now - from > delay) expectAbort = true;
      }
    }
    if (!running) since.clear();
    actor.send(e);
    const after = actor.getSnapshot();
    // (b) a sample that trips a guard while running aborts on that same event.
    if (expectAbort) expect(stateName(after.value)).toMatch(/^(aborting|aborted|failsafe)/);
  };
  const delivered = (): Partial<MonitorSample> => {
    const c = actor.getSnapshot().context;
    const v = c.verified ?? c.baseline;
    return { peepCmH2O: v.peepCmH2O, peakCmH2O: v.mode === 'VC' ? v.peepCmH2O + 15 : v.mode === 'CPAP' ? v.peepCmH2O : v.peakCmH2O, ...(v.mode === 'VC' ? { tidalVolumeMl: v.tidalVolumeMl } : {}) };
  };
  const sample = (extra: Partial<MonitorSample>) => {
    const r = checkSample({ t: now, source: 'prop', ...NORMAL, ...delivered(), ...extra }, now, p.safety.maxFutureSkewS * 1000);
    if (r.ok) send({ type: 'SAMPLE', now, sample: r.sample });
  };
  for (let i = 0; i < p.safety.baselineMinSamples; i++) sample({});
  for (const s of steps) {
    const pending = actor.getSnapshot().context.pending;
    switch (s.kind) {
      case 'sample':
        now += s.dtMs;
        sample(s.vitals);
        break;
      case 'tick':
        now += s.dtMs;
        send({ type: 'TICK', now });
        break;
      case 'applied-ok':
        if (pending) send({ type: 'APPLIED', now, seq: pending.seq, readback: pending.settings });
        break;
      case 'applied-wrong':
        if (pending) send({ type: 'APPLIED', now, seq: pending.seq, readback: { ...pending.settings, peepCmH2O: pending.settings.peepCmH2O + 3 } });
        break;
      case 'apply-failed':
        if (pending) send({ type: 'APPLY_FAILED', now, seq: pending.seq, code: 'timeout', message: 'prop' });
        break;
      case 'fault':
        send({ type: 'DEVICE_FAULT', now, code: 'link-lost', message: 'prop' });
        break;
      case 'abort':
        send({ type: 'OPERATOR_ABORT', now });
        break;
      case 'confirm':
        send({ type: 'OPERATOR_CONFIRM', now });
        break;
      case 'repeat':
        send({ type: 'OPERATOR_REPEAT', now });
        break;
      case 'end':
        send({ type: 'OPERATOR_END', now });
        break;
      case 'ack':
        send({ type: 'OPERATOR_ACK', now });
        break;
      case 'start':
        send({ type: 'START', now });
        break;
    }
  }
  // Then a well-behaved patient and operator; the device confirms unless it has died.
  for (let i = 0; i < 3 * 3600 && actor.getSnapshot().status !== 'done'; i++) {
    const name = stateName(actor.getSnapshot().value);
    if (name === 'completed' || name.startsWith('failsafe')) break;
    now += 1000;
    sample({});
    send({ type: 'TICK', now });
    const pending = actor.getSnapshot().context.pending;
    if (pending && deviceAlive) send({ type: 'APPLIED', now, seq: pending.seq, readback: pending.settings });
    if (name === 'idle') send({ type: 'START', now });
    if (name.endsWith('confirming')) send({ type: 'OPERATOR_CONFIRM', now });
  }
  return { snapshot: actor.getSnapshot(), commands };
}

describe('maneuver properties (fast-check)', () => {
  it('(a) commands stay within bounds, (b) violations abort at once when critical, else once held past their alarm delay, (c) every run ends safe', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(protocol, fc.array(step, { maxLength: 60 }), fc.nat(9).map((n) => n > 1), (p, steps, deviceAlive) => {
        const { snapshot, commands } = runScenario(p, steps, deviceAlive);
        // (a)
        for (const c of commands) {
          expect(checkCommandLimits(c.settings, p.peakLimitCmH2O)).toEqual([]);
          expect(c.settings.peepCmH2O).toBeLessThanOrEqual(50);
          expect(c.settings.peakCmH2O).toBeLessThanOrEqual(Math.min(p.peakLimitCmH2O, 60));
        }
        // (c)
        const end = stateName(snapshot.value);
        outcomes.add(outcomeOf(end));
        const ctx = snapshot.context;
        const last = commands[commands.length - 1];
        if (end === 'completed' || end === 'finished') {
          expect(last?.purpose).toBe('final');
          expect(ctx.verified && last && settingsMatch(last.settings, ctx.verified)).toBe(true);
          if (p.maneuver === 'staircase') expect(ctx.verified?.peepCmH2O).toBe(ctx.titration.finalPeepCmH2O);
          else expect(settingsMatch(ctx.baseline, ctx.verified!)).toBe(true);
        } else if (end === 'aborted') {
          expect(ctx.restore.baselineVerified).toBe(true);
          expect(last?.purpose).toBe('restore-baseline');
          expect(settingsMatch(ctx.baseline, ctx.verified!)).toBe(true);
          expect(ctx.abort?.reason).toBeTruthy();
        } else if (end === 'notStarted' || end === 'cancelled') {
          expect(commands).toEqual([]);
        } else {
          expect(end).toMatch(/^(failsafe|halted)/);
        }
      }),
      { numRuns: 300 },
    );
    // The generator reaches every kind of ending, so (c) is not vacuous.
    for (const kind of ['completed', 'aborted', 'failsafe', 'not-started']) expect(outcomes).toContain(kind);
  });
});
