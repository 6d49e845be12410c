/**
 * The journal's file: each line written synchronously (and fsync'ed for device sessions)
 * before the call returns. A write that fails (ENOSPC, EFBIG, EIO) throws at once, so the
 * journal can stop and report it. pino's own destination (sonic-boom) was not used for this:
 * it reports such errors as events, and its flushSync retries a full disk forever, blocking
 * the process (a run on a full disk never ended).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class FileSink {
  private fd: number | null;

  constructor(
    path: string,
    private readonly fsync: boolean,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  /** Writes the whole line (a short write is continued); throws the system error otherwise. */
  write(line: string): void {
    if (this.fd === null) throw Object.assign(new Error('journal file is closed'), { code: 'EBADF' });
    const bytes = Buffer.from(line, 'utf8');
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off);
    if (this.fsync) fsyncSync(this.fd);
  }

  /** Every line is on disk once write returns: nothing to flush. */
  flushSync(): void {}

  end(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}
