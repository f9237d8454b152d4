/**
 * Map an async iterable through an async function with up to `width` calls in flight, yielding the
 * results in input order. Calls start in input order. Memory: `width` pending results.
 */
type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function* orderedMap<T, R>(
  src: AsyncIterable<T>,
  width: number,
  fn: (t: T) => Promise<R>,
): AsyncGenerator<R> {
  const queue: Promise<Settled<R>>[] = [];
  const settle = (t: T): Promise<Settled<R>> =>
    fn(t).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  const take = async (): Promise<R> => {
    const s = await queue.shift()!;
    if (!s.ok) throw s.error;
    return s.value;
  };
  for await (const t of src) {
    queue.push(settle(t));
    if (queue.length >= width) yield await take();
  }
  while (queue.length) yield await take();
}
