/**
 * One reader of the terminal's lines for the whole run: guided mode (Enter confirms an
 * instruction) and the failsafe acknowledgement (`ack` + Enter) share it, so a line is never
 * swallowed by a second readline on the same stdin.
 */
import { createInterface, type Interface } from 'node:readline';
import { Subject, type Observable } from 'rxjs';

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
