/**
 * A benchmark's argv read flag by flag, the value readers taking the word after the flag:
 *
 *   const r = new ArgReader(argv);
 *   for (const flag of r) if (flag === '--runs') a.runs = r.int(1); else if (flag === '--dir') a.dir = r.val(); …
 */
export class ArgReader implements Iterable<string> {
  private i = -1;
  private flag = '';

  constructor(private readonly argv: readonly string[]) {}

  *[Symbol.iterator](): Iterator<string> {
    while (++this.i < this.argv.length) {
      this.flag = this.argv[this.i]!;
      yield this.flag;
    }
  }

  /** The value after the current flag. */
  val(): string {
    const v = this.argv[++this.i];
    if (v === undefined) throw new Error(`${this.flag} needs a value`);
    return v;
  }

  /** The value after the current flag as a whole number of at least `min`. */
  int(min = 0): number {
    const n = Number(this.val());
    if (!Number.isInteger(n) || n < min) throw new Error(`${this.flag}: expected a whole number >= ${min}`);
    return n;
  }
}
