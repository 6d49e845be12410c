/**
 * A guided staircase over MEDIBUS on real pseudo-terminals: GuidedVentilator over
 * MedibusVentilator (Evita), the MEDIBUS emulator on the device end, the emulated monitor on
 * a second pair. MEDIBUS cannot set anything: the test plays the therapist, answering each
 * prompt by turning the emulator's knob a few seconds later. A step's dwell may start only
 * once the device has reported the new settings (a 29H answer after the knob was turned).
 *
 * The wall clock runs 25x; the MEDIBUS silence and response timeouts are widened to 25 s of
 * that clock on both sides (1 s of real time; see support/bench.ts), so a busy test machine is
 * not taken for a lost link.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProtocolInput } from '../../machines/index.js';
import { Bench, patientNow, therapist } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const EVITA_STAIRCASE: ProtocolInput = {
  maneuver: 'staircase',
  incrementalPeepsCmH2O: [20, 30],
  incrementalDwellS: 30,
  drivingPressureCmH2O: 15,
  decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15, dwellS: 60 },
  reRecruit: { peepCmH2O: 30, dwellS: 30 },
  finalMarginCmH2O: 2.5,
  measureWindowS: 20,
  assessS: 5,
};

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());

describe.skipIf(!SOCAT)(`guided staircase over MEDIBUS pseudo-terminals${SOCAT_NOTE}`, () => {
  it('each step dwells only after the therapist turned the knob and the device reported it; ends at the titrated PEEP', { timeout: 60_000 }, async () => {
    const bench = await Bench.start({ dir: scratch!.dir, name: 'guided', device: { protocol: 'medibus', family: 'evita' }, speed: 25 });
    try {
      const reports: number[] = [];
      bench.emulator.events$.subscribe((e) => {
        if (e.kind === 'command' && e.message.startsWith('DEVICE_SETTINGS')) reports.push(e.t);
      });
      const { ds } = await bench.openSession({ maneuver: 'staircase', protocol: EVITA_STAIRCASE, guided: { timeoutMs: 60_000, pollMs: 1000 } });
      expect(ds.guided).not.toBeNull();
      expect(ds.device).toMatchObject({ vendor: 'Draeger', model: 'Evita4', protocol: 'guided/MEDIBUS 06.00' });
      const turns = therapist(bench, ds.guided!.prompts$, 4000);
      const summary = await bench.run(ds, 50_000);

      expect(summary.outcome, `abort: ${JSON.stringify(summary.abort)}`).toBe('completed');
      const steps = summary.steps.filter((s) => s.phase !== 'baseline');
      expect(steps.map((s) => s.phase).slice(0, 2)).toEqual(['incremental', 'incremental']);
      expect(steps.length).toBe(turns.length);
      // The FiO2 titration (issue 15) is guided too: FiO2 steps at PEEP 25 are instructions like any other.
      expect(steps.some((s) => s.phase === 'fio2')).toBe(true);
      steps.forEach((step, i) => {
        const turn = turns[i]!;
        expect(turn.prompt.settings.peepCmH2O).toBe(step.settings.peepCmH2O);
        expect(turn.turnedAt).not.toBeNull();
        // A step whose settings the device already shows (the first decremental step after the last
        // FiO2 step: same PEEP, same FiO2) needs no knob: it may start before the therapist's turn.
        const prev = steps[i - 1];
        if (prev && JSON.stringify(prev.settings) === JSON.stringify(step.settings)) return;
        // The dwell began after the knob was turned and after a settings report showed it.
        expect(step.startedAt).toBeGreaterThanOrEqual(turn.turnedAt!);
        expect(reports.some((t) => t > turn.turnedAt! && t <= step.startedAt)).toBe(true);
      });
      // The emulated device and patient are at the titrated PEEP (device resolution: 1 mbar).
      const final = summary.finalPeepCmH2O!;
      expect(Math.abs(patientNow(bench).peepCmH2O - final)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(summary.verifiedSettings!.peepCmH2O - final)).toBeLessThanOrEqual(0.5);
    } finally {
      await bench.close();
    }
  });
});
