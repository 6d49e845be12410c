import { describe, expect, it } from 'vitest';
import { TelemetryParser, decodeTelemetryMessage, encodeTelemetryFrame } from '../../../hal/makair/index.js';
import { ackMessage, dataMessage, stateMessage } from './fixtures.js';

const frameOf = encodeTelemetryFrame;
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

describe('TelemetryParser', () => {
  it('emits a frame whose body decodes to the message sent', () => {
    const parser = new TelemetryParser();
    const frames = parser.push(frameOf(stateMessage()));
    expect(frames.map((f) => f.type)).toEqual(['state']);
    expect(decodeTelemetryMessage(frames[0]!.body)).toEqual(stateMessage());
    expect(parser.stats).toEqual({ frames: 1, crcErrors: 0, malformed: 0, garbageBytes: 0 });
    expect(parser.bufferedBytes).toBe(0);
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const parser = new TelemetryParser();
    const bytes = frameOf(ackMessage(3, 120));
    const frames = [...bytes].flatMap((b) => parser.push(Uint8Array.of(b)));
    expect(frames).toHaveLength(1);
    expect(decodeTelemetryMessage(frames[0]!.body)).toEqual(ackMessage(3, 120));
  });

  it('skips garbage before, between and after frames and counts it', () => {
    const parser = new TelemetryParser();
    const garbage = Uint8Array.of(0x00, 0xff, 0x30, 0xc0, 0x0c);
    const frames = parser.push(cat(garbage, frameOf(dataMessage()), garbage, frameOf(ackMessage(4, 22)), garbage));
    expect(frames.map((f) => f.type)).toEqual(['data', 'ack']);
    expect(parser.stats.garbageBytes).toBe(15);
  });

  it('drops a frame with a bad CRC, counts it, and finds the next one', () => {
    const parser = new TelemetryParser();
    const bad = frameOf(ackMessage(3, 300));
    bad[bad.length - 4] = bad[bad.length - 4]! ^ 0x01; // last CRC byte
    const frames = parser.push(cat(bad, frameOf(ackMessage(3, 120))));
    expect(frames.map((f) => decodeTelemetryMessage(f.body))).toEqual([ackMessage(3, 120)]);
    expect(parser.stats.crcErrors).toBe(1);
    expect(parser.stats.frames).toBe(1);
  });

  it('drops a frame whose body was altered (CRC no longer matches)', () => {
    const parser = new TelemetryParser();
    const bad = frameOf(ackMessage(3, 120));
    bad[bad.length - 9] = 0x7d; // value low byte 0x78 -> 0x7d: "125" with the CRC of "120"
    expect(parser.push(bad)).toEqual([]);
    expect(parser.stats.crcErrors).toBe(1);
  });

  it('rejects a wrong footer or protocol version as malformed', () => {
    const parser = new TelemetryParser();
    const badFooter = frameOf(dataMessage());
    badFooter[badFooter.length - 1] = 0xc1;
    const v1 = frameOf(dataMessage());
    v1[4] = 1;
    expect(parser.push(cat(badFooter, v1))).toEqual([]);
    expect(parser.stats.malformed).toBe(2);
    expect(parser.stats.frames).toBe(0);
  });

  it('rejects a cut-off frame at its first wrong separator, without waiting', () => {
    const parser = new TelemetryParser();
    const cut = frameOf(stateMessage()).subarray(0, 30);
    expect(parser.push(cat(cut, frameOf(ackMessage(3, 150)))).map((f) => f.type)).toEqual(['ack']);
    expect(parser.stats.malformed).toBe(1);
  });

  it('recovers the frame a truncated one ran into', () => {
    const parser = new TelemetryParser();
    const cut = frameOf(stateMessage()).subarray(0, 40);
    const frames = parser.push(cat(cut, frameOf(ackMessage(3, 150)), frameOf(dataMessage())));
    expect(frames.map((f) => f.type)).toEqual(['ack', 'data']);
  });

  it('waits for the rest of a frame, and on flush gives it up and rescans what followed', () => {
    const parser = new TelemetryParser();
    // A header and the start of a state message announcing a 255-byte version string, then a
    // whole ack: nothing checkable arrives for 267 bytes, so the candidate holds the ack.
    const stream = cat(Uint8Array.of(0x03, 0x0c, 0x53, 0x3a, 0x02, 0xff), frameOf(ackMessage(3, 150)));
    expect(parser.push(stream)).toEqual([]);
    expect(parser.bufferedBytes).toBe(stream.length);
    const flushed = parser.flush();
    expect(flushed.map((f) => decodeTelemetryMessage(f.body))).toEqual([ackMessage(3, 150)]);
    expect(parser.stats.malformed).toBe(1);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('keeps emitted frames intact when the caller reuses its chunk buffer', () => {
    const parser = new TelemetryParser();
    const chunk = frameOf(ackMessage(3, 120));
    const [frame] = parser.push(chunk);
    chunk.fill(0);
    expect(decodeTelemetryMessage(frame!.body)).toEqual(ackMessage(3, 120));
  });

  it('keeps earlier frames intact across many pushes (store rollover)', () => {
    const parser = new TelemetryParser();
    const first = parser.push(frameOf(ackMessage(3, 120)));
    for (let i = 0; i < 2000; i++) parser.push(frameOf(dataMessage({ cycleTimeCs: i })));
    expect(parser.stats.frames).toBe(2001);
    expect(decodeTelemetryMessage(first[0]!.body)).toEqual(ackMessage(3, 120));
  });
});
