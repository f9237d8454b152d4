/**
 * An upload body read from a byte range of a local file into two buffers reused for the whole body:
 * each chunk is read (the next one read ahead into the other buffer), counted and hashed in one step
 * and handed to undici as an async iterable, with no stream chain between the file and the socket.
 *
 * Reuse is safe because undici (client-h1 writeIterable) asks for the next chunk only once the socket
 * took the previous one whole: a chunk larger than the socket's highWaterMark makes write() return
 * false, and undici waits for 'drain' before pulling again. So when chunk k is asked for, chunk k-1's
 * buffer is free for the read-ahead of chunk k+1. Fewer fresh 1 MiB buffers also means less garbage
 * collection and fewer page faults on fresh memory (docs/performance.md, "Upload CPU, pooled reads").
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

/** A byte range of a local file, opened again for every attempt of an upload. */
export interface FileRangeSource {
  readonly path: string;
  readonly start: number;
  readonly length: number;
  /**
   * Called once the file is open and again after its last byte was read but before that byte is sent:
   * throwing (e.g. the file changed) fails the attempt, and the error is its sourceError().
   */
  readonly check?: (fh: FileHandle) => Promise<void>;
}

export function isFileRangeSource(x: unknown): x is FileRangeSource {
  const s = x as FileRangeSource | null;
  return typeof s === 'object' && s !== null && typeof s.path === 'string' && typeof s.start === 'number';
}

/**
 * Read size, and the size of each of the two buffers (must stay well above a socket's highWaterMark).
 * 4 MiB: ~14% less client CPU per GiB than 1 MiB with these reused buffers (fewer reads, socket writes
 * and hops through undici; docs/performance.md, "issue 11 helper round"), at 8 MiB per part in flight.
 */
export const POOLED_CHUNK = 4 * 1024 * 1024;

/** One attempt's body from a file range: the chunks (iterate once), the SHA-1 when done, errors, release. */
export interface PooledFileBody {
  chunks: AsyncIterable<Buffer>;
  /** The SHA-1 (hex) of the range; valid once every chunk was taken. */
  sha1(): string;
  /** The error the file gave (open, read, a short file, a failed check), if any. */
  sourceError(): Error | undefined;
  /** Stop reading and close the file (also when the chunks were never taken). */
  dispose(): void;
}

interface BodyState {
  hash: Hash | undefined;
  hex: string | undefined;
  bytes: number;
  onProgress: ((bytes: number) => void) | undefined;
  error: Error | undefined;
}

/** Read `len` bytes at `pos` into buf (fewer only at the end of the file). */
async function readFull(fh: FileHandle, buf: Buffer, len: number, pos: number): Promise<number> {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function* rangeChunks(src: FileRangeSource, st: BodyState): AsyncGenerator<Buffer> {
  let fh: FileHandle | undefined;
  let ahead: Promise<number> | undefined;
  const readAhead = (buf: Buffer, len: number, pos: number): void => {
    ahead = readFull(fh!, buf, len, pos);
    ahead.catch(() => 0); // awaited later; not an unhandled rejection while the socket drains
  };
  try {
    fh = await open(src.path, 'r');
    await src.check?.(fh);
    const size = Math.min(POOLED_CHUNK, src.length);
    const bufs = [Buffer.allocUnsafeSlow(size), src.length > size ? Buffer.allocUnsafeSlow(size) : Buffer.alloc(0)];
    let pos = src.start;
    let left = src.length;
    let i = 0;
    if (left > 0) readAhead(bufs[0], size, pos);
    while (left > 0) {
      const want = Math.min(size, left);
      const n = await ahead!;
      ahead = undefined;
      if (n < want)
        throw new Error(
          `${src.path}: expected ${src.length} bytes at offset ${src.start}, read ${src.length - left + n}`,
        );
      const buf = bufs[i];
      pos += n;
      left -= n;
      if (left > 0) {
        i = 1 - i;
        readAhead(bufs[i], Math.min(size, left), pos);
      } else await src.check?.(fh);
      const chunk = n === buf.length ? buf : buf.subarray(0, n);
      st.hash?.update(chunk);
      st.bytes += n;
      st.onProgress?.(st.bytes);
      yield chunk;
    }
    if (st.hash) {
      st.hex = st.hash.digest('hex');
      yield Buffer.from(st.hex, 'latin1');
    }
  } catch (err) {
    st.error ??= err as Error;
    throw err;
  } finally {
    if (ahead) await (ahead as Promise<number>).catch(() => 0);
    await fh?.close();
  }
}

/**
 * The body of one attempt: `src`'s bytes, then (with `appendSha1`, B2's hex_digits_at_end) the 40 hex
 * digits of their SHA-1. The file is opened when the first chunk is asked for.
 */
export function pooledFileBody(
  src: FileRangeSource,
  appendSha1: boolean,
  onProgress?: (bytes: number) => void,
): PooledFileBody {
  const st: BodyState = {
    hash: appendSha1 ? createHash('sha1') : undefined,
    hex: undefined,
    bytes: 0,
    onProgress,
    error: undefined,
  };
  onProgress?.(0);
  const gen = rangeChunks(src, st);
  return {
    chunks: gen,
    sha1: () => {
      if (st.hex === undefined) throw new Error('pooledFileBody: sha1() before the last chunk was taken');
      return st.hex;
    },
    sourceError: () => st.error,
    dispose: () => {
      gen.return(undefined).catch(() => undefined);
    },
  };
}
