import { durationToSeconds } from '../duration.js';
import { configError } from '../errors.js';
import type { Duration } from '../options.js';
import type { GuardRequest } from '../http/request.js';

/** What a detector does when it trips, besides reporting it. */
export type DetectionAction = 'none' | 'revoke_token' | 'revoke_subject' | 'block_client';

export interface TokenSharedOptions {
  /** More distinct client addresses than this for one token within the window trips it. Default 3. */
  maxAddresses?: number;
  /** Also trip when more distinct `User-Agent`s than this use one token within the window. Default: not counted. */
  maxUserAgents?: number;
  /** The window the distinct addresses (and user agents) are counted over. Default 300 s. */
  window?: Duration;
  /**
   * The automatic answer. Default `'none'` (report only): NAT, mobile carriers and dual-stack
   * clients can make one honest user look like several addresses, so measure before you act.
   * `'revoke-token'` (needs `revocation` and tokens with `jti`) and `'revoke-subject'` (needs
   * `revocation` and `sub`) write to the revocation store, so every instance sharing it refuses
   * the token from then on; `'block-client'` refuses the address that tripped it for `blockFor`.
   * The request that trips the detector is refused (`token_revoked`, or `client_blocked`).
   */
  respond?: 'none' | 'revoke-token' | 'revoke-subject' | 'block-client';
  /** How long `'block-client'` refuses the address. Default 600 s. */
  blockFor?: Duration;
}

export interface ForgeryProbeOptions {
  /**
   * This many forgery signals from one client address within the window trips it. Default 20.
   * Signals: refusals `signature_invalid`, `algorithm_not_allowed`, `key_not_found` and
   * `token_malformed` — what someone trying forged or tampered tokens gets, and an honest client
   * almost never does.
   */
  threshold?: number;
  /** The window the signals are counted over. Default 60 s. */
  window?: Duration;
  /** `'none'` (report only, the default) or `'block-client'`: refuse the address for `blockFor`. */
  respond?: 'none' | 'block-client';
  /** How long `'block-client'` refuses the address. Default 600 s. */
  blockFor?: Duration;
}

/**
 * Detectors of unusual activity, with bounded memory and constant work per request. Each event
 * goes to the guard's `onDetection`; nothing they keep holds a token (a token is known by a
 * 62-bit fingerprint of its signature's end).
 */
export interface DetectOptions {
  /**
   * The client's address for a request. Default: what the framework says with its own proxy
   * settings (Express `req.ip` with `trust proxy`, Koa `ctx.ip` with `app.proxy`, Fastify
   * `request.ip` with `trustProxy`) — without those, the socket's peer, so that a client cannot
   * pick its address with `X-Forwarded-For`. When it throws or gives no string, a detector that
   * can block answers `503 detection_unavailable` (it cannot tell whether the client is blocked);
   * one that only reports skips the request.
   */
  clientAddress?: (request: GuardRequest) => string | undefined;
  /** Most tokens, and most addresses, each detector remembers (least recently seen forgotten first). Default 100 000. */
  maxEntries?: number;
  /** One token used from more distinct client addresses than expected: a stolen token in use. */
  tokenShared?: false | TokenSharedOptions;
  /** A burst of forgery signals from one client address. */
  forgeryProbe?: false | ForgeryProbeOptions;
}

/** Passed to `onDetection`. Never the token; claims only of a verified token. */
export type DetectionEvent =
  | {
      type: 'token_shared';
      /** The address that pushed the count over (the one blocked with `'block-client'`). */
      clientAddress: string;
      distinctAddresses: number;
      /** Undefined unless `maxUserAgents` is set. */
      distinctUserAgents: number | undefined;
      windowSeconds: number;
      iss: string | undefined;
      sub: string | undefined;
      jti: string | undefined;
      action: DetectionAction;
      /** The action could not be taken: no `jti` or `sub` to revoke, or the revocation store failed. */
      actionFailed: boolean;
    }
  | {
      type: 'forgery_probe';
      clientAddress: string;
      signals: number;
      windowSeconds: number;
      /** How many of the signals had each refusal code. */
      reasons: Readonly<Record<string, number>>;
      action: DetectionAction;
      actionFailed: boolean;
    };

export interface ResolvedTokenShared {
  maxAddresses: number;
  maxUserAgents: number | undefined;
  windowMs: number;
  action: DetectionAction;
  blockMs: number;
}

export interface ResolvedForgeryProbe {
  threshold: number;
  windowMs: number;
  action: DetectionAction;
  blockMs: number;
}

export interface ResolvedDetect {
  clientAddress: ((request: GuardRequest) => string | undefined) | undefined;
  maxEntries: number;
  tokenShared: ResolvedTokenShared | undefined;
  forgeryProbe: ResolvedForgeryProbe | undefined;
}

const DETECT_KEYS = ['clientAddress', 'maxEntries', 'tokenShared', 'forgeryProbe'];
const TOKEN_SHARED_KEYS = ['maxAddresses', 'maxUserAgents', 'window', 'respond', 'blockFor'];
const FORGERY_PROBE_KEYS = ['threshold', 'window', 'respond', 'blockFor'];

function checkKeys(value: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw configError(`${where} has no option ${JSON.stringify(key)}; the options are ${allowed.join(', ')}.`);
  }
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw configError(`${name} must be a whole number of at least 1.`);
  return value;
}

function windowMs(value: Duration | undefined, fallbackSeconds: number, name: string): number {
  const seconds = value === undefined ? fallbackSeconds : durationToSeconds(value, name);
  if (!(seconds > 0)) throw configError(`${name} must be longer than 0 s.`);
  return seconds * 1000;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks `detect` at start-up. `hasRevocation`: whether the guard has a revocation store, which
 * the revoke responses write to.
 */
export function resolveDetect(detect: DetectOptions | undefined, hasRevocation: boolean): ResolvedDetect | undefined {
  if (detect === undefined) return undefined;
  if (!isObject(detect)) throw configError('detect must be an object, e.g. { tokenShared: {}, forgeryProbe: {} }.');
  checkKeys(detect, DETECT_KEYS, 'detect');
  const { clientAddress } = detect;
  if (clientAddress !== undefined && typeof clientAddress !== 'function') throw configError('detect.clientAddress must be a function (request) => address.');
  const maxEntries = positiveInteger(detect.maxEntries, 100_000, 'detect.maxEntries');
  const tokenShared = resolveTokenShared(detect.tokenShared, hasRevocation);
  const forgeryProbe = resolveForgeryProbe(detect.forgeryProbe);
  if (tokenShared === undefined && forgeryProbe === undefined) {
    throw configError('detect turns on no detector: give tokenShared: {} and/or forgeryProbe: {} (or leave detect out).');
  }
  return { clientAddress, maxEntries, tokenShared, forgeryProbe };
}

function resolveTokenShared(value: DetectOptions['tokenShared'], hasRevocation: boolean): ResolvedTokenShared | undefined {
  if (value === undefined || value === false) return undefined;
  if (!isObject(value)) throw configError('detect.tokenShared must be an object (or false).');
  checkKeys(value, TOKEN_SHARED_KEYS, 'detect.tokenShared');
  const respond = value.respond ?? 'none';
  const actions = { none: 'none', 'revoke-token': 'revoke_token', 'revoke-subject': 'revoke_subject', 'block-client': 'block_client' } as const;
  const action = (actions as Record<string, DetectionAction | undefined>)[String(respond)];
  if (action === undefined) throw configError(`detect.tokenShared.respond must be 'none', 'revoke-token', 'revoke-subject' or 'block-client', not ${JSON.stringify(respond)}.`);
  if ((action === 'revoke_token' || action === 'revoke_subject') && !hasRevocation) {
    throw configError(`detect.tokenShared.respond: '${respond}' writes to the revocation store: give the guard revocation: { store } (memoryRevocationStore() or redisRevocationStore()).`);
  }
  return {
    maxAddresses: positiveInteger(value.maxAddresses, 3, 'detect.tokenShared.maxAddresses'),
    maxUserAgents: value.maxUserAgents === undefined ? undefined : positiveInteger(value.maxUserAgents, 1, 'detect.tokenShared.maxUserAgents'),
    windowMs: windowMs(value.window, 300, 'detect.tokenShared.window'),
    action,
    blockMs: windowMs(value.blockFor, 600, 'detect.tokenShared.blockFor'),
  };
}

function resolveForgeryProbe(value: DetectOptions['forgeryProbe']): ResolvedForgeryProbe | undefined {
  if (value === undefined || value === false) return undefined;
  if (!isObject(value)) throw configError('detect.forgeryProbe must be an object (or false).');
  checkKeys(value, FORGERY_PROBE_KEYS, 'detect.forgeryProbe');
  const respond = value.respond ?? 'none';
  if (respond !== 'none' && respond !== 'block-client') throw configError(`detect.forgeryProbe.respond must be 'none' or 'block-client', not ${JSON.stringify(respond)}.`);
  return {
    threshold: positiveInteger(value.threshold, 20, 'detect.forgeryProbe.threshold'),
    windowMs: windowMs(value.window, 60, 'detect.forgeryProbe.window'),
    action: respond === 'none' ? 'none' : 'block_client',
    blockMs: windowMs(value.blockFor, 600, 'detect.forgeryProbe.blockFor'),
  };
}
