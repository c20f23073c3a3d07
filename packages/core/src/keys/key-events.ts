import { callHook } from '../call-hook.js';

/**
 * What the key sources report, so that operators learn about an identity-provider outage from a
 * metric rather than from a wave of 401s. Never carries key material or tokens.
 */
export type KeyEvent =
  | { type: 'keys_fetched'; url: string; keyCount: number; durationMs: number }
  | {
      type: 'keys_fetch_failed';
      url: string;
      reason: string;
      durationMs: number;
      consecutiveFailures: number;
      /** How long until the next attempt is allowed (exponential backoff). */
      retryInMs: number;
    }
  | { type: 'stale_keys_served'; url: string; /** Time since the keys were fetched. */ ageMs: number }
  | { type: 'unknown_kid'; url: string; /** The token's kid, truncated and stripped to printable ASCII. */ kid: string; refetched: boolean }
  | { type: 'discovery_fetched'; url: string; jwksUri: string; durationMs: number }
  | { type: 'discovery_failed'; url: string; reason: string }
  | { type: 'issuer_mismatch'; url: string; expected: string; found: string };

export type KeyEventListener = (event: KeyEvent) => void;

/** Calls the listener (`onKeyEvent`, which may be async), never letting it break verification. */
export function emitter(listener: KeyEventListener | undefined): KeyEventListener {
  if (listener === undefined) return () => undefined;
  // A metrics hook that throws or rejects must not turn into failed requests.
  return (event) => callHook(listener, event);
}

/** Attacker-chosen strings (a kid) are cut to printable ASCII before they reach logs. */
export function printable(value: string, max = 64): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
