/** Issue 19 item 3: the console's PaO2 / MAWP message for the advisor, validated at the edge (zod). */
import { describe, expect, it } from 'vitest';
import { ClientMessageSchema, CONTROL_TYPES } from '../../src/console/requests.js';

describe('console oxygenation message', () => {
  it('is a control message (token required) with PaO2 20-700 mmHg and MAWP 1-60 cmH2O, both optional', () => {
    expect(CONTROL_TYPES).toContain('oxygenation');
    expect(ClientMessageSchema.safeParse({ type: 'oxygenation', token: 't', pao2MmHg: 55, mawpCmH2O: 20 }).success).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'oxygenation', token: 't' }).success).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'oxygenation', pao2MmHg: 55 }).success).toBe(false);
  });
  it.each([
    [{ pao2MmHg: 900 }, /between 20 and 700 mmHg/],
    [{ pao2MmHg: '55' }, /must be a number/],
    [{ mawpCmH2O: 0 }, /between 1 and 60 cmH2O/],
    [{ fio2: 0.5 }, /fio2|unrecognized/i],
  ])('%j is refused with the range', (fields, message) => {
    const r = ClientMessageSchema.safeParse({ type: 'oxygenation', token: 't', ...fields });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});
