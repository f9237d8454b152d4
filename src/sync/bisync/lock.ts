/**
 * The pair's `lock`: JSON {pid, host, started, command, token}, taken atomically with its full content
 * (write `lock.<pid>.<random>`, fsync, link() it to `lock`; EEXIST = held). A lock of a dead process on
 * this host is taken over under a second O_EXCL file `lock.takeover`: the lock is re-read under it and
 * replaced (rename) only if it still is the same dead holder's. Released only when still ours.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { syncDir } from './durable-fs.js';

export interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
  token?: string;
}

/** The pair is locked by another run, or the lock cannot be read. The CLI maps it to exit 1. */
export class LockHeldError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: LockInfo | undefined,
    detail?: string,
  ) {
    super(
      holder
        ? `bisync of this pair is running (pid ${holder.pid} on host ${holder.host} since ${holder.started}; lock file ${lockFile})`
        : `the lock file ${lockFile} cannot be read (${detail}); if no bisync of this pair is running, remove it`,
    );
    this.name = 'LockHeldError';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockInfo>;
    if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0 || typeof o.host !== 'string') return undefined;
    if (typeof o.started !== 'string' || typeof o.command !== 'string') return undefined;
    return o as LockInfo;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Write `text` to a fresh temp file beside `file`, fsynced. */
async function writeTemp(file: string, text: string): Promise<string> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/**
 * `name` is a lock temp file (`lock.<pid>.<hex>`) left by a process that is no longer running. A live
 * process's temp file is never stale: it may be between writing it and linking it to `lock`.
 */
export function isStaleLockTemp(name: string): boolean {
  const m = /^lock\.(\d+)\.[0-9a-f]+$/.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  return pid !== process.pid && !alive(pid);
}

export class PairLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly info: LockInfo,
    private readonly text: string,
  ) {}

  /** Take the lock in `dir` (throws LockHeldError). */
  static async acquire(o: { dir: string; command: string; onNotice?: (msg: string) => void }): Promise<PairLock> {
    const file = join(o.dir, 'lock');
    const info: LockInfo = {
      pid: process.pid,
      host: hostname(),
      started: new Date().toISOString(),
      command: o.command,
      token: randomBytes(8).toString('hex'),
    };
    const text = JSON.stringify(info) + '\n';
    const deadline = Date.now() + 10_000;
    for (;;) {
      const tmp = await writeTemp(file, text);
      try {
        await link(tmp, file);
        await syncDir(o.dir);
        return new PairLock(file, info, text);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // ENOENT: our temp file was removed under us (by an older b2sync's cleanup); write it again.
        if (code === 'ENOENT' && Date.now() < deadline) continue;
        if (code !== 'EEXIST') throw err;
      } finally {
        await rm(tmp, { force: true });
      }
      const held = await readText(file);
      if (held === undefined) continue; // released meanwhile
      const holder = parseLock(held);
      if (!holder) throw new LockHeldError(file, undefined, 'not a bisync lock');
      if (holder.host !== info.host || alive(holder.pid)) throw new LockHeldError(file, holder);
      const r = await takeOver(file, held, text);
      if (r === 'won') {
        o.onNotice?.(
          `took over the lock of pid ${holder.pid} (host ${holder.host}, since ${holder.started}), which is no longer running`,
        );
        return new PairLock(file, info, text);
      }
      if (Date.now() > deadline) throw new LockHeldError(file, holder);
      if (r === 'busy') await sleep(10 + Math.random() * 20);
    }
  }

  /** Unlink the lock if it is still ours (idempotent). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if ((await readText(this.file)) === this.text) await rm(this.file, { force: true });
  }

  /** The same, synchronously (for process exit handlers). */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (readFileSync(this.file, 'utf8') === this.text) unlinkSync(this.file);
    } catch {}
  }
}

/**
 * Replace the lock `file` (whose content was `dead`) by ours, under `lock.takeover`. 'lost': the lock
 * changed meanwhile (someone else took it); 'busy': another process holds the takeover file.
 */
async function takeOver(file: string, dead: string, text: string): Promise<'won' | 'lost' | 'busy'> {
  const guard = `${file}.takeover`;
  const guardText = JSON.stringify({ pid: process.pid, host: hostname() }) + '\n';
  try {
    const fh = await open(guard, 'wx', 0o600);
    await fh.writeFile(guardText);
    await fh.close();
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    await clearStaleGuard(guard);
    return 'busy';
  }
  try {
    if ((await readText(file)) !== dead) return 'lost';
    const tmp = await writeTemp(file, text);
    await rename(tmp, file);
    await syncDir(join(file, '..'));
    return 'won';
  } finally {
    await rm(guard, { force: true });
  }
}

/** A takeover file left by a process killed during its takeover (dead pid on this host, or garbled) is removed. */
async function clearStaleGuard(guard: string): Promise<void> {
  const t = await readText(guard);
  if (t === undefined) return;
  let g: { pid?: number; host?: string } = {};
  try {
    g = JSON.parse(t) as typeof g;
  } catch {}
  const parsed = Number.isSafeInteger(g.pid) && (g.pid as number) > 0;
  // A garbled one may be in the middle of being written: stale only once it is a few seconds old.
  const old = async () => Date.now() - (await stat(guard).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > 5000;
  const stale = parsed ? g.host === hostname() && !alive(g.pid!) : await old();
  if (stale && (await readText(guard)) === t) await rm(guard, { force: true });
}
