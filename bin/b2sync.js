#!/usr/bin/env node
// Shim: the real entry point is the compiled cli/main (run `npm run build` first).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`b2sync: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
