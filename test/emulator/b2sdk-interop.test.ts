/**
 * Backblaze's own Python SDK (b2sdk 1.17, API v2; Debian package python3-b2sdk) against the emulator.
 * Where that package is not installed the test reports itself skipped with the reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/api.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./fixtures/b2sdk_check.py', import.meta.url).pathname;

function b2sdkMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import b2sdk.v2'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `b2sdk is not importable by ${PYTHON} (apt-get install python3-b2sdk)`;
  }
}

const missing = b2sdkMissing();

describe('b2sdk interop', { skip: missing }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({
      port: 0,
      keyId: 'sdk-key',
      applicationKey: 'sdk-secret',
      recommendedPartSize: 5_000_000,
    });
  });
  after(() => emu.close());

  it('b2sdk creates a bucket, uploads small and large files, downloads, lists, hides, copies, shares and deletes', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [SCRIPT, emu.url, 'sdk-key', 'sdk-secret'], { timeout: 120_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.match(out, /b2sdk OK/);
  });
});
