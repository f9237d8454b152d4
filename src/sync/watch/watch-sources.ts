/**
 * The change sources of a one-way watch run: the local watcher for a local SRC (opened through the
 * caller's factory, openLocalChanges in the CLI), the --poll timer for a B2 SRC, the webhook receiver
 * with --events-listen (B2 SRC only), and any the caller adds.
 */
import type { Side } from '../sides.js';
import { openRemotePoll } from './remote-poll.js';
import type { ChangeSource, WatchEvent, WatchOptions } from './types.js';
import { openWebhookSource } from './webhook-receiver.js';

/** What the local watcher is opened with (local-watcher.ts, openLocalChanges). */
export interface LocalSourceOptions {
  settleMs: number;
  rescanMs: number;
  mode: WatchOptions['mode'];
  pollMs: number;
  snapshotFile?: string;
  signal?: AbortSignal;
  onNotice?: (message: string) => void;
  maxPending?: number;
}

export interface WatchSourcesInit {
  src: Side;
  watchOpts: WatchOptions;
  hooks: {
    emit(e: WatchEvent): void;
    openLocal?(root: string, o: LocalSourceOptions): ChangeSource | Promise<ChangeSource>;
    sources?: ChangeSource[];
  };
  signal?: AbortSignal;
}

export async function openWatchSources(o: WatchSourcesInit): Promise<ChangeSource[]> {
  const { src, watchOpts: w, hooks, signal } = o;
  const onNotice = (message: string) => hooks.emit({ type: 'notice', message });
  const out: ChangeSource[] = [...(hooks.sources ?? [])];
  if (src.kind === 'local') {
    if (hooks.openLocal)
      out.push(
        await hooks.openLocal(src.root, {
          settleMs: w.settleMs,
          rescanMs: w.rescanMs,
          mode: w.mode,
          pollMs: w.pollMs,
          snapshotFile: w.snapshotFile,
          signal,
          onNotice,
        }),
      );
    return out;
  }
  out.push(openRemotePoll({ pollMs: w.pollMs, signal }));
  if (w.eventsListen) {
    const hook = await openWebhookSource({
      host: w.eventsListen.host,
      port: w.eventsListen.port,
      secrets: w.signingSecrets ?? [],
      prefix: src.prefix,
      bucketName: src.bucketName,
      signal,
      onNotice,
    });
    onNotice(`listening for B2 event notifications on http://${hook.address.host}:${hook.address.port}`);
    out.push(hook);
  }
  return out;
}
