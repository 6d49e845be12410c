import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaOf, SCHEMA_NAMES } from '../../machines/index.js';

describe('exported JSON Schemas', () => {
  it.each(SCHEMA_NAMES)('schemas/%s.schema.json is up to date (run npm run schemas)', (name) => {
    const committed = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', `${name}.schema.json`), 'utf8'));
    expect(committed).toEqual(jsonSchemaOf(name));
  });
  it('describes bounds and forbids unknown fields', () => {
    const s = jsonSchemaOf('staircase') as { properties: Record<string, { minimum?: number; maximum?: number }>; additionalProperties: boolean };
    expect(s.properties['peakLimitCmH2O']).toMatchObject({ minimum: 30, maximum: 60 });
    expect(s.additionalProperties).toBe(false);
  });
});
