/**
 * Telemetry messages (ventilator -> host), protocol version 2, final revision: the layout of
 * makair-telemetry `src/parsers/v2.rs` that carries locale, patient height/gender and the peak
 * pressure alarm threshold, matching makair-firmware `includes/telemetry.h` (PROTOCOL_VERSION 2u).
 *
 * Field names carry the unit of the wire value. Note the mixed units the firmware sends:
 * the three pressure commands (`*CommandCmH2O`) are whole cmH2O, measured pressures and
 * thresholds are mmH2O. Conversion to the controller's cmH2O happens in `mapping.ts`.
 */
import type { ControlSettingId } from './settings.js';

/** MakAir ventilation modes (`VentilationModes` in the firmware's `includes/cycle.h`). */
export type MakAirVentilationMode = 'PC_CMV' | 'PC_AC' | 'VC_CMV' | 'PC_VSAI' | 'VC_AC';
export type MakAirPhase = 'inhalation' | 'exhalation';
export type MakAirAlarmPriority = 'high' | 'medium' | 'low';
export type MakAirPatientGender = 'male' | 'female';

/** Fields every v2 message starts with. */
export interface TelemetryHeader {
  /** Firmware version string (`VERSION`). */
  softwareVersion: string;
  /** The MCU's 96-bit unique id as three decimal u32 words joined by '-', as makair-telemetry prints it. */
  deviceId: string;
  /** Microseconds since the MCU booted (exact below 2^53). */
  systickUs: number;
}

export interface BootMessage extends TelemetryHeader {
  type: 'boot';
  mode: 'production' | 'qualification' | 'integration-test';
  /** Always 128: proves the link is open with the right byte order. */
  value128: number;
}

/** Settings the firmware reports in both stopped messages and machine state snapshots. */
export interface SettingsReport {
  peakCommandCmH2O: number;
  plateauCommandCmH2O: number;
  peepCommandCmH2O: number;
  cpmCommand: number;
  expiratoryTerm: number;
  triggerEnabled: boolean;
  triggerOffsetMmH2O: number;
  alarmSnoozed: boolean;
  cpuLoadPct: number;
  ventilationMode: MakAirVentilationMode;
  inspiratoryTriggerFlowPct: number;
  expiratoryTriggerFlowPct: number;
  tiMinMs: number;
  tiMaxMs: number;
  lowInspiratoryMinuteVolumeAlarmThresholdLPerMin: number;
  highInspiratoryMinuteVolumeAlarmThresholdLPerMin: number;
  lowExpiratoryMinuteVolumeAlarmThresholdLPerMin: number;
  highExpiratoryMinuteVolumeAlarmThresholdLPerMin: number;
  lowRespiratoryRateAlarmThresholdBpm: number;
  highRespiratoryRateAlarmThresholdBpm: number;
  targetTidalVolumeMl: number;
  lowTidalVolumeAlarmThresholdMl: number;
  highTidalVolumeAlarmThresholdMl: number;
  plateauDurationMs: number;
  leakAlarmThresholdCLPerMin: number;
  targetInspiratoryFlowLPerMin: number;
  inspiratoryDurationCommandMs: number;
  batteryLevelCentivolts: number;
  currentAlarmCodes: number[];
  /** ISO 639-1 code as two ASCII bytes, big-endian ('fr' = 0x6672). */
  localeCode: number;
  patientHeightCm: number;
  patientGender: MakAirPatientGender;
  peakPressureAlarmThresholdMmH2O: number;
}

/** Sent every 100 ms while respiration is disabled. */
export interface StoppedMessage extends TelemetryHeader, SettingsReport {
  type: 'stopped';
}

/** Sent every 10 ms while ventilating. */
export interface DataSnapshot extends TelemetryHeader {
  type: 'data';
  /** Hundredths of a second since the start of the current breath. */
  cycleTimeCs: number;
  pressureMmH2O: number;
  phase: MakAirPhase;
  blowerValvePosition: number;
  patientValvePosition: number;
  blowerSpeed: number;
  batteryLevelV: number;
  inspiratoryFlowCLPerMin: number;
  expiratoryFlowCLPerMin: number;
}

/** Sent at the end of every breath. Commands are the values the next breath will use. */
export interface MachineStateSnapshot extends TelemetryHeader, SettingsReport {
  type: 'state';
  cycle: number;
  previousPeakPressureMmH2O: number;
  previousPlateauPressureMmH2O: number;
  previousPeepPressureMmH2O: number;
  /** Measured tidal volume; null when the firmware sends 0xFFFF (no flow sensor). */
  previousVolumeMl: number | null;
  previousCpm: number;
  previousInspiratoryDurationMs: number;
}

/** Sent when an alarm is triggered or stops. */
export interface AlarmTrap extends TelemetryHeader {
  type: 'alarm';
  cycleTimeCs: number;
  pressureMmH2O: number;
  phase: MakAirPhase;
  cycle: number;
  alarmCode: number;
  alarmPriority: MakAirAlarmPriority;
  triggered: boolean;
  /** Unit depends on the alarm. */
  expected: number;
  measured: number;
  cyclesSinceTrigger: number;
}

/** Sent for every setting change (control frame, button or UI): the value the firmware kept. */
export interface ControlAck extends TelemetryHeader {
  type: 'ack';
  setting: ControlSettingId;
  value: number;
}

export type FatalErrorDetails =
  | { kind: 'watchdog-restart' }
  | {
      kind: 'calibration-error';
      pressureOffsetMmH2O: number;
      minPressureMmH2O: number;
      maxPressureMmH2O: number;
      flowAtStartingCLPerMin: number | null;
      flowWithBlowerOnCLPerMin: number | null;
    }
  | { kind: 'battery-deeply-discharged'; batteryLevelCentivolts: number }
  | { kind: 'mass-flow-meter-error' }
  | { kind: 'inconsistent-pressure'; pressureMmH2O: number };

export interface FatalError extends TelemetryHeader {
  type: 'fatal';
  error: FatalErrorDetails;
}

/** End-of-line (factory) test progress. */
export interface EolTestSnapshot extends TelemetryHeader {
  type: 'eol-test';
  currentStep: number;
  content: { kind: 'in-progress' | 'error' | 'success'; message: string };
}

/**
 * Any v2 telemetry message, discriminated by `type`.
 *
 * @example
 * const msg = decodeTelemetryMessage(frame.body);
 * if (msg.type === 'ack') console.log(msg.setting, msg.value);
 */
export type TelemetryMessage =
  | BootMessage
  | StoppedMessage
  | DataSnapshot
  | MachineStateSnapshot
  | AlarmTrap
  | ControlAck
  | FatalError
  | EolTestSnapshot;

export type TelemetryMessageType = TelemetryMessage['type'];

/** Messages that report the settings in force. */
export type SettingsMessage = StoppedMessage | MachineStateSnapshot;
