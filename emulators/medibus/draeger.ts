/**
 * What a Draeger ventilator holds and shows, in its own units (mbar, %, L or mL), through a
 * family's code table: the settings the therapist turns, the mode (a text message), and the
 * records the device sends for current settings (29H) and measured data (24H / 2BH).
 * Conversions to and from the controller's units happen here, once.
 */
import { capabilitiesOf, CMH2O_PER_MBAR, type MedibusCodeTable, type MedibusUnit, type SettingTarget } from '../../hal/medibus/index.js';
import type { Range } from '../../hal/port.js';
import type { VentMode, VentSettings } from '../../machines/types.js';
import type { SimSettings, VentilatorReading } from '../../sim/index.js';

/** Controller value -> the device's unit (the inverse of the host's `toQuantity`). */
export function toDeviceUnit(value: number, unit: MedibusUnit): number {
  switch (unit) {
    case 'mbar':
      return value / CMH2O_PER_MBAR;
    case 'L':
      return value / 1000;
    case 'pct':
      return value * 100;
    case 'L/bar':
    case 'mL/mbar':
      return value * CMH2O_PER_MBAR;
    default:
      return value;
  }
}

/** Device unit -> the controller's value (exact; the host rounds to 0.01). */
export function fromDeviceUnit(value: number, unit: MedibusUnit): number {
  switch (unit) {
    case 'mbar':
      return value * CMH2O_PER_MBAR;
    case 'L':
      return value * 1000;
    case 'pct':
      return value / 100;
    case 'L/bar':
    case 'mL/mbar':
      return value / CMH2O_PER_MBAR;
    default:
      return value;
  }
}

/** The resolution a knob turns in, per unit (pressures: the table's resolution). */
function stepOf(unit: MedibusUnit, table: MedibusCodeTable): number {
  if (unit === table.pressureResolution.unit) return table.pressureResolution.value;
  return unit === 'L' ? 0.01 : unit === 'mL' ? 10 : 1;
}

const round = (v: number, step: number): number => Math.round(Number((v / step).toFixed(6))) * step;

/** The settings a Draeger device holds: values in the unit of the table entry each one is reported with. */
export interface DraegerSettings {
  modeCode: number;
  modeName: string;
  mode: VentMode;
  /** Device-unit values of the targets the table reports, e.g. peepCmH2O -> 10 (mbar). */
  values: Map<SettingTarget, number>;
}

/** The first table entry reporting each target (what the device sends for it). */
export function reportedEntries(table: MedibusCodeTable): Map<SettingTarget, { code: number; unit: MedibusUnit; name: string }> {
  const out = new Map<SettingTarget, { code: number; unit: MedibusUnit; name: string }>();
  for (const e of table.settings) if (e.maps && !out.has(e.maps)) out.set(e.maps, { code: e.code, unit: e.unit, name: e.name });
  return out;
}

/** The mode text message for a controller mode: the family's standard mode entry, else the first. */
export function modeEntry(table: MedibusCodeTable, mode: VentMode): { code: number; name: string } {
  const preferred = { PCV: /^VentModePCV$/, VC: /^VentModeIPPV$/, CPAP: /^CPAP$/ }[mode];
  const candidates = table.modes.filter((m) => m.mode === mode);
  const m = candidates.find((c) => preferred.test(c.name)) ?? candidates[0];
  if (!m) throw new RangeError(`a ${table.title} has no ${mode} mode`);
  return { code: m.code, name: m.name };
}

/**
 * Turns knobs: a change in the controller's units, rounded to what the device can be set to,
 * checked against the family's ranges. Throws `RangeError` naming the setting otherwise.
 */
export function turn(table: MedibusCodeTable, current: DraegerSettings, change: Partial<VentSettings>): DraegerSettings {
  const entries = reportedEntries(table);
  const caps = capabilitiesOf(table);
  const next: DraegerSettings = { ...current, values: new Map(current.values) };
  if (change.mode !== undefined && change.mode !== current.mode) {
    const m = modeEntry(table, change.mode);
    Object.assign(next, { mode: change.mode, modeCode: m.code, modeName: m.name });
  }
  const set = (target: SettingTarget, value: number, range: Range | undefined, label: string): void => {
    const e = entries.get(target);
    if (!e) throw new RangeError(`a ${table.title} reports no ${label} setting`);
    const device = round(toDeviceUnit(value, e.unit), stepOf(e.unit, table));
    const back = fromDeviceUnit(device, e.unit);
    if (range && (back < range[0] - 1e-9 || back > range[1] + 1e-9)) {
      throw new RangeError(`${label} ${value} is outside what the device can be set to (${range[0]}-${range[1]})`);
    }
    next.values.set(target, device);
  };
  if (change.peepCmH2O !== undefined) set('peepCmH2O', change.peepCmH2O, caps.ranges.peepCmH2O, 'peepCmH2O');
  if (change.peakCmH2O !== undefined && next.mode !== 'CPAP') {
    if (next.mode === 'VC') set('pmaxCmH2O', change.peakCmH2O, caps.ranges.peakCmH2O, 'peakCmH2O (pressure limit)');
    else {
      const peep = controllerValue(table, next, 'peepCmH2O');
      if (table.pinspRelativeToPeep) set('pinspCmH2O', change.peakCmH2O - peep, undefined, 'peakCmH2O (inspiratory pressure above PEEP)');
      else set('pinspCmH2O', change.peakCmH2O, caps.ranges.peakCmH2O, 'peakCmH2O (inspiratory pressure)');
    }
  }
  if (change.rateBpm !== undefined) set('rateBpm', change.rateBpm, caps.ranges.rateBpm, 'rateBpm');
  if (change.fio2 !== undefined) set('fio2', change.fio2, caps.ranges.fio2, 'fio2');
  if (change.tidalVolumeMl !== undefined) set('tidalVolumeMl', change.tidalVolumeMl, caps.ranges.tidalVolumeMl, 'tidalVolumeMl');
  return next;
}

/** A setting in the controller's unit (exact). */
export function controllerValue(table: MedibusCodeTable, s: DraegerSettings, target: SettingTarget): number {
  const e = reportedEntries(table).get(target);
  const v = s.values.get(target);
  if (!e || v === undefined) throw new RangeError(`no ${target} setting`);
  return fromDeviceUnit(v, e.unit);
}

/** The device's settings in the controller's units, as a host reading them would see them (exact, before rounding). */
export function ventSettingsOf(table: MedibusCodeTable, s: DraegerSettings): VentSettings {
  const v = (t: SettingTarget): number => controllerValue(table, s, t);
  const peep = v('peepCmH2O');
  const fio2 = v('fio2');
  if (s.mode === 'CPAP') return { mode: 'CPAP', peepCmH2O: peep, peakCmH2O: peep, rateBpm: 0, fio2 };
  if (s.mode === 'VC') return { mode: 'VC', peepCmH2O: peep, peakCmH2O: v('pmaxCmH2O'), rateBpm: v('rateBpm'), fio2, tidalVolumeMl: v('tidalVolumeMl') };
  const pinsp = v('pinspCmH2O');
  return { mode: 'PCV', peepCmH2O: peep, peakCmH2O: table.pinspRelativeToPeep ? pinsp + peep : pinsp, rateBpm: v('rateBpm'), fio2 };
}

/** What the patient receives (a peak below PEEP ventilates at PEEP). */
export function patientSettings(table: MedibusCodeTable, s: DraegerSettings): SimSettings {
  const v = ventSettingsOf(table, s);
  return { ...v, peakCmH2O: Math.max(v.peakCmH2O, v.peepCmH2O) };
}

/**
 * The device's settings for a patient on `sim`: its mode, PEEP, pressures, rate, FiO2 and
 * tidal volume, each rounded to the device's resolution. Settings the mode does not use get
 * typical values (a pressure limit of peak + 10 in PCV, Pinsp of PEEP + 15 in VC).
 */
export function draegerFrom(table: MedibusCodeTable, sim: SimSettings): DraegerSettings {
  const m = modeEntry(table, sim.mode);
  const blank: DraegerSettings = { mode: sim.mode, modeCode: m.code, modeName: m.name, values: new Map() };
  const entries = reportedEntries(table);
  const init = (target: SettingTarget, value: number): void => {
    const e = entries.get(target);
    if (e) blank.values.set(target, round(toDeviceUnit(value, e.unit), stepOf(e.unit, table)));
  };
  init('peepCmH2O', sim.peepCmH2O);
  const pinsp = sim.mode === 'PCV' ? sim.peakCmH2O : sim.peepCmH2O + 15;
  init('pinspCmH2O', table.pinspRelativeToPeep ? pinsp - sim.peepCmH2O : pinsp);
  init('pmaxCmH2O', sim.mode === 'VC' ? sim.peakCmH2O : Math.min(sim.peakCmH2O + 10, capabilitiesOf(table).ranges.peakCmH2O[1]));
  init('rateBpm', sim.mode === 'CPAP' ? 12 : sim.rateBpm);
  init('fio2', sim.fio2);
  init('tidalVolumeMl', sim.tidalVolumeMl ?? 420);
  return blank;
}

/** Current settings records (29H): one per reported target, values in the device's unit. */
export function settingRecords(table: MedibusCodeTable, s: DraegerSettings): Array<{ code: number; value: number }> {
  const out: Array<{ code: number; value: number }> = [];
  for (const [target, e] of reportedEntries(table)) {
    const v = s.values.get(target);
    if (v !== undefined) out.push({ code: e.code, value: Number(v.toFixed(3)) });
  }
  return out;
}

/** Values of measured-data entries that map no controller target, from the breath, by name. */
function unmappedMeasured(name: string, r: VentilatorReading, rateBpm: number): number | null {
  switch (name) {
    case 'MeanBreathingPressure':
      return r.peepCmH2O + (r.plateauCmH2O - r.peepCmH2O) / 3;
    case 'MinimalAirwayPressure':
    case 'BreathingPressure':
      return r.peepCmH2O;
    case 'IntrinsicPEEPBreathingPressure':
      return 0;
    case 'RespiratoryMinuteVolume':
    case 'RespiratoryMinuteVolumeFrac':
      return (r.tidalVolumeMl * rateBpm) / 1000;
    case 'SpontaneousRespiratoryRate':
      return 0;
    case 'InspiratoryTidalVolumeVTi':
      return r.tidalVolumeMl * 1.02;
    default:
      return null;
  }
}

/**
 * Measured-data records of one codepage, from the last breath: each table entry the device
 * can fill, in the entry's unit (pressures mbar, compliance L/bar or mL/mbar, FiO2 %). A leak
 * of `leakCmH2O` is taken off every measured airway pressure (the entries in mbar: PEEP, peak,
 * plateau, mean, minimal; intrinsic PEEP, always 0 here, stays 0), in mbar, never below 0;
 * the settings records are untouched.
 */
export function measuredRecords(table: MedibusCodeTable, codepage: 1 | 2, r: VentilatorReading, s: DraegerSettings, leakCmH2O: number): Array<{ code: number; value: number }> {
  const leakMbar = toDeviceUnit(leakCmH2O, 'mbar');
  const settings = ventSettingsOf(table, s);
  const out: Array<{ code: number; value: number }> = [];
  for (const e of table.measured) {
    if (e.codepage !== codepage) continue;
    let controller: number | null;
    switch (e.maps) {
      case 'peakCmH2O':
        controller = r.peakCmH2O;
        break;
      case 'plateauCmH2O':
        controller = r.plateauCmH2O;
        break;
      case 'peepCmH2O':
        controller = r.peepCmH2O;
        break;
      case 'tidalVolumeMl':
        controller = r.tidalVolumeMl;
        break;
      case 'complianceMlPerCmH2O':
        controller = r.complianceMlPerCmH2O;
        break;
      case 'fio2':
        controller = settings.fio2;
        break;
      case 'rateBpm':
        controller = settings.rateBpm;
        break;
      default:
        controller = e.unit === 'mbar' || e.unit === 'L/min' || e.unit === '1/min' || e.unit === 'mL' ? unmappedMeasured(e.name, r, settings.rateBpm) : null;
    }
    if (controller === null || !Number.isFinite(controller)) continue;
    const delivered = e.maps ? toDeviceUnit(controller, e.unit) : e.unit === 'mbar' ? toDeviceUnit(controller, 'mbar') : controller;
    const device = e.unit === 'mbar' ? delivered - leakMbar : delivered;
    out.push({ code: e.code, value: Math.round(Math.max(0, device) * 10) / 10 });
  }
  return out;
}

/**
 * The alarm limits the device holds (25H low, 26H high, codepage 1), in the unit of each
 * measured-data entry they guard, derived from the settings the way a clinician would leave
 * them: airway pressure high at the pressure limit (Pmax) and low at PEEP + 2 mbar, inspired
 * O2 within 4 % of the FiO2 setting (18-100 %), rate 5 to max(40, 1.5 x set), minute volume
 * 2 to 20 L/min. Entries the table does not carry get no limit.
 */
export function limitRecords(table: MedibusCodeTable, which: 'low' | 'high', s: DraegerSettings): Array<{ code: number; value: number }> {
  const set = ventSettingsOf(table, s);
  const mbar = (cmH2O: number): number => Math.round(toDeviceUnit(cmH2O, 'mbar'));
  const pmax = s.values.get('pmaxCmH2O');
  const out: Array<{ code: number; value: number }> = [];
  const seen = new Set<string>();
  for (const e of table.measured) {
    if (e.codepage !== 1) continue;
    const key = e.maps ?? e.name;
    if (seen.has(key)) continue;
    let lh: [number, number] | null = null;
    if (e.maps === 'peakCmH2O' && e.unit === 'mbar') lh = [mbar(set.peepCmH2O) + 2, pmax ?? mbar(set.peakCmH2O) + 10];
    else if (e.maps === 'fio2' && e.unit === 'pct') lh = [Math.max(18, Math.round(set.fio2 * 100) - 4), Math.min(100, Math.round(set.fio2 * 100) + 4)];
    else if (e.maps === 'rateBpm' && e.unit === '1/min') lh = [5, Math.max(40, Math.round(set.rateBpm * 1.5))];
    else if (e.name === 'RespiratoryMinuteVolume' && e.unit === 'L/min') lh = [2, 20];
    if (!lh) continue;
    seen.add(key);
    out.push({ code: e.code, value: which === 'low' ? lh[0] : lh[1] });
  }
  return out;
}
