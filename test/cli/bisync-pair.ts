/** The bisync CLI tests' pair: a local folder, a B2 prefix and a state dir, with helpers to run and read both sides. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, type Fixture } from './harness.js';

export interface Pair {
  local: string;
  remote: string;
  state: string;
  bisync(...extra: string[]): Promise<{ code: number; records: Record<string, unknown>[]; stderr: string }>;
  remoteFiles(): Promise<Record<string, string>>;
  localFiles(): Promise<Record<string, string>>;
  put(path: string, text: string): Promise<void>;
}

export async function walk(dir: string, rel = '', out: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const d of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = rel + d.name;
    if (d.isDirectory()) await walk(join(dir, d.name), p + '/', out);
    else out[p] = await readFile(join(dir, d.name), 'utf8');
  }
  return out;
}

let n = 0;

/** A fresh pair under fx.dir, bisyncing into bucket B (the local folder is path1 unless remote-first). */
export async function makePair(
  fx: Fixture,
  B: string,
  order: 'local-first' | 'remote-first' = 'local-first',
): Promise<Pair> {
  const id = ++n;
  const local = join(fx.dir, `l${id}`);
  const remote = `b2://${B}/p${id}`;
  const state = join(fx.dir, `state${id}`);
  await mkdir(local, { recursive: true });
  const p: Pair = {
    local,
    remote,
    state,
    bisync: (...extra) =>
      fx.json([
        'bisync',
        ...(order === 'local-first' ? [local, remote] : [remote, local]),
        '--state-dir',
        state,
        ...extra,
      ]),
    async remoteFiles() {
      const r = await fx.json(['ls', '-R', remote + '/']);
      const out: Record<string, string> = {};
      for (const x of r.records) {
        const name = String(x.fileName ?? x.name ?? '');
        const rel = name.slice(`p${id}/`.length);
        if (rel && !rel.endsWith('/')) out[rel] = (await fx.run(['cat', `b2://${B}/${name}`])).stdout;
      }
      return out;
    },
    localFiles: () => walk(local),
    async put(path, text) {
      const f = join(fx.dir, `up-${id}-${Math.random()}`);
      await writeFile(f, text);
      expectCode(await fx.run(['put', f, `${remote}/${path}`]), 0);
    },
  };
  return p;
}

export const plan = (r: { records: Record<string, unknown>[] }) =>
  r.records
    .filter((x) => x.type === 'plan')
    .map((x) => `${x.action} ${x.path}`)
    .sort();
