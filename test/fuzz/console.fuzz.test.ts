/**
 * Fuzzing the console's WebSocket: random JSON, near-valid messages with wrong tokens or
 * fields, unknown types, garbage text. Every message is answered or dropped without a
 * crash, and nothing starts on the ventilator.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_MESSAGE_TYPES } from '../../src/console/requests.js';
import type { ConsoleHandle } from '../../src/console/index.js';
import { isError, startTestConsole, TestClient } from '../console/support.js';

let handle: ConsoleHandle;
let client: TestClient;

beforeAll(async () => {
  handle = await startTestConsole();
  client = await TestClient.connect(handle.server.port);
});
afterAll(async () => {
  await client.close();
  await handle.shutdown('fuzz done');
});

const anyJson = fc.jsonValue({ maxDepth: 3 });
const nearValid = fc.record({
  type: fc.oneof(fc.constantFrom(...CLIENT_MESSAGE_TYPES, 'reboot', 'apply', '__proto__'), fc.string({ maxLength: 10 })),
  token: fc.oneof(fc.string({ maxLength: 70 }), fc.constant(undefined), fc.integer()),
  maneuver: fc.oneof(fc.constantFrom('staircase', 'sustained-inflation', 'yoga'), fc.integer()),
  protocol: fc.oneof(anyJson, fc.record({ peepCmH2O: fc.double(), safety: anyJson })),
  promptId: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
});

describe('fuzz: console messages', () => {
  it('no crash, an error for every control without the right token, and no session started', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson, nearValid, fc.string({ maxLength: 200 })), async (msg) => {
        const payload = typeof msg === 'string' ? msg : JSON.stringify(msg);
        const from = client.messages.length;
        client.send(payload);
        // A hello answers with an id-less reply; everything else here must not start anything.
        const reply = await client.next((m) => m.type === 'error' || m.type === 'hello' || m.type === 'preview' || m.type === 'accepted', 5000, from).catch(() => null);
        expect(reply === null || reply.type !== 'accepted').toBe(true);
        expect(handle.server.hub.live).toBe(false);
        if (reply && isError(reply)) expect(reply.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
    expect(client.closed).toBeNull();
  }, 60_000);
});
