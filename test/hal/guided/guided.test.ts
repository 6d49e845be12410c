import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { TimeoutError, OutOfRangeError } from '../../../hal/errors.js';
import { describeInstruction, GuidedVentilator, guidedMatch, type GuidedPrompt } from '../../../hal/guided/index.js';
import { BASELINE } from '../../support/driver.js';
import { FakeVentilator } from '../../support/fakeVentilator.js';

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

function setup(options: Partial<ConstructorParameters<typeof GuidedVentilator>[0]> = {}) {
  const clock = new VirtualClock();
  const device = new FakeVentilator({ ...BASELINE }, clock);
  const guided = new GuidedVentilator({ device, clock, timeoutMs: 60_000, pollMs: 1000, ...options });
  const prompts: Array<GuidedPrompt | null> = [];
  guided.prompts$.subscribe((p) => prompts.push(p));
  return { clock, device, guided, prompts };
}

describe('GuidedVentilator', () => {
  it('reports guided capabilities over the read-only device', async () => {
    const { guided } = setup();
    await guided.connect();
    const info = await guided.identify();
    expect(info.capabilities).toMatchObject({ remoteSetting: true, guided: true });
    expect(info.protocol).toBe('guided/fake');
  });

  it('instructs the therapist and resolves only when the device shows the settings', async () => {
    const { clock, device, guided, prompts } = setup();
    await guided.connect();
    let resolved = false;
    const p = guided.apply({ mode: 'PCV', peepCmH2O: 30, peakCmH2O: 45 }).then((s) => ((resolved = true), s));
    await turns();
    const prompt = prompts[prompts.length - 1]!;
    expect(prompt.message).toBe('Set PCV: PEEP 30 cmH2O, peak 45 cmH2O, rate 20/min, FiO2 0.6');
    expect(prompt.changes).toEqual(['mode VC -> PCV', 'PEEP 10 -> 30 cmH2O', 'peak 30 -> 45 cmH2O']);
    clock.advanceBy(5000);
    await turns();
    expect(resolved).toBe(false);
    // The therapist turns the knob (PEEP within 1 cmH2O is a match).
    device.settings = { ...device.settings, mode: 'PCV', peepCmH2O: 29.6, peakCmH2O: 45 };
    clock.advanceBy(1000);
    await turns();
    await expect(p).resolves.toMatchObject({ peepCmH2O: 29.6 });
    expect(prompts.slice(-2).map((x) => x?.status ?? null)).toEqual(['matched', null]);
  });

  it('a confirmation without a match keeps waiting; the timeout rejects with TimeoutError', async () => {
    const { clock, guided } = setup();
    await guided.connect();
    const p = guided.apply({ peepCmH2O: 20 });
    const outcome = p.catch((e: unknown) => e);
    await turns();
    await guided.confirm();
    await turns();
    clock.advanceBy(60_000);
    await turns();
    expect(await outcome).toBeInstanceOf(TimeoutError);
  });

  it('confirmOnly: where nothing is measured, the operator confirmation is the check', async () => {
    const { guided, prompts } = setup({ confirmOnly: true });
    await guided.connect();
    await guided.readSettings();
    const p = guided.apply({ peepCmH2O: 20 });
    await turns();
    await guided.confirm(prompts[prompts.length - 1]!.id);
    await expect(p).resolves.toMatchObject({ peepCmH2O: 20 });
    await expect(guided.readSettings()).resolves.toMatchObject({ peepCmH2O: 20 });
  });

  it('rehearsal: the actuator carries out the instruction on a simulated device', async () => {
    const { clock, device, guided } = setup({ actuator: (s) => device.apply(s) });
    await guided.connect();
    const p = guided.apply({ peepCmH2O: 25 });
    await turns();
    const confirmed = guided.confirm();
    clock.advanceBy(10);
    await confirmed;
    await expect(p).resolves.toMatchObject({ peepCmH2O: 25 });
  });

  it('refuses settings outside the device ranges without prompting', async () => {
    const { guided, prompts } = setup();
    await guided.connect();
    await expect(guided.apply({ peepCmH2O: 80 })).rejects.toBeInstanceOf(OutOfRangeError);
    expect(prompts.filter(Boolean)).toEqual([]);
  });

  it('matching and wording helpers', () => {
    expect(guidedMatch({ ...BASELINE, peepCmH2O: 20 }, { ...BASELINE, peepCmH2O: 21 })).toBe(true);
    expect(guidedMatch({ ...BASELINE, peepCmH2O: 20 }, { ...BASELINE, peepCmH2O: 21.5 })).toBe(false);
    // A setting the device did not report is never taken as carried out.
    expect(guidedMatch(BASELINE, { ...BASELINE, peepCmH2O: Number.NaN })).toBe(false);
    expect(guidedMatch(BASELINE, { ...BASELINE, fio2: Number.NaN })).toBe(false);
    expect(describeInstruction(BASELINE, { ...BASELINE, mode: 'CPAP', peepCmH2O: 40, peakCmH2O: 40 }).message).toBe('Set CPAP 40 cmH2O, FiO2 0.6');
  });
});
