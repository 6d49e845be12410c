/** Checking settings against a device's capabilities before anything is sent. */
import type { VentSettings } from '../machines/types.js';
import { OutOfRangeError } from './errors.js';
import type { Range, VentilatorCapabilities } from './port.js';

const inRange = (v: number, [lo, hi]: Range): boolean => Number.isFinite(v) && v >= lo && v <= hi;

/**
 * Throws `OutOfRangeError` naming the first field the device cannot take.
 *
 * @example
 * assertWithinCapabilities(settings, (await vent.identify()).capabilities);
 */
export function assertWithinCapabilities(s: VentSettings, caps: VentilatorCapabilities): void {
  if (!caps.modes.includes(s.mode)) throw new OutOfRangeError('mode', s.mode, caps.modes.join('|'));
  const r = caps.ranges;
  if (!inRange(s.peepCmH2O, r.peepCmH2O)) throw new OutOfRangeError('peepCmH2O', s.peepCmH2O, r.peepCmH2O);
  if (s.mode !== 'CPAP' && !inRange(s.peakCmH2O, r.peakCmH2O)) throw new OutOfRangeError('peakCmH2O', s.peakCmH2O, r.peakCmH2O);
  if (s.peakCmH2O < s.peepCmH2O) throw new OutOfRangeError('peakCmH2O', s.peakCmH2O, [s.peepCmH2O, r.peakCmH2O[1]], `peakCmH2O ${s.peakCmH2O} below PEEP ${s.peepCmH2O}`);
  if (s.mode !== 'CPAP' && !inRange(s.rateBpm, r.rateBpm)) throw new OutOfRangeError('rateBpm', s.rateBpm, r.rateBpm);
  if (!inRange(s.fio2, r.fio2)) throw new OutOfRangeError('fio2', s.fio2, r.fio2);
  if (s.mode === 'VC' && r.tidalVolumeMl && s.tidalVolumeMl !== undefined && !inRange(s.tidalVolumeMl, r.tidalVolumeMl)) {
    throw new OutOfRangeError('tidalVolumeMl', s.tidalVolumeMl, r.tidalVolumeMl);
  }
}
