/**
 * How a run's events are shown, for sync and bisync alike: plan lines (on a dry run), start records
 * (--json only), progress, done lines, errors (--json only: the summary names them), warnings and
 * notes; NDJSON records with --json. Each command says how its plan and done lines read.
 */
import type { CliContext } from '../context.js';
import { printable } from './printable.js';
import type { Progress } from './progress.js';

/** A planned operation as the engine reports it (sync's action, bisync's plan entry). */
export interface PlannedItem {
  action: string;
  path: string;
}

/** The engine events a printer shows, with the planned item under `item` for plan/start/done. */
export type PrintedEvent<A extends PlannedItem> =
  | { type: 'plan' | 'start' | 'done'; item: A }
  | { type: 'progress'; path: string; bytes: number; totalBytes?: number }
  | { type: 'error'; item: string; message: string }
  | { type: 'warning' | 'note'; item?: string; message: string };

export interface EventLines<A extends PlannedItem> {
  /** The human line for a planned item, or undefined to show none. */
  plan(a: A): string | undefined;
  /** The human line once an item is done (not shown with --quiet). */
  done(a: A): string;
}

export function eventPrinter<A extends PlannedItem>(
  out: CliContext['out'],
  progress: Progress,
  lines: EventLines<A>,
): (e: PrintedEvent<A>) => void {
  const both = (type: string, item: string | undefined, message: string, show: (text: string) => void) => {
    if (out.json) out.result({ type, item: item ?? null, message });
    else show(item ? `${printable(item)}: ${message}` : message);
  };
  return (e) => {
    switch (e.type) {
      case 'plan':
        out.result({ type: 'plan', ...e.item }, lines.plan(e.item));
        break;
      case 'start':
        if (out.json) out.result({ type: 'start', ...e.item });
        break;
      case 'progress':
        progress.update(e.path, e.bytes, e.totalBytes);
        break;
      case 'done':
        progress.finish(e.item.path);
        out.result({ type: 'done', ...e.item }, out.quiet ? undefined : lines.done(e.item));
        break;
      case 'error':
        progress.finish(e.item, 0);
        if (out.json) out.result({ type: 'error', item: e.item, message: e.message });
        break;
      case 'warning':
        both('warning', e.item, e.message, (t) => out.warn(t));
        break;
      case 'note':
        both('note', e.item, e.message, (t) => out.notice(t));
        break;
    }
  };
}
