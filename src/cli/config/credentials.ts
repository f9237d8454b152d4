/**
 * Which key a command uses. Order: a profile named by --profile or by a `PROFILE:` path; then
 * B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY from the environment; then the default profile.
 * The endpoint: --endpoint, then B2SYNC_ENDPOINT, then the profile's, then Backblaze's.
 */
import { DEFAULT_REALM } from '../../client/api.js';
import { UsageError } from '../../core/errors.js';
import { loadConfig } from './config-file.js';
import { checkEndpoint, checkKeyPair, getProfile, profileKey } from './profiles.js';

export interface Credentials {
  keyId: string;
  key: string;
  endpoint: string;
  source: 'profile' | 'environment';
  profile?: string;
}

export async function resolveCredentials(p: {
  /** A profile named explicitly (--profile or PROFILE:). */
  profile?: string;
  endpointFlag?: string;
  env: NodeJS.ProcessEnv;
  configDir: string;
}): Promise<Credentials> {
  const { env } = p;
  const endpointOverride = p.endpointFlag || env.B2SYNC_ENDPOINT || undefined;
  const endpointFor = (profileEndpoint?: string) => checkEndpoint(endpointOverride ?? profileEndpoint ?? DEFAULT_REALM);

  const fromProfile = async (name: string): Promise<Credentials> => {
    const config = await loadConfig(p.configDir);
    const profile = getProfile(config, name);
    const key = await profileKey(name, profile, env);
    checkKeyPair(profile.keyId, key);
    return { keyId: profile.keyId, key, endpoint: endpointFor(profile.endpoint), source: 'profile', profile: name };
  };

  if (p.profile) return fromProfile(p.profile);

  const envId = env.B2_APPLICATION_KEY_ID;
  const envKey = env.B2_APPLICATION_KEY;
  if (envId !== undefined || envKey !== undefined) {
    if (!envId || !envId.trim())
      throw new UsageError(
        'B2_APPLICATION_KEY_ID is empty or unset while B2_APPLICATION_KEY is set: set both, or unset both to use a profile',
      );
    if (!envKey || !envKey.trim())
      throw new UsageError(
        'B2_APPLICATION_KEY is empty or unset while B2_APPLICATION_KEY_ID is set: set both, or unset both to use a profile',
      );
    checkKeyPair(envId, envKey);
    return { keyId: envId, key: envKey, endpoint: endpointFor(), source: 'environment' };
  }

  const config = await loadConfig(p.configDir);
  if (config.defaultProfile && config.profiles[config.defaultProfile]) return fromProfile(config.defaultProfile);
  throw new UsageError(
    'no credentials: run `b2sync config` to add a profile, or set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY',
  );
}
