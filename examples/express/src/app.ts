import express, { type Express } from 'express';
import { jwtGuard, requireScope, type ExpressGuardOptions } from '@jwt-guard/express';

interface Order {
  id: number;
  item: string;
  owner: string;
}

/** The orders API: one public route, one for any valid token, one per scope. */
export function createApp(guardOptions: ExpressGuardOptions): Express {
  const orders: Order[] = [{ id: 1, item: 'coffee beans', owner: 'user-1' }];
  const app = express();
  app.use(express.json());

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.use(jwtGuard(guardOptions));

  app.get('/me', (req, res) => {
    res.json({ sub: req.auth?.payload.sub, scopes: [...(req.auth?.scopes ?? [])] });
  });
  app.get('/orders', requireScope('orders:read'), (_req, res) => {
    res.json(orders);
  });
  app.post('/orders', requireScope('orders:write'), (req, res) => {
    const item = (req.body as { item?: unknown } | undefined)?.item;
    const order: Order = { id: orders.length + 1, item: typeof item === 'string' ? item : 'unnamed', owner: req.auth?.payload.sub ?? '' };
    orders.push(order);
    res.status(201).json(order);
  });
  return app;
}
