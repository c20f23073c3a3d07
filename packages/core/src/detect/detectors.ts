import { callHook } from '../call-hook.js';
import { JwtGuardError, type ErrorCode } from '../errors.js';
import { explainRefusal } from '../explanations.js';
import type { GuardRequest } from '../http/request.js';
import type { AuthContext, JWTPayload } from '../options.js';
import type { RevocationStore } from '../revocation/store.js';
import { BoundedMap } from './bounded-map.js';
import { Fingerprint } from './fingerprint.js';
import type { DetectionEvent, ResolvedDetect, ResolvedForgeryProbe, ResolvedTokenShared } from './options.js';

/** The refusals a forged or tampered token gets; anything else (expired, wrong audience…) is an honest client's. */
const FORGERY_SIGNALS: ReadonlySet<ErrorCode> = new Set(['signature_invalid', 'algorithm_not_allowed', 'key_not_found', 'token_malformed']);
/** How long a revocation may take before its detection is reported as failed. */
const ACTION_TIMEOUT_MS = 5_000;
/** Longest address kept: a resolver's string is cut so that memory stays bounded. */
const MAX_ADDRESS_LENGTH = 64;

/** The address could not be learnt (the resolver threw, or gave no string). */
export const UNKNOWN_ADDRESS = Symbol('unknown client address');
export type ClientAddress = string | typeof UNKNOWN_ADDRESS;

export interface Detectors {
  /** The request's client address, once per request. */
  address(request: GuardRequest): ClientAddress;
  /** Before verification: the refusal of a blocked client (or of one whose address is unknown, when blocking is on). */
  beforeVerification(address: ClientAddress): JwtGuardError | undefined;
  /** After a token verified: the refusal this use trips (or a token tripped before), if any. */
  afterVerified(address: ClientAddress, request: GuardRequest, auth: AuthContext<JWTPayload>): JwtGuardError | undefined;
  /** After a refusal: counts the forgery signals. */
  afterRefused(address: ClientAddress, code: ErrorCode): void;
  /** How many tokens, probing addresses and blocked addresses are remembered (each at most maxEntries). */
  sizes(): { tokens: number; addresses: number; blocked: number };
}

interface TokenUse {
  /** The token's second hash: a use whose key matches but check does not is another token's. */
  check: number;
  /** Distinct addresses within the window, with when each was last seen (ms). */
  addresses: string[];
  addressSeenAt: number[];
  agents: number[];
  agentSeenAt: number[];
  /** When it last tripped (ms); 0 if never. */
  trippedAt: number;
  /** Revoked by a detector: this instance refuses it from now on, whatever the store says. */
  revoked: boolean;
}

interface ProbeCount {
  windowStart: number;
  signals: number;
  reasons: Record<string, number>;
  tripped: boolean;
}

export function createDetectors(
  detect: ResolvedDetect,
  revocation: RevocationStore | undefined,
  onDetection: ((event: DetectionEvent) => unknown) | undefined,
): Detectors {
  const { tokenShared, forgeryProbe, maxEntries } = detect;
  const resolve = detect.clientAddress ?? ((request: GuardRequest) => request.clientAddress?.());
  const blocks = tokenShared?.action === 'block_client' || forgeryProbe?.action === 'block_client';
  const tokens = new BoundedMap<number, TokenUse>(maxEntries);
  const fingerprint = new Fingerprint();
  const probes = new BoundedMap<string, ProbeCount>(maxEntries);
  /** Blocked addresses: until when (ms, Date.now(): cheaper per request than performance.now(), and windows are seconds long) and by which detector. */
  const blocked = new BoundedMap<string, { until: number; by: DetectionEvent['type'] }>(maxEntries);

  /** Why the last unknown address was unknown, for the hint. */
  let unknownBecause = 'it gave no address';
  const report = (event: DetectionEvent): void => {
    if (onDetection !== undefined) callHook(onDetection, event);
  };

  function block(address: string, forMs: number, by: DetectionEvent['type']): JwtGuardError {
    blocked.set(address, { until: Date.now() + forMs, by });
    return blockedError(forMs / 1000, by);
  }

  /** Runs a revocation; reports the event once it settled (or timed out: then as failed). */
  function revokeThen(run: () => Promise<void>, event: DetectionEvent): void {
    let done = false;
    const finish = (failed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      report({ ...event, actionFailed: failed });
    };
    const timer = setTimeout(() => finish(true), ACTION_TIMEOUT_MS);
    timer.unref();
    Promise.resolve()
      .then(run)
      .then(
        () => finish(false),
        () => finish(true),
      );
  }

  function tripTokenShared(options: ResolvedTokenShared, use: TokenUse, address: string, auth: AuthContext<JWTPayload>, now: number): JwtGuardError | undefined {
    use.trippedAt = now;
    const { payload } = auth;
    const iss = typeof payload.iss === 'string' ? payload.iss : undefined;
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    const event = {
      type: 'token_shared',
      clientAddress: address,
      distinctAddresses: use.addresses.length,
      distinctUserAgents: options.maxUserAgents === undefined ? undefined : use.agents.length,
      windowSeconds: options.windowMs / 1000,
      iss,
      sub,
      jti,
      action: options.action,
      actionFailed: false,
    } satisfies DetectionEvent;
    switch (options.action) {
      case 'none':
        report(event);
        return undefined;
      case 'block_client':
        report(event);
        return block(address, options.blockMs, 'token_shared');
      case 'revoke_token': {
        use.revoked = true;
        const exp = payload.exp;
        if (jti === undefined || typeof exp !== 'number' || revocation === undefined) report({ ...event, actionFailed: true });
        else revokeThen(() => revocation.revoke(jti, exp), event);
        return revokedError();
      }
      case 'revoke_subject': {
        use.revoked = true;
        if (sub === undefined || revocation === undefined) report({ ...event, actionFailed: true });
        // Every token of the subject issued up to now, this one included (iat is in whole seconds).
        else revokeThen(() => revocation.revokeSubject(sub, Math.floor(Date.now() / 1000) + 1), event);
        return revokedError();
      }
    }
  }

  function countTokenUse(options: ResolvedTokenShared, address: string, request: GuardRequest, auth: AuthContext<JWTPayload>): JwtGuardError | undefined {
    const now = Date.now();
    const { key, check } = fingerprint.ofToken(auth.token);
    let use = tokens.use(key);
    if (use === undefined || use.check !== check) {
      // A token not seen (or forgotten), or one whose key collides with another's: that one is forgotten.
      use = { check, addresses: [], addressSeenAt: [], agents: [], agentSeenAt: [], trippedAt: 0, revoked: false };
      tokens.set(key, use);
    }
    if (use.revoked) return revokedError();
    const since = now - options.windowMs;
    // At most maxAddresses + 1 are kept: one more than allowed is all it takes to trip.
    const newAddress = remember(use.addresses, use.addressSeenAt, address, now, since, options.maxAddresses + 1);
    let newAgent = false;
    if (options.maxUserAgents !== undefined) {
      const agent = request.headers['user-agent'];
      const agentKey = fingerprint.ofString(typeof agent === 'string' ? agent : '').key;
      newAgent = remember(use.agents, use.agentSeenAt, agentKey, now, since, options.maxUserAgents + 1);
    }
    const over = use.addresses.length > options.maxAddresses || (options.maxUserAgents !== undefined && use.agents.length > options.maxUserAgents);
    // Once per window, on the use that pushes a count over (not on every use after it).
    if (over && (newAddress || newAgent) && !(use.trippedAt !== 0 && use.trippedAt > since)) {
      return tripTokenShared(options, use, address, auth, now);
    }
    return undefined;
  }

  function countSignal(options: ResolvedForgeryProbe, address: string, code: ErrorCode): void {
    const now = Date.now();
    let count = probes.use(address);
    if (count === undefined || now - count.windowStart > options.windowMs) {
      count = { windowStart: now, signals: 0, reasons: {}, tripped: false };
      probes.set(address, count);
    }
    count.signals += 1;
    count.reasons[code] = (count.reasons[code] ?? 0) + 1;
    if (count.tripped || count.signals < options.threshold) return;
    count.tripped = true;
    if (options.action === 'block_client') block(address, options.blockMs, 'forgery_probe');
    report({
      type: 'forgery_probe',
      clientAddress: address,
      signals: count.signals,
      windowSeconds: options.windowMs / 1000,
      reasons: { ...count.reasons },
      action: options.action,
      actionFailed: false,
    });
  }

  return {
    address(request) {
      let address: unknown;
      try {
        address = resolve(request);
      } catch {
        unknownBecause = 'it threw';
        return UNKNOWN_ADDRESS;
      }
      if (typeof address !== 'string' || address === '') {
        unknownBecause = `it gave ${address === '' ? 'an empty string' : typeof address}`;
        return UNKNOWN_ADDRESS;
      }
      return address.length > MAX_ADDRESS_LENGTH ? address.slice(0, MAX_ADDRESS_LENGTH) : address;
    },
    beforeVerification(address) {
      if (!blocks) return undefined;
      if (address === UNKNOWN_ADDRESS) {
        return new JwtGuardError('detection_unavailable', 'The request could not be checked; try again later.', {
          hint: explainRefusal('detection_unavailable', { detail: unknownBecause }),
        });
      }
      const entry = blocked.peek(address);
      if (entry === undefined) return undefined;
      const leftMs = entry.until - Date.now();
      if (leftMs > 0) return blockedError(leftMs / 1000, entry.by);
      blocked.delete(address);
      return undefined;
    },
    afterVerified(address, request, auth) {
      if (tokenShared === undefined || address === UNKNOWN_ADDRESS) return undefined;
      return countTokenUse(tokenShared, address, request, auth);
    },
    afterRefused(address, code) {
      if (forgeryProbe === undefined || address === UNKNOWN_ADDRESS || !FORGERY_SIGNALS.has(code)) return;
      countSignal(forgeryProbe, address, code);
    },
    sizes: () => ({ tokens: tokens.size, addresses: probes.size, blocked: blocked.size }),
  };
}

/**
 * Adds `value` (seen `now`) to the distinct values seen since `since`, dropping older ones and
 * keeping at most `max`; says whether it was new. The lists are a handful long.
 */
function remember<T>(values: T[], seenAt: number[], value: T, now: number, since: number, max: number): boolean {
  for (let index = values.length - 1; index >= 0; index--) {
    if ((seenAt[index] as number) < since) {
      values.splice(index, 1);
      seenAt.splice(index, 1);
    }
  }
  const at = values.indexOf(value);
  if (at !== -1) {
    seenAt[at] = now;
    return false;
  }
  values.push(value);
  seenAt.push(now);
  if (values.length > max) {
    values.shift();
    seenAt.shift();
  }
  return true;
}

function blockedError(retryAfterSeconds: number, by: DetectionEvent['type']): JwtGuardError {
  return new JwtGuardError('client_blocked', 'Too many suspicious requests from this client; try again later.', {
    retryAfter: retryAfterSeconds,
    hint: explainRefusal('client_blocked', { detail: `${by} tripped for this address; ${Math.ceil(retryAfterSeconds)} s left` }),
  });
}

function revokedError(): JwtGuardError {
  return new JwtGuardError('token_revoked', 'The access token has been revoked.', { hint: 'revoked by the token_shared detector: the token was used from more client addresses than detect.tokenShared allows.' });
}

