/** Parse a b2_authorize_account reply (v4 shape, with v3 and v1/v2 fall-backs) into AccountInfo. */
import { B2Error } from '../core/errors.js';
import type { AuthorizeResponseV2, AuthorizeResponseV3, AuthorizeResponseV4 } from '../wire/types.js';
import type { AccountInfo } from './api.js';

type AnyAuthorize = Partial<AuthorizeResponseV4> &
  Partial<AuthorizeResponseV2> & { apiInfo?: { storageApi?: Record<string, unknown> } };

function bad(what: string): B2Error {
  return new B2Error({
    status: 200,
    code: 'bad_response',
    message: `b2_authorize_account: reply lacks ${what}`,
    call: 'b2_authorize_account',
  });
}

function bucketsFrom(bucketId: unknown, bucketName: unknown): { id: string; name: string | null }[] | null {
  if (typeof bucketId !== 'string' || !bucketId) return null;
  return [{ id: bucketId, name: typeof bucketName === 'string' ? bucketName : null }];
}

export function parseAuthorize(body: unknown, authorizedAt: number): { token: string; account: AccountInfo } {
  const r = body as AnyAuthorize;
  if (!r || typeof r !== 'object') throw bad('a JSON object');
  if (typeof r.authorizationToken !== 'string') throw bad('authorizationToken');
  if (typeof r.accountId !== 'string') throw bad('accountId');
  const storage = r.apiInfo?.storageApi;
  let account: AccountInfo;
  if (storage && typeof storage === 'object') {
    const s = storage as Record<string, unknown>;
    const allowed = s.allowed as AuthorizeResponseV4['apiInfo']['storageApi']['allowed'] | undefined;
    const v3 = s as unknown as AuthorizeResponseV3['apiInfo']['storageApi'];
    account = {
      accountId: r.accountId,
      apiUrl: String(s.apiUrl ?? ''),
      downloadUrl: String(s.downloadUrl ?? ''),
      recommendedPartSize: Number(s.recommendedPartSize),
      absoluteMinimumPartSize: Number(s.absoluteMinimumPartSize),
      allowed: allowed
        ? {
            capabilities: allowed.capabilities ?? [],
            buckets: allowed.buckets ?? null,
            namePrefix: allowed.namePrefix ?? null,
          }
        : {
            capabilities: v3.capabilities ?? [],
            buckets: bucketsFrom(v3.bucketId, v3.bucketName),
            namePrefix: v3.namePrefix ?? null,
          },
      authorizedAt,
    };
  } else {
    const a = r.allowed;
    account = {
      accountId: r.accountId,
      apiUrl: String(r.apiUrl ?? ''),
      downloadUrl: String(r.downloadUrl ?? ''),
      recommendedPartSize: Number(r.recommendedPartSize ?? r.minimumPartSize),
      absoluteMinimumPartSize: Number(r.absoluteMinimumPartSize ?? r.minimumPartSize),
      allowed: {
        capabilities: a?.capabilities ?? [],
        buckets: bucketsFrom(a?.bucketId, a?.bucketName),
        namePrefix: a?.namePrefix ?? null,
      },
      authorizedAt,
    };
  }
  if (!account.apiUrl) throw bad('apiUrl');
  if (!account.downloadUrl) throw bad('downloadUrl');
  account.apiUrl = account.apiUrl.replace(/\/+$/, '');
  account.downloadUrl = account.downloadUrl.replace(/\/+$/, '');
  if (!Number.isFinite(account.recommendedPartSize)) account.recommendedPartSize = 100_000_000;
  if (!Number.isFinite(account.absoluteMinimumPartSize)) account.absoluteMinimumPartSize = 5_000_000;
  return { token: r.authorizationToken, account };
}
