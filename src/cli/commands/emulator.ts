/** `b2sync emulator`: start the local B2 server (implementation in src/emulator). */
import { InvalidArgumentError, type Command } from 'commander';
import { parseSize } from '../../core/parse.js';
import { UsageError } from '../../core/errors.js';

export interface EmulatorCommandOptions {
  port: number;
  host: string;
  data?: string;
  keyId?: string;
  key?: string;
  latency?: number;
  tokenTtl?: number;
  minPartSize?: number;
  json?: boolean;
}

function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
    return n;
  };
}

function bytes(value: string): number {
  const n = parseSize(value);
  if (n === undefined || n < 1) throw new InvalidArgumentError('expected a size in bytes such as 5000000, 64K or 5MB.');
  return n;
}

function nonEmpty(name: string) {
  return (value: string): string => {
    if (!value) throw new InvalidArgumentError(`${name} must not be empty.`);
    return value;
  };
}

/** Start, print the one line scripts read, and run until SIGINT/SIGTERM. */
export async function runEmulator(
  opts: EmulatorCommandOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  if ((opts.keyId === undefined) !== (opts.key === undefined))
    throw new UsageError('--key-id and --key go together: give both or neither');
  // loaded on use: --help and the other commands never load the emulator
  const { startEmulator } = await import('../../emulator/index.js');
  const emu = await startEmulator({
    port: opts.port,
    host: opts.host,
    dataDir: opts.data,
    keyId: opts.keyId,
    applicationKey: opts.key,
    latencyMs: opts.latency,
    tokenTtlSeconds: opts.tokenTtl,
    minPartSize: opts.minPartSize,
  });
  out.write(
    opts.json
      ? JSON.stringify({ endpoint: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey }) + '\n'
      : `B2 emulator listening on ${emu.url} keyId=${emu.keyId} applicationKey=${emu.applicationKey}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emu.close();
}

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description('start a local B2 server speaking the native API (v1-v4); prints one line with its endpoint and key')
    .option('--port <n>', 'port to listen on (0 picks a free port)', integer('--port', 0, 65535), 8000)
    .option('--host <host>', 'address to bind (default loopback only)', nonEmpty('--host'), '127.0.0.1')
    .option('--data <dir>', 'keep buckets and files on disk in this directory (default: in memory)', nonEmpty('--data'))
    .option(
      '--key-id <id>',
      'master application key id, which is also the account id, as on B2 (default: generated, or the one --data remembers)',
      nonEmpty('--key-id'),
    )
    .option('--key <key>', 'master application key (with --key-id)', nonEmpty('--key'))
    .option('--latency <ms>', 'delay every B2 response by this many milliseconds', integer('--latency', 0))
    .option('--token-ttl <seconds>', 'account token lifetime (default 86400)', integer('--token-ttl', 1))
    .option('--min-part-size <bytes>', 'smallest large-file part (except the last) (default 5000000)', bytes)
    .addHelpText(
      'after',
      '\nWith the global --json, the line is one JSON object {"endpoint","keyId","applicationKey"}.',
    )
    .action(async (_opts: EmulatorCommandOptions, cmd: Command) => {
      // --json is a program-wide option; read it together with this command's own options.
      await runEmulator(cmd.optsWithGlobals<EmulatorCommandOptions>());
    });
}
