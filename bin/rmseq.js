#!/usr/bin/env node
// rmseq: the compiled CLI (npm ci builds dist/ through the prepare script).
import { main } from '../dist/src/cli/main.js';

// A reader that goes away (`rmseq ... | head`) must not end a running maneuver: its output is
// dropped from then on (the journal still has everything). Other stream errors stay fatal.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
