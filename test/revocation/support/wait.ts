import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves once `condition()` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
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
