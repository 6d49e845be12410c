/**
 * Seeded randomness for the simulator: a xoroshiro128+ stream (pure-rand) per purpose, so
 * that noise drawn by the monitor never shifts the patient's own random events.
 * No Math.random anywhere in sim/.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Independent stream labels: one generator per purpose. */
export const STREAM = {
  structure: 0x1001,
  pneumothorax: 0x2002,
  monitorNoise: 0x3003,
  monitorDropout: 0x4004,
  monitorArtifact: 0x5005,
  cohort: 0x6006,
  /** The patient's own offsets of closing and opening pressures (between-patient variation). */
  patient: 0x7007,
} as const;

/** murmur3 finaliser: spreads nearby seeds over the 32-bit space. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * A seeded random stream. `uniform`, `normal` and the other draws allocate nothing.
 *
 * @example
 * const rng = new SeededRandom(42, STREAM.monitorNoise);
 * const noise = rng.normal() * 0.5;
 */
export class SeededRandom {
  private readonly gen: RandomGenerator;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number, stream: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer (got ${seed})`);
    this.gen = xoroshiro128plus(mix32(mix32(seed) ^ stream));
    for (let i = 0; i < 8; i++) this.gen.next();
  }

  /** Uniform in [0, 1), 53-bit resolution. */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform in (0, 1), 32-bit resolution: cheaper, for measurement noise. */
  uniform32(): number {
    return ((this.gen.next() >>> 0) + 0.5) / 4294967296;
  }

  /** Standard normal (Marsaglia polar method; the second value is kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform32() - 1;
      v = 2 * this.uniform32() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /** A 31-bit seed for a child stream. */
  seed(): number {
    return Math.floor(this.uniform() * 0x7fffffff);
  }

  /** Fisher-Yates shuffle of `out` in place (fills it with 0..n-1 first). */
  permutation(out: Int32Array): Int32Array {
    for (let i = 0; i < out.length; i++) out[i] = i;
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i] as number;
      out[i] = out[j] as number;
      out[j] = t;
    }
    return out;
  }
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
 *
 * @example
 * normalQuantile(0.975); // 1.95996...
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1 (got ${p})`);
  const pl = 0.02425;
  if (p < pl || p > 1 - pl) {
    const q = Math.sqrt(-2 * Math.log(p < pl ? p : 1 - p));
    const v =
      (((((-0.007784894002430293 * q - 0.3223964580411365) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783) /
      ((((0.007784695709041462 * q + 0.3224671290700398) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1);
    return p < pl ? v : -v;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((-39.69683028665376 * r + 220.9460984245205) * r - 275.9285104469687) * r + 138.357751867269) * r - 30.66479806614716) * r + 2.506628277459239) * q) /
    (((((-54.47609879822406 * r + 161.5858368580409) * r - 155.6989798598866) * r + 66.80131188771972) * r - 13.28068155288572) * r + 1)
  );
}
