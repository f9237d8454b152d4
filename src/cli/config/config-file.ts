/**
 * The config file (JSON, mode 0600): profiles and the default profile. A profile's key lives in the OS
 * keyring when one is available; otherwise (keyStore "file") in this file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { configFilePath } from './paths.js';

export interface Profile {
  keyId: string;
  /** Authorization endpoint (realm) when not Backblaze's. */
  endpoint?: string;
  /** Where the application key is kept. */
  keyStore: 'keyring' | 'file';
  /** Only with keyStore "file". */
  applicationKey?: string;
}

export interface ConfigData {
  version: 1;
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

export function emptyConfig(): ConfigData {
  return { version: 1, profiles: {} };
}

export async function loadConfig(dir: string): Promise<ConfigData> {
  const path = configFilePath(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`config file ${path} is not valid JSON: fix or remove it`);
  }
  const d = data as Partial<ConfigData>;
  if (!d || typeof d !== 'object' || typeof d.profiles !== 'object' || d.profiles === null) {
    throw new UsageError(`config file ${path} has no "profiles" object: fix or remove it`);
  }
  return { version: 1, defaultProfile: d.defaultProfile, profiles: d.profiles };
}

/** Write the config atomically with mode 0600 (directory 0700). */
export async function saveConfig(dir: string, data: ConfigData): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = configFilePath(dir);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(data, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return path;
}
