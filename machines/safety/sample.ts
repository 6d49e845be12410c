/**
 * The one check every sample passes at the edge, before any guard sees it: raw -> plausible
 * -> typed. What a source marks invalid and what is physically implausible never counts as
 * a measurement; the time the controller relies on is never later than the sample's receipt,
 * and a sample dated into the future beyond a small skew is rejected whole.
 */
import { SAMPLE_FIELDS, type CheckedSample, type MonitorSample, type RejectedValue, type SampleField } from '../types.js';

/**
 * Physically possible ranges. Values outside are sensor faults, dropped. HR 0 is possible
 * (asystole, or ECG leads off): it is kept, and the heart-rate guard aborts on it at once.
 */
export const PLAUSIBLE = {
  spo2Pct: [1, 100],
  mapMmHg: [10, 250],
  sbpMmHg: [20, 300],
  hrBpm: [0, 300],
  peakCmH2O: [-20, 150],
  plateauCmH2O: [-20, 150],
  peepCmH2O: [-20, 100],
  tidalVolumeMl: [0, 3000],
  complianceMlPerCmH2O: [0, 500],
  expiredVolumeMl: [0, 5000],
} as const satisfies Record<SampleField, readonly [number, number]>;

export type SampleCheck =
  | { ok: true; sample: CheckedSample }
  | { ok: false; reason: 'future-timestamp'; message: string };

/**
 * Checks a raw sample received at `receivedAt` (the controller's own monotonic clock).
 *
 * - claimed time more than `maxFutureSkewMs` after the receipt: rejected (counted by the caller);
 * - otherwise `t` = the earlier of claim and receipt, so a claim can make a value older, never fresher;
 * - values outside `PLAUSIBLE`, non-finite, or in the source's `invalid` list: dropped and named in `rejected`
 *   (a field in `invalid` without a value is named too).
 *
 * @example
 * const r = checkSample({ t: 1000, source: 'monitor', spo2Pct: 93, mapMmHg: 400 }, 1200, 2000);
 * // r.ok && r.sample: { checked: true, t: 1000, source: 'monitor', spo2Pct: 93, rejected: { mapMmHg: 'implausible' } }
 */
export function checkSample(raw: MonitorSample, receivedAt: number, maxFutureSkewMs: number): SampleCheck {
  if (!(raw.t <= receivedAt + maxFutureSkewMs)) {
    return {
      ok: false,
      reason: 'future-timestamp',
      message: `${raw.source}: sample dated ${Number.isFinite(raw.t) ? `${((raw.t - receivedAt) / 1000).toFixed(1)} s after its receipt` : 'with no valid time'} (limit ${(maxFutureSkewMs / 1000).toFixed(1)} s): rejected`,
    };
  }
  const out: { -readonly [K in keyof CheckedSample]: CheckedSample[K] } = { checked: true, t: Math.min(raw.t, receivedAt), source: raw.source };
  let rejected: Partial<Record<SampleField, RejectedValue>> | undefined;
  const marked = raw.invalid;
  for (const field of SAMPLE_FIELDS) {
    const v = raw[field];
    if (v === undefined) {
      // Marked invalid with no value (the monitor sent none): named, so the journal shows the refusal.
      if (marked?.includes(field)) (rejected ??= {})[field] = 'marked-invalid';
      continue;
    }
    const [lo, hi] = PLAUSIBLE[field];
    const why: RejectedValue | null = marked?.includes(field) ? 'marked-invalid' : Number.isFinite(v) && v >= lo && v <= hi ? null : 'implausible';
    if (why === null) out[field] = v;
    else (rejected ??= {})[field] = why;
  }
  if (rejected) out.rejected = rejected;
  return { ok: true, sample: out };
}

/**
 * A sample made from values known to be valid, received now (tests, simulators and
 * replays that build samples directly). Throws on a value `checkSample` would drop.
 */
export function trustedSample(now: number, source: string, values: Partial<Record<SampleField, number>>): CheckedSample {
  const r = checkSample({ t: now, source, ...values }, now, 0);
  if (!r.ok || r.sample.rejected) throw new TypeError(`trustedSample: not a valid sample: ${JSON.stringify(values)}`);
  return r.sample;
}

/** The median of a list (null when empty). */
export function median(values: readonly number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  const mid = n >> 1;
  // A typed array sorts numbers natively, without calling a comparator per comparison. Its order
  // is the comparator's (a - b, stable) for every list of finite non-zero numbers: a NaN or an
  // infinity makes the comparator inconsistent (Infinity - Infinity is NaN), and -0 and 0 compare
  // equal under it (kept in input order) but not natively, so such lists are sorted as before.
  // Sorted in a scratch array kept between calls (a view of its first n slots): a new typed array
  // of more than 64 bytes has its buffer allocated outside the heap, which cost more than the
  // sort itself for a window of 90 values. Nothing else holds the scratch: the function is
  // synchronous and the view is dropped before it returns.
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  const copy = scratch.subarray(0, n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === 0 || v - v !== 0) return medianByComparator(values);
    copy[i] = v;
  }
  copy.sort();
  return n % 2 ? copy[mid]! : (copy[mid - 1]! + copy[mid]!) / 2;
}

let scratch = new Float64Array(128);

function medianByComparator(values: readonly number[]): number {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = n >> 1;
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
