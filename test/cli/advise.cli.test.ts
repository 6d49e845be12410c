/**
 * Issue 19 item 3: `rmseq advise` (in process, through the real command tree) and the advice
 * after a failed `rmseq run` (child process). Advisory only, and it says so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { adviceAfterRun } from '../../src/runner/advice.js';
import type { SessionSummary } from '../../src/runner/telemetry.js';
import { assertBuilt, runCli } from '../support/cli.js';

async function advise(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = -1;
  const program = buildProgram((c) => (code = c), { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false });
  try {
    await program.parseAsync(['node', 'rmseq', 'advise', ...args]);
  } catch (e) {
    err += (e as Error).message;
    code = (e as { exitCode?: number }).exitCode ?? 2;
  }
  return { code, out, err };
}

describe('rmseq advise', () => {
  it('prints the indices and every option with its status, and that it never acts on the ventilator', async () => {
    const r = await advise('--fio2', '1', '--spo2', '80', '--pao2', '45', '--mawp', '28', '--peep', '16', '--tried', 'recruitment,prone,neuromuscular-blockade,pulmonary-vasodilators');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Advisory only: rm-sequencer never acts on the ventilator/);
    expect(r.out).toMatch(/P\/F 45 {2}S\/F 80 {2}OI 62.2 {2}OSI 35/);
    expect(r.out).toMatch(/\[MET {4}\] ECMO .*\[clinical.md\/EOLIA\]/);
    expect(r.out).toMatch(/\[MET {4}\] Prone positioning/);
    expect(r.out).toMatch(/sources: docs\/advisor.md/);
  });

  it('--json: input, indices and options as data; without PaO2 P/F and OI are unknown', async () => {
    const r = await advise('--fio2', '0.7', '--spo2', '86', '--mawp', '22', '--json');
    const a = JSON.parse(r.out);
    expect(a).toMatchObject({ advisoryOnly: true, input: { fio2: 0.7, spo2Pct: 86, mawpCmH2O: 22 }, indices: { pfRatio: null, oi: null, sfRatio: 122.9, osi: 17.9 } });
    expect(a.options.find((o: { option: string }) => o.option === 'prone-positioning').status).toBe('unknown');
  });

  it.each([
    [[], /--fio2 and --spo2 are required/],
    [['--fio2', '1.2', '--spo2', '90'], /--fio2 = 1.2: must be between 0.21 and 1/],
    [['--fio2', '0.5', '--spo2', '90', '--pao2', '800'], /--pao2 = 800: must be between 20 and 700 mmHg/],
    [['--fio2', '0.5', '--spo2', 'abc'], /--spo2 = "abc": must be a number/],
    [['--fio2', '0.5', '--spo2', '90', '--vasopressors', 'maybe'], /--vasopressors = "maybe": must be yes or no/],
  ])('bad input %j is refused naming the flag, the value and the range (exit 2)', async (args, message) => {
    const r = await advise(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});

describe('advice after a run', () => {
  const base = { maneuver: 'staircase', state: 'ended', baseline: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.6 }, abort: null, steps: [], preconditionIssues: [], response: null, verifiedSettings: null, baselineVitals: { spo2Pct: 93, mapMmHg: 75, sbpMmHg: null, hrBpm: null, complianceMlPerCmH2O: null } } as unknown as SessionSummary;
  it('is consulted after an abort and after no response, not after a completed run with a response and good oxygenation', () => {
    expect(adviceAfterRun({ ...base, outcome: 'aborted', abort: { reason: 'hypotension', message: 'MAP 55' } } as unknown as SessionSummary)?.trigger).toMatch(/aborted \(hypotension: MAP 55\)/);
    const done = { ...base, outcome: 'completed', verifiedSettings: { mode: 'PCV', peepCmH2O: 16, peakCmH2O: 31, rateBpm: 20, fio2: 0.4 } } as unknown as SessionSummary;
    expect(adviceAfterRun({ ...done, response: { met: false, detail: 'SpO2 93 -> 93' } } as unknown as SessionSummary)?.trigger).toMatch(/no response/);
    expect(adviceAfterRun({ ...done, response: { met: true, detail: 'ok' } } as unknown as SessionSummary)).toBeNull();
    // oxygenation stays poor: a PaO2 of 50 on FiO2 0.4 is P/F 125
    expect(adviceAfterRun({ ...done, response: { met: true, detail: 'ok' } } as unknown as SessionSummary, { pao2MmHg: 50 })?.trigger).toMatch(/P\/F 125 < 150/);
    expect(adviceAfterRun({ ...base, outcome: 'failsafe' } as unknown as SessionSummary)).toBeNull();
    // an abort by the operator or a device says nothing about the lung: only poor oxygenation calls for advice then
    const wellOxygenated = { ...base, baseline: { ...base.baseline, fio2: 0.3 } }; // S/F 310
    expect(adviceAfterRun({ ...wellOxygenated, outcome: 'aborted', abort: { reason: 'operator-abort', message: 'SIGINT' } } as unknown as SessionSummary)).toBeNull();
    expect(adviceAfterRun({ ...base, outcome: 'aborted', abort: { reason: 'device-fault', message: 'link lost' } } as unknown as SessionSummary, { pao2MmHg: 60 })?.trigger).toMatch(/P\/F 100 < 150/);
  });
  it('estimates MAWP from PCV settings (I:E 1:2) unless given, and says where each input came from', () => {
    const a = adviceAfterRun({ ...base, outcome: 'aborted' } as unknown as SessionSummary)!;
    expect(a.input.mawpCmH2O).toBe(15);
    expect(a.inputsFrom['mawpCmH2O']).toMatch(/estimated/);
    expect(adviceAfterRun({ ...base, outcome: 'aborted' } as unknown as SessionSummary, { mawpCmH2O: 18 })!.inputsFrom['mawpCmH2O']).toMatch(/operator/);
  });
});

describe('rmseq run: advice after a failed maneuver (child process)', () => {
  beforeAll(() => assertBuilt());
  it('an aborted staircase prints the advisor with the P/F from --pao2; --json carries it; a bad --pao2 is refused', async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'rmseq-advise-')), 'j.jsonl');
    const r = await runCli(['run', 'staircase', '--patient', 'non-recruiter', '--pao2', '70', '--json', '--journal', journal]);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe('aborted');
    expect(j.watch).toBeNull();
    expect(j.advice).toMatchObject({ advisoryOnly: true, indices: { pfRatio: 116.7 }, inputsFrom: { pao2MmHg: 'operator (--pao2)' } });
    expect(j.advice.trigger).toMatch(/aborted/);
    // journaled, and in the report under its notice
    const html = join(journal, '..', 'r.html');
    expect((await runCli(['report', journal, '--out', html])).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<h2 id="advisor">Rescue-therapy advisor \(advisory only\)<\/h2>/);
    expect(page).toMatch(/never acts on the ventilator/);
    expect(page).toMatch(/\[MET {4}\] Prone positioning.*P\/F 116.7/);
    const bad = await runCli(['run', 'staircase', '--patient', 'non-recruiter', '--pao2', '1000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--pao2 = "1000": must be a number between 20 and 700/);
  }, 90_000);
});
