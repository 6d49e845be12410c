/** Writes the JSON Schemas of every configuration to schemas/ (npm run schemas). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaOf, SCHEMA_NAMES } from '../machines/config/jsonSchema.js';

const dir = join(import.meta.dirname, '..', 'schemas');
mkdirSync(dir, { recursive: true });
for (const name of SCHEMA_NAMES) {
  writeFileSync(join(dir, `${name}.schema.json`), `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`);
  console.log(`schemas/${name}.schema.json`);
}
