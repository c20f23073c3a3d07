import { explainRefusal, type JwtGuardError, type RefusalFacts } from '@jwt-guard/core';
import type { DecodedToken } from './decode.js';

/** What the verifier was told, as far as an explanation needs it. */
export interface ExplainContext {
  decoded: DecodedToken;
  now: number;
  issuer?: string | readonly string[] | false;
  audience?: string | readonly string[] | false;
  algorithms?: readonly string[];
  typ?: string;
  requiredClaims?: readonly string[];
  maxTokenLength?: number;
  maxTokenAge?: number;
  keySource?: string;
}

/**
 * One line that says which check failed and how to fix it, for every refusal code of the core.
 * The wording is the core's (`explainRefusal`), the same the guard's `onRejected` hints use: the
 * CLI only adds what it knows and a request does not (the decoded token, the key source in words).
 * Values shown come from the (untrusted) decoded token and from the options, never the token or a secret.
 */
export function explain(error: Pick<JwtGuardError, 'code' | 'hint' | 'message'>, context: ExplainContext): string {
  const { header, payload } = context.decoded;
  const facts: RefusalFacts = {
    header,
    payload,
    now: context.now,
    issuer: context.issuer,
    audience: context.audience,
    algorithms: context.algorithms,
    typ: context.typ,
    requiredClaims: context.requiredClaims,
    maxTokenLength: context.maxTokenLength,
    maxTokenAge: context.maxTokenAge,
    tokenLength: context.decoded.length,
    keySource: context.keySource,
    commandLine: true,
    detail: error.code === 'token_malformed' ? (context.decoded.problem ?? error.hint ?? 'the core could not parse it') : (error.hint ?? error.message),
  };
  if (error.code === 'config_invalid') facts.detail = error.message;
  // The core names the absent claim in its message; the payload alone cannot tell (jti with revocation).
  if (error.code === 'claim_missing') facts.claim = /has no "([^"]+)" claim/.exec(error.message)?.[1];
  return `${error.code}: ${explainRefusal(error.code, facts)}`;
}
