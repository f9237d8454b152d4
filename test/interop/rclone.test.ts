/**
 * Interop: the real rclone binary (Debian's rclone 1.60, B2 API v1) against the emulator over loopback.
 * Each test starts its own emulator in-process on port 0 (the last one runs `b2sync emulator` as users
 * do) and drives rclone as a child process with a throwaway configuration (bench/lib/rclone.ts); what
 * rclone leaves behind is checked through the emulator's own B2 API (bench/lib/b2-raw.ts) and its call
 * counters. Where rclone cannot be run every test reports itself skipped with the reason
 * ($B2SYNC_RCLONE_BIN picks another rclone binary).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it, type TestContext } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/api.js';
import {
  describeRun,
  RCLONE_BIN,
  rcloneVersion,
  runRclone,
  type RcloneResult,
  type RcloneRunOptions,
} from '../../bench/lib/rclone.js';
import { RawB2, type RawFile } from '../../bench/lib/b2-raw.js';

const RCLONE = rcloneVersion();
const SKIP_REASON = `rclone cannot be run here (\`${RCLONE_BIN} version\` failed); install the Debian package rclone to run the interop tests`;

/** Flags on every run: fail fast, and let only rclone's low-level retries (not whole-command retries) recover. */
const BASE_FLAGS = ['--retries', '1', '--low-level-retries', '10', '--contimeout', '5s', '--timeout', '20s', '-vv'];
/** Chunked-upload settings: rclone's minimum chunk is 5 MiB (5 242 880 bytes), above the emulator's 5 000 000 minimum part. */
const CHUNKED = ['--b2-upload-cutoff', '5M', '--b2-chunk-size', '5M'];
const MiB = 1024 * 1024;

const scratch = mkdtempSync(join(tmpdir(), 'b2sync-rclone-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

interface Ctx {
  emu: RunningEmulator;
  raw: RawB2;
  /** rclone with BASE_FLAGS (flags in `args` override them); asserts exit 0 unless expectFail. */
  rc(args: string[], opts?: RcloneRunOptions & { expectFail?: boolean }): Promise<RcloneResult>;
  rcBytes(args: string[]): Promise<Buffer>;
  /** rclone with BASE_FLAGS and other credentials; no assertion on the exit code. */
  rcAs(keyId: string, applicationKey: string, args: string[]): Promise<RcloneResult>;
  calls(name: string): number;
}

/** Run `fn` with a fresh emulator and rclone pointed at it; skips the test when rclone is missing. */
async function withRclone(t: TestContext, fn: (c: Ctx) => Promise<void>, options: EmulatorOptions = {}): Promise<void> {
  if (!RCLONE) {
    t.skip(SKIP_REASON);
    return;
  }
  const emu = await startEmulator({ port: 0, ...options });
  const target = { endpoint: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey };
  try {
    const raw = await RawB2.authorize(emu.url, emu.keyId, emu.applicationKey);
    const c: Ctx = {
      emu,
      raw,
      async rc(args, o = {}) {
        const r = await runRclone(target, [...BASE_FLAGS, ...args], o);
        if (o.expectFail) assert.notEqual(r.code, 0, `expected failure:\n${describeRun(r)}`);
        else assert.equal(r.code, 0, describeRun(r));
        return r;
      },
      async rcBytes(args) {
        const r = await runRclone(target, [...BASE_FLAGS, ...args], { binaryStdout: true });
        assert.equal(r.code, 0, describeRun(r));
        return r.stdoutBytes;
      },
      rcAs: (keyId, applicationKey, args) => runRclone({ ...target, keyId, applicationKey }, [...BASE_FLAGS, ...args]),
      calls: (name) => emu.controls.counters().calls[name] ?? 0,
    };
    await fn(c);
  } finally {
    await emu.close();
  }
}

/** Awkward but legal names: spaces, %, +, unicode (NFC), nested folders, an empty file. */
const TREE: Record<string, Buffer> = {
  'plain.txt': Buffer.from('plain\n'),
  'with space.txt': Buffer.from('a name with a space\n'),
  'percent 100%.txt': Buffer.from('percent\n'),
  'plus+sign.txt': Buffer.from('plus\n'),
  'a%2Fb literal.txt': Buffer.from('looks percent-encoded but is not\n'),
  'empty.txt': Buffer.alloc(0),
  'ünïcødé/日本語 ☃.txt': Buffer.from('unicode\n'),
  'dir/sub/deep.bin': randomBytes(100_000),
  "dir/it's (1) & [2] #3 =;@!.txt": Buffer.from('punctuation\n'),
};

let treeSeq = 0;
/** Write TREE (plus `extra`) under a fresh local dir; returns its path. */
function makeTree(extra: Record<string, Buffer> = {}): string {
  const root = join(scratch, `tree-${++treeSeq}`);
  for (const [name, data] of Object.entries({ ...TREE, ...extra })) {
    const p = join(root, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  return root;
}

/** A random file alone in a fresh dir (so `rclone check <dir> <remote>` compares just it). */
function makeFile(name: string, size: number): { dir: string; path: string; data: Buffer } {
  const dir = join(scratch, `file-${++treeSeq}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const data = randomBytes(size);
  writeFileSync(path, data);
  return { dir, path, data };
}

function names(files: RawFile[]): string[] {
  return files.map((f) => f.fileName).sort();
}

function lines(s: string): string[] {
  return s
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

function withPrefix(prefix: string, tree: Record<string, Buffer>): string[] {
  return Object.keys(tree)
    .map((n) => prefix + n)
    .sort();
}

/** `rclone check` must exit 0 and say so. */
function assertNoDifferences(r: RcloneResult): void {
  assert.match(r.stderr, /\b0 differences found/, describeRun(r));
  assert.doesNotMatch(r.stderr, /ERROR/, describeRun(r));
}

describe(`rclone interop (${RCLONE ?? 'rclone missing'})`, () => {
  it('mkdir creates a bucket that rclone lsd and the emulator both list', async (t) => {
    await withRclone(t, async ({ rc, raw, calls }) => {
      await rc(['mkdir', 'emu:interop-mkdir']);
      assert.equal(calls('b2_create_bucket'), 1);
      assert.deepEqual(await raw.bucketNames(), ['interop-mkdir']);
      const lsd = await rc(['lsd', 'emu:']);
      assert.match(lsd.stdout, /\sinterop-mkdir\n/);
      // mkdir of an existing bucket is not an error (rclone handles duplicate_bucket_name)
      await rc(['mkdir', 'emu:interop-mkdir']);
      assert.deepEqual(await raw.bucketNames(), ['interop-mkdir']);
    });
  });

  it('copy uploads a tree with spaces, %, +, unicode and punctuation in names; names, bytes and mtimes survive; check finds 0 differences', async (t) => {
    await withRclone(t, async ({ rc, rcBytes, raw, calls }) => {
      const local = makeTree();
      await rc(['mkdir', 'emu:interop-tree']);
      await rc(['copy', local, 'emu:interop-tree/t']);
      assert.equal(calls('b2_upload_file'), Object.keys(TREE).length, 'one simple upload per file');

      // The emulator's own listing has exactly the names we wrote, decoded (no %xx or + left over).
      const listed = await raw.fileNames('interop-tree');
      assert.deepEqual(names(listed), withPrefix('t/', TREE));
      for (const f of listed) {
        const name = f.fileName.slice(2);
        assert.equal(f.contentSha1, sha1(TREE[name]), `stored SHA-1 of ${name}`);
        assert.equal(f.contentLength, TREE[name].length, `stored length of ${name}`);
        const mtime = Math.floor(statSync(join(local, name)).mtimeMs);
        assert.equal(f.fileInfo.src_last_modified_millis, String(mtime), `src_last_modified_millis of ${name}`);
      }

      const lsf = await rc(['lsf', '-R', '--files-only', 'emu:interop-tree/t']);
      assert.deepEqual(lines(lsf.stdout), Object.keys(TREE).sort());
      // sizes + SHA-1 via listings, then the bytes themselves via downloads
      assertNoDifferences(await rc(['check', local, 'emu:interop-tree/t']));
      assertNoDifferences(await rc(['check', '--download', local, 'emu:interop-tree/t']));
      // rclone reads mtimes back from src_last_modified_millis: a second copy transfers nothing
      const before = calls('b2_upload_file');
      await rc(['copy', local, 'emu:interop-tree/t']);
      assert.equal(calls('b2_upload_file'), before, 'nothing re-uploaded');

      // cat of awkward names (download by name with encoded path)
      for (const name of ['ünïcødé/日本語 ☃.txt', 'percent 100%.txt', 'plus+sign.txt', 'a%2Fb literal.txt']) {
        assert.deepEqual(await rcBytes(['cat', `emu:interop-tree/t/${name}`]), TREE[name], `cat ${name}`);
      }
    });
  });

  it('a file above --b2-upload-cutoff takes the large-file path (start, 3 parts, finish); cat returns the same bytes, whole and by range', async (t) => {
    await withRclone(t, async ({ rc, rcBytes, raw, calls }) => {
      const big = makeFile('big.bin', 12 * MiB);
      await rc(['mkdir', 'emu:interop-large']);
      await rc(['copy', big.dir, 'emu:interop-large', ...CHUNKED]);
      assert.equal(calls('b2_start_large_file'), 1);
      assert.equal(calls('b2_upload_part'), 3, '12 MiB in 5 MiB chunks');
      assert.equal(calls('b2_finish_large_file'), 1);
      assert.equal(calls('b2_upload_file'), 0);

      const listed = await raw.fileNames('interop-large');
      assert.deepEqual(names(listed), ['big.bin']);
      assert.equal(listed[0].contentLength, big.data.length);
      assert.equal(
        listed[0].fileInfo.large_file_sha1,
        sha1(big.data),
        'rclone sends large_file_sha1; the emulator keeps it',
      );
      assert.deepEqual(await raw.unfinishedLargeFiles('interop-large'), []);

      const back = await rcBytes(['cat', 'emu:interop-large/big.bin']);
      assert.equal(back.length, big.data.length);
      assert.equal(sha1(back), sha1(big.data));
      const from = 5 * MiB - 100;
      const slice = await rcBytes(['cat', '--offset', String(from), '--count', '1000', 'emu:interop-large/big.bin']);
      assert.deepEqual(slice, big.data.subarray(from, from + 1000));
      const tail = await rcBytes(['cat', '--tail', '10', 'emu:interop-large/big.bin']);
      assert.deepEqual(tail, big.data.subarray(big.data.length - 10));
      // SHA-1 from large_file_sha1, then the bytes
      assertNoDifferences(await rc(['check', big.dir, 'emu:interop-large']));
      assertNoDifferences(await rc(['check', '--download', big.dir, 'emu:interop-large']));
    });
  });

  it('sync with a deletion hides the removed file: lsf and the emulator no longer list it, --b2-versions lists the old versions', async (t) => {
    await withRclone(t, async ({ rc, rcBytes, raw, calls }) => {
      const local = makeTree();
      await rc(['mkdir', 'emu:interop-sync']);
      await rc(['sync', local, 'emu:interop-sync']);
      unlinkSync(join(local, 'with space.txt'));
      const changed = Buffer.from('plain, changed and longer\n');
      writeFileSync(join(local, 'plain.txt'), changed);
      const hidesBefore = calls('b2_hide_file');
      await rc(['sync', local, 'emu:interop-sync']);
      assert.equal(calls('b2_hide_file') - hidesBefore, 1, 'the deletion is a hide marker');

      const current = Object.keys(TREE)
        .filter((n) => n !== 'with space.txt')
        .sort();
      assert.deepEqual(lines((await rc(['lsf', '-R', '--files-only', 'emu:interop-sync'])).stdout), current);
      assert.deepEqual(names(await raw.fileNames('interop-sync')), current);
      const versions = await raw.fileVersions('interop-sync');
      const actions = (n: string) => versions.filter((v) => v.fileName === n).map((v) => v.action);
      assert.deepEqual(actions('with space.txt'), ['hide', 'upload'], 'newest first: hide marker, then the old upload');
      assert.deepEqual(actions('plain.txt'), ['upload', 'upload']);
      assert.deepEqual(actions('empty.txt'), ['upload']);

      // --b2-versions: current files plus "<stem>-vYYYY-MM-DD-HHMMSS-mmm<ext>" for each older version
      const all = lines((await rc(['lsf', '-R', '--files-only', '--b2-versions', 'emu:interop-sync'])).stdout);
      const isVersion = (n: string) => /-v\d{4}-\d{2}-\d{2}-\d{6}-\d{3}(\.|$)/.test(n);
      assert.deepEqual(
        all.filter((n) => !isVersion(n)),
        current,
      );
      const old = all.filter(isVersion);
      assert.equal(old.length, 2, `old versions listed: ${old.join(', ')}`);
      const oldPlain = old.find((n) => n.startsWith('plain-v'));
      assert.ok(oldPlain, 'old version of plain.txt listed');
      assert.ok(
        old.some((n) => n.startsWith('with space-v')),
        'old version of the deleted file listed',
      );
      // an old version reads back its own bytes; the current one the new bytes
      assert.deepEqual(await rcBytes(['cat', '--b2-versions', `emu:interop-sync/${oldPlain}`]), TREE['plain.txt']);
      assert.deepEqual(await rcBytes(['cat', 'emu:interop-sync/plain.txt']), changed);
      assertNoDifferences(await rc(['check', local, 'emu:interop-sync']));
    });
  });

  it('moveto renames a small file with b2_copy_file and a large one with b2_copy_part above --b2-copy-cutoff, hiding the sources', async (t) => {
    await withRclone(t, async ({ emu, rc, rcBytes, raw, calls }) => {
      const small = makeFile('small name+%.txt', 1000);
      const big = makeFile('big.bin', 11 * MiB);
      await rc(['mkdir', 'emu:interop-move']);
      await rc(['copy', small.dir, 'emu:interop-move/src']);
      await rc(['copy', big.dir, 'emu:interop-move/src', ...CHUNKED]);

      emu.controls.resetCounters();
      await rc(['moveto', 'emu:interop-move/src/small name+%.txt', 'emu:interop-move/dst/renamed ü.txt']);
      assert.equal(calls('b2_copy_file'), 1, 'server-side copy');
      assert.equal(calls('b2_upload_file'), 0, 'no bytes re-uploaded');

      emu.controls.resetCounters();
      await rc([
        'moveto',
        'emu:interop-move/src/big.bin',
        'emu:interop-move/dst/big moved.bin',
        '--b2-copy-cutoff',
        '5M',
      ]);
      assert.equal(calls('b2_start_large_file'), 1);
      assert.equal(calls('b2_copy_part'), 3, '11 MiB copied in 5 MiB parts');
      assert.equal(calls('b2_finish_large_file'), 1);
      assert.equal(calls('b2_upload_part'), 0, 'no bytes re-uploaded');

      assert.deepEqual(names(await raw.fileNames('interop-move')), ['dst/big moved.bin', 'dst/renamed ü.txt']);
      const srcVersions = await raw.fileVersions('interop-move', 'src/');
      for (const n of ['src/big.bin', 'src/small name+%.txt']) {
        assert.deepEqual(
          srcVersions.filter((v) => v.fileName === n).map((v) => v.action),
          ['hide', 'upload'],
          `${n} is hidden after the move`,
        );
      }
      assert.deepEqual(await rcBytes(['cat', 'emu:interop-move/dst/renamed ü.txt']), small.data);
      assert.equal(sha1(await rcBytes(['cat', 'emu:interop-move/dst/big moved.bin'])), sha1(big.data));
      assert.equal(lines((await rc(['lsf', '-R', '--files-only', 'emu:interop-move/src'])).stdout).length, 0);
    });
  });

  it('delete hides files (or removes them with --b2-hard-delete); cleanup removes hide markers and old versions but keeps a fresh unfinished large file; purge removes everything and the bucket', async (t) => {
    await withRclone(t, async ({ emu, rc, raw, calls }) => {
      const local = makeTree();
      await rc(['mkdir', 'emu:interop-clean']);
      await rc(['copy', local, 'emu:interop-clean']);
      writeFileSync(join(local, 'plain.txt'), 'second version, longer\n');
      await rc(['copy', local, 'emu:interop-clean']);

      emu.controls.resetCounters();
      await rc(['delete', 'emu:interop-clean/ünïcødé']);
      assert.equal(calls('b2_hide_file'), 1);
      assert.deepEqual(
        (await raw.fileVersions('interop-clean', 'ünïcødé/')).map((v) => v.action),
        ['hide', 'upload'],
      );

      emu.controls.resetCounters();
      await rc(['delete', '--b2-hard-delete', 'emu:interop-clean/dir']);
      assert.equal(calls('b2_delete_file_version'), 2);
      assert.equal(calls('b2_hide_file'), 0);
      assert.deepEqual(await raw.fileVersions('interop-clean', 'dir/'), [], 'hard delete leaves no version behind');

      const live = Object.keys(TREE)
        .filter((n) => !n.startsWith('ünïcødé/') && !n.startsWith('dir/'))
        .sort();
      assert.deepEqual(lines((await rc(['lsf', '-R', '--files-only', 'emu:interop-clean'])).stdout), live);

      const unfinishedId = await raw.startLargeFile('interop-clean', 'unfinished.bin');
      await rc(['cleanup', 'emu:interop-clean']);
      const after = (await raw.fileVersions('interop-clean')).filter((v) => v.action !== 'start');
      assert.deepEqual(names(after), live, 'one version per live file: old versions and hide markers gone');
      assert.ok(after.every((v) => v.action === 'upload'));
      assert.deepEqual(
        (await raw.unfinishedLargeFiles('interop-clean')).map((f) => f.fileId),
        [unfinishedId],
        'rclone only cleans up unfinished large files older than 24 h',
      );
      assertNoDifferences(
        await rc(['check', '--exclude', 'ünïcødé/**', '--exclude', 'dir/**', local, 'emu:interop-clean']),
      );

      // purge deletes every version it lists, the unfinished large file ("start" entry) included, then the bucket
      await rc(['purge', 'emu:interop-clean']);
      assert.deepEqual(await raw.bucketNames(), []);
    });
  });

  it('touch rewrites the mtime with b2_copy_file REPLACE; copyto across buckets copies server-side; link gives a prefix-scoped download URL', async (t) => {
    await withRclone(t, async ({ emu, rc, rcBytes, raw, calls }) => {
      const file = makeFile('doc one.txt', 5000);
      const other = makeFile('other.txt', 10);
      await rc(['mkdir', 'emu:interop-meta']);
      await rc(['copy', file.dir, 'emu:interop-meta']);
      await rc(['copy', other.dir, 'emu:interop-meta']);

      emu.controls.resetCounters();
      await rc(['touch', '--timestamp', '2020-01-02T03:04:05', 'emu:interop-meta/doc one.txt']);
      assert.equal(calls('b2_copy_file'), 1, 'mtime changed by a server-side copy with new metadata');
      assert.equal(calls('b2_upload_file'), 0);
      const touched = (await raw.fileNames('interop-meta')).find((f) => f.fileName === 'doc one.txt');
      assert.equal(touched?.fileInfo.src_last_modified_millis, String(Date.parse('2020-01-02T03:04:05')));
      assert.equal(touched?.contentSha1, sha1(file.data));
      assert.match(
        (await rc(['lsl', 'emu:interop-meta/doc one.txt'])).stdout,
        /2020-01-02 03:04:05\.000000000 doc one\.txt/,
      );
      assert.deepEqual(await rcBytes(['cat', 'emu:interop-meta/doc one.txt']), file.data);

      await rc(['mkdir', 'emu:interop-meta-2']);
      emu.controls.resetCounters();
      await rc(['copyto', 'emu:interop-meta/doc one.txt', 'emu:interop-meta-2/copied.txt']);
      assert.equal(calls('b2_copy_file'), 1);
      assert.equal(calls('b2_upload_file'), 0);
      assert.deepEqual(await rcBytes(['cat', 'emu:interop-meta-2/copied.txt']), file.data);

      const link = (await rc(['link', 'emu:interop-meta/doc one.txt'])).stdout.trim();
      assert.ok(link.startsWith(emu.url), link);
      const linkUrl = new URL(link);
      const token = linkUrl.searchParams.get('Authorization');
      assert.ok(token, `link carries a download authorization: ${link}`);
      assert.equal(calls('b2_get_download_authorization'), 1);
      const got = await fetch(link);
      assert.equal(got.status, 200);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), file.data);
      const outside = await fetch(`${emu.url}/file/interop-meta/other.txt?Authorization=${encodeURIComponent(token)}`);
      assert.equal(outside.status, 401, 'the token is scoped to the linked name');
      await outside.arrayBuffer();
    });
  });

  it('a key restricted to one bucket (allowed.bucketName in the v1 authorize answer) works there and is refused elsewhere', async (t) => {
    await withRclone(t, async ({ rc, rcAs, raw }) => {
      const file = makeFile('mine.txt', 100);
      await rc(['mkdir', 'emu:interop-mine']);
      await rc(['mkdir', 'emu:interop-theirs']);
      const key = await raw.call('b2_create_key', {
        accountId: raw.accountId,
        keyName: 'interop-restricted',
        capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles', 'deleteFiles'],
        bucketId: await raw.bucketId('interop-mine'),
      });
      const up = await rcAs(key.applicationKeyId, key.applicationKey, ['copy', file.dir, 'emu:interop-mine']);
      assert.equal(up.code, 0, describeRun(up));
      const ls = await rcAs(key.applicationKeyId, key.applicationKey, ['lsf', 'emu:interop-mine']);
      assert.equal(ls.code, 0, describeRun(ls));
      assert.equal(ls.stdout, 'mine.txt\n');
      const other = await rcAs(key.applicationKeyId, key.applicationKey, ['lsf', 'emu:interop-theirs']);
      assert.notEqual(other.code, 0, describeRun(other));
      assert.match(other.stderr, /you must use bucket "?interop-mine"? with this application key/, describeRun(other));
      assert.deepEqual(names(await raw.fileNames('interop-theirs')), []);
    });
  });

  it('with --data, what rclone uploads (simple and chunked) survives an emulator restart byte for byte', async (t) => {
    const dataDir = join(scratch, `data-${++treeSeq}`);
    const local = makeTree({ 'big.bin': randomBytes(11 * MiB) });
    await withRclone(
      t,
      async ({ rc }) => {
        await rc(['mkdir', 'emu:interop-disk']);
        await rc(['copy', local, 'emu:interop-disk', ...CHUNKED]);
        assertNoDifferences(await rc(['check', local, 'emu:interop-disk']));
      },
      { dataDir },
    );
    if (!RCLONE) return;
    // a new emulator process on the same directory (new port, same master key from the directory)
    await withRclone(
      t,
      async ({ rc, raw }) => {
        assert.deepEqual(await raw.bucketNames(), ['interop-disk']);
        assertNoDifferences(await rc(['check', '--download', local, 'emu:interop-disk']));
      },
      { dataDir },
    );
  });

  it("rclone's own --b2-test-mode hooks work: fail_some_uploads and expire_some_account_authorization_tokens are ridden out, force_cap_exceeded stops it", async (t) => {
    await withRclone(t, async ({ emu, rc, raw, calls }) => {
      const tree = makeTree();
      await rc(['mkdir', 'emu:interop-testmode']);
      const files = { 'a.txt': Buffer.from('a'), 'b.txt': Buffer.from('bb'), 'c.txt': Buffer.from('ccc') };
      const small = join(scratch, `testmode-${++treeSeq}`);
      mkdirSync(small);
      for (const [n, d] of Object.entries(files)) writeFileSync(join(small, n), d);

      emu.controls.resetCounters();
      const failing = await rc(['copy', '--b2-test-mode', 'fail_some_uploads', small, 'emu:interop-testmode/fail']);
      assert.ok(
        calls('b2_upload_file') > 3,
        `some uploads failed and were retried (${calls('b2_upload_file')} calls for 3 files)`,
      );
      assert.match(failing.stderr, /503 service_unavailable/);
      assert.deepEqual(names(await raw.fileNames('interop-testmode', 'fail/')), [
        'fail/a.txt',
        'fail/b.txt',
        'fail/c.txt',
      ]);

      emu.controls.resetCounters();
      const expiring = await rc([
        'copy',
        '--b2-test-mode',
        'expire_some_account_authorization_tokens',
        tree,
        'emu:interop-testmode/expire',
      ]);
      assert.ok(calls('b2_authorize_account') >= 2, `re-authorized (${calls('b2_authorize_account')} authorize calls)`);
      assert.match(expiring.stderr, /401 expired_auth_token/);
      assertNoDifferences(await rc(['check', tree, 'emu:interop-testmode/expire']));

      const capped = await rc(['copy', '--b2-test-mode', 'force_cap_exceeded', small, 'emu:interop-testmode/cap'], {
        expectFail: true,
      });
      assert.match(capped.stderr, /403 transaction_cap_exceeded/, describeRun(capped));
      assert.deepEqual(await raw.fileNames('interop-testmode', 'cap/'), []);
    });
  });

  it("listings longer than rclone's 1000-entry pages (files, folder entries, recursive --fast-list) come back complete", async (t) => {
    await withRclone(t, async ({ rc, raw, calls }) => {
      await rc(['mkdir', 'emu:interop-paging']);
      const pad = (i: number) => String(i).padStart(4, '0');
      const flat = Array.from({ length: 1010 }, (_, i) => `flat/f${pad(i)}.txt`);
      const dirs = Array.from({ length: 1010 }, (_, i) => `dirs/d${pad(i)}/x.txt`);
      await raw.uploadMany(
        'interop-paging',
        [...flat, ...dirs].map((n) => [n, Buffer.from(n)] as [string, Buffer]),
      );

      const flatLs = lines((await rc(['lsf', 'emu:interop-paging/flat'])).stdout);
      assert.deepEqual(
        flatLs,
        flat.map((n) => n.slice('flat/'.length)),
      );
      const dirLs = lines((await rc(['lsf', 'emu:interop-paging/dirs'])).stdout);
      assert.deepEqual(
        dirLs,
        dirs.map((n) => n.slice('dirs/'.length, -'x.txt'.length)),
        'one folder entry per directory, across pages',
      );

      const before = calls('b2_list_file_names');
      const all = lines((await rc(['lsf', '-R', '--files-only', '--fast-list', 'emu:interop-paging'])).stdout);
      assert.deepEqual(all, [...flat, ...dirs].sort());
      assert.equal(calls('b2_list_file_names') - before, 3, '2020 names in pages of 1000');
    });
  });

  it('rclone rides out injected 503s on b2_upload_file and b2_upload_part, a dropped part upload and a 500 on listing; the counters show the retries', async (t) => {
    await withRclone(t, async ({ emu, rc, raw, calls }) => {
      const local = makeTree({ 'big.bin': randomBytes(11 * MiB) });
      await rc(['mkdir', 'emu:interop-faults']);
      emu.controls.resetCounters();
      emu.controls.injectFault({ call: 'b2_upload_file', status: 503, code: 'service_unavailable', count: 2 });
      emu.controls.injectFault({ call: 'b2_upload_part', status: 503, code: 'service_unavailable', count: 1 });
      emu.controls.injectFault({ call: 'b2_upload_part', kind: 'drop', after: 1, count: 1 });
      emu.controls.injectFault({ call: 'b2_list_file_names', status: 500, code: 'internal_error', count: 1 });
      const r = await rc(['copy', local, 'emu:interop-faults', ...CHUNKED]);
      const small = Object.keys(TREE).length;
      assert.equal(calls('b2_upload_file'), small + 2, 'two failed simple uploads were retried');
      assert.equal(calls('b2_upload_part'), 3 + 1 + 1, 'a 503 and a dropped connection were retried');
      assert.equal(calls('b2_finish_large_file'), 1);
      assert.ok(calls('b2_get_upload_url') >= 2, 'a fresh upload URL after a failed upload');
      assert.match(r.stderr, /service_unavailable|503/, 'rclone saw the 503s');

      assert.deepEqual(names(await raw.fileNames('interop-faults')), [...Object.keys(TREE), 'big.bin'].sort());
      assert.deepEqual(await raw.unfinishedLargeFiles('interop-faults'), []);
      assertNoDifferences(await rc(['check', '--download', local, 'emu:interop-faults']));
    });
  });

  it('rclone reads Retry-After from a 429 on listing, retries and succeeds', async (t) => {
    await withRclone(t, async ({ emu, rc, calls }) => {
      const small = makeFile('one.txt', 10);
      await rc(['mkdir', 'emu:interop-429']);
      await rc(['copy', small.dir, 'emu:interop-429']);
      emu.controls.resetCounters();
      emu.controls.injectFault({
        call: 'b2_list_file_names',
        status: 429,
        code: 'too_many_requests',
        retryAfter: 7,
        count: 1,
      });
      const r = await rc(['lsf', 'emu:interop-429']);
      assert.equal(r.stdout, 'one.txt\n');
      assert.equal(calls('b2_list_file_names'), 2, 'one 429, one retry');
      // rclone 1.60's pacer applies Retry-After to the pacing of later calls (the first retry is immediate),
      // so what shows that it read the header is its log line with our value.
      assert.match(r.stderr, /Rate limited, increasing sleep to 7s/, describeRun(r));
    });
  });

  it("a corrupted download fails rclone's SHA-1 check; the next attempt gets the right bytes", async (t) => {
    await withRclone(t, async ({ emu, rc, calls }) => {
      const file = makeFile('data.bin', 200_000);
      await rc(['mkdir', 'emu:interop-corrupt']);
      await rc(['copy', file.dir, 'emu:interop-corrupt']);
      const dest = join(scratch, `download-${++treeSeq}`);
      emu.controls.resetCounters();
      emu.controls.injectFault({ call: 'b2_download_file_by_id', kind: 'corrupt', count: 1 });
      emu.controls.injectFault({ call: 'b2_download_file_by_name', kind: 'corrupt', count: 1 });
      const bad = await rc(['copy', 'emu:interop-corrupt', dest], { expectFail: true });
      assert.match(bad.stderr, /corrupted on transfer - SHA1 mismatch/, describeRun(bad));
      const downloads = () => calls('b2_download_file_by_id') + calls('b2_download_file_by_name');
      assert.equal(downloads(), 1);
      emu.controls.clearFaults();
      // rclone 1.60 leaves the bad local file behind with the right size and mtime, so fetch into a fresh dir
      const dest2 = `${dest}-again`;
      await rc(['copy', 'emu:interop-corrupt', dest2]);
      assert.equal(downloads(), 2);
      assert.deepEqual(readFileSync(join(dest2, 'data.bin')), file.data);
    });
  });

  it('rclone re-authorizes when every token expires between commands and in the middle of simple and large uploads', async (t) => {
    await withRclone(t, async ({ emu, rc, calls }) => {
      const local = makeTree();
      const big = makeFile('big.bin', 11 * MiB);
      await rc(['mkdir', 'emu:interop-expiry']);

      // between commands: the next process authorizes afresh
      emu.controls.expireAllTokens();
      emu.controls.resetCounters();
      await rc(['lsd', 'emu:']);
      assert.equal(calls('b2_authorize_account'), 1);

      // mid-command, simple uploads: one file at a time, expire after the second upload
      emu.controls.setLatency(50);
      emu.controls.resetCounters();
      const smallRun = rc(['copy', '--transfers', '1', '--checkers', '1', local, 'emu:interop-expiry/t']);
      await waitFor(() => calls('b2_upload_file') >= 2, 20_000, 'second simple upload');
      emu.controls.expireAllTokens();
      const smallResult = await smallRun;
      assert.match(smallResult.stderr, /401 expired_auth_token/, 'rclone met the expired token');
      assert.ok(
        calls('b2_authorize_account') >= 2,
        `re-authorized (authorize calls: ${calls('b2_authorize_account')})`,
      );

      // mid-command, large upload (rclone 1.60 uploads parts --transfers at a time): expire after the first part
      emu.controls.resetCounters();
      const bigRun = rc(['copy', '--transfers', '1', ...CHUNKED, big.dir, 'emu:interop-expiry/big']);
      await waitFor(() => calls('b2_upload_part') >= 1, 20_000, 'first part upload');
      emu.controls.expireAllTokens();
      const bigResult = await bigRun;
      assert.match(bigResult.stderr, /401 expired_auth_token/, 'rclone met the expired token');
      assert.ok(
        calls('b2_authorize_account') >= 2,
        `re-authorized (authorize calls: ${calls('b2_authorize_account')})`,
      );
      assert.ok(calls('b2_upload_part') >= 3);
      emu.controls.setLatency(0);

      assertNoDifferences(await rc(['check', local, 'emu:interop-expiry/t']));
      assertNoDifferences(await rc(['check', big.dir, 'emu:interop-expiry/big']));
    });
  });

  it('`b2sync emulator --port 0 --json --data DIR` prints its endpoint for rclone to use and stops cleanly on SIGTERM', async (t) => {
    if (!RCLONE) {
      t.skip(SKIP_REASON);
      return;
    }
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const bin = join(root, 'bin', 'b2sync.js');
    if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
      t.skip('the CLI is not built (dist/cli/main.js missing): run `npm run build` (npm test does)');
      return;
    }
    const dataDir = join(scratch, `cli-data-${++treeSeq}`);
    const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', '--json', '--data', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    try {
      const [line] = (await Promise.race([
        once(createInterface({ input: child.stdout }), 'line'),
        once(child, 'exit').then(([code]) => {
          throw new Error(`b2sync emulator exited (${code}) before printing its endpoint: ${stderr}`);
        }),
      ])) as [string];
      const info = JSON.parse(line) as { endpoint: string; keyId: string; applicationKey: string };
      assert.match(info.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      const target = { endpoint: info.endpoint, keyId: info.keyId, applicationKey: info.applicationKey };
      const local = makeTree();
      for (const args of [
        ['mkdir', 'emu:interop-cli'],
        ['copy', local, 'emu:interop-cli'],
        ['check', local, 'emu:interop-cli'],
      ]) {
        const r = await runRclone(target, [...BASE_FLAGS, ...args]);
        assert.equal(r.code, 0, describeRun(r));
        if (args[0] === 'check') assertNoDifferences(r);
      }
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve([child.exitCode, null]);
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, string | null];
    assert.equal(code, 0, `exit on SIGTERM: code ${code}, signal ${signal}; stderr: ${stderr}`);
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
