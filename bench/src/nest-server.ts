/**
 * Part D's server process: three Nest applications on one platform (`@nestjs/platform-express` or
 * `@nestjs/platform-fastify`), each on its own port, all serving `GET /r` → `{"ok":true}`:
 *
 * - `bare`: no guard;
 * - `floor`: a hand-written global guard (CanActivate) doing the job with the least code — the
 *   Bearer header, a `Map` cache of verified tokens, on a miss one `node:crypto` verification plus
 *   the claim checks, the route's required scope read from its handler's metadata;
 * - `jwt-guard`: `JwtGuardModule.forRoot` of the built @jwt-guard/nestjs, the route under `@RequireScope`.
 *
 * One process for the three, so the process-to-process spread of a Node server's steady state
 * (see bench/README.md, Part B) does not enter the ratio between them. `BENCH_SERVER` (JSON, a
 * {@link NestServerConfig}); prints `LISTENING <bare port> floor=<port> jwt-guard=<port>` (no
 * `jwt-guard=` when @jwt-guard/nestjs is not built).
 */
import 'reflect-metadata';
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { NEST_VARIANTS, type NestPlatform, type NestServerConfig, type NestVariant } from './nest-common.js';


const BODY = { ok: true };

/** The floor's verified-token cache holds at most this many tokens (cleared when full: the simplest bound). */
const FLOOR_CACHE_LIMIT = 10_000;
const REQUIRED_SCOPES = 'bench:required-scopes';

interface FloorEntry {
  sub: string;
  exp: number;
  scopes: ReadonlySet<string>;
}

interface FloorRequest {
  headers: Record<string, string | string[] | undefined>;
  auth?: FloorEntry;
}

/** RS256, iss, aud and exp, with nothing else: what a careful hand-written guard checks on a cache miss. */
function floorVerifier(config: NestServerConfig): (token: string) => FloorEntry {
  const key: KeyObject = createPublicKey(config.publicKeyPem);
  return (token) => {
    const first = token.indexOf('.');
    const last = token.lastIndexOf('.');
    if (first <= 0 || last === first) throw new UnauthorizedException();
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8')) as { alg?: unknown };
    if (header.alg !== 'RS256') throw new UnauthorizedException();
    const signature = Buffer.from(token.slice(last + 1), 'base64url');
    if (!cryptoVerify('sha256', Buffer.from(token.slice(0, last), 'latin1'), key, signature)) throw new UnauthorizedException();
    const claims = JSON.parse(Buffer.from(token.slice(first + 1, last), 'base64url').toString('utf8')) as Record<string, unknown>;
    const audience = claims.aud;
    const audienceOk = Array.isArray(audience) ? audience.includes(config.audience) : audience === config.audience;
    if (claims.iss !== config.issuer || !audienceOk || typeof claims.exp !== 'number' || typeof claims.sub !== 'string') throw new UnauthorizedException();
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    return { sub: claims.sub, exp: claims.exp, scopes: new Set(scopes) };
  };
}

function floorGuard(config: NestServerConfig): Type<CanActivate> {
  const verifyToken = floorVerifier(config);
  @Injectable()
  class FloorGuard implements CanActivate {
    private readonly cache = new Map<string, FloorEntry>();

    constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<FloorRequest>();
      const header = request.headers.authorization;
      if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new UnauthorizedException();
      const token = header.slice(7);
      let entry = this.cache.get(token);
      if (entry === undefined) {
        entry = verifyToken(token);
        if (this.cache.size >= FLOOR_CACHE_LIMIT) this.cache.clear();
        this.cache.set(token, entry);
      }
      if (entry.exp <= Date.now() / 1000) {
        this.cache.delete(token);
        throw new UnauthorizedException();
      }
      const required = this.reflector.get<readonly string[] | undefined>(REQUIRED_SCOPES, context.getHandler());
      if (required !== undefined) {
        for (const scope of required) if (!entry.scopes.has(scope)) throw new ForbiddenException();
      }
      request.auth = entry;
      return true;
    }
  }
  return FloorGuard;
}

/** undefined: @jwt-guard/nestjs is not built (its row is skipped, with a note). */
async function moduleFor(variant: NestVariant, config: NestServerConfig): Promise<Type<unknown> | undefined> {
  if (variant === 'bare') {
    @Controller()
    class BareController {
      @Get('r')
      r() {
        return BODY;
      }
    }
    @Module({ controllers: [BareController] })
    class BareModule {}
    return BareModule;
  }
  if (variant === 'floor') {
    @Controller()
    class FloorController {
      @Get('r')
      @SetMetadata(REQUIRED_SCOPES, [config.scope])
      r() {
        return BODY;
      }
    }
    @Module({ controllers: [FloorController], providers: [{ provide: APP_GUARD, useClass: floorGuard(config) }] })
    class FloorModule {}
    return FloorModule;
  }
  let nest: typeof import('@jwt-guard/nestjs');
  try {
    nest = await import('@jwt-guard/nestjs');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  const { JwtGuardModule, RequireScope } = nest;
  @Controller()
  class JwtGuardController {
    @Get('r')
    @RequireScope(config.scope)
    r() {
      return BODY;
    }
  }
  @Module({
    imports: [
      JwtGuardModule.forRoot({ publicKey: createPublicKey(config.publicKeyPem), algorithms: ['RS256'], issuer: config.issuer, audience: config.audience }),
    ],
    controllers: [JwtGuardController],
  })
  class JwtGuardAppModule {}
  return JwtGuardAppModule;
}

async function createApp(module: Type<unknown>, platform: NestPlatform): Promise<INestApplication> {
  if (platform === 'express') {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    const app = await NestFactory.create(module, new ExpressAdapter(), { logger: false });
    // Like the Part B Express servers (`app.disable('x-powered-by')`), so the bare rows are comparable.
    (app.getHttpAdapter().getInstance() as { disable(name: string): unknown }).disable('x-powered-by');
    return app;
  }
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return NestFactory.create(module, new FastifyAdapter(), { logger: false });
}

/** The profile script's stdin commands (see {@link NestServerConfig.profile}). */
function acceptProfilerCommands(): void {
  const session = new Session();
  let pending = '';
  const run = async (line: string): Promise<void> => {
    if (line === 'profile-start') {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      process.stdout.write('PROFILING\n');
    } else if (line.startsWith('profile-stop ')) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(line.slice('profile-stop '.length), JSON.stringify(profile));
      session.disconnect();
      process.stdout.write('PROFILED\n');
    }
  };
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      run(line).catch((error: unknown) => process.stderr.write(`profiler: ${String(error)}\n`));
    }
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_SERVER ?? '') as NestServerConfig;
  if (config.profile === true) acceptProfilerCommands();
  const apps: INestApplication[] = [];
  const ports = new Map<NestVariant, number>();
  for (const variant of NEST_VARIANTS) {
    const module = await moduleFor(variant, config);
    if (module === undefined) continue;
    const app = await createApp(module, config.platform);
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    // getHttpServer() is typed `any`: it is the node:http server of either platform.
    const server = app.getHttpServer() as import('node:http').Server;
    ports.set(variant, (server.address() as AddressInfo).port);
  }

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    for (const app of apps) await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.stdin.on('end', () => void shutdown());
  process.stdin.resume();
  const named = [...ports].filter(([variant]) => variant !== 'bare').map(([variant, port]) => `${variant}=${port}`);
  process.stdout.write(`LISTENING ${ports.get('bare')} ${named.join(' ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`nest server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
