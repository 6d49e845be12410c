/**
 * The telemetry messages a MakAir sends, built from the firmware settings and the simulated
 * patient: measured pressures in mmH2O (cmH2O x 10, rounded), volumes in mL, flows in cL/min.
 * A leak (`faults.leak`) is taken off the measured pressures here, in mmH2O, as they are
 * encoded: the settings the device reports are untouched.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { AlarmTrap, DataSnapshot, MachineStateSnapshot, MakAirAlarmPriority, SettingsReport, TelemetryHeader } from '../../hal/makair/index.js';
import type { BreathOutput, VentilatorReading } from '../../sim/index.js';
import { inspiratoryFraction, type FirmwareSettings } from './firmware.js';

const mm = (cmH2O: number): number => Math.max(0, Math.round(cmH2O * 10));
/** A measured pressure in mmH2O, `leakCmH2O` short of the delivered one, never below 0. */
const measured = (cmH2O: number, leakCmH2O: number): number => Math.max(0, mm(cmH2O) - mm(leakCmH2O));
const i16 = (v: number): number => Math.max(-0x8000, Math.min(0x7ffe, Math.round(v)));

/** The breath in progress: cycle number, start, length and inspiratory part, on the clock. */
export class BreathClock {
  cycle = 0;
  startedAt = 0;
  lengthMs = 3000;
  inspiratoryMs = 1000;
  private timer: TimerHandle | null = null;

  constructor(private readonly clock: Clock) {}

  reset(): void {
    this.stop();
    this.cycle = 0;
  }

  /** Starts the next breath at the firmware's rate and calls `onEnd` when it ends. */
  startBreath(fw: FirmwareSettings, onEnd: () => void): void {
    this.stop();
    this.cycle++;
    this.startedAt = this.clock.now();
    this.lengthMs = 60_000 / Math.max(1, fw.cpm);
    this.inspiratoryMs = this.lengthMs * inspiratoryFraction(fw);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      onEnd();
    }, this.lengthMs);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Hundredths of a second into the breath. */
  centile(): number {
    return Math.min(0xffff, Math.max(0, Math.round((this.clock.now() - this.startedAt) / 10)));
  }

  inhaling(): boolean {
    return this.clock.now() - this.startedAt < this.inspiratoryMs;
  }
}

/** High priority per makair-telemetry (`AlarmPriority::try_from`): 10-19 and 40-49. */
export function isHighPriority(code: number): boolean {
  return (code >= 10 && code <= 19) || (code >= 40 && code <= 49);
}

function priorityOf(code: number): MakAirAlarmPriority {
  if (isHighPriority(code)) return 'high';
  return code >= 20 && code <= 29 ? 'medium' : 'low';
}

/** The snapshot sent at the end of a breath: commands for the next breath, measurements of this one (pressures `leakCmH2O` short). */
export function stateSnapshot(head: TelemetryHeader, report: SettingsReport, breath: BreathClock, reading: VentilatorReading, leakCmH2O: number): MachineStateSnapshot {
  return {
    type: 'state',
    ...head,
    ...report,
    cycle: breath.cycle,
    previousPeakPressureMmH2O: measured(reading.peakCmH2O, leakCmH2O),
    previousPlateauPressureMmH2O: measured(reading.plateauCmH2O, leakCmH2O),
    previousPeepPressureMmH2O: measured(reading.peepCmH2O, leakCmH2O),
    previousVolumeMl: Math.min(0xfffe, Math.max(0, Math.round(reading.tidalVolumeMl))),
    previousCpm: report.cpmCommand,
    previousInspiratoryDurationMs: Math.min(0xffff, Math.round(breath.inspiratoryMs)),
  };
}

/** An instantaneous snapshot: pressure at peak while inhaling, at PEEP while exhaling (`leakCmH2O` short). */
export function dataSnapshot(head: TelemetryHeader, breath: BreathClock, b: BreathOutput, fw: FirmwareSettings, leakCmH2O: number): DataSnapshot {
  const inhaling = breath.inhaling();
  const flowCLPerMin = (b.tidalVolumeMl / Math.max(0.1, breath.inspiratoryMs / 1000)) * 6; // mL/s -> cL/min
  return {
    type: 'data',
    ...head,
    cycleTimeCs: breath.centile(),
    pressureMmH2O: i16(measured(inhaling ? b.peakCmH2O : b.peepCmH2O, leakCmH2O)),
    phase: inhaling ? 'inhalation' : 'exhalation',
    blowerValvePosition: inhaling ? 12 : 125,
    patientValvePosition: inhaling ? 125 : 12,
    blowerSpeed: fw.respirationEnabled ? 18 : 0,
    batteryLevelV: 26,
    inspiratoryFlowCLPerMin: inhaling ? i16(flowCLPerMin) : 0,
    expiratoryFlowCLPerMin: inhaling ? 0 : i16(flowCLPerMin / 2),
  };
}

export function alarmTrap(head: TelemetryHeader, breath: BreathClock, code: number, triggered: boolean, b: BreathOutput, leakCmH2O: number): AlarmTrap {
  const inhaling = breath.inhaling();
  return {
    type: 'alarm',
    ...head,
    cycleTimeCs: breath.centile(),
    pressureMmH2O: i16(measured(inhaling ? b.peakCmH2O : b.peepCmH2O, leakCmH2O)),
    phase: inhaling ? 'inhalation' : 'exhalation',
    cycle: breath.cycle,
    alarmCode: code,
    alarmPriority: priorityOf(code),
    triggered,
    expected: 0,
    measured: 0,
    cyclesSinceTrigger: triggered ? 1 : 0,
  };
}
