import 'reflect-metadata';
import { Body, Controller, Get, Inject, Injectable, Module, Post, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Auth, JwtGuardModule, Public, RequireScope, type AuthContext, type JwtGuardModuleOptions } from '@jwt-guard/nestjs';

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

/** The orders API: one public route, one for any valid token, one per scope. */
@Module({})
export class AppModule {
  static register(guardOptions: JwtGuardModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [JwtGuardModule.forRoot(guardOptions)],
      controllers: [HealthController, OrdersController],
      providers: [OrdersService],
    };
  }
}

export type Platform = 'express' | 'fastify';

/** The app on either Nest HTTP platform; a missing or weak key rejects here, at boot, with the core's message. */
export async function createApp(guardOptions: JwtGuardModuleOptions, platform: Platform = 'express'): Promise<INestApplication> {
  const module = AppModule.register(guardOptions);
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(module, new FastifyAdapter(), { logger: ['error', 'warn'] });
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  return NestFactory.create(module, new ExpressAdapter(), { logger: ['error', 'warn'] });
}
