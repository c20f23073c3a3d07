import express, { type Router } from 'express';
import { requireScope } from '@jwt-guard/express';

export interface Order {
  id: number;
  item: string;
  owner: string;
}

/** Longer items are refused rather than cut: a demo should not silently change what it was given. */
export const MAX_ITEM_LENGTH = 200;

/** The orders API behind the guard: GET lists (orders:read), POST adds one (orders:write). */
export function ordersRoutes(orders: Order[]): Router {
  const router = express.Router();
  router.use(express.json({ limit: '4kb' }));
  router.get('/orders', requireScope('orders:read'), (_req, res) => {
    res.json(orders);
  });
  router.post('/orders', requireScope('orders:write'), (req, res) => {
    const item = (req.body as { item?: unknown } | undefined)?.item;
    if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_ITEM_LENGTH) {
      res.status(400).json({ error: 'invalid_request', error_description: `item must be a non-empty string of at most ${MAX_ITEM_LENGTH} characters.` });
      return;
    }
    const order: Order = { id: orders.length + 1, item: item.trim(), owner: req.auth?.payload.sub ?? '' };
    orders.push(order);
    res.status(201).json(order);
  });
  return router;
}
