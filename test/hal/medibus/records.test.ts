import { describe, expect, it } from 'vitest';
import {
  ascii,
  asciiText,
  decodeAlarmRecords,
  decodeDataRecords,
  decodeDeviceId,
  decodeTextRecords,
  encodeAlarmRecords,
  encodeDataRecords,
  encodeDeviceId,
  encodeTextRecords,
  encodeDateTime,
  decodeDateTime,
  formatMedibusNumber,
  parseMedibusNumber,
} from '../../../hal/medibus/index.js';

describe('MEDIBUS value fields', () => {
  it('formats numbers right-aligned into the field width', () => {
    expect(formatMedibusNumber(8, 4)).toBe('   8');
    expect(formatMedibusNumber(12.5, 4)).toBe('12.5');
    expect(formatMedibusNumber(420, 4)).toBe(' 420');
    expect(formatMedibusNumber(0.45, 5)).toBe(' 0.45');
    expect(formatMedibusNumber(1234.56, 4)).toBe('1235');
    expect(() => formatMedibusNumber(12345, 4)).toThrow(TypeError);
  });

  it('parses numbers and treats anything else as no value', () => {
    expect(parseMedibusNumber('   8')).toBe(8);
    expect(parseMedibusNumber('12.5')).toBe(12.5);
    expect(parseMedibusNumber(' -1.5')).toBe(-1.5);
    expect(parseMedibusNumber('.5  ')).toBe(0.5);
    expect(parseMedibusNumber('----')).toBeNull();
    expect(parseMedibusNumber('    ')).toBeNull();
    expect(parseMedibusNumber('1e3 ')).toBeNull();
  });
});

describe('measured data and settings records', () => {
  it('encodes 6-byte measured records: 2 hex code chars + 4 value chars', () => {
    expect(asciiText(encodeDataRecords([{ code: 0x78, value: 8 }, { code: 0x7d, value: 25.5 }], 4))).toBe('78   87D25.5');
  });

  it('encodes 7-byte settings records: 2 code chars + 5 value chars', () => {
    expect(asciiText(encodeDataRecords([{ code: 0x0b, value: 10 }, { code: 0x04, value: 0.45 }], 5))).toBe('0B   1004 0.45');
  });

  it('decodes records and keeps the raw value text', () => {
    expect(decodeDataRecords(ascii('78   87d25.5'), 4)).toEqual({ ok: true, value: [{ code: 0x78, raw: '   8' }, { code: 0x7d, raw: '25.5' }] });
  });

  it('rejects payloads that are not whole records or whose codes are not hex', () => {
    expect(decodeDataRecords(ascii('78   8X'), 4).ok).toBe(false);
    expect(decodeDataRecords(ascii('G8   8'), 4).ok).toBe(false);
  });

  it('refuses values wider than the field', () => {
    expect(() => encodeDataRecords([{ code: 1, value: 'ABCDEF' }], 5)).toThrow(TypeError);
  });
});

describe('alarm records (15 bytes)', () => {
  it('round-trips priority, code and phrase', () => {
    const payload = encodeAlarmRecords([{ priority: 25, code: 0x10, phrase: 'Paw high' }]);
    expect(payload.length).toBe(15);
    expect(asciiText(payload)).toBe('I10Paw high    '); // '0' + 25 = 'I'
    expect(decodeAlarmRecords(payload)).toEqual({ ok: true, value: [{ priority: 25, code: 0x10, phrase: 'Paw high' }] });
  });

  it('rejects a payload that is not whole records', () => {
    expect(decodeAlarmRecords(ascii('I10Paw high')).ok).toBe(false);
  });
});

describe('text-message records', () => {
  it('encodes code, length char, text and ETX', () => {
    expect([...encodeTextRecords([{ code: 0x01, text: 'IPPV' }])]).toEqual([0x30, 0x31, 0x34, 0x49, 0x50, 0x50, 0x56, 0x03]);
  });

  it('round-trips several messages, including an empty one', () => {
    const records = [
      { code: 0x0a, text: 'CPAP' },
      { code: 0x20, text: '' },
      { code: 0x59, text: 'Volume mode' },
    ];
    expect(decodeTextRecords(encodeTextRecords(records))).toEqual({ ok: true, value: records });
  });

  it('rejects a record without ETX or cut short', () => {
    expect(decodeTextRecords(ascii('014IPPVX')).ok).toBe(false);
    expect(decodeTextRecords(ascii('019IPPV')).ok).toBe(false);
  });
});

describe('device identification', () => {
  it("encodes 0161'Name' + an 11-character revision", () => {
    expect(asciiText(encodeDeviceId({ idNumber: '0161', name: 'Evita4', revision: '04.03' }))).toBe("0161'Evita4'04.03      ");
  });

  it('decodes id number, name and revision', () => {
    expect(decodeDeviceId(ascii("0161'Evita4'04.03:06.00"))).toEqual({ ok: true, value: { idNumber: '0161', name: 'Evita4', revision: '04.03:06.00' } });
  });

  it('rejects a payload without the quoted name', () => {
    expect(decodeDeviceId(ascii('0161Evita4')).ok).toBe(false);
  });

  it('refuses names that would break the framing of the record', () => {
    expect(() => encodeDeviceId({ idNumber: '0161', name: "Evi'ta", revision: '' })).toThrow(TypeError);
    expect(() => encodeDeviceId({ idNumber: '161', name: 'Evita', revision: '' })).toThrow(TypeError);
  });
});

describe('date and time (28H)', () => {
  it('encodes hh:mm:ss dd-MMM-yy with German months in UTC, and decodes what devices are known to send', () => {
    expect(asciiText(encodeDateTime(Date.UTC(2026, 11, 6, 14, 5, 33)))).toBe('14:05:33 06-DEZ-26');
    expect(asciiText(encodeDateTime(Date.UTC(2027, 2, 1, 0, 0, 0)))).toBe('00:00:00 01-MAR-27');
    expect(decodeDateTime(ascii('14:05:33 06-DEZ-26'))).toEqual({ ok: true, value: Date.UTC(2026, 11, 6, 14, 5, 33) });
    expect(decodeDateTime(ascii('9:05 06-OCT-14'))).toEqual({ ok: true, value: Date.UTC(2014, 9, 6, 9, 5, 0) }); // no seconds, English month
    expect(decodeDateTime(ascii('14:05:3306-MAI-26'))).toEqual({ ok: true, value: Date.UTC(2026, 4, 6, 14, 5, 33) }); // no space
    for (const bad of ['', '25:00:00 01-JAN-26', '12:00:00 01-XYZ-26', '12:00:00 32-JAN-26', '12-00-00']) expect(decodeDateTime(ascii(bad)).ok).toBe(false);
    for (let t = 0; t < 40; t++) {
      const when = Date.UTC(2000 + t, t % 12, 1 + (t % 28), t % 24, (t * 7) % 60, (t * 13) % 60);
      expect(decodeDateTime(encodeDateTime(when))).toEqual({ ok: true, value: when });
    }
  });
});
