/**
 * The emulator's state and the checks every handler shares: who is calling (tokens, keys), what their
 * key allows (capabilities, bucket set, name prefix), and which bucket/file a call names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiVersion } from '../wire/types.js';
import { b2Fail } from './errors.js';
import { Controls, type Fault } from './controls.js';
import type { Params } from './params.js';
import type { BlobStore } from './store/blobs.js';
import { MetaStore } from './store/meta-store.js';
import { Notifier } from './notifications/notifier.js';
import { ALL_CAPABILITIES, type StoredBucket, type StoredFile, type StoredKey } from './store/records.js';
import { TokenTable, type AccountToken } from './tokens.js';
import { fileIdSeq } from './ids.js';

export interface ResolvedOptions {
  host: string;
  port: number;
  dataDir?: string;
  latencyMs: number;
  tokenTtlSeconds: number;
  minPartSize: number;
  recommendedPartSize: number;
  /** Largest simple upload, part, and copy_file result. */
  maxObjectBytes: number;
  log: (line: string) => void;
}

/** One B2 call being served. */
export interface Call {
  emu: Emulator;
  /** B2 call name, e.g. b2_list_file_names. */
  name: string;
  version: ApiVersion;
  req: IncomingMessage;
  res: ServerResponse;
  /** JSON parameters (empty for uploads and by-name downloads). */
  params: Params;
  query: URLSearchParams;
  /** Path after /b2api/vN/<name> (upload URLs) or after /file/ (by-name downloads). */
  pathRest: string;
  /** http://host:port as the client addressed us: used to build URLs we hand out. */
  baseUrl: string;
  /** A drop/corrupt fault for upload and download handlers to carry out. */
  fault?: Fault;
  testMode?: string;
  /** Entries a listing returned (billing: ceil(n/1000), minimum 1). */
  returned?: number;
}

export interface Principal {
  key: StoredKey;
  token: string;
}

/** What part of the namespace a call touches, for bucket and name-prefix restrictions. */
export interface Scope {
  bucketId?: string;
  /** A file name that must lie under the key's namePrefix. */
  fileName?: string;
  /** A listing prefix that must be at least as narrow as the key's namePrefix. */
  prefix?: string;
}

export class Emulator {
  readonly meta: MetaStore;
  readonly tokens = new TokenTable();
  readonly controls: Controls;
  /** Event-notification webhooks (background delivery). */
  readonly notifier = new Notifier();
  url = '';
  master!: StoredKey;
  accountId = '';
  private readonly testModeHits = new Map<string, number>();

  constructor(
    readonly opts: ResolvedOptions,
    readonly blobs: BlobStore,
  ) {
    this.meta = new MetaStore(blobs);
    this.controls = new Controls(opts.latencyMs);
  }

  /** The account and its master key, whose id is the account id (as on B2). */
  setAccount(accountId: string, key: string): void {
    this.accountId = accountId;
    this.master = {
      applicationKeyId: accountId,
      applicationKey: key,
      keyName: 'master',
      capabilities: ALL_CAPABILITIES,
      bucketIds: null,
      namePrefix: null,
      expirationTimestamp: null,
    };
  }

  /** The key with this id (the master key's id is the account id). */
  findKey(keyId: string): StoredKey | undefined {
    if (keyId === this.accountId) return this.master;
    return this.meta.keys.get(keyId);
  }

  tokenTtlMs(key: StoredKey): number {
    const ttl = this.opts.tokenTtlSeconds * 1000;
    if (key.expirationTimestamp === null) return ttl;
    return Math.max(0, Math.min(ttl, key.expirationTimestamp - Date.now()));
  }

  /**
   * X-Bz-Test-Mode modes that fail "some" requests fail the 1st, 4th, 7th… request carrying the mode
   * (deterministic, so a client's retry goes through).
   */
  testModeFires(mode: string): boolean {
    const n = this.testModeHits.get(mode) ?? 0;
    this.testModeHits.set(mode, n + 1);
    return n % 3 === 0;
  }

  /** The account token on this call (header), checked for presence, validity and expiry. */
  accountToken(call: Call, token: string | undefined = call.req.headers.authorization): Principal {
    if (!token) throw b2Fail('missing_auth_token', 'Authorization header is missing');
    const t = this.tokens.get(token);
    if (!t || t.kind !== 'account') throw b2Fail('bad_auth_token', 'Invalid authorization token');
    const key = this.findKey(t.keyId);
    if (!key) throw b2Fail('bad_auth_token', 'Invalid authorization token');
    if (t.expiresAt <= Date.now()) throw b2Fail('expired_auth_token', 'Authorization token has expired');
    if (call.testMode === 'expire_some_account_authorization_tokens' && this.testModeFires(call.testMode)) {
      (t as AccountToken).expiresAt = 0;
      throw b2Fail('expired_auth_token', 'Authorization token has expired');
    }
    return { key, token };
  }

  /** Check a key may do `capability` within `scope`; 401 unauthorized otherwise. */
  allow(key: StoredKey, capability: string | string[], scope: Scope = {}): void {
    for (const cap of Array.isArray(capability) ? capability : [capability]) {
      if (!key.capabilities.includes(cap))
        throw b2Fail('unauthorized', `application key does not have the ${cap} capability`);
    }
    if (scope.bucketId !== undefined && key.bucketIds && !key.bucketIds.includes(scope.bucketId))
      throw b2Fail('unauthorized', 'application key is restricted to a different bucket');
    if (key.namePrefix) {
      if (scope.fileName !== undefined && !scope.fileName.startsWith(key.namePrefix))
        throw b2Fail('unauthorized', `application key is restricted to names starting with ${key.namePrefix}`);
      if (scope.prefix !== undefined && !scope.prefix.startsWith(key.namePrefix))
        throw b2Fail('unauthorized', `application key is restricted to names starting with ${key.namePrefix}`);
    }
  }

  /** The account token + capability check in one step. */
  require(call: Call, capability: string | string[], scope: Scope = {}): Principal {
    const p = this.accountToken(call);
    this.allow(p.key, capability, scope);
    return p;
  }

  /** accountId parameter, when a call has one, must name this account. */
  checkAccountId(call: Call, required = true): void {
    const id = required ? call.params.reqStr('accountId') : call.params.str('accountId');
    if (id !== undefined && id !== this.accountId)
      throw b2Fail('unauthorized', `accountId ${id} does not match this account`);
  }

  bucket(bucketId: string): StoredBucket {
    const b = this.meta.buckets.get(bucketId);
    if (!b) throw b2Fail('bad_bucket_id', `Invalid bucketId: ${bucketId}`);
    return b;
  }

  /** A file version by id: 400 bad_request when the id is not one of ours, 404 not_found when gone. */
  file(fileId: string): StoredFile {
    const f = this.meta.files.get(fileId);
    if (f) return f;
    if (fileIdSeq(fileId) === undefined) throw b2Fail('bad_request', `Invalid fileId: ${fileId}`);
    throw b2Fail('not_found', `File not present: ${fileId}`);
  }

  /** An unfinished large file by id (400 bad_request otherwise, as B2 answers). */
  unfinished(fileId: string): StoredFile {
    const f = this.meta.files.get(fileId);
    if (!f) {
      if (fileIdSeq(fileId) === undefined) throw b2Fail('bad_request', `Invalid fileId: ${fileId}`);
      throw b2Fail('bad_request', `No active upload for: ${fileId}`);
    }
    if (f.action !== 'start') throw b2Fail('bad_request', `No active upload for: ${fileId}`);
    return f;
  }

  /**
   * A committed change to `f` (eventType e.g. b2:ObjectCreated:Upload): webhooks for the bucket's
   * matching rules are queued; the call's answer never waits for them.
   */
  notify(eventType: string, f: StoredFile): void {
    const bucket = this.meta.buckets.get(f.bucketId);
    if (bucket) this.notifier.emit(bucket, this.accountId, eventType, f);
  }

  /** Drop buckets, files, keys (not the master key), tokens, faults, counters, pending webhooks. */
  async reset(): Promise<void> {
    this.notifier.reset();
    this.tokens.clear();
    this.controls.reset();
    this.testModeHits.clear();
    await this.meta.commit({ t: 'reset' });
  }
}
