/**
 * Progress bars on stderr (only when it is a terminal and neither --quiet nor --json): one line per
 * active file and a total line with bytes, speed and ETA. Redrawn at most ten times a second.
 */
import { formatBytes, formatDuration, formatSpeed } from './format.js';
import type { Output } from './output.js';
import { printable } from './printable.js';

interface FileState {
  name: string;
  bytes: number;
  total?: number;
}

const WIDTH = 24;

function bar(fraction: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * WIDTH);
  return `[${'#'.repeat(full)}${'-'.repeat(WIDTH - full)}]`;
}

export class Progress {
  private readonly files = new Map<string, FileState>();
  private doneBytes = 0;
  private totalBytes: number | undefined;
  private readonly started = Date.now();
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly enabled: boolean;

  constructor(
    private readonly out: Output,
    totalBytes?: number,
  ) {
    this.enabled = out.showProgress;
    this.totalBytes = totalBytes;
    if (this.enabled) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
      out.setBarEraser(() => this.clear());
    }
  }

  setTotal(bytes: number | undefined): void {
    this.totalBytes = bytes;
  }

  /** Bytes so far for one file. */
  update(name: string, bytes: number, total?: number): void {
    if (!this.enabled) return;
    const f = this.files.get(name);
    if (f) {
      f.bytes = bytes;
      if (total !== undefined) f.total = total;
    } else this.files.set(name, { name, bytes, total });
  }

  /** A file finished (or failed): its bytes move to the done total. */
  finish(name: string, bytes?: number): void {
    const f = this.files.get(name);
    this.doneBytes += bytes ?? f?.bytes ?? 0;
    this.files.delete(name);
  }

  private transferred(): number {
    let n = this.doneBytes;
    for (const f of this.files.values()) n += f.bytes;
    return n;
  }

  private draw(): void {
    const lines: string[] = [];
    const columns = (this.out.stderr as { columns?: number }).columns;
    const width = Math.max(40, (columns && columns > 0 ? columns : 80) - 1);
    const active = [...this.files.values()].slice(0, 8);
    for (const f of active) {
      const pct = f.total ? f.bytes / f.total : 0;
      const name = printable(f.name);
      const label = name.length > 30 ? `…${name.slice(-29)}` : name.padEnd(30);
      lines.push(
        `${label} ${formatBytes(f.bytes)}${f.total ? ` / ${formatBytes(f.total)} ${bar(pct)}` : ''}`.slice(0, width),
      );
    }
    const elapsed = (Date.now() - this.started) / 1000;
    const done = this.transferred();
    const speed = elapsed > 0 ? done / elapsed : 0;
    const eta = this.totalBytes && speed > 0 ? (this.totalBytes - done) / speed : NaN;
    const total = this.totalBytes ? ` / ${formatBytes(this.totalBytes)}` : '';
    const totalBar = this.totalBytes ? ` ${bar(done / this.totalBytes)}` : '';
    lines.push(
      `Total ${formatBytes(done)}${total}, ${formatSpeed(speed)}, ETA ${formatDuration(eta)}${totalBar}`.slice(
        0,
        width,
      ),
    );
    this.clear();
    this.out.rawErr(lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }

  private clear(): void {
    if (this.drawnLines > 0) this.out.rawErr(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  /** Stop drawing and erase the bars. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled) {
      this.clear();
      this.out.setBarEraser(undefined);
    }
  }
}
