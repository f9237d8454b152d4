/**
 * How a watch run is shown (docs/watch.md, "Output"). Without a TTY: one line per event, prefixed with
 * its UTC time (`2026-12-07T21:00:00Z upload a/b.txt 1.2 KiB 35 ms`). With --json: one NDJSON object
 * per event (the event's fields and `time`). On a TTY: the same lines, and under them one status line
 * rewritten in place (files watched, last change, pending queue, B2 calls by class so far). Names are
 * escaped (printable), every line is scrubbed of known secrets.
 */
import type { WatchEvent } from '../../sync/watch/types.js';
import { formatBytes, formatDuration } from './format.js';
import { printable, printableText } from './printable.js';
import { scrub } from './secrets.js';

export interface WatchStatus {
  watching: number;
  pending: number;
  lastChange?: string;
  calls: Record<string, number>;
}

export interface WatchPrinter {
  event(e: WatchEvent): void;
  status(s: WatchStatus): void;
  close(): void;
}

type Out = NodeJS.WritableStream & { columns?: number };

/** ISO 8601 in UTC, to the second: 2026-12-07T21:00:00Z. */
export function utcStamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function ms(n: number): string {
  return n < 10_000 ? `${Math.round(n)} ms` : formatDuration(n / 1000);
}

function perDay(n: number): string {
  return n.toLocaleString('en-US');
}

/** The human text of an event (without the timestamp). */
export function watchLine(e: WatchEvent): string {
  switch (e.type) {
    case 'watch':
      if (e.action === 'stop') return `watch stop ${printableText(e.reason)}`;
      return (
        `watch start ${printable(e.root)} -> ${printable(e.remote)}` +
        (e.pollMs > 0
          ? `, polling every ${formatDuration(e.pollMs / 1000)}: ${e.classCPerPoll} class C call(s) per poll, ${perDay(e.classCPerDay)} per day`
          : '')
      );
    case 'change': {
      const parts = [e.action, printable(e.path)];
      if (e.to !== undefined) parts.push('->', printable(e.to));
      if (e.side) parts.push(`(${e.side})`);
      if (e.bytes !== undefined) parts.push(formatBytes(e.bytes));
      if (e.ms !== undefined) parts.push(ms(e.ms));
      return parts.join(' ');
    }
    case 'error':
      return `error ${e.path !== undefined ? printable(e.path) + ': ' : ''}${printableText(e.message)}`;
    case 'notice':
      return `notice ${printableText(e.message)}`;
    case 'outage':
      return `outage ${e.action} ${printableText(e.message)}${e.ms !== undefined ? ` (after ${ms(e.ms)})` : ''}`;
  }
}

function statusText(s: WatchStatus): string {
  const calls = Object.entries(s.calls)
    .map(([k, v]) => `${k} ${v}`)
    .join(' ');
  const last = s.lastChange !== undefined ? `last change ${printable(s.lastChange)}` : 'no change yet';
  return `watching ${s.watching} files · ${last} · pending ${s.pending} · B2 calls ${calls || 'none'}`;
}

class Printer implements WatchPrinter {
  private statusShown = false;
  private lastStatus?: WatchStatus;

  constructor(
    private readonly out: Out,
    private readonly o: { json: boolean; tty: boolean },
  ) {}

  event(e: WatchEvent): void {
    const time = utcStamp();
    if (this.o.json) {
      this.out.write(scrub(JSON.stringify({ ...e, time })) + '\n');
      return;
    }
    this.clearStatus();
    this.out.write(scrub(`${time} ${watchLine(e)}`) + '\n');
    if (this.lastStatus) this.drawStatus(this.lastStatus);
  }

  status(s: WatchStatus): void {
    if (!this.o.tty || this.o.json) return;
    this.lastStatus = s;
    this.drawStatus(s);
  }

  close(): void {
    this.clearStatus();
    this.lastStatus = undefined;
  }

  private drawStatus(s: WatchStatus): void {
    let text = statusText(s);
    const width = this.out.columns;
    if (width && text.length > width - 1) text = text.slice(0, Math.max(0, width - 2)) + '…';
    this.out.write(`\r\x1b[2K${scrub(text)}`);
    this.statusShown = true;
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.out.write('\r\x1b[2K');
    this.statusShown = false;
  }
}

export function watchPrinter(out: Out, o: { json: boolean; tty: boolean }): WatchPrinter {
  return new Printer(out, o);
}
