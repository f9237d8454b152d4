/** Reading b2sync's output in the torture scenarios: retries from -v call logs, the --json summary. */
import assert from 'node:assert/strict';
import type { RunResult } from '../../cli/harness.js';

/** Retried B2 calls: -v logs each retry as `... (attempt N)`. */
export function retriesLogged(stderr: string): number {
  return stderr.match(/\(attempt \d+\)/g)?.length ?? 0;
}

/** The lines of stderr naming failed items, for assertion messages. */
export function failureLines(r: RunResult, max = 15): string {
  const lines = r.stderr.split('\n').filter((l) => /failed|error|Error/.test(l) && !/-> [2-5]\d\d \d+ms/.test(l));
  return lines.slice(0, max).join('\n');
}

/** Asserts exit 0, showing the failures (not the whole -v log) when it is not. */
export function expectOk(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${failureLines(r)}\nstdout tail: ${r.stdout.slice(-800)}`);
}

/** Asserts that a `sync --json` run moved nothing: no `done` record, a summary with 0 transferred and 0 deleted. */
export function assertMovedNothing(r: RunResult, what: string): void {
  expectOk(r, what);
  const records = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = records.find((x) => x.type === 'summary');
  assert.ok(summary, `${what}: a summary record in ${r.stdout.slice(-400)}`);
  const done = records.filter((x) => x.type === 'done').map((x) => `${String(x.action)} ${String(x.path)}`);
  assert.deepEqual(done.slice(0, 10), [], `${what}: ${done.length} file(s) moved`);
  assert.equal(summary.transferredFiles, 0, `${what}: transferredFiles`);
  assert.equal(summary.deleted, 0, `${what}: deleted`);
}
