/**
 * Nest-specific behaviour of @jwt-guard/nestjs, on both HTTP platforms: how class and handler
 * decorators combine, @Public's optionalAuth, @Auth on anonymous requests, globalGuard: false.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { Auth, JwtGuard, JwtGuardModule, Public, RequireAnyScope, RequireAuthLevel, RequireClaim, RequireScope, type AuthContext } from '@jwt-guard/nestjs';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { startNestApp, type NestPlatform } from './app.js';
import type { TestApp } from '../adapters/apps.js';

const who = (auth: AuthContext | undefined) => (auth === undefined ? { anonymous: true } : { sub: auth.payload.sub, scopes: [...auth.scopes].sort() });

@Controller('scoped')
@RequireScope('a:read')
class ScopedController {
  @Get('plain') plain(@Auth() auth: AuthContext) { return who(auth); }
  @Get('both') @RequireScope('b:write') both(@Auth() auth: AuthContext) { return who(auth); }
  @Get('stacked') @RequireScope('b:write') @RequireScope('c:admin') stacked(@Auth() auth: AuthContext) { return who(auth); }
  @Get('any') @RequireAnyScope('x', 'y') any(@Auth() auth: AuthContext) { return who(auth); }
  @Get('claim') @RequireClaim('role', 'admin') claim(@Auth() auth: AuthContext) { return who(auth); }
  @Get('open') @Public() open(@Auth({ optional: true }) auth: AuthContext | undefined) { return who(auth); }
  @Get('feed') @Public({ optionalAuth: true }) feed(@Auth({ optional: true }) auth: AuthContext | undefined) { return who(auth); }
  @Get('strict') @Public() strict(@Auth() auth: AuthContext) { return who(auth); }
}

@Controller('open')
@Public()
class PublicController {
  @Get('plain') plain(@Auth({ optional: true }) auth: AuthContext | undefined) { return who(auth); }
  @Get('guarded') @RequireScope('a:read') guarded(@Auth() auth: AuthContext) { return who(auth); }
  @Get('feed') @Public({ optionalAuth: true }) feed(@Auth({ optional: true }) auth: AuthContext | undefined) { return who(auth); }
}

@Controller('optional')
@Public({ optionalAuth: true })
class OptionalController {
  @Get('feed') feed(@Auth({ optional: true }) auth: AuthContext | undefined) { return who(auth); }
  @Get('ignore') @Public() ignore(@Auth({ optional: true }) auth: AuthContext | undefined) { return who(auth); }
}

type Token = 'none' | 'invalid' | 'expired' | string[] | { role: string; scopes: string[] };
interface Row { path: string; token: Token; status: number; body?: unknown; code?: string }

const ANON = { anonymous: true };
const user = (...scopes: string[]) => ({ sub: 'user-1', scopes: scopes.sort() });

/** The precedence rules, as the README states them: one row per rule and the refusal next to it. */
const PRECEDENCE: Row[] = [
  // Class scopes apply to every handler; the handler's are added, never replacing them.
  { path: '/scoped/plain', token: ['a:read'], status: 200, body: user('a:read') },
  { path: '/scoped/plain', token: ['b:write'], status: 403, code: 'insufficient_scope' },
  { path: '/scoped/plain', token: 'none', status: 401, code: 'token_missing' },
  { path: '/scoped/both', token: ['a:read', 'b:write'], status: 200, body: user('a:read', 'b:write') },
  { path: '/scoped/both', token: ['b:write'], status: 403, code: 'insufficient_scope' },
  { path: '/scoped/both', token: ['a:read'], status: 403, code: 'insufficient_scope' },
  { path: '/scoped/stacked', token: ['a:read', 'b:write', 'c:admin'], status: 200, body: user('a:read', 'b:write', 'c:admin') },
  { path: '/scoped/stacked', token: ['a:read', 'b:write'], status: 403, code: 'insufficient_scope' },
  { path: '/scoped/any', token: ['a:read', 'y'], status: 200, body: user('a:read', 'y') },
  { path: '/scoped/any', token: ['y'], status: 403, code: 'insufficient_scope' },
  { path: '/scoped/claim', token: { role: 'admin', scopes: ['a:read'] }, status: 200, body: user('a:read') },
  { path: '/scoped/claim', token: { role: 'admin', scopes: [] }, status: 403, code: 'insufficient_scope' },
  { path: '/scoped/claim', token: { role: 'user', scopes: ['a:read'] }, status: 403, code: 'claim_mismatch' },
  // The class's requirements are checked first (outer before inner): both fail, the class's answers.
  { path: '/scoped/claim', token: { role: 'user', scopes: [] }, status: 403, code: 'insufficient_scope' },
  // A handler's @Public drops the class's requirements; a token, valid or not, is not read.
  { path: '/scoped/open', token: 'none', status: 200, body: ANON },
  { path: '/scoped/open', token: ['a:read'], status: 200, body: ANON },
  { path: '/scoped/open', token: 'invalid', status: 200, body: ANON },
  // @Public({ optionalAuth }): valid → attached, invalid → 401, none → anonymous.
  { path: '/scoped/feed', token: ['b:write'], status: 200, body: user('b:write') },
  { path: '/scoped/feed', token: 'expired', status: 401, code: 'token_expired' },
  { path: '/scoped/feed', token: 'invalid', status: 401, code: 'token_malformed' },
  { path: '/scoped/feed', token: 'none', status: 200, body: ANON },
  // @Auth() (not optional) on an anonymous request is a 401, not `undefined` for a handler typed as defined.
  { path: '/scoped/strict', token: 'none', status: 401, code: 'token_missing' },
  // A public class: its handlers are open, unless a handler adds its own requirement.
  { path: '/open/plain', token: 'none', status: 200, body: ANON },
  { path: '/open/guarded', token: 'none', status: 401, code: 'token_missing' },
  { path: '/open/guarded', token: ['z'], status: 403, code: 'insufficient_scope' },
  { path: '/open/guarded', token: ['a:read'], status: 200, body: user('a:read') },
  // Handler @Public over class @Public, in both directions.
  { path: '/open/feed', token: ['z'], status: 200, body: user('z') },
  { path: '/optional/feed', token: ['z'], status: 200, body: user('z') },
  { path: '/optional/feed', token: 'expired', status: 401, code: 'token_expired' },
  { path: '/optional/ignore', token: ['z'], status: 200, body: ANON },
  { path: '/optional/ignore', token: 'expired', status: 200, body: ANON },
];

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'ES256' });
});
afterAll(() => issuer.close());

async function tokenFor(token: Token): Promise<string | undefined> {
  if (token === 'none') return undefined;
  if (token === 'invalid') return 'not-a-jwt';
  if (token === 'expired') return issuer.expiredToken();
  if (Array.isArray(token)) return issuer.tokenWithScopes(...token);
  return issuer.sign({ role: token.role, scope: token.scopes.join(' ') });
}

describe.each<NestPlatform>(['express', 'fastify'])('nest-%s', (platform) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startNestApp(platform, { guard: issuer.verifierOptions(), controllers: [ScopedController, PublicController, OptionalController] });
  });
  afterAll(() => app?.close());

  it.each(PRECEDENCE.map((row) => [`${row.path} with ${JSON.stringify(row.token)}`, row] as const))('%s', async (_name, row) => {
    const token = await tokenFor(row.token);
    const pending = request(app.server).get(row.path);
    const response = await (token === undefined ? pending : pending.set('authorization', `Bearer ${token}`));
    expect(response.status).toBe(row.status);
    if (row.body !== undefined) expect(response.body).toEqual(row.body);
    if (row.code !== undefined) {
      expect(response.body.error).toBe(row.code);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      if (row.status === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      if (row.status === 403) expect(response.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    }
  });

  it('a decorator with an invalid scope fails when the class is defined, with the core message', () => {
    expect(() => RequireScope('orders:read orders:write')).toThrow(/Pass each scope as its own argument: requireScope\('orders:read', 'orders:write'\)/);
    expect(() => RequireAnyScope()).toThrow(/needs at least one scope/);
  });

  it('@RequireAuthLevel on a class and a handler: both apply, timed by the guard clock, with the step-up challenge', async () => {
    @Controller('bank')
    @RequireAuthLevel({ acr: ['phr', 'phrh'] })
    class BankController {
      @Get('balance') balance(@Auth() auth: AuthContext) { return who(auth); }
      @Get('transfer') @RequireAuthLevel({ maxAge: '5m' }) transfer(@Auth() auth: AuthContext) { return who(auth); }
      @Get('rates') @Public() rates() { return { open: true }; }
    }
    // The guard's clock is years from the machine's: a maxAge timed by the system clock would refuse every token.
    const now = Date.UTC(2030, 0, 1) / 1000;
    const local = await startNestApp(platform, { guard: { ...issuer.verifierOptions(), currentDate: new Date(now * 1000) }, controllers: [BankController] });
    const tokenWith = (claims: Record<string, unknown>) => issuer.sign({ iat: now - 10, exp: now + 600, ...claims });
    const get = async (path: string, claims?: Record<string, unknown>) => {
      const pending = request(local.server).get(path);
      return claims === undefined ? pending : pending.set('authorization', `Bearer ${await tokenWith(claims)}`);
    };
    const challenge = (params: string) =>
      `Bearer error="insufficient_user_authentication", error_description="The request requires a stronger or more recent authentication of the user.", ${params}`;
    try {
      expect((await get('/bank/balance', { acr: 'phr' })).body).toEqual(user());
      const weak = await get('/bank/balance', { acr: 'pwd' });
      expect([weak.status, weak.body.error, weak.headers['www-authenticate']]).toEqual([401, 'insufficient_user_authentication', challenge('acr_values="phr phrh"')]);
      expect((await get('/bank/transfer', { acr: 'phrh', auth_time: now - 60 })).body).toEqual(user());
      // The class's requirement is checked first: a weak acr is refused with its challenge, whatever auth_time says.
      const both = await get('/bank/transfer', { acr: 'pwd', auth_time: now - 60 });
      expect([both.status, both.headers['www-authenticate']]).toEqual([401, challenge('acr_values="phr phrh"')]);
      const old = await get('/bank/transfer', { acr: 'phr', auth_time: now - 301 });
      expect([old.status, old.body.error, old.headers['www-authenticate']]).toEqual([401, 'insufficient_user_authentication', challenge('max_age="300"')]);
      const noAuthTime = await get('/bank/transfer', { acr: 'phr' });
      expect(noAuthTime.headers['www-authenticate']).toBe(challenge('max_age="300"'));
      const anonymous = await get('/bank/transfer');
      expect([anonymous.status, anonymous.body.error, anonymous.headers['www-authenticate']]).toEqual([401, 'token_missing', 'Bearer']);
      // A handler's @Public drops the class's step-up, as it drops its scopes.
      expect((await get('/bank/rates')).body).toEqual({ open: true });
    } finally {
      await local.close();
    }
  });

  it('@RequireAuthLevel with a misconfiguration fails when the class is defined, with the core message', () => {
    expect(() => RequireAuthLevel({})).toThrow(/requireAuthLevel\(\) needs acr .*, maxAge .*, or both/);
    expect(() => RequireAuthLevel({ acr: [] })).toThrow(/acr is an empty list/);
    expect(() => RequireAuthLevel({ maxAge: -5 })).toThrow(/maxAge must be a non-negative number of seconds/);
  });

  it('globalGuard: false guards only what @UseGuards(JwtGuard) covers', async () => {
    @Controller()
    class MixedController {
      @Get('unguarded') unguarded() { return { open: true }; }
      @Get('guarded') @UseGuards(JwtGuard) @RequireScope('a:read') guarded(@Auth() auth: AuthContext) { return who(auth); }
    }
    @Controller('whole')
    @UseGuards(JwtGuard)
    class GuardedController {
      @Get() me(@Auth() auth: AuthContext) { return who(auth); }
    }
    const local = await startNestApp(platform, { guard: { ...issuer.verifierOptions(), globalGuard: false }, controllers: [MixedController, GuardedController] });
    try {
      const token = await issuer.tokenWithScopes('a:read');
      expect((await request(local.server).get('/unguarded')).status).toBe(200);
      expect((await request(local.server).get('/unguarded').set('authorization', 'Bearer not-a-jwt')).status).toBe(200);
      const missing = await request(local.server).get('/guarded');
      expect([missing.status, missing.body.error, missing.headers['www-authenticate']]).toEqual([401, 'token_missing', 'Bearer']);
      expect((await request(local.server).get('/guarded').set('authorization', `Bearer ${await issuer.tokenWithScopes('z')}`)).status).toBe(403);
      expect((await request(local.server).get('/guarded').set('authorization', `Bearer ${token}`)).body).toEqual(user('a:read'));
      expect((await request(local.server).get('/whole')).status).toBe(401);
      expect((await request(local.server).get('/whole').set('authorization', `Bearer ${token}`)).body).toEqual(user('a:read'));
    } finally {
      await local.close();
    }
  });

  it('the global guard and @UseGuards(JwtGuard) on one route: the token is verified and reported once', async () => {
    @Controller()
    class TwiceController {
      @Get('twice') @UseGuards(JwtGuard) @RequireScope('a:read') twice(@Auth() auth: AuthContext) { return who(auth); }
    }
    let verified = 0;
    const local = await startNestApp(platform, { guard: { ...issuer.verifierOptions(), onVerified: () => void (verified += 1) }, controllers: [TwiceController] });
    try {
      expect((await request(local.server).get('/twice').set('authorization', `Bearer ${await issuer.tokenWithScopes('a:read')}`)).body).toEqual(user('a:read'));
      expect(verified).toBe(1);
      expect((await request(local.server).get('/twice').set('authorization', `Bearer ${await issuer.tokenWithScopes('z')}`)).status).toBe(403);
    } finally {
      await local.close();
    }
  });

  it('@Auth() on a handler no guard covers is a wiring error (500), never undefined', async () => {
    @Controller()
    class UnguardedController {
      @Get('me') me(@Auth() auth: AuthContext) { return who(auth); }
    }
    @Module({ imports: [JwtGuardModule.forRoot({ ...issuer.verifierOptions(), globalGuard: false })], controllers: [UnguardedController] })
    class UnguardedModule {}
    const local = await startNestApp(platform, { imports: [UnguardedModule], controllers: [] });
    try {
      const response = await request(local.server).get('/me').set('authorization', `Bearer ${await issuer.sign()}`);
      expect(response.status).toBe(500);
      expect(response.body.error).toBe('config_invalid');
    } finally {
      await local.close();
    }
  });
});
