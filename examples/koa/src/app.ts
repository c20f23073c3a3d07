import Koa from 'koa';
import Router from '@koa/router';
import { jwtGuard, requireScope, type JwtGuardState, type KoaGuardOptions } from '@jwt-guard/koa';

interface Order {
  id: number;
  item: string;
  owner: string;
}

/** The orders API: one public route, one for any valid token, one per scope. */
export function createApp(guardOptions: KoaGuardOptions) {
  const orders: Order[] = [{ id: 1, item: 'coffee beans', owner: 'user-1' }];
  const app = new Koa();

  const open = new Router();
  open.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  app.use(open.routes());

  app.use(jwtGuard(guardOptions));

  const router = new Router<JwtGuardState>();
  router.get('/me', (ctx) => {
    ctx.body = { sub: ctx.state.auth?.payload.sub, scopes: [...(ctx.state.auth?.scopes ?? [])] };
  });
  router.get('/orders', requireScope('orders:read'), (ctx) => {
    ctx.body = orders;
  });
  router.post('/orders', requireScope('orders:write'), (ctx) => {
    const order: Order = { id: orders.length + 1, item: 'unnamed', owner: ctx.state.auth?.payload.sub ?? '' };
    orders.push(order);
    ctx.status = 201;
    ctx.body = order;
  });
  app.use(router.routes());
  return app;
}
