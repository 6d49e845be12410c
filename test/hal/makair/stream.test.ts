import { Readable } from 'node:stream';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  TelemetryFrameTransform,
  TelemetryParser,
  decodeTelemetryMessage,
  encodeTelemetryFrame,
  telemetryFrames,
  type TelemetryFrame,
} from '../../../hal/makair/index.js';
import { ackMessage, dataMessage, stateMessage } from './fixtures.js';

const messages = [stateMessage(), dataMessage(), ackMessage(3, 140)];
const stream = Buffer.concat([Buffer.of(0xaa, 0x03), ...messages.map(encodeTelemetryFrame)]);
const chunks = Array.from({ length: Math.ceil(stream.length / 7) }, (_, i) => stream.subarray(i * 7, i * 7 + 7));

describe('TelemetryFrameTransform', () => {
  it('turns a byte stream into decoded frames', async () => {
    const transform = new TelemetryFrameTransform();
    const frames: TelemetryFrame[] = [];
    for await (const frame of Readable.from(chunks).pipe(transform)) frames.push(frame as TelemetryFrame);
    expect(frames.map((f) => decodeTelemetryMessage(f.body))).toEqual(messages);
    expect(transform.parser.stats.garbageBytes).toBe(2);
  });

  it('flushes at the end of input: a frame behind an unfinished one is still emitted', async () => {
    const cut = encodeTelemetryFrame(stateMessage()).subarray(0, 30);
    const tail = encodeTelemetryFrame(ackMessage(3, 90));
    const frames: TelemetryFrame[] = [];
    for await (const frame of Readable.from([Buffer.from(cut), Buffer.from(tail)]).pipe(new TelemetryFrameTransform())) frames.push(frame as TelemetryFrame);
    expect(frames.map((f) => decodeTelemetryMessage(f.body))).toEqual([ackMessage(3, 90)]);
  });
});

describe('telemetryFrames operator', () => {
  it('turns byte chunks into frames and exposes the parser stats', async () => {
    const parser = new TelemetryParser();
    const frames = await lastValueFrom(from(chunks.map((c) => new Uint8Array(c))).pipe(telemetryFrames(parser), toArray()));
    expect(frames.map((f) => f.type)).toEqual(['state', 'data', 'ack']);
    expect(parser.stats.frames).toBe(3);
  });
});
