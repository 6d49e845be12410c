/** Failsafe through the console: a device that refuses the restore; the page must acknowledge. */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WallClock } from '../../common/clock.js';
import type { SimulatedVentilator } from '../../hal/simulated/index.js';
import { DEFAULT_SIM_BASELINE, loadPatient } from '../../src/cli/inputs.js';
import { startConsole, type ConsoleHandle, type SessionSource } from '../../src/console/index.js';
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
    con = await startConsole({ source, port: 0, logger: pino({ level: 'silent' }), batchMs: 50 });
    const page = await TestClient.connect(con.server.port);
    try {
      await page.request({ type: 'start', token: con.token, maneuver: 'staircase' });
      await page.state(/^active\.incremental\.dwelling$/);
      source.ventilator!.faults.refuseApplies = 1000;
      expect(errorCode(await page.request({ type: 'ack', token: con.token }))).toBe('not-now');
      await page.request({ type: 'abort', token: con.token });
      await page.state(/^failsafe/, 15_000);
      const alarms = page.messages.flatMap((m) => (m.type === 'update' ? m.events : [])).flatMap((e) => (e.kind === 'alarm' ? [e.alarm] : []));
      expect(alarms).toContainEqual(expect.objectContaining({ priority: 'high', title: 'FAILSAFE: check the ventilator now', detail: expect.stringMatching(/FAILSAFE: baseline could not be verified/) }));
      expect(con.server.hub.live).toBe(true);
      expect(await page.request({ type: 'ack', token: con.token })).toMatchObject({ type: 'accepted', request: 'ack' });
      const outcome = await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'outcome'));
      const e = outcome.type === 'update' ? outcome.events.find((x) => x.kind === 'outcome') : undefined;
      expect(e).toMatchObject({ summary: { outcome: 'failsafe', baselineVerified: false } });
    } finally {
      await page.close();
    }
  });
});

function errorCode(m: { type: string; code?: string }): string | undefined {
  return m.type === 'error' ? m.code : undefined;
}
