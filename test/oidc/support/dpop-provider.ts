/**
 * oidc-provider issuing DPoP-bound RFC 9068 JWT access tokens (RFC 9449) over real HTTP, for the
 * resource-server tests: client credentials, a resource indicator, `features.dPoP` with or without
 * its nonces. Proofs are made by the independent `dpop` package, never by jwt-guard's own code.
 *
 *   const provider = await startDpopProvider({ requireNonce: true });
 *   const { token, keyPair, proof } = await provider.dpopToken('ES256');
 *   // Authorization: DPoP <token>, DPoP: await proof('GET', url, token)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { errors, type Configuration, type ResourceServer } from 'oidc-provider';
import type { JWK } from '@jwt-guard/core';
import { clientCredentialsRequest } from './http.js';
import { startProviderServer } from './provider-server.js';

/** The proof algorithms the fixture makes keys for (`dpop`'s names: Ed25519 is the fully-specified RFC 9864 name). */
export const DPOP_ALGORITHMS = ['ES256', 'Ed25519'] as const;
export type DpopAlg = (typeof DPOP_ALGORITHMS)[number];
/** The resource (RFC 8707) the tokens are for: their `aud`. */
export const DPOP_API = 'https://dpop.api.test';
export const DPOP_SCOPE = 'orders:read';
/** The provider signs its access tokens with this (an ES256 key of its own, `kid` below). */
export const TOKEN_SIGNING_ALG = 'ES256';
export const TOKEN_SIGNING_KID = 'dpop-provider-es256';

/** The one client (client_secret_post), for tests that make their own token requests. */
export const DPOP_CLIENT = { id: 'svc-dpop', secret: randomBytes(32).toString('base64url') };

export interface DpopBoundToken {
  /** The access token (`token_type` DPoP), an RFC 9068 JWT whose `cnf.jkt` is the thumbprint of `keyPair.publicKey`. */
  token: string;
  /** The client's key pair (WebCrypto; the private key is not extractable). */
  keyPair: KeyPair;
  /**
   * A fresh proof made by `dpop` with `keyPair`: `htm` method, `htu` the url without query and
   * fragment (RFC 9449 §4.2; `dpop` itself takes htu as given), `ath` of accessToken, `nonce` if given.
   */
  proof(method: string, url: string, accessToken: string, nonce?: string): Promise<string>;
  /** The nonce the provider asked for (use_dpop_nonce) and the token request's proof carried; undefined when it asked for none. */
  providerNonce: string | undefined;
}

export interface DpopProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  /** True when the provider requires a nonce in every proof sent to it. */
  readonly requireNonce: boolean;
  /** Makes a key pair for `alg`, then gets a DPoP-bound access token with it over HTTP (answering a nonce challenge if one comes). */
  dpopToken(alg: DpopAlg): Promise<DpopBoundToken>;
  stop(): Promise<void>;
}

function configuration(requireNonce: boolean): Configuration {
  const signingKey: JWK = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    clients: [
      {
        client_id: DPOP_CLIENT.id,
        client_secret: DPOP_CLIENT.secret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        // The provider's only key is ES256; the default (RS256) would make the client invalid.
        id_token_signed_response_alg: TOKEN_SIGNING_ALG,
        // A token request without a DPoP proof is refused: every token of this client is bound.
        dpop_bound_access_tokens: true,
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: TOKEN_SIGNING_KID, alg: TOKEN_SIGNING_ALG, use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [DPOP_SCOPE],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Nonces need a 32-byte secret; without one the provider offers none (proofs are judged by iat alone).
      dPoP: requireNonce ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } : { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DPOP_API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator): ResourceServer => {
          if (resourceIndicator !== DPOP_API) throw new errors.InvalidTarget();
          return { scope: DPOP_SCOPE, audience: DPOP_API, accessTokenFormat: 'jwt', jwt: { sign: { alg: TOKEN_SIGNING_ALG } } };
        },
      },
    },
  };
}

/** `url` without its query and fragment: a proof's `htu`. */
export function htuOf(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

export async function startDpopProvider(options: { requireNonce?: boolean } = {}): Promise<DpopProvider> {
  const requireNonce = options.requireNonce ?? false;
  const server = await startProviderServer(configuration(requireNonce));
  const { tokenEndpoint } = server;

  async function dpopToken(alg: DpopAlg): Promise<DpopBoundToken> {
    const keyPair = await generateKeyPair(alg);
    const request = async (nonce: string | undefined) =>
      clientCredentialsRequest(tokenEndpoint, {
        clientId: DPOP_CLIENT.id,
        clientSecret: DPOP_CLIENT.secret,
        resource: DPOP_API,
        scope: DPOP_SCOPE,
        headers: { dpop: await generateProof(keyPair, tokenEndpoint, 'POST', nonce) },
      });
    let response = await request(undefined);
    let providerNonce: string | undefined;
    const challenge = response.headers['dpop-nonce'];
    if (response.status === 400 && (response.body as { error?: unknown }).error === 'use_dpop_nonce' && typeof challenge === 'string') {
      providerNonce = challenge;
      response = await request(providerNonce); // RFC 9449 §8: the same request again, the nonce in a new proof
    }
    const body = response.body as { access_token?: unknown; token_type?: unknown };
    if (response.status !== 200 || typeof body.access_token !== 'string' || body.token_type !== 'DPoP') {
      throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return {
      token: body.access_token,
      keyPair,
      proof: (method, url, accessToken, nonce) => generateProof(keyPair, htuOf(url), method, nonce, accessToken),
      providerNonce,
    };
  }

  return {
    issuer: server.issuer,
    jwksUri: server.jwksUri,
    tokenEndpoint,
    requireNonce,
    dpopToken,
    stop: () => server.stop(),
  };
}
