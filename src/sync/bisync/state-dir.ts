/** Where bisync keeps each pair's state: the default state dir and the pair key (see docs/bisync-state.md). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { sha1Hex } from '../../core/sha1.js';
import { normalizePrefix } from '../remotes/b2.js';

/** $XDG_STATE_HOME/b2sync, else ~/.local/state/b2sync. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_STATE_HOME) return join(resolve(env.XDG_STATE_HOME), 'b2sync');
  return join(homedir(), '.local', 'state', 'b2sync');
}

/** sha1(absolute local root + "\0" + bucketId + "\0" + normalized prefix), first 20 hex digits. */
export function pairKey(localRoot: string, bucketId: string, prefix: string): string {
  return sha1Hex(`${resolve(localRoot)}\0${bucketId}\0${normalizePrefix(prefix)}`).slice(0, 20);
}
