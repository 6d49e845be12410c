/**
 * What a heap holds, counted from a V8 heap snapshot: the JavaScript values a program keeps
 * (objects, arrays, closures, numbers) apart from what V8 keeps for itself (compiled
 * code, deoptimization data, feedback, shapes), which grows with JIT warm-up, not with a leak.
 * Structural: it counts what is reachable, so it does not depend on timing or on when the
 * collector ran.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

export interface HeapCensus {
  /**
   * JavaScript values reachable (node types object, array, closure, number, regexp, symbol,
   * bigint). Strings are left out: taking a heap snapshot itself leaves thousands of them
   * reachable (about 10,000 per snapshot here), and whatever a program keeps it keeps in objects.
   */
  values: number;
  valueBytes: number;
  /** What V8 keeps for compiled code and its metadata (node types code, hidden, object shape). */
  engineBytes: number;
  /** Values by constructor name for objects ('object:Array'), by type for the rest ('closure'), for a diagnosis. */
  byKind: Map<string, number>;
  /** Bytes by the same kinds. */
  bytesByKind: Map<string, number>;
}

const VALUE_TYPES = new Set(['object', 'array', 'closure', 'number', 'regexp', 'symbol', 'bigint']);
const ENGINE_TYPES = new Set(['code', 'hidden', 'object shape']);

/** Counts the live heap (a snapshot keeps only what is reachable). */
export function heapCensus(): HeapCensus {
  // Written to a file, not streamed: the stream (v8.getHeapSnapshot) leaves about 230 kB of
  // arrays reachable after each snapshot, which the next one would count.
  const file = writeHeapSnapshot(join(tmpdir(), `heap-census-${process.pid}-${Date.now()}.heapsnapshot`));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } finally {
    rmSync(file, { force: true });
  }
  const snap = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const edgeCountAt = fields.indexOf('edge_count');
  const edgeWidth = snap.snapshot.meta.edge_fields.length;
  const toAt = snap.snapshot.meta.edge_fields.indexOf('to_node');
  const sizeAt = fields.indexOf('self_size');
  const nameAt = fields.indexOf('name');
  const strings = (snap as unknown as { strings: string[] }).strings;
  // A value counts when a JavaScript value (an object, array or closure, scopes included) holds
  // it. What only V8 holds is V8's: its number-to-string cache (256 kB, emptied by every full
  // collection and refilled), the boilerplates of object literals kept by allocation sites.
  const edgeTypeAt = snap.snapshot.meta.edge_fields.indexOf('type');
  const weak = snap.snapshot.meta.edge_types[0].indexOf('weak');
  const heldByValue = new Set<number>();
  for (let i = 0, e = 0; i < snap.nodes.length; i += width) {
    const count = snap.nodes[i + edgeCountAt]!;
    const t = types[snap.nodes[i + typeAt]!]!;
    if (t === 'object' || t === 'array' || t === 'closure') {
      for (let k = e; k < e + count; k++) if (snap.edges[k * edgeWidth + edgeTypeAt] !== weak) heldByValue.add(snap.edges[k * edgeWidth + toAt]!);
    }
    e += count;
  }
  const census: HeapCensus = { values: 0, valueBytes: 0, engineBytes: 0, byKind: new Map(), bytesByKind: new Map() };
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const size = snap.nodes[i + sizeAt]!;
    if (VALUE_TYPES.has(type) && heldByValue.has(i)) {
      census.values++;
      census.valueBytes += size;
      // Objects by constructor, the rest by type: a few hundred keys (by closure name it would be
      // thousands, and the census kept for a comparison would count in the next one).
      const key = type === 'object' ? `object:${strings[snap.nodes[i + nameAt]!]}` : type;
      census.byKind.set(key, (census.byKind.get(key) ?? 0) + 1);
      census.bytesByKind.set(key, (census.bytesByKind.get(key) ?? 0) + size);
    } else if (ENGINE_TYPES.has(type)) census.engineBytes += size;
  }
  return census;
}
