import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VentilatorError } from '../../../hal/errors.js';
import {
  MAX_BODY_BYTES,
  decodeTelemetryMessage,
  encodeTelemetryFrame,
  encodeTelemetryMessage,
  measureBody,
  wrapTelemetryBody,
} from '../../../hal/makair/index.js';
import { telemetryMessageArb } from './arbitraries.js';
import { ackMessage, bootMessage, bytesOf, dataMessage, hex, stateMessage, stoppedMessage } from './fixtures.js';

// Bodies built by hand from the v2 layout (makair-telemetry src/parsers/v2.rs, makair-firmware
// srcs/telemetry.cpp); CRCs from Python's zlib.crc32 over the body.
const ACK_BODY =
  '41 3a 02' + // 'A' ':' version 2
  ' 03 31 2e 30' + // software version "1.0"
  ' 00 00 00 01 00 00 00 02 00 00 00 03' + // device id words 1, 2, 3
  ' 09 00 00 00 00 00 12 d6 87' + // '\t' systick 1234567 us
  ' 09 03' + // '\t' setting 3 (PEEP)
  ' 09 00 7d' + // '\t' value 125 (mmH2O)
  ' 0a'; // '\n'
const ACK_FRAME = `03 0c ${ACK_BODY} 7d 44 ea 41 30 c0`;
const BOOT_FRAME = '03 0c 42 3a 02 03 31 2e 30 00 00 00 01 00 00 00 02 00 00 00 03 09 00 00 00 00 00 00 00 00 09 01 09 80 0a bd da a1 a0 30 c0';

describe('MakAir telemetry codec (protocol v2)', () => {
  it('encodes a control ack exactly as the v2 layout says', () => {
    const ack = { type: 'ack', softwareVersion: '1.0', deviceId: '1-2-3', systickUs: 1_234_567, setting: 3, value: 125 } as const;
    expect(hex(encodeTelemetryFrame(ack))).toBe(ACK_FRAME);
    expect(decodeTelemetryMessage(bytesOf(ACK_BODY))).toEqual(ack);
  });

  it('decodes and encodes an ack of every setting the firmware defines (0-31), end-of-line confirm included', () => {
    // Setting 31 (EolConfirm) = 0, bytes from the v2 layout, CRC from Python zlib.crc32.
    const ack31 = '03 0c 41 3a 02 03 31 2e 30 00 00 00 01 00 00 00 02 00 00 00 03 09 00 00 00 00 00 12 d6 87 09 1f 09 00 00 0a 42 c5 97 79 30 c0';
    const msg = { type: 'ack', softwareVersion: '1.0', deviceId: '1-2-3', systickUs: 1_234_567, setting: 31, value: 0 } as const;
    expect(hex(encodeTelemetryFrame(msg))).toBe(ack31);
    expect(decodeTelemetryMessage(bytesOf(ack31).subarray(2, -6))).toEqual(msg);
    for (let setting = 0; setting <= 31; setting++) {
      const body = encodeTelemetryMessage({ ...msg, setting: setting as never, value: 7 });
      expect(decodeTelemetryMessage(body)).toMatchObject({ setting, value: 7 });
      expect(measureBody(body, 0, body.length)).toBe(body.length);
    }
  });

  it('rejects an ack naming a setting the firmware does not define (32)', () => {
    const ack32 = '03 0c 41 3a 02 03 31 2e 30 00 00 00 01 00 00 00 02 00 00 00 03 09 00 00 00 00 00 12 d6 87 09 20 09 00 00 0a 61 b4 b8 2e 30 c0';
    expect(() => decodeTelemetryMessage(bytesOf(ack32).subarray(2, -6))).toThrow(/setting: unknown value 32/);
  });

  it('encodes a boot message exactly as the v2 layout says', () => {
    const boot = { type: 'boot', softwareVersion: '1.0', deviceId: '1-2-3', systickUs: 0, mode: 'production', value128: 128 } as const;
    expect(hex(encodeTelemetryFrame(boot))).toBe(BOOT_FRAME);
  });

  it('wraps a body with header 03 0C, CRC-32 BE and footer 30 C0', () => {
    const frame = wrapTelemetryBody(bytesOf(ACK_BODY));
    expect(hex(frame.subarray(0, 2))).toBe('03 0c');
    expect(hex(frame.subarray(-6))).toBe('7d 44 ea 41 30 c0');
  });

  it.each([
    ['state', stateMessage()],
    ['stopped', stoppedMessage()],
    ['data', dataMessage({ pressureMmH2O: -12, expiratoryFlowCLPerMin: -300 })],
    ['boot', bootMessage()],
    ['ack', ackMessage(20, 450)],
  ])('round-trips a %s message', (_name, msg) => {
    const body = encodeTelemetryMessage(msg);
    expect(measureBody(body, 0, body.length)).toBe(body.length);
    expect(decodeTelemetryMessage(body)).toEqual(msg);
  });

  it('round-trips any message and measures its body exactly', () => {
    fc.assert(
      fc.property(telemetryMessageArb, (msg) => {
        const body = encodeTelemetryMessage(msg);
        expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
        expect(measureBody(body, 0, body.length)).toBe(body.length);
        expect(measureBody(body, 0, body.length - 1)).toBe(-1); // one byte short: needs more
        expect(decodeTelemetryMessage(body)).toEqual(msg);
      }),
    );
  });

  it('reports an absent volume (0xFFFF) as null', () => {
    const body = encodeTelemetryMessage(stateMessage({ previousVolumeMl: null }));
    expect(decodeTelemetryMessage(body)).toMatchObject({ previousVolumeMl: null });
  });

  it('rejects bodies that break the v2 layout', () => {
    const good = encodeTelemetryMessage(dataMessage());
    const wrongVersion = good.slice();
    wrongVersion[2] = 1;
    const badPhase = encodeTelemetryMessage(dataMessage());
    const phaseAt = badPhase.length - 1 - 2 - 1 - 2 - 1 - 1 - 1 - 1 - 1 - 1 - 1 - 1 - 1 - 1; // '\n' back to the phase byte
    expect(badPhase[phaseAt]).toBe(17);
    badPhase[phaseAt] = 0;
    const trailing = Uint8Array.from([...good, 0x00]);
    const unknownLetter = good.slice();
    unknownLetter[0] = 0x5a;
    for (const body of [wrongVersion, badPhase, trailing, unknownLetter, good.subarray(0, good.length - 1)]) {
      expect(() => decodeTelemetryMessage(body)).toThrow(VentilatorError);
    }
  });

  it('refuses to encode values the wire cannot carry, naming the field', () => {
    expect(() => encodeTelemetryMessage(dataMessage({ pressureMmH2O: 40_000 }))).toThrow(/pressureMmH2O/);
    expect(() => encodeTelemetryMessage(stateMessage({ previousVolumeMl: 0xffff }))).toThrow(/previousVolumeMl/);
    expect(() => encodeTelemetryMessage({ ...dataMessage(), deviceId: 'abc' })).toThrow(/deviceId/);
  });
});
