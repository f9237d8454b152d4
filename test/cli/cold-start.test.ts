/**
 * Cold start: `ls`, `lsd` and `cat` (JSON calls and a download through the lean client) never load
 * undici; `put` does (uploads go through undici). Checked with a preload that writes, at exit, how
 * many of undici's modules are in require.cache (undici-lite loads it with require), and whether
 * node:v8 was loaded: bin/ sets V8's Liftoff-only flag just before undici loads, so only then.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
let probe: string;
const B = 'cold-start-bucket';

before(async () => {
  fx = await makeFixture();
  probe = join(fx.dir, 'probe.cjs');
  await writeFile(
    probe,
    `let stdin = false;
    const d = Object.getOwnPropertyDescriptor(process, 'stdin');
    Object.defineProperty(process, 'stdin', { configurable: true, get() { stdin = true; return d.get.call(process); } });
    process.on('exit', () => {
      const n = Object.keys(require.cache).filter((k) => /[\\\\/]node_modules[\\\\/]undici[\\\\/]/.test(k)).length;
      const v8 = process.moduleLoadList.includes('NativeModule v8');
      require('node:fs').writeFileSync(process.env.UNDICI_PROBE_OUT, JSON.stringify({ n, v8, stdin }));
    });\n`,
  );
});
after(() => fx.close());

interface Probed {
  n: number;
  v8: boolean;
  stdin: boolean;
}

async function probed(args: string[], input?: string): Promise<Probed> {
  const out = join(fx.dir, `probe-${args[0]}.txt`);
  const r = await fx.run(args, { env: { NODE_OPTIONS: `--require ${probe}`, UNDICI_PROBE_OUT: out }, input });
  expectCode(r, 0);
  return JSON.parse(await readFile(out, 'utf8')) as Probed;
}

async function undiciModules(args: string[], input?: string): Promise<number> {
  return (await probed(args, input)).n;
}

test('put loads undici (uploads); ls, lsd and cat do not', async () => {
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  assert.ok((await undiciModules(['put', '-', `b2://${B}/a.txt`], 'hello')) > 0, 'put loaded undici');
  assert.equal(await undiciModules(['ls', `b2://${B}`]), 0, 'ls loaded undici');
  assert.equal(await undiciModules(['lsd']), 0, 'lsd loaded undici');
  assert.equal(await undiciModules(['cat', `b2://${B}/a.txt`]), 0, 'cat loaded undici');
  const ls = await fx.run(['ls', `b2://${B}`]);
  assert.match(ls.stdout, /a\.txt/);
  assert.equal((await fx.run(['cat', `b2://${B}/a.txt`])).stdout, 'hello');
});

test('node:v8 is loaded only to set the Liftoff-only flag before undici (by put, not by --help or ls); --help does not open stdin', async () => {
  expectCode(await fx.run(['mkdir', `b2://${B}-v8`]), 0);
  // --help does not even open stdin (which costs Node's stream modules, or a socket for a pipe).
  assert.deepEqual(await probed(['--help']), { n: 0, v8: false, stdin: false });
  assert.equal((await probed(['ls', `b2://${B}-v8`])).v8, false);
  const put = await probed(['put', '-', `b2://${B}-v8/b.txt`], 'x');
  assert.ok(put.n > 0 && put.v8 && put.stdin, JSON.stringify(put));
});
