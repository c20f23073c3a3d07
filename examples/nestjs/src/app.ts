import 'reflect-metadata';
import { Body, Controller, Get, Inject, Injectable, Module, Post, type DynamicModule, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Auth, JwtGuardModule, Public, RequireScope, type AuthContext } from '@jwt-guard/nestjs';

interface Order {
  id: number;
  item: string;
  owner: string;
}

@Injectable()
export class OrdersService {
  private readonly orders: Order[] = [{ id: 1, item: 'coffee beans', owner: 'user-1' }];

  list(): readonly Order[] {
    return this.orders;
  }

  add(item: string, owner: string): Order {
    const order: Order = { id: this.orders.length + 1, item, owner };
    this.orders.push(order);
    return order;
  }
}

@Controller()
class HealthController {
  // No token needed: the guard is global (APP_GUARD), so public routes say so.
  @Get('health')
  @Public()
  health() {
    return { status: 'ok' };
  }

  // Any valid token.
  @Get('me')
  me(@Auth() auth: AuthContext) {
    return { sub: auth.payload.sub, scopes: [...auth.scopes] };
  }
}

@Controller('orders')
class OrdersController {
  // Injected by token: the example runs on tsx/esbuild, which emit no decorator metadata.
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Get()
  @RequireScope('orders:read')
  list() {
    return this.orders.list();
  }

  @Post()
  @RequireScope('orders:write')
  create(@Body() body: { item?: unknown } | undefined, @Auth() auth: AuthContext) {
    const item = body?.item;
    return this.orders.add(typeof item === 'string' ? item : 'unnamed', auth.payload.sub ?? '');
  }
}

/** What the app reads from the environment (see src/server.ts). */
export type AppEnv = Record<string, string | undefined>;

/**
 * The orders API: one public route, one for any valid token, one per scope. The guard's options come
 * from ConfigService (forRootAsync), so each environment brings its own identity provider.
 */
export function appModule(env: AppEnv): DynamicModule {
  return {
    module: AppModule,
    imports: [
      // ignoreEnvFile + load: the values given, nothing read behind the app's back (tests pass their own).
      ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => env] }),
      JwtGuardModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => {
          const jwksUri = config.get<string>('JWKS_URI');
          return {
            issuer: config.get<string>('JWT_ISSUER'),
            audience: config.get<string>('JWT_AUDIENCE'),
            // A missing or weak value rejects NestFactory.create with the core's message, at boot.
            ...(jwksUri ? { jwksUri } : { secret: config.get<string>('JWT_SECRET') }),
          };
        },
      }),
    ],
    controllers: [HealthController, OrdersController],
    providers: [OrdersService],
  };
}

@Module({})
export class AppModule {}

export type Platform = 'express' | 'fastify';

/** The app on either Nest HTTP platform; a missing or weak key rejects here, at boot, with the core's message. */
export async function createApp(env: AppEnv, platform: Platform = 'express'): Promise<INestApplication> {
  const module = appModule(env);
  // abortOnError: false: a boot failure rejects here (Nest's default logs it and aborts the process).
  const options = { logger: ['error', 'warn'] as ('error' | 'warn')[], abortOnError: false };
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(module, new FastifyAdapter(), options);
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  return NestFactory.create(module, new ExpressAdapter(), options);
}
