/**
 * Torture: hostile names. A local tree of 200 awkward names (about 40 in the short form) goes
 * local → B2 → local with `sync` through the built CLI, and every file that B2 can store comes back
 * byte for byte under the same name bytes (checked by this test's own hashing); the names B2 cannot
 * store (control characters, invalid UTF-8, over 1024 bytes) are each a named failure and exit 4.
 * Then a bucket seeded with names that cannot be local paths is synced down: exit 4, each named,
 * nothing written outside the destination, the good files present.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { B2Client } from '../../src/client/b2-client.js';
import { printable } from '../../src/cli/output/printable.js';
import { bytesToName } from '../../src/wire/names.js';
import { expectCode, makeFixture, type Fixture } from '../cli/harness.js';
import { report, size } from './report.js';

/** Why B2 refuses a name, or undefined when it stores it (shared/b2-api.md §5.1). */
type Refusal = 'control' | 'invalid-utf8' | 'too-long';

interface Hostile {
  /** Relative path, '/'-separated, as bytes. */
  path: Buffer;
  refused?: Refusal;
}

const u = (s: string) => Buffer.from(s, 'utf8');

/** The base set: one of each kind of hostile name (variants are made from it for the full size). */
function baseNames(): Hostile[] {
  const ok = (s: string): Hostile => ({ path: u(s) });
  const long = (total: number): string => {
    // Four 250-byte folders and a file: `total` bytes of UTF-8 in all, each component within 255.
    const dirs = ['a', 'b', 'c', 'd'].map((c) => c.repeat(250));
    return [...dirs, 'f'.repeat(total - 4 * 251)].join('/');
  };
  return [
    ok('caf\u00e9.txt'), // NFC
    ok('cafe\u0301.txt'), // NFD of the same word, side by side
    ok('\u00c5ngstr\u00f6m/nfc.txt'),
    ok('A\u030angstro\u0308m/nfd.txt'),
    ok('😀.txt'),
    ok('👨‍👩‍👧 family/🇫🇷 flag.txt'),
    ok(' leading space.txt'),
    ok('trailing space.txt '),
    ok('  both  /  x  '),
    ok('100%.txt'),
    ok('%41%2F%2e%2e'),
    ok('a+b=c.txt'),
    ok('#hash'),
    ok('what?.txt'),
    ok('back\\slash\\.txt'),
    ok('double"quote.txt'),
    ok("single'quote.txt"),
    ok('`tick` $HOME &;|*'),
    ok('-rf'),
    ok('--help'),
    ok('-'),
    ok('--'),
    ok('..foo'),
    ok('foo..'),
    ok('.hidden'),
    ok('...'),
    ok('.x./..y/z..'),
    ok('Case.txt'),
    ok('case.txt'),
    ok('c1\u0085next\u009b.txt'),
    ok('rtl\u202eoverride.txt'),
    ok(long(1024)),
    { path: u(long(1025)), refused: 'too-long' },
    { path: u('tab\there.txt'), refused: 'control' },
    { path: u('new\nline.txt'), refused: 'control' },
    { path: u('esc\x1b[31mred.txt'), refused: 'control' },
    { path: u('del\x7f.txt'), refused: 'control' },
    { path: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]), refused: 'invalid-utf8' },
    { path: Buffer.concat([Buffer.from([0x64, 0xff]), u('/in-bad-folder.txt')]), refused: 'invalid-utf8' },
    { path: Buffer.from([0xed, 0xa0, 0x80, 0x2e, 0x62]), refused: 'invalid-utf8' },
  ];
}

/** n names: the base set, then variants of it under numbered folders (each kind repeated). */
function hostileNames(n: number): Hostile[] {
  const base = baseNames();
  const out = base.slice(0, n);
  for (let k = 1; out.length < n; k++)
    for (const h of base) {
      if (out.length >= n) break;
      if (h.refused === 'too-long' || Buffer.byteLength(h.path) > 1000) continue; // keep one of those
      out.push({ ...h, path: Buffer.concat([u(`set ${k}/`), h.path]) });
    }
  return out;
}

/** Every file under root: relative path bytes (hex) → SHA-1 of its content, walking names as bytes. */
async function hashTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: Buffer, rel: Buffer | undefined): Promise<void> {
    for (const d of await readdir(dir, { withFileTypes: true, encoding: 'buffer' })) {
      const abs = Buffer.concat([dir, u('/'), d.name]);
      const r = rel ? Buffer.concat([rel, u('/'), d.name]) : d.name;
      if (d.isDirectory()) await walk(abs, r);
      else
        out.set(
          r.toString('hex'),
          createHash('sha1')
            .update(await readFile(abs))
            .digest('hex'),
        );
    }
  }
  await walk(u(root), undefined);
  return out;
}

let fx: Fixture;
let client: B2Client;

before(async () => {
  fx = await makeFixture();
  client = new B2Client({
    applicationKeyId: fx.emu.keyId,
    applicationKey: fx.emu.applicationKey,
    endpoint: fx.emu.url,
  });
});
after(async () => {
  await client.close();
  await fx.close();
});

function failedLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('b2sync: failed: '));
}

async function summary(args: string[]): Promise<Record<string, unknown>> {
  const r = await fx.json(args);
  expectCode({ code: r.code, stderr: r.stderr }, 4);
  return r.records.find((x) => x.type === 'summary')!;
}

test('hostile local names round-trip local → B2 → local byte for byte; the ones B2 refuses are named, exit 4', async () => {
  const started = Date.now();
  const names = hostileNames(size(200, 40));
  const src = join(fx.dir, 'src');
  let bytes = 0;
  for (const [i, h] of names.entries()) {
    const abs = Buffer.concat([u(src + '/'), h.path]);
    const parent = abs.subarray(0, abs.lastIndexOf(0x2f));
    await mkdir(parent, { recursive: true });
    const body = Buffer.concat([h.path, u(` #${i} `), Buffer.alloc(i * 37, i)]);
    bytes += body.length;
    await writeFile(abs, body);
  }
  expectCode(await fx.run(['mkdir', 'b2://torture-names']), 0);

  const up = await fx.run(['sync', src, 'b2://torture-names/']);
  expectCode(up, 4);
  assert.ok(!up.stderr.includes('\x1b') && !up.stdout.includes('\x1b'), 'no raw ESC written');
  const refused = names.filter((h) => h.refused);
  const failed = failedLines(up.stderr);
  assert.equal(failed.length, refused.length, up.stderr);
  for (const h of refused) {
    // A refused file is named by its path, escaped: invalid bytes as \xNN, controls as \t \n \x1b...
    const shown = printable(reportedItem(h));
    assert.ok(
      failed.some((l) => l.startsWith(`b2sync: failed: ${shown}: `)),
      `${shown} named in:\n${failed.join('\n')}`,
    );
  }

  const dst = join(fx.dir, 'dst');
  const down = await fx.run(['sync', 'b2://torture-names/', dst]);
  expectCode(down, 0);
  const want = await hashTree(src);
  for (const h of refused) want.delete(h.path.toString('hex'));
  const got = await hashTree(dst);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same name bytes came back');
  for (const [k, v] of want) assert.equal(got.get(k), v, `content of ${Buffer.from(k, 'hex').toString()}`);

  // Nothing left to do either way (the refused ones still fail up, so exit 4 there).
  const again = await summary(['sync', src, 'b2://torture-names/']);
  assert.equal(again.transferredFiles, 0);
  assert.equal(again.deleted, 0);
  const againDown = await fx.json(['sync', 'b2://torture-names/', dst]);
  expectCode({ code: againDown.code, stderr: againDown.stderr }, 0);
  assert.equal(againDown.records.find((x) => x.type === 'summary')!.transferredFiles, 0);

  const byKind: Record<string, number> = {};
  for (const h of refused) byKind[h.refused!] = (byKind[h.refused!] ?? 0) + 1;
  report('hostile-names', {
    names: names.length,
    roundTripped: want.size,
    refusedByB2: byKind,
    bytes,
    wallMs: Date.now() - started,
  });
});

/** The item the CLI names for a refused file: its path, or the folder whose name is not UTF-8. */
function reportedItem(h: Hostile): string {
  if (h.refused !== 'invalid-utf8') return h.path.toString('utf8');
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= h.path.length; i++) {
    if (i < h.path.length && h.path[i] !== 0x2f) continue;
    const seg = bytesToName(h.path.subarray(start, i));
    parts.push(seg.name);
    if (!seg.valid) break;
    start = i + 1;
  }
  return parts.join('/');
}

test('a bucket of names that cannot be local paths syncs down: each named, exit 4, nothing outside, the good files written', async () => {
  const started = Date.now();
  const b = await client.createBucket({ bucketName: 'torture-bad-paths', bucketType: 'allPrivate' });
  const bad = ['../up.txt', '../../up2.txt', 'a/../../x.txt', './dot.txt', 'a/./b.txt', 'a//b.txt', '/abs.txt'];
  bad.push('trail/', 'dir/trail/', 'both', 'x/both');
  const good = ['both/inside.txt', 'x/both/inside.txt', 'ok.txt', 'a/ok.txt', '..ok', 'ok..'];
  const copies = size(10, 2);
  const seeded: string[] = [];
  for (let k = 0; k < copies; k++)
    for (const n of [...bad, ...good]) {
      const name = k === 0 ? n : n.startsWith('/') ? `/${k}${n}` : `${k}/${n}`;
      seeded.push(name);
      await client.uploadFile({
        bucketId: b.bucketId,
        fileName: name,
        body: u(`[${name}]`),
        contentLength: u(`[${name}]`).length,
      });
    }
  const parent = join(fx.dir, 'bad-parent');
  await mkdir(parent);
  const dst = join(parent, 'dst');
  const r = await fx.run(['sync', 'b2://torture-bad-paths/', dst]);
  expectCode(r, 4);
  const failed = failedLines(r.stderr);
  const isBad = (n: string) => {
    const segs = n.split('/');
    if (segs.some((s) => s === '' || s === '.' || s === '..')) return true;
    return seeded.some((o) => o.startsWith(n + '/'));
  };
  const expectedBad = seeded.filter(isBad);
  assert.equal(failed.length, expectedBad.length, r.stderr);
  for (const n of expectedBad)
    assert.ok(
      failed.some((l) => l.startsWith(`b2sync: failed: ${n}: `)),
      n,
    );
  assert.deepEqual(await readdir(parent), ['dst'], 'nothing written beside the destination');
  const written = [...(await hashTree(dst)).keys()].map((k) => Buffer.from(k, 'hex').toString()).sort();
  assert.deepEqual(written, seeded.filter((n) => !isBad(n)).sort());
  report('hostile-names-b2', {
    seeded: seeded.length,
    refusedAsLocalPaths: expectedBad.length,
    written: written.length,
    wallMs: Date.now() - started,
  });
});
