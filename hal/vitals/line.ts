/**
 * The line-oriented vitals feed: one JSON object per line (LF or CRLF), as a patient monitor
 * or a bridge in front of one writes it on a serial port. Neither ventilator protocol carries
 * arterial pressure, so SpO2, MAP/SBP and HR come this way.
 *
 *   {"t":1732540000000,"ageMs":400,"source":"monitor-3","spo2Pct":93,"mapMmHg":78.4,"sbpMmHg":112,"hrBpm":88}
 *
 * - `t`: the monitor's own timestamp of the sample (ms; any clock). Lines whose `t` goes
 *   backwards are dropped as out of order. It is not compared with the local clock.
 * - `ageMs`: how old the values were when the line was written (averaging, processing; default 0).
 *   The sample's local time is its arrival time minus `ageMs`.
 * - at least one of `spo2Pct`, `mapMmHg`, `sbpMmHg`, `hrBpm` (physically possible values;
 *   plausibility is judged by the controller's guards). Other fields are ignored.
 */
import { z } from 'zod';

const finite = (lo: number, hi: number, unit: string) =>
  z.number({ error: `must be a number (${lo}-${hi} ${unit})` }).min(lo, { error: `must be within ${lo}-${hi} ${unit}` }).max(hi, { error: `must be within ${lo}-${hi} ${unit}` });

/** The line feed's serial settings unless told otherwise: 9600 8N1. */
export const VITALS_LINE_DEFAULTS = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 } as const;

/**
 * One line of the feed.
 *
 * @example
 * VitalsLineSchema.parse({ t: 1000, spo2Pct: 94, mapMmHg: 80 }); // { t: 1000, ageMs: 0, spo2Pct: 94, mapMmHg: 80 }
 */
export const VitalsLineSchema = z
  .object({
    t: z.number({ error: 'must be the monitor timestamp in ms' }).finite(),
    ageMs: finite(0, 60_000, 'ms').default(0),
    source: z.string().min(1).max(64).optional(),
    seq: z.number().int().nonnegative().optional(),
    spo2Pct: finite(0, 100, '%').optional(),
    mapMmHg: finite(0, 400, 'mmHg').optional(),
    sbpMmHg: finite(0, 400, 'mmHg').optional(),
    hrBpm: finite(0, 400, '/min').optional(),
  })
  .refine((l) => l.spo2Pct !== undefined || l.mapMmHg !== undefined || l.sbpMmHg !== undefined || l.hrBpm !== undefined, {
    error: 'carries no vital sign (spo2Pct, mapMmHg, sbpMmHg or hrBpm)',
  });

export type VitalsLine = z.output<typeof VitalsLineSchema>;
export type VitalsLineInput = z.input<typeof VitalsLineSchema>;

/**
 * Formats one line of the feed (the writer's side), newline included.
 *
 * @example
 * formatVitalsLine({ t: Date.now(), spo2Pct: 94, mapMmHg: 80 }); // '{"t":...,"spo2Pct":94,"mapMmHg":80}\n'
 */
export function formatVitalsLine(line: VitalsLineInput): string {
  return `${JSON.stringify(line)}\n`;
}

/**
 * Splits a byte stream into lines (LF, an optional CR before it is dropped). A line longer
 * than `maxLineBytes` is discarded up to its end and reported as an overflow.
 *
 * @example
 * const splitter = new LineSplitter();
 * splitter.push(chunk).lines.forEach(handleLine);
 */
export class LineSplitter {
  private parts: Uint8Array[] = [];
  private size = 0;
  private overflowing = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly maxLineBytes = 4096) {}

  /** The complete lines in `chunk` (and the count of lines dropped for length). */
  push(chunk: Uint8Array): { lines: string[]; overflows: number } {
    const lines: string[] = [];
    let overflows = 0;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.overflowing) {
        this.parts.push(chunk.subarray(start, end));
        this.size += end - start;
        if (this.size > this.maxLineBytes) {
          this.overflowing = true;
          this.parts = [];
          this.size = 0;
        }
      }
      if (nl < 0) break;
      if (this.overflowing) overflows++;
      else lines.push(this.take());
      this.overflowing = false;
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    return { lines, overflows };
  }

  private take(): string {
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.length;
    }
    const text = this.decoder.decode(all);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }
}
