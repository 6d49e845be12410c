import { describe, expect, it } from 'vitest';
import { codeTableFor, mapMeasurements, mapSettings, type MedibusDataRecord } from '../../../hal/medibus/index.js';

const rec = (code: number, raw: string): MedibusDataRecord => ({ code, raw });
const evita = codeTableFor('evita');

describe('measured data -> MonitorSample', () => {
  it('converts peak, plateau, PEEP, tidal volume and compliance from the Evita table', () => {
    const m = mapMeasurements(evita, { 1: [rec(0x7d, '  30'), rec(0x74, '  25'), rec(0x78, '  10'), rec(0x88, ' 420'), rec(0x07, '  40'), rec(0xf0, '  60'), rec(0xd6, '  20')] }, 1234);
    expect(m.sample).toEqual({ t: 1234, source: 'medibus', peakCmH2O: 30.59, plateauCmH2O: 25.49, peepCmH2O: 10.2, tidalVolumeMl: 420, complianceMlPerCmH2O: 39.23 });
    expect(m.fio2).toBe(0.6);
    expect(m.rateBpm).toBe(20);
    expect(m.values.find((v) => v.code === 0x74)?.name).toBe('PlateauPressure');
  });

  it('leaves out fields the device did not report or reported as no number', () => {
    const m = mapMeasurements(evita, { 1: [rec(0x7d, '----'), rec(0x78, '   5')] }, 0);
    expect(m.sample).toEqual({ t: 0, source: 'medibus', peepCmH2O: 5.1 });
  });

  it('drops implausible values and says which', () => {
    const m = mapMeasurements(evita, { 1: [rec(0x78, ' 999'), rec(0x7d, '  28')] }, 0);
    expect(m.sample.peepCmH2O).toBeUndefined();
    expect(m.sample.peakCmH2O).toBe(28.55);
    expect(m.implausible).toHaveLength(1);
    expect(m.implausible[0]).toMatch(/^peepCmH2O/);
  });

  it('names unknown codes by their hex code', () => {
    const m = mapMeasurements(evita, { 1: [rec(0x99, '   1')] }, 0);
    expect(m.values[0]?.name).toBe('99H');
  });

  it('falls back to codepage 2 where the family table says so (V300: EIP for plateau)', () => {
    const m = mapMeasurements(codeTableFor('v300'), { 1: [rec(0x7d, '  30')], 2: [rec(0x23, '  24'), rec(0x21, ' 410')] }, 0);
    expect(m.sample.plateauCmH2O).toBe(24.47);
    expect(m.sample.tidalVolumeMl).toBe(410);
  });

  it('reads Primus compliance from 06H in mL/mbar', () => {
    const m = mapMeasurements(codeTableFor('primus'), { 1: [rec(0x06, '  45'), rec(0x07, '  99')] }, 0);
    expect(m.sample.complianceMlPerCmH2O).toBe(44.13);
  });
});

describe('device settings + text messages -> VentSettings', () => {
  const vcSettings = [rec(0x0b, '   10'), rec(0x13, '   35'), rec(0x0a, '   20'), rec(0x01, '   60'), rec(0x04, ' 0.45'), rec(0x45, '   25')];

  it('maps a volume-controlled Evita (IPPV): peak is Pmax, Vt from litres', () => {
    const r = mapSettings(evita, vcSettings, [{ code: 0x01, text: 'IPPV' }]);
    expect(r).toMatchObject({ ok: true, settings: { mode: 'VC', peepCmH2O: 10.2, peakCmH2O: 35.69, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 450 } });
  });

  it('maps a pressure-controlled Evita (BIPAP): peak is Pinsp', () => {
    const r = mapSettings(evita, vcSettings, [{ code: 0x0e, text: 'BIPAP' }]);
    expect(r.ok && r.settings.mode).toBe('PCV');
    expect(r.ok && r.settings.peakCmH2O).toBe(25.49);
  });

  it('maps CPAP: peak equals PEEP, rate may be absent', () => {
    const r = mapSettings(evita, [rec(0x0b, '    8'), rec(0x01, '   40')], [{ code: 0x0a, text: 'CPAP' }]);
    expect(r).toMatchObject({ ok: true, settings: { mode: 'CPAP', peepCmH2O: 8.16, peakCmH2O: 8.16, rateBpm: 0, fio2: 0.4 } });
  });

  it('prefers the specific mode text over the generic volume/pressure text', () => {
    const r = mapSettings(evita, vcSettings, [{ code: 0x5a, text: 'Pressure' }, { code: 0x01, text: 'IPPV' }]);
    expect(r.ok && r.settings.mode).toBe('VC');
  });

  it('refuses a mode the maneuvers do not run in, even with a generic text present', () => {
    const r = mapSettings(evita, vcSettings, [{ code: 0x06, text: 'SIMV' }, { code: 0x59, text: 'Volume' }]);
    expect(r).toMatchObject({ ok: false, error: /VentModeSIMV/ });
  });

  it('refuses when no mode is reported', () => {
    expect(mapSettings(evita, vcSettings, [{ code: 0x20, text: 'Adults' }])).toMatchObject({ ok: false, error: /no known ventilation mode.*20H/ });
  });

  it('names the settings that are missing instead of guessing', () => {
    const r = mapSettings(evita, [rec(0x0b, '   10')], [{ code: 0x01, text: 'IPPV' }]);
    expect(r).toMatchObject({ ok: false, error: /fio2, pmaxCmH2O, rateBpm, tidalVolumeMl/ });
  });

  it('reads V300 tidal volume from 40H in mL before 04H in L', () => {
    const r = mapSettings(codeTableFor('v300'), [...vcSettings, rec(0x40, '  480')], [{ code: 0x01, text: 'IPPV' }]);
    expect(r.ok && r.settings.tidalVolumeMl).toBe(480);
  });
});

describe('codes the sources disagree on (issue 21 point 1)', () => {
  const primus = codeTableFor('primus');
  const pcv = [{ code: 0x34, text: 'PCV' }];
  const base = [rec(0x45, '   25'), rec(0x01, '   50'), rec(0x0a, '   20')];

  it('Primus: PEEP setting from 0BH (open code maps) or 0CH (Primus MEDIBUS document as an independent host reads it)', () => {
    const viaB = mapSettings(primus, [rec(0x0b, '   10'), ...base], pcv);
    const viaC = mapSettings(primus, [rec(0x0c, '   10'), ...base], pcv);
    expect(viaB).toMatchObject({ ok: true, settings: { mode: 'PCV', peepCmH2O: 10.2, rateBpm: 20 } });
    expect(viaC).toMatchObject({ ok: true, settings: { mode: 'PCV', peepCmH2O: 10.2, rateBpm: 20 } });
    expect(viaC.values.find((v) => v.code === 0x0c)?.name).toMatch(/PEEP/);
  });

  it('Primus: 0BH and 0CH both reported and different is a conflict: refused, naming both, never guessed', () => {
    const both = mapSettings(primus, [rec(0x0b, '   10'), rec(0x0c, '   12'), ...base], pcv);
    expect(both.ok).toBe(false);
    expect(!both.ok && both.error).toMatch(/peepCmH2O.*0BH.*10.*0CH.*12/);
    expect(mapSettings(primus, [rec(0x0b, '   10'), rec(0x0c, '10.0'), ...base], pcv)).toMatchObject({ ok: true, settings: { peepCmH2O: 10.2 } });
  });

  it('Evita: 0CH is intermittent (sigh) PEEP there, not PEEP: a device reporting only 0CH has no PEEP setting', () => {
    const r = mapSettings(evita, [rec(0x0c, '   10'), ...base], [{ code: 0x34, text: 'PCV' }]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/peepCmH2O/);
    expect(r.values.find((v) => v.code === 0x0c)?.name).toMatch(/Intermittent/i);
  });

  it('Primus: measured rate from D6H, D7H or D9H (derived rate); minute volume B9H is known by name', () => {
    const m = mapMeasurements(primus, { 1: [rec(0xd9, '  18'), rec(0xb9, '7.56'), rec(0x78, '  10')] }, 0);
    expect(m.rateBpm).toBe(18);
    expect(m.values.find((v) => v.code === 0xb9)?.name).toMatch(/MinuteVolume/);
    expect(mapMeasurements(primus, { 1: [rec(0xd6, '  20'), rec(0xd9, '  18')] }, 0).rateBpm).toBe(20);
  });

  it('Primus: measured alternatives marked as the same value that disagree are left out and listed', () => {
    const table = { ...primus, measured: [...primus.measured.filter((e) => e.code !== 0x78), { codepage: 1 as const, code: 0x78, name: 'PEEP', unit: 'mbar' as const, maps: 'peepCmH2O' as const }, { codepage: 1 as const, code: 0x79, name: 'PEEP alt', unit: 'mbar' as const, maps: 'peepCmH2O' as const, sameAs: 0x78 }] };
    const m = mapMeasurements(table, { 1: [rec(0x78, '  10'), rec(0x79, '  14')] }, 0);
    expect(m.sample.peepCmH2O).toBeUndefined();
    expect(m.implausible.join()).toMatch(/peepCmH2O.*78H.*79H/);
  });
});

describe('compliance codes (issue 21 point 1: "and compliance on Evita")', () => {
  it('Evita: compliance from 07H (L/bar) or 06H (mL/mbar, the same value in the same numbers); both must agree', () => {
    expect(mapMeasurements(evita, { 1: [rec(0x07, '  40')] }, 0).sample.complianceMlPerCmH2O).toBe(39.23);
    expect(mapMeasurements(evita, { 1: [rec(0x06, '  40')] }, 0).sample.complianceMlPerCmH2O).toBe(39.23);
    const both = mapMeasurements(evita, { 1: [rec(0x07, '  40'), rec(0x06, '  45')] }, 0);
    expect(both.sample.complianceMlPerCmH2O).toBeUndefined();
    expect(both.implausible.join()).toMatch(/complianceMlPerCmH2O.*07H.*06H/);
  });

  it('V300 (MEDIBUS.X): 06H is the inspiratory minute volume there, never compliance', () => {
    const m = mapMeasurements(codeTableFor('v300'), { 1: [rec(0x06, '  40')] }, 0);
    expect(m.sample.complianceMlPerCmH2O).toBeUndefined();
    expect(m.values[0]?.name).toMatch(/MinuteVolume/);
  });
});
