/** Serial frame decoding throughput vs @serialport/parser-delimiter on the same bytes. */
import { DelimiterParser } from '@serialport/parser-delimiter';
import { encodeTelemetryFrame, TelemetryParser } from '../hal/makair/index.js';
import { encodeResponse, encodeDataRecords, MedibusCommand, MedibusStreamParser } from '../hal/medibus/index.js';
import { dataMessage, stateMessage } from '../test/hal/makair/fixtures.js';
import { fmt, type BenchRow } from './stats.js';

function concat(frames: Uint8Array[], totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let o = 0;
  for (let i = 0; o < totalBytes; i++) {
    const f = frames[i % frames.length]!;
    const n = Math.min(f.length, totalBytes - o);
    out.set(f.subarray(0, n), o);
    o += n;
  }
  return out;
}

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Best-of-n wall time of `fn`. */
function best(n: number, fn: () => number): { ms: number; count: number } {
  let ms = Infinity;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    count = fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, count };
}

function delimiterRun(parts: Uint8Array[], delimiter: Uint8Array): number {
  const p = new DelimiterParser({ delimiter: Buffer.from(delimiter) });
  let n = 0;
  p.on('data', () => n++);
  for (const c of parts) p.write(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  p.end();
  return n;
}

function row(name: string, bytes: number, ours: { ms: number; count: number }, theirs: { ms: number; count: number }): BenchRow {
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  return {
    name,
    figure: `${fmt(mbps(ours.ms), 0)} MB/s with checksums (${ours.count} frames) vs parser-delimiter ${fmt(mbps(theirs.ms), 0)} MB/s (${theirs.count} pieces)`,
    target: '>= 1.0x parser-delimiter',
    ratio: theirs.ms / ours.ms,
  };
}

export function benchDecode(totalBytes = 8_000_000): BenchRow[] {
  const rows: BenchRow[] = [];
  const makair = concat([encodeTelemetryFrame(stateMessage()), ...Array.from({ length: 5 }, (_, i) => encodeTelemetryFrame(dataMessage({ pressureMmH2O: 100 + i } as never)))], totalBytes);
  const records = encodeDataRecords(
    [
      { code: 0x78, value: '10.0' },
      { code: 0x7d, value: '30.2' },
      { code: 0x73, value: '25.1' },
      { code: 0x88, value: '0.42' },
    ],
    4,
  );
  const medibus = concat([encodeResponse(MedibusCommand.MEASURED_CP1, records), encodeResponse(MedibusCommand.NOP)], totalBytes);
  for (const size of [64, 1024]) {
    const mParts = chunks(makair, size);
    const ours = best(5, () => {
      const p = new TelemetryParser();
      let n = 0;
      for (const c of mParts) n += p.push(c).length;
      return n;
    });
    rows.push(row(`MakAir telemetry decode, ${size} B reads`, totalBytes, ours, best(5, () => delimiterRun(mParts, new Uint8Array([0x30, 0xc0])))));
    const dParts = chunks(medibus, size);
    const oursM = best(5, () => {
      const p = new MedibusStreamParser();
      let n = 0;
      for (const c of dParts) for (const e of p.push(c)) if (e.type === 'frame') n++;
      return n;
    });
    rows.push(row(`MEDIBUS decode, ${size} B reads`, totalBytes, oursM, best(5, () => delimiterRun(dParts, new Uint8Array([0x0d])))));
  }
  return rows;
}
