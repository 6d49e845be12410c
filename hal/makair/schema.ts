/**
 * Field layouts of the v2 telemetry messages: one table drives encoding, decoding and the
 * stream parser's length measurement, so the three cannot drift apart.
 *
 * Every v2 message body is
 *   <letter> ':' 0x02 | version: u8 length + bytes | device id: 3 x u32 BE |
 *   then for each field below: '\t' field | and finally '\n'
 * (makair-telemetry `src/parsers/v2.rs`, makair-firmware `srcs/telemetry.cpp`). All integers
 * are big-endian. The field order below is the order on the wire.
 */
import type { TelemetryMessageType } from './messages.js';
import { CONTROL_SETTINGS } from './settings.js';

export type ScalarKind = 'u8' | 'bool' | 'u16' | 'i16' | 'u32' | 'u64' | 'u16opt' | 'i16opt' | 'bytes8' | 'text8';

/** A u8 with a closed set of values (an unknown value is a decode error). */
export interface EnumKind {
  readonly enum: ReadonlyMap<number, string | boolean | number>;
}

/** A u8 tag selecting a variant; each variant field is again preceded by '\t'. */
export interface UnionKind {
  readonly union: ReadonlyMap<number, { readonly kind: string; readonly fields: readonly Field[] }>;
}

export type FieldKind = ScalarKind | EnumKind | UnionKind;
export type Field = readonly [name: string, kind: FieldKind];

const enumOf = (entries: ReadonlyArray<readonly [number, string | boolean | number]>): EnumKind => ({ enum: new Map(entries) });

export const PHASE = enumOf([[17, 'inhalation'], [68, 'exhalation']]);
export const VENTILATION_MODE = enumOf([[1, 'PC_CMV'], [2, 'PC_AC'], [3, 'VC_CMV'], [4, 'PC_VSAI'], [5, 'VC_AC']]);
export const BOOT_MODE = enumOf([[1, 'production'], [2, 'qualification'], [3, 'integration-test']]);
export const ALARM_PRIORITY = enumOf([[4, 'high'], [2, 'medium'], [1, 'low']]);
export const TRIGGERED = enumOf([[240, true], [15, false]]);
export const PATIENT_GENDER = enumOf([[0, 'male'], [1, 'female']]);
/** Control setting ids the firmware defines, 0-31 (an ack naming another id is rejected, as makair-telemetry does). */
export const SETTING_ID = enumOf(CONTROL_SETTINGS.map((s) => [s.id, s.id] as const));
/** End-of-line test steps 0-27 (`EolTestStep`). */
export const EOL_STEP = enumOf(Array.from({ length: 28 }, (_, i) => [i, i] as const));

const FATAL_ERROR: UnionKind = {
  union: new Map([
    [1, { kind: 'watchdog-restart', fields: [] }],
    [
      2,
      {
        kind: 'calibration-error',
        fields: [
          ['pressureOffsetMmH2O', 'i16'],
          ['minPressureMmH2O', 'i16'],
          ['maxPressureMmH2O', 'i16'],
          ['flowAtStartingCLPerMin', 'i16opt'],
          ['flowWithBlowerOnCLPerMin', 'i16opt'],
        ],
      },
    ],
    [3, { kind: 'battery-deeply-discharged', fields: [['batteryLevelCentivolts', 'u16']] }],
    [4, { kind: 'mass-flow-meter-error', fields: [] }],
    [5, { kind: 'inconsistent-pressure', fields: [['pressureMmH2O', 'u16']] }],
  ]),
};

const EOL_CONTENT: UnionKind = {
  union: new Map([
    [0, { kind: 'in-progress', fields: [['message', 'text8']] }],
    [1, { kind: 'error', fields: [['message', 'text8']] }],
    [2, { kind: 'success', fields: [['message', 'text8']] }],
  ]),
};

const SYSTICK: Field = ['systickUs', 'u64'];

/** Settings fields shared (in this order) by the stopped message, after its four commands. */
const SETTINGS_A: readonly Field[] = [
  ['expiratoryTerm', 'u8'],
  ['triggerEnabled', 'bool'],
  ['triggerOffsetMmH2O', 'u8'],
];
const SETTINGS_B: readonly Field[] = [
  ['alarmSnoozed', 'bool'],
  ['cpuLoadPct', 'u8'],
  ['ventilationMode', VENTILATION_MODE],
  ['inspiratoryTriggerFlowPct', 'u8'],
  ['expiratoryTriggerFlowPct', 'u8'],
  ['tiMinMs', 'u16'],
  ['tiMaxMs', 'u16'],
  ['lowInspiratoryMinuteVolumeAlarmThresholdLPerMin', 'u8'],
  ['highInspiratoryMinuteVolumeAlarmThresholdLPerMin', 'u8'],
  ['lowExpiratoryMinuteVolumeAlarmThresholdLPerMin', 'u8'],
  ['highExpiratoryMinuteVolumeAlarmThresholdLPerMin', 'u8'],
  ['lowRespiratoryRateAlarmThresholdBpm', 'u8'],
  ['highRespiratoryRateAlarmThresholdBpm', 'u8'],
  ['targetTidalVolumeMl', 'u16'],
  ['lowTidalVolumeAlarmThresholdMl', 'u16'],
  ['highTidalVolumeAlarmThresholdMl', 'u16'],
  ['plateauDurationMs', 'u16'],
  ['leakAlarmThresholdCLPerMin', 'u16'],
  ['targetInspiratoryFlowLPerMin', 'u8'],
  ['inspiratoryDurationCommandMs', 'u16'],
];
const COMMANDS: readonly Field[] = [
  ['peakCommandCmH2O', 'u8'],
  ['plateauCommandCmH2O', 'u8'],
  ['peepCommandCmH2O', 'u8'],
  ['cpmCommand', 'u8'],
];
const PATIENT_AND_PEAK_ALARM: readonly Field[] = [
  ['localeCode', 'u16'],
  ['patientHeightCm', 'u8'],
  ['patientGender', PATIENT_GENDER],
  ['peakPressureAlarmThresholdMmH2O', 'u16'],
];

export interface MessageSchema {
  readonly type: TelemetryMessageType;
  /** ASCII letter that opens the body. */
  readonly letter: string;
  readonly fields: readonly Field[];
}

/** The v2 messages, keyed by their letter. */
export const SCHEMAS: readonly MessageSchema[] = [
  { type: 'boot', letter: 'B', fields: [SYSTICK, ['mode', BOOT_MODE], ['value128', 'u8']] },
  {
    type: 'stopped',
    letter: 'O',
    fields: [
      SYSTICK,
      ...COMMANDS,
      ...SETTINGS_A,
      ...SETTINGS_B,
      ['batteryLevelCentivolts', 'u16'],
      ['currentAlarmCodes', 'bytes8'],
      ...PATIENT_AND_PEAK_ALARM,
    ],
  },
  {
    type: 'data',
    letter: 'D',
    fields: [
      SYSTICK,
      ['cycleTimeCs', 'u16'],
      ['pressureMmH2O', 'i16'],
      ['phase', PHASE],
      ['blowerValvePosition', 'u8'],
      ['patientValvePosition', 'u8'],
      ['blowerSpeed', 'u8'],
      ['batteryLevelV', 'u8'],
      ['inspiratoryFlowCLPerMin', 'i16'],
      ['expiratoryFlowCLPerMin', 'i16'],
    ],
  },
  {
    type: 'state',
    letter: 'S',
    fields: [
      SYSTICK,
      ['cycle', 'u32'],
      ...COMMANDS,
      ['previousPeakPressureMmH2O', 'u16'],
      ['previousPlateauPressureMmH2O', 'u16'],
      ['previousPeepPressureMmH2O', 'u16'],
      ['currentAlarmCodes', 'bytes8'],
      ['previousVolumeMl', 'u16opt'],
      ...SETTINGS_A,
      ['previousCpm', 'u8'],
      ...SETTINGS_B,
      ['previousInspiratoryDurationMs', 'u16'],
      ['batteryLevelCentivolts', 'u16'],
      ...PATIENT_AND_PEAK_ALARM,
    ],
  },
  {
    type: 'alarm',
    letter: 'T',
    fields: [
      SYSTICK,
      ['cycleTimeCs', 'u16'],
      ['pressureMmH2O', 'i16'],
      ['phase', PHASE],
      ['cycle', 'u32'],
      ['alarmCode', 'u8'],
      ['alarmPriority', ALARM_PRIORITY],
      ['triggered', TRIGGERED],
      ['expected', 'u32'],
      ['measured', 'u32'],
      ['cyclesSinceTrigger', 'u32'],
    ],
  },
  { type: 'ack', letter: 'A', fields: [SYSTICK, ['setting', SETTING_ID], ['value', 'u16']] },
  { type: 'fatal', letter: 'E', fields: [SYSTICK, ['error', FATAL_ERROR]] },
  { type: 'eol-test', letter: 'L', fields: [SYSTICK, ['currentStep', EOL_STEP], ['content', EOL_CONTENT]] },
];

/** Schema by the first body byte (the letter's char code); undefined for unknown letters. */
export const SCHEMA_BY_CODE: ReadonlyArray<MessageSchema | undefined> = (() => {
  const table: Array<MessageSchema | undefined> = new Array(256).fill(undefined);
  for (const s of SCHEMAS) table[s.letter.charCodeAt(0)] = s;
  return table;
})();

/** Schema by message type. */
export const SCHEMA_BY_TYPE: ReadonlyMap<TelemetryMessageType, MessageSchema> = new Map(SCHEMAS.map((s) => [s.type, s]));

/** The v2 protocol version byte. */
export const PROTOCOL_VERSION = 2;
/** Bytes before the first '\t': letter, ':', version byte, version length (the string and the 12-byte device id follow). */
export const PREFIX_BYTES = 4;
export const DEVICE_ID_BYTES = 12;
export const SEP = 0x09;
export const END = 0x0a;
export const COLON = 0x3a;

/** Fixed byte width of a kind, or -1 for length-prefixed kinds, -2 for unions. */
export function widthOf(kind: FieldKind): number {
  if (typeof kind !== 'string') return 'enum' in kind ? 1 : -2;
  switch (kind) {
    case 'u8':
    case 'bool':
      return 1;
    case 'u16':
    case 'i16':
    case 'u16opt':
    case 'i16opt':
      return 2;
    case 'u32':
      return 4;
    case 'u64':
      return 8;
    case 'bytes8':
    case 'text8':
      return -1;
  }
}
