/** `check`: compare two trees by size and SHA-1 (or bytes), changing nothing. */
export { runCheck, DEFAULT_CHECK_CHECKERS } from './run-check.js';
export { firstDifference } from './same-bytes.js';
export { differences } from './types.js';
export type { CheckEvent, CheckOptions, CheckSummary, DifferenceKind } from './types.js';
