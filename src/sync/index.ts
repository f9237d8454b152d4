/** The sync engine: march → compare → plan → execute. */
export type {
  SyncEndpoint,
  SyncOptions,
  SyncSummary,
  SyncEvent,
  PlanAction,
  PlanReason,
  ActionKind,
  CompareMode,
  Entry,
} from './types.js';
export type { FilterRule, FilterRules, FilterFlags } from './filter-rules.js';
export { buildFilterRules, loadFilterRules, parseFilterLines, Filter } from './filter-rules.js';
export { DEFAULT_MODIFY_WINDOW_MS } from './compare.js';
export { DEFAULT_TRANSFERS, DEFAULT_CHECKERS } from './run-sync.js';
export { normalizePrefix } from './remotes/b2.js';
export { compileGlob } from './glob.js';
export { SafetyStopError } from './errors.js';
export { runSync } from './run-sync.js';
