/**
 * rclone-style globs compiled to regular expressions.
 *   *      any run of characters except '/'
 *   **     any run of characters, '/' included
 *   ?      one character except '/'
 *   [...]  a character class ([!...] or [^...] negates)
 *   {a,b}  alternatives (each may hold globs)
 *   \c     the character c literally
 * A leading '/' anchors the pattern at the root; otherwise it matches the final components of a path
 * at any depth ("*.jpg" matches "a/b/c.jpg", "b/c.jpg" matches "a/b/c.jpg" but not "ab/c.jpg").
 * A trailing '/' makes a directory pattern (matched against directory paths ending in '/').
 */

export interface CompiledGlob {
  regex: RegExp;
  /** True when the pattern ends in '/' and so matches directories only. */
  dirOnly: boolean;
}

export function compileGlob(pattern: string): CompiledGlob {
  if (pattern.length === 0) throw new Error('empty glob pattern');
  let p = pattern;
  let anchored = false;
  if (p.startsWith('/')) {
    anchored = true;
    p = p.slice(1);
  }
  const dirOnly = p.endsWith('/');
  const body = translate(p, pattern);
  const regex = new RegExp((anchored ? '^' : '(?:^|/)') + body + '$', 'su'); // s: `**` matches a name holding a line feed too
  return { regex, dirOnly };
}

const SPECIAL = /[.*+?^${}()|[\]\\/-]/;

function escapeChar(c: string): string {
  return SPECIAL.test(c) ? '\\' + c : c;
}

/** Translate glob text to a regex body. */
function translate(p: string, whole: string): string {
  let out = '';
  let depth = 0; // inside {...}
  const chars = Array.from(p);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      if (i + 1 >= chars.length) throw new Error(`glob ${JSON.stringify(whole)} ends with a lone backslash`);
      out += escapeChar(chars[++i]);
    } else if (c === '*') {
      if (chars[i + 1] === '*') {
        i++;
        out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (chars[j] === '!' || chars[j] === '^') {
        cls += '^';
        j++;
      }
      if (chars[j] === ']') {
        cls += '\\]';
        j++;
      }
      while (j < chars.length && chars[j] !== ']') {
        const d = chars[j];
        if (d === '\\' && j + 1 < chars.length) {
          cls += '\\' + chars[j + 1];
          j += 2;
          continue;
        }
        cls += d === '[' || d === '^' ? '\\' + d : d;
        j++;
      }
      if (j >= chars.length) throw new Error(`glob ${JSON.stringify(whole)} has an unclosed '['`);
      out += '[' + cls + ']';
      i = j;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else {
      out += escapeChar(c);
    }
  }
  if (depth > 0) throw new Error(`glob ${JSON.stringify(whole)} has an unclosed '{'`);
  return out;
}

/** Does a file path (relative, '/'-separated, no leading '/') match? Directory patterns match any ancestor directory. */
export function globMatchesFile(g: CompiledGlob, path: string): boolean {
  if (!g.dirOnly) return g.regex.test(path);
  let i = path.indexOf('/');
  while (i >= 0) {
    if (g.regex.test(path.slice(0, i + 1))) return true;
    i = path.indexOf('/', i + 1);
  }
  return false;
}
