/**
 * GraphQL (Apollo on the Express platform): resolvers guarded by the same guard and decorators, the
 * request taken from the GraphQL context. A refused operation answers HTTP 200 (Nest's Apollo
 * driver keeps GraphQL answers 200) with `data: null` and the refusal's code in errors[0].extensions.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { Auth, JwtGuardModule, Public, RequireAnyScope, RequireScope, type AuthContext } from '@jwt-guard/nestjs';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { startNestApp } from './app.js';
import type { TestApp } from '../adapters/apps.js';

const typeDefs = /* GraphQL */ `
  type Order { id: ID!, owner: String! }
  type Query { orders: [Order!]!, reports: String!, me: String!, health: String! }
`;

@Resolver('Query')
@RequireScope('orders:read')
class OrdersResolver {
  @Query('orders') orders(@Auth() auth: AuthContext) { return [{ id: '1', owner: auth.payload.sub }]; }
  @Query('reports') @RequireAnyScope('reports:read', 'admin') reports(@Auth() auth: AuthContext) { return `reports for ${auth.payload.sub}`; }
  @Query('health') @Public() health() { return 'ok'; }
}

@Resolver('Query')
class MeResolver {
  @Query('me') me(@Auth() auth: AuthContext) { return auth.payload.sub; }
}

let issuer: TestIssuer;
let app: TestApp;
let verified = 0;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'RS256' });
  app = await startNestApp('express', {
    imports: [JwtGuardModule.forRoot({ ...issuer.verifierOptions(), onVerified: () => void (verified += 1) }), GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs })],
    controllers: [],
    providers: [OrdersResolver, MeResolver],
  });
});
afterAll(async () => {
  await app?.close();
  await issuer?.close();
});

async function query(text: string, token?: string) {
  const pending = request(app.server).post('/graphql').send({ query: text });
  const response = await (token === undefined ? pending : pending.set('authorization', `Bearer ${token}`));
  return { status: response.status, body: response.body as { data: unknown; errors?: { message: string; extensions: { code: string; status: number } }[] } };
}

describe('GraphQL resolvers behind the JwtGuard (Apollo, Express platform)', () => {
  it('a valid token with the scope gets the data', async () => {
    const { status, body } = await query('{ orders { id owner } }', await issuer.tokenWithScopes('orders:read'));
    expect(status).toBe(200);
    expect(body).toEqual({ data: { orders: [{ id: '1', owner: 'user-1' }] } });
  });

  it('no token: errors[0].extensions.code is token_missing', async () => {
    const { status, body } = await query('{ orders { id } }');
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'token_missing', status: 401 });
    expect(body.errors?.[0]?.message).toBe('No access token was provided.');
  });

  it('insufficient scope: insufficient_scope (class and resolver requirements both apply)', async () => {
    expect((await query('{ orders { id } }', await issuer.tokenWithScopes('profile'))).body.errors?.[0]?.extensions).toMatchObject({ code: 'insufficient_scope', status: 403 });
    expect((await query('{ reports }', await issuer.tokenWithScopes('orders:read'))).body.errors?.[0]?.extensions.code).toBe('insufficient_scope');
    expect((await query('{ reports }', await issuer.tokenWithScopes('orders:read', 'admin'))).body).toEqual({ data: { reports: 'reports for user-1' } });
  });

  it('one operation, several guarded fields: each field checks its own requirements, the token is verified once', async () => {
    const before = verified;
    const { body } = await query('{ me orders { id } reports }', await issuer.tokenWithScopes('orders:read'));
    expect(verified - before).toBe(1);
    expect(body.data).toBeNull(); // reports is non-null and refused: the whole data goes
    expect(body.errors?.map((error) => [error.extensions.code, (error as { path?: string[] }).path])).toEqual([['insufficient_scope', ['reports']]]);
    const mixed = await query('{ me orders { id } }', await issuer.tokenWithScopes('orders:read'));
    expect(mixed.body).toEqual({ data: { me: 'user-1', orders: [{ id: '1' }] } });
  });

  it('an invalid token: its code; a @Public resolver needs none', async () => {
    expect((await query('{ me }', await issuer.expiredToken())).body.errors?.[0]?.extensions.code).toBe('token_expired');
    expect((await query('{ me }', await issuer.sign())).body).toEqual({ data: { me: 'user-1' } });
    expect((await query('{ health }')).body).toEqual({ data: { health: 'ok' } });
  });
});
