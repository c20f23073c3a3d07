import type { JWTPayload } from './options.js';
import type { ScopeClaim } from './options.js';

/**
 * A verified token's scopes: a `Set` that cannot be changed. A cached token's context is shared by
 * every request that presents the token, so a handler that did `auth.scopes.add('admin')` would
 * grant it to all of them; here that throws, as writing to the frozen payload does. To work with a
 * changed set, copy it: `new Set(auth.scopes)`.
 */
export class ScopeSet extends Set<string> {
  override add(): never {
    throw readOnly();
  }

  override delete(): never {
    throw readOnly();
  }

  override clear(): never {
    throw readOnly();
  }
}

/** Only the scope reader below fills a ScopeSet, through Set's own `add` (always called with the set as `this`). */
// eslint-disable-next-line @typescript-eslint/unbound-method
const setAdd = Set.prototype.add;

function readOnly(): TypeError {
  return new TypeError('auth.scopes is read-only (every request with this token shares it): copy it with new Set(auth.scopes) to change it.');
}

function addScope(into: ScopeSet, scope: unknown): void {
  if (typeof scope === 'string' && scope !== '') setAdd.call(into, scope);
}

/** Reads scopes: a space-delimited string (RFC 8693 `scope`) or an array of strings. */
function addFrom(value: unknown, into: ScopeSet): void {
  if (typeof value === 'string') {
    for (const scope of value.split(' ')) addScope(into, scope);
  } else if (Array.isArray(value)) {
    for (const scope of value) addScope(into, scope);
  }
}

/** Builds the scope reader once, at start-up. Default: `scope`, `scp` and `permissions` together. */
export function scopeReader(scopeClaim: ScopeClaim | undefined): (payload: JWTPayload) => ReadonlySet<string> {
  if (scopeClaim === undefined) {
    return (payload) => {
      const scopes = new ScopeSet();
      addFrom(payload.scope, scopes);
      addFrom(payload.scp, scopes);
      addFrom(payload.permissions, scopes);
      return scopes;
    };
  }
  if (typeof scopeClaim === 'string') {
    return (payload) => {
      const scopes = new ScopeSet();
      addFrom(payload[scopeClaim], scopes);
      return scopes;
    };
  }
  return (payload) => {
    const scopes = new ScopeSet();
    const value = scopeClaim(payload);
    if (typeof value === 'string') addFrom(value, scopes);
    else if (value !== undefined) for (const scope of value) addScope(scopes, scope);
    return scopes;
  };
}
