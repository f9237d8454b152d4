/**
 * A tree as it was at a moment, from b2_list_file_versions: per name, the version with the latest
 * uploadTimestamp at or before the moment (ties: the one listed first, the newer); the name is absent
 * when that version is a hide marker or when every version is later. The listing gives each name's
 * versions together, so one name's versions are held at a time, never the tree.
 */
import type { FileVersion } from '../wire/types.js';

/** The version of one name's versions that was current at `atMs`, if it was content. */
export function versionAt(versions: readonly FileVersion[], atMs: number): FileVersion | undefined {
  let best: FileVersion | undefined;
  for (const v of versions) {
    if (v.action !== 'upload' && v.action !== 'hide') continue; // unfinished large files, folders
    if (v.uploadTimestamp > atMs) continue;
    if (!best || v.uploadTimestamp > best.uploadTimestamp) best = v;
  }
  return best?.action === 'upload' ? best : undefined;
}

/** From a versions listing (names ascending, versions of a name together), the files current at `atMs`. */
export async function* filesAt(versions: AsyncIterable<FileVersion>, atMs: number): AsyncGenerator<FileVersion> {
  let group: FileVersion[] = [];
  for await (const v of versions) {
    if (group.length > 0 && group[0].fileName !== v.fileName) {
      const f = versionAt(group, atMs);
      if (f) yield f;
      group = [];
    }
    group.push(v);
  }
  const f = versionAt(group, atMs);
  if (f) yield f;
}
