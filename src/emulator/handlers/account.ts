/** b2_authorize_account and application keys (b2_create_key, b2_list_keys, b2_delete_key). */
import { b2Fail } from '../errors.js';
import type { Call } from '../emulator.js';
import { newApplicationKey, newApplicationKeyId } from '../ids.js';
import { keyShape } from '../shapes.js';
import { ALL_CAPABILITIES, type StoredKey } from '../store/records.js';

/** The stored key named by the request's Basic credentials, or the error B2 answers with. */
function basicAuthKey(call: Call): StoredKey {
  const header = call.req.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  const basic = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  const colon = basic.indexOf(':');
  if (colon < 0) throw b2Fail('bad_auth_token', '', { 'WWW-Authenticate': 'BASIC realm="authorize_account"' });
  const keyId = basic.slice(0, colon);
  const secret = basic.slice(colon + 1);
  const key = call.emu.findKey(keyId);
  if (!key || key.applicationKey !== secret)
    throw b2Fail('unauthorized', 'invalid application key id or application key');
  return key;
}

/** What every version's answer is built from. */
interface AuthFacts {
  call: Call;
  key: StoredKey;
  token: string;
  base: string;
  minPart: number;
  recommended: number;
}

export function authorizeAccount(call: Call): unknown {
  const { emu, version } = call;
  const key = basicAuthKey(call);
  if (key.expirationTimestamp !== null && key.expirationTimestamp <= Date.now())
    throw b2Fail('unauthorized', 'application key has expired');
  if (call.testMode === 'force_cap_exceeded') throw b2Fail('transaction_cap_exceeded', 'Transaction cap exceeded');
  if (version !== 'v4' && key.bucketIds && key.bucketIds.length > 1)
    throw b2Fail('unsupported', 'keys restricted to several buckets can only be used with b2api/v4');
  const token = emu.tokens.issue(emu.accountId, {
    kind: 'account',
    keyId: key.applicationKeyId,
    expiresAt: Date.now() + emu.tokenTtlMs(key),
  });
  const facts: AuthFacts = {
    call,
    key,
    token,
    base: call.baseUrl,
    minPart: emu.opts.minPartSize,
    recommended: emu.opts.recommendedPartSize,
  };
  if (version === 'v4') return authorizeV4(facts);
  if (version === 'v3') return authorizeV3(facts);
  return authorizeFlat(facts);
}

/** The one bucket a key is restricted to (v1–v3 can name only one), or nulls. */
function singleBucket(f: AuthFacts): { bucketId: string | null; bucketName: string | null } {
  const bucketId = f.key.bucketIds?.[0] ?? null;
  const bucketName = bucketId === null ? null : (f.call.emu.meta.buckets.get(bucketId)?.bucketName ?? null);
  return { bucketId, bucketName };
}

/** v4: apiInfo.storageApi with an `allowed` block that lists every bucket the key may reach. */
function authorizeV4(f: AuthFacts): unknown {
  const { key, base } = f;
  const emu = f.call.emu;
  return {
    accountId: emu.accountId,
    authorizationToken: f.token,
    apiInfo: {
      storageApi: {
        apiUrl: base,
        downloadUrl: base,
        s3ApiUrl: base,
        recommendedPartSize: f.recommended,
        absoluteMinimumPartSize: f.minPart,
        allowed: {
          capabilities: key.capabilities,
          buckets: key.bucketIds
            ? key.bucketIds.map((id) => ({ id, name: emu.meta.buckets.get(id)?.bucketName ?? null }))
            : null,
          namePrefix: key.namePrefix,
        },
      },
    },
    applicationKeyExpirationTimestamp: key.expirationTimestamp,
  };
}

/** v3: apiInfo.storageApi with the restriction flattened into it. */
function authorizeV3(f: AuthFacts): unknown {
  const { key, base } = f;
  return {
    accountId: f.call.emu.accountId,
    authorizationToken: f.token,
    apiInfo: {
      storageApi: {
        absoluteMinimumPartSize: f.minPart,
        apiUrl: base,
        ...singleBucket(f),
        capabilities: key.capabilities,
        downloadUrl: base,
        infoType: 'storageApi',
        namePrefix: key.namePrefix,
        recommendedPartSize: f.recommended,
        s3ApiUrl: base,
      },
    },
    applicationKeyExpirationTimestamp: key.expirationTimestamp,
  };
}

/** v1 and v2: one flat object; v1 also says minimumPartSize. */
function authorizeFlat(f: AuthFacts): unknown {
  const { key, base } = f;
  const flat: Record<string, unknown> = {
    accountId: f.call.emu.accountId,
    authorizationToken: f.token,
    apiUrl: base,
    downloadUrl: base,
    s3ApiUrl: base,
    recommendedPartSize: f.recommended,
    absoluteMinimumPartSize: f.minPart,
    allowed: { ...singleBucket(f), capabilities: key.capabilities, namePrefix: key.namePrefix },
  };
  if (f.call.version === 'v1') flat.minimumPartSize = f.recommended;
  return flat;
}

const KEY_NAME = /^[A-Za-z0-9-]{1,100}$/;
const MAX_KEY_SECONDS = 1000 * 24 * 60 * 60;

export function createKey(call: Call): unknown {
  const { emu, params, version } = call;
  const p = emu.require(call, 'writeKeys');
  emu.checkAccountId(call);
  const capabilities = params.reqStrArray('capabilities');
  if (capabilities.length === 0) throw b2Fail('bad_request', 'capabilities must not be empty');
  for (const c of capabilities)
    if (!ALL_CAPABILITIES.includes(c)) throw b2Fail('bad_request', `unknown capability: ${c}`);
  const keyName = params.reqStr('keyName');
  if (!KEY_NAME.test(keyName)) throw b2Fail('bad_request', 'keyName must be 1 to 100 letters, digits and "-"');
  const seconds = params.int('validDurationInSeconds');
  if (seconds !== undefined && (seconds < 1 || seconds > MAX_KEY_SECONDS))
    throw b2Fail('bad_request', `validDurationInSeconds must be between 1 and ${MAX_KEY_SECONDS}`);
  let bucketIds: string[] | null = null;
  const many = params.strArray('bucketIds');
  const one = params.str('bucketId');
  if (many && one !== undefined) throw b2Fail('bad_request', 'give bucketIds or bucketId, not both');
  if (many) {
    if (many.length === 0) throw b2Fail('bad_request', 'bucketIds must not be empty');
    bucketIds = [...new Set(many)];
  } else if (one !== undefined) bucketIds = [one];
  for (const id of bucketIds ?? []) emu.bucket(id);
  const namePrefix = params.str('namePrefix') ?? null;
  if (namePrefix !== null && !bucketIds) throw b2Fail('bad_request', 'namePrefix requires a bucket restriction');
  // A restricted key cannot mint a key reaching beyond its own restriction.
  if (p.key.bucketIds) {
    if (!bucketIds || bucketIds.some((id) => !p.key.bucketIds!.includes(id)))
      throw b2Fail('unauthorized', 'application key is restricted to a different bucket');
  }
  const key: StoredKey = {
    applicationKeyId: newApplicationKeyId(emu.accountId),
    applicationKey: newApplicationKey(),
    keyName,
    capabilities,
    bucketIds,
    namePrefix,
    expirationTimestamp: seconds === undefined ? null : Date.now() + seconds * 1000,
  };
  return emu.meta.commit({ t: 'key', k: key }).then(() => keyShape(key, version, emu.accountId, true));
}

export function listKeys(call: Call): unknown {
  const { emu, params, version } = call;
  emu.require(call, 'listKeys');
  emu.checkAccountId(call);
  const max = params.int('maxKeyCount') ?? 100;
  if (max < 1 || max > 10_000) throw b2Fail('bad_request', 'maxKeyCount must be between 1 and 10000');
  const start = params.str('startApplicationKeyId');
  const ids = [...emu.meta.keys.keys()].sort();
  let i = start === undefined ? 0 : ids.findIndex((id) => id >= start);
  if (i < 0) i = ids.length;
  const page = ids.slice(i, i + max);
  return {
    keys: page.map((id) => keyShape(emu.meta.keys.get(id)!, version, emu.accountId)),
    nextApplicationKeyId: i + max < ids.length ? ids[i + max] : null,
  };
}

export async function deleteKey(call: Call): Promise<unknown> {
  const { emu, params, version } = call;
  emu.require(call, 'deleteKeys');
  const id = params.reqStr('applicationKeyId');
  const key = emu.meta.keys.get(id);
  if (!key) throw b2Fail('bad_request', `application key does not exist: ${id}`);
  await emu.meta.commit({ t: '-key', id });
  emu.tokens.revokeKey(id);
  return keyShape(key, version, emu.accountId);
}
