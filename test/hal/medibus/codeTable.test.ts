import { describe, expect, it } from 'vitest';
import { isValidationError } from '../../../common/validation.js';
import {
  CMH2O_PER_MBAR,
  MEDIBUS_FAMILIES,
  capabilitiesOf,
  codeTableFor,
  nameMatchesFamily,
  parseCodeTable,
  reportableModes,
  toQuantity,
} from '../../../hal/medibus/index.js';
import evitaJson from '../../../hal/medibus/codes/evita.json' with { type: 'json' };

describe('units at the MEDIBUS edge', () => {
  it('converts mbar to cmH2O (1 mbar = 100 Pa, 1 cmH2O = 98.0665 Pa)', () => {
    expect(CMH2O_PER_MBAR).toBeCloseTo(1.019716, 6);
    expect(toQuantity(10, 'mbar', 'pressureCmH2O')).toBe(10.2);
    expect(toQuantity(35, 'mbar', 'pressureCmH2O')).toBe(35.69);
    expect(toQuantity(12, 'cmH2O', 'pressureCmH2O')).toBe(12);
  });

  it('converts litres to mL, percent to a fraction, compliance to mL/cmH2O', () => {
    expect(toQuantity(0.45, 'L', 'volumeMl')).toBe(450);
    expect(toQuantity(60, 'pct', 'fraction')).toBe(0.6);
    expect(toQuantity(50, 'L/bar', 'complianceMlPerCmH2O')).toBe(49.03); // 50 mL/mbar / 1.019716
    expect(toQuantity(50, 'mL/mbar', 'complianceMlPerCmH2O')).toBe(49.03);
  });

  it('refuses a unit that does not express the quantity', () => {
    expect(() => toQuantity(1, 'mL', 'pressureCmH2O')).toThrow(TypeError);
    expect(() => toQuantity(1, 's', 'rateBpm')).toThrow(TypeError);
  });
});

describe('built-in code tables', () => {
  it.each(MEDIBUS_FAMILIES)('%s loads, validates and maps every value the adapter needs', (family) => {
    const t = codeTableFor(family);
    expect(t.family).toBe(family);
    expect(t.sources.length).toBeGreaterThan(0);
    for (const target of ['peakCmH2O', 'plateauCmH2O', 'peepCmH2O', 'tidalVolumeMl', 'complianceMlPerCmH2O'] as const) {
      expect(t.measured.some((e) => e.maps === target), `${family} measured ${target}`).toBe(true);
    }
    for (const target of ['peepCmH2O', 'pinspCmH2O', 'pmaxCmH2O', 'rateBpm', 'fio2', 'tidalVolumeMl'] as const) {
      expect(t.settings.some((e) => e.maps === target), `${family} setting ${target}`).toBe(true);
    }
    expect(reportableModes(t).length).toBeGreaterThan(0);
  });

  it('keeps family differences as data: compliance is L/bar (07H) on Evita, mL/mbar (06H) on Primus', () => {
    const ev = codeTableFor('evita').measured.find((e) => e.maps === 'complianceMlPerCmH2O');
    const pr = codeTableFor('primus').measured.find((e) => e.maps === 'complianceMlPerCmH2O');
    expect([ev?.code, ev?.unit]).toEqual([0x07, 'L/bar']);
    expect([pr?.code, pr?.unit]).toEqual([0x06, 'mL/mbar']);
  });

  it('records the serial settings of each family', () => {
    expect(codeTableFor('evita').serial).toEqual({ baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 });
    expect(codeTableFor('primus').serial).toEqual({ baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 });
    expect(codeTableFor('v300').serial).toEqual({ baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 });
  });

  it('matches device names to families', () => {
    expect(nameMatchesFamily(codeTableFor('evita'), 'Evita4')).toBe(true);
    expect(nameMatchesFamily(codeTableFor('evita'), 'Evita XL')).toBe(true);
    expect(nameMatchesFamily(codeTableFor('evita'), 'Primus')).toBe(false);
    expect(nameMatchesFamily(codeTableFor('primus'), 'Primus IE')).toBe(true);
    expect(nameMatchesFamily(codeTableFor('v300'), 'Evita V300')).toBe(true);
    expect(nameMatchesFamily(codeTableFor('evita'), 'Evita V300')).toBe(false);
  });

  it('rejects an unknown family with a TypeError naming the allowed ones', () => {
    expect(() => codeTableFor('servo' as never)).toThrow(/evita, primus, v300/);
  });

  it('gives read-only capabilities with ranges converted to controller units', () => {
    const caps = capabilitiesOf(codeTableFor('evita'));
    expect(caps.remoteSetting).toBe(false);
    expect(caps.ranges.peepCmH2O).toEqual([0, 35.69]);
    expect(caps.ranges.fio2).toEqual([0.21, 1]);
    expect(caps.ranges.tidalVolumeMl).toEqual([100, 2000]);
    expect(caps.pressureResolutionCmH2O).toBe(1.02);
    expect([...caps.modes].sort()).toEqual(['CPAP', 'PCV', 'VC']);
  });
});

describe('code table validation', () => {
  const withChange = (change: (t: Record<string, unknown>) => void): unknown => {
    const copy = structuredClone(evitaJson) as unknown as Record<string, unknown>;
    change(copy);
    return copy;
  };
  const problemsOf = (input: unknown): string[] => {
    try {
      parseCodeTable(input);
      return [];
    } catch (e) {
      if (!isValidationError(e)) throw e;
      return e.problems.map((p) => p.field);
    }
  };

  it('accepts the built-in JSON as is', () => {
    expect(problemsOf(evitaJson)).toEqual([]);
  });

  it('names a code that is not two upper-case hex digits', () => {
    expect(problemsOf(withChange((t) => ((t.measured as Array<{ code: string }>)[0]!.code = '7d')))).toEqual(['measured[0].code']);
  });

  it('names a unit that cannot express what the entry maps to', () => {
    expect(problemsOf(withChange((t) => ((t.settings as Array<{ unit: string }>)[0]!.unit = 'mL')))).toEqual(['settings[0].unit']);
  });

  it('rejects duplicate codes and unknown fields', () => {
    expect(problemsOf(withChange((t) => (t.modes as unknown[]).push({ code: '01', name: 'again', mode: 'VC' })))).toEqual(['modes']);
    expect(problemsOf(withChange((t) => (t.extra = 1)))).toEqual(['extra']);
  });

  it('rejects an invalid device-name pattern', () => {
    expect(problemsOf(withChange((t) => (t.deviceNamePatterns = ['(']))).length).toBe(1);
  });
});
