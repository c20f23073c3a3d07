/**
 * The detectors through createGuard, with requests that name their client address: token_shared
 * (one token from too many addresses or user agents) and forgery_probe (a burst of forgery
 * signals from one address), each answer (none, revoke, block), and the seams an app plugs in
 * (clientAddress, onDetection, the revocation store) misbehaving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createGuard,
  errorResponse,
  memoryRevocationStore,
  type DetectionEvent,
  type GuardOptions,
  type GuardOutcome,
  type GuardRequest,
  type RevocationStore,
} from '@jwt-guard/core';
import { CLAIM_OPTIONS, configError, SECRET_32, sign, validClaims } from './helpers.js';

const guard = (options: Partial<GuardOptions>) => createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, ...options });

function from(address: unknown, token: string, headers: Record<string, string> = {}): GuardRequest {
  return { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${token}`, ...headers }, clientAddress: () => address as string };
}

async function outcomeOf(result: GuardOutcome | Promise<GuardOutcome>): Promise<string> {
  const outcome = await result;
  return outcome.type === 'rejected' ? outcome.error.code : outcome.type;
}

const token = (extra = {}) => sign(SECRET_32, 'HS256', validClaims({ jti: `jti-${Math.random()}`, ...extra }));
const forged = async () => `${(await token()).slice(0, -4)}AAAA`;

describe('detect: start-up checks', () => {
  it.each([
    [{ detect: {} }, /turns on no detector/],
    [{ detect: { tokenShared: { maxAddresses: 0 } } }, /maxAddresses must be a whole number/],
    [{ detect: { tokenShared: { respond: 'revoke' } } }, /respond must be 'none', 'revoke-token'/],
    [{ detect: { tokenShared: { respond: 'revoke-token' } } }, /writes to the revocation store: give the guard revocation/],
    [{ detect: { tokenShared: { windw: 10 } } }, /has no option "windw"/],
    [{ detect: { forgeryProbe: { respond: 'revoke-token' } } }, /forgeryProbe.respond must be 'none' or 'block-client'/],
    [{ detect: { forgeryProbe: { window: 0 } } }, /window must be longer than 0/],
    [{ detect: { forgeryProbe: {}, clientAddress: 'x-real-ip' } }, /clientAddress must be a function/],
    [{ detect: { forgeryProbe: {} }, onDetection: 'log' }, /onDetection must be a function/],
  ])('refuses %j with a message that says what to change', (options, message) => {
    expect(configError(() => guard(options as Partial<GuardOptions>)).message).toMatch(message);
  });
});

describe('detect.tokenShared', () => {
  it('reports a token used from more than maxAddresses addresses, once per window, and lets it through with respond none', async () => {
    const events: DetectionEvent[] = [];
    const g = guard({ detect: { tokenShared: { maxAddresses: 2 } }, onDetection: (event) => events.push(event) });
    const t = await token({ sub: 'alice' });
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.1']) expect(await outcomeOf(g.authenticate(from(address, t)))).toBe('authenticated');
    expect(events).toEqual([]);
    expect(await outcomeOf(g.authenticate(from('10.0.0.3', t)))).toBe('authenticated');
    expect(await outcomeOf(g.authenticate(from('10.0.0.4', t)))).toBe('authenticated');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'token_shared', clientAddress: '10.0.0.3', distinctAddresses: 3, windowSeconds: 300, sub: 'alice', action: 'none', actionFailed: false });
    expect(JSON.stringify(events)).not.toContain(t);
  });

  it.each([
    ['from the verifier cache (the same verified context each time)', {}],
    ['without the cache (a new context each time)', { tokenCache: false as const }],
  ])('counts one token as one, served %s', async (_, options) => {
    const events: DetectionEvent[] = [];
    const g = guard({ ...options, detect: { tokenShared: { maxAddresses: 2 } }, onDetection: (event) => events.push(event) });
    const t = await token();
    // Two rounds over the same two addresses first: the cache admits a token on its second use.
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']) expect(await outcomeOf(g.authenticate(from(address, t)))).toBe('authenticated');
    expect(events).toEqual([]);
    await outcomeOf(g.authenticate(from('10.0.0.3', t)));
    expect(events).toMatchObject([{ type: 'token_shared', clientAddress: '10.0.0.3', distinctAddresses: 3 }]);
  });

  it('forgets addresses older than the window', async () => {
    const events: DetectionEvent[] = [];
    const g = guard({ detect: { tokenShared: { maxAddresses: 1, window: 0.2 } }, onDetection: (event) => events.push(event) });
    const t = await token();
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
    await sleep(300);
    expect(await outcomeOf(g.authenticate(from('10.0.0.2', t)))).toBe('authenticated');
    expect(events).toEqual([]);
    expect(await outcomeOf(g.authenticate(from('10.0.0.3', t)))).toBe('authenticated');
    expect(events.map((e) => e.type)).toEqual(['token_shared']);
  });

  it('counts an address seen before the window began as new when it comes back', async () => {
    const events: DetectionEvent[] = [];
    const g = guard({ detect: { tokenShared: { maxAddresses: 1, window: 0.2 } }, onDetection: (event) => events.push(event) });
    const t = await token();
    for (const address of ['10.0.0.1', '10.0.0.2']) expect(await outcomeOf(g.authenticate(from(address, t)))).toBe('authenticated');
    expect(events).toHaveLength(1);
    await sleep(300);
    // Both addresses are remembered from the last window; both come back in a new one: two within it.
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
    expect(events).toHaveLength(1);
    expect(await outcomeOf(g.authenticate(from('10.0.0.2', t)))).toBe('authenticated');
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'token_shared', clientAddress: '10.0.0.2', distinctAddresses: 2 });
  });

  it('counts user agents with maxUserAgents', async () => {
    const events: DetectionEvent[] = [];
    const g = guard({ detect: { tokenShared: { maxAddresses: 10, maxUserAgents: 1 } }, onDetection: (event) => events.push(event) });
    const t = await token();
    await g.authenticate(from('10.0.0.1', t, { 'user-agent': 'app/1.0' }));
    await g.authenticate(from('10.0.0.1', t, { 'user-agent': 'app/1.0' }));
    expect(events).toEqual([]);
    await g.authenticate(from('10.0.0.1', t, { 'user-agent': 'curl/8.5' }));
    expect(events).toMatchObject([{ type: 'token_shared', distinctAddresses: 1, distinctUserAgents: 2 }]);
  });

  it("respond 'revoke-token': refuses the tripping use, revokes the jti in the store, and this instance refuses the token from then on", async () => {
    const events: DetectionEvent[] = [];
    const store = memoryRevocationStore();
    const g = guard({ revocation: { store }, detect: { tokenShared: { maxAddresses: 2, respond: 'revoke-token' } }, onDetection: (event) => events.push(event) });
    const t = await token({ jti: 'stolen-1' });
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
    expect(await outcomeOf(g.authenticate(from('10.0.0.2', t)))).toBe('authenticated');
    expect(await outcomeOf(g.authenticate(from('10.0.0.3', t)))).toBe('token_revoked');
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('token_revoked');
    await sleep(10);
    expect(store.check({ jti: 'stolen-1' })).toBe('revoked');
    expect(events).toMatchObject([{ type: 'token_shared', jti: 'stolen-1', action: 'revoke_token', actionFailed: false }]);
    // Another guard sharing the store (another instance) refuses it too: the revocation, not the detector, does that.
    const other = guard({ revocation: { store } });
    expect(await outcomeOf(other.authenticate(from('10.0.0.1', t)))).toBe('token_revoked');
    // Other tokens, and the addresses involved, are untouched.
    expect(await outcomeOf(g.authenticate(from('10.0.0.3', await token())))).toBe('authenticated');
  });

  it("respond 'revoke-subject': every token of the subject issued until now is refused", async () => {
    const store = memoryRevocationStore();
    const g = guard({ revocation: { store }, detect: { tokenShared: { maxAddresses: 1, respond: 'revoke-subject' } } });
    const t = await token({ sub: 'mallory' });
    const sibling = await token({ sub: 'mallory' });
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
    expect(await outcomeOf(g.authenticate(from('10.0.0.2', t)))).toBe('token_revoked');
    await sleep(10);
    expect(await outcomeOf(g.authenticate(from('10.0.0.9', sibling)))).toBe('token_revoked');
    expect(await outcomeOf(g.authenticate(from('10.0.0.9', await token({ sub: 'bob' }))))).toBe('authenticated');
  });

  it("respond 'revoke-token' without a jti, or with a store that fails or hangs: reported as failed, and the token is still refused here", async () => {
    const failing: RevocationStore = { ...memoryRevocationStore(), revoke: () => Promise.reject(new Error('store down')) };
    const throwing: RevocationStore = {
      ...memoryRevocationStore(),
      revoke: () => {
        throw new Error('store bug');
      },
    };
    const hanging: RevocationStore = { ...memoryRevocationStore(), revoke: () => new Promise<void>(() => undefined) };
    for (const [store, claims] of [
      [memoryRevocationStore(), { jti: undefined }],
      [failing, {}],
      [throwing, {}],
      [hanging, {}],
    ] as const) {
      const events: DetectionEvent[] = [];
      const g = guard({ revocation: { store }, detect: { tokenShared: { maxAddresses: 1, respond: 'revoke-token' } }, onDetection: (event) => events.push(event) });
      const t = await sign(SECRET_32, 'HS256', validClaims(claims));
      expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
      expect(await outcomeOf(g.authenticate(from('10.0.0.2', t)))).toBe('token_revoked');
      expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('token_revoked');
      await sleep(10);
      if (store !== hanging) expect(events).toMatchObject([{ type: 'token_shared', action: 'revoke_token', actionFailed: true }]);
    }
  });

  it("respond 'block-client': the address that pushed the count over gets 429 client_blocked with Retry-After, then is let in again", async () => {
    const g = guard({ detect: { tokenShared: { maxAddresses: 1, respond: 'block-client', blockFor: 1 } } });
    const t = await token();
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
    const tripped = await g.authenticate(from('10.0.0.2', t));
    expect(tripped.type === 'rejected' && tripped.error.code).toBe('client_blocked');
    const response = errorResponse((tripped as { error: Parameters<typeof errorResponse>[0] }).error);
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(response.body)).toMatchObject({ error: 'client_blocked' });
    expect(await outcomeOf(g.authenticate(from('10.0.0.2', await token())))).toBe('client_blocked');
    expect(await outcomeOf(g.authenticate(from('10.0.0.1', await token())))).toBe('authenticated');
    await sleep(1_100);
    expect(await outcomeOf(g.authenticate(from('10.0.0.2', await token())))).toBe('authenticated');
  });
});

describe('detect.forgeryProbe', () => {
  it('trips on threshold forgery signals from one address, with the reasons; honest refusals do not count', async () => {
    const events: DetectionEvent[] = [];
    const g = guard({ detect: { forgeryProbe: { threshold: 4, respond: 'block-client' } }, onDetection: (event) => events.push(event) });
    const expired = await sign(SECRET_32, 'HS256', validClaims({ exp: Math.floor(Date.now() / 1000) - 60 }));
    for (let index = 0; index < 10; index++) expect(await outcomeOf(g.authenticate(from('10.0.0.7', expired)))).toBe('token_expired');
    expect(events).toEqual([]);
    for (let index = 0; index < 3; index++) expect(await outcomeOf(g.authenticate(from('10.0.0.7', await forged())))).toBe('signature_invalid');
    expect(await outcomeOf(g.authenticate(from('10.0.0.7', 'not.a.jwt')))).toBe('token_malformed');
    expect(events).toMatchObject([{ type: 'forgery_probe', clientAddress: '10.0.0.7', signals: 4, windowSeconds: 60, reasons: { signature_invalid: 3, token_malformed: 1 }, action: 'block_client' }]);
    // Blocked before verification, even with a valid token; other addresses are not.
    expect(await outcomeOf(g.authenticate(from('10.0.0.7', await token())))).toBe('client_blocked');
    expect(await outcomeOf(g.authenticate(from('10.0.0.8', await token())))).toBe('authenticated');
    expect(events).toHaveLength(1);
  });

  it("respond 'none' (the default) reports and blocks nothing; the count restarts after the window", async () => {
    const events: DetectionEvent[] = [];
    const g = guard({ detect: { forgeryProbe: { threshold: 2, window: 0.2 } }, onDetection: (event) => events.push(event) });
    await g.authenticate(from('10.0.0.7', await forged()));
    await sleep(300);
    await g.authenticate(from('10.0.0.7', await forged()));
    expect(events).toEqual([]);
    await g.authenticate(from('10.0.0.7', await forged()));
    expect(events).toMatchObject([{ type: 'forgery_probe', action: 'none', signals: 2 }]);
    expect(await outcomeOf(g.authenticate(from('10.0.0.7', await token())))).toBe('authenticated');
  });
});

describe('detect: the seams an app plugs in', () => {
  it('an onDetection that throws, rejects or never settles changes nothing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const onDetection of [
        () => {
          throw new Error('hook bug');
        },
        () => Promise.reject(new Error('async hook bug')),
        () => new Promise(() => undefined),
      ]) {
        const g = guard({ detect: { tokenShared: { maxAddresses: 1, respond: 'block-client' } }, onDetection });
        const t = await token();
        expect(await outcomeOf(g.authenticate(from('10.0.0.1', t)))).toBe('authenticated');
        expect(await outcomeOf(g.authenticate(from('10.0.0.2', t)))).toBe('client_blocked');
      }
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it.each([
    ['throws', () => {
      throw new Error('resolver bug');
    }],
    ['returns a number', () => 42 as unknown as string],
    ['returns an empty string', () => ''],
    ['returns undefined', () => undefined],
  ])('a clientAddress that %s: 503 detection_unavailable when a detector can block, skipped when detectors only report', async (_name, clientAddress) => {
    const blocking = guard({ detect: { clientAddress, forgeryProbe: { respond: 'block-client' } } });
    expect(await outcomeOf(blocking.authenticate(from('10.0.0.1', await token())))).toBe('detection_unavailable');
    const reporting = guard({ detect: { clientAddress, forgeryProbe: {}, tokenShared: {} } });
    expect(await outcomeOf(reporting.authenticate(from('10.0.0.1', await token())))).toBe('authenticated');
  });

  it('a custom clientAddress is used instead of the adapter one, and a long one is cut (memory stays bounded)', async () => {
    const events: DetectionEvent[] = [];
    const g = guard({
      detect: { clientAddress: (request) => String(request.headers['x-client'] ?? ''), tokenShared: { maxAddresses: 1 } },
      onDetection: (event) => events.push(event),
    });
    const t = await token();
    await g.authenticate(from('10.0.0.1', t, { 'x-client': 'a'.repeat(1000) }));
    await g.authenticate(from('10.0.0.1', t, { 'x-client': 'b'.repeat(1000) }));
    expect(events).toMatchObject([{ type: 'token_shared', clientAddress: 'b'.repeat(64) }]);
  });

  it('no detectors: the guard does not ask for the client address at all', async () => {
    let asked = 0;
    const g = guard({});
    expect(g.readsClientAddress).toBe(false);
    const request = { ...from('10.0.0.1', await token()), clientAddress: () => String(++asked) };
    expect(await outcomeOf(g.authenticate(request))).toBe('authenticated');
    expect(asked).toBe(0);
  });

  it('the address is read once per request, and only when a detector needs it', async () => {
    let asked = 0;
    const counting = (request: GuardRequest): GuardRequest => ({ ...request, clientAddress: () => (asked++, '10.0.0.1') });
    const valid = await token();
    const bad = await forged();
    const reads = async (options: Partial<GuardOptions>, t: string): Promise<number> => {
      asked = 0;
      await outcomeOf(guard(options).authenticate(counting(from('unused', t))));
      return asked;
    };
    // A forgery probe that only reports needs the address for forgery signals, not for valid tokens.
    expect(await reads({ detect: { forgeryProbe: {} } }, valid)).toBe(0);
    expect(await reads({ detect: { forgeryProbe: {} } }, bad)).toBe(1);
    // tokenShared needs it for verified tokens only.
    expect(await reads({ detect: { tokenShared: {} } }, valid)).toBe(1);
    expect(await reads({ detect: { tokenShared: {} } }, bad)).toBe(0);
    // One that can block reads it before verification, once, whatever follows.
    expect(await reads({ detect: { tokenShared: {}, forgeryProbe: { respond: 'block-client' } } }, valid)).toBe(1);
    expect(await reads({ detect: { tokenShared: {}, forgeryProbe: { respond: 'block-client' } } }, bad)).toBe(1);
  });
});
