/**
 * --bwlimit: one budget per process shared by every transfer, up and down separately, optionally by
 * a timetable. Grammar (docs/commands.md): RATE | UP:DOWN | "HH:MM,RATE HH:MM,RATE ...", a RATE being a
 * size per second (10M, 512K, 1.5MB) or "off". In a timetable the slot in force is the last one whose
 * time of day (local) has passed, wrapping from the previous day. Parsing and the bucket are pure; the
 * process-wide instance (`bandwidth`) waits with timers.
 */
import { parseSize } from './parse.js';

export interface BwRates {
  /** Bytes per second; undefined = unlimited. */
  up?: number;
  down?: number;
}

export interface BwSlot extends BwRates {
  /** Minutes after local midnight. */
  minute: number;
}

/** Slots sorted by time; a plain limit is one slot at 00:00. */
export type BwSchedule = BwSlot[];

function parseRate(text: string): number | undefined | null {
  if (text.toLowerCase() === 'off') return undefined;
  const n = parseSize(text);
  return n === undefined || n <= 0 ? null : n;
}

function parseRates(text: string): BwRates | null {
  const parts = text.split(':');
  if (parts.length > 2) return null;
  const up = parseRate(parts[0]);
  const down = parts.length === 2 ? parseRate(parts[1]) : up;
  if (up === null || down === null) return null;
  return { up, down };
}

/** Parse a --bwlimit value; undefined when malformed. */
export function parseBwLimit(text: string): BwSchedule | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!t.includes(',')) {
    const r = parseRates(t);
    return r ? [{ minute: 0, ...r }] : undefined;
  }
  const slots: BwSlot[] = [];
  for (const item of t.split(/\s+/)) {
    const m = /^(\d{1,2}):(\d{2}),(.+)$/.exec(item);
    if (!m) return undefined;
    const h = Number(m[1]);
    const min = Number(m[2]);
    const r = parseRates(m[3]);
    if (h > 23 || min > 59 || !r) return undefined;
    slots.push({ minute: h * 60 + min, ...r });
  }
  slots.sort((a, b) => a.minute - b.minute);
  for (let i = 1; i < slots.length; i++) if (slots[i].minute === slots[i - 1].minute) return undefined;
  return slots;
}

/** The rates in force at this local time of day (minutes after midnight). */
export function ratesAt(schedule: BwSchedule, minuteOfDay: number): BwRates {
  let cur = schedule[schedule.length - 1]; // before the first slot: the last one, from the day before
  for (const s of schedule) if (s.minute <= minuteOfDay) cur = s;
  return { up: cur.up, down: cur.down };
}

/**
 * A token bucket of `rate` bytes per second holding at most a quarter second's worth. take(n) spends
 * n at once (going into debt when there are too few) and answers how many ms the caller must wait for
 * the debt to be paid; concurrent callers queue behind each other's debt, so together they keep to
 * the rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = this.capacity();
    this.last = now();
  }

  private capacity(): number {
    return Math.max(64 * 1024, this.rate / 4);
  }

  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
    this.tokens = Math.min(this.tokens, this.capacity());
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
  }

  /** Spend n bytes; the ms to wait before sending them (0: at once). */
  take(n: number): number {
    this.refill();
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The process's budget: set once from --bwlimit; up() and down() are called where bytes move. */
export class Bandwidth {
  private schedule: BwSchedule | undefined;
  private buckets: { up?: TokenBucket; down?: TokenBucket } = {};
  private minute = -1;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  configure(schedule: BwSchedule | undefined): void {
    this.schedule = schedule;
    this.buckets = {};
    this.minute = -1;
  }

  get active(): boolean {
    return this.schedule !== undefined;
  }

  /** Follow the timetable: the rates are looked up again when the minute changes. */
  private bucket(dir: 'up' | 'down'): TokenBucket | undefined {
    const d = this.clock();
    const minute = d.getHours() * 60 + d.getMinutes();
    if (minute !== this.minute) {
      this.minute = minute;
      const r = ratesAt(this.schedule!, minute);
      for (const k of ['up', 'down'] as const) {
        const rate = r[k];
        if (rate === undefined) delete this.buckets[k];
        else if (this.buckets[k]) this.buckets[k].setRate(rate);
        else this.buckets[k] = new TokenBucket(rate);
      }
    }
    return this.buckets[dir];
  }

  /** Before sending n bytes up: a promise to await when the budget says wait, else undefined. */
  up(n: number): Promise<void> | undefined {
    return this.spend('up', n);
  }

  /** After receiving n bytes: a promise to await when the budget says wait, else undefined. */
  down(n: number): Promise<void> | undefined {
    return this.spend('down', n);
  }

  private spend(dir: 'up' | 'down', n: number): Promise<void> | undefined {
    if (!this.schedule) return undefined;
    const wait = this.bucket(dir)?.take(n) ?? 0;
    return wait > 0 ? sleep(wait) : undefined;
  }
}

/** The one budget of this process (configured by the CLI from --bwlimit). */
export const bandwidth = new Bandwidth();

/** An upload body with each chunk paid for before it is sent (the body itself when no limit is set). */
export function throttledBody<B extends Buffer | AsyncIterable<Buffer>>(body: B): B {
  if (!bandwidth.active) return body;
  return (async function* () {
    if (Buffer.isBuffer(body)) {
      for (let i = 0; i < body.length; i += 64 * 1024) {
        const piece = body.subarray(i, i + 64 * 1024);
        const w = bandwidth.up(piece.length);
        if (w) await w;
        yield piece;
      }
      return;
    }
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const w = bandwidth.up(chunk.length);
      if (w) await w;
      yield chunk;
    }
  })() as unknown as B; // an async iterable of the same bytes, which every body type's sender takes
}
