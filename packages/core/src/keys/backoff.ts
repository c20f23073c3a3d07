/** Backoff after consecutive failed fetches of remote key material: 1 s, 2 s, 4 s … up to a minute. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export function backoffMs(consecutiveFailures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (consecutiveFailures - 1));
}
