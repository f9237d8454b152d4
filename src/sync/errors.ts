/** Errors of the sync engine. */
import { UsageError } from '../core/errors.js';

/**
 * The safety stop refused a sync that would delete too much (SRC empty or missing, or more than half
 * of DST). A UsageError, so the CLI exits 2; --force overrides.
 */
export class SafetyStopError extends UsageError {
  constructor(
    message: string,
    readonly deletions: number,
    readonly destinationFiles: number,
  ) {
    super(message);
    this.name = 'SafetyStopError';
  }
}
