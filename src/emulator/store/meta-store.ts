/**
 * The metadata store: buckets, file versions (with a sorted per-bucket name index), unfinished large
 * files' parts, and application keys. Every change is one MetaEntry applied in memory and, in --data
 * mode, appended to the journal; replaying the journal rebuilds the same state. Blob lifetimes follow
 * reference counts: a blob is removed when no version or part refers to it.
 */
import { compareUtf8 } from '../../wire/names.js';
import type { BlobStore, Segment } from './blobs.js';
import { Journal } from './journal.js';
import type { StoredBucket, StoredFile, StoredKey, StoredPart } from './records.js';

export type MetaEntry =
  | { t: 'account'; accountId: string; keyId: string; key: string }
  | { t: 'bucket'; b: StoredBucket }
  | { t: '-bucket'; id: string }
  | { t: 'file'; f: StoredFile }
  | { t: '-file'; id: string }
  | { t: 'part'; id: string; p: StoredPart }
  | { t: 'key'; k: StoredKey }
  | { t: '-key'; id: string }
  | { t: 'reset' };

interface Snapshot {
  format: 1;
  account: { accountId: string; keyId: string; key: string } | null;
  nextSeq: number;
  buckets: StoredBucket[];
  files: StoredFile[];
  parts: [string, StoredPart[]][];
  keys: StoredKey[];
}

/** One bucket's files: names sorted in UTF-8 byte order, each with its versions newest first. */
export class BucketIndex {
  readonly names: string[] = [];
  readonly versions = new Map<string, StoredFile[]>();
  /** Unfinished large files, oldest first. */
  readonly unfinished = new Map<string, StoredFile>();
  size = 0;

  /** Index of the first name >= `name`. */
  lowerBound(name: string): number {
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(this.names[mid], name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  put(f: StoredFile): void {
    let list = this.versions.get(f.fileName);
    if (!list) {
      list = [];
      this.versions.set(f.fileName, list);
      this.names.splice(this.lowerBound(f.fileName), 0, f.fileName);
    }
    const existing = list.findIndex((v) => v.fileId === f.fileId);
    if (existing >= 0) list[existing] = f;
    else {
      let i = 0;
      while (i < list.length && list[i].seq > f.seq) i++;
      list.splice(i, 0, f);
      this.size++;
    }
    if (f.action === 'start') this.unfinished.set(f.fileId, f);
    else this.unfinished.delete(f.fileId);
  }

  remove(f: StoredFile): void {
    this.unfinished.delete(f.fileId);
    const list = this.versions.get(f.fileName);
    if (!list) return;
    const i = list.findIndex((v) => v.fileId === f.fileId);
    if (i < 0) return;
    list.splice(i, 1);
    this.size--;
    if (list.length === 0) {
      this.versions.delete(f.fileName);
      const at = this.lowerBound(f.fileName);
      if (this.names[at] === f.fileName) this.names.splice(at, 1);
    }
  }
}

/** The newest version of a name that is not an unfinished large file (what downloads and listings see). */
export function currentVersion(list: readonly StoredFile[] | undefined): StoredFile | undefined {
  if (!list) return undefined;
  for (const v of list) if (v.action !== 'start') return v;
  return undefined;
}

export class MetaStore {
  account: { accountId: string; keyId: string; key: string } | null = null;
  readonly buckets = new Map<string, StoredBucket>();
  /** lower-cased name → bucketId (names are unique case-insensitively). */
  readonly bucketIdsByName = new Map<string, string>();
  readonly files = new Map<string, StoredFile>();
  readonly indexes = new Map<string, BucketIndex>();
  readonly parts = new Map<string, Map<number, StoredPart>>();
  readonly keys = new Map<string, StoredKey>();
  nextSeq = 1;
  private readonly refs = new Map<string, number>();
  private journal: Journal<MetaEntry> | undefined;
  /** False while replaying: blobs are then swept once at the end instead of removed one by one. */
  private live = true;

  constructor(private readonly blobs: BlobStore) {}

  /** Open a --data directory: load snapshot + journal, start a fresh journal, drop unreferenced blobs. */
  async openDir(dir: string, compactAfterLines = 20_000): Promise<void> {
    const { snapshot, entries } = await Journal.read<MetaEntry>(dir);
    this.live = false;
    if (snapshot) this.loadSnapshot(snapshot as Snapshot);
    for (const e of entries) this.apply(e);
    this.live = true;
    this.journal = await Journal.start<MetaEntry>(
      dir,
      () => this.snapshot(),
      () => Math.max(compactAfterLines, this.files.size),
    );
    await this.blobs.sweep(new Set(this.refs.keys()));
  }

  async close(): Promise<void> {
    await this.journal?.close();
  }

  /** Apply a change in memory and persist it; resolves once it is durable (journaled). */
  commit(e: MetaEntry): Promise<void> {
    this.apply(e);
    return this.journal ? this.journal.append(e) : Promise.resolve();
  }

  takeSeq(): number {
    return this.nextSeq++;
  }

  bucketByName(name: string): StoredBucket | undefined {
    const id = this.bucketIdsByName.get(name.toLowerCase());
    const b = id === undefined ? undefined : this.buckets.get(id);
    return b && b.bucketName === name ? b : undefined;
  }

  index(bucketId: string): BucketIndex {
    let ix = this.indexes.get(bucketId);
    if (!ix) {
      ix = new BucketIndex();
      this.indexes.set(bucketId, ix);
    }
    return ix;
  }

  private ref(segments: readonly Segment[]): void {
    for (const s of segments) this.refs.set(s.blob, (this.refs.get(s.blob) ?? 0) + 1);
  }

  private unref(segments: readonly Segment[]): void {
    for (const s of segments) {
      const n = (this.refs.get(s.blob) ?? 0) - 1;
      if (n > 0) this.refs.set(s.blob, n);
      else {
        this.refs.delete(s.blob);
        if (this.live) void this.blobs.remove(s.blob);
      }
    }
  }

  private dropParts(fileId: string): void {
    const parts = this.parts.get(fileId);
    if (!parts) return;
    this.parts.delete(fileId);
    for (const p of parts.values()) this.unref(p.segments);
  }

  private apply(e: MetaEntry): void {
    switch (e.t) {
      case 'account':
        this.account = { accountId: e.accountId, keyId: e.keyId, key: e.key };
        return;
      case 'bucket':
        return this.putBucket(e.b);
      case '-bucket':
        return this.dropBucket(e.id);
      case 'file':
        return this.putFile(e.f);
      case '-file':
        return this.dropFile(e.id);
      case 'part':
        return this.putPart(e.id, e.p);
      case 'key':
        this.keys.set(e.k.applicationKeyId, e.k);
        return;
      case '-key':
        this.keys.delete(e.id);
        return;
      case 'reset':
        return this.reset();
    }
  }

  private putBucket(b: StoredBucket): void {
    const old = this.buckets.get(b.bucketId);
    if (old) this.bucketIdsByName.delete(old.bucketName.toLowerCase());
    this.buckets.set(b.bucketId, b);
    this.bucketIdsByName.set(b.bucketName.toLowerCase(), b.bucketId);
  }

  private dropBucket(id: string): void {
    const old = this.buckets.get(id);
    if (!old) return;
    this.buckets.delete(id);
    this.bucketIdsByName.delete(old.bucketName.toLowerCase());
    this.indexes.delete(id);
  }

  /** A new or replaced version: its blobs referenced first, the old ones released; a finished large file drops its parts. */
  private putFile(f: StoredFile): void {
    const old = this.files.get(f.fileId);
    this.ref(f.segments);
    if (old) this.unref(old.segments);
    if (f.action !== 'start') this.dropParts(f.fileId);
    this.files.set(f.fileId, f);
    this.index(f.bucketId).put(f);
    if (f.seq >= this.nextSeq) this.nextSeq = f.seq + 1;
  }

  private dropFile(id: string): void {
    const old = this.files.get(id);
    if (!old) return;
    this.files.delete(id);
    this.indexes.get(old.bucketId)?.remove(old);
    this.unref(old.segments);
    this.dropParts(id);
  }

  /** A part of an unfinished large file; uploading the same part number again replaces it. */
  private putPart(fileId: string, p: StoredPart): void {
    let parts = this.parts.get(fileId);
    if (!parts) {
      parts = new Map();
      this.parts.set(fileId, parts);
    }
    const old = parts.get(p.partNumber);
    this.ref(p.segments);
    parts.set(p.partNumber, p);
    if (old) this.unref(old.segments);
  }

  /** Everything gone (the account stays): every version and part released, so their blobs go too. */
  private reset(): void {
    for (const f of [...this.files.values()]) this.dropFile(f.fileId);
    for (const id of [...this.parts.keys()]) this.dropParts(id);
    this.buckets.clear();
    this.bucketIdsByName.clear();
    this.indexes.clear();
    this.keys.clear();
  }

  private snapshot(): Snapshot {
    return {
      format: 1,
      account: this.account,
      nextSeq: this.nextSeq,
      buckets: [...this.buckets.values()],
      files: [...this.files.values()],
      parts: [...this.parts.entries()].map(([id, m]) => [id, [...m.values()]]),
      keys: [...this.keys.values()],
    };
  }

  private loadSnapshot(s: Snapshot): void {
    if (s.format !== 1) throw new Error(`unknown metadata format ${String(s.format)}`);
    this.account = s.account;
    for (const b of s.buckets) this.apply({ t: 'bucket', b });
    for (const k of s.keys) this.apply({ t: 'key', k });
    for (const [id, ps] of s.parts) for (const p of ps) this.apply({ t: 'part', id, p });
    for (const f of s.files) this.apply({ t: 'file', f });
    if (s.nextSeq > this.nextSeq) this.nextSeq = s.nextSeq;
  }
}
