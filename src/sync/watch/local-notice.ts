/**
 * The one line said when the native watcher cannot go on (docs/watch.md, "Local side"): what ran out
 * and how to raise it, then what the watcher does instead.
 */

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  return `${e?.code ?? ''} ${e?.message ?? String(err)}`;
}

/** Why the watcher stopped, with the fix, for a failure of @parcel/watcher's subscribe (at start or later). */
export function watcherFailureNotice(err: unknown, pollMs: number): string {
  const text = errorText(err);
  const fallback = `falling back to a full rescan every ${seconds(pollMs)}`;
  if (/ENOSPC|No space left on device/i.test(text))
    return (
      'inotify watch limit reached: raise fs.inotify.max_user_watches ' +
      `(sysctl fs.inotify.max_user_watches=524288); ${fallback}`
    );
  if (/EMFILE|ENFILE|Too many open files/i.test(text))
    return (
      'too many open files (inotify instances or descriptors): raise fs.inotify.max_user_instances ' +
      `(sysctl fs.inotify.max_user_instances=1024) or the open-file limit (ulimit -n); ${fallback}`
    );
  const message = (err as Error | undefined)?.message ?? String(err);
  return `file watcher failed (${message.replace(/[\x00-\x1f\x7f]/g, ' ')}); ${fallback}`;
}
