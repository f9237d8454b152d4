import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN } from './harness.js';

test('a reader that closes the pipe early (| head) ends b2sync quietly with exit 0', async () => {
  // `b2sync --help | head -1`: the reader is gone before the help text is written.
  const child = spawn(process.execPath, [BIN, 'sync', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
