/** The b2sync version, for the User-Agent header. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // src/client/version.ts and dist/client/version.js both sit two levels below package.json.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION = readVersion();
export const DEFAULT_USER_AGENT = `b2sync/${VERSION} node/${process.versions.node} ${process.platform}`;
