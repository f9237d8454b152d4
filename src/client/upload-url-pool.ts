/**
 * Upload URLs (and part URLs) kept per bucket id / large-file id. A URL is handed to one upload at a
 * time: taken out of the pool while in use, given back after a success, dropped after any failure.
 */
export interface UploadSlot {
  uploadUrl: string;
  authorizationToken: string;
}

export class UploadUrlPool {
  private readonly free = new Map<string, UploadSlot[]>();

  constructor(private readonly maxPerKey = 64) {}

  take(key: string): UploadSlot | undefined {
    const list = this.free.get(key);
    const slot = list?.pop();
    if (list && list.length === 0) this.free.delete(key);
    return slot;
  }

  give(key: string, slot: UploadSlot): void {
    const list = this.free.get(key) ?? [];
    if (list.length >= this.maxPerKey) return;
    list.push(slot);
    this.free.set(key, list);
  }

  /** Forget every URL of a key (a finished or cancelled large file). */
  drop(key: string): void {
    this.free.delete(key);
  }

  /** Forget everything (new account token: upload tokens may be stale too). */
  clear(): void {
    this.free.clear();
  }

  size(key: string): number {
    return this.free.get(key)?.length ?? 0;
  }
}
