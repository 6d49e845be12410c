/** Small statistics helpers for the benchmarks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(values: number[]): { n: number; p50: number; p99: number; max: number; min: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, min: s[0] ?? Number.NaN };
}

/** One row of the results table: a figure, its target, and their ratio (> 1 means the target is met). */
export interface BenchRow {
  name: string;
  figure: string;
  target: string;
  /** figure relative to the target, oriented so that >= 1 means met. */
  ratio: number;
  note?: string;
}

export const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
