/** The lean GET client's own failure type: what went wrong, as a `kind` the transport maps. */

export type LeanGetErrorKind =
  /** The request cannot be sent as asked (a header with a line break, a non-HTTP URL): a retry cannot fix it. */
  | 'invalid-request'
  /** The connection failed, closed or went silent, or the reply broke HTTP/1.1: worth a retry. */
  | 'connection'
  /** A success reply in chunked encoding, which this client does not read: ask again through undici. */
  | 'chunked'
  /** The client was closed. */
  | 'closed';

export class LeanGetError extends Error {
  override readonly name = 'LeanGetError';
  constructor(
    readonly kind: LeanGetErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
