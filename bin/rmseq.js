#!/usr/bin/env node
// rmseq: the compiled CLI (npm ci builds dist/ through the prepare script).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
