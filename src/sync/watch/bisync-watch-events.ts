/**
 * bisync's events (BisyncEvent) as watch output (WatchEvent): one 'change' per completed operation,
 * with its bytes and the time it took; errors as 'error', warnings and notes as 'notice'. Plan and
 * progress events are not shown (a dry run's plan entries are shown as notices). The start time of
 * each operation in flight is kept until its end.
 */
import type { BisyncEvent, BisyncPlanEntry } from '../bisync/types.js';
import type { WatchEvent } from './types.js';

type Change = Extract<WatchEvent, { type: 'change' }>;

/** What a completed operation did, as a watch change (undefined: nothing to show, e.g. a state-only settle). */
export function changeOf(entry: BisyncPlanEntry, hardDelete: boolean): Change | undefined {
  const path = entry.path;
  const bytes = entry.size;
  switch (entry.action) {
    case 'upload':
      return { type: 'change', action: 'upload', path, bytes, side: 'remote' };
    case 'download':
      return { type: 'change', action: 'download', path, bytes, side: 'local' };
    case 'delete-local':
      return { type: 'change', action: 'delete', path, side: 'local' };
    case 'delete-remote':
      return { type: 'change', action: hardDelete ? 'delete' : 'hide', path, side: 'remote' };
    case 'rename-local':
      return { type: 'change', action: 'rename', path: entry.from ?? path, to: path, side: 'local' };
    case 'rename-remote':
      return { type: 'change', action: 'rename', path: entry.from ?? path, to: path, side: 'remote' };
    case 'conflict':
      return { type: 'change', action: 'conflict', path, to: entry.loserPath, bytes };
    case 'settle':
      return undefined;
  }
}

/** A BisyncEvent handler that emits WatchEvents. */
export function bisyncToWatch(
  emit: (e: WatchEvent) => void,
  o: { hardDelete?: boolean; dryRun?: boolean; now?: () => number } = {},
): (e: BisyncEvent) => void {
  const now = o.now ?? Date.now;
  const started = new Map<string, number>();
  const key = (x: BisyncPlanEntry) => `${x.action}\0${x.path}`;
  return (e) => {
    switch (e.type) {
      case 'plan': {
        const c = o.dryRun ? changeOf(e.entry, o.hardDelete ?? false) : undefined;
        if (c) emit({ type: 'notice', message: `dry run: would ${c.action} ${c.path}${c.to ? ' -> ' + c.to : ''}` });
        return;
      }
      case 'start':
        started.set(key(e.entry), now());
        return;
      case 'done': {
        const t0 = started.get(key(e.entry));
        started.delete(key(e.entry));
        const c = changeOf(e.entry, o.hardDelete ?? false);
        if (!c) return;
        if (t0 !== undefined) c.ms = now() - t0;
        if (c.bytes === undefined) delete c.bytes;
        if (c.to === undefined) delete c.to;
        emit(c);
        return;
      }
      case 'error':
        for (const k of started.keys()) if (k.endsWith(`\0${e.item}`)) started.delete(k);
        emit({ type: 'error', path: e.item, message: e.message });
        return;
      case 'warning':
      case 'note':
        emit({ type: 'notice', message: e.item !== undefined ? `${e.item}: ${e.message}` : e.message });
        return;
      default:
        return;
    }
  };
}
