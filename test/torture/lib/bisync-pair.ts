/**
 * A bisync pair for the torture scenarios: a local folder and a bucket prefix, each changed by the
 * test itself (locally through the file system, on B2 through the emulator's HTTP API, never through
 * b2sync), and the union both sides must end up holding, computed by the test from what it made:
 * name -> SHA-1 of the bytes it wrote. No path is changed on both sides between two runs, so a
 * correct bisync never makes a conflict copy.
 */
import assert from 'node:assert/strict';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listAll, ok, session, upload, type Session } from '../../emulator/spec-helpers.js';
import type { RunResult } from '../../cli/harness.js';
import type { TortureFixture } from './fixture.js';
import { RemoteView } from './remote.js';
import type { Rng } from './rng.js';
import { assertSameTree, hashTree, sha1 } from './tree.js';

const TEMP = '.b2sync-tmp';
const CONFLICT = '.conflict-';

/** How many paths one round changes in each way (disjoint sets of paths). */
export interface RoundShape {
  newLocal: number;
  newRemote: number;
  changedLocal: number;
  changedRemote: number;
  deletedLocal: number;
  deletedRemote: number;
  renamedLocal: number;
  renamedRemote: number;
  /** Rename one whole local folder (its files move on B2 by server-side copies). */
  folderRename: boolean;
}

/** What one round did, for the figures. */
export type RoundCounts = Record<keyof RoundShape, number>;

/** The pair's paths and the test's own record of what each side must hold. */
export class BisyncPair {
  /** name -> SHA-1: what both sides must hold after a complete run. */
  readonly expected = new Map<string, string>();
  /** Every SHA-1 the test ever wrote: a file holding anything else is torn. */
  readonly known = new Set<string>();
  readonly local: string;
  readonly stateDir: string;
  private seq = 0;

  private constructor(
    readonly fx: TortureFixture,
    private readonly s: Session,
    readonly bucket: string,
    readonly bucketId: string,
    readonly prefix: string,
    private readonly rng: Rng,
    tag: string,
  ) {
    this.local = join(fx.dir, `local${tag}`);
    this.stateDir = join(fx.dir, `state${tag}`);
  }

  /** `tag` tells apart several pairs of one fixture (their folders local<tag>, state<tag>). */
  static async create(fx: TortureFixture, bucket: string, prefix: string, rng: Rng, tag = ''): Promise<BisyncPair> {
    const s = await session(fx.emu, fx.emu.keyId, fx.emu.applicationKey);
    const r = await ok(s, 'b2_create_bucket', { accountId: s.accountId, bucketName: bucket, bucketType: 'allPrivate' });
    const pair = new BisyncPair(fx, s, bucket, r.bucketId as string, prefix, rng, tag);
    await mkdir(pair.local, { recursive: true });
    return pair;
  }

  /** `b2sync bisync` of this pair; the argument order alternates with `swap` (both orders are tested). */
  args(extra: string[] = [], swap = false): string[] {
    const remote = `b2://${this.bucket}/${this.prefix}`;
    const sides = swap ? [remote, this.local] : [this.local, remote];
    return ['bisync', '--state-dir', this.stateDir, ...extra, ...sides];
  }

  /** A fresh path name (never used before in this pair). */
  private freshName(): string {
    const n = this.seq++;
    return `d${n % 7}/s${n % 3}/f${String(n).padStart(5, '0')}.bin`;
  }

  /** Mostly 1-32 KiB, one in 25 of 1-2 MiB (so some transfers take a while). */
  private size(): number {
    return this.rng.next() < 0.04 ? this.rng.int(1024 * 1024, 2 * 1024 * 1024) : this.rng.int(1024, 32 * 1024);
  }

  private bytes(notSize?: number): Buffer {
    let n = this.size();
    if (n === notSize) n++;
    const b = this.rng.bytes(n);
    this.known.add(sha1(b));
    return b;
  }

  private async writeLocal(name: string, data: Buffer): Promise<void> {
    await mkdir(dirname(join(this.local, name)), { recursive: true });
    await writeFile(join(this.local, name), data);
  }

  private async writeRemote(name: string, data: Buffer): Promise<void> {
    await upload(this.s, this.bucketId, this.prefix + name, data);
  }

  /**
   * Before the first bisync: `both` names with the same bytes on each side (uploaded by the test, so
   * their times differ: the first run must see the same content by SHA-1), and names on one side only.
   */
  async seed(both: number, localOnly: number, remoteOnly: number): Promise<void> {
    for (let i = 0; i < both + localOnly + remoteOnly; i++) {
      const name = this.freshName();
      const data = this.bytes();
      if (i < both + localOnly) await this.writeLocal(name, data);
      if (i < both || i >= both + localOnly) await this.writeRemote(name, data);
      this.expected.set(name, sha1(data));
    }
  }

  /** The latest visible version of a name under the prefix. */
  private async latest(name: string): Promise<{ fileId: string; size: number }> {
    const r = await ok(this.s, 'b2_list_file_names', {
      bucketId: this.bucketId,
      prefix: this.prefix + name,
      maxFileCount: 1,
    });
    const f = r.files[0];
    assert.ok(f && f.fileName === this.prefix + name, `${name} is on B2 before the test changes it`);
    return { fileId: f.fileId as string, size: f.contentLength as number };
  }

  private async remoteRename(from: string, to: string): Promise<void> {
    const { fileId } = await this.latest(from);
    await ok(this.s, 'b2_copy_file', { sourceFileId: fileId, fileName: this.prefix + to });
    await ok(this.s, 'b2_hide_file', { bucketId: this.bucketId, fileName: this.prefix + from });
  }

  /** A folder of the expected tree with 2-40 files, renamed locally to a fresh name. */
  private async folderRename(taken: Set<string>, round: number): Promise<number> {
    const folders = new Map<string, string[]>();
    for (const name of this.expected.keys()) {
      const d = name.slice(0, name.lastIndexOf('/'));
      folders.set(d, [...(folders.get(d) ?? []), name]);
    }
    const fit = [...folders].filter(([d, names]) => !d.includes('-r') && names.length >= 2 && names.length <= 40);
    if (fit.length === 0) return 0;
    const [dir, names] = this.rng.pick(fit);
    const fresh = `${dir}-r${round}`;
    for (const n of names) taken.add(n);
    // only the folder's files move: make the new folder and move each file (the old folder may hold
    // nothing else, but the test does not rely on it)
    for (const n of names) {
      const to = fresh + n.slice(dir.length);
      await mkdir(dirname(join(this.local, to)), { recursive: true });
      await rename(join(this.local, n), join(this.local, to));
      this.expected.set(to, this.expected.get(n)!);
      this.expected.delete(n);
      taken.add(to); // on B2 only after the next run
    }
    await rmdir(join(this.local, dir)).catch(() => undefined);
    return names.length;
  }

  /** Changes both sides as `shape` says (each path at most once, never on both sides). */
  async mutate(shape: RoundShape, round: number): Promise<RoundCounts> {
    const taken = new Set<string>();
    const folder = shape.folderRename ? await this.folderRename(taken, round) : 0;
    const pool = [...this.expected.keys()].filter((n) => !taken.has(n));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    const take = (n: number) => pool.splice(0, Math.min(n, pool.length));
    for (const name of take(shape.changedLocal)) {
      const data = this.bytes();
      await this.writeLocal(name, data);
      this.expected.set(name, sha1(data));
    }
    for (const name of take(shape.changedRemote)) {
      const data = this.bytes((await this.latest(name)).size);
      await this.writeRemote(name, data);
      this.expected.set(name, sha1(data));
    }
    for (const name of take(shape.deletedLocal)) {
      await rm(join(this.local, name));
      this.expected.delete(name);
    }
    for (const name of take(shape.deletedRemote)) {
      await ok(this.s, 'b2_hide_file', { bucketId: this.bucketId, fileName: this.prefix + name });
      this.expected.delete(name);
    }
    for (const [i, name] of take(shape.renamedLocal + shape.renamedRemote).entries()) {
      const to = this.freshName();
      if (i < shape.renamedLocal) {
        await mkdir(dirname(join(this.local, to)), { recursive: true });
        await rename(join(this.local, name), join(this.local, to));
      } else await this.remoteRename(name, to);
      this.expected.set(to, this.expected.get(name)!);
      this.expected.delete(name);
    }
    for (let i = 0; i < shape.newLocal + shape.newRemote; i++) {
      const name = this.freshName();
      const data = this.bytes();
      if (i < shape.newLocal) await this.writeLocal(name, data);
      else await this.writeRemote(name, data);
      this.expected.set(name, sha1(data));
    }
    return { ...shape, folderRename: folder };
  }

  /** The local tree as name -> SHA-1, b2sync's download temp files aside (and counted). */
  async localTree(): Promise<{ files: Map<string, string>; temps: string[] }> {
    const all = await hashTree(this.local);
    const temps = [...all.keys()].filter((n) => n.endsWith(TEMP));
    for (const t of temps) all.delete(t);
    return { files: all, temps };
  }

  /** After a kill: every local file holds bytes the test wrote (none torn), and no conflict copy exists. */
  async assertLocalNotTorn(): Promise<void> {
    const { files } = await this.localTree();
    const torn = [...files].filter(([, h]) => !this.known.has(h)).map(([n]) => n);
    assert.deepEqual(torn, [], 'local files holding bytes the test never wrote');
    const copies = [...files.keys()].filter((n) => n.includes(CONFLICT));
    assert.deepEqual(copies, [], 'conflict copies in the local folder');
  }

  /** Both sides hold exactly the expected union, byte for byte (hashed here), and no conflict copy. */
  async assertConverged(what: string): Promise<{ temps: number }> {
    const { files, temps } = await this.localTree();
    assertSameTree(files, this.expected, `${what}: the local folder`);
    const view = await RemoteView.open(this.fx.emu, this.bucket);
    const remote = await view.latestHashes(this.prefix);
    assertSameTree(remote, this.expected, `${what}: the bucket prefix`);
    const copies = [...files.keys(), ...remote.keys()].filter((n) => n.includes(CONFLICT));
    assert.deepEqual(copies, [], `${what}: conflict copies`);
    return { temps: temps.length };
  }

  /** Every version under the prefix (hidden ones too): a deletion by bisync hides, never deletes a version. */
  async versionCount(): Promise<number> {
    const r = (await listAll(
      this.s,
      'b2_list_file_versions',
      { bucketId: this.bucketId, prefix: this.prefix },
      1000,
    )) as {
      files: unknown[];
    };
    return r.files.length;
  }
}

/** The NDJSON records of a `--json` run. */
export function jsonRecords(r: RunResult): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of r.stdout.split('\n')) {
    if (l.trim() === '') continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* a non-JSON line (there should be none); the assertions show stdout */
    }
  }
  return out;
}

export interface RunFacts {
  plan: { action: string; path: string }[];
  summary?: Record<string, unknown>;
}

/** The plan entries and the summary of a `--json` bisync run. */
export function runFacts(r: RunResult): RunFacts {
  const recs = jsonRecords(r);
  return {
    plan: recs.filter((x) => x.type === 'plan').map((x) => ({ action: String(x.action), path: String(x.path) })),
    summary: recs.find((x) => x.type === 'summary'),
  };
}

/** Asserts that a run planned nothing: no plan entry, a summary with nothing moved, deleted, renamed or settled. */
export function assertPlannedNothing(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr.slice(-1500)}`);
  const f = runFacts(r);
  assert.ok(f.summary, `${what}: a summary record in ${r.stdout.slice(-600)}`);
  assert.deepEqual(f.plan.slice(0, 10), [], `${what}: ${f.plan.length} plan entries`);
  const s = f.summary as Record<string, any>;
  // the CLI's summary record is flat (uploadedFiles, deletedLocal...)
  const moved = {
    uploaded: s.uploadedFiles,
    downloaded: s.downloadedFiles,
    renamed: s.renamed,
    deletedLocal: s.deletedLocal,
    deletedRemote: s.deletedRemote,
    conflicts: s.conflicts,
    settled: s.settled,
  };
  assert.deepEqual(
    moved,
    { uploaded: 0, downloaded: 0, renamed: 0, deletedLocal: 0, deletedRemote: 0, conflicts: 0, settled: 0 },
    what,
  );
}

/** Why bisync cannot be tortured with this build (the built CLI has no `bisync` command), else undefined. */
export async function bisyncMissing(fx: TortureFixture): Promise<string | undefined> {
  const r = await fx.run(['--help']);
  return /^\s+bisync\b/m.test(r.stdout) ? undefined : 'the built CLI (dist/) has no bisync command';
}
