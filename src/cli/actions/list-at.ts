/** ls --at and get --at: the files under a remote path as they were at a moment (sync/point-in-time.ts). */
import { NotFoundError } from '../../core/errors.js';
import { filesAt } from '../../sync/point-in-time.js';
import type { FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { formatTime, isoTime, pad } from '../output/format.js';
import { printable } from '../output/printable.js';
import { formatRemote } from '../remote-path.js';
import { baseName, fileRecord, fileSha1, folderPrefix, modTime, type Target } from './remote-files.js';

export interface FileAt {
  file: FileVersion;
  /** The name relative to the folder listed (the base name for an exact file). */
  rel: string;
}

/**
 * What `path` named at `atMs`: that exact file when it existed then (and the path does not end in
 * '/'), else every file under the folder prefix then. Streamed from the versions listing.
 */
export async function* filesAtPath(t: Target, atMs: number, recursive = true): AsyncGenerator<FileAt> {
  const path = t.loc.path;
  const folder = folderPrefix(path);
  const exact = path !== '' && !path.endsWith('/');
  const versions = t.client.listFileVersions(t.bucket.bucketId, {
    prefix: exact ? path : folder || undefined,
    delimiter: recursive ? undefined : '/',
  });
  const under: FileAt[] = [];
  for await (const f of filesAt(versions, atMs)) {
    if (exact && f.fileName === path) {
      yield { file: f, rel: baseName(path) };
      return;
    }
    if (!f.fileName.startsWith(folder)) continue; // "a.txt.bak" for path "a.txt"
    const at = { file: f, rel: f.fileName.slice(folder.length) };
    // For an exact path the file itself sorts first; until it is ruled out, hold the folder's files.
    if (exact) under.push(at);
    else yield at;
  }
  yield* under;
}

/** The files `get --at` downloads: one file, or the folder's files, as they were at atMs. */
export async function resolveFilesAt(
  t: Target,
  atMs: number,
): Promise<{ kind: 'file'; file: FileVersion } | { kind: 'folder'; prefix: string; files: FileVersion[] }> {
  const files: FileVersion[] = [];
  for await (const { file } of filesAtPath(t, atMs)) {
    if (file.fileName === t.loc.path) return { kind: 'file', file };
    files.push(file);
  }
  if (files.length === 0) throw notThen(t, atMs);
  return { kind: 'folder', prefix: folderPrefix(t.loc.path), files };
}

function notThen(t: Target, atMs: number): NotFoundError {
  return new NotFoundError(`${formatRemote(t.loc)}: no such file or folder at ${isoTime(atMs)}`);
}

/** ls --at: like ls, the files current at atMs (each record carries the time asked for). */
export async function lsAtAction(
  ctx: CliContext,
  t: Target,
  o: { recursive: boolean; long: boolean; atMs: number },
): Promise<void> {
  let count = 0;
  for await (const { file: f, rel } of filesAtPath(t, o.atMs, o.recursive)) {
    count++;
    const rec = { ...fileRecord(f, t.loc.bucket, rel), at: isoTime(o.atMs) };
    const human = o.long
      ? `${pad(f.contentLength, 12)} ${formatTime(modTime(f))} ${(fileSha1(f) ?? '-').padEnd(40)} ${f.fileId}  ${printable(rel)}`
      : `${pad(f.contentLength, 12)} ${printable(rel)}`;
    ctx.out.result(rec, human);
  }
  if (count === 0 && t.loc.path) throw notThen(t, o.atMs);
}
