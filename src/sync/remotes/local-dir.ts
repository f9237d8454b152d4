/**
 * One directory of the local walk (remotes/local.ts): its entries read as bytes, classified (file,
 * folder, followed symlink; the rest reported and skipped) and sorted by B2 key.
 */
import { readdir } from 'node:fs/promises';
import { statSync, type Dirent, type Stats } from 'node:fs';
import { TEMP_SUFFIX } from '../../transfer/index.js';
import { bytesToName, compareUtf8, notUtf8Problem } from '../../wire/names.js';

export type Report = (item: string, message: string) => void;

/** The options of the walk this module reads. */
export interface DirOptions {
  copyLinks?: boolean;
  /**
   * A name that cannot be a B2 name (not UTF-8); default: the fail report. Apart from it because
   * such a name hides nothing on B2, so it need not hold back deletions as an unreadable item does.
   */
  onBadName?: Report;
}

export interface Item {
  /** On-disk name. */
  name: string;
  /** Sort key: the NFC name (its own name when another here has that NFC form), plus '/' for a directory. */
  key: string;
  dir: boolean;
  /** A followed symlink's target stats (files only). */
  stats?: Stats;
  /** Another name here has the same NFC form (set only when true). */
  twin?: boolean;
}

/** One directory's entries, sorted by B2 key; skipped kinds reported. Undefined when unreadable (reported). */
export async function readItems(
  prefix: string,
  rel: string,
  opts: DirOptions,
  warn: Report,
  fail: Report,
): Promise<Item[] | undefined> {
  let dirents: Dirent[] | Dirent<Buffer>[];
  try {
    dirents = await readDirents(prefix === '' ? '.' : prefix);
  } catch (e) {
    fail(rel || '.', `cannot read directory: ${(e as Error).message}`);
    return undefined;
  }
  const items: Item[] = [];
  for (const d of dirents) {
    const { name, valid } = typeof d.name === 'string' ? { name: d.name, valid: true } : bytesToName(d.name);
    if (!valid) {
      (opts.onBadName ?? fail)(rel + name, `${notUtf8Problem(d.isDirectory())}: not synced`);
      continue;
    }
    if (name.endsWith(TEMP_SUFFIX)) continue;
    const kind = itemKind(d, prefix + name, rel + name, opts, warn);
    if (!kind) continue;
    const nfc = name.normalize('NFC');
    items.push({ name, key: kind.dir ? nfc + '/' : nfc, dir: kind.dir, stats: kind.stats });
  }
  return sortByKey(items);
}

/**
 * A directory's entries, names as strings (several times cheaper than a Buffer per name). Read again
 * as bytes when a name decoded to U+FFFD, the mark of bytes that are not UTF-8 (such a name would
 * otherwise never be found again), or of a name really holding U+FFFD, which its bytes show valid.
 */
async function readDirents(path: string): Promise<Dirent[] | Dirent<Buffer>[]> {
  const dirents = await readdir(path, { withFileTypes: true });
  for (const d of dirents) {
    if (d.name.includes('\uFFFD')) return readdir(path, { withFileTypes: true, encoding: 'buffer' });
  }
  return dirents;
}

/** A directory, a file (with a followed symlink's stats), or undefined for what is skipped (reported). */
function itemKind(
  d: Dirent | Dirent<Buffer>,
  path: string,
  item: string,
  opts: DirOptions,
  warn: Report,
): { dir: boolean; stats?: Stats } | undefined {
  if (d.isFile()) return { dir: false };
  if (d.isDirectory()) return { dir: true };
  if (!d.isSymbolicLink()) {
    warn(item, 'special file (socket, fifo or device) skipped');
    return undefined;
  }
  if (!opts.copyLinks) {
    warn(item, 'symlink skipped (use --copy-links to follow symlinks)');
    return undefined;
  }
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (e) {
    warn(item, `broken symlink skipped: ${(e as Error).message}`);
    return undefined;
  }
  const dir = stats.isDirectory();
  if (!dir && !stats.isFile()) {
    warn(item, 'symlink to a special file skipped');
    return undefined;
  }
  return dir ? { dir } : { dir, stats };
}

/**
 * Sort by B2 key. Two on-disk names with the same NFC form (both can exist on Linux): the one already
 * in NFC (else the first) keeps the NFC key, the others keep their own bytes as their B2 names, so
 * each still round-trips as a name of its own. Every name of such a group is flagged `twin` (bisync
 * holds them for the user; sync ignores the flag).
 */
function sortByKey(items: Item[]): Item[] {
  items.sort((a, b) => compareUtf8(a.key, b.key));
  let rekeyed = false;
  for (let i = 0; i < items.length;) {
    let j = i + 1;
    while (j < items.length && items[j].key === items[i].key) j++;
    if (j - i > 1) {
      const group = items.slice(i, j);
      const nfc = group[0].dir ? group[0].key.slice(0, -1) : group[0].key;
      const primary = group.find((it) => it.name === nfc) ?? group[0];
      for (const it of group) {
        it.twin = true;
        if (it !== primary) it.key = it.dir ? it.name + '/' : it.name;
      }
      rekeyed = true;
    }
    i = j;
  }
  if (rekeyed) items.sort((a, b) => compareUtf8(a.key, b.key));
  return items;
}
