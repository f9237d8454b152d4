/**
 * The one factory for the emulator's B2 errors: a code maps to exactly one HTTP status, so codes and
 * statuses never drift apart (b2-api.md §13).
 */

/** Every error code the emulator answers with, and the status B2 pairs it with. */
export const ERROR_STATUS = {
  bad_request: 400,
  bad_json: 400,
  bad_bucket_id: 400,
  invalid_bucket_id: 400,
  invalid_file_id: 400,
  out_of_range: 400,
  duplicate_bucket_name: 400,
  too_many_buckets: 400,
  cannot_delete_non_empty_bucket: 400,
  file_not_present: 400,
  no_such_file: 400,
  already_hidden: 400,
  missing_part: 400,
  part_sha1_mismatch: 400,
  source_too_large: 400,
  auth_token_limit: 400,
  file_lock_conflict: 400,
  bucket_missing_file_lock: 400,
  missing_auth_token: 401,
  bad_auth_token: 401,
  expired_auth_token: 401,
  unauthorized: 401,
  unsupported: 401,
  storage_cap_exceeded: 403,
  transaction_cap_exceeded: 403,
  download_cap_exceeded: 403,
  access_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  range_not_satisfiable: 416,
  too_many_requests: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A B2 error answer: status, code and message exactly as written on the wire. */
export class EmulatorError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'EmulatorError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Build the error for a known code (its status comes from ERROR_STATUS). */
export function b2Fail(code: ErrorCode, message: string, headers?: Record<string, string>): EmulatorError {
  return new EmulatorError(ERROR_STATUS[code], code, message, headers);
}

/** Build an error with an arbitrary status/code pair (fault injection). */
export function b2FailWith(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): EmulatorError {
  return new EmulatorError(status, code, message, headers);
}

/** Thrown by a handler that has already dealt with the connection (dropped it): write nothing. */
export class ConnectionDropped extends Error {
  constructor() {
    super('connection dropped');
    this.name = 'ConnectionDropped';
  }
}
