/** `b2sync emulator` as a subprocess: the one stdout line, options, clean stop on signals, exit code 2 on bad values. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizeRaw, makeBucket, ok, session } from './spec-helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ENTRY = `import { main } from './src/cli/main.ts'; main(['node', 'b2sync', ...process.argv.slice(1)]).then((c) => { process.exitCode = c; });`;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function b2sync(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Wait for the first stdout line. */
async function firstLine(run: Run): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (!run.stdout().includes('\n')) {
    if (Date.now() > deadline || run.child.exitCode !== null)
      throw new Error(`no line on stdout; stderr: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return run.stdout().split('\n')[0];
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('b2sync emulator (CLI)', () => {
  it('--json prints exactly one JSON line; the endpoint serves B2; SIGTERM stops it with exit 0', async () => {
    const run = b2sync([
      'emulator',
      '--port',
      '0',
      '--json',
      '--key-id',
      'cli-key',
      '--key',
      'cli-secret',
      '--min-part-size',
      '5',
      '--token-ttl',
      '60',
    ]);
    const info = JSON.parse(await firstLine(run));
    assert.deepEqual(Object.keys(info).sort(), ['applicationKey', 'endpoint', 'keyId']);
    assert.equal(info.keyId, 'cli-key');
    assert.equal(info.applicationKey, 'cli-secret');
    assert.match(info.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = await authorizeRaw(info.endpoint, 'cli-key', 'cli-secret');
    assert.equal(auth.status, 200);
    assert.equal(auth.body.accountId, 'cli-key', 'the master key id is the account id');
    assert.equal(auth.body.apiInfo.storageApi.absoluteMinimumPartSize, 5);
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0);
    assert.equal(run.stdout(), JSON.stringify(info) + '\n', 'nothing else on stdout');
  });

  it('the human line names the url, key id and key; SIGINT stops it with exit 0', async () => {
    const run = b2sync(['emulator', '--port', '0']);
    const line = await firstLine(run);
    const m = /^B2 emulator listening on (http:\/\/127\.0\.0\.1:\d+) keyId=(\S+) applicationKey=(\S+)$/.exec(line);
    assert.ok(m, line);
    assert.equal((await authorizeRaw(m[1], m[2], m[3])).status, 200);
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0);
  });

  it('--data keeps buckets and the generated master key across runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b2sync-cli-data-'));
    dirs.push(dir);
    const first = b2sync(['emulator', '--port', '0', '--json', '--data', dir]);
    const a = JSON.parse(await firstLine(first));
    const s = await session({ url: a.endpoint }, a.keyId, a.applicationKey);
    const bucket = await makeBucket(s);
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0);

    const second = b2sync(['emulator', '--port', '0', '--json', '--data', dir]);
    const b = JSON.parse(await firstLine(second));
    assert.equal(b.keyId, a.keyId);
    assert.equal(b.applicationKey, a.applicationKey);
    const s2 = await session({ url: b.endpoint }, b.keyId, b.applicationKey);
    const names = (await ok(s2, 'b2_list_buckets', { accountId: s2.accountId })).buckets.map((x: any) => x.bucketName);
    assert.deepEqual(names, [bucket.bucketName]);
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0);
  });

  for (const args of [
    ['--port', 'abc'],
    ['--port', '70000'],
    ['--latency', '-5'],
    ['--token-ttl', '0'],
    ['--min-part-size', 'lots'],
    ['--key-id', 'only-the-id'],
    ['--key-id', 'not:an-account-id', '--key', 'secret'],
  ]) {
    it(`rejects ${args.join(' ')} with exit code 2 and a message`, { timeout: 20_000 }, async () => {
      const run = b2sync(['emulator', ...args]);
      assert.equal(await run.exit, 2);
      assert.equal(run.stdout(), '');
      assert.ok(run.stderr().trim().length > 0, 'explains on stderr');
    });
  }
});
