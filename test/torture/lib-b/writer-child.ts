/**
 * A writer process for the local-faults scenario: argv PATH MODE BLOCKS BLOCK_SIZE MS. MODE `rewrite`
 * rewrites every block of the file in place, pass after pass (generation 1, 2...), for MS
 * milliseconds (from when it prints `ready`); MODE `append` appends block after block for MS milliseconds. It prints one JSON line
 * at the end: {passes} or {blocks}, so the test knows the complete states the file had.
 */
import { open } from 'node:fs/promises';
import { block } from './blocks.js';

const [path, mode, blocksArg, sizeArg, msArg] = process.argv.slice(2);
const blocks = Number(blocksArg);
const size = Number(sizeArg);
const deadline = Date.now() + Number(msArg);
const fh = await open(path!, 'r+');
console.log('ready');
if (mode === 'rewrite') {
  let gen = 0;
  while (Date.now() < deadline) {
    gen++;
    for (let i = 0; i < blocks; i++) await fh.write(block(i, gen, size), 0, size, i * size);
  }
  console.log(JSON.stringify({ passes: gen }));
} else {
  let n = blocks;
  while (Date.now() < deadline) {
    await fh.write(block(n, 0, size), 0, size, n * size);
    n++;
    await new Promise((r) => setTimeout(r, 2));
  }
  console.log(JSON.stringify({ blocks: n }));
}
await fh.close();
