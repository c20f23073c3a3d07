/** A test token's payload, decoded without verification (the tests minted it themselves). */
export function payloadOf(token: string): { jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string; exp: number };
}

export const jtiOf = (token: string): string => payloadOf(token).jti;
