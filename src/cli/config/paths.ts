/** Where b2sync keeps its configuration: --config-dir, B2SYNC_CONFIG_DIR, $XDG_CONFIG_HOME/b2sync, ~/.config/b2sync. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function resolveConfigDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.B2SYNC_CONFIG_DIR) return resolve(env.B2SYNC_CONFIG_DIR);
  if (env.XDG_CONFIG_HOME) return join(resolve(env.XDG_CONFIG_HOME), 'b2sync');
  return join(homedir(), '.config', 'b2sync');
}

export function configFilePath(dir: string): string {
  return join(dir, 'config.json');
}
