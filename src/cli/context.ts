/**
 * The typed context every action receives: global options, output, config dir, and B2 clients per
 * profile (created lazily, with the token cached in the config dir and -v call logging).
 */
import { B2Client } from '../client/b2-client.js';
import { bandwidth, type BwSchedule } from '../core/bandwidth.js';
import type { B2Api, CallLogEntry } from '../client/api.js';
import type { Bucket } from '../wire/types.js';
import { resolveConfigDir } from './config/paths.js';
import { resolveCredentials, type Credentials } from './config/credentials.js';
import { LogFile } from './output/log-file.js';
import { Output } from './output/output.js';
import { registerSecret } from './output/secrets.js';

export interface GlobalOptions {
  profile?: string;
  endpoint?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  logFile?: string;
  configDir?: string;
  retries?: number;
  /** --bwlimit, parsed; undefined: no limit. */
  bwlimit?: BwSchedule;
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

export class CliContext {
  readonly out: Output;
  readonly configDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Io;
  readonly globals: GlobalOptions;
  private readonly clients = new Map<string, Promise<{ client: B2Api; creds: Credentials }>>();
  private readonly buckets = new Map<string, Promise<Bucket>>();
  /** Aborted on SIGINT so transfers stop cleanly. */
  readonly abort = new AbortController();

  constructor(globals: GlobalOptions, io: Io) {
    this.globals = globals;
    this.io = io;
    this.env = io.env;
    this.configDir = resolveConfigDir(globals.configDir, io.env);
    bandwidth.configure(globals.bwlimit);
    const logFile = globals.logFile ? new LogFile(globals.logFile) : undefined;
    this.out = new Output({
      json: Boolean(globals.json),
      quiet: Boolean(globals.quiet),
      verbose: Boolean(globals.verbose),
      stdout: io.stdout,
      stderr: io.stderr,
      env: io.env,
      logFile,
    });
  }

  /** The profile a location names, else --profile. */
  private profileFor(locationProfile?: string): string | undefined {
    return locationProfile ?? this.globals.profile;
  }

  async credentials(locationProfile?: string): Promise<Credentials> {
    return (await this.session(locationProfile)).creds;
  }

  /** The client for a profile named by a location (or --profile, env, default profile). */
  async client(locationProfile?: string): Promise<B2Api> {
    return (await this.session(locationProfile)).client;
  }

  private session(locationProfile?: string): Promise<{ client: B2Api; creds: Credentials }> {
    const profile = this.profileFor(locationProfile);
    const key = profile ?? '';
    let s = this.clients.get(key);
    if (!s) {
      s = (async () => {
        const creds = await resolveCredentials({
          profile,
          endpointFlag: this.globals.endpoint,
          env: this.env,
          configDir: this.configDir,
        });
        registerSecret(creds.key);
        this.out.debug(
          `using ${creds.source === 'profile' ? `profile "${creds.profile}"` : 'B2_APPLICATION_KEY_ID from the environment'} at ${creds.endpoint}`,
        );
        const client = new B2Client({
          applicationKeyId: creds.keyId,
          applicationKey: creds.key,
          endpoint: creds.endpoint,
          tokenCache: { kind: 'file', dir: this.configDir },
          onCall: (e: CallLogEntry) => this.logCall(e),
          signal: this.abort.signal,
          retry: this.globals.retries !== undefined ? { retries: this.globals.retries } : undefined,
        });
        return { client, creds };
      })();
      this.clients.set(key, s);
    }
    return s;
  }

  private logCall(e: CallLogEntry): void {
    const tail = e.error ? ` ${e.error}` : '';
    this.out.debug(
      `${e.call} ${e.method} ${e.url} -> ${e.status} ${e.ms}ms${e.attempt ? ` (attempt ${e.attempt + 1})` : ''}${tail}`,
    );
  }

  /** A bucket by name (cached per profile); NotFoundError names the key's scope. */
  async bucket(name: string, locationProfile?: string): Promise<Bucket> {
    const k = `${this.profileFor(locationProfile) ?? ''}\n${name}`;
    let b = this.buckets.get(k);
    if (!b) {
      b = this.client(locationProfile).then((c) => c.getBucket(name));
      this.buckets.set(k, b);
      b.catch(() => this.buckets.delete(k));
    }
    return b;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((s) => s.then((x) => x.client.close()).catch(() => undefined)));
  }
}
