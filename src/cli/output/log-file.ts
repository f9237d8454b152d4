/** --log-file: timestamped lines appended to a file (already scrubbed of secrets). */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { scrub } from './secrets.js';

export class LogFile {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  write(level: string, text: string): void {
    const lines = scrub(text).replace(/\n$/, '').split('\n');
    const ts = new Date().toISOString();
    appendFileSync(this.path, lines.map((l) => `${ts} ${level} ${l}\n`).join(''), { mode: 0o600 });
  }
}
