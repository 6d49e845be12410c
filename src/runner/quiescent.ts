/**
 * The quiescent step: the batch engine's shortcut for the commonest event of a run, the one
 * that changes nothing but the context (a vitals or breath sample folded in, a TICK that
 * moves the clock). Most of a run's ~2,000 events are of that kind; XState processes each of
 * them through its full macrostep (transition selection down the state tree, microstep with
 * exit and entry sets, a new snapshot per assign, eventless transitions, state value
 * recomputed), which cost about as much as the machine's own guards and assigns together.
 *
 * The shortcut reads the machine itself, never a copy of it: the candidate transitions of the
 * active state nodes in XState's order (the atomic state first, then its ancestors), the
 * machine's own guards (named, inline and XState's built-in `and`/`or`/`not`, evaluated
 * as XState evaluates them) and its own assign actions. It takes the step only when XState's
 * result is certain to be what it computes:
 *
 * - the selected transition has no target and only assign actions (named, no params), or no
 *   transition is enabled at all;
 * - after the assigns, no eventless (`always`) transition of the active states is enabled;
 * - the machine is active, the event is not one of XState's own (`xstate.*`), no state is
 *   parallel, no transition listens to a wildcard, no assign spawns.
 *
 * Anything else, and any guard or assign that throws, is handed to XState (`null`), which
 * then processes the event from the same snapshot: guards and assigns are pure functions of
 * context and event, so evaluating them once more changes nothing.
 *
 * The result is the snapshot XState would return: the same context (what XState's
 * `Object.assign({}, context, partial)` per assign builds, key for key: a copy by a literal of
 * the context's keys with the partial written over it when the partial adds no key, else
 * `Object.assign` itself), the same state value, nodes, history, children and status (a literal
 * of XState's snapshot keys when the snapshot has exactly those, else a spread); the unchanged
 * snapshot itself when nothing was enabled.
 * test/runner/quiescent.test.ts compares both, event for event, on recorded cohort runs
 * (every maneuver, several profiles, aborts) and on small machines built to hit each refusal.
 */
import { and, not, or, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

/** A state node as the shortcut reads it (XState's StateNode, the parts used here). */
interface NodeLike {
  type: string;
  parent?: NodeLike;
  transitions: Map<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[];
  states?: Record<string, NodeLike>;
}

interface TransitionLike {
  target?: readonly unknown[];
  guard?: unknown;
  actions: readonly unknown[];
}

type GuardFn = ((args: { context: unknown; event: EventObject }, params: unknown) => boolean) & {
  check?: (snapshot: AnyMachineSnapshot, args: { context: unknown; event: EventObject }, guard: unknown) => boolean;
};

interface AssignAction {
  type: 'xstate.assign';
  assignment: ((args: unknown, params: unknown) => Record<string, unknown>) | Record<string, unknown>;
}

/** Why the shortcut hands an event to XState (thrown inside, caught in `quiescentStep`). */
class Refused extends Error {}
const REFUSED = new Refused('handed to XState');

function refuse(): never {
  throw REFUSED;
}

const isAssign = (a: unknown): a is AssignAction =>
  typeof a === 'function' && (a as { type?: unknown }).type === 'xstate.assign' && 'assignment' in a && 'resolve' in a;

/** What a machine allows: no parallel state, no wildcard or partial event descriptor anywhere. */
export function supportsQuiescentStep(machine: AnyStateMachine): boolean {
  const ok = (n: NodeLike): boolean => {
    if (n.type === 'parallel' || n.type === 'history') return false;
    for (const key of n.transitions.keys()) if (key.includes('*')) return false;
    return Object.values(n.states ?? {}).every(ok);
  };
  return ok(machine.root as unknown as NodeLike);
}

/** XState's evaluateGuard, for the guard forms it accepts; anything else is refused. */
function evaluateGuard(guard: unknown, context: unknown, event: EventObject, snapshot: AnyMachineSnapshot): boolean {
  const guards = (snapshot.machine as AnyStateMachine).implementations.guards as Record<string, unknown>;
  const inline = typeof guard === 'function';
  const resolved = inline ? guard : typeof guard === 'string' ? guards[guard] : guard && typeof guard === 'object' && 'type' in guard ? guards[(guard as { type: string }).type] : undefined;
  if (resolved === undefined || resolved === null) refuse();
  if (typeof resolved !== 'function') return evaluateGuard(resolved, context, event, snapshot);
  // Guard params (a `{ type, params }` reference) are left to XState.
  if (!inline && typeof guard !== 'string' && 'params' in (guard as object)) refuse();
  const fn = resolved as GuardFn;
  // XState's and / or / not (recognised by their own check functions): their guards evaluated
  // here, in XState's order and with its short cut (checkAnd is `guards.every`, checkOr
  // `guards.some`, checkNot `!guards[0]`), without a closure and XState's evaluateGuard per guard.
  // Every `dwelling` state evaluates an `and` on each event (issue 20, fourth pass).
  const check = fn.check;
  if (check !== undefined) {
    const gs = (fn as { guards?: unknown }).guards;
    if (Array.isArray(gs)) {
      if (check === AND_CHECK) {
        for (let i = 0; i < gs.length; i++) if (i in gs && !evaluateGuard(gs[i], context, event, snapshot)) return false;
        return true;
      }
      if (check === OR_CHECK) {
        for (let i = 0; i < gs.length; i++) if (i in gs && evaluateGuard(gs[i], context, event, snapshot)) return true;
        return false;
      }
      if (check === NOT_CHECK) return !evaluateGuard(gs[0], context, event, snapshot);
    }
    // Others (stateIn) check themselves against the snapshot, as in XState.
    return check(snapshot, { context, event }, fn);
  }
  return fn({ context, event }, undefined);
}

/** XState's own check functions of its combinators (taken from combinators made once here). */
const AND_CHECK = (and([]) as unknown as GuardFn).check;
const OR_CHECK = (or([]) as unknown as GuardFn).check;
const NOT_CHECK = (not('x') as unknown as GuardFn).check;

/** The active atomic state and its ancestors, innermost first (XState's selection order). */
function activePath(snapshot: AnyMachineSnapshot): NodeLike[] {
  const nodes = snapshot._nodes as unknown as NodeLike[];
  // The step passes `_nodes` on unchanged: one state's events share one array (XState never
  // mutates it), so its path is worked out once (one entry, by identity).
  if (nodes === lastPath.nodes) return lastPath.path;
  let leaf: NodeLike | undefined;
  for (const n of nodes) {
    if (n.type === 'atomic' || n.type === 'final') {
      if (leaf) refuse();
      leaf = n;
    }
  }
  if (!leaf) refuse();
  const path: NodeLike[] = [];
  for (let n: NodeLike | undefined = leaf; n; n = n.parent) path.push(n);
  lastPath = { nodes, path };
  return path;
}

let lastPath: { nodes: readonly NodeLike[] | null; path: NodeLike[] } = { nodes: null, path: [] };

/**
 * XState's snapshot (createMachineSnapshot), key by key. The step copies a snapshot with a
 * literal of these keys instead of a spread (a 15-key spread cost about 0.3 us an event, the
 * literal a tenth of it), when the snapshot has exactly these own keys, in this order.
 */
const SNAPSHOT_KEYS = ['status', 'output', 'error', 'machine', 'context', '_nodes', 'value', 'tags', 'children', 'historyValue', 'matches', 'hasTag', 'can', 'getMeta', 'toJSON'] as const;

type SnapshotRecord = Record<(typeof SNAPSHOT_KEYS)[number], unknown>;

function withContext(snapshot: AnyMachineSnapshot, context: unknown): AnyMachineSnapshot {
  if (snapshot !== lastOut.snapshot && !hasKeys(snapshot, SNAPSHOT_KEYS)) return { ...snapshot, context } as AnyMachineSnapshot;
  const s = snapshot as unknown as SnapshotRecord;
  return {
    status: s.status,
    output: s.output,
    error: s.error,
    machine: s.machine,
    context,
    _nodes: s._nodes,
    value: s.value,
    tags: s.tags,
    children: s.children,
    historyValue: s.historyValue,
    matches: s.matches,
    hasTag: s.hasTag,
    can: s.can,
    getMeta: s.getMeta,
    toJSON: s.toJSON,
  } as unknown as AnyMachineSnapshot;
}

/** Whether `o` has exactly these own keys, in this order, and no symbol keys. */
function hasKeys(o: object, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  if (own.length !== keys.length || Object.getOwnPropertySymbols(o).length > 0) return false;
  for (let i = 0; i < keys.length; i++) if (own[i] !== keys[i]) return false;
  return true;
}

/** XState's assign: a new context with the partial's values over the old one's (the same keys, order and values). */
function assignContext(context: Record<string, unknown>, partial: Record<string, unknown>): Record<string, unknown> {
  return Object.assign({}, context, partial);
}

/** The snapshot the step returned last (it has SNAPSHOT_KEYS: no need to check them again). */
let lastOut: { snapshot: object | null } = { snapshot: null };

/**
 * The snapshot after `event`, or `null` when XState must process it.
 *
 * @example
 * const next = quiescentStep(machine, snapshot, event, scope) ?? machine.transition(snapshot, event, scope);
 */
export function quiescentStep<S extends AnyMachineSnapshot>(machine: AnyStateMachine, snapshot: S, event: EventObject, scope: AnyActorScope): S | null {
  if (snapshot.status !== 'active' || event.type.startsWith('xstate.')) return null;
  try {
    const path = activePath(snapshot);
    // Transition selection: the first enabled candidate, innermost node first.
    let selected: TransitionLike | undefined;
    for (const node of path) {
      const candidates = node.transitions.get(event.type);
      if (!candidates) continue;
      for (const t of candidates) {
        if (t.guard === undefined || evaluateGuard(t.guard, snapshot.context, event, snapshot)) {
          selected = t;
          break;
        }
      }
      if (selected) break;
    }
    if (!selected) return eventlessEnabled(path, snapshot, event) ? null : snapshot;
    if (selected.target !== undefined && selected.target.length > 0) return null;
    // The transition's actions: assigns only, each on the context the previous one left.
    const actions = (machine.implementations.actions ?? {}) as Record<string, unknown>;
    let context = snapshot.context as Record<string, unknown>;
    for (const ref of selected.actions) {
      if (typeof ref !== 'string') return null;
      const action = actions[ref];
      if (!isAssign(action)) return null;
      const args = { context, event, spawn: refuse, self: scope.self, system: scope.system };
      let partial: Record<string, unknown>;
      if (typeof action.assignment === 'function') partial = action.assignment(args, undefined);
      else {
        partial = {};
        for (const key of Object.keys(action.assignment)) {
          const p = action.assignment[key];
          partial[key] = typeof p === 'function' ? (p as (a: unknown, params: unknown) => unknown)(args, undefined) : p;
        }
      }
      context = assignContext(context, partial);
    }
    if (context === snapshot.context) return eventlessEnabled(path, snapshot, event) ? null : snapshot;
    const next = withContext(snapshot, context) as S;
    if (eventlessEnabled(path, next, event)) return null;
    lastOut = { snapshot: next };
    return next;
  } catch (err) {
    if (err === REFUSED) return null;
    // A guard or an assign threw: XState evaluates it again and reports it its own way.
    return null;
  }
}

/** Whether an eventless transition of the active states is enabled (XState would take it). */
function eventlessEnabled(path: readonly NodeLike[], snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  for (const node of path) {
    if (!node.always) continue;
    for (const t of node.always) if (t.guard === undefined || evaluateGuard(t.guard, snapshot.context, event, snapshot)) return true;
  }
  return false;
}
