import type { Guard } from '@jwt-guard/core';
import type { PlatformRequest } from './context.js';

/** Which guard saw a request, so `@Auth()` refuses with its realm and hooks. A property: no WeakMap entry per request. */
const GUARD = Symbol('jwt-guard state');
type Marked = PlatformRequest & { [GUARD]?: Guard };

export function markGuarded(request: PlatformRequest, guard: Guard): void {
  (request as Marked)[GUARD] = guard;
}

export function guardOf(request: PlatformRequest): Guard | undefined {
  return (request as Marked)[GUARD];
}
