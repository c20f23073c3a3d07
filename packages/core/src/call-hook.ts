/**
 * Runs a logging or metrics hook: a hook must never turn a request into a crash, so what it throws
 * is ignored, and so is the rejection of a promise (or any thenable) it returns — never an
 * unhandled rejection. The one way every seam of ours calls an app's observer.
 */
export function callHook<Event>(hook: (event: Event) => unknown, event: Event): void {
  try {
    const result = hook(event);
    if (isThenable(result)) Promise.resolve(result).catch(ignore);
  } catch {
    // ignored, like a rejection
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function ignore(): void {}
