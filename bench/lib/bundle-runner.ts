/**
 * Bundle bench/transfer-run.ts with esbuild (so no TypeScript loader is counted in b2sync's CPU and RSS),
 * with the hashing worker built beside it as hash-worker.js, where the bundled WorkerHasher looks for it.
 */
import { dirname, join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

export async function bundleTransferRunner(outfile: string): Promise<string> {
  const { build } = (await import('esbuild')) as typeof import('esbuild');
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' } as const;
  await build({ ...common, entryPoints: [join(root, 'bench', 'transfer-run.ts')], packages: 'external', outfile });
  await build({
    ...common,
    entryPoints: [join(root, 'src', 'transfer', 'hash-worker.ts')],
    outfile: join(dirname(outfile), 'hash-worker.js'),
  });
  return outfile;
}
