/**
 * Model-based test generation for a vendor's own protocol: the paths through a maneuver
 * machine that together reach every state, take every transition and abort from every running
 * state with every abort trigger, as the project's own model tests do (testing/model.ts), kept
 * to the paths that add coverage. Each path ends with the device commands it left pending
 * confirmed, so an abort path ends restored (or in failsafe where the model says so).
 *
 * Pure: no device, no I/O, no vitest. `rmseq testgen` writes the result into a vitest file
 * that replays each path against the vendor's `Ventilator` (`runModelPath`).
 */
import { createTestModel } from '@xstate/graph';
import { createActor, type AnyTransitionDefinition, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { machineFor, ProtocolSchema, stateName, titrates, type ApplyCommand, type ManeuverEvent, type ManeuverMachine, type PatientSize, type Protocol, type VentSettings } from '../machines/index.js';
import { abortTriggers, checkInvariants, declared, eventsFor, serializeState } from './model.js';

type Snap = SnapshotFrom<ManeuverMachine>;

export interface ModelPath {
  /** Stable within one generation: p001, p002, ... */
  id: string;
  /** Index into `ModelPathSet.protocols`: the protocol variant the path runs. */
  protocol: number;
  /** What the path is for, in words. */
  title: string;
  /** The events, in order, each with its time as data. */
  events: ManeuverEvent[];
  /** The machine's state after each event, as the model computed it. */
  states: string[];
  /** Where the path ends, and the abort reason recorded there (null when it did not abort). */
  final: { state: string; abortReason: string | null };
}

export interface ModelPathSet {
  /** Format of this object, for files written by `rmseq testgen`. */
  format: 'rm-sequencer/model-paths/1';
  /**
   * The protocol as given, and its variant with every step confirmed by the operator and a
   * repeat allowed at once: operator confirmation and repeats change nothing sent to the
   * device, but they are states and transitions of the machine a path must reach.
   */
  protocols: Protocol[];
  baseline: VentSettings;
  /** The patient's height and sex (predicted body weight: tidal volumes limited per kg). */
  patient: PatientSize;
  paths: ModelPath[];
  coverage: {
    statesReached: number;
    statesDeclared: number;
    transitionsTaken: number;
    transitionsDeclared: number;
    /** (running state, abort reason) pairs exercised. */
    abortPairs: number;
    /** What the model declares but no path reaches (empty for a complete set). */
    unreached: string[];
    untaken: string[];
  };
}

/** Runs events on a fresh actor (or a restored snapshot), recording what they cover. */
class Probe {
  readonly taken = new Set<AnyTransitionDefinition>();
  readonly visited = new Set<string>();
  readonly commands: ApplyCommand[];
  readonly events: ManeuverEvent[];
  readonly states: string[];
  readonly actor;
  constructor(
    private readonly machine: ManeuverMachine,
    private readonly protocol: Protocol,
    private readonly baseline: VentSettings,
    private readonly patient: PatientSize,
    from?: { snapshot: unknown; commands: readonly ApplyCommand[]; events: readonly ManeuverEvent[]; states: readonly string[] },
  ) {
    this.commands = [...(from?.commands ?? [])];
    this.events = [...(from?.events ?? [])];
    this.states = [...(from?.states ?? [])];
    const inspect = (e: InspectionEvent): void => {
      if (e.type !== '@xstate.microstep') return;
      for (const t of e._transitions) this.taken.add(t);
      for (const n of (e.snapshot as Snap)._nodes) this.visited.add(n.id);
    };
    this.actor = createActor(machine, { input: { protocol, baseline, patient }, inspect, ...(from ? { snapshot: from.snapshot as Snap } : {}) });
    this.actor.on('command.apply', (cmd) => this.commands.push(cmd));
    this.actor.start();
    for (const n of this.actor.getSnapshot()._nodes) this.visited.add(n.id);
  }
  send(e: ManeuverEvent): Snap {
    this.actor.send(e);
    const s = this.actor.getSnapshot();
    checkInvariants(s, this.commands);
    this.events.push(e);
    this.states.push(stateName(s.value));
    return s;
  }
  /** A copy from the current snapshot: its coverage counts only what happens after. */
  fork(): Probe {
    return new Probe(this.machine, this.protocol, this.baseline, this.patient, { snapshot: this.actor.getPersistedSnapshot(), commands: this.commands, events: this.events, states: this.states });
  }
  /**
   * A violating sample aborts only once its condition has lasted the protocol's alarm delay
   * (`safety.persistenceS`, at most 15 s): the same sample again every second, up to 20 s,
   * until the machine leaves the running state.
   */
  persist(trigger: ManeuverEvent): void {
    if (trigger.type !== 'SAMPLE') return;
    for (let k = 1; k <= 20; k++) {
      const s = this.actor.getSnapshot();
      if (s.status === 'done' || !stateName(s.value).startsWith('active')) break;
      const now = trigger.now + k * 1000;
      this.send({ type: 'SAMPLE', now, sample: { ...trigger.sample, t: now } });
    }
  }

  /** Confirms, as a faithful device would, every command still pending (at most `limit`). */
  drain(limit = 6): void {
    for (let i = 0; i < limit; i++) {
      const s = this.actor.getSnapshot();
      const p = s.context.pending;
      if (s.status === 'done' || !p) break;
      this.send({ type: 'APPLIED', now: s.context.now, seq: p.seq, readback: p.settings });
    }
  }
}

/**
 * The covering set of paths for one protocol and baseline.
 *
 * @example
 * import { generateModelPaths } from 'rm-sequencer/testing';
 * const set = generateModelPaths(defaultProtocol('staircase'), { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 });
 * console.log(set.paths.length, set.coverage);
 */
/** The patient the paths are generated for unless told otherwise: 174.4 cm, male (predicted body weight 70 kg). */
export const MODEL_PATIENT: PatientSize = { heightCm: 174.4, sex: 'male' };

/** The model patient's SpO2 (testing/model.ts): above the `if-needed` pre-oxygenation threshold by default. */
const MODEL_SPO2_PCT = 94;

/**
 * The states and transitions a protocol can use: a single-step RM that does not hand over to the
 * titration never enters its phases, and a protocol that does not pre-oxygenate the model patient
 * (`never`, or `if-needed` with the model's SpO2 above the threshold) never enters pre-oxygenation,
 * nor the wean of FiO2 at the end (which also needs finalFio2 `wean`).
 * Coverage is counted against these (a vendor's report does not list phases their protocol never runs).
 */
function inUse(machine: ManeuverMachine, protocol: Protocol, d: ReturnType<typeof declared>): ReturnType<typeof declared> {
  const unused: string[] = [];
  if (!titrates(protocol)) unused.push('fio2', 'decremental', 'deciding', 'reRecruit', 'final');
  const po = protocol.preoxygenation;
  const preox = !(po.when === 'never' || (po.when === 'if-needed' && MODEL_SPO2_PCT >= po.ifBelowSpo2Pct));
  if (!preox) unused.push('preoxygenation');
  // The wean of FiO2 at the end runs only after pre-oxygenation, with finalFio2 `wean`.
  if (!preox || protocol.finalFio2.afterPreoxygenation !== 'wean') unused.push('wean', 'weanBack');
  const prefixes = unused.map((p) => `${machine.id}.active.${p}`);
  const off = (id: string) => prefixes.some((p) => id === p || id.startsWith(`${p}.`));
  const states = new Set([...d.states].filter((s) => !off(s)));
  const transitions = new Map(
    [...d.transitions].filter(([t]) => !off(t.source.id) && !(t.target ?? []).some((n) => off(n.id))),
  );
  return { states, transitions };
}

export function generateModelPaths(protocol: Protocol, baseline: VentSettings, patient: PatientSize = MODEL_PATIENT): ModelPathSet {
  const machine = machineFor(protocol.maneuver);
  const protocols = [protocol, ProtocolSchema.parse({ ...protocol, confirmEachStep: !protocol.confirmEachStep, repeat: { maxRepeats: Math.max(1, protocol.repeat.maxRepeats), minIntervalS: 0 } })];
  const { states, transitions } = inUse(machine, protocol, declared(machine));
  const taken = new Set<AnyTransitionDefinition>();
  const visited = new Set<string>();
  const abortPairs = new Set<string>();
  const paths: ModelPath[] = [];

  /** Keeps a candidate (a base run, forked, plus a tail, then drained) when it covers something new. */
  const consider = (variant: number, base: Probe, tail: ManeuverEvent | null, title: string, abortKey: string | null): void => {
    const probe = tail ? base.fork() : base;
    if (tail) {
      probe.send(tail);
      if (abortKey) probe.persist(tail);
    }
    probe.drain();
    const newTransition = [...probe.taken].some((t) => !taken.has(t));
    const newState = [...probe.visited].some((s) => !visited.has(s));
    const newAbort = abortKey !== null && !abortPairs.has(abortKey);
    if (!newTransition && !newState && !newAbort) return;
    for (const t of probe.taken) taken.add(t);
    for (const s of probe.visited) visited.add(s);
    if (abortKey) abortPairs.add(abortKey);
    const end = probe.actor.getSnapshot();
    paths.push({
      id: `p${String(paths.length + 1).padStart(3, '0')}`,
      protocol: variant,
      title,
      events: [...probe.events],
      states: [...probe.states],
      final: { state: stateName(end.value), abortReason: end.context.abort?.reason ?? null },
    });
  };

  protocols.forEach((variant, v) => {
    const model = createTestModel(machine, { input: { protocol: variant, baseline, patient }, events: eventsFor, serializeState });
    for (const path of model.getShortestPaths({ allowDuplicatePaths: true })) {
      const prefix = path.steps.map((s) => s.event).filter((e): e is ManeuverEvent => 'now' in e);
      const probe = new Probe(machine, variant, baseline, patient);
      for (const e of prefix) probe.send(e);
      const here = probe.actor.getSnapshot();
      const name = stateName(here.value);
      const base = probe.fork(); // before `consider` drains the probe itself
      consider(v, probe, null, `reaches ${name}`, null);
      if (here.status === 'done') continue;
      for (const e of eventsFor(here)) consider(v, base, e, `${e.type} in ${name}`, null);
      const running = name.startsWith('active') || name === 'completed' || name === 'idle';
      if (!running) continue;
      const triggers =
        name === 'idle' || name === 'completed' ? [{ event: { type: 'OPERATOR_ABORT', now: here.context.now } as ManeuverEvent, reason: 'operator-abort' }] : abortTriggers(here);
      for (const t of triggers) consider(v, base, t.event, `abort (${t.reason}) from ${name}`, `${name}|${t.reason}`);
    }
  });

  const untaken = [...transitions].filter(([t]) => !taken.has(t)).map(([, label]) => label);
  const unreached = [...states].filter((s) => !visited.has(s));
  return {
    format: 'rm-sequencer/model-paths/1',
    protocols,
    baseline,
    patient,
    paths,
    coverage: {
      statesReached: states.size - unreached.length,
      statesDeclared: states.size,
      transitionsTaken: transitions.size - untaken.length,
      transitionsDeclared: transitions.size,
      abortPairs: abortPairs.size,
      unreached,
      untaken,
    },
  };
}
