/**
 * Issue 16 through the real command line: `rmseq emulate makair` on a PTY, `rmseq emulate
 * intellivue` on UDP loopback, and `rmseq run staircase --device makair:PTY --vitals
 * intellivue:udp:127.0.0.1:PORT`; an SpO2 INOP typed into the monitor mid-run aborts it on
 * stale SpO2 (exit 3), baseline verified. (The full staircase to completion, ~8 min of
 * emulated time, runs in intellivue.staircase.test.ts at 30x with the same flag parser and
 * opener and widened timeouts: at the speed a CLI run can take here it would take minutes.) All three at --speed 2 (the MakAir adapter's 1-s link timeout is then 500 ms of real time; at 4x and 8x it tripped on a loaded machine).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, startCli, waitForOutput } from '../support/cli.js';
import { MAKAIR_STAIRCASE } from './support/protocols.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
beforeAll(() => assertBuilt());

let n = 0;
async function bedside() {
  const dir = scratch!.dir;
  const dev = await ptyPair(dir, `cli-iv${n++}`);
  const protocol = join(dir, 'protocol.json');
  writeFileSync(protocol, JSON.stringify(MAKAIR_STAIRCASE));
  const vent = startCli(['emulate', 'makair', '--port', dev.device, '--patient', 'moderate-ards', '--speed', '2']);
  const monitor = startCli(['emulate', 'intellivue', '--listen', 'udp:127.0.0.1:0', '--patient', 'moderate-ards', '--speed', '2']);
  const [, banner] = await Promise.all([waitForOutput(vent.child, /rmseq emulate makair on/), waitForOutput(monitor.child, /rmseq emulate intellivue on udp 127\.0\.0\.1:\d+/)]);
  const port = /udp 127\.0\.0\.1:(\d+)/.exec(banner)![1]!;
  const close = async (): Promise<void> => {
    for (const p of [vent, monitor]) {
      p.child.kill('SIGINT');
      await p.done;
    }
    await dev.close();
  };
  return { dev, protocol, port, vent, monitor, close, journal: join(dir, `j${n}.jsonl`) };
}

describe.skipIf(!SOCAT)(`rmseq run with --vitals intellivue:udp against the two emulators${SOCAT_NOTE}`, () => {
  it('an SpO2 INOP typed into the monitor mid-run: exit 3, aborted on stale SpO2, baseline verified', { timeout: 240_000 }, async () => {
    const b = await bedside();
    try {
      const run = startCli(['run', 'staircase', '--confirm-checklist', 'all', '--device', `makair:${b.dev.host}`, '--fio2', '0.4', '--vitals', `intellivue:udp:127.0.0.1:${b.port}`, '--protocol', b.protocol, '--speed', '2']);
      await waitForOutput(run.child, /Recruitment 1\/2: PEEP 20/);
      b.monitor.child.stdin.write('inop spo2\n');
      const r = await run.done;
      expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(3);
      expect(r.stdout).toMatch(/no fresh SpO2/);
      expect(r.stdout).toMatch(/patient monitor: not counted by the guards: spo2Pct: INOP sensor disconnected/);
      // Exit 3 is 'aborted, baseline restored and verified' (src/cli/exitCodes.ts).
    } finally {
      await b.close();
    }
  });
});
