/**
 * The three colours the CLI writes (errors red, warnings yellow, debug lines dim), through
 * util.styleText, at a level decided here: NO_COLOR (any non-empty value) wins, then FORCE_COLOR,
 * else colour only a terminal. No colour library is loaded (it cost start-up time; docs/performance.md).
 */
import { styleText } from 'node:util';

export type ColorLevel = 0 | 1 | 2 | 3;

export interface Colors {
  readonly level: ColorLevel;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

export function colorLevel(env: NodeJS.ProcessEnv, isTTY: boolean): ColorLevel {
  let level: ColorLevel = isTTY ? 1 : 0;
  if (env.FORCE_COLOR !== undefined) {
    const f = env.FORCE_COLOR;
    level = f === '0' || f === 'false' ? 0 : f === '2' ? 2 : f === '3' ? 3 : 1;
  }
  if (env.NO_COLOR) level = 0;
  return level;
}

export function makeColors(env: NodeJS.ProcessEnv, isTTY: boolean): Colors {
  const level = colorLevel(env, isTTY);
  // validateStream: false — the level above already decided; styleText must not check stdout again.
  const style = (format: 'red' | 'yellow' | 'dim') => (text: string) =>
    level === 0 ? text : styleText(format, text, { validateStream: false });
  return { level, red: style('red'), yellow: style('yellow'), dim: style('dim') };
}
