import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export function sha1Hex(data: Uint8Array | string): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * A pass-through stream that hashes what flows through it.
 * `digest()` is valid once the stream has ended. Optionally appends the
 * 40 hex digits at the end (B2's hex_digits_at_end mode).
 */
export class Sha1PassThrough extends Transform {
  private readonly hash: Hash = createHash('sha1');
  private hex: string | undefined;
  bytes = 0;

  constructor(private readonly appendHex = false) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    if (this.appendHex) this.push(Buffer.from(this.hex, 'ascii'));
    cb();
  }

  digest(): string {
    if (this.hex === undefined) throw new Error('Sha1PassThrough: digest() before end');
    return this.hex;
  }
}

/** Strip B2's "unverified:" prefix; "none" and null become undefined. */
export function normalizeSha1(value: string | null | undefined): string | undefined {
  if (!value || value === 'none') return undefined;
  return value.startsWith('unverified:') ? value.slice('unverified:'.length) : value;
}

export function isSha1Hex(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}
