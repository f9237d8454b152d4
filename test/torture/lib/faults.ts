/**
 * Fault schedules for the emulator: many one-shot rules, one per faulted call, at positions drawn from
 * a seeded generator, so a storm is reproducible and the test knows what fired. A rule with
 * `after: p, count: 1` fails exactly the (p+1)-th call of its name: every rule of a name sees every
 * call of that name (docs/emulator.md), positions are distinct, and no `*` rules are used. A rule fired
 * when its name was called more than p times; for a download name the count also holds HEAD requests,
 * which a 'corrupt' rule skips, so for those the figure is an upper bound.
 */
import type { FaultSpec, RunningEmulator } from '../../../src/emulator/api.js';
import type { Rng } from './rng.js';

export type FaultLabel = '500' | '503' | '503+retry-after' | '429' | 'drop' | 'cut' | 'corrupt';

const SPEC: Record<FaultLabel, Omit<FaultSpec, 'call'>> = {
  '500': { kind: 'error', status: 500 },
  '503': { kind: 'error', status: 503 },
  '503+retry-after': { kind: 'error', status: 503, retryAfter: 1 },
  '429': { kind: 'error', status: 429, retryAfter: 0 },
  drop: { kind: 'drop' },
  cut: { kind: 'cut' },
  corrupt: { kind: 'corrupt' },
};

/** Errors any call can take. */
export const ERRORS: FaultLabel[] = ['500', '503', '503+retry-after', '429'];

export interface CallPlan {
  call: string;
  /** How many calls of this name the phase is expected to make (random faults fall in [0, expected)). */
  expected: number;
  /** The kinds drawn at random for this name. */
  kinds: readonly FaultLabel[];
  /** Faults placed on purpose: the (after+1)-th call of the name fails this way. */
  fixed?: { after: number; label: FaultLabel }[];
}

export interface Scheduled {
  call: string;
  after: number;
  label: FaultLabel;
}

/**
 * About `rate` of the expected calls of each name fail, never two in a row of one name (so a retry
 * of the same call usually goes through), plus the fixed faults.
 */
export function buildSchedule(rng: Rng, plans: readonly CallPlan[], rate: number): Scheduled[] {
  const out: Scheduled[] = [];
  for (const p of plans) {
    const at = new Map<number, FaultLabel>();
    for (const f of p.fixed ?? []) at.set(f.after, f.label);
    for (let i = 0; i < p.expected; i++) {
      if (at.has(i) || at.has(i - 1) || at.has(i + 1)) continue;
      if (rng.next() < rate) at.set(i, rng.pick(p.kinds));
    }
    for (const [after, label] of [...at].sort((a, b) => a[0] - b[0])) out.push({ call: p.call, after, label });
  }
  return out;
}

export function inject(emu: RunningEmulator, schedule: readonly Scheduled[]): void {
  for (const s of schedule) emu.controls.injectFault({ call: s.call, after: s.after, count: 1, ...SPEC[s.label] });
}

/** Faults that fired, by kind, from the rules and the emulator's per-name call counters. */
export function firedByKind(schedule: readonly Scheduled[], calls: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of schedule) if ((calls[s.call] ?? 0) > s.after) out[s.label] = (out[s.label] ?? 0) + 1;
  return out;
}

/** Adds b's counts into a. */
export function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
}

export const sumCounts = (r: Record<string, number>): number => Object.values(r).reduce((x, y) => x + y, 0);
