/**
 * Bundle the CLI for bin/b2sync.js: src/cli/main.ts and everything it imports into dist/bundle/ with
 * esbuild (ESM, code splitting), so a start reads a few files instead of resolving and loading dozens.
 * Each lazily imported command action (and the emulator) stays a chunk of its own, loaded when it runs.
 * The hash worker is an entry of its own, dist/bundle/hash-worker.js, where the bundled WorkerHasher
 * looks for it (`new URL('./hash-worker.js', import.meta.url)`). undici stays outside the bundle
 * (src/client/undici-lite.ts requires its modules at run time); keytar is imported by a computed name.
 * Why and the figures: docs/performance.md, "Cold start, second round".
 *
 *   node scripts/bundle.mjs        (run by `npm run build`, after tsc)
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

/**
 * commander requires node:child_process at load (~10 ms here, with the net, dgram and stream modules
 * it pulls in) only to spawn executable subcommands, which b2sync has none of: give commander a stand-in
 * that loads the real module on first use.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'b2sync' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'b2sync' }, () => ({
      contents: "module.exports = { spawn: (...a) => require('node:child_process').spawn(...a) };",
      loader: 'js',
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts', 'hash-worker': 'src/transfer/hash-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['undici', 'keytar', '@parcel/watcher'],
  // commander and fast-glob are CommonJS: their require() of node builtins needs a real require.
  banner: {
    js: "import { createRequire as __b2syncRequire } from 'node:module';\nconst require = __b2syncRequire(import.meta.url);",
  },
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  plugins: [lazyChildProcess],
  logLevel: 'warning',
});
