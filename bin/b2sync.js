#!/usr/bin/env node
// Shim: the real entry point is the bundled cli/main (dist/bundle/, made by `npm run build`).
import { createRequire } from 'node:module';

// Keep undici's llhttp WebAssembly on V8's baseline compiler (Liftoff): its optimising tier-up runs
// on a background thread that a short command then waits for at exit. The flag must be set before
// undici compiles the module; undici loads only for uploads, and src/client/undici-lite.ts calls this
// just before, so commands that never upload never load node:v8. Figures: docs/performance.md,
// "Cold start, second round" and "Issue 11, last round".
globalThis[Symbol.for('b2sync.beforeUndici')] = () =>
  createRequire(import.meta.url)('node:v8').setFlagsFromString('--liftoff-only');
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
