/**
 * Runs the emulator in its own process (so its memory is not counted with the client's).
 * argv[2]: EmulatorOptions as JSON. Prints one JSON line {url, keyId, applicationKey} when ready;
 * exits when stdin closes.
 */
import { startEmulator } from '../../src/emulator/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}');
const emu = await startEmulator({ port: 0, ...opts });
process.stdout.write(JSON.stringify({ url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void emu.close().then(() => process.exit(0)));
