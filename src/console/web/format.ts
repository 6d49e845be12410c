/** Formatting for people: durations, settings, values. */
import type { VentSettings } from '../../../machines/types.js';

/** 94 s -> "1:34"; 3725 s -> "1:02:05". Negative values show as 0:00. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "2 min", "30 s", "1 min 30 s". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const r = s % 60;
  return r ? `${m} min ${r} s` : `${m} min`;
}

export function num(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '--' : v.toFixed(digits);
}

/** "PCV · PEEP 30 · peak 45 cmH2O · rate 20 · FiO2 0.6". */
export function settingsText(s: VentSettings): string {
  const parts: string[] = [s.mode];
  if (s.mode === 'CPAP') parts.push(`CPAP ${s.peepCmH2O} cmH2O`);
  else {
    parts.push(`PEEP ${s.peepCmH2O}`, `${s.mode === 'VC' ? 'limit' : 'peak'} ${s.peakCmH2O} cmH2O`);
    if (s.mode === 'VC' && s.tidalVolumeMl !== undefined) parts.push(`Vt ${s.tidalVolumeMl} mL`);
    parts.push(`rate ${s.rateBpm}`);
  }
  parts.push(`FiO2 ${s.fio2}`);
  return parts.join(' · ');
}

export const MANEUVER_NAMES: Record<string, string> = {
  staircase: 'Staircase recruitment + PEEP titration',
  'sustained-inflation': 'Sustained inflation',
  'high-pressure-pcv': 'High-pressure PCV',
  'recruitability-screen': 'Recruitability screen (R/I)',
};
