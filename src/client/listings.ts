/**
 * File listings (b2_list_file_names, b2_list_file_versions) as async iterators, each page's reply read
 * as it arrives: entry by entry, or in batches (the entries each network chunk completed).
 */
import { LIMITS } from '../core/limits.js';
import type { FileVersion } from '../wire/types.js';
import type { ListOptions } from './api.js';
import type { ClientCore } from './core.js';
import { b2RetryAfter, retrying, transientVerdict, type RetryCount, type RetryVerdict } from './retry.js';
import type { HttpRequest } from './transport.js';
import { checkPageSize } from './validate.js';

function listBody(bucketId: string, opts: ListOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    bucketId,
    maxFileCount: checkPageSize(opts.pageSize, LIMITS.maxListCount, 1000),
  };
  if (opts.prefix) body.prefix = opts.prefix;
  if (opts.delimiter) body.delimiter = opts.delimiter;
  return body;
}

/**
 * Members of a listing entry that say nothing (no encryption, no retention, no legal hold) as B2 and
 * the emulator write them, removed from a lean listing's text before it is parsed: about a third of an
 * entry's bytes and four of its six objects. Such text can only match where it is a member of an
 * entry (inside a JSON string every quote is escaped, and fileInfo's values are strings); a member
 * with any other value does not match and is kept.
 */
const SILENT_MEMBERS =
  /,"(?:serverSideEncryption":\{"algorithm":null,"mode":null\}|legalHold":\{"isClientAuthorizedToRead":(?:true|false),"value":null\}|fileRetention":\{"isClientAuthorizedToRead":(?:true|false),"value":\{"mode":null,"retainUntilTimestamp":null\}\})/g;

export function listFileNames(core: ClientCore, bucketId: string, opts: ListOptions = {}): AsyncIterable<FileVersion> {
  return flatten(fileNameBatches(core, bucketId, opts, undefined));
}

/**
 * listFileNames in batches (each array: the entries one network chunk of a page completed; never
 * empty), lean: without the members that say nothing (SILENT_MEMBERS), for callers that go through
 * many entries and read none of those (the sync).
 */
export function listFileNameBatches(
  core: ClientCore,
  bucketId: string,
  opts: ListOptions = {},
): AsyncIterable<FileVersion[]> {
  return fileNameBatches(core, bucketId, opts, SILENT_MEMBERS);
}

function fileNameBatches(
  core: ClientCore,
  bucketId: string,
  opts: ListOptions,
  strip: RegExp | undefined,
): AsyncIterable<FileVersion[]> {
  const first = opts.startFileName !== undefined ? { startFileName: opts.startFileName } : null;
  return streamList(
    core,
    'b2_list_file_names',
    { makeBase: () => listBody(bucketId, opts), first, signal: opts.signal, strip },
    {
      resumeAt: (f) => ({ startFileName: f.fileName }),
      same: (a, b) => a.fileName === b.fileName,
      next: (rest) => (typeof rest.nextFileName === 'string' ? { startFileName: rest.nextFileName } : null),
    },
  );
}

async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

export function listFileVersions(
  core: ClientCore,
  bucketId: string,
  opts: ListOptions = {},
): AsyncIterable<FileVersion> {
  return flatten(listFileVersionBatches(core, bucketId, opts));
}

function listFileVersionBatches(core: ClientCore, bucketId: string, opts: ListOptions): AsyncIterable<FileVersion[]> {
  let first: Record<string, unknown> | null = null;
  if (opts.startFileName !== undefined) {
    first = { startFileName: opts.startFileName };
    if (opts.startFileId !== undefined) first.startFileId = opts.startFileId;
  }
  return streamList(
    core,
    'b2_list_file_versions',
    { makeBase: () => listBody(bucketId, opts), first, signal: opts.signal, strip: undefined },
    {
      resumeAt: (f) => ({ startFileName: f.fileName, startFileId: f.fileId }),
      same: (a, b) => a.fileName === b.fileName && a.fileId === b.fileId,
      next: (rest) => {
        if (typeof rest.nextFileName !== 'string') return null;
        return typeof rest.nextFileId === 'string'
          ? { startFileName: rest.nextFileName, startFileId: rest.nextFileId }
          : { startFileName: rest.nextFileName };
      },
    },
  );
}

/** What a listing asks: its body (checked on first use), the start fields of its first page, its signal. */
interface ListQuery {
  makeBase: () => Record<string, unknown>;
  first: Record<string, unknown> | null;
  signal: AbortSignal | undefined;
  /** Text removed from each entry before parsing (a lean listing), or undefined. */
  strip: RegExp | undefined;
}

/** How a listing moves on: where to resume after a cut reply, which entry is a repeat, the next page's start. */
interface ListCursor {
  resumeAt: (f: FileVersion) => Record<string, unknown>;
  same: (a: FileVersion, b: FileVersion) => boolean;
  next: (rest: Record<string, unknown>) => Record<string, unknown> | null;
}

/**
 * A file listing, page by page, each page's reply read as it arrives (Transport.jsonArray): entries
 * are yielded in batches, one network chunk's worth at a time, so memory holds a slice of a page, never a whole
 * 10,000-entry page. A reply cut short after some entries is asked again from the last entry given
 * (B2's start fields are inclusive, so that entry is skipped); such re-asks share the retry count.
 */
async function* streamList(
  core: ClientCore,
  call: string,
  query: ListQuery,
  cursor: ListCursor,
): AsyncGenerator<FileVersion[]> {
  const pages = new PageReader(core, call, query, cursor);
  const count: RetryCount = { used: 0 }; // re-asks after a cut body, across the listing
  try {
    for (;;) {
      const r = await retrying(() => pages.nextBatch(), {
        signal: pages.sig,
        policy: core.retry,
        count,
        classify: (err) => pages.classify(err),
        retryAfter: b2RetryAfter,
      });
      if (r.done) {
        if (!pages.pageEnded(r.value)) return;
        continue;
      }
      const batch = pages.fresh(r.value);
      if (batch) yield batch;
    }
  } finally {
    await pages.close();
  }
}

/** The state of one listing between batches: the page being read, where the next request starts, what was given. */
class PageReader {
  readonly sig: AbortSignal | undefined;
  private readonly base: Record<string, unknown>;
  private start: Record<string, unknown> | null;
  /** After a re-ask: the last entry given, which the new reply repeats first. */
  private skip: FileVersion | undefined;
  private last: FileVersion | undefined;
  private page: AsyncGenerator<FileVersion[], Record<string, unknown>> | undefined;
  /** Requests sent for this page, for the call log. */
  private tries = 0;

  constructor(
    private readonly core: ClientCore,
    private readonly call: string,
    private readonly query: ListQuery,
    private readonly cursor: ListCursor,
  ) {
    this.base = query.makeBase(); // checked on first use, like every listing's options
    this.sig = core.signal(query.signal);
    this.start = query.first;
  }

  async nextBatch(): Promise<IteratorResult<FileVersion[], Record<string, unknown>>> {
    if (!this.page) {
      const { core, call, start, base } = this;
      const text = JSON.stringify(start ? { ...base, ...start } : base);
      const before = this.tries;
      let req: HttpRequest | undefined;
      const res = await core.withAuth(this.sig, (auth, attempt, s) => {
        req = core.jsonRequest(call, text, auth, before + attempt, s);
        this.tries = before + attempt + 1;
        return core.transport.stream(req);
      });
      this.page = core.transport.jsonArray<FileVersion>(req as HttpRequest, res, 'files', this.query.strip);
    }
    return this.page.next();
  }

  classify(err: unknown): RetryVerdict {
    if (!this.page) return 'fail'; // the request itself failed: withAuth retried it already
    this.page = undefined; // a generator that threw is finished (its body destroyed)
    if (this.last) {
      this.start = this.cursor.resumeAt(this.last);
      this.skip = this.last;
    }
    return transientVerdict(err);
  }

  /** A page's reply ended with these top-level fields: false when it was the last page. */
  pageEnded(rest: Record<string, unknown>): boolean {
    this.page = undefined;
    this.last = undefined;
    this.tries = 0;
    this.start = this.cursor.next(rest);
    return this.start !== null;
  }

  /** The batch without the entry a re-asked reply repeats; undefined when nothing is left. */
  fresh(got: FileVersion[]): FileVersion[] | undefined {
    let batch = got;
    if (this.skip) {
      const dup = this.cursor.same(batch[0], this.skip);
      this.skip = undefined;
      if (dup) batch = batch.slice(1);
      if (batch.length === 0) return undefined;
    }
    this.last = batch[batch.length - 1];
    return batch;
  }

  async close(): Promise<void> {
    await this.page?.return(undefined as never);
  }
}
