/**
 * The emulator alone in a child process, so a benchmark can read its own memory from /proc.
 * argv[2]: EmulatorOptions as JSON (e.g. {"dataDir": "/tmp/x"}). Prints one JSON line
 * {url, keyId, applicationKey, pid} once listening; closes cleanly on SIGTERM/SIGINT or when stdin ends.
 */
import { startEmulator } from '../../src/emulator/index.js';

const emu = await startEmulator({ port: 0, ...JSON.parse(process.argv[2] ?? '{}') });
process.stdout.write(
  JSON.stringify({ url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey, pid: process.pid }) + '\n',
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void emu.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.resume();
process.stdin.on('end', stop);
