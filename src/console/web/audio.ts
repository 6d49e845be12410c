/**
 * Alarm sounds, after IEC 60601-1-8's burst patterns in spirit: high priority a fast burst
 * of 5 + 5 pulses, medium 3 slower pulses, low 1 pulse. Browsers allow sound only after the
 * first click or key press on the page; until then alarms are visual only.
 */
import type { AlarmPriority } from '../wire.js';

const PATTERNS: Record<AlarmPriority, { freq: number; pulses: number[] }> = {
  high: { freq: 880, pulses: [0, 0.2, 0.4, 0.8, 1.0, 1.6, 1.8, 2.0, 2.4, 2.6] },
  medium: { freq: 660, pulses: [0, 0.35, 0.7] },
  low: { freq: 520, pulses: [0] },
};

export class AlarmSound {
  private ctx: AudioContext | null = null;

  unlock(): void {
    if (this.ctx || typeof AudioContext === 'undefined') return;
    try {
      this.ctx = new AudioContext();
    } catch {
      this.ctx = null;
    }
  }

  play(priority: AlarmPriority): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const { freq, pulses } = PATTERNS[priority];
    const t0 = ctx.currentTime + 0.05;
    for (const at of pulses) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0, t0 + at);
      gain.gain.linearRampToValueAtTime(0.15, t0 + at + 0.015);
      gain.gain.setValueAtTime(0.15, t0 + at + 0.13);
      gain.gain.linearRampToValueAtTime(0, t0 + at + 0.15);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.16);
    }
  }
}
