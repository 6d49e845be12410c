/**
 * npm run bench: every figure with its target and their ratio, measured in this run, written
 * to bench/results.md with a description of the machine. Options:
 *   --quick       smaller sizes (CI smoke: a few seconds)
 *   --long        also a 100,000-patient cohort (cost growth)
 *   --only a,b    run only these sections (staircase, cohort, latency, decode, memory, serial)
 *   --serial-trials N  trials per write path in each serial placement (default 20 with --quick, else 200)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { benchAbortLatency } from './abortLatency.js';
import { benchCohort, benchCohortBound, benchWorkerMemory, scalingRow } from './cohort.js';
import { benchDecode } from './decode.js';
import { benchMemory } from './memory.js';
import { benchStaircase } from './staircase.js';
import { fmt, type BenchRow } from './stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, long: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' }, 'serial-trials': { type: 'string' } } });
const quick = values.quick ?? false;
const only = values.only ? new Set(values.only.split(',')) : null;
const want = (name: string): boolean => !only || only.has(name);
const trialsFlag = z.coerce.number().int().min(1).max(10_000).safeParse(values['serial-trials'] ?? (quick ? 20 : 200));
if (!trialsFlag.success) throw new Error(`--serial-trials: must be a whole number from 1 to 10000, got ${values['serial-trials']}`);
const serialTrials = trialsFlag.data;

const rows: BenchRow[] = [];
const notes: string[] = [];
const add = (r: BenchRow | BenchRow[]): void => {
  for (const x of Array.isArray(r) ? r : [r]) {
    rows.push(x);
    console.log(`${x.name}\n  ${x.figure}  [target ${x.target}; ratio ${Number.isFinite(x.ratio) ? fmt(x.ratio) : '-'}]${x.note ? `  ${x.note}` : ''}`);
  }
};

if (want('staircase')) add(await benchStaircase(quick ? 5 : 40));
if (want('cohort')) {
  const small = await benchCohort(quick ? 100 : 1000, quick ? 10 : 10);
  add(small.rows);
  const sizes = [{ n: quick ? 100 : 1000, msPerPatient: small.msPerPatient }];
  if (!quick) {
    const big = await benchCohort(10_000, 60);
    add(big.rows);
    sizes.push({ n: 10_000, msPerPatient: big.msPerPatient });
    add(benchCohortBound(big.results, big.wallS));
    const s = big.stats;
    notes.push(
      `10,000-patient cohort outcomes: ${Object.entries(s.outcomes).map(([k, v]) => `${k} ${((100 * v) / s.n).toFixed(1)}%`).join(', ')}; abort reasons: ${Object.entries(s.abortReasons).map(([k, v]) => `${k} ${((100 * v) / s.n).toFixed(1)}%`).join(', ')}; invariant violations: ${s.violations.length}.`,
    );
    if (values.long) {
      const huge = await benchCohort(100_000, null);
      add(huge.rows);
      sizes.push({ n: 100_000, msPerPatient: huge.msPerPatient });
    }
  } else {
    add(benchCohortBound(small.results, small.wallS, 2, 10));
  }
  add(scalingRow(sizes));
  add(await benchWorkerMemory(quick ? 150 : 1000, quick ? 50 : 100));
}
if (want('latency')) add(await benchAbortLatency(quick ? 500 : 10_000));
if (want('decode')) add(benchDecode(quick ? 1_000_000 : 8_000_000));
if (want('memory')) add(await benchMemory(quick ? 2 : 24));
if (want('serial')) {
  const { benchSerialLatency } = await import('./serialLatency.js');
  for (const placement of ['in-process', 'separate process'] as const) {
    try {
      add(await benchSerialLatency(serialTrials, placement));
    } catch (e) {
      notes.push(`serial latency over a PTY (emulator ${placement}) not measured: ${(e as Error).message}`);
    }
  }
}

const cpu = cpus()[0];
const machine = `${platform()} ${release()} ${arch()}, ${cpus().length} x ${cpu?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const table = [
  '| benchmark | figure | target | ratio (>= 1 meets it) |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.figure}${r.note ? ` (${r.note})` : ''} | ${r.target} | ${Number.isFinite(r.ratio) ? fmt(r.ratio) : '-'} |`),
].join('\n');
const md = `# Benchmark results\n\nMeasured ${new Date().toISOString()} on ${machine}${quick ? ' (--quick sizes)' : ''}.\nRun with \`npm run bench\`; the figures come from this one run.\n\n${table}\n${notes.length ? `\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
// Run from the package root (npm run bench), compiled or not.
const out = values.out ?? join(process.cwd(), 'bench', quick ? 'results-quick.md' : 'results.md');
// Before/after comparisons measured for a change (two code versions cannot run in one bench run)
// stand below this marker and are kept when the table above is measured again.
const KEPT = '<!-- kept: comparisons measured outside npm run bench -->';
const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
const kept = previous.includes(KEPT) ? previous.slice(previous.indexOf(KEPT)) : '';
writeFileSync(out, kept ? `${md}\n${kept}` : md);
console.log(`\nwritten to ${out}`);
