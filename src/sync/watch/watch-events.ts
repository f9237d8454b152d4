/**
 * What a watch pass reports: sync's events (SyncEvent) turned into watch lines (WatchEvent) — one
 * 'change' per finished transfer or deletion with its size and time taken, errors, notices, and on a
 * dry run one notice per planned action — plus the torn-upload check: the source file is stat'ed when
 * its upload starts and again when it is done; if it changed in between, the version just stored may
 * be a torn mix, so the path is requeued and uploaded again once it has settled.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Side } from '../sides.js';
import type { PlanAction, SyncEvent } from '../types.js';
import type { WatchEvent } from './types.js';

type ChangeAction = Extract<WatchEvent, { type: 'change' }>['action'];

function changeAction(a: PlanAction, dst: Side, hardDelete: boolean): ChangeAction {
  if (a.action === 'delete') return dst.kind === 'b2' && !hardDelete ? 'hide' : 'delete';
  return a.action;
}

interface Started {
  at: number;
  upload: boolean;
  size?: number;
  mtimeMs?: number;
}

/** Stat-before / stat-after of uploads: a file that changed while it was read is requeued. */
export class TornCheck {
  private readonly started = new Map<string, Started>();

  constructor(
    private readonly src: Side,
    private readonly requeue: (path: string) => void,
  ) {}

  private localPath(path: string): string | undefined {
    return this.src.kind === 'local' ? join(this.src.root, ...path.split('/')) : undefined;
  }

  private statNow(path: string): { size: number; mtimeMs: number } | undefined {
    const p = this.localPath(path);
    if (!p) return undefined;
    try {
      const s = statSync(p, { throwIfNoEntry: false });
      return s ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Time taken since the start, or undefined when the start was not seen. */
  onEvent(e: SyncEvent): number | undefined {
    if (e.type === 'start') {
      const upload = e.action.action === 'upload' && this.src.kind === 'local';
      const st = upload ? this.statNow(e.action.path) : undefined;
      this.started.set(e.action.path, { at: Date.now(), upload, ...st });
      return undefined;
    }
    if (e.type !== 'done' && e.type !== 'error') return undefined;
    const path = e.type === 'done' ? e.action.path : e.item;
    const s = this.started.get(path);
    if (!s) return undefined;
    this.started.delete(path);
    if (s.upload) {
      // Done or failed (the upload refuses a file that changes under it): if it changed, take it again.
      const now = this.statNow(path);
      const size = e.type === 'done' ? e.action.size : undefined;
      const changed =
        now !== undefined &&
        (now.size !== s.size || now.mtimeMs !== s.mtimeMs || (size !== undefined && now.size !== size));
      if (changed) this.requeue(path);
    }
    return Date.now() - s.at;
  }
}

/** The event handler of a pass after the first: watch lines for sync's events. */
export function watchEventMapper(o: {
  dst: Side;
  hardDelete: boolean;
  dryRun: boolean;
  torn: TornCheck;
  emit: (e: WatchEvent) => void;
  onChange?: (path: string) => void;
}): (e: SyncEvent) => void {
  return (e) => {
    const ms = o.torn.onEvent(e);
    switch (e.type) {
      case 'plan':
        if (o.dryRun && e.action.action !== 'skip')
          o.emit({
            type: 'notice',
            message: `dry run: would ${e.action.action} ${e.action.path} (${e.action.reason})`,
          });
        return;
      case 'done': {
        const a = e.action;
        const transfer = a.action !== 'delete';
        o.emit({
          type: 'change',
          action: changeAction(a, o.dst, o.hardDelete),
          path: a.path,
          bytes: transfer ? a.size : undefined,
          ms,
        });
        o.onChange?.(a.path);
        return;
      }
      case 'error':
        o.emit({ type: 'error', path: e.item, message: e.message });
        return;
      case 'warning':
      case 'note':
        o.emit({ type: 'notice', message: e.item ? `${e.item}: ${e.message}` : e.message });
        return;
      default:
        return;
    }
  };
}
