#!/usr/bin/env node
// The demo: the whole product in under a minute, with no B2 account.
// Starts the embedded emulator, syncs a sample tree up, changes it, syncs again (only changes move),
// lists, shows versions and a share link, syncs the bucket down to a second folder and verifies it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { startEmulator } = await import(join(root, 'dist/emulator/index.js'));

const work = mkdtempSync(join(tmpdir(), 'b2sync-demo-'));
const src = join(work, 'photos');
const back = join(work, 'restored');
const emu = await startEmulator({ port: 0 });
const env = {
  ...process.env,
  B2_APPLICATION_KEY_ID: emu.keyId,
  B2_APPLICATION_KEY: emu.applicationKey,
  B2SYNC_ENDPOINT: emu.url,
  B2SYNC_CONFIG_DIR: join(work, 'config'),
};

function step(title) {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}
// Asynchronous on purpose: the emulator runs in this process and must keep serving while the CLI runs.
function b2sync(...args) {
  process.stdout.write(`$ b2sync ${args.map((a) => (/[\s%#+]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/b2sync.js'), ...args], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`b2sync ${args[0]} exited with ${code}`))));
  });
}
function write(rel, content) {
  const p = join(src, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
}
function tree(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha1').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

let failed = false;
try {
  step(`emulator listening on ${emu.url}`);
  await b2sync('bucket', 'create', 'demo-photos');

  step('a sample tree: 40 files, odd names included');
  for (let i = 0; i < 30; i++) write(`2024/img-${String(i).padStart(3, '0')}.jpg`, `photo ${i} `.repeat(200 + i));
  write('notes/read me.txt', 'spaces in names are fine\n');
  write('notes/50% off + more #1.txt', 'so are %, + and #\n');
  write('notes/café.txt', 'and unicode\n');
  write('notes/🚀.txt', 'and emoji\n');
  for (let i = 0; i < 6; i++) write(`misc/file-${i}.bin`, Buffer.alloc(1000 * (i + 1), i));

  step('first sync: everything goes up');
  await b2sync('sync', src, 'b2://demo-photos/photos');

  step('change 1 file, add 2, delete 1; the second sync moves only those');
  write('notes/read me.txt', 'spaces in names are fine, and this file changed\n');
  write('2025/new-1.jpg', 'new photo one');
  write('2025/new-2.jpg', 'new photo two');
  unlinkSync(join(src, 'misc/file-0.bin'));
  await b2sync('sync', src, 'b2://demo-photos/photos');

  step('what is in the bucket');
  await b2sync('ls', '-l', 'b2://demo-photos/photos/notes/');

  step('versions of the changed file');
  await b2sync('versions', 'b2://demo-photos/photos/notes/read me.txt');

  step('a share link that expires in an hour');
  await b2sync('share', 'b2://demo-photos/photos/notes/read me.txt', '--expires', '1h');

  step('sync the bucket back down to a second folder and compare');
  await b2sync('sync', 'b2://demo-photos/photos', back);
  const a = tree(src);
  const b = tree(back);
  const same = a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  process.stdout.write(
    same ? `verified: ${a.size} files, identical content\n` : 'MISMATCH between source and restored tree\n',
  );
  if (!same) failed = true;
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${err.message}\n`);
} finally {
  await emu.close();
  rmSync(work, { recursive: true, force: true });
  step(failed ? 'demo failed' : 'done: emulator stopped');
}
process.exitCode = failed ? 1 : 0;
