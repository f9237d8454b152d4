/** config: interactive setup, add (key from stdin or B2_APPLICATION_KEY, never argv), list, show (key masked), remove. */
import { B2Client } from '../../client/b2-client.js';
import { DEFAULT_REALM, type AccountInfo } from '../../client/api.js';
import { B2Error, UsageError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { loadConfig } from '../config/config-file.js';
import {
  addProfile,
  checkEndpoint,
  checkKeyPair,
  getProfile,
  maskSecret,
  profileKey,
  removeProfile,
} from '../config/profiles.js';
import { LineReader } from '../prompt.js';
import { profileNameProblem } from '../remote-path.js';
import { registerSecret } from '../output/secrets.js';

export interface ConfigAddOptions {
  keyId: string;
  endpoint?: string;
  default: boolean;
  check: boolean;
}

/** Authorize once with the key and describe what it may do. */
async function checkKey(
  ctx: CliContext,
  keyId: string,
  key: string,
  endpoint: string,
): Promise<{ account: AccountInfo; buckets: string[] }> {
  const client = new B2Client({
    applicationKeyId: keyId,
    applicationKey: key,
    endpoint,
    tokenCache: { kind: 'file', dir: ctx.configDir },
    retry: { retries: 1, baseDelayMs: 200 },
  });
  try {
    let account: AccountInfo;
    try {
      account = await client.account();
    } catch (err) {
      if (err instanceof B2Error && err.status === 401)
        throw new UsageError(`the key was refused by ${endpoint} (${err.code}): check the key id and key`);
      throw err;
    }
    let buckets: string[] = [];
    if (account.allowed.buckets) buckets = account.allowed.buckets.map((b) => b.name ?? `(deleted ${b.id})`);
    else if (account.allowed.capabilities.includes('listBuckets'))
      buckets = (await client.listBuckets()).map((b) => b.bucketName);
    return { account, buckets };
  } finally {
    await client.close();
  }
}

function describeKey(ctx: CliContext, name: string, info: { account: AccountInfo; buckets: string[] }): void {
  const a = info.account.allowed;
  ctx.out.result(
    {
      type: 'key-check',
      profile: name,
      accountId: info.account.accountId,
      capabilities: a.capabilities,
      bucketRestriction: a.buckets ? a.buckets.map((b) => b.name) : null,
      buckets: info.buckets,
      namePrefix: a.namePrefix,
    },
    [
      `key works: account ${info.account.accountId}`,
      `  capabilities: ${a.capabilities.join(', ') || '(none)'}`,
      `  buckets: ${a.buckets ? `only ${info.buckets.join(', ')}` : info.buckets.length ? `all (${info.buckets.join(', ')})` : 'all (none yet)'}`,
      `  name prefix: ${a.namePrefix ?? '(any)'}`,
    ].join('\n'),
  );
}

async function readAllStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin as AsyncIterable<Buffer | string>)
    chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function saveProfile(
  ctx: CliContext,
  name: string,
  keyId: string,
  key: string,
  o: { endpoint?: string; default: boolean; check: boolean },
): Promise<void> {
  registerSecret(key);
  checkKeyPair(keyId, key);
  const endpoint = checkEndpoint(o.endpoint ?? ctx.globals.endpoint ?? ctx.env.B2SYNC_ENDPOINT ?? DEFAULT_REALM);
  const info = o.check ? await checkKey(ctx, keyId, key, endpoint) : undefined;
  const stored = await addProfile(
    ctx.configDir,
    { name, keyId, key, endpoint: endpoint === DEFAULT_REALM ? undefined : endpoint, makeDefault: o.default },
    ctx.env,
  );
  if (stored.notice) ctx.out.notice(stored.notice);
  if (info) describeKey(ctx, name, info);
  ctx.out.result(
    {
      type: 'profile',
      name,
      keyId,
      endpoint,
      keyStore: stored.keyStore,
      default: stored.isDefault,
      configFile: stored.configPath,
    },
    `saved profile "${name}" (key in ${stored.keyStore === 'keyring' ? 'the OS keyring' : stored.configPath})${stored.isDefault ? ', the default profile' : ''}`,
  );
}

export async function configAddAction(ctx: CliContext, name: string, o: ConfigAddOptions): Promise<void> {
  const problem = profileNameProblem(name);
  if (problem) throw new UsageError(problem);
  let key = ctx.env.B2_APPLICATION_KEY;
  if (!key) {
    if (ctx.io.stdin.isTTY) {
      const r = new LineReader(ctx.io.stdin, ctx.io.stderr);
      try {
        key = await r.ask('Application key: ', true);
      } finally {
        r.close();
      }
    } else key = await readAllStdin(ctx);
  }
  if (!key)
    throw new UsageError(
      'the application key is empty: pipe it on stdin or set B2_APPLICATION_KEY (never on the command line)',
    );
  await saveProfile(ctx, name, o.keyId, key, o);
}

export async function configInteractiveAction(
  ctx: CliContext,
  o: { endpoint?: string; check: boolean },
): Promise<void> {
  const r = new LineReader(ctx.io.stdin, ctx.io.stderr);
  try {
    ctx.io.stderr.write('Add a b2sync profile (Ctrl-D to stop).\n');
    const name = ((await r.ask('Profile name [default]: ')) ?? '').trim() || 'default';
    const problem = profileNameProblem(name);
    if (problem) throw new UsageError(problem);
    const keyId = ((await r.ask('Application key id: ')) ?? '').trim();
    if (!keyId)
      throw new UsageError('the application key id is empty: copy the keyID from the Backblaze Application Keys page');
    const key = ((await r.ask('Application key (not shown): ', true)) ?? '').trim();
    registerSecret(key);
    if (!key)
      throw new UsageError('the application key is empty: copy the applicationKey shown when the key was created');
    const config = await loadConfig(ctx.configDir);
    await saveProfile(ctx, name, keyId, key, { endpoint: o.endpoint, default: !config.defaultProfile, check: o.check });
  } finally {
    r.close();
  }
}

export async function configListAction(ctx: CliContext): Promise<void> {
  const config = await loadConfig(ctx.configDir);
  const names = Object.keys(config.profiles).sort();
  if (names.length === 0) ctx.out.notice('no profiles yet: add one with `b2sync config`');
  for (const n of names) {
    const p = config.profiles[n];
    const isDefault = config.defaultProfile === n;
    ctx.out.result(
      {
        type: 'profile',
        name: n,
        keyId: p.keyId,
        endpoint: p.endpoint ?? DEFAULT_REALM,
        keyStore: p.keyStore,
        default: isDefault,
      },
      `${isDefault ? '*' : ' '} ${n.padEnd(20)} ${p.keyId.padEnd(26)} ${p.keyStore.padEnd(7)} ${p.endpoint ?? DEFAULT_REALM}`,
    );
  }
}

export async function configShowAction(ctx: CliContext, name: string): Promise<void> {
  const config = await loadConfig(ctx.configDir);
  const p = getProfile(config, name);
  let masked: string;
  try {
    const key = await profileKey(name, p, ctx.env);
    registerSecret(key);
    masked = maskSecret(key);
  } catch (err) {
    masked = `(unavailable: ${err instanceof Error ? err.message : String(err)})`;
  }
  const isDefault = config.defaultProfile === name;
  ctx.out.result(
    {
      type: 'profile',
      name,
      keyId: p.keyId,
      key: masked,
      endpoint: p.endpoint ?? DEFAULT_REALM,
      keyStore: p.keyStore,
      default: isDefault,
    },
    [
      `profile:  ${name}${isDefault ? ' (default)' : ''}`,
      `key id:   ${p.keyId}`,
      `key:      ${masked}`,
      `stored:   ${p.keyStore === 'keyring' ? 'OS keyring' : 'config file'}`,
      `endpoint: ${p.endpoint ?? DEFAULT_REALM}`,
    ].join('\n'),
  );
}

export async function configRemoveAction(ctx: CliContext, name: string): Promise<void> {
  const r = await removeProfile(ctx.configDir, name, ctx.env);
  ctx.out.result(
    { type: 'profile-removed', name, newDefault: r.newDefault ?? null },
    `removed profile "${name}"${r.wasDefault ? (r.newDefault ? `; "${r.newDefault}" is now the default` : '; no default profile left') : ''}`,
  );
}
