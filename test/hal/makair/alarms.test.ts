/**
 * Issue 21, point 8: the firmware's "plateau not reached" (12) and "PEEP not reached" (14)
 * compare each breath with a command that just changed, so they are expected while the pressure
 * ramps after a step (181 -> 248 -> 313 mmH2O over three breaths was seen on a MakAir). They get
 * a bounded grace after a pressure step; every other high-priority alarm aborts at once.
 */
import { describe, expect, it } from 'vitest';
import { ALARM_POLICY, HighPriorityAlarms, STEP_GRACE } from '../../../hal/makair/alarms.js';
import { alarmTrap } from './fixtures.js';

describe('MakAir alarm policy table', () => {
  it('names every alarm code the firmware defines, with its priority and what it does', () => {
    expect([...ALARM_POLICY.keys()].sort((a, b) => a - b)).toEqual([11, 12, 13, 14, 17, 21, 22, 23, 24, 31, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    const transient = [...ALARM_POLICY].filter(([, p]) => p.action === 'grace-after-step').map(([c]) => c);
    expect(transient).toEqual([12, 14]);
    const immediate = [...ALARM_POLICY].filter(([, p]) => p.action === 'abort').map(([c]) => c);
    expect(immediate).toEqual([11, 13, 17, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    for (const [code, p] of ALARM_POLICY) if (p.action === 'report-only') expect(p.priority, `code ${code}`).not.toBe('high');
    expect(STEP_GRACE).toEqual({ breaths: 4, maxMs: 45_000 });
  });
});

describe('HighPriorityAlarms: plateau / PEEP not reached during a step change', () => {
  it('plateau not reached on the three breaths after a step, then reached: no abort', () => {
    const a = new HighPriorityAlarms();
    a.stepChanged(1000);
    expect(a.onTrap(alarmTrap({ alarmCode: 12 }), 1500)).toBeNull();
    expect(a.onCodes([12], 3000, true)).toEqual([]); // breath in progress
    expect(a.onCodes([12], 6000, true)).toEqual([]); // 181 mmH2O
    expect(a.onCodes([12], 9000, true)).toEqual([]); // 248 mmH2O
    expect(a.onCodes([], 12_000, true)).toEqual([]); // 313: reached, cleared
    expect(a.expire(60_000)).toEqual([]);
  });

  it('still listed on the fifth breath after the step: abort, once, saying it outlasted the grace', () => {
    const a = new HighPriorityAlarms();
    a.stepChanged(0);
    for (let i = 1; i <= 4; i++) expect(a.onCodes([12], i * 3000, true)).toEqual([]);
    const out = a.onCodes([12], 15_000, true);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/alarm 12 \(plateau pressure not reached\).*4 breaths/);
    expect(a.onCodes([12], 18_000, true)).toEqual([]);
  });

  it('the grace never lasts beyond 45 s, however slow the breaths or however many steps follow', () => {
    const a = new HighPriorityAlarms();
    a.stepChanged(0);
    expect(a.onTrap(alarmTrap({ alarmCode: 14 }), 100)).toBeNull();
    a.stepChanged(20_000);
    a.stepChanged(40_000);
    expect(a.expire(45_099)).toEqual([]);
    const out = a.expire(45_100);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/alarm 14 \(PEEP not reached\)/);
  });

  it('a plateau alarm without a step change aborts at once', () => {
    const a = new HighPriorityAlarms();
    expect(a.onTrap(alarmTrap({ alarmCode: 12 }), 0)).toMatch(/alarm 12/);
    const b = new HighPriorityAlarms();
    expect(b.onCodes([14], 0, true)).toEqual([expect.stringMatching(/alarm 14/)]);
  });

  it('after the grace has run out, a new plateau alarm aborts at once', () => {
    const a = new HighPriorityAlarms();
    a.stepChanged(0);
    for (let i = 1; i <= 4; i++) a.onCodes([], i * 3000, true);
    expect(a.onCodes([12], 15_000, true)).toEqual([expect.stringMatching(/alarm 12/)]);
  });

  it.each([11, 13, 17, 40, 44, 47, 49])('alarm %i aborts at once even right after a step change', (code) => {
    const a = new HighPriorityAlarms();
    a.stepChanged(0);
    expect(a.onTrap(alarmTrap({ alarmCode: code }), 10)).toMatch(new RegExp(`alarm ${code} \\(`));
    const b = new HighPriorityAlarms();
    b.stepChanged(0);
    expect(b.onCodes([code], 3000, true)).toHaveLength(1);
  });

  it('medium and low priority alarms never abort', () => {
    const a = new HighPriorityAlarms();
    expect(a.onCodes([21, 22, 23, 24, 31], 0, true)).toEqual([]);
    expect(a.onTrap(alarmTrap({ alarmCode: 22, alarmPriority: 'medium' }), 0)).toBeNull();
  });
});
