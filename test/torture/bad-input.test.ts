/**
 * Torture: wrong invocations, as a new user types them. Each gives exactly one clear line on stderr
 * (`b2sync: ...`, no stack trace, no JS error dump), the documented exit code (docs/commands.md: 2 usage,
 * 3 not found, 1 runtime), and changes nothing, on B2 or on disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from '../cli/harness.js';
import { report } from './report.js';
import { sha1 } from './lib-b/local.js';

const B = 'torture-bad-input';
let fx: Fixture;
let work: string;

before(async () => {
  fx = await makeFixture();
  work = join(fx.dir, 'work');
  await mkdir(join(work, 'dir', 'sub'), { recursive: true });
  await mkdir(join(work, 'existing-dir'));
  await writeFile(join(work, 'a-file'), 'a file\n');
  await writeFile(join(work, 'dir', 'x.txt'), 'x\n');
  await writeFile(join(work, 'dir', 'sub', 'y.txt'), 'y\n');
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  expectCode(await fx.run(['put', join(work, 'a-file'), `b2://${B}/f`]), 0);
  expectCode(await fx.run(['put', join(work, 'dir') + '/', `b2://${B}/p/`]), 0);
});
after(() => fx.close());

/** Every local file and folder under `dir` with its content's SHA-1. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of ((await readdir(dir, { recursive: true })) as string[]).sort()) {
    const data = await readFile(join(dir, n)).catch(() => undefined);
    out.push(`${n} ${data ? sha1(data) : 'dir'}`);
  }
  return out;
}

interface Case {
  what: string;
  args: () => string[];
  code: number;
  /** What the one line must say. */
  says: RegExp;
  env?: NodeJS.ProcessEnv;
}

const cases: Case[] = [
  {
    what: 'nonexistent bucket (ls)',
    args: () => ['ls', 'b2://no-such-bucket'],
    code: 3,
    says: /no-such-bucket.*not found/,
  },
  {
    what: 'nonexistent bucket (put)',
    args: () => ['put', join(work, 'a-file'), 'b2://no-such-bucket/x'],
    code: 3,
    says: /no-such-bucket.*not found/,
  },
  {
    what: 'b2:// with no bucket',
    args: () => ['put', join(work, 'a-file'), 'b2://'],
    code: 2,
    says: /names no bucket/,
  },
  { what: 'b2:///x', args: () => ['put', join(work, 'a-file'), 'b2:///x'], code: 2, says: /bad remote path/ },
  {
    what: 'an invalid bucket name',
    args: () => ['put', join(work, 'a-file'), 'b2://Bad_Bucket!/x'],
    code: 2,
    says: /Bad_Bucket!.*letters, digits/,
  },
  {
    what: 'PROFILE: with no such profile',
    args: () => ['ls', 'PROFILE:'],
    code: 3,
    says: /profile "PROFILE" not found/,
  },
  {
    what: 'a wrong application key',
    args: () => ['ls', `b2://${B}`],
    code: 1,
    says: /refused the application key/,
    env: { B2_APPLICATION_KEY: 'K001wrongwrongwrongwrongwrongwro' },
  },
  {
    what: 'a file where a folder is expected on the way (get)',
    args: () => ['get', `b2://${B}/f`, join(work, 'a-file', 'x')],
    code: 2,
    says: /a-file\/x: a file stands where a folder is needed/,
  },
  {
    what: 'a file where a folder is expected (get of a folder)',
    args: () => ['get', `b2://${B}/p/`, join(work, 'a-file')],
    code: 2,
    says: /a-file is a file; a folder is needed/,
  },
  {
    what: 'a file where a folder is expected (sync down)',
    args: () => ['sync', `b2://${B}/p`, join(work, 'a-file')],
    code: 2,
    says: /a-file is not a directory/,
  },
  {
    what: 'a file where a folder is expected (sync up)',
    args: () => ['sync', join(work, 'a-file'), `b2://${B}/p`],
    code: 2,
    says: /not a folder \(use put for one file\)/,
  },
  {
    what: 'a bad size',
    args: () => ['sync', join(work, 'dir'), `b2://${B}/d`, '--min-size', '12Q'],
    code: 2,
    says: /'12Q' is invalid.*expected a size/,
  },
  {
    what: 'a bad duration',
    args: () => ['sync', join(work, 'dir'), `b2://${B}/d`, '--max-age', '3x'],
    code: 2,
    says: /'3x' is invalid.*expected a duration/,
  },
  {
    what: 'an unknown option',
    args: () => ['ls', '--frobnicate', `b2://${B}`],
    code: 2,
    says: /unknown option '--frobnicate'/,
  },
  { what: 'an unknown command', args: () => ['lss', `b2://${B}`], code: 2, says: /unknown command 'lss'/ },
  { what: 'an empty local path (get)', args: () => ['get', `b2://${B}/f`, ''], code: 2, says: /empty local path/ },
  { what: 'an empty local path (put)', args: () => ['put', '', `b2://${B}/x`], code: 2, says: /empty local path/ },
  {
    what: 'a missing file (get)',
    args: () => ['get', `b2://${B}/nope`, join(work, 'out')],
    code: 3,
    says: /nope: no such file/,
  },
  {
    what: 'a part size below B2 minimum',
    args: () => ['put', join(work, 'a-file'), `b2://${B}/x`, '--part-size', '1k'],
    code: 2,
    says: /--part-size must be from/,
  },
];

test(
  'each wrong invocation: one clear line, the documented exit code, nothing changed',
  { timeout: 180_000 },
  async () => {
    const t0 = Date.now();
    const bucketBefore = (await fx.run(['ls', '--versions', '-l', `b2://${B}`])).stdout;
    const localBefore = await snapshot(work);
    const wrongCwd = await snapshot(fx.dir).then((s) => s.length);
    const problems: string[] = [];
    let i = 0;
    // Four at a time: each is one process start.
    const worker = async () => {
      for (let c = cases[i++]; c; c = cases[i++]) {
        const r = await fx.run(c.args(), { env: c.env, cwd: work });
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
        const why: string[] = [];
        if (r.code !== c.code) why.push(`exit ${r.code}, expected ${c.code}`);
        if (lines.length !== 1) why.push(`${lines.length} lines on stderr`);
        else if (!/^b2sync: /.test(lines[0]!)) why.push('the line does not start with "b2sync: "');
        if (!c.says.test(r.stderr)) why.push(`does not say ${c.says}`);
        if (/^\s+at /m.test(r.stderr) || /^\w*Error\b.*:/m.test(r.stderr)) why.push('a stack trace or JS error dump');
        if (r.stdout.trim() !== '') why.push(`stdout: ${r.stdout.trim()}`);
        if (why.length) problems.push(`${c.what} (${c.args().join(' ')}): ${why.join('; ')}\n  stderr: ${r.stderr}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.equal((await fx.run(['ls', '--versions', '-l', `b2://${B}`])).stdout, bucketBefore, 'B2 unchanged');
    assert.deepEqual(await snapshot(work), localBefore, 'the local files unchanged');
    assert.equal((await snapshot(fx.dir)).length, wrongCwd, 'nothing written beside the working folder either');
    report('bad-input', { invocations: cases.length, wallMs: Date.now() - t0 });
  },
);
