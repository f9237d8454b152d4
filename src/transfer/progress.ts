/** Adds up the progress of parts in flight into one report for the caller's callback. */
import type { Progress } from './types.js';

export class ProgressTracker {
  private doneBytes = 0;
  private partsDone = 0;
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly onProgress: ((p: Progress) => void) | undefined,
    private readonly totalBytes?: number,
    private partsTotal?: number,
  ) {}

  setPartsTotal(n: number | undefined): void {
    this.partsTotal = n;
  }

  /** Bytes sent so far by one part's current attempt (a retry starts again from 0). */
  partBytes(partNumber: number, bytes: number): void {
    this.inFlight.set(partNumber, bytes);
    this.emit();
  }

  /** A part (uploaded, copied or found already there) is complete. */
  partDone(partNumber: number, bytes: number): void {
    this.inFlight.delete(partNumber);
    this.doneBytes += bytes;
    this.partsDone++;
    this.emit();
  }

  /** Bytes moved outside parts (single-stream transfers). */
  addBytes(bytes: number): void {
    this.doneBytes += bytes;
    this.emit();
  }

  get bytes(): number {
    let n = this.doneBytes;
    for (const b of this.inFlight.values()) n += b;
    return n;
  }

  get parts(): number {
    return this.partsDone;
  }

  emit(): void {
    if (!this.onProgress) return;
    const p: Progress = { bytes: this.bytes };
    if (this.totalBytes !== undefined) p.totalBytes = this.totalBytes;
    if (this.partsTotal !== undefined) {
      p.partsDone = this.partsDone;
      p.partsTotal = this.partsTotal;
    } else if (this.partsDone > 0) {
      p.partsDone = this.partsDone;
    }
    this.onProgress(p);
  }
}
