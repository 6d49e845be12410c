/**
 * How a session runs its maneuver machine. Two engines, one contract, the same machine:
 *
 * - `actor`: an XState actor (`createActor`), as the library runs any machine;
 * - `transition`: the machine's own pure transition function (`machine.transition`, what
 *   XState's `transition()` calls) driven by a small loop that keeps what the actor keeps and
 *   nothing else: one snapshot, a queue for events sent while an event is being processed,
 *   emitted events and deferred effects run after the new snapshot is stored and before the
 *   observer hears of it, nothing processed once the machine is done, stopped or failed.
 *
 * The second is the batch path (cohorts, benchmarks): no mailbox, inspection, system
 * registration or observer set per event, and one actor scope for the whole session instead of
 * the throwaway actor XState's `transition()` builds on every call (which costs an initial
 * snapshot per event). The machine stays the specification: no state, guard or action is
 * reimplemented here, so a change to any machine changes both engines alike, and
 * test/runner/engineIdentity.test.ts checks that both give the same decisions event for event.
 *
 * The transition engine takes the commonest events (a sample or tick that changes only the
 * context) through the quiescent step (./quiescent.ts), read from the same machine, and every
 * other event through XState's macrostep; `test/runner/quiescent.test.ts` compares the two.
 *
 * Only machines that keep time as data can run on the transition engine: it has no scheduler,
 * so a machine with delayed transitions (`after`) or invoked/spawned actors is refused.
 */
import { createActor, type Actor, type AnyActorScope, type SnapshotFrom } from 'xstate';
import type { ManeuverEmitted, ManeuverEvent, ManeuverInput, ManeuverMachine } from '../../machines/index.js';
import { quiescentStep, supportsQuiescentStep } from './quiescent.js';

export const ENGINES = ['actor', 'transition'] as const;
export type EngineKind = (typeof ENGINES)[number];

export type ManeuverSnapshot = SnapshotFrom<ManeuverMachine>;

export interface EngineHandlers {
  /** An event the machine emitted (a command to the ventilator). */
  emitted: (e: ManeuverEmitted) => void;
  /** The snapshot changed (also once at start). */
  snapshot: (s: ManeuverSnapshot) => void;
  /** The machine threw: it stops, nothing more is processed. */
  error: (err: unknown) => void;
}

export interface MachineEngine {
  readonly kind: EngineKind;
  start(): void;
  send(event: ManeuverEvent): void;
  getSnapshot(): ManeuverSnapshot;
  stop(): void;
}

/** Reported like XState reports an error thrown by a listener: out of band, never swallowed. */
function reportUnhandled(err: unknown): void {
  setTimeout(() => {
    throw err;
  });
}

class ActorEngine implements MachineEngine {
  readonly kind = 'actor' as const;
  private readonly actor: Actor<ManeuverMachine>;
  constructor(machine: ManeuverMachine, input: ManeuverInput, h: EngineHandlers) {
    this.actor = createActor(machine, { input });
    this.actor.on('command.apply', (cmd) => h.emitted(cmd));
    this.actor.subscribe({ next: (s) => h.snapshot(s), error: (err) => h.error(err) });
  }
  start(): void {
    this.actor.start();
  }
  send(event: ManeuverEvent): void {
    this.actor.send(event);
  }
  getSnapshot(): ManeuverSnapshot {
    return this.actor.getSnapshot();
  }
  stop(): void {
    this.actor.stop();
  }
}

interface StateNodeLike {
  id: string;
  after?: readonly unknown[];
  invoke?: readonly unknown[];
  states?: Record<string, StateNodeLike>;
}

/** Throws when a machine needs a scheduler or child actors (the transition engine has neither). */
export function assertTimeAsData(machine: { root: unknown }): void {
  const visit = (n: StateNodeLike): void => {
    if ((n.after?.length ?? 0) > 0) throw new TypeError(`the transition engine cannot run state '${n.id}': it has delayed transitions (after); machines keep time as data`);
    if ((n.invoke?.length ?? 0) > 0) throw new TypeError(`the transition engine cannot run state '${n.id}': it invokes an actor`);
    for (const c of Object.values(n.states ?? {})) visit(c);
  };
  visit(machine.root as StateNodeLike);
}

type Status = 'not-started' | 'running' | 'stopped';

export interface TransitionEngineOptions {
  /** Take context-only events through the quiescent step (default true; false: XState's macrostep for every event). */
  quiescent?: boolean;
}

export class TransitionEngine implements MachineEngine {
  readonly kind = 'transition' as const;
  private snapshot: ManeuverSnapshot;
  private readonly scope: AnyActorScope;
  private readonly deferred: Array<() => void> = [];
  private readonly queue: ManeuverEvent[] = [];
  private processing = false;
  private status: Status = 'not-started';
  private readonly quiescent: boolean;
  /** Events taken by the quiescent step, and by XState's macrostep (for the bench and the tests). */
  readonly counts = { quiescent: 0, macrostep: 0 };

  constructor(
    private readonly machine: ManeuverMachine,
    input: ManeuverInput,
    private readonly h: EngineHandlers,
    options: TransitionEngineOptions = {},
  ) {
    assertTimeAsData(machine);
    this.quiescent = (options.quiescent ?? true) && supportsQuiescentStep(machine);
    // An actor that is never started stands for `self` (actions may read its id); its system
    // schedules nothing, since the machine has no delays.
    const self = createActor(machine, { input });
    this.scope = {
      self,
      id: self.id,
      sessionId: self.sessionId,
      logger: (...args: unknown[]) => console.log(...args),
      system: self.system,
      defer: (fn) => void this.deferred.push(fn),
      emit: (e) => {
        if (e.type !== 'command.apply') return;
        try {
          this.h.emitted(e as ManeuverEmitted);
        } catch (err) {
          reportUnhandled(err);
        }
      },
      stopChild: () => undefined,
      // As the actor does: built-in effects (emit) defer themselves; custom ones run at once while
      // running and wait for the start before it (the initial state's entry actions).
      actionExecutor: (action) => {
        if (this.status === 'running') action.exec?.(action.info, action.params);
        else this.deferred.push(() => action.exec?.(action.info, action.params));
      },
    } as AnyActorScope;
    this.snapshot = machine.getInitialSnapshot(this.scope, input);
  }

  start(): void {
    if (this.status !== 'not-started') return;
    this.status = 'running';
    this.update(this.snapshot);
    // Events sent before the start wait for it, in order, as in the actor's mailbox.
    this.drain();
  }

  send(event: ManeuverEvent): void {
    if (this.status === 'stopped') return;
    this.queue.push(event);
    if (this.status === 'running') this.drain();
  }

  private drain(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      let next: ManeuverEvent | undefined;
      while (this.status === 'running' && (next = this.queue.shift()) !== undefined) {
        let snapshot: ManeuverSnapshot;
        try {
          // Most events only fold a sample into the context: the quiescent step takes those
          // (src/runner/quiescent.ts) and hands every other one to XState's macrostep.
          const quick = this.quiescent ? quiescentStep(this.machine, this.snapshot, next, this.scope) : null;
          if (quick) this.counts.quiescent++;
          else this.counts.macrostep++;
          snapshot = quick ?? this.machine.transition(this.snapshot, next, this.scope);
        } catch (err) {
          this.fail(err);
          break;
        }
        this.update(snapshot);
      }
    } finally {
      this.processing = false;
    }
  }

  getSnapshot(): ManeuverSnapshot {
    return this.snapshot;
  }

  stop(): void {
    if (this.status === 'stopped') return;
    const wasRunning = this.status === 'running' && this.snapshot.status === 'active';
    this.status = 'stopped';
    this.queue.length = 0;
    if (!wasRunning) return;
    // The actor stops by processing xstate.stop through the machine (status 'stopped'; nobody is notified).
    try {
      this.update(this.machine.transition(this.snapshot, { type: 'xstate.stop' } as unknown as ManeuverEvent, this.scope));
    } catch {
      // Stopping does not report: the actor's does not either.
    }
  }

  private update(snapshot: ManeuverSnapshot): void {
    this.snapshot = snapshot;
    let fn: (() => void) | undefined;
    while ((fn = this.deferred.shift()) !== undefined) {
      try {
        fn();
      } catch (err) {
        this.deferred.length = 0;
        this.fail(err);
        return;
      }
    }
    if (snapshot.status === 'active' || snapshot.status === 'done') {
      try {
        this.h.snapshot(snapshot);
      } catch (err) {
        reportUnhandled(err);
      }
    }
    if (snapshot.status !== 'active') {
      this.status = 'stopped';
      this.queue.length = 0;
    }
  }

  private fail(err: unknown): void {
    this.status = 'stopped';
    this.queue.length = 0;
    this.snapshot = { ...this.snapshot, status: 'error', error: err } as ManeuverSnapshot;
    this.h.error(err);
  }
}

/**
 * The engine a session runs its machine on.
 *
 * @example
 * const engine = createEngine('transition', machineFor('staircase'), input, { emitted: (cmd) => apply(cmd), snapshot: (s) => show(s), error: (e) => alarm(e) });
 * engine.start();
 * engine.send({ type: 'START', now: 0 });
 */
export function createEngine(kind: EngineKind, machine: ManeuverMachine, input: ManeuverInput, handlers: EngineHandlers): MachineEngine {
  return kind === 'actor' ? new ActorEngine(machine, input, handlers) : new TransitionEngine(machine, input, handlers);
}
