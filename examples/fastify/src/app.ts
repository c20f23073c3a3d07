import Fastify from 'fastify';
import { jwtGuard, requireScope, type FastifyGuardOptions } from '@jwt-guard/fastify';

interface Order {
  id: number;
  item: string;
  owner: string;
}

/** The orders API: one public route, then a scope where the guard covers every route. */
export async function createApp(guardOptions: FastifyGuardOptions) {
  const orders: Order[] = [{ id: 1, item: 'coffee beans', owner: 'user-1' }];
  const app = Fastify();

  app.get('/health', async () => ({ status: 'ok' }));

  await app.register(async (api) => {
    await api.register(jwtGuard, guardOptions);
    api.get('/me', async (request) => ({ sub: request.auth?.payload.sub, scopes: [...(request.auth?.scopes ?? [])] }));
    api.get('/orders', { preHandler: requireScope('orders:read') }, async () => orders);
    api.post<{ Body: { item?: string } | undefined }>('/orders', { preHandler: requireScope('orders:write') }, async (request, reply) => {
      const order: Order = { id: orders.length + 1, item: typeof request.body?.item === 'string' ? request.body.item : 'unnamed', owner: request.auth?.payload.sub ?? '' };
      orders.push(order);
      return reply.code(201).send(order);
    });
  });
  return app;
}
