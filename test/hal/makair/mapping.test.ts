import { describe, expect, it } from 'vitest';
import { OutOfRangeError } from '../../../hal/errors.js';
import { assertWithinCapabilities } from '../../../hal/ranges.js';
import {
  ControlSetting,
  HighPriorityAlarms,
  assertMakAirLimits,
  makAirCapabilities,
  makAirModeFor,
  planCommands,
  sampleFromState,
  settingsFromReport,
  ventModeOf,
} from '../../../hal/makair/index.js';
import { alarmTrap, stateMessage, stoppedMessage } from './fixtures.js';

const none = new Map<number, number>();

describe('MakAir modes', () => {
  it('maps PC-CMV/PC-AC to PCV, VC-CMV/VC-AC to VC, and PC-VSAI to nothing', () => {
    expect(['PC_CMV', 'PC_AC', 'VC_CMV', 'VC_AC', 'PC_VSAI'].map((m) => ventModeOf(m as never))).toEqual(['PCV', 'PCV', 'VC', 'VC', null]);
  });

  it('keeps the device mode within a family and the kind across families', () => {
    expect(makAirModeFor('PCV', 'PC_AC')).toBe('PC_AC');
    expect(makAirModeFor('VC', 'PC_AC')).toBe('VC_AC');
    expect(makAirModeFor('VC', 'PC_CMV')).toBe('VC_CMV');
    expect(makAirModeFor('PCV', 'VC_CMV')).toBe('PC_CMV');
    expect(makAirModeFor('PCV', 'PC_VSAI')).toBe('PC_CMV');
  });

  it('cannot express CPAP', () => {
    expect(() => makAirModeFor('CPAP', 'PC_CMV')).toThrow(OutOfRangeError);
  });
});

describe('MakAir capabilities', () => {
  const caps = makAirCapabilities(0.4);

  it('come from the firmware limits, in cmH2O', () => {
    expect(caps.modes).toEqual(['PCV', 'VC']);
    expect(caps.ranges.peepCmH2O).toEqual([5, 30]);
    expect(caps.ranges.peakCmH2O).toEqual([5, 70]);
    expect(caps.ranges.rateBpm).toEqual([5, 35]);
    expect(caps.ranges.tidalVolumeMl).toEqual([50, 2000]);
    expect(caps.ranges.fio2).toEqual([0.4, 0.4]);
    expect(caps.remoteSetting).toBe(true);
    expect(caps.pressureResolutionCmH2O).toBe(0.1);
  });

  it('reject CPAP, a PCV peak above the plateau limit and a FiO2 other than the declared one', () => {
    const pcv = { mode: 'PCV' as const, peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.4 };
    expect(() => assertWithinCapabilities({ ...pcv, mode: 'CPAP' }, caps)).toThrow(OutOfRangeError);
    expect(() => assertMakAirLimits({ ...pcv, peakCmH2O: 45 })).toThrow(/10-40/);
    expect(() => assertWithinCapabilities({ ...pcv, fio2: 0.6 }, caps)).toThrow(OutOfRangeError);
    expect(() => assertMakAirLimits({ ...pcv, mode: 'VC', peakCmH2O: 45, tidalVolumeMl: 400 })).not.toThrow();
  });
});

describe('settingsFromReport', () => {
  it('converts a PCV state to cmH2O settings', () => {
    expect(settingsFromReport(stateMessage(), 0.4, none)).toEqual({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 });
  });

  it('uses the peak alarm threshold and target volume in VC', () => {
    expect(settingsFromReport(stoppedMessage({ ventilationMode: 'VC_AC' }), 0.21, none)).toEqual({
      mode: 'VC',
      peepCmH2O: 10,
      peakCmH2O: 40,
      rateBpm: 20,
      fio2: 0.21,
      tidalVolumeMl: 400,
    });
  });

  it('refines a whole-cmH2O report with the acknowledged mmH2O value when they agree', () => {
    const acked = new Map([[ControlSetting.PEEP, 125]]);
    expect(settingsFromReport(stateMessage({ peepCommandCmH2O: 13 }), 0.4, acked).peepCmH2O).toBe(12.5);
    expect(settingsFromReport(stateMessage({ peepCommandCmH2O: 10 }), 0.4, acked).peepCmH2O).toBe(10);
  });

  it('rejects PC-VSAI, which the controller cannot express', () => {
    expect(() => settingsFromReport(stateMessage({ ventilationMode: 'PC_VSAI' }), 0.4, none)).toThrow(OutOfRangeError);
  });
});

describe('planCommands', () => {
  const current = settingsFromReport(stateMessage(), 0.4, none);

  it('sends only what changed, in mmH2O', () => {
    const { send, all } = planCommands(stateMessage(), { ...current, peepCmH2O: 14 }, none);
    expect(send.map((c) => [c.setting, c.value])).toEqual([[ControlSetting.PEEP, 140]]);
    expect(all.map((c) => c.setting)).toEqual([ControlSetting.VentilationMode, ControlSetting.PlateauPressure, ControlSetting.PEEP, ControlSetting.CyclesPerMinute]);
  });

  it('raises the peak before the PEEP and lowers the PEEP before the peak', () => {
    const up = planCommands(stateMessage(), { ...current, peepCmH2O: 20, peakCmH2O: 35 }, none).send.map((c) => c.setting);
    expect(up).toEqual([ControlSetting.PlateauPressure, ControlSetting.PEEP]);
    const down = planCommands(stateMessage(), { ...current, peepCmH2O: 5, peakCmH2O: 20 }, none).send.map((c) => c.setting);
    expect(down).toEqual([ControlSetting.PEEP, ControlSetting.PlateauPressure]);
  });

  it('switches to VC with the mode first, then the alarm threshold and the tidal volume', () => {
    const { send } = planCommands(stateMessage(), { ...current, mode: 'VC', peakCmH2O: 45, tidalVolumeMl: 420 }, none);
    expect(send.map((c) => [c.setting, c.value])).toEqual([
      [ControlSetting.VentilationMode, 3],
      [ControlSetting.PeakPressureAlarmThreshold, 450],
      [ControlSetting.TargetTidalVolume, 420],
    ]);
  });

  it('knows when a report shows the target (whole cmH2O, firmware rounding)', () => {
    const { all } = planCommands(stateMessage(), { ...current, peepCmH2O: 12.5 }, none);
    expect(all.every((c) => c.shows(stateMessage({ peepCommandCmH2O: 13 })))).toBe(true);
    expect(all.every((c) => c.shows(stateMessage({ peepCommandCmH2O: 12 })))).toBe(false);
  });
});

describe('sampleFromState', () => {
  it('converts the measured breath to cmH2O and computes compliance', () => {
    expect(sampleFromState(stateMessage(), 5000, 'makair')).toEqual({
      t: 5000,
      source: 'makair',
      peakCmH2O: 26.2,
      plateauCmH2O: 24.8,
      peepCmH2O: 10.1,
      tidalVolumeMl: 441,
      complianceMlPerCmH2O: 30, // 441 mL / (24.8 - 10.1) cmH2O
    });
  });

  it('omits what was not measured: no plateau (0), no flow sensor (null), implausible values', () => {
    const sample = sampleFromState(stateMessage({ previousPlateauPressureMmH2O: 0, previousVolumeMl: null, previousPeakPressureMmH2O: 5000 }), 1, 'makair');
    expect(sample).toEqual({ t: 1, source: 'makair', peepCmH2O: 10.1 });
  });
});

describe('HighPriorityAlarms', () => {
  it('reports a high-priority alarm once, from a trap or from the report codes, until it clears', () => {
    const alarms = new HighPriorityAlarms();
    expect(alarms.onTrap(alarmTrap())).toMatch(/alarm 12/);
    expect(alarms.onCodes([12])).toEqual([]);
    expect(alarms.onTrap(alarmTrap({ alarmPriority: 'medium', alarmCode: 22 }))).toBeNull();
    expect(alarms.onCodes([])).toEqual([]);
    expect(alarms.onCodes([12, 22, 41])).toEqual([
      'MakAir high-priority alarm 12 (plateau pressure not reached) active',
      'MakAir high-priority alarm 41 (inspiratory minute volume too high) active',
    ]);
    expect(alarms.onTrap(alarmTrap({ triggered: false }))).toBeNull();
    expect(alarms.onTrap(alarmTrap())).toMatch(/alarm 12/);
  });
});
