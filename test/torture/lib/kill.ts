/**
 * SIGKILL a b2sync run at a chosen point: once a trigger holds (the emulator has counted so many calls
 * of some names, or a temp file has grown to a fraction of its size), wait a little more, then kill.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningEmulator } from '../../../src/emulator/api.js';
import type { RunResult } from '../../cli/harness.js';
import type { TortureFixture } from './fixture.js';

export type Trigger = () => boolean | Promise<boolean>;

export interface KillOutcome {
  /** False when the run ended on its own before the kill came. */
  killed: boolean;
  result: RunResult;
}

/** Runs b2sync, kills it with SIGKILL `delayMs` after `trigger` first holds. */
export async function killWhen(
  fx: TortureFixture,
  args: string[],
  trigger: Trigger,
  delayMs: number,
): Promise<KillOutcome> {
  const { child, done } = fx.start(args);
  let busy = false;
  let armed = false;
  const poll = setInterval(() => {
    if (busy || armed) return;
    busy = true;
    void Promise.resolve(trigger())
      .then((hit) => {
        if (!hit) return;
        armed = true;
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, delayMs);
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, 2);
  const result = await done;
  clearInterval(poll);
  return { killed: child.signalCode === 'SIGKILL', result };
}

/** Holds once the emulator counted at least `n` calls of these names (counters reset before the run). */
export function afterCalls(emu: RunningEmulator, names: readonly string[], n: number): Trigger {
  return () => {
    const c = emu.controls.counters().calls;
    return names.reduce((s, k) => s + (c[k] ?? 0), 0) >= n;
  };
}

/** Holds once some `*.b2sync-tmp` file in dir has at least `bytes` bytes. */
export function tempReaches(dir: string, bytes: number): Trigger {
  return async () => {
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.b2sync-tmp')) continue;
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s && s.size >= bytes) return true;
    }
    return false;
  };
}
