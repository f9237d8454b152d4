/**
 * File listings over a bucket's sorted name index (b2-api.md §9): binary search to the start point,
 * walk forward, fold names under a delimiter into folder entries, and look ahead to the first
 * unreturned entry for nextFileName/nextFileId (null when nothing is left).
 */
import { compareUtf8 } from '../wire/names.js';
import type { BucketIndex } from './store/meta-store.js';
import { currentVersion } from './store/meta-store.js';
import type { StoredFile } from './store/records.js';

export type ListEntry = { folder: string; file?: undefined } | { file: StoredFile; folder?: undefined };

export interface ListRequest {
  prefix: string;
  delimiter?: string;
  startFileName?: string;
  /** Versions only: with startFileName, resume inside that name at this version sequence (inclusive). */
  startSeq?: number;
  max: number;
}

export interface ListPage {
  entries: ListEntry[];
  /** The first entry not returned. */
  next: ListEntry | undefined;
}

/** The smallest string greater than every string that starts with `p` (folder "a/" → "a0"). */
export function afterPrefix(p: string): string {
  let cp = p.charCodeAt(p.length - 1);
  let head = p.slice(0, -1);
  if (p.length >= 2 && cp >= 0xdc00 && cp <= 0xdfff) {
    cp = p.codePointAt(p.length - 2)!;
    head = p.slice(0, -2);
  }
  let next = cp + 1;
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
  if (next > 0x10ffff) return afterPrefix(head);
  return head + String.fromCodePoint(next);
}

function hasVisible(list: readonly StoredFile[] | undefined): boolean {
  return currentVersion(list)?.action === 'upload';
}

/** One walk serves both listings: `versions` yields every version, otherwise each name's visible one. */
export function listFiles(ix: BucketIndex, req: ListRequest, versions: boolean): ListPage {
  const { prefix, delimiter, max } = req;
  const start =
    req.startFileName !== undefined && compareUtf8(req.startFileName, prefix) > 0 ? req.startFileName : prefix;
  const names = ix.names;
  const entries: ListEntry[] = [];
  const take = (entry: ListEntry): boolean => {
    if (entries.length >= max) return false;
    entries.push(entry);
    return true;
  };
  let i = ix.lowerBound(start);
  while (i < names.length) {
    const name = names[i];
    if (!name.startsWith(prefix)) break;
    if (delimiter) {
      const at = name.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const folder = name.slice(0, at + delimiter.length);
        if (versions || hasVisibleFrom(ix, i, folder)) {
          const entry: ListEntry = { folder };
          if (!take(entry)) return { entries, next: entry };
        }
        i = ix.lowerBound(afterPrefix(folder));
        continue;
      }
    }
    const list = ix.versions.get(name)!;
    if (versions) {
      let j = 0;
      if (req.startSeq !== undefined && name === req.startFileName)
        while (j < list.length && list[j].seq > req.startSeq) j++;
      for (; j < list.length; j++) {
        const entry: ListEntry = { file: list[j] };
        if (!take(entry)) return { entries, next: entry };
      }
    } else if (hasVisible(list)) {
      const entry: ListEntry = { file: currentVersion(list)! };
      if (!take(entry)) return { entries, next: entry };
    }
    i++;
  }
  return { entries, next: undefined };
}

/** Whether a name from index i on, inside `folder`, has a visible current version. */
function hasVisibleFrom(ix: BucketIndex, i: number, folder: string): boolean {
  for (let k = i; k < ix.names.length && ix.names[k].startsWith(folder); k++) {
    if (hasVisible(ix.versions.get(ix.names[k]))) return true;
  }
  return false;
}
