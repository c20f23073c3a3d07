import type { JWTPayload } from './options.js';
import type { ScopeClaim } from './options.js';

/** Reads scopes: a space-delimited string (RFC 8693 `scope`) or an array of strings. */
function addFrom(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const scope of value.split(' ')) if (scope !== '') into.add(scope);
  } else if (Array.isArray(value)) {
    for (const scope of value) if (typeof scope === 'string' && scope !== '') into.add(scope);
  }
}

/** Builds the scope reader once, at start-up. Default: `scope`, `scp` and `permissions` together. */
export function scopeReader(scopeClaim: ScopeClaim | undefined): (payload: JWTPayload) => ReadonlySet<string> {
  if (scopeClaim === undefined) {
    return (payload) => {
      const scopes = new Set<string>();
      addFrom(payload.scope, scopes);
      addFrom(payload.scp, scopes);
      addFrom(payload.permissions, scopes);
      return scopes;
    };
  }
  if (typeof scopeClaim === 'string') {
    return (payload) => {
      const scopes = new Set<string>();
      addFrom(payload[scopeClaim], scopes);
      return scopes;
    };
  }
  return (payload) => {
    const scopes = new Set<string>();
    const value = scopeClaim(payload);
    if (typeof value === 'string') addFrom(value, scopes);
    else if (value !== undefined) for (const scope of value) if (typeof scope === 'string' && scope !== '') scopes.add(scope);
    return scopes;
  };
}
