/**
 * Results applied in the order they were added, while up to `limit` of them are still being worked
 * out (hashing). A result known at once costs no promise when nothing is queued before it.
 */
export class InOrder<T> {
  private readonly queue: (T | Promise<T>)[] = [];

  constructor(
    private readonly apply: (x: T) => void | Promise<void>,
    private readonly limit: number,
  ) {}

  /** A result known now; a promise only when something must be waited for. */
  add(x: T): void | Promise<void> {
    if (this.queue.length === 0) return this.apply(x);
    this.queue.push(x);
    return this.applyReady();
  }

  /** A result still being worked out; waits only when `limit` are in flight. */
  later(p: Promise<T>): void | Promise<void> {
    p.catch(() => undefined); // rejections surface when the head is taken
    this.queue.push(p);
    return this.queue.length >= this.limit ? this.takeOne() : undefined;
  }

  /** Apply whatever is still queued. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.takeOne();
  }

  private async applyReady(): Promise<void> {
    const q = this.queue;
    while (q.length > 0 && (!(q[0] instanceof Promise) || q.length >= this.limit)) await this.takeOne();
  }

  private async takeOne(): Promise<void> {
    const head = this.queue.shift()!;
    const x = head instanceof Promise ? await head : head;
    await this.apply(x);
  }
}

/** fn over items with up to `limit` in flight; the results in the items' order. */
export async function mapLimit<T, U>(items: T[], limit: number, fn: (x: T) => Promise<U>): Promise<U[]> {
  const out = new Array<U>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
