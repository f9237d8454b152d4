/** End-to-end: progress bars only on a terminal, --quiet, and rmdir's confirmation on a terminal. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, expectCode, makeFixture, ROOT, assertNoSecrets, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-output-bucket';

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  await writeFile(join(fx.dir, 'blob.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
});
after(() => fx.close());

const hasScript = () => spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** Run the bin on a pseudo-terminal (util-linux script); answers are typed when their prompt appears. */
function onTerminal(args: string[], answers: [RegExp, string][] = []): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...fx.env, COLUMNS: '100' };
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', `${process.execPath} ${BIN} ${quoted}`, '/dev/null'], { env, cwd: ROOT });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    const next = answers[0];
    if (next && next[0].test(out)) {
      answers.shift();
      child.stdin.write(next[1]);
    }
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

test('progress bars (bytes, speed, ETA) are drawn on a terminal and never when stderr is a pipe', async (t) => {
  if (!hasScript()) return t.skip('util-linux `script` is not installed, so no pseudo-terminal');
  fx.emu.controls.setLatency(250);
  try {
    const tty = await onTerminal(['put', join(fx.dir, 'blob.bin'), `b2://${B}/tty.bin`]);
    assert.equal(tty.code, 0, tty.out);
    assert.match(tty.out, /Total [\d.]+ (B|KiB|MiB) \/ 3\.00 MiB, ([\d.]+ (B|KiB|MiB)|--( B)?)\/s, ETA \S+ \[[#-]+\]/);
    assert.match(tty.out, /tty\.bin +[\d.]+ (B|KiB|MiB) \/ 3\.00 MiB \[[#-]+\]/, 'a per-file bar');
    assert.match(tty.out, /\x1b\[\d+A\x1b\[0J/, 'bars are redrawn in place');
    assert.match(tty.out, /uploaded .*tty\.bin \(3\.00 MiB\)\r\n$/, 'the result line is not erased by the bars');
    assertNoSecrets(tty.out, fx.secrets, 'terminal output');
    const piped = await fx.run(['put', join(fx.dir, 'blob.bin'), `b2://${B}/pipe.bin`]);
    expectCode(piped, 0);
    assert.ok(!piped.stderr.includes('Total'), piped.stderr);
    const quiet = await onTerminal(['--quiet', 'put', join(fx.dir, 'blob.bin'), `b2://${B}/quiet.bin`]);
    assert.equal(quiet.code, 0);
    assert.ok(!quiet.out.includes('Total'), '--quiet: no bars');
    assert.ok(!quiet.out.includes('uploaded'), '--quiet: no result lines');
  } finally {
    fx.emu.controls.setLatency(0);
  }
});

test('rmdir --recursive asks on a terminal and deletes only after "y"', async (t) => {
  if (!hasScript()) return t.skip('util-linux `script` is not installed, so no pseudo-terminal');
  await fx.run(['put', '-', `b2://${B}/dir/one.txt`], { input: '1' });
  const no = await onTerminal(['rmdir', '--recursive', `b2://${B}/dir`], [[/\[y\/N\] $/, 'n\r']]);
  assert.equal(no.code, 2, no.out);
  assert.match(no.out, /Delete all 1 versions of 1 files under b2:\/\/cli-output-bucket\/dir\/\? \[y\/N\]/);
  expectCode(await fx.run(['cat', `b2://${B}/dir/one.txt`]), 0);
  const yes = await onTerminal(['rmdir', '--recursive', `b2://${B}/dir`], [[/\[y\/N\] $/, 'y\r']]);
  assert.equal(yes.code, 0, yes.out);
  expectCode(await fx.run(['ls', `b2://${B}/dir/`]), 3);
});

test('--quiet keeps listings but drops notices; --json output is one object per line', async () => {
  await fx.run(['put', '-', `b2://${B}/q.txt`], { input: 'q' });
  const q = await fx.run(['--quiet', 'share', '--expires', '9d', `b2://${B}/q.txt`]);
  expectCode(q, 0);
  assert.equal(q.stderr, '', 'no clamp notice with --quiet');
  assert.match(q.stdout, /Authorization=/);
  const l = await fx.run(['--quiet', 'ls', `b2://${B}/q.txt`]);
  assert.match(l.stdout, /q\.txt/);
  const j = await fx.run(['--json', 'ls', `b2://${B}`]);
  for (const line of j.stdout.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
});

test('get --version-id downloads that version; share of a prefix gives a token for the prefix', async () => {
  await fx.run(['put', '-', `b2://${B}/ver.txt`], { input: 'first' });
  await fx.run(['put', '-', `b2://${B}/ver.txt`], { input: 'second' });
  const v = await fx.json(['versions', `b2://${B}/ver.txt`]);
  const first = v.records.at(-1)!;
  const r = await fx.json([
    'get',
    '--version-id',
    String(first.fileId),
    `b2://${B}/ver.txt`,
    join(fx.dir, 'first.txt'),
  ]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  const { readFile } = await import('node:fs/promises');
  assert.equal(await readFile(join(fx.dir, 'first.txt'), 'utf8'), 'first');
  expectCode(await fx.run(['get', '--version-id', 'not-a-file-id', `b2://${B}/ver.txt`, fx.dir]), 3);
  await fx.run(['put', '-', `b2://${B}/shared/a.txt`], { input: 'in prefix' });
  const s = await fx.json(['share', `b2://${B}/shared/`]);
  assert.equal(s.records[0].prefix, true);
  const token = String(s.records[0].token);
  const res = await fetch(`${fx.emu.url}/file/${B}/shared/a.txt?Authorization=${encodeURIComponent(token)}`);
  assert.equal(await res.text(), 'in prefix');
  const outside = await fetch(`${fx.emu.url}/file/${B}/ver.txt?Authorization=${encodeURIComponent(token)}`);
  assert.notEqual(outside.status, 200, 'the prefix token does not open other names');
});
