/** Failsafe through the console: a device that refuses the restore; the page must acknowledge. */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WallClock } from '../../common/clock.js';
import type { SimulatedVentilator } from '../../hal/simulated/index.js';
import { DEFAULT_SIM_BASELINE, loadPatient } from '../../src/cli/inputs.js';
import { startConsole, type ConsoleHandle, type SessionSource } from '../../src/console/index.js';
import { journaled } from '../../src/runner/source.js';
import { Journal } from '../../src/journal/journal.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSimulatedSession } from '../../src/runner/simulated.js';
import { TestClient } from './support.js';

/** The simulator, keeping a handle on its ventilator so the test can break it. */
function breakableSource(speed: number): SessionSource & { ventilator: SimulatedVentilator | null } {
  const { profile } = loadPatient('moderate-ards');
  const source = {
    description: 'breakable simulated patient',
    simulated: true,
    guided: false,
    speed,
    ventilator: null as SimulatedVentilator | null,
    checklistRequired: false,
    async open(maneuver: Parameters<SessionSource['open']>[0], protocol: Parameters<SessionSource['open']>[1]) {
      const clock = new WallClock(speed);
      const opened = await openSimulatedSession({ maneuver, protocol, profile, seed: 1, clock, baseline: DEFAULT_SIM_BASELINE, session: { onCompleted: 'wait', onFailsafe: 'wait' } });
      source.ventilator = opened.ventilator;
      return {
        session: opened.session,
        guided: null,
        description: source.description,
        record: { header: { device: 'simulator' }, result: { device: 'simulator' } },
        device: null,
        async dispose() {
          await opened.session.close();
          clock.clearAll();
        },
      };
    },
  };
  return source;
}

let con: ConsoleHandle | null = null;
afterEach(async () => {
  await con?.shutdown('test end', 3000);
  con = null;
});

describe('console: failsafe', () => {
  it('raises a high-priority alarm and waits for the acknowledgement', async () => {
    const source = breakableSource(100);
    const path = join(mkdtempSync(join(tmpdir(), 'rmseq-failsafe-')), 'console.jsonl');
    const journal = Journal.open(path);
    con = await startConsole({ source: journaled(source, journal, () => ({ versions: {}, device: 'simulator' }) as never), port: 0, logger: pino({ level: 'silent' }), batchMs: 50 });
    const page = await TestClient.connect(con.server.port);
    try {
      await page.request({ type: 'start', token: con.token, maneuver: 'staircase' });
      await page.state(/^active\.incremental\.dwelling$/);
      source.ventilator!.faults.refuseApplies = 1000;
      expect(errorCode(await page.request({ type: 'ack', token: con.token, by: 'Dr Rivera' }))).toBe('not-now');
      await page.request({ type: 'abort', token: con.token });
      await page.state(/^failsafe/, 15_000);
      const alarms = page.messages.flatMap((m) => (m.type === 'update' ? m.events : [])).flatMap((e) => (e.kind === 'alarm' ? [e.alarm] : []));
      expect(alarms).toContainEqual(expect.objectContaining({ priority: 'high', title: 'FAILSAFE: check the ventilator now', detail: expect.stringMatching(/FAILSAFE: baseline could not be verified/) }));
      expect(con.server.hub.live).toBe(true);
      // Who acknowledges is part of the acknowledgement, as at the terminal.
      const noName = await page.request({ type: 'ack', token: con.token });
      expect(noName).toMatchObject({ type: 'error', code: 'invalid-message', problems: [expect.objectContaining({ field: 'by' })] });
      expect(errorCode(await page.request({ type: 'ack', token: con.token, by: '   ' }))).toBe('invalid-message');
      expect(errorCode(await page.request({ type: 'ack', token: con.token, by: 'x'.repeat(81) }))).toBe('invalid-message');
      expect(errorCode(await page.request({ type: 'ack', token: con.token, by: 'a\u0007b' }))).toBe('invalid-message');
      expect(con.server.hub.state).toMatch(/^failsafe/);
      expect(await page.request({ type: 'ack', token: con.token, by: ' Dr Rivera ' })).toMatchObject({ type: 'accepted', request: 'ack' });
      const acked = await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'ack'));
      const ackEvent = acked.type === 'update' ? acked.events.find((x) => x.kind === 'ack') : undefined;
      expect(ackEvent).toMatchObject({ kind: 'ack', note: 'FAILSAFE acknowledged on the console by Dr Rivera' });
      const outcome = await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'outcome'));
      const e = outcome.type === 'update' ? outcome.events.find((x) => x.kind === 'outcome') : undefined;
      expect(e).toMatchObject({ summary: { outcome: 'failsafe', baselineVerified: false } });
      expect(con.server.hub.snapshot()?.acknowledged).toMatchObject({ note: 'FAILSAFE acknowledged on the console by Dr Rivera' });
      // Journaled: who acknowledged and when (the operator line), and the last known device state in the log.
      journal.close();
      const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const ack = lines.find((l) => l['event'] === 'operator' && l['action'] === 'ack');
      expect(ack).toMatchObject({ note: 'FAILSAFE acknowledged on the console by Dr Rivera', t: expect.any(Number) });
      const log = con.server.hub.snapshot()!.log.map((l) => l.text).join('\n');
      expect(log).toMatch(/FAILSAFE acknowledged on the console by Dr Rivera\. Baseline NOT verified: CHECK THE VENTILATOR; last known device state: settings read back/);
    } finally {
      await page.close();
    }
  });
});

function errorCode(m: { type: string; code?: string }): string | undefined {
  return m.type === 'error' ? m.code : undefined;
}
