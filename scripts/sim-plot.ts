/**
 * Runs the scripted default staircase on a simulated patient and writes an SVG of PEEP/peak,
 * SpO2, MAP and compliance over time (stacked panels), plus a summary on stdout.
 *
 *   npx tsx scripts/sim-plot.ts --patient moderate-ards [--out docs/sim-moderate-ards.svg] [--seed 1]
 *
 * `--patient` takes a built-in profile name or a profile .json file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILTIN_PROFILE_NAMES, parseProfile, profileByName, SimMonitor, SimPatient, type PatientProfile } from '../sim/index.js';
import { renderSvgChart, type ChartPoint, type ChartShade } from '../src/report/svgChart.js';
import { BASELINE_SETTINGS, runDefaultStaircase, type TracePoint } from '../test/sim/support/defaultStaircase.js';

const USAGE = `usage: npx tsx scripts/sim-plot.ts --patient <${BUILTIN_PROFILE_NAMES.join('|')}|file.json> [--out file.svg] [--seed n]`;

function loadProfile(nameOrPath: string): PatientProfile {
  return profileByName(nameOrPath) ?? parseProfile(JSON.parse(readFileSync(nameOrPath, 'utf8')));
}

function shading(trace: readonly TracePoint[]): ChartShade[] {
  const out: ChartShade[] = [];
  const colors: Record<TracePoint['phase'], string> = { baseline: '#eeeeee', incremental: '#f6d9c7', fio2: '#f3ecc2', decremental: '#d3e4f5', 're-recruit': '#f2c2c2', final: '#d5ecd4' };
  for (const p of trace) {
    const last = out[out.length - 1];
    const label = p.phase === 'baseline' ? 'baseline' : p.phase === 'final' ? `final ${p.settings.peepCmH2O}` : String(p.settings.peepCmH2O);
    if (last && last.label === label) last.toMin = p.tS / 60;
    else out.push({ fromMin: (p.tS - 1) / 60, toMin: p.tS / 60, label, color: colors[p.phase] });
  }
  return out;
}

function main(): void {
  const { values } = parseArgs({
    options: { patient: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help || !values.patient) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new TypeError(`--seed must be an integer (got ${values.seed})`);
  const profile = loadProfile(values.patient);
  const out = values.out ?? `docs/sim-${basename(profile.name)}.svg`;

  const patient = new SimPatient(profile, { seed, settings: BASELINE_SETTINGS });
  const run = runDefaultStaircase(patient, new SimMonitor(patient, { seed }), { finalS: 300 });
  const series = (f: (p: TracePoint) => number | undefined): ChartPoint[] => run.trace.map((p) => ({ tMin: p.tS / 60, value: f(p) ?? null }));
  const b = run.baseline;
  const svg = renderSvgChart({
    title: `${profile.name}: default staircase (seed ${seed}), derecruitment at ${run.derecruitmentPeepCmH2O ?? 'none'}, final PEEP ${run.finalSettings.peepCmH2O}`,
    shading: shading(run.trace),
    panels: [
      {
        yLabel: 'Airway pressure',
        yUnit: 'cmH2O',
        yMin: 0,
        series: [
          { label: 'PEEP', step: true, points: series((p) => p.settings.peepCmH2O) },
          { label: 'peak (measured)', points: series((p) => p.measuredPeakCmH2O) },
        ],
        thresholds: [{ value: 60, label: 'peak limit + tolerance' }],
      },
      {
        yLabel: 'SpO2',
        yUnit: '%',
        series: [
          { label: 'SpO2 (monitor)', points: series((p) => p.spo2Pct) },
          { label: 'SaO2 (true)', dashed: true, points: series((p) => p.sao2Pct) },
        ],
        thresholds: [
          { value: 85, label: 'floor' },
          { value: b.spo2Pct - 5, label: 'baseline - 5' },
        ],
      },
      {
        yLabel: 'MAP',
        yUnit: 'mmHg',
        series: [{ label: 'MAP (monitor)', points: series((p) => p.mapMmHg) }],
        thresholds: [
          { value: 60, label: 'floor' },
          { value: 0.8 * b.mapMmHg, label: 'baseline - 20%' },
        ],
      },
      {
        yLabel: 'Compliance',
        yUnit: 'mL/cmH2O',
        yMin: 0,
        series: [{ label: 'static compliance (ventilator)', points: series((p) => p.complianceMlPerCmH2O) }],
      },
    ],
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, svg);

  const final = run.trace[run.finalStartIndex + 59];
  console.log(`${profile.name} (seed ${seed}) -> ${out}`);
  console.log(`baseline: SpO2 ${b.spo2Pct.toFixed(1)}%, P/F ${b.pfRatio.toFixed(0)}, MAP ${b.mapMmHg.toFixed(1)} mmHg, HR ${b.hrBpm.toFixed(0)}/min, compliance ${b.complianceMlPerCmH2O.toFixed(1)} mL/cmH2O`);
  for (const d of run.decremental) console.log(`decremental PEEP ${d.peepCmH2O}: mean SpO2 ${d.spo2MeanPct.toFixed(2)}%${d.derecruited ? '  <- derecruitment' : ''}`);
  if (final) console.log(`final PEEP ${run.finalSettings.peepCmH2O} after 60 s: P/F ${final.pfRatio.toFixed(0)}, compliance ${final.complianceMlPerCmH2O.toFixed(1)} mL/cmH2O`);
  console.log(`lowest MAP ${Math.min(...run.trace.map((p) => p.mapMmHg ?? Infinity)).toFixed(1)} mmHg; events: ${patient.events().map((e) => e.kind).join(', ') || 'none'}`);
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  console.error(USAGE);
  process.exitCode = 1;
}
