import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VentilatorError } from '../../../hal/errors.js';
import {
  CONTROL_SETTINGS,
  ControlFrameParser,
  ControlSetting,
  controlValueWithinBounds,
  decodeControlFrame,
  encodeControlFrame,
} from '../../../hal/makair/index.js';
import { bytesOf, hex } from './fixtures.js';

// Vectors: header 05 0A, setting u8, value u16 BE, CRC-32 BE of those 3 bytes (computed with
// Python's zlib.crc32 as an independent reference), footer 50 A0 (makair-telemetry src/control.rs).
const VECTORS = [
  { msg: { setting: ControlSetting.PEEP, value: 100 }, bytes: '05 0a 03 00 64 b7 d8 c2 0a 50 a0' },
  { msg: { setting: ControlSetting.VentilationMode, value: 1 }, bytes: '05 0a 01 00 01 89 84 83 b3 50 a0' },
  { msg: { setting: ControlSetting.PeakPressureAlarmThreshold, value: 500 }, bytes: '05 0a 1e 01 f4 4a 32 50 2c 50 a0' },
  // End-of-line confirm (31), the last id the firmware defines (makair-telemetry control.rs, EolConfirm, bounds 0-0).
  { msg: { setting: ControlSetting.EolConfirm, value: 0 }, bytes: '05 0a 1f 00 00 e8 3b 3d 5f 50 a0' },
];

describe('MakAir control frames', () => {
  it.each(VECTORS)('encodes $msg as $bytes', ({ msg, bytes }) => {
    expect(hex(encodeControlFrame(msg))).toBe(bytes);
  });

  it.each(VECTORS)('decodes $bytes', ({ msg, bytes }) => {
    expect(decodeControlFrame(bytesOf(bytes))).toEqual(msg);
  });

  it('lists every setting id 0-31 of the firmware', () => {
    expect(CONTROL_SETTINGS.map((s) => s.id)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(ControlSetting.EolConfirm).toBe(31);
    expect(controlValueWithinBounds(ControlSetting.EolConfirm, 0)).toBe(true);
    expect(controlValueWithinBounds(ControlSetting.EolConfirm, 1)).toBe(false);
    expect(ControlSetting.RespirationEnabled).toBe(8);
    expect(ControlSetting.TargetTidalVolume).toBe(20);
    expect(controlValueWithinBounds(ControlSetting.PEEP, 300)).toBe(true);
    expect(controlValueWithinBounds(ControlSetting.PEEP, 301)).toBe(false);
  });

  it('refuses to encode an unknown setting or a value that is not a u16', () => {
    expect(() => encodeControlFrame({ setting: 32, value: 1 })).toThrow(/setting: 32 is not a MakAir control setting id \(0-31\)/);
    expect(() => encodeControlFrame({ setting: 3, value: 65536 })).toThrow(/value/);
    expect(() => encodeControlFrame({ setting: 3, value: 1.5 })).toThrow(TypeError);
  });

  it('rejects a frame with a bad CRC, header, footer or length', () => {
    const good = bytesOf(VECTORS[0]!.bytes);
    const badCrc = good.slice();
    badCrc[8] = badCrc[8]! ^ 0x01;
    const badValue = good.slice();
    badValue[4] = 0x65; // value changed, CRC no longer matches
    const badHeader = good.slice();
    badHeader[1] = 0x0b;
    const badFooter = good.slice();
    badFooter[10] = 0xa1;
    for (const frame of [badCrc, badValue, badHeader, badFooter, good.subarray(0, 10)]) {
      expect(() => decodeControlFrame(frame)).toThrow(VentilatorError);
    }
  });

  it('parses a stream of frames split anywhere, with garbage and corrupted frames dropped', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            msg: fc.record({ setting: fc.integer({ min: 0, max: 30 }), value: fc.integer({ min: 0, max: 0xffff }) }),
            garbage: fc.uint8Array({ maxLength: 8 }),
            corrupt: fc.boolean(),
          }),
          { maxLength: 20 },
        ),
        fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 10 }),
        (items, cuts) => {
          const parts: Uint8Array[] = [];
          const expected: Array<{ setting: number; value: number }> = [];
          for (const { msg, garbage, corrupt } of items) {
            parts.push(garbage.map((b) => (b === 0x05 ? 0x04 : b)));
            const frame = encodeControlFrame(msg);
            if (corrupt) frame[6] = frame[6]! ^ 0x5a;
            else expected.push(msg);
            parts.push(frame);
          }
          const stream = Buffer.concat(parts);
          const parser = new ControlFrameParser();
          const got: Array<{ setting: number; value: number }> = [];
          for (let pos = 0, i = 0; pos < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...parser.push(stream.subarray(pos, pos + n)));
            pos += n;
          }
          expect(got).toEqual(expected);
          // At least one per corrupted frame (a value byte pair 05 0A inside one is another candidate).
          expect(parser.stats.crcErrors).toBeGreaterThanOrEqual(items.length - expected.length);
        },
      ),
    );
  });
});
