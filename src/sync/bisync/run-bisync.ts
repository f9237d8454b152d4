/**
 * runBisync: one two-way run — open the pair (its lock), one full pass, close (bisync-pair.ts).
 * See docs/bisync.md.
 */
import { openBisync, type BisyncRunOptions, type LocalEndpoint, type RemoteEndpoint } from './bisync-pair.js';
import type { BisyncSummary, SideName } from './types.js';

export {
  BisyncPair,
  openBisync,
  type BisyncRunOptions,
  type LocalEndpoint,
  type RemoteEndpoint,
} from './bisync-pair.js';
export type { BisyncScope } from './scope.js';

/** One bisync run between a local folder and a B2 path; localIs says which argument the folder was. */
export async function runBisync(
  localEp: LocalEndpoint,
  remoteEp: RemoteEndpoint,
  localIs: SideName,
  o: BisyncRunOptions,
): Promise<BisyncSummary> {
  const started = Date.now();
  const pair = await openBisync(localEp, remoteEp, localIs, o);
  try {
    const summary = await pair.pass();
    summary.elapsedMs = Date.now() - started;
    return summary;
  } finally {
    await pair.close();
  }
}
