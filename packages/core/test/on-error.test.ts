import { describe, expect, it, vi } from 'vitest';
import { answerRefusal, JwtGuardError, type RefusalSeam } from '@jwt-guard/core';

const refusal = new JwtGuardError('token_missing', 'No access token was provided.');

/** A framework stand-in: a response that is either sent or not, and the error it was handed, if any. */
function seam(initiallySent = false) {
  const state = { sent: initiallySent, defaultSent: 0, handedOn: [] as unknown[] };
  const hooks: RefusalSeam = {
    answered: () => state.sent || state.handedOn.length > 0,
    sendDefault: () => {
      state.defaultSent++;
      state.sent = true;
    },
    passOn: (error) => void state.handedOn.push(error),
  };
  return { state, hooks };
}

describe('answerRefusal: an onError can never let a refused request through', () => {
  it('a handler that answers is left alone, synchronously', () => {
    const { state, hooks } = seam();
    expect(answerRefusal(refusal, () => (state.sent = true), hooks)).toBeUndefined();
    expect(state).toEqual({ sent: true, defaultSent: 0, handedOn: [] });
  });

  it('a handler that sends nothing gets the default refusal sent for it', async () => {
    const sync = seam();
    void answerRefusal(refusal, () => undefined, sync.hooks);
    expect(sync.state.defaultSent).toBe(1);
    const later = seam();
    const pending = answerRefusal(refusal, async () => undefined, later.hooks);
    expect(later.state.defaultSent).toBe(0);
    await pending;
    expect(later.state.defaultSent).toBe(1);
  });

  it('waits for an async handler that answers late', async () => {
    const { state, hooks } = seam();
    await answerRefusal(
      refusal,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        state.sent = true;
      },
      hooks,
    );
    expect(state.defaultSent).toBe(0);
  });

  it('hands on what the handler throws or rejects with; a thrown non-object becomes the refusal itself', async () => {
    const boom = new Error('boom');
    for (const handler of [
      () => {
        throw boom;
      },
      () => Promise.reject(boom),
    ]) {
      const { state, hooks } = seam();
      await answerRefusal(refusal, handler, hooks);
      expect(state.handedOn).toEqual([boom]);
      expect(state.defaultSent).toBe(0);
    }
    for (const thrown of [undefined, null, 'route', 0, false]) {
      const { state, hooks } = seam();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point: frameworks read these as "no error"
      await answerRefusal(refusal, () => Promise.reject(thrown), hooks);
      expect(state.handedOn).toEqual([refusal]);
    }
  });

  it('a failure while sending the default refusal is handed on, not left as an unhandled rejection', async () => {
    const passOn = vi.fn();
    const broken = new Error('socket gone');
    await answerRefusal(refusal, async () => undefined, {
      answered: () => false,
      sendDefault: () => {
        throw broken;
      },
      passOn,
    });
    expect(passOn).toHaveBeenCalledWith(broken);
  });
});
