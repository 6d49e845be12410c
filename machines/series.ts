/**
 * An immutable append-only list whose successive versions share one backing array (issue 20,
 * fourth pass): what a step's measurement window and the baseline window are kept in, so that a
 * sample appends in O(1) amortized instead of copying the whole window into every new context.
 *
 * A `Series` is a view `[start, end)` of a backing array. The array only ever grows by `push`,
 * and only by the first version to append at its end (`buf.length === end`): every other version
 * that appends copies its own values first. So no element a view covers is ever written again,
 * and a version never sees a value appended after it (an older snapshot keeps reading exactly its
 * own values; test/machines/series.property.test.ts).
 *
 * Read it like a readonly array: `length`, `at(i)`, iteration, `toArray()` (a copy). JSON gives
 * the plain array of its values (what the context serialised to when the lists were arrays), and
 * every function that takes a list also takes a plain array (a context restored from JSON; tests).
 * The backing array is private: nothing outside can write to it.
 */
export class Series<T> implements Iterable<T> {
  readonly #buf: T[];
  readonly #start: number;
  readonly #end: number;
  /** The values are in order by the caller's key (see `append`); false when unknown. */
  readonly #inOrder: boolean;

  private constructor(buf: T[], start: number, end: number, inOrder: boolean) {
    this.#buf = buf;
    this.#start = start;
    this.#end = end;
    this.#inOrder = inOrder;
  }

  /** An empty list (a backing array of its own). */
  static empty<T>(): Series<T> {
    return new Series<T>([], 0, 0, true);
  }

  /** A list of these values (copied). `inOrder`: whether they are in the caller's order. */
  static of<T>(values: Iterable<T>, inOrder = false): Series<T> {
    const buf = [...values];
    return new Series(buf, 0, buf.length, inOrder || buf.length === 0);
  }

  get length(): number {
    return this.#end - this.#start;
  }

  /** Whether every value was appended in the caller's order (`append`'s flag); a list of unknown order says false. */
  get inOrder(): boolean {
    return this.#inOrder;
  }

  /** The value at `i` (negative: from the end), as `Array.prototype.at`. */
  at(i: number): T | undefined {
    const n = this.#end - this.#start;
    const t = Math.trunc(i) || 0; // as Array.prototype.at: NaN reads index 0
    const k = t < 0 ? n + t : t;
    return k >= 0 && k < n ? this.#buf[this.#start + k] : undefined;
  }

  /**
   * This list with `value` after its last. In place on the backing array when no other version
   * has appended to it yet, else on a copy of this list's values. `inOrder`: whether the value
   * keeps the caller's order (e.g. its time is not earlier than the last one's).
   */
  append(value: T, inOrder = true): Series<T> {
    const buf = this.#buf;
    const end = this.#end;
    const ordered = this.#inOrder && inOrder;
    if (buf.length === end) {
      buf.push(value);
      return new Series(buf, this.#start, end + 1, ordered);
    }
    const copy = buf.slice(this.#start, end);
    copy.push(value);
    return new Series(copy, 0, copy.length, ordered);
  }

  /**
   * This list without its first `k` values. Shares the backing array, unless the values dropped
   * from it are more than those kept (and more than a few): then a copy of the kept values, so
   * that a list that keeps dropping its oldest values does not hold every value it ever had.
   */
  dropFirst(k: number): Series<T> {
    if (!(k > 0)) return this;
    const start = Math.min(this.#start + Math.floor(k), this.#end);
    if (start > 32 && start > this.#end - start) {
      const copy = this.#buf.slice(start, this.#end);
      return new Series(copy, 0, copy.length, this.#inOrder);
    }
    return new Series(this.#buf, start, this.#end, this.#inOrder);
  }

  /** How many values the backing array holds (this view's and others'): what the list keeps in memory. */
  get retained(): number {
    return this.#buf.length;
  }

  /** A plain array of the values (a copy). */
  toArray(): T[] {
    return this.#buf.slice(this.#start, this.#end);
  }

  /** What JSON.stringify writes: the plain array of the values. */
  toJSON(): T[] {
    return this.toArray();
  }

  *[Symbol.iterator](): Iterator<T> {
    const buf = this.#buf;
    for (let i = this.#start; i < this.#end; i++) yield buf[i]!;
  }
}

/** A list as the machine keeps it (a Series) or as JSON or a test gives it (a plain array). */
export type List<T> = Series<T> | readonly T[];

/** The list with `value` appended: a Series (a plain array is copied into one first). */
export function appendTo<T>(list: List<T> | undefined, value: T): Series<T> {
  if (list instanceof Series) return list.append(value);
  return (list === undefined ? Series.empty<T>() : Series.of(list)).append(value);
}

/** The values of a list as a readonly array (a Series is copied; a plain array is returned as it is). */
export function valuesOf<T>(list: List<T> | undefined): readonly T[] {
  if (list === undefined) return [];
  return list instanceof Series ? list.toArray() : list;
}
