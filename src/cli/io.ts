/** Where a command writes: stdout and stderr (the process's, or a test's), and whether stdout is a terminal. */
export interface RunIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}
