/**
 * Parsing of the locations people type: `PROFILE:bucket/path` (rclone style), `b2://bucket/path`, or a
 * local path. A single-letter prefix such as `C:` is a Windows drive, so it stays local. Pure.
 */
import { UsageError } from '../core/errors.js';
import { bucketNameProblem } from '../wire/names.js';
import { printable } from './output/printable.js';

export interface LocalLocation {
  kind: 'local';
  path: string;
  /** The text ends with a path separator (a folder was meant). */
  folder: boolean;
}

export interface RemoteLocation {
  kind: 'remote';
  /** Profile named by `PROFILE:`; undefined for `b2://` (default profile or environment). */
  profile?: string;
  /** Empty when only the profile or scheme was given (e.g. `b2://`, `work:`). */
  bucket: string;
  /** File name or prefix inside the bucket, without a leading '/'. */
  path: string;
  /** The text ends with '/' (a folder was meant), or names the bucket root. */
  folder: boolean;
}

export type Location = LocalLocation | RemoteLocation;

const PROFILE_RE = /^([A-Za-z0-9][A-Za-z0-9_.-]+):(.*)$/s;

/** Whether a profile name is acceptable: 2..64 chars of letters, digits, '_', '.', '-', not starting with a symbol. */
export function profileNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$/.test(name)) {
    return `bad profile name "${name}": use 2 to 64 letters, digits, "_", "." or "-" (one letter would read as a Windows drive)`;
  }
  return undefined;
}

function splitBucket(rest: string, original: string, profile: string | undefined): RemoteLocation {
  const trimmed = rest.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const bucket = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const path = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (bucket !== '') {
    const problem = bucketNameProblem(bucket);
    if (problem) throw new UsageError(`bad remote path "${original}": ${problem}`);
  }
  return { kind: 'remote', profile, bucket, path, folder: path === '' || path.endsWith('/') };
}

/** Parse a location. Throws UsageError for a remote path with an invalid bucket name. */
export function parseLocation(text: string): Location {
  if (text === '') throw new UsageError('empty path: give a local path, b2://bucket/path or PROFILE:bucket/path');
  if (/^b2:\/\//i.test(text)) return splitBucket(text.slice(5), text, undefined);
  // A profile name has at least two characters, so `C:`, `C:\x` and `C:/x` (Windows drives) stay local,
  // as does anything starting like a path.
  if (!/^[./\\~]/.test(text)) {
    const m = PROFILE_RE.exec(text);
    if (m) return splitBucket(m[2], text, m[1]);
  }
  return { kind: 'local', path: text, folder: /[\\/]$/.test(text) };
}

/** Parse a location that must be remote (e.g. for ls, rm). */
export function parseRemote(text: string, what = 'path'): RemoteLocation {
  const loc = parseLocation(text);
  if (loc.kind !== 'remote') {
    throw new UsageError(`"${text}" is not a remote ${what}: use b2://bucket/path or PROFILE:bucket/path`);
  }
  return loc;
}

/** Like parseRemote, but a bucket is required. */
export function parseRemoteInBucket(text: string, what = 'path'): RemoteLocation & { bucket: string } {
  const loc = parseRemote(text, what);
  if (!loc.bucket) throw new UsageError(`"${text}" names no bucket: use b2://bucket/path or PROFILE:bucket/path`);
  return loc;
}

/** How a remote location is written back (for messages and listings). */
/** formatRemote for a human output line: the name's controls and backslashes escaped. */
export function shownRemote(loc: { profile?: string; bucket: string; path: string }): string {
  return printable(formatRemote(loc));
}

export function formatRemote(loc: { profile?: string; bucket: string; path: string }): string {
  const tail = loc.path ? `${loc.bucket}/${loc.path}` : loc.bucket;
  return loc.profile ? `${loc.profile}:${tail}` : `b2://${tail}`;
}
