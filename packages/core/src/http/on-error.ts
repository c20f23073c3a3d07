import type { JwtGuardError } from '../errors.js';

/** What an adapter tells `answerRefusal` about its framework. */
export interface RefusalSeam {
  /** Was the request answered (a response sent or begun, or the error handed on) by the handler? */
  answered: () => boolean;
  /** Sends the guard's default refusal (status, JSON body, `WWW-Authenticate`). */
  sendDefault: () => void;
  /** Hands what the handler threw, or its promise rejected with, to the framework's error handling. */
  passOn: (error: unknown) => void;
}

/**
 * Runs an application's `onError` for a refusal and makes sure the request ends refused, whatever
 * that handler does: if it throws, or the promise it returns rejects, the error is handed on to the
 * framework (`passOn`; a thrown non-object, which frameworks read as "no error", is replaced by the
 * refusal itself); if it returns (or its promise settles) having sent nothing and handed nothing
 * on, the guard sends its default refusal. The route never runs. Synchronous unless the handler
 * returns a promise, which is awaited; that promise rejects only if `passOn` throws (Koa hands an
 * error on by throwing it).
 */
export function answerRefusal(refusal: JwtGuardError, handle: () => unknown, seam: RefusalSeam): void | Promise<void> {
  const passOn = (thrown: unknown): void => seam.passOn(typeof thrown === 'object' && thrown !== null ? thrown : refusal);
  let result: unknown;
  try {
    result = handle();
  } catch (thrown) {
    return passOn(thrown);
  }
  const finish = (): void => {
    if (!seam.answered()) seam.sendDefault();
  };
  // A failure while finishing is handed on too, so nothing is left as an unhandled rejection.
  if (result instanceof Promise) return result.then(finish).catch(passOn);
  finish();
}
