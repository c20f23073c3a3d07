import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `condition()` holds, polling every 5 ms; rejects after `timeoutMs`, with what
 * `describe()` tells of the state then (so that a rare failure says why).
 */
export async function until(condition: () => boolean, timeoutMs = 2_000, describe?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${describe === undefined ? '' : `: ${describe()}`}`);
    await sleep(5);
  }
}

/** 'accepted', or the error code a verification was refused with. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code: string }).code;
  }
}
