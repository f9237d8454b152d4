/** Questions on the terminal: a line, a hidden line (for keys), a yes/no confirmation. */
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../core/errors.js';
import type { CliContext } from './context.js';

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/**
 * Reads answers from stdin one line at a time: works with a pipe of scripted answers and with a
 * terminal, where a hidden answer is read in raw mode without echo.
 */
export class LineReader {
  private text = '';
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly onData = (chunk: Buffer | string) => {
    this.text += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake?.();
  };

  constructor(
    private readonly input: Input,
    private readonly output: NodeJS.WritableStream,
  ) {
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.resume();
  }

  private async next(hidden: boolean): Promise<string | undefined> {
    for (;;) {
      if (hidden) {
        // raw mode: Enter is \r; Ctrl-C cancels; backspace edits
        const i = this.text.search(/[\r\n\u0003\u0004]/);
        if (i >= 0) {
          const ch = this.text[i];
          let value = '';
          for (const c of this.text.slice(0, i)) value = c === '\u007f' || c === '\b' ? value.slice(0, -1) : value + c;
          this.text = this.text.slice(i + 1).replace(/^\n/, '');
          if (ch === '\u0003') throw new UsageError('cancelled');
          return value;
        }
      } else {
        const i = this.text.indexOf('\n');
        if (i >= 0) {
          const line = this.text.slice(0, i).replace(/\r$/, '');
          this.text = this.text.slice(i + 1);
          return line;
        }
      }
      if (this.ended) {
        if (this.text === '') return undefined;
        const rest = this.text;
        this.text = '';
        return rest;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Ask and wait for a line; undefined at end of input. With hidden on a terminal, nothing is echoed. */
  async ask(question: string, hidden = false): Promise<string | undefined> {
    const raw = hidden && Boolean(this.input.isTTY) && typeof this.input.setRawMode === 'function';
    if (!raw) {
      this.output.write(question);
      return this.next(false);
    }
    // echo off before the prompt appears, so nothing typed after it is echoed
    this.input.setRawMode!(true);
    this.output.write(question);
    try {
      return await this.next(true);
    } finally {
      this.input.setRawMode!(false);
      this.output.write('\n');
    }
  }

  close(): void {
    this.input.removeListener('data', this.onData);
    this.input.removeListener('end', this.onEnd);
    this.input.pause();
  }
}

/** Ask a yes/no question on stderr; without a terminal on stdin, refuse (the caller suggests --force). */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  if (!ctx.io.stdin.isTTY) throw new UsageError('cannot ask for confirmation: stdin is not a terminal (add --force)');
  const r = new LineReader(ctx.io.stdin, ctx.io.stderr);
  try {
    const a = await r.ask(question);
    return /^y(es)?$/i.test((a ?? '').trim());
  } finally {
    r.close();
  }
}
