import { isSessionError } from '@jwt-guard/session';

export const SECRET = 'bq3V0oJ0m8fZ1kq0b7W3xYd9cR2tLp6sNe4uHg5aA1s'; // 43 random characters
export const ISSUER = { issuer: 'https://app.example.com/', audience: 'app-api', secret: SECRET } as const;

/** The SessionError code a call rejects with, or 'ok'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (isSessionError(error)) return error.code;
    throw error;
  }
}

/** `name=value` of a Set-Cookie header value, as a browser sends it back. */
export const cookiePair = (setCookie: string | undefined): string => (setCookie ?? '').split(';')[0] ?? '';
