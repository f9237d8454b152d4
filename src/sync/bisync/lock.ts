/**
 * One bisync run per pair at a time. The lock file is created whole and atomically: its content
 * ({pid, host, started, command}) is written to a temp file, which is then hard-linked to `lock`
 * (link fails with EEXIST when a lock exists), so no reader ever sees a half-written lock. A lock
 * whose process is dead on this host is taken over, with a notice: the stale file is renamed away
 * (only one taker can rename it), checked to be the one read, and removed; then the lock is taken again.
 */
import { hostname } from 'node:os';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly info: LockInfo,
  ) {
    super(
      `bisync of this pair is running (pid ${info.pid} on host ${info.host} since ${info.started}; lock file ${file})`,
    );
    this.name = 'LockHeldError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<{ text: string; info: LockInfo } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    if (typeof info.pid !== 'number' || typeof info.host !== 'string') throw new Error('fields');
    return { text, info };
  } catch {
    throw new Error(`bisync lock file ${file} cannot be read; if no bisync of this pair runs, remove it`);
  }
}

export class PairLock {
  private held = false;
  private readonly text: string;

  constructor(
    readonly file: string,
    command: string,
  ) {
    const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
    this.text = JSON.stringify(info) + '\n';
  }

  /** Take the lock, taking over one left by a dead process on this host (onNotice says so). */
  async acquire(onNotice?: (message: string) => void): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.tryLink()) return;
      const cur = await readLock(this.file);
      if (!cur) continue;
      if (cur.info.host !== hostname() || alive(cur.info.pid)) throw new LockHeldError(this.file, cur.info);
      if (await this.takeOver(cur.text))
        onNotice?.(`took over the lock of pid ${cur.info.pid}, which is no longer running (${this.file})`);
    }
    const cur = await readLock(this.file);
    if (cur) throw new LockHeldError(this.file, cur.info);
    throw new Error(`could not take the bisync lock ${this.file}`);
  }

  private async tryLink(): Promise<boolean> {
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, this.text, { flush: true });
    try {
      await link(tmp, this.file);
      this.held = true;
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Move the stale lock away; if what moved is not the stale one read (another run took over first), put it back. */
  private async takeOver(staleText: string): Promise<boolean> {
    const aside = join(`${this.file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      await rename(this.file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    const moved = await readFile(aside, 'utf8');
    if (moved !== staleText) {
      await link(aside, this.file).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      return false;
    }
    await unlink(aside);
    return true;
  }

  /** Remove the lock if it is still ours. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const cur = await readFile(this.file, 'utf8').catch(() => undefined);
    if (cur === this.text) await unlink(this.file).catch(() => undefined);
  }
}
