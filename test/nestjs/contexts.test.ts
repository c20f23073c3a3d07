/**
 * The global guard also runs for WebSocket and microservice handlers of a hybrid app: it cannot read
 * a request there, so it refuses them (a configuration error naming the fix) unless they are @Public.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createGuard } from '@jwt-guard/core';
import { JwtGuard, Public } from '@jwt-guard/nestjs';
import { createTestIssuer } from '@jwt-guard/testing';

class Gateway {
  onMessage() {}
  @Public() onPing() {}
}

/** What Nest hands a guard for a handler of `type` (the data is not an HTTP request). */
function contextOf(type: 'ws' | 'rpc', handler: (...args: never[]) => unknown): ExecutionContext {
  return {
    getType: () => type,
    getHandler: () => handler,
    getClass: () => Gateway,
    getArgs: () => [{ event: 'message' }],
    getArgByIndex: () => ({ event: 'message' }),
    switchToHttp: () => { throw new Error('not an HTTP context'); },
    switchToRpc: () => { throw new Error('unused'); },
    switchToWs: () => { throw new Error('unused'); },
  } as unknown as ExecutionContext;
}

describe('non-HTTP handlers', async () => {
  const issuer = await createTestIssuer({ algorithm: 'HS256' });
  const guard = new JwtGuard(createGuard(issuer.verifierOptions()), new Reflector());

  it.each(['ws', 'rpc'] as const)('a %s handler is refused with a configuration error naming @Public', (type) => {
    expect(() => guard.canActivate(contextOf(type, Gateway.prototype.onMessage))).toThrow(
      expect.objectContaining({ code: 'config_invalid', message: expect.stringContaining(`not this ${type} handler; mark it (or its class) @Public()`) }),
    );
  });

  it.each(['ws', 'rpc'] as const)('a @Public %s handler goes through', (type) => {
    expect(guard.canActivate(contextOf(type, Gateway.prototype.onPing))).toBe(true);
  });
});
