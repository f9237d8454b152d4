/** The `--watch` options shared by `sync`, `copy` and `bisync` (docs/watch.md), and their typed form. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { WATCH_DEFAULTS, type WatchOptions } from '../../sync/watch/types.js';
import { durationOption } from '../options.js';

export interface WatchCliOptions {
  watch?: boolean;
  poll?: number;
  settle?: number;
  rescan?: number;
  watchMode?: 'events' | 'poll';
  eventsListen?: { host: string; port: number };
}

/** HOST:PORT (a port of 0 picks a free one; the chosen address is printed at start). */
export function hostPortOption(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, such as 127.0.0.1:8787.');
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export function addWatchOptions(cmd: Command): Command {
  return cmd
    .option('--watch', 'keep running: push local changes as they settle, pull B2 changes every --poll')
    .addOption(
      new Option('--poll <duration>', 'with --watch: list the B2 side this often (default 60s)').argParser(
        durationOption,
      ),
    )
    .addOption(
      new Option(
        '--settle <duration>',
        'with --watch: take a file once it stopped changing this long (default 1s)',
      ).argParser(durationOption),
    )
    .addOption(
      new Option('--rescan <duration>', 'with --watch: compare the whole local tree this often (default 1h)').argParser(
        durationOption,
      ),
    )
    .addOption(
      new Option(
        '--watch-mode <mode>',
        'with --watch: events (OS notifications, default) or poll (network file systems)',
      ).choices(['events', 'poll']),
    )
    .addOption(
      new Option('--events-listen <host:port>', 'with --watch: accept B2 event-notification webhooks here').argParser(
        hostPortOption,
      ),
    );
}

/** The typed watch options, or undefined without --watch (then any other watch option is a usage error). */
export function watchOptionsFrom(o: WatchCliOptions): WatchOptions | undefined {
  if (!o.watch) {
    const stray = (['poll', 'settle', 'rescan', 'watchMode', 'eventsListen'] as const).find((k) => o[k] !== undefined);
    if (stray) throw new UsageError(`--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --watch`);
    return undefined;
  }
  if (o.poll !== undefined && o.poll < 1000) throw new UsageError('--poll must be at least 1s');
  return {
    pollMs: o.poll ?? WATCH_DEFAULTS.pollMs,
    settleMs: o.settle ?? WATCH_DEFAULTS.settleMs,
    rescanMs: o.rescan ?? WATCH_DEFAULTS.rescanMs,
    mode: o.watchMode ?? WATCH_DEFAULTS.mode,
    eventsListen: o.eventsListen,
  };
}
