/**
 * Recovery is bound to the device. Two emulated MakAirs (A and B, two boards, two ids) over
 * real pseudo-terminals: `run --journal jA` is SIGKILLed mid-maneuver on A. A later
 * `run --journal jA` on B, and `recover jA --device B`, must refuse (exit 2, naming both
 * devices) and leave B alone; a hand-edited baseline in jA is refused before anything is
 * sent; `recover jA` on A then restores A, verified, and the journal still verifies.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealLine, GENESIS } from '../../src/journal/chain.js';
import { assertBuilt, emulatorStatus as status, runCli, startCli, waitForOutput } from '../support/cli.js';
import { MAKAIR_RECOVERY_STAIRCASE } from './support/protocols.js';
import { makairCliRig, type MakAirCliRig } from './support/makairCli.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir, type PtyPair } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
beforeAll(() => assertBuilt());

/** Re-chains a journal after editing its lines (what someone without a key could do). */
function rechain(text: string, edit: (record: Record<string, unknown>) => void): string {
  let prev = GENESIS;
  return text
    .trimEnd()
    .split('\n')
    .map((l) => {
      const record = JSON.parse(l) as Record<string, unknown>;
      delete record['chain'];
      edit(record);
      const sealed = sealLine(record, prev);
      prev = sealed.link;
      return sealed.text;
    })
    .join('\n')
    .concat('\n');
}

describe.skipIf(!SOCAT)(`recovery bound to the device${SOCAT_NOTE}`, () => {
  it('refuses to restore the baseline of device A onto device B, and recovers A', { timeout: 120_000 }, async () => {
    const dir = scratch!.dir;
    const baselineB = join(dir, 'baseline-b.json');
    writeFileSync(baselineB, JSON.stringify({ mode: 'PCV', peepCmH2O: 14, peakCmH2O: 32, rateBpm: 28, fio2: 0.4 }));
    const jA = join(dir, 'jA.jsonl');
    // One after the other: each rig resolves once its own emulator is up.
    const rigA = await makairCliRig(dir, 'a', MAKAIR_RECOVERY_STAIRCASE, '4');
    let rigB: MakAirCliRig | null = null;
    try {
      rigB = await makairCliRig(dir, 'b', MAKAIR_RECOVERY_STAIRCASE, '4', ['--baseline', baselineB]);
      const [emuA, emuB, devA, devB] = [rigA.emulator, rigB.emulator, rigA.dev, rigB.dev];
      const run = startCli(rigA.runArgs('staircase', ['--journal', jA]));
      await waitForOutput(run.child, /Recruitment 2\/2: PEEP 25, peak 40 cmH2O/);
      await new Promise((r) => setTimeout(r, 1500));
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      expect((await status(emuA)).peepCmH2O).toBe(25);

      // The same journal, on device B: refused, B untouched.
      const onB = await runCli(rigB.runArgs('staircase', ['--journal', jA]));
      expect(onB.code, onB.stderr).toBe(2);
      expect(onB.stderr).toMatch(new RegExp(`belongs to Makers For Life MakAir id [0-9-]+ \\(makair on ${devA.host}\\), not to this device Makers For Life MakAir id [0-9-]+ \\(makair on ${devB.host}\\)`));
      expect(onB.stderr).toMatch(/Nothing was sent/);
      expect(await status(emuB)).toMatchObject({ peepCmH2O: 14, peakCmH2O: 32, rateBpm: 28 });
      expect((await status(emuA)).peepCmH2O).toBe(25);

      const recoverOnB = await runCli(['recover', jA, '--device', `makair:${devB.host}`, '--fio2', '0.4']);
      expect(recoverOnB.code).toBe(2);
      expect(recoverOnB.stderr).toMatch(/not to this device/);
      expect(await status(emuB)).toMatchObject({ peepCmH2O: 14, peakCmH2O: 32, rateBpm: 28 });

      // A simulator run on the same journal would hide A's unfinished maneuver from recover: refused.
      const onSim = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--json', '--journal', jA]);
      expect(onSim.code, onSim.stderr).toBe(2);
      expect(onSim.stderr).toMatch(/never finished on Makers For Life MakAir .*: that ventilator may still be at maneuver pressures/);

      // A hand-edited baseline: the chain catches the edit; re-chained, the baseline check does.
      const text = readFileSync(jA, 'utf8');
      const edited = join(dir, 'edited.jsonl');
      writeFileSync(edited, text.replace(/"baseline":\{"mode":"PCV","peepCmH2O":10/, '"baseline":{"mode":"PCV","peepCmH2O":30'));
      const tampered = await runCli(['recover', edited, '--fio2', '0.4', '--device', `makair:${devA.host}`]);
      expect(tampered.code).toBe(2);
      expect(tampered.stderr).toMatch(/cannot be trusted: hash chain broken at line \d+/);
      const rechained = join(dir, 'rechained.jsonl');
      writeFileSync(rechained, rechain(text, (r) => {
        if (r['event'] === 'device') r['baseline'] = { ...(r['baseline'] as object), peepCmH2O: 30, rateBpm: 35 };
      }));
      const invalid = await runCli(['recover', rechained, '--fio2', '0.4', '--device', `makair:${devA.host}`]);
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toMatch(/baseline it records cannot be applied[\s\S]*peepCmH2O = 30/);
      expect((await status(emuA)).peepCmH2O).toBe(25);

      // On its own device the journal recovers, and still verifies.
      const recovered = await runCli(['recover', jA, '--fio2', '0.4']);
      expect(recovered.code, recovered.stdout + recovered.stderr).toBe(3);
      expect(await status(emuA)).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });
      const verify = await runCli(['verify', jA]);
      expect(verify.code, verify.stdout).toBe(0);
      const events = readFileSync(jA, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const refused = events.filter((e) => e['event'] === 'recover-refused');
      expect(refused.map((e) => e['reason'])).toEqual(['wrong-device', 'wrong-device', 'unfinished-device-session']);
      expect(refused[0]).toMatchObject({ reason: 'wrong-device', device: { port: devB.host }, journalDevice: { port: devA.host } });
      expect(events.find((e) => e['event'] === 'recover-start')).toMatchObject({ device: { port: devA.host, protocol: 'makair' } });
    } finally {
      await rigB?.close();
      await rigA.close();
    }
  });

  it('recovers the same MakAir (same board id) after its USB port re-enumerated under another name', { timeout: 120_000 }, async () => {
    const dir = scratch!.dir;
    const journal = join(dir, 'reenum.jsonl');
    const first = await makairCliRig(dir, 'reenum-1', MAKAIR_RECOVERY_STAIRCASE, '4', ['--device-id', '4242-7-7']);
    let second: PtyPair | null = null;
    let emu2: ReturnType<typeof startCli> | null = null;
    try {
      const run = startCli(first.runArgs('staircase', ['--journal', journal]));
      await waitForOutput(run.child, /Recruitment 1\/2: PEEP 20, peak 35 cmH2O/);
      run.child.kill('SIGKILL');
      await run.done;
      // The adapter comes back under another name; the board (id 4242-7-7) still holds maneuver pressures.
      await first.close();
      second = await ptyPair(dir, 'reenum-2');
      const atManeuver = join(dir, 'at-maneuver.json');
      writeFileSync(atManeuver, JSON.stringify({ mode: 'PCV', peepCmH2O: 20, peakCmH2O: 35, rateBpm: 20, fio2: 0.4 }));
      emu2 = startCli(['emulate', 'makair', '--port', second.device, '--patient', 'moderate-ards', '--speed', '4', '--device-id', '4242-7-7', '--baseline', atManeuver]);
      await waitForOutput(emu2.child, /rmseq emulate makair on/);
      const r = await runCli(['recover', journal, '--device', `makair:${second.host}`, '--fio2', '0.4']);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(await status(emu2)).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });
      const start = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e['event'] === 'recover-start');
      expect(start).toMatchObject({ device: { id: '4242-7-7', port: second.host } });
    } finally {
      await first.close(); // a second close finds everything stopped
      if (emu2) {
        emu2.child.kill('SIGINT');
        await emu2.done;
      }
      await second?.close();
    }
  });
});
