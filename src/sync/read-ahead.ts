/**
 * Read an async iterable ahead of its consumer into a bounded buffer, so that a slow source (a B2
 * listing page in flight, a batch of stat calls) overlaps with the work on entries already read.
 * Memory: at most `max` buffered items.
 */
export async function* readAhead<T>(src: AsyncIterable<T>, max: number): AsyncGenerator<T> {
  const it = src[Symbol.asyncIterator]();
  const ahead = new AheadBuffer(it, max);
  const pumping = ahead.pump();
  try {
    while (true) {
      if (ahead.ready) {
        yield ahead.take();
        continue;
      }
      if (ahead.failed) throw ahead.error;
      if (ahead.done) return;
      await ahead.waitForItem();
    }
  } finally {
    ahead.stop();
    await pumping;
    if (!ahead.done || !ahead.failed) await it.return?.(undefined);
  }
}

/** The buffer between one producer (pump) and one consumer (take), each waking the other. */
class AheadBuffer<T> {
  private buf: T[] = [];
  private head = 0;
  private stopped = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  done = false;
  failed = false;
  error: unknown;

  constructor(
    private readonly it: AsyncIterator<T>,
    private readonly max: number,
  ) {}

  /** Fill the buffer, waiting while it holds `max`; ends at the source's end, on its error, or on stop. */
  async pump(): Promise<void> {
    try {
      while (!this.stopped) {
        if (this.buf.length - this.head >= this.max) {
          await new Promise<void>((r) => (this.wakeProducer = r));
          continue;
        }
        const r = await this.it.next();
        if (r.done || this.stopped) break;
        this.buf.push(r.value);
        this.notifyConsumer();
      }
    } catch (e) {
      this.failed = true;
      this.error = e;
    }
    this.done = true;
    this.notifyConsumer();
  }

  get ready(): boolean {
    return this.head < this.buf.length;
  }

  /** The next buffered item (compacting the array now and then), making room for the producer. */
  take(): T {
    const v = this.buf[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
    this.notifyProducer();
    return v;
  }

  waitForItem(): Promise<void> {
    return new Promise<void>((r) => (this.wakeConsumer = r));
  }

  stop(): void {
    this.stopped = true;
    this.notifyProducer();
  }

  private notifyConsumer(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = undefined;
    w?.();
  }

  private notifyProducer(): void {
    const w = this.wakeProducer;
    this.wakeProducer = undefined;
    w?.();
  }
}
