/** Adding, reading and removing profiles: the key goes to the keyring, or to the 0600 config file with a notice. */
import { NotFoundError, UsageError } from '../../core/errors.js';
import { profileNameProblem } from '../remote-path.js';
import { loadConfig, saveConfig, type ConfigData, type Profile } from './config-file.js';
import { keyringAccount, keyringDelete, keyringGet, keyringSet } from './keyring.js';
import { configFilePath } from './paths.js';

export interface AddProfileResult {
  keyStore: 'keyring' | 'file';
  /** Set when the key went to the config file because the keyring was unavailable. */
  notice?: string;
  isDefault: boolean;
  configPath: string;
}

export function checkKeyPair(keyId: string, key: string): void {
  if (!keyId || !keyId.trim())
    throw new UsageError('the application key id is empty: give the keyID shown by Backblaze (Application Keys page)');
  if (!key || !key.trim())
    throw new UsageError('the application key is empty: give the applicationKey shown once when the key was created');
  if (/\s/.test(keyId) || /\s/.test(key))
    throw new UsageError(
      'the application key id or key contains whitespace: paste them again without spaces or line breaks',
    );
}

export function checkEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new UsageError(
      `bad endpoint "${endpoint}": give a URL such as https://api.backblazeb2.com or http://127.0.0.1:8000`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`bad endpoint "${endpoint}": only http and https URLs are accepted`);
  return endpoint.replace(/\/+$/, '');
}

export async function addProfile(
  dir: string,
  p: { name: string; keyId: string; key: string; endpoint?: string; makeDefault?: boolean },
  env: NodeJS.ProcessEnv,
): Promise<AddProfileResult> {
  const problem = profileNameProblem(p.name);
  if (problem) throw new UsageError(problem);
  checkKeyPair(p.keyId, p.key);
  const endpoint = p.endpoint ? checkEndpoint(p.endpoint) : undefined;
  const config = await loadConfig(dir);
  const profile: Profile = { keyId: p.keyId, keyStore: 'keyring' };
  if (endpoint) profile.endpoint = endpoint;
  let notice: string | undefined;
  const stored = await keyringSet(keyringAccount(p.name), p.key, env);
  if (!stored.ok) {
    profile.keyStore = 'file';
    profile.applicationKey = p.key;
    notice = `${stored.reason}: the key is stored in ${configFilePath(dir)} (mode 0600)`;
  }
  config.profiles[p.name] = profile;
  const isDefault = Boolean(p.makeDefault) || !config.defaultProfile || !config.profiles[config.defaultProfile];
  if (isDefault) config.defaultProfile = p.name;
  const configPath = await saveConfig(dir, config);
  return { keyStore: profile.keyStore, notice, isDefault, configPath };
}

export function getProfile(config: ConfigData, name: string): Profile {
  const p = Object.prototype.hasOwnProperty.call(config.profiles, name) ? config.profiles[name] : undefined;
  if (!p) {
    const known = Object.keys(config.profiles);
    throw new NotFoundError(
      `profile "${name}" not found${known.length ? ` (known: ${known.join(', ')})` : ''}: add it with \`b2sync config add ${name} --key-id ID\``,
    );
  }
  return p;
}

/** The profile's application key from the keyring or the config file. */
export async function profileKey(name: string, profile: Profile, env: NodeJS.ProcessEnv): Promise<string> {
  if (profile.keyStore === 'file') {
    if (!profile.applicationKey)
      throw new UsageError(
        `profile "${name}" has no key stored: add it again with \`b2sync config add ${name} --key-id ID\``,
      );
    return profile.applicationKey;
  }
  const got = await keyringGet(keyringAccount(name), env);
  if (!got.ok)
    throw new UsageError(
      `profile "${name}" keeps its key in the OS keyring, but ${got.reason}: add the profile again or set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY`,
    );
  if (!got.value)
    throw new UsageError(
      `the keyring has no key for profile "${name}": add it again with \`b2sync config add ${name} --key-id ID\``,
    );
  return got.value;
}

export async function removeProfile(
  dir: string,
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<{ wasDefault: boolean; newDefault?: string }> {
  const config = await loadConfig(dir);
  const profile = getProfile(config, name);
  if (profile.keyStore === 'keyring') await keyringDelete(keyringAccount(name), env);
  delete config.profiles[name];
  const wasDefault = config.defaultProfile === name;
  if (wasDefault) {
    const rest = Object.keys(config.profiles).sort();
    config.defaultProfile = rest[0];
  }
  await saveConfig(dir, config);
  return { wasDefault, newDefault: wasDefault ? config.defaultProfile : undefined };
}

/** "K0012…cdef" style: enough to recognise, not enough to use. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '*'.repeat(secret.length);
  return `${secret.slice(0, 4)}${'*'.repeat(Math.min(12, secret.length - 8))}${secret.slice(-4)}`;
}
