import { callHook } from '../call-hook.js';
import { JwtGuardError, type ErrorCode } from '../errors.js';
import { explainRefusal } from '../explanations.js';
import type { GuardRequest } from '../http/request.js';
import type { AuthContext, JWTPayload } from '../options.js';
import type { RevocationStore } from '../revocation/store.js';
import { BoundedMap } from './bounded-map.js';
import { coarseNow } from './coarse-clock.js';
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

/**
 * The guard reads a request's address once, and only when a detector needs it: before verification
 * when one can block (`blocks`), else on a verified token (tokenShared) or a forgery signal
 * (forgeryProbe). `address` undefined below means "not read yet": the detector reads it then.
 */
export interface Detectors {
  /** Whether a detector can block clients: the guard then reads the address and calls `beforeVerification` first. */
  readonly blocks: boolean;
  /** The request's client address. */
  address(request: GuardRequest): ClientAddress;
  /** Before verification: the refusal of a blocked client (or of one whose address is unknown, when blocking is on). */
  beforeVerification(address: ClientAddress): JwtGuardError | undefined;
  /** After a token verified: the refusal this use trips (or a token tripped before), if any. */
  afterVerified(address: ClientAddress | undefined, request: GuardRequest, auth: AuthContext<JWTPayload>): JwtGuardError | undefined;
  /** After a refusal: counts the forgery signals. */
  afterRefused(address: ClientAddress | undefined, request: GuardRequest, code: ErrorCode): void;
  /** How many tokens, probing addresses and blocked addresses are remembered (each at most maxEntries). */
  sizes(): { tokens: number; addresses: number; blocked: number };
}

interface TokenUse {
  /** The token's first hash, its key in `tokens`. */
  key: number;
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
  const custom = detect.clientAddress;
  const blocks = tokenShared?.action === 'block_client' || forgeryProbe?.action === 'block_client';
  const tokens = new BoundedMap<number, TokenUse>(maxEntries);
  const fingerprint = new Fingerprint();
  /**
   * The use of each verified context still alive: a token from the verifier's cache comes back as the
   * same frozen context, so its use is found without hashing the token (hashing reads 16 characters
   * of a sliced string, which costs more than the rest of the detector together).
   */
  const useOfContext = new WeakMap<AuthContext<JWTPayload>, TokenUse>();
  const probes = new BoundedMap<string, ProbeCount>(maxEntries);
  /** Blocked addresses: until when (ms, coarseNow()) and by which detector. */
  const blocked = new BoundedMap<string, { until: number; by: DetectionEvent['type'] }>(maxEntries);

  /** Why the last unknown address was unknown, for the hint. */
  let unknownBecause = 'it gave no address';
  const report = (event: DetectionEvent): void => {
    if (onDetection !== undefined) callHook(onDetection, event);
  };

  function block(address: string, forMs: number, by: DetectionEvent['type']): JwtGuardError {
    blocked.set(address, { until: coarseNow() + forMs, by });
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
    const now = coarseNow();
    let use = useOfContext.get(auth);
    // Marked as just used, so that a token in use is not forgotten while its context lives.
    if (use !== undefined) tokens.touch(use.key, use);
    else use = useOfToken(auth);
    if (use.revoked) return revokedError();
    const since = now - options.windowMs;
    const { maxAddresses, maxUserAgents } = options;
    const newAddress = see(use.addresses, use.addressSeenAt, address, now, since);
    let newAgent = false;
    if (maxUserAgents !== undefined) {
      const agent = request.headers['user-agent'];
      newAgent = see(use.agents, use.agentSeenAt, fingerprint.ofString(typeof agent === 'string' ? agent : '').key, now, since);
    }
    // A use seen within the window from the same address (and agent) changes no count: the common case.
    if (!newAddress && !newAgent) return undefined;
    // At most one more than allowed is kept: that is all it takes to trip.
    prune(use.addresses, use.addressSeenAt, since, maxAddresses + 1);
    if (maxUserAgents !== undefined) prune(use.agents, use.agentSeenAt, since, maxUserAgents + 1);
    const over = use.addresses.length > maxAddresses || (maxUserAgents !== undefined && use.agents.length > maxUserAgents);
    // Once per window, on the use that pushes a count over (not on every use after it).
    if (over && !(use.trippedAt !== 0 && use.trippedAt > since)) {
      return tripTokenShared(options, use, address, auth, now);
    }
    return undefined;
  }

  function useOfToken(auth: AuthContext<JWTPayload>): TokenUse {
    const { key, check } = fingerprint.ofToken(auth.token);
    let use = tokens.use(key);
    if (use === undefined || use.check !== check) {
      // A token not seen (or forgotten), or one whose key collides with another's: that one is forgotten.
      use = { key, check, addresses: [], addressSeenAt: [], agents: [], agentSeenAt: [], trippedAt: 0, revoked: false };
      tokens.set(key, use);
    }
    useOfContext.set(auth, use);
    return use;
  }

  function countSignal(options: ResolvedForgeryProbe, address: string, code: ErrorCode): void {
    const now = coarseNow();
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

  function addressOf(request: GuardRequest): ClientAddress {
    let address: unknown;
    try {
      // The adapter's own resolver is called directly: one call fewer per request.
      address = custom === undefined ? request.clientAddress?.() : custom(request);
    } catch {
      unknownBecause = 'it threw';
      return UNKNOWN_ADDRESS;
    }
    if (typeof address !== 'string' || address === '') {
      unknownBecause = `it gave ${address === '' ? 'an empty string' : typeof address}`;
      return UNKNOWN_ADDRESS;
    }
    return address.length > MAX_ADDRESS_LENGTH ? address.slice(0, MAX_ADDRESS_LENGTH) : address;
  }

  return {
    blocks,
    address: addressOf,
    beforeVerification(address) {
      if (!blocks) return undefined;
      if (address === UNKNOWN_ADDRESS) {
        return new JwtGuardError('detection_unavailable', 'The request could not be checked; try again later.', {
          hint: explainRefusal('detection_unavailable', { detail: unknownBecause }),
        });
      }
      // Nearly always nobody is blocked: then the address is not even hashed.
      const entry = blocked.size === 0 ? undefined : blocked.peek(address);
      if (entry === undefined) return undefined;
      const leftMs = entry.until - coarseNow();
      if (leftMs > 0) return blockedError(leftMs / 1000, entry.by);
      blocked.delete(address);
      return undefined;
    },
    afterVerified(address, request, auth) {
      if (tokenShared === undefined) return undefined;
      const known = address ?? addressOf(request);
      return known === UNKNOWN_ADDRESS ? undefined : countTokenUse(tokenShared, known, request, auth);
    },
    afterRefused(address, request, code) {
      if (forgeryProbe === undefined || !FORGERY_SIGNALS.has(code)) return;
      const known = address ?? addressOf(request);
      if (known !== UNKNOWN_ADDRESS) countSignal(forgeryProbe, known, code);
    },
    sizes: () => ({ tokens: tokens.size, addresses: probes.size, blocked: blocked.size }),
  };
}

/**
 * Marks `value` seen `now`; says whether it entered the window (`since` on): new, or last seen
 * before the window began. Only then can a count have grown, so only then are the lists pruned.
 */
function see<T>(values: T[], seenAt: number[], value: T, now: number, since: number): boolean {
  for (let index = 0; index < values.length; index++) {
    if (values[index] === value) {
      const inWindow = (seenAt[index] as number) >= since;
      seenAt[index] = now;
      return !inWindow;
    }
  }
  values.push(value);
  seenAt.push(now);
  return true;
}

/** Drops the values last seen before `since`, then the first ones beyond `max`. The lists are a handful long. */
function prune<T>(values: T[], seenAt: number[], since: number, max: number): void {
  for (let index = values.length - 1; index >= 0; index--) {
    if ((seenAt[index] as number) < since) {
      values.splice(index, 1);
      seenAt.splice(index, 1);
    }
  }
  while (values.length > max) {
    values.shift();
    seenAt.shift();
  }
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

