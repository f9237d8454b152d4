/** Reads a file (or a byte range of it) as batches of '\n'-terminated lines; a last piece without '\n' is kept as `tail`. */
import { createReadStream } from 'node:fs';

export class LineReader {
  /** Complete lines yielded so far. */
  lineNo = 0;
  /** What followed the last '\n' (a torn or unterminated last line); set when reading ends. */
  tail = '';

  constructor(
    private readonly file: string,
    private readonly range: { start?: number; end?: number } = {},
  ) {}

  async *batches(): AsyncGenerator<string[]> {
    const { start, end } = this.range;
    if (end !== undefined && start !== undefined && end <= start) return;
    const s = createReadStream(this.file, {
      encoding: 'utf8',
      highWaterMark: 1 << 18,
      start,
      end: end === undefined ? undefined : end - 1,
    });
    let rest = '';
    for await (const chunk of s as AsyncIterable<string>) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      if (parts.length > 0) {
        this.lineNo += parts.length;
        yield parts;
      }
    }
    this.tail = rest;
  }
}
