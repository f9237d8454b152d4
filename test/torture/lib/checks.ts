/** Soft checks: each runs and its failure is kept, so one scenario run reports everything that went wrong. */
import assert from 'node:assert/strict';

export class Checks {
  readonly problems: string[] = [];

  async check(what: string, fn: () => unknown): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      const text = err instanceof Error ? err.message.split('\n').slice(0, 8).join(' | ') : String(err);
      this.problems.push(`${what}: ${text}`);
      return false;
    }
  }

  /** Fails the test with every problem found. */
  assertNone(what: string): void {
    assert.deepEqual(this.problems, [], what);
  }
}
