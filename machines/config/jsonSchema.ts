/** JSON Schemas of the configuration files, for vendors and editors (generated from the zod schemas). */
import { z } from 'zod';
import { HighPressurePcvProtocolSchema, ProtocolSchema, RecruitabilityScreenProtocolSchema, StaircaseProtocolSchema, SustainedInflationProtocolSchema } from './protocols.js';
import { ReleaseReadingsSchema } from '../recruitability.js';
import { SafetyConfigSchema } from './safety.js';

const SCHEMAS = {
  protocol: ProtocolSchema,
  'sustained-inflation': SustainedInflationProtocolSchema,
  'high-pressure-pcv': HighPressurePcvProtocolSchema,
  staircase: StaircaseProtocolSchema,
  'recruitability-screen': RecruitabilityScreenProtocolSchema,
  /** The one-breath test's numbers entered by hand (`rmseq screen --readings`). */
  'screen-readings': ReleaseReadingsSchema,
  safety: SafetyConfigSchema,
} as const;

export type SchemaName = keyof typeof SCHEMAS;
export const SCHEMA_NAMES = Object.keys(SCHEMAS) as SchemaName[];

/**
 * The JSON Schema (draft 2020-12) of a configuration, describing what a file may contain
 * (input side: defaults are optional).
 *
 * @example
 * fs.writeFileSync('staircase.schema.json', JSON.stringify(jsonSchemaOf('staircase'), null, 2));
 */
export function jsonSchemaOf(name: SchemaName): Record<string, unknown> {
  return {
    $id: `https://rm-sequencer.local/schemas/${name}.schema.json`,
    title: `rm-sequencer ${name} configuration`,
    ...z.toJSONSchema(SCHEMAS[name], { io: 'input', unrepresentable: 'any' }),
  };
}
