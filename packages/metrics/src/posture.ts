import { durationToSeconds, type Duration, type JWTPayload, type KeyEvent, type VerifiedEvent } from '@jwt-guard/core';

/** Options the Prometheus and OpenTelemetry metrics share: the lifetime policy and the label bound. */
export interface PostureOptions {
  /**
   * Longest acceptable token lifetime (exp − iat), in seconds or a duration (`'1h'`, `'15m'`); a
   * longer-lived accepted token counts in `tokens_over_lifetime_policy_total`. Default `'1h'`, the
   * default of `jwt-guard audit --max-lifetime`.
   */
  maxTokenLifetime?: Duration;
  /**
   * Most distinct values kept per label (`iss`, `kid`, `alg`, `url`); later values are counted under
   * `'other'`, so that a misconfigured issuer minting a kid per token cannot blow up the series count.
   * Default 50.
   */
  maxLabelValues?: number;
}

/** Default buckets of the token lifetime histogram, in seconds: 1 min to 1 week. */
export const DEFAULT_LIFETIME_BUCKETS: readonly number[] = Object.freeze([60, 300, 900, 1800, 3600, 7200, 21600, 86400, 604800]);
/** Default buckets of the JWKS / discovery fetch time histogram, in seconds. */
export const DEFAULT_FETCH_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** The label value of everything past the first `maxLabelValues` distinct values. */
export const OTHER_LABEL_VALUE = 'other';

const DEFAULT_MAX_LIFETIME_SECONDS = 3600;
const DEFAULT_MAX_LABEL_VALUES = 50;

/** A claim or header value as a label: printable ASCII only, cut at `max` characters ('' when absent). */
export function labelText(value: unknown, max = 64): string {
  if (typeof value !== 'string') return '';
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

/** The distinct values one label may take: the first `max` ones, then {@link OTHER_LABEL_VALUE}. */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  constructor(readonly max: number) {}

  value(text: string): string {
    if (this.#seen.has(text)) return text;
    if (this.#seen.size >= this.max) return OTHER_LABEL_VALUE;
    this.#seen.add(text);
    return text;
  }
}

/**
 * What the posture metrics remember between events: the label bounds and the first time each
 * (iss, kid) was accepted. One per set of metrics (shared when a registry's metrics are reused).
 */
export class PostureState {
  readonly iss: BoundedLabel;
  readonly kid: BoundedLabel;
  readonly alg: BoundedLabel;
  readonly url: BoundedLabel;
  readonly maxLifetimeSeconds: number;
  /** `iss`, `kid` (label values, so bounded) → Unix seconds when first accepted by this process. */
  readonly firstSeen = new Map<string, { iss: string; kid: string; seconds: number }>();
  /** URL label → consecutive failures of that key source, reset by a successful fetch. */
  readonly consecutiveFailures = new Map<string, number>();

  constructor(options: PostureOptions, optionPrefix: string) {
    const maxLabelValues = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
    if (!Number.isInteger(maxLabelValues) || maxLabelValues < 1) {
      throw new TypeError(`${optionPrefix}: maxLabelValues must be a positive integer; got ${String(maxLabelValues)}.`);
    }
    this.iss = new BoundedLabel(maxLabelValues);
    this.kid = new BoundedLabel(maxLabelValues);
    this.alg = new BoundedLabel(maxLabelValues);
    this.url = new BoundedLabel(maxLabelValues);
    this.maxLifetimeSeconds =
      options.maxTokenLifetime === undefined ? DEFAULT_MAX_LIFETIME_SECONDS : durationToSeconds(options.maxTokenLifetime, `${optionPrefix}: maxTokenLifetime`);
  }

  /** The URL of a key event as a label value (core already redacted it), bounded. */
  urlLabel(url: string): string {
    return this.url.value(labelText(url, 200));
  }
}

/** What one accepted token tells about the issuer's practice. */
export interface TokenPosture {
  iss: string;
  alg: string;
  /** '' when the header has no `kid`. */
  kid: string;
  /** exp − iat, when the token has both as numbers. */
  lifetimeSeconds: number | undefined;
  withoutJti: boolean;
  withoutTyp: boolean;
  /** Lives longer than the policy: exp − iat, or without `iat` what is left of it (a lower bound), above `maxTokenLifetime`. */
  overLifetimePolicy: boolean;
  /** Unix seconds when this (iss, kid) was first accepted, set only by the event that saw it first. */
  firstSeenSeconds: number | undefined;
}

/** Reads the posture of an accepted token and records its (iss, kid) if new. */
export function readPosture(state: PostureState, event: VerifiedEvent<JWTPayload>, nowSeconds: number): TokenPosture {
  const { payload, header } = event;
  const iss = state.iss.value(labelText(payload.iss));
  const kid = state.kid.value(labelText(header.kid));
  const alg = state.alg.value(labelText(header.alg, 16));
  const { exp, iat } = payload;
  const lifetimeSeconds = typeof exp === 'number' && typeof iat === 'number' ? exp - iat : undefined;
  // Like `jwt-guard audit`: without iat, the time left until exp is a lower bound of the lifetime.
  const boundSeconds = lifetimeSeconds ?? (typeof exp === 'number' ? exp - nowSeconds : undefined);
  const key = `${iss}\u0000${kid}`;
  let firstSeenSeconds: number | undefined;
  if (!state.firstSeen.has(key)) {
    firstSeenSeconds = Math.floor(nowSeconds);
    state.firstSeen.set(key, { iss, kid, seconds: firstSeenSeconds });
  }
  return {
    iss,
    alg,
    kid,
    lifetimeSeconds,
    withoutJti: typeof payload.jti !== 'string' || payload.jti === '',
    withoutTyp: header.typ === undefined,
    overLifetimePolicy: boundSeconds !== undefined && boundSeconds > state.maxLifetimeSeconds,
    firstSeenSeconds,
  };
}

/** What one key source event changes. */
export interface KeySourceReading {
  type: KeyEvent['type'];
  /** The key source's URL as a label value (bounded). */
  url: string;
  /** A JWKS fetch that succeeded or failed: its time, in seconds. */
  fetch: { outcome: 'fetched' | 'failed'; seconds: number } | undefined;
  /** The new count of consecutive failures of this URL (0 after a successful fetch); undefined when unchanged. */
  consecutiveFailures: number | undefined;
}

/** Reads a key source event and records the URL's consecutive failures. */
export function readKeyEvent(state: PostureState, event: KeyEvent): KeySourceReading {
  const url = state.urlLabel(event.url);
  const reading: KeySourceReading = { type: event.type, url, fetch: undefined, consecutiveFailures: undefined };
  if (event.type === 'keys_fetched') {
    reading.fetch = { outcome: 'fetched', seconds: event.durationMs / 1000 };
    reading.consecutiveFailures = 0;
  } else if (event.type === 'keys_fetch_failed') {
    reading.fetch = { outcome: 'failed', seconds: event.durationMs / 1000 };
    reading.consecutiveFailures = event.consecutiveFailures;
  }
  if (reading.consecutiveFailures !== undefined) state.consecutiveFailures.set(url, reading.consecutiveFailures);
  return reading;
}
