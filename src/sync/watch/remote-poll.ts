/**
 * The B2 side's safety net and, without webhooks, its only source: a 'remote-full' batch (compare the
 * whole watched prefix) every --poll. Ticks do not pile up behind a slow pass: a tick comes pollMs after
 * the previous one was taken, or at once when that time has already passed. The cost of one tick is
 * the listing of the prefix (pollCost).
 */
import { sleep } from '../../core/abort.js';
import type { ChangeBatch, ChangeSource } from './types.js';

/** Names one b2_list_file_names call returns at most (the listing's page size). */
export const NAMES_PER_LIST_CALL = 10_000;

const DAY_MS = 86_400_000;

/** Class C calls of one poll of `files` names (at least one call), and per day at this interval. */
export function pollCost(files: number, pollMs: number): { perPoll: number; perDay: number } {
  const perPoll = Math.max(1, Math.ceil(Math.max(0, files) / NAMES_PER_LIST_CALL));
  const polls = pollMs > 0 ? DAY_MS / pollMs : 0;
  return { perPoll, perDay: Math.ceil(perPoll * polls) };
}

export interface RemotePollOptions {
  pollMs: number;
  signal?: AbortSignal;
}

class RemotePoll implements ChangeSource {
  private last = Date.now();
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    private readonly pollMs: number,
    signal?: AbortSignal,
  ) {
    this.signal = signal ? AbortSignal.any([signal, this.stop.signal]) : this.stop.signal;
  }

  async next(): Promise<ChangeBatch | undefined> {
    const wait = this.last + this.pollMs - Date.now();
    try {
      await sleep(wait, this.signal);
    } catch {
      return undefined;
    }
    if (this.signal.aborted) return undefined;
    this.last = Date.now();
    return { origin: 'remote-full', reason: 'poll' };
  }

  close(): Promise<void> {
    this.stop.abort();
    return Promise.resolve();
  }
}

export function openRemotePoll(o: RemotePollOptions): ChangeSource {
  if (!(o.pollMs > 0)) throw new TypeError('openRemotePoll needs pollMs > 0');
  return new RemotePoll(o.pollMs, o.signal);
}
