/**
 * B2's transaction classes (shared/b2-api.md §15; Backblaze's pricing page): which class each call is
 * billed as, and a counter of the calls a client sent, by class. Every HTTP exchange counts (a retried
 * call is billed again). Listings are billed per 1,000 names returned; this counts calls, not that.
 */
export type CallClass = 'A' | 'B' | 'C';

const CLASS_A = new Set([
  'b2_cancel_large_file',
  'b2_delete_bucket',
  'b2_delete_file_version',
  'b2_delete_key',
  'b2_finish_large_file',
  'b2_get_upload_part_url',
  'b2_get_upload_url',
  'b2_hide_file',
  'b2_start_large_file',
  'b2_update_file_legal_hold',
  'b2_update_file_retention',
  'b2_upload_file',
  'b2_upload_part',
]);

const CLASS_B = new Set(['b2_download_file_by_id', 'b2_download_file_by_name', 'b2_get_file_info']);

/** The class a call is billed as: A (uploads, deletes, hides), B (downloads, get_file_info), C (the rest: listings, copies, buckets, keys, authorize). */
export function callClass(call: string): CallClass {
  if (CLASS_A.has(call)) return 'A';
  if (CLASS_B.has(call)) return 'B';
  return 'C';
}

export type CallCounts = Record<CallClass, number>;

/** Calls sent, by class. */
export class CallCounter {
  private readonly counts: CallCounts = { A: 0, B: 0, C: 0 };

  add(call: string): void {
    this.counts[callClass(call)]++;
  }

  snapshot(): CallCounts {
    return { ...this.counts };
  }
}
