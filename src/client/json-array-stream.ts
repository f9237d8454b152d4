/**
 * Incremental reader for a JSON object reply whose bulk is one array of objects, such as a B2 listing
 * page: {"files":[{...},{...}],"nextFileName":"x","nextFileId":null}.
 *
 * Bytes are pushed as they arrive; each push returns the array's elements completed so far, parsed.
 * Everything outside that array (the other top-level fields) is kept and parsed by end(). So a
 * 10,000-entry page (several MB of JSON) never sits in memory whole, as text or as objects: the
 * consumer holds one network chunk's worth of entries at a time.
 *
 * The scanner only tracks what it must: nesting depth, whether it is inside a string (and after a
 * backslash), and where each element of the array starts and ends. Elements wholly inside one chunk
 * are parsed together with a single JSON.parse of "[" + run + "]"; an element split across chunks is
 * joined and parsed alone. Malformed input surfaces as a SyntaxError from push() or end().
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;

export class JsonArrayStream<E> {
  /** Depth of nesting at the scan position: 0 outside the top-level value, 1 inside it. */
  private depth = 0;
  private inString = false;
  /** A backslash ended the previous chunk inside a string: the next byte is escaped. */
  private escaped = false;
  /** Inside the streamed array (which opened at depth 1, so its elements start at depth 2). */
  private inArray = false;
  /** The array has been seen and closed; later arrays at depth 1 are kept in the rest. */
  private arrayDone = false;
  /** Bytes of an element that started in an earlier chunk and has not ended yet. */
  private pending: Buffer[] = [];
  private inElement = false;
  /** Bytes outside the array's elements: the top-level object with the array left empty. */
  private rest: Buffer[] = [];
  private restBytes = 0;

  /**
   * @param arrayKey the top-level field holding the array to stream (checked when the array opens).
   * @param maxRestBytes bound on the bytes kept outside the array (a reply that is not the expected shape).
   */
  constructor(
    private readonly arrayKey: string,
    private readonly maxRestBytes = 1 << 20,
  ) {}

  /** Feed the next chunk; returns the elements it completed, in order. */
  push(chunk: Buffer): E[] {
    const out: E[] = [];
    const n = chunk.length;
    let i = 0;
    /** Start of the current run of whole elements in this chunk, or -1. */
    let runStart = -1;
    let runEnd = -1;
    /** Start of the element being scanned in this chunk (-1: it began in an earlier chunk). */
    let elemStart = this.inElement ? -1 : -2;
    /** Start of the bytes to keep in the rest from this chunk, or -1. */
    let restStart = this.inArray ? -1 : 0;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;

    const flushRun = () => {
      if (runStart < 0) return;
      const parsed = JSON.parse(`[${chunk.toString('utf8', runStart, runEnd)}]`) as E[];
      for (const e of parsed) out.push(e);
      runStart = -1;
    };

    // Inside strings (most of a listing's bytes) jump to the next quote with a native search; the
    // chunk's next backslash is searched for once and reused until the scan passes it.
    let nextBs = -2;
    for (; i < n; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        const q = chunk.indexOf(QUOTE, i);
        if (nextBs !== -1 && nextBs < i) nextBs = chunk.indexOf(BACKSLASH, i);
        if (nextBs !== -1 && (q === -1 || nextBs < q)) {
          i = nextBs;
          escaped = true;
          continue;
        }
        if (q === -1) {
          i = n;
          break;
        }
        i = q;
        inString = false;
        continue;
      }
      const c = chunk[i];
      if (c === QUOTE) {
        if (depth === 2 && this.inArray && !this.inElement) throw new SyntaxError(`"${this.arrayKey}" holds something other than objects`);
        inString = true;
      } else if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (this.inArray && depth === 2) {
          if (c !== OPEN_OBJ) throw new SyntaxError(`"${this.arrayKey}" holds something other than objects`);
          this.inElement = true;
          elemStart = i;
        } else if (c === OPEN_ARR && depth === 1 && !this.arrayDone) {
          this.checkKey(chunk, restStart, i);
          // Keep the "[" in the rest, then stop keeping bytes until the array closes.
          this.keep(chunk, restStart, i + 1);
          restStart = -1;
          this.inArray = true;
        } else if (depth === 0 && c !== OPEN_OBJ) {
          throw new SyntaxError('reply is not a JSON object');
        }
        depth++;
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--;
        if (depth < 0) throw new SyntaxError('unbalanced JSON');
        if (depth === 2 && this.inElement && c === CLOSE_OBJ) {
          // An element ended at i.
          this.inElement = false;
          if (elemStart >= 0) {
            if (runStart < 0) runStart = elemStart;
            runEnd = i + 1;
          } else {
            this.pending.push(chunk.subarray(0, i + 1));
            const text = Buffer.concat(this.pending).toString('utf8');
            this.pending = [];
            out.push(JSON.parse(text) as E);
          }
          elemStart = -2;
        } else if (this.inArray && depth === 1) {
          // The array closed: the rest resumes with its "]".
          flushRun();
          this.inArray = false;
          this.arrayDone = true;
          restStart = i;
        }
      } else if (depth === 2 && this.inArray && !this.inElement && c !== COMMA && c > 0x20) {
        throw new SyntaxError(`"${this.arrayKey}" holds something other than objects`);
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    flushRun();
    if (this.inElement) {
      // Keep the unfinished element's bytes (copied: the chunk may be a view of a reused buffer).
      this.pending.push(Buffer.from(elemStart >= 0 ? chunk.subarray(elemStart) : chunk));
    }
    if (restStart >= 0) this.keep(chunk, restStart, n);
    return out;
  }

  /** The top-level object without the array's elements; throws when the reply was cut short. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString || this.inElement) throw new SyntaxError('JSON reply ended early');
    const text = Buffer.concat(this.rest, this.restBytes).toString('utf8');
    const rest = JSON.parse(text) as unknown;
    if (rest === null || typeof rest !== 'object' || Array.isArray(rest)) throw new SyntaxError('reply is not a JSON object');
    return rest as Record<string, unknown>;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    if (from < 0 || to <= from) return;
    this.restBytes += to - from;
    if (this.restBytes > this.maxRestBytes) throw new SyntaxError(`reply has more than ${this.maxRestBytes} bytes outside "${this.arrayKey}"`);
    this.rest.push(Buffer.from(chunk.subarray(from, to)));
  }

  /** The array opening at `at` must be the value of arrayKey: look back over the kept bytes for `"key":`. */
  private checkKey(chunk: Buffer, restStart: number, at: number): void {
    const tail = Buffer.concat([...this.rest, restStart >= 0 ? chunk.subarray(restStart, at) : Buffer.alloc(0)]).toString('utf8');
    const m = /"((?:[^"\\]|\\.)*)"\s*:\s*$/.exec(tail);
    if (!m || m[1] !== this.arrayKey) throw new SyntaxError(`expected the array "${this.arrayKey}" in the reply`);
  }
}
