import type { Guard, GuardOutcome } from '@jwt-guard/core';
import type { PlatformRequest } from './context.js';

/**
 * Which guard saw a request, so `@Auth()` refuses with its realm and hooks, and what it decided, so
 * a second pass (each field resolver of one GraphQL operation, or `@UseGuards(JwtGuard)` under the
 * global guard) checks its own requirements without verifying the token and reporting it again.
 * A property: no WeakMap entry per request.
 */
interface GuardState {
  guard: Guard;
  outcome: GuardOutcome | undefined;
}
const STATE = Symbol('jwt-guard state');
type Marked = PlatformRequest & { [STATE]?: GuardState };

export function stateOf(request: PlatformRequest, guard: Guard): GuardState {
  const marked = request as Marked;
  const existing = marked[STATE];
  if (existing !== undefined && existing.guard === guard) return existing;
  const state: GuardState = { guard, outcome: undefined };
  marked[STATE] = state;
  return state;
}

export function guardOf(request: PlatformRequest): Guard | undefined {
  return (request as Marked)[STATE]?.guard;
}
