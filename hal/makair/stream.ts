/**
 * Wrappers of `TelemetryParser` for the two stream styles in use: a Node Transform (for a
 * `SerialPort` pipe) and an RxJS operator (for `ByteTransport.data$`). Both flush the parser
 * when their input ends.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { Observable, type OperatorFunction } from 'rxjs';
import type { TelemetryFrame } from './framing.js';
import { TelemetryParser } from './parser.js';

/**
 * Transform: bytes in, `TelemetryFrame` objects out (readable side in object mode).
 *
 * @example
 * const frames = port.pipe(new TelemetryFrameTransform());
 * frames.on('data', (frame: TelemetryFrame) => handle(decodeTelemetryMessage(frame.body)));
 */
export class TelemetryFrameTransform extends Transform {
  readonly parser: TelemetryParser;

  constructor(parser: TelemetryParser = new TelemetryParser()) {
    super({ readableObjectMode: true });
    this.parser = parser;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.parser.push(chunk)) this.push(frame);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    for (const frame of this.parser.flush()) this.push(frame);
    callback();
  }
}

/**
 * RxJS operator: byte chunks in, verified frames out. Pass a parser to read its stats.
 *
 * @example
 * const parser = new TelemetryParser();
 * transport.data$.pipe(telemetryFrames(parser)).subscribe((frame) => handle(frame));
 */
export function telemetryFrames(parser: TelemetryParser = new TelemetryParser()): OperatorFunction<Uint8Array, TelemetryFrame> {
  return (source) =>
    new Observable<TelemetryFrame>((subscriber) =>
      source.subscribe({
        next(chunk) {
          for (const frame of parser.push(chunk)) subscriber.next(frame);
        },
        error(err: unknown) {
          subscriber.error(err);
        },
        complete() {
          for (const frame of parser.flush()) subscriber.next(frame);
          subscriber.complete();
        },
      }),
    );
}
