import { createHash } from 'node:crypto';

/** A token taken apart without any check: nothing in it is trusted. */
export interface DecodedToken {
  length: number;
  /** First 12 hex digits of its SHA-256: lets you match log lines without showing the token. */
  fingerprint: string;
  parts: number;
  header: Record<string, unknown> | undefined;
  payload: Record<string, unknown> | undefined;
  /** Why the token could not be decoded, if it could not. */
  problem: string | undefined;
}

export function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

function decodeJson(segment: string | undefined, what: string): { value?: Record<string, unknown>; problem?: string } {
  if (segment === undefined || segment === '') return { problem: `the ${what} is empty` };
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return { problem: `the ${what} is not base64url` };
  let text: string;
  try {
    text = Buffer.from(segment, 'base64url').toString('utf8');
  } catch {
    return { problem: `the ${what} is not base64url` };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: `the ${what} is not a JSON object` };
    return { value: value as Record<string, unknown> };
  } catch {
    return { problem: `the ${what} is not JSON` };
  }
}

/** What decodeToken reads by default: 64 KiB, 8 times the verifier's default maxTokenLength. */
export const DECODE_LIMIT = 64 * 1024;

/** Decodes a compact JWS's header and payload, without verifying anything; a token over `limit` characters is not decoded. */
export function decodeToken(token: string, limit = DECODE_LIMIT): DecodedToken {
  const segments = token.split('.');
  const result: DecodedToken = {
    length: token.length,
    fingerprint: fingerprint(token),
    parts: segments.length,
    header: undefined,
    payload: undefined,
    problem: undefined,
  };
  if (token.length > limit) {
    result.problem = `the token is over ${limit === DECODE_LIMIT ? '64 KiB' : `${limit} characters`}; not decoded`;
    return result;
  }
  const header = decodeJson(segments[0], 'header');
  result.header = header.value;
  if (segments.length === 5) {
    result.problem = 'five parts: this is an encrypted token (JWE), not a signed one (JWS)';
    return result;
  }
  if (segments.length !== 3) {
    result.problem = `${segments.length} part(s) where a JWS has 3 (header.payload.signature)`;
    return result;
  }
  const payload = decodeJson(segments[1], 'payload');
  result.payload = payload.value;
  result.problem = header.problem ?? payload.problem;
  return result;
}
