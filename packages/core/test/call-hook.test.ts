/**
 * callHook is how every seam calls an app's observer (onVerified, onRejected, onKeyEvent,
 * revocation.onUnavailable, the session's onEvent): whatever the hook does, the caller goes on and
 * nothing surfaces as an unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callHook } from '@jwt-guard/core';

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('callHook', () => {
  it('passes the event and ignores what the hook returns', () => {
    const seen: number[] = [];
    callHook((event: number) => seen.push(event), 7);
    expect(seen).toEqual([7]);
  });

  it.each([
    ['throws', () => { throw new Error('hook bug'); }],
    ['returns a rejected promise', () => Promise.reject(new Error('async hook bug'))],
    ['is an async function that throws', async () => { throw new Error('async hook bug'); }],
    ['returns a thenable that rejects', () => ({ then: (_ok: unknown, fail: (reason: unknown) => void) => fail(new Error('thenable bug')) })],
    ['returns a thenable whose then throws', () => ({ then: () => { throw new Error('then bug'); } })],
    ['returns an object whose then getter throws', () => ({ get then(): never { throw new Error('getter bug'); } })],
  ])('a hook that %s: no throw, no unhandled rejection', async (_label, hook) => {
    expect(() => callHook(hook, {})).not.toThrow();
    await settle();
    expect(unhandled).toEqual([]);
  });
});
