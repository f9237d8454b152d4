/** Application keys: b2_create_key, b2_list_keys (paged), b2_delete_key. */
import type { ApplicationKey, CreateKeyResponse, ListKeysResponse } from '../wire/types.js';
import type { ClientCore } from './core.js';
import { checkPageSize } from './validate.js';

export interface CreateKeyParams {
  keyName: string;
  capabilities: string[];
  bucketIds?: string[];
  namePrefix?: string;
  validDurationInSeconds?: number;
}

async function accountId(core: ClientCore): Promise<string> {
  return (await core.session.get(core.signal())).account.accountId;
}

export async function createKey(core: ClientCore, p: CreateKeyParams): Promise<CreateKeyResponse> {
  const body: Record<string, unknown> = {
    accountId: await accountId(core),
    keyName: p.keyName,
    capabilities: p.capabilities,
  };
  if (p.bucketIds && p.bucketIds.length) body.bucketIds = p.bucketIds;
  if (p.namePrefix) body.namePrefix = p.namePrefix;
  if (p.validDurationInSeconds !== undefined) body.validDurationInSeconds = p.validDurationInSeconds;
  return core.api<CreateKeyResponse>('b2_create_key', body);
}

export async function* listKeys(
  core: ClientCore,
  opts: { pageSize?: number; signal?: AbortSignal },
): AsyncIterable<ApplicationKey> {
  const account = await accountId(core);
  const maxKeyCount = checkPageSize(opts.pageSize, 10_000, 1000);
  let start: string | null = null;
  do {
    const body: Record<string, unknown> = { accountId: account, maxKeyCount };
    if (start !== null) body.startApplicationKeyId = start;
    const res: ListKeysResponse = await core.api<ListKeysResponse>('b2_list_keys', body, opts.signal);
    for (const key of res.keys) yield key;
    start = res.nextApplicationKeyId ?? null;
  } while (start !== null);
}

export function deleteKey(core: ClientCore, applicationKeyId: string): Promise<ApplicationKey> {
  return core.api<ApplicationKey>('b2_delete_key', { applicationKeyId });
}
