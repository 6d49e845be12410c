import { describe, expect, it } from 'vitest';
import { defaultProtocol, initialContext } from '../../machines/index.js';
import { BASELINE } from '../support/driver.js';

describe('maneuver context', () => {
  it('keeps at most 16 top-level keys (XState copies it with Object.assign on every event; V8 slows ~10x past ~19 keys)', () => {
    const ctx = initialContext({ protocol: defaultProtocol('staircase'), baseline: BASELINE });
    expect(Object.keys(ctx).length).toBeLessThanOrEqual(16);
  });
});
