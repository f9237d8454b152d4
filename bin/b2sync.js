#!/usr/bin/env node
// Shim: the real entry point is the bundled cli/main (dist/bundle/, made by `npm run build`).
import { setFlagsFromString } from 'node:v8';

// Keep undici's llhttp WebAssembly on V8's baseline compiler (Liftoff): its optimising tier-up runs
// on a background thread that a short command then waits for at exit. The flag must be set before
// undici compiles the module, so the CLI is imported after it. Figures: docs/performance.md,
// "Cold start, second round".
setFlagsFromString('--liftoff-only');
const { main } = await import('../dist/bundle/cli.js');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`b2sync: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
