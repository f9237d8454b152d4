/**
 * startEmulator: a local B2 server speaking the native API (v1-v4), in memory or on disk (--data),
 * with test controls. See docs/emulator.md.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIMITS } from '../core/limits.js';
import type { EmulatorControls, EmulatorOptions, FaultSpec, RunningEmulator } from './api.js';
import { Emulator, type ResolvedOptions } from './emulator.js';
import { newApplicationKey, randomHex } from './ids.js';
import { UsageError } from '../core/errors.js';
import { createEmulatorServer } from './server.js';
import { FsBlobStore } from './store/fs-blobs.js';
import { MemoryBlobStore } from './store/memory-blobs.js';
import type { BlobStore } from './store/blobs.js';

export * from './api.js';

export interface StartOptions extends EmulatorOptions {
  /** Where unexpected internal errors are reported (default: stderr). */
  log?: (line: string) => void;
  /** Largest simple upload, part and copy result (default 5 GiB, B2's limit). */
  maxObjectBytes?: number;
}

/** What a master key id (= the account id) may be made of: it is part of every token and key id minted. */
const MASTER_KEY_ID = /^[A-Za-z0-9_-]{1,100}$/;

function checkNumber(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isFinite(v) || v < min)) throw new RangeError(`${name} must be a number >= ${min}`);
}

function resolveOptions(options: StartOptions): ResolvedOptions {
  checkNumber('port', options.port, 0);
  checkNumber('latencyMs', options.latencyMs, 0);
  checkNumber('tokenTtlSeconds', options.tokenTtlSeconds, 1);
  checkNumber('minPartSize', options.minPartSize, 1);
  checkNumber('recommendedPartSize', options.recommendedPartSize, 1);
  if ((options.keyId === undefined) !== (options.applicationKey === undefined))
    throw new TypeError('keyId and applicationKey go together: give both or neither');
  if (options.keyId !== undefined && !MASTER_KEY_ID.test(options.keyId))
    throw new UsageError(
      'the master key id is also the account id: use 1 to 100 letters, digits, "-" or "_" (it appears in tokens and URLs)',
    );
  const minPartSize = options.minPartSize ?? LIMITS.minPartBytes;
  const opts: ResolvedOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    dataDir: options.dataDir,
    latencyMs: options.latencyMs ?? 0,
    tokenTtlSeconds: options.tokenTtlSeconds ?? LIMITS.tokenTtlSeconds,
    minPartSize,
    recommendedPartSize: Math.max(options.recommendedPartSize ?? LIMITS.recommendedPartBytes, minPartSize),
    maxObjectBytes: options.maxObjectBytes ?? LIMITS.maxPartBytes,
    log: options.log ?? ((line) => process.stderr.write(line + '\n')),
  };
  return opts;
}

export async function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  const opts = resolveOptions(options);
  let blobs: BlobStore;
  if (opts.dataDir) {
    await mkdir(opts.dataDir, { recursive: true });
    blobs = await FsBlobStore.open(opts.dataDir);
  } else blobs = new MemoryBlobStore();
  const emu = new Emulator(opts, blobs);
  if (opts.dataDir) await emu.meta.openDir(opts.dataDir);

  // The master key: as given; else the one a --data directory remembers; else a fresh one. As on B2,
  // the master key's id is the account id (a directory written when they differed adopts the key id).
  const stored = emu.meta.account;
  const keyId = options.keyId ?? stored?.keyId ?? randomHex(6);
  const applicationKey =
    options.applicationKey ?? (options.keyId === undefined ? stored?.key : undefined) ?? newApplicationKey();
  const accountId = keyId;
  emu.setAccount(accountId, applicationKey);
  if (!stored || stored.keyId !== keyId || stored.key !== applicationKey || stored.accountId !== accountId)
    await emu.meta.commit({ t: 'account', accountId, keyId, key: applicationKey });

  const server = createEmulatorServer(emu);
  server.listen(opts.port, opts.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    await emu.meta.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const hostForUrl =
    opts.host === '0.0.0.0' || opts.host === '::'
      ? '127.0.0.1'
      : opts.host.includes(':')
        ? `[${opts.host}]`
        : opts.host;
  emu.url = `http://${hostForUrl}:${port}`;

  return { url: emu.url, port, keyId, applicationKey, controls: controlsOf(emu), close: closer(server, emu) };
}

function controlsOf(emu: Emulator): EmulatorControls {
  return {
    injectFault: (spec: FaultSpec) => emu.controls.injectFault(spec),
    clearFaults: () => emu.controls.clearFaults(),
    setLatency: (ms: number) => {
      checkNumber('latency', ms, 0);
      emu.controls.latencyMs = ms;
    },
    advanceClock: (ms: number) => {
      emu.controls.advanceClock(ms);
      return emu.controls.now();
    },
    expireAllTokens: () => emu.tokens.expireAll(),
    reset: () => emu.reset(),
    counters: () => emu.controls.counters(),
    resetCounters: () => emu.controls.resetCounters(),
    notificationStats: () => emu.notifier.stats(),
    notificationsIdle: () => emu.notifier.idle(),
  };
}

/** close(): stop accepting, let in-flight requests finish for up to 2 s, then cut them; once, however often called. */
function closer(server: Server, emu: Emulator): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Give in-flight requests a moment, then cut what is left.
      const timer = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(timer);
      emu.notifier.close();
      await emu.meta.close();
    })();
    return closing;
  };
  return close;
}
