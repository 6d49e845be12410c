/** Telemetry messages with realistic values, for the MakAir tests. */
import type {
  AlarmTrap,
  BootMessage,
  ControlAck,
  DataSnapshot,
  MachineStateSnapshot,
  SettingsReport,
  StoppedMessage,
  TelemetryHeader,
} from '../../../hal/makair/index.js';

export const HEADER: TelemetryHeader = { softwareVersion: 'v4.0.0', deviceId: '3473435-1212750385-808662327', systickUs: 0 };

/** PC-CMV, PEEP 10, plateau 25 cmH2O, 20/min, peak alarm 40 cmH2O, target Vt 400 mL. */
export const SETTINGS: SettingsReport = {
  peakCommandCmH2O: 0,
  plateauCommandCmH2O: 25,
  peepCommandCmH2O: 10,
  cpmCommand: 20,
  expiratoryTerm: 20,
  triggerEnabled: false,
  triggerOffsetMmH2O: 20,
  alarmSnoozed: false,
  cpuLoadPct: 31,
  ventilationMode: 'PC_CMV',
  inspiratoryTriggerFlowPct: 10,
  expiratoryTriggerFlowPct: 30,
  tiMinMs: 200,
  tiMaxMs: 1000,
  lowInspiratoryMinuteVolumeAlarmThresholdLPerMin: 3,
  highInspiratoryMinuteVolumeAlarmThresholdLPerMin: 20,
  lowExpiratoryMinuteVolumeAlarmThresholdLPerMin: 3,
  highExpiratoryMinuteVolumeAlarmThresholdLPerMin: 20,
  lowRespiratoryRateAlarmThresholdBpm: 10,
  highRespiratoryRateAlarmThresholdBpm: 30,
  targetTidalVolumeMl: 400,
  lowTidalVolumeAlarmThresholdMl: 200,
  highTidalVolumeAlarmThresholdMl: 1000,
  plateauDurationMs: 200,
  leakAlarmThresholdCLPerMin: 200,
  targetInspiratoryFlowLPerMin: 40,
  inspiratoryDurationCommandMs: 800,
  batteryLevelCentivolts: 2650,
  currentAlarmCodes: [],
  localeCode: 0x6672,
  patientHeightCm: 170,
  patientGender: 'female',
  peakPressureAlarmThresholdMmH2O: 400,
};

export const stateMessage = (over: Partial<MachineStateSnapshot> = {}): MachineStateSnapshot => ({
  ...HEADER,
  ...SETTINGS,
  type: 'state',
  cycle: 42,
  previousPeakPressureMmH2O: 262,
  previousPlateauPressureMmH2O: 248,
  previousPeepPressureMmH2O: 101,
  previousVolumeMl: 441,
  previousCpm: 20,
  previousInspiratoryDurationMs: 810,
  ...over,
});

export const stoppedMessage = (over: Partial<StoppedMessage> = {}): StoppedMessage => ({ ...HEADER, ...SETTINGS, type: 'stopped', ...over });

export const dataMessage = (over: Partial<DataSnapshot> = {}): DataSnapshot => ({
  ...HEADER,
  type: 'data',
  cycleTimeCs: 37,
  pressureMmH2O: 231,
  phase: 'inhalation',
  blowerValvePosition: 12,
  patientValvePosition: 125,
  blowerSpeed: 18,
  batteryLevelV: 26,
  inspiratoryFlowCLPerMin: 4200,
  expiratoryFlowCLPerMin: 0,
  ...over,
});

export const bootMessage = (over: Partial<BootMessage> = {}): BootMessage => ({ ...HEADER, type: 'boot', mode: 'production', value128: 128, ...over });

export const ackMessage = (setting: ControlAck['setting'], value: number): ControlAck => ({ ...HEADER, type: 'ack', setting, value });

export const alarmTrap = (over: Partial<AlarmTrap> = {}): AlarmTrap => ({
  ...HEADER,
  type: 'alarm',
  cycleTimeCs: 120,
  pressureMmH2O: 95,
  phase: 'exhalation',
  cycle: 42,
  alarmCode: 12,
  alarmPriority: 'high',
  triggered: true,
  expected: 100,
  measured: 20,
  cyclesSinceTrigger: 1,
  ...over,
});

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
export const bytesOf = (spaced: string): Uint8Array => Uint8Array.from(Buffer.from(spaced.replace(/\s+/g, ''), 'hex'));
