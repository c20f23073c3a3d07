import { createApp, type Platform } from './app.js';

// Configuration comes from the environment, as in production (read through ConfigService, see app.ts):
//   JWT_ISSUER, JWT_AUDIENCE and either JWKS_URI (your identity provider) or JWT_SECRET (HS256);
//   NEST_PLATFORM=fastify for @nestjs/platform-fastify (default: express).
// A missing or weak value stops the server at start-up with a message that says what to set.
const platform: Platform = process.env.NEST_PLATFORM === 'fastify' ? 'fastify' : 'express';
const port = Number(process.env.PORT ?? 3000);
const app = await createApp(process.env, platform);
await app.listen(port);
console.log(`orders API (NestJS on ${platform}) on http://localhost:${port}`);
