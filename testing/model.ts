/**
 * The model of the maneuver machines for model-based testing: @xstate/graph walks a machine
 * with events generated from each snapshot (time as data: ticks at the dwell end, just before
 * it, and past every timeout), a real actor executes each path, and invariants are checked
 * after every event. Coverage is measured from the transitions the actor actually took
 * (inspection microsteps) against every transition and state node the machine declares.
 * The project's own model tests (test/model) and the vendor kit (`generateModelPaths`) use it.
 */
import { createTestModel } from '@xstate/graph';
import { createActor, type AnyTransitionDefinition, type InspectionEvent, type SnapshotFrom } from 'xstate';
import {
  checkSample,
  checkCommandLimits,
  deliveringAt,
  ProtocolSchema,
  weanMinSpo2Of,
  restoreTargetOf,
  settingsMatch,
  stateName,
  type ApplyCommand,
  type ManeuverContext,
  type ManeuverEvent,
  type ManeuverMachine,
  type Protocol,
  type ProtocolInput,
  type PatientSize,
  type VentSettings,
} from '../machines/index.js';

type Snap = SnapshotFrom<ManeuverMachine>;

/**
 * Timeouts chosen so each time-based guard can be reached on its own. Alarm-condition delays
 * are 0 here, so every violating sample must abort at once from every running state (the
 * delays themselves are proven by test/machines/persistence.test.ts and the property tests).
 */
export const MODEL_SAFETY = {
  vitalsStaleS: 30,
  ventilatorStaleS: 30,
  applyTimeoutS: 10,
  restoreTimeoutS: 10,
  restoreRetryDelayS: 1,
  restoreAttempts: 2,
  baselineMinSamples: 3,
  persistenceS: { desaturation: 0, hypotension: 0, heartRate: 0, overdistention: 0 },
  delivery: { settleS: 5, persistenceS: 0 },
} as const;

export function modelProtocol(maneuver: Protocol['maneuver'], extra: Partial<ProtocolInput> = {}): Protocol {
  return ProtocolSchema.parse({ maneuver, confirmTimeoutS: 20, repeat: { maxRepeats: 1, minIntervalS: 0 }, ...extra, safety: MODEL_SAFETY });
}

const NORMAL = { spo2Pct: 94, mapMmHg: 78, sbpMmHg: 115, hrBpm: 90 } as const;

/** The expected outcome of a desaturation in the decremental phase: the fallback ladder re-recruits. */
export const FALLBACK = 'fallback';

/**
 * Static compliance of the model's lung: 40 mL/cmH2O, or 10 in the stiff-lung variant (plateau
 * limit 20), where no final setting can meet the lung-protective limits.
 */
export const modelCompliance = (c: ManeuverContext): number => (c.protocol.lungProtection.plateauMaxCmH2O <= 20 ? 10 : 40);

/** What a faithful ventilator measures at the settings last verified. */
function delivered(c: ManeuverContext): Record<string, number> {
  const v = c.verified ?? c.baseline;
  const compliance = modelCompliance(c);
  const peak = v.mode === 'VC' ? Math.min(v.peakCmH2O, v.peepCmH2O + 15) : v.mode === 'CPAP' ? v.peepCmH2O : v.peakCmH2O;
  const vt = v.mode === 'VC' ? (v.tidalVolumeMl ?? 0) : v.mode === 'CPAP' ? 0 : (v.peakCmH2O - v.peepCmH2O) * compliance;
  const plateau = v.mode === 'VC' ? v.peepCmH2O + vt / compliance : peak;
  return {
    peepCmH2O: v.peepCmH2O,
    peakCmH2O: peak,
    plateauCmH2O: Math.round(plateau * 10) / 10,
    complianceMlPerCmH2O: compliance,
    ...(v.mode === 'VC' && v.tidalVolumeMl !== undefined ? { tidalVolumeMl: v.tidalVolumeMl } : {}),
  };
}

/** A sample received at `now` through the edge check, carrying the vitals and what the ventilator delivers. */
const sampleOf = (now: number, fields: Record<string, number>, source = 'model'): ManeuverEvent => {
  const r = checkSample({ t: now, source, ...fields }, now, 0);
  if (!r.ok) throw new Error('model sample rejected');
  return { type: 'SAMPLE', now, sample: r.sample };
};

/** Abort triggers from a running state, each with the reason it must produce. */
export function abortTriggers(s: Snap): Array<{ event: ManeuverEvent; reason: string }> {
  const c = s.context;
  const now = c.now;
  const sample = (t: number, extra: Record<string, number> = {}) => sampleOf(t, { ...NORMAL, ...delivered(c), ...extra });
  // In the decremental phase a (non-critical) desaturation with normal hemodynamics is the fallback, not an abort.
  const fallback = c.current?.phase === 'decremental' && !c.titration.fallback;
  // Just past each watchdog of this protocol (1 s margin).
  const staleVitalsMs = c.safety.vitalsStaleS * 1000 + 1000;
  const staleVentilatorMs = c.safety.ventilatorStaleS * 1000 + 1000;
  const out: Array<{ event: ManeuverEvent; reason: string }> = [
    { event: sample(now, { mapMmHg: 50 }), reason: 'hypotension' },
    { event: sample(now, { mapMmHg: 40 }), reason: 'hypotension' },
    { event: sample(now, { sbpMmHg: 70 }), reason: 'hypotension' },
    { event: sample(now, { spo2Pct: 80 }), reason: fallback ? FALLBACK : 'desaturation' },
    { event: sample(now, { spo2Pct: 70 }), reason: 'desaturation' },
    { event: sample(now, { hrBpm: 150 }), reason: 'heart-rate' },
    { event: sample(now, { hrBpm: 45 }), reason: 'heart-rate' },
    { event: sample(now, { hrBpm: 0 }), reason: 'heart-rate' },
    { event: sample(now, { peakCmH2O: c.protocol.peakLimitCmH2O + c.safety.peakToleranceCmH2O + 1 }), reason: 'overdistention' },
    { event: sample(now, { peakCmH2O: 70 }), reason: 'overdistention' },
    { event: { type: 'TICK', now: now + staleVitalsMs }, reason: 'stale-vitals' },
    // A ventilator sample arriving after the vitals went quiet: the clock checks run on it too.
    { event: sampleOf(now + staleVitalsMs, delivered(c), 'model-vent'), reason: 'stale-vitals' },
    // Vitals arriving after the ventilator went quiet: its guards would be blind.
    { event: sampleOf(now + staleVentilatorMs, NORMAL, 'model-monitor'), reason: 'stale-ventilator' },
    { event: { type: 'DEVICE_FAULT', now, code: 'link-lost', message: 'model' }, reason: 'device-fault' },
    { event: { type: 'DEVICE_FAULT', now, code: 'journal-failure', message: 'model' }, reason: 'journal-failure' },
    { event: { type: 'OPERATOR_ABORT', now }, reason: 'operator-abort' },
  ];
  const set = deliveringAt(c, now);
  if (set) {
    out.push({ event: sample(now, { peepCmH2O: set.peepCmH2O - 8 }), reason: 'delivery-mismatch' });
  }
  if (c.pending) {
    out.push({ event: { type: 'APPLY_FAILED', now, seq: c.pending.seq, code: 'refused', message: 'model' }, reason: 'device-fault' });
  }
  return out;
}

/** The events offered in a snapshot. */
export function eventsFor(s: Snap): ManeuverEvent[] {
  const c = s.context;
  const now = c.now;
  const name = stateName(s.value);
  const sample = (t: number, extra: Record<string, number> = {}) => sampleOf(t, { ...NORMAL, ...delivered(c), ...extra });
  // Every event type a state handles must be offered with its data (the graph otherwise sends bare `{ type }`).
  const evs: ManeuverEvent[] = [sample(now), { type: 'TICK', now: now + 1000 }, { type: 'DEVICE_FAULT', now, code: 'link-lost', message: 'model' }];
  if (s.status === 'done') return evs;
  if (name === 'idle') {
    evs.push({ type: 'START', now }, { type: 'OPERATOR_ABORT', now });
    return evs;
  }
  if (c.current?.startedAt != null && name.endsWith('dwelling')) {
    const end = c.current.startedAt + c.current.dwellMs;
    evs.push(sample(end - 1000), sample(end), sample(end, { spo2Pct: 91 }), sample(end, { spo2Pct: 97 }));
    // The final settings measured beyond the lung-protective limits.
    if (c.current.phase === 'final' || c.current.phase === 'assessment') evs.push(sample(end, { plateauCmH2O: 40 }));
    // A wean hold ending with SpO2 below the wean threshold, above the desaturation floor: the step back.
    if (c.current.phase === 'wean') evs.push(sample(end, { spo2Pct: (weanMinSpo2Of(c.protocol) + c.safety.spo2FloorPct) / 2 }));
    // The recruitability screen's release breath: it expires Vt plus the released volume.
    if (c.current.phase === 'release' && c.now + 1000 < end) {
      const vt = c.current.settings.tidalVolumeMl ?? 400;
      evs.push(sample(c.now + 1000, { expiredVolumeMl: vt + 15 * modelCompliance(c), plateauCmH2O: c.current.settings.peepCmH2O + vt / modelCompliance(c) }));
    }
  }
  evs.push(...abortTriggers(s).map((t) => t.event).filter((e) => e.type !== 'DEVICE_FAULT'));
  // Just past the apply deadline and the operator's confirmation deadline of this protocol.
  const applyLateMs = c.safety.applyTimeoutS * 1000 + 1000;
  const confirmLateMs = c.protocol.confirmTimeoutS * 1000 + 1000;
  evs.push({ type: 'TICK', now: now + applyLateMs }, { type: 'TICK', now: now + confirmLateMs }, sample(now + applyLateMs), sample(now + confirmLateMs));
  if (c.pending) {
    const p = c.pending;
    evs.push(
      { type: 'APPLIED', now, seq: p.seq, readback: p.settings },
      { type: 'APPLIED', now, seq: p.seq, readback: { ...p.settings, peepCmH2O: p.settings.peepCmH2O + 5 } },
      { type: 'APPLIED', now, seq: p.seq - 1, readback: p.settings },
      { type: 'APPLY_FAILED', now, seq: p.seq - 1, code: 'timeout', message: 'late failure of an older command' },
    );
  }
  evs.push(
    { type: 'OPERATOR_CONFIRM', now },
    { type: 'OPERATOR_ACK', now },
    { type: 'OPERATOR_REPEAT', now },
    { type: 'OPERATOR_END', now },
  );
  return evs;
}

/** What distinguishes states for the traversal: state value plus the context that guards read. */
export function serializeState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    v: s.value,
    i: c.stepIndex,
    r: Math.min(c.restore.attempts, c.safety.restoreAttempts + 1),
    rep: c.run.repeats,
    met: c.run.response?.met ?? null,
    vit: c.run.history ? Math.min(c.run.history.spo2.length, c.safety.baselineMinSamples) : -1,
    f: c.run.lastFault !== null,
    p: c.pending !== null,
    d: c.current?.startedAt != null,
    v2: c.restore.baselineVerified,
    fb: c.titration.fallback != null,
    po: c.run.preox ? c.run.preox.settledAt !== null : null,
  });
}

/** Every state node and transition the machine declares. */
export function declared(machine: ManeuverMachine) {
  const states = new Set<string>();
  const transitions = new Map<AnyTransitionDefinition, string>();
  const walk = (node: ManeuverMachine['root']): void => {
    if (node !== machine.root) states.add(node.id);
    for (const [type, defs] of node.transitions) defs.forEach((d, i) => transitions.set(d as AnyTransitionDefinition, `${node.id} --${type}[${i}]-->`));
    (node.always ?? []).forEach((d, i) => transitions.set(d as AnyTransitionDefinition, `${node.id} --always[${i}]-->`));
    for (const child of Object.values(node.states)) walk(child as ManeuverMachine['root']);
  };
  walk(machine.root);
  return { states, transitions };
}

/** The invariants every snapshot must satisfy, given the commands emitted so far. */
export function checkInvariants(s: Snap, commands: readonly ApplyCommand[]): void {
  const c = s.context;
  const name = stateName(s.value);
  for (const cmd of commands) {
    const v = checkCommandLimits(cmd.settings, c.protocol.peakLimitCmH2O);
    if (v.length) throw new Error(`command beyond limits in ${name}: ${v[0]?.message}`);
  }
  const last = commands[commands.length - 1];
  if (name.startsWith('aborting') || name.startsWith('failsafe')) {
    // The baseline, with FiO2 kept at the pre-oxygenation FiO2 once the run pre-oxygenates.
    if (last?.purpose !== 'restore-baseline' || !settingsMatch(restoreTargetOf(c), last.settings)) throw new Error(`${name}: last command is not the baseline restore`);
    if (c.run.preox && last.settings.fio2 < c.run.preox.fio2 - 1e-9) throw new Error(`${name}: the restore drops FiO2 below the pre-oxygenation FiO2`);
  }
  if (name === 'aborted') {
    if (!c.restore.baselineVerified || !c.abort || !c.verified || !settingsMatch(restoreTargetOf(c), c.verified)) throw new Error('aborted without a verified baseline and a reason');
  }
  if (name === 'completed' || name === 'finished') {
    if (!c.verified || last?.purpose !== 'final' || !settingsMatch(last.settings, c.verified)) throw new Error(`${name}: final settings not verified`);
  }
  if (name.startsWith('failsafe') && c.restore.failures.length < c.safety.restoreAttempts) throw new Error('failsafe before the restore attempts were used');
}

/** Runs events on a fresh actor, collecting commands, taken transitions and visited state nodes. */
export class Sut {
  readonly commands: ApplyCommand[] = [];
  readonly actor;
  constructor(
    machine: ManeuverMachine,
    protocol: Protocol,
    readonly baseline: VentSettings,
    readonly patient: PatientSize | undefined,
    readonly taken: Set<AnyTransitionDefinition>,
    readonly visited: Set<string>,
    snapshot?: unknown,
    inherited: readonly ApplyCommand[] = [],
  ) {
    this.commands.push(...inherited);
    const inspect = (e: InspectionEvent): void => {
      if (e.type !== '@xstate.microstep') return;
      for (const t of e._transitions) taken.add(t);
      for (const n of (e.snapshot as Snap)._nodes) visited.add(n.id);
    };
    this.actor = createActor(machine, {
      input: { protocol, baseline, ...(patient ? { patient } : {}) },
      inspect,
      ...(snapshot ? { snapshot: snapshot as Snap } : {}),
    });
    this.actor.on('command.apply', (cmd) => this.commands.push(cmd));
    this.actor.start();
    for (const n of this.actor.getSnapshot()._nodes) visited.add(n.id);
  }
  send(e: ManeuverEvent): Snap {
    this.actor.send(e);
    const s = this.actor.getSnapshot();
    checkInvariants(s, this.commands);
    return s;
  }
  fork(): Sut {
    return new Sut(this.actor.logic, this.protocolOf(), this.baseline, this.patient, this.taken, this.visited, this.actor.getPersistedSnapshot(), this.commands);
  }
  private protocolOf(): Protocol {
    return this.actor.getSnapshot().context.protocol;
  }
}

export interface ModelRun {
  paths: number;
  statesReached: string[];
  statesDeclared: string[];
  transitionsTaken: number;
  transitionsDeclared: number;
  untaken: string[];
  unreached: string[];
  abortChecks: number;
}

/**
 * Walks the machine for each protocol variant: shortest paths to every state (executed
 * with `path.test`), then every offered event from every state, then every abort trigger
 * from every non-terminal state.
 */
export async function exploreMachine(machine: ManeuverMachine, variants: Protocol[], baseline: VentSettings, patient?: PatientSize): Promise<ModelRun> {
  const { states, transitions } = declared(machine);
  const taken = new Set<AnyTransitionDefinition>();
  const visited = new Set<string>();
  let paths = 0;
  let abortChecks = 0;
  for (const protocol of variants) {
    const model = createTestModel(machine, { input: { protocol, baseline, ...(patient ? { patient } : {}) }, events: eventsFor, serializeState });
    for (const path of model.getShortestPaths({ allowDuplicatePaths: true })) {
      paths++;
      let sut!: Sut;
      // The library types executor events as `{ type }`; ours always carry their data.
      const exec = ({ event }: { event: { type: string } }) => {
        if (!('now' in event)) throw new Error(`model offered a bare ${event.type} event: eventsFor() must cover it`);
        sut.send(event as ManeuverEvent);
      };
      sut = new Sut(machine, protocol, baseline, patient, taken, visited);
      await path.test({
        events: {
          START: exec, TICK: exec, SAMPLE: exec, APPLIED: exec, APPLY_FAILED: exec, DEVICE_FAULT: exec,
          OPERATOR_CONFIRM: exec, OPERATOR_ABORT: exec, OPERATOR_ACK: exec, OPERATOR_REPEAT: exec, OPERATOR_END: exec,
        },
        states: {
          '*': (s) => {
            if (stateName(sut.actor.getSnapshot().value) !== stateName(s.value)) {
              throw new Error(`SUT in ${stateName(sut.actor.getSnapshot().value)}, model in ${stateName(s.value)}`);
            }
          },
        },
      });
      const here = sut.actor.getSnapshot();
      if (here.status !== 'done') for (const e of eventsFor(here)) sut.fork().send(e);
      const name = stateName(here.value);
      if (here.status !== 'done' && (name === 'idle' || name.startsWith('active') || name === 'completed')) {
        const triggers = name === 'idle' ? [{ event: { type: 'OPERATOR_ABORT', now: here.context.now } as ManeuverEvent, reason: 'operator-abort' }] :
          name === 'completed' ? [{ event: { type: 'OPERATOR_ABORT', now: here.context.now } as ManeuverEvent, reason: 'operator-abort' }] : abortTriggers(here);
        for (const t of triggers) {
          const f = sut.fork();
          const next = f.send(t.event);
          const nextName = stateName(next.value);
          abortChecks++;
          if (name === 'idle') {
            if (nextName !== 'cancelled' || f.commands.length) throw new Error(`abort from idle went to ${nextName}`);
            continue;
          }
          if (t.reason === FALLBACK) {
            // Re-recruitment, unless no final setting meets the lung-protective limits (then baseline, saying so).
            const ok = nextName.startsWith('active.reRecruit') || (nextName === 'aborting.restoring' && next.context.abort?.guard === 'noProtectiveFinalSetting');
            if (!ok || !next.context.titration.fallback) throw new Error(`desaturation in ${name} did not fall back to re-recruitment (went to ${nextName})`);
            continue;
          }
          if (nextName !== 'aborting.restoring') throw new Error(`${t.reason} trigger from ${name} went to ${nextName}`);
          if (next.context.abort?.reason !== t.reason) throw new Error(`${t.reason} trigger from ${name} recorded ${next.context.abort?.reason}`);
        }
      }
    }
  }
  const untaken = [...transitions].filter(([t]) => !taken.has(t)).map(([, label]) => label);
  const unreached = [...states].filter((s) => !visited.has(s));
  return {
    paths,
    statesReached: [...states].filter((s) => visited.has(s)),
    statesDeclared: [...states],
    transitionsTaken: transitions.size - untaken.length,
    transitionsDeclared: transitions.size,
    untaken,
    unreached,
    abortChecks,
  };
}
