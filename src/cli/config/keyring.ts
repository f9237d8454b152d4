/**
 * The OS keyring through keytar, loaded lazily (it is an optional native dependency). Every function
 * reports "unavailable" instead of throwing when keytar cannot load or no Secret Service answers.
 */
const SERVICE = 'b2sync';

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

let loaded: Promise<{ keytar?: Keytar; reason?: string }> | undefined;

/** B2SYNC_KEYRING=off disables the keyring (tests, headless hosts). */
async function load(env: NodeJS.ProcessEnv): Promise<{ keytar?: Keytar; reason?: string }> {
  if ((env.B2SYNC_KEYRING ?? '').toLowerCase() === 'off')
    return { reason: 'the keyring is disabled (B2SYNC_KEYRING=off)' };
  loaded ??= (async () => {
    try {
      const name = 'keytar';
      const mod = (await import(name)) as { default?: Keytar } & Keytar;
      const k = mod.default ?? mod;
      if (typeof k.setPassword !== 'function') return { reason: 'keytar has no setPassword' };
      return { keytar: k };
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return {
        reason: /Cannot find (package|module)/.test(msg) ? 'keytar is not installed' : `keytar could not load (${msg})`,
      };
    }
  })();
  return loaded;
}

export type KeyringResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function failure(err: unknown): { ok: false; reason: string } {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return { ok: false, reason: `the keyring did not answer (${msg})` };
}

export async function keyringSet(
  account: string,
  secret: string,
  env: NodeJS.ProcessEnv,
): Promise<KeyringResult<void>> {
  const { keytar, reason } = await load(env);
  if (!keytar) return { ok: false, reason: reason ?? 'no keyring' };
  try {
    await keytar.setPassword(SERVICE, account, secret);
    return { ok: true, value: undefined };
  } catch (err) {
    return failure(err);
  }
}

export async function keyringGet(account: string, env: NodeJS.ProcessEnv): Promise<KeyringResult<string | null>> {
  const { keytar, reason } = await load(env);
  if (!keytar) return { ok: false, reason: reason ?? 'no keyring' };
  try {
    return { ok: true, value: await keytar.getPassword(SERVICE, account) };
  } catch (err) {
    return failure(err);
  }
}

export async function keyringDelete(account: string, env: NodeJS.ProcessEnv): Promise<KeyringResult<boolean>> {
  const { keytar, reason } = await load(env);
  if (!keytar) return { ok: false, reason: reason ?? 'no keyring' };
  try {
    return { ok: true, value: await keytar.deletePassword(SERVICE, account) };
  } catch (err) {
    return failure(err);
  }
}

/** The keyring account name of a profile. */
export function keyringAccount(profile: string): string {
  return `profile:${profile}`;
}
