/**
 * hashsum sha1 PATH: `<hex>  <name>` lines in sha1sum's format, for a local file or folder or a B2
 * file or prefix, so that `sha1sum -c` reads them (run it in the folder that was hashed). Names are
 * relative to the folder (a single file: its name as given, or its base name on B2). A name holding a
 * backslash, line feed or carriage return is written as GNU sha1sum writes it: the line starts with
 * `\` and those three are escaped (`\\`, `\n`, `\r`). A B2 file without a SHA-1 (a large file without
 * large_file_sha1) is named on stderr, exit 4, unless --download computes its SHA-1 from the bytes.
 */
import { createHash } from 'node:crypto';
import { join, relative, resolve, sep } from 'node:path';
import { NotFoundError, PartialFailureError, UsageError } from '../../core/errors.js';
import { LocalHasher, sha1File } from '../../sync/hash-cache.js';
import { entryFromVersion, listB2Batches } from '../../sync/remotes/b2.js';
import { walkLocalBatches } from '../../sync/remotes/local.js';
import type { Entry } from '../../sync/index.js';
import type { B2Api } from '../../client/api.js';
import type { CliContext } from '../context.js';
import { formatRemote, type Location, type RemoteLocation } from '../remote-path.js';
import { statOrUndefined } from './local-files.js';
import { baseName, findFile, folderPrefix, openTarget } from './remote-files.js';

export interface HashsumOptions {
  download: boolean;
  checkers?: number;
}

/** One sha1sum line; GNU's escaping for names holding a backslash, LF or CR. */
export function sha1sumLine(hex: string, name: string): string {
  if (!/[\\\n\r]/.test(name)) return `${hex}  ${name}`;
  const escaped = name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `\\${hex}  ${escaped}`;
}

type Job = { name: string; hash: () => Promise<string | undefined> };

/** Hash jobs with `checkers` in flight, printed in order; returns the names that got no hash. */
async function printInOrder(ctx: CliContext, jobs: AsyncIterable<Job>, checkers: number): Promise<string[]> {
  const missing: string[] = [];
  const window: { name: string; p: Promise<string | undefined> }[] = [];
  const print = async () => {
    const { name, p } = window.shift()!;
    const hex = await p;
    if (hex === undefined) missing.push(name);
    else ctx.out.result({ type: 'hash', algorithm: 'sha1', path: name, sha1: hex }, sha1sumLine(hex, name));
  };
  for await (const j of jobs) {
    const p = j.hash();
    p.catch(() => undefined);
    window.push({ name: j.name, p });
    if (window.length >= checkers) await print();
  }
  while (window.length > 0) await print();
  return missing;
}

async function* localJobs(ctx: CliContext, root: string, hasher: LocalHasher): AsyncGenerator<Job> {
  const onError = (item: string, message: string) => ctx.out.failed(item, message);
  const base = resolve(root);
  for await (const batch of walkLocalBatches(root, { signal: ctx.abort.signal, onError, onBadName: onError })) {
    for (const e of batch) {
      // The name on disk (the walk's path is its NFC form), so that sha1sum -c finds the file.
      const name = relative(base, resolve(e.localPath!)).split(sep).join('/');
      yield {
        name,
        hash: async () => {
          const h = await hasher.sha1(e);
          hasher.record(e, h);
          return h;
        },
      };
    }
  }
}

async function downloadSha1(client: B2Api, fileId: string, signal: AbortSignal): Promise<string> {
  const r = await client.downloadById(fileId, { signal });
  const h = createHash('sha1');
  for await (const chunk of r.body) h.update(chunk as Buffer);
  return h.digest('hex');
}

function remoteJob(ctx: CliContext, client: B2Api, e: Entry, name: string, o: HashsumOptions): Job {
  return {
    name,
    hash: async () => e.sha1 ?? (o.download ? downloadSha1(client, e.fileId!, ctx.abort.signal) : undefined),
  };
}

async function* remoteJobs(ctx: CliContext, loc: RemoteLocation, o: HashsumOptions): AsyncGenerator<Job> {
  const t = await openTarget(ctx, loc);
  if (loc.path && !loc.path.endsWith('/')) {
    const f = await findFile(t.client, t.bucket.bucketId, loc.path);
    const e = f && entryFromVersion(f, '');
    if (e) {
      yield remoteJob(ctx, t.client, e, baseName(loc.path), o);
      return;
    }
  }
  let n = 0;
  const listing = listB2Batches(t.client, t.bucket.bucketId, folderPrefix(loc.path), { signal: ctx.abort.signal });
  for await (const batch of listing) {
    for (const e of batch) {
      n++;
      yield remoteJob(ctx, t.client, e, e.path, o);
    }
  }
  if (n === 0) throw new NotFoundError(`${formatRemote(loc)}: no such file or folder`);
}

async function* oneLocalFile(path: string, signal: AbortSignal): AsyncGenerator<Job> {
  yield { name: path, hash: () => sha1File(path, signal) };
}

export async function hashsumAction(
  ctx: CliContext,
  algorithm: string,
  loc: Location,
  o: HashsumOptions,
): Promise<void> {
  if (algorithm.toLowerCase() !== 'sha1')
    throw new UsageError(`hashsum: unknown hash "${algorithm}": B2 keeps SHA-1s, so sha1 is the one supported`);
  const checkers = Math.max(1, o.checkers ?? 8);
  let missing: string[];
  if (loc.kind === 'remote') missing = await printInOrder(ctx, remoteJobs(ctx, loc, o), checkers);
  else {
    const st = await statOrUndefined(loc.path);
    if (!st) throw new NotFoundError(`${loc.path}: no such local file or folder`);
    if (!st.isDirectory()) missing = await printInOrder(ctx, oneLocalFile(loc.path, ctx.abort.signal), 1);
    else {
      const hasher = new LocalHasher(loc.path, join(ctx.configDir, 'hash-cache'), ctx.abort.signal);
      await hasher.open();
      let complete = false;
      try {
        missing = await printInOrder(ctx, localJobs(ctx, loc.path, hasher), checkers);
        complete = true;
      } finally {
        await hasher.close(complete);
      }
    }
  }
  for (const name of missing)
    ctx.out.failed(
      name,
      'no SHA-1 known on B2 (a large file uploaded without large_file_sha1): --download computes it',
    );
  if (missing.length > 0)
    throw new PartialFailureError(
      `${missing.length} file(s) have no SHA-1 on B2 (each named above)`,
      missing.map((item) => ({ item, error: 'no SHA-1' })),
    );
}
