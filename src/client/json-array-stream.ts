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
 * joined and parsed alone. Malformed input surfaces as a SyntaxError from push() or end(). An optional
 * `strip` pattern (global) is removed from each element's text before it is parsed (a lean listing).
 *
 * Fast path: once the scan is inside an element of the array, the next chunk is not scanned byte by
 * byte. The bytes from that element's start are cut at the last "}" that is followed by "," and "{"
 * (whitespace allowed) and parsed with one JSON.parse; only the bytes after the cut go through the
 * scanner. JSON.parse itself checks the cut: text that starts at an element and ends inside a string
 * or a nested value does not parse, and then the chunk (and the rest of the reply) is scanned as
 * above. So names holding "},{" cost speed, never correctness.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;

/** Bytes the fast path holds without finding a cut before it scans them (and the rest of the reply) instead. */
const FAST_HOLD_LIMIT = 256 * 1024;

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
  /** Fast path: the bytes since the start of the element being read (undefined: scanning). */
  private fast: Buffer | undefined;
  /** The fast path found a cut that did not parse, or no cut in FAST_HOLD_LIMIT bytes: scan the rest. */
  private noFast = false;

  /**
   * @param arrayKey the top-level field holding the array to stream (checked when the array opens).
   * @param maxRestBytes bound on the bytes kept outside the array (a reply that is not the expected shape).
   * @param strip matches removed from the elements' text before parsing (must leave valid JSON).
   */
  constructor(
    private readonly arrayKey: string,
    private readonly maxRestBytes = 1 << 20,
    private readonly strip?: RegExp,
  ) {}

  /** Feed the next chunk; returns the elements it completed, in order. */
  push(chunk: Buffer): E[] {
    if (this.fast === undefined) return this.scanAndMaybeCut(chunk, []);
    const held = this.fast;
    const b = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    this.fast = undefined;
    // The scanner resumes between two elements of the array.
    this.depth = 2;
    this.inString = false;
    this.escaped = false;
    this.inElement = false;
    const cut = lastElementEnd(b);
    if (cut < 0) {
      if (b.length > FAST_HOLD_LIMIT) this.noFast = true;
      return this.scanAndMaybeCut(b, []);
    }
    const out = this.parseCut(b, cut);
    if (!out) {
      this.noFast = true;
      return this.scanAndMaybeCut(b, []);
    }
    return this.scanAndMaybeCut(b.subarray(b.indexOf(OPEN_OBJ, cut + 1)), out);
  }

  /** Scan a chunk; when it ends inside an element, hand that element's bytes to the fast path. */
  private scanAndMaybeCut(chunk: Buffer, out: E[]): E[] {
    const got = this.scan(chunk);
    for (const e of got) out.push(e);
    if (this.inElement && this.inArray && !this.noFast) {
      this.fast = Buffer.concat(this.pending);
      this.pending = [];
    }
    return out;
  }

  /** The whole elements in b up to the "}" at cut (b starts at an element), or undefined if that text does not parse. */
  private parseCut(b: Buffer, cut: number): E[] | undefined {
    const text = b.toString('utf8', 0, cut + 1);
    let parsed: unknown[];
    try {
      parsed = JSON.parse(`[${this.strip ? text.replace(this.strip, '') : text}]`) as unknown[];
    } catch {
      return undefined;
    }
    for (const e of parsed) {
      if (e === null || typeof e !== 'object' || Array.isArray(e))
        throw new SyntaxError(`"${this.arrayKey}" holds something other than objects`);
    }
    return parsed as E[];
  }

  /** Scan one chunk byte by byte (strings by native search); returns the elements it completed. */
  private scan(chunk: Buffer): E[] {
    const sc: ChunkScan<E> = {
      chunk,
      out: [],
      runStart: -1,
      runEnd: -1,
      strip: this.strip,
      elemStart: this.inElement ? -1 : -2,
      restStart: this.inArray ? -1 : 0,
      depth: this.depth,
      escaped: this.escaped,
      nextBs: -2,
    };
    const n = chunk.length;
    let inString = this.inString;
    for (let i = 0; i < n; i++) {
      if (inString) {
        // Most of a listing's bytes are inside strings: jump to the closing quote with a native search.
        const q = stringEnd(sc, i);
        if (q < 0) break;
        i = q;
        inString = false;
        continue;
      }
      const c = chunk[i];
      if (c === OPEN_OBJ || c === OPEN_ARR || c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.bracket(sc, i, c);
      } else if (sc.depth === 2 && this.inArray && !this.inElement && c !== COMMA && c > 0x20) {
        throw new SyntaxError(`"${this.arrayKey}" holds something other than objects`);
      } else if (c === QUOTE) {
        inString = true;
      }
    }
    this.depth = sc.depth;
    this.inString = inString;
    this.escaped = sc.escaped;
    flushRun(sc);
    if (this.inElement) {
      // Keep the unfinished element's bytes (copied: the chunk may be a view of a reused buffer).
      this.pending.push(Buffer.from(sc.elemStart >= 0 ? chunk.subarray(sc.elemStart) : chunk));
    }
    if (sc.restStart >= 0) this.keep(chunk, sc.restStart, n);
    return sc.out;
  }

  /** A bracket outside strings: it changes depth and marks where elements and the array start and end. */
  private bracket(sc: ChunkScan<E>, i: number, c: number): void {
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (this.inArray && sc.depth === 2) {
        if (c !== OPEN_OBJ) throw new SyntaxError(`"${this.arrayKey}" holds something other than objects`);
        this.inElement = true;
        sc.elemStart = i;
      } else if (c === OPEN_ARR && sc.depth === 1 && !this.arrayDone) {
        this.checkKey(sc.chunk, sc.restStart, i);
        // Keep the "[" in the rest, then stop keeping bytes until the array closes.
        this.keep(sc.chunk, sc.restStart, i + 1);
        sc.restStart = -1;
        this.inArray = true;
      } else if (sc.depth === 0 && c !== OPEN_OBJ) {
        throw new SyntaxError('reply is not a JSON object');
      }
      sc.depth++;
    } else {
      sc.depth--;
      if (sc.depth < 0) throw new SyntaxError('unbalanced JSON');
      if (sc.depth === 2 && this.inElement && c === CLOSE_OBJ) {
        this.inElement = false;
        this.elementEnded(sc, i);
      } else if (this.inArray && sc.depth === 1) {
        // The array closed: the rest resumes with its "]".
        flushRun(sc);
        this.inArray = false;
        this.arrayDone = true;
        sc.restStart = i;
      }
    }
  }

  /** An element ended at i: extend this chunk's run of whole elements, or parse the one split across chunks. */
  private elementEnded(sc: ChunkScan<E>, i: number): void {
    if (sc.elemStart >= 0) {
      if (sc.runStart < 0) sc.runStart = sc.elemStart;
      sc.runEnd = i + 1;
    } else {
      this.pending.push(sc.chunk.subarray(0, i + 1));
      const text = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      sc.out.push(JSON.parse(this.strip ? text.replace(this.strip, '') : text) as E);
    }
    sc.elemStart = -2;
  }

  /** The top-level object without the array's elements; throws when the reply was cut short. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString || this.inElement) throw new SyntaxError('JSON reply ended early');
    const text = Buffer.concat(this.rest, this.restBytes).toString('utf8');
    const rest = JSON.parse(text) as unknown;
    if (rest === null || typeof rest !== 'object' || Array.isArray(rest))
      throw new SyntaxError('reply is not a JSON object');
    return rest as Record<string, unknown>;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    if (from < 0 || to <= from) return;
    this.restBytes += to - from;
    if (this.restBytes > this.maxRestBytes)
      throw new SyntaxError(`reply has more than ${this.maxRestBytes} bytes outside "${this.arrayKey}"`);
    this.rest.push(Buffer.from(chunk.subarray(from, to)));
  }

  /** The array opening at `at` must be the value of arrayKey: look back over the kept bytes for `"key":`. */
  private checkKey(chunk: Buffer, restStart: number, at: number): void {
    const tail = Buffer.concat([
      ...this.rest,
      restStart >= 0 ? chunk.subarray(restStart, at) : Buffer.alloc(0),
    ]).toString('utf8');
    const m = /"((?:[^"\\]|\\.)*)"\s*:\s*$/.exec(tail);
    if (!m || m[1] !== this.arrayKey) throw new SyntaxError(`expected the array "${this.arrayKey}" in the reply`);
  }
}

/** The scan of one pushed chunk: positions in it, and the state carried from chunk to chunk while it runs. */
interface ChunkScan<E> {
  chunk: Buffer;
  out: E[];
  strip: RegExp | undefined;
  /** Start and end of the current run of whole elements in this chunk (runStart -1: none). */
  runStart: number;
  runEnd: number;
  /** Start of the element being scanned in this chunk (-1: it began in an earlier chunk; -2: none). */
  elemStart: number;
  /** Start of the bytes to keep in the rest from this chunk, or -1. */
  restStart: number;
  depth: number;
  /** The byte at the scan position is escaped by a backslash. */
  escaped: boolean;
  /** The chunk's next backslash at or after the scan (-1: none left; -2: not searched yet). */
  nextBs: number;
}

/**
 * The index of the last "}" in b followed by "," and "{" (whitespace between allowed), or -1: a
 * candidate end of an element, checked by parsing. Looks at the last 64 "{" at most.
 */
function lastElementEnd(b: Buffer): number {
  let p = b.lastIndexOf(OPEN_OBJ);
  for (let tries = 0; p > 0 && tries < 64; tries++) {
    let q = p - 1;
    while (q > 0 && b[q] <= 0x20) q--;
    if (b[q] === COMMA) {
      q--;
      while (q > 0 && b[q] <= 0x20) q--;
      if (b[q] === CLOSE_OBJ) return q;
    }
    p = b.lastIndexOf(OPEN_OBJ, p - 1);
  }
  return -1;
}

/** Parse the run of whole elements found in this chunk with one JSON.parse. */
function flushRun<E>(sc: ChunkScan<E>): void {
  if (sc.runStart < 0) return;
  const text = sc.chunk.toString('utf8', sc.runStart, sc.runEnd);
  const parsed = JSON.parse(`[${sc.strip ? text.replace(sc.strip, '') : text}]`) as E[];
  for (const e of parsed) sc.out.push(e);
  sc.runStart = -1;
}

/**
 * Inside a string from j: the index of its closing quote, or -1 when the chunk ends first (the escape
 * state is kept in sc). The chunk's next backslash is searched for once and reused until the scan passes it.
 */
function stringEnd<E>(sc: ChunkScan<E>, j: number): number {
  const { chunk } = sc;
  const n = chunk.length;
  for (;;) {
    if (sc.escaped) {
      if (j >= n) return -1;
      sc.escaped = false;
      j++;
    }
    if (j >= n) return -1;
    const q = chunk.indexOf(QUOTE, j);
    if (sc.nextBs !== -1 && sc.nextBs < j) sc.nextBs = chunk.indexOf(BACKSLASH, j);
    if (sc.nextBs !== -1 && (q === -1 || sc.nextBs < q)) {
      j = sc.nextBs + 1;
      sc.escaped = true;
      continue;
    }
    return q;
  }
}
