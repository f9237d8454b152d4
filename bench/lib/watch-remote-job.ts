/**
 * The B2 → local job of the watch benchmark: objects uploaded through the B2 API one at a time (a
 * random pause before each, so uploads fall at random points of the --poll cycle), each timed from
 * the upload's answer to the local file existing with its full size. Two modes:
 *   poll     `sync --watch --poll P b2://… DIR`: found by the next listing
 *   webhook  `--events-listen 127.0.0.1:PORT` (poll left at 60 s), with a notification rule on the
 *            bucket for the prefix pointing at that port, signed with a secret the watcher gets in
 *            B2SYNC_EVENTS_SECRET (and can read from the rule)
 * PORT is picked free by the benchmark (listen on 0, close) before the watcher starts, so the rule can
 * be set first.
 */
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sha1, sleep } from './bucket-poll.js';
import { waitForFile, type WatchContext } from './watch-context.js';
import type { Stopped } from './watch-process.js';

export interface RemoteRun {
  mode: 'poll' | 'webhook';
  pollMs: number;
  latencies: number[];
  readyMs: number;
  stopped: Stopped;
  errors: string[];
  /** The emulator's webhook delivery stats after the run (webhook mode). */
  deliveries?: Record<string, unknown>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const secret32 = () => Array.from({ length: 32 }, () => ALNUM[randomInt(ALNUM.length)]).join('');

async function setRule(ctx: WatchContext, prefix: string, url: string | undefined, secret: string): Promise<void> {
  const bucketId = ctx.poll.bucketId;
  const rules = url
    ? [
        {
          name: 'watch-bench',
          eventTypes: ['b2:ObjectCreated:*', 'b2:ObjectDeleted:*', 'b2:HideMarkerCreated:*'],
          objectNamePrefix: `${prefix}/`,
          isEnabled: true,
          targetConfiguration: { targetType: 'webhook', url, hmacSha256SigningSecret: secret },
        },
      ]
    : [];
  await ctx.raw.call('b2_set_bucket_notification_rules', { bucketId, eventNotificationRules: rules });
}

/** Uploads through one upload URL (fetched once). */
class Uploader {
  private url?: { uploadUrl: string; authorizationToken: string };
  constructor(private readonly ctx: WatchContext) {}

  async upload(name: string, data: Buffer): Promise<void> {
    this.url ??= await this.ctx.raw.getUploadUrl(this.ctx.poll.bucketId);
    const r = await fetch(this.url.uploadUrl, {
      method: 'POST',
      headers: {
        Authorization: this.url.authorizationToken,
        'X-Bz-File-Name': name.split('/').map(encodeURIComponent).join('/'),
        'Content-Type': 'text/plain',
        'X-Bz-Content-Sha1': sha1(data),
      },
      body: data,
    });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`upload ${name}: ${r.status} ${text}`);
  }
}

export async function remoteRun(
  ctx: WatchContext,
  o: { mode: 'poll' | 'webhook'; changes: number; pollMs: number },
): Promise<RemoteRun> {
  const prefix = ctx.name(`remote-${o.mode}`);
  const local = await ctx.folder(prefix);
  const opts = ['--poll', `${o.pollMs}ms`];
  const env: NodeJS.ProcessEnv = {};
  if (o.mode === 'webhook') {
    const port = await freePort();
    const secret = secret32();
    await setRule(ctx, prefix, `http://127.0.0.1:${port}/`, secret);
    opts.push('--events-listen', `127.0.0.1:${port}`);
    env.B2SYNC_EVENTS_SECRET = secret;
  }
  const w = await ctx.watcher({ local, prefix, from: 'remote', opts, env });
  const alive = () => w.assertRunning();
  try {
    const readyMs = await ctx.readyDown(w, local, prefix);
    const up = new Uploader(ctx);
    const latencies: number[] = [];
    // Uploads land at random points of the poll cycle; webhooks need no such spread.
    const spread = o.mode === 'poll' ? o.pollMs : 300;
    for (let i = 0; i < o.changes; i++) {
      await sleep(randomInt(spread));
      const name = `r${String(i).padStart(4, '0')}.txt`;
      const data = Buffer.from(`remote change ${i} ${Date.now()}\n${'y'.repeat(500 + i)}`);
      await up.upload(`${prefix}/${name}`, data);
      const t0 = performance.now();
      const t1 = await waitForFile(join(local, name), { size: data.length, timeoutMs: 60_000 + 3 * o.pollMs, alive });
      latencies.push(t1 - t0);
    }
    const stopped = await w.stop();
    const deliveries =
      o.mode === 'webhook'
        ? ((await (await fetch(`${ctx.emu.info.url}/__b2sync__/notifications`)).json()) as Record<string, unknown>)
        : undefined;
    return { mode: o.mode, pollMs: o.pollMs, latencies, readyMs, stopped, errors: w.errors(), deliveries };
  } finally {
    await w.stop();
    if (o.mode === 'webhook') await setRule(ctx, prefix, undefined, '');
    await rm(local, { recursive: true, force: true });
  }
}
