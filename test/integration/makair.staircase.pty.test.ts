/**
 * A full staircase on a MakAir, automatic, over real pseudo-terminals: the emulator on the
 * device end of one socat pair, the emulated monitor on a second; the session (MakAirVentilator
 * + LineVitalsSource, opened by `openDeviceSession` / `openLineVitals`) on the host ends.
 *
 * The protocol is one the MakAir can carry out: its firmware takes PEEP 5-30 cmH2O and, in
 * PCV, a plateau (the controller's peak) of 10-40 cmH2O, so the recruitment steps are PEEP 20
 * and 25 with a driving pressure of 15 (peaks 35 and 40), re-recruitment at 25, titration from
 * 20 down to 12.5 (MAKAIR_STAIRCASE in support/protocols.ts). Dwells are shortened (30 s / 60 s) and the wall clock runs 30x (timeouts
 * widened as described in support/bench.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Bench, patientNow } from './support/bench.js';
import { MAKAIR_STAIRCASE } from './support/protocols.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());

describe.skipIf(!SOCAT)(`MakAir staircase over pseudo-terminals${SOCAT_NOTE}`, () => {
  it('completes at the titrated PEEP, verified on the emulated patient', { timeout: 60_000 }, async () => {
    const bench = await Bench.start({ dir: scratch!.dir, name: 'stair', device: { protocol: 'makair' }, speed: 30 });
    try {
      const { ds, telemetry } = await bench.openSession({ maneuver: 'staircase', protocol: MAKAIR_STAIRCASE });
      expect(ds.device).toMatchObject({ vendor: 'Makers For Life', model: 'MakAir', protocol: 'makair-telemetry-v2' });
      expect(ds.session.baseline).toEqual({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 });
      const summary = await bench.run(ds, 50_000);

      expect(summary.outcome, `abort: ${JSON.stringify(summary.abort)}`).toBe('completed');
      const final = summary.finalPeepCmH2O!;
      expect(final).toBeGreaterThanOrEqual(15);
      expect(final).toBeLessThanOrEqual(22.5);
      // What the device holds and what the patient receives: the titrated PEEP, in the baseline mode,
      // with the driving pressure lowered so that the set peak (the plateau's bound in PCV) is <= 30 (issue 15).
      const peak = summary.verifiedSettings!.peakCmH2O;
      expect(peak).toBeLessThanOrEqual(30);
      expect(peak - final).toBeLessThanOrEqual(15);
      expect(summary.verifiedSettings).toMatchObject({ mode: 'PCV', peepCmH2O: final, peakCmH2O: Math.min(final + 15, Math.floor((29.5 - final) * 2) / 2 + final) });
      expect(bench.emulator.status().device).toMatchObject({ mode: 'PCV', peepCmH2O: final, peakCmH2O: peak });
      expect(patientNow(bench)).toMatchObject({ mode: 'PCV', peepCmH2O: final, peakCmH2O: peak });
      // The MakAir cannot set FiO2: no FiO2 titration, said by an alarm.
      expect(telemetry.some((e) => e.kind === 'alarm' && e.message.includes('cannot set FiO2'))).toBe(true);

      const phases = summary.steps.map((s) => s.phase).filter((p) => p !== 'baseline');
      expect(phases.slice(0, 2)).toEqual(['incremental', 'incremental']);
      expect(phases).toContain('decremental');
      expect(phases).not.toContain('fio2');
      // Re-recruitment only when derecruitment was seen (issue 15).
      expect(phases.slice(-2)).toEqual(summary.titration.derecruitmentSeen ? ['re-recruit', 'final'] : ['decremental', 'final']);
      // Every step was confirmed by readback before its dwell; no fault, no rejected sample.
      expect(telemetry.filter((e) => e.kind === 'readback').every((e) => e.kind === 'readback' && e.matches)).toBe(true);
      expect(telemetry.filter((e) => e.kind === 'fault' || e.kind === 'apply-error')).toEqual([]);
      // Vitals came over the line feed, ventilator values over MakAir telemetry.
      const sources = new Set(telemetry.flatMap((e) => (e.kind === 'input' && e.event.type === 'SAMPLE' ? [e.event.sample.source] : [])));
      expect(sources).toEqual(new Set(['sim-monitor', 'makair']));
    } finally {
      await bench.close();
    }
  });
});
