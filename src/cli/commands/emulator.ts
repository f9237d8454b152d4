/** `b2sync emulator`: start the local B2 server (implementation in src/emulator). */
import type { Command } from 'commander';

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description('start a local B2 server speaking the native API (v1-v4)')
    .action(async () => {
      throw new Error('emulator: not built yet');
    });
}
