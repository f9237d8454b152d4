/** End-to-end: profiles (add/list/show/remove), key storage (file fallback 0600, real keyring), interactive config. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoSecrets, BIN, expectCode, makeFixture, ROOT, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-config-bucket';

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  await fx.run(['put', '-', `b2://${B}/x.txt`], { input: 'x' });
});
after(() => fx.close());

test('config add takes the key from stdin, checks it once, and stores it in the 0600 config file when no keyring is available', async () => {
  const r = await fx.json(['config', 'add', 'emu', '--key-id', fx.emu.keyId], {
    input: `${fx.emu.applicationKey}\n`,
    env: { B2_APPLICATION_KEY: undefined },
  });
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  assert.match(r.stderr, /keyring is disabled .*: the key is stored in .*config\.json \(mode 0600\)/);
  const check = r.records.find((x) => x.type === 'key-check')!;
  assert.ok(Array.isArray(check.capabilities) && (check.capabilities as string[]).includes('listBuckets'));
  assert.ok((check.buckets as string[]).includes(B));
  const prof = r.records.find((x) => x.type === 'profile')!;
  assert.deepEqual([prof.name, prof.keyStore, prof.default, prof.endpoint], ['emu', 'file', true, fx.emu.url]);
  const file = join(fx.configDir, 'config.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const cfg = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(cfg.defaultProfile, 'emu');
  assert.equal(cfg.profiles.emu.endpoint, fx.emu.url, 'the profile carries the endpoint');
});

test('config add with the key in B2_APPLICATION_KEY; a refused key stores nothing (exit 2)', async () => {
  const ok = await fx.run(['config', 'add', 'second', '--key-id', fx.emu.keyId, '--no-check']);
  expectCode(ok, 0);
  const bad = await fx.run(['config', 'add', 'broken', '--key-id', fx.emu.keyId], {
    env: { B2_APPLICATION_KEY: 'not-the-right-key' },
  });
  expectCode(bad, 2);
  assert.match(bad.stderr, /the key was refused .*check the key id and key/);
  const empty = await fx.run(['config', 'add', 'empty', '--key-id', fx.emu.keyId], {
    env: { B2_APPLICATION_KEY: undefined },
    input: '',
  });
  expectCode(empty, 2);
  assert.match(empty.stderr, /application key is empty/);
  const list = await fx.json(['config', 'list']);
  assert.deepEqual(
    list.records.map((x) => [x.name, x.default]),
    [
      ['emu', true],
      ['second', false],
    ],
  );
});

test('config show masks the key; config list is human-readable', async () => {
  const r = await fx.run(['config', 'show', 'emu']);
  expectCode(r, 0);
  assert.match(r.stdout, /key id: {3}\S+/);
  const k = fx.emu.applicationKey;
  assert.ok(r.stdout.includes(`key:      ${k.slice(0, 4)}`), r.stdout);
  const j = await fx.json(['config', 'show', 'emu']);
  assert.match(String(j.records[0].key), /^.{4}\*+.{4}$/);
  assert.match((await fx.run(['config', 'list'])).stdout, /^\* emu /m);
  expectCode(await fx.run(['config', 'show', 'ghost']), 3);
});

test('profiles are used by PROFILE:bucket paths, by --profile, and as the default when the environment has no key', async () => {
  const noEnv = { noCredentials: true, env: { B2SYNC_ENDPOINT: undefined } };
  const a = await fx.run(['ls', `emu:${B}`], noEnv);
  expectCode(a, 0);
  assert.match(a.stdout, /x\.txt/);
  expectCode(await fx.run(['--profile', 'second', 'ls', `b2://${B}`], noEnv), 0);
  expectCode(await fx.run(['ls', `b2://${B}`], noEnv), 0); // default profile
  // a named profile beats the environment: a broken env key is not used
  expectCode(await fx.run(['ls', `emu:${B}`], { env: { B2_APPLICATION_KEY: 'broken-env-key' } }), 0);
  // --endpoint overrides the profile's endpoint
  const wrong = await fx.run(['--retries', '0', '--endpoint', 'http://127.0.0.1:9', 'ls', `emu:${B}`], noEnv);
  expectCode(wrong, 1);
});

test('config remove deletes the profile; the next one becomes the default', async () => {
  const r = await fx.json(['config', 'remove', 'emu']);
  assert.equal(r.records[0].newDefault, 'second');
  expectCode(await fx.run(['ls', `emu:${B}`], { noCredentials: true }), 3);
  expectCode(await fx.run(['config', 'remove', 'emu']), 3);
  const text = await readFile(join(fx.configDir, 'config.json'), 'utf8');
  assert.ok(!text.includes('"emu"'));
});

test('interactive config with scripted stdin asks name, key id and key, checks the key, and saves the profile', async () => {
  const input = `scripted\n${fx.emu.keyId}\n${fx.emu.applicationKey}\n`;
  const r = await fx.run(['config'], { input, env: { B2_APPLICATION_KEY: undefined } });
  expectCode(r, 0);
  assert.match(r.stderr, /Profile name \[default\]: Application key id: Application key \(not shown\): /);
  assert.match(r.stdout, /key works: account \S+\n {2}capabilities: .*listBuckets/);
  assert.match(r.stdout, /buckets: all \(.*cli-config-bucket/);
  assert.match(r.stdout, /saved profile "scripted"/);
  expectCode(await fx.run(['ls', `scripted:${B}`], { noCredentials: true }), 0);
  const bad = await fx.run(['config'], { input: 'x y\n' });
  expectCode(bad, 2);
  assert.match(bad.stderr, /bad profile name/);
});

function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

test('interactive config on a terminal (pty via script) does not echo the key', async (t) => {
  if (!hasScript()) return t.skip('util-linux `script` is not installed, so no pseudo-terminal');
  const env = { ...fx.env, B2_APPLICATION_KEY: '', B2_APPLICATION_KEY_ID: '' } as NodeJS.ProcessEnv;
  delete env.B2_APPLICATION_KEY;
  delete env.B2_APPLICATION_KEY_ID;
  const child = spawn('script', ['-qec', `${process.execPath} ${BIN} config --no-check`, '/dev/null'], {
    env,
    cwd: ROOT,
  });
  let out = '';
  const answers: [RegExp, string][] = [
    [/Profile name \[default\]: $/, 'ptyprof\r'],
    [/Application key id: $/, `${fx.emu.keyId}\r`],
    [/Application key \(not shown\): $/, `${fx.emu.applicationKey}\r`],
  ];
  const done = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    const next = answers[0];
    if (next && next[0].test(out)) {
      answers.shift();
      child.stdin.write(next[1]);
    }
  });
  const timer = setTimeout(() => child.kill(), 15_000);
  const code = await done;
  clearTimeout(timer);
  assert.equal(code, 0, out);
  assert.match(out, /saved profile "ptyprof"/);
  assert.ok(out.includes(fx.emu.keyId), 'the key id is echoed as typed');
  assertNoSecrets(out, [fx.emu.applicationKey], 'the terminal');
});

function keyringUnavailable(): string | undefined {
  try {
    createRequire(import.meta.url)('keytar');
  } catch (err) {
    return `keytar cannot load (${(err as Error).message.split('\n')[0]}); install libsecret-1-dev and build tools, then npm install`;
  }
  for (const bin of ['dbus-run-session', 'gnome-keyring-daemon']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0)
      return `${bin} is not installed (apt-get install gnome-keyring dbus)`;
  }
  return undefined;
}

test('the key is stored in, read from and deleted from a real Secret Service (gnome-keyring)', async (t) => {
  const why = keyringUnavailable();
  if (why) return t.skip(why);
  const home = join(fx.dir, 'keyring-home');
  const keyFile = join(fx.dir, 'key.txt');
  await writeFile(keyFile, fx.emu.applicationKey);
  const cfg = join(fx.dir, 'keyring-config');
  const b2 = `"${process.execPath}" "${BIN}" --config-dir "${cfg}"`;
  const probe = `"${process.execPath}" -e "require('keytar').getPassword('b2sync','profile:kr').then(v=>console.log('KEYRING=' + (v===null?'none':v.length)))"`;
  const script = [
    'set -u',
    `mkdir -p "${home}"`,
    'echo -n b2sync-test | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null 2>&1',
    `${b2} config add kr --key-id "${fx.emu.keyId}" --no-check < "${keyFile}"; echo "ADD=$?"`,
    `${probe}`,
    `${b2} ls "kr:${B}"; echo "LS=$?"`,
    `${b2} config show kr; echo "SHOW=$?"`,
    `${b2} config remove kr; echo "REMOVE=$?"`,
    `${probe}`,
  ].join('\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local/share'),
    B2SYNC_ENDPOINT: fx.emu.url,
    NODE_PATH: join(ROOT, 'node_modules'),
    NO_COLOR: '1',
  };
  // async: the emulator runs in this process and must keep answering
  const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    // its own process group, so a timeout ends the bus and the keyring daemon too
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', script], { env, cwd: ROOT, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, 30_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/Failed to connect|Could not connect|dbus-daemon.*not found/i.test(out) && !/ADD=/.test(out))
    return t.skip(`no session bus: ${out.slice(0, 200)}`);
  assert.match(r.stdout, /ADD=0/, out);
  assert.match(r.stdout, /saved profile "kr" \(key in the OS keyring\)/, out);
  assert.match(r.stdout, new RegExp(`KEYRING=${fx.emu.applicationKey.length}\\n`), out);
  assert.match(r.stdout, /x\.txt\nLS=0/, out);
  assert.match(r.stdout, /stored: {3}OS keyring/, out);
  assert.match(r.stdout, /REMOVE=0/, out);
  assert.match(r.stdout, /KEYRING=none\n?$/, out);
  const cfgText = await readFile(join(cfg, 'config.json'), 'utf8');
  assert.ok(!cfgText.includes(fx.emu.applicationKey), 'the key is not in the config file');
  assertNoSecrets(out, [fx.emu.applicationKey], 'keyring run output');
});
