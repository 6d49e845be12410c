/**
 * Byte vectors derived from the MEDIBUS Rev 6.00 rules (checksum = low 8 bits of the sum from
 * the start byte through the payload, two upper-case hex chars, zero-padded, then CR), with
 * sums worked out by hand below, independently of the code under test.
 */
import { describe, expect, it } from 'vitest';
import {
  MedibusCommand,
  ascii,
  checksumChars,
  checksumValue,
  commandName,
  decodeFrame,
  encodeCommand,
  encodeFrame,
  encodeResponse,
  medibusChecksum,
} from '../../../hal/medibus/index.js';
import { hex } from './support/scriptedDevice.js';

describe('MEDIBUS checksum', () => {
  it('is the low 8 bits of the byte sum', () => {
    expect(medibusChecksum(Uint8Array.of(0x1b, 0x51))).toBe(0x6c);
    expect(medibusChecksum(Uint8Array.of(0xff, 0xff, 0x03))).toBe(0x01); // 0x201
  });

  it('is sent as two upper-case hex characters, zero-padded', () => {
    expect(checksumChars(0x6c)).toEqual([0x36, 0x43]); // "6C"
    expect(checksumChars(0x0c)).toEqual([0x30, 0x43]); // "0C", not "C"
    expect(checksumChars(0x00)).toEqual([0x30, 0x30]);
    expect(checksumChars(0xab)).toEqual([0x41, 0x42]); // "AB", not "ab"
  });

  it('reads back only upper-case hex digits', () => {
    expect(checksumValue(0x36, 0x43)).toBe(0x6c);
    expect(checksumValue(0x36, 0x63)).toBe(-1); // "6c"
    expect(checksumValue(0x20, 0x43)).toBe(-1);
  });
});

describe('MEDIBUS frame encoding', () => {
  it('encodes the ICC command exactly as in the specification: 1B 51 36 43 0D', () => {
    expect(hex(encodeCommand(MedibusCommand.ICC))).toBe('1B 51 36 43 0D');
  });

  it('encodes other commands with the same rule (ESC + cmd summed)', () => {
    expect(hex(encodeCommand(MedibusCommand.STOP))).toBe('1B 55 37 30 0D'); // 1B+55 = 70
    expect(hex(encodeCommand(MedibusCommand.MEASURED_CP1))).toBe('1B 24 33 46 0D'); // 1B+24 = 3F
    expect(hex(encodeCommand(MedibusCommand.NOP))).toBe('1B 30 34 42 0D'); // 1B+30 = 4B
  });

  it('encodes a response that echoes the command it answers, with SOH', () => {
    expect(hex(encodeResponse(MedibusCommand.NOP))).toBe('01 30 33 31 0D'); // 01+30 = 31
    expect(hex(encodeResponse(MedibusCommand.ICC))).toBe('01 51 35 32 0D'); // 01+51 = 52
    expect(hex(encodeResponse(MedibusCommand.NAK))).toBe('01 15 31 36 0D'); // 01+15 = 16
  });

  it('includes the payload in the sum: measured data "78  10" answers 24H', () => {
    // 01+24 + 37+38+20+20+31+30 = 0x135 -> "35"
    expect(hex(encodeResponse(MedibusCommand.MEASURED_CP1, ascii('78  10')))).toBe('01 24 37 38 20 20 31 30 33 35 0D');
  });

  it('zero-pads a checksum below 0x10', () => {
    // 01+52 + "0161'Primus'04.03:06.00" = 0x70C -> "0C"
    const frame = encodeResponse(MedibusCommand.DEVICE_ID, ascii("0161'Primus'04.03:06.00"));
    expect(hex(frame.subarray(-3))).toBe('30 43 0D');
  });

  it('terminates every frame with CR', () => {
    for (const cmd of Object.values(MedibusCommand)) {
      expect(encodeCommand(cmd).at(-1)).toBe(0x0d);
      expect(encodeResponse(cmd, ascii('0B   10')).at(-1)).toBe(0x0d);
    }
  });

  it('refuses reserved bytes in command or payload', () => {
    expect(() => encodeFrame('command', 0x1b)).toThrow(TypeError);
    expect(() => encodeResponse(0x24, Uint8Array.of(0x37, 0x0d))).toThrow(/reserved/);
    expect(() => encodeResponse(0x24, Uint8Array.of(0x90))).toThrow(TypeError);
    expect(() => encodeResponse(0x24, Uint8Array.of(0x13))).toThrow(TypeError);
  });
});

describe('MEDIBUS frame decoding', () => {
  it('decodes the ICC command', () => {
    const r = decodeFrame(Uint8Array.of(0x1b, 0x51, 0x36, 0x43, 0x0d));
    expect(r).toEqual({ ok: true, value: { kind: 'command', command: 0x51, payload: new Uint8Array(0) } });
  });

  it('decodes a response and its payload', () => {
    const r = decodeFrame(Uint8Array.of(0x01, 0x24, 0x37, 0x38, 0x20, 0x20, 0x31, 0x30, 0x33, 0x35, 0x0d));
    expect(r.ok && r.value.kind).toBe('response');
    expect(r.ok && r.value.command).toBe(0x24);
    expect(r.ok && [...r.value.payload]).toEqual([0x37, 0x38, 0x20, 0x20, 0x31, 0x30]);
  });

  it('rejects a bad checksum, a lower-case checksum, a missing CR and a short frame', () => {
    expect(decodeFrame(Uint8Array.of(0x1b, 0x51, 0x36, 0x44, 0x0d))).toMatchObject({ ok: false, error: /checksum mismatch/ });
    expect(decodeFrame(Uint8Array.of(0x1b, 0x51, 0x36, 0x63, 0x0d))).toMatchObject({ ok: false, error: /upper-case/ });
    expect(decodeFrame(Uint8Array.of(0x1b, 0x51, 0x36, 0x43, 0x0a))).toMatchObject({ ok: false, error: /CR/ });
    expect(decodeFrame(Uint8Array.of(0x1b, 0x36, 0x43, 0x0d))).toMatchObject({ ok: false, error: /shorter/ });
    expect(decodeFrame(Uint8Array.of(0x02, 0x51, 0x36, 0x43, 0x0d))).toMatchObject({ ok: false, error: /ESC or SOH/ });
  });

  it('round-trips every command in both directions', () => {
    for (const cmd of Object.values(MedibusCommand)) {
      for (const enc of [encodeCommand, encodeResponse]) {
        const payload = ascii('7D  25');
        const r = decodeFrame(enc(cmd, payload));
        expect(r.ok && r.value.command).toBe(cmd);
        expect(r.ok && [...r.value.payload]).toEqual([...payload]);
      }
    }
  });

  it('names commands for messages', () => {
    expect(commandName(0x24)).toBe('MEASURED_CP1 (24H)');
    expect(commandName(0x7a)).toBe('7AH');
  });
});
