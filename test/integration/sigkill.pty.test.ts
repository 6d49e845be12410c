/**
 * The last cell of the fault matrix: the controller process is killed with SIGKILL in the
 * middle of a maneuver on a (emulated) MakAir over real pseudo-terminals. The ventilator is
 * left at maneuver pressure; `rmseq recover <journal>` finds the unfinished session and
 * restores the recorded baseline, verified, and a second recover finds nothing to do.
 * Everything runs as child processes of the built CLI, as at the bedside.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, emulatorStatus, runCli, startCli, waitForOutput } from '../support/cli.js';
import { MAKAIR_RECOVERY_STAIRCASE } from './support/protocols.js';
import { makairCliRig } from './support/makairCli.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
beforeAll(() => assertBuilt());

describe.skipIf(!SOCAT)(`SIGKILL mid-maneuver, then rmseq recover${SOCAT_NOTE}`, () => {
  it('restores the recorded baseline on the device after the controller was killed', { timeout: 90_000 }, async () => {
    const rig = await makairCliRig(scratch!.dir, 'kill', MAKAIR_RECOVERY_STAIRCASE, '4');
    const { emulator } = rig;
    const journal = join(scratch!.dir, 'killed.jsonl');
    try {
      const run = startCli(rig.runArgs('staircase', ['--journal', journal]));
      // Kill it during the second recruitment step (PEEP 25, plateau 40).
      await waitForOutput(run.child, /Recruitment 2\/2: PEEP 25, peak 40 cmH2O/);
      await new Promise((r) => setTimeout(r, 1500));
      run.child.kill('SIGKILL');
      const killed = await run.done;
      expect(killed.signal).toBe('SIGKILL');

      expect((await emulatorStatus(emulator)).peepCmH2O).toBe(25); // left at maneuver pressure

      const recovered = await runCli(['recover', journal, '--fio2', '0.4']);

      expect(recovered.stdout).toMatch(/a staircase that never finished/);
      expect(recovered.stdout, recovered.stdout + recovered.stderr).toMatch(/baseline restored and verified on Makers For Life MakAir: PCV PEEP 10\/peak 25/);
      expect(recovered.code).toBe(3);

      expect(await emulatorStatus(emulator)).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });

      const again = await runCli(['recover', journal, '--fio2', '0.4']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/nothing to recover \(the last session was already recovered\)/);
    } finally {
      await rig.close();
    }
  });
});
