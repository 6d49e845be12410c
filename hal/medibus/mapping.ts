/**
 * From decoded records to the controller's values, through a family's code table:
 * raw text -> number -> controller units -> plausibility check. Values that fail any step are
 * left out (and listed), never guessed.
 */
import type { MonitorSample, VentMode, VentSettings } from '../../machines/types.js';
import type { VentilatorCapabilities } from '../port.js';
import {
  MEASURED_TARGETS,
  SETTING_TARGETS,
  reportableModes,
  type MedibusCodeTable,
  type MeasuredTarget,
  type SettingTarget,
} from './codeTable.js';
import { parseMedibusNumber, type MedibusDataRecord, type MedibusTextRecord } from './records.js';
import { toQuantity, type MedibusUnit, type Quantity } from './units.js';

/** One value as the device reported it, named through the code table. */
export interface MedibusValue {
  code: number;
  codepage?: 1 | 2;
  /** Name from the code table, or the hex code if the table does not know it. */
  name: string;
  unit: MedibusUnit | null;
  raw: string;
  /** The number in the wire unit, or null if the field held no number. */
  value: number | null;
}

/** A measured-data poll mapped for the controller. */
export interface MedibusMeasurements {
  t: number;
  /** Monitored values for the runner (only fields the device reported plausibly). */
  sample: MonitorSample;
  /** Measured inspired O2 fraction and respiratory rate, when reported. */
  fio2?: number;
  rateBpm?: number;
  values: MedibusValue[];
  /** Targets whose value was reported but outside the table's plausible range. */
  implausible: string[];
}

export type SettingsMapping =
  | { ok: true; settings: VentSettings; values: MedibusValue[] }
  | { ok: false; error: string; values: MedibusValue[]; missing?: SettingTarget[] };

const hex = (c: number): string => `${c.toString(16).toUpperCase().padStart(2, '0')}H`;

interface AliasEntry {
  code: number;
  codepage?: number;
  name: string;
  unit: MedibusUnit;
  maps?: string | undefined;
  sameAs?: number | undefined;
}

/**
 * Targets whose alternative codes (`sameAs`: the sources disagree on the code, not on the
 * meaning) were reported more than once with different values: target -> description. Such a
 * value is never guessed.
 */
function aliasConflicts(
  entries: readonly AliasEntry[],
  valueOf: (e: AliasEntry) => MedibusValue | undefined,
  quantityOf: (e: AliasEntry) => Quantity,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const primary of entries) {
    if (!primary.maps || primary.sameAs !== undefined) continue;
    const group = entries.filter((e) => e === primary || (e.sameAs === primary.code && e.codepage === primary.codepage));
    if (group.length < 2) continue;
    const reported = group
      .map((e) => ({ e, v: valueOf(e) }))
      .filter((x): x is { e: AliasEntry; v: MedibusValue & { value: number } } => x.v !== undefined && x.v.value !== null);
    const converted = reported.map((x) => toQuantity(x.v.value, x.e.unit, quantityOf(x.e)));
    if (converted.some((c) => Math.abs(c - converted[0]!) > 1e-6)) {
      out.set(primary.maps, `${primary.maps} reported differently under codes that mean the same: ${reported.map((x) => `${hex(x.e.code)} ${x.e.name} = ${x.v.raw.trim()} ${x.e.unit}`).join(', ')}`);
    }
  }
  return out;
}

/**
 * Maps measured-data records (codepage 1 and, where the table uses it, 2) onto a `MonitorSample`.
 * For each target the first table entry with a plausible number wins.
 *
 * @example
 * const m = mapMeasurements(codeTableFor('evita'), { 1: cp1Records }, clock.now());
 * samples$.next(m.sample);
 */
export function mapMeasurements(
  table: MedibusCodeTable,
  pages: { 1?: readonly MedibusDataRecord[]; 2?: readonly MedibusDataRecord[] },
  t: number,
): MedibusMeasurements {
  const values: MedibusValue[] = [];
  const byKey = new Map<string, MedibusValue>();
  for (const cp of [1, 2] as const) {
    for (const r of pages[cp] ?? []) {
      const entry = table.measured.find((e) => e.codepage === cp && e.code === r.code);
      const v: MedibusValue = { code: r.code, codepage: cp, name: entry?.name ?? hex(r.code), unit: entry?.unit ?? null, raw: r.raw, value: parseMedibusNumber(r.raw) };
      values.push(v);
      byKey.set(`${cp}:${r.code}`, v);
    }
  }
  const mapped: Partial<Record<MeasuredTarget, number>> = {};
  const implausible: string[] = [];
  const conflicts = aliasConflicts(
    table.measured,
    (e) => byKey.get(`${e.codepage}:${e.code}`),
    (e) => MEASURED_TARGETS[e.maps as MeasuredTarget],
  );
  implausible.push(...conflicts.values());
  for (const entry of table.measured) {
    if (!entry.maps || mapped[entry.maps] !== undefined || conflicts.has(entry.maps)) continue;
    const v = byKey.get(`${entry.codepage}:${entry.code}`);
    if (!v || v.value === null) continue;
    const converted = toQuantity(v.value, entry.unit, MEASURED_TARGETS[entry.maps]);
    const [lo, hi] = table.plausible[entry.maps];
    if (converted < lo || converted > hi) {
      implausible.push(`${entry.maps} = ${converted} (${entry.name} ${v.raw.trim()} ${entry.unit}) outside ${lo}-${hi}`);
      continue;
    }
    mapped[entry.maps] = converted;
  }
  const sample: MonitorSample = { t, source: 'medibus' };
  if (mapped.peakCmH2O !== undefined) sample.peakCmH2O = mapped.peakCmH2O;
  if (mapped.plateauCmH2O !== undefined) sample.plateauCmH2O = mapped.plateauCmH2O;
  if (mapped.peepCmH2O !== undefined) sample.peepCmH2O = mapped.peepCmH2O;
  if (mapped.tidalVolumeMl !== undefined) sample.tidalVolumeMl = mapped.tidalVolumeMl;
  if (mapped.complianceMlPerCmH2O !== undefined) sample.complianceMlPerCmH2O = mapped.complianceMlPerCmH2O;
  const out: MedibusMeasurements = { t, sample, values, implausible };
  if (mapped.fio2 !== undefined) out.fio2 = mapped.fio2;
  if (mapped.rateBpm !== undefined) out.rateBpm = mapped.rateBpm;
  return out;
}

/**
 * Maps current device settings (command 29H) and text messages (command 2AH, which carry the
 * ventilation mode) onto `VentSettings`. Fails, naming what is missing, rather than guess.
 *
 * @example
 * const r = mapSettings(table, settingRecords, textRecords);
 * if (!r.ok) throw new VentilatorError('protocol', r.error);
 */
export function mapSettings(
  table: MedibusCodeTable,
  settingRecords: readonly MedibusDataRecord[],
  texts: readonly MedibusTextRecord[],
): SettingsMapping {
  const values: MedibusValue[] = settingRecords.map((r) => {
    const entry = table.settings.find((e) => e.code === r.code);
    return { code: r.code, name: entry?.name ?? hex(r.code), unit: entry?.unit ?? null, raw: r.raw, value: parseMedibusNumber(r.raw) };
  });
  const conflicts = aliasConflicts(
    table.settings,
    (e) => values.find((x) => x.code === e.code),
    (e) => SETTING_TARGETS[e.maps as SettingTarget],
  );
  if (conflicts.size) return { ok: false, error: `${[...conflicts.values()].join('; ')}: not guessing which one the device holds`, values };
  const got: Partial<Record<SettingTarget, number>> = {};
  for (const entry of table.settings) {
    if (!entry.maps || got[entry.maps] !== undefined) continue;
    const v = values.find((x) => x.code === entry.code);
    if (v && v.value !== null) got[entry.maps] = toQuantity(v.value, entry.unit, SETTING_TARGETS[entry.maps]);
  }

  const active = table.modes.filter((m) => texts.some((t) => t.code === m.code));
  const unsupported = active.find((m) => m.mode === null);
  if (unsupported) return { ok: false, error: `the device is in ${unsupported.name}, not a mode rm-sequencer runs maneuvers in (CPAP, PCV, VC)`, values };
  const mode: VentMode | undefined = active[0]?.mode ?? undefined;
  if (!mode) {
    const reported = texts.map((t) => hex(t.code)).join(', ') || 'none';
    return { ok: false, error: `no known ventilation mode among the text messages (codes reported: ${reported})`, values };
  }

  const missing: SettingTarget[] = [];
  const need = (k: SettingTarget): number => {
    const v = got[k];
    if (v === undefined) {
      missing.push(k);
      return Number.NaN;
    }
    return v;
  };
  const peepCmH2O = need('peepCmH2O');
  const fio2 = need('fio2');
  let peakCmH2O = peepCmH2O;
  let rateBpm = got.rateBpm ?? 0;
  if (mode === 'PCV') {
    const pinsp = need('pinspCmH2O');
    peakCmH2O = table.pinspRelativeToPeep ? Math.round((pinsp + peepCmH2O) * 100) / 100 : pinsp;
  } else if (mode === 'VC') {
    peakCmH2O = need('pmaxCmH2O');
  }
  if (mode !== 'CPAP') rateBpm = need('rateBpm');
  const tidalVolumeMl = got.tidalVolumeMl;
  if (mode === 'VC' && tidalVolumeMl === undefined) missing.push('tidalVolumeMl');
  if (missing.length) return { ok: false, error: `device settings lack ${missing.join(', ')} for mode ${mode}`, values, missing: missing as SettingTarget[] };

  const settings: VentSettings = { mode, peepCmH2O, peakCmH2O, rateBpm, fio2 };
  if (tidalVolumeMl !== undefined) settings.tidalVolumeMl = tidalVolumeMl;
  return { ok: true, settings, values };
}

/**
 * Capabilities of a MEDIBUS device: read-only (guided mode), with the family's ranges in
 * controller units and the modes it can report.
 *
 * @example
 * capabilitiesOf(codeTableFor('primus')).remoteSetting; // false
 */
export function capabilitiesOf(table: MedibusCodeTable): VentilatorCapabilities {
  const r = table.ranges;
  const conv = (x: { min: number; max: number; unit: MedibusUnit }, q: 'pressureCmH2O' | 'rateBpm' | 'fraction' | 'volumeMl') =>
    [toQuantity(x.min, x.unit, q), toQuantity(x.max, x.unit, q)] as const;
  const caps: VentilatorCapabilities = {
    modes: reportableModes(table),
    ranges: {
      peepCmH2O: conv(r.peep, 'pressureCmH2O'),
      peakCmH2O: conv(r.peak, 'pressureCmH2O'),
      rateBpm: conv(r.rate, 'rateBpm'),
      fio2: conv(r.fio2, 'fraction'),
    },
    remoteSetting: false,
    pressureResolutionCmH2O: toQuantity(table.pressureResolution.value, table.pressureResolution.unit, 'pressureCmH2O'),
  };
  if (r.tidalVolume) caps.ranges.tidalVolumeMl = conv(r.tidalVolume, 'volumeMl');
  return caps;
}
