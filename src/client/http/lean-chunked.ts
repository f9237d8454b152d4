/**
 * A decoder of chunked transfer coding (RFC 9112 section 7.1) for the lean client's call replies:
 * bytes in as they arrive, the chunks' data out. Chunk extensions and trailer fields are read and
 * dropped. B2 and the emulator frame their replies by Content-Length; a proxy may not.
 */

/** Longest chunk-size or trailer line accepted. */
const MAX_LINE = 8 * 1024;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private left = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * Decode `buf`; returns the data it held, as views into `buf` (copy them to keep them). Bytes after
   * the end of the body are ignored. Throws a SyntaxError on a malformed body.
   */
  push(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.left, buf.length - i);
        out.push(buf.subarray(i, i + take));
        i += take;
        this.left -= take;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const nl = buf.indexOf(10, i);
      const end = nl < 0 ? buf.length : nl;
      this.line += buf.toString('latin1', i, end);
      if (this.line.length > MAX_LINE) throw new SyntaxError('chunked body: line too long');
      i = end;
      if (nl < 0) break;
      i++;
      const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
      this.line = '';
      this.onLine(line);
    }
    return out;
  }

  private onLine(line: string): void {
    if (this.state === 'size') {
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
      if (!m) throw new SyntaxError('chunked body: bad chunk size');
      this.left = parseInt(m[1], 16);
      this.state = this.left === 0 ? 'trailer' : 'data';
    } else if (this.state === 'data-end') {
      if (line !== '') throw new SyntaxError('chunked body: chunk data longer than its size');
      this.state = 'size';
    } else if (line === '') {
      this.state = 'done'; // the empty line after the trailer fields
    }
  }
}
