/** Exit codes (documented in docs/commands.md and --help). */
export const EXIT = {
  ok: 0,
  runtime: 1,
  usage: 2,
  notFound: 3,
  partial: 4,
  /** check: the trees differ. */
  differ: 5,
} as const;
