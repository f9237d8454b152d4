/**
 * Read an async iterable ahead of its consumer into a bounded buffer, so that a slow source (a B2
 * listing page in flight, a batch of stat calls) overlaps with the work on entries already read.
 * Memory: at most `max` buffered items.
 */
export async function* readAhead<T>(src: AsyncIterable<T>, max: number): AsyncGenerator<T> {
  const it = src[Symbol.asyncIterator]();
  let buf: T[] = [];
  let head = 0;
  let done = false;
  let stopped = false;
  let failed = false;
  let error: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const notifyConsumer = () => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };
  const pump = async () => {
    try {
      while (!stopped) {
        if (buf.length - head >= max) {
          await new Promise<void>((r) => (wakeProducer = r));
          continue;
        }
        const r = await it.next();
        if (r.done || stopped) break;
        buf.push(r.value);
        notifyConsumer();
      }
    } catch (e) {
      failed = true;
      error = e;
    }
    done = true;
    notifyConsumer();
  };
  const pumping = pump();
  try {
    while (true) {
      if (head < buf.length) {
        const v = buf[head++];
        if (head >= 1024 && head * 2 >= buf.length) {
          buf = buf.slice(head);
          head = 0;
        }
        const w = wakeProducer;
        wakeProducer = undefined;
        w?.();
        yield v;
        continue;
      }
      if (failed) throw error;
      if (done) return;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    stopped = true;
    const w = wakeProducer;
    wakeProducer = undefined;
    w?.();
    await pumping;
    if (!done || !failed) await it.return?.(undefined);
  }
}
