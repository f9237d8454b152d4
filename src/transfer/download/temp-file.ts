/**
 * The temp file of a download: `<target>.<12 hex of sha1(fileId)>.b2sync-tmp` beside the target, so a
 * later attempt for the same version finds it and continues from it; the prefix note beside it
 * (`<temp>.prefix.b2sync-tmp`) bounds what a parallel download may keep. Committing renames the
 * verified temp into place; abandoning keeps a resumable prefix or removes it.
 *
 * A final name too long to carry those 31 bytes within a 255-byte name component uses a shortened
 * stem instead: `<first bytes of the name>.<8 hex of sha1(name)>.<12 hex>.b2sync-tmp`, still one per
 * (target, fileId) and still ending in the suffix that `cleanup` looks for.
 */
import { open, readdir, readFile, rename, rm, stat, utimes, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { B2Error, IntegrityError, isAbortError } from '../../core/errors.js';
import { INFO_SRC_LAST_MODIFIED } from '../../wire/headers.js';
import { sha1Hex } from '../../core/sha1.js';

/** Suffix of temporary download files; the CLI's cleanup command finds orphans by it. */
export const TEMP_SUFFIX = '.b2sync-tmp';

/** The longest name component most filesystems take (ext4, xfs, btrfs, tmpfs: 255 bytes). */
const MAX_COMPONENT_BYTES = 255;
/** What the prefix note adds to a target's name: '.' + 12 hex + '.prefix' + TEMP_SUFFIX. */
const NOTE_EXTRA_BYTES = 1 + 12 + '.prefix'.length + TEMP_SUFFIX.length;
/** The longest base (target name, or shortened stem + '.' + 8 hex) whose temp and note both fit. */
const MAX_BASE_BYTES = MAX_COMPONENT_BYTES - NOTE_EXTRA_BYTES;

/** The first bytes of name, at most max, cut at a character boundary. */
function utf8Head(name: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The part of the temp name before `.<12 hex>.b2sync-tmp`: the target's own name when it fits. */
function tempBase(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_BASE_BYTES) return name;
  return `${utf8Head(name, MAX_BASE_BYTES - 9)}.${sha1Hex(name).slice(0, 8)}`;
}

/** The temp file a download of `fileId` to `target` uses. */
export function tempPathFor(target: string, fileId: string): string {
  const tag = sha1Hex(fileId).slice(0, 12);
  return join(dirname(target), `${tempBase(basename(target))}.${tag}${TEMP_SUFFIX}`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Names (in the target's directory) of temp files of earlier downloads to `target`. */
export async function tempsOf(target: string): Promise<string[]> {
  const re = new RegExp(`^${escapeRe(tempBase(basename(target)))}\\.[0-9a-f]{12}${escapeRe(TEMP_SUFFIX)}$`);
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  return names.filter((n) => re.test(n)).map((n) => join(dirname(target), n));
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Beside the temp file of a parallel download: how far from byte 0 the temp file is complete. The
 * streams write pieces further on too, so the temp file's size says nothing; a process killed
 * mid-download leaves this behind, and the next attempt keeps only that prefix.
 */
export function prefixNoteFor(temp: string): string {
  return `${temp.slice(0, -TEMP_SUFFIX.length)}.prefix${TEMP_SUFFIX}`;
}

/** Bytes of an earlier attempt's temp file the next attempt may keep (all of it unless a prefix note says less). */
export async function keptBytes(temp: string): Promise<number> {
  const size = await sizeOf(temp);
  let note: string;
  try {
    note = await readFile(prefixNoteFor(temp), 'utf8');
  } catch {
    return size;
  }
  const n = /^\d+$/.test(note.trim()) ? Number(note.trim()) : 0;
  return Math.min(size, n);
}

/** Make a rename in `dir` durable (fsync of the directory; skipped where directories cannot be opened for it). */
export async function syncDir(dir: string): Promise<void> {
  let d: FileHandle | undefined;
  try {
    d = await open(dir, 'r');
    await d.sync();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw err;
  } finally {
    await d?.close();
  }
}

async function removeTemp(temp: string): Promise<void> {
  await rm(temp, { force: true });
  await rm(prefixNoteFor(temp), { force: true });
}

/** Move the verified temp file into place (with the source's mtime when the info has one). */
export async function commitTemp(
  temp: string,
  target: string,
  info: Record<string, string>,
  fsync: boolean | undefined,
): Promise<void> {
  const mtime = Number(info[INFO_SRC_LAST_MODIFIED]);
  if (info[INFO_SRC_LAST_MODIFIED] !== undefined && Number.isFinite(mtime) && mtime >= 0) {
    await utimes(temp, new Date(), new Date(mtime));
  }
  await rename(temp, target);
  await rm(prefixNoteFor(temp), { force: true });
  if (fsync) await syncDir(dirname(target));
}

/** Local errors no retry can mend: the disk or quota is full, the file too big, the file system read-only. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS']);

/** Is `err` the local disk refusing the download's bytes (ENOSPC and kin)? */
export function isDiskFull(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && DISK_FULL.has((err as NodeJS.ErrnoException).code ?? '');
}

/** The error a download reports when the disk refused it: it names the file and says what was done. */
export function diskFullError(target: string, err: NodeJS.ErrnoException): Error {
  const why = err.code === 'ENOSPC' ? 'no space left on device' : err.message.replace(/^E[A-Z]+: /, '');
  const e: NodeJS.ErrnoException = new Error(
    `${target}: ${why} (${err.code}); the partial download was removed, the file left as it was`,
  );
  e.code = err.code;
  return e;
}

/**
 * After a failure: keep a temp file with bytes in it for the next attempt unless the failure is final.
 * A full disk removes it: kept, it would fill the disk it could not fit on.
 */
export async function abandonTemp(temp: string, err: unknown): Promise<void> {
  const keep =
    !(err instanceof IntegrityError) &&
    !isDiskFull(err) &&
    (await sizeOf(temp)) > 0 &&
    (isAbortError(err) || !(err instanceof B2Error && !err.retryable));
  if (!keep) await removeTemp(temp);
  else await rm(prefixNoteFor(temp), { force: true }); // truncated to its prefix: the size says it all now
}

/** Temp files of other versions of this target are stale once `temp` is committed. */
export async function removeStaleTemps(target: string, temp: string): Promise<void> {
  for (const other of await tempsOf(target)) if (other !== temp) await removeTemp(other);
}
