/**
 * The local watcher's checkpoint (docs/watch.md, "Local side"): @parcel/watcher's snapshot of the tree
 * (`snapshotFile`), plus a small JSON file beside it (`<snapshotFile>.state.json`) with what the
 * snapshot alone cannot tell on the next start: the directories then (a directory renamed or removed
 * while b2sync was not running comes back from getEventsSince as one 'delete' of its path, which must be
 * known to be a directory's), and the paths still pending at the checkpoint (changed before it but not
 * yet synced: the snapshot already counts them as seen), and the snapshot's SHA-1. Both are written to temp names and renamed.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { writeSnapshot } from '@parcel/watcher';
import type { PathChange } from './types.js';

export interface CheckpointState {
  version: 1;
  dirs: string[];
  pending: PathChange[];
  /** A full comparison was owed (an overflow or fallback not yet handed out). */
  full: boolean;
  /** SHA-1 of the snapshot file written with this state (a snapshot that is not the one written is not trusted). */
  snapshotSha1?: string;
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

export const stateFileOf = (snapshotFile: string) => snapshotFile + '.state.json';

/** The saved state, or undefined when there is none (or it cannot be read: the caller starts with a full comparison). */
export async function readCheckpoint(snapshotFile: string): Promise<CheckpointState | undefined> {
  try {
    const raw = JSON.parse(await readFile(stateFileOf(snapshotFile), 'utf8')) as Partial<CheckpointState>;
    if (raw.version !== 1 || !Array.isArray(raw.dirs) || !Array.isArray(raw.pending)) return undefined;
    // getEventsSince reads a damaged snapshot as "nothing changed": only the very file written is trusted.
    if (raw.snapshotSha1 !== sha1(await readFile(snapshotFile))) return undefined;
    return { version: 1, dirs: raw.dirs.map(String), pending: raw.pending.filter(isChange), full: raw.full === true };
  } catch {
    return undefined;
  }
}

function isChange(c: unknown): c is PathChange {
  const p = c as PathChange;
  return typeof p?.path === 'string' && ['create', 'update', 'delete', 'unknown'].includes(p.kind);
}

/**
 * Write the snapshot, then the state (taken by `state()` only once the snapshot is written, so that a
 * change seen before the snapshot is either in it or still pending in the state).
 */
export async function writeCheckpoint(
  root: string,
  snapshotFile: string,
  ignore: string[],
  state: () => CheckpointState,
): Promise<void> {
  const tmp = `${snapshotFile}.${process.pid}.tmp`;
  await writeSnapshot(root, tmp, { ignore });
  const stateTmp = `${stateFileOf(snapshotFile)}.${process.pid}.tmp`;
  const snapshotSha1 = sha1(await readFile(tmp));
  await writeFile(stateTmp, JSON.stringify({ ...state(), snapshotSha1 }));
  await rename(tmp, snapshotFile);
  await rename(stateTmp, stateFileOf(snapshotFile));
}
