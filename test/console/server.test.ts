/**
 * The console server over real WebSockets (no browser): what it refuses, and that a valid
 * start, an abort and every page leaving behave as a bedside needs.
 */
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, type ConsoleHandle } from '../../src/console/index.js';
import type { ServerMessage } from '../../src/console/wire.js';
import { isError, startTestConsole, TestClient } from './support.js';

let con: ConsoleHandle;
let page: TestClient;

beforeEach(async () => {
  con = await startTestConsole();
  page = await TestClient.connect(con.server.port);
});

afterEach(async () => {
  await page.close();
  await con.shutdown('test end', 5000);
});

const errorOf = (m: ServerMessage) => {
  if (!isError(m)) throw new Error(`expected an error, got ${JSON.stringify(m).slice(0, 300)}`);
  return m;
};

describe('console server: on connect', () => {
  it('sends who it is and a snapshot', async () => {
    const welcome = await page.next((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({ type: 'welcome', server: { wire: 1, simulated: true, speed: 100, maneuvers: ['sustained-inflation', 'high-pressure-pcv', 'staircase'] } });
    expect(await page.next((m) => m.type === 'snapshot')).toEqual({ type: 'snapshot', session: null });
  });

  it('says whether a hello token allows control', async () => {
    expect(await page.request({ type: 'hello', token: con.token })).toMatchObject({ type: 'hello', controls: true });
    expect(await page.request({ type: 'hello', token: 'nope' })).toMatchObject({ type: 'hello', controls: false });
    expect(await page.request({ type: 'hello' })).toMatchObject({ type: 'hello', controls: false });
  });
});

describe('console server: the token', () => {
  const controls = (maneuver = 'sustained-inflation') => [
    { type: 'start', maneuver },
    { type: 'abort' },
    { type: 'confirm' },
    { type: 'ack', by: 'Dr Rivera' },
    { type: 'repeat' },
    { type: 'end' },
  ];

  it('refuses control messages without a token and starts nothing', async () => {
    for (const m of controls()) {
      const e = errorOf(await page.request(m));
      expect(e.code === 'invalid-message' || e.code === 'unauthorized').toBe(true);
      expect(e.message).toMatch(/token/);
    }
    expect(con.server.hub.snapshot()).toBeNull();
    expect(con.server.hub.live).toBe(false);
  });

  it('refuses control messages with a wrong token and starts nothing', async () => {
    for (const m of controls()) {
      const e = errorOf(await page.request({ ...m, token: `${con.token.slice(0, -1)}x` }));
      expect(e).toMatchObject({ code: 'unauthorized', request: m.type });
    }
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('does not let a wrong token abort a running maneuver', async () => {
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'staircase' })).toMatchObject({ type: 'accepted', request: 'start' });
    await page.state(/^active\..*dwelling$/);
    expect(errorOf(await page.request({ type: 'abort', token: 'wrong' })).code).toBe('unauthorized');
    expect(errorOf(await page.request({ type: 'abort' })).code).toBe('invalid-message');
    expect(con.server.hub.state).toMatch(/^active\./);
    expect(con.server.hub.live).toBe(true);
  });
});

describe('console server: bad messages', () => {
  it('refuses malformed JSON, and the socket stays usable', async () => {
    page.send('{"type": "start", ');
    expect(errorOf(await page.next(isError))).toMatchObject({ code: 'bad-json' });
    expect(await page.request({ type: 'hello', token: con.token })).toMatchObject({ controls: true });
  });

  it('refuses a message with a duplicate key or nested too deep, naming it, and starts nothing', async () => {
    page.send(`{"type":"start","token":"${con.token}","maneuver":"staircase","maneuver":"sustained-inflation"}`);
    const dup = errorOf(await page.next(isError));
    expect(dup).toMatchObject({ code: 'bad-json' });
    expect(dup.message).toMatch(/duplicate key "maneuver"/);
    const from = page.messages.length;
    page.send(`{"type":"start","token":"${con.token}","maneuver":"staircase","protocol":${'{"a":'.repeat(200)}1${'}'.repeat(200)}}`);
    expect(errorOf(await page.next(isError, 10_000, from)).message).toMatch(/nested deeper than the limit of 32 levels/);
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('refuses an oversized message with an error, and closes the socket on a huge frame', async () => {
    const big = JSON.stringify({ type: 'start', token: con.token, maneuver: 'staircase', protocol: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) } });
    page.send(big);
    const e = errorOf(await page.next(isError));
    expect(e.code).toBe('too-large');
    expect(e.message).toContain(String(MAX_MESSAGE_BYTES));
    expect(con.server.hub.snapshot()).toBeNull();
    page.send('x'.repeat(MAX_FRAME_BYTES + 1));
    await new Promise<void>((resolve) => page.ws.once('close', () => resolve()));
    expect(page.closed?.code).toBe(1009);
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('refuses unknown types, non-objects and binary frames', async () => {
    expect(errorOf(await page.request({ type: 'reboot', token: con.token }))).toMatchObject({ code: 'unknown-type', request: 'reboot' });
    let from = page.messages.length;
    page.send('[1,2,3]');
    expect(errorOf(await page.next(isError, 5000, from)).code).toBe('unknown-type');
    from = page.messages.length;
    page.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(errorOf(await page.next(isError, 5000, from))).toMatchObject({ code: 'invalid-message', message: expect.stringMatching(/binary/) });
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('refuses messages whose fields are wrong, naming the field', async () => {
    const e = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'yoga' }));
    expect(e.code).toBe('invalid-message');
    expect(e.problems?.map((p) => p.field)).toContain('maneuver');
    const extra = errorOf(await page.request({ type: 'abort', token: con.token, force: true }));
    expect(extra.problems?.[0]).toMatchObject({ field: 'force', message: 'unknown field (not allowed)' });
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('tells a page that floods it to slow down', async () => {
    for (let i = 0; i < 40; i++) page.send({ type: 'hello' });
    expect(errorOf(await page.next(isError))).toMatchObject({ code: 'rate-limited' });
  });

  it('never echoes a token in an error', async () => {
    const e = errorOf(await page.request({ type: 'abort', token: 'y'.repeat(300) }));
    expect(JSON.stringify(e)).not.toContain('y'.repeat(300));
  });
});

describe('console server: protocols', () => {
  it('returns protocol errors field by field, and starts nothing', async () => {
    const e = errorOf(
      await page.request({ type: 'start', token: con.token, maneuver: 'staircase', protocol: { incrementalPeepsCmH2O: [20, 15, 30], peakLimitCmH2O: 99, decremental: { dwellS: 'long' } } }),
    );
    expect(e.code).toBe('invalid-protocol');
    const fields = e.problems?.map((p) => p.field) ?? [];
    expect(fields).toEqual(expect.arrayContaining(['peakLimitCmH2O', 'decremental.dwellS']));
    expect(e.problems?.find((p) => p.field === 'peakLimitCmH2O')).toMatchObject({ value: 99, message: expect.stringMatching(/between 30 and 60/) });
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('previews a plan, or the problems, without a token', async () => {
    const ok = await page.request({ type: 'preview', maneuver: 'staircase', protocol: {} });
    expect(ok).toMatchObject({ type: 'preview', problems: [] });
    if (ok.type !== 'preview') throw new Error('no preview');
    const PREOX = ['preoxygenation', 'preoxygenation', 'preoxygenation', 'preoxygenation', 'preoxygenation'];
    expect(ok.plan.map((s) => s.phase)).toEqual([...PREOX, 'incremental', 'incremental', 'incremental', 'fio2', 'fio2', 'fio2', 'fio2', 'decremental', 'decremental', 'decremental', 'decremental', 'decremental', 'decremental', 'decremental', 're-recruit', 'final']);
    // The pre-oxygenation (at most 300 s) and the FiO2 titration (4 steps of 60 s from the preview
    // baseline's FiO2 0.6) count in the longest the plan can take.
    // Seven decremental levels: PHARLAP's 25-15, then 12.5 and 10 while no derecruitment is seen.
    expect(ok.plannedMs).toBe((300 + 3 * 120 + 4 * 60 + 7 * 180 + 60 + 60) * 1000);
    const bad = await page.request({ type: 'preview', maneuver: 'sustained-inflation', protocol: { holdS: 300 } });
    expect(bad).toMatchObject({ type: 'preview', plan: [], problems: [{ field: 'holdS', value: 300 }] });
    expect(con.server.hub.snapshot()).toBeNull();
  });
});

describe('console server: running a maneuver', () => {
  it('runs a simulated sustained inflation to completion and ends it', async () => {
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation' })).toMatchObject({ type: 'accepted' });
    const opened = await page.next((m) => m.type === 'session', 10_000, 0);
    expect(opened).toMatchObject({ type: 'session', session: { info: { maneuver: 'sustained-inflation', plan: [...Array(5).fill({ phase: 'preoxygenation', conditional: true }), { phase: 'inflation' }, { phase: 'assessment' }], thresholds: { mapFloorMmHg: 60, spo2FloorPct: 85, peakAbortCmH2O: 60 } } } });
    await page.state(/^active\.inflation\.dwelling$/);
    await page.state(/^completed$/, 15_000);
    const rows = page.messages.flatMap((m) => (m.type === 'update' ? m.rows : []));
    expect(rows.length).toBeGreaterThan(30);
    expect(rows.some((r) => r.peepCmH2O !== null && r.peepCmH2O > 35)).toBe(true);
    expect(rows.some((r) => r.spo2Pct !== null && r.mapMmHg !== null && r.hrBpm !== null)).toBe(true);
    expect(errorOf(await page.request({ type: 'repeat', token: con.token })).message).toMatch(/repeat not allowed/);
    expect(await page.request({ type: 'end', token: con.token })).toMatchObject({ type: 'accepted' });
    const outcome = await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'outcome'));
    const summary = outcome.type === 'update' ? outcome.events.find((e) => e.kind === 'outcome') : undefined;
    expect(summary).toMatchObject({ summary: { outcome: 'completed', maneuver: 'sustained-inflation' } });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'));
    expect(con.server.hub.live).toBe(false);
    // A new maneuver may start once the last one is over.
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation' })).toMatchObject({ type: 'accepted' });
  });

  it('refuses a second start while a maneuver runs', async () => {
    await page.request({ type: 'start', token: con.token, maneuver: 'staircase' });
    expect(errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'staircase' })).code).toBe('busy');
  });

  it('aborts on request: the baseline is restored and verified, the reason recorded', async () => {
    await page.request({ type: 'start', token: con.token, maneuver: 'staircase' });
    await page.state(/^active\.incremental\.dwelling$/);
    expect(await page.request({ type: 'abort', token: con.token, note: 'test' })).toMatchObject({ type: 'accepted', request: 'abort' });
    await page.state(/^aborting/);
    await page.state(/^aborted$/);
    const outcome = await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'outcome'));
    const e = outcome.type === 'update' ? outcome.events.find((x) => x.kind === 'outcome') : undefined;
    expect(e).toMatchObject({ summary: { outcome: 'aborted', baselineVerified: true, abort: { reason: 'operator-abort' }, baseline: { peepCmH2O: 10 } } });
    const alarms = page.messages.flatMap((m) => (m.type === 'update' ? m.events : [])).filter((x) => x.kind === 'alarm');
    expect(alarms).toContainEqual(expect.objectContaining({ alarm: expect.objectContaining({ title: 'Stopped by the operator: maneuver aborted' }) }));
    expect(errorOf(await page.request({ type: 'abort', token: con.token }))).toMatchObject({ code: 'no-session' });
  });

  it('keeps the session (and its monitor) running when every page has gone', async () => {
    await page.request({ type: 'start', token: con.token, maneuver: 'staircase' });
    await page.state(/^active\.incremental\.dwelling$/);
    await page.close();
    const before = con.server.hub.snapshot()!;
    const rowsBefore = before.rows.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(con.server.hub.live).toBe(true);
    const after = con.server.hub.snapshot()!;
    // The snapshot is the live model: its rows keep growing, so take the count now.
    const rowsAfter = after.rows.length;
    expect(rowsAfter).toBeGreaterThan(rowsBefore + 50);
    expect(after.step.state).toMatch(/^active\./);
    // A page that comes back gets the whole history to redraw its charts.
    page = await TestClient.connect(con.server.port);
    const snap = await page.next((m) => m.type === 'snapshot');
    if (snap.type !== 'snapshot' || !snap.session) throw new Error('no session in the snapshot');
    expect(snap.session.rows.length).toBeGreaterThanOrEqual(rowsAfter);
    expect(snap.session.info.plan.length).toBe(21); // 5 pre-oxygenation holds (if needed), 3 recruitment, 4 FiO2, 7 decremental (2 below the floor), re-recruit, final;
    expect(snap.session.step.state).toMatch(/^active\./);
    expect(await page.request({ type: 'abort', token: con.token })).toMatchObject({ type: 'accepted' });
    await page.state(/^aborted$/);
  });

  it('ends (does not revert) a completed maneuver when the console shuts down', async () => {
    await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation' });
    await page.state(/^completed$/, 15_000);
    const summary = await con.shutdown('SIGINT', 5000);
    expect(summary).toMatchObject({ outcome: 'completed', state: 'finished', abort: null });
  });

  it('aborts a running maneuver through the machine when the console shuts down', async () => {
    await page.request({ type: 'start', token: con.token, maneuver: 'staircase' });
    await page.state(/^active\.incremental\.dwelling$/);
    const summary = await con.shutdown('SIGTERM', 5000);
    expect(summary).toMatchObject({ outcome: 'aborted', baselineVerified: true, abort: { reason: 'operator-abort', message: expect.stringContaining('SIGTERM') } });
  });
});

describe('console server: HTTP', () => {
  const get = (port: number, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers only to its loopback host names (DNS rebinding)', async () => {
    expect((await get(con.server.port, '/healthz')).status).toBe(200);
    expect((await get(con.server.port, '/healthz', { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses a WebSocket from another origin', async () => {
    await expect(TestClient.connect(con.server.port, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(TestClient.connect(con.server.port, { host: 'evil.example', origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const same = await TestClient.connect(con.server.port, { origin: `http://127.0.0.1:${con.server.port}` });
    await same.close();
  });

  it('sends a strict content security policy', async () => {
    const res = await get(con.server.port, '/healthz');
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });
});
