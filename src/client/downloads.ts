/** Downloads by id and by name (GET, or HEAD for the headers only), with B2's headers parsed. */
import { B2Error, UsageError } from '../core/errors.js';
import { H } from '../wire/headers.js';
import type { AccountInfo, CallOptions, DownloadOptions, DownloadResponse } from './api.js';
import { API, type ClientCore } from './core.js';
import { parseDownloadHeaders } from './download-headers.js';
import { byNameUrl, withQuery } from './share.js';
import type { HttpResponse } from './transport.js';
import { checkFileName } from './validate.js';

async function fetchDownload(
  core: ClientCore,
  call: 'b2_download_file_by_id' | 'b2_download_file_by_name',
  method: 'GET' | 'HEAD',
  makeUrl: (account: AccountInfo) => string,
  opts: DownloadOptions,
): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  if (opts.range) {
    const { start, end } = opts.range;
    if (
      !Number.isSafeInteger(start) ||
      start < 0 ||
      (end !== undefined && (!Number.isSafeInteger(end) || end < start))
    ) {
      throw new UsageError(`bad byte range ${start}-${end ?? ''}`);
    }
    headers[H.range] = `bytes=${start}-${end ?? ''}`;
  }
  return core.withAuth(opts.signal, (auth, attempt, sig) =>
    core.transport.stream({
      call,
      method,
      url: makeUrl(auth.account),
      headers: { ...headers, authorization: auth.token },
      signal: sig,
      attempt,
      download: method === 'GET',
    }),
  );
}

function toDownload(call: string, res: HttpResponse): DownloadResponse {
  try {
    return { ...parseDownloadHeaders(call, res.status, res.headers), body: res.body };
  } catch (err) {
    res.body.destroy();
    throw err;
  }
}

export async function downloadById(
  core: ClientCore,
  fileId: string,
  opts: DownloadOptions = {},
): Promise<DownloadResponse> {
  const call = 'b2_download_file_by_id';
  const res = await fetchDownload(
    core,
    call,
    'GET',
    (a) => withQuery(`${a.downloadUrl}/${API}/${call}`, { fileId, ...opts.overrides }),
    opts,
  );
  return toDownload(call, res);
}

export async function downloadByName(
  core: ClientCore,
  bucketName: string,
  fileName: string,
  opts: DownloadOptions = {},
): Promise<DownloadResponse> {
  checkFileName(fileName);
  const call = 'b2_download_file_by_name';
  const res = await fetchDownload(
    core,
    call,
    'GET',
    (a) => withQuery(byNameUrl(a.downloadUrl, bucketName, fileName), { ...opts.overrides }),
    opts,
  );
  return toDownload(call, res);
}

export async function headFileByName(
  core: ClientCore,
  bucketName: string,
  fileName: string,
  opts: CallOptions = {},
): Promise<Omit<DownloadResponse, 'body'> | undefined> {
  checkFileName(fileName);
  const call = 'b2_download_file_by_name';
  let res: HttpResponse;
  try {
    res = await fetchDownload(core, call, 'HEAD', (a) => byNameUrl(a.downloadUrl, bucketName, fileName), {
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof B2Error && err.notFound) return undefined;
    throw err;
  }
  await res.body.dump().catch(() => undefined);
  return parseDownloadHeaders(call, res.status, res.headers);
}
