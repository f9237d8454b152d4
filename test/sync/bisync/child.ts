/**
 * Child process for the lock and crash tests (run with node --import tsx). Modes:
 *   hold <stateDir>            open the store, print "locked", wait for stdin to end
 *   race <stateDir>            wait for a "go" line, try to open, print "won" or "held", wait for stdin to end
 *   crash <stateDir> <seed>    write a plan of the generated run, seal, mark ops done (printing "flushed N"), commit
 */
import { createInterface } from 'node:readline';
import { PairState, LockHeldError } from '../../../src/sync/bisync/state-store.js';
import { genRun } from './gen-run.js';

const [mode, stateDir, seedArg] = process.argv.slice(2);
const open = () =>
  PairState.open({ stateDir, localRoot: '/l', bucketId: 'b', bucketName: 'bk', prefix: 'p', command: mode });
const stdinEnd = () => new Promise<void>((r) => process.stdin.on('end', r).resume());

if (mode === 'hold') {
  await open();
  console.log('locked');
  await stdinEnd();
} else if (mode === 'race') {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) if (line === 'go') break;
  try {
    await open();
    console.log('won');
  } catch (err) {
    console.log(err instanceof LockHeldError ? 'held' : `error ${(err as Error).message}`);
  }
  await new Promise<void>((r) => rl.on('close', r));
} else if (mode === 'crash') {
  const run = genRun(Number(seedArg));
  const s = await open();
  await s.recover();
  console.log('phase plan');
  const w = await s.beginPlan();
  for (const it of run.emit) await (it.kind === 'keep' ? w.keep(it.rec) : w.op(it.op, it.late));
  await w.seal();
  console.log('phase journal');
  const j = await s.journal();
  for (let k = 0; k < run.doneOrder.length; k++) {
    j.done(run.doneOrder[k]);
    if (k % 50 === 49) {
      await j.flush();
      console.log(`flushed ${k + 1}`);
    }
  }
  await j.flush();
  console.log(`flushed ${run.doneOrder.length}`);
  console.log('phase commit');
  await s.commit();
  console.log('phase end');
  await s.release();
}
