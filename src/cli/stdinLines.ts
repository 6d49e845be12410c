/**
 * One reader of the terminal's lines for the whole run: guided mode (Enter confirms an
 * instruction) and the failsafe acknowledgement (`ack` + Enter) share it, so a line is never
 * swallowed by a second readline on the same stdin.
 */
import { createInterface, type Interface } from 'node:readline';
import { Subject, type Observable } from 'rxjs';

/** Lines read one question at a time: `next` resolves with the next line, or null when the input ended or (with a timeout) none came in time. */
export interface LineQueue {
  next(timeoutMs?: number): Promise<string | null>;
  close(): void;
}

/**
 * One subscription for a run of questions, so that a line typed ahead is kept for the next
 * question; an ended input answers every later question with null.
 */
export function lineQueue(lines$: Observable<string>): LineQueue {
  const queue: string[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const sub = lines$.subscribe({
    next: (l) => {
      queue.push(l);
      wake?.();
    },
    complete: () => {
      ended = true;
      wake?.();
    },
  });
  return {
    async next(timeoutMs?: number): Promise<string | null> {
      if (queue.length === 0 && !ended) {
        let timedOut = false;
        const timer = timeoutMs === undefined ? null : setTimeout(() => ((timedOut = true), wake?.()), timeoutMs);
        while (queue.length === 0 && !ended && !timedOut) await new Promise<void>((r) => (wake = r));
        if (timer) clearTimeout(timer);
        wake = null;
      }
      return queue.shift() ?? null;
    },
    close: () => sub.unsubscribe(),
  };
}

export class StdinLines {
  private rl: Interface | null = null;
  private readonly subject = new Subject<string>();

  constructor(private readonly input: NodeJS.ReadableStream = process.stdin) {}

  /**
   * Trimmed lines as they are entered; stdin is read from the first subscription on. Completes
   * when the input ends (closed pipe, terminal hung up): a question waiting for an answer then
   * ends instead of waiting for a line that can never come.
   */
  get lines$(): Observable<string> {
    if (!this.rl) {
      this.rl = createInterface({ input: this.input, terminal: false });
      this.rl.on('line', (l) => this.subject.next(l.trim()));
      this.rl.on('close', () => this.subject.complete());
    }
    return this.subject.asObservable();
  }

  /** Stops reading (the process can then exit). */
  close(): void {
    this.rl?.close();
    this.rl = null;
    this.subject.complete();
  }
}
