// pnpm --filter @jwt-guard/example-metrics start
//   JWT_SECRET=$(npx jwt-guard keygen --alg HS256 | sed -n "s/^JWT_SECRET='\(.*\)'$/\1/p") or any 32+ byte secret
//   JWT_ISSUER (default http://localhost:3000/), JWT_AUDIENCE (default orders-api), PORT (default 3000)
import { secretFromEnv } from '@jwt-guard/express';
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const app = createApp(
  {
    secret: secretFromEnv('JWT_SECRET'),
    issuer: process.env.JWT_ISSUER ?? 'http://localhost:3000/',
    audience: process.env.JWT_AUDIENCE ?? 'orders-api',
  },
  { defaultMetrics: true },
);
app.listen(port, '127.0.0.1', () => {
  console.log(`orders API on http://127.0.0.1:${port}: GET /orders (orders:read), GET /metrics`);
});
