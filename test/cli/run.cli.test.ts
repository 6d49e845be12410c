import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startCli, waitForOutput } from '../support/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rmseq-cli-'));

beforeAll(() => assertBuilt());

describe('rmseq run (child process)', () => {
  it('runs the staircase on moderate-ards and prints a JSON result', async () => {
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--seed', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ maneuver: 'staircase', outcome: 'completed', patient: 'moderate-ards', seed: 1, finalSettingsVerified: true, baselineRestoreVerified: null });
    expect(result.finalPeepCmH2O).toBeGreaterThanOrEqual(15);
    expect(result.finalPeepCmH2O).toBe(result.verifiedSettings.peepCmH2O);
    expect(result.steps.map((s: { phase: string }) => s.phase)).toContain('decremental');
  });

  it('reports the titration in --json: final PEEP, deciding method, each method PEEP, final plateau, driving pressure and Vt/kg', async () => {
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--seed', '1', '--json', '--height-cm', '160', '--sex', 'female']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.patientSize).toEqual({ heightCm: 160, sex: 'female', pbwKg: 52.4 });
    expect(result.decidedBy).toMatch(/^(spo2|compliance|driving-pressure)$/);
    expect(typeof result.derecruitmentSeen).toBe('boolean');
    expect(Object.keys(result.methodPeeps)).toEqual(['spo2', 'compliance', 'driving-pressure']);
    expect(result.finalPlateauCmH2O).toBeLessThanOrEqual(30);
    expect(result.finalDrivingPressureCmH2O).toBeLessThanOrEqual(15);
    // 420 mL would be 8.0 mL/kg for PBW 52.4: the final Vt is kept within 8 mL/kg.
    expect(result.finalTidalVolumeMlPerKg).toBeLessThanOrEqual(8);
    expect(result.titration.fio2TitratedTo).not.toBeNull();
    expect(result.steps.some((s: { phase: string }) => s.phase === 'fio2')).toBe(true);
  });

  it('the readable summary shows the FiO2 step, each method PEEP and the limits at the final step', async () => {
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--seed', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/FiO2 step: 0\.6 -> /);
    expect(r.stdout).toMatch(/spo2 +PEEP [\d.]+/);
    expect(r.stdout).toMatch(/compliance +PEEP [\d.]+/);
    expect(r.stdout).toMatch(/driving-pressure +PEEP [\d.]+/);
    expect(r.stdout).toMatch(/final step: plateau [\d.]+ \(limit 30\), driving pressure [\d.]+ \(limit 15\) cmH2O, Vt [\d.]+ mL\/kg PBW \(limit 8\)/);
    expect(r.stdout).toContain('Pplat');
  });

  it('--height-cm and --sex go together and are range-checked (exit 2)', async () => {
    const one = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--height-cm', '170']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('--height-cm and --sex go together');
    const bad = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--height-cm', '90', '--sex', 'male']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--height-cm = "90": must be a number between 130 and 230');
    const sex = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--height-cm', '170', '--sex', 'x']);
    expect(sex.stderr).toContain('must be male or female');
  });

  it('aborts hypovolemic-ards for hypotension, baseline restored (exit 3)', async () => {
    const r = await runCli(['run', 'staircase', '--patient', 'hypovolemic-ards', '--seed', '1', '--json']);
    expect(r.code).toBe(3);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ outcome: 'aborted', abortReason: 'hypotension', baselineRestoreVerified: true });
    expect(result.verifiedSettings).toEqual(result.baseline);
  });

  it('prints a readable summary with the step table without --json', async () => {
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Sustained inflation: CPAP 40 cmH2O for 30 s/);
    expect(r.stdout).toMatch(/COMPLETED/);
    expect(r.stdout).toMatch(/phase\s+settings \(cmH2O\)/);
  });

  it('is the same for the same seed', async () => {
    const [a, b] = await Promise.all([
      runCli(['run', 'high-pressure-pcv', '--patient', 'mild-ards', '--seed', '7', '--json']),
      runCli(['run', 'high-pressure-pcv', '--patient', 'mild-ards', '--seed', '7', '--json']),
    ]);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe('rmseq bad input: exit 2, nothing starts', () => {
  it.each([
    [['run', 'yoga', '--patient', 'moderate-ards'], /unknown maneuver "yoga": must be one of sustained-inflation, high-pressure-pcv, staircase/],
    [['run', 'staircase', '--patient', 'martian'], /unknown patient "martian": must be one of healthy/],
    [['run', 'staircase'], /required option '--patient <profile>' not specified/],
    [['run', 'staircase', '--patient', 'moderate-ards', '--seed', '-3'], /--seed = "-3": must be a whole number between 0 and/],
    [['run', 'staircase', '--patient', 'moderate-ards', '--realtime', '--speed', '5'], /--realtime and --speed exclude each other/],
    [['run', 'staircase', '--patient', 'moderate-ards', '--failsafe-timeout', '30'], /--failsafe-timeout applies to runs on the wall clock/],
    [['run', 'staircase', '--patient', 'moderate-ards', '--speed', '5', '--failsafe-timeout', ''], /--failsafe-timeout = "": must be a whole number between 1 and 86400/],
    [['run', 'staircase', '--patient', 'moderate-ards', '--speed', '5', '--failsafe-timeout', '0'], /--failsafe-timeout = "0": must be a whole number between 1 and 86400/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toMatch(/Recruitment|COMPLETED/);
  });

  it('rejects a malformed or out-of-range protocol file, naming the field, value and range', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'broken.json'), '{ "maneuver": "staircase", ');
    writeFileSync(join(dir, 'range.json'), JSON.stringify({ maneuver: 'staircase', incrementalPeepsCmH2O: [20, 30, 55] }));
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ maneuver: 'sustained-inflation' }));
    const broken = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--protocol', join(dir, 'broken.json')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/is not valid JSON/);
    const range = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--protocol', join(dir, 'range.json')]);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/incrementalPeepsCmH2O\[2\] = 55: must be between 10 and 50 cmH2O/);
    const other = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--protocol', join(dir, 'other.json')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/protocol is for "sustained-inflation" but the command runs "staircase"/);
  });

  it('rejects an invalid patient profile file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ name: 'x', nonsense: 1 }));
    const r = await runCli(['run', 'staircase', '--patient', join(dir, 'p.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nonsense = 1: unknown field/);
  });

  it('fails before the maneuver when the journal cannot be written', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a-file'), '');
    // A path below a regular file can never be created, whoever runs the test.
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--journal', join(dir, 'a-file', 'journal.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write journal .*a-file\/journal.jsonl: (ENOTDIR|EEXIST)/);
    expect(r.stdout).toBe('');
  });
});

describe('rmseq journal, replay', () => {
  it('replay of a journal reproduces the decisions', async () => {
    const dir = tmp();
    const journal = join(dir, 'hypo.jsonl');
    const run = await runCli(['run', 'staircase', '--patient', 'hypovolemic-ards', '--seed', '3', '--journal', journal, '--json']);
    expect(run.code).toBe(3);
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'session-start', maneuver: 'staircase', seed: 3, patient: { name: 'hypovolemic-ards' } });
    expect(lines.some((l) => l.event === 'guard' && l.abort.reason === 'hypotension')).toBe(true);
    expect(lines[lines.length - 1]).toMatchObject({ event: 'outcome', summary: { outcome: 'aborted', baselineVerified: true } });
    const replay = await runCli(['replay', journal]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/SAME DECISIONS/);
    expect(replay.stdout).toMatch(/outcome: recorded aborted, replayed aborted/);
  });
});

describe('rmseq signals', () => {
  it('SIGINT during a wall-clock run restores the baseline and journals it (exit 3)', async () => {
    const dir = tmp();
    const journal = join(dir, 'sigint.jsonl');
    // x10: the 30-s baseline window before the start takes 3 s.
    const { child, done } = startCli(['run', 'sustained-inflation', '--confirm-checklist', 'all', '--patient', 'moderate-ards', '--speed', '10', '--journal', journal]);
    await waitForOutput(child, /Sustained inflation: CPAP 40/);
    // Let the inflation be applied (300 ms device latency) before interrupting.
    await waitForJournal(journal, (l) => l.event === 'readback');
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SIGINT: aborting the maneuver and restoring the baseline/);
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.event === 'operator' && l.action === 'abort' && l.note === 'SIGINT')).toBe(true);
    const restore = lines.filter((l) => l.event === 'command' && l.command.purpose === 'restore-baseline');
    expect(restore).toHaveLength(1);
    const outcome = lines[lines.length - 1];
    expect(outcome).toMatchObject({ event: 'outcome', summary: { outcome: 'aborted', baselineVerified: true, abort: { reason: 'operator-abort' } } });
  }, 30_000);

  it('a reader that goes away (rmseq ... | head) does not end the maneuver: it runs to its end and journals it', async () => {
    const dir = tmp();
    const journal = join(dir, 'piped.jsonl');
    const { child, done } = startCli(['run', 'sustained-inflation', '--confirm-checklist', 'all', '--patient', 'moderate-ards', '--speed', '20', '--journal', journal]);
    await waitForOutput(child, /Sustained inflation: CPAP 40/);
    child.stdout.destroy(); // the pipe's reader is gone: the next write gets EPIPE
    const r = await done;
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(0);
    const last = JSON.parse(readFileSync(journal, 'utf8').trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ event: 'outcome', summary: { outcome: 'completed' } });
  }, 30_000);

  it('every command has --help', async () => {
    for (const cmd of ['run', 'replay', 'validate', 'schema', 'cohort', 'console', 'recover', 'emulate', 'ports', 'report']) {
      const r = await runCli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout).toMatch(/Usage: rmseq/);
    }
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/Exit codes:/);
  });
});

async function waitForJournal(path: string, pred: (line: Record<string, unknown>) => boolean): Promise<void> {
  const { watch } = await import('node:fs');
  const check = (): boolean =>
    existsSync(path) &&
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .some((l) => {
        try {
          return pred(JSON.parse(l));
        } catch {
          return false;
        }
      });
  if (check()) return;
  await new Promise<void>((resolve) => {
    const w = watch(path, () => {
      if (check()) {
        w.close();
        resolve();
      }
    });
  });
}
