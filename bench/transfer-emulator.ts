/**
 * The emulator for the transfer benchmark, in its own process so its CPU and memory are separate.
 * argv[2]: EmulatorOptions as JSON (e.g. {"dataDir": "/tmp/x"}). Prints {url, keyId, applicationKey}
 * as one JSON line when ready; exits when stdin closes.
 */
import { startEmulator } from '../src/emulator/index.js';

const emu = await startEmulator({ port: 0, ...JSON.parse(process.argv[2] ?? '{}') });
process.stdout.write(JSON.stringify({ url: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void emu.close().then(() => process.exit(0)));
