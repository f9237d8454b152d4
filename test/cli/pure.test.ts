import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { choiceOption, durationOption, intOption, keyValue, sizeOption } from '../../src/cli/options.js';
import { supersededVersions } from '../../src/cli/actions/cleanup.js';
import { checkUploadSize } from '../../src/cli/actions/put.js';
import { addProfile, maskSecret, removeProfile } from '../../src/cli/config/profiles.js';
import { resolveCredentials } from '../../src/cli/config/credentials.js';
import { resolveConfigDir } from '../../src/cli/config/paths.js';
import { formatDuration } from '../../src/cli/output/format.js';
import { makeColors } from '../../src/cli/output/colors.js';
import { LimitError, NotFoundError, UsageError } from '../../src/core/errors.js';
import type { FileVersion } from '../../src/wire/types.js';

test('intOption accepts whole numbers in range and rejects the rest with InvalidArgumentError', () => {
  const p = intOption(1, 10);
  assert.equal(p('7'), 7);
  for (const bad of ['0', '11', '-1', '1.5', 'x', '']) assert.throws(() => p(bad), InvalidArgumentError, bad);
});

test('sizeOption and durationOption parse units and reject nonsense', () => {
  assert.equal(sizeOption('10M'), 10 * 1024 * 1024);
  assert.equal(sizeOption('1KB'), 1000);
  assert.throws(() => sizeOption('ten'), InvalidArgumentError);
  assert.equal(durationOption('1h30m'), 5_400_000);
  assert.equal(durationOption('90'), 90_000);
  assert.throws(() => durationOption('soon'), InvalidArgumentError);
});

test('keyValue collects KEY=VALUE pairs and choiceOption limits words', () => {
  assert.deepEqual(keyValue('b=2', keyValue('a=1', undefined)), { a: '1', b: '2' });
  assert.throws(() => keyValue('novalue', undefined), InvalidArgumentError);
  assert.equal(choiceOption(['x', 'y'] as const)('y'), 'y');
  assert.throws(() => choiceOption(['x'] as const)('z'), InvalidArgumentError);
});

test('checkUploadSize refuses files over 10 TB and part plans over 10,000 parts, naming the fix', () => {
  assert.throws(
    () => checkUploadSize('big.img', 10_000_000_000_001),
    (e: unknown) => e instanceof LimitError && /10 TB/.test(e.message),
  );
  assert.throws(
    () => checkUploadSize('x', 60e9, 5e6),
    (e: unknown) => e instanceof LimitError && /12000 parts.*10000.*--part-size 6MB/.test(e.message),
  );
  assert.doesNotThrow(() => checkUploadSize('x', 50e9, 5e6));
  assert.throws(() => checkUploadSize('x', 10, 1000), LimitError);
});

test('supersededVersions picks older versions superseded at least keepDays ago', () => {
  const day = 86_400_000;
  const now = 100 * day;
  const v = (fileName: string, t: number, action = 'upload'): FileVersion =>
    ({ fileName, uploadTimestamp: t, action, fileId: `${fileName}@${t}` }) as unknown as FileVersion;
  const list = [
    v('a', now - 1 * day),
    v('a', now - 5 * day),
    v('a', now - 40 * day),
    v('b', now - 50 * day, 'hide'),
    v('b', now - 60 * day),
    v('c', now),
  ];
  assert.deepEqual(
    supersededVersions(list, 0, now).map((f) => f.fileId),
    [`a@${now - 5 * day}`, `a@${now - 40 * day}`, `b@${now - 60 * day}`],
  );
  // a@-5d was superseded 1 day ago (kept with keepDays 3); a@-40d was superseded 5 days ago (deleted)
  assert.deepEqual(
    supersededVersions(list, 3, now).map((f) => f.fileId),
    [`a@${now - 40 * day}`, `b@${now - 60 * day}`],
  );
});

test('maskSecret keeps only the ends of a key', () => {
  const m = maskSecret('K001abcdefghijklmnopqrstuvwxyz');
  assert.ok(m.startsWith('K001') && m.endsWith('wxyz'));
  assert.ok(!m.includes('abcdefgh'));
  assert.equal(maskSecret('short'), '*****');
});

test('formatDuration shows days for long spans', () => {
  assert.equal(formatDuration(7 * 86_400), '7d');
  assert.equal(formatDuration(90), '1m30s');
});

test('colours: NO_COLOR wins, FORCE_COLOR forces, otherwise only a terminal', () => {
  assert.equal(makeColors({ FORCE_COLOR: '1', NO_COLOR: '1' }, true).level, 0);
  assert.equal(makeColors({ FORCE_COLOR: '1' }, false).level, 1);
  assert.equal(makeColors({}, false).level, 0);
  assert.equal(makeColors({}, true).level, 1);
  assert.equal(makeColors({ FORCE_COLOR: '1' }, false).red('x'), '\x1b[31mx\x1b[39m');
  assert.equal(makeColors({ FORCE_COLOR: '1' }, false).dim('x'), '\x1b[2mx\x1b[22m');
  assert.equal(makeColors({ NO_COLOR: '1' }, true).yellow('x'), 'x');
});

test('config dir: flag, then B2SYNC_CONFIG_DIR, then XDG_CONFIG_HOME/b2sync, then ~/.config/b2sync', () => {
  assert.equal(resolveConfigDir('/a', { B2SYNC_CONFIG_DIR: '/b' }), '/a');
  assert.equal(resolveConfigDir(undefined, { B2SYNC_CONFIG_DIR: '/b', XDG_CONFIG_HOME: '/x' }), '/b');
  assert.equal(resolveConfigDir(undefined, { XDG_CONFIG_HOME: '/x' }), '/x/b2sync');
  assert.match(resolveConfigDir(undefined, {}), /\.config\/b2sync$/);
});

test('credentials: a named profile beats the environment, which beats the default profile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-cred-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = { B2SYNC_KEYRING: 'off' };
  await addProfile(dir, { name: 'home', keyId: 'idHome', key: 'keyHome123', endpoint: 'http://127.0.0.1:9' }, env);
  await addProfile(dir, { name: 'work', keyId: 'idWork', key: 'keyWork123' }, env);
  const withEnv = { ...env, B2_APPLICATION_KEY_ID: 'idEnv', B2_APPLICATION_KEY: 'keyEnv123' };
  assert.equal((await resolveCredentials({ profile: 'work', env: withEnv, configDir: dir })).keyId, 'idWork');
  assert.equal((await resolveCredentials({ env: withEnv, configDir: dir })).keyId, 'idEnv');
  const def = await resolveCredentials({ env, configDir: dir });
  assert.equal(def.keyId, 'idHome'); // the first profile added became the default
  assert.equal(def.endpoint, 'http://127.0.0.1:9');
  // --endpoint / B2SYNC_ENDPOINT override the profile's endpoint
  assert.equal(
    (await resolveCredentials({ env: { ...env, B2SYNC_ENDPOINT: 'http://127.0.0.1:7' }, configDir: dir })).endpoint,
    'http://127.0.0.1:7',
  );
  assert.equal(
    (await resolveCredentials({ endpointFlag: 'http://127.0.0.1:8', env, configDir: dir })).endpoint,
    'http://127.0.0.1:8',
  );
  await assert.rejects(
    resolveCredentials({ profile: 'nope', env, configDir: dir }),
    (e: unknown) => e instanceof NotFoundError && /profile "nope" not found/.test(e.message),
  );
  await assert.rejects(
    resolveCredentials({ env: { ...env, B2_APPLICATION_KEY_ID: '', B2_APPLICATION_KEY: 'k' }, configDir: dir }),
    (e: unknown) => e instanceof UsageError && /B2_APPLICATION_KEY_ID is empty/.test(e.message),
  );
  await assert.rejects(
    resolveCredentials({ env: { ...env, B2_APPLICATION_KEY_ID: 'id', B2_APPLICATION_KEY: ' ' }, configDir: dir }),
    (e: unknown) => e instanceof UsageError && /B2_APPLICATION_KEY is empty/.test(e.message),
  );
  const r = await removeProfile(dir, 'home', env);
  assert.equal(r.newDefault, 'work');
});

test('without a keyring the key goes to the config file with mode 0600 and a notice', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-cfg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const res = await addProfile(
    join(dir, 'cfg'),
    { name: 'p1', keyId: 'id1', key: 'secretkey1' },
    { B2SYNC_KEYRING: 'off' },
  );
  assert.equal(res.keyStore, 'file');
  assert.match(res.notice ?? '', /B2SYNC_KEYRING=off.*0600/);
  const st = await stat(res.configPath);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, 'cfg'))).mode & 0o777, 0o700);
  assert.match(await readFile(res.configPath, 'utf8'), /secretkey1/);
});

test('empty key ids and keys are refused with what to do', async () => {
  await assert.rejects(
    addProfile('/nonexistent-never-written', { name: 'p1', keyId: '', key: 'k' }, {}),
    (e: unknown) => e instanceof UsageError && /key id is empty/.test(e.message),
  );
  await assert.rejects(
    addProfile('/nonexistent-never-written', { name: 'p1', keyId: 'id', key: '' }, {}),
    (e: unknown) => e instanceof UsageError && /key is empty/.test(e.message),
  );
});
