/**
 * Bisync's change tests and records (docs/bisync.md, "Rules"): has a side changed since the saved
 * state, do the two sides hold the same content, and the state record each side's entry makes.
 * Pure, apart from the local SHA-1 lookup passed in.
 */
import type { Entry } from '../types.js';
import type { LocalMeta, RemoteMeta, StateRecord } from './types.js';

export interface RuleContext {
  modifyWindowMs: number;
  checksum: boolean;
  /** SHA-1 of a local file (cached on the entry); undefined when it cannot be read. */
  hashLocal(e: Entry): Promise<string | undefined>;
}

function withinWindow(a: number, b: number, windowMs: number): boolean {
  return Math.abs(a - b) <= windowMs;
}

export async function localSha1(cx: RuleContext, e: Entry): Promise<string | undefined> {
  if (e.sha1 === undefined) e.sha1 = await cx.hashLocal(e);
  return e.sha1;
}

/** Has the local file changed since the state? (--checksum: a touched file with the same SHA-1 has not.) */
export async function localChanged(cx: RuleContext, s: LocalMeta, l: Entry): Promise<boolean> {
  if (s.size !== l.size) return true;
  if (withinWindow(s.mtimeMs, l.mtimeMs, cx.modifyWindowMs)) return false;
  if (!cx.checksum || s.sha1 === undefined) return true;
  const h = await localSha1(cx, l);
  return h === undefined || h !== s.sha1;
}

/** Has the newest B2 version changed since the state? The same fileId, or the same size and SHA-1, has not. */
export function remoteChanged(cx: RuleContext, s: RemoteMeta, r: Entry): boolean {
  if (s.fileId !== undefined && s.fileId === r.fileId) return false;
  if (s.size !== r.size) return true;
  if (s.sha1 !== undefined && r.sha1 !== undefined) return s.sha1 !== r.sha1;
  return !withinWindow(s.mtimeMs, r.mtimeMs, cx.modifyWindowMs);
}

/** Do the local file and the B2 version hold the same bytes? Same size and time, or same SHA-1. */
export async function sameContent(cx: RuleContext, l: Entry, r: Entry): Promise<boolean> {
  if (l.size !== r.size) return false;
  if (!cx.checksum && withinWindow(l.mtimeMs, r.mtimeMs, cx.modifyWindowMs)) return true;
  if (r.sha1 === undefined) return withinWindow(l.mtimeMs, r.mtimeMs, cx.modifyWindowMs);
  return (await localSha1(cx, l)) === r.sha1;
}

export function localMeta(l: Entry, known?: LocalMeta): LocalMeta {
  const m: LocalMeta = { size: l.size, mtimeMs: l.mtimeMs };
  if (l.ino !== undefined) m.ino = l.ino;
  const sha1 = l.sha1 ?? known?.sha1;
  if (sha1 !== undefined) m.sha1 = sha1;
  return m;
}

export function remoteMeta(r: Entry, known?: RemoteMeta): RemoteMeta {
  const m: RemoteMeta = { size: r.size, mtimeMs: r.mtimeMs };
  if (r.fileId !== undefined) m.fileId = r.fileId;
  const sha1 = r.sha1 ?? known?.sha1;
  if (sha1 !== undefined) m.sha1 = sha1;
  return m;
}

/** The record once a local file was uploaded: B2 then holds its bytes, with its mtime as src_last_modified_millis. */
export function afterUpload(path: string, l: Entry, known?: LocalMeta): StateRecord {
  const local = localMeta(l, known);
  const remote: RemoteMeta = { size: l.size, mtimeMs: l.mtimeMs };
  if (local.sha1 !== undefined) remote.sha1 = local.sha1;
  return { path, local, remote };
}

/** The record once a B2 version was downloaded (its mtime set on the file; the inode is filled in next run). */
export function afterDownload(path: string, r: Entry): StateRecord {
  const local: LocalMeta = { size: r.size, mtimeMs: r.mtimeMs };
  if (r.sha1 !== undefined) local.sha1 = r.sha1;
  return { path, local, remote: remoteMeta(r) };
}
